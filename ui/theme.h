/* theme.h - colour themes as data: themes/NAME.theme maps each semantic role
 * (ui.h: pane, header, trigger, suppressed, status, input, think, answer,
 * border, ...) to colours and attributes, with a 256-colour value and an
 * optional 16-colour fallback (`role.16 = ...`). Parsing is pure; tui.c turns
 * a theme into curses attributes. */
#ifndef PD_UI_THEME_H
#define PD_UI_THEME_H

#include "ui.h"

enum {
    UI_ATTR_BOLD = 1, UI_ATTR_DIM = 2, UI_ATTR_UNDERLINE = 4, UI_ATTR_REVERSE = 8,
    UI_ATTR_ITALIC = 16,
};

typedef struct ui_style {
    bool set;
    short fg, bg;        /* -1: terminal default; 0..255 */
    unsigned attrs;      /* UI_ATTR_* */
} ui_style;

typedef struct ui_theme {
    char name[64];
    ui_style s256[UI_ROLE_COUNT];   /* `role = ...` */
    ui_style s16[UI_ROLE_COUNT];    /* `role.16 = ...` */
} ui_theme;

/* The built-in theme (used when no theme file can be read). */
void ui_theme_builtin(ui_theme *t);
/* Parse theme text over t (roles not mentioned keep their value). Returns
 * the number of bad lines; the first one is described in err. */
int ui_theme_parse(ui_theme *t, const char *text, char *err, size_t errsz);
/* Load themes/NAME.theme through pd_data_path (or NAME as a path when it
 * contains '/'). 0, or -1 with err set. */
int ui_theme_load(ui_theme *t, const char *name, char *err, size_t errsz);
/* The style of a role for a terminal with `colors` colours (8, 16, 256);
 * 0 colours: attributes only. */
ui_style ui_theme_style(const ui_theme *t, ui_role r, int colors);
/* Nearest of the 16 basic colours for a 256-colour index. */
short ui_color_to16(short c);

#endif
