/* attn_kernels.c - the inner loops of attention over an F16 cache, with an
 * AVX2/F16C/FMA version picked at run time (target attributes, so the rest
 * of the library stays portable) and a scalar one that computes the same
 * roundings: half-precision accumulators are rounded after every update,
 * as llama.cpp's CPU flash attention does. */
#include "cpu/cpu.h"
#include "reduce.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Scalar
 * ------------------------------------------------------------------------ */
/* q . k in the order of ggml_vec_dot_f16 built for AVX-512 (llama.cpp's
 * flash attention scores): four 16-lane fma accumulators over steps of 64,
 * folded 0+2, 1+3, 0+1, the 16 lanes reduced as _mm512_reduce_add_ps does
 * (upper 8 + lower 8, upper 4 + lower 4, (0+2) + (1+3)), the tail added in
 * double. The scores feed roundings to half precision, so the order shows. */
static float dot_h_ref(const float *q, const uint16_t *k, int n)
{
    float acc[4][16] = {{0}};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++)
                acc[j][l] = fmaf(q[i + 16 * j + l], pd_h2f(k[i + 16 * j + l]), acc[j][l]);
    double s = pd_reduce_4x16(acc);
    for (int i = np; i < n; i++)
        s += (double)(q[i] * pd_h2f(k[i]));
    return (float)s;
}

static void dots_h_ref(const float *q, const uint16_t *k, size_t ks, int n_kv, int dk,
                       float scale, float *out)
{
    for (int p = 0; p < n_kv; p++)
        out[p] = dot_h_ref(q, k + (size_t)p * ks, dk) * scale;
}

/* Four query rows at once (64+ rows, where the order is ours): the scores
 * out[r][p] = (q[r] . k_p) * scale, one fma chain per row and key ... */
static void dots4_h_ref(const float *const q[4], const uint16_t *k, size_t ks, int n_kv, int dk,
                        float scale, float *const out[4])
{
    for (int p = 0; p < n_kv; p++)
        for (int r = 0; r < 4; r++) {
            float s = 0;
            for (int i = 0; i < dk; i++)
                s = fmaf(q[r][i], pd_h2f(k[(size_t)p * ks + i]), s);
            out[r][p] = s * scale;
        }
}

/* ... and out[r] = sum over p of w[r][p] * v_p, one fma per key in key order */
static void wsumf4_h_ref(float *const out[4], const uint16_t *v, size_t vs, int n_kv,
                         const float *const w[4], int dv)
{
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < dv; i++) {
            float a = 0;
            for (int p = 0; p < n_kv; p++)
                a = fmaf(w[r][p], pd_h2f(v[(size_t)p * vs + i]), a);
            out[r][i] = a;
        }
}

static void scale_h_ref(uint16_t *a, float m, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = pd_f2h(pd_h2f(a[i]) * m);
}

static void mad_h_ref(uint16_t *a, const uint16_t *v, float w, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = pd_f2h(fmaf(pd_h2f(v[i]), w, pd_h2f(a[i])));
}

/* acc = the half accumulator after every key of row_f16's online softmax:
 * for key p, acc = half(acc * ms[p]) where ms[p] != 1 (a new maximum), then
 * acc = half(acc + v_p * w[p]) */
static void wsum_h_ref(uint16_t *acc, const uint16_t *v, size_t vs, int n_kv,
                       const float *w, const float *ms, int dv)
{
    for (int p = 0; p < n_kv; p++) {
        if (ms[p] != 1.0f)
            scale_h_ref(acc, ms[p], dv);
        mad_h_ref(acc, v + (size_t)p * vs, w[p], dv);
    }
}

/* ------------------------------------------------------------------------
 * AVX2 + F16C + FMA
 * ------------------------------------------------------------------------ */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "cpu/settle.h"
#define TGT __attribute__((target("avx2,fma,f16c")))

/* dot_h_ref's order: each 16-lane accumulator as two 8-lane halves (named
 * variables: with arrays GCC kept the accumulators in memory) */
