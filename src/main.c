/* main.c - `ponder` and its subcommands: dispatch, --help, --version.
 * Each subcommand lives in its own src/cmd_*.c; with no subcommand the REPL
 * (ui/) starts on the given model or the built-in demo model. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage;   /* shown by `ponder help NAME`: its own options */
    unsigned takes;      /* the common options it takes (CLI_TAKES_*, cli.h) */
    unsigned own;        /* of those, the ones its usage describes itself */
} command;

static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"run", cmd_run, "generate once and stream to stdout",
     "usage: ponder run -m MODEL -p PROMPT [--json] [--raw] [options]\n"
     "  -p, --prompt TEXT   the user message ('-' reads stdin)\n"
     "  --json              JSONL events instead of text\n"
     "  --plain             think text prefixed with '| ' instead of dimmed\n"
     "  --verbose           memory plan, load progress and the turn's statistics\n"
     "                      on stderr\n",
     CLI_RUN_TAKES, CLI_TAKES_JSON | CLI_TAKES_PLAIN | CLI_TAKES_VERBOSE},
    {"tokenize", cmd_tokenize, "print the token ids of a text",
     "usage: ponder tokenize -m MODEL [--special] [--pieces] TEXT|-\n"
     "  --special           match special/added tokens in the text first\n"
     "  --pieces            a second line with each token's text\n"
     "  TEXT '-'            read all of stdin as one text\n",
     CLI_TOKENIZE_TAKES, 0},
    {"logits", cmd_logits, "compute logits for a prompt or token ids",
     "usage: ponder logits -m MODEL (--prompt TEXT | --tokens 1,2,3) [--raw] [--all]\n"
     "                     [--top K] [--out FILE]\n"
     "  -p, --prompt TEXT   the user message, through the chat template unless --raw\n"
     "  --tokens IDS        token ids, comma-separated\n"
     "  --all               every position, not only the last\n"
     "  --top K             print the K best tokens per position (default 5)\n"
     "  --out FILE          write float32 little-endian logits, [positions][vocab]\n",
     CLI_LOGITS_TAKES, 0},
    {"bench", cmd_bench, "measure prefill and decode throughput",
     "usage: ponder bench -m MODEL [-p 512] [-n 128] [-d 0] [-r 3] [--threads N] [--json]\n"
     "  -p, --prompt-tokens N  tokens prefilled in one call (default 512)\n"
     "  -n, --max-tokens N  tokens decoded one at a time (default 128)\n"
     "  -d, --depth N       tokens already in the cache when prefill and decode start\n"
     "  -r, --repetitions N run each test N times (1-100, default 3) and report the\n"
     "                      median tok/s and the range [min-max]\n"
     "  --ctx N             context length (default: -d + -p + -n, as llama-bench's);\n"
     "                      -d + -p + -n tokens must fit it, or without it the\n"
     "                      model's context length\n"
     "  --json              one JSON object instead of the text\n",
     CLI_BENCH_TAKES, CLI_TAKES_JSON | CLI_TAKES_CTX},
    {"eval", cmd_eval, "accuracy, switches and UT score on an eval set",
     "usage: ponder eval -m MODEL --set FILE.jsonl [--samples K] [--compare] [--json]\n"
     "  --set FILE.jsonl    the eval set\n"
     "  --samples K         answers per question (1-1000, default 1; greedy unless\n"
     "                      K > 1 or --temp)\n"
     "  --compare           run the set with TIP off, then on, and show both\n"
     "  --json              one JSON object instead of the table\n"
     "  --verbose           memory plan, load progress and a line per response\n"
     "                      on stderr\n",
     CLI_EVAL_TAKES, CLI_TAKES_JSON | CLI_TAKES_VERBOSE},
    {"info", cmd_info, "describe what a GGUF file holds",
     "usage: ponder info -m MODEL [--keys]\n"
     "  --keys              also list every metadata key with its type and value\n",
     CLI_INFO_TAKES, 0},
    {"tip", cmd_tip, "print the switch-token set of a model",
     "usage: ponder tip -m MODEL [--phrases FILE]\n"
     "  --phrases FILE      the phrase set (as --tip-phrases)\n",
     CLI_TIP_TAKES, 0},
    {"synth", cmd_synth, "write a random-weight GGUF with the shapes of a real model",
     "usage: ponder synth --preset NAME --type TYPE -o FILE [--seed N] [--threads N]\n"
     "                    [--layers N] [--experts N] [--tensors]\n"
     "       ponder synth --list | --preset NAME --type TYPE --dry-run [--tensors]\n"
     "  -o, --output FILE   the GGUF file to write (not '-': a GGUF is not written to\n"
     "                      standard output; ./- names a file called '-')\n"
     "  --type TYPE         F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K Q5_K Q6_K\n"
     "                      (default Q8_0): every matrix in that type (llama-quantize\n"
     "                      --pure); Q4_K_S Q4_K_M Q5_K_S Q5_K_M: llama-quantize's\n"
     "                      mixes, its type for every matrix\n"
     "  --layers N          N layers instead of the preset's\n"
     "  --experts N         N experts instead of the preset's\n"
     "  --tensors           list every tensor (name, type, shape) on stdout\n"
     "  --seed N            random seed (default 1); the same seed gives the same file\n"
     "  --threads N         threads that make the weights (default: all cores)\n"
     "  --list              the presets\n"
     "  --dry-run           print tensors, parameters and size without writing\n",
     0, 0},
    {"help", cmd_help, "show help for a command",
     "usage: ponder help [COMMAND]\n"
     "  COMMAND             one of the commands above; without it, ponder's own help\n",
     0, 0},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The common options, one group (CLI_TAKES_*) per entry, in the order the
 * help lists them; a group may have several entries. */
