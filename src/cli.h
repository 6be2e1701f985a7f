/* cli.h - shared command-line handling for the subcommands (src/cmd_*.c) and
 * the REPL: the common options of DESIGN.md §6, error/exit conventions.
 *
 * Exit codes: 0 ok, 1 bad input (a file, a model), 2 bad usage, 130 `ponder
 * run` stopped by SIGINT (the shell's code for a death by SIGINT, as the
 * partial output is there); man/ponder.1's EXIT STATUS lists each one.
 * Errors are one line on stderr: "ponder: <what>: <why>", where a subcommand
 * names itself first: "ponder: run: <what>: <why>" (cli_set_command).
 */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <getopt.h>
#include "ponder.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_INPUT = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_CANCELLED = 130 };

/* What a subcommand returns when -h/--help was on its command line: main
 * prints the command's help (`ponder help CMD`) and exits 0. */
enum { CLI_SHOW_HELP = -1 };

/* Long-option ids of the common options (above the ASCII range). */
enum {
    OPT_BACKEND = 1000, OPT_THREADS, OPT_CTX, OPT_TEMP, OPT_TOP_K, OPT_TOP_P,
    OPT_MIN_P, OPT_REPEAT_PENALTY, OPT_SEED, OPT_TIP, OPT_TIP_ALPHA, OPT_TIP_BETA,
    OPT_TIP_PHRASES, OPT_TIP_GROUPS, OPT_TIP_SCHEDULE, OPT_MIN_THOUGHT,
    OPT_THINK_BUDGET, OPT_NO_WAIT, OPT_TEMPLATE, OPT_SYSTEM, OPT_THEME, OPT_PLAIN,
    OPT_RAW, OPT_JSON, OPT_VERBOSE, OPT_NO_REPACK, OPT_ATTN_F32,
    OPT_CMD_BASE = 1100 /* commands number their own options from here */
};

/* Which common options a command takes, in groups (cli_common.takes): its
 * help (`ponder help CMD`, main.c) lists these and only these, and
 * cli_common_option refuses the others. */
enum {
    CLI_TAKES_MODEL    = 1 << 0,   /* -m */
    CLI_TAKES_LOAD     = 1 << 1,   /* --backend -t/--threads --no-repack --attn-f32 */
    CLI_TAKES_MAX      = 1 << 2,   /* -n/--max-tokens */
    CLI_TAKES_SAMPLING = 1 << 3,   /* --temp --top-k --top-p --min-p --repeat-penalty --seed */
    CLI_TAKES_TIP      = 1 << 4,   /* --tip --tip-alpha --tip-beta --tip-groups --tip-schedule
                                      --min-thought --think-budget --no-wait */
    CLI_TAKES_PHRASES  = 1 << 5,   /* --tip-phrases */
    CLI_TAKES_CHAT     = 1 << 6,   /* --template --system */
    CLI_TAKES_RAW      = 1 << 7,   /* --raw */
    CLI_TAKES_JSON     = 1 << 8,   /* --json */
    CLI_TAKES_PLAIN    = 1 << 9,   /* --plain */
    CLI_TAKES_THEME    = 1 << 10,  /* --theme */
    CLI_TAKES_VERBOSE  = 1 << 11,  /* --verbose */
    CLI_TAKES_CTX      = 1 << 12,  /* --ctx */
    CLI_TAKES_ALL      = (1 << 13) - 1
};
/* The generation options of the REPL, run and eval. */
#define CLI_TAKES_GENERATE (CLI_TAKES_MODEL | CLI_TAKES_LOAD | CLI_TAKES_CTX | CLI_TAKES_VERBOSE | \
                            CLI_TAKES_MAX | CLI_TAKES_SAMPLING | CLI_TAKES_TIP | \
                            CLI_TAKES_PHRASES | CLI_TAKES_CHAT | CLI_TAKES_RAW)
#define CLI_REPL_TAKES     (CLI_TAKES_GENERATE | CLI_TAKES_PLAIN | CLI_TAKES_THEME)
#define CLI_RUN_TAKES      (CLI_TAKES_GENERATE | CLI_TAKES_JSON | CLI_TAKES_PLAIN)
#define CLI_EVAL_TAKES     (CLI_TAKES_GENERATE | CLI_TAKES_JSON)
#define CLI_LOGITS_TAKES   (CLI_TAKES_MODEL | CLI_TAKES_LOAD | CLI_TAKES_CTX | CLI_TAKES_VERBOSE | \
                            CLI_TAKES_CHAT | CLI_TAKES_RAW)
/* bench reads -n itself (the tokens decoded) */
#define CLI_BENCH_TAKES    (CLI_TAKES_MODEL | CLI_TAKES_LOAD | CLI_TAKES_CTX | CLI_TAKES_VERBOSE | \
                            CLI_TAKES_JSON)
#define CLI_TOKENIZE_TAKES CLI_TAKES_MODEL
#define CLI_INFO_TAKES     CLI_TAKES_MODEL
#define CLI_TIP_TAKES      (CLI_TAKES_MODEL | CLI_TAKES_PHRASES)

/* What the common options fill in. */
typedef struct cli_common {
    unsigned takes;             /* CLI_TAKES_*: the options this command accepts */
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
#define CLI_COMMON_SHORT "hm:n:t:"
#define CLI_HELP_OPTION {"help", no_argument, 0, 'h'}
#define CLI_COMMON_OPTIONS \
    CLI_HELP_OPTION, \
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

/* Defaults; every common option taken (the REPL's parser refuses --json
 * itself); a command then sets c->takes to its CLI_*_TAKES. */
void cli_common_init(cli_common *c);
/* Handle one getopt_long result if it is a common option that c->takes:
 * returns 1 when handled, 0 when not (a command's own option, an error, an
 * option of other commands), -1 on a bad value (message printed). */
int cli_common_option(cli_common *c, int opt, const char *arg);

/* -h or --help among the options of argv, read with the command's own
 * getopt_long table and optstring (so the value of an option, `-p -h`, is
 * never taken for it). The command's parser starts afresh after it. */
bool cli_help_asked(int argc, char **argv, const char *optstring, const struct option *opts);
/* The usage error for a getopt_long result that the command did not take:
 * a missing value (':'), an unknown option ('?'), or a common option of other
 * commands. Returns CLI_EXIT_USAGE. */
int cli_option_error(const char *cmd, const struct option *opts, int opt, char **argv);

/* The running subcommand ("run"), set by main: every error line then reads
 * "ponder: CMD: why"; NULL (the REPL, the top level): "ponder: why". */
void cli_set_command(const char *name);

/* Number parsing with range checks; false (and a usage message printed) on
 * garbage or out of range. `what` names the option in the message. */
bool cli_parse_int(const char *what, const char *s, long lo, long hi, long *out);
bool cli_parse_float(const char *what, const char *s, double lo, double hi, double *out);

/* Error lines. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pd_errmsg() without a leading "CMD: " of the running command (the engine's
 * synth and bench say it already). */
const char *cli_engine_msg(void);
/* "ponder: CMD: <cli_engine_msg()>" and returns CLI_EXIT_INPUT. */
int cli_engine_error(void);
/* Usage error: message + "(try 'ponder help CMD')", or "(try 'ponder --help')"
 * when cmd is NULL; returns CLI_EXIT_USAGE. */
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

/* Subcommands: int cmd_X(int argc, char **argv) with argv[0] = "X"; an exit
 * status, or CLI_SHOW_HELP. */
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
