/* tokenizer.c - byte-level BPE vocabulary (GGUF tokenizer.ggml.model = gpt2):
 * loading tokens, merges and special ids, lookups, decoded pieces, and the
 * streaming detokenizer. Encoding is in bpe.c. Behaviour follows llama.cpp
 * (see tokenizer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

/* ------------------------------------------------------------------------
 * Hash tables: token text -> id, and (left id, right id) -> merge
 * ------------------------------------------------------------------------ */
static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
}

static const char *tok_str(const pd_tokenizer *t, int32_t id, size_t *len)
{
    *len = t->text_len[id];
    return t->text + t->text_off[id];
}

int32_t pd_tok_lookup_n(const pd_tokenizer *t, const char *s, size_t n)
{
    size_t i = (size_t)hash_bytes(s, n) & t->tok_mask;
    for (;;) {
        int32_t id = t->tok_ht[i];
        if (id < 0) return -1;
        if (t->text_len[id] == n && memcmp(t->text + t->text_off[id], s, n) == 0) return id;
        i = (i + 1) & t->tok_mask;
    }
}

/* Later duplicates replace earlier ones (llama.cpp's token_to_id map). */
static void tok_insert(pd_tokenizer *t, int32_t id)
{
    size_t n;
    const char *s = tok_str(t, id, &n);
    size_t i = (size_t)hash_bytes(s, n) & t->tok_mask;
    for (;;) {
        int32_t o = t->tok_ht[i];
        if (o < 0) { t->tok_ht[i] = id; return; }
        if (t->text_len[o] == n && memcmp(t->text + t->text_off[o], s, n) == 0) {
            t->tok_ht[i] = id;
            return;
        }
        i = (i + 1) & t->tok_mask;
    }
}

const merge_ent *pd_tok_merge_find(const pd_tokenizer *t, int32_t l, int32_t r)
{
    uint64_t key = ((uint64_t)(uint32_t)l << 32) | (uint32_t)r;
    size_t i = (size_t)hash_u64(key) & t->merge_mask;
    for (;;) {
        const merge_ent *e = &t->merge_ht[i];
        if (e->key == key) return e;
        if (e->key == UINT64_MAX) return NULL;
        i = (i + 1) & t->merge_mask;
    }
}

/* First rank wins when a pair repeats. */
static void merge_insert(pd_tokenizer *t, int32_t l, int32_t r, int32_t rank, int32_t result)
{
    uint64_t key = ((uint64_t)(uint32_t)l << 32) | (uint32_t)r;
    size_t i = (size_t)hash_u64(key) & t->merge_mask;
    for (;;) {
        merge_ent *e = &t->merge_ht[i];
        if (e->key == key) return;
        if (e->key == UINT64_MAX) {
            e->key = key;
            e->rank = rank;
            e->result = result;
            return;
        }
        i = (i + 1) & t->merge_mask;
    }
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

/* ------------------------------------------------------------------------
 * GPT-2 byte <-> unicode mapping
 * ------------------------------------------------------------------------ */
static uint32_t byte_to_cp(unsigned b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) return b;
    /* the others, in order, map to 256, 257, ... */
    unsigned n = 0;
    for (unsigned c = 0; c < b; c++)
        if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || c >= 174)) n++;
    return 256 + n;
}

static int cp_to_utf8(uint32_t c, char *o)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static void init_byte_tables(pd_tokenizer *t)
{
    for (int c = 0; c < 324; c++) t->cp_to_byte[c] = -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = byte_to_cp(b);
        t->byte_enc[b].n = (uint8_t)cp_to_utf8(c, t->byte_enc[b].s);
        t->cp_to_byte[c] = (int16_t)b;
    }
}

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */
static bool str_eq(const pd_gguf_str *s, const char *c)
{
    size_t n = strlen(c);
    return s->len == n && memcmp(s->ptr, c, n) == 0;
}

