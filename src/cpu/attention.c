/* attention.c - the attention half of a block on the CPU: GQA with optional
 * q/k biases and per-head q/k norms, and DeepSeek's multi-head latent
 * attention in the absorbed form over the latent cache. Rows under 512 keys
 * in batches under 64 keep llama.cpp's half-precision sums (rows_f16); the
 * others sum in F32 tile by tile (attn_tiled.c), in units cut here: rows x
 * heads for a batch, parts of a split cache x heads for one decode row. */
#include "cpu/cpu.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * One query row against the cache, parallel over (row, head) pairs
 * ------------------------------------------------------------------------ */
typedef struct attn_job {
    pd_cpu *c;
    int il, n, pos0;
    atomic_int next;
} attn_job;

/* F32 cache: out = sum_j softmax_j(q . k_j * scale) v_j over j < n_kv. */
static void row_f32(const float *q, const float *k, size_t ks, const float *v, size_t vs,
                    int n_kv, int dk, int dv, float scale, float *sc, float *out)
{
    for (int p = 0; p < n_kv; p++) {
        const float *kp = k + p * ks;
        float s = 0;
        for (int i = 0; i < dk; i++)
            s += q[i] * kp[i];
        sc[p] = s * scale;
    }
    pd_softmax(sc, n_kv);
    memset(out, 0, (size_t)dv * sizeof *out);
    for (int p = 0; p < n_kv; p++) {
        const float *vp = v + p * vs, w = sc[p];
        for (int i = 0; i < dv; i++)
            out[i] += w * vp[i];
    }
}

/* The online softmax's pass over the scores sc[0..n_kv): the running
 * maximum gives each key its weight (in sc) and the rescale factor of the
 * sums before it (ms, 1 when the maximum stays); returns the sum S. */
static float online_weights(float *sc, float *ms, int n_kv)
{
    float S = 0, M = -INFINITY;
    for (int p = 0; p < n_kv; p++) {
        const float s = sc[p];
        ms[p] = 1;
        sc[p] = 1;               /* the weight of v_p */
        if (s > M) {
            const float old = M;
            M = s;
            ms[p] = expf(old - M);
        } else {
            sc[p] = expf(s - M);
        }
        S = fmaf(S, ms[p], sc[p]);   /* ggml's S*ms + vs, contracted */
    }
    return S;
}

/* Keys a group of heads takes at a time: 8 MLA rows are 9 KiB, in L1 while
 * every head of the group scores them (and sums their values). */
#define ATTN_BLOCK 8

static void prefetch_rows(const uint16_t *r, size_t stride, int n, int width)
{
    for (int i = 0; i < n; i++)
        pd_prefetch(r + (size_t)i * stride, 2 * (size_t)width);
}

/* F16 cache, as llama.cpp's CPU flash attention computes it for fewer than
 * 64 query rows: q rounded to half, online softmax, the weighted sum of V
 * accumulated in a half-precision vector rounded after every update. The
 * scores come first (they do not depend on the running sums), then the
 * running maximum gives each key its weight and rescale factor, then the
 * kernel does the accumulation: the same roundings as key by key.
 * nh (<= PD_ATTN_GROUP) heads that read the same cache rows (MLA's heads,
 * a GQA group) go together, ATTN_BLOCK keys at a time: each key row is
 * fetched once for them (scores 44 -> 34 ns per MLA key and head), and
 * each head's numbers are the ones it gets alone. scratch: nh rows of
 * n_ctx scores, nh of rescale factors, nh rounded queries of dk, nh half
 * accumulators of dv. */
