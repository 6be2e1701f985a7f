/* model.c - opening a model: architecture -> feature flags, hyperparameters
 * from the `<arch>.*` keys with llama.cpp's defaults, tensors bound by their
 * exact llama.cpp names with type and shape checks, the memory plan, then
 * the tokenizer and the backend. */
#include "model.h"
#include "backend.h"
#include "kvcache.h"
#include "tokenizer.h"
#include "chat.h"
#include "cpu/cpu.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

void pd_model_opts_default(pd_model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->backend = PD_BACKEND_AUTO;
}

/* ------------------------------------------------------------------------
 * Binding tensors
 * ------------------------------------------------------------------------ */
typedef struct loader {
    pd_model *m;
    const pd_gguf *g;
    const char *path;
    char missing[900];   /* names of absent required tensors */
    int n_missing;
    pd_status err;       /* first type/shape error (message already set) */
} loader;

static void note_missing(loader *L, const char *name)
{
    size_t used = strlen(L->missing);
    if (L->n_missing < 12)
        snprintf(L->missing + used, sizeof L->missing - used, "%s%s",
                 L->n_missing ? ", " : "", name);
    else if (L->n_missing == 12)
        snprintf(L->missing + used, sizeof L->missing - used, ", ...");
    L->n_missing++;
}

static void bad(loader *L, pd_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(loader *L, pd_status s, const char *fmt, ...)
{
    if (L->err != PD_OK)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    L->err = pd_fail(s, "%s: %s", L->path, msg);
}

static void shape_str(char *buf, size_t n, const int64_t *ne, int nd)
{
    int o = snprintf(buf, n, "{");
    for (int i = 0; i < nd && o < (int)n; i++)
        o += snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)ne[i]);
    if (o < (int)n)
        snprintf(buf + o, n - o, "}");
}

/* Look up a tensor and check its shape: want[i] < 0 means "any". Returns NULL
 * when absent (noted as missing when required) or wrong (error set). */
static const pd_gguf_tensor *get_tensor(loader *L, const char *name, bool required,
                                        int nd, const int64_t *want)
{
    const pd_gguf_tensor *t = pd_gguf_tensor_by_name(L->g, name);
    if (!t) {
        if (required)
            note_missing(L, name);
        return NULL;
    }
    bool ok = true;
    for (int i = 0; i < PD_GGUF_MAX_DIMS; i++) {
        int64_t w = i < nd ? want[i] : 1;
        if (w >= 0 && t->ne[i] != w)
            ok = false;
    }
    if (!ok) {
        char a[96], e[96];
        shape_str(a, sizeof a, t->ne, t->n_dims);
        shape_str(e, sizeof e, want, nd);
        bad(L, PD_EFORMAT, "tensor '%s' has shape %s, expected %s", name, a, e);
        return NULL;
    }
    return t;
}

/* A matrix (e == 0) or a stack of e matrices mapping k -> n. */
static bool bind_mat(loader *L, pd_weight *w, bool required, int64_t k, int64_t n,
                     int64_t e, const char *fmt, int layer)
{
    char name[128];
    snprintf(name, sizeof name, fmt, layer);
    int64_t want[3] = {k, n, e ? e : 1};
    const pd_gguf_tensor *t = get_tensor(L, name, required, e ? 3 : 2, want);
    memset(w, 0, sizeof *w);
    if (!t)
        return false;
    if (!pd_type_supported(t->type)) {
        bad(L, PD_EUNSUPPORTED, "tensor '%s' has type %s, which ponder cannot compute with",
            name, pd_type_name(t->type));
        return false;
    }
    size_t rb;
    if (!pd_type_row_bytes(t->type, t->ne[0], &rb)) {
        bad(L, PD_EFORMAT, "tensor '%s': row of %lld is not a whole number of %s blocks",
            name, (long long)t->ne[0], pd_type_name(t->type));
        return false;
    }
    w->data = t->data;
    w->type = (pd_type)t->type;
    w->k = t->ne[0];
    w->n = t->ne[1];
    w->n_mat = t->ne[2];
    w->row_bytes = rb;
    w->mat_stride = rb * (size_t)t->ne[1];
    return true;
}

/* A 1-D F32 vector of n values. */
static const float *bind_vec(loader *L, bool required, int64_t n, const char *fmt, int layer)
{
    char name[128];
    snprintf(name, sizeof name, fmt, layer);
    int64_t want[1] = {n};
    const pd_gguf_tensor *t = get_tensor(L, name, required, 1, want);
    if (!t)
        return NULL;
    if (t->type != PD_TYPE_F32) {
        bad(L, PD_EUNSUPPORTED, "tensor '%s' has type %s, expected F32", name,
            pd_type_name(t->type));
        return NULL;
    }
    return t->data;
}

static void *own(pd_model *m, size_t bytes)
{
    void **o = realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *o);
    if (!o)
        return NULL;
    m->owned = o;
    void *p = calloc(1, bytes);
    if (p) {
        m->owned[m->n_owned++] = p;
        m->owned_bytes += bytes;
    }
    return p;
}

/* ------------------------------------------------------------------------
 * Hyperparameters
 * ------------------------------------------------------------------------ */
/* A key that is present must hold what it should: a value of another type
 * or out of range is an error naming the key, never silently the default
 * (an expert_count of 2^32-1 is not "no experts"). */
static void bad_key(loader *L, const char *key, const char *what)
{
    bad(L, PD_EFORMAT, "key %s is not %s", key, what);
}