TGT static inline float dot_h_avx2(const float *q, const uint16_t *k, int n)
{
    __m256 l0 = _mm256_setzero_ps(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
    const int np = n & ~63;
#define DOT_H_STEP(lo, hi, o) \
    lo = _mm256_fmadd_ps(_mm256_loadu_ps(q + (o)), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + (o)))), lo); \
    hi = _mm256_fmadd_ps(_mm256_loadu_ps(q + (o) + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + (o) + 8))), hi)
    for (int i = 0; i < np; i += 64) {
        DOT_H_STEP(l0, h0, i);
        DOT_H_STEP(l1, h1, i + 16);
        DOT_H_STEP(l2, h2, i + 32);
        DOT_H_STEP(l3, h3, i + 48);
    }
#undef DOT_H_STEP
    const __m256 lo[4] = { l0, l1, l2, l3 }, hi[4] = { h0, h1, h2, h3 };
    const __m128 t2 = pd_reduce_4x16_avx_pair(lo, hi);
    double s = _mm_cvtss_f32(t2) + _mm_cvtss_f32(_mm_shuffle_ps(t2, t2, 1));
    for (int i = np; i < n; i++)
        s += (double)(q[i] * pd_h2f(k[i]));
    return (float)s;
}

/* Keys ahead to prefetch: decode's cache rows were evicted by the layer's
 * weights since the last token (rdtsc per key, 512 deep, 1 thread: dots
 * 72-79 -> 40-41 cycles; 4 and 16 ahead did less). */
#define ATTN_AHEAD 8

/* the keys in one loop: the next key's loads and fmas overlap this key's
 * reduction (a call per key left them waiting) */
TGT static void dots_h_avx2(const float *q, const uint16_t *k, size_t ks, int n_kv, int dk,
                            float scale, float *out)
{
    for (int p = 0; p < n_kv; p++) {
        if (p + ATTN_AHEAD < n_kv)   /* rows ks apart, evicted since the last token */
            pd_prefetch(k + (size_t)(p + ATTN_AHEAD) * ks, 2 * (size_t)dk);
        out[p] = dot_h_avx2(q, k + (size_t)p * ks, dk) * scale;
    }
    PD_SETTLE_UPPER();
}

TGT static inline __m256 round_h(__m256 x)
{
    return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}

/* NV (1..8) vectors of 8 values from value i0 on, held in registers across
 * all keys; fully unrolled so that GCC keeps x[] out of memory */
TGT static inline __attribute__((always_inline))
void wsum_block(uint16_t *acc, const uint16_t *v, size_t vs, int n_kv,
                const float *w, const float *ms, int i0, const int NV)
{
    __m256 x[8];
#pragma GCC unroll 8
    for (int g = 0; g < NV; g++)
        x[g] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i0 + 8 * g)));
    for (int p = 0; p < n_kv; p++) {
        const uint16_t *vp = v + (size_t)p * vs + i0;
        if (ms[p] != 1.0f) {
            const __m256 m = _mm256_set1_ps(ms[p]);
#pragma GCC unroll 8
            for (int g = 0; g < NV; g++)
                x[g] = round_h(_mm256_mul_ps(x[g], m));
        }
        const __m256 wp = _mm256_set1_ps(w[p]);
#pragma GCC unroll 8
        for (int g = 0; g < NV; g++)
            x[g] = round_h(_mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vp + 8 * g))),
                                           wp, x[g]));
    }
#pragma GCC unroll 8
    for (int g = 0; g < NV; g++)
        _mm_storeu_si128((__m128i *)(acc + i0 + 8 * g), _mm256_cvtps_ph(x[g], _MM_FROUND_TO_NEAREST_INT));
}

