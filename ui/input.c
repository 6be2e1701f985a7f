/* input.c - GNU readline inside the curses screen, through its callback
 * interface. Curses owns the terminal and the signals: readline never reads
 * the tty (bytes are fed to it from a queue by the TUI, after the TUI took
 * the keys it wants), never prepares the terminal and never draws (the TUI
 * draws the prompt and buffer in the input row). Bytes are checked as UTF-8
 * on the way in (each invalid one becomes U+FFFD, as plain mode does). Also:
 * persistent history, /command completion, multi-line input, bracketed paste,
 * $EDITOR, and a line the app cannot take yet kept in the input line. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { QCAP = 4096 };

static struct {
    unsigned char q[QCAP];       /* bytes waiting for readline */
    int head, n;
    ui_input_hooks hooks;
    char *history;               /* history file, NULL: none */
    ui_buf cont;                 /* lines joined by a trailing backslash */
    bool continuing;
    /* bracketed paste: "\e[200~" ... "\e[201~" */
    char match[8];
    int nmatch;
    bool pasting;
    ui_buf paste;
    ui_utf8_stream utf8;         /* bytes checked as UTF-8 on the way in */
    char *keep;                  /* a line not taken: back into the input */
    FILE *devnull;
} in;

static const char PASTE_BEGIN[] = "\033[200~", PASTE_END[] = "\033[201~";

static int q_getc(FILE *f)
{
    (void)f;
    if (in.n == 0)
        return EOF;   /* not reached: we only call readline with bytes queued */
    int c = in.q[in.head];
    in.head = (in.head + 1) % QCAP;
    in.n--;
    return c;
}

static int q_available(void) { return in.n > 0; }

static void noop_prep(int meta) { (void)meta; }
static void noop_deprep(void) {}

static void redisplay(void)
{
    if (in.hooks.redisplay)
        in.hooks.redisplay(in.hooks.user);
}

/* Add a sent line to the history and its file. */
static void remember(const char *text)
{
    if (!text[strspn(text, " \t\n")])
        return;
    add_history(text);
    if (in.history) {
        if (append_history(1, in.history) != 0)
            write_history(in.history);
        history_truncate_file(in.history, 2000);
    }
}

static void on_line(char *line)
{
    if (!line) {   /* EOF from readline (Ctrl-D on an empty line) */
        if (in.hooks.eof)
            in.hooks.eof(in.hooks.user);
        return;
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\\') {   /* continue on the next line */
        ui_buf_append(&in.cont, line, n - 1);
        ui_buf_puts(&in.cont, "\n");
        in.continuing = true;
        rl_set_prompt(UI_INPUT_CONT_PROMPT);
        free(line);
        return;
    }
    ui_buf_puts(&in.cont, line);
    free(line);
    char *text = in.cont.s ? in.cont.s : strdup("");
    memset(&in.cont, 0, sizeof in.cont);
    in.continuing = false;
    rl_set_prompt(UI_INPUT_PROMPT);
    if (in.hooks.line && !in.hooks.line(in.hooks.user, text)) {
        free(in.keep);
        in.keep = text;   /* readline clears its line after this: see run_queue */
        return;
    }
    remember(text);
    free(text);
}

/* Alt-Enter: a newline inside the input instead of sending it. */
static int insert_newline(int count, int key)
{
    (void)key;
    for (int i = 0; i < (count > 0 ? count : 1); i++)
        rl_insert_text("\n");
    return 0;
}

static void input_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void input_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (in.hooks.error)
        in.hooks.error(in.hooks.user, msg);
}

/* The editor that edit_in_editor's shell runs: ${VISUAL:-${EDITOR:-vi}}. */
static const char *editor_name(void)
{
    const char *v = getenv("VISUAL"), *e = getenv("EDITOR");
    return v && *v ? v : e && *e ? e : "vi";
}

/* Why the editor gave no text, or NULL when it ended well. */
static const char *editor_failure(pid_t pid, int status, char *buf, size_t size)
{
    if (pid < 0)
        return "cannot start a process";
    if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
    else if (!WIFEXITED(status))
        snprintf(buf, size, "did not end normally");
    else if (WEXITSTATUS(status) == 127)
        snprintf(buf, size, "cannot be run: not found");
    else if (WEXITSTATUS(status) == 126)
        snprintf(buf, size, "cannot be run: not executable");
    else if (WEXITSTATUS(status) != 0)
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else
        return NULL;
    return buf;
}

