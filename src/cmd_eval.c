/* cmd_eval.c - `ponder eval` (stub). */
#include "cli.h"

int cmd_eval(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("eval: not implemented yet");
    return CLI_EXIT_USAGE;
}