static void rows_f16(const pd_attn_kernels *K, int nh, const float *const q[], const uint16_t *k,
                     size_t ks, const uint16_t *v, size_t vs, int n_kv, int dk, int dv,
                     float scale, float *scratch, size_t n_ctx, float *const out[])
{
    float *sc = scratch, *ms = sc + nh * n_ctx, *qh = ms + nh * n_ctx;
    uint16_t *acc = (uint16_t *)(qh + (size_t)nh * dk), half[512];
    for (int h = 0; h < nh; h++)   /* q rounded to half, 512 values at a time */
        for (int i = 0; i < dk; i += 512) {
            const int m = dk - i < 512 ? dk - i : 512;
            pd_quantize_row(PD_TYPE_F16, q[h] + i, half, m);
            pd_dequantize_row(PD_TYPE_F16, half, qh + (size_t)h * dk + i, m);
        }
    for (int p0 = 0; p0 < n_kv; p0 += ATTN_BLOCK) {
        const int nb = n_kv - p0 < ATTN_BLOCK ? n_kv - p0 : ATTN_BLOCK;
        const int next = n_kv - p0 - nb < ATTN_BLOCK ? n_kv - p0 - nb : ATTN_BLOCK;
        prefetch_rows(k + (size_t)(p0 + nb) * ks, ks, next, dk);
        for (int h = 0; h < nh; h++)
            K->dots(qh + (size_t)h * dk, k + (size_t)p0 * ks, ks, nb, dk, scale, sc + h * n_ctx + p0);
    }
    float S[PD_ATTN_GROUP];
    for (int h = 0; h < nh; h++) {
        S[h] = online_weights(sc + h * n_ctx, ms + h * n_ctx, n_kv);
        memset(acc + (size_t)h * dv, 0, (size_t)dv * sizeof *acc);
    }
    for (int p0 = 0; p0 < n_kv; p0 += ATTN_BLOCK) {
        const int nb = n_kv - p0 < ATTN_BLOCK ? n_kv - p0 : ATTN_BLOCK;
        for (int h = 0; h < nh; h++)
            K->wsum(acc + (size_t)h * dv, v + (size_t)p0 * vs, vs, nb, sc + h * n_ctx + p0,
                    ms + h * n_ctx + p0, dv);
    }
    for (int h = 0; h < nh; h++) {
        const float inv = S[h] == 0 ? 0 : 1 / S[h];
        for (int i = 0; i < dv; i++)
            out[h][i] = pd_h2f(acc[(size_t)h * dv + i]) * inv;
    }
}

/* Per-thread scratch: scores and rescale factors, or the tiled path's. */
static float *thread_scratch(pd_cpu *c, int ith)
{
    return c->scores + (size_t)ith * c->scores_stride;
}

/* The tiled path's units: rpu rows x hpu (at most max_heads) heads of one
 * kv head (MLA: one for all heads), as many rows as fill a unit (at most
 * max_rows), fewer while that would leave threads without work; the last
 * rows (the longest) are handed out first. For a decode row over a split
 * cache the "rows" are the cache's parts, one a unit. */
typedef struct unit_grid {
    int group, n_kvh, hpu, n_hc, rpu, n_rb;
} unit_grid;

static unit_grid grid_for(const pd_hparams *hp, int n, int max_rows, int max_heads, int nth)
{
    unit_grid g = { .n_kvh = hp->mla ? 1 : hp->n_head_kv };
    g.group = hp->n_head / g.n_kvh;
    g.hpu = g.group < max_heads ? g.group : max_heads;
    g.n_hc = (g.group + g.hpu - 1) / g.hpu;
    g.rpu = PD_ATTN_UNIT / g.hpu < max_rows ? PD_ATTN_UNIT / g.hpu : max_rows;
    while (g.rpu > 1 && (n + g.rpu - 1) / g.rpu * g.n_kvh * g.n_hc < 2 * nth)
        g.rpu /= 2;
    g.n_rb = (n + g.rpu - 1) / g.rpu;
    return g;
}

static int grid_units(const unit_grid *g) { return g->n_rb * g->n_kvh * g->n_hc; }

/* Unit u: rows [*t0, *t0 + rpu) (cut at n), heads [*h0, *h0 + *nh) of kv head *hk */
static void unit_at(const unit_grid *g, int u, int *t0, int *hk, int *h0, int *nh)
{
    *t0 = (g->n_rb - 1 - u / (g->n_kvh * g->n_hc)) * g->rpu;
    *hk = u % (g->n_kvh * g->n_hc) / g->n_hc;
    *h0 = *hk * g->group + u % g->n_hc * g->hpu;
    const int left = *hk * g->group + g->group - *h0;
    *nh = left < g->hpu ? left : g->hpu;
}

/* Query vector h of batch row t (MLA: [qlat, q_pe] put together in qc;
 * GQA's is in place, qc unused) */
