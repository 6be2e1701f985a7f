/* synth.c - `ponder synth`: GGUF files with random weights and the exact
 * tensor shapes, metadata keys and special tokens of real models, laid out
 * the way llama.cpp's convert_hf_to_gguf.py writes them, streamed to disk. */
#include "synth.h"
#include "gguf_write.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Presets
 * ------------------------------------------------------------------------ */
typedef enum { ARCH_QWEN3MOE, ARCH_DEEPSEEK2, ARCH_QWEN2 } arch_kind;
typedef enum { TPL_QWEN3, TPL_DEEPSEEK_R1, TPL_DEEPSEEK_LLM, TPL_MOONLIGHT } tpl_kind;

enum { TOK_NORMAL = 1, TOK_CONTROL = 3, TOK_USER = 4, TOK_UNUSED = 5 };

/* A special token at its real id; a negative id counts from the end of the
 * vocabulary (for the tiny test presets). */
typedef struct special { const char *text; int32_t id; int type; } special;

typedef struct preset {
    const char *name, *desc, *model_name;
    arch_kind arch;
    int64_t n_layer, n_embd, n_ff, n_head, n_head_kv, head_dim, n_ctx, n_vocab;
    float rope_base, rms_eps;
    /* MoE */
    int64_t n_expert, n_expert_used, n_shared, n_ff_exp, n_lead_dense, n_group, n_group_used;
    int gating;                 /* 1 softmax, 2 sigmoid */
    float w_scale;
    bool w_norm, probs_bias;
    /* MLA (deepseek2) */
    int64_t q_lora, kv_lora, qk_nope, qk_rope, v_head;
    float yarn_factor;          /* 0: no rope scaling */
    int64_t yarn_orig_ctx;
    float yarn_log_mul;         /* 0.1 * mscale_all_dim, as the converter writes it */
    /* tokenizer */
    const char *pre;
    tpl_kind tpl;
    int32_t bos, eos, pad;
    bool add_bos;
    const special *specials;
} preset;

#define BOS_DS "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define EOS_DS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define USER_DS "<\xef\xbd\x9cUser\xef\xbd\x9c>"
#define ASSIST_DS "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"

static const special qwen3_sp[] = {
    {"<|endoftext|>", 151643, TOK_CONTROL}, {"<|im_start|>", 151644, TOK_CONTROL},
    {"<|im_end|>", 151645, TOK_CONTROL}, {"<think>", 151667, TOK_USER},
    {"</think>", 151668, TOK_USER}, {NULL, 0, 0},
};
static const special test_qwen_sp[] = {
    {"<|endoftext|>", -5, TOK_CONTROL}, {"<|im_start|>", -4, TOK_CONTROL},
    {"<|im_end|>", -3, TOK_CONTROL}, {"<think>", -2, TOK_USER}, {"</think>", -1, TOK_USER},
    {NULL, 0, 0},
};
static const special r1_qwen_sp[] = {
    {EOS_DS, 151643, TOK_CONTROL}, {USER_DS, 151644, TOK_CONTROL},
    {ASSIST_DS, 151645, TOK_CONTROL}, {BOS_DS, 151646, TOK_CONTROL},
    {"<|EOT|>", 151647, TOK_CONTROL}, {"<think>", 151648, TOK_USER},
    {"</think>", 151649, TOK_USER}, {NULL, 0, 0},
};
static const special test_r1_sp[] = {
    {BOS_DS, -6, TOK_CONTROL}, {EOS_DS, -5, TOK_CONTROL}, {USER_DS, -4, TOK_CONTROL},
    {ASSIST_DS, -3, TOK_CONTROL}, {"<think>", -2, TOK_USER}, {"</think>", -1, TOK_USER},
    {NULL, 0, 0},
};
static const special r1_sp[] = {   /* DeepSeek-R1's own tokenizer (V3's, with <think> tags) */
    {BOS_DS, 0, TOK_CONTROL}, {EOS_DS, 1, TOK_CONTROL}, {"<think>", 128798, TOK_USER},
    {"</think>", 128799, TOK_USER}, {USER_DS, 128803, TOK_CONTROL},
    {ASSIST_DS, 128804, TOK_CONTROL}, {"<|EOT|>", 128805, TOK_CONTROL}, {NULL, 0, 0},
};
static const special dsv2_sp[] = {
    {BOS_DS, 100000, TOK_CONTROL}, {EOS_DS, 100001, TOK_CONTROL}, {NULL, 0, 0},
};
static const special moonlight_sp[] = {
    {"[BOS]", 163584, TOK_CONTROL}, {"[EOS]", 163585, TOK_CONTROL},
    {"<|im_end|>", 163586, TOK_CONTROL}, {"<|im_user|>", 163587, TOK_CONTROL},
    {"<|im_assistant|>", 163588, TOK_CONTROL}, {"<|im_system|>", 163594, TOK_CONTROL},
    {"<|im_middle|>", 163601, TOK_CONTROL}, {NULL, 0, 0},
};

