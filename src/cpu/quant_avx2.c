/* quant_avx2.c - 256-bit x86 kernels for the quant formats: dot products
 * (integer maddubs for the quantized types), dequantize, the Q8_0/Q8_K
 * activation quantizers and the prefill tiles (a weight block unpacked once
 * for 4-8 activation columns).
 *
 * Built with -mavx2 -mfma -mf16c.  quant_avx512.c includes this file again
 * with AVX-512 VNNI enabled, which turns the integer multiply-adds into
 * vpdpbusd / vpdpwssd (identical results: nothing here saturates).
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

/* ========================================================================
 * Small helpers
 * ======================================================================== */
ALWAYS_INLINE float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ALWAYS_INLINE float hsum_ps128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ALWAYS_INLINE float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

ALWAYS_INLINE __m256i load256(const void *p)
{
    return _mm256_loadu_si256((const __m256i *)p);
}

/* acc + sum of 4 adjacent u8*s8 products per i32 lane */
ALWAYS_INLINE __m256i dot_us8(__m256i acc, __m256i u, __m256i s)
{
#ifdef PD_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s),
                                                   _mm256_set1_epi16(1)));
#endif
}

/* acc + sum of 2 adjacent i16*i16 products per i32 lane */
ALWAYS_INLINE __m256i madd16(__m256i acc, __m256i a, __m256i b)
{
#ifdef PD_VNNI
    return _mm256_dpwssd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

/* signed x signed bytes via |a| and sign(b, a) */
ALWAYS_INLINE __m256i dot_ss8(__m256i acc, __m256i a, __m256i b)
{
    return dot_us8(acc, _mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

/* Q4_K/Q5_K 12-byte packed scales -> sc[0..7] (bytes 0-7), m[0..7] (8-15) */
ALWAYS_INLINE void unpack_k4_scales(const uint8_t s[12], uint32_t u[4])
{
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    uint32_t a0, a1, a2;
    memcpy(&a0, s, 4);
    memcpy(&a1, s + 4, 4);
    memcpy(&a2, s + 8, 4);
    u[0] = a0 & m6;
    u[1] = (a2 & m4) | (((a0 >> 6) & m2) << 4);
    u[2] = a1 & m6;
    u[3] = ((a2 >> 4) & m4) | (((a1 >> 6) & m2) << 4);
}

/* Q6_K: i16 vector with scale s in lanes 0-7 and s+1 in lanes 8-15 */
ALWAYS_INLINE __m256i q6_scale_pair(__m128i sc8, int s)
{
    const __m128i base = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m128i idx = _mm_add_epi8(base, _mm_set1_epi8((char)s));
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, idx));
}

/* 32 unsigned 6-bit Q6_K values (+32 offset) of group k (0..3) of a half */
ALWAYS_INLINE __m256i q6_unpack(const uint8_t *ql, const uint8_t *qh, int k)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(0x30);
    __m256i q4 = load256(ql + 32 * (k & 1));
    __m256i hb = load256(qh);
    __m256i lo = k < 2 ? _mm256_and_si256(q4, m4)
                       : _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
    __m256i hi;
    switch (k) {
    case 0: hi = _mm256_slli_epi16(hb, 4); break;
    case 1: hi = _mm256_slli_epi16(hb, 2); break;
    case 2: hi = hb; break;
    default: hi = _mm256_srli_epi16(hb, 2); break;
    }
    return _mm256_or_si256(lo, _mm256_and_si256(hi, m3));
}

/* ========================================================================
 * Float dot products (F32, F16, BF16): 4 accumulators, scalar tail
 * ======================================================================== */
ALWAYS_INLINE __m256 ld_f32(const void *p, int64_t i) { return _mm256_loadu_ps((const float *)p + i); }
ALWAYS_INLINE __m256 ld_f16(const void *p, int64_t i)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
}
ALWAYS_INLINE __m256 ld_bf16(const void *p, int64_t i)
{
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

#define PD_FLOAT_DOT(NAME, LOAD, SCALAR)                                        \
    static float NAME(int64_t n, const void *w, const void *x)                 \
    {                                                                           \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;             \
        int64_t i = 0;                                                          \
        for (; i + 32 <= n; i += 32) {                                          \
            s0 = _mm256_fmadd_ps(LOAD(w, i), LOAD(x, i), s0);                   \
            s1 = _mm256_fmadd_ps(LOAD(w, i + 8), LOAD(x, i + 8), s1);           \
            s2 = _mm256_fmadd_ps(LOAD(w, i + 16), LOAD(x, i + 16), s2);         \
            s3 = _mm256_fmadd_ps(LOAD(w, i + 24), LOAD(x, i + 24), s3);         \
        }                                                                       \
        for (; i + 8 <= n; i += 8)                                              \
            s0 = _mm256_fmadd_ps(LOAD(w, i), LOAD(x, i), s0);                   \
        float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
        for (; i < n; i++)                                                      \
            s += SCALAR(w, i) * SCALAR(x, i);                                   \
        return s;                                                               \
    }
#define SC_F32(p, i) (((const float *)(p))[i])
#define SC_F16(p, i) h2f(((const uint16_t *)(p))[i])
#define SC_BF16(p, i) pd_bf16_to_f32(((const uint16_t *)(p))[i])
PD_FLOAT_DOT(dot_f32_any, ld_f32, SC_F32)

/* F32 with n % 16 == 0 in tinyBLAS's order (quant.h): two 8-lane chains
 * are its 16 lanes; hsum_ps then adds 8..15 to 0..7, 4..7 to 0..3 and
 * (l0 + l2) + (l1 + l3), which is that order's reduction. */
static float dot_f32(int64_t n, const void *w, const void *x)
{
    if (n % 16 != 0)
        return dot_f32_any(n, w, x);
    __m256 lo = _mm256_setzero_ps(), hi = lo;
    for (int64_t i = 0; i < n; i += 16) {
        lo = _mm256_fmadd_ps(ld_f32(w, i), ld_f32(x, i), lo);
        hi = _mm256_fmadd_ps(ld_f32(w, i + 8), ld_f32(x, i + 8), hi);
    }
    return hsum_ps(_mm256_add_ps(lo, hi));
}
PD_FLOAT_DOT(dot_f16, ld_f16, SC_F16)
PD_FLOAT_DOT(dot_bf16, ld_bf16, SC_BF16)

/* ========================================================================
 * Quantized dot products
 * ======================================================================== */
static float dot_q8_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q8_0 *a = w, *b = x;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
    int64_t nb = n / PD_QK_0, i = 0;
    for (; i + 2 <= nb; i += 2) {
        __m256i p0 = dot_ss8(_mm256_setzero_si256(), load256(a[i].qs), load256(b[i].qs));
        __m256i p1 = dot_ss8(_mm256_setzero_si256(), load256(a[i + 1].qs), load256(b[i + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i + 1].d) * h2f(b[i + 1].d)),
                               _mm256_cvtepi32_ps(p1), acc1);
    }
    for (; i < nb; i++) {
        __m256i p0 = dot_ss8(_mm256_setzero_si256(), load256(a[i].qs), load256(b[i].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(p0), acc0);
    }
    return hsum_ps(_mm256_add_ps(acc0, acc1));
}

/* Q4_0 nibbles -> 32 signed bytes (-8..7) in element order */
ALWAYS_INLINE __m256i q4_0_unpack(const uint8_t *qs)
{
    __m128i t = _mm_loadu_si128((const __m128i *)qs);
    __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0f));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

static float dot_q4_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q4_0 *a = w;
    const pd_block_q8_0 *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        __m256i p = dot_ss8(_mm256_setzero_si256(), q4_0_unpack(a[i].qs), load256(b[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

/* ---- Q4_1 / Q5_0 / Q5_1: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* 16 bytes of nibbles -> 32 bytes 0..15 in element order */
ALWAYS_INLINE __m256i nibbles32(const uint8_t *qs)
{
    __m128i t = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0f));
}

/* A Q5 block's 32 high bits -> 32 bytes, 0xff where element j's bit is set:
 * each 128-bit half broadcasts its two bytes of qh, byte j tests bit j%8. */
ALWAYS_INLINE __m256i q5_high_mask(const uint8_t qh[4])
{
    int32_t h;
    memcpy(&h, qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(h), pick);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

/* Q5_0 quants as signed bytes: nibble - 16 where the 5th bit is clear
 * (0xf0 | nibble), the nibble where it is set */
ALWAYS_INLINE __m256i q5_0_unpack(const pd_block_q5_0 *b)
{
    __m256i hi = _mm256_andnot_si256(q5_high_mask(b->qh), _mm256_set1_epi8((char)0xf0));
    return _mm256_or_si256(nibbles32(b->qs), hi);
}

/* Q5_1 quants 0..31 */
ALWAYS_INLINE __m256i q5_1_unpack(const pd_block_q5_1 *b)
{
    __m256i hi = _mm256_and_si256(q5_high_mask(b->qh), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(nibbles32(b->qs), hi);
}

static float dot_q5_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q5_0 *a = w;
    const pd_block_q8_0 *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        __m256i p = dot_ss8(_mm256_setzero_si256(), q5_0_unpack(&a[i]), load256(b[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * h2f(b[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

/* Q4_1 / Q5_1 . Q8_1 (q5: Q5_1): the unsigned quants' 8 lanes in one fma
 * chain, plus sum m * s over the blocks, added last */
ALWAYS_INLINE float dot_x_1(int64_t n, const void *w, const void *x, bool q5)
{
    const pd_block_q4_1 *a4 = w;
    const pd_block_q5_1 *a5 = w;
    const pd_block_q8_1 *b = x;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        const uint16_t d = q5 ? a5[i].d : a4[i].d, m = q5 ? a5[i].m : a4[i].m;
        summs = fmaf(h2f(m), h2f(b[i].s), summs);
        __m256i p = dot_us8(_mm256_setzero_si256(), q5 ? q5_1_unpack(&a5[i]) : nibbles32(a4[i].qs),
                            load256(b[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(d) * h2f(b[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc) + summs;
}

static float dot_q4_1(int64_t n, const void *w, const void *x) { return dot_x_1(n, w, x, false); }
static float dot_q5_1(int64_t n, const void *w, const void *x) { return dot_x_1(n, w, x, true); }

/* sum_j m_j * (bsums[2j] + bsums[2j+1]) as 4 i32 lanes */
ALWAYS_INLINE __m128i k4_min_sums(const uint8_t *mins, const int16_t *bsums)
{
    __m256i bs = load256(bsums);
    __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins));
    return _mm_madd_epi16(m16, pairs);
}

static float dot_q4_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q4_k *a = w;
    const pd_block_q8_k *b = x;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        uint32_t u[4];
        unpack_k4_scales(a[i].scales, u);
        const uint8_t *sc = (const uint8_t *)u;
        __m128i ms = k4_min_sums(sc + 8, b[i].bsums);
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            __m256i q = load256(a[i].qs + 32 * c);
            __m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), load256(b[i].qs + 64 * c));
            __m256i p1 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                                              load256(b[i].qs + 64 * c + 32));
            sumi = madd16(sumi, p0, _mm256_set1_epi16(sc[2 * c]));
            sumi2 = madd16(sumi2, p1, _mm256_set1_epi16(sc[2 * c + 1]));
        }
        sumi = _mm256_add_epi32(sumi, sumi2);
        float dy = b[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * dy), _mm256_cvtepi32_ps(sumi), acc);
        accm = _mm_fmadd_ps(_mm_set1_ps(h2f(a[i].dmin) * dy), _mm_cvtepi32_ps(ms), accm);
    }
    return hsum_ps(acc) - hsum_ps128(accm);
}

static float dot_q5_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q5_k *a = w;
    const pd_block_q8_k *b = x;
    const __m256i m4 = _mm256_set1_epi8(0x0f), b4 = _mm256_set1_epi8(0x10);
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        uint32_t u[4];
        unpack_k4_scales(a[i].scales, u);
        const uint8_t *sc = (const uint8_t *)u;
        __m128i ms = k4_min_sums(sc + 8, b[i].bsums);
        __m256i qh = load256(a[i].qh);
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            __m256i q = load256(a[i].qs + 32 * c);
            __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 4), b4));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 3), b4));
            qh = _mm256_srli_epi16(qh, 2);
            __m256i p0 = _mm256_maddubs_epi16(lo, load256(b[i].qs + 64 * c));
            __m256i p1 = _mm256_maddubs_epi16(hi, load256(b[i].qs + 64 * c + 32));
            sumi = madd16(sumi, p0, _mm256_set1_epi16(sc[2 * c]));
            sumi2 = madd16(sumi2, p1, _mm256_set1_epi16(sc[2 * c + 1]));
        }
        sumi = _mm256_add_epi32(sumi, sumi2);
        float dy = b[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * dy), _mm256_cvtepi32_ps(sumi), acc);
        accm = _mm_fmadd_ps(_mm_set1_ps(h2f(a[i].dmin) * dy), _mm_cvtepi32_ps(ms), accm);
    }
    return hsum_ps(acc) - hsum_ps128(accm);
}

/* Q6_K: values are stored +32; sum (e-32)*y*sc = sum e*y*sc - 32 sum sc*bsum */
ALWAYS_INLINE __m256i q6_k_block_sum(const pd_block_q6_k *a, const pd_block_q8_k *b)
{
    __m128i sc8 = _mm_loadu_si128((const __m128i *)a->scales);
    __m256i corr = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), load256(b->bsums));
    __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            __m256i e = q6_unpack(a->ql + 64 * h, a->qh + 32 * h, k);
            __m256i p = _mm256_maddubs_epi16(e, load256(b->qs + 128 * h + 32 * k));
            if (k & 1)
                sumi2 = madd16(sumi2, p, q6_scale_pair(sc8, 8 * h + 2 * k));
            else
                sumi = madd16(sumi, p, q6_scale_pair(sc8, 8 * h + 2 * k));
        }
    return _mm256_sub_epi32(_mm256_add_epi32(sumi, sumi2), _mm256_slli_epi32(corr, 5));
}

static float dot_q6_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q6_k *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        __m256i s = q6_k_block_sum(&a[i], &b[i]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * b[i].d), _mm256_cvtepi32_ps(s), acc);
    }
    return hsum_ps(acc);
}

/* ---- Q2_K / Q3_K: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* The 32 2-bit values k (0..3) of 128-value half whose 32 bytes are q */
ALWAYS_INLINE __m256i q2_bits32(__m256i q, int k)
{
    return _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3));
}

