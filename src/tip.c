/* tip.c - the switch-token set V̂ and the thought-switching penalty with its
 * companions (no-wait, min-thought, think budget); the rules are in tip.h. */
#include "tip.h"
#include "sampler.h"
#include "tokenizer.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ V̂ -- */

pd_status pd_tipset_new(int n_vocab, pd_tipset **out)
{
    *out = NULL;
    if (n_vocab <= 0)
        return pd_fail(PD_EARG, "switch-token set: vocabulary size %d", n_vocab);
    pd_tipset *s = calloc(1, sizeof *s);
    if (!s || !(s->group_of = calloc((size_t)n_vocab, 1))) {
        free(s);
        return pd_fail(PD_ENOMEM, "switch-token set: out of memory");
    }
    s->n_vocab = n_vocab;
    *out = s;
    return PD_OK;
}

void pd_tipset_free(pd_tipset *s)
{
    if (!s)
        return;
    free(s->v);
    free(s->group_of);
    free(s);
}

pd_status pd_tipset_add(pd_tipset *s, int32_t id, int group, const char *phrase,
                        const char *piece, size_t piece_len)
{
    if (id < 0 || id >= s->n_vocab)
        return pd_fail(PD_EARG, "switch-token set: id %d out of range", (int)id);
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->v[mid].id < id) lo = mid + 1; else hi = mid;
    }
    if (lo < s->n && s->v[lo].id == id) {
        s->v[lo].group |= group;
        s->group_of[id] = (unsigned char)s->v[lo].group;
        return PD_OK;
    }
    pd_tip_entry *v = realloc(s->v, (size_t)(s->n + 1) * sizeof *v);
    if (!v)
        return pd_fail(PD_ENOMEM, "switch-token set: out of memory");
    s->v = v;
    memmove(v + lo + 1, v + lo, (size_t)(s->n - lo) * sizeof *v);
    pd_tip_entry *e = &v[lo];
    memset(e, 0, sizeof *e);
    e->id = id;
    e->group = group;
    snprintf(e->phrase, sizeof e->phrase, "%s", phrase ? phrase : "");
    if (piece) {
        size_t n = piece_len < sizeof e->piece - 1 ? piece_len : sizeof e->piece - 1;
        memcpy(e->piece, piece, n);
        e->piece[n] = '\0';
    }
    s->n++;
    s->group_of[id] = (unsigned char)group;
    return PD_OK;
}

static bool is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Does the token's text spell blanks* + word exactly (ASCII case-insensitive)? */
static bool spells_word(const char *piece, size_t len, const char *word)
{
    size_t i = 0, wl = strlen(word);
    while (i < len && is_blank((unsigned char)piece[i]))
        i++;
    return len - i == wl && wl > 0 && strncasecmp(piece + i, word, wl) == 0;
}

static bool all_blank(const char *piece, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_blank((unsigned char)piece[i]))
            return false;
    return true;
}

/* The V̂ token of one stream form, or -1. */
static pd_status form_token(const pd_tokenizer *tok, const char *form, const char *word,
                            int32_t *out)
{
    int32_t *ids = NULL;
    size_t n = 0;
    *out = -1;
    pd_status st = pd_tokenize(tok, form, strlen(form), false, &ids, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *piece = pd_token_piece(tok, ids[i], &len);
        if (!piece)
            break;
        if (all_blank(piece, len))
            continue;
        if (spells_word(piece, len, word))
            *out = ids[i];
        break;
    }
    free(ids);
    return PD_OK;
}

static pd_status add_phrase_forms(pd_tipset *s, const pd_tokenizer *tok, const pd_phrase *ph)
{
    static const char *const prefix[] = {" ", "", "\n", "\n\n"};
    char variant[3][PD_PHRASE_MAX + 1];
    snprintf(variant[0], sizeof variant[0], "%s", ph->text);
    for (size_t i = 0; i <= strlen(ph->text); i++)
        variant[1][i] = (char)tolower((unsigned char)ph->text[i]);
    snprintf(variant[2], sizeof variant[2], "%s", variant[1]);
    variant[2][0] = (char)toupper((unsigned char)variant[2][0]);
    for (int v = 0; v < 3; v++)
        for (size_t p = 0; p < sizeof prefix / sizeof prefix[0]; p++) {
            char form[sizeof variant + 8];  /* (sized so gcc sees no truncation) */
            snprintf(form, sizeof form, "%s%s", prefix[p], variant[v]);
            int32_t id;
            pd_status st = form_token(tok, form, variant[v], &id);
            if (st)
                return st;
            if (id < 0)
                continue;
            size_t len = 0;
            const char *piece = pd_token_piece(tok, id, &len);
            if ((st = pd_tipset_add(s, id, ph->group, ph->text, piece, len)))
                return st;
        }
    return PD_OK;
}

