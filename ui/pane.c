/* pane.c - THINK and ANSWER panes as ops tables over the transcript, their
 * scrollback, and the screen layout (side by side, stacked, zoomed). Pure
 * functions: tested without a terminal in tests/unit/test_ui.c. */
#include "pane.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *ui_fit(const char *s, int width)
{
    ui_buf b = {0};
    int w = 0;
    size_t n = strlen(s);
    const int ell = 1;
    for (size_t i = 0; i < n;) {
        if (s[i] == UI_MARK) {
            size_t k = i + 1 < n ? 2 : 1;
            ui_buf_append(&b, s + i, k);
            i += k;
            continue;
        }
        unsigned wc;
        int k = ui_utf8_decode(s + i, n - i, &wc);
        int cw = ui_wcwidth(wc);
        if (wc == '\n')
            break;
        if (w + cw > width - ell && ui_text_width(s + i) > width - w) {
            ui_buf_puts(&b, ui_g.ell);
            break;
        }
        ui_buf_append(&b, s + i, (size_t)k);
        w += cw;
        i += (size_t)k;
    }
    return b.s ? b.s : strdup("");
}

/* "── 3 · prompt ─────" filling the width */
static void separator(ui_lines *out, int num, const char *label, const char *prompt, int width)
{
    ui_buf b = {0};
    ui_buf_role(&b, UI_ROLE_BORDER);
    ui_buf_printf(&b, "%s%s %d%s%s %s ", ui_g.hline, ui_g.hline, num,
                  label[0] ? " " : "", label, ui_g.dot);
    int used = ui_text_width(b.s);
    char *p = ui_fit(prompt, width - used - 3 > 4 ? width - used - 3 : 4);
    ui_buf_puts(&b, p);
    free(p);
    ui_buf_puts(&b, " ");
    for (int w = ui_text_width(b.s); w < width; w++)
        ui_buf_puts(&b, ui_g.hline);
    char *line = ui_fit(b.s, width);
    ui_wrap(out, line, width, UI_ROLE_BORDER);
    free(line);
    ui_buf_free(&b);
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\n')
        s++;
    return s;
}

/* Thought text with its trigger phrase (at the start) highlighted. */
static void thought_body(ui_lines *out, const ui_thought *th, int width)
{
    const char *s = skip_blank(ui_buf_str(&th->text));
    ui_buf b = {0};
    size_t tl = strlen(th->trigger);
    if (tl && strncasecmp(s, th->trigger, tl) == 0) {
        ui_buf_role(&b, UI_ROLE_TRIGGER);
        ui_buf_append(&b, s, tl);
        ui_buf_role(&b, UI_ROLE_THINK);
        s += tl;
    }
    ui_buf_puts(&b, s);
    if (b.len)
        ui_wrap(out, b.s, width, UI_ROLE_THINK);
    ui_buf_free(&b);
}

static bool turn_collapsed(const ui_turn *t, ui_display d)
{
    if (t->fold == UI_FOLD_COLLAPSED)
        return true;
    if (t->fold == UI_FOLD_EXPANDED)
        return false;
    return d != UI_DISPLAY_FULL && t->done;
}

static int think_build(const ui_pane_ctx *ctx, int e, int num, ui_lines *out, int width)
{
    if (ctx->tr->v[e].kind != UI_ENTRY_TURN)
        return 1;
    const ui_turn *t = ctx->tr->v[e].turn;
    separator(out, num, t->label, t->prompt, width);
    char buf[512];
    if (turn_collapsed(t, ctx->display)) {
        char sum[160];
        ui_turn_summary(t, sum, sizeof sum);
        snprintf(buf, sizeof buf, "%s %s  (/expand %d)", ui_g.fold, sum, num);
        ui_wrap(out, buf, width, UI_ROLE_HEADER);
    } else {
        for (int i = 0; i < t->n_th; i++) {
            ui_thought_header(t, i, buf, sizeof buf);
            ui_wrap(out, buf, width, UI_ROLE_HEADER);
            thought_body(out, &t->th[i], width);
        }
        if (t->n_th == 0)
            ui_wrap(out, t->done ? "(no thinking)" : ui_g.ell, width, UI_ROLE_NOTE);
    }
    if (t->done && t->reason == PD_DONE_CANCELLED) {
        snprintf(buf, sizeof buf, "%s stopped", ui_g.stop);
        ui_wrap(out, buf, width, UI_ROLE_SUPPRESSED);
    }
    ui_wrap(out, "", width, UI_ROLE_THINK);
    return 1;
}

/* A line already fitted to the width. */
static void emit_line(ui_lines *out, const char *s)
{
    ui_wrap(out, s, 1 << 20, UI_ROLE_ANSWER);
}