static const float *row_query(const pd_cpu *c, int t, int h, float *qc)
{
    const pd_hparams *hp = &c->m->hp;
    const float *q = c->q + ((size_t)t * hp->n_head + h) * hp->head_k;
    if (!hp->mla)
        return q;
    const size_t R = (size_t)hp->kv_lora;
    memcpy(qc, c->qlat + ((size_t)t * hp->n_head + h) * R, R * sizeof *qc);
    memcpy(qc + R, q + hp->qk_nope, (size_t)hp->qk_rope * sizeof *qc);
    return qc;
}

/* Where head h of batch row t goes: the latent output (MLA) or the values */
static float *row_out(const pd_cpu *c, int t, int h)
{
    const pd_hparams *hp = &c->m->hp;
    return hp->mla ? c->olat + ((size_t)t * hp->n_head + h) * hp->kv_lora
                   : c->att + ((size_t)t * hp->n_head + h) * hp->head_v;
}

/* Layer il's cache rows of kv head hk (MLA: the latent rows, values their
 * first kv_lora entries) */
typedef struct kv_view {
    const uint16_t *k, *v;
    size_t ks, vs;
    int dk, dv;
} kv_view;

static kv_view kv_view_of(const pd_cpu *c, int il, int hk)
{
    const pd_hparams *hp = &c->m->hp;
    const uint16_t *k = pd_kv_k(&c->kv, il, 0);
    if (hp->mla) {
        const int dk = hp->kv_lora + hp->qk_rope;
        return (kv_view){ k, k, (size_t)dk, (size_t)dk, dk, hp->kv_lora };
    }
    const uint16_t *v = pd_kv_v(&c->kv, il, 0);
    const size_t Hkv = (size_t)hp->n_head_kv;
    return (kv_view){ k + (size_t)hk * hp->head_k, v + (size_t)hk * hp->head_v, Hkv * hp->head_k,
                      Hkv * hp->head_v, hp->head_k, hp->head_v };
}

/* 64+ rows, or rows that all sum in F32: units of rows x heads, a row's
 * heads together; MLA's queries are put together after the tiled path's
 * scratch. */
static void wide_rows(attn_job *j, int nth, float *scratch)
{
    pd_cpu *c = j->c;
    const int max_heads = c->m->hp.mla ? PD_ATTN_UNIT / 4 : PD_ATTN_UNIT;   /* MLA: 4 rows a unit */
    const unit_grid g = grid_for(&c->m->hp, j->n, INT_MAX, max_heads, nth);
    const kv_view d0 = kv_view_of(c, j->il, 0);
    float *qc = scratch + pd_attn_tile_floats(d0.dk, d0.dv);
    for (;;) {
        const int u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= grid_units(&g))
            return;
        int t0, hk, h0, nh;
        unit_at(&g, u, &t0, &hk, &h0, &nh);
        pd_attn_unit un = { .nq = 0, .keys_as_lanes = j->n >= 64 };
        for (int t = t0; t < t0 + g.rpu && t < j->n; t++)
            for (int h = h0; h < h0 + nh; h++) {
                un.q[un.nq] = row_query(c, t, h, qc + (size_t)un.nq * d0.dk);
                un.out[un.nq] = row_out(c, t, h);
                un.n_kv[un.nq++] = j->pos0 + t + 1;
            }
        const kv_view d = kv_view_of(c, j->il, hk);
        pd_attn_unit_run(&un, 0, INT_MAX, d.k, d.ks, d.v, d.vs, d.dk, d.dv, c->m->hp.kq_scale,
                         scratch);
    }
}

/* Whether decode rows over n_kv keys sum in F32 (the tiled path): with
 * --attn-f32, and from PD_ATTN_F32_FROM keys on, where llama.cpp's own
 * decode leaves its one-pass half-precision path too (it splits the cache
 * across threads), so there are no llama.cpp bits to keep. */
static bool f32_sums(const pd_cpu *c, int n_kv)
{
    return c->kv.f16 && (c->m->opts.attn_f32 || n_kv >= PD_ATTN_F32_FROM);
}

/* Whether a batch of rows takes the tiled path in units of rows x heads:
 * 64 rows or more, or rows that all sum in F32 (a short prompt deep in a
 * conversation: one pass over the cache for a unit's rows, not per row) */
static bool tiled_rows(const pd_cpu *c, const attn_job *j)
{
    return c->kv.f16 && (j->n >= 64 || f32_sums(c, j->pos0 + 1));
}