static float dot_q2_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q2_k *a = w;
    const pd_block_q8_k *b = x;
    const __m128i m4 = _mm_set1_epi8(0x0f);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const float d = b[i].d * h2f(a[i].d), dmin = -b[i].d * h2f(a[i].dmin);
        __m128i sm = _mm_loadu_si128((const __m128i *)a[i].scales);
        __m128i sc8 = _mm_and_si128(sm, m4);
        __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sm, 4), m4));
        __m256i msum = _mm256_madd_epi16(mins, load256(b[i].bsums));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(msum), acc);
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            __m256i q = load256(a[i].qs + 32 * h);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                __m256i p = _mm256_maddubs_epi16(q2_bits32(q, k), load256(b[i].qs + 128 * h + 32 * k));
                if (k & 1)
                    sumi2 = madd16(sumi2, p, q6_scale_pair(sc8, 8 * h + 2 * k));
                else
                    sumi = madd16(sumi, p, q6_scale_pair(sc8, 8 * h + 2 * k));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return hsum_ps(acc);
}

/* Q3_K's 16 scales (-32..31) as bytes */
ALWAYS_INLINE __m128i q3_k_scales(const uint8_t s[12])
{
    const uint32_t m4 = 0x0f0f0f0f, m2 = 0x03030303;
    uint32_t a0, a1, a2;
    memcpy(&a0, s, 4);
    memcpy(&a1, s + 4, 4);
    memcpy(&a2, s + 8, 4);
    __m128i v = _mm_setr_epi32((int)((a0 & m4) | ((a2 & m2) << 4)),
                               (int)((a1 & m4) | (((a2 >> 2) & m2) << 4)),
                               (int)(((a0 >> 4) & m4) | (((a2 >> 4) & m2) << 4)),
                               (int)(((a1 >> 4) & m4) | (((a2 >> 6) & m2) << 4)));
    return _mm_sub_epi8(v, _mm_set1_epi8(32));
}

static float dot_q3_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q3_k *a = w;
    const pd_block_q8_k *b = x;
    const __m256i four = _mm256_set1_epi8(4), zero = _mm256_setzero_si256();
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const float d = b[i].d * h2f(a[i].d);
        const __m128i sc8 = q3_k_scales(a[i].scales);
        const __m256i hb = load256(a[i].hmask);
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            __m256i q = load256(a[i].qs + 32 * h);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                /* q - 4*(hmask bit clear) as the two products' difference */
                __m256i bit = _mm256_and_si256(hb, _mm256_set1_epi8((char)(1 << (4 * h + k))));
                __m256i sub4 = _mm256_and_si256(_mm256_cmpeq_epi8(bit, zero), four);
                __m256i y = load256(b[i].qs + 128 * h + 32 * k);
                __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q2_bits32(q, k), y),
                                             _mm256_maddubs_epi16(sub4, y));
                if (k & 1)
                    sumi2 = madd16(sumi2, p, q6_scale_pair(sc8, 8 * h + 2 * k));
                else
                    sumi = madd16(sumi, p, q6_scale_pair(sc8, 8 * h + 2 * k));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return hsum_ps(acc);
}

/* ---- IQ4_NL / IQ4_XS: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* 16 bytes of nibbles -> their 32 table values (signed bytes) in value order */
ALWAYS_INLINE __m256i iq4_values32(const uint8_t *qs)
{
    const __m256i kv = _mm256_broadcastsi128_si256(_mm_setr_epi8(PD_IQ4NL_VALUES));
    return _mm256_shuffle_epi8(kv, nibbles32(qs));
}

ALWAYS_INLINE int32_t hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 1)));
}

/* ggml's scalar tail of IQ4_NL, a last odd block: s + d*sum, the product
 * rounded first (the asm keeps GCC from contracting it into an fma) */
ALWAYS_INLINE float iq4_nl_tail(float s, float d, __m256i p)
{
    float prod = d * (float)hsum_epi32(p);
    __asm__("" : "+x"(prod));
    return s + prod;
}

static float dot_iq4_nl(int64_t n, const void *w, const void *x)
{
    const pd_block_iq4_nl *a = w;
    const pd_block_q8_0 *b = x;
    const int64_t nb = n / PD_QK_0;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;   /* even, odd blocks */
    int64_t i = 0;
    for (; i + 2 <= nb; i += 2) {
        __m256i p0 = dot_ss8(_mm256_setzero_si256(), iq4_values32(a[i].qs), load256(b[i].qs));
        __m256i p1 = dot_ss8(_mm256_setzero_si256(), iq4_values32(a[i + 1].qs), load256(b[i + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(b[i].d) * h2f(a[i].d)), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(b[i + 1].d) * h2f(a[i + 1].d)),
                               _mm256_cvtepi32_ps(p1), acc1);
    }
    float s = hsum_ps(_mm256_add_ps(acc0, acc1));
    if (i < nb)
        s = iq4_nl_tail(s, h2f(b[i].d) * h2f(a[i].d),
                        dot_ss8(_mm256_setzero_si256(), iq4_values32(a[i].qs), load256(b[i].qs)));
    return s;
}

/* IQ4_XS sub-block j's scale (-32..31) in every i16 lane */
ALWAYS_INLINE __m256i iq4_xs_scale16(const pd_block_iq4_xs *a, int j)
{
    int ls = ((a->scales_l[j / 2] >> (4 * (j % 2))) & 0xf) | ((a->scales_h >> (2 * j)) & 3) << 4;
    return _mm256_set1_epi16((short)(ls - 32));
}

/* kv * y of sub-block j as 16 i16 pair sums (|kv|, |y| <= 127: no saturation) */
ALWAYS_INLINE __m256i iq4_pairs(__m256i v, const int8_t *y)
{
    return _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(load256(y), v));
}

static float dot_iq4_xs(int64_t n, const void *w, const void *x)
{
    const pd_block_iq4_xs *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* two chains */
#pragma GCC unroll 8
        for (int j = 0; j < 8; j += 2) {
            sumi = madd16(sumi, iq4_pairs(iq4_values32(a[i].qs + 16 * j), b[i].qs + 32 * j),
                          iq4_xs_scale16(&a[i], j));
            sumi2 = madd16(sumi2, iq4_pairs(iq4_values32(a[i].qs + 16 * j + 16), b[i].qs + 32 * j + 32),
                           iq4_xs_scale16(&a[i], j + 1));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * b[i].d),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return hsum_ps(acc);
}

/* ---- IQ2_XXS / IQ3_XXS / IQ3_S: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* acc + one sub-block's grid * sign * y in 8 i32 lanes of 4 values, times
 * (2*ls + 1); ss is its signs-and-scale word (grid <= 62, |y| <= 127: the
 * pair sums fit an i16) */
ALWAYS_INLINE __m256i iqxxs_signs(uint32_t ss)   /* +1 / -1 bytes */
{
    return _mm256_set_epi64x((long long)pd_keven_signs[(ss >> 21) & 127], (long long)pd_keven_signs[(ss >> 14) & 127],
                             (long long)pd_keven_signs[(ss >> 7) & 127], (long long)pd_keven_signs[ss & 127]);
}

ALWAYS_INLINE __m256i iqxxs_sub(__m256i acc, __m256i grid, uint32_t ss, const int8_t *y)
{
    const __m256i p = _mm256_maddubs_epi16(grid, _mm256_sign_epi8(load256(y), iqxxs_signs(ss)));
    return madd16(acc, p, _mm256_set1_epi16((short)(2 * (ss >> 28) + 1)));
}

/* IQ2_XXS: the 32 grid values of the 4 indices in the bytes of idx */
ALWAYS_INLINE __m256i iq2xxs_grid32(uint32_t idx)
{
    return _mm256_set_epi64x((long long)pd_iq2xxs_grid[idx >> 24], (long long)pd_iq2xxs_grid[(idx >> 16) & 0xff],
                             (long long)pd_iq2xxs_grid[(idx >> 8) & 0xff], (long long)pd_iq2xxs_grid[idx & 0xff]);
}

/* IQ3_XXS: the 32 grid values of 8 indices */
ALWAYS_INLINE __m256i iq3xxs_grid32(const uint8_t q[8])
{
    return _mm256_set_epi32((int)pd_iq3xxs_grid[q[7]], (int)pd_iq3xxs_grid[q[6]], (int)pd_iq3xxs_grid[q[5]],
                            (int)pd_iq3xxs_grid[q[4]], (int)pd_iq3xxs_grid[q[3]], (int)pd_iq3xxs_grid[q[2]],
                            (int)pd_iq3xxs_grid[q[1]], (int)pd_iq3xxs_grid[q[0]]);
}

static float dot_iq2_xxs(int64_t n, const void *w, const void *x)
{
    const pd_block_iq2_xxs *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* even, odd sub-blocks */
        for (int j = 0; j < 8; j += 2) {
            uint32_t u[4];      /* two sub-blocks: grid indices, signs-and-scale */
            memcpy(u, a[i].qs + 4 * j, sizeof u);
            sumi = iqxxs_sub(sumi, iq2xxs_grid32(u[0]), u[1], b[i].qs + 32 * j);
            sumi2 = iqxxs_sub(sumi2, iq2xxs_grid32(u[2]), u[3], b[i].qs + 32 * j + 32);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * b[i].d),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return 0.125f * hsum_ps(acc);
}

static float dot_iq3_xxs(int64_t n, const void *w, const void *x)
{
    const pd_block_iq3_xxs *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const uint8_t *q = a[i].qs, *ss = a[i].qs + PD_QK_K / 4;
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;
        for (int j = 0; j < 8; j += 2) {
            uint32_t u[2];
            memcpy(u, ss + 4 * j, sizeof u);
            sumi = iqxxs_sub(sumi, iq3xxs_grid32(q + 8 * j), u[0], b[i].qs + 32 * j);
            sumi2 = iqxxs_sub(sumi2, iq3xxs_grid32(q + 8 * j + 8), u[1], b[i].qs + 32 * j + 32);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * b[i].d),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return 0.25f * hsum_ps(acc);
}

/* IQ3_S sub-block j: the 32 grid values, entry qs[8j + q] | bit q of
 * qh[j] << 8 for the values 4q..4q+3 */
ALWAYS_INLINE __m256i iq3s_grid32(const pd_block_iq3_s *b, int j)
{
    const __m256i lo = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b->qs + 8 * j)));
    const __m256i hi = _mm256_and_si256(_mm256_sllv_epi32(_mm256_set1_epi32(b->qh[j]),
                                                          _mm256_setr_epi32(8, 7, 6, 5, 4, 3, 2, 1)),
                                        _mm256_set1_epi32(256));
    return _mm256_i32gather_epi32((const int *)pd_iq3s_grid, _mm256_or_si256(lo, hi), 4);
}

/* 32 stored sign bits (IQ3_S, IQ2_S): byte e is -1 (0xff) when bit e % 8
 * of s[e/8] is set, else 0 */
ALWAYS_INLINE __m256i negmask32(const uint8_t s[4])
{
    const __m256i byte = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    uint32_t u;
    memcpy(&u, s, 4);
    return _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)u), byte), bit), bit);
}

/* IQ3_S sub-block j's signs */
ALWAYS_INLINE __m256i iq3s_negmask(const pd_block_iq3_s *b, int j)
{
    return negmask32(b->signs + 4 * j);
}

/* y with the signs of IQ3_S sub-block j applied */
ALWAYS_INLINE __m256i iq3s_signed_y(const pd_block_iq3_s *b, int j, const int8_t *y)
{
    const __m256i neg = iq3s_negmask(b, j);
    return _mm256_sub_epi8(_mm256_xor_si256(load256(y), neg), neg);   /* -y where neg */
}

static float dot_iq3_s(int64_t n, const void *w, const void *x)
{
    const pd_block_iq3_s *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;
        for (int j = 0; j < 8; j += 2) {
            const int sc = a[i].scales[j / 2];
            sumi = madd16(sumi, _mm256_maddubs_epi16(iq3s_grid32(&a[i], j), iq3s_signed_y(&a[i], j, b[i].qs + 32 * j)),
                          _mm256_set1_epi16((short)(2 * (sc & 0xf) + 1)));
            sumi2 = madd16(sumi2, _mm256_maddubs_epi16(iq3s_grid32(&a[i], j + 1),
                                                       iq3s_signed_y(&a[i], j + 1, b[i].qs + 32 * j + 32)),
                           _mm256_set1_epi16((short)(2 * (sc >> 4) + 1)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(a[i].d) * b[i].d),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return hsum_ps(acc);
}

/* ---- IQ2_XS / IQ2_S: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* a super-block's 16 scales as i16 2*ls + 1: sub-block j's low nibble
 * (its values 0..15) in lane j, its high nibble (values 16..31) in lane
 * 8 + j */
ALWAYS_INLINE __m256i iq2x_scales16(const uint8_t s[8])
{
    uint64_t u;
    memcpy(&u, s, 8);
    const __m128i nib = _mm_and_si128(_mm_set_epi64x((long long)(u >> 4), (long long)u), _mm_set1_epi8(0xf));
    return _mm256_cvtepi8_epi16(_mm_add_epi8(_mm_add_epi8(nib, nib), _mm_set1_epi8(1)));
}

/* sub-block j's scales for its 16 pair sums: lane j of sc16 in i16 lanes
 * 0-7, lane 8 + j in 8-15 (a shuffle within each 128-bit half) */
ALWAYS_INLINE __m256i iq2x_scale_of(__m256i sc16, int j)
{
    return _mm256_shuffle_epi8(sc16, _mm256_set1_epi16((short)(2 * j | (2 * j + 1) << 8)));
}

/* IQ2_XS sub-block j: the 32 grid values and signs (+1 / -1 bytes) */
ALWAYS_INLINE void iq2xs_parts(const pd_block_iq2_xs *b, int j, __m256i *g, __m256i *sg)
{
    const __m128i q = _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(b->qs + 4 * j)));
    *g = _mm256_i32gather_epi64((const long long *)pd_iq2xs_grid, _mm_and_si128(q, _mm_set1_epi32(511)), 8);
    *sg = _mm256_i32gather_epi64((const long long *)pd_keven_signs, _mm_srli_epi32(q, 9), 8);
}

/* IQ2_S sub-block j: the 32 grid values (entry qs[4j + g] | bits 2g..2g+1
 * of qh[j] << 8) and signs */
