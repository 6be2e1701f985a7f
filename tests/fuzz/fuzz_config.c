/* fuzz_config.c - libFuzzer target for the REPL's config file
 * (ui_prefs_parse: key = value lines): parse any text over the defaults and
 * check that every accepted value is within the range set_pref promises and
 * that every warning is one line. Build and run with `make fuzz-text` (clang). */
#include "ui.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_warn(void *u, const char *msg)
{
    (*(int *)u)++;
    if (strncmp(msg, "config line ", 12) != 0 || strchr(msg, '\n'))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);   /* ui_prefs_load hands the parser a C string */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    ui_prefs p;
    ui_prefs_default(&p);
    int warnings = 0;
    ui_prefs_parse(&p, text, on_warn, &warnings);
    if (!memchr(p.model, 0, sizeof p.model) || !memchr(p.theme, 0, sizeof p.theme) ||
        !p.theme[0] || strchr(p.theme, '/'))
        __builtin_trap();
    if ((p.have_alpha && !(p.alpha >= 0 && p.alpha <= 1e4f)) ||
        (p.have_beta && (p.beta < 0 || p.beta > (1 << 24))) ||
        (p.have_temp && !(p.temperature >= 0 && p.temperature <= 100)))
        __builtin_trap();
    if ((unsigned)p.layout > UI_LAYOUT_STACKED || (unsigned)p.display > UI_DISPLAY_HIDDEN)
        __builtin_trap();
    ui_prefs_parse(&p, text, NULL, NULL);   /* no warning callback: must not call it */
    free(text);
    return 0;
}
