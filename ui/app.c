/* app.c - what the REPL does, independent of how it is drawn: opening
 * models, running /commands, queueing generations (/retry, /ab), and
 * remembering preferences. Used by both the TUI and plain mode. */
#include "app.h"
#include "theme.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void say(ui_app *app, ui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(ui_app *app, ui_role role, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!msg)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    app->fe->say(app, role, msg);
    free(msg);
}

void ui_app_init(ui_app *app, cli_common *opts, const ui_prefs *prefs,
                 const ui_frontend *fe, void *fe_data)
{
    memset(app, 0, sizeof *app);
    app->opts = opts;
    app->prefs = *prefs;
    app->fe = fe;
    app->fe_data = fe_data;
    app->params = opts->params;
    /* own the strings the params point to, so /system and /template can replace them */
    if (app->params.system)
        app->params.system = app->strings[0] = strdup(app->params.system);
    if (app->params.template_name)
        app->params.template_name = app->strings[1] = strdup(app->params.template_name);
    if (opts->tip_phrases)
        app->phrases = strdup(opts->tip_phrases);
    app->config_path = ui_config_path();
}

static void close_model(ui_app *app)
{
    if (app->sess)
        pd_session_free(app->sess);
    if (app->model)
        pd_model_close(app->model);
    app->sess = NULL;
    app->model = NULL;
}

void ui_app_free(ui_app *app)
{
    close_model(app);
    ui_transcript_free(&app->tr);
    free(app->model_path);
    free(app->model_name);
    free(app->phrases);
    free(app->strings[0]);
    free(app->strings[1]);
    free(app->pending.prompt);
    free(app->ab_prompt);
    free(app->config_path);
}

int ui_app_open_model(ui_app *app, const char *path)
{
    pd_model *m = NULL;
    pd_session *s = NULL;
    if (pd_model_open(path, &app->opts->mopts, &m) != PD_OK) {
        say(app, UI_ROLE_ERROR, "%s", pd_errmsg());
        return -1;
    }
    if (pd_session_new(m, &app->params, &s) != PD_OK) {
        say(app, UI_ROLE_ERROR, "%s", pd_errmsg());
        pd_model_close(m);
        return -1;
    }
    if (app->phrases && pd_session_set_phrases(s, app->phrases) != PD_OK)
        say(app, UI_ROLE_ERROR, "%s (using the built-in phrase set)", pd_errmsg());
    const char *notes[] = {pd_model_backend_note(m), pd_model_template_note(m),
                           pd_model_memory_note(m)};
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (notes[i][0])
            say(app, UI_ROLE_NOTE, "note: %s", notes[i]);
    close_model(app);
    app->model = m;
    app->sess = s;
    free(app->model_path);
    app->model_path = strdup(path);
    app->session_turns = 0;
    app->have_stats = false;   /* the old model's numbers say nothing of this one */
    const char *name = pd_model_name(m);
    ui_buf b = {0};
    ui_sanitize_append(&b, name, strlen(name));
    free(app->model_name);
    app->model_name = b.s ? b.s : strdup("?");
    return 0;
}

const pd_stats *ui_app_stats(const ui_app *app)
{
    return app->have_stats ? &app->stats : NULL;
}

const char *ui_app_model_name(const ui_app *app)
{
    return app->model ? app->model_name : NULL;
}

void ui_app_params_changed(ui_app *app)
{
    if (app->sess)
        pd_session_set_params(app->sess, &app->params);
}

void ui_app_remember(ui_app *app, const char *key, const char *value)
{
    if (app->config_path)
        (void)ui_config_set(app->config_path, key, value);
}

void ui_app_tip_adjust(ui_app *app, int toggle, double d_alpha, int d_beta)
{
    pd_params *p = &app->params;
    if (toggle)
        p->tip_on = !p->tip_on;
    double a = p->tip_alpha + d_alpha;
    p->tip_alpha = (float)(a < 0 ? 0 : a > 1e4 ? 1e4 : a);
    long b = (long)p->tip_beta + d_beta;
    p->tip_beta = (int)(b < 0 ? 0 : b > (1 << 24) ? (1 << 24) : b);
    ui_app_params_changed(app);
}