ALWAYS_INLINE void iq2s_parts(const pd_block_iq2_s *b, int j, __m256i *g, __m256i *sg)
{
    uint32_t q;
    memcpy(&q, b->qs + 4 * j, 4);
    const __m128i lo = _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)q));
    const __m128i hi = _mm_and_si128(_mm_sllv_epi32(_mm_set1_epi32(b->qh[j]), _mm_setr_epi32(8, 6, 4, 2)),
                                     _mm_set1_epi32(0x300));
    *g = _mm256_i32gather_epi64((const long long *)pd_iq2s_grid, _mm_or_si128(lo, hi), 8);
    *sg = _mm256_or_si256(negmask32(b->signs + 4 * j), _mm256_set1_epi8(1));
}

/* IQ2_XS (t) or IQ2_S sub-block j: grid values and signs */
ALWAYS_INLINE void iq2x_parts(pd_type t, const void *blk, int j, __m256i *g, __m256i *sg)
{
    if (t == PD_TYPE_IQ2_XS)
        iq2xs_parts(blk, j, g, sg);
    else
        iq2s_parts(blk, j, g, sg);
}

ALWAYS_INLINE const uint8_t *iq2x_scales(pd_type t, const void *blk)
{
    return t == PD_TYPE_IQ2_XS ? ((const pd_block_iq2_xs *)blk)->scales : ((const pd_block_iq2_s *)blk)->scales;
}

ALWAYS_INLINE float dot_iq2x(pd_type t, int64_t n, const void *w, const void *x)
{
    const size_t bytes = t == PD_TYPE_IQ2_XS ? sizeof(pd_block_iq2_xs) : sizeof(pd_block_iq2_s);
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)w + (size_t)i * bytes;
        const __m256i sc16 = iq2x_scales16(iq2x_scales(t, blk));
        __m256i sumi = _mm256_setzero_si256(), sumi2 = sumi;   /* even, odd sub-blocks */
#pragma GCC unroll 4
        for (int j = 0; j < 8; j += 2) {
            __m256i g, sg, g2, sg2;
            iq2x_parts(t, blk, j, &g, &sg);
            iq2x_parts(t, blk, j + 1, &g2, &sg2);
            sumi = madd16(sumi, _mm256_maddubs_epi16(g, _mm256_sign_epi8(load256(b[i].qs + 32 * j), sg)),
                          iq2x_scale_of(sc16, j));
            sumi2 = madd16(sumi2, _mm256_maddubs_epi16(g2, _mm256_sign_epi8(load256(b[i].qs + 32 * j + 32), sg2)),
                           iq2x_scale_of(sc16, j + 1));
        }
        uint16_t hd;
        memcpy(&hd, blk, 2);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(hd) * b[i].d),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi, sumi2)), acc);
    }
    return 0.125f * hsum_ps(acc);
}

static float dot_iq2_xs(int64_t n, const void *w, const void *x) { return dot_iq2x(PD_TYPE_IQ2_XS, n, w, x); }
static float dot_iq2_s(int64_t n, const void *w, const void *x) { return dot_iq2x(PD_TYPE_IQ2_S, n, w, x); }
/* ---- IQ1_S / IQ1_M: ggml's AVX2 order (quant.h), as quant_ref.c ---- */

/* IQ1_S sub-block j's 32 grid values (-1, 0, 1 bytes): group q's index is
 * qs[4j + q] | bits 3q..3q+2 of qh[j] << 8, built in a vector, the 4
 * entries gathered (faster here than 4 scalar loads: 1024 x 7168 row dots,
 * 1 thread, AVX-512, 0.38 vs 0.48 ms) */
ALWAYS_INLINE __m256i iq1s_grid32(const pd_block_iq1_s *b, int j)
{
    uint32_t lo;
    memcpy(&lo, b->qs + 4 * j, 4);
    const __m128i hi = _mm_srlv_epi32(_mm_set1_epi32((int)b->qh[j] << 8), _mm_setr_epi32(0, 3, 6, 9));
    const __m128i idx = _mm_or_si128(_mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)lo)),
                                     _mm_and_si128(hi, _mm_set1_epi32(0x700)));
    return _mm256_i32gather_epi64((const long long *)pd_iq1s_grid, idx, 8);
}

/* the same by 4 scalar loads (the tiles: there the gather costs more,
 * 1024 x 7168 x 32 columns 6.4 vs 5.9 ms) */
ALWAYS_INLINE __m256i iq1s_grid32_loads(const pd_block_iq1_s *b, int j)
{
    const uint8_t *q = b->qs + 4 * j;
    const unsigned h = b->qh[j];
    return _mm256_set_epi64x((long long)pd_iq1s_grid[q[3] | (h >> 1 & 0x700)],
                             (long long)pd_iq1s_grid[q[2] | (h << 2 & 0x700)],
                             (long long)pd_iq1s_grid[q[1] | (h << 5 & 0x700)],
                             (long long)pd_iq1s_grid[q[0] | (h << 8 & 0x700)]);
}

/* IQ1_M sub-block j's grid values: group q's high bits are nibble q % 2 of
 * qh[2j + q/2].  Four scalar loads: here faster than a gather (0.46 vs
 * 0.47 ms as above, AVX2 0.53 vs 0.58) */
ALWAYS_INLINE __m256i iq1m_grid32(const pd_block_iq1_m *b, int j)
{
    const uint8_t *q = b->qs + 4 * j;
    const unsigned h0 = b->qh[2 * j], h1 = b->qh[2 * j + 1];
    return _mm256_set_epi64x((long long)pd_iq1s_grid[q[3] | (h1 << 4 & 0x700)],
                             (long long)pd_iq1s_grid[q[2] | (h1 << 8 & 0x700)],
                             (long long)pd_iq1s_grid[q[1] | (h0 << 4 & 0x700)],
                             (long long)pd_iq1s_grid[q[0] | (h0 << 8 & 0x700)]);
}

/* IQ1_M sub-block j's delta signs: 8 bytes of +1 or -1 per group (bit 3
 * of its nibble of qh) */
ALWAYS_INLINE __m256i iq1m_deltas(const pd_block_iq1_m *b, int j)
{
    uint16_t h;
    memcpy(&h, b->qh + 2 * j, 2);
    const __m256i bit = _mm256_setr_epi64x(0x08, 0x80, 0x800, 0x8000);
    const __m256i neg = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(h), bit), bit);
    return _mm256_or_si256(neg, _mm256_set1_epi8(1));
}

/* IQ1_M's fp16 d from the top nibbles of its 4 scale words */
ALWAYS_INLINE float iq1m_d(const uint16_t sc[4])
{
    return h2f((uint16_t)((sc[0] >> 12) | (sc[1] >> 8 & 0x00f0) | (sc[2] >> 4 & 0x0f00) | (sc[3] & 0xf000)));
}

/* IQ1_M's 16 scales as 2*ls + 1 in i16 lanes: sub-block j's first half's
 * at element (j%2)*4 + j/2 of the low 128 bits, its second half's at the
 * same element of the high 128 (the 4 words shifted by 0, 6 | 3, 9) */
ALWAYS_INLINE __m256i iq1m_scales(const uint16_t sc[4])
{
    uint64_t w;
    memcpy(&w, sc, 8);
    const __m256i s = _mm256_srlv_epi64(_mm256_set1_epi64x((long long)w), _mm256_setr_epi64x(0, 6, 3, 9));
    return _mm256_add_epi16(_mm256_slli_epi16(_mm256_and_si256(s, _mm256_set1_epi16(7)), 1), _mm256_set1_epi16(1));
}

/* sub-block j's 2*ls + 1 in every byte: values 0..15's in the low 128
 * bits, 16..31's in the high */
ALWAYS_INLINE __m256i iq1m_scale8(__m256i scales, int j)
{
    const int e = (j % 2) * 4 + j / 2;
    return _mm256_shuffle_epi8(scales, _mm256_set1_epi8((char)(2 * e)));
}

/* the same as i16 lanes (the row dot's madd16) */
ALWAYS_INLINE __m256i iq1m_scale16(__m256i scales, int j)
{
    const int e = (j % 2) * 4 + j / 2;
    return _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short)(0x0100 + 0x0202 * e)));
}

/* grid * y as 16 i16 pair sums (|grid| <= 1): the row dots, then times
 * 2*ls + 1 by madd16 (measured faster there than the tiles' one vpdpbusd
 * of (2*ls + 1) * |grid| against sign(y, grid)) */
ALWAYS_INLINE __m256i iq1_pairs(__m256i g, __m256i y)
{
    return _mm256_maddubs_epi16(_mm256_sign_epi8(g, g), _mm256_sign_epi8(y, g));
}

static float dot_iq1_s(int64_t n, const void *w, const void *x)
{
    const pd_block_iq1_s *a = w;
    const pd_block_q8_k *b = x;
    __m256 acc = _mm256_setzero_ps();
    float acc1 = 0.0f;          /* the deltas' part */
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        __m256i sumi[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };   /* even, odd sub-blocks */
        int sumi1 = 0;
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const unsigned h = a[i].qh[j];
            const int ls2 = 2 * (h >> 12 & 7) + 1, bs = b[i].bsums[2 * j] + b[i].bsums[2 * j + 1];
            sumi[j % 2] = madd16(sumi[j % 2], iq1_pairs(iq1s_grid32(&a[i], j), load256(b[i].qs + 32 * j)),
                                 _mm256_set1_epi16((short)ls2));
            sumi1 += (h & 0x8000 ? -bs : bs) * ls2;
        }
        const float d = b[i].d * h2f(a[i].d);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);
        acc1 = fmaf(d, (float)sumi1, acc1);
    }
    return hsum_ps(acc) + 0.125f * acc1;
}

static float dot_iq1_m(int64_t n, const void *w, const void *x)
{
    const pd_block_iq1_m *a = w;
    const pd_block_q8_k *b = x;
    const __m256i one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), acc2 = acc;   /* grid, deltas */
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        uint16_t sc[4];
        memcpy(sc, a[i].scales, sizeof sc);
        const __m256i scales = iq1m_scales(sc);
        __m256i sumi[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };   /* even, odd sub-blocks */
        __m256i sumi2[2] = { sumi[0], sumi[0] };
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m256i y = load256(b[i].qs + 32 * j), s = iq1m_scale16(scales, j);
            sumi[j % 2] = madd16(sumi[j % 2], iq1_pairs(iq1m_grid32(&a[i], j), y), s);
            sumi2[j % 2] = madd16(sumi2[j % 2], _mm256_maddubs_epi16(one, _mm256_sign_epi8(y, iq1m_deltas(&a[i], j))), s);
        }
        const __m256 d = _mm256_set1_ps(b[i].d * iq1m_d(sc));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);
        acc2 = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_add_epi32(sumi2[0], sumi2[1])), acc2);
    }
    return hsum_ps(acc) + 0.125f * hsum_ps(acc2);
}

/* ========================================================================
 * Dequantize
 * ======================================================================== */
/* dst[0..32) = d * q - o for 32 signed bytes q */
ALWAYS_INLINE void store32(float *dst, __m256i q, __m256 d, __m256 o)
{
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    __m128i part[4] = { lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8) };
    for (int k = 0; k < 4; k++) {
        __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part[k]));
        _mm256_storeu_ps(dst + 8 * k, _mm256_sub_ps(_mm256_mul_ps(d, v), o));
    }
}

static void deq_f16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, ld_f16(s, i));
    for (; i < n; i++)
        dst[i] = h2f(s[i]);
}

static void deq_bf16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, ld_bf16(s, i));
    for (; i < n; i++)
        dst[i] = pd_bf16_to_f32(s[i]);
}

static void deq_q8_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q8_0 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++)
        store32(dst + 32 * i, load256(b[i].qs), _mm256_set1_ps(h2f(b[i].d)), _mm256_setzero_ps());
}

static void deq_q4_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_0 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++)
        store32(dst + 32 * i, q4_0_unpack(b[i].qs), _mm256_set1_ps(h2f(b[i].d)), _mm256_setzero_ps());
}

static void deq_q4_1(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_1 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++)
        store32(dst + 32 * i, nibbles32(b[i].qs), _mm256_set1_ps(h2f(b[i].d)), _mm256_set1_ps(-h2f(b[i].m)));
}

static void deq_q5_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_0 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++)
        store32(dst + 32 * i, q5_0_unpack(&b[i]), _mm256_set1_ps(h2f(b[i].d)), _mm256_setzero_ps());
}

static void deq_q5_1(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_1 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++)
        store32(dst + 32 * i, q5_1_unpack(&b[i]), _mm256_set1_ps(h2f(b[i].d)), _mm256_set1_ps(-h2f(b[i].m)));
}

static void deq_q4_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_k *b = src;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        uint32_t u[4];
        unpack_k4_scales(b[i].scales, u);
        const uint8_t *sc = (const uint8_t *)u;
        float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        for (int c = 0; c < 4; c++) {
            __m256i q = load256(b[i].qs + 32 * c);
            store32(dst + 64 * c, _mm256_and_si256(q, m4), _mm256_set1_ps(d * sc[2 * c]),
                    _mm256_set1_ps(dmin * sc[8 + 2 * c]));
            store32(dst + 64 * c + 32, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                    _mm256_set1_ps(d * sc[2 * c + 1]), _mm256_set1_ps(dmin * sc[8 + 2 * c + 1]));
        }
    }
}

static void deq_q5_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_k *b = src;
    const __m256i m4 = _mm256_set1_epi8(0x0f), b4 = _mm256_set1_epi8(0x10);
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        uint32_t u[4];
        unpack_k4_scales(b[i].scales, u);
        const uint8_t *sc = (const uint8_t *)u;
        float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        __m256i qh = load256(b[i].qh);
        for (int c = 0; c < 4; c++) {
            __m256i q = load256(b[i].qs + 32 * c);
            __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 4), b4));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 3), b4));
            qh = _mm256_srli_epi16(qh, 2);
            store32(dst + 64 * c, lo, _mm256_set1_ps(d * sc[2 * c]), _mm256_set1_ps(dmin * sc[8 + 2 * c]));
            store32(dst + 64 * c + 32, hi, _mm256_set1_ps(d * sc[2 * c + 1]),
                    _mm256_set1_ps(dmin * sc[8 + 2 * c + 1]));
        }
    }
}

