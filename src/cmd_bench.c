/* cmd_bench.c - `ponder bench` (stub). */
#include "cli.h"

int cmd_bench(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("bench: not implemented yet");
    return CLI_EXIT_USAGE;
}
