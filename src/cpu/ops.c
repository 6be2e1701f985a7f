/* ops.c - CPU kernels: norms, RoPE, softmax, gating, and the quantized
 * matrix products. Plain loops with the maths in one comment each; the
 * heavy lifting of the products is pd_vec_dot_tile (quant.h, SIMD). */
#include "config.h"
#include "cpu/ops.h"
#include "reduce.h"

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
    bool convert;            /* converts its rows (else reads x, or q_from's rows) */
    int q_from;              /* the earlier product whose converted rows it reads, or -1 */
    int base;                /* the base its rows are copied from (instead of converted), or -1 */
    int64_t r0, r1, chunk;   /* output rows and rows per work unit */
    int64_t unit0;           /* first global unit index */
    int64_t row0;            /* first global conversion row */
} mm_plan;

/* An input whose rows several products pick (xrows: the experts of a
 * prefill, each token's row going to several): its rows converted once,
 * then copied into each product's rows (the same bytes either way). */
typedef struct mm_base {
    const float *x;
    int64_t ldx, k, rows;    /* rows: 1 + the highest row picked */
    pd_type vt;
    int members;
    size_t off, stride;
    int64_t row0;            /* first global conversion row */
} mm_base;

typedef struct mm_job {
    const pd_mm *mm;
    mm_plan *plan;
    int n_mm;
    mm_base *base;
    int n_base;
    int64_t n_base_rows;     /* conversion rows of the bases, before the products' */
    int64_t n_units, n_rows;
    uint8_t *q;
    atomic_llong next;       /* next work unit of mm_compute */
    atomic_llong next_row;   /* next row of mm_convert */
    atomic_llong next_copy;  /* next row of mm_copy */
} mm_job;

static const float *mm_xrow(const pd_mm *m, int64_t i)
{
    return m->x + (m->xrows ? m->xrows[i] : i) * m->ldx;
}

/* Phase 1: convert every input row once into its weight's vec_dot type:
 * the bases' rows, then the products' (rows of product k+1 follow those of
 * product k); *k, *b: the product and base row r belongs to. */
static void convert_row(mm_job *j, int *k, int *b, int64_t r)
{
    if (r < j->n_base_rows) {
        while (*b + 1 < j->n_base && j->base[*b + 1].row0 <= r)
            (*b)++;
        const mm_base *B = &j->base[*b];
        const int64_t i = r - B->row0;
        pd_quantize_row(B->vt, B->x + i * B->ldx, j->q + B->off + (size_t)i * B->stride, B->k);
        return;
    }
    r -= j->n_base_rows;
    while (*k + 1 < j->n_mm && j->plan[*k + 1].row0 <= r)
        (*k)++;
    const mm_plan *p = &j->plan[*k];
    const pd_mm *m = &j->mm[*k];
    if (!p->convert || p->base >= 0)
        return;
    const int64_t i = r - p->row0;
    pd_quantize_row(pd_type_vec_dot(m->w->type), mm_xrow(m, i),
                    j->q + p->q_off + (size_t)i * p->xq_stride, m->w->k);
}

/* Phase 1b: a product's row i copied from its base's converted row xrows[i] */
static void copy_row(mm_job *j, int *k, int64_t r)
{
    while (*k + 1 < j->n_mm && j->plan[*k + 1].row0 <= r)
        (*k)++;
    const mm_plan *p = &j->plan[*k];
    if (p->base < 0)
        return;
    const mm_base *B = &j->base[p->base];
    const int64_t i = r - p->row0;
    memcpy(j->q + p->q_off + (size_t)i * p->xq_stride,
           j->q + B->off + (size_t)j->mm[*k].xrows[i] * B->stride, B->stride);
}

#define MM_CONVERT_ROWS 4   /* rows per claim */

/* The next claim of up to step of n rows from the shared counter: [*a, *e),
 * false when none are left */
