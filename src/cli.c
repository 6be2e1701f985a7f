/* cli.c - the common options and the error conventions shared by every
 * subcommand and the REPL. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *command;   /* cli_set_command */

void cli_set_command(const char *name)
{
    command = name;
}

/* "ponder: " or "ponder: CMD: " */
static void error_prefix(void)
{
    fputs("ponder: ", stderr);
    if (command)
        fprintf(stderr, "%s: ", command);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    error_prefix();
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *cli_engine_msg(void)
{
    const char *msg = pd_errmsg();
    size_t n = command ? strlen(command) : 0;
    if (n && strncmp(msg, command, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    return msg;
}

int cli_engine_error(void)
{
    cli_error("%s", cli_engine_msg());
    return CLI_EXIT_INPUT;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    error_prefix();
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, " (try 'ponder help %s')\n", cmd);
    else
        fputs(" (try 'ponder --help')\n", stderr);
    return CLI_EXIT_USAGE;
}

bool cli_help_asked(int argc, char **argv, const char *optstring, const struct option *opts)
{
    bool help = false;
    int opt;
    opterr = 0;
    optind = 0;   /* a full restart of getopt (glibc, musl and the BSDs alike) */
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1)
        help |= opt == 'h';
    optind = 0;
    return help;
}

/* The table entry of a getopt_long result; NULL when none. */
static const struct option *option_by_val(const struct option *opts, int val)
{
    for (const struct option *o = opts; o->name; o++)
        if (o->val == val)
            return o;
    return NULL;
}

int cli_option_error(const char *cmd, const struct option *opts, int opt, char **argv)
{
    const char *given = argv[optind - 1];
    if (opt == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", given);
    if (opt == '?') {
        const struct option *o = optopt ? option_by_val(opts, optopt) : NULL;
        if (o && o->has_arg == no_argument && strncmp(given, "--", 2) == 0 && strchr(given, '='))
            return cli_usage_error(cmd, "option '--%s' takes no value", o->name);   /* --json=1 */
        if (optopt > 0 && optopt < 128)   /* a letter, maybe inside a cluster (-xv) */
            return cli_usage_error(cmd, "unknown option '-%c'", optopt);
        return cli_usage_error(cmd, "unknown option '%s'", given);
    }
    /* a known option that this command does not take; argv[optind - 1] may
     * be its value, so name it from the table */
    const struct option *o = option_by_val(opts, opt);
    if (o)
        return cli_usage_error(cmd, "--%s is not an option of %s", o->name, cmd ? cmd : "the REPL");
    return cli_usage_error(cmd, "unknown option '%s'", given);
}

bool cli_parse_int(const char *what, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        cli_error("%s: '%s' is not a whole number from %ld to %ld", what, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *what, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        cli_error("%s: '%s' is not a number from %g to %g", what, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->takes = CLI_TAKES_ALL;
    pd_model_opts_default(&c->mopts);
    pd_params_default(&c->params);
}

static int parse_groups(const char *s, unsigned *out)
{
    unsigned g = 0;
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (strcmp(tok, "switch") == 0) g |= PD_GROUP_SWITCH;
        else if (strcmp(tok, "reflect") == 0) g |= PD_GROUP_REFLECT;
        else return -1;
    }
    if (!g)
        return -1;
    *out = g;
    return 0;
}

/* The CLI_TAKES_* group of a common option; 0 for any other. */
static unsigned option_group(int opt)
{
    switch (opt) {
    case 'm': return CLI_TAKES_MODEL;
    case 't': case OPT_THREADS: case OPT_BACKEND: case OPT_NO_REPACK: case OPT_ATTN_F32:
        return CLI_TAKES_LOAD;
    case OPT_CTX: return CLI_TAKES_CTX;
    case OPT_VERBOSE: return CLI_TAKES_VERBOSE;
    case 'n': return CLI_TAKES_MAX;
    case OPT_TEMP: case OPT_TOP_K: case OPT_TOP_P: case OPT_MIN_P: case OPT_REPEAT_PENALTY:
    case OPT_SEED:
        return CLI_TAKES_SAMPLING;
    case OPT_TIP: case OPT_TIP_ALPHA: case OPT_TIP_BETA: case OPT_TIP_GROUPS:
    case OPT_TIP_SCHEDULE: case OPT_MIN_THOUGHT: case OPT_THINK_BUDGET: case OPT_NO_WAIT:
        return CLI_TAKES_TIP;
    case OPT_TIP_PHRASES: return CLI_TAKES_PHRASES;
    case OPT_TEMPLATE: case OPT_SYSTEM: return CLI_TAKES_CHAT;
    case OPT_RAW: return CLI_TAKES_RAW;
    case OPT_JSON: return CLI_TAKES_JSON;
    case OPT_PLAIN: return CLI_TAKES_PLAIN;
    case OPT_THEME: return CLI_TAKES_THEME;
    default: return 0;
    }
}

int cli_common_option(cli_common *c, int opt, const char *arg)
{
    pd_params *p = &c->params;
    long l;
    double d;
    if (!(option_group(opt) & c->takes))
        return 0;
    switch (opt) {
    case 'm': c->model = arg; return 1;
    case 'n':
        if (!cli_parse_int("--max-tokens", arg, 1, 1 << 24, &l)) return -1;
        p->max_tokens = (int)l; return 1;
    case 't':
    case OPT_THREADS:
        /* the CPU pool takes at most 256 threads */
        if (!cli_parse_int("--threads", arg, 1, 256, &l)) return -1;
        c->mopts.n_threads = (int)l; return 1;
    case OPT_BACKEND:
        if (strcmp(arg, "cpu") == 0) c->mopts.backend = PD_BACKEND_CPU;
        else if (strcmp(arg, "cuda") == 0) c->mopts.backend = PD_BACKEND_CUDA;
        else if (strcmp(arg, "auto") == 0) c->mopts.backend = PD_BACKEND_AUTO;
        else { cli_error("--backend: '%s' is not one of cpu, cuda, auto", arg); return -1; }
        return 1;
    case OPT_CTX:
        if (!cli_parse_int("--ctx", arg, 16, 1 << 24, &l)) return -1;
        c->mopts.n_ctx = (int)l; return 1;
    case OPT_NO_REPACK: c->mopts.no_repack = true; return 1;
    case OPT_ATTN_F32: c->mopts.attn_f32 = true; return 1;
    case OPT_TEMP:
        if (!cli_parse_float("--temp", arg, 0, 100, &d)) return -1;
        p->temperature = (float)d; c->temp_given = true; return 1;
    case OPT_TOP_K:
        if (!cli_parse_int("--top-k", arg, 0, 1 << 30, &l)) return -1;
        p->top_k = (int)l; return 1;
    case OPT_TOP_P:
        if (!cli_parse_float("--top-p", arg, 0, 1, &d)) return -1;
        p->top_p = (float)d; return 1;
    case OPT_MIN_P:
        if (!cli_parse_float("--min-p", arg, 0, 1, &d)) return -1;
        p->min_p = (float)d; return 1;
    case OPT_REPEAT_PENALTY:
        if (!cli_parse_float("--repeat-penalty", arg, 0.01, 100, &d)) return -1;
        p->repeat_penalty = (float)d; return 1;
    case OPT_SEED: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-') {
            cli_error("--seed: '%s' is not a non-negative whole number", arg);
            return -1;
        }
        p->seed = v; return 1;
    }
    case OPT_TIP:
        if (strcmp(arg, "on") == 0) p->tip_on = true;
        else if (strcmp(arg, "off") == 0) p->tip_on = false;
        else { cli_error("--tip: '%s' is not on or off", arg); return -1; }
        return 1;
    case OPT_TIP_ALPHA:
        if (!cli_parse_float("--tip-alpha", arg, 0, 1e4, &d)) return -1;
        p->tip_alpha = (float)d; return 1;
    case OPT_TIP_BETA:
        if (!cli_parse_int("--tip-beta", arg, 0, 1 << 24, &l)) return -1;
        p->tip_beta = (int)l; return 1;
    case OPT_TIP_PHRASES: c->tip_phrases = arg; return 1;
    case OPT_TIP_GROUPS:
        if (parse_groups(arg, &p->tip_groups) < 0) {
            cli_error("--tip-groups: '%s' is not switch, reflect or switch,reflect", arg);
            return -1;
        }
        return 1;
    case OPT_TIP_SCHEDULE:
        if (strcmp(arg, "step") == 0) p->tip_schedule = PD_TIP_STEP;
        else if (strcmp(arg, "decay") == 0) p->tip_schedule = PD_TIP_DECAY;
        else { cli_error("--tip-schedule: '%s' is not step or decay", arg); return -1; }
        return 1;
    case OPT_MIN_THOUGHT:
        if (!cli_parse_int("--min-thought", arg, 0, 1 << 24, &l)) return -1;
        p->min_thought = (int)l; return 1;
    case OPT_THINK_BUDGET:
        if (!cli_parse_int("--think-budget", arg, 0, 1 << 24, &l)) return -1;
        p->think_budget = (int)l; return 1;
    case OPT_NO_WAIT: p->no_wait = true; return 1;
    case OPT_TEMPLATE: p->template_name = arg; return 1;
    case OPT_SYSTEM: p->system = arg; return 1;
    case OPT_THEME: c->theme = arg; return 1;
    case OPT_PLAIN: c->plain = true; return 1;
    case OPT_RAW: p->raw = true; return 1;
    case OPT_JSON: c->json = true; return 1;
    case OPT_VERBOSE: c->verbose = true; c->mopts.verbose = true; return 1;
    default: return 0;
    }
}

void cli_model_notes(const pd_model *m)
{
    const char *notes[] = {pd_model_backend_note(m), pd_model_template_note(m),
                           pd_model_memory_note(m)};
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (notes[i] && notes[i][0])   /* not an error: no command name */
            fprintf(stderr, "ponder: note: %s\n", notes[i]);
}

void cli_demo_defaults(cli_common *c)
{
    if (!c->model && !c->temp_given)
        c->params.temperature = 0.0f;
}

char *cli_model_path(const char *given)
{
    if (given)
        return strdup(given);
    char *p = pd_data_path("models/ponder-demo.gguf");
    if (!p)
        cli_error("the built-in demo model (models/ponder-demo.gguf) was not found; "
                  "set PONDER_DATADIR or pass -m MODEL.gguf");
    return p;
}
