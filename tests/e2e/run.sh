#!/bin/sh
# run.sh - `ponder run` on the random-weight oracle models (noise text, but
# every path runs) and on the demo model when it exists: text and JSONL
# output, stdin prompts, --raw, the seed, SIGINT, and the error conventions.
PONDER=${PONDER:-./ponder}
O=${PONDER_ORACLE:-}
SRC=${PONDER_SRCDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

"$PONDER" run >/dev/null 2>"$tmp/err"; rc=$?
check "run: no -m/-p is a usage error (exit 2)" '[ $rc = 2 ] && grep -q "^ponder: " "$tmp/err"'
"$PONDER" run -m /nonexistent.gguf -p hi >/dev/null 2>"$tmp/err"; rc=$?
check "run: missing model: one line, exit 1" '[ $rc = 1 ] && [ $(wc -l <"$tmp/err") = 1 ] && grep -q "^ponder: .*nonexistent" "$tmp/err"'

# --ctx's default: the model's context up to 32768, halved while the cache
# would not fit in free memory (not below 8192); the fixtures' models say
# 40960 and 512. plan FILE ARGS...: the positions of the memory plan, and the
# bytes it needs (owned + repacked + KV cache + scratch) in "$need".
plan() {
    f=$1; shift
    line=$("$PONDER" logits -m "$f" --tokens 1 --verbose "$@" 2>&1 >/dev/null | grep 'memory plan')
    need=$(echo "$line" | awk '{ for (i = 2; i < NF; i++) if ($(i+1) ~ /^MiB/) v[$(i-1)] = $i
        printf "%.0f", (v["owned"] + v["Q4_K"] + v["cache"] + v["scratch"]) * 1048576 }')
    echo "$line" | sed -n 's/.*(\([0-9]*\) positions).*/\1/p'
}
QM=$SRC/tests/fixtures/hf/hf-qwen3moe.gguf
check "run: --ctx defaults to the model's 512" '[ "$(plan "$SRC/tests/fixtures/hf/hf-llama.gguf")" = 512 ]'
check "run: --ctx defaults to 32768 of the model's 40960" '[ "$(plan "$QM")" = 32768 ]'
plan "$QM" --ctx 16384 >/dev/null
n16=$need
check "run: --ctx defaults to 16384 where 32768 does not fit in free memory" \
    '[ "$(PONDER_MEM_AVAILABLE=$((n16 + 1048576)) plan "$QM")" = 16384 ]'
check "run: an explicit --ctx is kept where it fits" \
    '[ "$(PONDER_MEM_AVAILABLE=$((n16 + 1048576)) plan "$QM" --ctx 12000)" = 12000 ]'
PONDER_MEM_AVAILABLE=1048576 "$PONDER" logits -m "$QM" --tokens 1 >/dev/null 2>"$tmp/err"; rc=$?
check "run: too little memory for even 8192 positions: one line, exit 1" \
    '[ $rc = 1 ] && [ $(wc -l <"$tmp/err") = 1 ] && grep -q "8192 positions\|smaller --ctx" "$tmp/err"'

if [ -z "$O" ] || [ ! -f "$O/models/ds3-Q4_K_M.gguf" ]; then
    echo "SKIP: run: oracle models: no oracle (PONDER_ORACLE)"
else
    M=$O/models/ds3-Q4_K_M.gguf
    R="$PONDER run -m $M --threads 2 --template deepseek-r1"

    # a prompt whose 40 tokens hold no EOS (the random model can end a turn early)
    $R -p "Hi" -n 40 --json >"$tmp/j" 2>"$tmp/err"; rc=$?
    check "run --json: exit 0, every line an event object" \
        '[ $rc = 0 ] && ! grep -v "^{\"type\":\"[a-z]*\".*}\$" "$tmp/j" >/dev/null'
    check "run --json: thought 0 at position 0 first, done last" \
        'head -n 1 "$tmp/j" | grep -q "^{\"type\":\"thought\",\"index\":0,\"position\":0," &&
         tail -n 1 "$tmp/j" | grep -q "^{\"type\":\"done\",\"reason\":\"max_tokens\"}\$"'
    check "run --json: positions 0..39, stats events" \
        'grep -q "\"position\":39}" "$tmp/j" && ! grep -q "\"position\":40}" "$tmp/j" &&
         [ $(grep -c "^{\"type\":\"stats\"" "$tmp/j") -ge 3 ]'

    $R -p "Hello" -n 30 >"$tmp/t" 2>"$tmp/err"; rc=$?
    check "run: text to a pipe: think lines start with '| '" \
        '[ $rc = 0 ] && head -n 1 "$tmp/t" | grep -q "^| " && ! grep -q "\[2m" "$tmp/t"'

    $R -p "Hello" -n 30 --think-budget 5 >"$tmp/b" 2>&1
    check "run --think-budget 5: an answer follows the thinking" \
        '[ $(grep -vc "^| " "$tmp/b") -ge 1 ] && ! grep -q "think>" "$tmp/b"'

    echo "Hello" | $R -p - -n 20 --json >"$tmp/s1" 2>&1
    $R -p "Hello
" -n 20 --json >"$tmp/s2" 2>&1
    grep -v stats "$tmp/s1" >"$tmp/s1b"; grep -v stats "$tmp/s2" >"$tmp/s2b"
    check "run -p -: the prompt from stdin" 'cmp -s "$tmp/s1b" "$tmp/s2b" && grep -q "\"done\"" "$tmp/s1"'

    $R -p "Hi" -n 30 --temp 0.9 --seed 5 --json | grep -v stats >"$tmp/a" 2>&1
    $R -p "Hi" -n 30 --temp 0.9 --seed 5 --json | grep -v stats >"$tmp/b2" 2>&1
    $R -p "Hi" -n 30 --temp 0.9 --seed 6 --json | grep -v stats >"$tmp/c" 2>&1
    check "run --seed: same seed same text, another seed another" \
        'cmp -s "$tmp/a" "$tmp/b2" && ! cmp -s "$tmp/a" "$tmp/c"'

    "$PONDER" run -m "$M" --threads 2 --raw -p "The" -n 10 --json >"$tmp/r" 2>&1
    check "run --raw: no template, all answer" \
        'grep -q "\"type\":\"answer\"" "$tmp/r" && ! grep -q "\"type\":\"think\"" "$tmp/r"'

    $R -p "Hi" -n 20 --template nosuch >/dev/null 2>"$tmp/err"; rc=$?
    check "run --template nosuch: an error line" '[ $rc -ne 0 ] && grep -q "^ponder: .*nosuch" "$tmp/err"'

    $R -p "Hi" -n 50 --ctx 32 --json >"$tmp/full" 2>"$tmp/err"; rc=$?
    check "run: context full: done error, exit 1, no crash" \
        '[ $rc = 1 ] && grep -q "\"reason\":\"error\",\"error\":\".*context" "$tmp/full" && grep -q "^ponder: run: .*context" "$tmp/err"'

    # SIGINT: a clean stop with a "cancelled" done event (a random model may
    # write its end token early: seeds are tried until a run is still going
    # when the signal comes)
    rc=none
    for seed in 5 1 3 4 7 8 9 10; do
        $R -p "Hello" -n 1000000 --seed $seed --json >"$tmp/int" 2>"$tmp/err" &
        pid=$!
        sleep 0.5
        if kill -0 $pid 2>/dev/null; then
            kill -INT $pid 2>/dev/null
            wait $pid; rc=$?
            break
        fi
        wait $pid
    done
    [ $rc = 130 ] || echo "# SIGINT: exit $rc; last: $(tail -n 1 "$tmp/int")"
    check "run: SIGINT cancels cleanly (done cancelled, exit 130)" \
        '[ $rc = 130 ] && tail -n 1 "$tmp/int" | grep -q "^{\"type\":\"done\",\"reason\":\"cancelled\"}\$"'
fi

DEMO=$SRC/share/ponder/models/ponder-demo.gguf
if [ -f "$DEMO" ]; then
    "$PONDER" run -m "$DEMO" -p "What is 12 + 30?" --temp 0 --json >"$tmp/d" 2>"$tmp/err"; rc=$?
    # (whether the answer is right is the demo model's own test)
    check "run (demo model): the r1-zero prompt opens thinking; the turn ends" \
        '[ $rc = 0 ] && head -n 1 "$tmp/d" | grep -q "^{\"type\":\"thought\",\"index\":0,\"position\":0," &&
         grep -q "\"type\":\"think\"" "$tmp/d" && tail -n 1 "$tmp/d" | grep -q "\"reason\":\"\(eos\|max_tokens\)\""'
else
    echo "SKIP: run (demo model): share/ponder/models/ponder-demo.gguf not built yet"
fi