static const preset presets[] = {
    { .name = "qwen3-30b-a3b", .desc = "Qwen3-30B-A3B: qwen3moe, 48 layers, 128 experts (8 used), ~30.5B params",
      .model_name = "Qwen3-30B-A3B", .arch = ARCH_QWEN3MOE,
      .n_layer = 48, .n_embd = 2048, .n_ff = 6144, .n_head = 32, .n_head_kv = 4, .head_dim = 128,
      .n_ctx = 40960, .n_vocab = 151936, .rope_base = 1e6f, .rms_eps = 1e-6f,
      .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
      .pre = "qwen2", .tpl = TPL_QWEN3, .bos = 151643, .eos = 151645, .pad = 151643,
      .specials = qwen3_sp },
    { .name = "deepseek-v2-lite", .desc = "DeepSeek-V2-Lite: deepseek2 MLA without q_lora, 64 experts (6 used, 2 shared), ~15.7B params",
      .model_name = "DeepSeek-V2-Lite", .arch = ARCH_DEEPSEEK2,
      .n_layer = 27, .n_embd = 2048, .n_ff = 10944, .n_head = 16, .n_head_kv = 1,
      .n_ctx = 163840, .n_vocab = 102400, .rope_base = 10000, .rms_eps = 1e-6f,
      .n_expert = 64, .n_expert_used = 6, .n_shared = 2, .n_ff_exp = 1408, .n_lead_dense = 1,
      .n_group = 1, .n_group_used = 1, .gating = 1, .w_scale = 1.0f,
      .kv_lora = 512, .qk_nope = 128, .qk_rope = 64, .v_head = 128,
      .yarn_factor = 40, .yarn_orig_ctx = 4096, .yarn_log_mul = 0.0707f,
      .pre = "deepseek-llm", .tpl = TPL_DEEPSEEK_LLM, .bos = 100000, .eos = 100001, .pad = 100001,
      .add_bos = true, .specials = dsv2_sp },
    { .name = "moonlight-16b-a3b", .desc = "Moonlight-16B-A3B: deepseek2 (V3 style, sigmoid routing), 64 experts (6 used, 2 shared), ~16B params",
      .model_name = "Moonlight-16B-A3B", .arch = ARCH_DEEPSEEK2,
      .n_layer = 27, .n_embd = 2048, .n_ff = 11264, .n_head = 16, .n_head_kv = 1,
      .n_ctx = 8192, .n_vocab = 163840, .rope_base = 50000, .rms_eps = 1e-5f,
      .n_expert = 64, .n_expert_used = 6, .n_shared = 2, .n_ff_exp = 1408, .n_lead_dense = 1,
      .n_group = 1, .n_group_used = 1, .gating = 2, .w_scale = 2.446f, .w_norm = true,
      .probs_bias = true, .kv_lora = 512, .qk_nope = 128, .qk_rope = 64, .v_head = 128,
      .pre = "kimi-k2", .tpl = TPL_MOONLIGHT, .bos = 163584, .eos = 163585, .pad = 163585,
      .specials = moonlight_sp },
    { .name = "deepseek-r1-distill-qwen-1.5b", .desc = "DeepSeek-R1-Distill-Qwen-1.5B: qwen2 dense, 28 layers, ~1.78B params",
      .model_name = "DeepSeek-R1-Distill-Qwen-1.5B", .arch = ARCH_QWEN2,
      .n_layer = 28, .n_embd = 1536, .n_ff = 8960, .n_head = 12, .n_head_kv = 2, .head_dim = 128,
      .n_ctx = 131072, .n_vocab = 151936, .rope_base = 10000, .rms_eps = 1e-6f,
      .pre = "deepseek-r1-qwen", .tpl = TPL_DEEPSEEK_R1, .bos = 151646, .eos = 151643,
      .pad = 151643, .add_bos = true, .specials = r1_qwen_sp },
    { .name = "mini-moe", .desc = "a small qwen3moe for CPU work: 12 layers, 64 experts (8 used), ~1.58B params, ~0.37B active",
      .model_name = "ponder mini-moe", .arch = ARCH_QWEN3MOE,
      .n_layer = 12, .n_embd = 1024, .n_ff = 3072, .n_head = 16, .n_head_kv = 4, .head_dim = 128,
      .n_ctx = 32768, .n_vocab = 151936, .rope_base = 1e6f, .rms_eps = 1e-6f,
      .n_expert = 64, .n_expert_used = 8, .n_ff_exp = 512,
      .pre = "qwen2", .tpl = TPL_QWEN3, .bos = 151643, .eos = 151645, .pad = 151643,
      .specials = qwen3_sp },
    { .name = "mini-mla", .desc = "a small deepseek2 (V3/R1 style) for CPU work: R1's attention shapes (MLA, latent 512), 12 layers, 64 experts (6 used, 2 shared), ~1.5B params",
      .model_name = "ponder mini-mla", .arch = ARCH_DEEPSEEK2,
      .n_layer = 12, .n_embd = 1024, .n_ff = 4096, .n_head = 16, .n_head_kv = 1,
      .n_ctx = 32768, .n_vocab = 129280, .rope_base = 10000, .rms_eps = 1e-6f,
      .n_expert = 64, .n_expert_used = 6, .n_shared = 2, .n_ff_exp = 512, .n_lead_dense = 1,
      .n_group = 8, .n_group_used = 4, .gating = 2, .w_scale = 2.5f, .w_norm = true,
      .probs_bias = true, .q_lora = 768, .kv_lora = 512, .qk_nope = 128, .qk_rope = 64,
      .v_head = 128, .yarn_factor = 40, .yarn_orig_ctx = 4096, .yarn_log_mul = 0.1f,
      .pre = "deepseek-v3", .tpl = TPL_DEEPSEEK_R1, .bos = 0, .eos = 1, .pad = 1,
      .add_bos = true, .specials = r1_sp },
    { .name = "test-moe", .desc = "tiny qwen3moe for tests: 2 layers, 8 experts, 512 tokens (~1 MB)",
      .model_name = "ponder test-moe", .arch = ARCH_QWEN3MOE,
      .n_layer = 2, .n_embd = 256, .n_ff = 512, .n_head = 4, .n_head_kv = 2, .head_dim = 64,
      .n_ctx = 4096, .n_vocab = 512, .rope_base = 1e6f, .rms_eps = 1e-6f,
      .n_expert = 8, .n_expert_used = 2, .n_ff_exp = 256,
      .pre = "qwen2", .tpl = TPL_QWEN3, .bos = -5, .eos = -3, .pad = -5,
      .specials = test_qwen_sp },
    { .name = "test-mla", .desc = "tiny deepseek2 (V3 style) for tests: 2 layers, MLA, 8 experts, 512 tokens",
      .model_name = "ponder test-mla", .arch = ARCH_DEEPSEEK2,
      .n_layer = 2, .n_embd = 256, .n_ff = 512, .n_head = 4, .n_head_kv = 1,
      .n_ctx = 4096, .n_vocab = 512, .rope_base = 10000, .rms_eps = 1e-6f,
      .n_expert = 8, .n_expert_used = 2, .n_shared = 1, .n_ff_exp = 256, .n_lead_dense = 1,
      .n_group = 2, .n_group_used = 1, .gating = 2, .w_scale = 2.5f, .w_norm = true,
      .probs_bias = true, .q_lora = 256, .kv_lora = 256, .qk_nope = 64, .qk_rope = 64,
      .v_head = 64, .yarn_factor = 4, .yarn_orig_ctx = 1024, .yarn_log_mul = 0.1f,
      .pre = "deepseek-v3", .tpl = TPL_DEEPSEEK_R1, .bos = -6, .eos = -5, .pad = -5,
      .add_bos = true, .specials = test_r1_sp },
    { .name = "test-qwen2", .desc = "tiny qwen2 (dense, R1-Distill-Qwen style) for tests: 2 layers, 512 tokens",
      .model_name = "ponder test-qwen2", .arch = ARCH_QWEN2,
      .n_layer = 2, .n_embd = 256, .n_ff = 512, .n_head = 4, .n_head_kv = 2, .head_dim = 64,
      .n_ctx = 4096, .n_vocab = 512, .rope_base = 10000, .rms_eps = 1e-6f,
      .pre = "deepseek-r1-qwen", .tpl = TPL_DEEPSEEK_R1, .bos = -6, .eos = -5, .pad = -5,
      .add_bos = true, .specials = test_r1_sp },
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

size_t pd_synth_n_presets(void) { return N_PRESETS; }
const char *pd_synth_preset_name(size_t i) { return i < N_PRESETS ? presets[i].name : NULL; }
const char *pd_synth_preset_desc(size_t i) { return i < N_PRESETS ? presets[i].desc : NULL; }

bool pd_synth_type_ok(pd_type t)
{
    switch (t) {
    case PD_TYPE_F32: case PD_TYPE_F16: case PD_TYPE_BF16: case PD_TYPE_Q8_0:
    case PD_TYPE_Q4_0: case PD_TYPE_Q4_1: case PD_TYPE_Q5_0: case PD_TYPE_Q5_1:
    case PD_TYPE_Q4_K: case PD_TYPE_Q5_K: case PD_TYPE_Q6_K:
        return true;
    default:
        return false;
    }
}

/* Short chat templates with the markers of each family (the real ones are
 * long Jinja programs; these keep what tells the families apart). */
static const char *template_text(tpl_kind k)
{
    switch (k) {
    case TPL_QWEN3:
        return "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + "
               "message.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}"
               "{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and "
               "enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";
    case TPL_DEEPSEEK_R1:
        return "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
               "{{ '" USER_DS "' + message['content'] }}{% elif message['role'] == 'assistant' %}"
               "{{ '" ASSIST_DS "' + message['content'] + '" EOS_DS "' }}{% endif %}{% endfor %}"
               "{% if add_generation_prompt %}{{ '" ASSIST_DS "<think>\\n' }}{% endif %}";
    case TPL_DEEPSEEK_LLM:
        return "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
               "{{ 'User: ' + message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}"
               "{{ 'Assistant: ' + message['content'] + eos_token }}{% endif %}{% endfor %}"
               "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
    case TPL_MOONLIGHT:
    default:
        return "{%- for message in messages -%}{{ '<|im_' + message['role'] + '|>' + message['role'] + "
               "'<|im_middle|>' + message['content'] + '<|im_end|>' }}{%- endfor -%}"
               "{%- if add_generation_prompt -%}{{ '<|im_assistant|>assistant<|im_middle|>' }}{%- endif -%}";
    }
}

/* ------------------------------------------------------------------------
 * Tokenizer section: the 256 byte-level tokens (GPT-2's byte-to-unicode
 * order), a few merges, the specials at their ids, [PADn] for the rest.
 * ------------------------------------------------------------------------ */
#define SP "\xc4\xa0"   /* U+0120: how byte-level BPE writes a space */
static const char *const merges[] = {
    SP " t", SP " a", "h e", "i n", "r e", "o n", SP "t he", "e r", SP " s", "a t",
    SP " w", SP " o", "e n", SP " c", "i t", "i s", "a n", "o r", "e s", SP " b", "e d",
    SP " f", "in g", SP " p", "o u", SP "a n", "a l", "a r", SP "t o", SP " m", SP "o f",
    SP " in", SP " d", SP " h", SP "an d", SP " T", SP " I", SP " W",
};
#define N_MERGES (sizeof merges / sizeof merges[0])

typedef struct vocab {
    char **tok;
    int32_t *type;
    int64_t n;
} vocab;

static void vocab_free(vocab *v)
{
    if (v->tok)
        for (int64_t i = 0; i < v->n; i++)
            free(v->tok[i]);
    free(v->tok);
    free(v->type);
}

static int32_t resolve_id(const preset *p, int32_t id) { return id < 0 ? (int32_t)p->n_vocab + id : id; }

static int utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;   /* byte-level code points are all below 0x800 */
}

