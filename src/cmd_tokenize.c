/* cmd_tokenize.c - `ponder tokenize -m FILE [--special] [--pieces] TEXT|-`:
 * the token ids of a text (no BOS added), from the file's tokenizer only (the
 * weights are never loaded). With --pieces a second line gives each token's
 * bytes as a quoted, JSON-style escaped string; bytes that are not part of a
 * complete UTF-8 sequence (a token holding half a character) are written
 * \xNN. */
#include "cli.h"
#include "gguf.h"
#include "tokenizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pretok.h"

enum { OPT_SPECIAL = OPT_CMD_BASE, OPT_PIECES };

/* The tokenizer takes at most 512 MiB: read one byte more to know when the
 * input is longer (stdin may be /dev/zero: never read without a bound). */
#define MAX_STDIN ((size_t)1 << 29)

static char *read_stdin(size_t *len, bool *too_long)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    *too_long = false;
    if (!b) return NULL;
    for (;;) {
        if (n == cap) {
            if (n > MAX_STDIN) { free(b); *too_long = true; return NULL; }
            char *nb = realloc(b, cap * 2);
            if (!nb) { free(b); return NULL; }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, stdin);
        if (r == 0) break;
        n += r;
    }
    if (ferror(stdin)) { free(b); return NULL; }
    if (n > MAX_STDIN) { free(b); *too_long = true; return NULL; }
    *len = n;
    return b;
}

static void put_piece(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    putchar('"');
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        int k = pd_utf8_seq(s + i, n - i);
        if (k <= 0) { printf("\\x%02x", c); i++; continue; }
        if (k > 1) { fwrite(s + i, 1, (size_t)k, stdout); i += (size_t)k; continue; }
        switch (c) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
            else putchar(c);
        }
        i++;
    }
    putchar('"');
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {"special", no_argument, 0, OPT_SPECIAL},
        {"pieces", no_argument, 0, OPT_PIECES},
        {0, 0, 0, 0}
    };
    static const char optstring[] = ":" CLI_COMMON_SHORT;
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_TOKENIZE_TAKES;
    bool special = false, pieces = false;
    int opt;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == OPT_SPECIAL) { special = true; continue; }
        if (opt == OPT_PIECES) { pieces = true; continue; }
        int r = cli_common_option(&c, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r == 0) return cli_option_error("tokenize", opts, opt, argv);
    }
    if (optind >= argc) return cli_usage_error("tokenize", "no text given (TEXT or '-' for stdin)");
    if (optind + 1 < argc)
        return cli_usage_error("tokenize", "unexpected argument '%s' (quote the text)", argv[optind + 1]);

    char *path = cli_model_path(c.model);
    if (!path) return CLI_EXIT_INPUT;
    pd_gguf *g = NULL;
    pd_tokenizer *t = NULL;
    pd_status st = pd_gguf_open(path, &g);
    free(path);
    if (st) return cli_engine_error();
    st = pd_tokenizer_load(g, &t);
    pd_gguf_close(g);
    if (st) return cli_engine_error();

    const char *text = argv[optind];
    size_t len = strlen(text);
    char *owned = NULL;
    if (strcmp(text, "-") == 0) {
        bool too_long;
        errno = 0;
        owned = read_stdin(&len, &too_long);
        if (!owned) {
            pd_tokenizer_free(t);
            if (too_long) cli_error("the text on stdin is longer than 512 MiB");
            else cli_error("cannot read stdin: %s", errno ? strerror(errno) : "out of memory");
            return CLI_EXIT_INPUT;
        }
        text = owned;
    }
    int32_t *ids = NULL;
    size_t n = 0;
    st = pd_tokenize(t, text, len, special, &ids, &n);
    free(owned);
    if (st) {
        pd_tokenizer_free(t);
        return cli_engine_error();
    }
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    putchar('\n');
    if (pieces) {
        for (size_t i = 0; i < n; i++) {
            size_t pl;
            const char *p = pd_token_piece(t, ids[i], &pl);
            if (i) putchar(' ');
            put_piece(p, pl);
        }
        putchar('\n');
    }
    free(ids);
    pd_tokenizer_free(t);
    /* a full disk or a closed pipe must not look like success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write the output: %s", strerror(errno));
        return CLI_EXIT_INPUT;
    }
    return CLI_EXIT_OK;
}
