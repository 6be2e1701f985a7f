/* transcript_io.c - /save and /load: a transcript as Markdown (thoughts
 * marked as quoted blocks with the same headers as the screen) or as JSONL
 * events (one "prompt" line per turn, then the engine's events, its last
 * "stats" and, after the B turn of an /ab, an "ab" line naming both turns).
 * Files are written whole to a temporary file and renamed into place; a
 * file is loaded whole or not at all. */
#include "ui.h"

#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The number of turn `turn` in t, counting from 1; 0 if it is not there. */
static int turn_number(const ui_transcript *t, const ui_turn *turn)
{
    int num = 0;
    for (int i = 0; i < t->n; i++)
        if (t->v[i].kind == UI_ENTRY_TURN) {
            num++;
            if (t->v[i].turn == turn)
                return num;
        }
    return 0;
}

/* Turn number num of t (from 1), or NULL. */
static ui_turn *nth_turn(const ui_transcript *t, int num)
{
    for (int i = 0; i < t->n; i++)
        if (t->v[i].kind == UI_ENTRY_TURN && --num == 0)
            return t->v[i].turn;
    return NULL;
}

/* The A/B table after the B turn of an /ab, as on screen. */
static void md_ab(ui_buf *b, const ui_turn *a, int num_a, const ui_turn *bt, int num_b)
{
    ui_buf table = {0};
    ui_ab_table(a, bt, &table);
    ui_buf_printf(b, "### A/B (turns %d and %d)\n\n```\n%s\n```\n\n", num_a, num_b,
                  ui_buf_str(&table));
    ui_buf_free(&table);
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

/* One event as the engine writes it (pd_event_to_json), and a newline. */
static void jsonl_event(ui_buf *b, const pd_event *ev)
{
    char line[8192];
    size_t need = pd_event_to_json(ev, line, sizeof line);
    if (need < sizeof line) {
        ui_buf_puts(b, line);
    } else {
        char *big = malloc(need + 1);
        if (!big)
            abort();
        pd_event_to_json(ev, big, need + 1);
        ui_buf_puts(b, big);
        free(big);
    }
    ui_buf_puts(b, "\n");
}

/* The turn's final statistics: the engine streams them just before DONE;
 * the log keeps only their latest value. */
static void jsonl_stats(ui_buf *b, const ui_turn *t)
{
    if (!t->have_stats)
        return;
    pd_event ev = {.type = PD_EV_STATS, .stats = &t->stats};
    jsonl_event(b, &ev);
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
    bool stats_written = false;
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
        if (l->type == PD_EV_DONE && !stats_written) {
            jsonl_stats(b, t);
            stats_written = true;
        }
        jsonl_event(b, &ev);
    }
    if (!stats_written)   /* a turn without its DONE event */
        jsonl_stats(b, t);
}

/* {"type":"ab","a":2,"b":3}: turns 2 and 3 of the file are an /ab's A and B. */
static void jsonl_ab(ui_buf *b, int num_a, int num_b)
{
    json_line(b, json_pack("{s:s, s:i, s:i}", "type", "ab", "a", num_a, "b", num_b));
}

static bool ends_with_nocase(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a > b && strcasecmp(s + a - b, suf) == 0;
}

ui_file_kind ui_transcript_kind(const char *path)
{
    return ends_with_nocase(path, ".jsonl") ? UI_FILE_JSONL
         : ends_with_nocase(path, ".md") ? UI_FILE_MD : UI_FILE_OTHER;
}

