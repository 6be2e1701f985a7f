/* eval.c - `ponder eval`'s engine half: load a JSONL set with jansson, run
 * every item through a session, check answers, and compute the metrics and
 * the UT score defined in eval.h. */
#include "eval.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define EVAL_MAX_BYTES (256 << 20)

/* ---------------------------------------------------------------- set -- */

void pd_eval_set_free(pd_eval_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n; i++) {
        free(set->v[i].prompt);
        free(set->v[i].answer);
    }
    free(set->v);
    free(set);
}

static bool next_number(const char *s, size_t len, size_t *i, double *v);
static void trim(const char **s, size_t *len);

static pd_status add_item(pd_eval_set *set, const char *path, int line, json_t *j)
{
    json_t *pr = json_object_get(j, "prompt"), *an = json_object_get(j, "answer");
    if (!json_is_object(j) || !json_is_string(pr))
        return pd_fail(PD_EFORMAT, "%s:%d: expected an object with a string \"prompt\"", path, line);
    char num[64];
    const char *answer;
    if (json_is_string(an)) {
        answer = json_string_value(an);
    } else if (json_is_integer(an)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(an));
        answer = num;
    } else if (json_is_real(an)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(an));
        answer = num;
    } else {
        return pd_fail(PD_EFORMAT, "%s:%d: \"answer\" must be a string or a number", path, line);
    }
    if (set->n >= 10000000)
        return pd_fail(PD_ELIMIT, "%s:%d: too many items", path, line);
    pd_eval_item *v = realloc(set->v, (size_t)(set->n + 1) * sizeof *v);
    if (!v)
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    set->v = v;
    pd_eval_item *it = &v[set->n];
    memset(it, 0, sizeof *it);
    it->prompt = strdup(json_string_value(pr));
    it->answer = strdup(answer);
    if (!it->prompt || !it->answer) {
        free(it->prompt);
        free(it->answer);
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    }
    /* trimmed, is the whole expected answer one number in the syntax the
     * answer check reads (eval.h)? Not strtod's: "1e5" or "0x10" would be
     * numbers no answer could ever equal (the check reads 5 and 10). */
    const char *a = it->answer;
    size_t al = strlen(a), used = 0;
    trim(&a, &al);
    if (al > 1 && *a == '+' && isdigit((unsigned char)a[1])) {
        a++;
        al--;
    }
    double d = 0;
    it->numeric = al > 0 && (isdigit((unsigned char)*a) ||
                             (*a == '-' && al > 1 && isdigit((unsigned char)a[1]))) &&
                  next_number(a, al, &used, &d) && used == al && isfinite(d);
    it->value = it->numeric ? d : 0;
    set->n++;
    return PD_OK;
}

pd_status pd_eval_load(const char *path, pd_eval_set **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pd_fail(PD_EIO, "%s: %s", path, strerror(errno));
    /* an eval set is a file of reasonable size: not a directory, not an
     * endless device like /dev/zero */
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return pd_fail(PD_EARG, "%s: not a regular file", path);
    }
    if (sb.st_size > EVAL_MAX_BYTES) {
        fclose(f);
        return pd_fail(PD_ELIMIT, "%s: %lld bytes; an eval set may have at most %d MiB",
                       path, (long long)sb.st_size, EVAL_MAX_BYTES >> 20);
    }
    pd_eval_set *set = calloc(1, sizeof *set);
    if (!set) {
        fclose(f);
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ln = 0;
    pd_status st = PD_OK;
    while (!st && (n = getline(&line, &cap, f)) >= 0) {
        ln++;
        size_t k = strspn(line, " \t\r\n");
        if ((ssize_t)k == n)
            continue;
        json_error_t err;
        json_t *j = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &err);
        if (!j)
            st = pd_fail(PD_EFORMAT, "%s:%d: %s", path, ln, err.text);
        else
            st = add_item(set, path, ln, j);
        json_decref(j);
    }
    free(line);
    fclose(f);
    if (!st && set->n == 0)
        st = pd_fail(PD_EFORMAT, "%s: no items", path);
    if (st) {
        pd_eval_set_free(set);
        return st;
    }
    *out = set;
    return PD_OK;
}

/* ------------------------------------------------------------ checks -- */

