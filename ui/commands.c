/* commands.c - the /commands of the REPL: one table (UI_CMD_LIST in ui.h),
 * a pure parser that checks every argument and answers bad input with one
 * line, completion of command names, and the commands that only change
 * generation parameters. The app (app.c) carries out the rest. */
#include "ui.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cmd_def {
    const char *name, *args, *help;
} cmd_def;

static const cmd_def defs[UI_CMD_COUNT] = {
    [UI_CMD_NONE] = {"", "", ""},
#define UI_X_DEF(id, name, args, help) [UI_CMD_##id] = {name, args, help},
    UI_CMD_LIST(UI_X_DEF)
#undef UI_X_DEF
};

/* What a command's argument must be. */
typedef enum { ARG_NONE, ARG_ONOFF, ARG_FLOAT, ARG_INT, ARG_U64, ARG_TEXT, ARG_PATH,
               ARG_NAME, ARG_OPT_WORD, ARG_OPT_INT } arg_kind;

typedef struct arg_spec {
    arg_kind kind;
    double lo, hi;
} arg_spec;

static arg_spec spec_of(ui_cmd_id id)
{
    switch (id) {
    case UI_CMD_TIP: case UI_CMD_NOWAIT: return (arg_spec){ARG_ONOFF, 0, 0};
    case UI_CMD_ALPHA: return (arg_spec){ARG_FLOAT, 0, 1e4};
    case UI_CMD_BETA: return (arg_spec){ARG_INT, 0, 1 << 24};
    case UI_CMD_BUDGET: return (arg_spec){ARG_INT, 0, 1 << 24};
    case UI_CMD_TEMP: return (arg_spec){ARG_FLOAT, 0, 100};
    case UI_CMD_TOPP: return (arg_spec){ARG_FLOAT, 0, 1};
    case UI_CMD_TOPK: return (arg_spec){ARG_INT, 0, 1 << 30};
    case UI_CMD_MINP: return (arg_spec){ARG_FLOAT, 0, 1};
    case UI_CMD_SEED: return (arg_spec){ARG_U64, 0, 0};
    case UI_CMD_MAX: return (arg_spec){ARG_INT, 1, 1 << 24};
    case UI_CMD_SYSTEM: return (arg_spec){ARG_TEXT, 0, 0};
    case UI_CMD_PHRASES: case UI_CMD_SAVE: case UI_CMD_LOAD: case UI_CMD_MODEL:
        return (arg_spec){ARG_PATH, 0, 0};
    case UI_CMD_TEMPLATE: case UI_CMD_THEME: return (arg_spec){ARG_NAME, 0, 0};
    case UI_CMD_LAYOUT: case UI_CMD_DISPLAY: return (arg_spec){ARG_OPT_WORD, 0, 0};
    case UI_CMD_EXPAND: case UI_CMD_COLLAPSE: return (arg_spec){ARG_OPT_INT, 1, 1 << 30};
    default: return (arg_spec){ARG_NONE, 0, 0};
    }
}

const char *ui_cmd_name(ui_cmd_id id)
{
    return (unsigned)id < UI_CMD_COUNT ? defs[id].name : "?";
}

static ui_cmd_id find(const char *name, size_t n, bool *ambiguous)
{
    ui_cmd_id hit = UI_CMD_NONE;
    int hits = 0;
    *ambiguous = false;
    for (int i = 1; i < UI_CMD_COUNT; i++) {
        if (strlen(defs[i].name) == n && strncmp(defs[i].name, name, n) == 0)
            return (ui_cmd_id)i;
        if (strncmp(defs[i].name, name, n) == 0) {
            hit = (ui_cmd_id)i;
            hits++;
        }
    }
    *ambiguous = hits > 1;
    return hits == 1 ? hit : UI_CMD_NONE;
}

static const char *const templates[] = {"deepseek-r1", "qwen3", "r1-zero", "chatml", "auto"};

/* The first n bytes of s (at most 40) for a one-line message: control
 * bytes (a newline of a multi-line input, a CR, ESC) shown as '?'. */
