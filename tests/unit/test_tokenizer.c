/* test_tokenizer.c - the BPE tokenizer against llama.cpp's vectors (oracle),
 * our own HF-generated edge cases (tests/fixtures/tokenizer), invalid UTF-8,
 * the streaming detokenizer, and an encode-speed figure (printed, not
 * asserted). */
#include <stdint.h>
#include <time.h>

#include "t.h"
#include "gguf.h"
#include "tokenizer.h"
#include "pretok.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (;;) {
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static pd_tokenizer *load_vocab(const char *path)
{
    pd_gguf *g = NULL;
    if (pd_gguf_open(path, &g) != PD_OK) T_FAIL_("open %s: %s", path, pd_errmsg());
    pd_tokenizer *t = NULL;
    pd_status st = pd_tokenizer_load(g, &t);
    pd_gguf_close(g);
    if (st != PD_OK) T_FAIL_("load %s: %s", path, pd_errmsg());
    return t;
}

/* Split an .inp file on the exact separator. */
#define SEP "\n__ggml_vocab_test__\n"
typedef struct { const char *s; size_t n; } span;

static size_t split_inp(char *buf, size_t len, span *out, size_t max)
{
    size_t n = 0, sl = strlen(SEP);
    char *p = buf, *end = buf + len;
    while (n < max) {
        char *q = NULL;
        for (char *x = p; x + sl <= end; x++)
            if (memcmp(x, SEP, sl) == 0) { q = x; break; }
        if (!q) { out[n++] = (span){ p, (size_t)(end - p) }; break; }
        out[n++] = (span){ p, (size_t)(q - p) };
        p = q + sl;
    }
    return n;
}

/* Lines of an .out file (a trailing newline does not make a last line). */
static size_t split_lines(char *buf, size_t len, char **out, size_t max)
{
    size_t n = 0;
    char *p = buf, *end = buf + len;
    while (p < end && n < max) {
        char *q = memchr(p, '\n', (size_t)(end - p));
        if (!q) q = end;
        *q = 0;
        out[n++] = p;
        p = q + 1;
    }
    return n;
}

/* Compare one text with one line of ids; fills why on mismatch. */
static bool check_one(const pd_tokenizer *t, span in, const char *line, bool special,
                      char *why, size_t whylen)
{
    int32_t *ids;
    size_t n;
    if (pd_tokenize(t, in.s, in.n, special, &ids, &n) != PD_OK) {
        snprintf(why, whylen, "tokenize failed: %s", pd_errmsg());
        return false;
    }
    bool ok = true;
    size_t i = 0;
    const char *p = line;
    char *e;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        long v = strtol(p, &e, 10);
        if (e == p) { ok = false; break; }
        p = e;
        if (i >= n || ids[i] != v) { ok = false; break; }
        i++;
    }
    if (i != n) ok = false;
    if (!ok) {
        int o = snprintf(why, whylen, "text \"%.*s\": got", (int)(in.n > 60 ? 60 : in.n), in.s);
        for (size_t k = 0; k < n && k < 24 && o > 0 && (size_t)o < whylen; k++)
            o += snprintf(why + o, whylen - (size_t)o, " %d", ids[k]);
        if (o > 0 && (size_t)o < whylen) snprintf(why + o, whylen - (size_t)o, " | want %.120s", line);
    }
    free(ids);
    return ok;
}

/* Run a whole .inp/.out pair; fails with the first mismatch and the count. */
static void run_pair(const pd_tokenizer *t, const char *inp, const char *outp, bool special)
{
    size_t il, ol;
    char *ib = slurp(inp, &il), *ob = slurp(outp, &ol);
    if (!ib || !ob) T_FAIL_("cannot read %s or %s", inp, outp);
    static span in[1024];
    static char *lines[1024];
    size_t ni = split_inp(ib, il, in, 1024), nl = split_lines(ob, ol, lines, 1024);
    /* llama.cpp's own files end with a separator: one empty string more */
    if (ni == nl + 1 && in[ni - 1].n == 0) ni--;
    T_EQ_INT(ni, nl);
    int bad = 0;
    char why[768] = "", first[768] = "";
    for (size_t i = 0; i < ni; i++)
        if (!check_one(t, in[i], lines[i], special, why, sizeof why)) {
            if (!bad++) snprintf(first, sizeof first, "#%zu %s", i, why);
        }
    free(ib);
    free(ob);
    T_CHECKF(bad == 0, "%d of %zu differ; first: %s", bad, ni, first);
}

