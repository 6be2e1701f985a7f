/* tui_draw.c - drawing the screen with ncursesw: pane titles and bodies
 * (role-marked lines from pane.c), the divider, the status line and the input
 * row with readline's buffer. The whole frame is redrawn into stdscr and
 * curses sends only what changed. */
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include "tui.h"
#include "input.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static attr_t role_attr(const tui *t, ui_role r)
{
    return (attr_t)t->attr[(unsigned)r < UI_ROLE_COUNT ? r : UI_ROLE_PANE];
}

void tui_theme_apply(tui *t)
{
    for (int r = 0; r < UI_ROLE_COUNT; r++) {
        ui_style s = ui_theme_style(&t->theme, (ui_role)r, t->colors);
        attr_t a = A_NORMAL;
        if (s.attrs & UI_ATTR_BOLD) a |= A_BOLD;
        if (s.attrs & UI_ATTR_DIM) a |= A_DIM;
        if (s.attrs & UI_ATTR_UNDERLINE) a |= A_UNDERLINE;
        if (s.attrs & UI_ATTR_REVERSE) a |= A_REVERSE;
#ifdef A_ITALIC
        if (s.attrs & UI_ATTR_ITALIC) a |= A_ITALIC;
#endif
        if (t->colors > 0 && r + 1 < COLOR_PAIRS) {
            short fg = s.fg, bg = s.bg;
            if (fg >= COLORS) fg = -1;
            if (bg >= COLORS) bg = -1;
            init_pair((short)(r + 1), fg, bg);
            a |= COLOR_PAIR(r + 1);
        }
        t->attr[r] = a;
    }
    bkgdset(' ' | role_attr(t, UI_ROLE_PANE));
}

/* Draw a role-marked UTF-8 line at (y, x), at most w columns; the rest of the
 * w columns is filled with blanks in the role the line ended in. */
static void draw_marked(tui *t, int y, int x, int w, const char *s, ui_role base)
{
    ui_role role = base;
    wchar_t buf[512];
    int nb = 0, col = 0;
    size_t n = strlen(s);
    move(y, x);
    attrset(role_attr(t, role));
    for (size_t i = 0; i <= n;) {
        bool flush = i == n || s[i] == UI_MARK || nb == (int)(sizeof buf / sizeof *buf) - 1;
        if (flush && nb) {
            addnwstr(buf, nb);
            nb = 0;
        }
        if (i == n)
            break;
        if (s[i] == UI_MARK) {
            if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] < '0' + UI_ROLE_COUNT)
                role = (ui_role)(s[i + 1] - '0');
            attrset(role_attr(t, role));
            i += i + 1 < n ? 2 : 1;
            continue;
        }
        unsigned wc;
        int k = ui_utf8_decode(s + i, n - i, &wc);
        int cw = ui_wcwidth(wc);
        if (col + cw > w)
            break;
        if (cw > 0) {
            buf[nb++] = (wchar_t)wc;
            col += cw;
        }
        i += (size_t)k;
    }
    if (nb)
        addnwstr(buf, nb);
    for (; col < w; col++)
        addch(' ');
}

static void draw_title(tui *t, ui_pane *p, int idx)
{
    ui_buf b = {0};
    bool focused = t->focus == idx;
    ui_buf_role(&b, UI_ROLE_BORDER);
    ui_buf_printf(&b, "%s", ui_g.hline);
    ui_buf_role(&b, focused ? UI_ROLE_FOCUS : UI_ROLE_HEADER);
    ui_buf_printf(&b, " %s%s ", p->ops->title, t->zoom == idx ? " (zoom)" : "");
    ui_buf_role(&b, UI_ROLE_BORDER);
    int below = ui_pane_below(p), first = ui_pane_first(p);
    char right[64] = "";
    if (below > 0)
        snprintf(right, sizeof right, " %d more below ", below);
    else if (first > 0)
        snprintf(right, sizeof right, " %s%d ", ui_g.more, first);
    int used = ui_text_width(b.s) + ui_text_width(right);
    for (int i = used; i < p->title.w - 1; i++)
        ui_buf_puts(&b, ui_g.hline);
    ui_buf_puts(&b, right);
    ui_buf_puts(&b, ui_g.hline);
    draw_marked(t, p->title.y, p->title.x, p->title.w, b.s, UI_ROLE_BORDER);
    ui_buf_free(&b);
}

static void draw_pane(tui *t, int idx)
{
    ui_pane *p = &t->panes[idx];
    if (!p->visible)
        return;
    ui_pane_ctx ctx = {&t->app.tr, t->app.prefs.display};
    ui_pane_update(p, &ctx);
    draw_title(t, p, idx);
    int first = ui_pane_first(p);
    for (int r = 0; r < p->body.h; r++) {
        int li = first + r;
        const char *s = li < p->lines.n ? p->lines.v[li].s : "";
        draw_marked(t, p->body.y + r, p->body.x, p->body.w, s,
                    idx == 0 ? UI_ROLE_THINK : UI_ROLE_ANSWER);
    }
}