static const struct { unsigned group; const char *text; } common_help[] = {
    {CLI_TAKES_MODEL,
     "  -m, --model FILE        GGUF model (default: the built-in demo model)\n"},
    {CLI_TAKES_LOAD,
     "  --backend cpu|cuda|auto  compute backend (default auto)\n"
     "  -t, --threads N         CPU threads (default: all cores)\n"
     "  --no-repack             CPU: read Q4_K weights as stored (less memory, slower)\n"
     "  --attn-f32              CPU: decode attention sums in F32 under 512 cached\n"
     "                          tokens too (from 512 on they always are)\n"},
    {CLI_TAKES_CTX,
     "  --ctx N                 context length (default: model's, at most 32768,\n"
     "                          less when free memory is short)\n"},
    {CLI_TAKES_VERBOSE,
     "  --verbose               memory plan and load progress on stderr\n"},
    {CLI_TAKES_MAX,
     "  -n, --max-tokens N      tokens to generate per turn\n"},
    {CLI_TAKES_SAMPLING,
     "  --temp T  --top-k K  --top-p P  --min-p P  --repeat-penalty R  --seed S\n"},
    {CLI_TAKES_TIP,
     "  --tip on|off            thought-switching penalty (default on)\n"
     "  --tip-alpha A           penalty strength (default 3)\n"
     "  --tip-beta B            penalty window in tokens (default 600)\n"},
    {CLI_TAKES_PHRASES,
     "  --tip-phrases FILE      phrase set (default share/ponder/phrases/en.txt)\n"},
    {CLI_TAKES_TIP,
     "  --tip-groups switch|switch,reflect   which phrase groups TIP penalises\n"
     "  --tip-schedule step|decay\n"
     "  --min-thought N         TIP window counted in tokens of the thought\n"
     "  --think-budget N        force </think> after N thinking tokens\n"
     "  --no-wait               suppress reflection words ('Wait', 'Hmm') entirely\n"},
    {CLI_TAKES_CHAT,
     "  --template NAME         deepseek-r1, qwen3, r1-zero, chatml\n"
     "  --system TEXT           system prompt\n"},
    {CLI_TAKES_RAW,
     "  --raw                   no chat template: the prompt is the whole input\n"},
    {CLI_TAKES_JSON,
     "  --json                  machine-readable output\n"},
    {CLI_TAKES_THEME,
     "  --theme NAME            TUI colour theme\n"},
    {CLI_TAKES_PLAIN,
     "  --plain                 line-oriented REPL instead of the TUI\n"},
};

/* The common options of `groups`, then -h. */
static void print_options(unsigned groups)
{
    for (size_t i = 0; i < sizeof common_help / sizeof common_help[0]; i++)
        if (common_help[i].group & groups)
            fputs(common_help[i].text, stdout);
    fputs("  -h, --help              this help\n", stdout);
}

static void print_help(void)
{
    printf("ponder %s - a terminal REPL for reasoning models, with a thought-switching penalty\n\n"
           "usage: ponder [-m MODEL] [options]      the REPL\n"
           "       ponder COMMAND [options]\n"
           "       ponder help [COMMAND]\n"
           "       ponder -V|--version\n\ncommands:\n", pd_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\noptions of the REPL (each command's: 'ponder help COMMAND'):\n");
    print_options(CLI_REPL_TAKES);
    printf("  -V, --version           the version\n\nSee 'ponder help COMMAND' and man ponder.\n");
}

static void print_command_help(const command *c)
{
    printf("ponder %s - %s\n\n%s\ncommon options:\n", c->name, c->summary, c->usage);
    print_options(c->takes & ~c->own);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* `ponder help [COMMAND]` */
static int cmd_help(int argc, char **argv)
{
    static const struct option opts[] = {CLI_HELP_OPTION, {0, 0, 0, 0}};
    if (cli_help_asked(argc, argv, ":h", opts))
        return CLI_SHOW_HELP;
    int opt = getopt_long(argc, argv, ":h", opts, NULL);
    if (opt != -1)
        return cli_option_error("help", opts, opt, argv);
    if (optind + 1 < argc)
        return cli_usage_error("help", "unexpected argument '%s'", argv[optind + 1]);
    if (optind == argc) {
        print_help();
        return CLI_EXIT_OK;
    }
    const command *c = find_command(argv[optind]);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s'", argv[optind]);
    print_command_help(c);
    return CLI_EXIT_OK;
}

/* A command that printed its results must not report success when they
 * never arrived (a full disk, /dev/full, a closed pipe). */
static int close_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == CLI_EXIT_OK) {
            cli_error("standard output: write failed: %s", strerror(errno ? errno : EIO));
            rc = CLI_EXIT_INPUT;
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *a = argc >= 2 ? argv[1] : "";
    if (a[0] != '-' && argc >= 2) {
        const command *c = find_command(a);
        if (!c)
            return cli_usage_error(NULL, "unknown command '%s'", a);
        cli_set_command(c->name);
        int rc = c->fn(argc - 1, argv + 1);
        if (rc == CLI_SHOW_HELP) {
            print_command_help(c);
            rc = CLI_EXIT_OK;
        }
        return close_stdout(rc);
    }
    /* the REPL's options, -V and -h: read with the REPL's table, so that
     * `ponder --system -h` is a system prompt, not a request for help */
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    if (cli_help_asked(argc, argv, ":V" CLI_COMMON_SHORT, opts)) {
        print_help();
        return close_stdout(CLI_EXIT_OK);
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        if (argc > 2)
            return cli_usage_error(NULL, "%s: unexpected argument '%s'", a, argv[2]);
        printf("ponder %s\n", pd_version());
        return close_stdout(CLI_EXIT_OK);
    }
    return ui_main(argc, argv);
}