static const char *oracle_or_skip(void)
{
    const char *o = t_oracle();
    char p[1024];
    if (!o) T_SKIP("PONDER_ORACLE not set");
    snprintf(p, sizeof p, "%s/vocab/qwen3-vocab.gguf", o);
    FILE *f = fopen(p, "rb");
    if (!f) T_SKIP("no oracle at %s", o);
    fclose(f);
    return o;
}

/* ------------------------------------------------------------------------
 * Oracle vectors
 * ------------------------------------------------------------------------ */
static void llama_vocab_case(const char *name)
{
    const char *o = oracle_or_skip();
    char g[1024], i[1100], out[1100];
    snprintf(g, sizeof g, "%s/vocab/ggml-vocab-%s.gguf", o, name);
    snprintf(i, sizeof i, "%s.inp", g);
    snprintf(out, sizeof out, "%s.out", g);
    pd_tokenizer *t = load_vocab(g);
    run_pair(t, i, out, false);
    pd_tokenizer_free(t);
}

static void test_oracle_deepseek_llm(void) { llama_vocab_case("deepseek-llm"); }
static void test_oracle_deepseek_coder(void) { llama_vocab_case("deepseek-coder"); }
static void test_oracle_gpt2(void) { llama_vocab_case("gpt-2"); }

static void model_case(const char *vocab, const char *name, const char *suffix, bool special)
{
    const char *o = oracle_or_skip();
    char g[1024], i[1024], out[1024];
    snprintf(g, sizeof g, "%s/vocab/%s-vocab.gguf", o, vocab);
    snprintf(i, sizeof i, "%s/tokenizer/%s.inp", o, name);
    snprintf(out, sizeof out, "%s/tokenizer/%s%s", o, name, suffix);
    pd_tokenizer *t = load_vocab(g);
    run_pair(t, i, out, special);
    pd_tokenizer_free(t);
}

static void test_oracle_qwen3_special(void) { model_case("qwen3", "qwen3", ".out", true); }
static void test_oracle_qwen3_nospecial(void) { model_case("qwen3", "qwen3", ".nospecial.out", false); }
static void test_oracle_dsv3_special(void) { model_case("deepseek-v3", "deepseek-v3", ".out", true); }
static void test_oracle_dsv3_nospecial(void)
{
    model_case("deepseek-v3", "deepseek-v3", ".nospecial.out", false);
}

/* ------------------------------------------------------------------------
 * Our edge cases (expected ids from HF tokenizers, tools/tokenizer_vectors.py)
 * ------------------------------------------------------------------------ */
static void fixture_case(const char *vocab)
{
    const char *o = oracle_or_skip();
    char g[1024], i[1024], out[1024];
    snprintf(g, sizeof g, "%s/vocab/%s-vocab.gguf", o, vocab);
    snprintf(i, sizeof i, "%s/tests/fixtures/tokenizer/edge.inp", t_srcdir());
    snprintf(out, sizeof out, "%s/tests/fixtures/tokenizer/edge.%s.out", t_srcdir(), vocab);
    pd_tokenizer *t = load_vocab(g);
    run_pair(t, i, out, false);
    pd_tokenizer_free(t);
}

static void test_edge_qwen3(void) { fixture_case("qwen3"); }

/* The llama-bpe pre-tokenizer (Llama 3 regex + ignore_merges), checked on the
 * DeepSeek-V3 vocabulary with tokenizer.ggml.pre rewritten in memory; the
 * expected ids come from HF with the same change (tools/tokenizer_vectors.py). */
