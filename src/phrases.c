/* phrases.c - reads the phrase-set files of phrases.h. The built-in English
 * set below is a copy of share/ponder/phrases/en.txt (a unit test keeps the
 * two identical). */
#include "phrases.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(PD_PHRASE_MAX == 128, "the message below says 128");

static const char builtin_en[] =
    "# ponder phrase set: English.\n"
    "#\n"
    "# One phrase per line; '#' starts a comment; blank lines are ignored.\n"
    "# [switch]  thought-switching expressions (the underthinking paper's\n"
    "#           \"Alternatively\" and its variants): TIP penalises these.\n"
    "# [reflect] reflection words: a new thought for the segmenter; TIP\n"
    "#           penalises them with --tip-groups switch,reflect, and --no-wait\n"
    "#           forbids them.\n"
    "#\n"
    "# The segmenter starts a new thought wherever any phrase begins a sentence\n"
    "# or a paragraph (matched case-insensitively). Only one-word phrases give\n"
    "# tokens to the switch-token set: the first token of \"Let me try another\"\n"
    "# is \" Let\", and penalising that would penalise every \"Let me compute\".\n"
    "\n"
    "[switch]\n"
    "Alternatively\n" "Alternately\n"
    "Another approach\n" "Another way\n" "Another idea\n" "Another option\n"
    "Another method\n" "A different approach\n"
    "Let me try another\n" "Let me try a different\n" "Let me try something else\n"
    "Let me think differently\n" "Let me consider another\n"
    "Let me approach this differently\n"
    "Let's try another\n" "Let's try a different\n" "Let's consider another\n"
    "Let's think differently\n" "Let's approach this differently\n"
    "On second thought\n" "Instead, let's\n" "Instead, let me\n" "Or maybe\n"
    "Perhaps another\n" "What if I try\n" "What if we try\n"
    "\n"
    "[reflect]\n"
    "Wait\n" "But wait\n" "Oh wait\n" "Hmm\n" "Actually\n" "Hold on\n"
    "Let me double-check\n" "Let me double check\n" "Let me verify\n"
    "Let me check\n" "Let me recheck\n" "Let me re-examine\n" "Let me reconsider\n"
    "Let's double-check\n" "Let's verify\n" "Let's check\n";

const char *pd_phrases_builtin_text(void) { return builtin_en; }

const char *pd_group_name(int group)
{
    return group == PD_GROUP_SWITCH ? "switch" : group == PD_GROUP_REFLECT ? "reflect" : "";
}

int pd_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
    else return 0;
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void pd_phrases_free(pd_phrases *ph)
{
    if (!ph)
        return;
    for (int i = 0; i < ph->n; i++)
        free(ph->v[i].text);
    free(ph->v);
    free(ph->source);
    free(ph);
}

/* One line (without its newline) into dst, normalised: comment cut, blanks
 * trimmed and collapsed. Returns the length, or -1 with *why set. */
static int normalise_line(const char *s, size_t n, char *dst, const char **why)
{
    int out = 0;
    bool pending_space = false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#')
            break;
        if (c == ' ' || c == '\t' || c == '\r') {
            pending_space = out > 0;
            i++;
            continue;
        }
        int k = pd_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0) { *why = "invalid UTF-8"; return -1; }
        if (k == 1 && (c < 0x20 || c == 0x7f)) { *why = "a control character"; return -1; }
        if (out + (pending_space ? 1 : 0) + k > PD_PHRASE_MAX) {
            *why = "a phrase longer than 128 bytes";
            return -1;
        }
        if (pending_space)
            dst[out++] = ' ';
        pending_space = false;
        memcpy(dst + out, s + i, (size_t)k);
        out += k;
        i += (size_t)k;
    }
    dst[out] = '\0';
    return out;
}

/* The first chat-template marker in s (<think>, </answer>, <|im_end|>,
 * DeepSeek's <｜Assistant｜>): '<', then no blank or angle bracket, then '>'.
 * Returns its start and sets *len, or NULL. */
static const char *find_marker(const char *s, int *len)
{
    for (const char *lt = strchr(s, '<'); lt; lt = strchr(lt + 1, '<')) {
        size_t n = strcspn(lt + 1, " <>");
        if (n > 0 && lt[1 + n] == '>' && !(n == 1 && lt[1] == '/')) {
            *len = (int)n + 2;
            return lt;
        }
    }
    return NULL;
}

