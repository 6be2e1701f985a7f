/* fake_main.c - the REPL on the scripted fake engine (fake_engine.c), for the
 * TUI tests that must run without a model. */
#include "cli.h"

int main(int argc, char **argv)
{
    return ui_main(argc, argv);
}
