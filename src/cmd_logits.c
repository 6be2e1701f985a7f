/* cmd_logits.c - `ponder logits` (stub). */
#include "cli.h"

int cmd_logits(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("logits: not implemented yet");
    return CLI_EXIT_USAGE;
}
