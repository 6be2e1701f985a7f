/* text.c - text helpers of the front end: growable buffers, sanitising
 * untrusted model text, UTF-8 decoding with display widths, and wrapping
 * role-marked text into screen lines. All pure: no curses here. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "ui.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- buffers ---------------------------------------------------------- */

static void buf_reserve(ui_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s)
        abort(); /* the UI cannot go on without memory for its text */
    b->s = s;
    b->cap = cap;
}

void ui_buf_append(ui_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void ui_buf_puts(ui_buf *b, const char *s) { ui_buf_append(b, s, strlen(s)); }

void ui_buf_printf(ui_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ui_buf_free(ui_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

const char *ui_buf_str(const ui_buf *b) { return b->s ? b->s : ""; }

void ui_buf_role(ui_buf *b, ui_role r)
{
    char m[2] = {UI_MARK, (char)('0' + r)};
    ui_buf_append(b, m, 2);
}

void ui_fmt_count(char *out, size_t size, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < size)
        out[o++] = '-';
    for (int i = 0; i < n && o + 1 < size; i++) {
        out[o++] = tmp[i];
        int left = n - i - 1;
        if (left > 0 && left % 3 == 0 && o + 1 < size)
            out[o++] = ',';
    }
    if (size)
        out[o < size ? o : size - 1] = '\0';
}

/* ---- roles and glyphs ------------------------------------------------- */

static const char *const role_names[] = {
#define UI_X_NAME(e, n) n,
    UI_ROLE_LIST(UI_X_NAME)
#undef UI_X_NAME
};

const char *ui_role_name(ui_role r)
{
    return (unsigned)r < UI_ROLE_COUNT ? role_names[r] : "?";
}

int ui_role_find(const char *name)
{
    for (int i = 0; i < UI_ROLE_COUNT; i++)
        if (strcmp(role_names[i], name) == 0)
            return i;
    return -1;
}

ui_glyphs ui_g = {"-", "-", "|", ">", "^", "[]", "x", "+", "#", "\\n", "~"};

void ui_glyphs_init(bool utf8)
{
    static const ui_glyphs u = {"\u00b7", "\u2500", "\u2502", "\u203a", "\u25b2",
                                "\u25a0", "\u2298", "\u25b8", "\u2588", "\u23ce", "\u2026"};
    static const ui_glyphs a = {"-", "-", "|", ">", "^", "[]", "x", "+", "#", "\\n", "~"};
    ui_g = utf8 ? u : a;
}

/* ---- UTF-8 ------------------------------------------------------------ */

int ui_utf8_decode(const char *s, size_t n, unsigned *wc)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned c = p[0];
    int len;
    unsigned min;
    if (c < 0x80) { *wc = c; return 1; }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; c &= 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; c &= 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; c &= 0x07; min = 0x10000; }
    else { *wc = 0xfffd; return 1; }
    if ((size_t)len > n) { *wc = 0xfffd; return 1; }
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) { *wc = 0xfffd; return 1; }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) { *wc = 0xfffd; return 1; }
    *wc = c;
    return len;
}

/* The length of the character that lead byte c starts (0: c starts none). */
static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
         : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";   /* U+FFFD */

/* Pass on what the held bytes settle: whole characters, U+FFFD for a byte
 * that starts none; stop at an incomplete character that may still end well. */
static void utf8_stream_settle(ui_utf8_stream *u, ui_buf *out)
{
    while (u->n > 0) {
        int len = utf8_len(u->held[0]), k = 1;
        bool cont = true;   /* the bytes after the lead continue it so far */
        for (int i = 1; i < u->n && i < len; i++)
            cont = cont && (u->held[i] & 0xc0) == 0x80;
        if (len > u->n && cont)
            return;   /* wait for the rest */
        unsigned wc = 0xfffd;
        if (len > 0 && cont)
            k = ui_utf8_decode((const char *)u->held, (size_t)u->n, &wc);
        if (wc == 0xfffd && k == 1 && u->held[0] >= 0x80)
            ui_buf_append(out, REPLACEMENT, 3);
        else
            ui_buf_append(out, (const char *)u->held, (size_t)k);
        u->n -= k;
        memmove(u->held, u->held + k, (size_t)u->n);
    }
}

void ui_utf8_stream_feed(ui_utf8_stream *u, const char *s, size_t n, ui_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        u->held[u->n++] = (unsigned char)s[i];
        utf8_stream_settle(u, out);
    }
}