/* Move *id to the first id from it that no special holds; false: none left. */
static bool next_free(const vocab *v, int64_t *id)
{
    while (*id < v->n && v->tok[*id])
        (*id)++;
    return *id < v->n;
}

static pd_status vocab_build(const preset *p, vocab *v)
{
    v->n = p->n_vocab;
    v->tok = calloc((size_t)v->n, sizeof *v->tok);
    v->type = calloc((size_t)v->n, sizeof *v->type);
    if (!v->tok || !v->type)
        return pd_fail(PD_ENOMEM, "synth: out of memory");
    /* the specials first, at their real ids (V3 puts BOS at 0) */
    for (const special *s = p->specials; s->text; s++) {
        int32_t sid = resolve_id(p, s->id);
        if (sid < 0 || sid >= v->n || v->tok[sid])
            return pd_fail(PD_EARG, "synth: preset %s: special token id %" PRId32 " is unusable",
                           p->name, sid);
        v->tok[sid] = strdup(s->text);
        v->type[sid] = s->type;
    }
    /* then the bytes and merges in the ids left free, in order;
     * byte b -> code point: printable Latin-1 stays, the rest from 256 up */
    int64_t id = 0;
    unsigned extra = 0;
    int order[256], n = 0;
    for (int b = 0; b < 256; b++)
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE))
            order[n++] = b;
    int n_printable = n;
    for (int b = 0; b < 256; b++)
        if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE)))
            order[n++] = b;
    for (int i = 0; i < 256; i++, id++) {
        if (!next_free(v, &id))
            return pd_fail(PD_EARG, "synth: preset %s: %" PRId64 " tokens are too few", p->name, v->n);
        unsigned cp = i < n_printable ? (unsigned)order[i] : 256 + extra++;
        char buf[4] = {0};
        utf8_put(buf, cp);
        v->tok[id] = strdup(buf);
        v->type[id] = TOK_NORMAL;
    }
    for (size_t m = 0; m < N_MERGES; m++, id++) {
        if (!next_free(v, &id))
            return pd_fail(PD_EARG, "synth: preset %s: %" PRId64 " tokens are too few", p->name, v->n);
        char buf[32];
        size_t o = 0;
        for (const char *s = merges[m]; *s; s++)
            if (*s != ' ')
                buf[o++] = *s;
        buf[o] = '\0';
        v->tok[id] = strdup(buf);
        v->type[id] = TOK_NORMAL;
    }
    for (int64_t i = id; i < v->n; i++) {
        if (v->tok[i])
            continue;
        char buf[32];
        snprintf(buf, sizeof buf, "[PAD%" PRId64 "]", i);
        v->tok[i] = strdup(buf);
        v->type[i] = TOK_UNUSED;
    }
    for (int64_t i = 0; i < v->n; i++)
        if (!v->tok[i])
            return pd_fail(PD_ENOMEM, "synth: out of memory");
    return PD_OK;
}

