/* transcript_io.c - /save and /load: a transcript as Markdown (thoughts
 * marked as quoted blocks with the same headers as the screen) or as JSONL
 * events (one "prompt" line per turn, then the engine's events). Files are
 * written whole to a temporary file and renamed into place. */
#include "ui.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Copy s without role marks. */
static void append_plain(ui_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == UI_MARK) {
            if (p[1])
                p++;
            continue;
        }
        ui_buf_append(b, p, 1);
    }
}

static void append_quoted(ui_buf *b, const char *s)
{
    ui_buf plain = {0};
    append_plain(&plain, s);
    const char *p = ui_buf_str(&plain);
    ui_buf_puts(b, "> ");
    for (; *p; p++) {
        ui_buf_append(b, p, 1);
        if (*p == '\n')
            ui_buf_puts(b, "> ");
    }
    ui_buf_puts(b, "\n");
    ui_buf_free(&plain);
}

/* The header of a thought block, shared by the panes and the .md file. */
void ui_thought_header(const ui_turn *turn, int i, char *out, size_t size)
{
    const ui_thought *th = &turn->th[i];
    char tok[32];
    ui_fmt_count(tok, sizeof tok, ui_thought_tokens(turn, i));
    int n = snprintf(out, size, "#%d %s %s tok", th->index, ui_g.dot, tok);
    if (n > 0 && (size_t)n < size && th->trigger[0])
        n += snprintf(out + n, size - (size_t)n, " %s \"%s\"", ui_g.dot, th->trigger);
    if (n > 0 && (size_t)n < size && th->n_suppressed)
        snprintf(out + n, size - (size_t)n, " %s %d suppressed", ui_g.dot, th->n_suppressed);
}

static void md_turn(ui_buf *b, const ui_turn *t, int num)
{
    char sum[160], hdr[256];
    ui_buf_printf(b, "## Turn %d%s%s\n\n", num, t->label[0] ? " - " : "", t->label);
    ui_buf_puts(b, "**User:**\n\n");
    append_quoted(b, t->prompt);
    ui_turn_summary(t, sum, sizeof sum);
    ui_buf_printf(b, "\n### Thinking (%s)\n\n", sum);
    for (int i = 0; i < t->n_th; i++) {
        ui_thought_header(t, i, hdr, sizeof hdr);
        ui_buf_printf(b, "**%s**\n\n", hdr);
        append_quoted(b, ui_buf_str(&t->th[i].text));
        ui_buf_puts(b, "\n");
    }
    ui_buf_puts(b, "### Answer\n\n");
    append_plain(b, ui_buf_str(&t->answer));
    ui_buf_puts(b, "\n\n");
    if (t->done && t->reason == PD_DONE_CANCELLED)
        ui_buf_puts(b, "*(stopped: the turn was cancelled)*\n\n");
    if (t->error)
        ui_buf_printf(b, "*(error: %s)*\n\n", t->error);
    if (t->have_stats)
        ui_buf_printf(b, "*%.1f tok/s, %d think + %d answer tokens, %d switches, "
                      "TIP %s (alpha %g, beta %d), temperature %g, seed %llu*\n\n",
                      t->stats.tok_per_s, t->stats.think_tokens, t->stats.answer_tokens,
                      t->stats.switches, t->tip_on ? "on" : "off", (double)t->alpha, t->beta,
                      (double)t->temperature, t->seed);
}

static void json_line(ui_buf *b, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
        ui_buf_puts(b, s);
        ui_buf_puts(b, "\n");
        free(s);
    }
    json_decref(o);
}