static void test_edge_llama3_pre(void)
{
    const char *o = oracle_or_skip();
    char path[1100];
    snprintf(path, sizeof path, "%.900s/vocab/deepseek-v3-vocab.gguf", o);
    size_t len;
    char *f = slurp(path, &len);
    T_CHECK(f != NULL);
    static const char key[] = "tokenizer.ggml.pre";
    char *k = NULL;
    for (size_t i = 0; i + sizeof key + 12 < len && !k; i++)
        if (memcmp(f + i, key, sizeof key - 1) == 0) k = f + i;
    T_CHECK(k != NULL);
    char *val = k + sizeof key - 1 + 4;   /* after the key and its type */
    uint64_t vlen;
    memcpy(&vlen, val, 8);
    T_CHECK(vlen == 11 && memcmp(val + 8, "deepseek-v3", 11) == 0);
    char *g = calloc(1, len + 64);
    size_t head = (size_t)(val - f), n = 0;
    memcpy(g, f, head);
    n = head;
    uint64_t nl = 9;
    memcpy(g + n, &nl, 8);
    memcpy(g + n + 8, "llama-bpe", 9);
    n += 17;
    memcpy(g + n, val + 8 + 11, len - head - 8 - 11);
    pd_gguf *gg;
    T_CHECKF(pd_gguf_open_mem(g, len + 64 - 2, "llama3.gguf", &gg) == PD_OK, "%s", pd_errmsg());
    pd_tokenizer *t = NULL;
    pd_status st = pd_tokenizer_load(gg, &t);
    pd_gguf_close(gg);
    T_CHECKF(st == PD_OK, "%s", pd_errmsg());
    T_EQ_INT(pd_tokenizer_pre(t), PD_PRE_LLAMA3);
    T_CHECK(pd_tokenizer_add_bos(t));   /* from the file's add_bos_token */
    char i[1100], out[1100];
    snprintf(i, sizeof i, "%.900s/tests/fixtures/tokenizer/edge.inp", t_srcdir());
    snprintf(out, sizeof out, "%.900s/tests/fixtures/tokenizer/edge.deepseek-v3-llama3.out", t_srcdir());
    run_pair(t, i, out, false);
    pd_tokenizer_free(t);
    free(g);
    free(f);
}
static void test_edge_deepseek_v3(void) { fixture_case("deepseek-v3"); }

/* ------------------------------------------------------------------------
 * Behaviour
 * ------------------------------------------------------------------------ */
static pd_tokenizer *qwen3(void)
{
    const char *o = oracle_or_skip();
    char g[1024];
    snprintf(g, sizeof g, "%s/vocab/qwen3-vocab.gguf", o);
    return load_vocab(g);
}

static void test_special_ids(void)
{
    pd_tokenizer *t = qwen3();
    T_EQ_INT(pd_tokenizer_n_vocab(t), 151936);
    T_EQ_INT(pd_token_bos(t), 151643);
    T_EQ_INT(pd_token_eos(t), 151645);
    T_CHECK(!pd_tokenizer_add_bos(t));
    T_EQ_INT(pd_token_lookup(t, "<|im_end|>"), 151645);
    T_EQ_INT(pd_token_lookup(t, "<think>"), 151667);
    T_EQ_INT(pd_token_lookup(t, "no such token"), -1);
    T_CHECK(pd_token_is_eog(t, 151645));     /* <|im_end|> */
    T_CHECK(pd_token_is_eog(t, 151643));     /* <|endoftext|> */
    T_CHECK(!pd_token_is_eog(t, 151644));    /* <|im_start|> */
    T_CHECK(pd_token_is_control(t, 151644));
    T_CHECK(!pd_token_is_control(t, 151667)); /* <think> is user-defined */
    T_CHECK(!pd_token_is_eog(t, -1) && !pd_token_is_eog(t, 1 << 30));
    T_CHECK(pd_token_text(t, -1) == NULL && pd_token_text(t, 151936) == NULL);
    T_EQ_STR(pd_token_text(t, 151644), "<|im_start|>");
    size_t n;
    const char *p = pd_token_piece(t, 151644, &n);
    T_CHECK(p && n == 12 && memcmp(p, "<|im_start|>", 12) == 0);
    /* "Ġthe" decodes to " the" */
    int32_t id = pd_token_lookup(t, "\xc4\xa0the");
    T_CHECK(id >= 0);
    p = pd_token_piece(t, id, &n);
    T_CHECK(n == 4 && memcmp(p, " the", 4) == 0);
    pd_tokenizer_free(t);
}