TGT static void wsum_h_avx2(uint16_t *acc, const uint16_t *v, size_t vs, int n_kv,
                            const float *w, const float *ms, int dv)
{
    int i0 = 0;
    for (; i0 + 64 <= dv; i0 += 64)
        wsum_block(acc, v, vs, n_kv, w, ms, i0, 8);
    switch ((dv - i0) / 8) {   /* 8-value vectors left: 0..7 */
    case 7: wsum_block(acc, v, vs, n_kv, w, ms, i0, 7); break;
    case 6: wsum_block(acc, v, vs, n_kv, w, ms, i0, 6); break;
    case 5: wsum_block(acc, v, vs, n_kv, w, ms, i0, 5); break;
    case 4: wsum_block(acc, v, vs, n_kv, w, ms, i0, 4); break;
    case 3: wsum_block(acc, v, vs, n_kv, w, ms, i0, 3); break;
    case 2: wsum_block(acc, v, vs, n_kv, w, ms, i0, 2); break;
    case 1: wsum_block(acc, v, vs, n_kv, w, ms, i0, 1); break;
    default: break;
    }
    i0 += (dv - i0) / 8 * 8;
    if (i0 < dv)   /* the last dv % 8 values one by one */
        for (int p = 0; p < n_kv; p++) {
            if (ms[p] != 1.0f)
                scale_h_ref(acc + i0, ms[p], dv - i0);
            mad_h_ref(acc + i0, v + (size_t)p * vs + i0, w[p], dv - i0);
        }
    PD_SETTLE_UPPER();
}

/* The 8 lanes of a0..a3 each summed: one score per row of four. */
TGT static inline __m128 hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* dots4_h_ref's sums: 8 lanes along k per row, the lanes summed at the end
 * (the order of the reference differs, so the tests allow rounding); two
 * keys at a time, so that eight fma chains overlap */
TGT static void dots4_h_avx2(const float *const q[4], const uint16_t *k, size_t ks, int n_kv, int dk,
                             float scale, float *const out[4])
{
    const int d8 = dk & ~7;
    for (int p = 0; p < n_kv; p += 2) {
        const uint16_t *kp = k + (size_t)p * ks, *kn = p + 1 < n_kv ? kp + ks : kp;
        for (int j = 0; j < 2; j++)
            if (p + j + ATTN_AHEAD < n_kv)
                pd_prefetch(kp + (size_t)(ATTN_AHEAD + j) * ks, 2 * (size_t)dk);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int i = 0; i < d8; i += 8) {
            const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kp + i)));
            const __m256 y = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kn + i)));
            const __m256 q0 = _mm256_loadu_ps(q[0] + i), q1 = _mm256_loadu_ps(q[1] + i);
            const __m256 q2 = _mm256_loadu_ps(q[2] + i), q3 = _mm256_loadu_ps(q[3] + i);
            a0 = _mm256_fmadd_ps(q0, x, a0); b0 = _mm256_fmadd_ps(q0, y, b0);
            a1 = _mm256_fmadd_ps(q1, x, a1); b1 = _mm256_fmadd_ps(q1, y, b1);
            a2 = _mm256_fmadd_ps(q2, x, a2); b2 = _mm256_fmadd_ps(q2, y, b2);
            a3 = _mm256_fmadd_ps(q3, x, a3); b3 = _mm256_fmadd_ps(q3, y, b3);
        }
        float s[2][4];
        _mm_storeu_ps(s[0], hsum4(a0, a1, a2, a3));
        _mm_storeu_ps(s[1], hsum4(b0, b1, b2, b3));
        for (int j = 0; j < 2 && p + j < n_kv; j++)
            for (int r = 0; r < 4; r++) {
                for (int i = d8; i < dk; i++)
                    s[j][r] = fmaf(q[r][i], pd_h2f((j ? kn : kp)[i]), s[j][r]);
                out[r][p + j] = s[j][r] * scale;
            }
    }
    PD_SETTLE_UPPER();
}

/* wsumf4_h_ref's steps: 16 values of the 4 rows in registers across keys,
 * each v_p piece converted once for the 4 rows */