static pd_status add_phrase(pd_phrases *ph, const char *text, int group, int line, const char *name)
{
    for (int i = 0; i < ph->n; i++)
        if (strcasecmp(ph->v[i].text, text) == 0)
            return pd_fail(PD_EFORMAT, "%s:%d: phrase '%s' repeats line %d",
                           name, line, text, ph->v[i].line);
    if (ph->n >= PD_PHRASES_MAX)
        return pd_fail(PD_ELIMIT, "%s:%d: more than %d phrases", name, line, PD_PHRASES_MAX);
    pd_phrase *v = realloc(ph->v, (size_t)(ph->n + 1) * sizeof *v);
    if (!v)
        return pd_fail(PD_ENOMEM, "%s: out of memory", name);
    ph->v = v;
    if (!(v[ph->n].text = strdup(text)))
        return pd_fail(PD_ENOMEM, "%s: out of memory", name);
    v[ph->n].group = group;
    v[ph->n].line = line;
    ph->n++;
    return PD_OK;
}

static pd_status parse_into(pd_phrases *ph, const char *text, size_t len, const char *name)
{
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    int group = 0, line = 0;
    char buf[PD_PHRASE_MAX + 8];
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *why = NULL;
        line++;
        int k = normalise_line(text + pos, n, buf, &why);
        pos += n + 1;
        if (k < 0)
            return pd_fail(PD_EFORMAT, "%s:%d: %s", name, line, why);
        if (k == 0)
            continue;
        if (buf[0] == '[') {
            if (strcmp(buf, "[switch]") == 0) group = PD_GROUP_SWITCH;
            else if (strcmp(buf, "[reflect]") == 0) group = PD_GROUP_REFLECT;
            else return pd_fail(PD_EFORMAT, "%s:%d: unknown section '%s' "
                                "(expected [switch] or [reflect])", name, line, buf);
            continue;
        }
        if (!group)
            return pd_fail(PD_EFORMAT, "%s:%d: phrase '%s' before any [switch] or "
                           "[reflect] section", name, line, buf);
        /* a marker is the template's, not the model's words: penalising it
         * would stop the model from closing its thinking */
        int mlen;
        const char *m = find_marker(buf, &mlen);
        if (m && mlen == k)
            return pd_fail(PD_EFORMAT, "%s:%d: '%s' is a chat-template marker, not a phrase",
                           name, line, buf);
        if (m)
            return pd_fail(PD_EFORMAT, "%s:%d: phrase '%s' holds the chat-template marker "
                           "'%.*s'", name, line, buf, mlen, m);
        pd_status st = add_phrase(ph, buf, group, line, name);
        if (st)
            return st;
    }
    if (ph->n == 0)
        return pd_fail(PD_EFORMAT, "%s: no phrases", name);
    return PD_OK;
}

pd_status pd_phrases_parse(const char *text, size_t len, const char *name, pd_phrases **out)
{
    *out = NULL;
    pd_phrases *ph = calloc(1, sizeof *ph);
    if (!ph || !(ph->source = strdup(name))) {
        free(ph);
        return pd_fail(PD_ENOMEM, "%s: out of memory", name);
    }
    pd_status st = parse_into(ph, text, len, name);
    if (st) {
        pd_phrases_free(ph);
        return st;
    }
    *out = ph;
    return PD_OK;
}

pd_status pd_phrases_load(const char *path, pd_phrases **out)
{
    *out = NULL;
    if (!path)
        return pd_phrases_parse(builtin_en, sizeof builtin_en - 1, "built-in", out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return pd_fail(PD_EIO, "%s: %s", path, strerror(errno));
    /* a phrase file is small: refuse anything that is not */
    enum { MAX_FILE = 1 << 20 };
    char *buf = malloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    bool err = ferror(f);
    fclose(f);
    pd_status st;
    if (err)
        st = pd_fail(PD_EIO, "%s: read error", path);
    else if (n > MAX_FILE)
        st = pd_fail(PD_ELIMIT, "%s: larger than 1 MiB; not a phrase set", path);
    else
        st = pd_phrases_parse(buf, n, path, out);
    free(buf);
    return st;
}
