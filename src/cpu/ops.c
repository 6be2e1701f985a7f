/* ops.c - CPU kernels: norms, RoPE, softmax, gating, and the quantized
 * matrix products. Plain loops with the maths in one comment each; the
 * heavy lifting of the products is pd_vec_dot_tile (quant.h, SIMD). */
#include "cpu/ops.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Elementwise
 * ------------------------------------------------------------------------ */
void pd_rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
    double ss = 0;   /* as ggml: float squares summed in double */
    for (int i = 0; i < n; i++)
        ss += (double)(x[i] * x[i]);
    const float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        y[i] = w ? x[i] * scale * w[i] : x[i] * scale;
}

void pd_softmax(float *x, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > mx) mx = x[i];
    double sum = 0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

/* exp as ggml_v_expf computes it in its AVX-512 form (softmax, SiLU): a
 * rounding to a multiple of ln 2, a degree-5 polynomial, then the scaling
 * by 2^n, exact (scalef). Beyond |n| > 192 ggml returns 0 or inf. */
static float v_expf(float x)
{
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (fabsf(n) > 192)
        return n <= 0 ? 0.0f : INFINITY;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    return ldexpf(j, (int)n);
}

void pd_silu_mul(float *a, const float *b, int64_t n)
{
    /* ggml_vec_swiglu_f32: ggml_v_silu on whole 16-lane vectors of a row,
     * the scalar silu (libm expf) on the rest; rows here are ff wide */
    if (pd_matmul_ggml_exact()) {
        for (int64_t i = 0; i < n; i++)
            a[i] = a[i] / (1.0f + v_expf(-a[i])) * b[i];
        return;
    }
    for (int64_t i = 0; i < n; i++)
        a[i] = pd_silu(a[i]) * b[i];
}

float pd_h2f_table[65536];

static void h2f_build(void)
{
    for (uint32_t i = 0; i < 65536; i++)
        pd_h2f_table[i] = pd_fp16_to_f32((uint16_t)i);
}

void pd_h2f_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, h2f_build);
}

/* ------------------------------------------------------------------------
 * RoPE
 * ------------------------------------------------------------------------ */
/* YaRN correction dimension: the pair index whose wavelength fits n_rot
 * turns into the original context. */
static float yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base)
{
    return n_dims * logf(n_ctx_orig / (n_rot * 2 * (float)M_PI)) / (2 * logf(base));
}

void pd_rope_cache(const pd_hparams *hp, int pos, float *cs)
{
    const int half = hp->rope_dim / 2;
    float *c = cs, *s = cs + half;
    float lo = 0, hi = 0;
    if (hp->yarn_ext_factor != 0) {
        lo = floorf(yarn_corr_dim(hp->rope_dim, hp->yarn_orig_ctx, hp->yarn_beta_fast, hp->rope_base));
        hi = ceilf(yarn_corr_dim(hp->rope_dim, hp->yarn_orig_ctx, hp->yarn_beta_slow, hp->rope_base));
        lo = fmaxf(0, lo);
        hi = fminf(hp->rope_dim - 1, hi);
    }
    /* ggml steps theta by a constant factor in float; so do we */
    const float theta_scale = powf(hp->rope_base, -2.0f / hp->rope_dim);
    float theta = (float)pos;
    for (int i = 0; i < half; i++) {
        const float ff = hp->rope_freqs ? hp->rope_freqs[i] : 1.0f;
        const float extrap = theta / ff;
        const float interp = hp->freq_scale * extrap;
        float t = interp;
        if (hp->yarn_ext_factor != 0) {
            float y = (i - lo) / fmaxf(0.001f, hi - lo);
            float ramp = (1 - fminf(1, fmaxf(0, y))) * hp->yarn_ext_factor;
            t = interp * (1 - ramp) + extrap * ramp;
        }
        c[i] = cosf(t) * hp->rope_mscale;
        s[i] = sinf(t) * hp->rope_mscale;
        theta *= theta_scale;
    }
}

void pd_rope_apply(pd_rope_kind kind, float *x, int rope_dim, const float *cs)
{
    const int half = rope_dim / 2;
    const float *c = cs, *s = cs + half;
    for (int i = 0; i < half; i++) {
        float *a = kind == PD_ROPE_NEOX ? &x[i] : &x[2 * i];
        float *b = kind == PD_ROPE_NEOX ? &x[i + half] : &x[2 * i + 1];
        const float x0 = *a, x1 = *b;
        /* the roundings of ggml built with FMA contraction (its default) */
        *a = fmaf(x0, c[i], -(x1 * s[i]));
        *b = fmaf(x0, s[i], x1 * c[i]);
    }
}

