#!/bin/sh
# logits.sh - `ponder logits` and `ponder bench` end to end: the logits file
# of the oracle prompt against llama.cpp's (F16 files: max |diff| <= 0.05),
# its size with and without --all, the top-K lines, bad input (one stderr
# line, exit 1 or 2), the keys of `bench --json`, its -d and its -r.
PONDER=${PONDER:-./ponder}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-logits.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ -z "${PONDER_ORACLE:-}" ] || [ ! -f "$PONDER_ORACLE/models/q3moe-F16.gguf" ]; then
    echo "SKIP: logits: PONDER_ORACLE has no models"
    exit 0
fi
O=$PONDER_ORACLE

# max_diff A B: largest |a_i - b_i| of two float32 files ("size" if they differ in size)
max_diff() {
    od -An -v -f "$1" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/a.txt"
    od -An -v -f "$2" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/b.txt"
    paste "$tmp/a.txt" "$tmp/b.txt" | awk '
        NF != 2 { bad = 1 }
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d }
        END { if (bad || NR == 0) print "size"; else printf "%.6f\n", m }'
}

for f in q3moe-F16 ds3-F16; do
    m=${f%%-*}
    ids=$(tr ' ' ',' <"$O/ref/$m.tokens.txt" | tr -d '\n')
    if ! "$PONDER" logits -m "$O/models/$f.gguf" --backend cpu --tokens "$ids" --all --top 2 \
            --out "$tmp/$f.f32" >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL: logits $f: $(head -n 1 "$tmp/err")"; continue
    fi
    d=$(max_diff "$tmp/$f.f32" "$O/ref/$f.prefill.f32")
    n=$(grep -c '^pos ' "$tmp/out")
    if [ "$d" = size ]; then
        echo "FAIL: logits $f: output size differs from the reference"
    elif [ "$(echo "$d" | awk '{ print ($1 <= 0.05) }')" != 1 ]; then
        echo "FAIL: logits $f: max |dlogit| $d > 0.05"
    elif [ "$n" -ne 32 ]; then
        echo "FAIL: logits $f: $n top-K lines, expected 32"
    else
        echo "PASS: logits $f (max |dlogit| $d)"
    fi
done

# last position only: one row of n_vocab floats, one top-K line
"$PONDER" logits -m "$O/models/q3moe-F16.gguf" --tokens 1,2,3 --out "$tmp/last.f32" >"$tmp/out" 2>&1
sz=$(wc -c <"$tmp/last.f32" 2>/dev/null || echo 0)
if [ "$sz" -eq $((2064 * 4)) ] && [ "$(grep -c '^pos 2:' "$tmp/out")" -eq 1 ]; then
    echo "PASS: logits last position"
else
    echo "FAIL: logits last position: $sz bytes"
fi

# check_error NAME STATUS ARGS...: exit STATUS, one stderr line "ponder: ..."
check_error() {
    name=$1 want=$2
    shift 2
    "$PONDER" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $name: exit status $rc, expected $want ($(head -n 1 "$tmp/err"))"
    elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^ponder: ' "$tmp/err"; then
        echo "FAIL: $name: stderr is not one 'ponder: ' line"
    else
        echo "PASS: $name"
    fi
}
M="$O/models/q3moe-F16.gguf"
check_error "logits bad ids" 2 logits -m "$M" --tokens 1,x,3
check_error "logits id out of range" 1 logits -m "$M" --tokens 1,99999
check_error "logits prompt and tokens" 2 logits -m "$M" --tokens 1 --prompt hi
check_error "logits missing model" 1 logits -m "$tmp/none.gguf" --tokens 1
check_error "logits cuda without plugin" 1 logits -m "$M" --tokens 1 --backend cuda
check_error "logits memory plan refuses a huge --ctx" 1 logits -m "$M" --tokens 1 --ctx 16000000
check_error "logits unwritable out" 1 logits -m "$M" --tokens 1 --out "$tmp/no/such/dir/x.f32"
if ls "$tmp/no" >/dev/null 2>&1; then echo "FAIL: logits left a partial file"; fi

# a prompt through the chat template and through --raw
if "$PONDER" logits -m "$M" --prompt "Hello" --top 1 >"$tmp/out" 2>"$tmp/err" \
   && "$PONDER" logits -m "$M" --prompt "Hello" --raw --top 1 >>"$tmp/out" 2>>"$tmp/err" \
   && [ "$(grep -c '^pos ' "$tmp/out")" -eq 2 ]; then
    echo "PASS: logits prompt"
