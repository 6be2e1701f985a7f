/* vexp.c - the ops llama.cpp computes with ggml's vectorised exp (its
 * AVX-512 form): SiLU gating (ggml_vec_swiglu_f32 -> ggml_v_silu,
 * x / (1 + exp(-x))), the softmax of ggml_soft_max (MoE routers) and the
 * online softmax's tile step (the tiled attention). The
 * random-weight oracle models amplify an ulp here into visible logit
 * differences, so the AVX2 version below returns the scalar one's bits
 * (target attributes, picked at run time as the quant kernels are; the
 * AVX-512 level uses it too). */
#include "config.h"
#include "cpu/ops.h"
#include "quant_simd.h"
#include "reduce.h"

#include <pthread.h>
#include <string.h>

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

/* ggml_soft_max (ggml_vec_soft_max_f32): exp(x - max) by v_expf on whole
 * 16-lane vectors, each vector's sum reduced in float and added in double,
 * libm's expf on the tail; then a multiply by (float)(1 / sum). */
static double softmax_tail(float *x, int i, int n, float mx, double sum)
{
    for (; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    return sum;
}

static void softmax_scale(float *x, int n, double sum)
{
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

/* a plain compare, as ggml's MAX (fmaxf is a libm call per element, 1.8 %
 * of a deep --attn-f32 decode); a NaN is passed over, as fmaxf would */
static float max_of(const float *x, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    return mx;
}

static void softmax_ref(float *x, int n)
{
    const float mx = max_of(x, n);
    double sum = 0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int l = 0; l < 16; l++)
            x[i + l] = v_expf(x[i + l] - mx);
        sum += pd_reduce16(x + i);
    }
    softmax_scale(x, n, softmax_tail(x, i, n, mx, sum));
}

/* The online softmax's step over one tile of scores (the tiled attention):
 * the running maximum *m takes in x[0..nv); x[p] becomes exp(x[p] - m) for
 * p < nv and 0 for nv <= p < n (keys past the query's end); *rescale is
 * exp(m before - m after), the factor of the sums before this tile. Returns
 * the tile's sum. The sum runs in 8 lanes (index mod 8), folded 0+4, 2+6,
 * 0+2 and 1+5, 3+7, 1+3, then 0+1, so every level gives the same bits.
 * tile_start takes the tile's maximum tmax and the level's exp; it returns
 * 0 when there is nothing to sum (no keys, or nothing finite yet). */
static float tile_start(float *x, int n, int nv, float tmax, float *m, float *rescale, float *mx,
                        float (*exp1)(float))
{
    for (int p = nv; p < n; p++)
        x[p] = 0;
    *mx = tmax > *m ? tmax : *m;
    if (nv == 0 || *mx == -INFINITY) {
        *rescale = 1;
        for (int p = 0; p < nv; p++)
            x[p] = 0;
        return 0;
    }
    *rescale = *m == *mx ? 1 : exp1(*m - *mx);
    *m = *mx;
    return 1;
}

/* the lanes l[] after whole vectors, then the tail, folded */
static float sum8_tail(float l[8], const float *x, int i, int n)
{
    for (; i < n; i++)
        l[i % 8] += x[i];
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

static float sum8(const float *x, int n)
{
    float l[8] = {0};
    return sum8_tail(l, x, 0, n);
}

static float softmax_tile_ref(float *x, int n, int nv, float *m, float *rescale)
{
    float mx;
    if (!tile_start(x, n, nv, max_of(x, nv), m, rescale, &mx, v_expf))
        return 0;
    for (int p = 0; p < nv; p++)
        x[p] = v_expf(x[p] - mx);
    return sum8(x, nv);
}

#if defined(PD_HAVE_X86)
#include <immintrin.h>
#include "cpu/settle.h"

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
    PD_SETTLE_UPPER();
}

/* a 16-lane vector as two 8-lane halves, reduced as pd_reduce16 */
TGT2 static void softmax_avx2(float *x, int n)
{
    const float mx = max_of(x, n);
    const __m256 vmx = _mm256_set1_ps(mx);
    double sum = 0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 lo = v_expf_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
        const __m256 hi = v_expf_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vmx));
        _mm256_storeu_ps(x + i, lo);
        _mm256_storeu_ps(x + i + 8, hi);
        sum += pd_reduce_pair_sum(pd_reduce16_avx_pair(lo, hi));
    }
    softmax_scale(x, n, softmax_tail(x, i, n, mx, sum));
    PD_SETTLE_UPPER();
}

