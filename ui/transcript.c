/* transcript.c - the conversation as the UI knows it, built from engine
 * events: turns with their thoughts (text, trigger, suppressed markers), the
 * answer, statistics, plus notes from the UI itself. Panes render from it
 * and /save writes it (transcript_io.c). */
#include "ui.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

static void turn_free(ui_turn *t)
{
    if (!t)
        return;
    free(t->prompt);
    for (int i = 0; i < t->n_th; i++) {
        free(t->th[i].trigger);
        ui_buf_free(&t->th[i].text);
    }
    free(t->th);
    ui_buf_free(&t->answer);
    free(t->error);
    for (int i = 0; i < t->n_log; i++)
        free(t->log[i].text);
    free(t->log);
    free(t);
}

void ui_transcript_free(ui_transcript *t)
{
    for (int i = 0; i < t->n; i++) {
        turn_free(t->v[i].turn);
        free(t->v[i].note);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Stamps are unique over the whole run, so a cache never mistakes a new
 * turn at a reused address for an old one. */
static unsigned long next_stamp(void)
{
    static unsigned long stamp;
    return ++stamp;
}

unsigned long ui_entry_stamp(const ui_entry *e)
{
    return e->kind == UI_ENTRY_TURN ? e->turn->stamp : e->stamp;
}

void ui_transcript_touch(ui_transcript *t, ui_turn *turn)
{
    turn->stamp = next_stamp();
    t->version++;
}

static ui_entry *push_entry(ui_transcript *t)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
    }
    ui_entry *e = &t->v[t->n++];
    memset(e, 0, sizeof *e);
    e->stamp = next_stamp();
    t->version++;
    return e;
}

ui_turn *ui_transcript_begin_turn(ui_transcript *t, const char *prompt, const pd_params *p)
{
    ui_turn *turn = calloc(1, sizeof *turn);
    if (!turn)
        abort();
    ui_buf b = {0};
    ui_sanitize_append(&b, prompt, strlen(prompt));
    turn->prompt = b.s ? b.s : xstrdup("");
    if (p) {
        turn->tip_on = p->tip_on;
        turn->alpha = p->tip_alpha;
        turn->beta = p->tip_beta;
        turn->temperature = p->temperature;
        turn->seed = (unsigned long long)p->seed;
    }
    turn->stamp = next_stamp();
    ui_entry *e = push_entry(t);
    e->kind = UI_ENTRY_TURN;
    e->turn = turn;
    return turn;
}

void ui_transcript_note(ui_transcript *t, ui_role role, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *s = malloc((size_t)n + 1);
    if (!s)
        abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ui_buf b = {0};
    ui_sanitize_append(&b, s, (size_t)n);
    free(s);
    ui_entry *e = push_entry(t);
    e->kind = UI_ENTRY_NOTE;
    e->note = b.s ? b.s : xstrdup("");
    e->note_role = role;
}

void ui_transcript_take(ui_transcript *dst, ui_transcript *src)
{
    if (dst->n + src->n > dst->cap) {
        dst->cap = dst->n + src->n;
        dst->v = xrealloc(dst->v, (size_t)dst->cap * sizeof *dst->v);
    }
    if (src->n)
        memcpy(dst->v + dst->n, src->v, (size_t)src->n * sizeof *src->v);
    dst->n += src->n;
    dst->version++;
    free(src->v);
    memset(src, 0, sizeof *src);
}

ui_turn *ui_transcript_last_turn(const ui_transcript *t)
{
    for (int i = t->n - 1; i >= 0; i--)
        if (t->v[i].kind == UI_ENTRY_TURN)
            return t->v[i].turn;
    return NULL;
}

static ui_thought *push_thought(ui_turn *turn, int index, int position, int group,
                                const char *trigger)
{
    if (turn->n_th == turn->cap_th) {
        turn->cap_th = turn->cap_th ? turn->cap_th * 2 : 8;
        turn->th = xrealloc(turn->th, (size_t)turn->cap_th * sizeof *turn->th);
    }
    ui_thought *th = &turn->th[turn->n_th++];
    memset(th, 0, sizeof *th);
    th->index = index;
    th->position = position < 0 ? 0 : position;
    th->group = group;
    th->trigger = xstrdup(trigger);
    return th;
}

