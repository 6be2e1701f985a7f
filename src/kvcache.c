/* kvcache.c - sizing and allocating the attention cache (see kvcache.h for
 * the layout; MLA stores only the latent). */
#include "kvcache.h"

#include <stdlib.h>

static void widths(const pd_hparams *hp, int *kw, int *vw)
{
    if (hp->mla) {
        *kw = hp->kv_lora + hp->qk_rope;
        *vw = 0;
    } else {
        *kw = hp->n_head_kv * hp->head_k;
        *vw = hp->n_head_kv * hp->head_v;
    }
}

size_t pd_kvcache_bytes(const pd_hparams *hp, int n_ctx, bool f16)
{
    int kw, vw;
    widths(hp, &kw, &vw);
    if (n_ctx <= 0 || hp->n_layer <= 0)
        return 0;
    size_t per = (size_t)(kw + vw) * (f16 ? 2 : 4);
    size_t rows = (size_t)hp->n_layer * (size_t)n_ctx;
    if (per && rows > SIZE_MAX / per)
        return 0;
    return per * rows;
}

pd_status pd_kvcache_init(pd_kvcache *kv, const pd_hparams *hp, int n_ctx, bool f16)
{
    kv->k = kv->v = NULL;
    widths(hp, &kv->k_width, &kv->v_width);
    kv->n_layer = hp->n_layer;
    kv->n_ctx = n_ctx;
    kv->f16 = f16;
    size_t total = pd_kvcache_bytes(hp, n_ctx, f16);
    if (!total)
        return pd_fail(PD_ELIMIT, "KV cache for %d positions: size overflows", n_ctx);
    size_t kb = (size_t)hp->n_layer * n_ctx * kv->k_width * (f16 ? 2 : 4);
    kv->k = calloc(1, kb);
    if (kv->v_width)
        kv->v = calloc(1, total - kb);
    if (!kv->k || (kv->v_width && !kv->v)) {
        pd_kvcache_free(kv);
        return pd_fail(PD_ENOMEM, "KV cache: cannot allocate %zu MiB", total >> 20);
    }
    return PD_OK;
}

void pd_kvcache_free(pd_kvcache *kv)
{
    free(kv->k);
    free(kv->v);
    kv->k = kv->v = NULL;
}
