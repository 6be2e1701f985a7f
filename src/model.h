/* model.h - the loaded model: hyperparameters as feature flags, the weights
 * bound by their llama.cpp tensor names (pointers into the mapped GGUF), and
 * the backend that runs it.
 *
 * Architectures become flags here (calm style): forward() branches on
 * `hp.mla`, `hp.qk_norm`, `hp.rope_kind`, ... and never on a model name.
 * A weight matrix with ggml shape ne = {k, n} maps a k-vector to an n-vector;
 * a 3-D tensor {k, n, E} is E such matrices (experts, or heads for MLA).
 */
#ifndef PD_MODEL_H
#define PD_MODEL_H

#include <stdio.h>
#include "ponder.h"
#include "gguf.h"
#include "quant.h"

#define PD_MAX_LAYERS 512
#define PD_MAX_EXPERTS 1024
#define PD_MAX_EXPERTS_USED 64

typedef enum { PD_ROPE_NORM = 0, PD_ROPE_NEOX = 2 } pd_rope_kind; /* ggml numbering */
typedef enum { PD_GATE_SOFTMAX = 1, PD_GATE_SIGMOID = 2 } pd_gating;  /* GGUF values */

/* One weight: one matrix, or a stack of n_mat matrices. */
typedef struct pd_weight {
    const void *data;     /* first row of the first matrix; NULL = absent */
    pd_type type;
    int64_t k, n;         /* each matrix: (k) -> (n); rows of k stored values */
    int64_t n_mat;        /* 1, or ne[2] */
    size_t row_bytes;     /* bytes of one row */
    size_t mat_stride;    /* bytes from one matrix to the next */
    const void *x8;       /* the CPU backend's copy with rows repacked in groups
                             of 8 (Q4_K, quant.h), same strides; NULL = none */
} pd_weight;

static inline const uint8_t *pd_weight_row_in(const pd_weight *w, const void *base, int64_t mat,
                                               int64_t row)
{
    return (const uint8_t *)base + (size_t)mat * w->mat_stride + (size_t)row * w->row_bytes;
}

static inline const uint8_t *pd_weight_row(const pd_weight *w, int64_t mat, int64_t row)
{
    return pd_weight_row_in(w, w->data, mat, row);
}

/* The first of the 8 repacked rows row..row+7 (row a multiple of 8) in x8 */
static inline const uint8_t *pd_weight_row8(const pd_weight *w, int64_t mat, int64_t row)
{
    return pd_weight_row_in(w, w->x8, mat, row);
}

typedef struct pd_hparams {
    int n_vocab, n_embd, n_layer, n_ctx_train;
    int n_head, n_head_kv;
    int head_k, head_v;        /* per-head q/k and v width (MLA: nope+rope and v_dim) */
    int n_ff;                  /* dense FFN width */
    float eps;                 /* RMSNorm epsilon */
    /* attention features */
    bool qk_norm;              /* per-head RMSNorm of q and k before RoPE (qwen3) */
    bool qkv_bias;             /* q/k/v biases (qwen2) */
    bool mla;                  /* deepseek2 multi-head latent attention */
    int q_lora;                /* MLA: 0 = plain attn_q */
    int kv_lora;               /* MLA: latent width */
    int qk_nope, qk_rope;      /* MLA: per-head split of q/k */
    /* rope */
    pd_rope_kind rope_kind;
    int rope_dim;              /* rotated dims per head (the first rope_dim) */
    float rope_base;
    float freq_scale;          /* 1 / rope.scaling.factor (1 = none) */
    bool yarn;
    float yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    int yarn_orig_ctx;
    float yarn_log_mul;
    float rope_mscale;         /* magnitude of cos/sin */
    const float *rope_freqs;   /* (rope_dim/2) divisors (Llama-3 scaling), or NULL */
    float kq_scale;            /* attention score scale */
    /* ffn / moe */
    int n_expert, n_expert_used, n_expert_shared;
    int n_ff_exp;              /* routed expert width */
    int n_ff_shexp;            /* shared expert width (all shared experts together) */
    int n_dense_lead;          /* leading dense layers (deepseek2) */
    pd_gating gating;
    bool exp_probs_b;          /* selection bias present */
    int n_group, n_group_used; /* group-limited top-k (0/0 = off) */
    bool weights_norm;
    float weights_scale;       /* 0 = no scaling */
    bool tied;                 /* output = token_embd */
} pd_hparams;

