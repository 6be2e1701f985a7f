/* attn_kernels.h - the inner loops of attention over an F16 cache
 * (attn_kernels.c), picked for the machine at first use. Plain C
 * declarations: tests/gpu/test_ops.cu checks the GPU against them. */
#ifndef PD_CPU_ATTN_KERNELS_H
#define PD_CPU_ATTN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pd_attn_kernels {
    /* out[p] = (q . k_p) * scale for p < n_kv, k_p = k + p*ks */
    void (*dots)(const float *q, const uint16_t *k, size_t ks, int n_kv, int dk, float scale, float *out);
    /* the half accumulator of the online softmax: for each key p < n_kv,
     * acc = half(acc * ms[p]) where ms[p] != 1, then acc = half(acc + w[p] * v_p) */
    void (*wsum)(uint16_t *acc, const uint16_t *v, size_t vs, int n_kv,
                 const float *w, const float *ms, int dv);
    /* four query rows at once (64+ rows: one read of each key and value row
     * for four): out[r][p] = (q[r] . k_p) * scale, and out[r] = sum over p
     * of w[r][p] * v_p, one fma per key and value in key order */
    void (*dots4)(const float *const q[4], const uint16_t *k, size_t ks, int n_kv, int dk,
                  float scale, float *const out[4]);
    void (*wsumf4)(float *const out[4], const uint16_t *v, size_t vs, int n_kv,
                   const float *const w[4], int dv);
    /* the four rows' scores with keys as lanes (NULL where the level has
     * none): ktile writes n_kv <= PD_ATTN_KT keys transposed to F32, kt[i *
     * PD_ATTN_KT + p], the lanes past n_kv zero; dots4t scores them, one fma
     * chain per row and key along k (dots4's reference order, exactly) */
    void (*ktile)(const uint16_t *k, size_t ks, int n_kv, int dk, float *kt);
    void (*dots4t)(const float *const q[4], const float *kt, int n_kv, int dk, float scale,
                   float *const out[4]);
} pd_attn_kernels;
#define PD_ATTN_KT 64
const pd_attn_kernels *pd_attn_kernels_get(void);

#endif /* PD_CPU_ATTN_KERNELS_H */
