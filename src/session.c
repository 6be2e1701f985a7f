/* session.c - the generation loop (session.h): a conversation on one model,
 * turned into a stream of events with TIP and the reasoning controls in the
 * sampler chain; cancellation, live parameters, KV-cache prefix reuse. */
#include "session.h"
#include "model.h"
#include "tokenizer.h"
#include "chat.h"
#include "sampler.h"
#include "phrases.h"
#include "thoughts.h"
#include "strbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATS_EVERY 16

/* ------------------------------------------------------------ session -- */

typedef struct turn { char *user, *think, *answer, *raw; } turn;

/* A built phrase set: the phrases, V̂ and the segmenter made from them. */
typedef struct phrase_kit { pd_phrases *ph; pd_tipset *vhat; pd_segmenter *seg; } phrase_kit;

struct pd_session {
    pd_model *m;
    const pd_tokenizer *tok;
    int n_vocab;
    pthread_mutex_t mu;            /* guards params, strings and stats */
    pd_params params;
    char *template_name, *system;  /* owned copies behind params' pointers */
    pd_stats stats;
    uint64_t seed_applied;
    atomic_int cancel;
    pd_sampler *smp;
    bool saved;                    /* pd_session_save_sampler was called */
    pd_rng saved_rng;              /* the random stream it saved */
    int saved_cache;               /* where the first prefill after the save began, or -1 */
    pd_phrases *ph;
    pd_tipset *vhat;
    pd_segmenter *seg;
    phrase_kit pending;            /* set while a turn ran; used from the next */
    bool busy;                     /* a turn is running (guarded by mu) */
    turn *turns;
    int n_turns;
    int32_t *cache;                /* the tokens in the KV cache, [0, n_cache) */
    int n_cache;
    int prefilled;
    float *logits, *work;          /* [n_vocab] */
};

static void free_turn(turn *t)
{
    free(t->user);
    free(t->think);
    free(t->answer);
    free(t->raw);
}

static void set_strings(pd_session *s, const pd_params *p)
{
    /* the caller's strings may die: keep copies (only when they changed, so
     * a live set_params does not free what a running turn reads) */
    if (p->template_name != s->template_name &&
        (!p->template_name || !s->template_name || strcmp(p->template_name, s->template_name))) {
        free(s->template_name);
        s->template_name = p->template_name ? strdup(p->template_name) : NULL;
    }
    if (p->system != s->system && (!p->system || !s->system || strcmp(p->system, s->system))) {
        free(s->system);
        s->system = p->system ? strdup(p->system) : NULL;
    }
    s->params = *p;
    s->params.template_name = s->template_name;
    s->params.system = s->system;
}

pd_status pd_session_new(pd_model *m, const pd_params *p, pd_session **out)
{
    *out = NULL;
    if (!m || !m->tok)
        return pd_fail(PD_EARG, "%s: the model has no usable vocabulary", m ? pd_model_name(m) : "?");
    pd_session *s = calloc(1, sizeof *s);
    if (!s)
        return pd_fail(PD_ENOMEM, "session: out of memory");
    s->m = m;
    s->tok = m->tok;
    s->n_vocab = pd_model_n_vocab(m);
    pthread_mutex_init(&s->mu, NULL);
    pd_params def;
    pd_params_default(&def);
    set_strings(s, p ? p : &def);
    s->seed_applied = s->params.seed;
    atomic_init(&s->cancel, 0);
    pd_status st = pd_sampler_new(s->n_vocab, s->params.seed, &s->smp);
    if (!st) {
        s->logits = malloc((size_t)s->n_vocab * sizeof *s->logits);
        s->work = malloc((size_t)s->n_vocab * sizeof *s->work);
        s->cache = malloc((size_t)pd_model_n_ctx(m) * sizeof *s->cache);
        if (!s->logits || !s->work || !s->cache)
            st = pd_fail(PD_ENOMEM, "session: out of memory for %d logits", s->n_vocab);
    }
    if (!st)
        st = pd_session_set_phrases(s, NULL);
    if (st) {
        pd_session_free(s);
        return st;
    }
    *out = s;
    return PD_OK;
}

