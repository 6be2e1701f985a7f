#!/bin/sh
# iquant-xxs.sh - IQ2_XXS, IQ3_XXS and IQ3_S weights in files made by
# llama.cpp's own llama-quantize with an importance matrix
# (tests/fixtures/quant/README): the DeepSeek-V3-style model of
# kquant-low.sh (MLA, sigmoid-routed experts in groups, a shared expert)
# quantized IQ2_XXS, output.weight included (token_embd Q2_K: llama-quantize
# has no imatrix entry for it, which IQ2_XXS needs), and with the IQ3_XXS
# mix, whose token_embd is IQ3_S (the embedding lookup dequantizes IQ3_S
# rows), output.weight IQ3_S too; their rows of 32..128 values (attn_k_b,
# attn_output, the experts' ffn_down) IQ4_NL, llama-quantize's fallback.
# Checks: `ponder info` lists the types, the logits are the same with 1 and
# 2 threads, and match llama.cpp's logits (committed).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
Q=$SRC/tests/fixtures/quant
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-iqxxs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$SRC/tests/e2e/quantfile-lib"

# llama.cpp (0c1e570, x86 AVX2 CPU) on the same files: ponder's IQ2_XXS,
# IQ3_XXS and IQ3_S dots and their Q8_K activations are ggml's bit for bit
# (tools/quant_vs_ggml.c).  When written, the IQ2_XXS file had
# 30 of the 32 positions within 2e-6 and 2 off by 0.09-0.12, the IQ3_XXS
# one 23 within 2e-6 and 9 off by 0.08-0.15: expert near-ties of this tiny
# random model that rounding elsewhere tips (llama.cpp's F32 attention and
# GEMM orders), as in iquant4.sh.
NAME=iq2-xxs
qf_info "$Q/ds3-mini-IQ2_XXS.gguf" IQ2_XXS IQ2_XXS 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ2_XXS.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ2_XXS.llama.f32" 512 0.25 27
fi

NAME=iq3-xxs
qf_info "$Q/ds3-mini-IQ3_XXS.gguf" IQ3_XXS IQ3_XXS 8 IQ3_S 2 IQ4_NL 4
if qf_logits "$Q/ds3-mini-IQ3_XXS.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ3_XXS.llama.f32" 512 0.25 20
fi
