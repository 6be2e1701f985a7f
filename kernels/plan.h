/* plan.h - the CUDA backend's host-side bookkeeping, in plain C so it is
 * unit-tested without a GPU or the CUDA toolkit (tests/unit/test_cuda_host.c):
 * where every weight goes in the one device arena, whether the model fits,
 * and how a batch's (token, expert) pairs are grouped by expert for prefill.
 */
#ifndef PD_CUDA_PLAN_H
#define PD_CUDA_PLAN_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PD_CU_ALIGN 256   /* every block in the arena starts on this boundary */

/* One host range (a weight or a float vector in the mapped file, or memory
 * the loader made) and where it lives in the arena. */
typedef struct pd_cu_span {
    const void *host;
    size_t bytes;
    size_t off;
} pd_cu_span;

typedef struct pd_cu_plan {
    pd_cu_span *v;
    int n, cap;
    size_t total;        /* arena bytes, offsets aligned */
} pd_cu_plan;

/* Add a host range; the same pointer added twice is stored once (tied
 * embeddings), keeping the larger size. NULL/0 is ignored. */
pd_status pd_cu_plan_add(pd_cu_plan *p, const void *host, size_t bytes);
/* Every weight and vector the forward pass reads. */
pd_status pd_cu_plan_model(pd_cu_plan *p, const pd_model *m);
/* Arena offset of host pointer `host` (which may point inside a span), or
 * SIZE_MAX when it was not planned. */
size_t pd_cu_plan_offset(const pd_cu_plan *p, const void *host);
void pd_cu_plan_free(pd_cu_plan *p);

/* Bytes one pd_weight spans in memory (all its matrices), 0 when absent. */
size_t pd_cu_weight_bytes(const pd_weight *w);

/* Does `need` fit in `avail` free device bytes, leaving `reserve` for the
 * CUDA context and cuBLAS? If not, fail with a message naming both sizes. */
pd_status pd_cu_check_fit(const char *what, size_t need, size_t avail, size_t reserve);

/* --ctx's default on the GPU: n_ctx (the default the loader chose) halved
 * by pd_ctx_fit, as the CPU's, while need(n, user) bytes would not fit in
 * avail less reserve, but not below floor (nor n_ctx, when that is
 * smaller): there the fit check decides. An explicit --ctx never changes. */
int pd_cu_default_ctx(int n_ctx, int floor, size_t avail, size_t reserve,
                      size_t (*need)(int n_ctx, void *user), void *user);

/* The CPU backend's micro-batch (PD_CPU_UBATCH in src/cpu/cpu.h) and the
 * batch size from which its attention takes llama.cpp's wide path (F32)
 * instead of the half-precision accumulator: the GPU reproduces which rows
 * of a prompt take which path, so both backends round alike. */
#define PD_CU_CPU_UBATCH 256
#define PD_CU_CPU_WIDE 64
/* ... and the keys from which every row sums in F32 (PD_ATTN_F32_FROM) */
#define PD_CU_CPU_F32_FROM 512
/* Rows [0, result) of an n-row forward call run the wide path on the CPU. */
int pd_cu_wide_rows(int n);

/* Group the n*K choices sel[t*K+s] by expert (experts < X): count[e],
 * start[e] (X+1 entries), rows[] = token rows expert by expert, slot[t*K+s]
 * = where that pair went in rows[]. Fails on an expert id out of range. */
pd_status pd_cu_group_experts(const int32_t *sel, int n, int K, int X,
                              int32_t *count, int32_t *start, int32_t *rows, int32_t *slot);

#ifdef __cplusplus
}
#endif
#endif /* PD_CUDA_PLAN_H */
