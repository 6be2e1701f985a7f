// backend_cuda.cu - the CUDA backend plugin: the ops table that src/backend.c
// finds with dlsym; available() decides whether a usable GPU is present (so
// a CUDA build still runs on the CPU elsewhere); create() checks the model
// fits, uploads every weight in its quantized form through pinned staging
// buffers and allocates the cache and activations; forward() runs decode
// steps as a replayed CUDA graph and prompts in micro-batches.
#include "state.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double MiB = 1024.0 * 1024.0;

static bool cuda_available(char *why, size_t why_size)
{
    // without the driver library cudart says "driver version is insufficient": say what is missing
    void *drv = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!drv) {
        snprintf(why, why_size, "no NVIDIA driver (libcuda.so.1 not found)");
        return false;
    }
    dlclose(drv);
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(why, why_size, "no usable NVIDIA driver/GPU (%s)", cudaGetErrorString(e));
        cudaGetLastError(); // clear the sticky error
        return false;
    }
    if (n == 0) {
        snprintf(why, why_size, "no CUDA device found");
        return false;
    }
    cudaDeviceProp prop = {};
    e = cudaGetDeviceProperties(&prop, 0);
    if (e != cudaSuccess) {
        snprintf(why, why_size, "cannot read the properties of GPU 0 (%s)", cudaGetErrorString(e));
        cudaGetLastError();
        return false;
    }
    if (prop.major < 8) {
        snprintf(why, why_size, "GPU 0 is older than sm_80 (compute capability %d.%d)",
                 prop.major, prop.minor);
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------
struct sizes {
    size_t q, k, v, qa, lat, qc, att, ff, kmax, act_rows;
};

static size_t mx(size_t a, size_t b) { return a > b ? a : b; }

static sizes get_sizes(const pd_model *m, int mv_rows)
{
    const pd_hparams *hp = &m->hp;
    sizes z = {};
    const size_t H = hp->n_head, K = hp->n_expert_used;
    z.q = H * hp->head_k;
    z.k = hp->mla ? (size_t)hp->kv_lora + hp->qk_rope : (size_t)hp->n_head_kv * hp->head_k;
    z.v = hp->mla ? 0 : (size_t)hp->n_head_kv * hp->head_v;
    z.qa = hp->q_lora;
    z.lat = hp->mla ? H * hp->kv_lora : 0;
    z.qc = hp->mla ? H * ((size_t)hp->kv_lora + hp->qk_rope) : 0;
    z.att = H * hp->head_v;
    z.ff = mx(mx(hp->n_ff, hp->n_ff_exp), hp->n_ff_shexp);
    z.kmax = mx(mx(mx(hp->n_embd, z.ff), mx(z.qa, z.att)), mx(hp->kv_lora, hp->qk_nope));
    z.act_rows = (size_t)mv_rows * mx(mx(K, H), 1);
    return z;
}

// Device bytes of the activations of CU_UBATCH rows (floats), ints, act and GEMM scratch.
// the GEMM's rounded inputs of a micro-batch: (CU_UBATCH, kmax) floats and
// their Q8_1 deltas (cu_act_roundtrip: one float per 32 values)
static size_t gemm_input_bytes(const sizes &z)
{
    return (size_t)CU_UBATCH * (z.kmax + z.kmax / 32) * sizeof(float);
}

static size_t act_bytes(const pd_model *m, const sizes &z, size_t tile, int n_ctx)
{
    const pd_hparams *hp = &m->hp;
    const size_t ub = CU_UBATCH, K = hp->n_expert_used, E = hp->n_embd;
    size_t f = ub * (3 * E + z.q + z.k + z.v + z.qa + 2 * z.lat + z.qc + z.att + hp->rope_dim
                     + hp->n_expert + K + 2 * (K + 1) * z.ff + K * E + (size_t)hp->n_vocab);
    size_t ints = 3 * ub * (K + 1);
    size_t act = z.act_rows * z.kmax * (4 + 1) + 2 * z.act_rows * (z.kmax / 32 + 1) * 4;
    const size_t rope_tab = (size_t)n_ctx * hp->rope_dim;   // cu_rope_init
    return (f + rope_tab) * 4 + ints * 4 + act + gemm_input_bytes(z) + tile + 64 * 256;
}

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------
static void cuda_destroy(void *state)
{
    cu_state *c = (cu_state *)state;
    if (!c)
        return;
    if (c->graph) cudaGraphExecDestroy(c->graph);
    if (c->blas) cublasDestroy(c->blas);
    if (c->st) cudaStreamDestroy(c->st);
    void *dev[] = { c->arena, c->kv_k, c->kv_v, c->d_tok, c->d_pos, c->x, c->gemm.tile,
                    c->gemm.xr, c->act.f, c->act.q, c->act.d, c->act.s, c->sel };
    for (void *p : dev)
        cudaFree(p);
    cu_rope_free(&c->rope);
    void *pinned[] = { c->h_tok, c->h_pos, c->h_logits };
    for (void *p : pinned)
        cudaFreeHost(p);
    free(c->h_sel);
    free(c->L);
    cudaGetLastError();
    free(c);
}

static bool env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v && !strcmp(v, value);
}

