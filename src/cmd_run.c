/* cmd_run.c - `ponder run`: one turn, streamed to stdout.
 *
 * Text output keeps stdout useful in a pipe: the answer is written as is;
 * the thinking goes first, dimmed (ANSI faint) on a terminal, or with every
 * line prefixed "| " when stdout is not a terminal or with --plain, so
 * `grep -v '^| '` leaves the answer. --json writes the events of DESIGN.md §2
 * instead, one JSON object per line. SIGINT stops the generation cleanly
 * (a "done" event with reason "cancelled", exit status 130); a second one
 * kills as usual.
 */
#include "cli.h"
#include "chat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_PROMPT = OPT_CMD_BASE };

static pd_session *volatile running;

static void on_sigint(int sig)
{
    (void)sig;
    if (running)
        pd_session_cancel(running);   /* async-signal-safe */
    signal(SIGINT, SIG_DFL);          /* a second ^C kills */
}

typedef struct out {
    bool json, dim, prefix;
    int kind;            /* what was written last: -1 none, PD_EV_THINK, PD_EV_ANSWER */
    bool line_start;
    pd_done_reason reason;
    char error[512];
    pd_stats stats;      /* the last STATS event */
    int write_error;     /* errno of a failed write to stdout */
} out;

static void write_think(out *o, const char *t, size_t n)
{
    if (o->kind != PD_EV_THINK && o->dim)
        fputs("\033[2m", stdout);
    for (size_t i = 0; i < n; i++) {
        if (o->prefix && o->line_start)
            fputs("| ", stdout);
        fputc(t[i], stdout);
        o->line_start = t[i] == '\n';
    }
    if (o->dim)
        fputs("\033[0m", stdout);   /* never leave the terminal dimmed */
}

static void on_event(const pd_event *ev, void *user)
{
    out *o = user;
    if (o->json) {
        char buf[8192];
        size_t n = pd_event_to_json(ev, buf, sizeof buf);
        if (n >= sizeof buf) {
            char *big = malloc(n + 1);
            if (big) {
                pd_event_to_json(ev, big, n + 1);
                fputs(big, stdout);
                free(big);
            }
        } else {
            fputs(buf, stdout);
        }
        fputc('\n', stdout);
    } else if (ev->type == PD_EV_THINK) {
        write_think(o, ev->text, ev->len);
        o->kind = PD_EV_THINK;
    } else if (ev->type == PD_EV_ANSWER) {
        if (o->kind == PD_EV_THINK)
            fputs(o->line_start ? "\n" : "\n\n", stdout);
        fwrite(ev->text, 1, ev->len, stdout);
        o->kind = PD_EV_ANSWER;
        o->line_start = ev->len && ev->text[ev->len - 1] == '\n';
    }
    if (ev->type == PD_EV_STATS && ev->stats)
        o->stats = *ev->stats;
    if (ferror(stdout) && !o->write_error) {
        o->write_error = errno ? errno : EIO;   /* nobody reads: stop */
        if (running)
            pd_session_cancel(running);
    }
    if (ev->type == PD_EV_DONE) {
        o->reason = ev->reason;
        if (ev->reason == PD_DONE_ERROR)
            snprintf(o->error, sizeof o->error, "%s", ev->error ? ev->error : "error");
        if (!o->json && o->kind >= 0 && !o->line_start)
            fputc('\n', stdout);
    }
    fflush(stdout);
}

static char *read_stdin(void)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + n, 1, cap - n - 1, stdin);
        n += k;
        if (k == 0)
            break;
        if (n + 1 >= cap) {
            char *p = cap > (64u << 20) ? NULL : realloc(buf, cap * 2);
            if (!p) { free(buf); return NULL; }
            buf = p;
            cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"prompt", required_argument, 0, OPT_PROMPT}, {0, 0, 0, 0}};
    static const char optstring[] = ":" CLI_COMMON_SHORT "p:";
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_RUN_TAKES;
    const char *prompt = NULL;
    int opt;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == 'p' || opt == OPT_PROMPT) { prompt = optarg; continue; }
        int r = cli_common_option(&c, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r == 0) return cli_option_error("run", opts, opt, argv);
    }
    if (optind < argc)
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (!prompt)
        return cli_usage_error("run", "-p PROMPT is required");
    pd_chat_family fam;
    if (c.params.template_name && !pd_chat_family_from_name(c.params.template_name, &fam))
        return cli_usage_error("run", "--template: '%s' is not one of deepseek-r1, qwen3, "
                               "r1-zero, chatml, raw", c.params.template_name);
    char *text = strcmp(prompt, "-") == 0 ? read_stdin() : strdup(prompt);
    if (!text) {
        cli_error("cannot read the prompt");
        return CLI_EXIT_INPUT;
    }
    cli_demo_defaults(&c);
    char *path = cli_model_path(c.model);
    pd_model *m = NULL;
    pd_session *s = NULL;
    int rc = CLI_EXIT_INPUT;
    if (!path || pd_model_open(path, &c.mopts, &m) != PD_OK ||
        pd_session_new(m, &c.params, &s) != PD_OK ||
        (c.tip_phrases && pd_session_set_phrases(s, c.tip_phrases) != PD_OK)) {
        if (path)
            cli_engine_error();
        goto done;
    }
    cli_model_notes(m);
    out o = {.json = c.json, .kind = -1, .line_start = true};
    bool tty = isatty(STDOUT_FILENO);
    o.dim = tty && !c.plain && !getenv("NO_COLOR");
    o.prefix = !o.dim;
    running = s;
    signal(SIGINT, on_sigint);
    pd_session_generate(s, text, on_event, &o);
    signal(SIGINT, SIG_DFL);
    running = NULL;
    if (fflush(stdout) != 0 && !o.write_error)
        o.write_error = errno ? errno : EIO;
    if (o.write_error) {
        cli_error("cannot write the output: %s", strerror(o.write_error));
        rc = CLI_EXIT_INPUT;
    } else if (o.reason == PD_DONE_ERROR) {
        cli_error("%s", o.error);
        rc = CLI_EXIT_INPUT;
    } else {
        rc = o.reason == PD_DONE_CANCELLED ? CLI_EXIT_CANCELLED : CLI_EXIT_OK;
    }
    if (c.verbose) {
        const pd_stats *st = &o.stats;
        fprintf(stderr, "ponder: %d prompt tokens (%.1f tok/s), %d think + %d answer tokens "
                "(%.1f tok/s), %d thoughts, %d switches, %d reflections, %d suppressed\n",
                st->prompt_tokens, st->prefill_tok_per_s, st->think_tokens, st->answer_tokens,
                st->tok_per_s, st->thoughts, st->switches, st->reflections, st->suppressed);
    }
done:
    pd_session_free(s);
    pd_model_close(m);
    free(path);
    free(text);
    return rc;
}
