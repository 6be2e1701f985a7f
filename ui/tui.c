/* tui.c - the REPL entry point and the curses front end's loop. The UI
 * thread owns curses; a generation runs in a worker thread whose events come
 * back through a mutex-protected queue and a self-pipe that wakes poll().
 * Keys are taken here first (F-keys, scrolling, Ctrl-C, mouse) and the rest
 * go to readline (input.c). */
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include "tui.h"
#include "input.h"

#include <curses.h>
#include <term.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FRAME_MS = 33, FLASH_MS = 4000 };

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

void tui_set_flash(tui *t, const char *msg)
{
    snprintf(t->flash, sizeof t->flash, "%s", msg);
    clock_gettime(CLOCK_MONOTONIC, &t->flash_until);
    t->flash_sticky = false;
    t->flash_job = false;
    t->dirty = true;
}

static void clear_flash(tui *t)
{
    t->flash[0] = '\0';
    t->flash_sticky = t->flash_job = false;
    t->dirty = true;
}

/* A flash that stays until the next key: an answer to a key the user
 * pressed (Ctrl-C at the prompt) should not vanish before it is read. */
void tui_set_hint(tui *t, const char *msg)
{
    tui_set_flash(t, msg);
    t->flash_sticky = true;
}

/* ---- the generation thread ------------------------------------------------- */

