/* moe.c - the feed-forward half of a block on the CPU: the dense SiLU-gated
 * FFN, and the mixture of experts: router (softmax or sigmoid, selection
 * bias, group-limited top-k, renormalisation, scale as llama.cpp computes
 * them), then only the routed experts, each run once over all the batch
 * rows routed to it, plus the shared experts. */
#include "cpu/cpu.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Routing
 * ------------------------------------------------------------------------ */
/* Indices of the k largest of v[0..n) (entries < -FLT_MAX skipped), best
 * first. Ties: the lower index wins, so the result is deterministic. */
static void top_k(const float *v, int n, int k, int32_t *out)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            bool taken = false;
            for (int q = 0; q < j; q++)
                if (out[q] == i) { taken = true; break; }
            if (taken || v[i] == -INFINITY)
                continue;
            if (best < 0 || v[i] > v[best])
                best = i;
        }
        out[j] = best < 0 ? 0 : best;
    }
}

void pd_moe_route(const pd_hparams *hp, const float *logits, const float *bias,
                  int32_t *ids, float *weights)
{
    const int X = hp->n_expert, K = hp->n_expert_used;
    float probs[PD_MAX_EXPERTS], sel[PD_MAX_EXPERTS];
    if (hp->gating == PD_GATE_SIGMOID) {
        for (int e = 0; e < X; e++)
            probs[e] = 1.0f / (1.0f + expf(-logits[e]));
    } else {
        memcpy(probs, logits, (size_t)X * sizeof *probs);
        pd_softmax_ggml(probs, X);
    }
    /* the selection bias steers which experts, not how much they weigh */
    for (int e = 0; e < X; e++)
        sel[e] = bias ? probs[e] + bias[e] : probs[e];
    if (hp->n_group > 1) {
        /* group score = sum of its two best selection scores; keep the best groups */
        const int G = hp->n_group, per = X / G;
        float gs[PD_MAX_EXPERTS];
        int32_t two[2], keep[PD_MAX_EXPERTS];
        for (int g = 0; g < G; g++) {
            top_k(sel + g * per, per, 2, two);
            gs[g] = sel[g * per + two[0]] + sel[g * per + two[1]];
        }
        top_k(gs, G, hp->n_group_used, keep);
        bool kept[PD_MAX_EXPERTS] = {false};
        for (int i = 0; i < hp->n_group_used; i++)
            kept[keep[i]] = true;
        for (int e = 0; e < X; e++)
            if (!kept[e / per])
                sel[e] = -INFINITY;
    }
    top_k(sel, X, K, ids);
    double dsum = 0;   /* ggml_sum_rows adds in double */
    for (int i = 0; i < K; i++) {
        weights[i] = probs[ids[i]];
        dsum += weights[i];
    }
    float sum = (float)dsum;
    if (hp->weights_norm) {
        sum = fmaxf(sum, 6.103515625e-5f);   /* llama.cpp clamps the divisor */
        for (int i = 0; i < K; i++)
            weights[i] /= sum;
    }
    if (hp->weights_scale != 0)
        for (int i = 0; i < K; i++)
            weights[i] *= hp->weights_scale;
}

/* ------------------------------------------------------------------------
 * Dense FFN: out = down(silu(gate(x)) * up(x))
 * ------------------------------------------------------------------------ */
static pd_status ffn_dense(pd_cpu *c, const pd_weight *gate, const pd_weight *up,
                           const pd_weight *down, int n, float *out)
{
    const int E = c->m->hp.n_embd;
    const int64_t ff = gate->n;
    pd_mm mm[2] = {
        { .w = gate, .x = c->xn, .ldx = E, .n = n, .y = c->ffa, .ldy = ff },
        { .w = up, .x = c->xn, .ldx = E, .n = n, .y = c->ffb, .ldy = ff },
    };
    pd_status st = pd_matmul(c->pool, &c->mm, mm, 2);
    if (st != PD_OK)
        return st;
    pd_silu_mul(c->ffa, c->ffb, (int64_t)n * ff);
    pd_mm d = { .w = down, .x = c->ffa, .ldx = ff, .n = n, .y = out, .ldy = E };
    return pd_matmul(c->pool, &c->mm, &d, 1);
}

/* ------------------------------------------------------------------------
 * Mixture of experts
 * ------------------------------------------------------------------------ */