void pd_session_free(pd_session *s)
{
    if (!s)
        return;
    pd_session_clear(s);
    free(s->turns);
    pd_sampler_free(s->smp);
    pd_segmenter_free(s->seg);
    pd_tipset_free(s->vhat);
    pd_phrases_free(s->ph);
    pd_segmenter_free(s->pending.seg);
    pd_tipset_free(s->pending.vhat);
    pd_phrases_free(s->pending.ph);
    free(s->template_name);
    free(s->system);
    free(s->cache);
    free(s->logits);
    free(s->work);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void pd_session_set_params(pd_session *s, const pd_params *p)
{
    pthread_mutex_lock(&s->mu);
    set_strings(s, p);
    pthread_mutex_unlock(&s->mu);
}

void pd_session_get_params(pd_session *s, pd_params *p)
{
    pthread_mutex_lock(&s->mu);
    *p = s->params;
    pthread_mutex_unlock(&s->mu);
}

static void kit_free(phrase_kit *k)
{
    pd_segmenter_free(k->seg);
    pd_tipset_free(k->vhat);
    pd_phrases_free(k->ph);
    memset(k, 0, sizeof *k);
}

/* Put the pending set in use (caller holds mu; no turn is running). */
static void kit_apply(pd_session *s)
{
    if (!s->pending.ph)
        return;
    phrase_kit old = {s->ph, s->vhat, s->seg};
    kit_free(&old);
    s->ph = s->pending.ph;
    s->vhat = s->pending.vhat;
    s->seg = s->pending.seg;
    memset(&s->pending, 0, sizeof s->pending);
}

pd_status pd_session_set_phrases(pd_session *s, const char *path)
{
    phrase_kit k = {0};
    pd_status st = pd_phrases_load(path, &k.ph);
    if (!st)
        st = pd_tipset_build(k.ph, s->tok, &k.vhat);
    if (!st)
        st = pd_segmenter_new(k.ph, &k.seg);
    if (st) {
        kit_free(&k);
        return st;
    }
    /* a running turn keeps its set; the new one starts with the next turn */
    pthread_mutex_lock(&s->mu);
    kit_free(&s->pending);
    s->pending = k;
    if (!s->busy)
        kit_apply(s);
    pthread_mutex_unlock(&s->mu);
    return PD_OK;
}

void pd_session_cancel(pd_session *s)
{
    atomic_store(&s->cancel, 1);   /* lock-free: async-signal-safe */
}

void pd_session_clear(pd_session *s)
{
    for (int i = 0; i < s->n_turns; i++)
        free_turn(&s->turns[i]);
    s->n_turns = 0;
    if (!s->smp)
        return;
    pd_sampler_reset_history(s->smp);
    /* a fresh conversation is reproducible: the RNG starts from the seed */
    pthread_mutex_lock(&s->mu);
    s->seed_applied = s->params.seed;
    pthread_mutex_unlock(&s->mu);
    pd_sampler_seed(s->smp, s->seed_applied);
}

bool pd_session_pop_turn(pd_session *s, char **user_text_out)
{
    if (user_text_out)
        *user_text_out = NULL;
    if (s->n_turns == 0)
        return false;
    turn *t = &s->turns[--s->n_turns];
    if (user_text_out) {
        *user_text_out = t->user;
        t->user = NULL;
    }
    free_turn(t);
    return true;
}

pd_status pd_session_save_sampler(pd_session *s)
{
    if (!s->smp)
        return pd_fail(PD_EARG, "session: no sampler to save");
    s->saved = true;
    s->saved_rng = pd_sampler_rng(s->smp);
    s->saved_cache = -1;   /* set by the next prefill */
    return PD_OK;
}

bool pd_session_restore_sampler(pd_session *s)
{
    if (!s->smp || !s->saved)
        return false;
    pd_sampler_set_rng(s->smp, s->saved_rng);
    /* and the cache: the next prompt is evaluated in the same batches as
     * the first time, so the logits are the same to the last bit */
    if (s->saved_cache >= 0 && s->n_cache > s->saved_cache)
        s->n_cache = s->saved_cache;
    return true;
}

const pd_tipset *pd_session_tipset(const pd_session *s) { return s->vhat; }
int pd_session_cached_tokens(const pd_session *s) { return s->n_cache; }
int pd_session_prefilled_tokens(const pd_session *s) { return s->prefilled; }
void pd_session_drop_cache(pd_session *s) { s->n_cache = 0; }
const float *pd_session_logits(const pd_session *s, int *n_vocab)
{
    *n_vocab = s->n_vocab;
    return s->logits;
}

void pd_session_stats(pd_session *s, pd_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------- prompt -- */

static pd_status pick_family(pd_session *s, const pd_params *p, pd_chat_family *f)
{
    if (p->raw) {
        *f = PD_CHAT_RAW;
        return PD_OK;
    }
    if (p->template_name) {
        if (!pd_chat_family_from_name(p->template_name, f))
            return pd_fail(PD_EARG, "--template: '%s' is not one of deepseek-r1, qwen3, "
                           "r1-zero, chatml, raw", p->template_name);
        return PD_OK;
    }
    bool recognised;
    *f = pd_chat_detect(s->m->gguf, s->tok, &recognised);
    return PD_OK;
}

pd_status pd_session_render(pd_session *s, const char *user_text, char **out,
                            uint8_t **mask)
{
    /* own copies of the strings: another thread may set new ones meanwhile */
    pd_params p;
    pthread_mutex_lock(&s->mu);
    p = s->params;
    char *tmpl = p.template_name ? strdup(p.template_name) : NULL;
    char *sys = p.system ? strdup(p.system) : NULL;
    pthread_mutex_unlock(&s->mu);
    p.template_name = tmpl;
    p.system = sys;
    *out = NULL;
    pd_chat_family f;
    pd_status st = pick_family(s, &p, &f);
    pd_chat_msg *msgs = NULL;
    if (!st && !(msgs = calloc((size_t)s->n_turns * 2 + 2, sizeof *msgs)))
        st = pd_fail(PD_ENOMEM, "session: out of memory");
    if (!st) {
        size_t n = 0;
        if (p.system && f != PD_CHAT_RAW)
            msgs[n++] = (pd_chat_msg){"system", p.system};
        for (int i = 0; i < s->n_turns; i++) {
            msgs[n++] = (pd_chat_msg){"user", s->turns[i].user};
            msgs[n++] = (pd_chat_msg){"assistant", s->turns[i].raw};
        }
        msgs[n++] = (pd_chat_msg){"user", user_text};
        const char *bos = NULL;
        if (pd_tokenizer_add_bos(s->tok) && pd_token_bos(s->tok) >= 0)
            bos = pd_token_text(s->tok, pd_token_bos(s->tok));
        if (!(*out = pd_chat_render_mask(f, msgs, n, true, bos, mask)))
            st = PD_EARG;   /* pd_chat_render said why */
        else if (f == PD_CHAT_RAW)
            /* --raw: the user wrote the whole input, special tokens included */
            memset(*mask, 1, strlen(*out));
    }
    free(msgs);
    free(tmpl);
    free(sys);
    return st;
}

/* --------------------------------------------------------- generation -- */

enum { MODE_ANSWER = 0, MODE_THINK = 1 };

/* The state of one running turn. */
typedef struct run {
    pd_session *s;
    pd_event_fn fn;
    void *user;
    pd_params p;              /* this token's parameters */
    pd_sampler_params sp;
    pd_tip tip;
    pd_detok dt;
    int mode;
    bool part_start;          /* strip blanks that open a think/answer part */
    bool answer_closed;       /* "</answer>" was written: the turn is over */
    char hold[16];            /* router: bytes that may begin a tag */
    int n_hold;
    pd_strbuf out;                 /* router: text of the current mode, this token */
    pd_strbuf raw;                 /* everything decoded, tags included (history) */
    int step;                 /* index of the token being decided */
    int32_t forced[32];       /* tokens the think budget forces */
    int n_forced, i_forced;
    pd_stats st;
    double t0;                /* decode start */
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void publish_stats(run *r)
{
    double dt = now_s() - r->t0;
    r->st.tok_per_s = dt > 0 && r->step > 0 ? r->step / dt : 0;
    r->st.tip_window_left = pd_tip_window_left(&r->tip, &r->p, r->step);
    pthread_mutex_lock(&r->s->mu);
    r->s->stats = r->st;
    pthread_mutex_unlock(&r->s->mu);
}

static void emit_stats(run *r)
{
    publish_stats(r);
    pd_event ev = {.type = PD_EV_STATS, .stats = &r->st, .position = r->step};
    r->fn(&ev, r->user);
}

static void emit_done(run *r, pd_done_reason why, const char *error)
{
    publish_stats(r);
    pd_event ev = {.type = PD_EV_DONE, .reason = why, .error = error, .stats = &r->st,
                   .position = r->step};
    r->fn(&ev, r->user);
}

static void on_thought(const pd_thought *t, void *user)
{
    run *r = user;
    r->st.thoughts++;
    if (t->group & PD_GROUP_SWITCH) r->st.switches++;
    else if (t->group & PD_GROUP_REFLECT) r->st.reflections++;
    if (t->index > 0)
        pd_tip_new_thought(&r->tip, t->start);
    pd_event ev = {.type = PD_EV_THOUGHT, .index = t->index, .position = t->start,
                   .trigger = t->trigger, .group = t->group};
    r->fn(&ev, r->user);
}

/* Hand the text gathered for the current mode to the events and the
 * segmenter. */
static pd_status flush_text(run *r)
{
    const char *p = r->out.p;
    size_t n = r->out.n;
    if (r->part_start)
        while (n > 0 && strchr(" \t\r\n", *p)) {
            p++;
            n--;
        }
    pd_status st = PD_OK;
    if (n > 0) {
        r->part_start = false;
        pd_event ev = {.type = r->mode == MODE_THINK ? PD_EV_THINK : PD_EV_ANSWER,
                       .text = p, .len = n, .position = r->step};
        r->fn(&ev, r->user);
        if (r->mode == MODE_THINK)
            st = pd_segmenter_push(r->s->seg, p, n, r->step, on_thought, r);
    }
    r->out.n = 0;
    return st;
}

static void enter_think(run *r, int pos)
{
    r->mode = MODE_THINK;
    r->part_start = true;
    pd_tip_enter_think(&r->tip, pos);
    on_thought(pd_segmenter_begin(r->s->seg, pos), r);
}

static pd_status set_mode(run *r, int mode)
{
    pd_status st = flush_text(r);
    if (st || mode == r->mode)
        return st;
    if (r->mode == MODE_THINK) {
        st = pd_segmenter_finish(r->s->seg, r->step, on_thought, r);
        pd_tip_leave_think(&r->tip);
        r->mode = MODE_ANSWER;
        r->part_start = true;
    } else {
        enter_think(r, r->step + 1);
    }
    return st;
}

static const struct { const char *tag; int mode; } tags[] = {
    {"<think>", MODE_THINK}, {"</think>", MODE_ANSWER},
    {"<answer>", MODE_ANSWER}, {"</answer>", MODE_ANSWER},
};

/* One byte through the tag router. */
static pd_status route_byte(run *r, char c)
{
    if (r->n_hold == 0 && c != '<') {
        pd_strbuf_add(&r->out, &c, 1);
        return PD_OK;
    }
    r->hold[r->n_hold++] = c;
    bool prefix = false;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        size_t tl = strlen(tags[i].tag);
        if ((size_t)r->n_hold <= tl && memcmp(tags[i].tag, r->hold, (size_t)r->n_hold) == 0) {
            if ((size_t)r->n_hold == tl) {
                r->n_hold = 0;
                if (strcmp(tags[i].tag, "</answer>") == 0)
                    r->answer_closed = true;
                return set_mode(r, tags[i].mode);
            }
            prefix = true;
        }
    }
    if (prefix)
        return PD_OK;
    /* not a tag: the first byte is text, the rest goes through again */
    char again[16];
    int n = r->n_hold - 1;
    memcpy(again, r->hold + 1, (size_t)n);
    pd_strbuf_add(&r->out, r->hold, 1);
    r->n_hold = 0;
    for (int i = 0; i < n; i++) {
        pd_status st = route_byte(r, again[i]);
        if (st)
            return st;
    }
    return PD_OK;
}

static pd_status route(run *r, const char *text, size_t n)
{
    pd_strbuf_add(&r->raw, text, n);
    for (size_t i = 0; i < n; i++) {
        pd_status st = route_byte(r, text[i]);
        if (st)
            return st;
    }
    return r->out.oom || r->raw.oom ? pd_fail(PD_ENOMEM, "session: out of memory") : flush_text(r);
}

/* End of the turn: what the detokenizer and the router still hold. */
static pd_status drain(run *r)
{
    char buf[16];
    size_t n = pd_detok_flush(&r->dt, buf, sizeof buf);
    pd_status st = route(r, buf, n);
    if (!st && r->n_hold) {
        pd_strbuf_add(&r->out, r->hold, (size_t)r->n_hold);
        r->n_hold = 0;
        st = flush_text(r);
    }
    if (!st && r->mode == MODE_THINK)
        st = pd_segmenter_finish(r->s->seg, r->step, on_thought, r);
    return st;
}

/* ----------------------------------------------------------- the loop -- */

static pd_status forward(pd_session *s, const int32_t *toks, int n, int pos0)
{
    if (pos0 + n > pd_model_n_ctx(s->m))
        return pd_fail(PD_ELIMIT, "the context is full: %d tokens do not fit in --ctx %d%s",
                       pos0 + n, pd_model_n_ctx(s->m),
                       s->n_turns > 0 ? " (/clear starts a new conversation)" : "");
    pd_status st = pd_model_forward(s->m, toks, n, pos0, s->logits, false);
    if (st) {
        s->n_cache = 0;   /* the backend's cache is unknown now: recompute next time */
        return st;
    }
    memcpy(s->cache + pos0, toks, (size_t)n * sizeof *toks);
    s->n_cache = pos0 + n;
    return PD_OK;
}

/* Tokenize the prompt, keep the cached prefix, prefill the rest. */
static pd_status prefill(run *r, const char *user_text, bool *opens_think)
{
    pd_session *s = r->s;
    char *text;
    uint8_t *mask = NULL;
    pd_status st = pd_session_render(s, user_text, &text, &mask);
    if (st)
        return st;
    /* inside <think> when the template's last <think> is not closed; tags the
     * user typed (mask 0) are text, not structure */
    const char *o = NULL, *c = NULL;
    for (const char *q = text; (q = strstr(q, "<think>")); q++)
        if (mask[q - text]) o = q;
    for (const char *q = text; (q = strstr(q, "</think>")); q++)
        if (mask[q - text]) c = q;
    *opens_think = o && (!c || c < o);
    int32_t *ids = NULL;
    size_t n = 0;
    /* special tokens only where the template wrote them: user text never
     * becomes a control token */
    st = pd_tokenize_masked(s->tok, text, strlen(text), mask, &ids, &n);
    free(text);
    free(mask);
    if (st)
        return st;
    int n_ctx = pd_model_n_ctx(s->m);
    if (n == 0)
        st = pd_fail(PD_EARG, "the prompt is empty");
    else if (n >= (size_t)n_ctx && s->n_turns > 0)   /* the history is what fills it */
        st = pd_fail(PD_ELIMIT, "the conversation with this prompt is %zu tokens; the context "
                     "holds %d (--ctx): /clear starts a new one", n, n_ctx);
    else if (n >= (size_t)n_ctx)
        st = pd_fail(PD_ELIMIT, "the prompt is %zu tokens; the context holds %d (--ctx)", n, n_ctx);
    if (st) {
        free(ids);
        return st;
    }
    int keep = 0;
    while (keep < s->n_cache && (size_t)keep < n && s->cache[keep] == ids[keep])
        keep++;
    if ((size_t)keep == n)
        keep--;   /* the last prompt token must run again for its logits */
    if (s->saved && s->saved_cache < 0)
        s->saved_cache = keep;   /* a restore goes back to here */
    double t = now_s();
    s->prefilled = (int)n - keep;
    st = forward(s, ids + keep, (int)n - keep, keep);
    double dt = now_s() - t;
    r->st.prompt_tokens = (int)n;
    r->st.prefill_tok_per_s = dt > 0 ? s->prefilled / dt : 0;
    pd_sampler_reset_history(s->smp);
    for (size_t i = 0; i < n; i++)
        pd_sampler_accept(s->smp, ids[i]);
    free(ids);
    return st;
}

/* This token's parameters (they may change between any two tokens). */
static void snapshot(run *r)
{
    pd_session_get_params(r->s, &r->p);
    pd_sampler_params_from(&r->sp, &r->p);
    if (r->p.seed != r->s->seed_applied) {
        pd_sampler_seed(r->s->smp, r->p.seed);
        r->s->seed_applied = r->p.seed;
    }
}

/* Decide the token of step r->step: forced by the budget, or drawn. */
static pd_status choose(run *r, int32_t *out)
{
    pd_session *s = r->s;
    if (r->i_forced == r->n_forced && pd_tip_budget_reached(&r->tip, &r->p)) {
        int32_t *ids = NULL;
        size_t n = 0;
        pd_status st = pd_tokenize(s->tok, "</think>", 8, true, &ids, &n);
        if (st)
            return st;
        r->n_forced = n < 32 ? (int)n : 32;
        memcpy(r->forced, ids, (size_t)r->n_forced * sizeof *ids);
        r->i_forced = 0;
        free(ids);
    }
    if (r->i_forced < r->n_forced) {
        *out = r->forced[r->i_forced++];
        return PD_OK;
    }
    memcpy(s->work, s->logits, (size_t)s->n_vocab * sizeof *s->work);
    pd_sampler_penalize(s->smp, &r->sp, s->work);
    pd_tip_step ts;
    pd_tip_apply(&r->tip, &r->p, r->step, s->work, s->n_vocab, &ts);
    int32_t tok = pd_sampler_draw(s->smp, &r->sp, s->work);
    if (tok < 0)
        return pd_fail(PD_EARG, "no token can be drawn: every logit is -inf");
    if (pd_tip_suppressed(&r->tip, &ts, tok)) {
        size_t len = 0;
        const char *piece = pd_token_piece(s->tok, ts.top_before, &len);
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 127 ? len : 127), piece ? piece : "");
        r->st.suppressed++;
        pd_event ev = {.type = PD_EV_SUPPRESSED, .position = r->step,
                       .token = ts.top_before, .piece = buf};
        r->fn(&ev, r->user);
    }
    *out = tok;
    return PD_OK;
}