/* The key "<arch>.<suffix>" in k; whether the file holds it (of any type). */
enum { KEY_MAX = 96 };
static bool arch_key(loader *L, const char *suffix, char k[KEY_MAX])
{
    snprintf(k, KEY_MAX, "%s.%s", L->m->arch, suffix);
    return pd_gguf_get_kv(L->g, k) != NULL;
}

static bool key_u32(loader *L, const char *suffix, int *out, bool required, int def)
{
    char k[KEY_MAX];
    *out = def;
    if (!arch_key(L, suffix, k)) {
        if (required)
            note_missing(L, k);
        return false;
    }
    uint32_t v;
    if (!pd_gguf_get_u32(L->g, k, &v) || v > INT32_MAX) {
        bad_key(L, k, "an integer in 0..2147483647");
        return false;
    }
    *out = (int)v;
    return true;
}

static float key_f32(loader *L, const char *suffix, float def)
{
    char k[KEY_MAX];
    if (!arch_key(L, suffix, k))
        return def;
    float v;
    if (!pd_gguf_get_f32(L->g, k, &v) || !isfinite(v)) {
        bad_key(L, k, "a finite number");
        return def;
    }
    return v;
}

static bool key_bool(loader *L, const char *suffix, bool def)
{
    char k[KEY_MAX];
    if (!arch_key(L, suffix, k))
        return def;
    bool v;
    if (!pd_gguf_get_bool(L->g, k, &v)) {
        bad_key(L, k, "a boolean");
        return def;
    }
    return v;
}

/* Feature flags of each architecture (the only place names matter). */
static pd_status arch_flags(loader *L)
{
    pd_hparams *hp = &L->m->hp;
    const char *a = L->m->arch;
    if (!strcmp(a, "deepseek2")) {
        hp->mla = true;
        hp->rope_kind = PD_ROPE_NORM;
    } else if (!strcmp(a, "qwen3moe") || !strcmp(a, "qwen3")) {
        hp->qk_norm = true;
        hp->rope_kind = PD_ROPE_NEOX;
    } else if (!strcmp(a, "qwen2")) {
        hp->qkv_bias = true;
        hp->rope_kind = PD_ROPE_NEOX;
    } else if (!strcmp(a, "llama")) {
        hp->rope_kind = PD_ROPE_NORM;   /* on the converter's permuted Q/K rows */
    } else {
        return pd_fail(PD_EUNSUPPORTED, "%s: architecture '%s' is not supported "
                       "(deepseek2, qwen3moe, qwen3, qwen2, llama are)", L->path, a);
    }
    return PD_OK;
}

