/* cli.h - shared command-line handling for the subcommands (src/cmd_*.c) and
 * the REPL: the common options of DESIGN.md §6, error/exit conventions.
 *
 * Exit codes: 0 ok, 1 bad input (a file, a model), 2 bad usage, 130 `ponder
 * run` stopped by SIGINT (the shell's code for a death by SIGINT, as the
 * partial output is there); man/ponder.1's EXIT STATUS lists each one.
 * Errors are one line on stderr: "ponder: <what>: <why>".
 */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <getopt.h>
#include "ponder.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_INPUT = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_CANCELLED = 130 };

/* Long-option ids of the common options (above the ASCII range). */
enum {
    OPT_BACKEND = 1000, OPT_THREADS, OPT_CTX, OPT_TEMP, OPT_TOP_K, OPT_TOP_P,
    OPT_MIN_P, OPT_REPEAT_PENALTY, OPT_SEED, OPT_TIP, OPT_TIP_ALPHA, OPT_TIP_BETA,
    OPT_TIP_PHRASES, OPT_TIP_GROUPS, OPT_TIP_SCHEDULE, OPT_MIN_THOUGHT,
    OPT_THINK_BUDGET, OPT_NO_WAIT, OPT_TEMPLATE, OPT_SYSTEM, OPT_THEME, OPT_PLAIN,
    OPT_RAW, OPT_JSON, OPT_VERBOSE, OPT_NO_REPACK, OPT_ATTN_F32,
    OPT_CMD_BASE = 1100 /* commands number their own options from here */
};

/* What the common options fill in. */
typedef struct cli_common {
    const char *model;          /* -m */
    pd_model_opts mopts;
    pd_params params;
    const char *tip_phrases;
    const char *theme;
    bool plain, json, verbose;
    bool temp_given;            /* --temp was on the command line */
} cli_common;

/* The common options, to splice into a command's getopt_long table:
 *   static const struct option opts[] = { CLI_COMMON_OPTIONS, {"mine", 1, 0, OPT_CMD_BASE}, {0} };
 * and their short letters for the optstring: CLI_COMMON_SHORT. */
#define CLI_COMMON_SHORT "m:n:t:"
#define CLI_COMMON_OPTIONS \
    {"model", required_argument, 0, 'm'}, \
    {"max-tokens", required_argument, 0, 'n'}, \
    {"threads", required_argument, 0, OPT_THREADS}, \
    {"backend", required_argument, 0, OPT_BACKEND}, \
    {"ctx", required_argument, 0, OPT_CTX}, \
    {"temp", required_argument, 0, OPT_TEMP}, \
    {"top-k", required_argument, 0, OPT_TOP_K}, \
    {"top-p", required_argument, 0, OPT_TOP_P}, \
    {"min-p", required_argument, 0, OPT_MIN_P}, \
    {"repeat-penalty", required_argument, 0, OPT_REPEAT_PENALTY}, \
    {"seed", required_argument, 0, OPT_SEED}, \
    {"tip", required_argument, 0, OPT_TIP}, \
    {"tip-alpha", required_argument, 0, OPT_TIP_ALPHA}, \
    {"tip-beta", required_argument, 0, OPT_TIP_BETA}, \
    {"tip-phrases", required_argument, 0, OPT_TIP_PHRASES}, \
    {"tip-groups", required_argument, 0, OPT_TIP_GROUPS}, \
    {"tip-schedule", required_argument, 0, OPT_TIP_SCHEDULE}, \
    {"min-thought", required_argument, 0, OPT_MIN_THOUGHT}, \
    {"think-budget", required_argument, 0, OPT_THINK_BUDGET}, \
    {"no-wait", no_argument, 0, OPT_NO_WAIT}, \
    {"template", required_argument, 0, OPT_TEMPLATE}, \
    {"system", required_argument, 0, OPT_SYSTEM}, \
    {"theme", required_argument, 0, OPT_THEME}, \
    {"plain", no_argument, 0, OPT_PLAIN}, \
    {"raw", no_argument, 0, OPT_RAW}, \
    {"json", no_argument, 0, OPT_JSON}, \
    {"verbose", no_argument, 0, OPT_VERBOSE}, \
    {"no-repack", no_argument, 0, OPT_NO_REPACK}, \
    {"attn-f32", no_argument, 0, OPT_ATTN_F32}

void cli_common_init(cli_common *c);
/* Handle one getopt_long result if it is a common option: returns 1 when
 * handled, 0 when not a common option, -1 on a bad value (message printed). */
int cli_common_option(cli_common *c, int opt, const char *arg);

/* Number parsing with range checks; false (and a usage message printed) on
 * garbage or out of range. `what` names the option in the message. */
bool cli_parse_int(const char *what, const char *s, long lo, long hi, long *out);
bool cli_parse_float(const char *what, const char *s, double lo, double hi, double *out);

/* Error lines. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ponder: <pd_errmsg()>" and returns CLI_EXIT_INPUT. */
int cli_engine_error(void);
/* Usage error: message + "try 'ponder help CMD'"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The demo model does its arithmetic best greedily: with no -m and no
 * --temp, sample at temperature 0 (a model file keeps the usual default). */
void cli_demo_defaults(cli_common *c);

/* The model's notes (backend fallback, guessed template), one stderr line
 * each: "ponder: note: ...". */
void cli_model_notes(const pd_model *m);

/* Resolve -m: the given path, or the built-in demo model when NULL.
 * Returns a malloc'd path or NULL (error printed). */
char *cli_model_path(const char *given);

/* Subcommands: int cmd_X(int argc, char **argv) with argv[0] = "X". */
int cmd_info(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_tip(int argc, char **argv);
/* The REPL (ui/): argv as given to ponder itself. */
int ui_main(int argc, char **argv);

#endif
