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

# llama.cpp (0c1e570, x86 CPU with AVX-512, GGML_CPU_TILED_MM=0: its
# products then run ggml's vec_dot, whose order ponder's are, bit for bit;
# its default "tiled" VNNI matmul rounds otherwise) on the same files
# (tools/quant_vs_ggml.c checks the IQ1 dots and their Q8_K activations).
# When written, each file had 31 of the 32 positions within 1e-4 (23 of
# them exactly equal) and one off by 0.005 (rounding elsewhere that
# this tiny random model amplifies; with the tiled matmul 5 positions
# were off by up to 0.13).
NAME=iq1-s
qf_info "$Q/ds3-mini-IQ1_S.gguf" IQ1_S IQ1_S 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ1_S.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ1_S.llama.f32" 512 0.05 29
fi

NAME=iq1-m
qf_info "$Q/ds3-mini-IQ1_M.gguf" IQ1_M IQ1_M 9 IQ4_NL 4 Q2_K 1
if qf_logits "$Q/ds3-mini-IQ1_M.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ1_M.llama.f32" 512 0.05 29
fi
