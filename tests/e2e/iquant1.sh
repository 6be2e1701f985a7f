#!/bin/sh
# iquant1.sh - IQ1_S and IQ1_M weights in files made by llama.cpp's own
# llama-quantize with an importance matrix (tests/fixtures/quant/README),
# which the IQ1 types require: the DeepSeek-V3-style model of
# kquant-low.sh (MLA, sigmoid-routed experts in groups, a shared expert)
# quantized IQ1_S and IQ1_M, output.weight included; token_embd Q2_K (the
# mix's: the imatrix has no entry for a lookup table), the rows of 32..128
# values (attn_k_b, attn_output, the experts' ffn_down) IQ4_NL,
# llama-quantize's fallback.  Checks: `ponder info` lists the types, the
# logits are the same with 1 and 2 threads, and match llama.cpp's logits
# (committed).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
Q=$SRC/tests/fixtures/quant
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-iq1.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$SRC/tests/e2e/quantfile-lib"

# llama.cpp (0c1e570, x86 CPU, its IQ1 dots the AVX2 ones) on the same
# files: ponder's IQ1_S and IQ1_M dots and their Q8_K activations are
# ggml's bit for bit (tools/quant_vs_ggml.c; also on llama.cpp's own
# activations of these files, dumped by lcpp_dump: output, ffn_*_shexp,
# attn_kv_a_mqa).  When written, each file had 27 of the 32 positions
# within 2e-6 and 5 off by 0.005-0.13, not at routing near-ties (the
# group scores there are 0.05 or more apart): rounding elsewhere that this
# tiny random model amplifies (llama.cpp's dumped outputs of those same
# products differ from its vec_dot on its dumped inputs by up to 1e-6 in
# 40-65% of them, for IQ2_XXS's file too).
NAME=iq1-s
qf_info "$Q/ds3-mini-IQ1_S.gguf" IQ1_S IQ1_S 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ1_S.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ1_S.llama.f32" 512 0.25 24
fi

NAME=iq1-m
qf_info "$Q/ds3-mini-IQ1_M.gguf" IQ1_M IQ1_M 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ1_M.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ1_M.llama.f32" 512 0.25 24
fi
