#!/bin/sh
# synth.sh - `ponder synth` writes small presets that `ponder info` reads
# back with the right architecture and shapes; bad usage exits 2; a failed
# write exits 1 with one line and leaves no file.
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-synth.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# synth_info NAME SYNTH-ARGS -- PATTERN...: synth then info; every pattern
# (extended regex) must match a line of the info output.
synth_info() {
    name=$1
    shift
    args=""
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do args="$args $1"; shift; done
    shift
    # shellcheck disable=SC2086
    if ! "$PONDER" synth $args -o "$tmp/$name.gguf" >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL: $name: synth failed: $(tail -n 1 "$tmp/err")"; return
    fi
    if ! "$PONDER" info -m "$tmp/$name.gguf" >"$tmp/info" 2>"$tmp/err"; then
        echo "FAIL: $name: info failed: $(head -n 1 "$tmp/err")"; return
    fi
    for pat in "$@"; do
        if ! grep -Eq -- "$pat" "$tmp/info"; then
            echo "FAIL: $name: no line matches '$pat'"; return
        fi
    done
    echo "PASS: $name"
}

synth_info test-moe-q4k --preset test-moe --type Q4_K -- \
    '^architecture: +qwen3moe$' '^  layers +2$' '^  experts +8$' '^  experts used per token +2$' \
    '^  vocabulary +512$' '^chat template: +qwen3 ' '^  Q4_K +16 tensors' '^parameters: +3,806,720 '
synth_info test-moe-q8 --preset test-moe --type q8_0 --seed 3 -- \
    '^  Q8_0 +16 tensors' '^  F32 +11 tensors'
# test-mla's attn_k_b rows are qk_nope = 64 values, no whole K-quant block:
# its 2 layers' attn_k_b fall back as llama-quantize's tensor_type_fallback
# does (Q6_K -> Q8_0, Q4_K -> Q5_0, Q5_K -> Q5_1); every other matrix fits
synth_info test-mla-q6k --preset test-mla --type Q6_K -- \
    '^architecture: +deepseek2$' '^  layers +2$' '^  MLA kv rank +256$' '^  shared experts +1$' \
    '^  dense lead blocks +1$' '^  Q8_0 +2 tensors' '^  Q6_K +21 tensors' '^chat template: +deepseek-r1 '
synth_info test-mla-q4k --preset test-mla --type Q4_K -- '^  Q5_0 +2 tensors' '^  Q4_K +21 tensors'
synth_info test-mla-q5km --preset test-mla --type Q5_K_M -- '^  Q5_1 +2 tensors' '^  Q6_K +3 tensors'
synth_info test-mla-bf16 --preset test-mla --type BF16 -- '^  BF16 +' '^file type: +mostly BF16'
# the _M mix: llama-quantize made the oracle's q3moe-Q4_K_M (2-layer qwen3moe
# with 16 experts, as test-moe --experts 16) with output, blk.1.attn_v and
# blk.1.ffn_down_exps in Q6_K
synth_info test-moe-q4km --preset test-moe --experts 16 --type Q4_K_M -- \
    '^file type: +Q4_K_M \(15\)$' '^  Q4_K +13 tensors' '^  Q6_K +3 tensors' '^  experts +16$'
# with 8 experts llama-quantize puts attn_v and attn_k in Q8_0 and
# attn_output in Q5_K (its Mixtral rules; the tables below hold every case)
synth_info test-moe-8e-q4km --preset test-moe --type Q4_K_M -- \
    '^  Q8_0 +4 tensors' '^  Q5_K +2 tensors' '^  Q6_K +2 tensors' '^  Q4_K +8 tensors'
synth_info test-mla-q4ks --preset test-mla --layers 4 --type q4_k_s -- \
    '^file type: +Q4_K_S \(14\)$' '^  layers +4$'