/* ------------------------------------------------------------------------
 * Matrix products
 * ------------------------------------------------------------------------ */
void pd_weight_get_row(const pd_weight *w, int64_t mat, int64_t row, float *out)
{
    pd_dequantize_row(w->type, pd_weight_row(w, mat, row), out, w->k);
}

void pd_mm_scratch_free(pd_mm_scratch *s)
{
    free(s->q);
    s->q = NULL;
    s->cap = 0;
}

typedef struct mm_plan {
    const void *xq;          /* activations in vec_dot format */
    size_t xq_stride;        /* bytes */
    size_t q_off;            /* where in the scratch, when converted */
    bool convert;
    int64_t r0, r1, chunk;   /* output rows and rows per work unit */
    int64_t unit0;           /* first global unit index */
    int64_t row0;            /* first global conversion row */
} mm_plan;

typedef struct mm_job {
    const pd_mm *mm;
    mm_plan *plan;
    int n_mm;
    int64_t n_units, n_rows;
    uint8_t *q;
    bool exact;              /* ggml-exact products */
    atomic_llong next;
} mm_job;

static const float *mm_xrow(const pd_mm *m, int64_t i)
{
    return m->x + (m->xrows ? m->xrows[i] : i) * m->ldx;
}

/* Phase 1: convert every input row once into its weight's vec_dot type. */
static void mm_convert(void *arg, int ith, int nth)
{
    mm_job *j = arg;
    const int64_t a = j->n_rows * ith / nth, b = j->n_rows * (ith + 1) / nth;
    int k = 0;
    for (int64_t r = a; r < b; r++) {
        while (k + 1 < j->n_mm && j->plan[k + 1].row0 <= r)
            k++;
        const mm_plan *p = &j->plan[k];
        const pd_mm *m = &j->mm[k];
        if (!p->convert)
            continue;
        const int64_t i = r - p->row0;
        pd_quantize_row(pd_type_vec_dot(m->w->type), mm_xrow(m, i),
                        j->q + p->q_off + (size_t)i * p->xq_stride, m->w->k);
    }
}

/* ------------------------------------------------------------------------
 * ggml-exact products (a reference: scalar, see ops.h)
 * ------------------------------------------------------------------------ */
static atomic_int ggml_exact = -1;   /* -1: not read from the environment yet */

bool pd_matmul_ggml_exact(void)
{
    int v = atomic_load_explicit(&ggml_exact, memory_order_relaxed);
    if (v < 0) {
        const char *e = getenv("PONDER_GGML_EXACT");
        v = e && *e && strcmp(e, "0") != 0;
        atomic_store_explicit(&ggml_exact, v, memory_order_relaxed);
    }
    return v;
}

void pd_matmul_set_ggml_exact(bool on)
{
    atomic_store_explicit(&ggml_exact, on, memory_order_relaxed);
}

/* Integer sums of one Q4_K x Q8_K super-block per 64-value pair p (two
 * sub-blocks): isum[p] = sum_j sc_j * q4.q8 over the pair, msum[p] =
 * sum_j m_j * (q8 sums of sub-block j). */
static void q4k_pair_sums(const pd_block_q4_k *a, const pd_block_q8_k *b, int isum[4], int msum[4])
{
    const uint8_t *q = a->scales;
    int sc[8], mn[8];
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
        mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
    for (int p = 0; p < 4; p++) {
        int lo = 0, hi = 0;
        for (int l = 0; l < 32; l++) {
            lo += (a->qs[32 * p + l] & 15) * b->qs[64 * p + l];
            hi += (a->qs[32 * p + l] >> 4) * b->qs[64 * p + 32 + l];
        }
        isum[p] = sc[2 * p] * lo + sc[2 * p + 1] * hi;
        msum[p] = mn[2 * p] * (b->bsums[4 * p] + b->bsums[4 * p + 1])
                + mn[2 * p + 1] * (b->bsums[4 * p + 2] + b->bsums[4 * p + 3]);
    }
}

/* ggml's repacked Q4_K kernels: the gemm (rows in groups of 4) adds each
 * 64-value pair into the float sums, the gemv (other rows, experts) each
 * whole super-block; scales and mins in separate sums, subtracted last. */
