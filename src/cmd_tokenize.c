/* cmd_tokenize.c - `ponder tokenize` (stub). */
#include "cli.h"

int cmd_tokenize(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("tokenize: not implemented yet");
    return CLI_EXIT_USAGE;
}