/* F32 decode rows: nh heads of one row (n_kv keys) as one tiled unit */
static void heads_tiled(int nh, const float *const q[], float *const out[], int n_kv,
                        const uint16_t *k, size_t ks, const uint16_t *v, size_t vs, int dk, int dv,
                        float scale, float *scratch)
{
    int n[PD_ATTN_GROUP];
    for (int i = 0; i < nh; i++)
        n[i] = n_kv;
    pd_attn_tiled(nh, q, out, n, k, ks, v, vs, dk, dv, scale, scratch);
}

/* ------------------------------------------------------------------------
 * One decode row over a split cache (F32 sums): units of a part of the
 * cache x up to PD_ATTN_UNIT heads of one kv head (MLA: all heads share
 * it), every thread busy however few kv heads there are; then the parts
 * are merged. c->attn_parts holds each part's heads' slots (pd_attn_part_run).
 * ------------------------------------------------------------------------ */
static void split_rows(void *arg, int ith, int nth)
{
    attn_job *j = arg;
    pd_cpu *c = j->c;
    const pd_hparams *hp = &c->m->hp;
    const int n_kv = j->pos0 + 1, chunk = pd_attn_split_chunk(n_kv);
    const unit_grid g = grid_for(hp, (n_kv + chunk - 1) / chunk, 1, PD_ATTN_UNIT, nth);
    const kv_view d0 = kv_view_of(c, j->il, 0);
    const size_t hs = (size_t)d0.dv + 2, stride = (size_t)hp->n_head * hs;
    float *sc = thread_scratch(c, ith), *qc = sc + pd_attn_tile_floats(d0.dk, d0.dv);
    for (;;) {
        const int u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= grid_units(&g))
            return;
        int part, hk, h0, nh;
        unit_at(&g, u, &part, &hk, &h0, &nh);
        pd_attn_unit un = { .nq = nh };
        for (int i = 0; i < nh; i++) {
            un.q[i] = row_query(c, 0, h0 + i, qc + (size_t)i * d0.dk);
            un.out[i] = c->attn_parts + part * stride + (size_t)(h0 + i) * hs;
            un.n_kv[i] = n_kv;
        }
        const kv_view d = kv_view_of(c, j->il, hk);
        pd_attn_part_run(&un, part * chunk, (part + 1) * chunk, d.k, d.ks, d.v, d.vs, d.dk, d.dv,
                         hp->kq_scale, sc);
    }
}

/* One decode row at position pos0 over a split cache, into its outputs */
static void run_split(pd_cpu *c, int il, int pos0)
{
    const pd_hparams *hp = &c->m->hp;
    attn_job j = { .c = c, .il = il, .n = 1, .pos0 = pos0 };
    atomic_init(&j.next, 0);
    pd_pool_run(c->pool, split_rows, &j);
    const int chunk = pd_attn_split_chunk(pos0 + 1), dv = kv_view_of(c, il, 0).dv;
    const size_t hs = (size_t)dv + 2;
    for (int h = 0; h < hp->n_head; h++)
        pd_attn_merge_parts(c->attn_parts + (size_t)h * hs, (size_t)hp->n_head * hs,
                            (pos0 + chunk) / chunk, dv, row_out(c, 0, h));
}