static void draw_divider(tui *t, int rows)
{
    ui_pane *l = &t->panes[0], *r = &t->panes[1];
    if (!l->visible || !r->visible || l->body.y != r->body.y)
        return;
    int x = l->body.x + l->body.w;
    attrset(role_attr(t, UI_ROLE_BORDER));
    for (int y = 0; y < rows - 2; y++) {
        move(y, x);
        addstr(y == 0 ? ui_g.hline : ui_g.vline);
    }
}

static void draw_status(tui *t, int row, int cols)
{
    char line[1024];
    if (t->flash[0]) {
        snprintf(line, sizeof line, " %s", t->flash);
        char *fit = ui_fit(line, cols);
        draw_marked(t, row, 0, cols, fit, UI_ROLE_STATUS);
        free(fit);
        return;
    }
    ui_status_info si = {
        .model = ui_app_model_name(&t->app),
        .backend = t->app.model ? pd_model_backend_name(t->app.model) : NULL,
        .params = &t->app.params,
        .stats = ui_app_stats(&t->app),
        .busy = t->app.busy,
        .focus = t->panes[t->focus].ops->name,
        .stopping = t->cancel_asked,
    };
    ui_status_format(&si, cols, line, sizeof line);
    draw_marked(t, row, 0, cols, line, UI_ROLE_STATUS);
}

/* The input row: prompt and buffer, scrolled sideways to keep the cursor on
 * screen; newlines in the buffer show as a glyph. Returns the cursor column. */
static int draw_input(tui *t, int row, int cols)
{
    const char *prompt = ui_input_prompt(), *buf = ui_input_buffer();
    int point = ui_input_point();
    size_t n = strlen(buf);
    if (point < 0 || (size_t)point > n)
        point = (int)n;
    int pw = ui_text_width(prompt);
    int avail = cols - pw - 1;
    if (avail < 1)
        avail = 1;
    /* width from byte `from` to byte `to` */
    size_t start = 0;
    for (;;) {
        int w = 0;
        for (size_t i = start; i < (size_t)point;) {
            unsigned wc;
            int k = ui_utf8_decode(buf + i, n - i, &wc);
            w += wc == '\n' ? 1 : ui_wcwidth(wc);
            i += (size_t)k;
        }
        if (w <= avail || start >= (size_t)point)
            break;
        unsigned wc;
        start += (size_t)ui_utf8_decode(buf + start, n - start, &wc);
    }
    ui_buf line = {0};
    ui_buf_role(&line, UI_ROLE_PROMPT);
    ui_buf_puts(&line, prompt);
    ui_buf_role(&line, UI_ROLE_INPUT);
    int cursor = pw;
    for (size_t i = start; i < n;) {
        unsigned wc;
        int k = ui_utf8_decode(buf + i, n - i, &wc);
        if (i < (size_t)point)
            cursor += wc == '\n' ? 1 : ui_wcwidth(wc);
        if (wc == '\n') {
            ui_buf_role(&line, UI_ROLE_NOTE);
            ui_buf_puts(&line, ui_g.newline);
            ui_buf_role(&line, UI_ROLE_INPUT);
        } else if (wc < 0x20) {
            ui_buf_puts(&line, " ");
        } else {
            ui_buf_append(&line, buf + i, (size_t)k);
        }
        i += (size_t)k;
    }
    draw_marked(t, row, 0, cols, line.s, UI_ROLE_INPUT);
    ui_buf_free(&line);
    return cursor < cols ? cursor : cols - 1;
}

void tui_draw(tui *t)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (rows < 4 || cols < 16) {
        erase();
        mvaddnstr(0, 0, "terminal too small", cols > 0 ? cols : 0);
        refresh();
        return;
    }
    ui_screen_layout sl = {rows, cols, t->app.prefs.layout, t->app.prefs.display, t->zoom,
                           rows - 2, rows - 1};
    ui_layout_compute(&sl, t->panes);
    if (!t->panes[t->focus].visible)
        t->focus = t->panes[0].visible ? 0 : 1;
    draw_pane(t, 0);
    draw_pane(t, 1);
    draw_divider(t, rows);
    draw_status(t, sl.status_row, cols);
    int cx = draw_input(t, sl.input_row, cols);
    move(sl.input_row, cx);
    refresh();
    clock_gettime(CLOCK_MONOTONIC, &t->last_draw);
    t->dirty = false;
}
