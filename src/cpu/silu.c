/* silu.c - SiLU gating, a[i] = silu(a[i]) * b[i], with SiLU as llama.cpp
 * computes it (ggml_vec_swiglu_f32 -> ggml_v_silu: x / (1 + exp(-x)) with
 * ggml's vectorised exp in its AVX-512 form). The random-weight oracle
 * models amplify an ulp here into visible logit differences, so every
 * version below returns the scalar one's bits: AVX-512 and AVX2 (target
 * attributes, picked at run time as the quant kernels are). */
#include "config.h"
#include "cpu/ops.h"
#include "quant_simd.h"

#include <pthread.h>

/* ------------------------------------------------------------------------
 * Scalar (the definition)
 * ------------------------------------------------------------------------ */
/* exp as ggml_v_expf: a rounding to a multiple of ln 2 (n), a degree-5
 * polynomial j of the rest, then j * 2^n rounded once (_mm512_scalef_ps).
 * Beyond |n| > 192 ggml returns 0 or inf. */
static float v_expf(float x)
{
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (!(fabsf(n) <= 192))   /* NaN too, where (int)n would be undefined */
        return n <= 0 ? 0.0f : isnan(n) ? n : INFINITY;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    return ldexpf(j, (int)n);
}

static void silu_mul_ref(float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        a[i] = a[i] / (1.0f + v_expf(0.0f - a[i])) * b[i];
}

#if defined(PD_HAVE_X86)
#include <immintrin.h>

/* ------------------------------------------------------------------------
 * AVX-512: ggml_v_expf and ggml_v_silu as ggml writes them
 * ------------------------------------------------------------------------ */
#define TGT512 __attribute__((target("avx512f,avx512dq,fma")))

TGT512 static __m512 v_expf_avx512(__m512 x)
{
    const __m512 r = _mm512_set1_ps(0x1.8p23f);
    const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
    const __m512 n = _mm512_sub_ps(z, r);
    const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                      _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
    const __m512 u = _mm512_mul_ps(b, b);
    const __m512 j = _mm512_fmadd_ps(
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)),
                        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const __m512 res = _mm512_scalef_ps(j, n);
    if (_mm512_kortestz(d, d))
        return res;
    const __m512 zero = _mm512_setzero_ps();
    const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, zero, _CMP_LE_OQ),
                                            _mm512_set1_ps(INFINITY), zero);
    return _mm512_mask_blend_ps(d, res, alt);
}

TGT512 static void silu_mul_avx512(float *a, const float *b, int64_t n)
{
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(a + i);
        const __m512 e = v_expf_avx512(_mm512_sub_ps(zero, x));
        const __m512 s = _mm512_div_ps(x, _mm512_add_ps(one, e));
        _mm512_storeu_ps(a + i, _mm512_mul_ps(s, _mm512_loadu_ps(b + i)));
    }
    silu_mul_ref(a + i, b + i, n - i);
}

/* ------------------------------------------------------------------------
 * AVX2: the same arithmetic 8 lanes wide; scalef as two exact multiplies
 * ------------------------------------------------------------------------ */
#define TGT2 __attribute__((target("avx2,fma")))

/* 2^k for integer k in [-126, 127] (a normal float) */
TGT2 static __m256 pow2_avx2(__m256i k)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

/* j * 2^n rounded once, for integral n in [-192, 192] and j in [0.5, 2):
 * j * 2^(n - k2) is exact (a normal float), the multiply by 2^k2 rounds,
 * where k2 = 127 above the normal range, -126 below it, else 0. */
TGT2 static __m256 scale_pow2_avx2(__m256 j, __m256 n)
{
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i hi = _mm256_cmpgt_epi32(ni, _mm256_set1_epi32(127));
    const __m256i lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(-126), ni);
    const __m256i k2 = _mm256_or_si256(_mm256_and_si256(hi, _mm256_set1_epi32(127)),
                                       _mm256_and_si256(lo, _mm256_set1_epi32(-126)));
    const __m256 first = _mm256_mul_ps(j, pow2_avx2(_mm256_sub_epi32(ni, k2)));
    return _mm256_mul_ps(first, pow2_avx2(k2));
}

TGT2 static __m256 v_expf_avx2(__m256 x)
{
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    const __m256 d = _mm256_cmp_ps(absn, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)),
                        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    const __m256 res = scale_pow2_avx2(j, n);
    if (_mm256_testz_ps(d, d))
        return res;
    const __m256 alt = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(),
                                        _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ));
    return _mm256_blendv_ps(res, alt, d);
}

TGT2 static void silu_mul_avx2(float *a, const float *b, int64_t n)
{
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(a + i);
        const __m256 e = v_expf_avx2(_mm256_sub_ps(zero, x));
        const __m256 s = _mm256_div_ps(x, _mm256_add_ps(one, e));
        _mm256_storeu_ps(a + i, _mm256_mul_ps(s, _mm256_loadu_ps(b + i)));
    }
    silu_mul_ref(a + i, b + i, n - i);
}
#endif

/* ------------------------------------------------------------------------
 * Dispatch: the level the quant kernels run at (PONDER_SIMD caps both)
 * ------------------------------------------------------------------------ */
typedef void (*silu_mul_fn)(float *a, const float *b, int64_t n);

static silu_mul_fn level_fn(int level)
{
    if (!pd_quant_kernels_get(level))
        return NULL;
#if defined(PD_HAVE_X86)
    if (level == PD_SIMD_AVX512)
        return silu_mul_avx512;
    if (level == PD_SIMD_AVX2)
        return silu_mul_avx2;
#endif
    return level == PD_SIMD_SCALAR ? silu_mul_ref : NULL;
}

static silu_mul_fn active;

static void pick(void)
{
    const char *name = pd_simd_level();
    int level = PD_SIMD_SCALAR;
    for (int l = 0; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *k = pd_quant_kernels_get(l);
        if (k && !strcmp(k->name, name))
            level = l;
    }
    active = level_fn(level);
    if (!active)
        active = silu_mul_ref;
}

void pd_silu_mul(float *a, const float *b, int64_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pick);
    active(a, b, n);
}

bool pd_silu_mul_level(int level, float *a, const float *b, int64_t n)
{
    const silu_mul_fn f = level >= 0 && level < PD_SIMD_LEVELS ? level_fn(level) : NULL;
    if (f)
        f(a, b, n);
    return f != NULL;
}