static pd_status ffn_moe(pd_cpu *c, int il, int n, int pos0)
{
    const pd_model *m = c->m;
    const pd_hparams *hp = &m->hp;
    const pd_layer *ly = &m->layers[il];
    const int E = hp->n_embd, X = hp->n_expert, K = hp->n_expert_used;
    const int64_t ff = hp->n_ff_exp;
    pd_status st;

    /* router logits (F32 weights, F32 activations) and the choice per row */
    pd_mm r = { .w = &ly->gate_inp, .x = c->xn, .ldx = E, .n = n, .y = c->router, .ldy = X };
    if ((st = pd_matmul(c->pool, &c->mm, &r, 1)) != PD_OK)
        return st;
    for (int t = 0; t < n; t++) {
        pd_moe_route(hp, c->router + (size_t)t * X, ly->exp_probs_b,
                     c->sel + (size_t)t * K, c->selw + (size_t)t * K);
        if (m->route_fn)
            m->route_fn(m->route_user, pos0 + t, il, K, c->sel + (size_t)t * K,
                        c->selw + (size_t)t * K);
    }

    /* group the (row, slot) pairs by expert: erows lists rows expert by expert */
    int count[PD_MAX_EXPERTS] = {0}, start[PD_MAX_EXPERTS + 1];
    for (int i = 0; i < n * K; i++)
        count[c->sel[i]]++;
    start[0] = 0;
    for (int e = 0; e < X; e++)
        start[e + 1] = start[e] + count[e];
    int fill[PD_MAX_EXPERTS];
    memcpy(fill, start, (size_t)X * sizeof *fill);
    for (int t = 0; t < n; t++)
        for (int s = 0; s < K; s++) {
            const int e = c->sel[t * K + s], at = fill[e]++;
            c->erows[at] = t;
            c->eslot[t * K + s] = at;
        }

    /* gate and up of every active expert (and the shared expert) in one job */
    pd_mm *list = c->mm_list;
    int nm = 0;
    for (int e = 0; e < X; e++) {
        if (!count[e])
            continue;
        list[nm++] = (pd_mm){ .w = &ly->gate_exps, .mat = e, .x = c->xn, .ldx = E,
                              .xrows = c->erows + start[e], .n = count[e],
                              .y = c->ffa + (size_t)start[e] * ff, .ldy = ff, .expert = true };
        list[nm++] = (pd_mm){ .w = &ly->up_exps, .mat = e, .x = c->xn, .ldx = E,
                              .xrows = c->erows + start[e], .n = count[e],
                              .y = c->ffb + (size_t)start[e] * ff, .ldy = ff, .expert = true };
    }
    const size_t sh_off = (size_t)n * K * ff;   /* shared expert rows follow */
    const int64_t sff = hp->n_ff_shexp;
    if (ly->gate_shexp.data) {
        list[nm++] = (pd_mm){ .w = &ly->gate_shexp, .x = c->xn, .ldx = E, .n = n,
                              .y = c->ffa + sh_off, .ldy = sff };
        list[nm++] = (pd_mm){ .w = &ly->up_shexp, .x = c->xn, .ldx = E, .n = n,
                              .y = c->ffb + sh_off, .ldy = sff };
    }
    if ((st = pd_matmul(c->pool, &c->mm, list, nm)) != PD_OK)
        return st;
    pd_silu_mul(c->ffa, c->ffb, (int64_t)n * K * ff);
    if (ly->gate_shexp.data)
        pd_silu_mul(c->ffa + sh_off, c->ffb + sh_off, (int64_t)n * sff);

    /* down projections: expert rows into eout, shared expert into out */
    nm = 0;
    for (int e = 0; e < X; e++) {
        if (!count[e])
            continue;
        list[nm++] = (pd_mm){ .w = &ly->down_exps, .mat = e, .x = c->ffa + (size_t)start[e] * ff,
                              .ldx = ff, .n = count[e], .y = c->eout + (size_t)start[e] * E,
                              .ldy = E, .expert = true };
    }
    if (ly->gate_shexp.data)
        list[nm++] = (pd_mm){ .w = &ly->down_shexp, .x = c->ffa + sh_off, .ldx = sff, .n = n,
                              .y = c->out, .ldy = E };
    if ((st = pd_matmul(c->pool, &c->mm, list, nm)) != PD_OK)
        return st;

    /* out[t] = sum_s w[t][s] expert_s(x[t]) (+ shared), in slot order */
    for (int t = 0; t < n; t++) {
        float *o = c->out + (size_t)t * E;
        float acc[E];
        memset(acc, 0, sizeof acc);
        for (int s = 0; s < K; s++) {
            const float w = c->selw[t * K + s];
            const float *y = c->eout + (size_t)c->eslot[t * K + s] * E;
            for (int i = 0; i < E; i++)
                acc[i] += w * y[i];
        }
        if (ly->gate_shexp.data)
            for (int i = 0; i < E; i++)
                o[i] = acc[i] + o[i];
        else
            memcpy(o, acc, sizeof acc);
    }
    return PD_OK;
}

pd_status pd_cpu_ffn(pd_cpu *c, int il, int n, int pos0)
{
    const pd_layer *ly = &c->m->layers[il];
    if (ly->moe)
        return ffn_moe(c, il, n, pos0);
    return ffn_dense(c, &ly->ffn_gate, &ly->ffn_up, &ly->ffn_down, n, c->out);
}