O=${PONDER_ORACLE:-}
if [ -n "$O" ] && [ -f "$O/models/q3moe-Q4_K_M.gguf" ]; then
    "$PONDER" info -m "$O/models/q3moe-Q4_K_M.gguf" 2>/dev/null | grep -E '^  Q[46]_K ' | awk '{ print $1, $2 }' >"$tmp/oracle.types"
    "$PONDER" info -m "$tmp/test-moe-q4km.gguf" 2>/dev/null | grep -E '^  Q[46]_K ' | awk '{ print $1, $2 }' >"$tmp/synth.types"
    if [ -s "$tmp/oracle.types" ] && cmp -s "$tmp/oracle.types" "$tmp/synth.types"; then
        echo "PASS: synth Q4_K_M: the same types as llama-quantize's q3moe-Q4_K_M"
    else
        echo "FAIL: synth Q4_K_M: $(tr '\n' ' ' <"$tmp/synth.types") vs llama-quantize's $(tr '\n' ' ' <"$tmp/oracle.types")"
    fi
fi

# every matrix's type against what llama-quantize chose for the same model
# (tests/fixtures/synth/*.types, made by tools/synth_mix_table.sh): one
# column per synth --type; plain types are llama-quantize --pure
for table in "$SRC"/tests/fixtures/synth/*.types; do
    name=$(basename "$table" .types)
    args=$(sed -n 's/^# synth args: //p' "$table")
    cols=$(grep -m1 '^tensor ' "$table")
    i=1
    for col in $cols; do
        i=$((i + 1))   # $col is column i - 1: column 1 is the name
        [ "$col" = tensor ] && continue
        grep -v '^#' "$table" | grep -v '^tensor ' | awk -v c="$((i - 1))" '{ print $1, $c }' \
            | LC_ALL=C sort >"$tmp/want"
        # shellcheck disable=SC2086
        "$PONDER" synth $args --type "$col" --tensors --dry-run 2>"$tmp/err" \
            | awk '$3 ~ /x/ { print $1, $2 }' | LC_ALL=C sort >"$tmp/got"
        if [ ! -s "$tmp/want" ]; then
            echo "FAIL: mix $name $col: no table column"
        elif cmp -s "$tmp/want" "$tmp/got"; then
            echo "PASS: mix $name $col: $(wc -l <"$tmp/want") matrices as llama-quantize"
        else
            echo "FAIL: mix $name $col: synth (<) vs llama-quantize (>): $(diff "$tmp/got" "$tmp/want" | grep '^[<>]' | head -n 6 | tr '\n' ' ')$(grep '^ponder: ' "$tmp/err")"
        fi
    done
done

# the legacy 32-value block types: the file loads and gives finite logits
for t in q4_0 q4_1 q5_0 q5_1; do
    for preset in test-moe test-mla; do
        f=$tmp/$preset-$t.gguf
        if ! "$PONDER" synth --preset "$preset" --type "$t" -o "$f" 2>"$tmp/err"; then
            echo "FAIL: legacy $preset $t: synth: $(tail -n 1 "$tmp/err")"; continue
        fi
        T=$(echo "$t" | tr a-z A-Z)
        if ! "$PONDER" info -m "$f" 2>/dev/null | grep -Eq "^  $T +[0-9]+ tensors"; then
            echo "FAIL: legacy $preset $t: no $T tensors in the file"
        elif ! "$PONDER" logits -m "$f" --backend cpu --threads 2 --tokens 1,2,3,4 --all --top 1 \
                --out "$tmp/l.f32" >"$tmp/out" 2>"$tmp/err"; then
            echo "FAIL: legacy $preset $t: logits: $(head -n 1 "$tmp/err")"
        elif od -An -v -f "$tmp/l.f32" | tr -s ' ' '\n' | grep -Eiq 'nan|inf'; then
            echo "FAIL: legacy $preset $t: logits not finite"
        elif [ "$(od -An -v -f "$tmp/l.f32" | wc -w)" -ne 2048 ]; then
            echo "FAIL: legacy $preset $t: $(od -An -v -f "$tmp/l.f32" | wc -w) logits, expected 4 x 512"
        else
            echo "PASS: legacy $preset $t: loads, finite logits"
        fi
    done
done

# stderr not a terminal (a CI log): the summary line only, no progress lines
"$PONDER" synth --preset test-moe --type Q4_K -o "$tmp/quiet.gguf" 2>"$tmp/err"
if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^wrote $tmp/quiet.gguf: preset test-moe, " "$tmp/err"; then
    echo "PASS: no progress lines off a terminal"
else
    echo "FAIL: no progress lines off a terminal: $(cat "$tmp/err")"
fi

# same seed, same bytes
"$PONDER" synth --preset test-moe --type Q4_K -o "$tmp/again.gguf" 2>/dev/null
if cmp -s "$tmp/again.gguf" "$tmp/test-moe-q4k.gguf"; then echo "PASS: deterministic"
else echo "FAIL: deterministic: two runs with seed 1 differ"; fi

# the big presets plan with their real parameter counts
if "$PONDER" synth --preset qwen3-30b-a3b --type Q4_K --dry-run 2>"$tmp/err" &&
   grep -q ' 30532122624 parameters' "$tmp/err"; then echo "PASS: dry-run-qwen3-30b"
else echo "FAIL: dry-run-qwen3-30b: $(cat "$tmp/err")"; fi
# mini-mla: 2 x 1024 x 129280 embeddings + output norm 1024; per layer
# attention 7,933,184 (q_a 786,432 + q_b 2,359,296 + kv_a 589,824 + k_b and
# v_b 1,048,576 each + o 2,097,152 + four norms 3,328) x 12; one dense FFN
# 12,582,912; 11 MoE FFNs of 103,874,624 (64 experts x 1,572,864 + shared
# 3,145,728 + router 65,536 + bias 64)
if "$PONDER" synth --preset mini-mla --type Q4_K --dry-run 2>"$tmp/err" &&
   grep -q ' 1515168448 parameters' "$tmp/err"; then echo "PASS: dry-run-mini-mla"
else echo "FAIL: dry-run-mini-mla: $(cat "$tmp/err")"; fi
if "$PONDER" synth --list | grep -q '^mini-moe '; then echo "PASS: list"
else echo "FAIL: list: no mini-moe"; fi

# errors: exit status, one stderr line starting with "ponder: "
check_error() {
    name=$1 want=$2
    shift 2
    "$PONDER" synth "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $name: exit status $rc, expected $want ($(head -n 1 "$tmp/err"))"
    elif [ "$lines" -ne 1 ] || ! grep -q '^ponder: ' "$tmp/err"; then
        echo "FAIL: $name: expected one 'ponder: ' line on stderr, got: $(cat "$tmp/err")"
    else
        echo "PASS: $name"
    fi
}
check_error unknown-preset 2 --preset nope --type Q4_K -o "$tmp/x.gguf"
check_error bad-type 2 --preset test-moe --type Q2_K -o "$tmp/x.gguf"
check_error bad-mix 2 --preset test-moe --type Q6_K_M -o "$tmp/x.gguf"
check_error bad-experts 2 --preset test-mla --experts 3 --type Q4_K -o "$tmp/x.gguf"
check_error dense-experts 2 --preset deepseek-r1-distill-qwen-1.5b --experts 8 --dry-run
check_error bad-layers 2 --preset test-moe --layers 0 --dry-run
check_error no-output 2 --preset test-moe --type Q4_K
check_error no-preset 2 --type Q4_K -o "$tmp/x.gguf"
check_error missing-dir 1 --preset test-moe --type Q4_K -o "$tmp/no/such/dir/x.gguf"
if [ -e "$tmp/x.gguf" ] || ls "$tmp" | grep -q 'tmp-'; then
    echo "FAIL: no-partial-files: $(ls "$tmp")"
else
    echo "PASS: no-partial-files"
fi
