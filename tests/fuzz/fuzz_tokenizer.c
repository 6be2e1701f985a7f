/* fuzz_tokenizer.c - libFuzzer target for the tokenizer: encode any bytes with
 * and without special-token parsing (and through the mask), decode the ids with
 * the streaming detokenizer, and trap when an invariant breaks. The vocabulary
 * is loaded once: $PONDER_FUZZ_VOCAB, else $PONDER_ORACLE/vocab/qwen3-vocab.gguf,
 * else the small Qwen3 fixture in the source tree. The input is also used as
 * the contents of a chat in every template family: whatever a message holds,
 * the CONTROL tokens of the prompt are exactly the template's. Build and run with
 * `make fuzz-tokenizer` (clang). */
#include "chat.h"
#include "gguf.h"
#include "pretok.h"
#include "tokenizer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PD_FUZZ_SRCDIR
#define PD_FUZZ_SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static pd_tokenizer *tok;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_tokenizer: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    char path[4096];
    const char *env = getenv("PONDER_FUZZ_VOCAB"), *oracle = getenv("PONDER_ORACLE");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else if (oracle && *oracle)
        snprintf(path, sizeof path, "%s/vocab/qwen3-vocab.gguf", oracle);
    else
        snprintf(path, sizeof path, "%s/tests/fixtures/hf/hf-qwen3.gguf", PD_FUZZ_SRCDIR);
    pd_gguf *g;
    if (pd_gguf_open(path, &g) || pd_tokenizer_load(g, &tok)) die(pd_errmsg());
    pd_gguf_close(g);   /* the tokenizer keeps no pointer into the file */
    fprintf(stderr, "fuzz_tokenizer: %s, %d tokens\n", path, pd_tokenizer_n_vocab(tok));
    return 0;
}

/* Reference for encoding step 1: each byte outside a valid shortest-form
 * sequence becomes U+FFFD. With trailing_one, an incomplete (but so far valid)
 * sequence at the very end becomes a single U+FFFD instead: what the
 * detokenizer's flush does. Returns the length written to o (cap 3*n+3). */
static size_t sanitize(const uint8_t *s, size_t n, bool trailing_one, uint8_t *o)
{
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        int k = pd_utf8_seq(s + i, n - i);
        if (k > 0) {
            memcpy(o + j, s + i, (size_t)k);
            j += (size_t)k;
            i += (size_t)k;
            continue;
        }
        memcpy(o + j, "\xEF\xBF\xBD", 3);
        j += 3;
        i += (k < 0 && trailing_one) ? n - i : 1;
    }
    return j;
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int k = pd_utf8_seq(s + i, n - i);
        if (k <= 0) return false;
        i += (size_t)k;
    }
    return true;
}

/* Decode ids with the streaming detokenizer into a growing buffer. Checks that
 * each push stays within its documented capacity bound. */
static uint8_t *detok_all(const int32_t *ids, size_t n, size_t *out_len)
{
    size_t cap = 64, len = 0;
    uint8_t *out = malloc(cap);
    pd_detok d = {0};
    if (!out) die("out of memory");
    for (size_t i = 0; i <= n; i++) {
        size_t plen = 0;
        if (i < n && !pd_token_piece(tok, ids[i], &plen)) plen = 0;
        size_t need = i < n ? PD_DETOK_CAP(plen) : 8;
        if (len + need > cap) {
            while (len + need > cap) cap *= 2;
            out = realloc(out, cap);
            if (!out) die("out of memory");
        }
        size_t w = i < n ? pd_detok_push(&d, tok, ids[i], (char *)out + len, need)
                         : pd_detok_flush(&d, (char *)out + len, need);
        if (w > need) die("detokenizer wrote past its capacity");
        if (d.n_pending < 0 || d.n_pending > 3) die("detokenizer holds a bad pending count");
        len += w;
    }
    if (d.n_pending != 0) die("flush left bytes pending");
    *out_len = len;
    return out;
}

static void check_ids(const int32_t *ids, size_t n, const char *what)
{
    int nv = pd_tokenizer_n_vocab(tok);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= nv) die(what);
}

/* Encode, check the ids, decode, compare with the sanitized input. */
static void roundtrip(const uint8_t *data, size_t size, const uint8_t *want, size_t want_len,
                      int mode, const uint8_t *mask, int32_t **ids_out, size_t *n_out)
{
    int32_t *ids = NULL;
    size_t n = 0;
    pd_status st = mode == 2 ? pd_tokenize_masked(tok, (const char *)data, size, mask, &ids, &n)
                             : pd_tokenize(tok, (const char *)data, size, mode == 1, &ids, &n);
    if (st) die(pd_errmsg());     /* no input is an error (OOM aside) */
    if (n > 0 && !ids) die("ids missing");
    if (size == 0 && n != 0) die("empty text gave tokens");
    if (size > 0 && n == 0) die("non-empty text gave no tokens");
    check_ids(ids, n, "token id out of range");
    size_t got_len;
    uint8_t *got = detok_all(ids, n, &got_len);
    if (got_len != want_len || memcmp(got, want, want_len) != 0) die("round trip differs");
    /* Whole pieces concatenated give the same bytes (no partial sequence
     * inside a token run left over). */
    free(got);
    if (ids_out) { *ids_out = ids; *n_out = n; }
    else free(ids);
}

static bool same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Arbitrary ids (3 bytes each, some out of range) through the detokenizer:
 * the output is valid UTF-8 and equals the sanitized concatenation of the
 * pieces. */
