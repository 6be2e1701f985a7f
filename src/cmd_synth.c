/* cmd_synth.c - `ponder synth --preset NAME --type TYPE -o FILE`: write a
 * random-weight GGUF with the shapes of a real model (see synth.h), with
 * progress on stderr when it is a terminal and a one-line summary at the
 * end; Ctrl-C stops it and leaves no partial file. The file is written under
 * a temporary name and renamed, so `-o -` (standard output) is refused. */
#include "cli.h"
#include "synth.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum { OPT_PRESET = OPT_CMD_BASE, OPT_TYPE, OPT_LIST, OPT_DRY_RUN, OPT_LAYERS, OPT_EXPERTS,
       OPT_TENSORS };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct progress {
    const char *path;
    bool tty;
    int last_step;            /* last printed tenth of a percent */
    struct timespec t0;
} progress;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static bool on_progress(void *user, uint64_t done, uint64_t total)
{
    progress *p = user;
    if (interrupted)
        return false;
    if (!p->tty)   /* a log file gets the summary line only */
        return true;
    int step = total ? (int)(done * 1000 / total) : 0;
    if (step == p->last_step)
        return true;
    p->last_step = step;
    double s = since(&p->t0), mb = (double)done / 1e6;
    fprintf(stderr, "\r%s: %.1f / %.1f MB (%.0f%%), %.0f MB/s   ", p->path, mb,
            (double)total / 1e6, total ? 100.0 * (double)done / (double)total : 100.0,
            s > 0 ? mb / s : 0.0);
    return true;
}

static int list_presets(void)
{
    for (size_t i = 0; i < pd_synth_n_presets(); i++)
        printf("%-30s %s\n", pd_synth_preset_name(i), pd_synth_preset_desc(i));
    return CLI_EXIT_OK;
}

/* --tensors: one line per tensor on stdout, "NAME TYPE NE0xNE1[xNE2]". */
static void print_tensor(void *user, const char *name, pd_type type, int n_dims, const int64_t *ne)
{
    (void)user;
    printf("%s %s %" PRId64, name, pd_type_name(type), ne[0]);
    for (int d = 1; d < n_dims; d++)
        printf("x%" PRId64, ne[d]);
    putchar('\n');
}