/* The next number in s[*i..len): returns false when there is none. */
static bool next_number(const char *s, size_t len, size_t *i, double *v)
{
    for (; *i < len; (*i)++) {
        size_t p = *i;
        bool neg = false;
        if (s[p] == '-' && p + 1 < len && isdigit((unsigned char)s[p + 1]) &&
            (p == 0 || !isalnum((unsigned char)s[p - 1]))) {
            neg = true;
            p++;
        }
        if (!isdigit((unsigned char)s[p]))
            continue;
        char buf[128];
        size_t b = 0;
        while (p < len && b < sizeof buf - 2) {
            if (isdigit((unsigned char)s[p])) {
                buf[b++] = s[p++];
            } else if (s[p] == ',' && p + 3 < len + 0 && isdigit((unsigned char)s[p + 1]) &&
                       isdigit((unsigned char)s[p + 2]) && isdigit((unsigned char)s[p + 3]) &&
                       (p + 4 >= len || !isdigit((unsigned char)s[p + 4]))) {
                p++;                 /* a thousands separator */
            } else {
                break;
            }
        }
        if (p + 1 < len && s[p] == '.' && isdigit((unsigned char)s[p + 1])) {
            buf[b++] = s[p++];
            while (p < len && isdigit((unsigned char)s[p]) && b < sizeof buf - 1)
                buf[b++] = s[p++];
        }
        while (p < len && isdigit((unsigned char)s[p]))
            p++;                     /* absurdly long: the rest is the same number */
        buf[b] = '\0';
        *v = strtod(buf, NULL) * (neg ? -1 : 1);
        *i = p;
        return true;
    }
    return false;
}

static bool same_number(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static bool word_match(const char *text, size_t len, const char *word, size_t wl, bool whole)
{
    if (wl == 0 || wl > len)
        return false;
    for (size_t i = 0; i + wl <= len; i++) {
        if (strncasecmp(text + i, word, wl) != 0)
            continue;
        if (!whole)
            return true;
        bool before = i == 0 || !isalnum((unsigned char)text[i - 1]);
        bool after = i + wl == len || !isalnum((unsigned char)text[i + wl]);
        if (before && after)
            return true;
    }
    return false;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) { (*s)++; (*len)--; }
    while (*len && isspace((unsigned char)(*s)[*len - 1])) (*len)--;
}

bool pd_eval_answer_correct(const pd_eval_item *it, const char *answer, size_t len)
{
    trim(&answer, &len);
    if (it->numeric) {
        double v, last = 0;
        bool any = false;
        for (size_t i = 0; next_number(answer, len, &i, &v);) {
            last = v;
            any = true;
        }
        return any && same_number(last, it->value);
    }
    const char *want = it->answer;
    size_t wl = strlen(want);
    trim(&want, &wl);
    return wl == len && strncasecmp(answer, want, len) == 0;
}

bool pd_eval_thought_correct(const pd_eval_item *it, const char *text, size_t len)
{
    if (it->numeric) {
        double v;
        for (size_t i = 0; next_number(text, len, &i, &v);)
            if (same_number(v, it->value))
                return true;
        return false;
    }
    const char *want = it->answer;
    size_t wl = strlen(want);
    trim(&want, &wl);
    return word_match(text, len, want, wl, true);
}

/* --------------------------------------------------------------- run -- */

typedef struct piece { int pos; size_t off; } piece;

/* What one response emitted. */
typedef struct collect {
    char *think, *answer;
    size_t n_think, n_answer, cap_think, cap_answer;
    piece *pieces;
    int n_pieces, cap_pieces;
    int thought_pos[4096];
    int n_thoughts;
    pd_stats stats;
    bool oom;
} collect;

