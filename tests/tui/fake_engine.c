/* fake_engine.c - a scripted stand-in for the engine behind src/ponder.h, for
 * the UI's own tests only (tests/unit/test_ui, tests/tui/ponder-fake): no
 * model, a fixed reasoning script streamed word by word with thoughts,
 * suppressed switches when TIP is on, statistics and cancellation.
 * PONDER_FAKE_DELAY_MS sets the time per token (default 10; 0: no delay and a
 * fixed speed of 100 tok/s, for screen dumps). */
#include "ponder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pd_model { char name[64]; };

struct pd_session {
    pd_params p;
    pthread_mutex_t mu;
    atomic_int cancel;
    char *turns[64];
    int n_turns;
    int saves, restores;   /* pd_session_save/restore_sampler calls */
};

/* For test_ui: how often the sampler was saved and restored. */
int fake_sampler_calls(const pd_session *s, int *restores);
int fake_sampler_calls(const pd_session *s, int *restores)
{
    *restores = s->restores;
    return s->saves;
}

void pd_model_opts_default(pd_model_opts *o)
{
    memset(o, 0, sizeof *o);
}

pd_status pd_model_open(const char *path, const pd_model_opts *opts, pd_model **out)
{
    (void)opts;
    *out = NULL;
    if (strstr(path, "missing"))
        return pd_fail(PD_EIO, "%s: No such file or directory", path);
    pd_model *m = calloc(1, sizeof *m);
    if (!m)
        return pd_fail(PD_ENOMEM, "out of memory");
    snprintf(m->name, sizeof m->name, "fake-demo %s fake", "\xc2\xb7");
    *out = m;
    return PD_OK;
}

void pd_model_close(pd_model *m) { free(m); }
const char *pd_model_name(const pd_model *m) { return m->name; }
const char *pd_model_backend_name(const pd_model *m) { (void)m; return "cpu"; }
const char *pd_model_backend_note(const pd_model *m) { (void)m; return ""; }
const char *pd_model_template_note(const pd_model *m) { (void)m; return ""; }
const char *pd_model_memory_note(const pd_model *m) { (void)m; return ""; }
int pd_model_n_ctx(const pd_model *m) { (void)m; return 4096; }

static const char *const ev_names[] = {"think", "answer", "thought", "suppressed", "stats", "done"};
static const char *const reasons[] = {"eos", "max_tokens", "cancelled", "error"};
const char *pd_event_name(pd_event_type t) { return (unsigned)t < 6 ? ev_names[t] : "?"; }
const char *pd_done_reason_name(pd_done_reason r) { return (unsigned)r < 4 ? reasons[r] : "?"; }

static size_t jstr(char *b, size_t size, size_t o, const char *s, size_t n)
{
    o += (size_t)snprintf(o < size ? b + o : NULL, o < size ? size - o : 0, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c == '"' || c == '\\') snprintf(e, sizeof e, "\\%c", c);
        else if (c == '\n') snprintf(e, sizeof e, "\\n");
        else if (c < 0x20) snprintf(e, sizeof e, "\\u%04x", c);
        else { e[0] = (char)c; e[1] = 0; }
        o += (size_t)snprintf(o < size ? b + o : NULL, o < size ? size - o : 0, "%s", e);
    }
    return o + (size_t)snprintf(o < size ? b + o : NULL, o < size ? size - o : 0, "\"");
}

