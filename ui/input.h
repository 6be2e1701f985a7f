/* input.h - the input line: GNU readline driven through its callback
 * interface, fed bytes by the TUI (see input.c). */
#ifndef PD_UI_INPUT_H
#define PD_UI_INPUT_H

#include "ui.h"

#define UI_INPUT_PROMPT "> "
#define UI_INPUT_CONT_PROMPT ". "

typedef struct ui_input_hooks {
    void *user;
    /* a complete input; false: not taken now, it stays in the input line */
    bool (*line)(void *user, const char *text);
    void (*eof)(void *user);                       /* Ctrl-D on an empty line */
    void (*redisplay)(void *user);                 /* the input changed */
    void (*message)(void *user, const char *msg);  /* e.g. completion matches */
    void (*error)(void *user, const char *msg);    /* a failure ($EDITOR), one line */
    void (*suspend)(void *user, bool leave);       /* leave/re-enter curses ($EDITOR) */
} ui_input_hooks;

void ui_input_init(const ui_input_hooks *hooks, const char *history_path);
void ui_input_finish(void);
/* Bytes typed by the user (UTF-8, escape sequences for editing keys); each
 * invalid UTF-8 byte becomes U+FFFD. */
void ui_input_feed(const char *bytes, size_t n);
/* Bytes held back are passed on now: a lone ESC (it may start a paste), the
 * start of a UTF-8 character (as U+FFFD). Returns whether any were held. */
bool ui_input_flush_held(void);
bool ui_input_holding(void);
bool ui_input_empty(void);
bool ui_input_is_command(void);
void ui_input_clear(void);
const char *ui_input_prompt(void);
const char *ui_input_buffer(void);
int ui_input_point(void);

#endif