// Copy every planned span into the arena: file pages -> pinned staging ->
// device, two staging buffers so the copy of one overlaps the next memcpy.
static pd_status upload(cu_state *c, const pd_cu_plan *p, bool progress)
{
    const size_t CH = 32u << 20;
    void *stage[2] = { NULL, NULL };
    cudaEvent_t ev[2] = { NULL, NULL };
    pd_status st = PD_OK;
    size_t done = 0, next_report = 0;
#define UP_TRY(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
        st = pd_fail(PD_EBACKEND, "cuda: uploading weights: %s failed: %s", #call, \
                     cudaGetErrorString(e_)); goto out; } } while (0)
    for (int b = 0; b < 2; b++) {
        UP_TRY(cudaMallocHost(&stage[b], CH));
        UP_TRY(cudaEventCreateWithFlags(&ev[b], cudaEventDisableTiming));
    }
    {
        int b = 0;
        for (int i = 0; i < p->n; i++) {
            const pd_cu_span *sp = &p->v[i];
            for (size_t o = 0; o < sp->bytes; o += CH) {
                const size_t n = sp->bytes - o < CH ? sp->bytes - o : CH;
                UP_TRY(cudaEventSynchronize(ev[b]));
                memcpy(stage[b], (const uint8_t *)sp->host + o, n);
                UP_TRY(cudaMemcpyAsync(c->arena + sp->off + o, stage[b], n,
                                       cudaMemcpyHostToDevice, c->st));
                UP_TRY(cudaEventRecord(ev[b], c->st));
                b ^= 1;
                done += n;
                if (progress && done >= next_report) {
                    fprintf(stderr, "\rponder: uploading weights to the GPU: %3.0f%% of %.0f MiB",
                            100.0 * done / p->total, p->total / MiB);
                    next_report = done + p->total / 50;
                }
            }
        }
        UP_TRY(cudaStreamSynchronize(c->st));
        if (progress)
            fprintf(stderr, "\rponder: uploading weights to the GPU: 100%% of %.0f MiB\n",
                    p->total / MiB);
    }
out:
#undef UP_TRY
    for (int b = 0; b < 2; b++) {
        if (ev[b]) cudaEventDestroy(ev[b]);
        if (stage[b]) cudaFreeHost(stage[b]);
    }
    return st;
}

