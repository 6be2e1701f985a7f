/* ops.h - the CPU kernels the forward pass is written in: RMSNorm, RoPE
 * (NORM/NEOX, YaRN, frequency factors), softmax, SiLU gating, and the
 * batched quantized matrix products (many small products in one pool job). */
#ifndef PD_CPU_OPS_H
#define PD_CPU_OPS_H

#include "model.h"
#include "cpu/pool.h"

#include <math.h>

/* y = x / sqrt(mean(x^2) + eps) * w  (n); y may alias x; w NULL = no scale */
void pd_rmsnorm(float *y, const float *x, const float *w, int n, float eps);
/* In place softmax of x[0..n). */
void pd_softmax(float *x, int n);
/* a[i] = silu(a[i]) * b[i] */
void pd_silu_mul(float *a, const float *b, int64_t n);
static inline float pd_silu(float x) { return x / (1.0f + expf(-x)); }

/* RoPE: cos/sin of every rotated pair of one position, as ggml computes them
 * (theta_i = pos * base^(-2i/d) / freq_factor_i, YaRN ramp between the
 * interpolated and extrapolated angle, magnitude rope_mscale). cs holds
 * rope_dim/2 cos values then rope_dim/2 sin values. */
void pd_rope_cache(const pd_hparams *hp, int pos, float *cs);
/* Rotate the first rope_dim values of x: NORM pairs (2i, 2i+1), NEOX pairs
 * (i, i + rope_dim/2). */
void pd_rope_apply(pd_rope_kind kind, float *x, int rope_dim, const float *cs);

/* One matrix product Y (n x w->n) = X (n x w->k) * W[mat]^T. */
typedef struct pd_mm {
    const pd_weight *w;
    int64_t mat;            /* which matrix of a 3-D weight */
    const float *x;         /* input row i at x + (xrows ? xrows[i] : i) * ldx */
    int64_t ldx;
    const int32_t *xrows;
    int n;                  /* rows of X */
    float *y;               /* output row i at y + i * ldy */
    int64_t ldy;
    int64_t r0, r1;         /* output columns [r0, r1); 0,0 = all */
} pd_mm;

/* Scratch shared by the products: the activations converted to each
 * weight's vec_dot type (once per row, as ggml does). */
typedef struct pd_mm_scratch {
    void *q;
    size_t cap;
} pd_mm_scratch;

pd_status pd_matmul(pd_pool *pool, pd_mm_scratch *s, const pd_mm *mm, int n_mm);
void pd_mm_scratch_free(pd_mm_scratch *s);

/* Dequantize row `row` of matrix `mat` into out (w->k floats). */
void pd_weight_get_row(const pd_weight *w, int64_t mat, int64_t row, float *out);

#endif /* PD_CPU_OPS_H */
