/* events.c - event names and their JSONL form (DESIGN.md §2): one JSON
 * object per event, strings escaped so that any bytes (control characters,
 * invalid UTF-8 from a model) still give valid JSON. */
#include "ponder.h"
#include "phrases.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pd_event_name(pd_event_type t)
{
    switch (t) {
    case PD_EV_THINK: return "think";
    case PD_EV_ANSWER: return "answer";
    case PD_EV_THOUGHT: return "thought";
    case PD_EV_SUPPRESSED: return "suppressed";
    case PD_EV_STATS: return "stats";
    case PD_EV_DONE: return "done";
    }
    return "unknown";
}

const char *pd_done_reason_name(pd_done_reason r)
{
    switch (r) {
    case PD_DONE_EOS: return "eos";
    case PD_DONE_MAX_TOKENS: return "max_tokens";
    case PD_DONE_CANCELLED: return "cancelled";
    case PD_DONE_ERROR: return "error";
    }
    return "unknown";
}

/* Writes what fits (always NUL-terminated), counts everything. */
typedef struct jw { char *buf; size_t size, n; } jw;

static void put(jw *w, const char *s, size_t len)
{
    if (w->n < w->size) {
        size_t room = w->size - 1 - w->n, k = len < room ? len : room;
        memcpy(w->buf + w->n, s, k);
        w->buf[w->n + k] = '\0';
    }
    w->n += len;
}

static void putf(jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(jw *w, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0)
        put(w, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void put_str(jw *w, const char *s, size_t len)
{
    put(w, "\"", 1);
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        if (c >= 0x80) {
            int k = pd_utf8_seq_len(u + i, len - i);
            if (k == 0) {
                put(w, "\\ufffd", 6);
                i++;
            } else {
                put(w, (const char *)u + i, (size_t)k);
                i += (size_t)k;
            }
            continue;
        }
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        default:
            if (c < 0x20 || c == 0x7f)
                putf(w, "\\u%04x", c);
            else
                put(w, (const char *)&u[i], 1);
        }
        i++;
    }
    put(w, "\"", 1);
}

static void put_cstr(jw *w, const char *s) { put_str(w, s, s ? strlen(s) : 0); }

static void put_num(jw *w, const char *key, double v)
{
    putf(w, ",\"%s\":", key);
    if (isfinite(v))
        putf(w, "%.2f", v);
    else
        put(w, "0", 1);
}

static void put_stats(jw *w, const pd_stats *s)
{
    put_num(w, "tok_per_s", s->tok_per_s);
    put_num(w, "prefill_tok_per_s", s->prefill_tok_per_s);
    putf(w, ",\"prompt_tokens\":%d,\"think_tokens\":%d,\"answer_tokens\":%d"
            ",\"thoughts\":%d,\"switches\":%d,\"reflections\":%d,\"suppressed\":%d"
            ",\"tip_window_left\":%d",
         s->prompt_tokens, s->think_tokens, s->answer_tokens, s->thoughts, s->switches,
         s->reflections, s->suppressed, s->tip_window_left);
}

size_t pd_event_to_json(const pd_event *ev, char *buf, size_t size)
{
    jw w = {buf, size, 0};
    if (buf && size)
        buf[0] = '\0';
    else
        w.size = 0;
    putf(&w, "{\"type\":\"%s\"", pd_event_name(ev->type));
    switch (ev->type) {
    case PD_EV_THINK:
    case PD_EV_ANSWER:
        put(&w, ",\"text\":", 8);
        put_str(&w, ev->text, ev->text ? ev->len : 0);
        putf(&w, ",\"position\":%d", ev->position);
        break;
    case PD_EV_THOUGHT:
        putf(&w, ",\"index\":%d,\"position\":%d,\"trigger\":", ev->index, ev->position);
        put_cstr(&w, ev->trigger);
        if (ev->group)
            putf(&w, ",\"group\":\"%s\"", pd_group_name(ev->group));
        break;
    case PD_EV_SUPPRESSED:
        putf(&w, ",\"position\":%d,\"token\":%d,\"piece\":", ev->position, ev->token);
        put_cstr(&w, ev->piece);
        break;
    case PD_EV_STATS:
        if (ev->stats)
            put_stats(&w, ev->stats);
        break;
    case PD_EV_DONE:
        putf(&w, ",\"reason\":\"%s\"", pd_done_reason_name(ev->reason));
        if (ev->reason == PD_DONE_ERROR) {
            put(&w, ",\"error\":", 9);
            put_cstr(&w, ev->error ? ev->error : "");
        }
        break;
    }
    put(&w, "}", 1);
    return w.n;
}