static bool claim_rows(atomic_llong *next, int64_t step, int64_t n, int64_t *a, int64_t *e)
{
    *a = atomic_fetch_add_explicit(next, step, memory_order_relaxed);
    *e = *a + step < n ? *a + step : n;
    return *a < n;
}

/* Phase 1 as a pool job: rows claimed from a shared counter. */
static void mm_convert(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    mm_job *j = arg;
    int k = 0, b = 0;   /* one thread's claims only grow, so k and b only grow */
    int64_t a, e;
    while (claim_rows(&j->next_row, MM_CONVERT_ROWS, j->n_base_rows + j->n_rows, &a, &e))
        for (int64_t r = a; r < e; r++)
            convert_row(j, &k, &b, r);
}

/* Phase 1b as a pool job (a copy is cheaper than a conversion: larger claims) */
static void mm_copy(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    mm_job *j = arg;
    int k = 0;
    int64_t a, e;
    while (claim_rows(&j->next_copy, 4 * MM_CONVERT_ROWS, j->n_rows, &a, &e))
        for (int64_t r = a; r < e; r++)
            copy_row(j, &k, r);
}

#define MM_TOKEN_BLOCK 64

/* Which float order each output value gets: the one llama.cpp's x86 CPU
 * backend computes it in (tools/precision/NOTES.md), so that the oracle's
 * random-weight models, which amplify ulps, give llama.cpp's logits.
 * 2-D Q4_K weights with rows in multiples of 8 are repacked by llama.cpp:
 * its gemm takes the first n - n % 4 input rows of a product (n > 3), its
 * gemv the rest, decode, and every expert (mul_mat_id). */
static bool q4k_repacked(const pd_mm *m)
{
    const pd_weight *w = m->w;
    return w->type == PD_TYPE_Q4_K && (w->n_mat == 1 || m->expert) && w->n % 8 == 0;
}

/* Rows [t0, t1) of X against output columns r..r+nr, MM_TOKEN_BLOCK input
 * rows per call (the blocking never changes a value's order). */
static void mm_tiles(const pd_mm *m, const mm_plan *p, int64_t r, int nr, int t0, int t1, int order)
{
    const pd_weight *w = m->w;
    for (int t = t0; t < t1; t += MM_TOKEN_BLOCK) {
        const int nc = t1 - t < MM_TOKEN_BLOCK ? t1 - t : MM_TOKEN_BLOCK;
        const void *xq = (const uint8_t *)p->xq + (size_t)t * p->xq_stride;
        float *y = m->y + t * m->ldy + r;
        if (order >= 0 && w->x8 && r % 8 == 0 && nr % 8 == 0)
            pd_q4k8_tile_ordered((pd_q4k_order)order, w->k, pd_weight_row8(w, m->mat, r),
                                 nr, xq, p->xq_stride, nc, y, (size_t)m->ldy);
        else if (order >= 0)
            pd_q4k_tile_ordered((pd_q4k_order)order, w->k, pd_weight_row(w, m->mat, r), w->row_bytes,
                                nr, xq, p->xq_stride, nc, y, (size_t)m->ldy);
        else
            pd_vec_dot_tile(w->type, w->k, pd_weight_row(w, m->mat, r), w->row_bytes, nr,
                            xq, p->xq_stride, nc, y, (size_t)m->ldy);
    }
}

/* F32 . F32 as ggml_vec_dot_f32 built for AVX-512 (llama.cpp's F32 products
 * that tinyBLAS declines, see f32_vec_dot_order): four 16-lane fma
 * accumulators over steps of 64, folded (0+2) + (1+3), reduced as
 * _mm512_reduce_add_ps, the tail added in float (an fma: ggml is built
 * with FMA contraction). */
static float f32_dot_ggml_ref(int64_t n, const float *x, const float *y)
{
    float acc[4][16] = {{0}};
    const int64_t np = n & ~(int64_t)63;
    for (int64_t i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++)
                acc[j][l] = fmaf(x[i + 16 * j + l], y[i + 16 * j + l], acc[j][l]);
    float s = pd_reduce_4x16(acc);
    for (int64_t i = np; i < n; i++)
        s = fmaf(x[i], y[i], s);
    return s;
}

