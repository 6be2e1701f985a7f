/* cpu.h - the CPU backend's state (RunState in llama2.c's words): thread
 * pool, KV cache, and the activation buffers of one micro-batch of tokens,
 * shared by forward.c (the layer loop), attention.c and moe.c. */
#ifndef PD_CPU_CPU_H
#define PD_CPU_CPU_H

#include "model.h"
#include "kvcache.h"
#include "cpu/pool.h"
#include "cpu/ops.h"
#include "cpu/attn_kernels.h"

#include <pthread.h>

/* Tokens per micro-batch: prefill runs in steps of this many rows. */
#define PD_CPU_UBATCH 256

/* The Q4_K weights the backend repacked (repack.c): their pd_weight.x8
 * point into one mapping. */
typedef struct pd_cpu_repacked {
    void *base;
    size_t bytes;
    pd_weight **weights;
    int n;
} pd_cpu_repacked;

size_t pd_cpu_repack_bytes(const pd_model *m);
pd_status pd_cpu_repack(pd_model *m, pd_pool *pool, pd_cpu_repacked *out);
void pd_cpu_repack_free(pd_cpu_repacked *r);

typedef struct pd_cpu {
    pd_model *m;
    pd_pool *pool;
    pd_kvcache kv;
    pd_mm_scratch mm;
    pd_cpu_repacked repacked;
    int ub;              /* rows per step */
    /* activations: row t of a step is token pos0 + t */
    float *x;            /* (ub, n_embd) residual stream */
    float *xn;           /* (ub, n_embd) normalized input of a block */
    float *out;          /* (ub, n_embd) block output */
    float *q;            /* (ub, n_head*head_k) */
    float *k, *v;        /* (ub, n_head_kv*head_k), (ub, n_head_kv*head_v); MLA: k = (ub, kv_lora+qk_rope) */
    float *qa;           /* (ub, q_lora) MLA query latent */
    float *qlat;         /* (ub, n_head*kv_lora) MLA: q_nope absorbed through attn_k_b */
    float *olat;         /* (ub, n_head*kv_lora) MLA: attention output in latent space */
    float *att;          /* (ub, n_head*head_v) concatenated heads */
    float *rope;         /* (ub, rope_dim) cos/sin per row */
    float *scores;       /* (threads, scores_stride): scores, query copies, accumulator */
    size_t scores_stride;
    float *attn_parts;   /* (parts, n_head, 2 + dv): a decode row's parts of a split cache */
    float *ffa, *ffb;    /* (ub*n_expert_used + ub, ff_max) gate and up outputs */
    float *eout;         /* (ub*n_expert_used, n_embd) expert outputs */
    float *router;       /* (ub, n_expert) */
    int32_t *sel;        /* (ub, n_expert_used) chosen experts */
    float *selw;         /* (ub, n_expert_used) their weights */
    int32_t *erows;      /* (ub*n_expert_used) token rows grouped by expert */
    int32_t *eslot;      /* (ub*n_expert_used) where row t,s went in eout */
    pd_mm *mm_list;      /* (2*n_expert + 2) products of one MoE job */
} pd_cpu;

size_t pd_cpu_scratch_bytes(const pd_hparams *hp, int n_ctx);

/* One transformer block's halves for rows [0, n) at positions pos0..: read
 * c->xn, write c->out. */
pd_status pd_cpu_attention(pd_cpu *c, int il, int n, int pos0);
pd_status pd_cpu_ffn(pd_cpu *c, int il, int n, int pos0);

/* Heads that a thread's narrow attention rows (decode) take together, and
 * the floats of their scratch: scores and rescale factors (n_ctx each), a
 * rounded query (dk) and a half accumulator (dv halves) per head. */
#define PD_ATTN_GROUP 8
static inline size_t pd_attn_group_floats(int nh, size_t n_ctx, int dk, int dv)
{
    return (size_t)nh * (2 * n_ctx + (size_t)dk) + ((size_t)nh * (size_t)dv + 1) / 2;
}

/* The tiled path (attn_tiled.c: 64+ rows, F32 decode rows): keys per
 * tile, query vectors per unit at most, and the floats of a thread's scratch
 * (four rows of a tile's scores, each query's running maximum and sum, four
 * queries' sums of a tile's values, the tile's keys transposed), before the
 * units' query copies (MLA). */