/* ---- jobs ------------------------------------------------------------------ */

static void queue_job(ui_app *app, const char *prompt, const char *label)
{
    free(app->pending.prompt);
    app->pending.prompt = strdup(prompt);
    snprintf(app->pending.label, sizeof app->pending.label, "%s", label ? label : "");
}

bool ui_app_next_job(ui_app *app, ui_job *job)
{
    if (!app->pending.prompt || app->busy || !app->sess)
        return false;
    *job = app->pending;
    app->pending.prompt = NULL;
    app->cur = ui_transcript_begin_turn(&app->tr, job->prompt, &app->params);
    snprintf(app->cur->label, sizeof app->cur->label, "%s", job->label);
    ui_transcript_touch(&app->tr, app->cur);
    if (app->ab_stage)
        app->ab_turn[app->ab_stage - 1] = app->cur;
    app->busy = true;
    app->have_stats = false;
    app->session_turns++;
    return true;
}

bool ui_app_job_pending(const ui_app *app)
{
    return app->pending.prompt != NULL;
}

void ui_app_event(ui_app *app, const pd_event *ev)
{
    if ((ev->type == PD_EV_STATS || ev->type == PD_EV_DONE) && ev->stats) {
        app->stats = *ev->stats;
        app->have_stats = true;
    }
    if (app->cur)
        ui_turn_event(&app->tr, app->cur, ev);
}

/* B is done: remember the pair (/save keeps it) and show the table. */
static void ab_report(ui_app *app)
{
    ui_turn *a = app->ab_turn[0], *b = app->ab_turn[1];
    if (!a || !b)
        return;
    b->ab_a = a;
    ui_buf t = {0};
    ui_ab_table(a, b, &t);
    say(app, UI_ROLE_NOTE, "%s", t.s);
    ui_buf_free(&t);
}

void ui_app_job_done(ui_app *app, pd_status st, const char *errmsg)
{
    ui_turn *turn = app->cur;
    app->busy = false;
    app->cur = NULL;
    if (turn && !turn->done) {   /* the engine failed before its DONE event */
        pd_event ev = {.type = PD_EV_DONE, .reason = PD_DONE_ERROR,
                       .error = st != PD_OK ? errmsg : "generation ended without a result"};
        ui_turn_event(&app->tr, turn, &ev);
    }
    bool cancelled = !turn || turn->reason == PD_DONE_CANCELLED || turn->reason == PD_DONE_ERROR;
    if (app->ab_stage == 1 && !cancelled) {
        char *dummy = NULL;
        if (pd_session_pop_turn(app->sess, &dummy)) {
            free(dummy);
            app->session_turns--;
            if (app->ab_fresh)   /* B starts from the same seed as A did */
                pd_session_clear(app->sess);
            else                 /* or from the sampler state A started from */
                pd_session_restore_sampler(app->sess);
            app->ab_stage = 2;
            app->params.tip_on = true;
            ui_app_params_changed(app);
            queue_job(app, app->ab_prompt, "B \xc2\xb7 TIP on");
            return;
        }
    }
    if (app->ab_stage) {
        if (app->ab_stage == 2 && !cancelled)
            ab_report(app);
        app->params.tip_on = app->ab_tip_saved;
        ui_app_params_changed(app);
        app->ab_stage = 0;
        app->ab_turn[0] = app->ab_turn[1] = NULL;
    }
}

/* ---- commands ---------------------------------------------------------------- */

static void cmd_stats(ui_app *app)
{
    ui_turn *t = ui_transcript_last_turn(&app->tr);
    if (!t || t->n_th == 0) {
        say(app, UI_ROLE_NOTE, "/stats: no thoughts yet");
        return;
    }
    int mx = 1;
    for (int i = 0; i < t->n_th; i++)
        if (ui_thought_tokens(t, i) > mx)
            mx = ui_thought_tokens(t, i);
    ui_buf b = {0};
    char sum[160];
    ui_turn_summary(t, sum, sizeof sum);
    ui_buf_printf(&b, "thought lengths of the last turn (%s):", sum);
    for (int i = 0; i < t->n_th; i++) {
        int n = ui_thought_tokens(t, i), bar = n * 30 / mx;
        ui_buf_printf(&b, "\n#%-3d %-14.14s %6d ", t->th[i].index,
                      t->th[i].trigger[0] ? t->th[i].trigger : "(start)", n);
        for (int k = 0; k < (bar ? bar : n > 0); k++)
            ui_buf_puts(&b, ui_g.bar);
    }
    say(app, UI_ROLE_NOTE, "%s", b.s);
    ui_buf_free(&b);
}