static float q4k_dot_repacked(int64_t n, const void *w, const void *x, bool gemm)
{
    const pd_block_q4_k *a = w;
    const pd_block_q8_k *b = x;
    float acc = 0, accm = 0;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int isum[4], msum[4];
        q4k_pair_sums(&a[i], &b[i], isum, msum);
        const float dd = pd_h2f(a[i].d) * b[i].d, dm = pd_h2f(a[i].dmin) * b[i].d;
        if (gemm) {
            for (int p = 0; p < 4; p++) {
                acc = fmaf((float)isum[p], dd, acc);
                accm = fmaf((float)msum[p], dm, accm);
            }
        } else {
            acc = fmaf((float)(isum[0] + isum[1] + isum[2] + isum[3]), dd, acc);
            accm = fmaf((float)(msum[0] + msum[1] + msum[2] + msum[3]), dm, accm);
        }
    }
    return acc - accm;
}

/* F32 x F32 as llamafile's tinyBLAS on AVX-512 (k % 16 == 0): 16 lanes of
 * fmas along k, then the lanes reduced as _mm512_reduce_add_ps does. */
static float f32_dot_tinyblas(int64_t n, const float *a, const float *b)
{
    float l16[16] = {0}, t8[8], t4[4];
    for (int64_t i = 0; i < n; i += 16)
        for (int l = 0; l < 16; l++)
            l16[l] = fmaf(a[i + l], b[i + l], l16[l]);
    for (int l = 0; l < 8; l++)
        t8[l] = l16[l + 8] + l16[l];
    for (int l = 0; l < 4; l++)
        t4[l] = t8[l + 4] + t8[l];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

/* One work unit (output rows r..r+nr of product m) in ggml's order; false
 * when the weight type has no exact path. Which kernel ggml picks: 2-D Q4_K
 * weights are repacked (gemm for the first n - n % 4 rows, gemv after),
 * experts always take the gemv, 3-D weights outside mul_mat_id are not
 * repacked (plain vec_dot, which pd_vec_dot follows). */
static bool mm_unit_exact(const pd_mm *m, const void *xq0, size_t xs, int64_t r, int nr)
{
    const pd_weight *w = m->w;
    if (w->type == PD_TYPE_Q4_K) {
        const int n_gemm = m->n > 3 ? m->n - m->n % 4 : 0;
        for (int t = 0; t < m->n; t++) {
            const void *xq = (const uint8_t *)xq0 + (size_t)t * xs;
            float *y = m->y + t * m->ldy;
            for (int i = 0; i < nr; i++) {
                const void *wr = pd_weight_row(w, m->mat, r + i);
                if (w->n_mat > 1 && !m->expert)
                    y[r + i] = pd_vec_dot(w->type, w->k, wr, xq);
                else
                    y[r + i] = q4k_dot_repacked(w->k, wr, xq, !m->expert && t < n_gemm);
            }
        }
        return true;
    }
    if (w->type == PD_TYPE_Q6_K) {   /* not repacked on x86: vec_dot everywhere */
        for (int t = 0; t < m->n; t++) {
            const void *xq = (const uint8_t *)xq0 + (size_t)t * xs;
            float *y = m->y + t * m->ldy;
            for (int i = 0; i < nr; i++)
                y[r + i] = pd_vec_dot(w->type, w->k, pd_weight_row(w, m->mat, r + i), xq);
        }
        return true;
    }
    if (w->type == PD_TYPE_F32 && w->k % 16 == 0) {
        for (int t = 0; t < m->n; t++) {
            const float *xr = (const float *)((const uint8_t *)xq0 + (size_t)t * xs);
            float *y = m->y + t * m->ldy;
            for (int i = 0; i < nr; i++)
                y[r + i] = f32_dot_tinyblas(w->k, (const float *)pd_weight_row(w, m->mat, r + i), xr);
        }
        return true;
    }
    return false;
}

#define MM_TOKEN_BLOCK 64

/* Phase 2: work units of output rows, handed out in order. */
static void mm_compute(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    mm_job *j = arg;
    int k = 0;
    for (;;) {
        const int64_t u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= j->n_units)
            return;
        while (k + 1 < j->n_mm && j->plan[k + 1].unit0 <= u)
            k++;
        const mm_plan *p = &j->plan[k];
        const pd_mm *m = &j->mm[k];
        const pd_weight *w = m->w;
        const int64_t r = p->r0 + (u - p->unit0) * p->chunk;
        const int nr = (int)(r + p->chunk <= p->r1 ? p->chunk : p->r1 - r);
        if (j->exact && mm_unit_exact(m, p->xq, p->xq_stride, r, nr))
            continue;
        if (m->n == 1 || (m->n == 2 && w->type == PD_TYPE_Q8_0)) {
            /* a row at a time beats the tile kernels for one or two tokens (decode) */
            for (int t = 0; t < m->n; t++) {
                const void *xq = (const uint8_t *)p->xq + (size_t)t * p->xq_stride;
                float *y = m->y + t * m->ldy;
                for (int i = 0; i < nr; i++)
                    y[r + i] = pd_vec_dot(w->type, w->k, pd_weight_row(w, m->mat, r + i), xq);
            }
            continue;
        }
        for (int t = 0; t < m->n; t += MM_TOKEN_BLOCK) {
            const int nc = m->n - t < MM_TOKEN_BLOCK ? m->n - t : MM_TOKEN_BLOCK;
            pd_vec_dot_tile(w->type, w->k, pd_weight_row(w, m->mat, r), w->row_bytes, nr,
                            (const uint8_t *)p->xq + (size_t)t * p->xq_stride, p->xq_stride,
                            nc, m->y + t * m->ldy + r, (size_t)m->ldy);
        }
    }
}