/* Route one chosen token and account for it. */
static pd_status emit_token(run *r, int32_t tok)
{
    char buf[1024], *text = buf;
    size_t len = 0, cap = sizeof buf;
    pd_token_piece(r->s->tok, tok, &len);
    if (len + 16 > cap && (text = malloc(len + 16)))   /* a very long piece */
        cap = len + 16;
    else if (!text)
        return pd_fail(PD_ENOMEM, "session: out of memory");
    int before = r->mode;
    size_t n = pd_detok_push(&r->dt, r->s->tok, tok, text, cap);
    pd_status st = route(r, text, n);
    if (text != buf)
        free(text);
    bool think_tok = before == MODE_THINK && r->mode == MODE_THINK;
    if (think_tok) r->st.think_tokens++;
    else if (before == MODE_ANSWER && r->mode == MODE_ANSWER) r->st.answer_tokens++;
    pd_tip_accept(&r->tip, &r->p, r->step, tok, think_tok);
    pd_sampler_accept(r->s->smp, tok);
    return st;
}

static pd_status decode(run *r, pd_done_reason *why)
{
    pd_session *s = r->s;
    int32_t pending = -1;
    for (;;) {
        if (atomic_load(&s->cancel)) { *why = PD_DONE_CANCELLED; return PD_OK; }
        snapshot(r);
        if (r->step >= r->p.max_tokens) { *why = PD_DONE_MAX_TOKENS; return PD_OK; }
        pd_status st;
        if (pending >= 0 && (st = forward(s, &pending, 1, s->n_cache)))
            return st;
        int32_t tok = -1;
        if ((st = choose(r, &tok)))
            return st;
        if (pd_token_is_eog(s->tok, tok)) { *why = PD_DONE_EOS; return PD_OK; }
        if ((st = emit_token(r, tok)))
            return st;
        r->step++;
        pending = tok;
        if (r->answer_closed) { *why = PD_DONE_EOS; return PD_OK; }
        if (r->step % STATS_EVERY == 0)
            emit_stats(r);
    }
}