static ui_thought *current_thought(ui_turn *turn, int position)
{
    if (turn->n_th == 0)   /* think text before any THOUGHT event: #0 starts here */
        push_thought(turn, 0, position, 0, "");
    return &turn->th[turn->n_th - 1];
}

/* The segmenter may report a thought after the text of its trigger was
 * already streamed into the previous thought: move that tail over, so the
 * new block starts with its trigger phrase. */
static void move_trigger_tail(ui_thought *prev, ui_thought *cur)
{
    size_t tl = strlen(cur->trigger);
    ui_buf *pb = &prev->text;
    if (tl == 0 || pb->len < tl)
        return;
    size_t lo = pb->len > tl + 200 ? pb->len - tl - 200 : 0;  /* the segmenter may look ahead */
    for (size_t i = pb->len - tl + 1; i-- > lo;) {
        if (strncasecmp(pb->s + i, cur->trigger, tl) == 0 && pb->s[i + tl] != ']') {
            size_t start = i;
            while (start > 0 && (pb->s[start - 1] == ' ' || pb->s[start - 1] == '\n'))
                start--;
            ui_buf_append(&cur->text, pb->s + i, pb->len - i);
            pb->len = start;
            pb->s[start] = '\0';
            return;
        }
    }
}

static void log_event(ui_turn *turn, const pd_event *ev)
{
    if (turn->n_log == turn->cap_log) {
        turn->cap_log = turn->cap_log ? turn->cap_log * 2 : 64;
        turn->log = xrealloc(turn->log, (size_t)turn->cap_log * sizeof *turn->log);
    }
    ui_logev *l = &turn->log[turn->n_log++];
    memset(l, 0, sizeof *l);
    l->type = ev->type;
    l->index = ev->index;
    l->position = ev->position;
    l->group = ev->group;
    l->token = ev->token;
    l->reason = ev->reason;
    if (ev->stats)
        l->stats = *ev->stats;
    const char *txt = NULL;
    size_t n = 0;
    switch (ev->type) {
    case PD_EV_THINK: case PD_EV_ANSWER: txt = ev->text; n = ev->text ? ev->len : 0; break;
    case PD_EV_THOUGHT: txt = ev->trigger; break;
    case PD_EV_SUPPRESSED: txt = ev->piece; break;
    case PD_EV_DONE: txt = ev->error; break;
    default: break;
    }
    if (txt && !n && ev->type != PD_EV_THINK && ev->type != PD_EV_ANSWER)
        n = strlen(txt);
    l->text = malloc(n + 1);
    if (!l->text)
        abort();
    if (n)
        memcpy(l->text, txt, n);
    l->text[n] = '\0';
}

void ui_turn_event(ui_transcript *t, ui_turn *turn, const pd_event *ev)
{
    if (!turn)
        turn = ui_transcript_last_turn(t);
    if (!turn || !ev)
        return;
    if (ev->type != PD_EV_STATS)  /* stats are kept as the latest value only */
        log_event(turn, ev);
    switch (ev->type) {
    case PD_EV_THINK: {
        ui_thought *th = current_thought(turn, ev->position);
        if (ev->text)
            ui_sanitize_append(&th->text, ev->text, ev->len);
        th->n_events++;
        if (ev->position >= turn->think_end)
            turn->think_end = ev->position + 1;
        break;
    }
    case PD_EV_ANSWER:
        if (ev->text)
            ui_sanitize_append(&turn->answer, ev->text, ev->len);
        break;
    case PD_EV_THOUGHT: {
        ui_buf trig = {0};
        if (ev->trigger)
            ui_sanitize_append(&trig, ev->trigger, strlen(ev->trigger));
        if (ev->index == 0 && turn->n_th == 1 && turn->th[0].index == 0) {
            turn->th[0].position = ev->position;   /* implicit #0 already open */
        } else {
            ui_thought *th = push_thought(turn, ev->index, ev->position, ev->group,
                                          ui_buf_str(&trig));
            if (turn->n_th > 1)
                move_trigger_tail(&turn->th[turn->n_th - 2], th);
        }
        ui_buf_free(&trig);
        break;
    }
    case PD_EV_SUPPRESSED: {
        ui_thought *th = current_thought(turn, ev->position);
        th->n_suppressed++;
        ui_buf_role(&th->text, UI_ROLE_SUPPRESSED);
        ui_buf_printf(&th->text, "[%s", ui_g.supp);
        if (ev->piece)
            ui_sanitize_append(&th->text, ev->piece, strlen(ev->piece));
        ui_buf_puts(&th->text, "]");
        ui_buf_role(&th->text, UI_ROLE_THINK);
        break;
    }
    case PD_EV_STATS:
        if (ev->stats) {
            turn->stats = *ev->stats;
            turn->have_stats = true;
        }
        break;
    case PD_EV_DONE:
        if (ev->stats) {
            turn->stats = *ev->stats;
            turn->have_stats = true;
        }
        turn->done = true;
        turn->reason = ev->reason;
        if (ev->reason == PD_DONE_ERROR) {
            free(turn->error);
            turn->error = xstrdup(ev->error ? ev->error : "generation failed");
        }
        break;
    }
    turn->stamp = next_stamp();
    t->version++;
}