static void jsonl_turn(ui_buf *b, const ui_turn *t)
{
    json_t *p = json_pack("{s:s, s:s, s:b, s:f, s:i, s:f, s:I}", "type", "prompt",
                          "text", t->prompt, "tip", t->tip_on, "alpha", (double)t->alpha,
                          "beta", t->beta, "temperature", (double)t->temperature,
                          "seed", (json_int_t)t->seed);
    if (t->label[0])
        json_object_set_new(p, "label", json_string(t->label));
    json_line(b, p);
    char line[8192];
    for (int i = 0; i < t->n_log; i++) {
        const ui_logev *l = &t->log[i];
        pd_event ev = {.type = l->type, .index = l->index, .position = l->position,
                       .group = l->group, .token = l->token, .reason = l->reason,
                       .stats = &l->stats};
        switch (l->type) {
        case PD_EV_THINK: case PD_EV_ANSWER: ev.text = l->text; ev.len = strlen(l->text); break;
        case PD_EV_THOUGHT: ev.trigger = l->text; break;
        case PD_EV_SUPPRESSED: ev.piece = l->text; break;
        case PD_EV_DONE: ev.error = l->text; break;
        default: break;
        }
        size_t need = pd_event_to_json(&ev, line, sizeof line);
        if (need >= sizeof line) {
            char *big = malloc(need + 1);
            if (!big)
                continue;
            pd_event_to_json(&ev, big, need + 1);
            ui_buf_puts(b, big);
            free(big);
        } else {
            ui_buf_puts(b, line);
        }
        ui_buf_puts(b, "\n");
    }
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int ui_transcript_save(const ui_transcript *t, const char *path, char *err, size_t errsz)
{
    bool jsonl = ends_with(path, ".jsonl") || ends_with(path, ".json");
    if (!jsonl && !ends_with(path, ".md") && !ends_with(path, ".txt")) {
        snprintf(err, errsz, "%s: use a name ending in .md or .jsonl", path);
        return -1;
    }
    ui_buf b = {0};
    int num = 0;
    if (!jsonl)
        ui_buf_puts(&b, "# ponder transcript\n\n");
    for (int i = 0; i < t->n; i++) {
        if (t->v[i].kind != UI_ENTRY_TURN)
            continue;
        num++;
        if (jsonl)
            jsonl_turn(&b, t->v[i].turn);
        else
            md_turn(&b, t->v[i].turn, num);
    }
    if (num == 0) {
        ui_buf_free(&b);
        snprintf(err, errsz, "nothing to save yet");
        return -1;
    }
    int rc = ui_write_atomic(path, ui_buf_str(&b), b.len);
    if (rc != 0)
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
    ui_buf_free(&b);
    return rc;
}

/* ---- loading .jsonl ---------------------------------------------------- */

static int get_int(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return 0;
    json_int_t i = json_integer_value(v);
    return i < -1000000000 ? -1000000000 : i > 1000000000 ? 1000000000 : (int)i;
}

static const char *get_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void read_stats(json_t *o, pd_stats *st)
{
    memset(st, 0, sizeof *st);
    json_t *v = json_object_get(o, "tok_per_s");
    st->tok_per_s = json_is_number(v) ? json_number_value(v) : 0;
    st->think_tokens = get_int(o, "think_tokens");
    st->answer_tokens = get_int(o, "answer_tokens");
    st->thoughts = get_int(o, "thoughts");
    st->switches = get_int(o, "switches");
    st->reflections = get_int(o, "reflections");
    st->suppressed = get_int(o, "suppressed");
    st->prompt_tokens = get_int(o, "prompt_tokens");
}

static bool load_line(ui_transcript *t, ui_turn **turn, json_t *o)
{
    const char *type = get_str(o, "type");
    if (!type)
        return false;
    if (strcmp(type, "prompt") == 0) {
        const char *text = get_str(o, "text");
        *turn = ui_transcript_begin_turn(t, text ? text : "", NULL);
        (*turn)->tip_on = json_is_true(json_object_get(o, "tip"));
        (*turn)->beta = get_int(o, "beta");
        json_t *a = json_object_get(o, "alpha");
        (*turn)->alpha = json_is_number(a) ? (float)json_number_value(a) : 0;
        const char *label = get_str(o, "label");
        if (label)
            snprintf((*turn)->label, sizeof (*turn)->label, "%s", label);
        return true;
    }
    if (!*turn)
        *turn = ui_transcript_begin_turn(t, "", NULL);
    pd_event ev = {0};
    pd_stats st;
    if (strcmp(type, "think") == 0 || strcmp(type, "answer") == 0) {
        ev.type = type[0] == 't' ? PD_EV_THINK : PD_EV_ANSWER;
        ev.text = get_str(o, "text");
        ev.len = ev.text ? strlen(ev.text) : 0;
    } else if (strcmp(type, "thought") == 0) {
        ev.type = PD_EV_THOUGHT;
        ev.index = get_int(o, "index");
        ev.position = get_int(o, "position");
        ev.trigger = get_str(o, "trigger");
    } else if (strcmp(type, "suppressed") == 0) {
        ev.type = PD_EV_SUPPRESSED;
        ev.position = get_int(o, "position");
        ev.token = get_int(o, "token");
        ev.piece = get_str(o, "piece");
    } else if (strcmp(type, "stats") == 0 || strcmp(type, "done") == 0) {
        read_stats(o, &st);
        ev.stats = &st;
        ev.type = PD_EV_STATS;
        if (type[0] == 'd') {
            ev.type = PD_EV_DONE;
            const char *r = get_str(o, "reason");
            ev.reason = !r ? PD_DONE_EOS : strcmp(r, "max_tokens") == 0 ? PD_DONE_MAX_TOKENS
                      : strcmp(r, "cancelled") == 0 ? PD_DONE_CANCELLED
                      : strcmp(r, "error") == 0 ? PD_DONE_ERROR : PD_DONE_EOS;
            ev.error = get_str(o, "error");
        }
    } else {
        return true;  /* unknown event types are skipped, not an error */
    }
    ui_turn_event(t, *turn, &ev);
    return true;
}

int ui_transcript_load_jsonl(ui_transcript *t, const char *path, char *err, size_t errsz)
{
    size_t len;
    char *data = ui_read_file(path, 256u << 20, &len);
    if (!data) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    ui_turn *turn = NULL;
    int lineno = 0, bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!json_is_object(o) || !load_line(t, &turn, o)) {
            if (!bad)
                snprintf(err, errsz, "%s:%d: not a ponder event line", path, lineno);
            bad++;
        }
        json_decref(o);
    }
    free(data);
    if (turn && !turn->done)
        turn->done = true;
    if (bad)
        return -1;
    if (!turn) {
        snprintf(err, errsz, "%s: no turns in the file", path);
        return -1;
    }
    return 0;
}