pd_status pd_matmul(pd_pool *pool, pd_mm_scratch *s, const pd_mm *mm, int n_mm)
{
    if (n_mm <= 0)
        return PD_OK;
    mm_plan stackplan[16];
    mm_plan *plan = n_mm <= 16 ? stackplan : malloc((size_t)n_mm * sizeof *plan);
    if (!plan)
        return pd_fail(PD_ENOMEM, "matmul: out of memory");
    const int nth = pd_pool_threads(pool);
    size_t q_bytes = 0;
    int64_t units = 0, rows = 0;
    for (int i = 0; i < n_mm; i++) {
        const pd_mm *m = &mm[i];
        mm_plan *p = &plan[i];
        const pd_type vt = pd_type_vec_dot(m->w->type);
        p->convert = !(vt == PD_TYPE_F32 && !m->xrows);
        size_t rb = 0;
        pd_type_row_bytes(vt, m->w->k, &rb);
        if (p->convert) {
            p->xq_stride = rb;
            p->q_off = q_bytes;
            q_bytes += (rb * (size_t)m->n + 63) & ~(size_t)63;
        } else {
            p->xq = m->x;
            p->xq_stride = (size_t)m->ldx * sizeof(float);
        }
        p->row0 = rows;
        rows += m->n;
        p->r0 = m->r1 > m->r0 ? m->r0 : 0;
        p->r1 = m->r1 > m->r0 ? m->r1 : m->w->n;
        /* enough units to balance the threads, but rows in multiples of 4 */
        int64_t nrow = p->r1 - p->r0;
        int64_t chunk = (nrow + 4 * nth - 1) / (4 * nth);
        chunk = (chunk + 3) & ~(int64_t)3;
        if (chunk < 8) chunk = 8;
        if (chunk > 64) chunk = 64;
        p->chunk = chunk;
        p->unit0 = units;
        units += m->n > 0 ? (nrow + chunk - 1) / chunk : 0;
    }
    if (q_bytes > s->cap) {
        void *q = realloc(s->q, q_bytes);
        if (!q) {
            if (plan != stackplan) free(plan);
            return pd_fail(PD_ENOMEM, "matmul: cannot allocate %zu bytes of scratch", q_bytes);
        }
        s->q = q;
        s->cap = q_bytes;
    }
    for (int i = 0; i < n_mm; i++)
        if (plan[i].convert)
            plan[i].xq = (uint8_t *)s->q + plan[i].q_off;
    mm_job j = { .mm = mm, .plan = plan, .n_mm = n_mm, .n_units = units,
                 .n_rows = rows, .q = s->q, .exact = pd_matmul_ggml_exact() };
    atomic_init(&j.next, 0);
    if (q_bytes && rows <= 4)
        mm_convert(&j, 0, 1);   /* decode: not worth waking the pool twice */
    else if (q_bytes)
        pd_pool_run(pool, mm_convert, &j);
    pd_pool_run(pool, mm_compute, &j);
    if (plan != stackplan)
        free(plan);
    return PD_OK;
}
