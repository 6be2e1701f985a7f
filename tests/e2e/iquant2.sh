#!/bin/sh
# iquant2.sh - IQ2_XS and IQ2_S weights in files made by llama.cpp's own
# llama-quantize with an importance matrix (tests/fixtures/quant/README):
# the DeepSeek-V3-style model of kquant-low.sh (MLA, sigmoid-routed experts
# in groups, a shared expert) quantized IQ2_XS, output.weight included
# (token_embd Q2_K, the mix's: the imatrix has no entry for a lookup
# table), and IQ2_M, whose matrices are IQ2_S (output included) and whose
# token_embd is IQ3_S; their rows of 32..128 values (attn_k_b, attn_output,
# the experts' ffn_down) IQ4_NL, llama-quantize's fallback.
# Checks: `ponder info` lists the types, the logits are the same with 1 and
# 2 threads, and match llama.cpp's logits (committed).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
Q=$SRC/tests/fixtures/quant
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-iq2x.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$SRC/tests/e2e/quantfile-lib"

# llama.cpp (0c1e570, x86, AVX-512 on) on the same files, its vec_dot path
# (GGML_CPU_TILED_MM=0): ponder's IQ2_XS and IQ2_S dots and their Q8_K
# activations are ggml's vec_dot bit for bit (tools/quant_vs_ggml.c).  When
# written, both files had all 32 positions within 2e-6.  (llama.cpp's
# default takes its tiled int8 GEMM for products of 8 or more rows, which
# rounds otherwise: the IQ2_XS file's position 29 is then off by 0.08.)
NAME=iq2-xs
qf_info "$Q/ds3-mini-IQ2_XS.gguf" IQ2_XS IQ2_XS 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ2_XS.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ2_XS.llama.f32" 512 0.25 30
fi

NAME=iq2-m
qf_info "$Q/ds3-mini-IQ2_M.gguf" IQ2_M IQ2_S 9 IQ3_S 1 IQ4_NL 4
if qf_logits "$Q/ds3-mini-IQ2_M.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ2_M.llama.f32" 512 0.25 30
fi