static void test_parse_special_switch(void)
{
    pd_tokenizer *t = qwen3();
    const char *s = "<|im_start|>user\nhi<think>x</think>";
    int32_t *a, *b;
    size_t na, nb;
    T_CHECK(pd_tokenize(t, s, strlen(s), true, &a, &na) == PD_OK);
    T_CHECK(pd_tokenize(t, s, strlen(s), false, &b, &nb) == PD_OK);
    T_CHECK(na > 0 && a[0] == 151644);
    T_CHECK(nb > 0 && b[0] != 151644);              /* CONTROL: plain text without special */
    bool think_a = false, think_b = false;          /* USER_DEFINED: matched both ways */
    for (size_t i = 0; i < na; i++) think_a |= a[i] == 151667;
    for (size_t i = 0; i < nb; i++) think_b |= b[i] == 151667;
    T_CHECK(think_a && think_b);
    free(a);
    free(b);

    /* masked: special tokens only where the mask is set (invalid bytes before
     * them shift offsets: the mask follows) */
    const char *m = "\xff\xfe<|im_start|>x<|im_end|>";
    size_t ml = strlen(m);
    uint8_t mask[64];
    memset(mask, 1, ml);
    T_CHECK(pd_tokenize_masked(t, m, ml, mask, &a, &na) == PD_OK);
    T_CHECK(pd_tokenize(t, m, ml, true, &b, &nb) == PD_OK);
    T_CHECK(na == nb && memcmp(a, b, na * sizeof *a) == 0);
    bool im_end = false;
    for (size_t i = 0; i < na; i++) im_end |= a[i] == 151645;
    T_CHECK(im_end);
    free(a);
    free(b);
    memset(mask + ml - 10, 0, 10);   /* "<|im_end|>" written by the user */
    T_CHECK(pd_tokenize_masked(t, m, ml, mask, &a, &na) == PD_OK);
    im_end = false;
    bool im_start = false;
    for (size_t i = 0; i < na; i++) { im_end |= a[i] == 151645; im_start |= a[i] == 151644; }
    T_CHECK(im_start && !im_end);
    free(a);
    pd_tokenizer_free(t);
}