static bool need_idle(ui_app *app, const ui_cmd *c)
{
    if (app->busy) {
        say(app, UI_ROLE_ERROR, "/%s: still generating (Ctrl-C stops it)", ui_cmd_name(c->id));
        return false;
    }
    return true;
}

static bool need_model(ui_app *app)
{
    if (!app->sess) {
        say(app, UI_ROLE_ERROR, "no model is open: /model PATH");
        return false;
    }
    return true;
}

static void cmd_ab(ui_app *app)
{
    char *text = NULL;
    if (!need_model(app))
        return;
    /* A and B draw the same random numbers. With nothing before it, the
     * turn is rerun from a fresh conversation, whose stream starts from the
     * seed (so A and B also repeat the original turn's draws); later in a
     * conversation B goes back to the sampler state A starts from. */
    app->ab_fresh = app->session_turns <= 1;
    if (!app->ab_fresh && pd_session_save_sampler(app->sess) != PD_OK) {
        say(app, UI_ROLE_ERROR, "/ab: %s", pd_errmsg());
        return;
    }
    if (!pd_session_pop_turn(app->sess, &text) || !text) {
        say(app, UI_ROLE_ERROR, "/ab: nothing to compare yet: send a prompt first");
        return;
    }
    app->session_turns--;
    if (app->ab_fresh)
        pd_session_clear(app->sess);
    free(app->ab_prompt);
    app->ab_prompt = text;
    app->ab_tip_saved = app->params.tip_on;
    app->ab_stage = 1;
    app->params.tip_on = false;
    ui_app_params_changed(app);
    queue_job(app, text, "A \xc2\xb7 TIP off");
}

static void cmd_fold(ui_app *app, const ui_cmd *c, ui_fold fold)
{
    int want = (int)c->num, num = 0;
    ui_turn *hit = NULL;
    for (int i = 0; i < app->tr.n; i++)
        if (app->tr.v[i].kind == UI_ENTRY_TURN) {
            num++;
            if (want == 0 || num == want)
                hit = app->tr.v[i].turn;
        }
    if (!hit) {
        say(app, UI_ROLE_ERROR, "/%s: no turn %d", ui_cmd_name(c->id), want);
        return;
    }
    hit->fold = fold;
    ui_transcript_touch(&app->tr, hit);
}

/* path with a leading "~/" made $HOME/ (malloc'd): the shell's habit. */
static char *expand_home(const char *path)
{
    const char *home = getenv("HOME");
    ui_buf b = {0};
    if (strncmp(path, "~/", 2) == 0 && home && *home)
        ui_buf_printf(&b, "%s%s", home, path + 1);
    else
        ui_buf_puts(&b, path);
    return b.s;
}

static void cmd_save(ui_app *app, const char *path)
{
    char err[512];
    if (ui_transcript_save(&app->tr, path, err, sizeof err) != 0)
        say(app, UI_ROLE_ERROR, "/save: %s", err);
    else
        say(app, UI_ROLE_NOTE, "saved %s", path);
}

static void cmd_load(ui_app *app, const char *path)
{
    char err[512];
    if (ui_transcript_kind(path) == UI_FILE_JSONL) {
        if (ui_transcript_load_jsonl(&app->tr, path, err, sizeof err) != 0)
            say(app, UI_ROLE_ERROR, "/load: %s", err);
        else
            say(app, UI_ROLE_NOTE, "loaded %s for viewing (the model does not see it)", path);
        return;
    }
    if (!need_model(app))
        return;
    size_t len;
    char *text = ui_read_file(path, 1 << 20, &len);
    if (!text) {
        int e = errno;
        say(app, UI_ROLE_ERROR, "/load: %s: %s%s", path, ui_read_error(e),
            e == EFBIG ? " (at most 1 MiB of text)" : "");
        return;
    }
    if (memchr(text, '\0', len))
        say(app, UI_ROLE_ERROR, "/load: %s is not a text file", path);
    else
        queue_job(app, text, NULL);
    free(text);
}