/* ------------------------------------------------------------------------
 * Metadata
 * ------------------------------------------------------------------------ */
typedef struct meta {
    pd_gguf_writer *w;
    const char *arch;
    pd_status st;
} meta;

static void m_u32(meta *m, const char *suffix, int64_t v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    if (m->st == PD_OK)
        m->st = pd_gguf_set_u32(m->w, key, (uint32_t)v);
}

static void m_f32(meta *m, const char *suffix, float v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    if (m->st == PD_OK)
        m->st = pd_gguf_set_f32(m->w, key, v);
}

#define M(call) do { if (m->st == PD_OK) m->st = (call); } while (0)

/* llama_ftype of a file whose weights are mostly `t`; llama-quantize
 * --pure writes the _S number for K-quants too. */
static uint32_t file_type(pd_type t, pd_synth_mix mix)
{
    if (mix == PD_SYNTH_MIX_M && t == PD_TYPE_Q4_K)
        return 15;   /* Q4_K_M */
    if (mix == PD_SYNTH_MIX_M && t == PD_TYPE_Q5_K)
        return 17;   /* Q5_K_M */
    switch (t) {
    case PD_TYPE_F32: return 0;
    case PD_TYPE_F16: return 1;
    case PD_TYPE_Q4_0: return 2;
    case PD_TYPE_Q4_1: return 3;
    case PD_TYPE_Q8_0: return 7;
    case PD_TYPE_Q5_0: return 8;
    case PD_TYPE_Q5_1: return 9;
    case PD_TYPE_Q4_K: return 14;   /* Q4_K_S */
    case PD_TYPE_Q5_K: return 16;   /* Q5_K_S */
    case PD_TYPE_Q6_K: return 18;
    case PD_TYPE_BF16: return 32;
    default: return 1;
    }
}

static void meta_general(meta *m, const preset *p, uint64_t seed)
{
    char buf[160];
    M(pd_gguf_set_str(m->w, "general.architecture", m->arch));
    M(pd_gguf_set_str(m->w, "general.type", "model"));
    snprintf(buf, sizeof buf, "%s (synthetic)", p->model_name);
    M(pd_gguf_set_str(m->w, "general.name", buf));
    snprintf(buf, sizeof buf, "random weights written by ponder synth --preset %s (seed %"
             PRIu64 "); not a trained model", p->name, seed);
    M(pd_gguf_set_str(m->w, "general.description", buf));
}