static pd_status load_tokens(pd_tokenizer *t, const pd_gguf *g)
{
    const pd_gguf_kv *toks = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
    if (!toks || toks->arr_type != PD_GGUF_STRING || !toks->strs)
        return pd_fail(PD_EFORMAT, "%s: tokenizer.ggml.tokens is missing or not a string array", g->path);
    if (toks->arr_count == 0 || toks->arr_count > (1u << 30))
        return pd_fail(PD_EFORMAT, "%s: bad vocabulary size %llu", g->path,
                       (unsigned long long)toks->arr_count);
    int n = (int)toks->arr_count;
    t->n_vocab = n;

    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += (toks->strs[i].len ? toks->strs[i].len : 24) + 1;
    if (total > UINT32_MAX) return pd_fail(PD_EFORMAT, "%s: vocabulary strings too large", g->path);
    t->text = malloc(total);
    t->text_off = malloc((size_t)n * sizeof *t->text_off);
    t->text_len = malloc((size_t)n * sizeof *t->text_len);
    t->type = calloc((size_t)n, 1);
    t->eog = calloc((size_t)n, 1);
    if (!t->text || !t->text_off || !t->text_len || !t->type || !t->eog)
        return pd_fail(PD_ENOMEM, "%s: out of memory for the vocabulary", g->path);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const pd_gguf_str *s = &toks->strs[i];
        t->text_off[i] = (uint32_t)off;
        if (s->len == 0)   /* as llama.cpp: an empty token gets a placeholder text */
            t->text_len[i] = (uint32_t)snprintf(t->text + off, 24, "[EMPTY_%d]", i);
        else {
            memcpy(t->text + off, s->ptr, s->len);
            t->text_len[i] = (uint32_t)s->len;
        }
        off += t->text_len[i];
        t->text[off++] = 0;
    }

    const pd_gguf_kv *types = pd_gguf_get_arr(g, "tokenizer.ggml.token_type");
    if (types && types->arr_count != (uint64_t)n)
        return pd_fail(PD_EFORMAT, "%s: tokenizer.ggml.token_type has %llu entries for %d tokens",
                       g->path, (unsigned long long)types->arr_count, n);
    for (int i = 0; i < n; i++) {
        int64_t v = PD_TOK_NORMAL;
        if (types && !pd_gguf_arr_i64(types, (uint64_t)i, &v))
            return pd_fail(PD_EFORMAT, "%s: tokenizer.ggml.token_type is not an integer array", g->path);
        t->type[i] = (v >= PD_TOK_NORMAL && v <= PD_TOK_BYTE) ? (uint8_t)v : 0;
    }

    t->tok_mask = pow2_at_least((size_t)n * 2) - 1;
    t->tok_ht = malloc((t->tok_mask + 1) * sizeof *t->tok_ht);
    if (!t->tok_ht) return pd_fail(PD_ENOMEM, "%s: out of memory for the vocabulary", g->path);
    memset(t->tok_ht, 0xFF, (t->tok_mask + 1) * sizeof *t->tok_ht);
    for (int i = 0; i < n; i++) tok_insert(t, i);

    for (int b = 0; b < 256; b++)
        t->byte_tok[b] = pd_tok_lookup_n(t, t->byte_enc[b].s, t->byte_enc[b].n);
    return PD_OK;
}