static void deq_q6_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q6_k *b = src;
    const __m256i off = _mm256_set1_epi8(32);
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        float d = h2f(b[i].d);
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++) {
                __m256i e = _mm256_sub_epi8(q6_unpack(b[i].ql + 64 * h, b[i].qh + 32 * h, k), off);
                float *o = dst + 128 * h + 32 * k;
                int s = 8 * h + 2 * k;
                /* two scales per 32: dequantize as two halves of 16 */
                float tmp[32];
                store32(tmp, e, _mm256_set1_ps(1.0f), _mm256_setzero_ps());
                __m256 d0 = _mm256_set1_ps(d * b[i].scales[s]), d1 = _mm256_set1_ps(d * b[i].scales[s + 1]);
                _mm256_storeu_ps(o, _mm256_mul_ps(d0, _mm256_loadu_ps(tmp)));
                _mm256_storeu_ps(o + 8, _mm256_mul_ps(d0, _mm256_loadu_ps(tmp + 8)));
                _mm256_storeu_ps(o + 16, _mm256_mul_ps(d1, _mm256_loadu_ps(tmp + 16)));
                _mm256_storeu_ps(o + 24, _mm256_mul_ps(d1, _mm256_loadu_ps(tmp + 24)));
            }
    }
}

/* ========================================================================
 * Activation quantizers: bit-identical with quant_ref.c
 * ======================================================================== */
/* 4 vectors of 8 i32 -> 32 i8 in order (saturating) */
ALWAYS_INLINE __m256i pack_i32x32(__m256i a, __m256i b, __m256i c, __m256i d)
{
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    __m256i v = _mm256_packs_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

ALWAYS_INLINE __m256i round_i32(__m256 v)
{
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/* One block of 32 floats by Q8_0's rule: the rounded quants as 4 x 8 i32
 * in element order; returns amax. */
ALWAYS_INLINE float q8_block(const float *src, __m256i q[4])
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 v[4], m = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(src + 8 * k);
        m = _mm256_max_ps(m, _mm256_and_ps(v[k], absmask));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float amax = _mm_cvtss_f32(m4);
    __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.f / amax : 0.0f);
    for (int k = 0; k < 4; k++)
        q[k] = round_i32(_mm256_mul_ps(v[k], id));
    return amax;
}

static void qnt_q8_0(const float *src, void *dst, int64_t n)
{
    pd_block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        __m256i q[4];
        float amax = q8_block(src, q);
        b[i].d = pd_f32_to_fp16(amax / 127.f);
        _mm256_storeu_si256((__m256i *)b[i].qs, pack_i32x32(q[0], q[1], q[2], q[3]));
    }
}

static void qnt_q8_1(const float *src, void *dst, int64_t n)
{
    pd_block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        __m256i q[4];
        const float d = q8_block(src, q) / 127.f;
        __m256i s8 = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
        s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 1));
        b[i].d = pd_f32_to_fp16(d);
        b[i].s = pd_f32_to_fp16(d * (float)_mm_cvtsi128_si32(s4));
        _mm256_storeu_si256((__m256i *)b[i].qs, pack_i32x32(q[0], q[1], q[2], q[3]));
    }
}

static void qnt_q8_k(const float *src, void *dst, int64_t n)
{
    pd_block_q8_k *b = dst;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int64_t i = 0; i < n / PD_QK_K; i++, src += PD_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++)
            m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(src + 8 * k), absmask));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4);
        if (amax == 0.0f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        float max = 0.0f;              /* the first element of largest magnitude */
        for (int j = 0; j < PD_QK_K; j++)
            if (fabsf(src[j]) == amax) {
                max = src[j];
                break;
            }
        float iscale = -127.f / max;
        __m256 is = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int k = 0; k < 8; k++) {
            __m256i q[4];
            for (int l = 0; l < 4; l++)
                q[l] = _mm256_min_epi32(top, round_i32(_mm256_mul_ps(_mm256_loadu_ps(src + 32 * k + 8 * l), is)));
            __m256i p = pack_i32x32(q[0], q[1], q[2], q[3]);
            _mm256_storeu_si256((__m256i *)(b[i].qs + 32 * k), p);
            /* 16-element sums: widen to i16, pairwise-add to i32, reduce */
            __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(p));
            __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(p, 1));
            __m256i s0 = _mm256_madd_epi16(w0, _mm256_set1_epi16(1));
            __m256i s1 = _mm256_madd_epi16(w1, _mm256_set1_epi16(1));
            __m256i h = _mm256_hadd_epi32(s0, s1);       /* [s0 01 23 | s1 01 23 | s0 45 67 | s1 45 67] */
            h = _mm256_hadd_epi32(h, h);                 /* lane0: s0a s1a .., lane1: s0b s1b .. */
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
            b[i].bsums[2 * k] = (int16_t)_mm_cvtsi128_si32(t);
            b[i].bsums[2 * k + 1] = (int16_t)_mm_extract_epi32(t, 1);
        }
        b[i].d = 1 / iscale;
    }
}

static void qnt_f16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        d[i] = pd_f32_to_fp16(src[i]);
}

static void qnt_bf16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    int64_t i = 0;
    const __m256i inf = _mm256_set1_epi32(0x7f800000), absm = _mm256_set1_epi32(0x7fffffff);
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_castps_si256(_mm256_loadu_ps(src + i));
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, absm), inf);
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
        __m256i qn = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        r = _mm256_blendv_epi8(r, qn, nan);
        __m256i p = _mm256_packus_epi32(r, r);
        p = _mm256_permute4x64_epi64(p, 0x08);
        _mm_storeu_si128((__m128i *)(d + i), _mm256_castsi256_si128(p));
    }
    for (; i < n; i++)
        d[i] = pd_f32_to_bf16(src[i]);
}

/* ========================================================================
 * Tiles: a weight block is unpacked once for 4 (AVX2) or 8 (AVX-512 registers)
 * activation columns; a few leftover columns take the row kernels.
 * ======================================================================== */
#define XROW(x, xs, c) ((const char *)(x) + (size_t)(c) * (xs))

/* Columns a tile kernel of width G handles itself: whole groups, and a last
 * partial group only if it is nearly full; the columns after that go through
 * the one-row dot kernel (padding 1-2 columns up to G would waste work). */
static inline int tile_cols(int nc, int G)
{
    int rem = nc % G;
    return rem * 2 > G ? nc : nc - rem;
}

static void tile_rest_by_dot(pd_dot_fn dot, int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int c0, int nc, float *out, size_t os)
{
    for (int r = 0; r < nr; r++)
        for (int c = c0; c < nc; c++)
            out[(size_t)c * os + (size_t)r] = dot(n, (const char *)w + (size_t)r * ws, XROW(x, xs, c));
}

/* The 4 columns' 8-lane integer sums folded into one vector whose lanes
 * are (c0 c1 c2 c3 | c0 c1 c2 c3): scaling then costs one convert and one
 * fma per block for all 4 columns. */
ALWAYS_INLINE __m256i fold4(const __m256i p[4])
{
    return _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
}

ALWAYS_INLINE __m128i fold4_128(const __m128i p[4])
{
    return _mm_hadd_epi32(_mm_hadd_epi32(p[0], p[1]), _mm_hadd_epi32(p[2], p[3]));
}

/* out[c*os] (+)= the 4 column sums in acc (lanes c and c+4) */
ALWAYS_INLINE void tile_store4(float *out, size_t os, int N, __m128 s, bool add)
{
    float v[4];
    _mm_storeu_ps(v, s);
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = add ? out[(size_t)c * os] + v[c] : v[c];
}

#define TILE_KCH 64   /* K blocks per chunk of prepared column data */

/* Q8_0 and Q4_0 (q4) weights against Q8_0 columns: with VNNI the weights
 * become unsigned (w + 128, one xor shared by the 4 columns) and 128 * sum(y),
 * prepared per column, is subtracted; without VNNI (maddubs would saturate)
 * the sign trick is used per column.  Both blocks start with the fp16 d. */
/* The 32 signed weights of a Q8_0, Q4_0 or Q5_0 block (d first in all three) */
ALWAYS_INLINE __m256i x8_0_weights(const uint8_t *blk, pd_type t)
{
    return t == PD_TYPE_Q4_0 ? q4_0_unpack(blk + offsetof(pd_block_q4_0, qs))
         : t == PD_TYPE_Q5_0 ? q5_0_unpack((const pd_block_q5_0 *)blk)
         : load256(blk + offsetof(pd_block_q8_0, qs));
}

ALWAYS_INLINE float x8_0_d(const uint8_t *blk)
{
    uint16_t d;
    memcpy(&d, blk, 2);
    return h2f(d);
}

ALWAYS_INLINE void tile_x8_0(int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int nc, float *out, size_t os, pd_type t)
{
    const int64_t nb = n / PD_QK_0;
    const size_t bb = t == PD_TYPE_Q4_0 ? sizeof(pd_block_q4_0)
                    : t == PD_TYPE_Q5_0 ? sizeof(pd_block_q5_0) : sizeof(pd_block_q8_0);
    float dbv[TILE_KCH][8] __attribute__((aligned(32)));
#ifdef PD_VNNI
    int32_t corr[TILE_KCH][8] __attribute__((aligned(32)));
    const __m256i k80 = _mm256_set1_epi8((char)0x80);
#endif
    const int ncg = tile_cols(nc, 4);
    tile_rest_by_dot(t == PD_TYPE_Q4_0 ? dot_q4_0 : t == PD_TYPE_Q5_0 ? dot_q5_0 : dot_q8_0,
                     n, w, ws, nr, x, xs, ncg, nc, out, os);
    for (int c0 = 0; c0 < ncg; c0 += 4) {
        int N = ncg - c0 < 4 ? ncg - c0 : 4;
        const pd_block_q8_0 *b[4];
        for (int c = 0; c < 4; c++)     /* missing columns repeat column 0 */
            b[c] = (const pd_block_q8_0 *)XROW(x, xs, c0 + (c < N ? c : 0));
        for (int64_t k0 = 0; k0 < nb; k0 += TILE_KCH) {
            int kb = (int)(nb - k0 < TILE_KCH ? nb - k0 : TILE_KCH);
            for (int i = 0; i < kb; i++) {
                for (int c = 0; c < 4; c++)
                    dbv[i][c] = dbv[i][c + 4] = h2f(b[c][k0 + i].d);
#ifdef PD_VNNI
                __m256i q[4];
#pragma GCC unroll 4
                for (int c = 0; c < 4; c++)
                    q[c] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), k80, load256(b[c][k0 + i].qs));
                _mm256_store_si256((__m256i *)corr[i], fold4(q));
#endif
            }
            for (int r = 0; r < nr; r++) {
                const uint8_t *a = (const uint8_t *)w + (size_t)r * ws + (size_t)k0 * bb;
                __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
                for (int i = 0; i < kb; i++) {
                    __m256i qa = x8_0_weights(a + (size_t)i * bb, t), p[4], h;
#ifdef PD_VNNI
                    __m256i ua = _mm256_xor_si256(qa, k80);
#pragma GCC unroll 4
                    for (int c = 0; c < 4; c++)
                        p[c] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ua, load256(b[c][k0 + i].qs));
                    h = _mm256_sub_epi32(fold4(p), _mm256_load_si256((const __m256i *)corr[i]));
#else
                    __m256i ua = _mm256_sign_epi8(qa, qa);
#pragma GCC unroll 4
                    for (int c = 0; c < 4; c++)
                        p[c] = dot_us8(_mm256_setzero_si256(), ua,
                                       _mm256_sign_epi8(load256(b[c][k0 + i].qs), qa));
                    h = fold4(p);
#endif
                    __m256 sc = _mm256_mul_ps(_mm256_set1_ps(x8_0_d(a + (size_t)i * bb)), _mm256_load_ps(dbv[i]));
                    if (i & 1)
                        acc1 = _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(h), acc1);
                    else
                        acc0 = _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(h), acc0);
                }
                acc0 = _mm256_add_ps(acc0, acc1);
                tile_store4(out + (size_t)c0 * os + r, os, N,
                            _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1)), k0 > 0);
            }
        }
    }
}

static void tile_q8_0(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_x8_0(n, w, ws, nr, x, xs, nc, out, os, PD_TYPE_Q8_0);
}

static void tile_q4_0(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_x8_0(n, w, ws, nr, x, xs, nc, out, os, PD_TYPE_Q4_0);
}

/* Q5_0 (DeepSeek's attn_k_b in Q4_K_M files: the MLA absorb of a prefill) */
static void tile_q5_0(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_x8_0(n, w, ws, nr, x, xs, nc, out, os, PD_TYPE_Q5_0);
}

/* Q4_K and Q5_K (q5: a 5th bit from qh): per column and block the pair sums
 * of bsums (for the mins) and the scale are prepared once per chunk; the
 * weight block is unpacked once for KW columns (8 with AVX-512's registers)
 * whose integer sums are folded into one vector before scaling. */
#ifdef PD_REGS32
#define KW 8
#else
#define KW 4
#endif

/* KW columns' 8-lane sums -> one vector with column c's total in lane c
 * (KW = 8) or split over lanes c and c+4 (KW = 4); the mins' 4-lane sums
 * -> column c's total in lane c only. */
ALWAYS_INLINE __m256i fold_kw(const __m256i p[KW])
{
#if KW == 8
    __m256i a = fold4(p), b = fold4(p + 4);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
#else
    return fold4(p);
#endif
}

ALWAYS_INLINE __m256i fold_kw_128(const __m128i p[KW])
{
#if KW == 8
    return _mm256_set_m128i(fold4_128(p + 4), fold4_128(p));
#else
    return _mm256_set_m128i(_mm_setzero_si128(), fold4_128(p));
#endif
}