/* GQA: query head h reads kv head h / (n_head / n_head_kv). */
static void gqa_rows(void *arg, int ith, int nth)
{
    attn_job *j = arg;
    pd_cpu *c = j->c;
    const pd_hparams *hp = &c->m->hp;
    const int H = hp->n_head, dk = hp->head_k, dv = hp->head_v;
    const int group = H / hp->n_head_kv, kw = hp->n_head_kv * dk, vw = hp->n_head_kv * dv;
    float *sc = thread_scratch(c, ith);
    const pd_attn_kernels *K = pd_attn_kernels_get();
    /* a unit is the heads of one kv head (they read the same cache rows,
     * which then stay in this core's cache), or one head when there are too
     * few kv heads to keep the threads busy */
    const int per = j->n * hp->n_head_kv >= 2 * nth ? group : 1;
    if (tiled_rows(c, j)) {
        wide_rows(j, nth, sc);
        return;
    }
    for (;;) {
        const int u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= j->n * H / per)
            return;
        const int t = u / (H / per), h0 = u % (H / per) * per, hk = h0 / group, n_kv = j->pos0 + t + 1;
        const uint16_t *kh = (const uint16_t *)pd_kv_k(&c->kv, j->il, 0) + (size_t)hk * dk;
        const uint16_t *vh = (const uint16_t *)pd_kv_v(&c->kv, j->il, 0) + (size_t)hk * dv;
        const float *q[PD_ATTN_GROUP];
        float *o[PD_ATTN_GROUP];
        for (int g0 = h0; g0 < h0 + per; g0 += PD_ATTN_GROUP) {
            const int nh = h0 + per - g0 < PD_ATTN_GROUP ? h0 + per - g0 : PD_ATTN_GROUP;
            for (int i = 0; i < nh; i++) {
                q[i] = row_query(c, t, g0 + i, NULL);
                o[i] = row_out(c, t, g0 + i);
            }
            if (f32_sums(c, n_kv))
                heads_tiled(nh, q, o, n_kv, kh, kw, vh, vw, dk, dv, hp->kq_scale, sc);
            else if (c->kv.f16)
                rows_f16(K, nh, q, kh, kw, vh, vw, n_kv, dk, dv, hp->kq_scale, sc,
                         (size_t)c->kv.n_ctx, o);
            else
                for (int i = 0; i < nh; i++)
                    row_f32(q[i], (const float *)pd_kv_k(&c->kv, j->il, 0) + (size_t)hk * dk, kw,
                            (const float *)pd_kv_v(&c->kv, j->il, 0) + (size_t)hk * dv, vw,
                            n_kv, dk, dv, hp->kq_scale, sc, o[i]);
        }
    }
}

/* MLA, absorbed: the query is [qlat (kv_lora), q_pe (qk_rope)], the keys
 * are the cached [c, k_pe] rows and the values their first kv_lora entries;
 * the output stays in the latent space. */
/* MLA, fewer than 64 rows, some under 512 keys: units of one row x a group
 * of heads (every head reads the same latent rows), groups small enough to
 * keep the threads busy; the queries are put together after the group's
 * scratch. */
static void mla_rows(void *arg, int ith, int nth)
{
    attn_job *j = arg;
    pd_cpu *c = j->c;
    const pd_hparams *hp = &c->m->hp;
    const int H = hp->n_head, R = hp->kv_lora, dr = hp->qk_rope, dk = R + dr;
    const size_t nc = (size_t)c->kv.n_ctx;
    float *sc = thread_scratch(c, ith);
    const pd_attn_kernels *K = pd_attn_kernels_get();
    if (tiled_rows(c, j)) {
        wide_rows(j, nth, sc);
        return;
    }
    int per = H * j->n / (2 * nth);
    per = per < 1 ? 1 : per > PD_ATTN_GROUP ? PD_ATTN_GROUP : per;
    const int n_hu = (H + per - 1) / per;
    const size_t group = pd_attn_group_floats(PD_ATTN_GROUP, nc, dk, R), tiled = pd_attn_tile_floats(dk, R);
    float *qc = sc + (group > tiled ? group : tiled);
    const void *kv = pd_kv_k(&c->kv, j->il, 0);
    for (;;) {
        const int u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= j->n * n_hu)
            return;
        const int t = u / n_hu, h0 = u % n_hu * per, nh = H - h0 < per ? H - h0 : per;
        const int n_kv = j->pos0 + t + 1;
        const float *q[PD_ATTN_GROUP];
        float *o[PD_ATTN_GROUP];
        for (int i = 0; i < nh; i++) {
            q[i] = row_query(c, t, h0 + i, qc + (size_t)i * dk);
            o[i] = row_out(c, t, h0 + i);
        }
        if (f32_sums(c, n_kv))
            heads_tiled(nh, q, o, n_kv, kv, dk, kv, dk, dk, R, hp->kq_scale, sc);
        else if (c->kv.f16)
            rows_f16(K, nh, q, kv, dk, kv, dk, n_kv, dk, R, hp->kq_scale, sc, nc, o);
        else
            for (int i = 0; i < nh; i++)
                row_f32(q[i], kv, dk, kv, dk, n_kv, dk, R, hp->kq_scale, sc, o[i]);
    }
}