static pd_status read_hparams(loader *L)
{
    pd_hparams *hp = &L->m->hp;
    key_u32(L, "context_length", &hp->n_ctx_train, true, 0);
    key_u32(L, "embedding_length", &hp->n_embd, true, 0);
    key_u32(L, "block_count", &hp->n_layer, true, 0);
    key_u32(L, "attention.head_count", &hp->n_head, true, 0);
    key_u32(L, "attention.head_count_kv", &hp->n_head_kv, false, hp->n_head);
    key_u32(L, "feed_forward_length", &hp->n_ff, false, 0);
    hp->eps = key_f32(L, "attention.layer_norm_rms_epsilon", 1e-6f);
    if (L->err != PD_OK)
        return L->err;
    if (L->n_missing)
        return pd_fail(PD_EFORMAT, "%s: missing keys: %s", L->path, L->missing);
    if (hp->n_embd <= 0 || hp->n_embd > (1 << 16) || hp->n_layer <= 0
        || hp->n_layer > PD_MAX_LAYERS || hp->n_head <= 0 || hp->n_head > 1024
        || hp->n_head_kv <= 0 || hp->n_head % hp->n_head_kv || hp->n_ctx_train <= 0
        || hp->n_ff < 0 || hp->n_ff > (1 << 20) || !(hp->eps > 0 && hp->eps < 1))
        return pd_fail(PD_EFORMAT, "%s: hyperparameters out of range (n_embd %d, layers %d, "
                       "heads %d/%d, ctx %d)", L->path, hp->n_embd, hp->n_layer,
                       hp->n_head, hp->n_head_kv, hp->n_ctx_train);
    int def_head = hp->n_embd / hp->n_head;
    key_u32(L, "attention.key_length", &hp->head_k, false, def_head);
    key_u32(L, "attention.value_length", &hp->head_v, false, hp->head_k);
    if (hp->mla) {
        key_u32(L, "attention.q_lora_rank", &hp->q_lora, false, 0);
        key_u32(L, "attention.kv_lora_rank", &hp->kv_lora, true, 0);
        int kmla = 0, vmla = 0;
        key_u32(L, "attention.key_length_mla", &kmla, false, 0);
        key_u32(L, "attention.value_length_mla", &vmla, false, 0);
        if (kmla) hp->head_k = kmla;   /* newer files: key_length is the MQA width */
        if (vmla) hp->head_v = vmla;
    }
    key_u32(L, "rope.dimension_count", &hp->rope_dim, false, hp->head_k);
    hp->rope_base = key_f32(L, "rope.freq_base", 10000.0f);
    if (hp->mla) {
        hp->qk_rope = hp->rope_dim;
        hp->qk_nope = hp->head_k - hp->qk_rope;
    }
    /* experts */
    key_u32(L, "expert_count", &hp->n_expert, false, 0);
    key_u32(L, "expert_used_count", &hp->n_expert_used, false, 0);
    key_u32(L, "expert_shared_count", &hp->n_expert_shared, false, 0);
    key_u32(L, "expert_feed_forward_length", &hp->n_ff_exp, false, 0);
    key_u32(L, "leading_dense_block_count", &hp->n_dense_lead, false, 0);
    key_u32(L, "expert_group_count", &hp->n_group, false, 0);
    key_u32(L, "expert_group_used_count", &hp->n_group_used, false, 0);
    int gating = 0;
    key_u32(L, "expert_gating_func", &gating, false, 0);
    /* no key: DeepSeek-V2/V2.5 files and qwen3moe use softmax (llama.cpp) */
    hp->gating = gating == PD_GATE_SIGMOID ? PD_GATE_SIGMOID : PD_GATE_SOFTMAX;
    if (gating != 0 && gating != PD_GATE_SOFTMAX && gating != PD_GATE_SIGMOID)
        return pd_fail(PD_EUNSUPPORTED, "%s: expert_gating_func %d is not supported", L->path, gating);
    /* qwen3moe always renormalises; deepseek2 follows expert_weights_norm (default false) */
    hp->weights_norm = hp->mla ? key_bool(L, "expert_weights_norm", false) : true;
    hp->weights_scale = hp->mla ? key_f32(L, "expert_weights_scale", 0.0f) : 0.0f;
    if (hp->mla && hp->n_expert && hp->weights_scale == 0)
        note_missing(L, "deepseek2.expert_weights_scale");
    if (L->err != PD_OK)
        return L->err;
    if (L->n_missing)
        return pd_fail(PD_EFORMAT, "%s: missing keys: %s", L->path, L->missing);
    if (hp->n_expert < 0 || hp->n_expert > PD_MAX_EXPERTS
        || (hp->n_expert && (hp->n_expert_used <= 0 || hp->n_expert_used > hp->n_expert
                             || hp->n_expert_used > PD_MAX_EXPERTS_USED))
        || hp->n_dense_lead < 0 || hp->n_dense_lead > hp->n_layer
        || (hp->n_group > 1 && (hp->n_expert % hp->n_group || hp->n_group_used <= 0
                                || hp->n_group_used > hp->n_group
                                || hp->n_expert / hp->n_group < 2
                                || hp->n_group_used * (hp->n_expert / hp->n_group) < hp->n_expert_used)))
        return pd_fail(PD_EFORMAT, "%s: expert counts out of range (%d experts, %d used, "
                       "%d groups, %d groups used)", L->path, hp->n_expert, hp->n_expert_used,
                       hp->n_group, hp->n_group_used);
    if (hp->head_k <= 0 || hp->head_k > 4096 || hp->head_v <= 0 || hp->head_v > 4096
        || hp->rope_dim <= 0 || hp->rope_dim > hp->head_k || hp->rope_dim % 2
        || !(hp->rope_base > 1)
        || (hp->mla && (hp->kv_lora <= 0 || hp->kv_lora > 65536 || hp->qk_nope <= 0
                        || hp->q_lora < 0 || hp->q_lora > 65536)))
        return pd_fail(PD_EFORMAT, "%s: attention sizes out of range (head %d/%d, rope %d)",
                       L->path, hp->head_k, hp->head_v, hp->rope_dim);
    return PD_OK;
}

/* Rope scaling: YaRN (deepseek2 and others) or linear; Llama-3 frequency
 * factors come as the rope_freqs tensor. Values as llama.cpp derives them. */
static pd_status read_rope_scaling(loader *L)
{
    pd_hparams *hp = &L->m->hp;
    char type[16] = "none";
    char key[KEY_MAX];
    pd_gguf_str s;
    if (arch_key(L, "rope.scaling.type", key)) {
        if (!pd_gguf_get_str(L->g, key, &s) || s.len >= sizeof type || memchr(s.ptr, 0, s.len))
            return pd_fail(PD_EUNSUPPORTED, "%s: %s is not a rope scaling type ponder knows",
                           L->path, key);
        memcpy(type, s.ptr, s.len);
        type[s.len] = 0;
    }
    /* 0 (or no key) means no scaling, as in llama.cpp; a negative one is refused below */
    float factor = key_f32(L, "rope.scaling.factor", 0.0f);
    hp->freq_scale = factor != 0 ? 1.0f / factor : 1.0f;
    hp->yarn_orig_ctx = hp->n_ctx_train;
    key_u32(L, "rope.scaling.original_context_length", &hp->yarn_orig_ctx, false, hp->n_ctx_train);
    hp->yarn_attn_factor = key_f32(L, "rope.scaling.attn_factor", 1.0f);
    hp->yarn_log_mul = key_f32(L, "rope.scaling.yarn_log_multiplier", 0.0f);
    /* llama.cpp takes beta_fast/slow from its own defaults, not the file */
    hp->yarn_beta_fast = 32.0f;
    hp->yarn_beta_slow = 1.0f;
    hp->rope_mscale = 1.0f;
    if (!strcmp(type, "yarn")) {
        hp->yarn = true;
        hp->yarn_ext_factor = 1.0f;
        /* ggml multiplies cos/sin by attn_factor * (1 + 0.1 ln(1/freq_scale));
         * deepseek2 pre-divides attn_factor by that term, making it 1 */
        float grow = 1.0f + 0.1f * logf(1.0f / hp->freq_scale);
        hp->rope_mscale = hp->mla ? 1.0f : hp->yarn_attn_factor * grow;
    } else if (!strcmp(type, "none") || !strcmp(type, "llama3")) {
        /* llama3: the converter stores the frequency factors as rope_freqs */
        hp->freq_scale = 1.0f;
    } else if (strcmp(type, "linear") != 0) {
        return pd_fail(PD_EUNSUPPORTED, "%s: rope scaling '%s' is not supported", L->path, type);
    }
    if (L->err != PD_OK)
        return L->err;
    if (!(hp->freq_scale > 0 && hp->freq_scale <= 1))
        return pd_fail(PD_EFORMAT, "%s: %s.rope.scaling.factor %g is out of range (1 or more)",
                       L->path, L->m->arch, factor);
    if (hp->yarn_orig_ctx <= 0)
        return pd_fail(PD_EFORMAT, "%s: %s.rope.scaling.original_context_length is 0",
                       L->path, L->m->arch);
    /* attention scale: deepseek2 folds the YaRN mscale in squared */
    if (hp->mla) {
        float ms = hp->yarn_attn_factor;
        if (hp->yarn)
            ms *= 1.0f + hp->yarn_log_mul * logf(1.0f / hp->freq_scale);
        hp->kq_scale = ms * ms / sqrtf((float)hp->head_k);
    } else {
        hp->kq_scale = 1.0f / sqrtf((float)hp->head_k);
    }
    hp->rope_freqs = bind_vec(L, false, hp->rope_dim / 2, "rope_freqs.weight", 0);
    return L->err;
}