size_t pd_event_to_json(const pd_event *ev, char *b, size_t size)
{
    size_t o = (size_t)snprintf(b, size, "{\"type\":\"%s\"", pd_event_name(ev->type));
#define P(...) o += (size_t)snprintf(o < size ? b + o : NULL, o < size ? size - o : 0, __VA_ARGS__)
    switch (ev->type) {
    case PD_EV_THINK: case PD_EV_ANSWER:
        P(",\"text\":");
        o = jstr(b, size, o, ev->text ? ev->text : "", ev->text ? ev->len : 0);
        P(",\"position\":%d", ev->position);
        break;
    case PD_EV_THOUGHT:
        P(",\"index\":%d,\"position\":%d,\"trigger\":", ev->index, ev->position);
        o = jstr(b, size, o, ev->trigger ? ev->trigger : "", ev->trigger ? strlen(ev->trigger) : 0);
        if (ev->group)
            P(",\"group\":\"%s\"", ev->group == PD_GROUP_SWITCH ? "switch" : "reflect");
        break;
    case PD_EV_SUPPRESSED:
        P(",\"position\":%d,\"token\":%d,\"piece\":", ev->position, ev->token);
        o = jstr(b, size, o, ev->piece ? ev->piece : "", ev->piece ? strlen(ev->piece) : 0);
        break;
    case PD_EV_STATS:   /* the fields src/events.c writes, in its order */
        if (ev->stats)
            P(",\"tok_per_s\":%.2f,\"prefill_tok_per_s\":%.2f,\"prompt_tokens\":%d,"
              "\"think_tokens\":%d,\"answer_tokens\":%d,\"thoughts\":%d,\"switches\":%d,"
              "\"reflections\":%d,\"suppressed\":%d,\"tip_window_left\":%d",
              ev->stats->tok_per_s, ev->stats->prefill_tok_per_s, ev->stats->prompt_tokens,
              ev->stats->think_tokens, ev->stats->answer_tokens, ev->stats->thoughts,
              ev->stats->switches, ev->stats->reflections, ev->stats->suppressed,
              ev->stats->tip_window_left);
        break;
    case PD_EV_DONE:
        P(",\"reason\":\"%s\"", pd_done_reason_name(ev->reason));
        if (ev->reason == PD_DONE_ERROR) {
            P(",\"error\":");
            o = jstr(b, size, o, ev->error ? ev->error : "", ev->error ? strlen(ev->error) : 0);
        }
        break;
    }
    P("}");
#undef P
    if (size)
        b[o < size ? o : size - 1] = '\0';
    return o;
}

pd_status pd_session_new(pd_model *m, const pd_params *p, pd_session **out)
{
    (void)m;
    pd_session *s = calloc(1, sizeof *s);
    if (!s)
        return pd_fail(PD_ENOMEM, "out of memory");
    s->p = *p;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return PD_OK;
}

void pd_session_clear(pd_session *s)
{
    for (int i = 0; i < s->n_turns; i++)
        free(s->turns[i]);
    s->n_turns = 0;
}

/* The fake draws no random numbers: saving counts, restoring needs a save. */
pd_status pd_session_save_sampler(pd_session *s)
{
    s->saves++;
    return PD_OK;
}

bool pd_session_restore_sampler(pd_session *s)
{
    if (!s->saves)
        return false;
    s->restores++;
    return true;
}

void pd_session_free(pd_session *s)
{
    if (!s)
        return;
    pd_session_clear(s);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void pd_session_set_params(pd_session *s, const pd_params *p)
{
    pthread_mutex_lock(&s->mu);
    s->p = *p;
    pthread_mutex_unlock(&s->mu);
}

void pd_session_get_params(pd_session *s, pd_params *p)
{
    pthread_mutex_lock(&s->mu);
    *p = s->p;
    pthread_mutex_unlock(&s->mu);
}

pd_status pd_session_set_phrases(pd_session *s, const char *path)
{
    (void)s;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (path && !f)
        return pd_fail(PD_EIO, "%s: cannot be opened", path);
    if (f)
        fclose(f);
    return PD_OK;
}

void pd_session_cancel(pd_session *s) { atomic_store(&s->cancel, 1); }

bool pd_session_pop_turn(pd_session *s, char **user_text_out)
{
    if (s->n_turns == 0)
        return false;
    *user_text_out = s->turns[--s->n_turns];
    return true;
}

/* ---- the script ---------------------------------------------------------- */

typedef struct gen {
    pd_session *s;
    pd_event_fn fn;
    void *user;
    pd_stats st;
    int pos, delay_ms, thought_start;
    struct timespec t0;
    bool stop;
    pd_done_reason why;
} gen;

static void emit_stats(gen *g, pd_event_type type)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - g->t0.tv_sec) + (now.tv_nsec - g->t0.tv_nsec) / 1e9;
    g->st.tok_per_s = secs > 0 ? g->pos / secs : 0;
    if (g->delay_ms <= 0)
        g->st.tok_per_s = 100.0;   /* no real speed: keep screen dumps stable */
    pd_params p;
    pd_session_get_params(g->s, &p);
    int left = p.tip_beta - (g->pos - g->thought_start);
    g->st.tip_window_left = p.tip_on && left > 0 ? left : 0;
    pd_event ev = {.type = type, .stats = &g->st, .reason = g->why};
    g->fn(&ev, g->user);
}

