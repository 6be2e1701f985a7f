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
    const char *usage;   /* shown by `ponder help NAME` */
} command;

static const command commands[] = {
    {"run", cmd_run, "generate once and stream to stdout",
     "usage: ponder run -m MODEL -p PROMPT [--json] [--raw] [options]\n"
     "  -p, --prompt TEXT   the user message ('-' reads stdin)\n"
     "  --json              JSONL events instead of text\n"
     "  --raw               no chat template: the prompt is the whole input\n"
     "  --plain             think text prefixed with '| ' instead of dimmed\n"},
    {"tokenize", cmd_tokenize, "print the token ids of a text",
     "usage: ponder tokenize -m MODEL [--special] [--pieces] TEXT|-\n"
     "  --special           match special/added tokens in the text first\n"
     "  --pieces            a second line with each token's text\n"
     "  TEXT '-'            read all of stdin as one text\n"},
    {"logits", cmd_logits, "compute logits for a prompt or token ids",
     "usage: ponder logits -m MODEL (--prompt TEXT | --tokens 1,2,3) [--raw] [--all]\n"
     "                     [--top K] [--out FILE]\n"
     "  --all               every position, not only the last\n"
     "  --top K             print the K best tokens per position (default 5)\n"
     "  --out FILE          write float32 little-endian logits, [positions][vocab]\n"},
    {"bench", cmd_bench, "measure prefill and decode throughput",
     "usage: ponder bench -m MODEL [-p 512] [-n 128] [-d 0] [-r 3] [--threads N] [--json]\n"
     "  -d, --depth N       tokens already in the cache when prefill and decode start\n"
     "  -r, --repetitions N run each test N times (1-100, default 3) and report the\n"
     "                      median tok/s and the range [min-max]\n"},
    {"eval", cmd_eval, "accuracy, switches and UT score on an eval set",
     "usage: ponder eval -m MODEL --set FILE.jsonl [--samples K] [--compare] [--json]\n"},
    {"info", cmd_info, "describe what a GGUF file holds",
     "usage: ponder info -m MODEL [--keys]\n"
     "  --keys              also list every metadata key with its type and value\n"},
    {"tip", cmd_tip, "print the switch-token set of a model",
     "usage: ponder tip -m MODEL [--phrases FILE]\n"},
    {"synth", cmd_synth, "write a random-weight GGUF with the shapes of a real model",
     "usage: ponder synth --preset NAME --type TYPE -o FILE [--seed N] [--threads N]\n"
     "                    [--layers N] [--experts N] [--tensors]\n"
     "       ponder synth --list | --preset NAME --type TYPE --dry-run [--tensors]\n"
     "  --type TYPE         F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K Q5_K Q6_K\n"
     "                      (default Q8_0): every matrix in that type (llama-quantize\n"
     "                      --pure); Q4_K_S Q4_K_M Q5_K_S Q5_K_M: llama-quantize's\n"
     "                      mixes, its type for every matrix\n"
     "  --layers N          N layers instead of the preset's\n"
     "  --experts N         N experts instead of the preset's\n"
     "  --tensors           list every tensor (name, type, shape) on stdout\n"
     "  --seed N            random seed (default 1); the same seed gives the same file\n"
     "  --list              the presets\n"
     "  --dry-run           print tensors, parameters and size without writing\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char common_help[] =
    "common options:\n"
    "  -m, --model FILE        GGUF model (default: the built-in demo model)\n"
    "  --backend cpu|cuda|auto  compute backend (default auto)\n"
    "  --threads N             CPU threads (default: all cores)\n"
    "  --ctx N                 context length (default: model's, at most 32768,\n"
    "                          less when free memory is short)\n"
    "  --no-repack             CPU: read Q4_K weights as stored (less memory, slower)\n"
    "  --attn-f32              CPU: decode attention sums in F32 under 512 cached\n"
    "                          tokens too (from 512 on they always are)\n"
    "  -n, --max-tokens N      tokens to generate per turn\n"
    "  --temp T  --top-k K  --top-p P  --min-p P  --repeat-penalty R  --seed S\n"
    "  --tip on|off            thought-switching penalty (default on)\n"
    "  --tip-alpha A           penalty strength (default 3)\n"
    "  --tip-beta B            penalty window in tokens (default 600)\n"
    "  --tip-phrases FILE      phrase set (default share/ponder/phrases/en.txt)\n"
    "  --tip-groups switch|switch,reflect   which phrase groups TIP penalises\n"
    "  --tip-schedule step|decay\n"
    "  --min-thought N         TIP window counted in tokens of the thought\n"
    "  --think-budget N        force </think> after N thinking tokens\n"
    "  --no-wait               suppress reflection words ('Wait', 'Hmm') entirely\n"
    "  --template NAME         deepseek-r1, qwen3, r1-zero, chatml\n"
    "  --system TEXT           system prompt\n"
    "  --theme NAME            TUI colour theme\n"
    "  --plain                 line-oriented REPL instead of the TUI\n";

static void print_help(void)
{
    printf("ponder %s - a terminal REPL for reasoning models, with a thought-switching penalty\n\n"
           "usage: ponder [-m MODEL] [options]      the REPL\n"
           "       ponder COMMAND [options]\n\ncommands:\n", pd_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("  %-10s %s\n\n%s\nSee 'ponder help COMMAND' and man ponder.\n",
           "help", "show help for a command", common_help);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_help();
        return CLI_EXIT_OK;
    }
    const command *c = find_command(argv[1]);
    if (!c)
        return cli_usage_error(NULL, "help: unknown command '%s'", argv[1]);
    printf("ponder %s - %s\n\n%s\n%s", c->name, c->summary, c->usage, common_help);
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
    if (argc >= 2) {
        const char *a = argv[1];
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("ponder %s\n", pd_version());
            return close_stdout(CLI_EXIT_OK);
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help();
            return close_stdout(CLI_EXIT_OK);
        }
        if (strcmp(a, "help") == 0)
            return close_stdout(cmd_help(argc - 1, argv + 1));
        if (a[0] != '-') {
            const command *c = find_command(a);
            if (!c)
                return cli_usage_error(NULL, "unknown command '%s'", a);
            return close_stdout(c->fn(argc - 1, argv + 1));
        }
    }
    return ui_main(argc, argv);
}