static void meta_arch(meta *m, const preset *p, pd_type type, pd_synth_mix mix)
{
    m_u32(m, "block_count", p->n_layer);
    m_u32(m, "context_length", p->n_ctx);
    m_u32(m, "embedding_length", p->n_embd);
    m_u32(m, "feed_forward_length", p->n_ff);
    m_u32(m, "attention.head_count", p->n_head);
    m_u32(m, "attention.head_count_kv", p->n_head_kv);
    if (p->yarn_factor > 0) {
        char key[128];
        snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch);
        M(pd_gguf_set_str(m->w, key, "yarn"));
        m_f32(m, "rope.scaling.factor", p->yarn_factor);
        m_u32(m, "rope.scaling.original_context_length", p->yarn_orig_ctx);
        m_f32(m, "rope.scaling.yarn_beta_fast", 32);
        m_f32(m, "rope.scaling.yarn_beta_slow", 1);
    }
    m_f32(m, "rope.freq_base", p->rope_base);
    m_f32(m, "attention.layer_norm_rms_epsilon", p->rms_eps);
    if (p->n_expert) {
        m_u32(m, "expert_count", p->n_expert);
        m_u32(m, "expert_used_count", p->n_expert_used);
    }
    if (p->arch == ARCH_QWEN3MOE) {
        m_u32(m, "attention.key_length", p->head_dim);
        m_u32(m, "attention.value_length", p->head_dim);
    }
    if (p->arch == ARCH_DEEPSEEK2) {
        m_u32(m, "expert_group_count", p->n_group);
        m_u32(m, "expert_group_used_count", p->n_group_used);
        m_u32(m, "expert_gating_func", p->gating);
    }
    M(pd_gguf_set_u32(m->w, "general.file_type", file_type(type, mix)));
    if (p->arch == ARCH_QWEN3MOE)
        m_u32(m, "expert_feed_forward_length", p->n_ff_exp);
    if (p->arch == ARCH_DEEPSEEK2) {
        m_u32(m, "leading_dense_block_count", p->n_lead_dense);
        m_u32(m, "vocab_size", p->n_vocab);
        if (p->q_lora)
            m_u32(m, "attention.q_lora_rank", p->q_lora);
        m_u32(m, "attention.kv_lora_rank", p->kv_lora);
        m_u32(m, "attention.key_length", p->kv_lora + p->qk_rope);
        m_u32(m, "attention.value_length", p->kv_lora);
        m_u32(m, "attention.key_length_mla", p->qk_nope + p->qk_rope);
        m_u32(m, "attention.value_length_mla", p->v_head);
        m_u32(m, "expert_feed_forward_length", p->n_ff_exp);
        m_u32(m, "expert_shared_count", p->n_shared);
        m_f32(m, "expert_weights_scale", p->w_scale);
        if (p->w_norm) {
            char key[128];
            snprintf(key, sizeof key, "%s.expert_weights_norm", m->arch);
            M(pd_gguf_set_bool(m->w, key, true));
        }
        m_u32(m, "rope.dimension_count", p->qk_rope);
        if (p->yarn_factor > 0)
            m_f32(m, "rope.scaling.yarn_log_multiplier", p->yarn_log_mul);
    }
    M(pd_gguf_set_u32(m->w, "general.quantization_version", 2));
}

static void meta_tokenizer(meta *m, const preset *p, const vocab *v)
{
    M(pd_gguf_set_str(m->w, "tokenizer.ggml.model", "gpt2"));
    M(pd_gguf_set_str(m->w, "tokenizer.ggml.pre", p->pre));
    M(pd_gguf_set_arr_str(m->w, "tokenizer.ggml.tokens", (const char *const *)v->tok,
                          (uint64_t)v->n));
    M(pd_gguf_set_arr(m->w, "tokenizer.ggml.token_type", PD_GGUF_I32, v->type, (uint64_t)v->n));
    M(pd_gguf_set_arr_str(m->w, "tokenizer.ggml.merges", merges, N_MERGES));
    M(pd_gguf_set_u32(m->w, "tokenizer.ggml.eos_token_id", (uint32_t)resolve_id(p, p->eos)));
    M(pd_gguf_set_u32(m->w, "tokenizer.ggml.padding_token_id", (uint32_t)resolve_id(p, p->pad)));
    M(pd_gguf_set_u32(m->w, "tokenizer.ggml.bos_token_id", (uint32_t)resolve_id(p, p->bos)));
    M(pd_gguf_set_bool(m->w, "tokenizer.ggml.add_bos_token", p->add_bos));
    if (p->add_bos)   /* the DeepSeek tokenizers state both */
        M(pd_gguf_set_bool(m->w, "tokenizer.ggml.add_eos_token", false));
    M(pd_gguf_set_str(m->w, "tokenizer.chat_template", template_text(p->tpl)));
}

/* ------------------------------------------------------------------------
 * Tensors: shapes per architecture, and how each is filled
 * ------------------------------------------------------------------------ */
typedef struct tinfo { float mean, std; uint64_t salt; } tinfo;

typedef struct build {
    pd_gguf_writer *w;
    pd_type type;
    pd_synth_mix mix;    /* PD_SYNTH_PURE unless type is Q4_K or Q5_K */
    int n_layer, n_expert;
    pd_synth_tensor_fn on_tensor;
    void *user;
    tinfo *ti;
    int64_t cap;
    uint64_t params;
    int64_t n_fallback;
    pd_status st;
} build;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* llama-quantize's use_more_bits: the first and last eighth of the layers
 * and every third one between. */
