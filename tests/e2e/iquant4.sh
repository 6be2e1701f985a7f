#!/bin/sh
# iquant4.sh - IQ4_XS and IQ4_NL weights in files made by llama.cpp's own
# llama-quantize (tests/fixtures/quant/README): the DeepSeek-V3-style model
# of kquant-low.sh (MLA, sigmoid-routed experts in groups, a shared expert)
# quantized IQ4_XS, with its rows of 32..128 values (attn_k_b, attn_output,
# the experts' ffn_down) in IQ4_NL, llama-quantize's fallback for IQ4_XS;
# and quantized IQ4_NL throughout.  token_embd and output in the file's
# type too.  ffn_down's rows are one IQ4_NL block: the odd-block tail of
# ggml's dot.  Checks: `ponder info` lists the types, the logits are the
# same with 1 and 2 threads, and match llama.cpp's logits (committed).
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
Q=$SRC/tests/fixtures/quant
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-iq4.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "$SRC/tests/e2e/quantfile-lib"

# llama.cpp (0c1e570, x86 AVX2 CPU) on the same files: ponder's IQ4_XS and
# IQ4_NL dots and their Q8_K/Q8_0 activations are ggml's bit for bit
# (tools/quant_vs_ggml.c).  When written, IQ4_XS: 24 of the 32 positions
# within 2e-6, the other 8 off by 0.07-0.12; IQ4_NL: 29 within 2e-6, 3 off
# by 0.06-0.08.  Those are expert near-ties of this tiny random model that
# rounding elsewhere tips (llama.cpp's F32 attention and GEMM orders): the
# same model in pure Q8_0 has 4 such positions, in Q4_0 2.  An IQ4 kernel
# reading one nibble or scale wrong moves every position.
NAME=iq4-xs
qf_info "$Q/ds3-mini-IQ4_XS.gguf" IQ4_XS IQ4_XS 10 IQ4_NL 4
if qf_logits "$Q/ds3-mini-IQ4_XS.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ4_XS.llama.f32" 512 0.25 22
fi

NAME=iq4-nl
qf_info "$Q/ds3-mini-IQ4_NL.gguf" IQ4_NL IQ4_NL 14
if qf_logits "$Q/ds3-mini-IQ4_NL.gguf"; then
    qf_vs_llama "$Q/ds3-mini-IQ4_NL.llama.f32" 512 0.25 27
fi
