/* cmd_logits.c - `ponder logits`: run one forward pass over a prompt (through
 * the chat template unless --raw) or explicit token ids, print the top K
 * tokens per position, and optionally write the float32 little-endian logits
 * ([positions][n_vocab], the last position only unless --all) to a file,
 * atomically (a temporary name, then rename). */
#include "cli.h"
#include "chat.h"
#include "model.h"
#include "tokenizer.h"
#include "pretok.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_PROMPT = OPT_CMD_BASE, OPT_TOKENS, OPT_ALL, OPT_TOP, OPT_OUT };

/* "1,2,3" -> ids; false (message printed) on anything else. */
static bool parse_ids(const char *s, int32_t **out, int *n_out)
{
    size_t cap = 16;
    int n = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids)
        return false;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            cli_error("--tokens: '%s' is not a comma-separated list of token ids", s);
            free(ids);
            return false;
        }
        if ((size_t)n == cap) {
            int32_t *ni = realloc(ids, 2 * cap * sizeof *ids);
            if (!ni) { free(ids); return false; }
            ids = ni;
            cap *= 2;
        }
        ids[n++] = (int32_t)v;
        if (!*end)
            break;
        p = end + 1;
    }
    *out = ids;
    *n_out = n;
    return true;
}

/* Prompt text -> ids: the chat template (unless raw), BOS as the file asks. */
/* --raw: the user wrote the whole input, special tokens included. */
static pd_status raw_ids(const pd_tokenizer *t, const char *text, int32_t **ids, size_t *n)
{
    const char *bos = pd_tokenizer_add_bos(t) && pd_token_bos(t) >= 0
                      ? pd_token_text(t, pd_token_bos(t)) : NULL;
    size_t len = strlen(text) + (bos ? strlen(bos) : 0) + 1;
    char *input = malloc(len);
    if (!input)
        return pd_fail(PD_ENOMEM, "cannot render the prompt");
    snprintf(input, len, "%s%s", bos ? bos : "", text);
    pd_status st = pd_tokenize(t, input, strlen(input), true, ids, n);
    free(input);
    return st;
}

/* The chat template around the text; special tokens only where the template
 * wrote them, so user text never becomes a control token. */
static pd_status template_ids(pd_model *m, const cli_common *c, const char *text,
                              int32_t **ids, size_t *n)
{
    pd_chat_family f;
    bool known;
    if (c->params.template_name) {
        if (!pd_chat_family_from_name(c->params.template_name, &f))
            return pd_fail(PD_EARG, "--template: unknown template '%s'", c->params.template_name);
    } else {
        f = pd_chat_detect(m->gguf, m->tok, &known);
    }
    pd_chat_msg msgs[2];
    size_t nm = 0;
    if (c->params.system)
        msgs[nm++] = (pd_chat_msg){ "system", c->params.system };
    msgs[nm++] = (pd_chat_msg){ "user", text };
    return pd_chat_tokenize(m->tok, f, msgs, nm, true, ids, n);
}

static pd_status prompt_ids(pd_model *m, const cli_common *c, const char *text,
                            int32_t **ids, int *n)
{
    if (!m->tok)
        return pd_fail(PD_EARG, "%s has no vocabulary: use --tokens", pd_model_name(m));
    size_t nid = 0;
    pd_status st = c->params.raw ? raw_ids(m->tok, text, ids, &nid)
                                 : template_ids(m, c, text, ids, &nid);
    if (st == PD_OK && (nid == 0 || nid > INT32_MAX))
        st = pd_fail(PD_EARG, "the prompt has no tokens");
    *n = (int)nid;
    return st;
}

