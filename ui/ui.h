/* ui.h - the REPL front end (ui/): shared types of the transcript, the
 * wrapped-line renderer, the status line, commands, config and the app state
 * shared by the curses TUI (tui.c) and the line-oriented plain mode (plain.c).
 * Everything here talks to the engine only through src/ponder.h. */
#ifndef PD_UI_UI_H
#define PD_UI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "ponder.h"
#include "cli.h"

/* ------------------------------------------------------------------------
 * Growable byte buffer
 * ------------------------------------------------------------------------ */
typedef struct ui_buf {
    char *s;          /* NUL-terminated, never NULL after the first append */
    size_t len, cap;
} ui_buf;

void ui_buf_append(ui_buf *b, const char *s, size_t n);
void ui_buf_puts(ui_buf *b, const char *s);
void ui_buf_printf(ui_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_buf_free(ui_buf *b);
const char *ui_buf_str(const ui_buf *b); /* "" when empty */

/* "1,804" */
void ui_fmt_count(char *out, size_t size, long long v);
/* Copy untrusted text into b: control characters become spaces (tab: four),
 * invalid UTF-8 becomes U+FFFD, newlines stay. */
void ui_sanitize_append(ui_buf *b, const char *s, size_t n);

/* ------------------------------------------------------------------------
 * Semantic colour roles (themes map them to colours, see theme.h). In the
 * rendered text a role switch is the byte UI_MARK followed by '0' + role.
 * ------------------------------------------------------------------------ */
#define UI_ROLE_LIST(X) \
    X(UI_ROLE_PANE, "pane") X(UI_ROLE_HEADER, "header") X(UI_ROLE_TRIGGER, "trigger") \
    X(UI_ROLE_SUPPRESSED, "suppressed") X(UI_ROLE_STATUS, "status") \
    X(UI_ROLE_INPUT, "input") X(UI_ROLE_THINK, "think") X(UI_ROLE_ANSWER, "answer") \
    X(UI_ROLE_BORDER, "border") X(UI_ROLE_NOTE, "note") X(UI_ROLE_PROMPT, "prompt") \
    X(UI_ROLE_FOCUS, "focus") X(UI_ROLE_ERROR, "error")
typedef enum {
#define UI_X_ENUM(e, n) e,
    UI_ROLE_LIST(UI_X_ENUM)
#undef UI_X_ENUM
    UI_ROLE_COUNT
} ui_role;
const char *ui_role_name(ui_role r);
int ui_role_find(const char *name); /* -1 if unknown */

#define UI_MARK '\x01'
/* Append a role switch to b. */
void ui_buf_role(ui_buf *b, ui_role r);

/* Glyphs: Unicode when the locale is UTF-8, ASCII otherwise. */
typedef struct ui_glyphs {
    const char *dot, *hline, *vline, *prompt, *more, *stop, *supp, *fold, *bar, *newline, *ell;
} ui_glyphs;
extern ui_glyphs ui_g;
void ui_glyphs_init(bool utf8);

/* ------------------------------------------------------------------------
 * Text wrapping (wrap.c): UTF-8 with role marks into lines of at most
 * `width` columns (wcwidth), breaking at spaces where possible.
 * ------------------------------------------------------------------------ */
typedef struct ui_line {
    char *s;          /* UTF-8 with role marks; starts with the active role */
} ui_line;

typedef struct ui_lines {
    ui_line *v;
    int n, cap;
} ui_lines;

void ui_lines_clear(ui_lines *l);
void ui_lines_free(ui_lines *l);
/* Wrap text (which may contain '\n') starting in role `role`; appends lines. */
void ui_wrap(ui_lines *out, const char *text, int width, ui_role role);
/* Text cut at the first newline and to at most width columns, with an
 * ellipsis when cut (malloc'd). */
char *ui_fit(const char *s, int width);
/* Display width of UTF-8 text, marks ignored. */
int ui_text_width(const char *s);
/* Decode one UTF-8 character at s (n bytes left): returns bytes used (>= 1),
 * *wc = U+FFFD for invalid input. */
int ui_utf8_decode(const char *s, size_t n, unsigned *wc);
int ui_wcwidth(unsigned wc);

/* Incremental UTF-8 checking of bytes that arrive in pieces (typed keys, a
 * paste): whole characters and ASCII (controls too) pass unchanged, every
 * byte that cannot start or continue a character becomes U+FFFD, exactly as
 * ui_sanitize_append replaces it, and an incomplete character waits for
 * the bytes of the next feed. */
typedef struct ui_utf8_stream {
    unsigned char held[4];   /* the start of an incomplete character */
    int n;
} ui_utf8_stream;
void ui_utf8_stream_feed(ui_utf8_stream *u, const char *s, size_t n, ui_buf *out);
/* No more bytes are coming now: each held byte becomes U+FFFD. Returns
 * whether any was held. */
bool ui_utf8_stream_flush(ui_utf8_stream *u, ui_buf *out);

/* ------------------------------------------------------------------------
 * Transcript (transcript.c): what the engine said, turn by turn, built from
 * events; panes render from it, /save writes it.
 * ------------------------------------------------------------------------ */
typedef struct ui_thought {
    int index, position, group;
    char *trigger;       /* "" for #0 */
    ui_buf text;         /* think text; suppressed markers inline as role marks */
    int n_events;        /* THINK events seen: its length where positions are
                            missing (files from other writers) */
    int n_suppressed;
} ui_thought;

/* One item of the turn's event log, kept for the .jsonl transcript. */
typedef struct ui_logev {
    pd_event_type type;
    char *text;          /* THINK/ANSWER text, THOUGHT trigger, SUPPRESSED piece */
    int index, position, group, token;
    pd_stats stats;
    pd_done_reason reason;
} ui_logev;

typedef enum { UI_FOLD_DEFAULT = 0, UI_FOLD_COLLAPSED, UI_FOLD_EXPANDED } ui_fold;

typedef struct ui_turn {
    char *prompt;
    ui_thought *th;
    int n_th, cap_th;
    ui_buf answer;
    pd_stats stats;
    bool have_stats, done;
    pd_done_reason reason;
    char *error;
    ui_fold fold;
    char label[32];      /* "A · TIP off" for /ab, else "" */
    bool tip_on;         /* params at the start of the turn */
    float alpha, temperature;
    int beta;
    unsigned long long seed;
    ui_logev *log;
    int n_log, cap_log;
    int think_end;        /* one past the position of the last THINK event */
    struct ui_turn *ab_a; /* B of an /ab: the A turn it was compared with */
    unsigned long stamp;  /* new value on every change (panes cache by it) */
} ui_turn;

typedef enum { UI_ENTRY_TURN, UI_ENTRY_NOTE } ui_entry_kind;

typedef struct ui_entry {
    ui_entry_kind kind;
    ui_turn *turn;       /* UI_ENTRY_TURN */
    char *note;          /* UI_ENTRY_NOTE: text, may have several lines */
    ui_role note_role;
    unsigned long stamp; /* of a note; a turn has its own */
} ui_entry;

typedef struct ui_transcript {
    ui_entry *v;
    int n, cap;
    unsigned version;    /* bumped on every change (redraw trigger) */
} ui_transcript;

void ui_transcript_free(ui_transcript *t);
ui_turn *ui_transcript_begin_turn(ui_transcript *t, const char *prompt, const pd_params *p);
void ui_transcript_note(ui_transcript *t, ui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Move every entry of src to the end of dst; src is left empty. */
void ui_transcript_take(ui_transcript *dst, ui_transcript *src);
/* Apply one engine event to turn (the last turn in t when turn is NULL). */
void ui_turn_event(ui_transcript *t, ui_turn *turn, const pd_event *ev);
ui_turn *ui_transcript_last_turn(const ui_transcript *t);
/* The turn changed outside ui_turn_event (fold, label): redraw it. */
void ui_transcript_touch(ui_transcript *t, ui_turn *turn);
/* The stamp of entry e: changes whenever what it shows changes. */
unsigned long ui_entry_stamp(const ui_entry *e);
/* Tokens of thought i: from its position to the next thought's, the last one
 * to the end of the thinking (so the thoughts add up to the think tokens). */
int ui_thought_tokens(const ui_turn *turn, int i);
/* Tokens generated inside <think>: the engine's count once the turn is done. */
int ui_turn_think_tokens(const ui_turn *turn);
int ui_turn_suppressed(const ui_turn *turn);
/* "#3 · 142 tok · \"Alternatively\"" (the block header on screen and in .md) */
void ui_thought_header(const ui_turn *turn, int i, char *out, size_t size);
/* "12 thoughts · 1,804 tok · 3 suppressed" */
void ui_turn_summary(const ui_turn *turn, char *out, size_t size);
/* The statistics table of an /ab: A (TIP off) and B (TIP on) side by side,
 * rows separated by newlines, no newline at the end. */
void ui_ab_table(const ui_turn *a, const ui_turn *b, ui_buf *out);
/* Transcript files: .md (thoughts marked) or .jsonl (events), told apart by
 * the name's ending (any case); other names are refused. */
typedef enum { UI_FILE_OTHER = 0, UI_FILE_MD, UI_FILE_JSONL } ui_file_kind;
ui_file_kind ui_transcript_kind(const char *path);
/* Written to a temporary file and renamed, so a failure never leaves a
 * partial file. Return 0, or -1 with a message in err. */
int ui_transcript_save(const ui_transcript *t, const char *path, char *err, size_t errsz);
/* Appends the file's turns to t, or on any bad line nothing at all. */
int ui_transcript_load_jsonl(ui_transcript *t, const char *path, char *err, size_t errsz);

/* ------------------------------------------------------------------------
 * Status line (status.c)
 * ------------------------------------------------------------------------ */
typedef struct ui_status_info {
    const char *model, *backend;   /* NULL: no model */
    const pd_params *params;
    const pd_stats *stats;         /* NULL: none yet */
    bool busy;
    const char *focus;             /* "think" / "answer" */
    bool stopping;                 /* Ctrl-C asked: until the generation ends */
} ui_status_info;
/* One line of at most `width` columns (less important fields dropped first). */
void ui_status_format(const ui_status_info *si, int width, char *out, size_t size);

/* ------------------------------------------------------------------------
 * Commands (commands.c): parsing is pure; the app executes them.
 * ------------------------------------------------------------------------ */
/* The themes installed with ponder (themes/NAME.theme), for messages. */
#define UI_THEMES_SHIPPED "default, light, high-contrast, mono"

#define UI_CMD_LIST(X) \
    X(HELP, "help", "", "this list") \
    X(TIP, "tip", "on|off", "thought-switching penalty") \
    X(ALPHA, "alpha", "X", "TIP strength (logit penalty)") \
    X(BETA, "beta", "N", "TIP window in tokens") \
    X(PHRASES, "phrases", "FILE", "phrase set for TIP and thought splitting") \
    X(BUDGET, "budget", "N", "force </think> after N thinking tokens (0 off)") \
    X(NOWAIT, "nowait", "on|off", "suppress reflection words (Wait, Hmm)") \
    X(TEMP, "temp", "T", "sampling temperature (0 = greedy)") \
    X(TOPP, "top-p", "P", "nucleus sampling (1 = off)") \
    X(TOPK, "top-k", "K", "top-k sampling (0 = off)") \
    X(MINP, "min-p", "P", "min-p sampling (0 = off)") \
    X(SEED, "seed", "N", "random seed") \
    X(MAX, "max", "N", "tokens to generate per turn") \
    X(SYSTEM, "system", "TEXT", "system prompt (empty: none)") \
    X(TEMPLATE, "template", "NAME", "chat template (deepseek-r1, qwen3, r1-zero, chatml)") \
    X(CLEAR, "clear", "", "new conversation") \
    X(RETRY, "retry", "", "regenerate the last turn") \
    X(AB, "ab", "", "last prompt again with TIP off and on, same seed") \
    X(SAVE, "save", "FILE", "transcript: FILE.md or FILE.jsonl") \
    X(LOAD, "load", "FILE", "view a .jsonl transcript, or send a file as the prompt") \
    X(MODEL, "model", "PATH", "open another model (a new conversation)") \
    X(THEME, "theme", "NAME", "colour theme (" UI_THEMES_SHIPPED ")") \
    X(LAYOUT, "layout", "side|stacked", "pane arrangement (F7)") \
    X(DISPLAY, "display", "full|collapsed|hidden", "how finished thinking is shown (F9)") \
    X(EXPAND, "expand", "[N]", "show turn N's thoughts (default: last)") \
    X(COLLAPSE, "collapse", "[N]", "fold turn N's thoughts to one line") \
    X(ZOOM, "zoom", "", "focused pane full screen (F8)") \
    X(STATS, "stats", "", "per-thought lengths of the last answer") \
    X(QUIT, "quit", "", "leave (also Ctrl-D)")

typedef enum {
    UI_CMD_NONE = 0,
#define UI_X_CMD(id, name, args, help) UI_CMD_##id,
    UI_CMD_LIST(UI_X_CMD)
#undef UI_X_CMD
    UI_CMD_COUNT
} ui_cmd_id;

typedef struct ui_cmd {
    ui_cmd_id id;
    char arg[1024];      /* the argument text, trimmed ("" when none) */
    double num;          /* numeric argument when the command takes one */
    bool on;             /* on|off argument */
} ui_cmd;

/* Parse one input line that starts with '/'. Returns 0, or -1 with a one-line
 * message in err (unknown command, bad argument). */
int ui_cmd_parse(const char *line, ui_cmd *out, char *err, size_t errsz);
const char *ui_cmd_name(ui_cmd_id id);
/* Command names for completion: i-th name with the '/' or NULL past the end. */
const char *ui_cmd_complete(const char *prefix, int *state);
/* Multi-line help text. */
void ui_cmd_help(ui_buf *out);
/* Apply a parameter command to p. Returns true when the command was one
 * (message in msg), false otherwise. String arguments are copied into
 * `strings` (two slots: system, template) which p then points into. */
bool ui_cmd_apply_params(const ui_cmd *c, pd_params *p, char *strings[2],
                         char *msg, size_t msgsz);

/* ------------------------------------------------------------------------
 * Preferences and the config file (config.c)
 * ------------------------------------------------------------------------ */
typedef enum { UI_LAYOUT_SIDE = 0, UI_LAYOUT_STACKED } ui_layout;
typedef enum { UI_DISPLAY_FULL = 0, UI_DISPLAY_COLLAPSED, UI_DISPLAY_HIDDEN } ui_display;

typedef struct ui_prefs {
    char model[1024];
    char theme[64];
    ui_layout layout;
    ui_display display;
    bool have_alpha, have_beta, have_temp;
    float alpha, temperature;
    int beta;
} ui_prefs;

const char *ui_layout_name(ui_layout l);
const char *ui_display_name(ui_display d);
int ui_layout_parse(const char *s);   /* -1 if bad */
int ui_display_parse(const char *s);  /* -1 if bad */

void ui_prefs_default(ui_prefs *p);
/* $XDG_CONFIG_HOME/ponder/config (malloc'd) and $XDG_STATE_HOME/ponder/history. */
char *ui_config_path(void);
char *ui_history_path(void);
/* Parse config text; bad lines are reported through warn (may be NULL). */
void ui_prefs_parse(ui_prefs *p, const char *text,
                    void (*warn)(void *u, const char *msg), void *u);
int ui_prefs_load(ui_prefs *p, const char *path,
                  void (*warn)(void *u, const char *msg), void *u);
/* Set key = value in the config file, keeping its other lines; atomic. */
int ui_config_set(const char *path, const char *key, const char *value);
/* Write `data` to path through a temporary file + rename; 0 or -1 (errno). */
int ui_write_atomic(const char *path, const char *data, size_t len);
/* mkdir -p of the directory part of path. */
int ui_mkdir_parent(const char *path);

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */
int ui_tui_run(cli_common *c, const ui_prefs *prefs, bool model_given);
int ui_plain_run(cli_common *c, const ui_prefs *prefs);
/* Read a whole (small) file; malloc'd NUL-terminated, NULL on error with
 * errno set (EISDIR: a directory, EINVAL: not a regular file, EFBIG: over max). */
char *ui_read_file(const char *path, size_t max, size_t *len_out);
/* Why ui_read_file failed, from its errno: "is a directory", "too large", ... */
const char *ui_read_error(int e);
/* First n example prompts of share/ponder/prompts/demo.txt into out. */
void ui_demo_hint(ui_buf *out, int n);

#endif