TGT static void wsumf4_h_avx2(float *const out[4], const uint16_t *v, size_t vs, int n_kv,
                              const float *const w[4], int dv)
{
    int i0 = 0;
    for (; i0 + 16 <= dv; i0 += 16) {
        __m256 x00 = _mm256_setzero_ps(), x01 = x00, x10 = x00, x11 = x00;
        __m256 x20 = x00, x21 = x00, x30 = x00, x31 = x00;
        for (int p = 0; p < n_kv; p++) {
            const uint16_t *vp = v + (size_t)p * vs + i0;
            const __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)vp));
            const __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vp + 8)));
            __m256 b = _mm256_broadcast_ss(w[0] + p);
            x00 = _mm256_fmadd_ps(b, v0, x00);
            x01 = _mm256_fmadd_ps(b, v1, x01);
            b = _mm256_broadcast_ss(w[1] + p);
            x10 = _mm256_fmadd_ps(b, v0, x10);
            x11 = _mm256_fmadd_ps(b, v1, x11);
            b = _mm256_broadcast_ss(w[2] + p);
            x20 = _mm256_fmadd_ps(b, v0, x20);
            x21 = _mm256_fmadd_ps(b, v1, x21);
            b = _mm256_broadcast_ss(w[3] + p);
            x30 = _mm256_fmadd_ps(b, v0, x30);
            x31 = _mm256_fmadd_ps(b, v1, x31);
        }
        _mm256_storeu_ps(out[0] + i0, x00); _mm256_storeu_ps(out[0] + i0 + 8, x01);
        _mm256_storeu_ps(out[1] + i0, x10); _mm256_storeu_ps(out[1] + i0 + 8, x11);
        _mm256_storeu_ps(out[2] + i0, x20); _mm256_storeu_ps(out[2] + i0 + 8, x21);
        _mm256_storeu_ps(out[3] + i0, x30); _mm256_storeu_ps(out[3] + i0 + 8, x31);
    }
    if (i0 < dv) {   /* the last dv % 16 values */
        float *const o[4] = { out[0] + i0, out[1] + i0, out[2] + i0, out[3] + i0 };
        wsumf4_h_ref(o, v + i0, vs, n_kv, w, dv - i0);
    }
    PD_SETTLE_UPPER();
}

/* ktile: 8 keys x 8 values a step, converted and transposed in registers;
 * the keys past n_kv zero, a last partial group of 8 one value at a time */
TGT static void ktile_avx2(const uint16_t *k, size_t ks, int n_kv, int dk, float *kt)
{
    const int p8 = n_kv & ~7, d8 = dk & ~7;
    for (int p0 = 0; p0 < p8; p0 += 8)
        for (int i0 = 0; i0 < d8; i0 += 8) {
            __m256 r[8], t[8];
            for (int m = 0; m < 8; m++)
                r[m] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + (size_t)(p0 + m) * ks + i0)));
            for (int m = 0; m < 8; m += 2) {
                t[m] = _mm256_unpacklo_ps(r[m], r[m + 1]);
                t[m + 1] = _mm256_unpackhi_ps(r[m], r[m + 1]);
            }
            for (int m = 0; m < 8; m += 4) {
                r[m] = _mm256_shuffle_ps(t[m], t[m + 2], 0x44);
                r[m + 1] = _mm256_shuffle_ps(t[m], t[m + 2], 0xee);
                r[m + 2] = _mm256_shuffle_ps(t[m + 1], t[m + 3], 0x44);
                r[m + 3] = _mm256_shuffle_ps(t[m + 1], t[m + 3], 0xee);
            }
            for (int m = 0; m < 4; m++) {   /* r[m]: values m (low 128) and m + 4 (high) of keys 0..3, 4..7 */
                _mm256_storeu_ps(kt + (size_t)(i0 + m) * PD_ATTN_KT + p0,
                                 _mm256_permute2f128_ps(r[m], r[m + 4], 0x20));
                _mm256_storeu_ps(kt + (size_t)(i0 + m + 4) * PD_ATTN_KT + p0,
                                 _mm256_permute2f128_ps(r[m], r[m + 4], 0x31));
            }
        }
    for (int i = 0; i < dk; i++)
        for (int p = i < d8 ? p8 : 0; p < PD_ATTN_KT; p++)
            kt[(size_t)i * PD_ATTN_KT + p] = p < n_kv ? pd_h2f(k[(size_t)p * ks + i]) : 0.0f;
    PD_SETTLE_UPPER();
}

/* ---- AVX-512: the prefill weighted sum on 16 lanes (1.6x the AVX2 kernel's
 * rate on a 64-key tile), and the four rows' scores with keys as lanes (the
 * per-key horizontal sums bound dots4: on 16 lanes along k it gained 10 %) - */
