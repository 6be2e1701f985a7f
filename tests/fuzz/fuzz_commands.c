/* fuzz_commands.c - libFuzzer target for the REPL's command lines (typed, or
 * read from stdin by the plain front end): ui_cmd_parse on any line after
 * '/', then ui_cmd_apply_params on what it accepts. A refusal is a one-line
 * message; an accepted command is a known one with a terminated argument.
 * Build and run with `make fuzz-text` (clang). */
#include "ui.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *line = malloc(size + 2);
    if (!line)
        return 0;
    line[0] = '/';                  /* the REPL only parses lines that start with '/' */
    memcpy(line + 1, data, size);
    line[size + 1] = 0;
    ui_cmd c;
    char err[256] = "", msg[512];
    if (ui_cmd_parse(line, &c, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n'))
            __builtin_trap();
    } else {
        if (c.id <= UI_CMD_NONE || c.id >= UI_CMD_COUNT || !memchr(c.arg, 0, sizeof c.arg) ||
            !ui_cmd_name(c.id))
            __builtin_trap();
        pd_params p;
        pd_params_default(&p);
        char *strings[2] = {NULL, NULL};
        if (ui_cmd_apply_params(&c, &p, strings, msg, sizeof msg) && !memchr(msg, 0, sizeof msg))
            __builtin_trap();
        free(strings[0]);
        free(strings[1]);
    }
    free(line);
    return 0;
}