static void run_rows(pd_cpu *c, pd_pool_job fn, int il, int n, int pos0)
{
    attn_job j = { .c = c, .il = il, .n = n, .pos0 = pos0 };
    atomic_init(&j.next, 0);
    pd_pool_run(c->pool, fn, &j);
}

/* Store one row into the cache (as half bits when the cache is F16). */
static void cache_put(const pd_kvcache *kv, void *dst, const float *src, int n)
{
    if (kv->f16) {
        uint16_t *d = dst;
        for (int i = 0; i < n; i++)
            d[i] = pd_f2h(src[i]);
    } else {
        memcpy(dst, src, (size_t)n * sizeof *src);
    }
}

/* ------------------------------------------------------------------------
 * GQA (qwen3moe, qwen3, qwen2, llama)
 * ------------------------------------------------------------------------ */
static pd_status attention_gqa(pd_cpu *c, int il, int n, int pos0)
{
    const pd_hparams *hp = &c->m->hp;
    const pd_layer *ly = &c->m->layers[il];
    const int E = hp->n_embd, H = hp->n_head, Hkv = hp->n_head_kv;
    const int dk = hp->head_k, dv = hp->head_v;
    const int qw = H * dk, kw = Hkv * dk, vw = Hkv * dv;

    /* q, k, v projections (one job) */
    pd_mm mm[3] = {
        { .w = &ly->wq, .x = c->xn, .ldx = E, .n = n, .y = c->q, .ldy = qw },
        { .w = &ly->wk, .x = c->xn, .ldx = E, .n = n, .y = c->k, .ldy = kw },
        { .w = &ly->wv, .x = c->xn, .ldx = E, .n = n, .y = c->v, .ldy = vw },
    };
    pd_status st = pd_matmul(c->pool, &c->mm, mm, 3);
    if (st != PD_OK)
        return st;

    for (int t = 0; t < n; t++) {
        float *q = c->q + (size_t)t * qw, *k = c->k + (size_t)t * kw, *v = c->v + (size_t)t * vw;
        if (ly->bq) {
            for (int i = 0; i < qw; i++) q[i] += ly->bq[i];
            for (int i = 0; i < kw; i++) k[i] += ly->bk[i];
            for (int i = 0; i < vw; i++) v[i] += ly->bv[i];
        }
        if (ly->q_norm) {   /* per-head RMSNorm, before RoPE */
            for (int h = 0; h < H; h++)
                pd_rmsnorm(q + h * dk, q + h * dk, ly->q_norm, dk, hp->eps);
            for (int h = 0; h < Hkv; h++)
                pd_rmsnorm(k + h * dk, k + h * dk, ly->k_norm, dk, hp->eps);
        }
        float *cs = c->rope + (size_t)t * hp->rope_dim;
        pd_rope_cache(hp, pos0 + t, cs);
        for (int h = 0; h < H; h++)
            pd_rope_apply(hp->rope_kind, q + h * dk, hp->rope_dim, cs);
        for (int h = 0; h < Hkv; h++)
            pd_rope_apply(hp->rope_kind, k + h * dk, hp->rope_dim, cs);
        cache_put(&c->kv, pd_kv_k(&c->kv, il, pos0 + t), k, kw);
        cache_put(&c->kv, pd_kv_v(&c->kv, il, pos0 + t), v, vw);
    }

    if (n == 1 && f32_sums(c, pos0 + 1))
        run_split(c, il, pos0);
    else
        run_rows(c, gqa_rows, il, n, pos0);

    pd_mm o = { .w = &ly->wo, .x = c->att, .ldx = (int64_t)H * dv, .n = n, .y = c->out, .ldy = E };
    return pd_matmul(c->pool, &c->mm, &o, 1);
}

/* ------------------------------------------------------------------------
 * MLA (deepseek2)
 * ------------------------------------------------------------------------ */
