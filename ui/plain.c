/* plain.c - the line-oriented REPL (--plain, or when stdin/stdout is not a
 * terminal): readline when interactive, plain line reads in pipes. Thinking
 * is printed dimmed on a terminal and prefixed with "| " otherwise; the
 * answer plainly; a one-line summary per turn goes to stderr. */
#include "app.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct plain {
    ui_app app;
    bool color;          /* ANSI dim/bold for thinking */
    bool interactive;
    bool at_bol;         /* stdout is at the start of a line */
    bool in_think;
    ui_buf held;         /* the last think text, held back: it may be the
                            trigger of a thought reported just after it */
} plain;

static pd_session *volatile g_sess;   /* for the SIGINT handler */

static void on_sigint(int sig)
{
    (void)sig;
    if (g_sess)
        pd_session_cancel(g_sess);   /* async-signal-safe by contract */
}

/* Model text may hold control characters (escape sequences): print it
 * sanitised like the TUI shows it. */
static void out(plain *p, const char *s, size_t n)
{
    if (!n)
        return;
    ui_buf b = {0};
    ui_sanitize_append(&b, s, n);
    if (b.len) {
        fwrite(b.s, 1, b.len, stdout);
        p->at_bol = b.s[b.len - 1] == '\n';
    }
    ui_buf_free(&b);
}

static void newline(plain *p)
{
    if (!p->at_bol)
        out(p, "\n", 1);
}

static void think_text(plain *p, const char *s, size_t n)
{
    if (p->color) {
        fputs("\033[2m", stdout);
        out(p, s, n);
        fputs("\033[0m", stdout);
        return;
    }
    while (n > 0) {   /* "| " before every think line */
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        if (p->at_bol)
            out(p, "| ", 2);
        out(p, s, k);
        s += k;
        n -= k;
    }
}

static void flush_held(plain *p)
{
    if (p->held.len)
        think_text(p, p->held.s, p->held.len);
    p->held.len = 0;
}

/* Think text is printed HOLD bytes late: the segmenter reports a thought
 * after the text of its trigger, and the header should come before it. */
enum { HOLD = 48 };

static void think_push(plain *p, const char *s, size_t n)
{
    ui_buf_append(&p->held, s, n);
    if (p->held.len <= HOLD)
        return;
    size_t cut = p->held.len - HOLD;
    while (cut > 0 && ((unsigned char)p->held.s[cut] & 0xc0) == 0x80)
        cut--;   /* never split a UTF-8 sequence */
    think_text(p, p->held.s, cut);
    memmove(p->held.s, p->held.s + cut, p->held.len - cut + 1);
    p->held.len -= cut;
}

static void print_header(plain *p, const pd_event *ev)
{
    char h[256];
    newline(p);
    if (ev->trigger && ev->trigger[0])
        snprintf(h, sizeof h, "#%d %s \"%s\"\n", ev->index, ui_g.dot, ev->trigger);
    else
        snprintf(h, sizeof h, "#%d\n", ev->index);
    if (p->color) {
        printf("\033[1m%s\033[0m", h);
        p->at_bol = true;
    } else {
        think_text(p, h, strlen(h));
    }
}

static void print_event(plain *p, const pd_event *ev)
{
    if (ev->type != PD_EV_THOUGHT && ev->type != PD_EV_THINK && ev->type != PD_EV_STATS)
        flush_held(p);
    switch (ev->type) {
    case PD_EV_THINK:
        p->in_think = true;
        if (ev->text)
            think_push(p, ev->text, ev->len);
        break;
    case PD_EV_THOUGHT: {
        /* the last occurrence of the trigger in the held text starts the thought */
        size_t tl = ev->trigger ? strlen(ev->trigger) : 0, at = p->held.len;
        for (size_t i = p->held.len; tl && i-- > 0;)
            if (p->held.len - i >= tl && strncasecmp(p->held.s + i, ev->trigger, tl) == 0) {
                at = i;
                break;
            }
        size_t keep = at;
        while (keep > 0 && (p->held.s[keep - 1] == ' ' || p->held.s[keep - 1] == '\n'))
            keep--;
        if (keep)
            think_text(p, p->held.s, keep);
        print_header(p, ev);
        if (at < p->held.len)
            think_text(p, p->held.s + at, p->held.len - at);
        p->held.len = 0;
        break;
    }
    case PD_EV_SUPPRESSED: {
        char m[128];
        snprintf(m, sizeof m, "[%s%s]", ui_g.supp, ev->piece ? ev->piece : "");
        think_text(p, m, strlen(m));
        break;
    }
    case PD_EV_ANSWER:
        if (p->in_think) {
            newline(p);
            p->in_think = false;
        }
        if (ev->text)
            out(p, ev->text, ev->len);
        break;
    default:
        break;
    }
    fflush(stdout);
}

static void on_event(const pd_event *ev, void *user)
{
    plain *p = user;
    print_event(p, ev);
    ui_app_event(&p->app, ev);
}