// The weight types the kernels decode (quant.cuh's cu_deq, the mat-vecs,
// the GEMM tiles): the CPU reads more (Q8_K, Q8_1), the GPU must say no at
// create time, so that --backend auto falls back to the CPU.
static bool cuda_has_kernels(pd_type t)
{
    switch (t) {
    case PD_TYPE_F32: case PD_TYPE_F16: case PD_TYPE_BF16: case PD_TYPE_Q8_0:
    case PD_TYPE_Q4_0: case PD_TYPE_Q4_1: case PD_TYPE_Q5_0: case PD_TYPE_Q5_1:
    case PD_TYPE_Q2_K: case PD_TYPE_Q3_K: case PD_TYPE_Q4_K: case PD_TYPE_Q5_K: case PD_TYPE_Q6_K:
    case PD_TYPE_IQ4_NL: case PD_TYPE_IQ4_XS: case PD_TYPE_IQ2_XXS: case PD_TYPE_IQ2_XS:
    case PD_TYPE_IQ2_S: case PD_TYPE_IQ3_XXS: case PD_TYPE_IQ3_S: case PD_TYPE_IQ1_S:
    case PD_TYPE_IQ1_M:
        return true;
    default:
        return false;
    }
}

// il < 0: a model-wide tensor
static pd_status check_weight(const pd_weight *w, const char *name, int il)
{
    if (!w->data || (cuda_has_kernels(w->type) && w->k % pd_type_block_elems(w->type) == 0))
        return PD_OK;
    char where[48] = "";
    if (il >= 0)
        snprintf(where, sizeof where, " of layer %d", il);
    return pd_fail(PD_EUNSUPPORTED, "cuda: tensor %s%s is %s of width %lld, which the GPU "
                   "kernels do not support", name, where, pd_type_name(w->type), (long long)w->k);
}

static pd_status check_weights(const pd_model *m)
{
    PD_TRY(check_weight(&m->token_embd, "token_embd", -1));
    PD_TRY(check_weight(&m->output, "output", -1));
    for (int il = 0; il < m->hp.n_layer; il++) {
        const pd_layer *l = &m->layers[il];
#define C(f) PD_TRY(check_weight(&l->f, #f, il))
        C(wq); C(wk); C(wv); C(wo); C(wq_a); C(wq_b); C(wkv_a); C(wk_b); C(wv_b);
        C(ffn_gate); C(ffn_up); C(ffn_down); C(gate_inp); C(gate_exps); C(up_exps); C(down_exps);
        C(gate_shexp); C(up_shexp); C(down_shexp);
#undef C
    }
    return PD_OK;
}

static pd_status bind(uint8_t *arena, const pd_cu_plan *p, const pd_weight *w, cu_w *out)
{
    memset(out, 0, sizeof *out);
    if (!w->data)
        return PD_OK;
    const size_t off = pd_cu_plan_offset(p, w->data);
    if (off == SIZE_MAX)
        return pd_fail(PD_EBACKEND, "cuda: a weight was not uploaded");
    PD_TRY(check_weight(w, "(bind)", -1));   // check_weights named it before the upload
    *out = cu_w{ arena + off, w->type, w->k, w->n, w->n_mat, w->row_bytes, w->mat_stride };
    return PD_OK;
}

static const float *bind_vec(uint8_t *arena, const pd_cu_plan *p, const float *v)
{
    if (!v)
        return NULL;
    const size_t off = pd_cu_plan_offset(p, v);
    return off == SIZE_MAX ? NULL : (const float *)(arena + off);
}

static pd_status bind_all(cu_state *c, const pd_cu_plan *p)
{
    const pd_model *m = c->m;
    uint8_t *a = c->arena;
    PD_TRY(bind(a, p, &m->token_embd, &c->tok_embd));
    PD_TRY(bind(a, p, &m->output, &c->output));
    c->output_norm = bind_vec(a, p, m->output_norm);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const pd_layer *l = &m->layers[il];
        cu_layer *d = &c->L[il];
#define B(f) PD_TRY(bind(a, p, &l->f, &d->f))
#define V(f) d->f = bind_vec(a, p, l->f)
        B(wq); B(wk); B(wv); B(wo); B(wq_a); B(wq_b); B(wkv_a); B(wk_b); B(wv_b);
        B(ffn_gate); B(ffn_up); B(ffn_down); B(gate_inp); B(gate_exps); B(up_exps); B(down_exps);
        B(gate_shexp); B(up_shexp); B(down_shexp);
        V(attn_norm); V(ffn_norm); V(bq); V(bk); V(bv); V(q_norm); V(k_norm);
        V(q_a_norm); V(kv_a_norm); V(exp_probs_b);
#undef B
#undef V
        d->moe = l->moe;
    }
    return PD_OK;
}

