/* test_thoughts.c - phrase-set parsing, and thought segmentation of recorded
 * traces (tests/fixtures/traces) fed in many token splits, against the
 * boundaries written by hand into the traces. */
#include "t.h"
#include "phrases.h"
#include "thoughts.h"
#include "sampler.h"

/* ------------------------------------------------------------- phrases -- */

static pd_status parse(const char *text, pd_phrases **ph)
{
    return pd_phrases_parse(text, strlen(text), "t.txt", ph);
}

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", t_srcdir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void test_phrases_parse(void)
{
    pd_phrases *ph;
    T_CHECK(parse("\xef\xbb\xbf# c\n[switch]\n  Alternatively  \r\n Another\t  approach # x\n"
                  "\n[reflect]\nWait\n", &ph) == PD_OK);
    T_EQ_INT(ph->n, 3);
    T_EQ_STR(ph->v[0].text, "Alternatively");
    T_EQ_INT(ph->v[0].group, PD_GROUP_SWITCH);
    T_EQ_INT(ph->v[0].line, 3);
    T_EQ_STR(ph->v[1].text, "Another approach");
    T_EQ_STR(ph->v[2].text, "Wait");
    T_EQ_INT(ph->v[2].group, PD_GROUP_REFLECT);
    T_EQ_INT(ph->v[2].line, 7);
    pd_phrases_free(ph);
}