static void answer_turn(ui_lines *out, const ui_turn *t, int width)
{
    ui_buf b = {0};
    ui_buf_role(&b, UI_ROLE_PROMPT);
    ui_buf_printf(&b, "%s ", ui_g.prompt);
    if (t->label[0])
        ui_buf_printf(&b, "[%s] ", t->label);
    ui_buf_puts(&b, t->prompt);
    ui_wrap(out, b.s, width, UI_ROLE_PROMPT);
    ui_buf_free(&b);
    const char *a = skip_blank(ui_buf_str(&t->answer));
    if (*a)
        ui_wrap(out, a, width, UI_ROLE_ANSWER);
    else if (!t->done)
        ui_wrap(out, ui_g.ell, width, UI_ROLE_NOTE);
    char buf[512];
    if (t->done) {
        char sum[160];
        ui_turn_summary(t, sum, sizeof sum);
        if (t->have_stats)
            snprintf(buf, sizeof buf, "%s %s %.1f tok/s", sum, ui_g.dot, t->stats.tok_per_s);
        else
            snprintf(buf, sizeof buf, "%s", sum);
        ui_wrap(out, buf, width, UI_ROLE_NOTE);
    }
    if (t->done && t->reason == PD_DONE_CANCELLED) {
        snprintf(buf, sizeof buf, "%s stopped (Ctrl-C): partial turn kept", ui_g.stop);
        ui_wrap(out, buf, width, UI_ROLE_SUPPRESSED);
    } else if (t->done && t->reason == PD_DONE_MAX_TOKENS) {
        ui_wrap(out, "(reached the token limit: /max N)", width, UI_ROLE_NOTE);
    }
    if (t->error) {
        snprintf(buf, sizeof buf, "error: %s", t->error);
        ui_wrap(out, buf, width, UI_ROLE_ERROR);
    }
}

static bool is_ab(const ui_entry *en, char which)
{
    return en->kind == UI_ENTRY_TURN && en->turn->label[0] == which && en->turn->label[1] == ' ';
}

/* /ab: the A and B turns in two columns, so they can be read side by side. */
static void answer_ab(ui_lines *out, const ui_turn *a, const ui_turn *b, int width)
{
    int wl = (width - 3) / 2, wr = width - 3 - wl;
    ui_lines la = {0}, lb = {0};
    answer_turn(&la, a, wl);
    answer_turn(&lb, b, wr);
    int n = la.n > lb.n ? la.n : lb.n;
    for (int i = 0; i < n; i++) {
        ui_buf row = {0};
        const char *l = i < la.n ? la.v[i].s : "";
        ui_buf_puts(&row, l);
        for (int w = ui_text_width(l); w < wl; w++)
            ui_buf_puts(&row, " ");
        ui_buf_role(&row, UI_ROLE_BORDER);
        ui_buf_printf(&row, " %s ", ui_g.vline);
        ui_buf_puts(&row, i < lb.n ? lb.v[i].s : "");
        emit_line(out, row.s);
        ui_buf_free(&row);
    }
    ui_lines_free(&la);
    ui_lines_free(&lb);
}

static int answer_build(const ui_pane_ctx *ctx, int e, int num, ui_lines *out, int width)
{
    (void)num;
    const ui_entry *en = &ctx->tr->v[e];
    int taken = 1;
    if (en->kind == UI_ENTRY_NOTE) {
        ui_wrap(out, en->note, width, en->note_role);
    } else if (width >= 40 && is_ab(en, 'A') && e + 1 < ctx->tr->n &&
               is_ab(&ctx->tr->v[e + 1], 'B')) {
        answer_ab(out, en->turn, ctx->tr->v[e + 1].turn, width);
        taken = 2;
    } else {
        answer_turn(out, en->turn, width);
    }
    ui_wrap(out, "", width, UI_ROLE_ANSWER);
    return taken;
}

const ui_pane_ops ui_think_pane_ops = {"think", "THINK", think_build};
const ui_pane_ops ui_answer_pane_ops = {"answer", "ANSWER", answer_build};

/* ---- state and scrolling ------------------------------------------------ */

void ui_pane_init(ui_pane *p, const ui_pane_ops *ops)
{
    memset(p, 0, sizeof *p);
    p->ops = ops;
    p->follow = true;
}

static void parts_free(ui_pane *p)
{
    for (int i = 0; i < p->n_parts; i++)
        ui_lines_free(&p->parts[i].lines);
    free(p->parts);
    p->parts = NULL;
    p->n_parts = 0;
}

void ui_pane_free(ui_pane *p)
{
    parts_free(p);
    free(p->lines.v);   /* a view: the strings belong to the parts */
    memset(&p->lines, 0, sizeof p->lines);
}

static void view_append(ui_lines *view, const ui_lines *part)
{
    if (view->n + part->n > view->cap) {
        int cap = view->cap ? view->cap : 256;
        while (cap < view->n + part->n)
            cap *= 2;
        ui_line *v = realloc(view->v, (size_t)cap * sizeof *v);
        if (!v)
            abort();
        view->v = v;
        view->cap = cap;
    }
    if (part->n)
        memcpy(view->v + view->n, part->v, (size_t)part->n * sizeof *part->v);
    view->n += part->n;
}