static pd_status load_merges(pd_tokenizer *t, const pd_gguf *g)
{
    const pd_gguf_kv *m = pd_gguf_get_arr(g, "tokenizer.ggml.merges");
    uint64_t n = 0;
    if (m) {
        if (m->arr_type != PD_GGUF_STRING || !m->strs)
            return pd_fail(PD_EFORMAT, "%s: tokenizer.ggml.merges is not a string array", g->path);
        if (m->arr_count > (1u << 28))
            return pd_fail(PD_EFORMAT, "%s: too many merges", g->path);
        n = m->arr_count;
    }
    t->merge_mask = pow2_at_least((size_t)n * 2) - 1;
    t->merge_ht = malloc((t->merge_mask + 1) * sizeof *t->merge_ht);
    if (!t->merge_ht) return pd_fail(PD_ENOMEM, "%s: out of memory for the merges", g->path);
    for (size_t i = 0; i <= t->merge_mask; i++) t->merge_ht[i].key = UINT64_MAX;

    char *buf = NULL;
    size_t bufcap = 0;
    for (uint64_t i = 0; i < n; i++) {
        const pd_gguf_str *s = &m->strs[i];
        /* "left right": the separator is the first space after position 0 */
        const char *sp = s->len > 1 ? memchr(s->ptr + 1, ' ', s->len - 1) : NULL;
        if (!sp) {
            free(buf);
            return pd_fail(PD_EFORMAT, "%s: merge %llu has no space", g->path, (unsigned long long)i);
        }
        size_t ln = (size_t)(sp - s->ptr), rn = s->len - ln - 1;
        int32_t l = pd_tok_lookup_n(t, s->ptr, ln), r = pd_tok_lookup_n(t, sp + 1, rn);
        if (ln + rn > bufcap) {
            bufcap = (ln + rn) * 2;
            char *nb = realloc(buf, bufcap);
            if (!nb) { free(buf); return pd_fail(PD_ENOMEM, "out of memory"); }
            buf = nb;
        }
        memcpy(buf, s->ptr, ln);
        memcpy(buf + ln, sp + 1, rn);
        int32_t res = pd_tok_lookup_n(t, buf, ln + rn);
        /* A merge whose parts or result are not tokens can never produce a
         * token: skipped (only malformed vocabularies have them). */
        if (l >= 0 && r >= 0 && res >= 0) merge_insert(t, l, r, (int32_t)i, res);
    }
    free(buf);
    return PD_OK;
}

/* tokenizer.ggml.X_token_id when present and in range. */
static int32_t get_id(const pd_gguf *g, const pd_tokenizer *t, const char *key, int32_t def)
{
    uint32_t v;
    if (pd_gguf_get_u32(g, key, &v) && v < (uint32_t)t->n_vocab) return (int32_t)v;
    return def;
}

static void force_control(pd_tokenizer *t, int32_t id)
{
    if (id >= 0) t->type[id] = PD_TOK_CONTROL;
}

/* First token of the list that exists, or -1. */
static int32_t find_any(const pd_tokenizer *t, const char *const *names)
{
    for (; *names; names++) {
        int32_t id = pd_tok_lookup_n(t, *names, strlen(*names));
        if (id >= 0) return id;
    }
    return -1;
}

/* llama.cpp's fix-ups: end-of-turn and FIM tokens found by their text are
 * made CONTROL; the end-of-generation set is built from them. */