static pd_status alloc_buffers(cu_state *c, const sizes &z, size_t tile)
{
    const pd_model *m = c->m;
    const pd_hparams *hp = &m->hp;
    const size_t ub = CU_UBATCH, K = hp->n_expert_used, E = hp->n_embd;
    // the cache
    c->kv_f16 = m->kv_f16;
    c->kv_es = c->kv_f16 ? 2 : 4;
    c->kw = (int)z.k;
    c->vw = (int)z.v;
    const size_t rows = (size_t)hp->n_layer * m->n_ctx;
    CUDA_TRY(cudaMalloc(&c->kv_k, rows * z.k * c->kv_es));
    if (z.v)
        CUDA_TRY(cudaMalloc(&c->kv_v, rows * z.v * c->kv_es));
    // step inputs
    CUDA_TRY(cudaMalloc(&c->d_tok, ub * sizeof(int)));
    CUDA_TRY(cudaMalloc(&c->d_pos, sizeof(int)));
    CUDA_TRY(cudaMallocHost(&c->h_tok, ub * sizeof(int)));
    CUDA_TRY(cudaMallocHost(&c->h_pos, sizeof(int)));
    CUDA_TRY(cudaMallocHost(&c->h_logits, (size_t)hp->n_vocab * sizeof(float)));
    // float activations: one block, carved
    const size_t nf[] = { ub * E, ub * E, ub * E, ub * z.q, ub * z.k, ub * z.v, ub * z.qa,
                          ub * z.lat, ub * z.qc, ub * z.lat, ub * z.att, ub * hp->rope_dim,
                          ub * hp->n_expert, ub * K, ub * (K + 1) * z.ff, ub * (K + 1) * z.ff,
                          ub * K * E, ub * hp->n_vocab };
    float **dst[] = { &c->x, &c->xn, &c->out, &c->q, &c->k, &c->v, &c->qa, &c->qlat, &c->qc,
                      &c->olat, &c->att, &c->rope_cs, &c->router, &c->selw, &c->ffa, &c->ffb,
                      &c->eout, &c->logits };
    size_t total = 0;
    for (size_t n : nf)
        total += (n + 63) & ~(size_t)63;
    float *f;
    CUDA_TRY(cudaMalloc(&f, total * sizeof(float)));
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
        *dst[i] = f;
        f += (nf[i] + 63) & ~(size_t)63;
    }
    CUDA_TRY(cudaMalloc(&c->sel, 3 * ub * (K + 1) * sizeof(int)));
    c->erows = c->sel + ub * (K + 1);
    c->eslot = c->erows + ub * (K + 1);
    // converted activations for the mat-vecs
    const size_t an = z.act_rows * z.kmax;
    CUDA_TRY(cudaMalloc(&c->act.f, an * sizeof(float)));
    CUDA_TRY(cudaMalloc(&c->act.q, an));
    CUDA_TRY(cudaMalloc(&c->act.d, (an / 32 + 1) * sizeof(float)));
    CUDA_TRY(cudaMalloc(&c->act.s, (an / 32 + 1) * sizeof(int)));
    // GEMM scratch
    c->gemm.tile_bytes = tile;
    c->gemm.xr_bytes = gemm_input_bytes(z);
    CUDA_TRY(cudaMalloc(&c->gemm.tile, c->gemm.tile_bytes));
    CUDA_TRY(cudaMalloc(&c->gemm.xr, c->gemm.xr_bytes));
    // host arrays for grouping experts
    const size_t X = hp->n_expert, nk = ub * (K + 1);
    c->h_sel = (int32_t *)calloc(4 * nk + 2 * X + 2, sizeof(int32_t));
    if (!c->h_sel)
        return pd_fail(PD_ENOMEM, "cuda backend: out of memory");
    c->h_selw = (float *)(c->h_sel + nk);
    c->h_rows = c->h_sel + 2 * nk;
    c->h_slot = c->h_sel + 3 * nk;
    c->h_count = c->h_sel + 4 * nk;
    c->h_start = c->h_count + X;
    return PD_OK;
}