static bool more_bits(int layer, int n_layer)
{
    return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

/* Rows of ne0 values are whole blocks of type t. */
static bool whole_blocks(pd_type t, int64_t ne0) { return ne0 % pd_type_block_elems(t) == 0; }

/* The type llama-quantize's llama_tensor_get_type_impl picks for a matrix
 * of a Q4_K_S/Q4_K_M/Q5_K_S/Q5_K_M file (llama.cpp src/llama-quant.cpp;
 * tests/fixtures/synth holds what llama-quantize itself did). Its layer
 * counters are layer numbers here: one attn_v per layer, and ffn_down's
 * layer comes from the name. Categories go by substrings as there, so
 * attn_k_b/attn_v_b/attn_q_a/attn_q_b/attn_kv_a_mqa keep the file's type. */
static pd_type mix_type(const build *b, const char *name, int64_t ne0)
{
    const bool m = b->mix == PD_SYNTH_MIX_M, q4 = b->type == PD_TYPE_Q4_K;
    const bool experts8 = b->n_expert == 8;   /* llama.cpp's Mixtral rules */
    int layer = -1;
    sscanf(name, "blk.%d.", &layer);
    if (!strcmp(name, "output.weight"))   /* untied: synth always writes it */
        return whole_blocks(b->type, ne0) ? PD_TYPE_Q6_K : PD_TYPE_Q8_0;
    if (strstr(name, "attn_v.weight")) {
        if (experts8)
            return PD_TYPE_Q8_0;
        if (m && more_bits(layer, b->n_layer))
            return PD_TYPE_Q6_K;
        return !m && q4 && layer < 4 ? PD_TYPE_Q5_K : b->type;
    }
    if (strstr(name, "attn_k.weight"))
        return experts8 ? PD_TYPE_Q8_0 : b->type;
    if (strstr(name, "attn_output.weight"))
        return experts8 && q4 ? PD_TYPE_Q5_K : b->type;
    if (strstr(name, "ffn_down")) {
        if (m && more_bits(layer, b->n_layer))
            return PD_TYPE_Q6_K;
        return !m && q4 && layer < b->n_layer / 8 ? PD_TYPE_Q5_K : b->type;
    }
    return b->type;
}

/* The stored type: 1-D tensors and the router stay F32 (as the converter
 * and llama-quantize keep them); rows that are not whole blocks fall back
 * as llama-quantize's tensor_type_fallback does: Q4_K -> Q5_0, Q5_K ->
 * Q5_1, Q6_K -> Q8_0 (DeepSeek's attn_k_b, rows of qk_nope = 128), and
 * F16 when that does not fit either. */
static pd_type pick_type(pd_type want, int n_dims, const char *name, int64_t ne0)
{
    if (n_dims == 1 || strstr(name, "ffn_gate_inp"))
        return PD_TYPE_F32;
    if (whole_blocks(want, ne0))
        return want;
    pd_type fb = PD_TYPE_F16;
    switch (want) {
    case PD_TYPE_Q4_K: fb = PD_TYPE_Q5_0; break;
    case PD_TYPE_Q5_K: fb = PD_TYPE_Q5_1; break;
    case PD_TYPE_Q6_K: fb = PD_TYPE_Q8_0; break;
    default: break;
    }
    return whole_blocks(fb, ne0) ? fb : PD_TYPE_F16;
}

static void add(build *b, const char *name, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2,
                float mean, float std)
{
    if (b->st)
        return;
    const int64_t ne[3] = {ne0, ne1, ne2};
    int64_t idx;
    const pd_type want = b->mix != PD_SYNTH_PURE && n_dims > 1 ? mix_type(b, name, ne0) : b->type;
    pd_type type = pick_type(want, n_dims, name, ne0);
    b->n_fallback += type != want && type != PD_TYPE_F32;
    b->st = pd_gguf_add_tensor(b->w, name, type, n_dims, ne, &idx);
    if (b->st)
        return;
    if (b->on_tensor)
        b->on_tensor(b->user, name, type, n_dims, ne);
    if (idx >= b->cap) {
        int64_t cap = b->cap ? b->cap * 2 : 256;
        tinfo *t = realloc(b->ti, (size_t)cap * sizeof *t);
        if (!t) {
            b->st = pd_fail(PD_ENOMEM, "synth: out of memory");
            return;
        }
        b->ti = t;
        b->cap = cap;
    }
    b->ti[idx] = (tinfo){ mean, std, str_hash(name) };
    b->params += (uint64_t)(ne0 * (n_dims > 1 ? ne1 : 1) * (n_dims > 2 ? ne2 : 1));
}

/* Matrix {k, n} (maps k values to n) and a stack of e of them. */
static void mat(build *b, const char *name, int64_t k, int64_t n)
{
    add(b, name, 2, k, n, 1, 0, 1.0f / sqrtf((float)k));
}

static void mat3(build *b, const char *name, int64_t k, int64_t n, int64_t e)
{
    add(b, name, 3, k, n, e, 0, 1.0f / sqrtf((float)k));
}

static void norm(build *b, const char *name, int64_t n) { add(b, name, 1, n, 1, 1, 1.0f, 0.05f); }

static const char *lname(char *buf, int il, const char *what)
{
    snprintf(buf, 96, "blk.%d.%s", il, what);
    return buf;
}

static void tensors_attn_gqa(build *b, const preset *p, int il, bool bias)
{
    char nb[96];
    int64_t q = p->n_head * p->head_dim, kv = p->n_head_kv * p->head_dim;
    mat(b, lname(nb, il, "attn_q.weight"), p->n_embd, q);
    if (bias) add(b, lname(nb, il, "attn_q.bias"), 1, q, 1, 1, 0, 0.02f);
    mat(b, lname(nb, il, "attn_k.weight"), p->n_embd, kv);
    if (bias) add(b, lname(nb, il, "attn_k.bias"), 1, kv, 1, 1, 0, 0.02f);
    mat(b, lname(nb, il, "attn_v.weight"), p->n_embd, kv);
    if (bias) add(b, lname(nb, il, "attn_v.bias"), 1, kv, 1, 1, 0, 0.02f);
    mat(b, lname(nb, il, "attn_output.weight"), q, p->n_embd);
}

static void tensors_qwen(build *b, const preset *p, int il)
{
    char nb[96];
    norm(b, lname(nb, il, "attn_norm.weight"), p->n_embd);
    if (p->arch == ARCH_QWEN3MOE) {
        int64_t q = p->n_head * p->head_dim, kv = p->n_head_kv * p->head_dim;
        mat(b, lname(nb, il, "attn_q.weight"), p->n_embd, q);
        mat(b, lname(nb, il, "attn_k.weight"), p->n_embd, kv);
        mat(b, lname(nb, il, "attn_v.weight"), p->n_embd, kv);
        norm(b, lname(nb, il, "attn_q_norm.weight"), p->head_dim);
        norm(b, lname(nb, il, "attn_k_norm.weight"), p->head_dim);
        mat(b, lname(nb, il, "attn_output.weight"), q, p->n_embd);
        norm(b, lname(nb, il, "ffn_norm.weight"), p->n_embd);
        mat(b, lname(nb, il, "ffn_gate_inp.weight"), p->n_embd, p->n_expert);
        mat3(b, lname(nb, il, "ffn_gate_exps.weight"), p->n_embd, p->n_ff_exp, p->n_expert);
        mat3(b, lname(nb, il, "ffn_up_exps.weight"), p->n_embd, p->n_ff_exp, p->n_expert);
        mat3(b, lname(nb, il, "ffn_down_exps.weight"), p->n_ff_exp, p->n_embd, p->n_expert);
    } else {
        tensors_attn_gqa(b, p, il, true);
        norm(b, lname(nb, il, "ffn_norm.weight"), p->n_embd);
        mat(b, lname(nb, il, "ffn_gate.weight"), p->n_embd, p->n_ff);
        mat(b, lname(nb, il, "ffn_up.weight"), p->n_embd, p->n_ff);
        mat(b, lname(nb, il, "ffn_down.weight"), p->n_ff, p->n_embd);
    }
}

static void tensors_deepseek2(build *b, const preset *p, int il)
{
    char nb[96];
    int64_t qk = p->qk_nope + p->qk_rope;
    norm(b, lname(nb, il, "attn_norm.weight"), p->n_embd);
    if (p->q_lora) {
        mat(b, lname(nb, il, "attn_q_a.weight"), p->n_embd, p->q_lora);
        norm(b, lname(nb, il, "attn_q_a_norm.weight"), p->q_lora);
        mat(b, lname(nb, il, "attn_q_b.weight"), p->q_lora, p->n_head * qk);
    } else {
        mat(b, lname(nb, il, "attn_q.weight"), p->n_embd, p->n_head * qk);
    }
    mat(b, lname(nb, il, "attn_kv_a_mqa.weight"), p->n_embd, p->kv_lora + p->qk_rope);
    norm(b, lname(nb, il, "attn_kv_a_norm.weight"), p->kv_lora);
    /* k_b is stored transposed per head: {qk_nope, kv_lora, heads} */
    add(b, lname(nb, il, "attn_k_b.weight"), 3, p->qk_nope, p->kv_lora, p->n_head, 0,
        1.0f / sqrtf((float)p->kv_lora));
    mat3(b, lname(nb, il, "attn_v_b.weight"), p->kv_lora, p->v_head, p->n_head);
    mat(b, lname(nb, il, "attn_output.weight"), p->n_head * p->v_head, p->n_embd);
    norm(b, lname(nb, il, "ffn_norm.weight"), p->n_embd);
    if (il < p->n_lead_dense) {
        mat(b, lname(nb, il, "ffn_gate.weight"), p->n_embd, p->n_ff);
        mat(b, lname(nb, il, "ffn_up.weight"), p->n_embd, p->n_ff);
        mat(b, lname(nb, il, "ffn_down.weight"), p->n_ff, p->n_embd);
        return;
    }
    mat(b, lname(nb, il, "ffn_gate_inp.weight"), p->n_embd, p->n_expert);
    if (p->probs_bias)
        add(b, lname(nb, il, "exp_probs_b.bias"), 1, p->n_expert, 1, 1, 0, 0.05f);
    mat3(b, lname(nb, il, "ffn_gate_exps.weight"), p->n_embd, p->n_ff_exp, p->n_expert);
    mat3(b, lname(nb, il, "ffn_up_exps.weight"), p->n_embd, p->n_ff_exp, p->n_expert);
    mat3(b, lname(nb, il, "ffn_down_exps.weight"), p->n_ff_exp, p->n_embd, p->n_expert);
    if (p->n_shared) {
        int64_t ff = p->n_ff_exp * p->n_shared;
        mat(b, lname(nb, il, "ffn_gate_shexp.weight"), p->n_embd, ff);
        mat(b, lname(nb, il, "ffn_up_shexp.weight"), p->n_embd, ff);
        mat(b, lname(nb, il, "ffn_down_shexp.weight"), ff, p->n_embd);
    }
}

static void tensors_all(build *b, const preset *p)
{
    add(b, "token_embd.weight", 2, p->n_embd, p->n_vocab, 1, 0, 0.25f);
    for (int il = 0; il < p->n_layer; il++) {
        if (p->arch == ARCH_DEEPSEEK2)
            tensors_deepseek2(b, p, il);
        else
            tensors_qwen(b, p, il);
    }
    norm(b, "output_norm.weight", p->n_embd);
    add(b, "output.weight", 2, p->n_embd, p->n_vocab, 1, 0, 2.0f / sqrtf((float)p->n_embd));
}

/* ------------------------------------------------------------------------
 * Filling: every row from its own seed, so chunking and threads do not
 * change the bytes
 * ------------------------------------------------------------------------ */
typedef struct fill_ctx {
    const tinfo *ti;
    uint64_t seed;
    int n_threads;
} fill_ctx;

typedef struct fill_job {
    const fill_ctx *c;
    const tinfo *ti;
    const pd_gguf_tensor *t;
    int64_t row0, row1;       /* absolute rows of this job */
    int64_t base_row;         /* first row of dst */
    size_t row_bytes;
    uint8_t *dst;
    bool oom;
} fill_job;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void random_row(float *x, int64_t n, uint64_t seed, float mean, float std)
{
    uint64_t s = seed, r = splitmix64(&s);
    const float a = std * 1.7320508f;           /* uniform [-a, a) has this std */
    const float scale = 2.0f * a / 4294967296.0f;
    for (int64_t i = 0; i < n; i += 2) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;   /* xorshift64 */
        x[i] = mean - a + scale * (float)(uint32_t)r;
        if (i + 1 < n)
            x[i + 1] = mean - a + scale * (float)(uint32_t)(r >> 32);
    }
}