static pd_status attention_mla(pd_cpu *c, int il, int n, int pos0)
{
    const pd_hparams *hp = &c->m->hp;
    const pd_layer *ly = &c->m->layers[il];
    const int E = hp->n_embd, H = hp->n_head, R = hp->kv_lora, dr = hp->qk_rope;
    const int dq = hp->head_k, qw = H * dq, kvw = R + dr;
    pd_status st;

    /* q (through the q latent when q_lora_rank > 0) and the kv latent + rope key */
    if (hp->q_lora) {
        pd_mm mm[2] = {
            { .w = &ly->wq_a, .x = c->xn, .ldx = E, .n = n, .y = c->qa, .ldy = hp->q_lora },
            { .w = &ly->wkv_a, .x = c->xn, .ldx = E, .n = n, .y = c->k, .ldy = kvw },
        };
        if ((st = pd_matmul(c->pool, &c->mm, mm, 2)) != PD_OK)
            return st;
        for (int t = 0; t < n; t++) {
            float *qa = c->qa + (size_t)t * hp->q_lora;
            pd_rmsnorm(qa, qa, ly->q_a_norm, hp->q_lora, hp->eps);
        }
        pd_mm qb = { .w = &ly->wq_b, .x = c->qa, .ldx = hp->q_lora, .n = n, .y = c->q, .ldy = qw };
        if ((st = pd_matmul(c->pool, &c->mm, &qb, 1)) != PD_OK)
            return st;
    } else {
        pd_mm mm[2] = {
            { .w = &ly->wq, .x = c->xn, .ldx = E, .n = n, .y = c->q, .ldy = qw },
            { .w = &ly->wkv_a, .x = c->xn, .ldx = E, .n = n, .y = c->k, .ldy = kvw },
        };
        if ((st = pd_matmul(c->pool, &c->mm, mm, 2)) != PD_OK)
            return st;
    }

    /* normalize the latent, rotate q_pe and the shared k_pe, cache [c, k_pe] */
    for (int t = 0; t < n; t++) {
        float *kv = c->k + (size_t)t * kvw, *q = c->q + (size_t)t * qw;
        pd_rmsnorm(kv, kv, ly->kv_a_norm, R, hp->eps);
        float *cs = c->rope + (size_t)t * hp->rope_dim;
        pd_rope_cache(hp, pos0 + t, cs);
        for (int h = 0; h < H; h++)
            pd_rope_apply(hp->rope_kind, q + (size_t)h * dq + hp->qk_nope, dr, cs);
        pd_rope_apply(hp->rope_kind, kv + R, dr, cs);
        cache_put(&c->kv, pd_kv_k(&c->kv, il, pos0 + t), kv, kvw);
    }

    /* absorb: qlat[t][h] = attn_k_b[h] q_nope[t][h]  (qk_nope) -> (kv_lora) */
    pd_mm hm[64];
    for (int h0 = 0; h0 < H; h0 += 64) {
        const int nh = H - h0 < 64 ? H - h0 : 64;
        for (int i = 0; i < nh; i++)
            hm[i] = (pd_mm){ .w = &ly->wk_b, .mat = h0 + i, .x = c->q + (size_t)(h0 + i) * dq,
                             .ldx = qw, .n = n, .y = c->qlat + (size_t)(h0 + i) * R,
                             .ldy = (int64_t)H * R };
        if ((st = pd_matmul(c->pool, &c->mm, hm, nh)) != PD_OK)
            return st;
    }

    if (n == 1 && f32_sums(c, pos0 + 1))
        run_split(c, il, pos0);
    else
        run_rows(c, mla_rows, il, n, pos0);

    /* back out of the latent: att[t][h] = attn_v_b[h] olat[t][h]  (kv_lora) -> (v) */
    for (int h0 = 0; h0 < H; h0 += 64) {
        const int nh = H - h0 < 64 ? H - h0 : 64;
        for (int i = 0; i < nh; i++)
            hm[i] = (pd_mm){ .w = &ly->wv_b, .mat = h0 + i, .x = c->olat + (size_t)(h0 + i) * R,
                             .ldx = (int64_t)H * R, .n = n,
                             .y = c->att + (size_t)(h0 + i) * hp->head_v,
                             .ldy = (int64_t)H * hp->head_v };
        if ((st = pd_matmul(c->pool, &c->mm, hm, nh)) != PD_OK)
            return st;
    }

    pd_mm o = { .w = &ly->wo, .x = c->att, .ldx = (int64_t)H * hp->head_v, .n = n,
                .y = c->out, .ldy = E };
    return pd_matmul(c->pool, &c->mm, &o, 1);
}

pd_status pd_cpu_attention(pd_cpu *c, int il, int n, int pos0)
{
    return c->m->hp.mla ? attention_mla(c, il, n, pos0) : attention_gqa(c, il, n, pos0);
}