int ui_transcript_save(const ui_transcript *t, const char *path, char *err, size_t errsz)
{
    ui_file_kind kind = ui_transcript_kind(path);
    if (kind == UI_FILE_OTHER) {
        snprintf(err, errsz, "%s: use a name ending in .md or .jsonl", path);
        return -1;
    }
    bool jsonl = kind == UI_FILE_JSONL;
    ui_buf b = {0};
    int num = 0;
    if (!jsonl)
        ui_buf_puts(&b, "# ponder transcript\n\n");
    for (int i = 0; i < t->n; i++) {
        if (t->v[i].kind != UI_ENTRY_TURN)
            continue;
        const ui_turn *turn = t->v[i].turn;
        int num_a = turn->ab_a ? turn_number(t, turn->ab_a) : 0;
        num++;
        if (jsonl)
            jsonl_turn(&b, turn);
        else
            md_turn(&b, turn, num);
        if (num_a && jsonl)
            jsonl_ab(&b, num_a, num);
        else if (num_a)
            md_ab(&b, turn->ab_a, num_a, turn, num);
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

/* A number, clamped to what a float holds (alpha, temperature, speeds). */
static double get_num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    double d = json_is_number(v) ? json_number_value(v) : 0;
    return d < -FLT_MAX ? -FLT_MAX : d > FLT_MAX ? FLT_MAX : d;
}

static const char *get_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The statistics of a "stats" line (or of a "done" line, where other
 * writers put them); false when the line has none of them. */
static bool read_stats(json_t *o, pd_stats *st)
{
    static const char *const keys[] = {"tok_per_s", "prefill_tok_per_s", "prompt_tokens",
        "think_tokens", "answer_tokens", "thoughts", "switches", "reflections", "suppressed",
        "tip_window_left"};
    bool any = false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        any = any || json_object_get(o, keys[i]);
    memset(st, 0, sizeof *st);
    st->tok_per_s = get_num(o, "tok_per_s");
    st->prefill_tok_per_s = get_num(o, "prefill_tok_per_s");
    st->prompt_tokens = get_int(o, "prompt_tokens");
    st->think_tokens = get_int(o, "think_tokens");
    st->answer_tokens = get_int(o, "answer_tokens");
    st->thoughts = get_int(o, "thoughts");
    st->switches = get_int(o, "switches");
    st->reflections = get_int(o, "reflections");
    st->suppressed = get_int(o, "suppressed");
    st->tip_window_left = get_int(o, "tip_window_left");
    return any;
}

/* "switch" / "reflect" as written by pd_event_to_json. */
static int read_group(json_t *o)
{
    const char *g = get_str(o, "group");
    return !g ? 0 : strcmp(g, "switch") == 0 ? PD_GROUP_SWITCH
         : strcmp(g, "reflect") == 0 ? PD_GROUP_REFLECT : 0;
}

/* The reason pd_done_reason_name wrote; eos for none or another. */
static pd_done_reason read_reason(json_t *o)
{
    const char *r = get_str(o, "reason");
    for (int i = PD_DONE_EOS; r && i <= PD_DONE_ERROR; i++)
        if (strcmp(r, pd_done_reason_name((pd_done_reason)i)) == 0)
            return (pd_done_reason)i;
    return PD_DONE_EOS;
}

/* A label from the file, made safe to show and cut at a whole character. */
static void copy_label(char *out, size_t size, const char *s)
{
    ui_buf b = {0};
    ui_sanitize_append(&b, s, strlen(s));
    size_t n = b.len < size - 1 ? b.len : size - 1;
    while (n > 0 && n < b.len && ((unsigned char)b.s[n] & 0xc0) == 0x80)
        n--;
    memcpy(out, ui_buf_str(&b), n);
    out[n] = '\0';
    ui_buf_free(&b);
}

/* A "prompt" line: a new turn with the parameters it was generated with. */
static ui_turn *load_prompt(ui_transcript *t, json_t *o)
{
    const char *text = get_str(o, "text");
    ui_turn *turn = ui_transcript_begin_turn(t, text ? text : "", NULL);
    turn->tip_on = json_is_true(json_object_get(o, "tip"));
    turn->alpha = (float)get_num(o, "alpha");
    turn->beta = get_int(o, "beta");
    turn->temperature = (float)get_num(o, "temperature");
    json_t *seed = json_object_get(o, "seed");
    turn->seed = json_is_integer(seed) ? (unsigned long long)json_integer_value(seed) : 0;
    const char *label = get_str(o, "label");
    if (label)
        copy_label(turn->label, sizeof turn->label, label);
    return turn;
}

/* An "ab" line: turn b (of this file) was compared with turn a; the table
 * follows it as it did on screen. */
static bool load_ab(ui_transcript *t, json_t *o)
{
    ui_turn *a = nth_turn(t, get_int(o, "a")), *b = nth_turn(t, get_int(o, "b"));
    if (!a || !b || a == b)
        return false;
    b->ab_a = a;
    ui_buf table = {0};
    ui_ab_table(a, b, &table);
    ui_transcript_note(t, UI_ROLE_NOTE, "%s", ui_buf_str(&table));
    ui_buf_free(&table);
    return true;
}

/* One engine event line, applied to the current turn. */
static bool load_event(ui_transcript *t, ui_turn *turn, json_t *o, const char *type)
{
    pd_event ev = {.position = get_int(o, "position")};
    pd_stats st;
    if (strcmp(type, "think") == 0 || strcmp(type, "answer") == 0) {
        ev.type = type[0] == 't' ? PD_EV_THINK : PD_EV_ANSWER;
        ev.text = get_str(o, "text");
        ev.len = ev.text ? strlen(ev.text) : 0;
    } else if (strcmp(type, "thought") == 0) {
        ev.type = PD_EV_THOUGHT;
        ev.index = get_int(o, "index");
        ev.trigger = get_str(o, "trigger");
        ev.group = read_group(o);
    } else if (strcmp(type, "suppressed") == 0) {
        ev.type = PD_EV_SUPPRESSED;
        ev.token = get_int(o, "token");
        ev.piece = get_str(o, "piece");
    } else if (strcmp(type, "stats") == 0) {
        ev.type = PD_EV_STATS;
        read_stats(o, &st);
        ev.stats = &st;
    } else if (strcmp(type, "done") == 0) {
        ev.type = PD_EV_DONE;
        ev.stats = read_stats(o, &st) ? &st : NULL;
        ev.reason = read_reason(o);
        ev.error = get_str(o, "error");
    } else {
        return true;  /* unknown event types are skipped, not an error */
    }
    ui_turn_event(t, turn, &ev);
    return true;
}

static bool load_line(ui_transcript *t, ui_turn **turn, json_t *o)
{
    const char *type = get_str(o, "type");
    if (!type)
        return false;
    if (strcmp(type, "prompt") == 0) {
        *turn = load_prompt(t, o);
        return true;
    }
    if (strcmp(type, "ab") == 0)
        return load_ab(t, o);
    if (!*turn)
        *turn = ui_transcript_begin_turn(t, "", NULL);
    return load_event(t, *turn, o, type);
}

/* Every line of data into `in`; the number of the first bad line, or 0. */
static int load_lines(ui_transcript *in, char *data, size_t len)
{
    ui_turn *turn = NULL;
    int lineno = 0;
    for (char *line = data, *end = data + len; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        lineno++;
        if (n > 0 && !(n == 1 && line[0] == '\r')) {
            json_error_t je;
            json_t *o = json_loadb(line, n, 0, &je);
            bool ok = json_is_object(o) && load_line(in, &turn, o);
            json_decref(o);
            if (!ok)
                return lineno;
        }
        line += n + 1;
    }
    return 0;
}

int ui_transcript_load_jsonl(ui_transcript *t, const char *path, char *err, size_t errsz)
{
    size_t len;
    char *data = ui_read_file(path, 256u << 20, &len);
    if (!data) {
        int e = errno;
        snprintf(err, errsz, "%s: %s%s", path, ui_read_error(e),
                 e == EFBIG ? " (at most 256 MiB)" : "");
        return -1;
    }
    ui_transcript in = {0};   /* the file's turns: shown only when all of it reads */
    int bad = load_lines(&in, data, len);
    free(data);
    if (bad)
        snprintf(err, errsz, "%s:%d: not a ponder event line", path, bad);
    else if (!nth_turn(&in, 1))
        snprintf(err, errsz, "%s: no turns in the file", path);
    if (bad || !nth_turn(&in, 1)) {
        ui_transcript_free(&in);
        return -1;
    }
    for (int i = 0; i < in.n; i++)
        if (in.v[i].kind == UI_ENTRY_TURN)
            in.v[i].turn->done = true;   /* nothing more will come */
    ui_transcript_take(t, &in);
    return 0;
}
