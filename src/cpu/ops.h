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
/* a[i] = silu(a[i]) * b[i], SiLU with ggml's vectorised exp (vexp.c); the
 * same bits at every SIMD level */
void pd_silu_mul(float *a, const float *b, int64_t n);
/* In place softmax of x[0..n) as ggml_soft_max rounds it (vexp.c; the MoE
 * routers); the same bits at every SIMD level. */
void pd_softmax_ggml(float *x, int n);
/* The same at SIMD level `level` (0 scalar, 1 AVX2, 2 AVX-512; tests);
 * false when this CPU or build lacks it. */
bool pd_silu_mul_level(int level, float *a, const float *b, int64_t n);
bool pd_softmax_ggml_level(int level, float *x, int n);
/* One tile of an online softmax (the tiled attention, vexp.c): the running
 * maximum *m takes in the scores x[0..nv); x[p] becomes exp(x[p] - *m) for
 * p < nv (ggml's vectorised exp) and 0 for nv <= p < n; *rescale = exp(old
 * *m - new *m) multiplies the sums before. Returns the tile's sum; the same
 * bits at every SIMD level. */
float pd_softmax_tile(float *x, int n, int nv, float *m, float *rescale);
bool pd_softmax_tile_level(int level, float *x, int n, int nv, float *m, float *rescale,
                           float *sum);

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
    bool expert;            /* a routed expert's product (ggml's mul_mat_id) */
} pd_mm;

/* Scratch shared by the products: the activations converted to each
 * weight's vec_dot type (once per row, as ggml does). */
typedef struct pd_mm_scratch {
    void *q;
    size_t cap;
} pd_mm_scratch;

pd_status pd_matmul(pd_pool *pool, pd_mm_scratch *s, const pd_mm *mm, int n_mm);

void pd_mm_scratch_free(pd_mm_scratch *s);

/* F32 dot product in the order of ggml_vec_dot_f32 built for AVX-512,
 * which llama.cpp's F32 products of a single input row (decode's MoE
 * routers) or with k % 16 != 0 use; the _ref form is the scalar
 * definition (tests). */
float pd_f32_dot_ggml(int64_t n, const float *x, const float *y);
float pd_f32_dot_ggml_ref(int64_t n, const float *x, const float *y);

/* Half floats at the speed attention needs: a 64K-entry table for
 * half -> float (built once), and round-to-nearest-even float -> half. */
extern float pd_h2f_table[65536];
void pd_h2f_init(void);
static inline float pd_h2f(uint16_t h) { return pd_h2f_table[h]; }
static inline uint16_t pd_f2h(float f)
{
    union { uint32_t u; float f; } in = { .f = f }, magic = { .u = 126u << 23 };
    const uint32_t sign = in.u & 0x80000000u;
    uint32_t o;
    in.u ^= sign;
    if (in.u >= 143u << 23) {                 /* too large: inf, or nan */
        o = in.u > 255u << 23 ? 0x7e00 : 0x7c00;
    } else if (in.u < 113u << 23) {           /* subnormal half: let the FPU round */
        in.f += magic.f;
        o = in.u - magic.u;
    } else {                                  /* normal: rebias, round to nearest even */
        const uint32_t odd = (in.u >> 13) & 1;
        in.u += ((uint32_t)(15 - 127) << 23) + 0xfff + odd;
        o = in.u >> 13;
    }
    return (uint16_t)(o | sign >> 16);
}

/* Dequantize row `row` of matrix `mat` into out (w->k floats). */
void pd_weight_get_row(const pd_weight *w, int64_t mat, int64_t row, float *out);

/* Ask for bytes at p to be brought into L1 (rows the hardware prefetchers
 * would fetch too late: the next row of a product, strided cache rows). */
static inline void pd_prefetch(const void *p, size_t bytes)
{
    for (size_t l = 0; l < bytes; l += 64)
        __builtin_prefetch((const char *)p + l, 0, 3);
}

#endif /* PD_CPU_OPS_H */