/* Lines of the whole transcript, re-rendering only the entries whose stamps
 * changed (during a generation: the turn being written), so a long session
 * costs no more per frame than a short one. */
static void rebuild(ui_pane *p, const ui_pane_ctx *ctx, int width, bool all)
{
    const ui_transcript *tr = ctx->tr;
    if (all || p->n_parts > tr->n)
        parts_free(p);
    if (p->n_parts < tr->n) {
        ui_pane_part *v = realloc(p->parts, (size_t)tr->n * sizeof *v);
        if (!v)
            abort();
        memset(v + p->n_parts, 0, (size_t)(tr->n - p->n_parts) * sizeof *v);
        p->parts = v;
        p->n_parts = tr->n;
    }
    p->lines.n = 0;
    int num = 0;
    for (int e = 0; e < tr->n;) {
        ui_pane_part *part = &p->parts[e];
        unsigned long s0 = ui_entry_stamp(&tr->v[e]);
        unsigned long s1 = e + 1 < tr->n ? ui_entry_stamp(&tr->v[e + 1]) : 0;
        /* the next stamp counts too: a pair may form with the entry after */
        bool fresh = part->taken > 0 && part->stamp[0] == s0 && part->stamp[1] == s1;
        if (!fresh) {
            ui_lines_clear(&part->lines);
            part->taken = p->ops->build(ctx, e, num + 1, &part->lines, width);
            part->stamp[0] = s0;
            part->stamp[1] = s1;
        }
        int taken = part->taken > 0 ? part->taken : 1;
        for (int k = 0; k < taken && e + k < tr->n; k++)
            if (tr->v[e + k].kind == UI_ENTRY_TURN)
                num++;
        view_append(&p->lines, &part->lines);
        e += taken;
    }
}

void ui_pane_update(ui_pane *p, const ui_pane_ctx *ctx)
{
    int width = p->body.w > 0 ? p->body.w : 1;
    if (p->valid && p->width == width && p->version == ctx->tr->version &&
        p->display == ctx->display)
        return;
    /* keep the reader's place on re-wrap: same fraction of the text */
    int old_n = p->lines.n, old_top = p->top;
    rebuild(p, ctx, width, !p->valid || p->width != width || p->display != ctx->display);
    if (!p->follow && old_n > 0 && p->width != width)
        p->top = (int)((long long)old_top * p->lines.n / old_n);
    p->width = width;
    p->version = ctx->tr->version;
    p->display = ctx->display;
    p->valid = true;
}

static int max_top(const ui_pane *p)
{
    int m = p->lines.n - (p->body.h > 0 ? p->body.h : 1);
    return m > 0 ? m : 0;
}

int ui_pane_first(const ui_pane *p)
{
    int m = max_top(p);
    if (p->follow)
        return m;
    return p->top < 0 ? 0 : p->top > m ? m : p->top;
}

void ui_pane_scroll(ui_pane *p, int delta)
{
    int top = ui_pane_first(p) + delta, m = max_top(p);
    if (top < 0)
        top = 0;
    p->top = top;
    p->follow = top >= m;
}

void ui_pane_home(ui_pane *p)
{
    p->top = 0;
    p->follow = max_top(p) == 0;
}

void ui_pane_end(ui_pane *p) { p->follow = true; }

int ui_pane_below(const ui_pane *p)
{
    return max_top(p) - ui_pane_first(p);
}

/* ---- layout -------------------------------------------------------------- */

static void place(ui_pane *p, int y, int x, int h, int w)
{
    p->visible = h >= 2 && w >= 1;
    p->title = (ui_rect){y, x, 1, w};
    p->body = (ui_rect){y + 1, x, h - 1 > 0 ? h - 1 : 0, w};
}

void ui_layout_compute(const ui_screen_layout *sl, ui_pane panes[2])
{
    int rows = sl->rows < 3 ? 3 : sl->rows, cols = sl->cols < 1 ? 1 : sl->cols;
    int area = rows - 2;   /* status and input rows at the bottom */
    panes[0].visible = panes[1].visible = false;
    int zoom = sl->zoom;
    if (sl->display == UI_DISPLAY_HIDDEN && zoom != 0)
        zoom = 1;
    if (zoom == 0 || zoom == 1) {
        place(&panes[zoom], 0, 0, area, cols);
        panes[1 - zoom].body = (ui_rect){0, 0, 0, 0};
    } else if (sl->layout == UI_LAYOUT_SIDE) {
        int wl = (cols - 1) / 2;   /* one column for the divider */
        place(&panes[0], 0, 0, area, wl);
        place(&panes[1], 0, wl + 1, area, cols - wl - 1);
    } else {
        int ht = area / 2;
        place(&panes[0], 0, 0, ht, cols);
        place(&panes[1], ht, 0, area - ht, cols);
    }
}
