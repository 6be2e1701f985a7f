#!/bin/sh
# tip-eval.sh - `ponder eval` (issue 6): the table, --json with exactly the
# keys of the issue, --compare, and bad eval files. The random-weight oracle
# model answers nothing right, but every path runs; on the demo model, when
# it exists, the run must complete (its accuracy is the demo model's own
# test, and is printed here as a note).
PONDER=${PONDER:-./ponder}
O=${PONDER_ORACLE:-}
SRC=${PONDER_SRCDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-eval.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

cat >"$tmp/set.jsonl" <<'JSON'
{"prompt": "What is 2 + 3?", "answer": 5}
{"prompt": "What is 7 * 8?", "answer": "56"}

{"prompt": "Name a colour.", "answer": "red"}
JSON
printf '{"prompt": "x", "answer": 1}\n{"prompt": 3}\n' >"$tmp/bad.jsonl"

"$PONDER" eval --set "$tmp/set.jsonl" -m /nonexistent.gguf >/dev/null 2>"$tmp/err"; rc=$?
check "eval: missing model: exit 1" '[ $rc = 1 ] && grep -q "^ponder: " "$tmp/err"'
"$PONDER" eval -m x.gguf >/dev/null 2>"$tmp/err"; rc=$?
check "eval: no --set: exit 2" '[ $rc = 2 ]'
"$PONDER" eval -m x.gguf --set "$tmp/bad.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
check "eval: bad set names the line" '[ $rc = 1 ] && grep -q "bad.jsonl:2:" "$tmp/err"'

if [ -z "$O" ] || [ ! -f "$O/models/q3moe-Q4_K_M.gguf" ]; then
    echo "SKIP: eval: oracle models: no oracle (PONDER_ORACLE)"
else
    E="$PONDER eval -m $O/models/q3moe-Q4_K_M.gguf --set $tmp/set.jsonl --template deepseek-r1 -n 60 --threads 2"
    $E --json >"$tmp/one" 2>"$tmp/err"; rc=$?
    keys='"n": 3, "accuracy": [0-9.]*, "think_tokens": [0-9.]*, "thoughts": [0-9.]*, "switches": [0-9.]*, "suppressed": [0-9.]*, "ut_score": [0-9.]*, "tok_per_s": [0-9.]*'
    check "eval --json: one object with the issue's keys" \
        '[ $rc = 0 ] && [ $(wc -l <"$tmp/one") = 1 ] && grep -q "^{$keys}\$" "$tmp/one"'
    $E --json --compare >"$tmp/cmp" 2>"$tmp/err"; rc=$?
    check "eval --compare --json: {off, on}" \
        '[ $rc = 0 ] && grep -q "^{\"off\": {$keys}, \"on\": {$keys}}\$" "$tmp/cmp"'
    $E --compare >"$tmp/tab" 2>"$tmp/err"; rc=$?
    check "eval --compare: a table with both columns and the change" \
        '[ $rc = 0 ] && grep -q "TIP off *TIP on *change" "$tmp/tab" && grep -q "^UT score" "$tmp/tab" &&
         grep -q "^accuracy  *0.000  *0.000  *+0.000" "$tmp/tab"'
    $E --samples 2 --seed 3 --json >"$tmp/s" 2>"$tmp/err"; rc=$?
    check "eval --samples 2: 6 responses" '[ $rc = 0 ] && grep -q "^{\"n\": 6," "$tmp/s"'
fi

DEMO=$SRC/share/ponder/models/ponder-demo.gguf
if [ -f "$DEMO" ]; then
    printf '{"prompt": "What is 12 + 30?", "answer": 42}\n{"prompt": "What is 100 - 1?", "answer": 99}\n{"prompt": "What is 7 * 6?", "answer": 42}\n' >"$tmp/demo.jsonl"
    "$PONDER" eval -m "$DEMO" --set "$tmp/demo.jsonl" --compare --json >"$tmp/d" 2>"$tmp/err"; rc=$?
    echo "# demo model: $(cat "$tmp/d")"
    check "eval --compare (demo model): completes" \
        '[ $rc = 0 ] && grep -q "^{\"off\": {\"n\": 3, .*\"on\": {\"n\": 3, " "$tmp/d"'
else
    echo "SKIP: eval (demo model): share/ponder/models/ponder-demo.gguf not built yet"
fi
