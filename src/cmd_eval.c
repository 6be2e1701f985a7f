/* cmd_eval.c - `ponder eval -m M --set FILE [--samples K] [--seed S]
 * [--compare] [--json]`: runs an eval set (eval.h) and prints a table of
 * accuracy, think tokens, thoughts/switches/suppressed per response, the
 * UT score and tokens/s; --compare runs TIP off then on and prints both
 * with the differences; --json prints one object instead:
 *   {"n","accuracy","think_tokens","thoughts","switches","suppressed",
 *    "ut_score","tok_per_s"}, or {"off": {...}, "on": {...}} with --compare.
 * Greedy unless --samples K > 1 (then --temp, default 0.6) or --temp given.
 */
#include "cli.h"
#include "chat.h"
#include "eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_SET = OPT_CMD_BASE, OPT_SAMPLES, OPT_COMPARE };

typedef struct progress { bool tty, verbose; const char *label; const pd_eval_set *set; } progress;

static void on_response(const pd_eval_response *r, int done, int total, void *user)
{
    progress *p = user;
    if (p->verbose) {
        const pd_eval_item *it = &p->set->v[r->item];
        fprintf(stderr, "%s%d.%d %s expected %s, answered \"%.60s\" (%d think tokens, "
                "%d switches, %d suppressed", p->label, r->item + 1, r->sample,
                r->correct ? "right:" : "WRONG:", it->answer, r->answer_text, r->think_tokens,
                r->switches, r->suppressed);
        if (!r->correct)
            fprintf(stderr, ", UT %.3f", r->ut);
        fputs(")\n", stderr);
    } else if (p->tty) {
        fprintf(stderr, "\r%s%d/%d", p->label, done, total);
        if (done == total)
            fputs("\r\033[K", stderr);
    }
}

static void print_json_obj(const pd_eval_result *r)
{
    printf("{\"n\": %d, \"accuracy\": %.4f, \"think_tokens\": %.2f, \"thoughts\": %.3f, "
           "\"switches\": %.3f, \"suppressed\": %.3f, \"ut_score\": %.4f, \"tok_per_s\": %.2f}",
           r->n, r->accuracy, r->think_tokens, r->thoughts, r->switches, r->suppressed,
           r->ut_score, r->tok_per_s);
}

static void row(const char *name, const char *fmt, double a, const double *b)
{
    char x[32];
    printf("%-22s", name);
    snprintf(x, sizeof x, fmt, a);
    printf("%12s", x);
    if (b) {
        snprintf(x, sizeof x, fmt, *b);
        printf("%12s", x);
        char d[40];
        snprintf(x, sizeof x, fmt, *b - a);
        snprintf(d, sizeof d, "%s%s", *b - a >= 0 ? "+" : "", x);
        printf("%12s", d);
    }
    putchar('\n');
}

static void print_table(const pd_eval_result *a, const pd_eval_result *b)
{
    if (b)
        printf("%-22s%12s%12s%12s\n", "", "TIP off", "TIP on", "change");
    double bv[9];
    const double *B = b ? bv : NULL;
    if (b) {
        bv[0] = b->n; bv[1] = b->accuracy; bv[2] = b->think_tokens; bv[3] = b->thoughts;
        bv[4] = b->switches; bv[5] = b->suppressed; bv[6] = b->ut_score; bv[7] = b->tok_per_s;
        bv[8] = b->tokens_per_thought;
    }
    row("responses", "%.0f", a->n, B);
    row("accuracy", "%.3f", a->accuracy, B ? B + 1 : NULL);
    row("think tokens", "%.1f", a->think_tokens, B ? B + 2 : NULL);
    row("thoughts / response", "%.2f", a->thoughts, B ? B + 3 : NULL);
    row("switches / response", "%.2f", a->switches, B ? B + 4 : NULL);
    row("tokens / thought", "%.1f", a->tokens_per_thought, B ? B + 8 : NULL);
    row("suppressed / response", "%.2f", a->suppressed, B ? B + 5 : NULL);
    row("UT score", "%.3f", a->ut_score, B ? B + 6 : NULL);
    row("tokens / s", "%.1f", a->tok_per_s, B ? B + 7 : NULL);
    if (b)
        printf("(UT over %d and %d wrong responses)\n", a->n_wrong, b->n_wrong);
    else
        printf("(UT over %d wrong responses)\n", a->n_wrong);
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"set", required_argument, 0, OPT_SET},
        {"samples", required_argument, 0, OPT_SAMPLES},
        {"compare", no_argument, 0, OPT_COMPARE}, {0, 0, 0, 0}};
    static const char optstring[] = ":" CLI_COMMON_SHORT;
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_EVAL_TAKES;
    c.params.temperature = -1;   /* "not given": greedy unless sampling */
    const char *set_path = NULL;
    long samples = 1;
    bool compare = false;
    int opt;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == OPT_SET) { set_path = optarg; continue; }
        if (opt == OPT_SAMPLES) {
            if (!cli_parse_int("--samples", optarg, 1, 1000, &samples)) return CLI_EXIT_USAGE;
            continue;
        }
        if (opt == OPT_COMPARE) { compare = true; continue; }
        int r = cli_common_option(&c, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r == 0) return cli_option_error("eval", opts, opt, argv);
    }
    if (optind < argc)
        return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (!set_path)
        return cli_usage_error("eval", "--set FILE is required");
    pd_chat_family fam;
    if (c.params.template_name && !pd_chat_family_from_name(c.params.template_name, &fam))
        return cli_usage_error("eval", "--template: '%s' is not one of deepseek-r1, "
                               "qwen3, r1-zero, chatml, raw", c.params.template_name);
    if (c.params.temperature < 0)
        c.params.temperature = samples > 1 ? 0.6f : 0.0f;

    pd_eval_set *set = NULL;
    if (pd_eval_load(set_path, &set))
        return cli_engine_error();
    char *path = cli_model_path(c.model);
    pd_model *m = NULL;
    pd_session *s = NULL;
    int rc = CLI_EXIT_OK;
    if (!path || pd_model_open(path, &c.mopts, &m) || pd_session_new(m, &c.params, &s) ||
        (c.tip_phrases && pd_session_set_phrases(s, c.tip_phrases))) {
        rc = path ? cli_engine_error() : CLI_EXIT_INPUT;
        goto done;
    }
    cli_model_notes(m);
    progress pr = {.tty = isatty(STDERR_FILENO), .verbose = c.verbose, .set = set};
    pd_eval_result a, b;
    pd_params p = c.params;
    if (compare) {
        p.tip_on = false;
        pr.label = "TIP off ";
        if (pd_eval_run(s, set, &p, (int)samples, on_response, &pr, &a)) {
            rc = cli_engine_error();
            goto done;
        }
        p.tip_on = true;
        pr.label = "TIP on ";
    } else {
        pr.label = "";
    }
    if (pd_eval_run(s, set, &p, (int)samples, on_response, &pr, &b)) {
        rc = cli_engine_error();
        goto done;
    }
    if (c.json) {
        if (compare) {
            fputs("{\"off\": ", stdout);
            print_json_obj(&a);
            fputs(", \"on\": ", stdout);
            print_json_obj(&b);
            fputs("}\n", stdout);
        } else {
            print_json_obj(&b);
            putchar('\n');
        }
    } else {
        print_table(compare ? &a : &b, compare ? &b : NULL);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output: %s", strerror(errno ? errno : EIO));
        rc = CLI_EXIT_INPUT;
    }
done:
    pd_session_free(s);
    pd_model_close(m);
    pd_eval_set_free(set);
    free(path);
    return rc;
}