static void save_turn(pd_session *s, const char *user_text, run *r)
{
    turn *t = realloc(s->turns, (size_t)(s->n_turns + 1) * sizeof *t);
    if (!t)
        return;
    s->turns = t;
    t = &s->turns[s->n_turns];
    memset(t, 0, sizeof *t);
    t->user = strdup(user_text);
    t->raw = pd_strbuf_take(&r->raw);
    if (t->user && t->raw)
        s->n_turns++;
    else
        free_turn(t);
}

/* A turn's state at its start: parameters snapshot, TIP and segmenter reset. */
static void run_begin(run *r, pd_session *s, pd_event_fn fn, void *user)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->fn = fn;
    r->user = user;
    snapshot(r);
    pd_tip_begin(&r->tip, s->vhat);
    pd_segmenter_reset(s->seg);
    r->part_start = true;
}

static pd_status run_turn(pd_session *s, const char *user_text, pd_event_fn fn, void *user)
{
    run r;
    run_begin(&r, s, fn, user);
    bool opens_think = false;
    pd_status st = prefill(&r, user_text ? user_text : "", &opens_think);
    if (st) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", pd_errmsg());
        emit_done(&r, PD_DONE_ERROR, msg);
        pd_fail(st, "%s", msg);
        free(r.out.p);
        free(r.raw.p);
        return st;
    }
    r.t0 = now_s();
    if (opens_think)
        enter_think(&r, 0);
    pd_done_reason why = PD_DONE_EOS;
    st = decode(&r, &why);
    pd_status st2 = drain(&r);
    if (!st)
        st = st2;
    save_turn(s, user_text ? user_text : "", &r);
    free(r.out.p);
    free(r.raw.p);
    emit_stats(&r);
    if (st) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", pd_errmsg());
        emit_done(&r, PD_DONE_ERROR, msg);
        pd_fail(st, "%s", msg);
        return st;
    }
    emit_done(&r, why, NULL);
    return PD_OK;
}