// GPU bytes for a context of n_ctx positions: weights, cache, activations
typedef struct fit_args {
    const pd_model *m;
    const sizes *z;
    size_t tile, weights;
} fit_args;

static size_t need_at(int n_ctx, void *user)
{
    const fit_args *a = (const fit_args *)user;
    return a->weights + pd_kvcache_bytes(&a->m->hp, n_ctx, a->m->kv_f16)
         + act_bytes(a->m, *a->z, a->tile, n_ctx);
}

static pd_status create(cu_state *c, const pd_model_opts *o)
{
    pd_model *m = c->m;
    const pd_hparams *hp = &m->hp;
    CUDA_TRY(cudaSetDevice(0));
    CUDA_TRY(cudaStreamCreateWithFlags(&c->st, cudaStreamNonBlocking));
    CUBLAS_TRY(cublasCreate(&c->blas));
    CUBLAS_TRY(cublasSetStream(c->blas, c->st));
    c->gemm.blas = c->blas;
    c->gemm.stream = c->st;
    c->gemm.half = env_is("PONDER_CUDA_GEMM", "f16");
    c->use_graph = !env_is("PONDER_CUDA_GRAPH", "0");
    const char *mv = getenv("PONDER_CUDA_MATVEC_ROWS");
    c->mv_rows = mv ? atoi(mv) : CU_MATVEC_ROWS;
    if (c->mv_rows < 1 || c->mv_rows > CU_UBATCH)
        c->mv_rows = CU_MATVEC_ROWS;

    // can the kernels run it, does it fit (with a shorter default context)?
    PD_TRY(check_weights(m));
    pd_cu_plan plan = {};
    pd_status st = pd_cu_plan_model(&plan, m);
    const sizes z = get_sizes(m, c->mv_rows);
    const size_t tile = 64u << 20, reserve = 256u << 20;
    size_t free_b = 0, total_b = 0;
    if (st == PD_OK && cudaMemGetInfo(&free_b, &total_b) != cudaSuccess)
        st = pd_fail(PD_EBACKEND, "cuda: cannot read the free GPU memory");
    fit_args fa = { m, &z, tile, plan.total };
    if (st == PD_OK && o->n_ctx <= 0) {
        const int asked = m->n_ctx;
        m->n_ctx = pd_cu_default_ctx(asked, PD_CTX_DEFAULT_MIN, free_b, reserve, need_at, &fa);
        if (m->n_ctx < asked && o->verbose)
            fprintf(stderr, "ponder: cuda: context %d positions, not %d: the GPU's free memory "
                    "holds no more (--ctx sets it)\n", m->n_ctx, asked);
    }
    const size_t kv = pd_kvcache_bytes(hp, m->n_ctx, m->kv_f16);
    const size_t need = need_at(m->n_ctx, &fa);
    if (st == PD_OK) {
        char what[160];
        snprintf(what, sizeof what, "%s (weights %.0f MiB, KV cache %.0f MiB for %d positions)",
                 m->name ? m->name : "the model", plan.total / MiB, kv / MiB, m->n_ctx);
        st = pd_cu_check_fit(what, need, free_b, reserve);
    }
    if (st == PD_OK && o->verbose)
        fprintf(stderr, "ponder: cuda: weights %.1f MiB, KV cache %.1f MiB, activations %.1f MiB; "
                "GPU free %.0f of %.0f MiB\n", plan.total / MiB, kv / MiB,
                act_bytes(m, z, tile, m->n_ctx) / MiB, free_b / MiB, total_b / MiB);
    c->L = (cu_layer *)calloc((size_t)hp->n_layer, sizeof *c->L);
    if (st == PD_OK && !c->L)
        st = pd_fail(PD_ENOMEM, "cuda backend: out of memory");
    if (st == PD_OK && cudaMalloc(&c->arena, plan.total ? plan.total : 1) != cudaSuccess)
        st = pd_fail(PD_ENOMEM, "cuda: cannot allocate %.0f MiB for the weights", plan.total / MiB);
    if (st == PD_OK)
        st = upload(c, &plan, o->verbose || (isatty(2) && plan.total > (1u << 30)));
    if (st == PD_OK)
        st = bind_all(c, &plan);
    c->weight_bytes = plan.total;
    pd_cu_plan_free(&plan);
    PD_TRY(st);
    PD_TRY(alloc_buffers(c, z, tile));

    PD_TRY(cu_rope_init(&c->rope, hp, m->n_ctx));
    c->route = cu_route{ hp->n_expert, hp->n_expert_used, hp->n_group, hp->n_group_used,
                         hp->gating == PD_GATE_SIGMOID, hp->weights_norm, hp->weights_scale };
    CUDA_TRY(cudaStreamSynchronize(c->st));
    return PD_OK;
}

