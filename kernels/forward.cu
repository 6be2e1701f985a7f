// forward.cu - the CUDA forward pass, op by op the CPU's (src/cpu/forward.c,
// attention.c, moe.c): embed, then per layer x += attention(norm(x)),
// x += ffn(norm(x)), then norm and the output projection. A few rows
// (decode) go through the mat-vec kernels with MoE routing left on the GPU;
// more rows (prefill) through cuBLAS, tokens grouped by expert.
// Positions come from device memory (c->d_pos) so the decode step can be
// captured once as a CUDA graph and replayed.
#include "state.h"

#include <string.h>

// y (rows x w->n, stride ldy) = x rows (stride ldx) through w
static pd_status proj(cu_state *c, const cu_w *w, const float *x, int64_t ldx, int rows,
                      float *y, int64_t ldy)
{
    if (rows <= c->mv_rows) {
        PD_TRY(cu_act_quantize(c->st, pd_type_vec_dot(w->type), x, ldx, rows, w->k, &c->act));
        return cu_matvec(c->st, w, &c->act, rows, NULL, 1, y, ldy);
    }
    return cu_gemm(&c->gemm, w, 0, x, ldx, NULL, rows, y, ldy);
}

// The MoE router (F32 weights, at most a few hundred rows): the mat-vec
// for every row count, in the CPU's order (dot_f32_tinyblas), reading the
// F32 input in place, so prefill too picks the experts the CPU picks.
static pd_status proj_router(cu_state *c, const cu_w *w, const float *x, int64_t ldx, int rows,
                             float *y, int64_t ldy)
{
    if (w->type != PD_TYPE_F32 || ldx != w->k)
        return proj(c, w, x, ldx, rows, y, ldy);
    cu_act in = {};
    in.type = PD_TYPE_F32;
    in.k = w->k;
    in.f = (float *)x;
    return cu_matvec(c->st, w, &in, rows, NULL, 1, y, ldy);
}

// Products of the same input rows (q/k/v, gate/up): on the mat-vec path the
// input is converted once for consecutive weights of the same dot format.
static pd_status proj_many(cu_state *c, int nw, const cu_w *const *w, float *const *y,
                           const int64_t *ldy, const float *x, int64_t ldx, int rows)
{
    pd_type have = PD_TYPE_COUNT;
    for (int i = 0; i < nw; i++) {
        if (rows > c->mv_rows) {
            PD_TRY(cu_gemm(&c->gemm, w[i], 0, x, ldx, NULL, rows, y[i], ldy[i]));
            continue;
        }
        const pd_type vt = pd_type_vec_dot(w[i]->type);
        if (vt != have || c->act.k != w[i]->k) {
            PD_TRY(cu_act_quantize(c->st, vt, x, ldx, rows, w[i]->k, &c->act));
            have = vt;
        }
        PD_TRY(cu_matvec(c->st, w[i], &c->act, rows, NULL, 1, y[i], ldy[i]));
    }
    return PD_OK;
}

// Per-head products (MLA absorb): w holds H matrices; input row (t, h) at
// x + (t*H + h) * hs (so the row stride is H * hs), output at
// y + (t*H + h) * ys.
static pd_status per_head(cu_state *c, const cu_w *w, const float *x, int64_t hs, int rows,
                          float *y, int64_t ys)
{
    const int H = (int)w->n_mat;
    if (rows <= c->mv_rows) {
        PD_TRY(cu_act_quantize(c->st, pd_type_vec_dot(w->type), x, hs, rows * H, w->k, &c->act));
        return cu_matvec(c->st, w, &c->act, rows * H, NULL, 1, y, ys);
    }
    for (int h = 0; h < H; h++)
        PD_TRY(cu_gemm(&c->gemm, w, h, x + (int64_t)h * hs, (int64_t)H * hs, NULL, rows,
                       y + (int64_t)h * ys, (int64_t)H * ys));
    return PD_OK;
}

static void *kv_layer(const cu_state *c, void *base, int width, int il)
{
    return (uint8_t *)base + (size_t)il * c->m->n_ctx * width * c->kv_es;
}