pd_status pd_session_generate(pd_session *s, const char *user_text, pd_event_fn fn, void *user)
{
    /* the cancel flag is cleared when a turn ends, not when one starts: a
     * cancel sent with the request (Ctrl-C right after Enter, before this
     * thread got here) still stops the turn */
    pthread_mutex_lock(&s->mu);
    kit_apply(s);
    s->busy = true;
    pthread_mutex_unlock(&s->mu);
    pd_status st = run_turn(s, user_text, fn, user);
    pthread_mutex_lock(&s->mu);
    s->busy = false;
    kit_apply(s);
    pthread_mutex_unlock(&s->mu);
    atomic_store(&s->cancel, 0);
    return st;
}

pd_status pd_session_route_test(pd_session *s, const char *const *chunks, int n,
                                bool opens_think, pd_event_fn fn, void *user)
{
    run r;
    run_begin(&r, s, fn, user);
    if (opens_think)
        enter_think(&r, 0);
    pd_status st = PD_OK;
    for (int i = 0; i < n && !st && !r.answer_closed; i++, r.step++)
        st = route(&r, chunks[i], strlen(chunks[i]));
    if (!st)
        st = drain(&r);
    free(r.out.p);
    free(r.raw.p);
    emit_done(&r, r.answer_closed ? PD_DONE_EOS : PD_DONE_MAX_TOKENS, NULL);
    return st;
}