static void test_empty_and_invalid_utf8(void)
{
    pd_tokenizer *t = qwen3();
    int32_t *ids = (int32_t *)1;
    size_t n = 99;
    T_CHECK(pd_tokenize(t, "", 0, false, &ids, &n) == PD_OK);
    T_EQ_INT(n, 0);
    T_CHECK(ids == NULL);
    /* Every invalid byte becomes U+FFFD, one per byte (as llama.cpp). */
    static const struct { const char *bad, *good; } cases[] = {
        { "a\xff" "b", "a\xef\xbf\xbd" "b" },
        { "\xe4\xb8", "\xef\xbf\xbd\xef\xbf\xbd" },                 /* truncated 中 */
        { "x\xc0\x80y", "x\xef\xbf\xbd\xef\xbf\xbdy" },             /* overlong NUL */
        { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
        { "\x80\x80 ok", "\xef\xbf\xbd\xef\xbf\xbd ok" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int32_t *a, *b;
        size_t na, nb;
        T_CHECK(pd_tokenize(t, cases[c].bad, strlen(cases[c].bad), false, &a, &na) == PD_OK);
        T_CHECK(pd_tokenize(t, cases[c].good, strlen(cases[c].good), false, &b, &nb) == PD_OK);
        T_CHECKF(na == nb && memcmp(a, b, na * sizeof *a) == 0, "case %zu", c);
        free(a);
        free(b);
    }
    /* Random bytes never crash and always give tokens that decode. */
    uint64_t x = 88172645463325252ull;
    char buf[512];
    for (int r = 0; r < 200; r++) {
        size_t len = (size_t)(r * 7 % 500) + 1;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            buf[i] = (char)(x & 0xFF);
        }
        int32_t *a;
        size_t na;
        T_CHECK(pd_tokenize(t, buf, len, r & 1, &a, &na) == PD_OK);
        T_CHECK(na > 0);
        for (size_t i = 0; i < na; i++) T_CHECK(pd_token_text(t, a[i]) != NULL);
        free(a);
    }
    pd_tokenizer_free(t);
}

/* GPT-2 bytes_to_unicode, written out independently for the test. */
static int byte_level(unsigned b, char *o)
{
    unsigned c = b;
    if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)) {
        unsigned n = 0;
        for (unsigned k = 0; k < b; k++)
            if (!((k >= 33 && k <= 126) || (k >= 161 && k <= 172) || k >= 174)) n++;
        c = 256 + n;
    }
    if (c < 0x80) { o[0] = (char)c; o[1] = 0; return 1; }
    o[0] = (char)(0xC0 | (c >> 6));
    o[1] = (char)(0x80 | (c & 0x3F));
    o[2] = 0;
    return 2;
}

static void test_detok_stream(void)
{
    pd_tokenizer *t = qwen3();
    /* 中 = E4 B8 AD pushed as three byte tokens: nothing until the last. */
    const unsigned char bytes[3] = { 0xE4, 0xB8, 0xAD };
    pd_detok d = {0};
    char out[64];
    for (int i = 0; i < 3; i++) {
        char s[4];
        byte_level(bytes[i], s);
        int32_t id = pd_token_lookup(t, s);
        T_CHECK(id >= 0);
        size_t n = pd_detok_push(&d, t, id, out, sizeof out);
        if (i < 2) T_EQ_INT(n, 0);
        else T_CHECK(n == 3 && memcmp(out, "\xe4\xb8\xad", 3) == 0);
    }
    T_EQ_INT(pd_detok_flush(&d, out, sizeof out), 0);

    /* A whole text streamed token by token comes back byte for byte. */
    const char *text = "Hello 世界! 🦙🏳️‍🌈 Ünïcödé — ok\n";
    int32_t *ids;
    size_t n_ids;
    T_CHECK(pd_tokenize(t, text, strlen(text), false, &ids, &n_ids) == PD_OK);
    char acc[256];
    size_t m = 0;
    pd_detok d2 = {0};
    for (size_t i = 0; i < n_ids; i++) {
        size_t plen;
        pd_token_piece(t, ids[i], &plen);
        T_CHECK(m + PD_DETOK_CAP(plen) <= sizeof acc);
        size_t k = pd_detok_push(&d2, t, ids[i], acc + m, sizeof acc - m);
        /* what came out so far is always complete UTF-8 */
        T_CHECK(d2.n_pending >= 0 && d2.n_pending < 4);
        m += k;
    }
    m += pd_detok_flush(&d2, acc + m, sizeof acc - m);
    T_CHECK(m == strlen(text) && memcmp(acc, text, m) == 0);
    free(ids);

    /* An unfinished sequence at the end becomes U+FFFD; a stray byte too. */
    pd_detok d3 = {0};
    char s[4];
    byte_level(0xE4, s);
    T_EQ_INT(pd_detok_push(&d3, t, pd_token_lookup(t, s), out, sizeof out), 0);
    size_t k = pd_detok_flush(&d3, out, sizeof out);
    T_CHECK(k == 3 && memcmp(out, "\xef\xbf\xbd", 3) == 0);
    byte_level(0x80, s);
    k = pd_detok_push(&d3, t, pd_token_lookup(t, s), out, sizeof out);
    T_CHECK(k == 3 && memcmp(out, "\xef\xbf\xbd", 3) == 0);
    /* bad ids add nothing */
    T_EQ_INT(pd_detok_push(&d3, t, -5, out, sizeof out), 0);
    pd_tokenizer_free(t);
}