/* One past the last think token. The engine counts the tokens generated
 * inside <think> from where thought #0 opened; that count is final once the
 * turn is done, while streaming its stats may lag the text. */
static int think_end(const ui_turn *turn)
{
    int end = turn->think_end;
    if (turn->have_stats && turn->n_th > 0) {
        long long e = (long long)turn->th[0].position + turn->stats.think_tokens;
        e = e > 1000000000 ? 1000000000 : e;
        if (turn->done || e > end)
            end = (int)e;
    }
    return end;
}

int ui_thought_tokens(const ui_turn *turn, int i)
{
    if (i < 0 || i >= turn->n_th)
        return 0;
    const ui_thought *th = &turn->th[i];
    bool last = i + 1 == turn->n_th;
    long long n = (long long)(last ? think_end(turn) : turn->th[i + 1].position) - th->position;
    if (last && !turn->have_stats && n < th->n_events)
        n = th->n_events;   /* THINK events without positions */
    return n < 0 ? 0 : n > 1000000000 ? 1000000000 : (int)n;
}

int ui_turn_think_tokens(const ui_turn *turn)
{
    if (turn->done && turn->have_stats)
        return turn->stats.think_tokens > 0 ? turn->stats.think_tokens : 0;
    long long n = 0;
    for (int i = 0; i < turn->n_th; i++)
        n += ui_thought_tokens(turn, i);
    return n > 1000000000 ? 1000000000 : (int)n;
}

int ui_turn_suppressed(const ui_turn *turn)
{
    if (turn->have_stats && turn->stats.suppressed > 0)
        return turn->stats.suppressed;
    int n = 0;
    for (int i = 0; i < turn->n_th; i++)
        n += turn->th[i].n_suppressed;
    return n;
}

void ui_turn_summary(const ui_turn *turn, char *out, size_t size)
{
    char ntok[32];
    ui_fmt_count(ntok, sizeof ntok, ui_turn_think_tokens(turn));
    int supp = ui_turn_suppressed(turn);
    snprintf(out, size, "%d thought%s %s %s tok %s %d suppressed", turn->n_th,
             turn->n_th == 1 ? "" : "s", ui_g.dot, ntok, ui_g.dot, supp);
}

void ui_ab_table(const ui_turn *a, const ui_turn *b, ui_buf *out)
{
    ui_buf_printf(out, "%-12s %-14s %s\n", "A/B", "A: TIP off", "B: TIP on");
#define ROW(name, fa, fb) ui_buf_printf(out, "%-12s %-14d %d\n", name, fa, fb)
    ROW("thoughts", a->n_th, b->n_th);
    ROW("switches", a->stats.switches, b->stats.switches);
    ROW("suppressed", ui_turn_suppressed(a), ui_turn_suppressed(b));
    ROW("think tok", ui_turn_think_tokens(a), ui_turn_think_tokens(b));
    ROW("answer tok", a->stats.answer_tokens, b->stats.answer_tokens);
#undef ROW
    ui_buf_printf(out, "%-12s %-14.1f %.1f", "tok/s", a->stats.tok_per_s, b->stats.tok_per_s);
}