static bool parse_type(const char *s, pd_synth_opts *so)
{
    /* llama-quantize's mixes Q4_K_S Q4_K_M Q5_K_S Q5_K_M */
    if (strlen(s) == 6 && (s[0] == 'Q' || s[0] == 'q') && (s[1] == '4' || s[1] == '5') &&
        !strncasecmp(s + 2, "_K_", 3) && strchr("SsMm", s[5])) {
        so->type = s[1] == '4' ? PD_TYPE_Q4_K : PD_TYPE_Q5_K;
        so->mix = s[5] == 'S' || s[5] == 's' ? PD_SYNTH_MIX_S : PD_SYNTH_MIX_M;
        return true;
    }
    pd_type *out = &so->type;
    for (uint32_t t = 0; t < PD_TYPE_COUNT; t++)
        if (pd_synth_type_ok((pd_type)t) && strcasecmp(pd_type_name(t), s) == 0) {
            *out = (pd_type)t;
            return true;
        }
    return false;
}

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"preset", required_argument, 0, OPT_PRESET},
        {"type", required_argument, 0, OPT_TYPE},
        {"output", required_argument, 0, 'o'},
        {"seed", required_argument, 0, OPT_SEED},
        {"threads", required_argument, 0, OPT_THREADS},
        {"list", no_argument, 0, OPT_LIST},
        {"dry-run", no_argument, 0, OPT_DRY_RUN},
        {"layers", required_argument, 0, OPT_LAYERS},
        {"experts", required_argument, 0, OPT_EXPERTS},
        {"tensors", no_argument, 0, OPT_TENSORS},
        CLI_HELP_OPTION,
        {0, 0, 0, 0},
    };
    static const char optstring[] = ":ho:";
    pd_synth_opts so = { .type = PD_TYPE_Q8_0, .seed = 1 };
    const char *out = NULL, *type = NULL;
    bool list = false;
    long l;
    int c;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        switch (c) {
        case OPT_PRESET: so.preset = optarg; break;
        case OPT_TYPE: type = optarg; break;
        case 'o': out = optarg; break;
        case OPT_LIST: list = true; break;
        case OPT_DRY_RUN: so.dry_run = true; break;
        case OPT_TENSORS: so.on_tensor = print_tensor; break;
        case OPT_LAYERS:
            if (!cli_parse_int("--layers", optarg, 1, 4096, &l))
                return CLI_EXIT_USAGE;
            so.n_layer = (int)l;
            break;
        case OPT_EXPERTS:
            if (!cli_parse_int("--experts", optarg, 1, 4096, &l))
                return CLI_EXIT_USAGE;
            so.n_expert = (int)l;
            break;
        case OPT_THREADS:
            if (!cli_parse_int("--threads", optarg, 1, 1024, &l))
                return CLI_EXIT_USAGE;
            so.n_threads = (int)l;
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usage_error("synth", "--seed: '%s' is not a non-negative whole number", optarg);
            so.seed = v;
            break;
        }
        default: return cli_option_error("synth", opts, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
    if (list && argc > 2)
        return cli_usage_error("synth", "--list takes no other options");
    if (list)
        return list_presets();
    if (!so.preset)
        return cli_usage_error("synth", "--preset NAME is required ('ponder synth --list' shows them)");
    bool known = false;
    for (size_t i = 0; i < pd_synth_n_presets(); i++)
        known |= strcmp(pd_synth_preset_name(i), so.preset) == 0;
    if (!known)
        return cli_usage_error("synth", "unknown preset '%s' ('ponder synth --list' shows them)", so.preset);
    if (type && !parse_type(type, &so))
        return cli_usage_error("synth", "--type: '%s' is not one of F32 F16 BF16 Q8_0 Q4_0 "
                               "Q4_1 Q5_0 Q5_1 Q4_K Q5_K Q6_K Q4_K_S Q4_K_M Q5_K_S Q5_K_M", type);
    if (!out && !so.dry_run)
        return cli_usage_error("synth", "-o FILE is required");
    /* the writer streams to a temporary file it renames: no pipe */
    if (out && strcmp(out, "-") == 0)
        return cli_usage_error("synth", "-o -: a GGUF is not written to standard output; "
                               "give a file name (./- for a file called '-')");

    progress pr = { out ? out : "-", isatty(STDERR_FILENO) == 1, -1, {0, 0} };
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    so.progress = on_progress;
    so.user = &pr;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    pd_synth_result res = {0};
    pd_status st = pd_synth_write(&so, out, &res);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (pr.tty && pr.last_step >= 0)
        fputc('\n', stderr);
    if (st == PD_ECANCELLED) {
        cli_error("interrupted; %s was not written", out);
        return CLI_EXIT_INPUT;
    }
    if (st == PD_EARG)   /* --experts that the preset cannot take */
        return cli_usage_error("synth", "%s", cli_engine_msg());
    if (st)
        return cli_engine_error();
    char fb[64] = "";
    if (res.n_fallback)
        snprintf(fb, sizeof fb, " (%" PRId64 " matrices in a fallback type)", res.n_fallback);
    fprintf(stderr, "%s %s: preset %s, %s weights%s, %" PRId64 " tensors, %" PRIu64
            " parameters, %" PRIu64 " bytes, seed %" PRIu64 ", %.1f s\n",
            so.dry_run ? "would write" : "wrote", out ? out : "-", so.preset,
            type && so.mix != PD_SYNTH_PURE ? type : pd_type_name(so.type), fb, res.n_tensors, res.params,
            res.file_bytes, so.seed,
            since(&pr.t0));
    return CLI_EXIT_OK;
}