static void run_jobs(plain *p)
{
    ui_job job;
    while (ui_app_next_job(&p->app, &job)) {
        p->at_bol = true;
        p->in_think = false;
        ui_turn *turn = p->app.cur;
        g_sess = p->app.sess;
        pd_status st = pd_session_generate(p->app.sess, job.prompt, on_event, p);
        g_sess = NULL;
        const char *err = st != PD_OK ? pd_errmsg() : "";
        newline(p);
        fflush(stdout);
        /* the summary before what the end triggers (/ab); none for a turn
         * that failed before its first token (the error says it all) */
        const bool produced = turn && (turn->stats.think_tokens + turn->stats.answer_tokens > 0);
        if (turn && turn->done && (st == PD_OK || produced)) {
            char sum[160];
            ui_turn_summary(turn, sum, sizeof sum);
            fprintf(stderr, "[%s%s%s %s %.1f tok/s%s]\n", turn->label, turn->label[0] ? ": " : "",
                    sum, ui_g.dot, turn->stats.tok_per_s,
                    turn->reason == PD_DONE_CANCELLED ? ", stopped" : "");
        }
        ui_app_job_done(&p->app, st, err);
        if (turn && turn->error)
            cli_error("%s", turn->error);
        free(job.prompt);
    }
}

static void fe_say(ui_app *app, ui_role role, const char *msg)
{
    (void)app;
    if (role == UI_ROLE_ERROR)
        cli_error("%s", msg);
    else
        fprintf(stderr, "%s\n", msg);
}

static void fe_command(ui_app *app, const ui_cmd *c)
{
    switch (c->id) {
    case UI_CMD_LAYOUT: case UI_CMD_ZOOM:
        fe_say(app, UI_ROLE_NOTE, "(that changes the TUI; plain mode has no panes)");
        break;
    case UI_CMD_DISPLAY:
        if (c->arg[0]) {
            app->prefs.display = (ui_display)ui_display_parse(c->arg);
            ui_app_remember(app, "display", c->arg);
        }
        fe_say(app, UI_ROLE_NOTE, "display mode is used by the TUI");
        break;
    case UI_CMD_THEME:
        snprintf(app->prefs.theme, sizeof app->prefs.theme, "%.63s", c->arg);
        ui_app_remember(app, "theme", c->arg);
        fe_say(app, UI_ROLE_NOTE, "theme saved for the TUI");
        break;
    default:
        break;
    }
}

static const ui_frontend plain_frontend = {fe_say, fe_command};

/* Next input: readline on a terminal, getline otherwise; a trailing
 * backslash joins the next line. NULL at the end of input. */
static char *read_input(plain *p)
{
    ui_buf acc = {0};
    for (;;) {
        char *line = NULL;
        if (p->interactive) {
            line = readline(acc.len ? ". " : "> ");
        } else {
            size_t cap = 0;
            ssize_t n = getline(&line, &cap, stdin);
            if (n < 0) {
                free(line);
                line = NULL;
            } else if (n > 0 && line[n - 1] == '\n') {
                line[n - 1] = '\0';
            }
        }
        if (!line)
            return acc.s;   /* the end; a pending continuation still counts */
        size_t n = strlen(line);
        if (n && line[n - 1] == '\\') {
            ui_buf_append(&acc, line, n - 1);
            ui_buf_puts(&acc, "\n");
            free(line);
            continue;
        }
        ui_buf_puts(&acc, line);
        free(line);
        return acc.s;
    }
}

int ui_plain_run(cli_common *c, const ui_prefs *prefs)
{
    plain *p = calloc(1, sizeof *p);
    if (!p)
        return CLI_EXIT_INPUT;
    ui_app_init(&p->app, c, prefs, &plain_frontend, p);
    p->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    const char *nc = getenv("NO_COLOR");
    p->color = isatty(STDOUT_FILENO) && !(nc && *nc);
    p->at_bol = true;

    char *model = cli_model_path(c->model ? c->model : prefs->model[0] ? prefs->model : NULL);
    if (!model || ui_app_open_model(&p->app, model) != 0) {
        free(model);
        ui_app_free(&p->app);
        free(p);
        return CLI_EXIT_INPUT;
    }
    free(model);

    char *hist = NULL;
    if (p->interactive) {
        rl_readline_name = "ponder";
        hist = ui_history_path();
        using_history();
        if (hist && ui_mkdir_parent(hist) == 0)
            read_history(hist);
        fprintf(stderr, "ponder %s %s %s %s /help for commands, Ctrl-D to quit\n", pd_version(),
                ui_g.dot, ui_app_model_name(&p->app), ui_g.dot);
    }
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    int rc = CLI_EXIT_OK;
    char *line;
    while (!p->app.quit && (line = read_input(p)) != NULL) {
        if (p->interactive && line[strspn(line, " \t\n")]) {
            add_history(line);
            if (hist && append_history(1, hist) != 0)
                write_history(hist);
        }
        ui_app_submit(&p->app, line);
        free(line);
        run_jobs(p);
    }
    sigaction(SIGINT, &old, NULL);
    free(hist);
    ui_buf_free(&p->held);
    ui_app_free(&p->app);
    free(p);
    return rc;
}
