/* cmd_tip.c - `ponder tip -m M [--phrases F]`: the switch-token set V̂ that
 * TIP penalises on this model's vocabulary, one token per line:
 *     ID <tab> "PIECE" <tab> PHRASE <tab> GROUP
 * (the piece quoted, with \n, \t, \" and \\ escaped). Only the vocabulary is
 * read, so vocabulary-only GGUF files work too. */
#include "cli.h"
#include "gguf.h"
#include "phrases.h"
#include "tip.h"
#include "tokenizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PHRASES = OPT_CMD_BASE };

static void print_quoted(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '\n') fputs("\\n", stdout);
        else if (*s == '\t') fputs("\\t", stdout);
        else if (*s == '"') fputs("\\\"", stdout);
        else if (*s == '\\') fputs("\\\\", stdout);
        else putchar(*s);
    }
    putchar('"');
}

int cmd_tip(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS, {"phrases", required_argument, 0, OPT_PHRASES}, {0, 0, 0, 0}};
    static const char optstring[] = ":" CLI_COMMON_SHORT;
    cli_common c;
    cli_common_init(&c);
    c.takes = CLI_TIP_TAKES;
    const char *phrases = NULL;
    int opt;
    if (cli_help_asked(argc, argv, optstring, opts))
        return CLI_SHOW_HELP;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == OPT_PHRASES) { phrases = optarg; continue; }
        int r = cli_common_option(&c, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r == 0) return cli_option_error("tip", opts, opt, argv);
    }
    if (optind < argc)
        return cli_usage_error("tip", "unexpected argument '%s'", argv[optind]);
    if (!phrases)
        phrases = c.tip_phrases;
    char *path = cli_model_path(c.model);
    if (!path)
        return CLI_EXIT_INPUT;
    pd_gguf *g = NULL;
    pd_tokenizer *tok = NULL;
    pd_phrases *ph = NULL;
    pd_tipset *set = NULL;
    int rc = CLI_EXIT_OK;
    if (pd_gguf_open(path, &g) || pd_tokenizer_load(g, &tok) ||
        pd_phrases_load(phrases, &ph) || pd_tipset_build(ph, tok, &set)) {
        rc = cli_engine_error();
    } else {
        printf("# %d switch tokens from %s\n", set->n, ph->source);
        for (int i = 0; i < set->n; i++) {
            const pd_tip_entry *e = &set->v[i];
            printf("%d\t", (int)e->id);
            print_quoted(e->piece);
            printf("\t%s\t%s\n", e->phrase,
                   e->group == (PD_GROUP_SWITCH | PD_GROUP_REFLECT) ? "switch,reflect"
                                                                    : pd_group_name(e->group));
        }
    }
    if (rc == CLI_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        cli_error("cannot write the output: %s", strerror(errno ? errno : EIO));
        rc = CLI_EXIT_INPUT;
    }
    pd_tipset_free(set);
    pd_phrases_free(ph);
    pd_tokenizer_free(tok);
    pd_gguf_close(g);
    free(path);
    return rc;
}