bool ui_utf8_stream_flush(ui_utf8_stream *u, ui_buf *out)
{
    bool any = u->n > 0;
    for (int i = 0; i < u->n; i++)
        ui_buf_append(out, REPLACEMENT, 3);
    u->n = 0;
    return any;
}

int ui_wcwidth(unsigned wc)
{
    if (wc < 0x20 || wc == 0x7f)
        return 0;
    int w = wcwidth((wchar_t)wc);
    return w < 0 ? 1 : w;  /* unprintable: drawn as one replacement cell */
}

void ui_sanitize_append(ui_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') { ui_buf_append(b, "\n", 1); i++; continue; }
        if (c == '\t') { ui_buf_append(b, "    ", 4); i++; continue; }
        if (c < 0x20 || c == 0x7f) { ui_buf_append(b, " ", 1); i++; continue; }
        unsigned wc;
        int k = ui_utf8_decode(s + i, n - i, &wc);
        if (wc == 0xfffd && k == 1 && c >= 0x80)
            ui_buf_append(b, "\xef\xbf\xbd", 3);
        else if ((wc >= 0x80 && wc < 0xa0) || wc == 0x2028 || wc == 0x2029)
            ui_buf_append(b, " ", 1);  /* C1 controls, line separators */
        else
            ui_buf_append(b, s + i, (size_t)k);
        i += (size_t)k;
    }
}

int ui_text_width(const char *s)
{
    int w = 0;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (s[i] == UI_MARK) { i += (i + 1 < n) ? 2 : 1; continue; }
        unsigned wc;
        i += (size_t)ui_utf8_decode(s + i, n - i, &wc);
        w += ui_wcwidth(wc);
    }
    return w;
}

/* ---- wrapping --------------------------------------------------------- */

void ui_lines_clear(ui_lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i].s);
    l->n = 0;
}

void ui_lines_free(ui_lines *l)
{
    ui_lines_clear(l);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void emit(ui_lines *out, ui_role role, const char *s, size_t n)
{
    if (out->n == out->cap) {
        int cap = out->cap ? out->cap * 2 : 64;
        ui_line *v = realloc(out->v, (size_t)cap * sizeof *v);
        if (!v)
            abort();
        out->v = v;
        out->cap = cap;
    }
    char *l = malloc(n + 3);
    if (!l)
        abort();
    l[0] = UI_MARK;
    l[1] = (char)('0' + role);
    memcpy(l + 2, s, n);
    l[n + 2] = '\0';
    out->v[out->n++].s = l;
}

/* One paragraph (no '\n'): greedy fill, break after the last space that fits,
 * hard break inside a word longer than the line. Returns the role at the end. */
static ui_role wrap_para(ui_lines *out, const char *s, size_t n, int width, ui_role role)
{
    size_t start = 0;
    ui_role start_role = role;
    if (n == 0) {
        emit(out, role, "", 0);
        return role;
    }
    while (start < n) {
        int col = 0;
        size_t i = start, brk = 0;
        ui_role r = start_role, brk_role = r;
        bool full = false;
        while (i < n) {
            if (s[i] == UI_MARK) {
                if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] < '0' + UI_ROLE_COUNT)
                    r = (ui_role)(s[i + 1] - '0');
                i += (i + 1 < n) ? 2 : 1;
                continue;
            }
            unsigned wc;
            int k = ui_utf8_decode(s + i, n - i, &wc);
            int w = ui_wcwidth(wc);
            if (col + w > width && col > 0) { full = true; break; }
            col += w;
            i += (size_t)k;
            if (wc == ' ') { brk = i; brk_role = r; }
        }
        if (!full) {
            emit(out, start_role, s + start, n - start);
            return r;
        }
        size_t end = i;
        ui_role end_role = r;
        if (brk > start) { end = brk; end_role = brk_role; }
        size_t keep = end;
        while (keep > start && s[keep - 1] == ' ')  /* no trailing blanks */
            keep--;
        emit(out, start_role, s + start, keep - start);
        start = end;
        start_role = end_role;
        while (start < n && s[start] == ' ')
            start++;
    }
    return start_role;
}

void ui_wrap(ui_lines *out, const char *text, int width, ui_role role)
{
    if (width < 1)
        width = 1;
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        role = wrap_para(out, p, n, width, role);
        if (!nl)
            break;
        p = nl + 1;
    }
}