/* max_of's answer (a NaN passed over: max_ps returns its second operand) */
TGT2 static float max_avx2(const float *x, int n)
{
    __m256 acc = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_max_ps(_mm256_loadu_ps(x + i), acc);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    const float head = _mm_cvtss_f32(h), tail = max_of(x + i, n - i);
    return tail > head ? tail : head;
}

TGT2 static float exp1_avx2(float x)
{
    return _mm256_cvtss_f32(v_expf_avx2(_mm256_set1_ps(x)));
}

/* sum8_tail's fold of 8 lanes, in registers: (0+4, 1+5, 2+6, 3+7), then
 * (0+4)+(2+6) and (1+5)+(3+7), then those two */
TGT2 static float fold8_avx2(__m256 l)
{
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(l), _mm256_extractf128_ps(l, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
}

TGT2 static float tile_sum_avx2(float *x, int nv, float mx)
{
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= nv; p += 8) {
        const __m256 e = v_expf_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + p), vmx));
        _mm256_storeu_ps(x + p, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (p == nv)
        return fold8_avx2(acc);
    float t[8] = {0};   /* the tail through the vector exp too (the same bits as v_expf) */
    memcpy(t, x + p, (size_t)(nv - p) * sizeof *t);
    _mm256_storeu_ps(t, v_expf_avx2(_mm256_sub_ps(_mm256_loadu_ps(t), vmx)));
    memcpy(x + p, t, (size_t)(nv - p) * sizeof *t);
    float l[8];
    _mm256_storeu_ps(l, acc);
    return sum8_tail(l, x, p, nv);
}

TGT2 static float softmax_tile_avx2(float *x, int n, int nv, float *m, float *rescale)
{
    float mx, sum = 0;
    if (tile_start(x, n, nv, max_avx2(x, nv), m, rescale, &mx, exp1_avx2))
        sum = tile_sum_avx2(x, nv, mx);
    PD_SETTLE_UPPER_WITH(sum);
    return sum;
}
#endif

/* ------------------------------------------------------------------------
 * Dispatch: the level the quant kernels run at (PONDER_SIMD caps both)
 * ------------------------------------------------------------------------ */
typedef struct vexp_kernels {
    void (*silu_mul)(float *a, const float *b, int64_t n);
    void (*softmax)(float *x, int n);
    float (*softmax_tile)(float *x, int n, int nv, float *m, float *rescale);
} vexp_kernels;

static bool level_kernels(int level, vexp_kernels *k)
{
    if (level < 0 || level >= PD_SIMD_LEVELS || !pd_quant_kernels_get(level))
        return false;
    *k = (vexp_kernels){ silu_mul_ref, softmax_ref, softmax_tile_ref };
#if defined(PD_HAVE_X86)
    /* AVX-512 machines run the AVX2 versions: they return the same bits
     * and these ops are far from the hot path (on the one AVX-512 machine
     * measured, 512-bit attention kernels ran slower: bench/NOTES.md). */
    if (level >= PD_SIMD_AVX2)
        *k = (vexp_kernels){ silu_mul_avx2, softmax_avx2, softmax_tile_avx2 };
#endif
    return true;
}

static vexp_kernels active;

static void pick(void)
{
    const char *name = pd_simd_level();
    int level = PD_SIMD_SCALAR;
    for (int l = 0; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *k = pd_quant_kernels_get(l);
        if (k && !strcmp(k->name, name))
            level = l;
    }
    if (!level_kernels(level, &active))
        active = (vexp_kernels){ silu_mul_ref, softmax_ref, softmax_tile_ref };
}

static const vexp_kernels *kernels(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pick);
    return &active;
}

void pd_silu_mul(float *a, const float *b, int64_t n)
{
    kernels()->silu_mul(a, b, n);
}

void pd_softmax_ggml(float *x, int n)
{
    kernels()->softmax(x, n);
}

float pd_softmax_tile(float *x, int n, int nv, float *m, float *rescale)
{
    return kernels()->softmax_tile(x, n, nv, m, rescale);
}

bool pd_silu_mul_level(int level, float *a, const float *b, int64_t n)
{
    vexp_kernels k;
    if (!level_kernels(level, &k))
        return false;
    k.silu_mul(a, b, n);
    return true;
}

bool pd_softmax_ggml_level(int level, float *x, int n)
{
    vexp_kernels k;
    if (!level_kernels(level, &k))
        return false;
    k.softmax(x, n);
    return true;
}

bool pd_softmax_tile_level(int level, float *x, int n, int nv, float *m, float *rescale,
                           float *sum)
{
    vexp_kernels k;
    if (!level_kernels(level, &k))
        return false;
    *sum = k.softmax_tile(x, n, nv, m, rescale);
    return true;
}