static void *fill_rows(void *arg)
{
    fill_job *j = arg;
    int64_t n = j->t->ne[0];
    float *x = malloc((size_t)n * sizeof *x);
    if (!x) {
        j->oom = true;
        return NULL;
    }
    for (int64_t r = j->row0; r < j->row1; r++) {
        uint64_t seed = j->c->seed ^ j->ti->salt ^ ((uint64_t)r * 0xD1B54A32D192ED03ull);
        random_row(x, n, seed, j->ti->mean, j->ti->std);
        uint8_t *out = j->dst + (size_t)(r - j->base_row) * j->row_bytes;
        if (j->t->type == PD_TYPE_F32)
            memcpy(out, x, (size_t)n * sizeof *x);
        else
            pd_quantize_row((pd_type)j->t->type, x, out, n);
    }
    free(x);
    return NULL;
}

static pd_status fill(void *user, int64_t index, const pd_gguf_tensor *t,
                      int64_t row0, int64_t n_rows, void *dst)
{
    const fill_ctx *c = user;
    enum { MAX_THREADS = 64 };
    int nt = c->n_threads < 1 ? 1 : c->n_threads > MAX_THREADS ? MAX_THREADS : c->n_threads;
    if (nt > n_rows)
        nt = (int)n_rows;
    fill_job jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    size_t row_bytes = (size_t)(t->nbytes / (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]));
    for (int k = 0; k < nt; k++)
        jobs[k] = (fill_job){ c, &c->ti[index], t, row0 + n_rows * k / nt,
                              row0 + n_rows * (k + 1) / nt, row0, row_bytes, dst, false };
    int started = 1;
    for (int k = 1; k < nt; k++, started++)
        if (pthread_create(&th[k], NULL, fill_rows, &jobs[k]) != 0)
            break;
    fill_rows(&jobs[0]);
    for (int k = started; k < nt; k++)   /* threads that did not start: do it here */
        fill_rows(&jobs[k]);
    bool oom = jobs[0].oom;
    for (int k = 1; k < nt; k++) {
        if (k < started)
            pthread_join(th[k], NULL);
        oom |= jobs[k].oom;
    }
    return oom ? pd_fail(PD_ENOMEM, "synth: out of memory") : PD_OK;
}

