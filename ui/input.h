/* input.h - the input line: GNU readline driven through its callback
 * interface, fed bytes by the TUI (see input.c). */
#ifndef PD_UI_INPUT_H
#define PD_UI_INPUT_H

#include "ui.h"

#define UI_INPUT_PROMPT "> "
#define UI_INPUT_CONT_PROMPT ". "

typedef struct ui_input_hooks {
    void *user;
    void (*line)(void *user, const char *text);   /* a complete input */
    void (*eof)(void *user);                       /* Ctrl-D on an empty line */
    void (*redisplay)(void *user);                 /* the input changed */
    void (*message)(void *user, const char *msg);  /* e.g. completion matches */
    void (*suspend)(void *user, bool leave);       /* leave/re-enter curses ($EDITOR) */
} ui_input_hooks;

void ui_input_init(const ui_input_hooks *hooks, const char *history_path);
void ui_input_finish(void);
/* Bytes typed by the user (UTF-8, escape sequences for editing keys). */
void ui_input_feed(const char *bytes, size_t n);
/* A lone ESC held back (it may start a paste) is passed on now. */
bool ui_input_flush_escape(void);
bool ui_input_escape_pending(void);
bool ui_input_empty(void);
bool ui_input_is_command(void);
void ui_input_clear(void);
const char *ui_input_prompt(void);
const char *ui_input_buffer(void);
int ui_input_point(void);

#endif
