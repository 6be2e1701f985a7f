/* cmd_run.c - `ponder run` (stub). */
#include "cli.h"

int cmd_run(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("run: not implemented yet");
    return CLI_EXIT_USAGE;
}