#if defined(PD_HAVE_X86)
#include <immintrin.h>

/* the same order, each 16-lane accumulator as two 8-lane halves */
__attribute__((target("avx2,fma")))
static float f32_dot_ggml_avx2(int64_t n, const float *x, const float *y)
{
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; j++)
        lo[j] = hi[j] = _mm256_setzero_ps();
    const int64_t np = n & ~(int64_t)63;
    for (int64_t i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++) {
            const int64_t o = i + 16 * j;
            lo[j] = _mm256_fmadd_ps(_mm256_loadu_ps(x + o), _mm256_loadu_ps(y + o), lo[j]);
            hi[j] = _mm256_fmadd_ps(_mm256_loadu_ps(x + o + 8), _mm256_loadu_ps(y + o + 8), hi[j]);
        }
    float s = pd_reduce_pair_sum(pd_reduce_4x16_avx_pair(lo, hi));
    for (int64_t i = np; i < n; i++)
        s = fmaf(x[i], y[i], s);
    return s;
}
#endif

static float (*f32_dot_ggml_fn)(int64_t n, const float *x, const float *y);

static void f32_dot_ggml_pick(void)
{
    f32_dot_ggml_fn = f32_dot_ggml_ref;
#if defined(PD_HAVE_X86)
    if (strcmp(pd_simd_level(), "scalar") != 0)   /* avx2 or avx512: AVX2 and FMA are there */
        f32_dot_ggml_fn = f32_dot_ggml_avx2;
#endif
}

float pd_f32_dot_ggml(int64_t n, const float *x, const float *y)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, f32_dot_ggml_pick);
    return f32_dot_ggml_fn(n, x, y);
}

float pd_f32_dot_ggml_ref(int64_t n, const float *x, const float *y)
{
    return f32_dot_ggml_ref(n, x, y);
}

/* F32 products that llama.cpp leaves to ggml_vec_dot_f32: llamafile_sgemm
 * (tinyBLAS) declines one input row and k % 16 != 0. */
static bool f32_vec_dot_order(const pd_mm *m)
{
    return m->w->type == PD_TYPE_F32 && (m->n == 1 || m->w->k % 16 != 0);
}

/* One output row block of product m a row at a time: pd_vec_dot, or
 * ggml_vec_dot_f32's order where llama.cpp uses it. */
static void mm_rows(const pd_mm *m, const mm_plan *p, int64_t r, int nr)
{
    const pd_weight *w = m->w;
    const bool f32_ggml = f32_vec_dot_order(m);
    for (int t = 0; t < m->n; t++) {
        const void *xq = (const uint8_t *)p->xq + (size_t)t * p->xq_stride;
        float *y = m->y + t * m->ldy;
        for (int i = 0; i < nr; i++) {
            if (t == 0 && i + 1 < nr)   /* the next row while this one is summed: */
                pd_prefetch(pd_weight_row(w, m->mat, r + i + 1), w->row_bytes);   /* 0.86 -> 0.95 of read (Q8_0) */
            y[r + i] = f32_ggml
                     ? pd_f32_dot_ggml(w->k, (const float *)pd_weight_row(w, m->mat, r + i), xq)
                     : pd_vec_dot(w->type, w->k, pd_weight_row(w, m->mat, r + i), xq);
        }
    }
}

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
        const pd_type type = m->w->type;
        const int64_t r = p->r0 + (u - p->unit0) * p->chunk;
        const int nr = (int)(r + p->chunk <= p->r1 ? p->chunk : p->r1 - r);
        if (q4k_repacked(m)) {
            const int n_gemm = m->expert || m->n <= 3 ? 0 : m->n - m->n % 4;
            mm_tiles(m, p, r, nr, 0, n_gemm, PD_Q4K_GEMM);
            mm_tiles(m, p, r, nr, n_gemm, m->n, PD_Q4K_GEMV);
        } else if (type == PD_TYPE_Q4_K || f32_vec_dot_order(m) || m->n == 1
                   || (m->n == 2 && type == PD_TYPE_Q8_0)) {
            /* Q4_K not repacked: ggml's vec_dot, which the row kernel
             * follows (the tile does not); otherwise a row at a time beats
             * the tile kernels for one or two tokens (decode) */
            mm_rows(m, p, r, nr);
        } else {
            /* the Q6_K tile rounds as its row kernel (= ggml's vec_dot),
             * F32 (two rows or more) in tinyBLAS's order for k % 16 == 0 */
            mm_tiles(m, p, r, nr, 0, m->n, -1);
        }
    }
}

