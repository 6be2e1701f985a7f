/* forward.c - the CPU backend: state lifecycle and forward(), which reads
 * top to bottom like the architecture: embed, then per layer
 * x += attention(norm(x)); x += ffn(norm(x)), then norm and the output
 * projection. Prompts run in micro-batches of PD_CPU_UBATCH rows so every
 * weight is read once per batch (mat-mat), not once per token. */
#include "cpu/cpu.h"
#include "backend.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Sizes of the activation buffers
 * ------------------------------------------------------------------------ */
typedef struct widths {
    size_t q, k, v, qa, lat, att, ff, n_exp, k_used;
} widths;

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

static widths get_widths(const pd_hparams *hp)
{
    widths w = {0};
    w.q = (size_t)hp->n_head * hp->head_k;
    if (hp->mla) {
        w.k = (size_t)hp->kv_lora + hp->qk_rope;
        w.qa = (size_t)hp->q_lora;
        w.lat = (size_t)hp->n_head * hp->kv_lora;
    } else {
        w.k = (size_t)hp->n_head_kv * hp->head_k;
        w.v = (size_t)hp->n_head_kv * hp->head_v;
    }
    w.att = (size_t)hp->n_head * hp->head_v;
    w.ff = max2(max2((size_t)hp->n_ff, (size_t)hp->n_ff_exp), (size_t)hp->n_ff_shexp);
    w.n_exp = (size_t)hp->n_expert;
    w.k_used = (size_t)hp->n_expert_used;
    return w;
}

/* Per-thread attention scratch, the larger of: the tiled path's and a
 * unit's query copies (64+ rows), or a group of narrow rows and, for MLA,
 * their queries put together after it (or after the tiled path's scratch:
 * F32 decode rows). */
static size_t scores_stride(const pd_hparams *hp, int n_ctx)
{
    size_t dk = hp->mla ? (size_t)hp->kv_lora + hp->qk_rope : (size_t)hp->head_k;
    size_t dv = hp->mla ? (size_t)hp->kv_lora : (size_t)hp->head_v;
    size_t tiled = pd_attn_tile_floats((int)dk, (int)dv);
    size_t wide = tiled + PD_ATTN_UNIT * dk;
    size_t group = pd_attn_group_floats(PD_ATTN_GROUP, (size_t)n_ctx, (int)dk, (int)dv);
    size_t narrow = (group > tiled ? group : tiled) + PD_ATTN_GROUP * dk;
    return ((wide > narrow ? wide : narrow) + 16) & ~(size_t)15;
}

static size_t buffers_bytes(const pd_hparams *hp, int n_ctx, int ub, int nth)
{
    widths w = get_widths(hp);
    size_t rows = (size_t)ub;
    size_t f = rows * (3 * (size_t)hp->n_embd + w.q + w.k + w.v + w.qa + 2 * w.lat + w.att
                       + (size_t)hp->rope_dim + w.n_exp + 2 * w.k_used)
             + (size_t)nth * scores_stride(hp, n_ctx) + pd_attn_parts_floats(hp, n_ctx)
             + 2 * rows * (w.k_used + 1) * w.ff
             + rows * w.k_used * hp->n_embd;
    return f * sizeof(float) + 3 * rows * (w.k_used + 1) * sizeof(int32_t);
}

