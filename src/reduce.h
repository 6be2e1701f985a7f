/* reduce.h - the float reduction trees of ggml's x86 kernels, which several
 * of ours reproduce bit for bit (tools/precision/NOTES.md): the 16-lane
 * tree of _mm512_reduce_add_ps and the fold of four 16-lane accumulators
 * that ggml's AVX-512 dot products end with. Scalar definitions, and the
 * AVX2 form for 16 lanes held as two 8-lane halves. */
#ifndef PD_REDUCE_H
#define PD_REDUCE_H

/* _mm512_reduce_add_ps's order: upper 8 + lower 8, upper 4 + lower 4,
 * then (0 + 2) + (1 + 3). */
static inline float pd_reduce16(const float v[16])
{
    float t8[8], t4[4];
    for (int l = 0; l < 8; l++)
        t8[l] = v[l + 8] + v[l];
    for (int l = 0; l < 4; l++)
        t4[l] = t8[l + 4] + t8[l];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

/* Four 16-lane accumulators added as (0 + 2) + (1 + 3) lane by lane, then
 * pd_reduce16. Modifies acc[0]. */
static inline float pd_reduce_4x16(float acc[4][16])
{
    for (int l = 0; l < 16; l++)
        acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
    return pd_reduce16(acc[0]);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* pd_reduce16 of the 16 lanes (lo, hi) up to its last add: lane 0 holds
 * t4[0] + t4[2], lane 1 t4[1] + t4[3] (callers add them in float or double) */
__attribute__((target("avx"))) static inline __m128 pd_reduce16_avx_pair(__m256 lo, __m256 hi)
{
    const __m256 t8 = _mm256_add_ps(hi, lo);
    const __m128 t4 = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
    return _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
}

/* pd_reduce_4x16 of four accumulators held as 8-lane halves, to the pair */
__attribute__((target("avx"))) static inline __m128 pd_reduce_4x16_avx_pair(const __m256 lo[4],
                                                                          const __m256 hi[4])
{
    return pd_reduce16_avx_pair(_mm256_add_ps(_mm256_add_ps(lo[0], lo[2]), _mm256_add_ps(lo[1], lo[3])),
                                _mm256_add_ps(_mm256_add_ps(hi[0], hi[2]), _mm256_add_ps(hi[1], hi[3])));
}

/* the pair's last add, in float */
__attribute__((target("avx"))) static inline float pd_reduce_pair_sum(__m128 t2)
{
    return _mm_cvtss_f32(_mm_add_ss(t2, _mm_shuffle_ps(t2, t2, 1)));
}
#endif

#endif /* PD_REDUCE_H */