/* Does product b read the very rows product a (converted) reads? Then b
 * uses a's converted rows: the experts of one decode token all read it. */
static bool same_input(const pd_mm *a, const pd_mm *b)
{
    if (a->x != b->x || a->ldx != b->ldx || a->n != b->n || a->w->k != b->w->k
        || pd_type_vec_dot(a->w->type) != pd_type_vec_dot(b->w->type))
        return false;
    if (a->xrows == b->xrows)
        return true;
    if (a->n > 4)
        return false;
    for (int i = 0; i < a->n; i++)
        if (mm_xrow(a, i) != mm_xrow(b, i))
            return false;
    return true;
}

/* Work units of product m: enough to balance the threads, rows in
 * multiples of 8 (the repacked Q4_K rows come in groups of 8). */
static void plan_units(const pd_mm *m, mm_plan *p, int nth, int64_t *units)
{
    p->r0 = m->r1 > m->r0 ? m->r0 : 0;
    p->r1 = m->r1 > m->r0 ? m->r1 : m->w->n;
    const int64_t nrow = p->r1 - p->r0;
    int64_t chunk = (nrow + 4 * nth - 1) / (4 * nth);
    chunk = (chunk + 7) & ~(int64_t)7;
    if (chunk < 8) chunk = 8;
    if (chunk > 64) chunk = 64;
    p->chunk = chunk;
    p->unit0 = *units;
    *units += m->n > 0 ? (nrow + chunk - 1) / chunk : 0;
}

/* The base of the rows m picks from its input (found or added to B[*nb]) */
static int plan_base(const pd_mm *m, pd_type vt, size_t stride, mm_base *B, int *nb)
{
    int b = 0;
    while (b < *nb && !(B[b].x == m->x && B[b].ldx == m->ldx && B[b].k == m->w->k && B[b].vt == vt))
        b++;
    if (b == *nb)
        B[(*nb)++] = (mm_base){ .x = m->x, .ldx = m->ldx, .k = m->w->k, .vt = vt, .stride = stride };
    for (int i = 0; i < m->n; i++)
        if (m->xrows[i] + 1 > B[b].rows)
            B[b].rows = m->xrows[i] + 1;
    B[b].members++;
    return b;
}

/* Where product i's converted input goes (or comes from); returns the
 * values it converts itself. */
static int64_t plan_input(const pd_mm *mm, mm_plan *plan, int i, int *owner, size_t *q_bytes,
                          mm_base *B, int *nb)
{
    const pd_mm *m = &mm[i];
    mm_plan *p = &plan[i];
    const pd_type vt = pd_type_vec_dot(m->w->type);
    size_t rb = 0;
    pd_type_row_bytes(vt, m->w->k, &rb);
    p->xq_stride = rb;
    p->convert = false;
    p->q_from = -1;
    p->base = -1;
    if (vt == PD_TYPE_F32 && !m->xrows) {   /* read in place */
        p->xq = m->x;
        p->xq_stride = (size_t)m->ldx * sizeof(float);
        return 0;
    }
    if (*owner >= 0 && same_input(&mm[*owner], m)) {
        p->q_from = *owner;
        return 0;
    }
    *owner = i;
    p->convert = true;
    p->q_off = *q_bytes;
    *q_bytes += (rb * (size_t)m->n + 63) & ~(size_t)63;
    if (m->xrows && m->n >= 2 && vt != PD_TYPE_F32)
        p->base = plan_base(m, vt, rb, B, nb);
    return m->n * m->w->k;
}