ALWAYS_INLINE void tile_kmin(int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int nc, float *out, size_t os, bool q5)
{
    const int64_t nb = n / PD_QK_K;
    const size_t bb = q5 ? sizeof(pd_block_q5_k) : sizeof(pd_block_q4_k);
    const size_t qs_off = q5 ? offsetof(pd_block_q5_k, qs) : offsetof(pd_block_q4_k, qs);
    const __m256i m4 = _mm256_set1_epi8(0x0f), b4 = _mm256_set1_epi8(0x10);
    float dbv[TILE_KCH][8] __attribute__((aligned(32)));
    int16_t pairs[TILE_KCH][KW][8] __attribute__((aligned(16)));
    const int ncg = tile_cols(nc, KW);
    tile_rest_by_dot(q5 ? dot_q5_k : dot_q4_k, n, w, ws, nr, x, xs, ncg, nc, out, os);
    for (int c0 = 0; c0 < ncg; c0 += KW) {
        int N = ncg - c0 < KW ? ncg - c0 : KW;
        const pd_block_q8_k *b[KW];
        for (int c = 0; c < KW; c++)     /* missing columns repeat the first */
            b[c] = (const pd_block_q8_k *)XROW(x, xs, c0 + (c < N ? c : 0));
        for (int64_t k0 = 0; k0 < nb; k0 += TILE_KCH) {
            int kb = (int)(nb - k0 < TILE_KCH ? nb - k0 : TILE_KCH);
            for (int i = 0; i < kb; i++)
                for (int c = 0; c < KW; c++) {
                    dbv[i][c] = b[c][k0 + i].d;
                    if (KW == 4)
                        dbv[i][c + 4] = b[c][k0 + i].d;
                    __m256i bs = load256(b[c][k0 + i].bsums);
                    _mm_store_si128((__m128i *)pairs[i][c], _mm_hadd_epi16(_mm256_castsi256_si128(bs),
                                                                          _mm256_extracti128_si256(bs, 1)));
                }
            for (int r = 0; r < nr; r++) {
                const uint8_t *row = (const uint8_t *)w + (size_t)r * ws + (size_t)k0 * bb;
                __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
                for (int i = 0; i < kb; i++) {
                    /* d, dmin and scales lead both block layouts */
                    const pd_block_q4_k *a = (const pd_block_q4_k *)(row + (size_t)i * bb);
                    const uint8_t *qs = row + (size_t)i * bb + qs_off;
                    __m256i qh = q5 ? load256(((const pd_block_q5_k *)a)->qh) : _mm256_setzero_si256();
                    uint32_t u[4];
                    unpack_k4_scales(a->scales, u);
                    const uint8_t *sc = (const uint8_t *)u;
                    __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(sc + 8)));
                    __m256i sumi[KW], sumi2[KW];   /* two chains per column */
                    __m128i ms[KW];
#pragma GCC unroll 8
                    for (int c = 0; c < KW; c++) {
                        sumi[c] = sumi2[c] = _mm256_setzero_si256();
                        ms[c] = _mm_madd_epi16(m16, _mm_load_si128((const __m128i *)pairs[i][c]));
                    }
#pragma GCC unroll 4
                    for (int ch = 0; ch < 4; ch++) {
                        __m256i q = load256(qs + 32 * ch);
                        __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                        if (q5) {
                            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(qh, 4), b4));
                            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(qh, 3), b4));
                            qh = _mm256_srli_epi16(qh, 2);
                        }
                        __m256i s0 = _mm256_set1_epi16(sc[2 * ch]), s1 = _mm256_set1_epi16(sc[2 * ch + 1]);
#pragma GCC unroll 8
                        for (int c = 0; c < KW; c++) {
                            const int8_t *y = b[c][k0 + i].qs + 64 * ch;
                            __m256i p0 = _mm256_maddubs_epi16(lo, load256(y));
                            __m256i p1 = _mm256_maddubs_epi16(hi, load256(y + 32));
                            if (KW == 8) {      /* 8 columns are chains enough */
                                sumi[c] = madd16(madd16(sumi[c], p0, s0), p1, s1);
                            } else {
                                sumi[c] = madd16(sumi[c], p0, s0);
                                sumi2[c] = madd16(sumi2[c], p1, s1);
                            }
                        }
                    }
                    if (KW == 4)
#pragma GCC unroll 8
                        for (int c = 0; c < KW; c++)
                            sumi[c] = _mm256_add_epi32(sumi[c], sumi2[c]);
                    __m256 dv = _mm256_load_ps(dbv[i]);
                    acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(h2f(a->d)), dv),
                                          _mm256_cvtepi32_ps(fold_kw(sumi)), acc);
                    accm = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(h2f(a->dmin)), dv),
                                           _mm256_cvtepi32_ps(fold_kw_128(ms)), accm);
                }
                float *o = out + (size_t)c0 * os + r;
                acc = _mm256_sub_ps(acc, accm);
#if KW == 8
                float v[8];
                _mm256_storeu_ps(v, acc);
                for (int c = 0; c < N; c++)
                    o[(size_t)c * os] = k0 > 0 ? o[(size_t)c * os] + v[c] : v[c];
#else
                tile_store4(o, os, N, _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1)),
                            k0 > 0);
#endif
            }
        }
    }
}

static void tile_q4_k(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_kmin(n, w, ws, nr, x, xs, nc, out, os, false);
}

static void tile_q5_k(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_kmin(n, w, ws, nr, x, xs, nc, out, os, true);
}

/* ========================================================================
 * Q4_K x Q8_K in the float order of llama.cpp's repacked kernels (quant.h):
 * each SIMD lane (a row, or a column) does exactly the scalar reference's
 * float operations, so the results are bit-identical to it.  The integer
 * sums are exact in any order; only the folding into floats is fixed: one
 * fma per super-block (gemv) or per 64-value pair (gemm), d*dy and dmin*dy
 * rounded first, the mins subtracted at the end.
 *
 * Two micro-kernels: Q4K_W rows x 1 column (lanes = rows: decode, and the
 * columns left over) and 1 row x 8 (or 4) columns (lanes = columns: prefill;
 * 8 columns also with AVX2's 16 registers: the folds and float work per
 * block are then shared by twice the columns, 1.35x faster than 4).
 * ======================================================================== */
#ifndef Q4K_W
#ifdef PD_REGS32
#define Q4K_W 8       /* 32 registers */
#else
#define Q4K_W 4
#endif
#endif
#define Q4K_RCH 64    /* rows whose float sums wait while the next K chunk is prepared */

/* The 8 scales as 16-bit lanes (in both 128-bit halves) and the 8 mins as
 * 16-bit lanes of a Q4_K block's 12 packed bytes; reads 16 bytes at s (the
 * 4 after the scales are the block's qs). Vector form of unpack_k4_scales. */
ALWAYS_INLINE void k4_scales_vec(const uint8_t *s, __m256i *sc2, __m128i *mn)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)s);
    const __m128i x = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));   /* a0 a0 a1 a1 */
    const __m128i y = _mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 2, 2)), _mm_setr_epi32(0, 0, 0, 4));
    const __m128i lo = _mm_and_si128(x, _mm_set1_epi8(0x3f));
    const __m128i hi = _mm_or_si128(_mm_and_si128(y, _mm_set1_epi8(0x0f)),
                                    _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(x, 6), _mm_set1_epi8(0x03)), 4));
    const __m128i u = _mm_blend_epi32(lo, hi, 0xa);                     /* sc0-3 sc4-7 m0-3 m4-7 */
    *sc2 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(u));
    *mn = _mm_cvtepu8_epi16(_mm_srli_si128(u, 8));
}

/* scale j of k4_scales_vec's sc2 in every 16-bit lane */
ALWAYS_INLINE __m256i k4_scale(__m256i sc2, int j)
{
    return _mm256_shuffle_epi8(sc2, _mm256_set1_epi16((short)(0x0100 + 0x0202 * j)));
}

/* lanes (s0 s1 s2 s3 | s0 s1 s2 s3): each 128-bit half of the 4 vectors
 * summed (unpacks and adds: cheaper than hadd, which is 3-4 uops) */
ALWAYS_INLINE __m256i sum4_halves(__m256i p0, __m256i p1, __m256i p2, __m256i p3)
{
    const __m256i t0 = _mm256_add_epi32(_mm256_unpacklo_epi32(p0, p1), _mm256_unpackhi_epi32(p0, p1));
    const __m256i t1 = _mm256_add_epi32(_mm256_unpacklo_epi32(p2, p3), _mm256_unpackhi_epi32(p2, p3));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1));
}

/* acc + sc[2ch] * p0 + sc[2ch+1] * p1 (16-bit lanes) summed into 8 lanes
 * (pre-adding p0 and p1 to save a multiply measured no faster) */
ALWAYS_INLINE __m256i k4_pair_madd(__m256i acc, __m256i p0, __m256i p1, __m256i sc2, int ch)
{
    return madd16(madd16(acc, p0, k4_scale(sc2, 2 * ch)), p1, k4_scale(sc2, 2 * ch + 1));
}

/* lane j (j < N <= 8) = the sum of p[j]'s 8 lanes; lanes from N on are 0 */
ALWAYS_INLINE __m256i fold8_n(const __m256i *p, int N)
{
    const __m256i z = _mm256_setzero_si256();
    __m256i a = sum4_halves(p[0], N > 1 ? p[1] : z, N > 2 ? p[2] : z, N > 3 ? p[3] : z);
    if (N <= 4)
        return _mm256_set_m128i(_mm_setzero_si128(),
                                _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1)));
    __m256i b = sum4_halves(p[4], N > 5 ? p[5] : z, N > 6 ? p[6] : z, N > 7 ? p[7] : z);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

/* lane j (j < N <= 8) = the sum of q[j]'s 4 lanes */
ALWAYS_INLINE __m256i fold4_n(const __m128i *q, int N)
{
    const __m128i z = _mm_setzero_si128();
    __m128i a = _mm_hadd_epi32(_mm_hadd_epi32(q[0], N > 1 ? q[1] : z), _mm_hadd_epi32(N > 2 ? q[2] : z, N > 3 ? q[3] : z));
    __m128i b = z;
    if (N > 4)
        b = _mm_hadd_epi32(_mm_hadd_epi32(q[4], N > 5 ? q[5] : z), _mm_hadd_epi32(N > 6 ? q[6] : z, N > 7 ? q[7] : z));
    return _mm256_set_m128i(b, a);
}

ALWAYS_INLINE void transpose4x4(__m128i a, __m128i b, __m128i c, __m128i d, __m128i out[4])
{
    __m128i t0 = _mm_unpacklo_epi32(a, b), t1 = _mm_unpacklo_epi32(c, d);
    __m128i t2 = _mm_unpackhi_epi32(a, b), t3 = _mm_unpackhi_epi32(c, d);
    out[0] = _mm_unpacklo_epi64(t0, t1);
    out[1] = _mm_unpackhi_epi64(t0, t1);
    out[2] = _mm_unpacklo_epi64(t2, t3);
    out[3] = _mm_unpackhi_epi64(t2, t3);
}

/* out[p] lane j (j < N <= 8) = q[j] lane p */
ALWAYS_INLINE void transpose4_n(const __m128i *q, int N, __m256i out[4])
{
    const __m128i z = _mm_setzero_si128();
    __m128i lo[4], hi[4] = { z, z, z, z };
    transpose4x4(q[0], N > 1 ? q[1] : z, N > 2 ? q[2] : z, N > 3 ? q[3] : z, lo);
    if (N > 4)
        transpose4x4(q[4], N > 5 ? q[5] : z, N > 6 ? q[6] : z, N > 7 ? q[7] : z, hi);
    for (int p = 0; p < 4; p++)
        out[p] = _mm256_set_m128i(hi[p], lo[p]);
}

ALWAYS_INLINE uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* lanes j < N: d and dmin (the first 4 bytes of a Q4_K block) of blk[j] */
ALWAYS_INLINE void k4_d_dmin(const uint8_t *const blk[8], int N, __m256 *d, __m256 *dmin)
{
    const __m128i lo = _mm_setr_epi32((int)load_u32(blk[0]), N > 1 ? (int)load_u32(blk[1]) : 0,
                                      N > 2 ? (int)load_u32(blk[2]) : 0, N > 3 ? (int)load_u32(blk[3]) : 0);
    __m128i hi = _mm_setzero_si128();
    if (N > 4)
        hi = _mm_setr_epi32((int)load_u32(blk[4]), N > 5 ? (int)load_u32(blk[5]) : 0,
                            N > 6 ? (int)load_u32(blk[6]) : 0, N > 7 ? (int)load_u32(blk[7]) : 0);
    const __m256 f0 = _mm256_cvtph_ps(lo), f1 = _mm256_cvtph_ps(hi);   /* d0 m0 d1 m1 .. */
    const __m256 ds = _mm256_shuffle_ps(f0, f1, _MM_SHUFFLE(2, 0, 2, 0));  /* d0 d1 d4 d5 | d2 d3 d6 d7 */
    const __m256 ms = _mm256_shuffle_ps(f0, f1, _MM_SHUFFLE(3, 1, 3, 1));
    *d = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ds), _MM_SHUFFLE(3, 1, 2, 0)));
    *dmin = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ms), _MM_SHUFFLE(3, 1, 2, 0)));
}

#define K4_QS 16    /* offsetof(pd_block_q4_k, qs) */
#define K4_BB 144   /* sizeof(pd_block_q4_k) */

/* R rows (row r's blocks at a[r]) x C (1 or 2) Q8_K columns y[c], lanes =
 * rows; two columns share the unpacking of the weights. */
ALWAYS_INLINE void q4k_rows_xc(int64_t nb, const uint8_t *const a[Q4K_W], int R, size_t ahead, int npf,
                               const pd_block_q8_k *const y[2], int C, float *const out[2], bool gemm)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), z = _mm256_setzero_si256();
    __m256 acc[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() }, accm[2] = { acc[0], acc[0] };
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *blk[8];
        __m256i sc2[Q4K_W], sum[2][Q4K_W], pc[2][Q4K_W];
        __m128i ms[2][Q4K_W], pairs[2];
        __m256 dd[2], dm[2];
#pragma GCC unroll 2
        for (int c = 0; c < C; c++) {
            const __m256i bs = load256(y[c][i].bsums);
            pairs[c] = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            __m128i mn;
            blk[r] = a[r] + (size_t)i * K4_BB;
            if (r < npf) {    /* the rows interleave, which the hardware prefetchers miss */
                _mm_prefetch((const char *)blk[r] + ahead, _MM_HINT_T0);
                _mm_prefetch((const char *)blk[r] + ahead + 64, _MM_HINT_T0);
                _mm_prefetch((const char *)blk[r] + ahead + 128, _MM_HINT_T0);
            }
            k4_scales_vec(blk[r] + 4, &sc2[r], &mn);
#pragma GCC unroll 2
            for (int c = 0; c < C; c++) {
                ms[c][r] = _mm_madd_epi16(mn, pairs[c]);
                sum[c][r] = z;
            }
        }
        __m256 dw, mw;
        k4_d_dmin(blk, R, &dw, &mw);
#pragma GCC unroll 2
        for (int c = 0; c < C; c++) {
            const __m256 dy = _mm256_set1_ps(y[c][i].d);
            dd[c] = _mm256_mul_ps(dw, dy);
            dm[c] = _mm256_mul_ps(mw, dy);
        }