static void append(char **buf, size_t *n, size_t *cap, const char *s, size_t len, bool *oom)
{
    if (*n + len + 1 > *cap) {
        size_t c = (*n + len + 1) * 2;
        char *p = realloc(*buf, c);
        if (!p) { *oom = true; return; }
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = '\0';
}

static void on_event(const pd_event *ev, void *user)
{
    collect *c = user;
    if (ev->type == PD_EV_THINK) {
        if (c->n_pieces == c->cap_pieces) {
            int cap = c->cap_pieces ? c->cap_pieces * 2 : 256;
            piece *p = realloc(c->pieces, (size_t)cap * sizeof *p);
            if (!p) { c->oom = true; return; }
            c->pieces = p;
            c->cap_pieces = cap;
        }
        c->pieces[c->n_pieces++] = (piece){ev->position, c->n_think};
        append(&c->think, &c->n_think, &c->cap_think, ev->text, ev->len, &c->oom);
    } else if (ev->type == PD_EV_ANSWER) {
        append(&c->answer, &c->n_answer, &c->cap_answer, ev->text, ev->len, &c->oom);
    } else if (ev->type == PD_EV_THOUGHT) {
        if (c->n_thoughts < (int)(sizeof c->thought_pos / sizeof c->thought_pos[0]))
            c->thought_pos[c->n_thoughts++] = ev->position;
    } else if ((ev->type == PD_EV_STATS || ev->type == PD_EV_DONE) && ev->stats) {
        c->stats = *ev->stats;
    }
}

double pd_eval_ut(const pd_eval_item *it, const int *thought_start, int n_thoughts,
                  const pd_eval_piece *pieces, int n_pieces)
{
    if (n_thoughts == 0 || n_pieces == 0)
        return 0;
    int start = thought_start[0], end = pieces[n_pieces - 1].pos + 1;
    if (end <= start)
        return 0;
    size_t cap = 0;
    for (int i = 0; i < n_pieces; i++)
        cap += pieces[i].len;
    char *text = malloc(cap + 1);
    if (!text)
        return 0;
    int j = 0;
    double ut = 0;
    for (int k = 0; k < n_thoughts; k++) {
        int to = k + 1 < n_thoughts ? thought_start[k + 1] : end;
        size_t n = 0;
        while (j < n_pieces && pieces[j].pos < thought_start[k])
            j++;
        for (; j < n_pieces && pieces[j].pos < to; j++) {
            memcpy(text + n, pieces[j].text, pieces[j].len);
            n += pieces[j].len;
        }
        if (pd_eval_thought_correct(it, text, n)) {
            ut = 1.0 - (double)(to - start) / (double)(end - start);
            break;
        }
    }
    free(text);
    return ut;
}

/* UT of a wrong response (eval.h). */
static double ut_of(const collect *c, const pd_eval_item *it)
{
    pd_eval_piece *p = malloc((size_t)(c->n_pieces ? c->n_pieces : 1) * sizeof *p);
    if (!p)
        return 0;
    for (int i = 0; i < c->n_pieces; i++) {
        size_t end = i + 1 < c->n_pieces ? c->pieces[i + 1].off : c->n_think;
        p[i] = (pd_eval_piece){c->pieces[i].pos, c->think + c->pieces[i].off,
                               end - c->pieces[i].off};
    }
    double ut = pd_eval_ut(it, c->thought_pos, c->n_thoughts, p, c->n_pieces);
    free(p);
    return ut;
}

static void collect_reset(collect *c)
{
    c->n_think = c->n_answer = 0;
    c->n_pieces = c->n_thoughts = 0;
    memset(&c->stats, 0, sizeof c->stats);
    c->oom = false;
    if (c->think) c->think[0] = '\0';
    if (c->answer) c->answer[0] = '\0';
}

pd_status pd_eval_run(pd_session *s, const pd_eval_set *set, const pd_params *p, int samples,
                      pd_eval_fn fn, void *user, pd_eval_result *out)
{
    memset(out, 0, sizeof *out);
    if (samples < 1)
        samples = 1;
    collect c = {0};
    double sum_think = 0, sum_thoughts = 0, sum_sw = 0, sum_sup = 0, sum_ut = 0;
    double tokens = 0, seconds = 0;
    int total = set->n * samples, done = 0;
    pd_status st = PD_OK;
    for (int i = 0; i < set->n && !st; i++)
        for (int k = 0; k < samples && !st; k++) {
            pd_params q = *p;
            q.seed = p->seed + (uint64_t)k;
            pd_session_set_params(s, &q);
            pd_session_clear(s);
            collect_reset(&c);
            st = pd_session_generate(s, set->v[i].prompt, on_event, &c);
            /* a response that filled the context is judged as it is; a
             * prompt that did not fit at all is an error worth naming */
            if (st == PD_ELIMIT && c.stats.think_tokens + c.stats.answer_tokens > 0)
                st = PD_OK;
            else if (st)
                st = pd_fail(st, "eval: item %d: %s", i + 1, pd_errmsg());
            if (!st && c.oom)
                st = pd_fail(PD_ENOMEM, "eval: out of memory");
            if (st)
                break;
            pd_eval_response r = {.item = i, .sample = k, .ut = -1,
                                  .answer_text = c.answer ? c.answer : ""};
            r.correct = pd_eval_answer_correct(&set->v[i], r.answer_text, c.n_answer);
            r.think_tokens = c.stats.think_tokens;
            r.tokens = c.stats.think_tokens + c.stats.answer_tokens;
            r.thoughts = c.stats.thoughts;
            r.switches = c.stats.switches;
            r.suppressed = c.stats.suppressed;
            r.seconds = c.stats.tok_per_s > 0 ? r.tokens / c.stats.tok_per_s : 0;
            if (!r.correct) {
                r.ut = ut_of(&c, &set->v[i]);
                sum_ut += r.ut;
                out->n_wrong++;
            } else {
                out->n_correct++;
            }
            sum_think += r.think_tokens;
            sum_thoughts += r.thoughts;
            sum_sw += r.switches;
            sum_sup += r.suppressed;
            tokens += r.tokens;
            seconds += r.seconds;
            out->n++;
            if (fn)
                fn(&r, ++done, total, user);
        }
    free(c.think);
    free(c.answer);
    free(c.pieces);
    pd_session_set_params(s, p);
    if (out->n > 0) {
        out->accuracy = (double)out->n_correct / out->n;
        out->think_tokens = sum_think / out->n;
        out->thoughts = sum_thoughts / out->n;
        out->switches = sum_sw / out->n;
        out->suppressed = sum_sup / out->n;
        out->tokens_per_thought = sum_thoughts > 0 ? sum_think / sum_thoughts : 0;
    }
    out->ut_score = out->n_wrong ? sum_ut / out->n_wrong : 0;
    out->tok_per_s = seconds > 0 ? tokens / seconds : 0;
    return st;
}