static pd_status cuda_create(pd_model *m, const pd_model_opts *o, void **state)
{
    *state = NULL;
    cu_state *c = (cu_state *)calloc(1, sizeof *c);
    if (!c)
        return pd_fail(PD_ENOMEM, "cuda backend: out of memory");
    c->m = m;
    const int n_ctx = m->n_ctx;
    pd_status st = create(c, o);
    if (st != PD_OK) {
        cuda_destroy(c);
        m->n_ctx = n_ctx;   // the CPU, if it takes over, keeps the loader's default
        return st;
    }
    *state = c;
    return PD_OK;
}

// ---------------------------------------------------------------------------
// forward
// ---------------------------------------------------------------------------
// One decode step, captured as a graph on first use (inputs copied from the
// pinned h_tok/h_pos inside the graph, logits out to pinned h_logits).
static pd_status capture_decode(cu_state *c)
{
    const int V = c->m->hp.n_vocab;
    cudaGraph_t g = NULL;
    CUDA_TRY(cudaStreamBeginCapture(c->st, cudaStreamCaptureModeThreadLocal));
    pd_status st = PD_OK;
    if (cudaMemcpyAsync(c->d_tok, c->h_tok, sizeof(int), cudaMemcpyHostToDevice, c->st) != cudaSuccess
        || cudaMemcpyAsync(c->d_pos, c->h_pos, sizeof(int), cudaMemcpyHostToDevice, c->st) != cudaSuccess)
        st = pd_fail(PD_EBACKEND, "cuda: capturing the decode step's input copies failed");
    if (st == PD_OK)
        st = cu_forward_rows(c, 1, true, false, false);
    if (st == PD_OK && cudaMemcpyAsync(c->h_logits, c->logits, sizeof(float) * V,
                                       cudaMemcpyDeviceToHost, c->st) != cudaSuccess)
        st = pd_fail(PD_EBACKEND, "cuda: capturing the logits copy failed");
    const cudaError_t e = cudaStreamEndCapture(c->st, &g);
    if (st == PD_OK && e != cudaSuccess)
        st = pd_fail(PD_EBACKEND, "cuda: capturing the decode step failed: %s", cudaGetErrorString(e));
    if (st == PD_OK && cudaGraphInstantiate(&c->graph, g, 0) != cudaSuccess) {
        c->graph = NULL;
        st = pd_fail(PD_EBACKEND, "cuda: cannot instantiate the decode graph");
    }
    if (g)
        cudaGraphDestroy(g);
    cudaGetLastError();
    return st;
}

