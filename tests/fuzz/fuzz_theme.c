/* fuzz_theme.c - libFuzzer target for theme files (ui_theme_parse: themes/
 * *.theme, --theme NAME, a user's own): parse any text over the built-in
 * theme, then ask for every role's style at every colour depth and check that
 * what comes out is a colour curses can be given. Build and run with
 * `make fuzz-text` (clang). */
#include "theme.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_color(short c, int colors)
{
    if (c < -1 || c > 255 || (colors && colors < 256 && c >= colors))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);   /* the loader hands the parser a C string */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ui_theme t;
    ui_theme_builtin(&t);
    char err[200] = "";
    int bad = ui_theme_parse(&t, text, err, sizeof err);
    if (bad < 0 || (bad > 0 && !err[0]) || !memchr(t.name, 0, sizeof t.name))
        __builtin_trap();
    static const int depths[] = {0, 8, 16, 256};
    for (int r = 0; r < UI_ROLE_COUNT; r++)
        for (size_t d = 0; d < sizeof depths / sizeof *depths; d++) {
            ui_style s = ui_theme_style(&t, (ui_role)r, depths[d]);
            check_color(s.fg, depths[d]);
            check_color(s.bg, depths[d]);
            if (s.attrs & ~0x1fu)
                __builtin_trap();
        }
    free(text);
    return 0;
}