/* ------------------------------------------------------------------------
 * Weights
 * ------------------------------------------------------------------------ */
/* Legacy deepseek2 files hold attn_kv_b {kv_lora, n_head*(nope+v)}: per head
 * nope rows of k then v rows. v_b is a strided view of it; k_b must be
 * transposed into owned memory: k_b[h][r][n] = kv_b[h*(nope+v)+n][r]. An F16
 * kv_b gives an F16 k_b (the values are copied exactly, so the model computes
 * as the split file does); other types give F32. */
static void split_kv_b(loader *L, pd_layer *ly, const pd_weight *kvb)
{
    pd_model *m = L->m;
    const pd_hparams *hp = &m->hp;
    const int64_t per = hp->qk_nope + hp->head_v;
    const bool f16 = kvb->type == PD_TYPE_F16;
    const size_t esz = f16 ? 2 : 4;
    uint8_t *kb = own(m, (size_t)hp->n_head * hp->kv_lora * hp->qk_nope * esz);
    float *row = malloc((size_t)hp->kv_lora * sizeof(float));
    if (!kb || !row) {
        free(row);
        bad(L, PD_ENOMEM, "out of memory splitting attn_kv_b");
        return;
    }
    for (int h = 0; h < hp->n_head; h++)
        for (int n = 0; n < hp->qk_nope; n++) {
            pd_dequantize_row(kvb->type, pd_weight_row(kvb, 0, h * per + n), row, hp->kv_lora);
            for (int r = 0; r < hp->kv_lora; r++) {
                const size_t at = ((size_t)h * hp->kv_lora + r) * hp->qk_nope + n;
                if (f16)
                    ((uint16_t *)kb)[at] = pd_f32_to_fp16(row[r]);
                else
                    ((float *)kb)[at] = row[r];
            }
        }
    free(row);
    ly->wk_b = (pd_weight){ .data = kb, .type = f16 ? PD_TYPE_F16 : PD_TYPE_F32,
                            .k = hp->qk_nope, .n = hp->kv_lora, .n_mat = hp->n_head,
                            .row_bytes = (size_t)hp->qk_nope * esz,
                            .mat_stride = (size_t)hp->qk_nope * hp->kv_lora * esz };
    ly->wv_b = *kvb;
    ly->wv_b.data = pd_weight_row(kvb, 0, hp->qk_nope);
    ly->wv_b.k = hp->kv_lora;
    ly->wv_b.n = hp->head_v;
    ly->wv_b.n_mat = hp->n_head;
    ly->wv_b.mat_stride = kvb->row_bytes * (size_t)per;
}

