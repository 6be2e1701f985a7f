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

static void axpy_h_ref(float *a, const uint16_t *v, float w, int n)
{
    for (int i = 0; i < n; i++)
        a[i] += w * pd_h2f(v[i]);
}

/* ------------------------------------------------------------------------
 * AVX2 + F16C + FMA
 * ------------------------------------------------------------------------ */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TGT __attribute__((target("avx2,fma,f16c")))

/* dot_h_ref's order: each 16-lane accumulator as two 8-lane halves */
TGT static float dot_h_avx2(const float *q, const uint16_t *k, int n)
{
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; j++)
        lo[j] = hi[j] = _mm256_setzero_ps();
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++) {
            const int o = i + 16 * j;
            lo[j] = _mm256_fmadd_ps(_mm256_loadu_ps(q + o),
                                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + o))), lo[j]);
            hi[j] = _mm256_fmadd_ps(_mm256_loadu_ps(q + o + 8),
                                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + o + 8))), hi[j]);
        }
    const __m128 t2 = pd_reduce_4x16_avx_pair(lo, hi);
    double s = _mm_cvtss_f32(t2) + _mm_cvtss_f32(_mm_shuffle_ps(t2, t2, 1));
    for (int i = np; i < n; i++)
        s += (double)(q[i] * pd_h2f(k[i]));
    return (float)s;
}

TGT static void scale_h_avx2(uint16_t *a, float m, int n)
{
    const __m256 vm = _mm256_set1_ps(m);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), vm);
        _mm_storeu_si128((__m128i *)(a + i), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++)
        a[i] = pd_f2h(pd_h2f(a[i]) * m);
}

TGT static void mad_h_avx2(uint16_t *a, const uint16_t *v, float w, int n)
{
    const __m256 vw = _mm256_set1_ps(w);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 y = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
        x = _mm256_fmadd_ps(y, vw, x);
        _mm_storeu_si128((__m128i *)(a + i), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++)
        a[i] = pd_f2h(fmaf(pd_h2f(v[i]), w, pd_h2f(a[i])));
}

TGT static void axpy_h_avx2(float *a, const uint16_t *v, float w, int n)
{
    const __m256 vw = _mm256_set1_ps(w);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 y = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
        _mm256_storeu_ps(a + i, _mm256_fmadd_ps(y, vw, _mm256_loadu_ps(a + i)));
    }
    for (; i < n; i++)
        a[i] += w * pd_h2f(v[i]);
}
#endif

/* ------------------------------------------------------------------------
 * Dispatch (PONDER_SIMD=scalar, honoured by quant.c, keeps the scalar loops)
 * ------------------------------------------------------------------------ */
static pd_attn_kernels kernels;

static void pick(void)
{
    kernels = (pd_attn_kernels){ dot_h_ref, scale_h_ref, mad_h_ref, axpy_h_ref };
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(pd_simd_level(), "scalar") != 0 && __builtin_cpu_supports("avx2")
        && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        kernels = (pd_attn_kernels){ dot_h_avx2, scale_h_avx2, mad_h_avx2, axpy_h_avx2 };
#endif
}

const pd_attn_kernels *pd_attn_kernels_get(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pick);
    return &kernels;
}