static void test_phrases_errors(void)
{
    pd_phrases *ph = NULL;
    T_CHECK(parse("Wait\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "t.txt:1:") && strstr(pd_errmsg(), "before any"));
    T_CHECK(parse("[switch]\nA\n[others]\nB\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "t.txt:3:") && strstr(pd_errmsg(), "unknown section"));
    T_CHECK(parse("[switch]\nok\nbad \xff\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "t.txt:3:") && strstr(pd_errmsg(), "UTF-8"));
    T_CHECK(parse("[switch]\n\xc0\xaf\n", &ph) == PD_EFORMAT);        /* overlong */
    T_CHECK(parse("[switch]\n\xed\xa0\x80\n", &ph) == PD_EFORMAT);    /* surrogate */
    T_CHECK(parse("[switch]\na\x01z\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "control"));
    T_CHECK(parse("[switch]\nWait\n[reflect]\nwait\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "t.txt:4:") && strstr(pd_errmsg(), "line 2"));
    T_CHECK(parse("# nothing\n[switch]\n", &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "no phrases"));
    char longp[400] = "[switch]\n";
    memset(longp + 9, 'a', 200);
    T_CHECK(parse(longp, &ph) == PD_EFORMAT);
    T_CHECK(strstr(pd_errmsg(), "longer"));
    T_CHECK(pd_phrases_load("/nonexistent/x.txt", &ph) == PD_EIO);
    T_CHECK(ph == NULL);
}

static void test_phrase_files(void)
{
    /* the built-in set is exactly share/ponder/phrases/en.txt */
    size_t n;
    char *en = slurp("share/ponder/phrases/en.txt", &n);
    T_CHECK(en);
    T_EQ_STR(pd_phrases_builtin_text(), en);
    free(en);
    const char *files[] = {"en", "zh", "ko"};
    for (int i = 0; i < 3; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/share/ponder/phrases/%s.txt", t_srcdir(), files[i]);
        pd_phrases *ph;
        T_CHECKF(pd_phrases_load(path, &ph) == PD_OK, "%s", pd_errmsg());
        int sw = 0, rf = 0;
        for (int k = 0; k < ph->n; k++)
            *(ph->v[k].group == PD_GROUP_SWITCH ? &sw : &rf) += 1;
        T_CHECK(sw >= 5 && rf >= 5);
        pd_phrases_free(ph);
    }
}

/* ------------------------------------------------------------- traces -- */

typedef struct expect { size_t off; char trigger[PD_PHRASE_MAX + 1]; } expect;

/* Remove the [[PHRASE]] markers; fill the expected boundaries. */
static char *strip_markers(const char *in, expect *ex, int *n_ex)
{
    char *out = malloc(strlen(in) + 1);
    size_t o = 0;
    *n_ex = 0;
    for (const char *p = in; *p;) {
        if (p[0] == '[' && p[1] == '[') {
            const char *e = strstr(p, "]]");
            size_t k = (size_t)(e - p - 2);
            ex[*n_ex].off = o;
            memcpy(ex[*n_ex].trigger, p + 2, k);
            ex[*n_ex].trigger[k] = '\0';
            (*n_ex)++;
            p = e + 2;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

typedef struct got { int n; pd_thought t[64]; } got;

static void on_thought(const pd_thought *t, void *user)
{
    got *g = user;
    if (g->n < 64)
        g->t[g->n++] = *t;
}

static size_t utf8_char_end(const char *s, size_t i, size_t len)
{
    i++;
    while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
        i++;
    return i;
}

/* Split `text` into tokens by `mode`, feed them, compare with `ex`. */
static void feed_and_check(pd_segmenter *seg, const char *name, const char *text,
                           const expect *ex, int n_ex, int mode, uint64_t seed)
{
    size_t len = strlen(text);
    got g = {0};
    int pos0 = 3;   /* think starts at generated token 3 */
    pd_segmenter_reset(seg);
    const pd_thought *t0 = pd_segmenter_begin(seg, pos0);
    T_CHECK(t0 && t0->index == 0 && t0->start == pos0);
    size_t cut[4096];
    int n_cut = 0;
    pd_rng r;
    pd_rng_seed(&r, seed);
    for (size_t i = 0; i < len;) {
        size_t j;
        if (mode == 0) {                 /* one character per token */
            j = utf8_char_end(text, i, len);
        } else if (mode == 1) {          /* words with their leading space */
            j = utf8_char_end(text, i, len);
            while (j < len && text[j] != ' ' && text[j] != '\n' && text[j] != ',')
                j = utf8_char_end(text, j, len);
        } else {                         /* 1..8 characters at random */
            int k = 1 + (int)(pd_rng_next(&r) % 8);
            j = i;
            while (k-- > 0 && j < len)
                j = utf8_char_end(text, j, len);
        }
        cut[n_cut++] = i;
        T_CHECK(pd_segmenter_push(seg, text + i, j - i, pos0 + n_cut - 1, on_thought, &g) == PD_OK);
        i = j;
    }
    int end = pos0 + n_cut;
    T_CHECK(pd_segmenter_finish(seg, end, on_thought, &g) == PD_OK);
    T_CHECKF(g.n == n_ex, "%s mode %d: %d thoughts found, %d expected (first extra: '%s' at %zu)",
             name, mode, g.n, n_ex, g.n > n_ex ? g.t[n_ex].trigger : "",
             g.n > n_ex ? g.t[n_ex].text_start : 0);
    for (int i = 0; i < n_ex; i++) {
        T_CHECKF(g.t[i].text_start == ex[i].off, "%s mode %d thought %d at byte %zu, expected %zu",
                 name, mode, i + 1, g.t[i].text_start, ex[i].off);
        T_EQ_STR(g.t[i].trigger, ex[i].trigger);
        T_EQ_INT(g.t[i].index, i + 1);
        int want = 0;   /* the token holding the phrase's first byte */
        while (want + 1 < n_cut && cut[want + 1] <= ex[i].off)
            want++;
        T_EQ_INT(g.t[i].start, pos0 + want);
    }
    /* per-thought stats: contiguous, closed at the end */
    T_EQ_INT(pd_segmenter_count(seg), n_ex + 1);
    for (int i = 0; i <= n_ex; i++) {
        const pd_thought *t = pd_segmenter_get(seg, i);
        const pd_thought *nx = pd_segmenter_get(seg, i + 1);
        T_EQ_INT(t->end, nx ? nx->start : end);
        T_CHECK(t->end >= t->start);
    }
}

static void check_trace(const char *file)
{
    size_t n;
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/traces/%s", file);
    char *raw = slurp(rel, &n);
    if (!raw)
        T_FAIL_("cannot read %s", rel);
    if (n && raw[n - 1] == '\n')
        raw[n - 1] = '\0';       /* so a phrase can end the block */
    expect ex[64];
    int n_ex;
    char *text = strip_markers(raw, ex, &n_ex);
    T_CHECK(n_ex >= 4);
    pd_phrases *ph;
    char path[1024];
    const char *lang = strncmp(file, "zh", 2) == 0 ? "zh" : strncmp(file, "ko", 2) == 0 ? "ko" : "en";
    snprintf(path, sizeof path, "%s/share/ponder/phrases/%s.txt", t_srcdir(), lang);
    T_CHECKF(pd_phrases_load(path, &ph) == PD_OK, "%s", pd_errmsg());
    pd_segmenter *seg;
    T_CHECKF(pd_segmenter_new(ph, &seg) == PD_OK, "%s", pd_errmsg());
    for (int mode = 0; mode < 3; mode++)
        for (uint64_t seed = 1; seed <= (mode == 2 ? 20u : 1u); seed++)
            feed_and_check(seg, file, text, ex, n_ex, mode, seed);
    /* the whole trace as one token */
    got g = {0};
    pd_segmenter_reset(seg);
    pd_segmenter_begin(seg, 0);
    pd_segmenter_push(seg, text, strlen(text), 0, on_thought, &g);
    pd_segmenter_finish(seg, 1, on_thought, &g);
    T_EQ_INT(g.n, n_ex);
    pd_segmenter_free(seg);
    pd_phrases_free(ph);
    free(text);
    free(raw);
}

static void test_trace_en(void) { check_trace("en-qwq.txt"); }
static void test_trace_zh(void) { check_trace("zh-qwq.txt"); }
static void test_trace_ko(void) { check_trace("ko-qwq.txt"); }

static void test_split_phrase(void)
{
    /* "Altern" + "atively" + "," : found once, when the comma arrives, at
     * the position of "Altern" */
    pd_phrases *ph;
    T_CHECK(pd_phrases_load(NULL, &ph) == PD_OK);
    pd_segmenter *seg;
    T_CHECK(pd_segmenter_new(ph, &seg) == PD_OK);
    got g = {0};
    pd_segmenter_begin(seg, 0);
    const char *toks[] = {"So", " 4", ".", " Altern", "atively", ",", " maybe", " Wait", "ing"};
    int after[] = {0, 0, 0, 0, 0, 1, 1, 1, 1};
    for (int i = 0; i < 9; i++) {
        pd_segmenter_push(seg, toks[i], strlen(toks[i]), i, on_thought, &g);
        T_EQ_INT(g.n, after[i]);
    }
    T_EQ_INT(g.t[0].start, 3);
    T_EQ_STR(g.t[0].trigger, "Alternatively");
    T_EQ_INT(g.t[0].group, PD_GROUP_SWITCH);
    /* "But wait" is longer than "Wait": the longest phrase wins */
    const char *more[] = {".\n", "But", " wait", ","};
    for (int i = 0; i < 4; i++)
        pd_segmenter_push(seg, more[i], strlen(more[i]), 9 + i, on_thought, &g);
    T_EQ_INT(g.n, 2);
    T_EQ_STR(g.t[1].trigger, "But wait");
    T_EQ_INT(g.t[1].group, PD_GROUP_REFLECT);
    T_EQ_INT(g.t[1].start, 10);
    /* a phrase opening the block is thought 0's */
    pd_segmenter_reset(seg);
    g.n = 0;
    pd_segmenter_begin(seg, 0);
    pd_segmenter_push(seg, "\nHmm, ok. ", 9, 0, on_thought, &g);
    pd_segmenter_finish(seg, 1, on_thought, &g);
    T_EQ_INT(g.n, 0);
    /* invalid UTF-8 in the stream is no crash */
    pd_segmenter_reset(seg);
    pd_segmenter_begin(seg, 0);
    pd_segmenter_push(seg, "x\xff. Wait, y", 11, 0, on_thought, &g);
    T_EQ_INT(g.n, 1);
    pd_segmenter_free(seg);
    pd_phrases_free(ph);
}

int main(void)
{
    T_RUN(test_phrases_parse);
    T_RUN(test_phrases_errors);
    T_RUN(test_phrase_files);
    T_RUN(test_trace_en);
    T_RUN(test_trace_zh);
    T_RUN(test_trace_ko);
    T_RUN(test_split_phrase);
    T_DONE();
}
