#!/bin/sh
# synth_mix_table.sh - write tests/fixtures/synth/*.types: the type that
# llama.cpp's llama-quantize gives every matrix of small `ponder synth`
# models, for each --type that synth offers. tests/e2e/synth.sh checks that
# synth's own choices (`synth --tensors --dry-run`) are the same. The
# expected types come from llama-quantize only: synth writes an F16 file
# (whose types are not in question) that llama-quantize converts.
#
# usage: tools/synth_mix_table.sh PONDER LLAMA_QUANTIZE [OUTDIR]
#   PONDER          a built ponder binary
#   LLAMA_QUANTIZE  llama.cpp's llama-quantize (with its libraries on
#                   LD_LIBRARY_PATH)
#   OUTDIR          default tests/fixtures/synth
set -eu
ponder=$1
quantize=$2
outdir=${3:-tests/fixtures/synth}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/synth-mix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$outdir"

# The columns: synth's --type, then the llama-quantize arguments that make
# the same file. synth's plain types put every matrix in that type, which is
# llama-quantize --pure (Q4_K and Q5_K files are Q4_K_S / Q5_K_S then).
columns='Q4_K_M:Q4_K_M Q5_K_M:Q5_K_M Q4_K_S:Q4_K_S Q5_K_S:Q5_K_S
Q4_0:--pure,Q4_0 Q4_1:--pure,Q4_1 Q5_0:--pure,Q5_0 Q5_1:--pure,Q5_1 Q8_0:--pure,Q8_0
Q4_K:--pure,Q4_K_S Q5_K:--pure,Q5_K_S Q6_K:--pure,Q6_K'

# table NAME SYNTH-ARGS...: one file; first column the tensor name, then
# one column per synth --type; 1-D tensors (always F32) are left out.
table() {
    name=$1
    shift
    "$ponder" synth "$@" --type F16 -o "$tmp/f16.gguf" 2>/dev/null
    : >"$tmp/all"
    header="tensor"
    for col in $columns; do
        synth_type=${col%%:*}
        args=$(echo "${col#*:}" | tr ',' ' ')
        header="$header $synth_type"
        # shellcheck disable=SC2086
        "$quantize" ${args%%Q*} "$tmp/f16.gguf" "$tmp/q.gguf" ${args##* } 1 >"$tmp/log" 2>&1 || {
            echo "llama-quantize failed for $name $synth_type:" >&2; tail -n 5 "$tmp/log" >&2; exit 1; }
        # "[  4/ 34] blk.0.attn_k_b.weight - [ 64, 256, 4, 1], type = f16,
        #  converting to q5_0 .." (no "converting": kept as it was)
        sed -n 's/^\[ *[0-9]*\/ *[0-9]*\] \([^ ]*\) *- \[ *\([0-9]*\), *\([0-9]*\),.*type = *\([a-zA-Z0-9_]*\),\(.*\)$/\1 \3 \4 \5/p' \
            "$tmp/log" | awk -v col="$synth_type" '
            $2 == 1 { next }
            { t = $3; if (match($0, /converting to [a-zA-Z0-9_]+/)) t = substr($0, RSTART + 14, RLENGTH - 14)
              print $1, col, toupper(t) }' >>"$tmp/all"
    done
    {
        echo "# made by tools/synth_mix_table.sh from llama-quantize, $(grep -m1 '^version:' "$tmp/log" || echo 'version unknown')"
        echo "# synth args: $*"
        echo "$header"
        LC_ALL=C sort -s -k1,1 "$tmp/all" | awk '
            $1 != last { if (line != "") print line; line = $1; last = $1 }
            { line = line " " $3 }
            END { if (line != "") print line }'
    } >"$outdir/$name.types"
    echo "wrote $outdir/$name.types ($(grep -vc '^#' "$outdir/$name.types") lines)"
}

# deepseek2 (MLA, shared expert, a dense first layer), qwen3moe and a
# dense qwen2; 8 experts bring llama-quantize's 8-expert rules (attn_v and
# attn_k Q8_0, attn_output Q5_K); 12 layers show use_more_bits (the first
# and last eighth and every third layer between) and Q4_K_S's first four.
table mla-6l-8e --preset test-mla --layers 6
table mla-12l-16e --preset test-mla --layers 12 --experts 16
table moe-6l-8e --preset test-moe --layers 6
table moe-12l-16e --preset test-moe --layers 12 --experts 16
table qwen2-12l --preset test-qwen2 --layers 12
