/* kvcache.h - the per-sequence attention cache.
 *
 * GQA models keep K and V per layer: (n_ctx) x (n_head_kv*head_k) and
 * (n_ctx) x (n_head_kv*head_v), F32. MLA (deepseek2) keeps only the
 * compressed latent per token and layer: the normalized kv_lora values then
 * the qk_rope rotated key values (576 floats for DeepSeek-V3), never the
 * expanded per-head keys and values.
 */
#ifndef PD_KVCACHE_H
#define PD_KVCACHE_H

#include "model.h"

typedef struct pd_kvcache {
    int n_layer, n_ctx;
    int k_width;          /* floats per token per layer (MLA: kv_lora + qk_rope) */
    int v_width;          /* 0 for MLA (V is read from the latent) */
    float *k, *v;
} pd_kvcache;

/* Bytes the cache of model m needs for n_ctx positions (0 on overflow). */
size_t pd_kvcache_bytes(const pd_hparams *hp, int n_ctx);
pd_status pd_kvcache_init(pd_kvcache *kv, const pd_hparams *hp, int n_ctx);
void pd_kvcache_free(pd_kvcache *kv);

static inline float *pd_kv_k(const pd_kvcache *kv, int layer, int pos)
{
    return kv->k + ((size_t)layer * kv->n_ctx + pos) * kv->k_width;
}
static inline float *pd_kv_v(const pd_kvcache *kv, int layer, int pos)
{
    return kv->v + ((size_t)layer * kv->n_ctx + pos) * kv->v_width;
}

#endif /* PD_KVCACHE_H */