/* ------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------ */
static const preset *find_preset(const char *name)
{
    for (size_t i = 0; i < N_PRESETS; i++)
        if (name && strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

static const char *arch_name(arch_kind a)
{
    return a == ARCH_QWEN3MOE ? "qwen3moe" : a == ARCH_DEEPSEEK2 ? "deepseek2" : "qwen2";
}

/* The preset with --layers/--experts applied, or an error. */
static pd_status resize_preset(preset *p, const pd_synth_opts *o)
{
    if (o->n_layer < 0 || o->n_expert < 0)
        return pd_fail(PD_EARG, "synth: negative layer or expert count");
    if (o->n_layer > 0)
        p->n_layer = o->n_layer;
    if (o->n_expert > 0) {
        if (!p->n_expert)
            return pd_fail(PD_EARG, "synth: preset %s has no experts", p->name);
        if (o->n_expert < p->n_expert_used || (p->n_group && o->n_expert % p->n_group))
            return pd_fail(PD_EARG, "synth: preset %s needs at least %" PRId64 " experts, a "
                           "multiple of %" PRId64, p->name, p->n_expert_used,
                           p->n_group ? p->n_group : 1);
        p->n_expert = o->n_expert;
    }
    return PD_OK;
}

pd_status pd_synth_write(const pd_synth_opts *o, const char *path, pd_synth_result *res)
{
    const preset *found = find_preset(o->preset);
    if (!found)
        return pd_fail(PD_EARG, "synth: unknown preset '%s'", o->preset ? o->preset : "");
    if (!path && !o->dry_run)
        return pd_fail(PD_EARG, "synth: no output file");
    if (!pd_synth_type_ok(o->type))
        return pd_fail(PD_EARG, "synth: cannot write weights of type %s", pd_type_name(o->type));
    if (o->mix != PD_SYNTH_PURE && o->type != PD_TYPE_Q4_K && o->type != PD_TYPE_Q5_K)
        return pd_fail(PD_EARG, "synth: the _S and _M mixes are for Q4_K and Q5_K, not %s",
                       pd_type_name(o->type));
    preset resized = *found, *p = &resized;
    pd_status st = resize_preset(p, o);
    if (st)
        return st;
    pd_gguf_writer *w;
    st = pd_gguf_writer_new(&w);
    if (st)
        return st;
    vocab v = {0};
    meta m = { w, arch_name(p->arch), PD_OK };
    build b = { w, o->type, o->mix, (int)p->n_layer, (int)p->n_expert, o->on_tensor, o->user,
                NULL, 0, 0, 0, PD_OK };
    if ((st = vocab_build(p, &v)) == PD_OK) {
        meta_general(&m, p, o->seed);
        meta_arch(&m, p, o->type, o->mix);
        meta_tokenizer(&m, p, &v);
        st = m.st;
    }
    vocab_free(&v);   /* the writer keeps its own serialised copy */
    if (st == PD_OK) {
        tensors_all(&b, p);
        st = b.st;
    }
    if (st == PD_OK && res)
        *res = (pd_synth_result){ b.params, pd_gguf_writer_file_size(w),
                                  pd_gguf_writer_n_tensors(w), b.n_fallback };
    if (st == PD_OK && !o->dry_run) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        fill_ctx c = { b.ti, o->seed, o->n_threads > 0 ? o->n_threads : cores > 0 ? (int)cores : 1 };
        st = pd_gguf_writer_write(w, path, fill, &c, o->progress, o->user);
    }
    free(b.ti);
    pd_gguf_writer_free(w);
    return st;
}