size_t pd_cpu_scratch_bytes(const pd_hparams *hp, int n_ctx)
{
    /* plus the converted activations of the largest product (~1/4 of f32) */
    return buffers_bytes(hp, n_ctx, PD_CPU_UBATCH, pd_cpu_count())
         + (size_t)PD_CPU_UBATCH * ((size_t)hp->n_vocab + 4 * (size_t)hp->n_embd);
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------ */
static void cpu_destroy(void *state)
{
    pd_cpu *c = state;
    if (!c)
        return;
    pd_cpu_repack_free(&c->repacked);
    pd_pool_free(c->pool);
    pd_kvcache_free(&c->kv);
    pd_mm_scratch_free(&c->mm);
    free(c->x);   /* one block holds all float buffers */
    free(c->sel);
    free(c->mm_list);
    free(c);
}

static pd_status cpu_create(pd_model *m, const pd_model_opts *o, void **state)
{
    *state = NULL;
    pd_cpu *c = calloc(1, sizeof *c);
    if (!c)
        return pd_fail(PD_ENOMEM, "cpu backend: out of memory");
    c->m = m;
    c->ub = PD_CPU_UBATCH;
    pd_h2f_init();
    pd_status st = pd_pool_new(o->n_threads, &c->pool);
    if (st == PD_OK)
        st = pd_kvcache_init(&c->kv, &m->hp, m->n_ctx, m->kv_f16);
    if (st == PD_OK)
        st = pd_cpu_repack(m, c->pool, &c->repacked);
    if (st != PD_OK) {
        cpu_destroy(c);
        return st;
    }
    const pd_hparams *hp = &m->hp;
    widths w = get_widths(hp);
    size_t ub = (size_t)c->ub;
    size_t total = buffers_bytes(hp, m->n_ctx, c->ub, pd_pool_threads(c->pool));
    float *p = calloc(1, total);
    c->sel = calloc(1, 3 * ub * (w.k_used + 1) * sizeof(int32_t));
    c->mm_list = calloc(2 * w.n_exp + 2, sizeof *c->mm_list);
    if (!p || !c->sel || !c->mm_list) {
        free(p);
        cpu_destroy(c);
        return pd_fail(PD_ENOMEM, "cpu backend: cannot allocate %zu MiB of activations", total >> 20);
    }
    /* carve the block */
#define TAKE(ptr, n) do { (ptr) = p; p += (n); } while (0)
    TAKE(c->x, ub * hp->n_embd);
    TAKE(c->xn, ub * hp->n_embd);
    TAKE(c->out, ub * hp->n_embd);
    TAKE(c->q, ub * w.q);
    TAKE(c->k, ub * w.k);
    TAKE(c->v, ub * w.v);
    TAKE(c->qa, ub * w.qa);
    TAKE(c->qlat, ub * w.lat);
    TAKE(c->olat, ub * w.lat);
    TAKE(c->att, ub * w.att);
    TAKE(c->rope, ub * hp->rope_dim);
    TAKE(c->router, ub * w.n_exp);
    TAKE(c->selw, ub * w.k_used);
    c->scores_stride = scores_stride(hp, m->n_ctx);
    TAKE(c->scores, (size_t)pd_pool_threads(c->pool) * c->scores_stride);
    TAKE(c->attn_parts, pd_attn_parts_floats(hp, m->n_ctx));
    TAKE(c->ffa, ub * (w.k_used + 1) * w.ff);
    TAKE(c->ffb, ub * (w.k_used + 1) * w.ff);
    TAKE(c->eout, ub * w.k_used * hp->n_embd);
#undef TAKE
    c->erows = c->sel + ub * (w.k_used + 1);
    c->eslot = c->erows + ub * (w.k_used + 1);
    *state = c;
    return PD_OK;
}

/* ------------------------------------------------------------------------
 * forward
 * ------------------------------------------------------------------------ */
static pd_status step(pd_cpu *c, const int32_t *tokens, int n, int pos0,
                      float *logits, bool all)
{
    const pd_model *m = c->m;
    const pd_hparams *hp = &m->hp;
    const int E = hp->n_embd;
    pd_status st;

    /* token embeddings */
    for (int t = 0; t < n; t++)
        pd_weight_get_row(&m->token_embd, 0, tokens[t], c->x + (size_t)t * E);

    for (int il = 0; il < hp->n_layer; il++) {
        const pd_layer *ly = &m->layers[il];
        /* attention block */
        for (int t = 0; t < n; t++)
            pd_rmsnorm(c->xn + (size_t)t * E, c->x + (size_t)t * E, ly->attn_norm, E, hp->eps);
        if ((st = pd_cpu_attention(c, il, n, pos0)) != PD_OK)
            return st;
        for (size_t i = 0; i < (size_t)n * E; i++)
            c->x[i] += c->out[i];
        /* feed-forward block (dense or mixture of experts) */
        for (int t = 0; t < n; t++)
            pd_rmsnorm(c->xn + (size_t)t * E, c->x + (size_t)t * E, ly->ffn_norm, E, hp->eps);
        if ((st = pd_cpu_ffn(c, il, n, pos0)) != PD_OK)
            return st;
        for (size_t i = 0; i < (size_t)n * E; i++)
            c->x[i] += c->out[i];
    }
    if (!logits)
        return PD_OK;

    /* final norm and the output projection (every row, or the last one) */
    const int first = all ? 0 : n - 1;
    for (int t = first; t < n; t++)
        pd_rmsnorm(c->xn + (size_t)t * E, c->x + (size_t)t * E, m->output_norm, E, hp->eps);
    pd_mm mm = { .w = &m->output, .x = c->xn + (size_t)first * E, .ldx = E,
                 .n = n - first, .y = logits, .ldy = hp->n_vocab };
    return pd_matmul(c->pool, &c->mm, &mm, 1);
}

static pd_status cpu_forward(void *state, const int32_t *tokens, int n, int pos0,
                             float *logits, bool all)
{
    pd_cpu *c = state;
    const int V = c->m->hp.n_vocab;
    if (n <= 0 || pos0 < 0 || pos0 > c->kv.n_ctx || n > c->kv.n_ctx - pos0)
        return pd_fail(PD_ELIMIT, "positions %d..%d do not fit the context of %d",
                       pos0, pos0 + n - 1, c->kv.n_ctx);
    for (int t0 = 0; t0 < n; t0 += c->ub) {
        const int nb = n - t0 < c->ub ? n - t0 : c->ub;
        float *lg = NULL;
        if (logits && all)
            lg = logits + (size_t)t0 * V;
        else if (logits && t0 + nb == n)
            lg = logits;
        pd_status st = step(c, tokens + t0, nb, pos0 + t0, lg, all);
        if (st != PD_OK)
            return st;
    }
    return PD_OK;
}

static bool cpu_available(char *why, size_t n)
{
    (void)why; (void)n;
    return true;
}

static const pd_backend_ops cpu_ops = {
    .abi = PD_BACKEND_ABI,
    .name = "cpu",
    .available = cpu_available,
    .create = cpu_create,
    .forward = cpu_forward,
    .destroy = cpu_destroy,
};

const pd_backend_ops *pd_backend_cpu(void)
{
    return &cpu_ops;
}
