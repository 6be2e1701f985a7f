/* status.c - the status line: model and backend, speed, token counts,
 * thoughts/switches/suppressed, TIP state and sampling, fitted to the width
 * by dropping the least important fields first. Pure. */
#include "ui.h"

#include <stdlib.h>
#include <string.h>

enum { N_FIELDS = 8 };

typedef struct field {
    char text[256];
    int prio;   /* higher: kept longer when the line is too narrow */
} field;

void ui_status_format(const ui_status_info *si, int width, char *out, size_t size)
{
    bool utf8 = strcmp(ui_g.dot, "-") != 0;
    const char *sep = utf8 ? " \u2502 " : " | ";
    const pd_params *p = si->params;
    const pd_stats *st = si->stats;
    field f[N_FIELDS];
    int n = 0;
    char a[32], b[32], c[32];

    if (si->busy || si->stopping) {   /* a generation is running: always shown */
        snprintf(f[n].text, sizeof f[n].text, "%s", si->stopping ? "* stopping..." : "*");
        f[n++].prio = 10;
    }
    /* the model, cut to keep room for the numbers */
    if (si->model) {
        /* "name · arch" from the engine: the name is enough here */
        char m[160];
        snprintf(m, sizeof m, "%s", si->model);
        char *cut = strstr(m, " \xc2\xb7 ");
        if (cut)
            *cut = '\0';
        snprintf(m + strlen(m), sizeof m - strlen(m), "/%s", si->backend ? si->backend : "?");
        char *fit = ui_fit(m, 28);
        snprintf(f[n].text, sizeof f[n].text, "%s", fit);
        free(fit);
    } else {
        snprintf(f[n].text, sizeof f[n].text, "no model (/model PATH)");
    }
    f[n++].prio = 3;
    if (st) {
        snprintf(f[n].text, sizeof f[n].text, "%.1f tok/s", st->tok_per_s);
        f[n++].prio = 4;
        ui_fmt_count(a, sizeof a, st->think_tokens);
        ui_fmt_count(b, sizeof b, st->answer_tokens);
        snprintf(f[n].text, sizeof f[n].text, "think %s ans %s", a, b);
        f[n++].prio = 5;
        snprintf(f[n].text, sizeof f[n].text, "%d thought%s %d sw %d supp",
                 st->thoughts, st->thoughts == 1 ? "" : "s", st->switches, st->suppressed);
        f[n++].prio = 6;
    }
    if (p) {
        ui_fmt_count(c, sizeof c, p->tip_beta);
        int k = snprintf(f[n].text, sizeof f[n].text, "TIP %s %s%.1f %s%s",
                         p->tip_on ? "on" : "off", utf8 ? "\u03b1" : "a=", (double)p->tip_alpha,
                         utf8 ? "\u03b2" : "b=", c);
        if (p->tip_on && si->busy && st && st->tip_window_left > 0 && k > 0 && (size_t)k < sizeof f[n].text)
            snprintf(f[n].text + k, sizeof f[n].text - (size_t)k, " win %d", st->tip_window_left);
        f[n++].prio = 9;
        snprintf(f[n].text, sizeof f[n].text, "T%.2g seed %llu", (double)p->temperature,
                 (unsigned long long)p->seed);
        f[n++].prio = 2;
    }
    /* drop fields, least important first, until the line fits */
    bool keep[N_FIELDS];
    for (int i = 0; i < n; i++)
        keep[i] = true;
    for (;;) {
        int w = 1, shown = 0;
        for (int i = 0; i < n; i++)
            if (keep[i]) {
                w += ui_text_width(f[i].text) + (shown ? ui_text_width(sep) : 0);
                shown++;
            }
        if (w <= width || shown <= 1)
            break;
        int worst = -1;
        for (int i = 0; i < n; i++)
            if (keep[i] && (worst < 0 || f[i].prio < f[worst].prio))
                worst = i;
        keep[worst] = false;
    }
    ui_buf line = {0};
    ui_buf_puts(&line, " ");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (shown++)
            ui_buf_puts(&line, sep);
        ui_buf_puts(&line, f[i].text);
    }
    char *fit = ui_fit(ui_buf_str(&line), width);
    snprintf(out, size, "%s", fit);
    free(fit);
    ui_buf_free(&line);
}