#define TGT512 __attribute__((target("avx512f,avx512vl,avx2,fma,f16c")))

/* The four rows' scores of a transposed tile: 64 keys in 4 vectors, one
 * fma per row, key and value along k, as dots4_h_ref (the same bits) */
TGT512 static void dots4t_avx512(const float *const q[4], const float *kt, int n_kv, int dk, float scale,
                                 float *const out[4])
{
    __m512 acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < 4; g++)
            acc[r][g] = _mm512_setzero_ps();
    for (int i = 0; i < dk; i++) {
        const float *row = kt + (size_t)i * PD_ATTN_KT;
        const __m512 k0 = _mm512_loadu_ps(row), k1 = _mm512_loadu_ps(row + 16);
        const __m512 k2 = _mm512_loadu_ps(row + 32), k3 = _mm512_loadu_ps(row + 48);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            const __m512 b = _mm512_set1_ps(q[r][i]);
            acc[r][0] = _mm512_fmadd_ps(b, k0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(b, k1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(b, k2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(b, k3, acc[r][3]);
        }
    }
    const __m512 sc = _mm512_set1_ps(scale);
    for (int g = 0; g < 4; g++) {
        const int left = n_kv - 16 * g;
        const __mmask16 m = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
        for (int r = 0; r < 4; r++)
            _mm512_mask_storeu_ps(out[r] + 16 * g, m, _mm512_mul_ps(acc[r][g], sc));
    }
    PD_SETTLE_UPPER();
}

/* wsumf4_h_ref's steps, 32 values of the 4 rows at a time (each value's fma
 * chain is the same, so the same bits); the last dv % 32 as the AVX2 kernel */
TGT512 static void wsumf4_h_avx512(float *const out[4], const uint16_t *v, size_t vs, int n_kv,
                                   const float *const w[4], int dv)
{
    int i0 = 0;
    for (; i0 + 32 <= dv; i0 += 32) {
        __m512 x[4][2];
        for (int r = 0; r < 4; r++)
            x[r][0] = x[r][1] = _mm512_setzero_ps();
        for (int p = 0; p < n_kv; p++) {
            const uint16_t *vp = v + (size_t)p * vs + i0;
            const __m512 v0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)vp));
            const __m512 v1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(vp + 16)));
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                const __m512 b = _mm512_set1_ps(w[r][p]);
                x[r][0] = _mm512_fmadd_ps(b, v0, x[r][0]);
                x[r][1] = _mm512_fmadd_ps(b, v1, x[r][1]);
            }
        }
        for (int r = 0; r < 4; r++) {
            _mm512_storeu_ps(out[r] + i0, x[r][0]);
            _mm512_storeu_ps(out[r] + i0 + 16, x[r][1]);
        }
    }
    if (i0 < dv) {
        float *const o[4] = { out[0] + i0, out[1] + i0, out[2] + i0, out[3] + i0 };
        wsumf4_h_avx2(o, v + i0, vs, n_kv, w, dv - i0);
    }
    PD_SETTLE_UPPER();
}

#endif

/* ------------------------------------------------------------------------
 * Dispatch (PONDER_SIMD=scalar, honoured by quant.c, keeps the scalar loops)
 * ------------------------------------------------------------------------ */
static pd_attn_kernels kernels;

static void pick(void)
{
    kernels = (pd_attn_kernels){ dots_h_ref, wsum_h_ref, dots4_h_ref, wsumf4_h_ref, NULL, NULL };
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(pd_simd_level(), "scalar") != 0 && __builtin_cpu_supports("avx2")
        && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        kernels = (pd_attn_kernels){ dots_h_avx2, wsum_h_avx2, dots4_h_avx2, wsumf4_h_avx2, NULL, NULL };
    if (strcmp(pd_simd_level(), "avx512") == 0 && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512vl")) {   /* the prefill kernels (64+ rows) */
        kernels.wsumf4 = wsumf4_h_avx512;
        kernels.ktile = ktile_avx2;
        kernels.dots4t = dots4t_avx512;
    }
#endif
}

const pd_attn_kernels *pd_attn_kernels_get(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pick);
    return &kernels;
}