// ---------------------------------------------------------------------------
// Attention
// ---------------------------------------------------------------------------
static pd_status attention_gqa(cu_state *c, int il, int n)
{
    const pd_hparams *hp = &c->m->hp;
    const cu_layer *ly = &c->L[il];
    const int E = hp->n_embd, H = hp->n_head, Hkv = hp->n_head_kv;
    const int dk = hp->head_k, dv = hp->head_v, qw = H * dk, kw = Hkv * dk, vw = Hkv * dv;
    cudaStream_t s = c->st;

    const cu_w *ws[3] = { &ly->wq, &ly->wk, &ly->wv };
    float *const ys[3] = { c->q, c->k, c->v };
    const int64_t lds[3] = { qw, kw, vw };
    PD_TRY(proj_many(c, 3, ws, ys, lds, c->xn, E, n));
    if (ly->bq) {
        PD_TRY(cu_add_bias(s, c->q, qw, ly->bq, n, qw));
        PD_TRY(cu_add_bias(s, c->k, kw, ly->bk, n, kw));
        PD_TRY(cu_add_bias(s, c->v, vw, ly->bv, n, vw));
    }
    if (ly->q_norm) {   // per-head RMSNorm, before RoPE
        PD_TRY(cu_rmsnorm(s, c->q, dk, c->q, dk, ly->q_norm, n * H, dk, hp->eps));
        PD_TRY(cu_rmsnorm(s, c->k, dk, c->k, dk, ly->k_norm, n * Hkv, dk, hp->eps));
    }
    PD_TRY(cu_rope_apply(s, hp->rope_kind, c->q, qw, H, dk, 0, hp->rope_dim, c->rope_cs,
                         hp->rope_dim, n));
    PD_TRY(cu_rope_apply(s, hp->rope_kind, c->k, kw, Hkv, dk, 0, hp->rope_dim, c->rope_cs,
                         hp->rope_dim, n));
    void *kc = kv_layer(c, c->kv_k, kw, il), *vc = kv_layer(c, c->kv_v, vw, il);
    PD_TRY(cu_kv_store(s, kc, c->kv_f16, kw, c->k, kw, n, kw, c->d_pos));
    PD_TRY(cu_kv_store(s, vc, c->kv_f16, vw, c->v, vw, n, vw, c->d_pos));

    const cu_attn a = { c->q, kc, vc, kw, vw, dk, dv, H, H / Hkv, c->kv_f16,
                        c->wide_rows, hp->kq_scale, c->att };
    PD_TRY(cu_attention(s, &a, c->d_pos, n));
    return proj(c, &ly->wo, c->att, (int64_t)H * dv, n, c->out, E);
}

static pd_status attention_mla(cu_state *c, int il, int n)
{
    const pd_hparams *hp = &c->m->hp;
    const cu_layer *ly = &c->L[il];
    const int E = hp->n_embd, H = hp->n_head, R = hp->kv_lora, dr = hp->qk_rope;
    const int dq = hp->head_k, qw = H * dq, kvw = R + dr;
    cudaStream_t s = c->st;

    // q (through the q latent when q_lora > 0) and the kv latent + rope key
    if (hp->q_lora) {
        PD_TRY(proj(c, &ly->wq_a, c->xn, E, n, c->qa, hp->q_lora));
        PD_TRY(cu_rmsnorm(s, c->qa, hp->q_lora, c->qa, hp->q_lora, ly->q_a_norm, n, hp->q_lora, hp->eps));
        PD_TRY(proj(c, &ly->wq_b, c->qa, hp->q_lora, n, c->q, qw));
    } else {
        PD_TRY(proj(c, &ly->wq, c->xn, E, n, c->q, qw));
    }
    PD_TRY(proj(c, &ly->wkv_a, c->xn, E, n, c->k, kvw));

    // normalize the latent, rotate q_pe and the shared k_pe, cache [c, k_pe]
    PD_TRY(cu_rmsnorm(s, c->k, kvw, c->k, kvw, ly->kv_a_norm, n, R, hp->eps));
    PD_TRY(cu_rope_apply(s, hp->rope_kind, c->q, qw, H, dq, hp->qk_nope, dr, c->rope_cs,
                         hp->rope_dim, n));
    PD_TRY(cu_rope_apply(s, hp->rope_kind, c->k, kvw, 1, 0, R, dr, c->rope_cs, hp->rope_dim,
                         n));
    void *kc = kv_layer(c, c->kv_k, kvw, il);
    PD_TRY(cu_kv_store(s, kc, c->kv_f16, kvw, c->k, kvw, n, kvw, c->d_pos));

    // absorb: qlat[t][h] = attn_k_b[h] q_nope[t][h], then attend in latent space
    PD_TRY(per_head(c, &ly->wk_b, c->q, dq, n, c->qlat, R));
    PD_TRY(cu_mla_query(s, c->qc, c->qlat, c->q, n, H, R, dr, dq, hp->qk_nope));
    const cu_attn a = { c->qc, kc, kc, kvw, kvw, kvw, R, H, H, c->kv_f16, c->wide_rows,
                        hp->kq_scale, c->olat };
    PD_TRY(cu_attention(s, &a, c->d_pos, n));

    // back out of the latent: att[t][h] = attn_v_b[h] olat[t][h]
    PD_TRY(per_head(c, &ly->wv_b, c->olat, R, n, c->att, hp->head_v));
    return proj(c, &ly->wo, c->att, (int64_t)H * hp->head_v, n, c->out, E);
}