#define PD_ATTN_TILE 64
#define PD_ATTN_UNIT 32
static inline size_t pd_attn_tile_floats(int dk, int dv)
{
    return 4 * PD_ATTN_TILE + 2 * PD_ATTN_UNIT + 4 * (size_t)dv + (size_t)dk * PD_ATTN_TILE;
}

/* A unit: nq query vectors that read the same cache rows (a GQA group, MLA's
 * heads; rows x heads in a prefill), query i over keys [0, n_kv[i]), its dv
 * values written to out[i]. */
typedef struct pd_attn_unit {
    int nq;
    bool keys_as_lanes;   /* score with the tile transposed where the level can
                             (prefill: a choice of the call, not of the units'
                             shapes, which follow the thread count) */
    const float *q[PD_ATTN_UNIT];
    float *out[PD_ATTN_UNIT];
    int n_kv[PD_ATTN_UNIT];
} pd_attn_unit;
/* The unit's attention over keys [lo, hi) (and below each query's n_kv) of
 * an F16 cache, key and value rows ks and vs halves apart. scratch:
 * pd_attn_tile_floats(dk, dv) floats. */
void pd_attn_unit_run(const pd_attn_unit *u, int lo, int hi, const uint16_t *k, size_t ks,
                      const uint16_t *v, size_t vs, int dk, int dv, float scale, float *scratch);
/* The same for one part of a split cache: out[i] is the query's slot of
 * 2 + dv floats, [running max, running sum, dv unnormalised sums]. */
void pd_attn_part_run(const pd_attn_unit *u, int lo, int hi, const uint16_t *k, size_t ks,
                      const uint16_t *v, size_t vs, int dk, int dv, float scale, float *scratch);
/* Parts of one query over a split cache, its slots `stride` floats apart:
 * out = their sums, each scaled by exp(its max - the overall max), over the
 * sums scaled alike. */
void pd_attn_merge_parts(const float *part, size_t stride, int n_parts, int dv, float *out);
/* Keys per part of a split cache: at least PD_ATTN_PART_MIN, at most PD_ATTN_PARTS
 * parts; a function of the cache's length alone, so that every thread count
 * gives the same bits. */
int pd_attn_split_chunk(int n_kv);
/* F32 decode sums from this many cached keys on (attention.c); the parts a
 * decode row's cache is split into at most, and their fewest keys */
#define PD_ATTN_F32_FROM 512
#define PD_ATTN_PARTS 64
#define PD_ATTN_PART_MIN 512
static inline size_t pd_attn_parts_floats(const pd_hparams *hp, int n_ctx)
{
    const size_t dv = hp->mla ? (size_t)hp->kv_lora : (size_t)hp->head_v;
    const size_t parts = ((size_t)n_ctx + PD_ATTN_PART_MIN - 1) / PD_ATTN_PART_MIN;
    return (parts < PD_ATTN_PARTS ? parts : PD_ATTN_PARTS) * (size_t)hp->n_head * (2 + dv);
}

/* The tiled path on its own (exposed for tests): nq <= PD_ATTN_UNIT queries,
 * q[i] over keys [0, n_kv[i]) of an F16 cache (key and value rows ks and vs
 * halves apart), out[i] = the softmax-weighted sum of their values (dv). */
void pd_attn_tiled(int nq, const float *const q[], float *const out[], const int n_kv[],
                   const uint16_t *k, size_t ks, const uint16_t *v, size_t vs, int dk, int dv,
                   float scale, float *scratch);
/* The same for nq queries over all n_kv keys, split into parts (as a decode
 * row's cache is) and merged; parts: nq * (2 + dv) floats per part. */
void pd_attn_tiled_split(int nq, const float *const q[], float *const out[], int n_kv,
                         const uint16_t *k, size_t ks, const uint16_t *v, size_t vs, int dk,
                         int dv, float scale, float *scratch, float *parts);


/* MoE routing of one token (exposed for tests): ids/weights of the
 * n_expert_used chosen experts, best first; ties go to the lower index. */
void pd_moe_route(const pd_hparams *hp, const float *logits, const float *bias,
                  int32_t *ids, float *weights);

#endif /* PD_CPU_CPU_H */