#pragma GCC unroll 4
        for (int ch = 0; ch < 4; ch++) {
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                const __m256i q = load256(blk[r] + K4_QS + 32 * ch);
                const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
#pragma GCC unroll 2
                for (int c = 0; c < C; c++) {
                    const __m256i p0 = _mm256_maddubs_epi16(lo, load256(y[c][i].qs + 64 * ch));
                    const __m256i p1 = _mm256_maddubs_epi16(hi, load256(y[c][i].qs + 64 * ch + 32));
                    if (gemm)
                        pc[c][r] = k4_pair_madd(z, p0, p1, sc2[r], ch);
                    else
                        sum[c][r] = k4_pair_madd(sum[c][r], p0, p1, sc2[r], ch);
                    __asm__("" : "+x"(sum[c][r]));   /* keep the sums in order: GCC's reassociation spills */
                }
            }
            if (gemm)
#pragma GCC unroll 2
                for (int c = 0; c < C; c++)
                    acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold8_n(pc[c], R)), dd[c], acc[c]);
        }
#pragma GCC unroll 2
        for (int c = 0; c < C; c++) {
            if (gemm) {
                __m256i mp[4];
                transpose4_n(ms[c], R, mp);
#pragma GCC unroll 4
                for (int p = 0; p < 4; p++)
                    accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mp[p]), dm[c], accm[c]);
            } else {
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold8_n(sum[c], R)), dd[c], acc[c]);
                accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold4_n(ms[c], R)), dm[c], accm[c]);
            }
        }
    }
    for (int c = 0; c < C; c++) {
        float v[8];
        _mm256_storeu_ps(v, _mm256_sub_ps(acc[c], accm[c]));
        for (int r = 0; r < R; r++)
            out[c][r] = v[r];
    }
}

/* One row (kb blocks from row) x W (4 or 8) columns, lanes = columns: dyv[i]
 * holds the columns' d of block i, pairs[i][c] column c's sums of bsums pairs. */
ALWAYS_INLINE void q4k_row_xw(int kb, const uint8_t *row, const pd_block_q8_k *const b[8], int W,
                              const float (*dyv)[8], const int16_t (*pairs)[8][8],
                              __m256 *pacc, __m256 *paccm, bool gemm)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), z = _mm256_setzero_si256();
    __m256 acc = *pacc, accm = *paccm;
    for (int i = 0; i < kb; i++) {
        const uint8_t *blk = row + (size_t)i * K4_BB;
        __m256i sc2, sum[8], pc[8];
        __m128i mn, ms[8];
        k4_scales_vec(blk + 4, &sc2, &mn);
#pragma GCC unroll 8
        for (int c = 0; c < W; c++) {
            ms[c] = _mm_madd_epi16(mn, _mm_load_si128((const __m128i *)pairs[i][c]));
            sum[c] = z;
        }
        uint16_t dh[2];
        memcpy(dh, blk, 4);
        const __m256 dv = _mm256_load_ps(dyv[i]);
        const __m256 dd = _mm256_mul_ps(_mm256_set1_ps(h2f(dh[0])), dv);
        const __m256 dm = _mm256_mul_ps(_mm256_set1_ps(h2f(dh[1])), dv);
#pragma GCC unroll 4
        for (int ch = 0; ch < 4; ch++) {
            const __m256i q = load256(blk + K4_QS + 32 * ch);
            const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            const __m256i s0 = k4_scale(sc2, 2 * ch), s1 = k4_scale(sc2, 2 * ch + 1);
#pragma GCC unroll 8
            for (int c = 0; c < W; c++) {
                const int8_t *y = b[c][i].qs + 64 * ch;
                const __m256i p0 = _mm256_maddubs_epi16(lo, load256(y));
                const __m256i p1 = _mm256_maddubs_epi16(hi, load256(y + 32));
                if (gemm)
                    pc[c] = madd16(madd16(z, p0, s0), p1, s1);
                else
                    sum[c] = madd16(madd16(sum[c], p0, s0), p1, s1);
                __asm__("" : "+x"(sum[c]));
            }
            if (gemm)
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold8_n(pc, W)), dd, acc);
        }
        if (gemm) {
            __m256i mp[4];
            transpose4_n(ms, W, mp);
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++)
                accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mp[p]), dm, accm);
        } else {
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold8_n(sum, W)), dd, acc);
            accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(fold4_n(ms, W)), dm, accm);
        }
    }
    *pacc = acc;
    *paccm = accm;
}

/* Rows r0.. in groups of Q4K_W against C (1 or 2) columns */
ALWAYS_INLINE void q4k_rows(int64_t nb, const void *w, size_t ws, int r0, int nr,
                            const pd_block_q8_k *const y[2], int C, float *const out[2], bool gemm, bool prefetch)
{
    for (; r0 < nr; r0 += Q4K_W) {
        const uint8_t *a[Q4K_W];
        const int R = nr - r0 < Q4K_W ? nr - r0 : Q4K_W;
        /* prefetch the next group's rows (only those of this call: the
         * memory after them may be another thread's or an unused expert's),
         * for the last group its own rows 4 blocks ahead */
        const int next = nr - r0 - R < R ? nr - r0 - R : R;
        const size_t ahead = next > 0 ? (size_t)R * ws : 4 * K4_BB;
        const int npf = !prefetch ? 0 : next > 0 ? next : R;
        for (int r = 0; r < R; r++)
            a[r] = (const uint8_t *)w + (size_t)(r0 + r) * ws;
        float *const o[2] = { out[0] + r0, out[1] + r0 };
#define Q4K_ROWS_CASE(RR) case RR: \
            if (C == 2) q4k_rows_xc(nb, a, RR, ahead, npf, y, 2, o, gemm); \
            else q4k_rows_xc(nb, a, RR, ahead, npf, y, 1, o, gemm); \
            break;
        switch (R) {
#if Q4K_W == 8
        Q4K_ROWS_CASE(8)
        Q4K_ROWS_CASE(7)
        Q4K_ROWS_CASE(6)
        Q4K_ROWS_CASE(5)
#endif
        Q4K_ROWS_CASE(4)
        Q4K_ROWS_CASE(3)
        Q4K_ROWS_CASE(2)
        default: Q4K_ROWS_CASE(1)
        }
#undef Q4K_ROWS_CASE
    }
}

/* Columns c0..c0+N (N <= W) as one group of the 1 x W kernel, all rows;
 * missing columns repeat the first.  The float sums of up to Q4K_RCH rows
 * wait in a stash while the next K chunk of column data is prepared. */
ALWAYS_INLINE void q4k_cols(int64_t nb, const void *w, size_t ws, int nr, const void *x, size_t xs,
                            int c0, int N, int W, float *out, size_t os, bool gemm)
{
    float dyv[TILE_KCH][8] __attribute__((aligned(32)));
    int16_t pairs[TILE_KCH][8][8] __attribute__((aligned(16)));
    __m256 stash[Q4K_RCH][2];
    const pd_block_q8_k *b[8];
    for (int c = 0; c < W; c++)
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c0 + (c < N ? c : 0));
    for (int r0 = 0; r0 < nr; r0 += Q4K_RCH) {
        const int rn = nr - r0 < Q4K_RCH ? nr - r0 : Q4K_RCH;
        for (int r = 0; r < rn; r++)
            stash[r][0] = stash[r][1] = _mm256_setzero_ps();
        for (int64_t k0 = 0; k0 < nb; k0 += TILE_KCH) {
            const int kb = (int)(nb - k0 < TILE_KCH ? nb - k0 : TILE_KCH);
            const pd_block_q8_k *bk[8];
            for (int c = 0; c < W; c++)
                bk[c] = b[c] + k0;
            for (int i = 0; i < kb; i++)
                for (int c = 0; c < W; c++) {
                    dyv[i][c] = bk[c][i].d;
                    __m256i bs = load256(bk[c][i].bsums);
                    _mm_store_si128((__m128i *)pairs[i][c], _mm_hadd_epi16(_mm256_castsi256_si128(bs),
                                                                          _mm256_extracti128_si256(bs, 1)));
                }
            for (int r = 0; r < rn; r++)
                q4k_row_xw(kb, (const uint8_t *)w + (size_t)(r0 + r) * ws + (size_t)k0 * K4_BB, bk, W,
                           (const float (*)[8])dyv, (const int16_t (*)[8][8])pairs,
                           &stash[r][0], &stash[r][1], gemm);
        }
        for (int r = 0; r < rn; r++) {
            float v[8];
            _mm256_storeu_ps(v, _mm256_sub_ps(stash[r][0], stash[r][1]));
            for (int c = 0; c < N; c++)
                out[(size_t)(c0 + c) * os + (size_t)(r0 + r)] = v[c];
        }
    }
}

ALWAYS_INLINE void q4k_ordered(int64_t n, const void *w, size_t ws, int nr,
                               const void *x, size_t xs, int nc, float *out, size_t os, bool gemm)
{
    const int64_t nb = n / PD_QK_K;
    if (nb == 0) {
        for (int c = 0; c < nc; c++)
            for (int r = 0; r < nr; r++)
                out[(size_t)c * os + (size_t)r] = 0.0f;
        return;
    }
    /* groups of 8 columns, then 5-7 as a padded group of 8, 4 as one of 4 */
    int c0 = 0;
    for (; c0 + 8 <= nc; c0 += 8)
        q4k_cols(nb, w, ws, nr, x, xs, c0, 8, 8, out, os, gemm);
    if (nc - c0 >= 5) {
        q4k_cols(nb, w, ws, nr, x, xs, c0, nc - c0, 8, out, os, gemm);
        c0 = nc;
    } else if (nc - c0 == 4) {
        q4k_cols(nb, w, ws, nr, x, xs, c0, 4, 4, out, os, gemm);
        c0 = nc;
    }
    /* 1-3 columns: the rows kernel, two columns at a time (3 = 2 + 1 beats
     * a padded group of 4), a few rows at a time so that they stay in
     * cache for the next pair */
    for (int r0 = 0; r0 < nr && c0 < nc; r0 += Q4K_RCH) {
        const int rn = nr - r0 < Q4K_RCH ? nr - r0 : Q4K_RCH;
        for (int c = c0; c < nc; c += 2) {
            const int C = nc - c < 2 ? 1 : 2;
            const pd_block_q8_k *const y[2] = { (const pd_block_q8_k *)XROW(x, xs, c),
                                                (const pd_block_q8_k *)XROW(x, xs, c + C - 1) };
            float *const o[2] = { out + (size_t)c * os + r0, out + (size_t)(c + C - 1) * os + r0 };
            q4k_rows(nb, (const char *)w + (size_t)r0 * ws, ws, 0, rn, y, C, o, gemm, c == c0);
        }
    }
}

static void q4k_gemv(int64_t n, const void *w, size_t ws, int nr,
                     const void *x, size_t xs, int nc, float *out, size_t os)
{
    q4k_ordered(n, w, ws, nr, x, xs, nc, out, os, false);
}

static void q4k_gemm(int64_t n, const void *w, size_t ws, int nr,
                     const void *x, size_t xs, int nc, float *out, size_t os)
{
    q4k_ordered(n, w, ws, nr, x, xs, nc, out, os, true);
}

/* ---- Q4_K on rows repacked in groups of 8 (quant.h): lanes = rows ----
 * One 32-byte load holds 4 quant bytes of each of the 8 rows; a sub-block's
 * 8 loads are multiplied with the column's 4-byte pieces broadcast and summed
 * in 16 bits (8 x 2 x 15 x 128 < 32768), then scaled per row in one madd.
 * The integer sums are exact; the float steps per block (gemv) or per
 * 64-value pair (gemm) are the plain kernels' steps, lane by lane. */
#define Q4K8_C 4   /* columns per pass */

/* Scale (mask SC) or min pair (mask MN) vectors of a block: X8_PICK(v, q0,
 * q1, mask) puts 64-bit elements q0, q1 of v in both halves, then spreads 8
 * rows' bytes into the 8 lanes as 16-bit pairs. (Lane indices in a vector,
 * not immediates: the loops that compute them need not be unrolled.) */
#define X8_SC_MASK _mm256_setr_epi8(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1, \
                                    4, -1, 4, -1, 5, -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1)
#define X8_MN_MASK _mm256_setr_epi8(0, -1, 8, -1, 1, -1, 9, -1, 2, -1, 10, -1, 3, -1, 11, -1, \
                                    4, -1, 12, -1, 5, -1, 13, -1, 6, -1, 14, -1, 7, -1, 15, -1)
#define X8_PICK(v, q0, q1, mask) \
    _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32((v), _mm256_setr_epi32(2 * (q0), 2 * (q0) + 1, \
        2 * (q1), 2 * (q1) + 1, 2 * (q0), 2 * (q0) + 1, 2 * (q1), 2 * (q1) + 1)), (mask))

/* The 6-bit scales and mins of a block's 8 rows as bytes: sl[8j + r] =
 * scale j (j < 4) of row r, sh the scales 4..7; ml, mh the mins. */
ALWAYS_INLINE void k4x8_scales(const pd_block_q4_kx8 *g, __m256i *sl, __m256i *sh, __m256i *ml, __m256i *mh)
{
    const __m256i a = load256(g->sc[0]), b = load256(g->sc[4]), c = load256(g->sc[8]);
    const __m256i m6 = _mm256_set1_epi8(0x3f), m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    *sl = _mm256_and_si256(a, m6);
    *ml = _mm256_and_si256(b, m6);
    *sh = _mm256_or_si256(_mm256_and_si256(c, m4), _mm256_and_si256(_mm256_srli_epi16(a, 2), m30));
    *mh = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4),
                          _mm256_and_si256(_mm256_srli_epi16(b, 2), m30));
}

/* 8 rows (block g) x C columns (y[c] = the columns' block): adds the block
 * into acc (scales) and accm (mins), per block or per pair as gemm says. */
ALWAYS_INLINE void q4k8_block(const pd_block_q4_kx8 *g, const pd_block_q8_k *const y[Q4K8_C], int C,
                              __m256 acc[Q4K8_C], __m256 accm[Q4K8_C], bool gemm)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i sl, sh, ml, mh;
    k4x8_scales(g, &sl, &sh, &ml, &mh);
    const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)g->d));
    const __m256 m8 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)g->dmin));
    __m256 dd[Q4K8_C];
    __m256i isum[Q4K8_C];
#pragma GCC unroll 4
    for (int c = 0; c < C; c++)
        dd[c] = _mm256_mul_ps(d8, _mm256_set1_ps(y[c]->d));
