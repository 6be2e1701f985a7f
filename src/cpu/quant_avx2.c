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
#include "cpu/settle.h"

#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
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
#define X86_DOTS(X) X(F32, dot_f32) X(F16, dot_f16) X(BF16, dot_bf16) X(Q8_0, dot_q8_0)      \
    X(Q4_0, dot_q4_0) X(Q4_1, dot_q4_1) X(Q5_0, dot_q5_0) X(Q5_1, dot_q5_1)                  \
    X(Q2_K, dot_q2_k) X(Q3_K, dot_q3_k) X(IQ4_NL, dot_iq4_nl) X(IQ4_XS, dot_iq4_xs)          \
    X(IQ2_XXS, dot_iq2_xxs) X(IQ3_XXS, dot_iq3_xxs) X(IQ3_S, dot_iq3_s)                       \
    X(IQ2_XS, dot_iq2_xs) X(IQ2_S, dot_iq2_s) X(IQ1_S, dot_iq1_s) X(IQ1_M, dot_iq1_m)        \
    X(Q4_K, dot_q4_k) X(Q5_K, dot_q5_k) X(Q6_K, dot_q6_k)
/* (Q2_K, Q3_K and the i-quants dequantize with the scalar reference) */
#define X86_DEQUANTIZE(X) X(F16, deq_f16) X(BF16, deq_bf16) X(Q8_0, deq_q8_0)                \
    X(Q4_0, deq_q4_0) X(Q4_1, deq_q4_1) X(Q5_0, deq_q5_0) X(Q5_1, deq_q5_1)                  \
    X(Q4_K, deq_q4_k) X(Q5_K, deq_q5_k) X(Q6_K, deq_q6_k)
#define X86_QUANTIZE(X) X(Q8_0, qnt_q8_0) X(Q8_1, qnt_q8_1) X(Q8_K, qnt_q8_k)                \
    X(F16, qnt_f16) X(BF16, qnt_bf16)
#define X86_TILES(X) X(Q8_0, tile_q8_0) X(Q5_0, tile_q5_0) X(Q4_0, tile_q4_0)                \
    X(Q4_K, tile_q4_k) X(Q5_K, tile_q5_k) X(Q6_K, tile_q6_k) X(Q2_K, tile_q2_k)              \
    X(Q3_K, tile_q3_k) X(IQ4_NL, tile_iq4_nl) X(IQ4_XS, tile_iq4_xs)                         \
    X(IQ2_XXS, tile_iq2_xxs) X(IQ3_XXS, tile_iq3_xxs) X(IQ3_S, tile_iq3_s)                   \
    X(IQ2_XS, tile_iq2_xs) X(IQ2_S, tile_iq2_s) X(IQ1_S, tile_iq1_s) X(IQ1_M, tile_iq1_m)    \
    X(F16, tile_f16) X(BF16, tile_bf16)
#define X86_ORDERED(X) X(q4k_gemv) X(q4k_gemm) X(q4k8_gemv) X(q4k8_gemm)

/* Every entry ends with a vzeroupper after the kernel (cpu/settle.h): GCC
 * emits none below -O2, and at -O2 may put a kernel's own before its last
 * work on ymm16-31 (dot_q2_k at the AVX-512 level did: RoPE after it ran
 * 50x slower, bench/NOTES.md session 8). */
#if defined(__AVX__)
#define SETTLED(f) f##_settled
#define SETTLE_DOT(T, f) static float f##_settled(int64_t n, const void *w, const void *x)   \
    {                                                                                        \
        float r = f(n, w, x);                                                                \
        PD_SETTLE_UPPER_WITH(r);                                                             \
        return r;                                                                            \
    }
#define SETTLE_DEQ(T, f) static void f##_settled(const void *src, float *dst, int64_t n)     \
    { f(src, dst, n); PD_SETTLE_UPPER(); }
#define SETTLE_QNT(T, f) static void f##_settled(const float *src, void *dst, int64_t n)     \
    { f(src, dst, n); PD_SETTLE_UPPER(); }
#define SETTLE_TILE_FN(f) static void f##_settled(int64_t n, const void *w, size_t ws, int nr, \
                                                  const void *x, size_t xs, int nc, float *out, \
                                                  size_t os)                                 \
    { f(n, w, ws, nr, x, xs, nc, out, os); PD_SETTLE_UPPER(); }
#define SETTLE_TILE(T, f) SETTLE_TILE_FN(f)
X86_DOTS(SETTLE_DOT)
X86_DEQUANTIZE(SETTLE_DEQ)
X86_QUANTIZE(SETTLE_QNT)
X86_TILES(SETTLE_TILE)
X86_ORDERED(SETTLE_TILE_FN)
#else
#define SETTLED(f) f
#endif

PD_X86_LINKAGE void PD_X86_FILL(pd_quant_kernels *k)
{
    k->name = PD_X86_NAME;
#define SET_DOT(T, f) k->dot[PD_TYPE_##T] = SETTLED(f);
#define SET_DEQ(T, f) k->dequantize[PD_TYPE_##T] = SETTLED(f);
#define SET_QNT(T, f) k->quantize[PD_TYPE_##T] = SETTLED(f);
#define SET_TILE(T, f) k->tile[PD_TYPE_##T] = SETTLED(f);
    X86_DOTS(SET_DOT)
    X86_DEQUANTIZE(SET_DEQ)
    X86_QUANTIZE(SET_QNT)
    X86_TILES(SET_TILE)
#undef SET_DOT
#undef SET_DEQ
#undef SET_QNT
#undef SET_TILE
    k->q4k_gemv = SETTLED(q4k_gemv);
    k->q4k_gemm = SETTLED(q4k_gemm);
    k->q4k8_gemv = SETTLED(q4k8_gemv);
    k->q4k8_gemm = SETTLED(q4k8_gemm);
}