static void find_special_ids(pd_tokenizer *t, const pd_gguf *g)
{
    static const char *const eot_names[] = {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|end_of_text|>", "<EOT>", "_<EOT>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
        "<end_of_utterance>", NULL };
    static const char *const eom_names[] = { "<|eom_id|>", NULL };
    static const char *const fim_names[6][8] = {
        { "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
          "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", NULL },
        { "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>",
          "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", NULL },
        { "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
          "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", NULL },
        { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", NULL },
        { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL },
        { "<|file_sep|>", NULL },
    };
    static const char *const fim_keys[6] = {
        "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
        "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.fim_pad_token_id",
        "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id" };
    static const char *const eog_names[] = {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
        "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
        "<end_of_utterance>", "</s>", NULL };

    t->bos = get_id(g, t, "tokenizer.ggml.bos_token_id", -1);
    t->eos = get_id(g, t, "tokenizer.ggml.eos_token_id", -1);
    t->eot = get_id(g, t, "tokenizer.ggml.eot_token_id", -1);
    t->eom = get_id(g, t, "tokenizer.ggml.eom_token_id", -1);
    if (t->eot < 0) force_control(t, t->eot = find_any(t, eot_names));
    if (t->eom < 0) force_control(t, t->eom = find_any(t, eom_names));
    int32_t fim[6];
    for (int k = 0; k < 6; k++) {
        fim[k] = get_id(g, t, fim_keys[k], -1);
        if (fim[k] < 0) force_control(t, fim[k] = find_any(t, fim_names[k]));
    }
    for (int k = 3; k < 6; k++)     /* pad, repo, file_sep end generation */
        if (fim[k] >= 0) t->eog[fim[k]] = 1;
    for (const char *const *p = eog_names; *p; p++) {
        int32_t id = pd_tok_lookup_n(t, *p, strlen(*p));
        if (id >= 0) {
            t->eog[id] = 1;
            force_control(t, id);
        }
    }
    if (t->eos >= 0) t->eog[t->eos] = 1;
    if (t->eot >= 0) t->eog[t->eot] = 1;
    if (t->eom >= 0) t->eog[t->eom] = 1;
}

typedef struct len_id { uint32_t len; int32_t id; } len_id;

static int len_id_cmp(const void *a, const void *b)
{
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool is_added(uint8_t type)
{
    return type == PD_TOK_CONTROL || type == PD_TOK_USER_DEFINED || type == PD_TOK_UNKNOWN;
}

/* Added tokens, longest text first (ties: lower id first), and an index by
 * first byte (same order) with a two-byte prefilter. */
static pd_status build_specials(pd_tokenizer *t)
{
    int n = 0;
    for (int i = 0; i < t->n_vocab; i++) n += is_added(t->type[i]);
    len_id *v = malloc(((size_t)n + 1) * sizeof *v);
    t->special = malloc(((size_t)n + 1) * sizeof *t->special);
    t->by_first_tok = malloc(((size_t)n + 1) * sizeof *t->by_first_tok);
    t->by_first_prio = malloc(((size_t)n + 1) * sizeof *t->by_first_prio);
    if (!v || !t->special || !t->by_first_tok || !t->by_first_prio) {
        free(v);
        return pd_fail(PD_ENOMEM, "out of memory");
    }
    for (int i = 0; i < t->n_vocab; i++)
        if (is_added(t->type[i])) v[t->n_special++] = (len_id){ t->text_len[i], i };
    qsort(v, (size_t)t->n_special, sizeof *v, len_id_cmp);
    int count[256] = {0};
    for (int k = 0; k < t->n_special; k++) {
        const unsigned char *s = (const unsigned char *)t->text + t->text_off[v[k].id];
        t->special[k] = v[k].id;
        count[s[0]]++;
        unsigned pair = v[k].len > 1 ? (unsigned)s[0] << 8 | s[1] : 0;
        if (v[k].len > 1) t->special_pair[pair >> 3] |= (uint8_t)(1u << (pair & 7));
        else for (unsigned b = 0; b < 256; b++) {   /* one-byte text: any next byte */
            pair = (unsigned)s[0] << 8 | b;
            t->special_pair[pair >> 3] |= (uint8_t)(1u << (pair & 7));
        }
    }
    t->by_first[0] = 0;
    for (int b = 0; b < 256; b++) t->by_first[b + 1] = t->by_first[b] + count[b];
    int fill[256];
    memcpy(fill, t->by_first, sizeof fill);
    for (int k = 0; k < t->n_special; k++) {
        unsigned char b0 = (unsigned char)t->text[t->text_off[v[k].id]];
        t->by_first_tok[fill[b0]] = v[k].id;
        t->by_first_prio[fill[b0]++] = k;
    }
    free(v);
    return PD_OK;
}

/* The bytes a token decodes to. */
static pd_status build_pieces(pd_tokenizer *t)
{
    size_t total = 0;
    for (int i = 0; i < t->n_vocab; i++) total += t->text_len[i] + 1;
    t->piece = malloc(total);
    t->piece_off = malloc((size_t)t->n_vocab * sizeof *t->piece_off);
    t->piece_len = malloc((size_t)t->n_vocab * sizeof *t->piece_len);
    if (!t->piece || !t->piece_off || !t->piece_len) return pd_fail(PD_ENOMEM, "out of memory");
    size_t off = 0;
    for (int i = 0; i < t->n_vocab; i++) {
        const unsigned char *s = (const unsigned char *)t->text + t->text_off[i];
        size_t n = t->text_len[i], o = off;
        t->piece_off[i] = (uint32_t)off;
        switch (t->type[i]) {
        case PD_TOK_CONTROL: case PD_TOK_UNKNOWN: case PD_TOK_USER_DEFINED:
            memcpy(t->piece + o, s, n);
            o += n;
            break;
        case PD_TOK_NORMAL:
            for (size_t j = 0; j < n;) {
                int k = pd_utf8_seq(s + j, n - j);
                if (k <= 0) { t->piece[o++] = (char)s[j++]; continue; }
                uint32_t c = k == 1 ? s[j] : k == 2 ? (((uint32_t)(s[j] & 0x1F) << 6) | (s[j + 1] & 0x3F)) : 0xFFFFFFFF;
                if (c < 324 && t->cp_to_byte[c] >= 0)
                    t->piece[o++] = (char)t->cp_to_byte[c];
                else {   /* not a byte-level character: kept as it is */
                    memcpy(t->piece + o, s + j, (size_t)k);
                    o += (size_t)k;
                }
                j += (size_t)k;
            }
            break;
        default:   /* unused, byte, undefined: no text (as llama.cpp) */
            break;
        }
        t->piece_len[i] = (uint32_t)(o - off);
        t->piece[o++] = 0;
        off = o;
    }
    return PD_OK;
}

pd_status pd_tokenizer_load(const pd_gguf *g, pd_tokenizer **out)
{
    *out = NULL;
    pd_gguf_str model;
    if (!pd_gguf_get_str(g, "tokenizer.ggml.model", &model))
        return pd_fail(PD_EFORMAT, "%s: no tokenizer (tokenizer.ggml.model is missing)", g->path);
    if (!str_eq(&model, "gpt2"))
        return pd_fail(PD_EUNSUPPORTED, "%s: tokenizer '%.*s' is not supported (only gpt2 byte-level BPE)",
                       g->path, (int)(model.len > 40 ? 40 : model.len), model.ptr);

    pd_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return pd_fail(PD_ENOMEM, "out of memory");
    init_byte_tables(t);
    pd_status st = load_tokens(t, g);
    if (!st) st = load_merges(t, g);
    if (st) { pd_tokenizer_free(t); return st; }

    pd_gguf_str pre;
    if (pd_gguf_get_str(g, "tokenizer.ggml.pre", &pre)) {
        size_t n = pre.len < sizeof t->pre_name - 1 ? pre.len : sizeof t->pre_name - 1;
        memcpy(t->pre_name, pre.ptr, n);
        t->pre_name[n] = 0;
    } else
        strcpy(t->pre_name, "default");
    t->pre = pd_pre_from_name(t->pre_name, NULL);
    t->ignore_merges = t->pre == PD_PRE_LLAMA3;
    t->add_bos = t->pre == PD_PRE_LLAMA3;
    bool b;
    if (pd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b)) t->add_bos = b;

    find_special_ids(t, g);
    st = build_specials(t);
    if (!st) st = build_pieces(t);
    if (!st) st = pd_pretok_new(t->pre, &t->pretok);
    if (st) { pd_tokenizer_free(t); return st; }
    *out = t;
    return PD_OK;
}

void pd_tokenizer_free(pd_tokenizer *t)
{
    if (!t) return;
    free(t->text); free(t->text_off); free(t->text_len);
    free(t->piece); free(t->piece_off); free(t->piece_len);
    free(t->type); free(t->eog); free(t->tok_ht); free(t->merge_ht);
    free(t->special); free(t->by_first_tok); free(t->by_first_prio);
    pd_pretok_free(t->pretok);
    free(t);
}

/* ------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------ */
int pd_tokenizer_n_vocab(const pd_tokenizer *t) { return t->n_vocab; }
pd_pre_type pd_tokenizer_pre(const pd_tokenizer *t) { return t->pre; }
const char *pd_tokenizer_pre_name(const pd_tokenizer *t) { return t->pre_name; }
int32_t pd_token_bos(const pd_tokenizer *t) { return t->bos; }
int32_t pd_token_eos(const pd_tokenizer *t) { return t->eos; }
bool pd_tokenizer_add_bos(const pd_tokenizer *t) { return t->add_bos && t->bos >= 0; }

static bool in_range(const pd_tokenizer *t, int32_t id) { return id >= 0 && id < t->n_vocab; }

const char *pd_token_text(const pd_tokenizer *t, int32_t id)
{
    return in_range(t, id) ? t->text + t->text_off[id] : NULL;
}

const char *pd_token_piece(const pd_tokenizer *t, int32_t id, size_t *len)
{
    if (!in_range(t, id)) { if (len) *len = 0; return NULL; }
    if (len) *len = t->piece_len[id];
    return t->piece + t->piece_off[id];
}

int32_t pd_token_lookup(const pd_tokenizer *t, const char *text)
{
    return text ? pd_tok_lookup_n(t, text, strlen(text)) : -1;
}

int pd_token_type(const pd_tokenizer *t, int32_t id) { return in_range(t, id) ? t->type[id] : 0; }
bool pd_token_is_eog(const pd_tokenizer *t, int32_t id) { return in_range(t, id) && t->eog[id]; }
bool pd_token_is_control(const pd_tokenizer *t, int32_t id)
{
    return in_range(t, id) && t->type[id] == PD_TOK_CONTROL;
}

/* ------------------------------------------------------------------------
 * Streaming detokenizer
 * ------------------------------------------------------------------------ */
/* Append n bytes at *o; false (nothing written) when they do not fit. */
static bool put(char *out, size_t cap, size_t *o, const void *p, size_t n)
{
    if (n > cap - *o) return false;
    memcpy(out + *o, p, n);
    *o += n;
    return true;
}

/* Emit the complete sequences of buf[0..n); keep an incomplete tail in d
 * unless final (then it becomes U+FFFD). */
static size_t drain(pd_detok *d, const unsigned char *buf, size_t n, bool final, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    d->n_pending = 0;
    while (i < n) {
        int k = pd_utf8_seq(buf + i, n - i);
        if (k > 0) {
            if (!put(out, cap, &o, buf + i, (size_t)k)) break;   /* full: the rest is dropped */
            i += (size_t)k;
        } else if (k < 0 && !final) {   /* incomplete: wait for more bytes */
            memcpy(d->pending, buf + i, n - i);
            d->n_pending = (int)(n - i);
            break;
        } else {
            if (!put(out, cap, &o, "\xEF\xBF\xBD", 3)) break;
            i += k < 0 ? n - i : 1;
        }
    }
    return o;
}

size_t pd_detok_push(pd_detok *d, const pd_tokenizer *t, int32_t id, char *out, size_t cap)
{
    size_t plen;
    const char *p = pd_token_piece(t, id, &plen);
    if (!p || plen == 0) return 0;
    if (d->n_pending < 0 || d->n_pending > 3) d->n_pending = 0;
    /* Pending bytes (< 4) + the piece; short pieces go through a stack buffer. */
    unsigned char small[256];
    size_t n = (size_t)d->n_pending + plen;
    unsigned char *buf = n <= sizeof small ? small : malloc(n);
    if (!buf) return 0;
    memcpy(buf, d->pending, (size_t)d->n_pending);
    memcpy(buf + d->n_pending, p, plen);
    size_t o = drain(d, buf, n, false, out, cap);
    if (buf != small) free(buf);
    return o;
}

size_t pd_detok_flush(pd_detok *d, char *out, size_t cap)
{
    if (d->n_pending <= 0 || d->n_pending > 3) { d->n_pending = 0; return 0; }
    unsigned char buf[8];
    size_t n = (size_t)d->n_pending;
    memcpy(buf, d->pending, n);
    return drain(d, buf, n, true, out, cap);
}