/* Encode speed on mixed English text (printed; never asserted). */
static void test_speed(void)
{
    pd_tokenizer *t = qwen3();
    static const char *words[] = {
        "the", "reasoning", "model", "thinks", "about", "a", "problem,", "and", "then", "answers.",
        "However,", "wait:", "let's", "check", "2+2=4", "again", "(carefully)", "—", "it's", "fine!",
        "Alternatively", "we", "could", "try", "x_1", "=", "42;", "\"quoted\"", "text\n", "  indented",
    };
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 64);
    uint64_t x = 12345;
    while (n < cap) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const char *w = words[x % (sizeof words / sizeof words[0])];
        size_t l = strlen(w);
        memcpy(buf + n, w, l);
        n += l;
        buf[n++] = ' ';
    }
    /* CPU time of this process: the figure holds on a busy machine too */
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    int32_t *ids;
    size_t n_ids;
    T_CHECK(pd_tokenize(t, buf, n, false, &ids, &n_ids) == PD_OK);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("# encode speed (qwen3, mixed English, %zu bytes -> %zu tokens): %.1f MB/s (one core, CPU time)\n",
           n, n_ids, (double)n / 1e6 / s);
    free(ids);
    free(buf);
    pd_tokenizer_free(t);
}


/* ------------------------------------------------------------------------
 * Malformed tokenizer metadata (GGUF built in memory)
 * ------------------------------------------------------------------------ */
typedef struct gbuf { unsigned char b[8192]; size_t n; uint64_t n_kv; } gbuf;

static void g_raw(gbuf *g, const void *p, size_t n) { memcpy(g->b + g->n, p, n); g->n += n; }
static void g_u32(gbuf *g, uint32_t v) { g_raw(g, &v, 4); }
static void g_u64(gbuf *g, uint64_t v) { g_raw(g, &v, 8); }
static void g_str(gbuf *g, const char *s) { g_u64(g, strlen(s)); g_raw(g, s, strlen(s)); }
static void kv_str(gbuf *g, const char *k, const char *v) { g_str(g, k); g_u32(g, 8); g_str(g, v); g->n_kv++; }
static void kv_strs(gbuf *g, const char *k, const char *const *v, int n)
{
    g_str(g, k); g_u32(g, 9); g_u32(g, 8); g_u64(g, (uint64_t)n);
    for (int i = 0; i < n; i++) g_str(g, v[i]);
    g->n_kv++;
}
static void kv_i32s(gbuf *g, const char *k, const int32_t *v, int n)
{
    g_str(g, k); g_u32(g, 9); g_u32(g, 5); g_u64(g, (uint64_t)n);
    g_raw(g, v, 4 * (size_t)n);
    g->n_kv++;
}

/* Wrap the kv bytes into a file: header, kvs, no tensors, padding. */
static pd_status open_tok(const gbuf *kv, pd_tokenizer **t)
{
    static gbuf f;
    f.n = 0;
    g_raw(&f, "GGUF", 4); g_u32(&f, 3); g_u64(&f, 0); g_u64(&f, kv->n_kv);
    g_raw(&f, kv->b, kv->n);
    while (f.n % 32) f.b[f.n++] = 0;
    pd_gguf *g;
    pd_status st = pd_gguf_open_mem(f.b, f.n, "mem.gguf", &g);
    if (st) T_FAIL_("gguf: %s", pd_errmsg());
    *t = NULL;
    st = pd_tokenizer_load(g, t);
    pd_gguf_close(g);
    return st;
}