/* Ctrl-X Ctrl-E: compose the input in $VISUAL / $EDITOR. */
static int edit_in_editor(int count, int key)
{
    (void)count; (void)key;
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/ponder-input-XXXXXX.md", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemps(path, 3);
    if (fd < 0) {
        input_error("Ctrl-X Ctrl-E: cannot create %s: %s", path, strerror(errno));
        return 0;
    }
    size_t len = strlen(rl_line_buffer);
    if (write(fd, rl_line_buffer, len) != (ssize_t)len) {
        input_error("Ctrl-X Ctrl-E: cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    if (in.hooks.suspend)
        in.hooks.suspend(in.hooks.user, true);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh", path,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (in.hooks.suspend)
        in.hooks.suspend(in.hooks.user, false);
    char *text = ui_read_file(path, 1 << 20, &len);
    unlink(path);
    char why[64];
    const char *failed = editor_failure(pid, status, why, sizeof why);
    if (failed) {
        input_error("Ctrl-X Ctrl-E: the editor '%s' %s; the input is unchanged",
                    editor_name(), failed);
    } else if (!text) {
        input_error("Ctrl-X Ctrl-E: the edited text cannot be read back (at most 1 MiB)");
    } else {
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
        ui_buf clean = {0};   /* as typed: invalid UTF-8 becomes U+FFFD */
        ui_utf8_stream u = {0};
        ui_utf8_stream_feed(&u, text, len, &clean);
        ui_utf8_stream_flush(&u, &clean);
        rl_replace_line(ui_buf_str(&clean), 0);
        rl_point = rl_end;
        ui_buf_free(&clean);
    }
    free(text);
    redisplay();
    return 0;
}

static char *complete_gen(const char *text, int st)
{
    static int state;
    if (st == 0)
        state = 0;
    const char *m = ui_cmd_complete(text, &state);
    return m ? strdup(m) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;   /* no file-name completion */
    if (start != 0 || text[0] != '/')
        return NULL;
    return rl_completion_matches(text, complete_gen);
}

static void show_matches(char **matches, int n, int maxlen)
{
    (void)maxlen;
    ui_buf b = {0};
    for (int i = 1; i <= n; i++)
        ui_buf_printf(&b, "%s%s", i > 1 ? "  " : "", matches[i]);
    if (in.hooks.message)
        in.hooks.message(in.hooks.user, ui_buf_str(&b));
    ui_buf_free(&b);
    redisplay();
}

void ui_input_init(const ui_input_hooks *hooks, const char *history_path)
{
    memset(&in, 0, sizeof in);
    in.hooks = *hooks;
    rl_readline_name = "ponder";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_getc_function = q_getc;
    rl_input_available_hook = q_available;
    rl_redisplay_function = redisplay;
    rl_prep_term_function = noop_prep;
    rl_deprep_term_function = noop_deprep;
    in.devnull = fopen("/dev/null", "w");
    rl_instream = stdin;
    rl_outstream = in.devnull ? in.devnull : stderr;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    using_history();
    stifle_history(2000);
    history_comment_char = '#';     /* timestamps "#<time>" start each entry, */
    history_write_timestamps = 1;      /* which keeps multi-line entries whole */
    history_multiline_entries = 1;
    if (history_path) {
        in.history = strdup(history_path);
        if (ui_mkdir_parent(history_path) == 0)
            read_history(history_path);
    }
    rl_callback_handler_install(UI_INPUT_PROMPT, on_line);
    rl_variable_bind("enable-bracketed-paste", "off");  /* we take the paste ourselves */
    rl_variable_bind("bell-style", "none");
    rl_add_defun("ponder-newline", insert_newline, -1);
    rl_add_defun("ponder-edit-in-editor", edit_in_editor, -1);
    rl_bind_keyseq("\\e\\r", insert_newline);
    rl_bind_keyseq("\\e\\n", insert_newline);
    rl_bind_keyseq("\\C-x\\C-e", edit_in_editor);
}

void ui_input_finish(void)
{
    rl_callback_handler_remove();
    free(in.history);
    ui_buf_free(&in.cont);
    ui_buf_free(&in.paste);
    free(in.keep);
    in.keep = NULL;
    if (in.devnull)
        fclose(in.devnull);
    in.devnull = NULL;
    rl_outstream = stdout;
}

/* A line the app did not take goes back into the input, with the cursor at
 * its end (readline has cleared its line by now). */
static void restore_kept(void)
{
    if (!in.keep)
        return;
    rl_replace_line(in.keep, 0);
    rl_point = rl_end;
    free(in.keep);
    in.keep = NULL;
    redisplay();
}

static void run_queue(void)
{
    while (in.n > 0) {
        rl_callback_read_char();
        restore_kept();
    }
}

static void push_byte(unsigned char c)
{
    if (in.n == QCAP)
        run_queue();
    in.q[(in.head + in.n) % QCAP] = c;
    in.n++;
}

/* Paste: insert as text (newlines kept), never run as key bindings. */
static void paste_byte(unsigned char c)
{
    ui_buf_append(&in.paste, (const char *)&c, 1);
    size_t el = sizeof PASTE_END - 1;
    if (in.paste.len >= el && memcmp(in.paste.s + in.paste.len - el, PASTE_END, el) == 0) {
        in.paste.len -= el;
        in.paste.s[in.paste.len] = '\0';
        ui_buf clean = {0};
        for (size_t i = 0; i < in.paste.len; i++) {
            char ch = in.paste.s[i];
            if (ch == '\r')
                ch = (i + 1 < in.paste.len && in.paste.s[i + 1] == '\n') ? 0 : '\n';
            if (ch)
                ui_buf_append(&clean, &ch, 1);
        }
        run_queue();
        if (clean.len)
            rl_insert_text(clean.s);
        ui_buf_free(&clean);
        ui_buf_free(&in.paste);
        in.pasting = false;
        redisplay();
    }
}

/* Bytes checked as UTF-8: a paste, or keys for readline. */
static void take_bytes(const char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (in.pasting) {
            paste_byte(c);
            continue;
        }
        in.match[in.nmatch++] = (char)c;
        if (memcmp(in.match, PASTE_BEGIN, (size_t)in.nmatch) == 0) {
            if (in.nmatch == (int)sizeof PASTE_BEGIN - 1) {
                in.pasting = true;
                in.nmatch = 0;
            }
            continue;
        }
        for (int k = 0; k < in.nmatch; k++)
            push_byte((unsigned char)in.match[k]);
        in.nmatch = 0;
    }
    if (in.nmatch == 0 || in.nmatch > 1)
        run_queue();   /* a lone ESC waits for the byte after it */
}

void ui_input_feed(const char *bytes, size_t n)
{
    ui_buf clean = {0};
    ui_utf8_stream_feed(&in.utf8, bytes, n, &clean);
    take_bytes(clean.s, clean.len);
    ui_buf_free(&clean);
}

bool ui_input_flush_held(void)
{
    ui_buf clean = {0};
    bool held = ui_utf8_stream_flush(&in.utf8, &clean) || in.nmatch > 0;
    take_bytes(clean.s, clean.len);
    ui_buf_free(&clean);
    if (in.nmatch > 0) {
        for (int k = 0; k < in.nmatch; k++)
            push_byte((unsigned char)in.match[k]);
        in.nmatch = 0;
        run_queue();
    }
    return held;
}

bool ui_input_holding(void) { return in.nmatch > 0 || in.utf8.n > 0; }

bool ui_input_empty(void) { return rl_end == 0 && !in.continuing; }
bool ui_input_is_command(void) { return rl_line_buffer && rl_line_buffer[0] == '/'; }

void ui_input_clear(void)
{
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_point = rl_end = 0;
    rl_done = 0;
    ui_buf_free(&in.cont);
    in.continuing = false;
    in.utf8.n = 0;
    rl_set_prompt(UI_INPUT_PROMPT);
    rl_callback_handler_remove();
    rl_callback_handler_install(UI_INPUT_PROMPT, on_line);
    redisplay();
}

const char *ui_input_prompt(void) { return rl_display_prompt ? rl_display_prompt : ""; }
const char *ui_input_buffer(void) { return rl_line_buffer ? rl_line_buffer : ""; }
int ui_input_point(void) { return rl_point; }
