/* cmd_info.c - `ponder info -m FILE`: what a GGUF file holds, read straight
 * from its metadata and tensor table (no weights are loaded): format,
 * architecture and hyperparameters, tokenizer, chat template family, tensor
 * bytes by type, and total / active-per-token parameter counts. */
#include "chat.h"
#include "cli.h"
#include "gguf.h"
#include "quant.h"
#include "tokenizer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_KEYS = OPT_CMD_BASE };

/* ------------------------------------------------------------------------
 * Printing values
 * ------------------------------------------------------------------------ */
/* Bytes of a file string, with control and non-ASCII bytes escaped, cut at
 * `max` bytes (then "..."). */
static void put_escaped(const char *s, uint64_t len, uint64_t max)
{
    for (uint64_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\\') fputs("\\\\", stdout);
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);   /* UTF-8 passes through as is */
    }
    if (len > max)
        fputs("...", stdout);
}

static void put_value(const pd_gguf_kv *kv)
{
    switch (kv->type) {
    case PD_GGUF_STRING:
        putchar('"');
        put_escaped(kv->v.s.ptr, kv->v.s.len, 60);
        putchar('"');
        break;
    case PD_GGUF_ARRAY:
        printf("[%" PRIu64 " x %s]", kv->arr_count, pd_gguf_vtype_name(kv->arr_type));
        break;
    case PD_GGUF_F32: case PD_GGUF_F64: printf("%g", kv->v.f); break;
    case PD_GGUF_BOOL: fputs(kv->v.u ? "true" : "false", stdout); break;
    case PD_GGUF_I8: case PD_GGUF_I16: case PD_GGUF_I32: case PD_GGUF_I64:
        printf("%" PRId64, kv->v.i);
        break;
    default: printf("%" PRIu64, kv->v.u); break;
    }
}

/* "23,954,944" */
static const char *grouped(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* "22.8 MiB" */
static const char *human_bytes(uint64_t v, char *buf)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double x = (double)v;
    int u = 0;
    while (x >= 1024 && u < 4) { x /= 1024; u++; }
    snprintf(buf, 32, u ? "%.1f %s" : "%.0f %s", x, unit[u]);
    return buf;
}

/* "11.9 M" / "30.5 B" parameters */
static const char *human_count(uint64_t v, char *buf)
{
    if (v >= 1000000000ull) snprintf(buf, 32, "%.2f B", (double)v / 1e9);
    else if (v >= 1000000ull) snprintf(buf, 32, "%.2f M", (double)v / 1e6);
    else if (v >= 1000ull) snprintf(buf, 32, "%.1f K", (double)v / 1e3);
    else snprintf(buf, 32, "%" PRIu64, v);
    return buf;
}