#pragma GCC unroll 4
    for (int ch = 0; ch < 4; ch++) {
        __m256i alo[Q4K8_C], ahi[Q4K8_C];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            const __m256i v = load256(g->qs[ch][k]);
            const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) {
                const int8_t *q = y[c]->qs + 64 * ch + 4 * k;
                const __m256i pl = _mm256_maddubs_epi16(lo, _mm256_set1_epi32((int)load_u32((const uint8_t *)q)));
                const __m256i ph = _mm256_maddubs_epi16(hi, _mm256_set1_epi32((int)load_u32((const uint8_t *)q + 32)));
                alo[c] = k ? _mm256_add_epi16(alo[c], pl) : pl;
                ahi[c] = k ? _mm256_add_epi16(ahi[c], ph) : ph;
            }
        }
        const __m256i src = ch < 2 ? sl : sh;
        const int e = 2 * (ch & 1);
        const __m256i s0 = X8_PICK(src, e, e, X8_SC_MASK);
        const __m256i s1 = X8_PICK(src, e + 1, e + 1, X8_SC_MASK);
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) {
            const __m256i is = _mm256_add_epi32(_mm256_madd_epi16(alo[c], s0), _mm256_madd_epi16(ahi[c], s1));
            if (gemm)
                acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is), dd[c], acc[c]);
            else
                isum[c] = ch ? _mm256_add_epi32(isum[c], is) : is;
        }
    }
    /* mins: m_j of each row times the column's sum over sub-block j */
    const __m256i mp[4] = { X8_PICK(ml, 0, 1, X8_MN_MASK), X8_PICK(ml, 2, 3, X8_MN_MASK),
                            X8_PICK(mh, 0, 1, X8_MN_MASK), X8_PICK(mh, 2, 3, X8_MN_MASK) };
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
        const __m256 dm = _mm256_mul_ps(m8, _mm256_set1_ps(y[c]->d));
        const __m256i bs = load256(y[c]->bsums);
        const __m256i yp = _mm256_broadcastsi128_si256(_mm_hadd_epi16(_mm256_castsi256_si128(bs),
                                                                      _mm256_extracti128_si256(bs, 1)));
        __m256i ms[4];
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++)
            ms[p] = _mm256_madd_epi16(mp[p], _mm256_permutevar8x32_epi32(yp, _mm256_set1_epi32(p)));
        if (gemm) {
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++)
                accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms[p]), dm, accm[c]);
        } else {
            const __m256i m = _mm256_add_epi32(_mm256_add_epi32(ms[0], ms[1]), _mm256_add_epi32(ms[2], ms[3]));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), dd[c], acc[c]);
            accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), dm, accm[c]);
        }
    }
}

/* Groups of 8 rows x C columns, all blocks. The blocks of the call are one
 * contiguous run: the hardware prefetchers follow it, and a software
 * prefetch 2 blocks ahead (inside the run) hides the rest of the latency
 * (measured: 0.87 -> 0.97 of the read bandwidth with 2 threads). */
#define Q4K8_AHEAD 2

ALWAYS_INLINE void q4k8_cols(int64_t nb, const pd_block_q4_kx8 *w, int ngroups, const void *x, size_t xs,
                             int c0, int C, float *out, size_t os, bool gemm)
{
    const pd_block_q4_kx8 *end = w + (size_t)ngroups * (size_t)nb;
    for (int gi = 0; gi < ngroups; gi++) {
        const pd_block_q4_kx8 *g = w + (size_t)gi * (size_t)nb;
        __m256 acc[Q4K8_C], accm[Q4K8_C];
        for (int c = 0; c < C; c++)
            acc[c] = accm[c] = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb; i++) {
            const pd_block_q8_k *y[Q4K8_C];
            for (int c = 0; c < C; c++)
                y[c] = (const pd_block_q8_k *)XROW(x, xs, c0 + c) + i;
            if (g + i + Q4K8_AHEAD < end)
                for (size_t l = 0; l < sizeof *g; l += 64)
                    _mm_prefetch((const char *)(g + i + Q4K8_AHEAD) + l, _MM_HINT_T0);
            q4k8_block(g + i, y, C, acc, accm, gemm);
        }
        for (int c = 0; c < C; c++)
            _mm256_storeu_ps(out + (size_t)(c0 + c) * os + 8 * (size_t)gi, _mm256_sub_ps(acc[c], accm[c]));
    }
}

ALWAYS_INLINE void q4k8_ordered(int64_t n, const void *w, int nr, const void *x, size_t xs,
                                int nc, float *out, size_t os, bool gemm)
{
    const int64_t nb = n / PD_QK_K;
    for (int c0 = 0; c0 < nc; c0 += Q4K8_C) {
        const int C = nc - c0 < Q4K8_C ? nc - c0 : Q4K8_C;
        switch (C) {
        case 4: q4k8_cols(nb, w, nr / 8, x, xs, c0, 4, out, os, gemm); break;
        case 3: q4k8_cols(nb, w, nr / 8, x, xs, c0, 3, out, os, gemm); break;
        case 2: q4k8_cols(nb, w, nr / 8, x, xs, c0, 2, out, os, gemm); break;
        default: q4k8_cols(nb, w, nr / 8, x, xs, c0, 1, out, os, gemm); break;
        }
    }
}

static void q4k8_gemv(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    (void)ws;
    q4k8_ordered(n, w, nr, x, xs, nc, out, os, false);
}

static void q4k8_gemm(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    (void)ws;
    q4k8_ordered(n, w, nr, x, xs, nc, out, os, true);
}

/* Q6_K: one weight row against up to Q6_W columns; unpacking the 6-bit
 * values is the costly part, so it is shared by as many columns as the
 * registers allow (8 with AVX-512's 32 registers). */
#ifdef PD_REGS32
#define Q6_W 8
#else
#define Q6_W 4
#endif

ALWAYS_INLINE void tile_q6_k_1xN(int64_t nb, const pd_block_q6_k *a, const void *x, size_t xs,
                                 int N, float *out, size_t os)
{
    __m256 acc[Q6_W];
    const pd_block_q8_k *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[c] = _mm256_setzero_ps();
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c);
    }
    for (int64_t i = 0; i < nb; i++) {
        __m128i sc8 = _mm_loadu_si128((const __m128i *)a[i].scales);
        __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        __m256i sumi[Q6_W];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)     /* start at -32 * sum_j sc_j * bsum_j */
            sumi[c] = _mm256_sub_epi32(_mm256_setzero_si256(),
                          _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(b[c][i].bsums)), 5));
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++)
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                __m256i e = q6_unpack(a[i].ql + 64 * h, a[i].qh + 32 * h, k);
                __m256i sp = q6_scale_pair(sc8, 8 * h + 2 * k);
#pragma GCC unroll 8
                for (int c = 0; c < N; c++) {
                    __m256i p = _mm256_maddubs_epi16(e, load256(b[c][i].qs + 128 * h + 32 * k));
                    sumi[c] = madd16(sumi[c], p, sp);
                }
            }
        float d = h2f(a[i].d);
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * b[c][i].d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = hsum_ps(acc[c]);
}

/* F16: 4 columns of a K chunk are converted to f32 once, then 2x4
 * micro-tiles do 8 fma per 2 conversions (the tile is fma-bound). */
#define F16_KCH 1024
#ifdef PD_REGS32
#define F16_ROWS 4    /* 16 accumulators: needs the 32 registers of AVX-512 */
#else
#define F16_ROWS 2
#endif

ALWAYS_INLINE void f16_rows_x4(const float (*xf)[F16_KCH], int kn, const uint16_t *const a[F16_ROWS],
                               int R, float *out, size_t os, int N, bool add, bool bf)
{
    __m256 acc[F16_ROWS][4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            acc[r][c] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= kn; k += 8) {
        __m256 wv[F16_ROWS];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
            wv[r] = bf ? ld_bf16(a[r], k) : ld_f16(a[r], k);
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            __m256 xv = _mm256_load_ps(xf[c] + k);
            __asm__("" : "+x"(xv));   /* one load for all rows, not one per fma */
#pragma GCC unroll 4
            for (int r = 0; r < R; r++)
                acc[r][c] = _mm256_fmadd_ps(wv[r], xv, acc[r][c]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        for (int c = 0; c < N; c++) {
            float v = hsum_ps(acc[r][c]);
            for (int j = k; j < kn; j++)
                v += (bf ? pd_bf16_to_f32(a[r][j]) : h2f(a[r][j])) * xf[c][j];
            float *o = out + (size_t)c * os + r;
            *o = add ? *o + v : v;
        }
}

/* F16 and BF16 (bf) */
ALWAYS_INLINE void tile_half(int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int nc, float *out, size_t os, bool bf)
{
    float xf[4][F16_KCH] __attribute__((aligned(32)));
    const int ncg = tile_cols(nc, 4);
    tile_rest_by_dot(bf ? dot_bf16 : dot_f16, n, w, ws, nr, x, xs, ncg, nc, out, os);
    for (int c0 = 0; c0 < ncg; c0 += 4) {
        int N = ncg - c0 < 4 ? ncg - c0 : 4;
        for (int64_t k0 = 0; k0 < n; k0 += F16_KCH) {
            int kn = (int)(n - k0 < F16_KCH ? n - k0 : F16_KCH);
            for (int c = 0; c < 4; c++) {   /* missing columns repeat the first */
                const uint16_t *xc = (const uint16_t *)XROW(x, xs, c0 + (c < N ? c : 0)) + k0;
                if (bf)
                    deq_bf16(xc, xf[c], kn);
                else
                    deq_f16(xc, xf[c], kn);
            }
            for (int r0 = 0; r0 < nr; r0 += F16_ROWS) {
                int R = nr - r0 < F16_ROWS ? nr - r0 : F16_ROWS;
                const uint16_t *a[F16_ROWS];
                for (int r = 0; r < F16_ROWS; r++)
                    a[r] = (const uint16_t *)((const char *)w + (size_t)(r0 + (r < R ? r : 0)) * ws) + k0;
                float *o = out + (size_t)c0 * os + r0;
                switch (R) {
#if F16_ROWS == 4
                case 4: f16_rows_x4(xf, kn, a, 4, o, os, N, k0 > 0, bf); break;
                case 3: f16_rows_x4(xf, kn, a, 3, o, os, N, k0 > 0, bf); break;
#endif
                case 2: f16_rows_x4(xf, kn, a, 2, o, os, N, k0 > 0, bf); break;
                default: f16_rows_x4(xf, kn, a, 1, o, os, N, k0 > 0, bf); break;
                }
            }
        }
    }
}

static void tile_f16(int64_t n, const void *w, size_t ws, int nr,
                     const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_half(n, w, ws, nr, x, xs, nc, out, os, false);
}

static void tile_bf16(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_half(n, w, ws, nr, x, xs, nc, out, os, true);
}

/* Rows one at a time (a row of 4096 Q6_K is 3.3 KB: it stays in L1 while
 * its columns stream), columns in groups of Q6_W. */
static void tile_q6_k(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    const int64_t nb = n / PD_QK_K;
    for (int r = 0; r < nr; r++) {
        const pd_block_q6_k *a = (const pd_block_q6_k *)((const char *)w + (size_t)r * ws);
        for (int c = 0; c < nc; c += Q6_W) {
            const void *xc = XROW(x, xs, c);
            float *o = out + (size_t)c * os + r;
            switch (nc - c < Q6_W ? nc - c : Q6_W) {
#if Q6_W == 8
            case 8: tile_q6_k_1xN(nb, a, xc, xs, 8, o, os); break;
            case 7: tile_q6_k_1xN(nb, a, xc, xs, 7, o, os); break;
            case 6: tile_q6_k_1xN(nb, a, xc, xs, 6, o, os); break;
            case 5: tile_q6_k_1xN(nb, a, xc, xs, 5, o, os); break;
#endif
            case 4: tile_q6_k_1xN(nb, a, xc, xs, 4, o, os); break;
            case 3: tile_q6_k_1xN(nb, a, xc, xs, 3, o, os); break;
            case 2: tile_q6_k_1xN(nb, a, xc, xs, 2, o, os); break;
            default: tile_q6_k_1xN(nb, a, xc, xs, 1, o, os); break;
            }
        }
    }
}

/* Q2_K / Q3_K (q3): one weight row against up to Q6_W columns, the 2-bit
 * unpacking (and Q3_K's high bits) shared; each column's lanes take the
 * same integer sums and the same fmas in the same order as dot_q2_k /
 * dot_q3_k, so the results are the row dot's bit for bit. */
ALWAYS_INLINE void tile_k23_1xN(bool q3, int64_t nb, const void *row, const void *x, size_t xs,
                                int N, float *out, size_t os)
{
    const __m128i m4 = _mm_set1_epi8(0x0f);
    const __m256i four = _mm256_set1_epi8(4), zero = _mm256_setzero_si256();
    __m256 acc[Q6_W];
    const pd_block_q8_k *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[c] = _mm256_setzero_ps();
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c);
    }
    for (int64_t i = 0; i < nb; i++) {
        const pd_block_q2_k *a2 = (const pd_block_q2_k *)row + i;
        const pd_block_q3_k *a3 = (const pd_block_q3_k *)row + i;
        const uint8_t *qs = q3 ? a3->qs : a2->qs;
        __m128i sc8;
        __m256i hb = zero;
        float d;
        if (q3) {
            sc8 = q3_k_scales(a3->scales);
            hb = load256(a3->hmask);
            d = h2f(a3->d);
        } else {
            __m128i sm = _mm_loadu_si128((const __m128i *)a2->scales);
            sc8 = _mm_and_si128(sm, m4);
            __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sm, 4), m4));
            float dmin = h2f(a2->dmin);
            d = h2f(a2->d);
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) {
                __m256i msum = _mm256_madd_epi16(mins, load256(b[c][i].bsums));
                acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(-b[c][i].d * dmin), _mm256_cvtepi32_ps(msum), acc[c]);
            }
        }
        __m256i sumi[Q6_W];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            sumi[c] = zero;
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            __m256i q = load256(qs + 32 * h);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                __m256i u = q2_bits32(q, k), sub4 = zero;
                if (q3) {
                    __m256i bit = _mm256_and_si256(hb, _mm256_set1_epi8((char)(1 << (4 * h + k))));
                    sub4 = _mm256_and_si256(_mm256_cmpeq_epi8(bit, zero), four);
                }
                __m256i sp = q6_scale_pair(sc8, 8 * h + 2 * k);
#pragma GCC unroll 8
                for (int c = 0; c < N; c++) {
                    __m256i y = load256(b[c][i].qs + 128 * h + 32 * k);
                    __m256i p = _mm256_maddubs_epi16(u, y);
                    if (q3)
                        p = _mm256_sub_epi16(p, _mm256_maddubs_epi16(sub4, y));
                    sumi[c] = madd16(sumi[c], p, sp);
                }
            }
        }
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(b[c][i].d * d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = hsum_ps(acc[c]);
}

