/* bpe.c - encoding with a byte-level BPE vocabulary: added tokens cut out
 * first (llama.cpp's tokenizer_st_partition), then the pre-tokenizer, then
 * merges by rank on each piece (llama.cpp's llm_tokenizer_bpe_session).
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

typedef struct ids_buf { int32_t *v; size_t n, cap; } ids_buf;

static bool ids_push(ids_buf *b, int32_t id)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        int32_t *nv = realloc(b->v, nc * sizeof *nv);
        if (!nv) return false;
        b->v = nv;
        b->cap = nc;
    }
    b->v[b->n++] = id;
    return true;
}

/* Scratch space for BPE of one word, reused across words. */
typedef struct bpe_sym { int32_t id, prev, next; } bpe_sym;
typedef struct bpe_pair { int32_t rank, left, right, lid, rid; } bpe_pair;
typedef struct bpe_work {
    bpe_sym *sym; size_t sym_cap;
    bpe_pair *heap; size_t heap_n, heap_cap;
    char *enc; size_t enc_cap;
} bpe_work;

static bool pair_less(const bpe_pair *a, const bpe_pair *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static bool heap_push(bpe_work *w, bpe_pair p)
{
    if (w->heap_n == w->heap_cap) {
        size_t nc = w->heap_cap ? w->heap_cap * 2 : 64;
        bpe_pair *nh = realloc(w->heap, nc * sizeof *nh);
        if (!nh) return false;
        w->heap = nh;
        w->heap_cap = nc;
    }
    size_t i = w->heap_n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!pair_less(&p, &w->heap[up])) break;
        w->heap[i] = w->heap[up];
        i = up;
    }
    w->heap[i] = p;
    return true;
}

