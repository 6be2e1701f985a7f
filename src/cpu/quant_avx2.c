/* quant_avx2.c - 256-bit x86 kernels for the quant formats: dot products
 * (integer maddubs for the quantized types), dequantize, the Q8_0/Q8_K
 * activation quantizers and the prefill tiles (a weight block unpacked once
 * for 4-8 activation columns).
 *
 * Built with -mavx2 -mfma -mf16c.  quant_avx512.c includes this file again
 * with AVX-512 VNNI enabled, which turns the integer multiply-adds into
 * vpdpbusd / vpdpwssd (identical results: nothing here saturates).
 * The kernels are in quant_x86_*.inc by family (one translation unit, so
 * that both builds inline across them); this file sets the level's switches
 * and fills its table.
 */
#include "quant_simd.h"
#include "iq_grids.h"

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifndef PD_X86_FILL
#define PD_X86_FILL pd_quant_kernels_avx2
#define PD_X86_LINKAGE
#define PD_X86_NAME "avx2"
#endif

/* PD_VNNI: vpdpbusd/vpdpwssd on 256-bit vectors; PD_REGS32: 32 vector
 * registers, so the tiles take twice the columns.  PD_EMULATE_AVX512 sets
 * both in a test build that runs this AVX-512 code on an AVX2 machine, with
 * the three AVX-512 instructions used written in AVX2 (tests/unit/avx512_emu.h). */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__) || defined(PD_EMULATE_AVX512)
#define PD_VNNI 1
#endif
#if defined(__AVX512F__) || defined(PD_EMULATE_AVX512)
#define PD_REGS32 1
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The kernels, in files by family (each only compiles as part of this one) */
#include "quant_x86_base.inc"
#include "quant_x86_dots.inc"
#include "quant_x86_dots_iq.inc"
#include "quant_x86_convert.inc"
#include "quant_x86_tiles.inc"
#include "quant_x86_q4k.inc"
#include "quant_x86_rowwise.inc"

/* ========================================================================
 * Table
 * ======================================================================== */
PD_X86_LINKAGE void PD_X86_FILL(pd_quant_kernels *k)
{
    k->name = PD_X86_NAME;
    k->dot[PD_TYPE_F32] = dot_f32;
    k->dot[PD_TYPE_F16] = dot_f16;
    k->dot[PD_TYPE_BF16] = dot_bf16;
    k->dot[PD_TYPE_Q8_0] = dot_q8_0;
    k->dot[PD_TYPE_Q4_0] = dot_q4_0;
    k->dot[PD_TYPE_Q4_1] = dot_q4_1;
    k->dot[PD_TYPE_Q5_0] = dot_q5_0;
    k->dot[PD_TYPE_Q5_1] = dot_q5_1;
    k->dot[PD_TYPE_Q2_K] = dot_q2_k;   /* (Q2_K/Q3_K dequantize: the scalar reference's) */
    k->dot[PD_TYPE_Q3_K] = dot_q3_k;
    k->dot[PD_TYPE_IQ4_NL] = dot_iq4_nl;   /* (their dequantize: the scalar reference's) */
    k->dot[PD_TYPE_IQ4_XS] = dot_iq4_xs;
    k->dot[PD_TYPE_IQ2_XXS] = dot_iq2_xxs;   /* (dequantize: the scalar reference's) */
    k->dot[PD_TYPE_IQ3_XXS] = dot_iq3_xxs;
    k->dot[PD_TYPE_IQ3_S] = dot_iq3_s;
    k->dot[PD_TYPE_IQ2_XS] = dot_iq2_xs;
    k->dot[PD_TYPE_IQ2_S] = dot_iq2_s;
    k->dot[PD_TYPE_IQ1_S] = dot_iq1_s;
    k->dot[PD_TYPE_IQ1_M] = dot_iq1_m;
    k->dot[PD_TYPE_Q4_K] = dot_q4_k;
    k->dot[PD_TYPE_Q5_K] = dot_q5_k;
    k->dot[PD_TYPE_Q6_K] = dot_q6_k;
    k->dequantize[PD_TYPE_F16] = deq_f16;
    k->dequantize[PD_TYPE_BF16] = deq_bf16;
    k->dequantize[PD_TYPE_Q8_0] = deq_q8_0;
    k->dequantize[PD_TYPE_Q4_0] = deq_q4_0;
    k->dequantize[PD_TYPE_Q4_1] = deq_q4_1;
    k->dequantize[PD_TYPE_Q5_0] = deq_q5_0;
    k->dequantize[PD_TYPE_Q5_1] = deq_q5_1;
    k->dequantize[PD_TYPE_Q4_K] = deq_q4_k;
    k->dequantize[PD_TYPE_Q5_K] = deq_q5_k;
    k->dequantize[PD_TYPE_Q6_K] = deq_q6_k;
    k->quantize[PD_TYPE_Q8_0] = qnt_q8_0;
    k->quantize[PD_TYPE_Q8_1] = qnt_q8_1;
    k->quantize[PD_TYPE_Q8_K] = qnt_q8_k;
    k->quantize[PD_TYPE_F16] = qnt_f16;
    k->quantize[PD_TYPE_BF16] = qnt_bf16;
    k->tile[PD_TYPE_Q8_0] = tile_q8_0;
    k->tile[PD_TYPE_Q5_0] = tile_q5_0;
    k->tile[PD_TYPE_Q4_0] = tile_q4_0;
    k->tile[PD_TYPE_Q4_K] = tile_q4_k;
    k->tile[PD_TYPE_Q5_K] = tile_q5_k;
    k->tile[PD_TYPE_Q6_K] = tile_q6_k;
    k->tile[PD_TYPE_Q2_K] = tile_q2_k;
    k->tile[PD_TYPE_Q3_K] = tile_q3_k;
    k->tile[PD_TYPE_IQ4_NL] = tile_iq4_nl;
    k->tile[PD_TYPE_IQ4_XS] = tile_iq4_xs;
    k->tile[PD_TYPE_IQ2_XXS] = tile_iq2_xxs;
    k->tile[PD_TYPE_IQ3_XXS] = tile_iq3_xxs;
    k->tile[PD_TYPE_IQ3_S] = tile_iq3_s;
    k->tile[PD_TYPE_IQ2_XS] = tile_iq2_xs;
    k->tile[PD_TYPE_IQ2_S] = tile_iq2_s;
    k->tile[PD_TYPE_IQ1_S] = tile_iq1_s;
    k->tile[PD_TYPE_IQ1_M] = tile_iq1_m;
    k->tile[PD_TYPE_F16] = tile_f16;
    k->tile[PD_TYPE_BF16] = tile_bf16;
    k->q4k_gemv = q4k_gemv;
    k->q4k_gemm = q4k_gemm;
    k->q4k8_gemv = q4k8_gemv;
    k->q4k8_gemm = q4k8_gemm;
}