static bool str_is(pd_gguf_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool str_has(pd_gguf_str s, const char *needle)
{
    size_t n = strlen(needle);
    if (n > s.len)
        return false;
    for (uint64_t i = 0; i + n <= s.len; i++)
        if (memcmp(s.ptr + i, needle, n) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * Sections
 * ------------------------------------------------------------------------ */
/* Architecture keys shown, in this order, when present ("<arch>.<suffix>"). */
static const struct { const char *suffix, *label; } arch_keys[] = {
    {"context_length", "context length"},
    {"embedding_length", "embedding length"},
    {"block_count", "layers"},
    {"feed_forward_length", "feed-forward length"},
    {"attention.head_count", "attention heads"},
    {"attention.head_count_kv", "kv heads"},
    {"attention.key_length", "key head dim"},
    {"attention.value_length", "value head dim"},
    {"attention.q_lora_rank", "MLA q rank"},
    {"attention.kv_lora_rank", "MLA kv rank"},
    {"attention.key_length_mla", "MLA key dim (nope+rope)"},
    {"attention.value_length_mla", "MLA value dim"},
    {"rope.dimension_count", "rope dims"},
    {"rope.freq_base", "rope base"},
    {"rope.scaling.type", "rope scaling"},
    {"rope.scaling.factor", "rope scaling factor"},
    {"rope.scaling.original_context_length", "rope original context"},
    {"rope.scaling.yarn_log_multiplier", "yarn log multiplier"},
    {"attention.layer_norm_rms_epsilon", "rms norm eps"},
    {"expert_count", "experts"},
    {"expert_used_count", "experts used per token"},
    {"expert_shared_count", "shared experts"},
    {"expert_feed_forward_length", "expert FF length"},
    {"expert_shared_feed_forward_length", "shared expert FF length"},
    {"leading_dense_block_count", "dense lead blocks"},
    {"expert_group_count", "expert groups"},
    {"expert_group_used_count", "expert groups used"},
    {"expert_gating_func", "expert gating"},
    {"expert_weights_norm", "expert weights normalised"},
    {"expert_weights_scale", "expert weights scale"},
    {"vocab_size", "vocab size"},
};

static void print_hparams(const pd_gguf *g, const char *arch)
{
    fputs("hyperparameters (", stdout);
    put_escaped(arch, strlen(arch), 128);
    fputs(".*):\n", stdout);
    int shown = 0;
    for (size_t i = 0; i < sizeof arch_keys / sizeof *arch_keys; i++) {
        char key[300];
        snprintf(key, sizeof key, "%s.%s", arch, arch_keys[i].suffix);
        const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
        if (!kv)
            continue;
        printf("  %-26s ", arch_keys[i].label);
        put_value(kv);
        uint32_t v;
        if (strcmp(arch_keys[i].suffix, "expert_gating_func") == 0 &&
            pd_gguf_get_u32(g, key, &v))
            fputs(v == 1 ? " (softmax)" : v == 2 ? " (sigmoid)" : " (unknown)", stdout);
        putchar('\n');
        shown++;
    }
    uint32_t heads, embd;
    if (!pd_gguf_get_arch_u32(g, arch, "attention.key_length", &heads) &&
        pd_gguf_get_arch_u32(g, arch, "attention.head_count", &heads) &&
        pd_gguf_get_arch_u32(g, arch, "embedding_length", &embd) && heads > 0)
        printf("  %-26s %" PRIu32 " (embedding / heads)\n", "head dim", embd / heads);
    if (!shown)
        printf("  (none found)\n");
}

/* The family a template looks like, from tokenizer.chat_template. */
static const char *template_family(pd_gguf_str t)
{
    if (str_has(t, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"))   /* <｜Assistant｜> */
        return str_has(t, "<think>") ? "deepseek-r1" : "deepseek-v3";
    if (str_has(t, "<|im_start|>"))
        return str_has(t, "<think>") ? "qwen3" : "chatml";
    return NULL;
}

/* What the file's template looks like, and what the engine will use
 * (pd_chat_detect, which may also look at the vocabulary). */
static void print_template(const pd_gguf *g)
{
    pd_tokenizer *tok = NULL;
    if (pd_gguf_get_arr(g, "tokenizer.ggml.tokens") && pd_tokenizer_load(g, &tok) != PD_OK)
        tok = NULL;   /* a broken vocabulary only makes the guess coarser */
    bool rec = false;
    const char *uses = pd_chat_family_name(pd_chat_detect(g, tok, &rec));
    pd_tokenizer_free(tok);
    pd_gguf_str t;
    printf("chat template:               ");
    if (pd_gguf_get_str(g, "ponder.chat_template", &t)) {
        printf("%s (ponder.chat_template)\n", uses);
    } else if (!pd_gguf_get_str(g, "tokenizer.chat_template", &t)) {
        printf("none (ponder uses %s)\n", uses);
    } else {
        const char *fam = template_family(t);
        if (fam)
            printf("%s", fam);
        else
            printf("unrecognised (falls back to %s)", uses);
        printf(" (tokenizer.chat_template, %" PRIu64 " bytes)", t.len);
        if (fam && strcmp(fam, uses) != 0)
            printf("; ponder uses %s", uses);
        putchar('\n');
    }
}

static void print_token(const pd_gguf *g, const char *label, const char *key)
{
    uint32_t id;
    if (!pd_gguf_get_u32(g, key, &id))
        return;
    printf("  %-26s %" PRIu32, label, id);
    pd_gguf_str s;
    if (pd_gguf_arr_str(pd_gguf_get_arr(g, "tokenizer.ggml.tokens"), id, &s)) {
        fputs(" '", stdout);
        put_escaped(s.ptr, s.len, 40);
        putchar('\'');
    } else {
        fputs(" (beyond the vocabulary)", stdout);
    }
    putchar('\n');
}

static void print_tokenizer(const pd_gguf *g)
{
    pd_gguf_str s;
    printf("tokenizer:\n");
    if (!pd_gguf_get_str(g, "tokenizer.ggml.model", &s)) {
        printf("  (none)\n");
    } else {
        printf("  %-26s ", "model");
        put_escaped(s.ptr, s.len, 40);
        fputs(str_is(s, "gpt2") ? " (byte-level BPE)\n" : "\n", stdout);
        if (pd_gguf_get_str(g, "tokenizer.ggml.pre", &s)) {
            printf("  %-26s ", "pre-tokenizer");
            put_escaped(s.ptr, s.len, 40);
            putchar('\n');
        }
        const pd_gguf_kv *a = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
        printf("  %-26s %" PRIu64 "\n", "vocabulary", a ? a->arr_count : 0);
        a = pd_gguf_get_arr(g, "tokenizer.ggml.merges");
        printf("  %-26s %" PRIu64 "\n", "merges", a ? a->arr_count : 0);
        print_token(g, "bos", "tokenizer.ggml.bos_token_id");
        print_token(g, "eos", "tokenizer.ggml.eos_token_id");
        print_token(g, "padding", "tokenizer.ggml.padding_token_id");
        bool b;
        if (pd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b))
            printf("  %-26s %s\n", "adds bos", b ? "yes" : "no");
    }
    print_template(g);
}

static void print_tensors(const pd_gguf *g, const char *arch)
{
    uint64_t count[PD_TYPE_COUNT] = {0}, bytes[PD_TYPE_COUNT] = {0}, total_bytes = 0;
    uint64_t params = 0, expert_params = 0, embd_params = 0;
    char b1[48], b2[48];
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const pd_gguf_tensor *t = &g->tensors[i];
        uint64_t n = (uint64_t)(t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]);
        if (t->type < PD_TYPE_COUNT) {
            count[t->type]++;
            bytes[t->type] += t->nbytes;
        }
        total_bytes += t->nbytes;
        params += n;
        /* routed experts: blk.N.ffn_{gate,up,down}_exps.weight */
        if (strstr(t->name, "_exps."))
            expert_params += n;
        else if (strcmp(t->name, "token_embd.weight") == 0)
            embd_params += n;
    }
    printf("tensors:                     %" PRId64 ", %s bytes (%s)\n", g->n_tensors,
           grouped(total_bytes, b1), human_bytes(total_bytes, b2));
    for (uint32_t ty = 0; ty < PD_TYPE_COUNT; ty++)
        if (count[ty])
            printf("  %-8s %6" PRIu64 " tensors %18s bytes (%5.1f%%)\n", pd_type_name(ty),
                   count[ty], grouped(bytes[ty], b1),
                   total_bytes ? 100.0 * (double)bytes[ty] / (double)total_bytes : 0.0);
    if (!g->n_tensors) {
        printf("  (no tensors: a vocabulary-only file)\n");
        return;
    }
    printf("parameters:                  %s (%s)\n", grouped(params, b1), human_count(params, b2));
    uint32_t n_exp = 0, n_used = 0;
    bool moe = pd_gguf_get_arch_u32(g, arch, "expert_count", &n_exp) &&
               pd_gguf_get_arch_u32(g, arch, "expert_used_count", &n_used) &&
               n_exp > 0 && n_used <= n_exp;
    /* Without output.weight the embedding doubles as the output matrix. */
    bool tied = pd_gguf_find_tensor(g, "output.weight") < 0;
    uint64_t active = params - expert_params - (tied ? 0 : embd_params);
    if (moe)
        active += (uint64_t)((double)expert_params * n_used / n_exp + 0.5);
    else
        active += expert_params;
    printf("active per token:            %s (%s)%s\n", grouped(active, b1),
           human_count(active, b2), moe ? "" : "  (dense)");
    const char *emb = tied ? "no output.weight here: token_embd.weight is the output matrix\n"
                             "   too, so it counts fully" :
                             "token_embd.weight, a row lookup, counts 0";
    if (moe)
        printf("  (active = every tensor once, except routed experts (*_exps), which count\n"
               "   %" PRIu32 "/%" PRIu32 " of their size (expert_used_count/expert_count);\n   %s)\n",
               n_used, n_exp, emb);
    else
        printf("  (active = every tensor once; %s)\n", emb);
}

static void print_keys(const pd_gguf *g)
{
    printf("metadata (%" PRId64 " keys):\n", g->n_kv);
    for (int64_t i = 0; i < g->n_kv; i++) {
        size_t len = strlen(g->kv[i].key);
        fputs("  ", stdout);
        put_escaped(g->kv[i].key, len, 200);   /* keys are UTF-8 but may hold controls */
        printf("%*s %-7s ", len < 50 ? (int)(50 - len) : 0, "", pd_gguf_vtype_name(g->kv[i].type));
        put_value(&g->kv[i]);
        putchar('\n');
    }
}

static const char *file_type_name(uint32_t ft)
{
    /* llama_ftype values the converter and llama-quantize write */
    static const char *const names[] = {
        [0] = "all F32", [1] = "mostly F16", [2] = "mostly Q4_0", [3] = "mostly Q4_1",
        [7] = "mostly Q8_0", [8] = "mostly Q5_0", [9] = "mostly Q5_1", [10] = "Q2_K",
        [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS",
        [21] = "Q2_K_S", [22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL",
        [26] = "IQ3_S", [27] = "IQ3_M", [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS",
        [31] = "IQ1_M", [32] = "mostly BF16",
    };
    return ft < sizeof names / sizeof names[0] && names[ft] ? names[ft] : "other";
}

static void describe(const pd_gguf *g, bool keys)
{
    char b1[48], b2[48];
    pd_gguf_str s;
    printf("file:                        %s\n", g->path);
    printf("size:                        %s bytes (%s)\n", grouped(g->size, b1),
           human_bytes(g->size, b2));
    printf("format:                      GGUF v%" PRIu32 ", %" PRId64 " metadata keys,"
           " alignment %" PRIu64 ", data at byte %" PRIu64 "\n",
           g->version, g->n_kv, g->alignment, g->data_offset);
    char arch[128] = "";
    if (pd_gguf_get_str(g, "general.architecture", &s) && s.len < sizeof arch &&
        !memchr(s.ptr, 0, s.len))
        memcpy(arch, s.ptr, s.len), arch[s.len] = '\0';
    printf("architecture:                ");
    if (arch[0])
        put_escaped(arch, strlen(arch), sizeof arch);
    else
        fputs("(none)", stdout);
    putchar('\n');
    if (pd_gguf_get_str(g, "general.name", &s)) {
        printf("name:                        ");
        put_escaped(s.ptr, s.len, 100);
        putchar('\n');
    }
    uint32_t ft;
    if (pd_gguf_get_u32(g, "general.file_type", &ft))
        printf("file type:                   %s (%" PRIu32 ")\n", file_type_name(ft), ft);
    if (arch[0])
        print_hparams(g, arch);
    print_tokenizer(g);
    print_tensors(g, arch);
    if (keys)
        print_keys(g);
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"keys", no_argument, 0, OPT_KEYS},
        {0, 0, 0, 0},
    };
    static const char optstring[] = ":" CLI_COMMON_SHORT;
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_INFO_TAKES;
    bool keys = false;
    int opt;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == OPT_KEYS) { keys = true; continue; }
        int r = cli_common_option(&c, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r == 0) return cli_option_error("info", opts, opt, argv);
    }
    if (optind < argc)
        return cli_usage_error("info", "unexpected argument '%s'", argv[optind]);
    char *path = cli_model_path(c.model);
    if (!path)
        return CLI_EXIT_INPUT;
    pd_gguf *g;
    pd_status st = pd_gguf_open(path, &g);
    free(path);
    if (st)
        return cli_engine_error();
    describe(g, keys);
    pd_gguf_close(g);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output");
        return CLI_EXIT_INPUT;
    }
    return CLI_EXIT_OK;
}