static void bind_attention(loader *L, pd_layer *ly, int i)
{
    const pd_hparams *hp = &L->m->hp;
    const int E = hp->n_embd, H = hp->n_head, Hkv = hp->n_head_kv;
    if (!hp->mla) {
        bind_mat(L, &ly->wq, true, E, (int64_t)H * hp->head_k, 0, "blk.%d.attn_q.weight", i);
        bind_mat(L, &ly->wk, true, E, (int64_t)Hkv * hp->head_k, 0, "blk.%d.attn_k.weight", i);
        bind_mat(L, &ly->wv, true, E, (int64_t)Hkv * hp->head_v, 0, "blk.%d.attn_v.weight", i);
        bind_mat(L, &ly->wo, true, (int64_t)H * hp->head_v, E, 0, "blk.%d.attn_output.weight", i);
        if (hp->qkv_bias) {
            ly->bq = bind_vec(L, true, (int64_t)H * hp->head_k, "blk.%d.attn_q.bias", i);
            ly->bk = bind_vec(L, true, (int64_t)Hkv * hp->head_k, "blk.%d.attn_k.bias", i);
            ly->bv = bind_vec(L, true, (int64_t)Hkv * hp->head_v, "blk.%d.attn_v.bias", i);
        }
        if (hp->qk_norm) {
            ly->q_norm = bind_vec(L, true, hp->head_k, "blk.%d.attn_q_norm.weight", i);
            ly->k_norm = bind_vec(L, true, hp->head_k, "blk.%d.attn_k_norm.weight", i);
        }
        return;
    }
    const int64_t qw = (int64_t)H * hp->head_k;
    if (hp->q_lora) {
        bind_mat(L, &ly->wq_a, true, E, hp->q_lora, 0, "blk.%d.attn_q_a.weight", i);
        ly->q_a_norm = bind_vec(L, true, hp->q_lora, "blk.%d.attn_q_a_norm.weight", i);
        bind_mat(L, &ly->wq_b, true, hp->q_lora, qw, 0, "blk.%d.attn_q_b.weight", i);
    } else {
        bind_mat(L, &ly->wq, true, E, qw, 0, "blk.%d.attn_q.weight", i);
    }
    bind_mat(L, &ly->wkv_a, true, E, hp->kv_lora + hp->qk_rope, 0, "blk.%d.attn_kv_a_mqa.weight", i);
    ly->kv_a_norm = bind_vec(L, true, hp->kv_lora, "blk.%d.attn_kv_a_norm.weight", i);
    bind_mat(L, &ly->wo, true, (int64_t)H * hp->head_v, E, 0, "blk.%d.attn_output.weight", i);
    char kb[64];
    snprintf(kb, sizeof kb, "blk.%d.attn_k_b.weight", i);
    if (pd_gguf_tensor_by_name(L->g, kb)) {
        bind_mat(L, &ly->wk_b, true, hp->qk_nope, hp->kv_lora, H, "blk.%d.attn_k_b.weight", i);
        bind_mat(L, &ly->wv_b, true, hp->kv_lora, hp->head_v, H, "blk.%d.attn_v_b.weight", i);
        return;
    }
    pd_weight kvb;
    if (bind_mat(L, &kvb, false, hp->kv_lora, (int64_t)H * (hp->qk_nope + hp->head_v), 0,
                 "blk.%d.attn_kv_b.weight", i))
        split_kv_b(L, ly, &kvb);
    else if (L->err == PD_OK) {
        char nm[96];
        snprintf(nm, sizeof nm, "blk.%d.attn_k_b.weight/attn_v_b.weight (or attn_kv_b.weight)", i);
        note_missing(L, nm);
    }
}

static void bind_ffn(loader *L, pd_layer *ly, int i)
{
    pd_hparams *hp = &L->m->hp;
    const int E = hp->n_embd;
    /* FFN widths come from the tensors and end up in ints (n_ff, scratch
     * sizes): the same bound as the feed_forward_length key */
#define FF_ROWS_BAD(n) ((n) <= 0 || (n) > (1 << 20))
    ly->moe = hp->n_expert > 0 && i >= hp->n_dense_lead;
    if (!ly->moe) {
        bind_mat(L, &ly->ffn_gate, true, E, -1, 0, "blk.%d.ffn_gate.weight", i);
        int64_t ff = ly->ffn_gate.data ? ly->ffn_gate.n : hp->n_ff;
        /* the scratch buffers are sized from n_ff: the key (or, without it,
         * the first dense layer) must agree with every dense layer's tensors */
        if (ly->ffn_gate.data && FF_ROWS_BAD(ff))
            bad(L, PD_EFORMAT, "blk.%d.ffn_gate.weight has %lld rows (1 to 1048576)", i,
                (long long)ff);
        else if (ly->ffn_gate.data && hp->n_ff == 0)
            hp->n_ff = (int)ff;
        else if (ly->ffn_gate.data && ff != hp->n_ff)
            bad(L, PD_EFORMAT, "blk.%d.ffn_gate.weight: %lld rows, but feed_forward_length is %d",
                i, (long long)ff, hp->n_ff);
        bind_mat(L, &ly->ffn_up, true, E, ff, 0, "blk.%d.ffn_up.weight", i);
        bind_mat(L, &ly->ffn_down, true, ff, E, 0, "blk.%d.ffn_down.weight", i);
        return;
    }
    const int X = hp->n_expert;
    bind_mat(L, &ly->gate_inp, true, E, X, 0, "blk.%d.ffn_gate_inp.weight", i);
    if (hp->mla)   /* optional in llama.cpp: V3-style files have it */
        ly->exp_probs_b = bind_vec(L, false, X, "blk.%d.exp_probs_b.bias", i);
    if (ly->exp_probs_b)
        hp->exp_probs_b = true;
    bind_mat(L, &ly->gate_exps, true, E, -1, X, "blk.%d.ffn_gate_exps.weight", i);
    if (ly->gate_exps.data && FF_ROWS_BAD(ly->gate_exps.n))
        bad(L, PD_EFORMAT, "blk.%d.ffn_gate_exps.weight has %lld rows (1 to 1048576)", i,
            (long long)ly->gate_exps.n);
    if (ly->gate_exps.data && !hp->n_ff_exp)
        hp->n_ff_exp = (int)ly->gate_exps.n;
    bind_mat(L, &ly->up_exps, true, E, hp->n_ff_exp, X, "blk.%d.ffn_up_exps.weight", i);
    bind_mat(L, &ly->down_exps, true, hp->n_ff_exp, E, X, "blk.%d.ffn_down_exps.weight", i);
    if (ly->gate_exps.data && ly->gate_exps.n != hp->n_ff_exp)
        bad(L, PD_EFORMAT, "blk.%d.ffn_gate_exps.weight: %lld rows per expert, expected %d",
            i, (long long)ly->gate_exps.n, hp->n_ff_exp);
    if (hp->n_expert_shared > 0) {
        bind_mat(L, &ly->gate_shexp, true, E, -1, 0, "blk.%d.ffn_gate_shexp.weight", i);
        if (ly->gate_shexp.data && FF_ROWS_BAD(ly->gate_shexp.n))
            bad(L, PD_EFORMAT, "blk.%d.ffn_gate_shexp.weight has %lld rows (1 to 1048576)", i,
                (long long)ly->gate_shexp.n);
        if (ly->gate_shexp.data)
            hp->n_ff_shexp = (int)ly->gate_shexp.n;
        bind_mat(L, &ly->up_shexp, true, E, hp->n_ff_shexp, 0, "blk.%d.ffn_up_shexp.weight", i);
        bind_mat(L, &ly->down_shexp, true, hp->n_ff_shexp, E, 0, "blk.%d.ffn_down_shexp.weight", i);
    }
#undef FF_ROWS_BAD
}

