/* kvcache.h - the per-sequence attention cache.
 *
 * GQA models keep K and V per layer: (n_ctx) x (n_head_kv*head_k) and
 * (n_ctx) x (n_head_kv*head_v). MLA (deepseek2) keeps only the
 * compressed latent per token and layer: the normalized kv_lora values then
 * the qk_rope rotated key values (576 floats for DeepSeek-V3), never the
 * expanded per-head keys and values.
 *
 * Elements are F32, or F16 (raw half bits) as llama.cpp keeps them by
 * default: models with reduced-precision weights use F16, which halves the
 * cache and reproduces llama.cpp's rounding; F32 models keep F32.
 */
#ifndef PD_KVCACHE_H
#define PD_KVCACHE_H

#include "model.h"

typedef struct pd_kvcache {
    int n_layer, n_ctx;
    int k_width;          /* floats per token per layer (MLA: kv_lora + qk_rope) */
    int v_width;          /* 0 for MLA (V is read from the latent) */
    bool f16;             /* elements are uint16_t half bits, else float */
    void *k, *v;
} pd_kvcache;

/* Bytes the cache of model m needs for n_ctx positions (0 on overflow). */
size_t pd_kvcache_bytes(const pd_hparams *hp, int n_ctx, bool f16);
pd_status pd_kvcache_init(pd_kvcache *kv, const pd_hparams *hp, int n_ctx, bool f16);
void pd_kvcache_free(pd_kvcache *kv);

/* Row of one position in one layer: float * or uint16_t * per kv->f16. */
static inline void *pd_kv_k(const pd_kvcache *kv, int layer, int pos)
{
    return (char *)kv->k + ((size_t)layer * kv->n_ctx + pos) * kv->k_width * (kv->f16 ? 2 : 4);
}
static inline void *pd_kv_v(const pd_kvcache *kv, int layer, int pos)
{
    return (char *)kv->v + ((size_t)layer * kv->n_ctx + pos) * kv->v_width * (kv->f16 ? 2 : 4);
}

#endif /* PD_KVCACHE_H */