static char *dup_or_null(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void push(tui *t, tui_qev *q)
{
    pthread_mutex_lock(&t->mu);
    if (t->qtail)
        t->qtail->next = q;
    else
        t->qhead = q;
    t->qtail = q;
    pthread_mutex_unlock(&t->mu);
    char c = 1;
    ssize_t w = write(t->wake[1], &c, 1);   /* full pipe: poll wakes anyway */
    (void)w;
}

/* Runs on the worker: copy what the event points to (valid only now). */
static void on_event(const pd_event *ev, void *user)
{
    tui *t = user;
    tui_qev *q = calloc(1, sizeof *q);
    if (!q)
        return;
    q->ev = *ev;
    if (ev->stats) {
        q->stats = *ev->stats;
        q->ev.stats = &q->stats;
    }
    q->ev.text = q->text = dup_or_null(ev->text, ev->text ? ev->len : 0);
    q->ev.trigger = q->trigger = dup_or_null(ev->trigger, ev->trigger ? strlen(ev->trigger) : 0);
    q->ev.piece = q->piece = dup_or_null(ev->piece, ev->piece ? strlen(ev->piece) : 0);
    q->ev.error = q->error = dup_or_null(ev->error, ev->error ? strlen(ev->error) : 0);
    push(t, q);
}

static void *worker_main(void *arg)
{
    tui *t = arg;
    pd_status st = pd_session_generate(t->app.sess, t->job_prompt, on_event, t);
    tui_qev *q = calloc(1, sizeof *q);
    if (q) {
        q->job_end = true;
        q->st = st;
        if (st != PD_OK)
            q->error = strdup(pd_errmsg());  /* thread-local: read it here */
        push(t, q);
    }
    return NULL;
}

static void start_jobs(tui *t)
{
    ui_job job;
    if (t->worker_running || !ui_app_next_job(&t->app, &job))
        return;
    free(t->job_prompt);
    t->job_prompt = job.prompt;
    t->panes[0].follow = t->panes[1].follow = true;
    if (pthread_create(&t->worker, NULL, worker_main, t) != 0) {
        ui_app_job_done(&t->app, PD_EBACKEND, "cannot start the generation thread");
        return;
    }
    t->worker_running = true;
    t->dirty = true;
}

static void drain_events(tui *t)
{
    char buf[256];
    while (read(t->wake[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&t->mu);
    tui_qev *q = t->qhead;
    t->qhead = t->qtail = NULL;
    pthread_mutex_unlock(&t->mu);
    while (q) {
        tui_qev *next = q->next;
        if (q->job_end) {
            pthread_join(t->worker, NULL);
            t->worker_running = false;
            t->cancel_asked = false;   /* the status line's "stopping..." goes */
            if (t->flash_job)
                clear_flash(t);
            ui_app_job_done(&t->app, q->st, q->error ? q->error : "");
        } else {
            /* a cancel that came before the generation had begun may have
             * been reset by its start: ask again once it is running */
            if (t->cancel_asked && q->ev.type != PD_EV_DONE)
                pd_session_cancel(t->app.sess);
            ui_app_event(&t->app, &q->ev);
        }
        free(q->text); free(q->trigger); free(q->piece); free(q->error);
        free(q);
        q = next;
        t->dirty = true;
    }
}

static void stop_worker(tui *t)
{
    if (!t->worker_running)
        return;
    pd_session_cancel(t->app.sess);
    while (t->worker_running) {
        struct pollfd pfd = {t->wake[0], POLLIN, 0};
        poll(&pfd, 1, 100);
        drain_events(t);
    }
}

/* ---- front-end hooks ---------------------------------------------------------- */

static void fe_say(ui_app *app, ui_role role, const char *msg)
{
    tui *t = app->fe_data;
    ui_transcript_note(&app->tr, role, "%s", msg);
    t->panes[1].follow = true;
    t->dirty = true;
}

static void set_layout(tui *t, int layout)
{
    t->app.prefs.layout = (ui_layout)layout;
    ui_app_remember(&t->app, "layout", ui_layout_name(t->app.prefs.layout));
    t->dirty = true;
}

static void set_display(tui *t, int display)
{
    t->app.prefs.display = (ui_display)display;
    ui_app_remember(&t->app, "display", ui_display_name(t->app.prefs.display));
    if (display == UI_DISPLAY_HIDDEN)
        t->focus = 1;
    t->dirty = true;
}

static void toggle_zoom(tui *t)
{
    t->zoom = t->zoom >= 0 ? -1 : t->focus;
    t->dirty = true;
}

static void load_theme(tui *t, const char *name, bool say_it)
{
    char err[512];
    const char *use = t->colors == 0 ? "mono" : name;
    ui_theme th;
    if (ui_theme_load(&th, use, err, sizeof err) != 0) {
        if (!say_it) {   /* at start (the config's theme): say so, draw anyway */
            ui_theme_builtin(&t->theme);
            char msg[640];
            snprintf(msg, sizeof msg, "%s; using the built-in theme", err);
            fe_say(&t->app, UI_ROLE_ERROR, msg);
        } else {
            fe_say(&t->app, UI_ROLE_ERROR, err);
        }
        tui_theme_apply(t);
        return;
    }
    t->theme = th;
    tui_theme_apply(t);
    t->dirty = true;
    if (say_it) {
        snprintf(t->app.prefs.theme, sizeof t->app.prefs.theme, "%s", name);
        ui_app_remember(&t->app, "theme", name);
        char msg[160];
        snprintf(msg, sizeof msg, "theme %s%s", name,
                 t->colors == 0 ? " (no colours on this terminal: mono)" : "");
        fe_say(&t->app, UI_ROLE_NOTE, msg);
    }
}

static void fe_command(ui_app *app, const ui_cmd *c)
{
    tui *t = app->fe_data;
    switch (c->id) {
    case UI_CMD_LAYOUT:
        set_layout(t, c->arg[0] ? ui_layout_parse(c->arg) : !t->app.prefs.layout);
        break;
    case UI_CMD_DISPLAY:
        set_display(t, c->arg[0] ? ui_display_parse(c->arg) : ((int)t->app.prefs.display + 1) % 3);
        break;
    case UI_CMD_ZOOM:
        toggle_zoom(t);
        break;
    case UI_CMD_THEME:
        load_theme(t, c->arg, true);
        break;
    default:
        break;
    }
}

static const ui_frontend tui_frontend = {fe_say, fe_command};

static bool in_line(void *u, const char *text)
{
    tui *t = u;
    if (!ui_app_submit(&t->app, text)) {
        /* a prompt while a generation runs: kept in the input line, for
         * Enter once the turn has ended */
        tui_set_flash(t, "still generating: press Enter again when it ends (Ctrl-C stops it)");
        t->flash_job = true;
        return false;
    }
    start_jobs(t);   /* now: a Ctrl-C typed right after Enter must find it running */
    t->panes[1].follow = true;
    t->dirty = true;
    return true;
}

static void in_eof(void *u) { ((tui *)u)->app.quit = true; }
static void in_redisplay(void *u) { ((tui *)u)->dirty = true; }
static void in_message(void *u, const char *msg) { tui_set_flash(u, msg); }
static void in_error(void *u, const char *msg) { fe_say(&((tui *)u)->app, UI_ROLE_ERROR, msg); }

static void bracketed_paste(bool on)
{
    fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
    fflush(stdout);
}

static void in_suspend(void *u, bool leave)
{
    tui *t = u;
    if (leave) {
        bracketed_paste(false);
        def_prog_mode();
        endwin();
    } else {
        reset_prog_mode();
        bracketed_paste(true);
        clearok(curscr, TRUE);
        t->dirty = true;
        tui_draw(t);
    }
}

/* ---- keys ------------------------------------------------------------------------ */

static void feed(const char *s) { ui_input_feed(s, strlen(s)); }

static void on_ctrl_c(tui *t)
{
    if (t->app.busy || ui_app_job_pending(&t->app)) {
        /* a prompt accepted in the same read as this key has not started
         * yet: the cancel is asked again at its first event */
        if (t->app.busy)
            pd_session_cancel(t->app.sess);
        t->cancel_asked = true;   /* the status line says "stopping..." until the end */
        clear_flash(t);
    } else if (!ui_input_empty()) {
        /* like a shell: Ctrl-C drops the line; say how to quit all the same
         * (readline may still hold the text of a line just accepted) */
        ui_input_clear();
        tui_set_hint(t, "line cleared; to quit press Ctrl-D or type /quit");
    } else {
        tui_set_hint(t, "Ctrl-C stops a generation; to quit press Ctrl-D or type /quit");
    }
}

/* The pane under the cell (title row included); NULL where none is: the
 * status line, the input row, the divider. */
static ui_pane *pane_at(tui *t, int y, int x)
{
    for (int i = 0; i < 2; i++) {
        ui_pane *p = &t->panes[i];
        if (p->visible && y >= p->title.y && y < p->body.y + p->body.h && x >= p->body.x &&
            x < p->body.x + p->body.w)
            return p;
    }
    return NULL;
}

/* The wheel scrolls the pane under the pointer (ponder(1)); over no pane
 * (status line, input row, divider) it does nothing. */
static void on_mouse(tui *t)
{
    MEVENT me;
    if (getmouse(&me) != OK)
        return;
    ui_pane *p = pane_at(t, me.y, me.x);
    if (!p)
        return;
    if (me.bstate & BUTTON4_PRESSED)
        ui_pane_scroll(p, -3);
#ifdef BUTTON5_PRESSED
    else if (me.bstate & BUTTON5_PRESSED)
        ui_pane_scroll(p, 3);
#endif
}

static void on_function_key(tui *t, int k)
{
    ui_pane *p = &t->panes[t->focus];
    int page = p->body.h > 2 ? p->body.h - 1 : 1;
    switch (k) {
    case KEY_F(1): ui_app_submit(&t->app, "/help"); break;
    case KEY_F(2): ui_app_tip_adjust(&t->app, 1, 0, 0); break;
    case KEY_F(3): ui_app_tip_adjust(&t->app, 0, -0.5, 0); break;
    case KEY_F(4): ui_app_tip_adjust(&t->app, 0, 0.5, 0); break;
    case KEY_F(5): ui_app_tip_adjust(&t->app, 0, 0, -50); break;
    case KEY_F(6): ui_app_tip_adjust(&t->app, 0, 0, 50); break;
    case KEY_F(7): set_layout(t, !t->app.prefs.layout); break;
    case KEY_F(8): toggle_zoom(t); break;
    case KEY_F(9): set_display(t, ((int)t->app.prefs.display + 1) % 3); break;
    case KEY_PPAGE: ui_pane_scroll(p, -page); break;
    case KEY_NPAGE: ui_pane_scroll(p, page); break;
    case KEY_HOME: if (ui_input_empty()) ui_pane_home(p); else feed("\033[H"); break;
    case KEY_END: if (ui_input_empty()) ui_pane_end(p); else feed("\033[F"); break;
    case KEY_UP: feed("\033[A"); break;
    case KEY_DOWN: feed("\033[B"); break;
    case KEY_RIGHT: feed("\033[C"); break;
    case KEY_LEFT: feed("\033[D"); break;
    case KEY_DC: feed("\033[3~"); break;
    case KEY_BACKSPACE: feed("\177"); break;
    case KEY_ENTER: feed("\r"); break;
    case KEY_BTAB: t->focus = !t->focus; break;
    case KEY_MOUSE: on_mouse(t); break;
    case KEY_RESIZE:
        /* curses resized stdscr; the redraw relays out. The terminal may have
         * reflowed or cleared what was on it, which curses cannot know: the
         * next frame repaints every cell instead of only the changed ones. */
        clearok(curscr, TRUE);
        break;
    default: break;
    }
    t->dirty = true;
}

/* One byte of a typed character (UTF-8 is checked by input.c). */
static void on_byte(tui *t, int c)
{
    switch (c) {
    case 3: on_ctrl_c(t); return;
    case 4:
        if (ui_input_empty()) { t->app.quit = true; return; }
        break;
    case '\t':
        if (!ui_input_is_command()) {
            t->focus = !t->focus;
            if (!t->panes[t->focus].visible)
                t->focus = !t->focus;
            t->dirty = true;
            return;
        }
        break;
    case 12: clearok(curscr, TRUE); t->dirty = true; return;
    case 26:   /* Ctrl-Z: curses keeps ISIG off, so suspend by hand */
        bracketed_paste(false);
        endwin();
        kill(getpid(), SIGTSTP);
        refresh();
        bracketed_paste(true);
        t->dirty = true;
        return;
    default: break;
    }
    if (t->flash[0] && c != 27)
        clear_flash(t);
    char b = (char)c;
    ui_input_feed(&b, 1);
    t->dirty = true;
}

/* Keys as bytes, not characters: curses' get_wch drops an invalid UTF-8
 * byte and the bytes after it, input.c replaces each with U+FFFD. */
static void drain_keys(tui *t)
{
    int c;
    while (!t->app.quit && (c = getch()) != ERR) {
        /* a hint lasts until the next key; a resize is not one (and curses
         * may report one late, after the keys that followed it) */
        if (t->flash_sticky && c != KEY_RESIZE)
            clear_flash(t);
        if (c >= KEY_MIN)
            on_function_key(t, c);
        else
            on_byte(t, c);
    }
}

/* ---- setup and the loop ----------------------------------------------------------- */

static int colors_wanted(void)
{
    const char *nc = getenv("NO_COLOR");
    if ((nc && *nc) || !has_colors())
        return 0;
    start_color();
    use_default_colors();
    return COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
}

static void screen_init(tui *t)
{
    initscr();
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    meta(stdscr, TRUE);   /* all 8 bits of each byte (UTF-8) */
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    mousemask(BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
              | BUTTON5_PRESSED
#endif
              , NULL);
    mouseinterval(0);
    t->colors = colors_wanted();
    bracketed_paste(true);
}

static void welcome(tui *t, bool model_given)
{
    ui_app *app = &t->app;
    ui_transcript_note(&app->tr, UI_ROLE_NOTE,
                       "ponder %s %s type a question; /help for commands, Ctrl-D to quit",
                       pd_version(), ui_g.dot);
    if (app->model)
        ui_transcript_note(&app->tr, UI_ROLE_NOTE, "model %s %s %s", ui_app_model_name(app),
                           ui_g.dot, pd_model_backend_name(app->model));
    if (!model_given) {
        ui_buf b = {0};
        ui_demo_hint(&b, 3);
        if (b.len) {
            b.s[b.len - 1] = '\0';   /* the last newline */
            ui_transcript_note(&app->tr, UI_ROLE_NOTE, "%s", b.s);
        }
        ui_buf_free(&b);
    }
}

static void loop(tui *t)
{
    while (!t->app.quit) {
        start_jobs(t);
        if (t->flash[0] && !t->flash_sticky && ms_since(&t->flash_until) > FLASH_MS) {
            t->flash[0] = '\0';
            t->dirty = true;
        }
        int timeout = -1;
        if (t->dirty) {
            long since = ms_since(&t->last_draw);
            if (since >= FRAME_MS || !t->app.busy)
                tui_draw(t);
            else
                timeout = (int)(FRAME_MS - since);
        }
        if (t->flash[0] && !t->flash_sticky && timeout < 0)
            timeout = 500;
        if (ui_input_holding() && (timeout < 0 || timeout > 50))
            timeout = 50;   /* a lone Esc, part of a character: pass on if nothing follows */
        struct pollfd pfd[2] = {{STDIN_FILENO, POLLIN, 0}, {t->wake[0], POLLIN, 0}};
        int r = poll(pfd, 2, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (pfd[1].revents)
            drain_events(t);
        drain_keys(t);   /* also after EINTR: SIGWINCH leaves KEY_RESIZE */
        if (r == 0 && ui_input_flush_held())
            t->dirty = true;
        if (pfd[0].revents & (POLLHUP | POLLERR))
            t->app.quit = true;
    }
}

static void tui_free(tui *t)
{
    ui_pane_free(&t->panes[0]);
    ui_pane_free(&t->panes[1]);
    ui_app_free(&t->app);
    free(t->job_prompt);
    close(t->wake[0]);
    close(t->wake[1]);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

int ui_tui_run(cli_common *c, const ui_prefs *prefs, bool model_given)
{
    tui *t = calloc(1, sizeof *t);
    if (!t)
        return CLI_EXIT_INPUT;
    ui_app_init(&t->app, c, prefs, &tui_frontend, t);
    ui_pane_init(&t->panes[0], &ui_think_pane_ops);
    ui_pane_init(&t->panes[1], &ui_answer_pane_ops);
    t->focus = 1;
    t->zoom = -1;
    pthread_mutex_init(&t->mu, NULL);
    if (pipe(t->wake) != 0) {
        cli_error("cannot create a pipe: %s", strerror(errno));
        ui_app_free(&t->app);
        free(t);
        return CLI_EXIT_INPUT;
    }
    for (int i = 0; i < 2; i++)
        fcntl(t->wake[i], F_SETFL, fcntl(t->wake[i], F_GETFL) | O_NONBLOCK);

    /* a model that cannot be opened is an error before the screen starts,
     * like every other command (exit 1, one line); /model switches later */
    char *model = cli_model_path(c->model ? c->model : prefs->model[0] ? prefs->model : NULL);
    if (!model || ui_app_open_model(&t->app, model) != 0) {
        if (model && t->app.tr.n > 0)
            cli_error("%s", t->app.tr.v[t->app.tr.n - 1].note);
        free(model);
        tui_free(t);
        return CLI_EXIT_INPUT;
    }
    free(model);

    screen_init(t);
    load_theme(t, c->theme ? c->theme : prefs->theme, false);
    welcome(t, model_given);
    char *hist = ui_history_path();
    ui_input_hooks hooks = {.user = t, .line = in_line, .eof = in_eof,
                            .redisplay = in_redisplay, .message = in_message,
                            .error = in_error, .suspend = in_suspend};
    ui_input_init(&hooks, hist);
    free(hist);
    t->dirty = true;

    loop(t);

    stop_worker(t);
    ui_input_finish();
    bracketed_paste(false);
    endwin();
    tui_free(t);
    return CLI_EXIT_OK;
}

/* ---- ui_main: options, config, and which front end ------------------------------------ */

/* The terminal type is known and can move the cursor (not TERM=dumb). */
static bool terminal_can_tui(void)
{
    int err = 0;
    if (setupterm(NULL, STDOUT_FILENO, &err) != OK || err <= 0)
        return false;
    const char *cup = tigetstr("cup");
    bool ok = cup && cup != (char *)-1;
    del_curterm(cur_term);
    return ok;
}

static void config_warn(void *u, const char *msg)
{
    (void)u;
    cli_error("%s", msg);
}

int ui_main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    const char *cs = setlocale(LC_CTYPE, NULL);
    ui_glyphs_init(MB_CUR_MAX > 1 && cs && !strstr(cs, "POSIX") && strcmp(cs, "C") != 0);

    cli_common c;
    cli_common_init(&c);
    ui_prefs prefs;
    ui_prefs_default(&prefs);
    char *cfg = ui_config_path();
    if (cfg)
        ui_prefs_load(&prefs, cfg, config_warn, NULL);
    free(cfg);
    /* the config gives defaults; the command line wins */
    if (prefs.have_alpha) c.params.tip_alpha = prefs.alpha;
    if (prefs.have_beta) c.params.tip_beta = prefs.beta;
    if (prefs.have_temp) c.params.temperature = prefs.temperature;

    static const struct option opts[] = {CLI_COMMON_OPTIONS, {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;   /* one error line, ours */
    int opt;
    while ((opt = getopt_long(argc, argv, ":" CLI_COMMON_SHORT, opts, NULL)) != -1) {
        if (opt == ':')
            return cli_usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
        int r = opt == '?' ? 0 : cli_common_option(&c, opt, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
    if (c.json)
        return cli_usage_error(NULL, "--json belongs to 'ponder run'");
    char err[512];
    ui_theme th;
    if (c.theme && ui_theme_load(&th, c.theme, err, sizeof err) != 0)
        return cli_usage_error(NULL, "--theme: %s", err);
    if (!prefs.model[0] && !prefs.have_temp)
        cli_demo_defaults(&c);
    if (c.plain || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ui_plain_run(&c, &prefs);
    if (!terminal_can_tui()) {
        cli_error("terminal '%s' cannot show the full-screen REPL; using plain mode",
                  getenv("TERM") ? getenv("TERM") : "");
        return ui_plain_run(&c, &prefs);
    }
    return ui_tui_run(&c, &prefs, c.model != NULL || prefs.model[0]);
}
