/* pane.h - the THINK and ANSWER panes: each is a small ops table that turns
 * the transcript into wrapped, role-marked lines, plus the scroll state the
 * two share. Layout of the screen is computed here too. No curses: the TUI
 * draws the lines (tui.c), tests read them directly. */
#ifndef PD_UI_PANE_H
#define PD_UI_PANE_H

#include "ui.h"

/* What a pane renders from. */
typedef struct ui_pane_ctx {
    const ui_transcript *tr;
    ui_display display;
} ui_pane_ctx;

typedef struct ui_pane_ops {
    const char *name;    /* "think" / "answer": focus name, /zoom */
    const char *title;   /* in the pane's top border */
    /* Append entry e (turn number `num` when it is a turn) as this pane shows
     * it, wrapped to width. Returns how many entries it took (1, or 2 when
     * it shows a pair together). */
    int (*build)(const ui_pane_ctx *ctx, int e, int num, ui_lines *out, int width);
} ui_pane_ops;

/* The rendered lines of one or two entries, kept while their stamps stay. */
typedef struct ui_pane_part {
    unsigned long stamp[2];
    int taken;           /* entries it covers */
    ui_lines lines;
} ui_pane_part;

extern const ui_pane_ops ui_think_pane_ops;
extern const ui_pane_ops ui_answer_pane_ops;

typedef struct ui_rect { int y, x, h, w; } ui_rect;

typedef struct ui_pane {
    const ui_pane_ops *ops;
    ui_lines lines;      /* all lines for `width`: a view into parts (not owned) */
    ui_pane_part *parts; /* per entry index */
    int n_parts;
    int width;
    unsigned version;    /* transcript version rendered */
    ui_display display;  /* display mode rendered */
    bool valid;
    int top;             /* first visible line when not following */
    bool follow;         /* stick to the newest line */
    bool visible;
    ui_rect title, body; /* set by ui_layout_compute */
} ui_pane;

void ui_pane_init(ui_pane *p, const ui_pane_ops *ops);
void ui_pane_free(ui_pane *p);
/* Re-render when the transcript, the width or the display mode changed. */
void ui_pane_update(ui_pane *p, const ui_pane_ctx *ctx);
/* First line shown in a body of p->body.h rows. */
int ui_pane_first(const ui_pane *p);
/* Scroll by delta lines (negative: back in time); top/bottom. */
void ui_pane_scroll(ui_pane *p, int delta);
void ui_pane_home(ui_pane *p);
void ui_pane_end(ui_pane *p);
/* Lines below the visible part (0 when following). */
int ui_pane_below(const ui_pane *p);

/* Screen layout: panes, the status row and the input row. */
typedef struct ui_screen_layout {
    int rows, cols;
    ui_layout layout;
    ui_display display;     /* hidden: no THINK pane */
    int zoom;               /* -1: none, else the pane index zoomed */
    int status_row, input_row;
} ui_screen_layout;
/* panes[0] = think, panes[1] = answer */
void ui_layout_compute(const ui_screen_layout *sl, ui_pane panes[2]);

#endif