/* The k best of one row: ids sorted by logit, ties to the lower id. */
static void print_top(const pd_model *m, int pos, const float *row, int V, int k)
{
    int best[64];
    if (k > 64) k = 64;
    if (k > V) k = V;
    for (int j = 0; j < k; j++) {
        int b = -1;
        for (int i = 0; i < V; i++) {
            bool used = false;
            for (int q = 0; q < j; q++)
                if (best[q] == i) { used = true; break; }
            if (!used && (b < 0 || row[i] > row[b]))
                b = i;
        }
        best[j] = b;
    }
    printf("pos %d:", pos);
    for (int j = 0; j < k; j++) {
        size_t len = 0;
        const char *piece = m->tok ? pd_token_piece(m->tok, best[j], &len) : NULL;
        printf("  %d %.4f ", best[j], row[best[j]]);
        putchar('"');
        const unsigned char *u = (const unsigned char *)piece;
        for (size_t i = 0; piece && i < len;) {
            int sl = pd_utf8_seq(u + i, len - i);   /* half a character: \xNN */
            if (sl > 1) {
                fwrite(u + i, 1, (size_t)sl, stdout);
                i += (size_t)sl;
                continue;
            }
            unsigned char ch = u[i++];
            if (ch == '"' || ch == '\\') printf("\\%c", ch);
            else if (sl <= 0 || ch < 0x20 || ch == 0x7f) printf("\\x%02x", ch);
            else putchar(ch);
        }
        putchar('"');
    }
    putchar('\n');
}

/* float32 little-endian (the machines we build for are little-endian),
 * written whole or not at all. */
static int write_logits(const char *path, const float *v, size_t n)
{
    pd_outfile *o;
    if (pd_outfile_open(path, &o) != PD_OK)
        return cli_engine_error();
    if (fwrite(v, sizeof *v, n, pd_outfile_stream(o)) != n) {
        cli_error("%s: write failed: %s", path, strerror(errno));
        pd_outfile_abort(o);
        return CLI_EXIT_INPUT;
    }
    return pd_outfile_commit(o) == PD_OK ? CLI_EXIT_OK : cli_engine_error();
}

int cmd_logits(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"prompt", required_argument, 0, OPT_PROMPT},
        {"tokens", required_argument, 0, OPT_TOKENS},
        {"all", no_argument, 0, OPT_ALL},
        {"top", required_argument, 0, OPT_TOP},
        {"out", required_argument, 0, OPT_OUT},
        {0, 0, 0, 0}
    };
    static const char optstring[] = ":" CLI_COMMON_SHORT "p:";
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_LOGITS_TAKES;
    const char *prompt = NULL, *tokens = NULL, *out = NULL;
    bool all = false;
    long top = 5;
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
        case OPT_PROMPT: prompt = optarg; break;
        case OPT_TOKENS: tokens = optarg; break;
        case OPT_ALL: all = true; break;
        case OPT_TOP:
            if (!cli_parse_int("--top", optarg, 0, 64, &top)) return CLI_EXIT_USAGE;
            break;
        case OPT_OUT: out = optarg; break;
        default: return cli_option_error("logits", opts, o, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("logits", "unexpected argument '%s'", argv[optind]);
    if (!prompt == !tokens)
        return cli_usage_error("logits", "give exactly one of --prompt TEXT and --tokens IDS");
    int32_t *ids = NULL;
    int n = 0;
    if (tokens && !parse_ids(tokens, &ids, &n))
        return CLI_EXIT_USAGE;

    char *path = cli_model_path(c.model);
    if (!path) {
        free(ids);
        return CLI_EXIT_INPUT;
    }
    pd_model *m = NULL;
    int rc = CLI_EXIT_OK;
    if (pd_model_open(path, &c.mopts, &m) != PD_OK) {
        rc = cli_engine_error();
        goto done;
    }
    cli_model_notes(m);
    if (prompt && prompt_ids(m, &c, prompt, &ids, &n) != PD_OK) {
        rc = cli_engine_error();
        goto done;
    }
    if (n > pd_model_n_ctx(m)) {
        cli_error("%d tokens do not fit the context of %d (use --ctx)", n, pd_model_n_ctx(m));
        rc = CLI_EXIT_INPUT;
        goto done;
    }
    const int V = pd_model_n_vocab(m);
    float *lg = malloc(sizeof(float) * (size_t)(all ? n : 1) * V);
    if (!lg) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
        goto done;
    }
    if (pd_model_forward(m, ids, n, 0, lg, all) != PD_OK) {
        rc = cli_engine_error();
    } else {
        for (int p = all ? 0 : n - 1, r = 0; p < n && top > 0; p++, r++)
            print_top(m, p, lg + (size_t)r * V, V, (int)top);
        if (out)
            rc = write_logits(out, lg, (size_t)(all ? n : 1) * V);
    }
    free(lg);
done:
    pd_model_close(m);
    free(path);
    free(ids);
    return rc;
}