else
    echo "FAIL: logits prompt: $(head -n 1 "$tmp/err")"
fi

# Q4_K weights repacked for the CPU or read as stored: the same logits bit
# for bit; with too little free memory to repack, a note and the file's layout
Q="$O/models/q3moe-Q4_K_M.gguf"
ids=$(tr ' ' ',' <"$O/ref/q3moe.tokens.txt" | tr -d '\n')
plan=$("$PONDER" logits -m "$Q" --backend cpu --ctx 256 --tokens "$ids" --all --verbose \
       --out "$tmp/rp.f32" 2>&1 >/dev/null | grep 'memory plan')
low=$(echo "$plan" | awk '{ for (i = 2; i < NF; i++) if ($(i+1) ~ /^MiB/) v[$(i-1)] = $i
                            printf "%.0f", (v["owned"] + v["cache"] + v["scratch"] + v["Q4_K"] / 2) * 1048576 }')
if PONDER_REPACK=0 "$PONDER" logits -m "$Q" --backend cpu --ctx 256 --tokens "$ids" --all \
        --out "$tmp/norp.f32" >/dev/null 2>"$tmp/err" \
   && PONDER_MEM_AVAILABLE=$low "$PONDER" logits -m "$Q" --backend cpu --ctx 256 --tokens "$ids" \
        --all --out "$tmp/low.f32" >/dev/null 2>"$tmp/err2" \
   && cmp -s "$tmp/rp.f32" "$tmp/norp.f32" && cmp -s "$tmp/rp.f32" "$tmp/low.f32" \
   && grep -q "too little free memory to repack" "$tmp/err2" \
   && ! grep -q "too little free memory" "$tmp/err"; then
    echo "PASS: logits Q4_K repacked = as stored; too little memory to repack is a note"
else
    echo "FAIL: logits Q4_K repacked vs stored ($plan; low=$low): $(head -n 2 "$tmp/err2")"
fi

# --no-repack: the CPU reads Q4_K as stored (the plan shows no copy), same bits
if "$PONDER" logits -m "$Q" --backend cpu --ctx 256 --tokens "$ids" --all --no-repack --verbose \
        --out "$tmp/flag.f32" >/dev/null 2>"$tmp/err" \
   && cmp -s "$tmp/rp.f32" "$tmp/flag.f32" && grep -q 'repacked Q4_K 0.0 MiB' "$tmp/err" \
   && echo "$plan" | grep -q 'repacked Q4_K [1-9]'; then
    echo "PASS: logits --no-repack"
else
    echo "FAIL: logits --no-repack: $(grep 'memory plan' "$tmp/err") vs $plan"
fi

# --attn-f32 reaches the engine: decode rows (a batch under 64 tokens) sum
# in F32, so the logits are no longer the half accumulator's bits
if "$PONDER" logits -m "$Q" --backend cpu --ctx 256 --tokens "$ids" --all --attn-f32 \
        --out "$tmp/f32.f32" >/dev/null 2>"$tmp/err" \
   && [ "$(wc -c <"$tmp/f32.f32")" -eq "$(wc -c <"$tmp/rp.f32")" ] \
   && ! cmp -s "$tmp/rp.f32" "$tmp/f32.f32"; then
    echo "PASS: logits --attn-f32"
else
    echo "FAIL: logits --attn-f32: $(head -n 1 "$tmp/err")"
fi

# bench --json: one object with the required keys
if "$PONDER" bench -m "$M" -p 8 -n 4 --threads 2 --json >"$tmp/out" 2>"$tmp/err"; then
    ok=1
    for k in prefill_tok_s decode_tok_s decode_gb_s copy_gb_s read_gb_s threads backend; do
        grep -q "\"$k\":" "$tmp/out" || { ok=0; echo "FAIL: bench --json: no \"$k\""; }
    done
    [ "$ok" = 1 ] && echo "PASS: bench --json"
else
    echo "FAIL: bench --json: $(head -n 1 "$tmp/err")"
fi