static void test_bad_metadata(void)
{
    /* A tiny valid vocabulary: the bytes a b, "ab", and a control token. */
    static const char *const toks[] = { "a", "b", "ab", "<|end|>", "" };
    static const char *const merges[] = { "a b" };
    static const char *const bad_merges[] = { "ab" };
    static const int32_t types[] = { 1, 1, 1, 3, 1 };
    gbuf g = {0};
    pd_tokenizer *t;

    kv_str(&g, "tokenizer.ggml.model", "gpt2");
    kv_strs(&g, "tokenizer.ggml.tokens", toks, 5);
    kv_i32s(&g, "tokenizer.ggml.token_type", types, 5);
    kv_strs(&g, "tokenizer.ggml.merges", merges, 1);
    T_CHECKF(open_tok(&g, &t) == PD_OK, "%s", pd_errmsg());
    int32_t *ids;
    size_t n;
    T_CHECK(pd_tokenize(t, "abba<|end|>", 11, true, &ids, &n) == PD_OK);
    T_EQ_INT(n, 4);   /* ab b a <|end|> */
    T_CHECK(ids[0] == 2 && ids[1] == 1 && ids[2] == 0 && ids[3] == 3);
    free(ids);
    T_CHECK(pd_token_is_eog(t, 3));            /* <|end|> by its name */
    T_EQ_STR(pd_token_text(t, 4), "[EMPTY_4]"); /* empty text gets a placeholder */
    T_EQ_INT(pd_token_bos(t), -1);
    /* bytes without a token are dropped, never crash */
    T_CHECK(pd_tokenize(t, "xyz", 3, false, &ids, &n) == PD_OK);
    T_EQ_INT(n, 0);
    free(ids);
    pd_tokenizer_free(t);

    gbuf h = {0};   /* not BPE */
    kv_str(&h, "tokenizer.ggml.model", "llama");
    kv_strs(&h, "tokenizer.ggml.tokens", toks, 5);
    T_EQ_INT(open_tok(&h, &t), PD_EUNSUPPORTED);
    T_CHECK(strstr(pd_errmsg(), "mem.gguf") != NULL);

    gbuf i = {0};   /* no tokens */
    kv_str(&i, "tokenizer.ggml.model", "gpt2");
    T_EQ_INT(open_tok(&i, &t), PD_EFORMAT);

    gbuf j = {0};   /* token_type count differs */
    kv_str(&j, "tokenizer.ggml.model", "gpt2");
    kv_strs(&j, "tokenizer.ggml.tokens", toks, 5);
    kv_i32s(&j, "tokenizer.ggml.token_type", types, 4);
    T_EQ_INT(open_tok(&j, &t), PD_EFORMAT);

    gbuf k = {0};   /* a merge without a space */
    kv_str(&k, "tokenizer.ggml.model", "gpt2");
    kv_strs(&k, "tokenizer.ggml.tokens", toks, 5);
    kv_strs(&k, "tokenizer.ggml.merges", bad_merges, 1);
    T_EQ_INT(open_tok(&k, &t), PD_EFORMAT);

    gbuf l = {0};   /* no tokenizer at all */
    kv_str(&l, "general.architecture", "qwen3");
    T_EQ_INT(open_tok(&l, &t), PD_EFORMAT);
    T_CHECK(t == NULL);
}

/* detokenize(tokenize(x)) == x for every vocabulary, with and without special
 * parsing, on the oracle strings, our edge strings (invalid UTF-8 comes back
 * as U+FFFD per bad byte) and random mixes of special-token text. */