/* One token of text; false when the turn must end (cancel, max tokens). */
static bool token(gen *g, pd_event_type type, const char *text)
{
    if (g->stop)
        return false;
    pd_params p;
    pd_session_get_params(g->s, &p);
    if (atomic_exchange(&g->s->cancel, 0)) {
        g->stop = true;
        g->why = PD_DONE_CANCELLED;
        return false;
    }
    if (g->pos >= p.max_tokens) {
        g->stop = true;
        g->why = PD_DONE_MAX_TOKENS;
        return false;
    }
    if (g->delay_ms > 0) {
        struct timespec d = {g->delay_ms / 1000, (long)(g->delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    pd_event ev = {.type = type, .text = text, .len = strlen(text), .position = g->pos};
    g->fn(&ev, g->user);
    if (type == PD_EV_THINK)
        g->st.think_tokens++;
    else
        g->st.answer_tokens++;
    g->pos++;
    if (g->pos % 8 == 0)
        emit_stats(g, PD_EV_STATS);
    return true;
}

static bool words(gen *g, pd_event_type type, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *e = p + 1;
        while (*e && *e != ' ')
            e++;
        char w[128];
        snprintf(w, sizeof w, "%.*s", (int)(e - p), p);
        if (!token(g, type, w))
            return false;
        p = e;
    }
    return true;
}

static void thought(gen *g, int index, const char *trigger, int group)
{
    g->thought_start = g->pos - 1;
    g->st.thoughts++;
    if (group == PD_GROUP_SWITCH)
        g->st.switches++;
    if (group == PD_GROUP_REFLECT)
        g->st.reflections++;
    pd_event ev = {.type = PD_EV_THOUGHT, .index = index, .position = g->pos > 0 ? g->pos - 1 : 0,
                   .trigger = trigger, .group = group};
    g->fn(&ev, g->user);
}

pd_status pd_session_generate(pd_session *s, const char *user_text, pd_event_fn fn, void *user)
{
    gen g = {.s = s, .fn = fn, .user = user, .delay_ms = 10};
    const char *d = getenv("PONDER_FAKE_DELAY_MS");
    if (d)
        g.delay_ms = atoi(d);
    clock_gettime(CLOCK_MONOTONIC, &g.t0);
    atomic_store(&s->cancel, 0);
    if (s->n_turns < 64)
        s->turns[s->n_turns++] = strdup(user_text);
    pd_params p;
    pd_session_get_params(s, &p);
    char first[512];
    snprintf(first, sizeof first, "Okay, the question is: %.200s Let me work it out step by step "
             "and look at what is being asked before computing anything.", user_text);
    int idx = 0;
    thought(&g, idx++, "", 0);
    bool ok = words(&g, PD_EV_THINK, first);
    if (ok && p.tip_on && p.tip_alpha > 0) {
        pd_event ev = {.type = PD_EV_SUPPRESSED, .position = g.pos, .token = 38478,
                       .piece = " Alternatively"};
        g.st.suppressed++;
        fn(&ev, user);
    } else if (ok) {
        ok = token(&g, PD_EV_THINK, "\nAlternatively");
        thought(&g, idx++, "Alternatively", PD_GROUP_SWITCH);
        ok = ok && words(&g, PD_EV_THINK, ", I could check small cases first and then "
                         "generalise the pattern to the full question.");
    }
    if (ok) {
        ok = token(&g, PD_EV_THINK, "\nWait");
        thought(&g, idx++, "Wait", PD_GROUP_REFLECT);
        ok = ok && words(&g, PD_EV_THINK, ", the direct way is fine here: 12 plus 35 is 47, "
                         "and the units and tens both add without a carry.");
    }
    if (ok)
        ok = words(&g, PD_EV_ANSWER, "The answer is 47. \xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf 47.");
    if (!g.stop)
        g.why = PD_DONE_EOS;
    emit_stats(&g, PD_EV_DONE);
    return PD_OK;
}
