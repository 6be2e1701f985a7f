/* app.h - the REPL's state and behaviour shared by the TUI and plain mode:
 * the model and session, live parameters, the transcript, and what each
 * /command does. The front end supplies how to show a message and how to run
 * a generation (worker thread in the TUI, inline in plain mode). */
#ifndef PD_UI_APP_H
#define PD_UI_APP_H

#include "ui.h"

typedef struct ui_app ui_app;

/* A generation to run: the front end takes it with ui_app_next_job. */
typedef struct ui_job {
    char *prompt;
    char label[32];
} ui_job;

typedef struct ui_frontend {
    /* a one-line message (also errors); the TUI adds a note, plain prints */
    void (*say)(ui_app *app, ui_role role, const char *msg);
    /* commands only the front end can carry out (layout, theme, zoom, ...) */
    void (*command)(ui_app *app, const ui_cmd *c);
} ui_frontend;

struct ui_app {
    cli_common *opts;
    ui_prefs prefs;
    const ui_frontend *fe;
    void *fe_data;

    pd_model *model;
    pd_session *sess;
    char *model_path;
    char *model_name;         /* pd_model_name, made safe to print (from the file) */
    char *phrases;            /* current phrase set file, NULL = built-in */
    pd_params params;
    char *strings[2];         /* owned: system, template */

    ui_transcript tr;
    ui_turn *cur;             /* the turn being generated */
    pd_stats stats;           /* the session's latest, for the status line */
    bool have_stats;          /* none since the model opened, /clear, a new turn */
    bool busy;
    bool quit;
    char *config_path;

    ui_job pending;           /* next job (prompt NULL: none) */
    int ab_stage;             /* 0: none, 1: A running, 2: B running */
    char *ab_prompt;
    bool ab_tip_saved;
    bool ab_fresh;            /* the compared turn was the whole conversation */
    int session_turns;        /* turns the session holds (for /ab) */
    ui_turn *ab_turn[2];
};

void ui_app_init(ui_app *app, cli_common *opts, const ui_prefs *prefs,
                 const ui_frontend *fe, void *fe_data);
void ui_app_free(ui_app *app);
/* Open a model (closing the current one); on failure the old one stays.
 * Returns 0 or -1 (message said). */
int ui_app_open_model(ui_app *app, const char *path);
/* Push the live parameters to the session (from any key or command). */
void ui_app_params_changed(ui_app *app);
/* One line of input: a /command or a prompt. Returns false for a prompt that
 * cannot be taken now (a generation runs or waits to start), which the
 * front end keeps for later; true when the line was taken (or refused
 * with a message). */
bool ui_app_submit(ui_app *app, const char *line);
/* The front end starts the next job, if any: fills job (caller frees
 * job->prompt) and begins its turn in the transcript. */
bool ui_app_next_job(ui_app *app, ui_job *job);
/* A prompt was accepted and waits for the front end to start it. */
bool ui_app_job_pending(const ui_app *app);
/* Called on the UI thread for each engine event of the running job. */
void ui_app_event(ui_app *app, const pd_event *ev);
/* The running job returned (status of pd_session_generate). */
void ui_app_job_done(ui_app *app, pd_status st, const char *errmsg);
/* Adjust TIP from keys: d_alpha, d_beta added (clamped at 0). */
void ui_app_tip_adjust(ui_app *app, int toggle, double d_alpha, int d_beta);
/* The statistics for the status line: the current session's latest turn
 * (NULL: none yet, e.g. after /model or /clear). */
const pd_stats *ui_app_stats(const ui_app *app);
/* The model name for the status line (NULL without a model). */
const char *ui_app_model_name(const ui_app *app);
/* Remember key = value in the config file (quietly ignores failures). */
void ui_app_remember(ui_app *app, const char *key, const char *value);

#endif
