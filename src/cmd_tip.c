/* cmd_tip.c - `ponder tip` (stub). */
#include "cli.h"

int cmd_tip(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("tip: not implemented yet");
    return CLI_EXIT_USAGE;
}
