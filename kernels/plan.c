/* plan.c - host-side planning for the CUDA backend: the weight arena layout,
 * the fit check against free device memory, and grouping tokens by expert.
 * Plain C (no CUDA headers) so the unit tests run anywhere. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

size_t pd_cu_weight_bytes(const pd_weight *w)
{
    if (!w->data || w->n <= 0 || w->n_mat <= 0)
        return 0;
    /* views (split attn_kv_b) have mat_stride > n * row_bytes: span to the last row */
    return (size_t)(w->n_mat - 1) * w->mat_stride + (size_t)w->n * w->row_bytes;
}

pd_status pd_cu_plan_add(pd_cu_plan *p, const void *host, size_t bytes)
{
    if (!host || !bytes)
        return PD_OK;
    for (int i = 0; i < p->n; i++)
        if (p->v[i].host == host) {
            if (bytes > p->v[i].bytes) {   /* grow it: move it to the end */
                const size_t padded = (bytes + PD_CU_ALIGN - 1) & ~(size_t)(PD_CU_ALIGN - 1);
                if (padded < bytes || p->total > SIZE_MAX - padded)
                    return pd_fail(PD_ELIMIT, "cuda: weight sizes overflow");
                p->v[i].bytes = bytes;
                p->v[i].off = p->total;
                p->total += padded;
            }
            return PD_OK;
        }
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 256;
        pd_cu_span *v = realloc(p->v, (size_t)cap * sizeof *v);
        if (!v)
            return pd_fail(PD_ENOMEM, "cuda: out of memory planning the weights");
        p->v = v;
        p->cap = cap;
    }
    const size_t padded = (bytes + PD_CU_ALIGN - 1) & ~(size_t)(PD_CU_ALIGN - 1);
    if (padded < bytes || p->total > SIZE_MAX - padded)
        return pd_fail(PD_ELIMIT, "cuda: weight sizes overflow");
    p->v[p->n++] = (pd_cu_span){ .host = host, .bytes = bytes, .off = p->total };
    p->total += padded;
    return PD_OK;
}

size_t pd_cu_plan_offset(const pd_cu_plan *p, const void *host)
{
    const char *h = host;
    for (int i = 0; i < p->n; i++) {
        const char *b = p->v[i].host;
        if (h >= b && h < b + p->v[i].bytes)
            return p->v[i].off + (size_t)(h - b);
    }
    return SIZE_MAX;
}

void pd_cu_plan_free(pd_cu_plan *p)
{
    free(p->v);
    memset(p, 0, sizeof *p);
}

static pd_status add_w(pd_cu_plan *p, const pd_weight *w)
{
    return pd_cu_plan_add(p, w->data, pd_cu_weight_bytes(w));
}

static pd_status add_f(pd_cu_plan *p, const float *v, int64_t n)
{
    return n > 0 ? pd_cu_plan_add(p, v, (size_t)n * sizeof(float)) : PD_OK;
}

pd_status pd_cu_plan_model(pd_cu_plan *p, const pd_model *m)
{
    const pd_hparams *hp = &m->hp;
    const int64_t E = hp->n_embd, H = hp->n_head, Hkv = hp->n_head_kv;
    pd_status st = PD_OK;
#define W(x) if (st == PD_OK) st = add_w(p, &(x))
#define F(x, n) if (st == PD_OK) st = add_f(p, (x), (n))
    W(m->token_embd);
    W(m->output);
    F(m->output_norm, E);
    F(hp->rope_freqs, hp->rope_dim / 2);
    for (int il = 0; il < hp->n_layer && st == PD_OK; il++) {
        const pd_layer *l = &m->layers[il];
        F(l->attn_norm, E);
        F(l->ffn_norm, E);
        W(l->wq); W(l->wk); W(l->wv); W(l->wo);
        F(l->bq, H * hp->head_k);
        F(l->bk, Hkv * hp->head_k);
        F(l->bv, Hkv * hp->head_v);
        F(l->q_norm, hp->head_k);
        F(l->k_norm, hp->head_k);
        W(l->wq_a); W(l->wq_b); W(l->wkv_a); W(l->wk_b); W(l->wv_b);
        F(l->q_a_norm, hp->q_lora);
        F(l->kv_a_norm, hp->kv_lora);
        W(l->ffn_gate); W(l->ffn_up); W(l->ffn_down);
        W(l->gate_inp);
        F(l->exp_probs_b, hp->n_expert);
        W(l->gate_exps); W(l->up_exps); W(l->down_exps);
        W(l->gate_shexp); W(l->up_shexp); W(l->down_shexp);
    }
#undef W
#undef F
    return st;
}

pd_status pd_cu_check_fit(const char *what, size_t need, size_t avail, size_t reserve)
{
    const double MiB = 1024.0 * 1024.0;
    if (need > SIZE_MAX - reserve || need + reserve > avail)
        return pd_fail(PD_ENOMEM, "cuda: %s needs %.0f MiB of GPU memory (+%.0f MiB reserve) "
                       "but only %.0f MiB are free; try --backend cpu or a smaller --ctx",
                       what, need / MiB, reserve / MiB, avail / MiB);
    return PD_OK;
}

int pd_cu_default_ctx(int n_ctx, int floor, size_t avail, size_t reserve,
                      size_t (*need)(int n_ctx, void *user), void *user)
{
    return pd_ctx_fit(n_ctx, floor, avail > reserve ? avail - reserve : 0, need, user);
}

int pd_cu_wide_rows(int n)
{
    const int full = n / PD_CU_CPU_UBATCH * PD_CU_CPU_UBATCH, rest = n - full;
    return full + (rest >= PD_CU_CPU_WIDE ? rest : 0);
}

pd_status pd_cu_group_experts(const int32_t *sel, int n, int K, int X,
                              int32_t *count, int32_t *start, int32_t *rows, int32_t *slot)
{
    memset(count, 0, (size_t)X * sizeof *count);
    for (int i = 0; i < n * K; i++) {
        if (sel[i] < 0 || sel[i] >= X)
            return pd_fail(PD_EBACKEND, "cuda: router chose expert %d of %d", (int)sel[i], X);
        count[sel[i]]++;
    }
    start[0] = 0;
    for (int e = 0; e < X; e++)
        start[e + 1] = start[e] + count[e];
    /* fill in token order, as the CPU backend does */
    for (int e = 0; e < X; e++)
        count[e] = 0;
    for (int t = 0; t < n; t++)
        for (int s = 0; s < K; s++) {
            const int e = sel[t * K + s], at = start[e] + count[e]++;
            rows[at] = t;
            slot[t * K + s] = at;
        }
    return PD_OK;
}