static const char *shown(const char *s, size_t n, char out[41])
{
    size_t k = 0;
    for (; k < n && s[k] && k < 40; k++)
        out[k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
    out[k] = '\0';
    return out;
}

static int usage(char *err, size_t errsz, ui_cmd_id id, const char *why)
{
    snprintf(err, errsz, "/%s: %s (usage: /%s %s)", defs[id].name, why, defs[id].name,
             defs[id].args);
    return -1;
}

static int check_arg(ui_cmd *c, char *err, size_t errsz)
{
    arg_spec sp = spec_of(c->id);
    const char *a = c->arg;
    char *end;
    switch (sp.kind) {
    case ARG_NONE:
        return *a ? usage(err, errsz, c->id, "takes no argument") : 0;
    case ARG_ONOFF:
        if (strcmp(a, "on") == 0) c->on = true;
        else if (strcmp(a, "off") == 0) c->on = false;
        else return usage(err, errsz, c->id, *a ? "expected on or off" : "missing on|off");
        return 0;
    case ARG_FLOAT: case ARG_INT: {
        if (!*a)
            return usage(err, errsz, c->id, "missing value");
        errno = 0;
        double v = sp.kind == ARG_INT ? (double)strtoll(a, &end, 10) : strtod(a, &end);
        if (errno || end == a || *end || !isfinite(v) || v < sp.lo || v > sp.hi) {
            char why[128], as[41];
            shown(a, 32, as);
            if (sp.kind == ARG_INT)   /* %g would print 1 << 24 as 1.67772e+07 */
                snprintf(why, sizeof why, "'%s' is not a whole number from %lld to %lld", as,
                         (long long)sp.lo, (long long)sp.hi);
            else
                snprintf(why, sizeof why, "'%s' is not a number from %g to %g", as, sp.lo, sp.hi);
            return usage(err, errsz, c->id, why);
        }
        c->num = v;
        return 0;
    }
    case ARG_U64:
        errno = 0;
        if (!*a || a[0] == '-' || (strtoull(a, &end, 10), errno) || *end)
            return usage(err, errsz, c->id, "expected a non-negative whole number");
        return 0;
    case ARG_TEXT:
        return 0;
    case ARG_PATH:
        return *a ? 0 : usage(err, errsz, c->id, "missing file name");
    case ARG_NAME:
        if (!*a)
            return usage(err, errsz, c->id, "missing name");
        for (const char *p = a; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
                return usage(err, errsz, c->id, "a name is letters, digits, '-', '_'");
        if (a[0] == '.')
            return usage(err, errsz, c->id, "a name is letters, digits, '-', '_'");
        if (c->id == UI_CMD_TEMPLATE) {
            for (size_t i = 0; i < sizeof templates / sizeof *templates; i++)
                if (strcmp(a, templates[i]) == 0)
                    return 0;
            return usage(err, errsz, c->id, "not one of deepseek-r1, qwen3, r1-zero, chatml, auto");
        }
        return 0;
    case ARG_OPT_WORD:
        if (!*a)
            return 0;
        if (c->id == UI_CMD_LAYOUT && ui_layout_parse(a) < 0)
            return usage(err, errsz, c->id, "expected side or stacked");
        if (c->id == UI_CMD_DISPLAY && ui_display_parse(a) < 0)
            return usage(err, errsz, c->id, "expected full, collapsed or hidden");
        return 0;
    case ARG_OPT_INT:
        if (!*a) {
            c->num = 0;
            return 0;
        }
        errno = 0;
        long long v = strtoll(a, &end, 10);
        if (errno || end == a || *end || v < sp.lo || v > sp.hi)
            return usage(err, errsz, c->id, "expected a turn number");
        c->num = (double)v;
        return 0;
    }
    return 0;
}

int ui_cmd_parse(const char *line, ui_cmd *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '/') {
        snprintf(err, errsz, "not a command");
        return -1;
    }
    const char *name = ++line;
    size_t n = 0;
    while (name[n] && !isspace((unsigned char)name[n]))   /* '\r' of a CRLF script too */
        n++;
    if (n == 0) {
        snprintf(err, errsz, "type /help for the list of commands");
        return -1;
    }
    bool amb;
    out->id = find(name, n, &amb);
    if (out->id == UI_CMD_NONE) {
        char ns[41];
        snprintf(err, errsz, "%s command '/%s' (type /help)", amb ? "ambiguous" : "unknown",
                 shown(name, n, ns));
        return -1;
    }
    const char *a = name + n;
    while (*a == ' ' || *a == '\t')
        a++;
    size_t al = strlen(a);
    while (al && (a[al - 1] == ' ' || a[al - 1] == '\t' || a[al - 1] == '\n' || a[al - 1] == '\r'))
        al--;
    if (al >= sizeof out->arg) {
        snprintf(err, errsz, "/%s: argument too long", defs[out->id].name);
        return -1;
    }
    memcpy(out->arg, a, al);
    out->arg[al] = '\0';
    return check_arg(out, err, errsz);
}

const char *ui_cmd_complete(const char *prefix, int *state)
{
    static char buf[64];
    const char *p = prefix[0] == '/' ? prefix + 1 : prefix;
    while (++*state < UI_CMD_COUNT) {
        if (strncmp(defs[*state].name, p, strlen(p)) == 0) {
            snprintf(buf, sizeof buf, "/%s", defs[*state].name);
            return buf;
        }
    }
    return NULL;
}

void ui_cmd_help(ui_buf *out)
{
    ui_buf_puts(out, "commands:\n");
    for (int i = 1; i < UI_CMD_COUNT; i++) {
        char left[48];
        snprintf(left, sizeof left, "/%s %s", defs[i].name, defs[i].args);
        ui_buf_printf(out, "  %-24s %s\n", left, defs[i].help);
    }
    /* the keys of man/ponder.1's "Keys" (tests/tui/man.sh compares them) */
    ui_buf_puts(out,
        "keys: Ctrl-C stop  Ctrl-D quit  F1 help  F2 TIP on/off  F3/F4 alpha -/+\n"
        "      F5/F6 beta -/+  F7 layout  F8 zoom  F9 display  Tab focus  Ctrl-L redraw\n"
        "      PgUp/PgDn scroll  Home/End pane top/end  Ctrl-Z suspend\n"
        "      Ctrl-R history search  Alt-Enter newline  Ctrl-X Ctrl-E edit in $EDITOR");
}

bool ui_cmd_apply_params(const ui_cmd *c, pd_params *p, char *strings[2],
                         char *msg, size_t msgsz)
{
    switch (c->id) {
    case UI_CMD_TIP:
        p->tip_on = c->on;
        snprintf(msg, msgsz, "TIP %s", c->on ? "on" : "off");
        return true;
    case UI_CMD_NOWAIT:
        p->no_wait = c->on;
        snprintf(msg, msgsz, "no-wait %s", c->on ? "on" : "off");
        return true;
    case UI_CMD_ALPHA:
        p->tip_alpha = (float)c->num;
        snprintf(msg, msgsz, "TIP alpha %g", (double)p->tip_alpha);
        return true;
    case UI_CMD_BETA:
        p->tip_beta = (int)c->num;
        snprintf(msg, msgsz, "TIP beta %d tokens", p->tip_beta);
        return true;
    case UI_CMD_BUDGET:
        p->think_budget = (int)c->num;
        if (p->think_budget)
            snprintf(msg, msgsz, "thinking budget %d tokens", p->think_budget);
        else
            snprintf(msg, msgsz, "thinking budget off");
        return true;
    case UI_CMD_TEMP:
        p->temperature = (float)c->num;
        snprintf(msg, msgsz, "temperature %g", (double)p->temperature);
        return true;
    case UI_CMD_TOPP:
        p->top_p = (float)c->num;
        snprintf(msg, msgsz, "top-p %g", (double)p->top_p);
        return true;
    case UI_CMD_TOPK:
        p->top_k = (int)c->num;
        snprintf(msg, msgsz, "top-k %d", p->top_k);
        return true;
    case UI_CMD_MINP:
        p->min_p = (float)c->num;
        snprintf(msg, msgsz, "min-p %g", (double)p->min_p);
        return true;
    case UI_CMD_SEED:
        p->seed = strtoull(c->arg, NULL, 10);
        snprintf(msg, msgsz, "seed %llu", (unsigned long long)p->seed);
        return true;
    case UI_CMD_MAX:
        p->max_tokens = (int)c->num;
        snprintf(msg, msgsz, "at most %d tokens per turn", p->max_tokens);
        return true;
    case UI_CMD_SYSTEM: {
        char *s = c->arg[0] ? strdup(c->arg) : NULL;
        free(strings[0]);
        strings[0] = s;
        p->system = s;
        snprintf(msg, msgsz, s ? "system prompt set (takes effect in a new conversation: /clear)"
                               : "system prompt cleared");
        return true;
    }
    case UI_CMD_TEMPLATE: {
        char *s = strcmp(c->arg, "auto") ? strdup(c->arg) : NULL;
        free(strings[1]);
        strings[1] = s;
        p->template_name = s;
        snprintf(msg, msgsz, "chat template %s", s ? s : "from the model file");
        return true;
    }
    default:
        return false;
    }
}