// ---------------------------------------------------------------------------
// Feed-forward
// ---------------------------------------------------------------------------
static pd_status ffn_dense(cu_state *c, const cu_w *gate, const cu_w *up, const cu_w *down,
                           int n, float *ffa, float *ffb, float *out)
{
    const int E = c->m->hp.n_embd;
    const int64_t ff = gate->n;
    const cu_w *ws[2] = { gate, up };
    float *const ys[2] = { ffa, ffb };
    const int64_t lds[2] = { ff, ff };
    PD_TRY(proj_many(c, 2, ws, ys, lds, c->xn, E, n));
    PD_TRY(cu_silu_mul(c->st, ffa, ffb, n * ff));
    return proj(c, down, ffa, ff, n, out, E);
}

// The routing choice back on the host, for the test hook (m->route_fn).
static pd_status route_hook(cu_state *c, int il, int n)
{
    const pd_model *m = c->m;
    const int K = m->hp.n_expert_used;
    CUDA_TRY(cudaMemcpyAsync(c->h_sel, c->sel, sizeof(int) * n * K, cudaMemcpyDeviceToHost, c->st));
    CUDA_TRY(cudaMemcpyAsync(c->h_selw, c->selw, sizeof(float) * n * K, cudaMemcpyDeviceToHost, c->st));
    CUDA_TRY(cudaStreamSynchronize(c->st));
    for (int t = 0; t < n; t++)
        m->route_fn(m->route_user, c->h_pos[0] + t, il, K, c->h_sel + t * K, c->h_selw + t * K);
    return PD_OK;
}

// Few rows: the experts' mat-vecs read the chosen ids from device memory.
static pd_status experts_matvec(cu_state *c, const cu_layer *ly, int n)
{
    const pd_hparams *hp = &c->m->hp;
    const int E = hp->n_embd, K = hp->n_expert_used;
    const int64_t ff = hp->n_ff_exp;
    PD_TRY(cu_act_quantize(c->st, pd_type_vec_dot(ly->gate_exps.type), c->xn, E, n, E, &c->act));
    PD_TRY(cu_matvec(c->st, &ly->gate_exps, &c->act, n * K, c->sel, K, c->ffa, ff));
    if (ly->up_exps.type != ly->gate_exps.type)
        PD_TRY(cu_act_quantize(c->st, pd_type_vec_dot(ly->up_exps.type), c->xn, E, n, E, &c->act));
    PD_TRY(cu_matvec(c->st, &ly->up_exps, &c->act, n * K, c->sel, K, c->ffb, ff));
    PD_TRY(cu_silu_mul(c->st, c->ffa, c->ffb, n * K * ff));
    PD_TRY(cu_act_quantize(c->st, pd_type_vec_dot(ly->down_exps.type), c->ffa, ff, n * K, ff, &c->act));
    return cu_matvec(c->st, &ly->down_exps, &c->act, n * K, c->sel, 1, c->eout, E);
}

// Many rows: group (token, expert) pairs by expert on the host, one GEMM
// per active expert over its rows.
static pd_status experts_gemm(cu_state *c, const cu_layer *ly, int n)
{
    const pd_hparams *hp = &c->m->hp;
    const int E = hp->n_embd, K = hp->n_expert_used, X = hp->n_expert;
    const int64_t ff = hp->n_ff_exp;
    CUDA_TRY(cudaMemcpyAsync(c->h_sel, c->sel, sizeof(int) * n * K, cudaMemcpyDeviceToHost, c->st));
    CUDA_TRY(cudaStreamSynchronize(c->st));
    PD_TRY(pd_cu_group_experts(c->h_sel, n, K, X, c->h_count, c->h_start, c->h_rows, c->h_slot));
    CUDA_TRY(cudaMemcpyAsync(c->erows, c->h_rows, sizeof(int) * n * K, cudaMemcpyHostToDevice, c->st));
    CUDA_TRY(cudaMemcpyAsync(c->eslot, c->h_slot, sizeof(int) * n * K, cudaMemcpyHostToDevice, c->st));
    for (int e = 0; e < X; e++) {
        const int cnt = c->h_count[e], at = c->h_start[e];
        if (!cnt)
            continue;
        PD_TRY(cu_gemm(&c->gemm, &ly->gate_exps, e, c->xn, E, c->erows + at, cnt, c->ffa + at * ff, ff));
        PD_TRY(cu_gemm(&c->gemm, &ly->up_exps, e, c->xn, E, c->erows + at, cnt, c->ffb + at * ff, ff));
    }
    PD_TRY(cu_silu_mul(c->st, c->ffa, c->ffb, n * K * ff));
    for (int e = 0; e < X; e++) {
        const int cnt = c->h_count[e], at = c->h_start[e];
        if (cnt)
            PD_TRY(cu_gemm(&c->gemm, &ly->down_exps, e, c->ffa + at * ff, ff, NULL, cnt,
                           c->eout + (int64_t)at * E, E));
    }
    // the grouped host arrays must stay valid until the copies above ran
    CUDA_TRY(cudaStreamSynchronize(c->st));
    return PD_OK;
}