pd_status pd_tipset_build(const pd_phrases *ph, const pd_tokenizer *tok, pd_tipset **out)
{
    pd_tipset *s;
    pd_status st = pd_tipset_new(pd_tokenizer_n_vocab(tok), &s);
    if (st)
        return st;
    for (int i = 0; i < ph->n && !st; i++)
        if (!strchr(ph->v[i].text, ' '))
            st = add_phrase_forms(s, tok, &ph->v[i]);
    if (st) {
        pd_tipset_free(s);
        return st;
    }
    *out = s;
    return PD_OK;
}

/* ------------------------------------------------------------- penalty -- */

void pd_tip_begin(pd_tip *t, const pd_tipset *set)
{
    memset(t, 0, sizeof *t);
    t->set = set;
}

void pd_tip_enter_think(pd_tip *t, int pos)
{
    t->in_think = true;
    t->psi = t->thought_start = pos;
}

void pd_tip_leave_think(pd_tip *t) { t->in_think = false; }

void pd_tip_new_thought(pd_tip *t, int pos)
{
    if (pos > t->psi)
        t->psi = pos;
    if (pos > t->thought_start)
        t->thought_start = pos;
}

/* Window start and length in force (min-thought replaces the paper's). */
static void window(const pd_tip *t, const pd_params *p, int *start, int *len)
{
    if (p->min_thought > 0) {
        *start = t->thought_start;
        *len = p->min_thought;
    } else {
        *start = t->psi;
        *len = p->tip_beta;
    }
}

float pd_tip_penalty(const pd_tip *t, const pd_params *p, int step)
{
    if (!t->in_think || !p->tip_on || !(p->tip_alpha > 0))
        return 0;
    int start, len;
    window(t, p, &start, &len);
    if (len <= 0 || step < start)
        return 0;
    if (p->tip_schedule == PD_TIP_DECAY)
        return p->tip_alpha * expf(-(float)(step - start) / (float)len);
    return (int64_t)step < (int64_t)start + len ? p->tip_alpha : 0;
}

int pd_tip_window_left(const pd_tip *t, const pd_params *p, int step)
{
    if (!t->in_think || !p->tip_on)
        return 0;
    int start, len;
    window(t, p, &start, &len);
    int64_t left = (int64_t)start + len - step;
    return left > 0 ? (int)left : 0;
}

void pd_tip_apply(pd_tip *t, const pd_params *p, int step, float *logits, int n_vocab,
                  pd_tip_step *out)
{
    out->penalty = 0;
    out->groups = 0;
    out->top_before = -1;
    const pd_tipset *s = t->set;
    if (!s || s->n == 0 || !t->in_think)
        return;
    float pen = pd_tip_penalty(t, p, step);
    unsigned tip_groups = pen > 0 ? p->tip_groups : 0;
    unsigned wait_groups = p->no_wait ? PD_GROUP_REFLECT : 0;
    if (!(tip_groups | wait_groups))
        return;
    out->top_before = pd_argmax(logits, n_vocab);
    for (int i = 0; i < s->n; i++) {
        int32_t id = s->v[i].id;
        if (id >= n_vocab)
            continue;
        unsigned g = (unsigned)s->v[i].group;
        if (g & wait_groups) {
            logits[id] = -INFINITY;
            out->groups |= g & wait_groups;
        } else if (g & tip_groups) {
            logits[id] -= pen;
            out->groups |= g & tip_groups;
        }
    }
    out->penalty = pen;
    if (!out->groups)
        out->top_before = -1;
}

void pd_tip_accept(pd_tip *t, const pd_params *p, int step, int32_t tok, bool think_token)
{
    if (!t->in_think || !think_token)
        return;
    t->think_tokens++;
    /* the paper's reset: every emitted switch token opens a new window (kept
     * also while TIP is off, so that switching it on live starts right) */
    if (pd_tipset_group(t->set, tok) & (int)p->tip_groups)
        t->psi = step;
}

bool pd_tip_budget_reached(const pd_tip *t, const pd_params *p)
{
    return t->in_think && p->think_budget > 0 && t->think_tokens >= p->think_budget;
}

bool pd_tip_suppressed(const pd_tip *t, const pd_tip_step *st, int32_t drawn)
{
    if (st->top_before < 0 || drawn == st->top_before)
        return false;
    return (pd_tipset_group(t->set, st->top_before) & (int)st->groups) &&
           !pd_tipset_group(t->set, drawn);
}
