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

NAME=legacy
. "$SRC/tests/e2e/quantfile-lib"
qf_info "$F" Q4_K_M Q5_0 21 Q5_1 3 Q8_0 1
qf_logits "$F" || exit 0

# llama.cpp (0c1e570, x86 AVX2 CPU, 1 and 2 threads alike) on the same file:
# ponder's Q5_0/Q5_1/Q8_0 dots and activations are ggml's bit for bit, and
# when written 23 of the 32 positions agreed within 5e-7. The others differ
# by up to 0.04, as much as a Q8_0 + F16 quantization of the same model
# does (0.08), where Q5_0/Q5_1 play no part (the F16 products and MoE
# near-ties amplified). A wrong Q5_0/Q5_1 dot moves every position by far
# more: max 0.25 and half the positions within 1e-4.
qf_vs_llama "$LLAMA" 384 0.25 16

# vs the F32 model (HF transformers): Q4_K_M's own error. Written: rms 0.39
# (logits' std 1.02), max 2.8 on this tiny random model; a broken format
# gives rms of the order of the logits themselves.
set -- $(qf_compare "$tmp/t1.f32" "$HF" 384)
if [ "$1" != size ] && [ "$(echo "$2" | awk '{ print ($1 <= 0.6) }')" = 1 ]; then
    echo "PASS: legacy vs F32 (rms $2, max $1)"
else
    echo "FAIL: legacy vs F32: rms $2, max $1"
fi