static pd_status ffn_moe(cu_state *c, int il, int n, bool hook)
{
    const pd_hparams *hp = &c->m->hp;
    const cu_layer *ly = &c->L[il];
    const int E = hp->n_embd, X = hp->n_expert, K = hp->n_expert_used;
    const bool grouped = n > c->mv_rows;

    PD_TRY(proj_router(c, &ly->gate_inp, c->xn, E, n, c->router, X));
    PD_TRY(cu_moe_route(c->st, &c->route, c->router, ly->exp_probs_b, n, c->sel, c->selw));
    if (hook)
        PD_TRY(route_hook(c, il, n));
    PD_TRY(grouped ? experts_gemm(c, ly, n) : experts_matvec(c, ly, n));
    const bool shared = ly->gate_shexp.data != NULL;
    if (shared) {
        const int64_t off = (int64_t)n * K * hp->n_ff_exp;   // after the experts' rows
        PD_TRY(ffn_dense(c, &ly->gate_shexp, &ly->up_shexp, &ly->down_shexp, n,
                         c->ffa + off, c->ffb + off, c->out));
    }
    return cu_moe_combine(c->st, c->out, c->eout, c->selw, grouped ? c->eslot : NULL, n, K, E, shared);
}

// ---------------------------------------------------------------------------
// forward over rows [0, n) of c->d_tok at positions *c->d_pos + i
// ---------------------------------------------------------------------------
pd_status cu_forward_rows(cu_state *c, int n, bool want_logits, bool all_logits, bool hook)
{
    const pd_model *m = c->m;
    const pd_hparams *hp = &m->hp;
    const int E = hp->n_embd;
    cudaStream_t s = c->st;

    if (hp->n_layer < 1)
        return pd_fail(PD_EUNSUPPORTED, "cuda: a model without layers");
    // each residual add x += out is fused into the norm that follows it
    PD_TRY(cu_embed(s, &c->tok_embd, c->d_tok, n, c->x));
    PD_TRY(cu_rope_cache(s, &c->rope, c->d_pos, n, c->rope_cs));
    PD_TRY(cu_rmsnorm(s, c->xn, E, c->x, E, c->L[0].attn_norm, n, E, hp->eps));
    for (int il = 0; il < hp->n_layer; il++) {
        const cu_layer *ly = &c->L[il];
        PD_TRY(hp->mla ? attention_mla(c, il, n) : attention_gqa(c, il, n));
        PD_TRY(cu_add_rmsnorm(s, c->xn, c->x, c->out, ly->ffn_norm, n, E, hp->eps));
        if (ly->moe)
            PD_TRY(ffn_moe(c, il, n, hook));
        else
            PD_TRY(ffn_dense(c, &ly->ffn_gate, &ly->ffn_up, &ly->ffn_down, n, c->ffa, c->ffb, c->out));
        if (il + 1 < hp->n_layer)
            PD_TRY(cu_add_rmsnorm(s, c->xn, c->x, c->out, c->L[il + 1].attn_norm, n, E, hp->eps));
    }
    if (!want_logits)
        return PD_OK;   // the last block's output is not needed
    // final norm and the output projection (every row, or the last one)
    const int first = all_logits ? 0 : n - 1;
    PD_TRY(cu_add_rmsnorm(s, c->xn, c->x + (int64_t)first * E, c->out + (int64_t)first * E,
                          m->output_norm ? c->output_norm : NULL, n - first, E, hp->eps));
    return proj(c, &c->output, c->xn, E, n - first, c->logits, hp->n_vocab);
}