/* Bases with one member convert in place (nothing is shared); the others
 * get their scratch after the products', and their conversion rows */
static int64_t plan_bases(mm_plan *plan, int n_mm, mm_base *B, int nb, size_t *q_bytes)
{
    int64_t rows = 0;
    for (int b = 0; b < nb; b++) {
        if (B[b].members < 2) {
            for (int i = 0; i < n_mm; i++)
                if (plan[i].base == b)
                    plan[i].base = -1;
            B[b].rows = 0;
        }
        B[b].off = *q_bytes;
        *q_bytes += (B[b].stride * (size_t)B[b].rows + 63) & ~(size_t)63;
        B[b].row0 = rows;
        rows += B[b].rows;
    }
    return rows;
}

/* Below this many values to convert, the caller converts them alone. */
#define MM_CONVERT_INLINE 32768

pd_status pd_matmul(pd_pool *pool, pd_mm_scratch *s, const pd_mm *mm, int n_mm)
{
    if (n_mm <= 0)
        return PD_OK;
    mm_plan stackplan[16];
    mm_base stackbase[16];
    mm_plan *plan = n_mm <= 16 ? stackplan : malloc((size_t)n_mm * sizeof *plan);
    mm_base *base = n_mm <= 16 ? stackbase : malloc((size_t)n_mm * sizeof *base);
    pd_status st = PD_OK;
    if (!plan || !base) {
        st = pd_fail(PD_ENOMEM, "matmul: out of memory");
        goto done;
    }
    const int nth = pd_pool_threads(pool);
    size_t q_bytes = 0;
    int64_t units = 0, rows = 0, values = 0;
    int owner = -1, n_base = 0;
    for (int i = 0; i < n_mm; i++) {
        values += plan_input(mm, plan, i, &owner, &q_bytes, base, &n_base);
        plan[i].row0 = rows;
        rows += mm[i].n;
        plan_units(&mm[i], &plan[i], nth, &units);
    }
    const int64_t base_rows = plan_bases(plan, n_mm, base, n_base, &q_bytes);
    if (q_bytes > s->cap) {
        void *q = realloc(s->q, q_bytes);
        if (!q) {
            st = pd_fail(PD_ENOMEM, "matmul: cannot allocate %zu bytes of scratch", q_bytes);
            goto done;
        }
        s->q = q;
        s->cap = q_bytes;
    }
    for (int i = 0; i < n_mm; i++)
        if (plan[i].convert)
            plan[i].xq = (uint8_t *)s->q + plan[i].q_off;
        else if (plan[i].q_from >= 0)
            plan[i].xq = plan[plan[i].q_from].xq;
    mm_job j = { .mm = mm, .plan = plan, .n_mm = n_mm, .base = base, .n_base = n_base,
                 .n_base_rows = base_rows, .n_units = units, .n_rows = rows, .q = s->q };
    atomic_init(&j.next, 0);
    atomic_init(&j.next_row, 0);
    atomic_init(&j.next_copy, 0);
    if (values && values <= MM_CONVERT_INLINE)
        mm_convert(&j, 0, 1);   /* decode: not worth waking the pool twice */
    else if (values)
        pd_pool_run(pool, mm_convert, &j);
    if (base_rows)
        pd_pool_run(pool, mm_copy, &j);
    pd_pool_run(pool, mm_compute, &j);
done:
    if (plan != stackplan)
        free(plan);
    if (base != stackbase)
        free(base);
    return st;
}
