/* thoughts.c - thought segmentation of the think stream with one pcre2
 * pattern built from the phrase set; rules in thoughts.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "thoughts.h"
#include "strbuf.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk { size_t off; int pos; } chunk;

struct pd_segmenter {
    pcre2_code *re;
    pcre2_match_data *md;
    int n_phrases;
    char **phrase;           /* capture group i+1 = phrase i */
    int *group;
    /* the current block */
    char *text;
    size_t len, cap;
    chunk *chunks;           /* where each token's text begins */
    int n_chunks, cap_chunks;
    size_t scan;             /* no match starts before this offset */
    size_t first_text;       /* offset of the first non-blank byte (len if none yet) */
    bool open;
    /* thoughts of the turn */
    pd_thought *th;
    int n_th, cap_th;
};

/* ------------------------------------------------------------ pattern -- */

/* Last code point of a UTF-8 string (validated by the phrase parser). */
static unsigned last_cp(const char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    i--;
    const unsigned char *u = (const unsigned char *)s + i;
    int len = pd_utf8_seq_len(u, n - i);
    unsigned cp = len == 1 ? u[0] : len == 2 ? u[0] & 0x1fu : len == 3 ? u[0] & 0x0fu : u[0] & 0x07u;
    for (int k = 1; k < len; k++)
        cp = (cp << 6) | (u[k] & 0x3fu);
    return cp;
}

static bool unspaced_script(unsigned cp)
{
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
           (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0x20000 && cp <= 0x2ffff);
}

static void add_phrase_re(pd_strbuf *b, const char *ph)
{
    pd_strbuf_str(b, "(");
    for (const unsigned char *c = (const unsigned char *)ph; *c; c++) {
        if (*c == ' ')
            pd_strbuf_str(b, "\\s+");
        else if (*c == '\'')
            pd_strbuf_str(b, "['\xe2\x80\x99]");
        else if (*c < 0x80 && !((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                                (*c >= '0' && *c <= '9'))) {
            char esc[3] = {'\\', (char)*c, 0};
            pd_strbuf_str(b, esc);
        } else {
            pd_strbuf_add(b, (const char *)c, 1);
        }
    }
    if (!unspaced_script(last_cp(ph)))
        pd_strbuf_str(b, "(?![\\p{L}\\p{N}_]|-\\p{L})");
    pd_strbuf_str(b, ")");
}

static int by_len_desc(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? 1 : la > lb ? -1 : 0;
}

void pd_segmenter_free(pd_segmenter *s)
{
    if (!s)
        return;
    pcre2_match_data_free(s->md);
    pcre2_code_free(s->re);
    for (int i = 0; i < s->n_phrases; i++)
        free(s->phrase[i]);
    free(s->phrase);
    free(s->group);
    free(s->text);
    free(s->chunks);
    free(s->th);
    free(s);
}

pd_status pd_segmenter_new(const pd_phrases *ph, pd_segmenter **out)
{
    *out = NULL;
    pd_segmenter *s = calloc(1, sizeof *s);
    if (!s)
        return pd_fail(PD_ENOMEM, "segmenter: out of memory");
    s->n_phrases = ph->n;
    s->phrase = calloc((size_t)ph->n, sizeof *s->phrase);
    s->group = calloc((size_t)ph->n, sizeof *s->group);
    if (!s->phrase || !s->group) {
        pd_segmenter_free(s);
        return pd_fail(PD_ENOMEM, "segmenter: out of memory");
    }
    /* longest first, so that the longest phrase wins at one place */
    for (int i = 0; i < ph->n; i++)
        s->phrase[i] = ph->v[i].text;
    qsort(s->phrase, (size_t)ph->n, sizeof *s->phrase, by_len_desc);
    pd_strbuf b = {0};
    pd_strbuf_str(&b, "(?:(?<=\\n)[ \\t]*(?:\\*\\*)?|(?<=[.!?:])[ \\t]+|"
               "(?<=[\xe3\x80\x82\xef\xbc\x81\xef\xbc\x9f\xef\xbc\x9a\xef\xbc\x9b])\\s*)(?:");
    for (int i = 0; i < ph->n; i++) {
        const char *txt = s->phrase[i];
        s->phrase[i] = NULL;
        for (int j = 0; j < ph->n; j++)
            if (ph->v[j].text == txt)
                s->group[i] = ph->v[j].group;
        if (!(s->phrase[i] = strdup(txt)))
            b.oom = true;
        if (i)
            pd_strbuf_str(&b, "|");
        add_phrase_re(&b, txt);
    }
    pd_strbuf_str(&b, ")");
    if (b.oom) {
        free(b.p);
        pd_segmenter_free(s);
        return pd_fail(PD_ENOMEM, "segmenter: out of memory");
    }
    int err;
    PCRE2_SIZE eoff;
    s->re = pcre2_compile((PCRE2_SPTR)b.p, b.n, PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS |
                          PCRE2_MATCH_INVALID_UTF, &err, &eoff, NULL);
    free(b.p);
    if (!s->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        pd_segmenter_free(s);
        return pd_fail(PD_EFORMAT, "%s: phrases do not make a pattern: %s", ph->source, (char *)msg);
    }
    pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD); /* optional */
    if (!(s->md = pcre2_match_data_create_from_pattern(s->re, NULL))) {
        pd_segmenter_free(s);
        return pd_fail(PD_ENOMEM, "segmenter: out of memory");
    }
    *out = s;
    return PD_OK;
}

