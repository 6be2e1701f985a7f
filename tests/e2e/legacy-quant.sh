#!/bin/sh
# legacy-quant.sh - a file made by llama.cpp's own llama-quantize that needs
# its fallback types: hf-deepseek-v3 (tests/fixtures/hf) quantized to Q4_K_M.
# Its rows (64, 48, 96, 32 values) fit no K-quant block, so llama-quantize
# stored them as Q5_0 (for Q4_K), Q5_1 (for Q5_K) and Q8_0 (for Q6_K), the
# 16- and 24-value rows as F16 -- as real DeepSeek Q4_K_M files store
# attn_k_b (tests/fixtures/README).  Checks: `ponder info` lists the types,
# the logits of the HF fixture's prompt are the same with 1 and 2 threads,
# match llama.cpp's logits of the same file (committed), and stay near the
# F32 model's (HF transformers' logits).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
F=$SRC/tests/fixtures/quant/hf-deepseek-v3-Q4_K_M.gguf
LLAMA=$SRC/tests/fixtures/quant/hf-deepseek-v3-Q4_K_M.llama.f32
HF=$SRC/tests/fixtures/hf/hf-deepseek-v3.logits.f32
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-legacy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if "$PONDER" info -m "$F" >"$tmp/info" 2>"$tmp/err" &&
   grep -Eq '^  Q5_0 +21 tensors' "$tmp/info" && grep -Eq '^  Q5_1 +3 tensors' "$tmp/info" &&
   grep -Eq '^  Q8_0 +1 tensors' "$tmp/info" && grep -Eq '^file type: +Q4_K_M ' "$tmp/info"; then
    echo "PASS: legacy info"
else
    echo "FAIL: legacy info: $(head -n 1 "$tmp/err") $(grep -E '^  (Q|F)' "$tmp/info" | tr -s ' ' | tr '\n' ';')"
fi

# the HF fixture's prompt (tests/fixtures/hf/hf-deepseek-v3.json)
ids=119,113,109,314,231,231,362,340,49,225,284,168,90,355,322,82,220,347,232,339,55,210,38,235,135,167,77,206,81,188,364,333
for t in 1 2; do
    if ! "$PONDER" logits -m "$F" --backend cpu --threads $t --tokens "$ids" --all --top 1 \
            --out "$tmp/t$t.f32" >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL: legacy logits --threads $t: $(head -n 1 "$tmp/err")"
        exit 0
    fi
done
if cmp -s "$tmp/t1.f32" "$tmp/t2.f32"; then echo "PASS: legacy logits, 1 and 2 threads the same"
else echo "FAIL: legacy logits differ between 1 and 2 threads"; fi

# compare A B: "max_abs rms positions_within_1e-4" over [32][384] floats
compare() {
    od -An -v -f "$1" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/a.txt"
    od -An -v -f "$2" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/b.txt"
    paste "$tmp/a.txt" "$tmp/b.txt" | awk -v V=384 '
        NF != 2 { bad = 1 }
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; s += d * d
          p = int((NR - 1) / V); if (d > pm[p]) pm[p] = d }
        END { if (bad || NR != 32 * V) { print "size"; exit }
              for (p = 0; p < 32; p++) close_ += pm[p] <= 1e-4
              printf "%.6g %.6g %d\n", m, sqrt(s / NR), close_ }'
}

# llama.cpp (0c1e570, x86 AVX2 CPU, 1 and 2 threads alike) on the same file:
# ponder's Q5_0/Q5_1/Q8_0 dots and activations are ggml's bit for bit, and
# when written 23 of the 32 positions agreed within 5e-7. The others differ
# by up to 0.04, as much as a Q8_0 + F16 quantization of the same model
# does (0.08), where Q5_0/Q5_1 play no part (the F16 products and MoE
# near-ties amplified). A wrong Q5_0/Q5_1 dot moves every position by far
# more: max 0.25 and half the positions within 1e-4.
set -- $(compare "$tmp/t1.f32" "$LLAMA")
if [ "$1" = size ]; then
    echo "FAIL: legacy vs llama.cpp: the logits' size differs"
elif [ "$(echo "$1 $3" | awk '{ print ($1 <= 0.25 && $2 >= 16) }')" = 1 ]; then
    echo "PASS: legacy vs llama.cpp (max |dlogit| $1, $3/32 positions within 1e-4)"
else
    echo "FAIL: legacy vs llama.cpp: max |dlogit| $1, $3/32 positions within 1e-4"
fi

# vs the F32 model (HF transformers): Q4_K_M's own error. Written: rms 0.39
# (logits' std 1.02), max 2.8 on this tiny random model; a broken format
# gives rms of the order of the logits themselves.
set -- $(compare "$tmp/t1.f32" "$HF")
if [ "$1" != size ] && [ "$(echo "$2" | awk '{ print ($1 <= 0.6) }')" = 1 ]; then
    echo "PASS: legacy vs F32 (rms $2, max $1)"
else
    echo "FAIL: legacy vs F32: rms $2, max $1"
fi