static pd_status bind_weights(loader *L)
{
    pd_model *m = L->m;
    pd_hparams *hp = &m->hp;
    bind_mat(L, &m->token_embd, true, hp->n_embd, -1, 0, "token_embd.weight", 0);
    hp->n_vocab = m->token_embd.data ? (int)m->token_embd.n : 0;
    if (m->token_embd.data && (m->token_embd.n <= 0 || m->token_embd.n > (1 << 24)))
        bad(L, PD_EFORMAT, "token_embd.weight: %lld tokens is out of range",
            (long long)m->token_embd.n);
    m->output_norm = bind_vec(L, true, hp->n_embd, "output_norm.weight", 0);
    if (!bind_mat(L, &m->output, false, hp->n_embd, hp->n_vocab, 0, "output.weight", 0)
        && L->err == PD_OK) {
        m->output = m->token_embd;   /* tied embeddings */
        hp->tied = true;
    }
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers)
        return pd_fail(PD_ENOMEM, "%s: out of memory", L->path);
    for (int i = 0; i < hp->n_layer && L->err == PD_OK; i++) {
        pd_layer *ly = &m->layers[i];
        ly->attn_norm = bind_vec(L, true, hp->n_embd, "blk.%d.attn_norm.weight", i);
        ly->ffn_norm = bind_vec(L, true, hp->n_embd, "blk.%d.ffn_norm.weight", i);
        bind_attention(L, ly, i);
        bind_ffn(L, ly, i);
    }
    if (L->err != PD_OK)
        return L->err;
    if (L->n_missing)
        return pd_fail(PD_EFORMAT, "%s: %s file lacks %d tensor%s: %s", L->path, m->arch,
                       L->n_missing, L->n_missing > 1 ? "s" : "", L->missing);
    return PD_OK;
}

/* ------------------------------------------------------------------------
 * Memory plan
 * ------------------------------------------------------------------------ */
static size_t mem_available(size_t *total)
{
    *total = 0;
    const char *fake = getenv("PONDER_MEM_AVAILABLE");   /* tests: pretend this much is free */
    if (fake && *fake) {
        char *end;
        unsigned long long b = strtoull(fake, &end, 10);
        if (*end == 0 && b > 0) {
            *total = 0;   /* unknown: no check against it */
            return (size_t)b;
        }
    }
    FILE *f = fopen("/proc/meminfo", "r");
    size_t avail = 0;
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
                avail = (size_t)kb * 1024;
            else if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
                *total = (size_t)kb * 1024;
        }
        fclose(f);
    }
    if (!avail || !*total) {
        struct sysinfo si;
        if (sysinfo(&si) == 0) {
            if (!avail) avail = (size_t)si.freeram * si.mem_unit;
            if (!*total) *total = (size_t)si.totalram * si.mem_unit;
        }
    }
    return avail;
}

/* avail, total: mem_available()'s figures */
static pd_status memory_plan(pd_model *m, const char *path, size_t avail, size_t total)
{
    const double MiB = 1024.0 * 1024.0;
    size_t kv = pd_kvcache_bytes(&m->hp, m->n_ctx, m->kv_f16);
    size_t scratch = pd_cpu_scratch_bytes(&m->hp, m->n_ctx);
    size_t repacked = pd_cpu_repack_bytes(m);   /* the CPU backend's copy, replacing file pages */
    if (repacked && avail && kv + scratch + m->owned_bytes + repacked > avail) {
        /* run from the file's layout rather than refuse: slower, not wrong */
        snprintf(m->mem_note, sizeof m->mem_note, "too little free memory to repack %.0f MiB of "
                 "Q4_K weights for the CPU (%.0f MiB available): they are read as stored and "
                 "decode is slower", repacked / MiB, avail / MiB);
        m->no_repack = true;
        repacked = 0;
    }
    size_t weights = m->gguf->size - (repacked < m->gguf->size ? repacked : m->gguf->size);
    if (m->opts.verbose)
        fprintf(stderr, "ponder: memory plan: weights %.1f MiB (mapped), owned %.1f MiB, "
                "repacked Q4_K %.1f MiB, KV cache %.1f MiB (%d positions), scratch %.1f MiB; "
                "available %.1f MiB\n", weights / MiB, m->owned_bytes / MiB, repacked / MiB,
                kv / MiB, m->n_ctx, scratch / MiB, avail / MiB);
    if (!kv)
        return pd_fail(PD_ELIMIT, "%s: KV cache size overflows for %d positions", path, m->n_ctx);
    size_t need = kv + scratch + m->owned_bytes + repacked;
    if (avail && need > avail)
        return pd_fail(PD_ENOMEM, "%s: needs %.0f MiB (KV cache %.0f + scratch %.0f + repacked "
                       "weights %.0f) but only %.0f MiB are available; try a smaller --ctx", path,
                       need / MiB, kv / MiB, scratch / MiB, repacked / MiB, avail / MiB);
    if (total && need + weights > total)
        return pd_fail(PD_ENOMEM, "%s: weights %.0f MiB + KV cache and scratch %.0f MiB exceed "
                       "the machine's %.0f MiB of memory", path, weights / MiB, need / MiB,
                       total / MiB);
    return PD_OK;
}

