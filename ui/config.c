/* config.c - preferences: the config file $XDG_CONFIG_HOME/ponder/config
 * (key = value: model, theme, alpha, beta, temperature, layout, display),
 * the XDG paths, and whole-file reads and atomic writes used by /save. */
#include "ui.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const layout_names[] = {"side", "stacked"};
static const char *const display_names[] = {"full", "collapsed", "hidden"};

const char *ui_layout_name(ui_layout l) { return layout_names[l == UI_LAYOUT_STACKED]; }
const char *ui_display_name(ui_display d)
{
    return (unsigned)d <= UI_DISPLAY_HIDDEN ? display_names[d] : "full";
}

int ui_layout_parse(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(s, layout_names[i]) == 0)
            return i;
    return -1;
}

int ui_display_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, display_names[i]) == 0)
            return i;
    return -1;
}

void ui_prefs_default(ui_prefs *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->theme, sizeof p->theme, "default");
}

/* $VAR/ponder/NAME, or $HOME/FALLBACK/ponder/NAME */
static char *xdg_path(const char *var, const char *fallback, const char *name)
{
    const char *base = getenv(var);
    char buf[4096];
    if (base && base[0] == '/') {
        snprintf(buf, sizeof buf, "%s/ponder/%s", base, name);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return NULL;
        snprintf(buf, sizeof buf, "%s/%s/ponder/%s", home, fallback, name);
    }
    return strdup(buf);
}

char *ui_config_path(void) { return xdg_path("XDG_CONFIG_HOME", ".config", "config"); }
char *ui_history_path(void) { return xdg_path("XDG_STATE_HOME", ".local/state", "history"); }

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void warnf(void (*warn)(void *, const char *), void *u, int lineno, const char *what,
                  const char *detail)
{
    if (!warn)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "config line %d: %s '%.64s'", lineno, what, detail);
    warn(u, msg);
}

static bool set_pref(ui_prefs *p, const char *k, const char *v)
{
    char *end;
    errno = 0;
    if (strcmp(k, "model") == 0) {
        snprintf(p->model, sizeof p->model, "%s", v);
    } else if (strcmp(k, "theme") == 0) {
        if (!*v || strlen(v) >= sizeof p->theme || strchr(v, '/'))
            return false;
        snprintf(p->theme, sizeof p->theme, "%s", v);
    } else if (strcmp(k, "layout") == 0) {
        int l = ui_layout_parse(v);
        if (l < 0) return false;
        p->layout = (ui_layout)l;
    } else if (strcmp(k, "display") == 0) {
        int d = ui_display_parse(v);
        if (d < 0) return false;
        p->display = (ui_display)d;
    } else if (strcmp(k, "alpha") == 0) {
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d >= 0 && d <= 1e4)) return false;
        p->alpha = (float)d;
        p->have_alpha = true;
    } else if (strcmp(k, "beta") == 0) {
        long l = strtol(v, &end, 10);
        if (errno || end == v || *end || l < 0 || l > (1 << 24)) return false;
        p->beta = (int)l;
        p->have_beta = true;
    } else if (strcmp(k, "temperature") == 0) {
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d >= 0 && d <= 100)) return false;
        p->temperature = (float)d;
        p->have_temp = true;
    } else {
        return false;
    }
    return true;
}

void ui_prefs_parse(ui_prefs *p, const char *text,
                    void (*warn)(void *u, const char *msg), void *u)
{
    char *copy = strdup(text);
    if (!copy)
        return;
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            warnf(warn, u, lineno, "expected key = value, got", s);
            continue;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        if (!set_pref(p, k, v))
            warnf(warn, u, lineno, "unknown key or bad value for", k);
    }
    free(copy);
}

int ui_prefs_load(ui_prefs *p, const char *path,
                  void (*warn)(void *u, const char *msg), void *u)
{
    char *text = ui_read_file(path, 1 << 20, NULL);
    if (!text)
        return -1;
    ui_prefs_parse(p, text, warn, u);
    free(text);
    return 0;
}

const char *ui_read_error(int e)
{
    return e == EISDIR ? "is a directory" : e == EINVAL ? "not a regular file"
         : e == EFBIG ? "too large" : strerror(e);
}

char *ui_read_file(const char *path, size_t max, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;
    else if (!S_ISREG(st.st_mode))
        e = EINVAL;
    else if ((size_t)st.st_size > max)
        e = EFBIG;
    if (e) {
        close(fd);
        errno = e;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap > max) { free(buf); buf = NULL; errno = EFBIG; break; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) { free(buf); buf = NULL; break; }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (buf) {
        buf[len] = '\0';
        if (len_out)
            *len_out = len;
    }
    return buf;
}

int ui_mkdir_parent(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return -1;
    strcpy(buf, path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int ui_write_atomic(const char *path, const char *data, size_t len)
{
    /* the engine's safe save: temp beside the target, links followed */
    pd_outfile *o;
    if (pd_outfile_open(path, &o) != PD_OK)
        return -1;
    if (fwrite(data, 1, len, pd_outfile_stream(o)) != len) {
        int e = errno ? errno : EIO;
        pd_outfile_abort(o);
        errno = e;
        return -1;
    }
    if (pd_outfile_commit(o) != PD_OK) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int ui_config_set(const char *path, const char *key, const char *value)
{
    char *old = ui_read_file(path, 1 << 20, NULL);
    ui_buf out = {0};
    bool done = false;
    if (old) {
        char *save = NULL;
        for (char *line = strtok_r(old, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *s = line;
            while (isspace((unsigned char)*s))
                s++;
            size_t kl = strlen(key);
            char *after = s + kl;
            while (strncmp(s, key, kl) == 0 && (*after == ' ' || *after == '\t'))
                after++;
            if (strncmp(s, key, kl) == 0 && *after == '=') {
                if (!done)
                    ui_buf_printf(&out, "%s = %s\n", key, value);
                done = true;
                continue;
            }
            ui_buf_printf(&out, "%s\n", line);
        }
        free(old);
    } else {
        ui_buf_puts(&out, "# ponder settings (key = value); see man ponder\n");
    }
    if (!done)
        ui_buf_printf(&out, "%s = %s\n", key, value);
    int rc = -1;
    if (ui_mkdir_parent(path) == 0)
        rc = ui_write_atomic(path, ui_buf_str(&out), out.len);
    ui_buf_free(&out);
    return rc;
}

void ui_demo_hint(ui_buf *out, int n)
{
    char *path = pd_data_path("prompts/demo.txt");
    char *text = path ? ui_read_file(path, 1 << 20, NULL) : NULL;
    free(path);
    if (!text)
        return;
    int shown = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && shown < n;
         line = strtok_r(NULL, "\n", &save)) {
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        ui_buf_printf(out, "%-6s%s\n", shown ? "" : "try:", s);
        shown++;
    }
    free(text);
}
