/* cmd_bench.c - `ponder bench -m M [-p 512] [-n 128] [-d 0] [-r 3] [--threads N] [--json]`:
 * prefill and decode throughput, the median of -r repetitions with their
 * range (min-max), and decode's effective memory bandwidth beside the
 * machine's copy bandwidth (see bench.h for the definitions). The context is
 * --ctx, or as llama-bench's just the -d + -p + -n tokens of the test; those
 * must fit --ctx, or without it the model's own context length. */
#include "cli.h"
#include "bench.h"
#include "gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON string body: quotes, backslashes and control bytes escaped. */
static void json_str(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
}

/* ,"NAME":[v1,v2,...] */
static void json_list(const char *name, const double *v, int n)
{
    printf(",\"%s\":[", name);
    for (int i = 0; i < n; i++)
        printf("%s%.3f", i ? "," : "", v[i]);
    putchar(']');
}

static void print_json(const pd_model *m, const pd_bench_result *r)
{
    printf("{\"model\":\"");
    json_str(pd_model_name(m));
    printf("\",\"backend\":\"%s\",\"threads\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"depth\":%d,"
           "\"prefill_tok_s\":%.3f,\"decode_tok_s\":%.3f,\"decode_gb_s\":%.3f,"
           "\"copy_gb_s\":%.3f,\"read_gb_s\":%.3f,\"prefill_gflop_s\":%.3f,"
           "\"active_bytes\":%.0f,\"active_params\":%.0f,"
           "\"repetitions\":%d,\"prefill_tok_s_min\":%.3f,\"prefill_tok_s_max\":%.3f,"
           "\"decode_tok_s_min\":%.3f,\"decode_tok_s_max\":%.3f",
           r->backend, r->threads, r->n_prompt, r->n_gen, r->depth, r->prefill_tok_s,
           r->decode_tok_s, r->decode_gb_s, r->copy_gb_s, r->read_gb_s, r->prefill_gflop_s,
           r->active_bytes, r->active_params, r->reps, r->prefill_min, r->prefill_max,
           r->decode_min, r->decode_max);
    json_list("prefill_tok_s_each", r->prefill_each, r->reps);
    json_list("decode_tok_s_each", r->decode_each, r->reps);
    printf("}\n");
}

/* " [min-max]" after a median, when there was more than one repetition
 * (with one the output is as it was before -r) */
static void print_range(int reps, double lo, double hi, int decimals)
{
    if (reps > 1)
        printf(" [%.*f-%.*f]", decimals, lo, decimals, hi);
}

static void print_text(const pd_model *m, const pd_bench_result *r)
{
    printf("model     %s  (%s, %d threads)\n", pd_model_name(m), r->backend, r->threads);
    if (r->reps > 1)
        printf("tok/s     median of %d repetitions [min-max]\n", r->reps);
    printf("prefill   %d tokens at depth %d: %.1f tok/s", r->n_prompt, r->depth, r->prefill_tok_s);
    print_range(r->reps, r->prefill_min, r->prefill_max, 1);
    printf(", %.1f GFLOP/s\n", r->prefill_gflop_s);
    printf("decode    %d tokens at depth %d: %.2f tok/s", r->n_gen, r->depth, r->decode_tok_s);
    print_range(r->reps, r->decode_min, r->decode_max, 2);
    printf(", %.2f GB/s of weights (%.1f MB per token)\n", r->decode_gb_s, r->active_bytes / 1e6);
    printf("memcpy    %.2f GB/s (read + write); decode reads at %.0f%% of it\n",
           r->copy_gb_s, r->copy_gb_s > 0 ? 100.0 * r->decode_gb_s / r->copy_gb_s : 0);
    printf("read      %.2f GB/s (summing loop); decode reads at %.0f%% of it\n",
           r->read_gb_s, r->read_gb_s > 0 ? 100.0 * r->decode_gb_s / r->read_gb_s : 0);
}

/* The context length the file was made for (<arch>.context_length); 0 when
 * it cannot be read (pd_model_open then says why). */
static long file_ctx(const char *path)
{
    pd_gguf *g;
    pd_gguf_str a;
    char arch[64];
    uint32_t n = 0;
    if (pd_gguf_open(path, &g) != PD_OK)
        return 0;
    if (pd_gguf_get_str(g, "general.architecture", &a) && a.len < sizeof arch) {
        memcpy(arch, a.ptr, a.len);
        arch[a.len] = '\0';
        if (!pd_gguf_get_arch_u32(g, arch, "context_length", &n))
            n = 0;
    }
    pd_gguf_close(g);
    return (long)n;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"prompt-tokens", required_argument, 0, 'p'},
        {"depth", required_argument, 0, 'd'},
        {"repetitions", required_argument, 0, 'r'},
        {0, 0, 0, 0}
    };
    static const char optstring[] = ":" CLI_COMMON_SHORT "p:d:r:";
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_BENCH_TAKES;
    long n_prompt = 512, n_gen = 128, depth = 0, reps = 3;
    int o;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((o = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        int r = cli_common_option(&c, o, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        switch (o) {
        case 'p':
            if (!cli_parse_int("-p", optarg, 1, 1 << 20, &n_prompt)) return CLI_EXIT_USAGE;
            break;
        case 'n':   /* -n/--max-tokens: the decoded tokens */
            if (!cli_parse_int("-n", optarg, 1, 1 << 20, &n_gen)) return CLI_EXIT_USAGE;
            break;
        case 'd':
            if (!cli_parse_int("-d", optarg, 0, 1 << 20, &depth)) return CLI_EXIT_USAGE;
            break;
        case 'r':
            if (!cli_parse_int("-r", optarg, 1, PD_BENCH_MAX_REPS, &reps)) return CLI_EXIT_USAGE;
            break;
        default: return cli_option_error("bench", opts, o, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    char *path = cli_model_path(c.model);
    if (!path)
        return CLI_EXIT_INPUT;
    const long need = depth + n_prompt + n_gen;
    const long ctx = c.mopts.n_ctx ? c.mopts.n_ctx : file_ctx(path);
    if (ctx > 0 && need > ctx) {
        free(path);
        return cli_usage_error("bench", "-d %ld + -p %ld + -n %ld = %ld tokens do not fit the "
                               "context of %ld%s", depth, n_prompt, n_gen, need, ctx,
                               c.mopts.n_ctx ? " (--ctx)" : ", the model's (--ctx sets another)");
    }
    if (c.mopts.n_ctx == 0)
        c.mopts.n_ctx = (int)need;
    pd_model *m = NULL;
    pd_bench_result r;
    int rc = CLI_EXIT_OK;
    if (pd_model_open(path, &c.mopts, &m) == PD_OK)
        cli_model_notes(m);
    if (!m || pd_bench_run(m, (int)n_prompt, (int)n_gen, (int)depth, (int)reps, &r) != PD_OK)
        rc = cli_engine_error();
    else if (c.json)
        print_json(m, &r);
    else
        print_text(m, &r);
    pd_model_close(m);
    free(path);
    return rc;
}