# bench -d: the depth is reported, and a depth beyond --ctx is one clear error
if "$PONDER" bench -m "$M" --backend cpu -p 4 -n 2 -d 6 --threads 1 --json >"$tmp/out" 2>"$tmp/err" \
   && grep -q '"depth":6,' "$tmp/out" \
   && ! "$PONDER" bench -m "$M" --backend cpu -p 4 -n 2 -d 30 --ctx 32 >"$tmp/out2" 2>"$tmp/err2" \
   && [ "$(wc -l <"$tmp/err2")" -eq 1 ] && grep -q "do not fit the context of 32" "$tmp/err2"; then
    echo "PASS: bench -d"
else
    echo "FAIL: bench -d: $(head -n 1 "$tmp/err") $(head -n 2 "$tmp/err2")"
fi

# bench -r: each test runs N times (default 3); the reported tok/s is the
# median of the per-repetition list, and min/max its extremes
# bench_reps_check FILE N: why FILE's numbers do not hold up (nothing if they do)
bench_reps_check() {
    tr -d '{}' <"$1" | awk -v want="$2" '
        { gsub(/"/, "")
          while (match($0, /[a-z_]+:\[[^]]*\]/)) {    # key:[v1,v2,...]
              kv = substr($0, RSTART, RLENGTH)
              $0 = substr($0, 1, RSTART - 1) substr($0, RSTART + RLENGTH)
              k = substr(kv, 1, index(kv, ":") - 1); list[k] = substr(kv, length(k) + 3)
              sub(/\]$/, "", list[k]) }
          n = split($0, f, ",")
          for (i = 1; i <= n; i++) if (split(f[i], p, ":") == 2) v[p[1]] = p[2] }
        END {
          if (v["repetitions"] != want) { print "repetitions " v["repetitions"]; exit }
          for (t = 1; t <= 2; t++) {
              k = t == 1 ? "prefill_tok_s" : "decode_tok_s"
              if (!((k "_min") in v) || !((k "_max") in v) || !((k "_each") in list)) {
                  print k ": no _min, _max or _each"; exit }
              m = split(list[k "_each"], e, ",")
              if (m != want) { print k "_each has " m " values"; exit }
              lo = hi = e[1] + 0; sum = 0
              for (i = 1; i <= m; i++) { x = e[i] + 0; sum += x; if (x <= 0) { print k ": " x; exit }
                                         if (x < lo) lo = x; if (x > hi) hi = x }
              med = v[k] + 0
              if (v[k "_min"] + 0 != lo || v[k "_max"] + 0 != hi) { print k ": min/max are not the list'"'"'s"; exit }
              if (med < lo || med > hi) { print k " " med " not in [" lo ", " hi "]"; exit }
              if (m == 2 && (med - sum / 2 > 0.002 || sum / 2 - med > 0.002)) {
                  print k " " med " is not the middle of " lo " and " hi; exit }
          } }'
}
if "$PONDER" bench -m "$M" --backend cpu -p 4 -n 2 -r 2 --threads 1 --json >"$tmp/out" 2>"$tmp/err" \
   && "$PONDER" bench -m "$M" --backend cpu -p 4 -n 2 --threads 1 --json >"$tmp/out3" 2>>"$tmp/err" \
   && "$PONDER" bench -m "$M" --backend cpu -p 4 -n 2 -r 2 --threads 1 >"$tmp/out2" 2>>"$tmp/err"; then
    why="$(bench_reps_check "$tmp/out" 2)$(bench_reps_check "$tmp/out3" 3)"
    grep -q '^tok/s .*median of 2 repetitions' "$tmp/out2" \
        && [ "$(grep -c '^prefill .*tok/s \[[0-9.]*-[0-9.]*\]' "$tmp/out2")" -eq 1 ] \
        || why="$why text: no median header or [min-max]"
    if [ -z "$why" ]; then echo "PASS: bench -r"; else echo "FAIL: bench -r: $why"; fi
else
    echo "FAIL: bench -r: $(head -n 1 "$tmp/err")"
fi
# a bad -r: exit 2 (usage) and one line that names -r and the value
for bad in 0 abc 101; do
    "$PONDER" bench -m "$M" -p 4 -n 2 -r "$bad" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ] \
       && grep -q "^ponder: bench: -r: '$bad' is not a whole number from 1 to 100" "$tmp/err"; then
        echo "PASS: bench -r $bad"
    else
        echo "FAIL: bench -r $bad: exit status $rc ($(head -n 2 "$tmp/err"))"
    fi
done