static bool round_trip(const pd_tokenizer *t, const char *x, size_t n, bool special, char *why)
{
    bool oom;
    size_t want_len = n;
    char *clean = pd_utf8_sanitize(x, n, &want_len, &oom);
    const char *want = clean ? clean : x;
    int32_t *ids;
    size_t n_ids;
    bool ok = pd_tokenize(t, x, n, special, &ids, &n_ids) == PD_OK;
    size_t m = 0;
    char *got = malloc(want_len + 1);
    for (size_t i = 0; ok && i < n_ids; i++) {
        size_t pl;
        const char *p = pd_token_piece(t, ids[i], &pl);
        if (!p || m + pl > want_len) { ok = false; break; }
        memcpy(got + m, p, pl);
        m += pl;
    }
    ok = ok && m == want_len && memcmp(got, want, m) == 0;
    if (!ok) snprintf(why, 200, "\"%.60s\" (%zu bytes, special %d)", x, n, special);
    free(got);
    free(clean);
    free(ids);
    return ok;
}

static void test_round_trip(void)
{
    const char *o = oracle_or_skip();
    static const char *const vocabs[] = {
        "qwen3-vocab.gguf", "deepseek-v3-vocab.gguf", "ggml-vocab-deepseek-llm.gguf",
        "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-gpt-2.gguf" };
    static const char *const inputs[] = {
        "tokenizer/qwen3.inp", "tokenizer/deepseek-v3.inp", "vocab/ggml-vocab-gpt-2.gguf.inp" };
    char why[256], p[1100];
    for (size_t v = 0; v < sizeof vocabs / sizeof vocabs[0]; v++) {
        snprintf(p, sizeof p, "%.900s/vocab/%s", o, vocabs[v]);
        pd_tokenizer *t = load_vocab(p);
        for (size_t f = 0; f <= sizeof inputs / sizeof inputs[0]; f++) {
            if (f < sizeof inputs / sizeof inputs[0]) snprintf(p, sizeof p, "%.900s/%s", o, inputs[f]);
            else snprintf(p, sizeof p, "%.900s/tests/fixtures/tokenizer/edge.inp", t_srcdir());
            size_t len;
            char *buf = slurp(p, &len);
            T_CHECKF(buf != NULL, "%s", p);
            static span in[1024];
            size_t ni = split_inp(buf, len, in, 1024);
            for (size_t i = 0; i < ni; i++)
                for (int sp = 0; sp < 2; sp++)
                    T_CHECKF(round_trip(t, in[i].s, in[i].n, sp, why), "%s: %s", vocabs[v], why);
            free(buf);
        }
        /* random mixes of special-token text, pieces of it, and bytes */
        static const char *const parts[] = {
            "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<|", "|>", "<\xef\xbd\x9c",
            "\xef\xbd\x9c>", "<\xef\xbd\x9cUser\xef\xbd\x9c>", "</s>", " ", "\n", "a", "1", "\xff",
            "\xe4\xb8", "\xad", "~", "\xf0\x9f\xab\xa8" };
        uint64_t x = 0x9E3779B97F4A7C15ull + v;
        char buf[256];
        for (int r = 0; r < 300; r++) {
            size_t n = 0;
            while (n < 200) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                const char *q = parts[x % (sizeof parts / sizeof parts[0])];
                size_t l = strlen(q);
                memcpy(buf + n, q, l);
                n += l;
                if (x % 13 == 0) break;
            }
            T_CHECKF(round_trip(t, buf, n, r & 1, why), "%s: %s", vocabs[v], why);
        }
        pd_tokenizer_free(t);
    }
}

int main(void)
{
    T_RUN(test_oracle_gpt2);
    T_RUN(test_oracle_deepseek_llm);
    T_RUN(test_oracle_deepseek_coder);
    T_RUN(test_oracle_qwen3_special);
    T_RUN(test_oracle_qwen3_nospecial);
    T_RUN(test_oracle_dsv3_special);
    T_RUN(test_oracle_dsv3_nospecial);
    T_RUN(test_edge_qwen3);
    T_RUN(test_edge_deepseek_v3);
    T_RUN(test_edge_llama3_pre);
    T_RUN(test_special_ids);
    T_RUN(test_parse_special_switch);
    T_RUN(test_empty_and_invalid_utf8);
    T_RUN(test_detok_stream);
    T_RUN(test_bad_metadata);
    T_RUN(test_round_trip);
    T_RUN(test_speed);
    T_DONE();
}