/* IQ4_NL / IQ4_XS: one weight row against up to Q6_W columns, the table
 * lookup of the nibbles (and their absolute values) shared; each column
 * takes the same integer sums and the same float operations in the same
 * order as dot_iq4_nl / dot_iq4_xs, so the results are the row dot's bit
 * for bit. */
ALWAYS_INLINE void tile_iq4_nl_1xN(int64_t nb, const pd_block_iq4_nl *a, const void *x, size_t xs,
                                   int N, float *out, size_t os)
{
    __m256 acc[2][Q6_W];            /* even, odd blocks */
    const pd_block_q8_0 *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[0][c] = acc[1][c] = _mm256_setzero_ps();
        b[c] = (const pd_block_q8_0 *)XROW(x, xs, c);
    }
    int64_t i = 0;
    for (; i + 2 <= nb; i += 2)
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m256i v = iq4_values32(a[i + h].qs), av = _mm256_sign_epi8(v, v);
            const float da = h2f(a[i + h].d);
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) {
                __m256i p = dot_us8(_mm256_setzero_si256(), av, _mm256_sign_epi8(load256(b[c][i + h].qs), v));
                acc[h][c] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(b[c][i + h].d) * da), _mm256_cvtepi32_ps(p),
                                            acc[h][c]);
            }
        }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = hsum_ps(_mm256_add_ps(acc[0][c], acc[1][c]));
    if (i < nb) {
        const __m256i v = iq4_values32(a[i].qs), av = _mm256_sign_epi8(v, v);
        const float da = h2f(a[i].d);
        for (int c = 0; c < N; c++)
            out[(size_t)c * os] = iq4_nl_tail(out[(size_t)c * os], h2f(b[c][i].d) * da,
                dot_us8(_mm256_setzero_si256(), av, _mm256_sign_epi8(load256(b[c][i].qs), v)));
    }
}

ALWAYS_INLINE void tile_iq4_xs_1xN(int64_t nb, const pd_block_iq4_xs *a, const void *x, size_t xs,
                                   int N, float *out, size_t os)
{
    __m256 acc[Q6_W];
    const pd_block_q8_k *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[c] = _mm256_setzero_ps();
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c);
    }
    for (int64_t i = 0; i < nb; i++) {
        __m256i sumi[Q6_W];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            sumi[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m256i v = iq4_values32(a[i].qs + 16 * j), av = _mm256_sign_epi8(v, v);
            const __m256i sc = iq4_xs_scale16(&a[i], j);
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) {
                __m256i p = _mm256_maddubs_epi16(av, _mm256_sign_epi8(load256(b[c][i].qs + 32 * j), v));
                sumi[c] = madd16(sumi[c], p, sc);
            }
        }
        const float d = h2f(a[i].d);
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * b[c][i].d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = hsum_ps(acc[c]);
}

ALWAYS_INLINE void tile_iq4_1xN(bool xs4, int64_t n, const void *row, const void *x, size_t xs,
                                int N, float *out, size_t os)
{
    if (xs4)
        tile_iq4_xs_1xN(n / PD_QK_K, row, x, xs, N, out, os);
    else
        tile_iq4_nl_1xN(n / PD_QK_0, row, x, xs, N, out, os);
}

/* IQ2_XXS / IQ3_XXS / IQ3_S / IQ2_XS / IQ2_S: one weight row against up to
 * Q6_W columns, each sub-block's grid values, signs (+1/-1 bytes) and
 * 2*ls + 1 looked up once for them all.  The integer sums are exact, so
 * each column's floats round as the row dot's, bit for bit. */
ALWAYS_INLINE void iqg_sub(pd_type t, const void *blk, int j, __m256i *g, __m256i *sg, __m256i *sc)
{
    uint32_t ss;
    if (t == PD_TYPE_IQ2_XS || t == PD_TYPE_IQ2_S) {
        iq2x_parts(t, blk, j, g, sg);
        *sc = iq2x_scale_of(iq2x_scales16(iq2x_scales(t, blk)), j);
        return;
    }
    if (t == PD_TYPE_IQ3_S) {
        const pd_block_iq3_s *b = blk;
        *g = iq3s_grid32(b, j);
        *sg = _mm256_or_si256(iq3s_negmask(b, j), _mm256_set1_epi8(1));
        *sc = _mm256_set1_epi16((short)(2 * ((b->scales[j / 2] >> (4 * (j % 2))) & 0xf) + 1));
        return;
    }
    if (t == PD_TYPE_IQ2_XXS) {
        uint32_t u[2];
        memcpy(u, ((const pd_block_iq2_xxs *)blk)->qs + 4 * j, sizeof u);
        *g = iq2xxs_grid32(u[0]);
        ss = u[1];
    } else {
        const pd_block_iq3_xxs *b = blk;
        *g = iq3xxs_grid32(b->qs + 8 * j);
        memcpy(&ss, b->qs + PD_QK_K / 4 + 4 * j, 4);
    }
    *sg = iqxxs_signs(ss);
    *sc = _mm256_set1_epi16((short)(2 * (ss >> 28) + 1));
}

ALWAYS_INLINE void tile_iqg_1xN(pd_type t, int64_t n, const void *row, const void *x, size_t xs,
                                int N, float *out, size_t os)
{
    const size_t bytes = t == PD_TYPE_IQ2_XXS ? sizeof(pd_block_iq2_xxs)
                       : t == PD_TYPE_IQ3_XXS ? sizeof(pd_block_iq3_xxs)
                       : t == PD_TYPE_IQ2_XS  ? sizeof(pd_block_iq2_xs)
                       : t == PD_TYPE_IQ2_S   ? sizeof(pd_block_iq2_s) : sizeof(pd_block_iq3_s);
    __m256 acc[Q6_W];
    const pd_block_q8_k *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[c] = _mm256_setzero_ps();
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c);
    }
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)row + (size_t)i * bytes;
        __m256i sumi[Q6_W];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            sumi[c] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            __m256i g, sg, sc;
            iqg_sub(t, blk, j, &g, &sg, &sc);
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) {
                __m256i p = _mm256_maddubs_epi16(g, _mm256_sign_epi8(load256(b[c][i].qs + 32 * j), sg));
                sumi[c] = madd16(sumi[c], p, sc);
            }
        }
        uint16_t hd;
        memcpy(&hd, blk, 2);      /* d leads the five blocks */
        const float d = h2f(hd);
#pragma GCC unroll 8
        for (int c = 0; c < N; c++)
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * b[c][i].d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
    }
    const float f = t == PD_TYPE_IQ3_XXS ? 0.25f : t == PD_TYPE_IQ3_S ? 1.0f : 0.125f;
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = f * hsum_ps(acc[c]);
}

/* IQ1_S / IQ1_M: one weight row against up to Q6_W columns, each
 * sub-block's grid values (and their absolute values), scales and IQ1_M's
 * delta signs looked up once for them all; IQ1_S's deltas take each
 * column's bsums.  The integer sums are exact, so each column's floats
 * round as the row dot's, bit for bit. */
ALWAYS_INLINE void tile_iq1_1xN(bool m, int64_t n, const void *row, const void *x, size_t xs,
                                int N, float *out, size_t os)
{
    __m256 acc[Q6_W], acc2[Q6_W];
    float acc1[Q6_W];
    const pd_block_q8_k *b[Q6_W];
#pragma GCC unroll 8
    for (int c = 0; c < N; c++) {
        acc[c] = acc2[c] = _mm256_setzero_ps();
        acc1[c] = 0.0f;
        b[c] = (const pd_block_q8_k *)XROW(x, xs, c);
    }
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const pd_block_iq1_s *as = (const pd_block_iq1_s *)row + i;
        const pd_block_iq1_m *am = (const pd_block_iq1_m *)row + i;
        uint16_t sc[4] = { 0 };
        if (m)
            memcpy(sc, am->scales, sizeof sc);
        const __m256i scales = iq1m_scales(sc);
        __m256i sumi[Q6_W], sumi2[Q6_W];
        int sumi1[Q6_W];
#pragma GCC unroll 8
        for (int c = 0; c < N; c++) {
            sumi[c] = sumi2[c] = _mm256_setzero_si256();
            sumi1[c] = 0;
        }
        int16_t cf[16];         /* IQ1_S: +-(2*ls + 1) for each bsum */
        for (int j = 0; j < 8; j++) {
            __m256i g, s, dl = _mm256_setzero_si256();
            if (m) {
                g = iq1m_grid32(am, j);
                s = iq1m_scale8(scales, j);
                dl = iq1m_deltas(am, j);
            } else {
                const unsigned h = as->qh[j];
                const int ls2 = (int)(2 * (h >> 12 & 7) + 1);
                g = iq1s_grid32_loads(as, j);
                s = _mm256_set1_epi8((char)ls2);
                cf[2 * j] = cf[2 * j + 1] = (int16_t)(h & 0x8000 ? -ls2 : ls2);
            }
            /* u8 (2*ls + 1) * |grid| (or the scale alone, for the deltas)
             * against s8 sign(y, grid): one vpdpbusd with VNNI (pairs <=
             * 2 * 15 * 127: maddubs does not saturate); shared by the columns */
            const __m256i w = _mm256_sign_epi8(s, _mm256_sign_epi8(g, g));
#pragma GCC unroll 8
            for (int c = 0; c < N; c++) {
                const __m256i y = load256(b[c][i].qs + 32 * j);
                sumi[c] = dot_us8(sumi[c], w, _mm256_sign_epi8(y, g));
                if (m)
                    sumi2[c] = dot_us8(sumi2[c], s, _mm256_sign_epi8(y, dl));
            }
        }
        if (!m) {
            const __m256i c16 = load256(cf);
#pragma GCC unroll 8
            for (int c = 0; c < N; c++)
                sumi1[c] = hsum_epi32(_mm256_madd_epi16(load256(b[c][i].bsums), c16));
        }
        const float d = m ? iq1m_d(sc) : h2f(as->d);
#pragma GCC unroll 8
        for (int c = 0; c < N; c++) {
            const float dc = b[c][i].d * d;
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dc), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
            if (m)
                acc2[c] = _mm256_fmadd_ps(_mm256_set1_ps(dc), _mm256_cvtepi32_ps(sumi2[c]), acc2[c]);
            else
                acc1[c] = fmaf(dc, (float)sumi1[c], acc1[c]);
        }
    }
#pragma GCC unroll 8
    for (int c = 0; c < N; c++)
        out[(size_t)c * os] = hsum_ps(acc[c]) + 0.125f * (m ? hsum_ps(acc2[c]) : acc1[c]);
}

/* One row against N columns, by the row's family (t is a constant wherever
 * the tile functions below inline this) */
ALWAYS_INLINE void tile_row_1xN(pd_type t, int64_t n, const void *row, const void *x, size_t xs,
                                int N, float *out, size_t os)
{
    switch (t) {
    case PD_TYPE_Q2_K:
    case PD_TYPE_Q3_K:
        tile_k23_1xN(t == PD_TYPE_Q3_K, n / PD_QK_K, row, x, xs, N, out, os);
        break;
    case PD_TYPE_IQ4_NL:
    case PD_TYPE_IQ4_XS:
        tile_iq4_1xN(t == PD_TYPE_IQ4_XS, n, row, x, xs, N, out, os);
        break;
    case PD_TYPE_IQ1_S:
    case PD_TYPE_IQ1_M:
        tile_iq1_1xN(t == PD_TYPE_IQ1_M, n, row, x, xs, N, out, os);
        break;
    default:
        tile_iqg_1xN(t, n, row, x, xs, N, out, os);
        break;
    }
}

/* Q2_K, Q3_K and the i-quants: rows one at a time (a row of 7168 Q2_K is
 * 2.3 KB, of IQ4_XS 3.8 KB: it stays in L1 while its columns stream),
 * columns in groups of Q6_W */
ALWAYS_INLINE void tile_rowwise(pd_type t, int64_t n, const void *w, size_t ws, int nr,
                                const void *x, size_t xs, int nc, float *out, size_t os)
{
    for (int r = 0; r < nr; r++) {
        const void *a = (const char *)w + (size_t)r * ws;
        for (int c = 0; c < nc; c += Q6_W) {
            const void *xc = XROW(x, xs, c);
            float *o = out + (size_t)c * os + r;
            switch (nc - c < Q6_W ? nc - c : Q6_W) {
#if Q6_W == 8
            case 8: tile_row_1xN(t, n, a, xc, xs, 8, o, os); break;
            case 7: tile_row_1xN(t, n, a, xc, xs, 7, o, os); break;
            case 6: tile_row_1xN(t, n, a, xc, xs, 6, o, os); break;
            case 5: tile_row_1xN(t, n, a, xc, xs, 5, o, os); break;
#endif
            case 4: tile_row_1xN(t, n, a, xc, xs, 4, o, os); break;
            case 3: tile_row_1xN(t, n, a, xc, xs, 3, o, os); break;
            case 2: tile_row_1xN(t, n, a, xc, xs, 2, o, os); break;
            default: tile_row_1xN(t, n, a, xc, xs, 1, o, os); break;
            }
        }
    }
}

#define ROWWISE_TILE(name, type)                                                      \
    static void name(int64_t n, const void *w, size_t ws, int nr, const void *x,      \
                     size_t xs, int nc, float *out, size_t os)                        \
    {                                                                                 \
        tile_rowwise(type, n, w, ws, nr, x, xs, nc, out, os);                         \
    }
ROWWISE_TILE(tile_q2_k, PD_TYPE_Q2_K)
ROWWISE_TILE(tile_q3_k, PD_TYPE_Q3_K)
ROWWISE_TILE(tile_iq4_nl, PD_TYPE_IQ4_NL)
ROWWISE_TILE(tile_iq4_xs, PD_TYPE_IQ4_XS)
ROWWISE_TILE(tile_iq2_xxs, PD_TYPE_IQ2_XXS)
ROWWISE_TILE(tile_iq3_xxs, PD_TYPE_IQ3_XXS)
ROWWISE_TILE(tile_iq3_s, PD_TYPE_IQ3_S)
ROWWISE_TILE(tile_iq2_xs, PD_TYPE_IQ2_XS)
ROWWISE_TILE(tile_iq2_s, PD_TYPE_IQ2_S)
ROWWISE_TILE(tile_iq1_s, PD_TYPE_IQ1_S)
ROWWISE_TILE(tile_iq1_m, PD_TYPE_IQ1_M)
#undef ROWWISE_TILE

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
