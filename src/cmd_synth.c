/* cmd_synth.c - `ponder synth` (stub). */
#include "cli.h"

int cmd_synth(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("synth: not implemented yet");
    return CLI_EXIT_USAGE;
}