/* ------------------------------------------------------------ matching -- */

void pd_segmenter_reset(pd_segmenter *s)
{
    s->first_text = 0;
    s->len = 0;
    s->n_chunks = 0;
    s->scan = 0;
    s->open = false;
    s->n_th = 0;
}

static pd_thought *new_thought(pd_segmenter *s, int pos, int group, const char *trigger,
                               size_t off)
{
    if (s->n_th == s->cap_th) {
        int cap = s->cap_th ? s->cap_th * 2 : 16;
        pd_thought *t = realloc(s->th, (size_t)cap * sizeof *t);
        if (!t)
            return NULL;
        s->th = t;
        s->cap_th = cap;
    }
    if (s->n_th > 0 && s->th[s->n_th - 1].end < 0)
        s->th[s->n_th - 1].end = pos;
    pd_thought *t = &s->th[s->n_th];
    memset(t, 0, sizeof *t);
    t->index = s->n_th++;
    t->start = pos;
    t->end = -1;
    t->group = group;
    snprintf(t->trigger, sizeof t->trigger, "%s", trigger);
    t->text_start = off;
    return t;
}

const pd_thought *pd_segmenter_begin(pd_segmenter *s, int pos)
{
    s->first_text = 0;
    s->len = 0;
    s->n_chunks = 0;
    s->scan = 0;
    s->open = true;
    return new_thought(s, pos, 0, "", 0);
}

static int pos_of(const pd_segmenter *s, size_t off)
{
    int lo = 0, hi = s->n_chunks - 1;
    while (lo < hi) {           /* last chunk with chunk.off <= off */
        int mid = (lo + hi + 1) / 2;
        if (s->chunks[mid].off <= off) lo = mid; else hi = mid - 1;
    }
    return s->n_chunks ? s->chunks[lo].pos : 0;
}

static bool only_blank_before(const pd_segmenter *s, size_t off)
{
    return off <= s->first_text;
}

/* Find complete matches from s->scan; stop at a partial one unless final. */
static pd_status scan(pd_segmenter *s, bool final, pd_thought_fn fn, void *user)
{
    uint32_t opts = final ? 0 : PCRE2_PARTIAL_HARD;
    while (s->scan <= s->len) {
        int rc = pcre2_match(s->re, (PCRE2_SPTR)s->text, s->len, s->scan, opts, s->md, NULL);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc == PCRE2_ERROR_PARTIAL) {
            s->scan = ov[0];        /* wait for more text from here */
            return PD_OK;
        }
        if (rc < 0)
            return pd_fail(PD_EUNSUPPORTED, "segmenter: pcre2 match error %d", rc);
        int k = 1;
        while (k < rc && ov[2 * k] == PCRE2_UNSET)
            k++;
        size_t start = k < rc ? ov[2 * k] : ov[0];
        s->scan = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        if (k >= rc || only_blank_before(s, start))
            continue;               /* opens the block: part of thought 0 */
        int i = k - 1;
        pd_thought *t = new_thought(s, pos_of(s, start), s->group[i], s->phrase[i], start);
        if (!t)
            return pd_fail(PD_ENOMEM, "segmenter: out of memory");
        if (fn)
            fn(t, user);
    }
    /* nothing can start before the last few bytes any more */
    s->scan = s->len;
    return PD_OK;
}

pd_status pd_segmenter_push(pd_segmenter *s, const char *text, size_t len, int pos,
                            pd_thought_fn fn, void *user)
{
    if (!s->open)
        pd_segmenter_begin(s, pos);
    if (len == 0)
        return PD_OK;
    if (s->len + len + 1 > s->cap) {
        size_t cap = (s->len + len + 1) * 2;
        char *p = realloc(s->text, cap);
        if (!p)
            return pd_fail(PD_ENOMEM, "segmenter: out of memory");
        s->text = p;
        s->cap = cap;
    }
    if (s->n_chunks == s->cap_chunks) {
        int cap = s->cap_chunks ? s->cap_chunks * 2 : 256;
        chunk *c = realloc(s->chunks, (size_t)cap * sizeof *c);
        if (!c)
            return pd_fail(PD_ENOMEM, "segmenter: out of memory");
        s->chunks = c;
        s->cap_chunks = cap;
    }
    s->chunks[s->n_chunks++] = (chunk){s->len, pos};
    if (s->first_text == s->len) {
        size_t k = 0;
        while (k < len && strchr(" \t\r\n*", text[k]) && text[k])
            k++;
        s->first_text += k;
    }
    memcpy(s->text + s->len, text, len);
    s->len += len;
    s->text[s->len] = '\0';
    /* a match may begin up to one character before the old end (the
     * look-behind reads further back by itself) */
    return scan(s, false, fn, user);
}

pd_status pd_segmenter_finish(pd_segmenter *s, int end_pos, pd_thought_fn fn, void *user)
{
    if (!s->open)
        return PD_OK;
    pd_status st = scan(s, true, fn, user);
    if (s->n_th > 0 && s->th[s->n_th - 1].end < 0)
        s->th[s->n_th - 1].end = end_pos;
    s->open = false;
    return st;
}

int pd_segmenter_count(const pd_segmenter *s) { return s->n_th; }

const pd_thought *pd_segmenter_get(const pd_segmenter *s, int i)
{
    return i >= 0 && i < s->n_th ? &s->th[i] : NULL;
}

const char *pd_segmenter_text(const pd_segmenter *s, size_t *len)
{
    *len = s->len;
    return s->len ? s->text : "";
}
