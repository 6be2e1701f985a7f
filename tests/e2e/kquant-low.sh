#!/bin/sh
# kquant-low.sh - Q2_K and Q3_K weights in a file made by llama.cpp's own
# llama-quantize (tests/fixtures/quant/README): a DeepSeek-V3-style model (MLA,
# sigmoid-routed experts in groups, a shared expert) with rows of 256,
# quantized with the Q2_K mix and output.weight in Q3_K: 9 matrices Q2_K
# (token_embd too, so the embedding lookup dequantizes Q2_K rows), output
# Q3_K, and the rows of 64 and 32 values (attn_k_b, attn_output, the
# experts' ffn_down) Q4_0, llama-quantize's fallback for Q2_K/Q3_K.
# Checks: `ponder info` lists the types, the logits are the same with 1 and
# 2 threads, and match llama.cpp's logits of the same file (committed).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
F=$SRC/tests/fixtures/quant/ds3-mini-Q2_K.gguf
LLAMA=$SRC/tests/fixtures/quant/ds3-mini-Q2_K.llama.f32
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-klow.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if "$PONDER" info -m "$F" >"$tmp/info" 2>"$tmp/err" &&
   grep -Eq '^  Q2_K +9 tensors' "$tmp/info" && grep -Eq '^  Q3_K +1 tensors' "$tmp/info" &&
   grep -Eq '^  Q4_0 +4 tensors' "$tmp/info" && grep -Eq '^file type: +Q2_K ' "$tmp/info"; then
    echo "PASS: k-low info"
else
    echo "FAIL: k-low info: $(head -n 1 "$tmp/err") $(grep -E '^  (Q|F)' "$tmp/info" | tr -s ' ' | tr '\n' ';')"
fi

# the prompt of tests/e2e/legacy-quant.sh (ids < 384 < this vocabulary's 512)
ids=119,113,109,314,231,231,362,340,49,225,284,168,90,355,322,82,220,347,232,339,55,210,38,235,135,167,77,206,81,188,364,333
for t in 1 2; do
    if ! "$PONDER" logits -m "$F" --backend cpu --threads $t --tokens "$ids" --all --top 1 \
            --out "$tmp/t$t.f32" >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL: k-low logits --threads $t: $(head -n 1 "$tmp/err")"
        exit 0
    fi
done
if cmp -s "$tmp/t1.f32" "$tmp/t2.f32"; then echo "PASS: k-low logits, 1 and 2 threads the same"
else echo "FAIL: k-low logits differ between 1 and 2 threads"; fi

# compare A B: "max_abs rms positions_within_1e-4" over [32][512] floats
compare() {
    od -An -v -f "$1" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/a.txt"
    od -An -v -f "$2" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/b.txt"
    paste "$tmp/a.txt" "$tmp/b.txt" | awk -v V=512 '
        NF != 2 { bad = 1 }
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; s += d * d
          p = int((NR - 1) / V); if (d > pm[p]) pm[p] = d }
        END { if (bad || NR != 32 * V) { print "size"; exit }
              for (p = 0; p < 32; p++) close_ += pm[p] <= 1e-4
              printf "%.6g %.6g %d\n", m, sqrt(s / NR), close_ }'
}

# llama.cpp (0c1e570, x86 AVX2 CPU; llama-quantize of the same build) on
# the same file: ponder's Q2_K/Q3_K dots and Q8_K activations are ggml's
# bit for bit (tools/quant_vs_ggml.c), and when written 31 of the 32
# positions agreed within 2e-6 (llama.cpp repacks the Q4_0 rows, which
# rounds differently); position 26 differs by 0.066 (an expert near-tie).
# The Q2_K products in another float order (the mins added after the
# scales) still leave 30 positions within 1e-4 -- only the unit tests see
# rounding; Q2_K without its mins gives max 11.9 and no position within 1e-4.
set -- $(compare "$tmp/t1.f32" "$LLAMA")
if [ "$1" = size ]; then
    echo "FAIL: k-low vs llama.cpp: the logits' size differs"
elif [ "$(echo "$1 $3" | awk '{ print ($1 <= 0.25 && $2 >= 28) }')" = 1 ]; then
    echo "PASS: k-low vs llama.cpp (max |dlogit| $1, $3/32 positions within 1e-4)"
else
    echo "FAIL: k-low vs llama.cpp: max |dlogit| $1, $3/32 positions within 1e-4"
fi