static void detok_random(const uint8_t *data, size_t size)
{
    size_t n = size / 3;
    if (n > 512) n = 512;
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    size_t cat_len = 0, cat_cap = 64;
    uint8_t *cat = malloc(cat_cap);
    if (!ids || !cat) die("out of memory");
    int nv = pd_tokenizer_n_vocab(tok);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)data[3 * i] << 16 | (uint32_t)data[3 * i + 1] << 8 | data[3 * i + 2];
        ids[i] = (v & 0x800000) ? (int32_t)(v & 0x7FFFFF) - 0x100 : (int32_t)(v % (uint32_t)nv);
        size_t plen;
        const char *p = pd_token_piece(tok, ids[i], &plen);
        if (!p) continue;
        if (cat_len + plen > cat_cap) {
            while (cat_len + plen > cat_cap) cat_cap *= 2;
            cat = realloc(cat, cat_cap);
            if (!cat) die("out of memory");
        }
        memcpy(cat + cat_len, p, plen);
        cat_len += plen;
    }
    size_t got_len;
    uint8_t *got = detok_all(ids, n, &got_len);
    uint8_t *want = malloc(3 * cat_len + 3);
    if (!want) die("out of memory");
    size_t want_len = sanitize(cat, cat_len, true, want);
    if (!valid_utf8(got, got_len)) die("detokenizer gave invalid UTF-8");
    if (got_len != want_len || memcmp(got, want, want_len) != 0) die("detokenizer output differs");
    free(want); free(got); free(cat); free(ids);
}

/* The CONTROL tokens of a tokenized chat, in order (other ids dropped). */
static size_t controls(const int32_t *ids, size_t n, int32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (pd_token_type(tok, ids[i]) == PD_TOK_CONTROL) out[k++] = ids[i];
    return k;
}

static int32_t *chat_ids(pd_chat_family f, const pd_chat_msg *m, size_t n, bool gen, size_t *n_ids)
{
    int32_t *ids;
    if (pd_chat_tokenize(tok, f, m, n, gen, &ids, n_ids)) die(pd_errmsg());
    check_ids(ids, *n_ids, "chat: token id out of range");
    return ids;
}

/* Message contents never add or remove a CONTROL token; the rendered text
 * round-trips through the tokenizer. text: the input up to its first NUL. */
static void chat_check(const char *text)
{
    const pd_chat_msg full[] = { {"system", text}, {"user", text}, {"assistant", text},
                                 {"user", text}, {"assistant", text} };
    const pd_chat_msg empty[] = { {"system", ""}, {"user", ""}, {"assistant", ""},
                                  {"user", ""}, {"assistant", ""} };
    for (int f = 0; f < PD_CHAT_COUNT; f++)
        for (size_t n = 4; n <= 5; n++) {
            size_t na, nb;
            int32_t *a = chat_ids((pd_chat_family)f, full, n, n == 4, &na);
            int32_t *b = chat_ids((pd_chat_family)f, empty, n, n == 4, &nb);
            int32_t *ca = malloc((na + 1) * sizeof *ca), *cb = malloc((nb + 1) * sizeof *cb);
            if (!ca || !cb) die("out of memory");
            if (!same_ids(ca, controls(a, na, ca), cb, controls(b, nb, cb)))
                die("chat: message text changed the control tokens");
            uint8_t *mask;
            char *r = pd_chat_render_mask((pd_chat_family)f, full, n, n == 4, NULL, &mask);
            if (!r || !mask) die("chat: render failed");
            size_t rl = strlen(r);
            uint8_t *want = malloc(3 * rl + 3);
            if (!want) die("out of memory");
            size_t wl = sanitize((const uint8_t *)r, rl, false, want);
            roundtrip((const uint8_t *)r, rl, want, wl, 2, mask, NULL, NULL);
            free(want); free(r); free(mask); free(ca); free(cb); free(a); free(b);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;   /* BPE cost grows with piece length: keep execs fast */
    uint8_t *want = malloc(3 * size + 3);
    uint8_t *mask = malloc(size + 1);
    if (!want || !mask) die("out of memory");
    size_t want_len = sanitize(data, size, false, want);

    int32_t *plain, *special, *m;
    size_t n_plain, n_special, n_m;
    roundtrip(data, size, want, want_len, 0, NULL, &plain, &n_plain);
    roundtrip(data, size, want, want_len, 1, NULL, &special, &n_special);
    /* No mask is parse_special = false, an all-zero mask too; all ones is
     * parse_special = true. */
    roundtrip(data, size, want, want_len, 2, NULL, &m, &n_m);
    if (!same_ids(m, n_m, plain, n_plain)) die("NULL mask differs from parse_special=false");
    free(m);
    memset(mask, 0, size + 1);
    roundtrip(data, size, want, want_len, 2, mask, &m, &n_m);
    if (!same_ids(m, n_m, plain, n_plain)) die("zero mask differs from parse_special=false");
    free(m);
    memset(mask, 1, size + 1);
    roundtrip(data, size, want, want_len, 2, mask, &m, &n_m);
    if (!same_ids(m, n_m, special, n_special)) die("full mask differs from parse_special=true");
    free(m);
    /* A striped mask: only the round trip and the ranges can be checked. */
    for (size_t i = 0; i < size; i++) mask[i] = (uint8_t)(((i + data[0]) / 5) & 1);
    roundtrip(data, size, want, want_len, 2, mask, NULL, NULL);

    /* Without special parsing no CONTROL token can come out. */
    for (size_t i = 0; i < n_plain; i++)
        if (pd_token_type(tok, plain[i]) == PD_TOK_CONTROL) die("control token without parse_special");

    detok_random(data, size);
    if (size <= 1024) {
        char *text = malloc(size + 1);
        if (!text) die("out of memory");
        memcpy(text, data, size);
        text[size] = 0;
        chat_check(text);
        free(text);
    }
    free(plain); free(special); free(want); free(mask);
    return 0;
}