static bpe_pair heap_pop(bpe_work *w)
{
    bpe_pair top = w->heap[0], last = w->heap[--w->heap_n];
    size_t i = 0, n = w->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pair_less(&w->heap[c + 1], &w->heap[c])) c++;
        if (!pair_less(&w->heap[c], &last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

static bool add_pair(const pd_tokenizer *t, bpe_work *w, int32_t l, int32_t r)
{
    if (l < 0 || r < 0) return true;
    int32_t lid = w->sym[l].id, rid = w->sym[r].id;
    if (lid < 0 || rid < 0) return true;
    const merge_ent *e = pd_tok_merge_find(t, lid, rid);
    if (!e) return true;
    bpe_pair p = { e->rank, l, r, lid, rid };
    return heap_push(w, p);
}

/* BPE of one pre-tokenized word (raw bytes): lowest rank first, leftmost on
 * ties, as llama.cpp's llm_tokenizer_bpe_session. */
static bool bpe_word(const pd_tokenizer *t, bpe_work *w, const unsigned char *s, size_t n, ids_buf *out)
{
    if (n == 1) {
        int32_t id = t->byte_tok[s[0]];
        return id < 0 || ids_push(out, id);
    }
    if (t->ignore_merges) {   /* llama3: a word that is a token is taken whole */
        if (n * 2 > w->enc_cap) {
            size_t nc = n * 2 + 64;
            char *ne = realloc(w->enc, nc);
            if (!ne) return false;
            w->enc = ne;
            w->enc_cap = nc;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(w->enc + m, t->byte_enc[s[i]].s, t->byte_enc[s[i]].n);
            m += t->byte_enc[s[i]].n;
        }
        int32_t id = pd_tok_lookup_n(t, w->enc, m);
        if (id >= 0) return ids_push(out, id);
    }
    if (n > w->sym_cap) {
        size_t nc = n + 64;
        bpe_sym *ns = realloc(w->sym, nc * sizeof *ns);
        if (!ns) return false;
        w->sym = ns;
        w->sym_cap = nc;
    }
    for (size_t i = 0; i < n; i++) {
        w->sym[i].id = t->byte_tok[s[i]];
        w->sym[i].prev = (int32_t)i - 1;
        w->sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    w->heap_n = 0;
    for (size_t i = 1; i < n; i++)
        if (!add_pair(t, w, (int32_t)i - 1, (int32_t)i)) return false;
    while (w->heap_n) {
        bpe_pair p = heap_pop(w);
        bpe_sym *L = &w->sym[p.left], *R = &w->sym[p.right];
        /* stale: one side was merged away or changed since the push */
        if (L->id != p.lid || R->id != p.rid || L->next != p.right) continue;
        L->id = pd_tok_merge_find(t, p.lid, p.rid)->result;
        L->next = R->next;
        if (R->next >= 0) w->sym[R->next].prev = p.left;
        R->id = -2;   /* dead */
        R->next = -1;
        if (!add_pair(t, w, L->prev, p.left) || !add_pair(t, w, p.left, L->next)) return false;
    }
    for (int32_t i = 0; i >= 0; i = w->sym[i].next)
        if (w->sym[i].id >= 0 && !ids_push(out, w->sym[i].id)) return false;
    return true;
}

/* One stretch of text without added tokens: pre-tokenize, then BPE. */
static pd_status encode_plain(const pd_tokenizer *t, const char *s, size_t len,
                              bpe_work *w, size_t **ends, size_t *ends_cap, ids_buf *out)
{
    size_t n_ends = 0;
    pd_status st = pd_pretok_split(t->pretok, s, len, ends, &n_ends, ends_cap);
    if (st) return st;
    size_t start = 0;
    for (size_t i = 0; i < n_ends; i++) {
        size_t e = (*ends)[i];
        if (e > start && !bpe_word(t, w, (const unsigned char *)s + start, e - start, out))
            return pd_fail(PD_ENOMEM, "tokenizer: out of memory");
        start = e;
    }
    return PD_OK;
}

/* A matched added token: [pos, pos+len) is token id. */
typedef struct sp_match { size_t pos, len; int32_t id; int prio; } sp_match;

static int match_cmp_prio(const void *a, const void *b)
{
    const sp_match *x = a, *y = b;
    if (x->prio != y->prio) return x->prio < y->prio ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int match_cmp_pos(const void *a, const void *b)
{
    const sp_match *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* llama.cpp's tokenizer_st_partition: added tokens, longest first, each
 * taking its leftmost non-overlapping occurrences in what is still plain
 * text. Done here in one scan: collect every occurrence, then accept them in
 * (priority, position) order when they do not overlap an accepted one. */
static pd_status find_specials(const pd_tokenizer *t, const char *s, size_t len, bool parse_special,
                               const uint8_t *mask, sp_match **out, size_t *n_out)
{
    sp_match *m = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *n_out = 0;
    if (t->n_special == 0) return PD_OK;
    for (size_t pos = 0; pos < len; pos++) {
        unsigned char b0 = (unsigned char)s[pos];
        if (t->by_first[b0] == t->by_first[b0 + 1]) continue;
        unsigned pair = (unsigned)b0 << 8 | (pos + 1 < len ? (unsigned char)s[pos + 1] : 0);
        if (pos + 1 < len && !(t->special_pair[pair >> 3] & (1u << (pair & 7)))) continue;
        for (int k = t->by_first[b0]; k < t->by_first[b0 + 1]; k++) {
            int32_t id = t->by_first_tok[k];
            uint8_t ty = t->type[id];
            if (!parse_special && ty != PD_TOK_USER_DEFINED) continue;
            size_t l = t->text_len[id];
            if (l > len - pos || memcmp(s + pos, t->text + t->text_off[id], l) != 0) continue;
            if (mask && ty != PD_TOK_USER_DEFINED && memchr(mask + pos, 0, l)) continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                sp_match *nm = realloc(m, nc * sizeof *nm);
                if (!nm) { free(m); return pd_fail(PD_ENOMEM, "tokenizer: out of memory"); }
                m = nm;
                cap = nc;
            }
            m[n++] = (sp_match){ pos, l, id, t->by_first_prio[k] };
        }
    }
    if (n == 0) return PD_OK;
    qsort(m, n, sizeof *m, match_cmp_prio);
    unsigned char *taken = calloc(len, 1);
    if (!taken) { free(m); return pd_fail(PD_ENOMEM, "tokenizer: out of memory"); }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool free_range = true;
        for (size_t j = 0; j < m[i].len && free_range; j++) free_range = !taken[m[i].pos + j];
        if (!free_range) continue;
        memset(taken + m[i].pos, 1, m[i].len);
        m[kept++] = m[i];
    }
    free(taken);
    qsort(m, kept, sizeof *m, match_cmp_pos);
    *out = m;
    *n_out = kept;
    return PD_OK;
}

/* The mask of the sanitized text: an invalid byte became 3 bytes (U+FFFD)
 * that inherit its flag. */
static uint8_t *remap_mask(const char *text, size_t len, const uint8_t *mask, size_t clen)
{
    uint8_t *m = malloc(clen ? clen : 1);
    if (!m) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len && j < clen;) {
        int k = pd_utf8_seq((const unsigned char *)text + i, len - i);
        if (k > 0) {
            memcpy(m + j, mask + i, (size_t)k);
            j += (size_t)k;
            i += (size_t)k;
        } else {
            memset(m + j, mask[i], clen - j < 3 ? clen - j : 3);
            j += 3;
            i++;
        }
    }
    return m;
}

/* parse_special with mask == NULL: added tokens anywhere; with a mask: only
 * where every byte of the match is flagged (USER_DEFINED ones anywhere). */
static pd_status tokenize(const pd_tokenizer *t, const char *text, size_t len, bool parse_special,
                          const uint8_t *special_mask, int32_t **ids, size_t *n_ids)
{
    *ids = NULL;
    *n_ids = 0;
    if (len == 0) return PD_OK;
    if (!text) return pd_fail(PD_EARG, "tokenize: text is NULL");
    /* positions inside a piece are int32_t, and sanitizing may triple the size */
    if (len > ((size_t)1 << 29))
        return pd_fail(PD_ELIMIT, "tokenize: text of %zu bytes is too long (at most 512 MiB)", len);

    bool oom;
    size_t clen = len;
    char *clean = pd_utf8_sanitize(text, len, &clen, &oom);
    if (oom) return pd_fail(PD_ENOMEM, "tokenizer: out of memory");
    const char *s = clean ? clean : text;
    uint8_t *cmask = NULL;
    const uint8_t *mask = special_mask;
    if (clean && special_mask) {
        mask = cmask = remap_mask(text, len, special_mask, clen);
        if (!cmask) { free(clean); return pd_fail(PD_ENOMEM, "tokenizer: out of memory"); }
    }

    sp_match *sp = NULL;
    size_t n_sp = 0;
    ids_buf out = {0};
    bpe_work w = {0};
    size_t *ends = NULL, ends_cap = 0;
    pd_status st = find_specials(t, s, clen, parse_special, mask, &sp, &n_sp);
    size_t pos = 0;
    for (size_t i = 0; !st && i <= n_sp; i++) {
        size_t end = i < n_sp ? sp[i].pos : clen;
        if (end > pos) st = encode_plain(t, s + pos, end - pos, &w, &ends, &ends_cap, &out);
        if (!st && i < n_sp) {
            if (!ids_push(&out, sp[i].id)) st = pd_fail(PD_ENOMEM, "tokenizer: out of memory");
            pos = sp[i].pos + sp[i].len;
        }
    }
    free(sp);
    free(ends);
    free(w.sym);
    free(w.heap);
    free(w.enc);
    free(clean);
    free(cmask);
    if (st) { free(out.v); return st; }
    *ids = out.v;
    *n_ids = out.n;
    return PD_OK;
}

pd_status pd_tokenize(const pd_tokenizer *t, const char *text, size_t len,
                      bool parse_special, int32_t **ids, size_t *n_ids)
{
    return tokenize(t, text, len, parse_special, NULL, ids, n_ids);
}

pd_status pd_tokenize_masked(const pd_tokenizer *t, const char *text, size_t len,
                             const uint8_t *special_mask, int32_t **ids, size_t *n_ids)
{
    return tokenize(t, text, len, special_mask != NULL, special_mask, ids, n_ids);
}
