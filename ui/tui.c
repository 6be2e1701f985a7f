/* tui.c - the ncurses REPL (stub). */
#include "cli.h"

int ui_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    cli_error("the REPL is not implemented yet");
    return CLI_EXIT_USAGE;
}
