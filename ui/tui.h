/* tui.h - the curses front end's state, shared by its loop (tui.c) and its
 * drawing (tui_draw.c). Only the UI thread touches it, except the event
 * queue (mutex) that the generation thread fills. */
#ifndef PD_UI_TUI_H
#define PD_UI_TUI_H

#include <pthread.h>
#include <time.h>

#include "app.h"
#include "pane.h"
#include "theme.h"

/* An engine event copied off the generation thread. */
typedef struct tui_qev {
    pd_event ev;
    pd_stats stats;
    char *text, *trigger, *piece, *error;
    bool job_end;             /* the worker returned: st, error */
    pd_status st;
    struct tui_qev *next;
} tui_qev;

typedef struct tui {
    ui_app app;
    ui_pane panes[2];         /* 0 think, 1 answer */
    int focus;                /* pane index */
    int zoom;                 /* -1: none */
    ui_theme theme;
    int colors;               /* 0 (none / NO_COLOR), 8, 16, 256 */
    unsigned long attr[UI_ROLE_COUNT];
    bool dirty;
    struct timespec last_draw;
    char flash[256];          /* transient message in the status row */
    struct timespec flash_until;
    bool flash_sticky;        /* stays until the next key, not FLASH_MS */
    bool flash_job;           /* about the running generation: goes when it ends */

    /* generation thread and its event queue */
    pthread_t worker;
    bool worker_running;
    bool cancel_asked;        /* Ctrl-C during this job: repeated on its events */
    char *job_prompt;
    pthread_mutex_t mu;
    tui_qev *qhead, *qtail;
    int wake[2];              /* self-pipe: the worker writes, poll() wakes */
} tui;

void tui_theme_apply(tui *t);
void tui_draw(tui *t);
void tui_set_flash(tui *t, const char *msg);
void tui_set_hint(tui *t, const char *msg);

#endif