typedef struct pd_layer {
    const float *attn_norm;          /* (n_embd) */
    /* GQA attention */
    pd_weight wq;                    /* (n_embd) -> (n_head*head_k) */
    pd_weight wk;                    /* (n_embd) -> (n_head_kv*head_k) */
    pd_weight wv;                    /* (n_embd) -> (n_head_kv*head_v) */
    const float *bq, *bk, *bv;       /* biases of the three, qkv_bias only */
    const float *q_norm, *k_norm;    /* (head_k), qk_norm only */
    pd_weight wo;                    /* (n_head*head_v) -> (n_embd) */
    /* MLA (wq above is used when q_lora == 0) */
    pd_weight wq_a;                  /* (n_embd) -> (q_lora) */
    const float *q_a_norm;           /* (q_lora) */
    pd_weight wq_b;                  /* (q_lora) -> (n_head*(qk_nope+qk_rope)) */
    pd_weight wkv_a;                 /* (n_embd) -> (kv_lora + qk_rope) */
    const float *kv_a_norm;          /* (kv_lora) */
    pd_weight wk_b;                  /* per head: (qk_nope) -> (kv_lora), n_head mats */
    pd_weight wv_b;                  /* per head: (kv_lora) -> (head_v), n_head mats */
    /* FFN */
    const float *ffn_norm;           /* (n_embd) */
    bool moe;
    pd_weight ffn_gate, ffn_up;      /* dense: (n_embd) -> (n_ff) */
    pd_weight ffn_down;              /* dense: (n_ff) -> (n_embd) */
    pd_weight gate_inp;              /* router: (n_embd) -> (n_expert) */
    const float *exp_probs_b;        /* (n_expert), selection bias */
    pd_weight gate_exps, up_exps;    /* (n_embd) -> (n_ff_exp), n_expert mats */
    pd_weight down_exps;             /* (n_ff_exp) -> (n_embd), n_expert mats */
    pd_weight gate_shexp, up_shexp;  /* (n_embd) -> (n_ff_shexp) */
    pd_weight down_shexp;            /* (n_ff_shexp) -> (n_embd) */
} pd_layer;

/* Routing trace for tests: called for every MoE decision, in token order. */
typedef void (*pd_route_fn)(void *user, int pos, int layer, int k,
                            const int32_t *ids, const float *weights);

struct pd_backend_ops;
struct pd_tokenizer;

struct pd_model {
    pd_gguf *gguf;
    struct pd_tokenizer *tok;         /* NULL when the file has no usable vocabulary */
    char *name;                       /* "ds3-F16 · deepseek2" */
    char arch[32];
    pd_hparams hp;
    pd_layer *layers;                 /* [n_layer] */
    pd_weight token_embd;             /* row t = embedding of token t: (n_embd) x n_vocab */
    const float *output_norm;         /* (n_embd) */
    pd_weight output;                 /* (n_embd) -> (n_vocab) */
    void **owned;                     /* memory made at load time (split kv_b) */
    int n_owned;
    size_t owned_bytes;
    pd_model_opts opts;
    int n_ctx;
    bool kv_f16;                      /* KV cache in half precision (see kvcache.h) */
    /* backend */
    const struct pd_backend_ops *be;
    void *be_state;
    void *be_dl;                      /* dlopen handle of a plugin */
    char be_note[256];                /* why auto picked what it picked */
    char chat_note[200];              /* a chat template we do not recognise */
    char mem_note[200];               /* Q4_K weights left unrepacked for want of memory */
    bool no_repack;                   /* the CPU backend reads Q4_K from the file as is */
    pd_route_fn route_fn;
    void *route_user;
    FILE *route_trace;                /* PONDER_ROUTE_TRACE's file (pd_model_open) */
};

/* Open without a tokenizer or backend (tests, `ponder info`-like uses). */
pd_status pd_model_load(const char *path, const pd_model_opts *opts, pd_model **out);

/* Evaluate tokens[0..n) at positions pos0.. with the cache holding [0, pos0)
 * (a smaller pos0 rewinds). logits: n_vocab floats (last position), or
 * n*n_vocab when all_logits. */
pd_status pd_model_forward(pd_model *m, const int32_t *tokens, int n, int pos0,
                           float *logits, bool all_logits);

int pd_model_n_vocab(const pd_model *m);
void pd_model_set_route_hook(pd_model *m, pd_route_fn fn, void *user);
/* Bytes of weights one decode token reads (active experts only). */
double pd_model_active_bytes(const pd_model *m);
double pd_model_active_params(const pd_model *m);

/* --ctx's default (the CPU's from free memory, the CUDA backend's from free
 * GPU memory): n halved, not below floor, while need(n, user) bytes exceed
 * room; the floor a default never goes below by itself. */
int pd_ctx_fit(int n, int floor, size_t room, size_t (*need)(int n, void *user), void *user);
#define PD_CTX_DEFAULT_MIN 8192

#endif /* PD_MODEL_H */