int pd_ctx_fit(int n, int floor, size_t room, size_t (*need)(int n, void *user), void *user)
{
    while (n > floor && need(n, user) > room)
        n = n / 2 > floor ? n / 2 : floor;
    return n;
}

/* --ctx's default: the model's trained context up to CTX_DEFAULT_MAX, room
 * for a long reasoning trace (R1's run past 8k tokens), halved while the
 * cache, scratch and repacked weights would not fit in free memory, but not
 * below PD_CTX_DEFAULT_MIN: there the memory plan decides, as for an
 * explicit --ctx. The cache is allocated untouched, so positions not
 * reached cost address space, not memory. */
enum { CTX_DEFAULT_MAX = 32768 };

/* the bytes n positions take beside what does not depend on n (the owned
 * and repacked weights: fixed, counted once) */
typedef struct cpu_fit { const pd_model *m; size_t fixed; } cpu_fit;

static size_t cpu_need(int n, void *user)
{
    const cpu_fit *f = user;
    return pd_kvcache_bytes(&f->m->hp, n, f->m->kv_f16) + pd_cpu_scratch_bytes(&f->m->hp, n) + f->fixed;
}

static int default_ctx(const pd_model *m, size_t avail)
{
    const int n = m->hp.n_ctx_train < CTX_DEFAULT_MAX ? m->hp.n_ctx_train : CTX_DEFAULT_MAX;
    if (!avail)
        return n;
    cpu_fit f = { m, m->owned_bytes + pd_cpu_repack_bytes(m) };
    return pd_ctx_fit(n, PD_CTX_DEFAULT_MIN, avail, cpu_need, &f);
}

/* ------------------------------------------------------------------------
 * Open / close
 * ------------------------------------------------------------------------ */
static char *make_name(const char *path, const char *arch)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".gguf"))
        n -= 5;
    size_t sz = n + strlen(arch) + 8;
    char *s = malloc(sz);
    if (s)
        snprintf(s, sz, "%.*s \xc2\xb7 %s", (int)n, b, arch);
    return s;
}