static pd_status decode_graph(cu_state *c, int token, int pos, float *logits)
{
    c->h_tok[0] = token;
    c->h_pos[0] = pos;
    if (!c->graph)
        PD_TRY(capture_decode(c));
    CUDA_TRY(cudaGraphLaunch(c->graph, c->st));
    CUDA_TRY(cudaStreamSynchronize(c->st));
    if (logits)
        memcpy(logits, c->h_logits, sizeof(float) * c->m->hp.n_vocab);
    return PD_OK;
}

static pd_status run_rows(cu_state *c, const int32_t *tokens, int n, int pos0, float *logits,
                          bool all)
{
    const int V = c->m->hp.n_vocab;
    memcpy(c->h_tok, tokens, sizeof(int) * n);
    c->h_pos[0] = pos0;
    CUDA_TRY(cudaMemcpyAsync(c->d_tok, c->h_tok, sizeof(int) * n, cudaMemcpyHostToDevice, c->st));
    CUDA_TRY(cudaMemcpyAsync(c->d_pos, c->h_pos, sizeof(int), cudaMemcpyHostToDevice, c->st));
    PD_TRY(cu_forward_rows(c, n, logits != NULL, all, c->m->route_fn != NULL));
    if (logits)
        CUDA_TRY(cudaMemcpyAsync(logits, c->logits, sizeof(float) * V * (all ? n : 1),
                                 cudaMemcpyDeviceToHost, c->st));
    CUDA_TRY(cudaStreamSynchronize(c->st));
    return PD_OK;
}

static pd_status cuda_forward(void *state, const int32_t *tokens, int n, int pos0,
                              float *logits, bool all_logits)
{
    cu_state *c = (cu_state *)state;
    const pd_model *m = c->m;
    const int V = m->hp.n_vocab;
    if (n <= 0 || pos0 < 0 || pos0 > m->n_ctx || n > m->n_ctx - pos0)
        return pd_fail(PD_ELIMIT, "positions %d..%d do not fit the context of %d",
                       pos0, pos0 + n - 1, m->n_ctx);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return pd_fail(PD_EARG, "token id %d is outside the vocabulary of %d", tokens[i], V);
    c->wide_rows = 0;
    if (n == 1 && c->use_graph && !m->route_fn) {
        const pd_status st = decode_graph(c, tokens[0], pos0, logits);
        if (st == PD_OK || c->graph)   // done, or the replay itself failed: a real error
            return st;
        c->use_graph = false;   // capture failed: decode without a graph from now on
        cudaGetLastError();
    }
    const int wide_end = pd_cu_wide_rows(n);   // rows the CPU runs on its wide path
    for (int t0 = 0; t0 < n; t0 += CU_UBATCH) {
        const int nb = n - t0 < CU_UBATCH ? n - t0 : CU_UBATCH;
        c->wide_rows = wide_end - t0 < 0 ? 0 : wide_end - t0 > nb ? nb : wide_end - t0;
        float *lg = NULL;
        if (logits && all_logits)
            lg = logits + (size_t)t0 * V;
        else if (logits && t0 + nb == n)
            lg = logits;
        PD_TRY(run_rows(c, tokens + t0, nb, pos0 + t0, lg, all_logits));
    }
    return PD_OK;
}

static const pd_backend_ops cuda_ops = {
    PD_BACKEND_ABI, "cuda", cuda_available, cuda_create, cuda_forward, cuda_destroy,
};

extern "C" __attribute__((visibility("default"))) const pd_backend_ops *pd_backend_cuda_entry(void)
{
    return &cuda_ops;
}