static void run_command(ui_app *app, const ui_cmd *c)
{
    char msg[512], err[512];
    if (ui_cmd_apply_params(c, &app->params, app->strings, msg, sizeof msg)) {
        ui_app_params_changed(app);
        say(app, UI_ROLE_NOTE, "%s", msg);
        return;
    }
    switch (c->id) {
    case UI_CMD_HELP: {
        ui_buf b = {0};
        ui_cmd_help(&b);
        say(app, UI_ROLE_NOTE, "%s", b.s);
        ui_buf_free(&b);
        break;
    }
    case UI_CMD_QUIT:
        app->quit = true;
        break;
    case UI_CMD_CLEAR:
        if (!need_idle(app, c))
            return;
        if (app->sess)
            pd_session_clear(app->sess);
        app->session_turns = 0;
        app->have_stats = false;
        ui_transcript_free(&app->tr);
        say(app, UI_ROLE_NOTE, "new conversation");
        break;
    case UI_CMD_RETRY: {
        char *text = NULL;
        if (!need_idle(app, c) || !need_model(app))
            return;
        if (!pd_session_pop_turn(app->sess, &text) || !text) {
            say(app, UI_ROLE_ERROR, "/retry: there is no turn to regenerate");
            return;
        }
        app->session_turns--;
        queue_job(app, text, "retry");
        free(text);
        break;
    }
    case UI_CMD_AB:
        if (need_idle(app, c))
            cmd_ab(app);
        break;
    case UI_CMD_SAVE: {
        char *path = expand_home(c->arg);
        cmd_save(app, path);
        free(path);
        break;
    }
    case UI_CMD_LOAD:
        if (need_idle(app, c)) {
            char *path = expand_home(c->arg);
            cmd_load(app, path);
            free(path);
        }
        break;
    case UI_CMD_MODEL:
        if (need_idle(app, c) && ui_app_open_model(app, c->arg) == 0)
            say(app, UI_ROLE_NOTE, "model %s (%s) %s new conversation: the model does not "
                "see the turns above", ui_app_model_name(app),
                pd_model_backend_name(app->model), ui_g.dot);
        break;
    case UI_CMD_PHRASES:
        if (!need_model(app))
            return;
        if (pd_session_set_phrases(app->sess, c->arg) != PD_OK) {
            say(app, UI_ROLE_ERROR, "/phrases: %s", pd_errmsg());
        } else {
            free(app->phrases);
            app->phrases = strdup(c->arg);
            say(app, UI_ROLE_NOTE, "phrase set %s", c->arg);
        }
        break;
    case UI_CMD_STATS:
        cmd_stats(app);
        break;
    case UI_CMD_THEME: {
        /* checked here for both front ends: a bad name keeps the theme
         * (and the config) as they are, also where the TUI shows mono */
        ui_theme th;
        if (ui_theme_load(&th, c->arg, err, sizeof err) != 0)
            say(app, UI_ROLE_ERROR, "/theme: %s", err);
        else
            app->fe->command(app, c);
        break;
    }
    case UI_CMD_EXPAND:
        cmd_fold(app, c, UI_FOLD_EXPANDED);
        break;
    case UI_CMD_COLLAPSE:
        cmd_fold(app, c, UI_FOLD_COLLAPSED);
        break;
    default:
        app->fe->command(app, c);
        break;
    }
}

bool ui_app_submit(ui_app *app, const char *line)
{
    const char *s = line;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (!*s)
        return true;
    if (*s == '/' && s[1] != '/') {
        ui_cmd c;
        char err[512];
        if (ui_cmd_parse(s, &c, err, sizeof err) != 0)
            say(app, UI_ROLE_ERROR, "%s", err);
        else
            run_command(app, &c);
        return true;
    }
    if (*s == '/')   /* "//text" sends "/text" */
        s++;
    if (app->busy || ui_app_job_pending(app))
        return false;   /* one turn at a time: the front end keeps the text */
    if (need_model(app))
        queue_job(app, s, NULL);
    return true;
}