pd_status pd_model_load(const char *path, const pd_model_opts *opts, pd_model **out)
{
    *out = NULL;
    pd_model *m = calloc(1, sizeof *m);
    if (!m)
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    if (opts)
        m->opts = *opts;
    else
        pd_model_opts_default(&m->opts);
    m->no_repack = m->opts.no_repack;
    pd_status st = pd_gguf_open(path, &m->gguf);
    if (st != PD_OK) {
        free(m);
        return st;
    }
    loader L = { .m = m, .g = m->gguf, .path = path };
    pd_gguf_str a;
    if (!pd_gguf_get_str(m->gguf, "general.architecture", &a) || a.len == 0
        || a.len >= sizeof m->arch) {
        st = pd_fail(PD_EFORMAT, "%s: general.architecture is missing", path);
        goto fail;
    }
    memcpy(m->arch, a.ptr, a.len);
    if ((st = arch_flags(&L)) != PD_OK || (st = read_hparams(&L)) != PD_OK
        || (st = read_rope_scaling(&L)) != PD_OK || (st = bind_weights(&L)) != PD_OK)
        goto fail;
    m->name = make_name(path, m->arch);
    /* F32 weights get an F32 cache; reduced-precision files an F16 one, as llama.cpp */
    m->kv_f16 = m->layers[0].wo.type != PD_TYPE_F32;
    size_t mem_total, mem_avail = mem_available(&mem_total);
    int n_ctx = m->opts.n_ctx > 0 ? m->opts.n_ctx : default_ctx(m, mem_avail);
    if (n_ctx > (1 << 24)) {
        st = pd_fail(PD_ELIMIT, "--ctx %d is too large", n_ctx);
        goto fail;
    }
    m->n_ctx = n_ctx;
    if (!m->name) {
        st = pd_fail(PD_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((st = memory_plan(m, path, mem_avail, mem_total)) != PD_OK)
        goto fail;
    *out = m;
    return PD_OK;
fail:
    pd_model_close(m);
    return st;
}

/* Say so, rather than guess silently, when the file carries a Jinja chat
 * template that none of our families recognises. */
static void note_chat_template(pd_model *m)
{
    pd_gguf_str tmpl;
    bool recognised = true;
    if (!m->tok || !pd_gguf_get_str(m->gguf, "tokenizer.chat_template", &tmpl))
        return;
    pd_chat_family f = pd_chat_detect(m->gguf, m->tok, &recognised);
    if (!recognised)
        snprintf(m->chat_note, sizeof m->chat_note,
                 "the file's chat template is not one ponder knows; using the %s "
                 "template (--template chooses another)", pd_chat_family_name(f));
}

const char *pd_model_template_note(const pd_model *m) { return m ? m->chat_note : ""; }
const char *pd_model_memory_note(const pd_model *m) { return m ? m->mem_note : ""; }

/* PONDER_ROUTE_TRACE=FILE: every expert choice written to FILE, one line
 * per token and MoE layer, "pos layer id... weight..." in the backend's
 * order (tests/gpu/run.sh tells a routing near-tie between the CPU and the
 * GPU from a fault with it; see the oracle's routing.txt for the idea) */
static void trace_route(void *user, int pos, int layer, int k, const int32_t *ids,
                        const float *weights)
{
    FILE *f = user;
    fprintf(f, "%d %d", pos, layer);
    for (int i = 0; i < k; i++)
        fprintf(f, " %d", (int)ids[i]);
    for (int i = 0; i < k; i++)
        fprintf(f, " %.9g", weights[i]);
    fputc('\n', f);
}

static pd_status open_route_trace(pd_model *m)
{
    const char *path = getenv("PONDER_ROUTE_TRACE");
    if (!path || !*path)
        return PD_OK;
    m->route_trace = fopen(path, "w");
    if (!m->route_trace)
        return pd_fail(PD_EIO, "PONDER_ROUTE_TRACE: %s: %s", path, strerror(errno));
    pd_model_set_route_hook(m, trace_route, m->route_trace);
    return PD_OK;
}

pd_status pd_model_open(const char *path, const pd_model_opts *opts, pd_model **out)
{
    pd_model *m;
    pd_status st = pd_model_load(path, opts, &m);
    if (st != PD_OK) {
        *out = NULL;
        return st;
    }
    /* a file without a vocabulary still runs on token ids (logits --tokens, bench) */
    if (pd_gguf_find_key(m->gguf, "tokenizer.ggml.model") >= 0)
        st = pd_tokenizer_load(m->gguf, &m->tok);
    if (st == PD_OK)
        note_chat_template(m);
    if (st == PD_OK)
        st = open_route_trace(m);
    if (st == PD_OK)
        st = pd_backend_attach(m, &m->opts);
    if (st != PD_OK) {
        pd_model_close(m);
        *out = NULL;
        return st;
    }
    *out = m;
    return PD_OK;
}

void pd_model_close(pd_model *m)
{
    if (!m)
        return;
    pd_backend_detach(m);
    if (m->route_trace)
        fclose(m->route_trace);
    if (m->tok)
        pd_tokenizer_free(m->tok);
    for (int i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    free(m->name);
    pd_gguf_close(m->gguf);
    free(m);
}

pd_status pd_model_forward(pd_model *m, const int32_t *tokens, int n, int pos0,
                           float *logits, bool all_logits)
{
    if (!m->be) {
        pd_status st = pd_backend_attach(m, &m->opts);
        if (st != PD_OK)
            return st;
    }
    if (n <= 0 || pos0 < 0 || pos0 > m->n_ctx || n > m->n_ctx - pos0)
        return pd_fail(PD_ELIMIT, "positions %d..%d do not fit the context of %d",
                       pos0, pos0 + n - 1, m->n_ctx);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->hp.n_vocab)
            return pd_fail(PD_EARG, "token id %d is outside the vocabulary (0..%d)",
                           tokens[i], m->hp.n_vocab - 1);
    return m->be->forward(m->be_state, tokens, n, pos0, logits, all_logits);
}

const char *pd_model_name(const pd_model *m) { return m && m->name ? m->name : "?"; }
const char *pd_model_backend_name(const pd_model *m) { return m && m->be ? m->be->name : "none"; }
int pd_model_n_ctx(const pd_model *m) { return m ? m->n_ctx : 0; }
const char *pd_model_backend_note(const pd_model *m) { return m ? m->be_note : ""; }
int pd_model_n_vocab(const pd_model *m) { return m->hp.n_vocab; }

void pd_model_set_route_hook(pd_model *m, pd_route_fn fn, void *user)
{
    m->route_fn = fn;
    m->route_user = user;
}

/* ------------------------------------------------------------------------
 * Bytes touched per decoded token (for the bandwidth figure of bench)
 * ------------------------------------------------------------------------ */
static double wbytes(const pd_weight *w, double mats)
{
    return w->data ? (double)w->row_bytes * (double)w->n * mats : 0;
}

static double active(const pd_model *m, bool bytes)
{
    const pd_hparams *hp = &m->hp;
    double s = 0;
    for (int i = 0; i < hp->n_layer; i++) {
        const pd_layer *l = &m->layers[i];
        const pd_weight *all[] = { &l->wq, &l->wk, &l->wv, &l->wo, &l->wq_a, &l->wq_b,
                                   &l->wkv_a, &l->wk_b, &l->wv_b, &l->ffn_gate, &l->ffn_up,
                                   &l->ffn_down, &l->gate_inp, &l->gate_shexp,
                                   &l->up_shexp, &l->down_shexp };
        for (size_t j = 0; j < sizeof all / sizeof *all; j++) {
            double mats = all[j]->data ? (double)all[j]->n_mat : 0;
            s += bytes ? wbytes(all[j], mats) : (double)all[j]->k * all[j]->n * mats;
        }
        const pd_weight *ex[] = { &l->gate_exps, &l->up_exps, &l->down_exps };
        for (size_t j = 0; j < 3; j++)
            s += bytes ? wbytes(ex[j], hp->n_expert_used)
                       : (double)ex[j]->k * ex[j]->n * (ex[j]->data ? hp->n_expert_used : 0);
    }
    s += bytes ? wbytes(&m->output, 1) : (double)m->output.k * m->output.n;
    /* one row of token_embd */
    s += bytes ? (double)m->token_embd.row_bytes : (double)hp->n_embd;
    return s;
}

double pd_model_active_bytes(const pd_model *m) { return active(m, true); }
double pd_model_active_params(const pd_model *m) { return active(m, false); }
