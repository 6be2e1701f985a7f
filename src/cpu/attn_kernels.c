/* attn_kernels.c - the inner loops of attention over an F16 cache, with an
 * AVX2/F16C/FMA version picked at run time (target attributes, so the rest
 * of the library stays portable) and a scalar one that computes the same
 * roundings: half-precision accumulators are rounded after every update,
 * as llama.cpp's CPU flash attention does. */
#include "cpu/cpu.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Scalar
 * ------------------------------------------------------------------------ */
static float dot_h_ref(const float *q, const uint16_t *k, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s += q[i] * pd_h2f(k[i]);
    return s;
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

TGT static float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TGT static float dot_h_avx2(const float *q, const uint16_t *k, int n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i))), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i + 8))), a1);
    }
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        s += q[i] * pd_h2f(k[i]);
    return s;
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
