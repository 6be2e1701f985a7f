/* theme.c - reading themes/NAME.theme (key = value lines, colours by name
 * or 256-colour number) and choosing the variant a terminal can show. */
#include "theme.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const color_names[16] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue",
    "bright-magenta", "bright-cyan", "bright-white",
};

static int parse_color(const char *w, short *out)
{
    if (strcmp(w, "default") == 0) { *out = -1; return 0; }
    if (strcmp(w, "gray") == 0 || strcmp(w, "grey") == 0) { *out = 8; return 0; }
    for (int i = 0; i < 16; i++)
        if (strcmp(w, color_names[i]) == 0) { *out = (short)i; return 0; }
    char *end;
    long v = strtol(w, &end, 10);
    if (end != w && !*end && v >= 0 && v <= 255) { *out = (short)v; return 0; }
    return -1;
}

static int parse_attr(const char *w, unsigned *a)
{
    static const struct { const char *n; unsigned v; } names[] = {
        {"bold", UI_ATTR_BOLD}, {"dim", UI_ATTR_DIM}, {"underline", UI_ATTR_UNDERLINE},
        {"reverse", UI_ATTR_REVERSE}, {"italic", UI_ATTR_ITALIC}, {"normal", 0},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(w, names[i].n) == 0) { *a |= names[i].v; return 0; }
    return -1;
}

/* "[attrs] [FG] [on BG] [attrs]" */
static int parse_style(char *v, ui_style *st, const char **bad)
{
    ui_style s = {true, -1, -1, 0};
    bool fg_set = false, want_bg = false;
    char *save = NULL;
    for (char *w = strtok_r(v, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
        short c;
        if (strcmp(w, "on") == 0) { want_bg = true; continue; }
        if (want_bg) {
            if (parse_color(w, &c)) { *bad = w; return -1; }
            s.bg = c;
            want_bg = false;
        } else if (parse_attr(w, &s.attrs) == 0) {
            continue;
        } else if (!fg_set && parse_color(w, &c) == 0) {
            s.fg = c;
            fg_set = true;
        } else {
            *bad = w;
            return -1;
        }
    }
    if (want_bg) { *bad = "on"; return -1; }
    *st = s;
    return 0;
}

void ui_theme_builtin(ui_theme *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "built-in");
    static const struct { ui_role r; short fg, bg; unsigned a; } d[] = {
        {UI_ROLE_PANE, -1, -1, 0}, {UI_ROLE_HEADER, 6, -1, UI_ATTR_BOLD},
        {UI_ROLE_TRIGGER, 3, -1, UI_ATTR_BOLD | UI_ATTR_UNDERLINE},
        {UI_ROLE_SUPPRESSED, 1, -1, UI_ATTR_BOLD}, {UI_ROLE_STATUS, 0, 6, 0},
        {UI_ROLE_INPUT, -1, -1, 0}, {UI_ROLE_THINK, 8, -1, 0}, {UI_ROLE_ANSWER, -1, -1, 0},
        {UI_ROLE_BORDER, 4, -1, 0}, {UI_ROLE_NOTE, 8, -1, 0}, {UI_ROLE_PROMPT, 2, -1, UI_ATTR_BOLD},
        {UI_ROLE_FOCUS, 0, 3, UI_ATTR_BOLD}, {UI_ROLE_ERROR, 1, -1, UI_ATTR_BOLD},
    };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++)
        t->s256[d[i].r] = (ui_style){true, d[i].fg, d[i].bg, d[i].a};
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int ui_theme_parse(ui_theme *t, const char *text, char *err, size_t errsz)
{
    char *copy = strdup(text);
    if (!copy) {
        snprintf(err, errsz, "out of memory");
        return 1;
    }
    int bad = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        const char *why = NULL, *what = s;
        if (!eq) {
            why = "expected role = style";
        } else {
            *eq = '\0';
            char *k = trim(s), *v = trim(eq + 1);
            what = k;
            bool v16 = false;
            size_t kl = strlen(k);
            if (kl > 3 && strcmp(k + kl - 3, ".16") == 0) {
                k[kl - 3] = '\0';
                v16 = true;
            }
            int r = ui_role_find(k);
            const char *badw = NULL;
            ui_style st;
            if (strcmp(k, "name") == 0 && !v16)
                snprintf(t->name, sizeof t->name, "%s", v);
            else if (r < 0)
                why = "unknown role";
            else if (parse_style(v, &st, &badw) != 0)
                why = "bad colour or attribute", what = badw;
            else if (v16)
                t->s16[r] = st;
            else
                t->s256[r] = st;
        }
        if (why) {
            if (!bad)
                snprintf(err, errsz, "line %d: %s '%.40s'", lineno, why, what ? what : "");
            bad++;
        }
    }
    free(copy);
    return bad;
}

int ui_theme_load(ui_theme *t, const char *name, char *err, size_t errsz)
{
    char *path;
    if (strchr(name, '/')) {
        path = strdup(name);
    } else {
        char rel[128];
        snprintf(rel, sizeof rel, "themes/%s.theme", name);
        path = pd_data_path(rel);
    }
    if (!path) {
        char names[400] = UI_THEMES_SHIPPED;   /* in their order, then others found */
        pd_data_names("themes", ".theme", names, sizeof names);
        snprintf(err, errsz, "unknown theme '%s' (themes: %s)", name, names);
        return -1;
    }
    char *text = ui_read_file(path, 1 << 20, NULL);
    if (!text) {
        snprintf(err, errsz, "%s: cannot be read", path);
        free(path);
        return -1;
    }
    ui_theme nt;
    ui_theme_builtin(&nt);
    snprintf(nt.name, sizeof nt.name, "%s", name);
    char e2[200];
    int bad = ui_theme_parse(&nt, text, e2, sizeof e2);
    free(text);
    if (bad) {
        snprintf(err, errsz, "%s: %s", path, e2);
        free(path);
        return -1;
    }
    free(path);
    *t = nt;
    return 0;
}

short ui_color_to16(short c)
{
    if (c < 16)
        return c;
    if (c >= 232) {   /* grey ramp */
        int level = c - 232;
        return level < 6 ? 0 : level < 14 ? 8 : level < 20 ? 7 : 15;
    }
    int i = c - 16, r = i / 36, g = (i / 6) % 6, b = i % 6;
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    if (mx == 0)
        return 0;
    int th = mx > 2 ? mx - 1 : 1;  /* channels near the strongest count */
    short base = (short)((r >= th ? 1 : 0) | (g >= th ? 2 : 0) | (b >= th ? 4 : 0));
    return (short)(mx >= 4 ? base + 8 : base);
}

ui_style ui_theme_style(const ui_theme *t, ui_role r, int colors)
{
    ui_style s = t->s256[r];
    if (!s.set)
        s = (ui_style){true, -1, -1, 0};
    if (colors <= 0) {
        s.fg = s.bg = -1;
        return s;
    }
    if (colors < 256) {
        if (t->s16[r].set)
            s = t->s16[r];
        /* a 256-colour number, even on a `role.16` line, becomes the nearest
         * of the 16: never hand a 16-colour terminal a colour past 15 */
        s.fg = s.fg < 0 ? -1 : ui_color_to16(s.fg);
        s.bg = s.bg < 0 ? -1 : ui_color_to16(s.bg);
        if (colors < 16) {   /* 8 colours: bright = bold + base colour */
            if (s.fg >= 8) { s.fg -= 8; s.attrs |= UI_ATTR_BOLD; }
            if (s.bg >= 8) s.bg -= 8;
        }
    }
    return s;
}
