/* chat.c - built-in chat templates (deepseek-r1, qwen3, r1-zero, chatml, raw),
 * reproducing the real Jinja templates' output, and family detection.
 *
 * The r1-zero prompt, exactly (the demo model is trained on this text):
 *
 *   [BOS]PREAMBLE User: PROMPT1[.] Assistant: <think>
 *
 * with PREAMBLE =
 *   "A conversation between User and Assistant. The user asks a question, and
 *   the Assistant solves it. The assistant first thinks about the reasoning
 *   process in the mind and then provides the user with the answer. The
 *   reasoning process and answer are enclosed within <think> </think> and
 *   <answer> </answer> tags, respectively, i.e., <think> reasoning process
 *   here </think> <answer> answer here </answer>."
 * (one line, single spaces; a system message replaces it), PROMPT the user
 * text as given, and "[.]" a period added only when PROMPT does not already
 * end with '.', '?' or '!'. Single turn, "What is 2+3?":
 *
 *   "A conversation ... <answer> answer here </answer>. User: What is 2+3? Assistant: <think>"
 *
 * The model continues with " reasoning </think> <answer> answer </answer>".
 * Multi-turn: each earlier assistant turn is " " + its text after the last
 * "</think>" (leading whitespace removed), then the next " User: ...":
 *
 *   PREAMBLE User: U1. Assistant: <answer> 5 </answer> User: U2. Assistant: <think>
 *
 * Without the generation prompt the text ends after the last turn.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

static const char r1_zero_preamble[] =
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
    "process here </think> <answer> answer here </answer>.";

#define DS_USER "<\xef\xbd\x9cUser\xef\xbd\x9c>"
#define DS_ASSISTANT "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"
#define DS_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

/* ------------------------------------------------------------------------
 * A growing string
 * ------------------------------------------------------------------------ */
typedef struct sbuf {
    char *s;
    uint8_t *m;      /* per byte: 1 = written by the template, 0 = message text */
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n, uint8_t tmpl)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (ns) b->s = ns;
        uint8_t *nm = ns ? realloc(b->m, nc) : NULL;
        if (!nm) { b->oom = true; return; }
        b->m = nm;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    memset(b->m + b->n, tmpl, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* Template text (may hold special tokens) and message text (never does). */
static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s), 1); }
static void sb_content(sbuf *b, const char *s) { sb_addn(b, s, strlen(s), 0); }

/* A span of a message: [p, p+n). */
typedef struct span { const char *p; size_t n; } span;

static void sb_span(sbuf *b, span s) { sb_addn(b, s.p, s.n, 0); }

static span whole(const char *s) { return (span){ s, strlen(s) }; }

static span lstrip_nl(span s)
{
    while (s.n && *s.p == '\n') { s.p++; s.n--; }
    return s;
}

static span rstrip_nl(span s)
{
    while (s.n && s.p[s.n - 1] == '\n') s.n--;
    return s;
}

static span lstrip_ws(span s)
{
    while (s.n && (*s.p == ' ' || *s.p == '\n' || *s.p == '\t' || *s.p == '\r')) { s.p++; s.n--; }
    return s;
}

/* Position of the first / last occurrence of needle, or NULL. */
static const char *find_first(span s, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= s.n; i++)
        if (memcmp(s.p + i, needle, m) == 0) return s.p + i;
    return NULL;
}

static const char *find_last(span s, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = s.n >= m ? s.n - m + 1 : 0; i-- > 0;)
        if (memcmp(s.p + i, needle, m) == 0) return s.p + i;
    return NULL;
}

/* Jinja's content.split('</think>')[-1]: the text after the last "</think>"
 * (all of it when there is none). */
static span after_think(span c)
{
    const char *e = find_last(c, "</think>");
    if (!e) return c;
    const char *q = e + strlen("</think>");
    return (span){ q, (size_t)(c.p + c.n - q) };
}

/* ------------------------------------------------------------------------
 * Families
 * ------------------------------------------------------------------------ */
typedef enum { R_SYSTEM, R_USER, R_ASSISTANT } role;

static bool parse_roles(const pd_chat_msg *m, size_t n, role *out)
{
    for (size_t i = 0; i < n; i++) {
        const char *r = m[i].role ? m[i].role : "";
        if (!m[i].content) { pd_fail(PD_EARG, "chat: message %zu has no content", i); return false; }
        if (strcmp(r, "system") == 0) out[i] = R_SYSTEM;
        else if (strcmp(r, "user") == 0) out[i] = R_USER;
        else if (strcmp(r, "assistant") == 0) out[i] = R_ASSISTANT;
        else { pd_fail(PD_EARG, "chat: unknown role '%.40s'", r); return false; }
    }
    return true;
}

/* DeepSeek-R1's template: BOS, the system prompts joined by "\n\n", then
 * <｜User｜>text and <｜Assistant｜>answer<｜end▁of▁sentence｜> where answer
 * is the text after the last </think>; generation: <｜Assistant｜><think>\n. */
static void render_r1(sbuf *b, const pd_chat_msg *m, const role *r, size_t n, bool gen)
{
    bool first_sys = true;
    for (size_t i = 0; i < n; i++)
        if (r[i] == R_SYSTEM) {
            if (!first_sys) sb_add(b, "\n\n");
            sb_content(b, m[i].content);
            first_sys = false;
        }
    for (size_t i = 0; i < n; i++) {
        if (r[i] == R_USER) {
            sb_add(b, DS_USER);
            sb_content(b, m[i].content);
        } else if (r[i] == R_ASSISTANT) {
            sb_add(b, DS_ASSISTANT);
            sb_span(b, after_think(whole(m[i].content)));
            sb_add(b, DS_EOS);
        }
    }
    if (gen) sb_add(b, DS_ASSISTANT "<think>\n");
}

/* Qwen3's template (no tools): a first system message, user/system turns as
 * ChatML; assistant turns before the last user query lose their reasoning;
 * later ones (only when rendering a conversation that ends with the
 * assistant) keep it as <think>\n...\n</think>\n\n. Generation prompt
 * "<|im_start|>assistant\n" (thinking on: the model opens <think>). */
static void render_qwen3(sbuf *b, const pd_chat_msg *m, const role *r, size_t n, bool gen)
{
    if (n && r[0] == R_SYSTEM) {
        sb_add(b, "<|im_start|>system\n");
        sb_content(b, m[0].content);
        sb_add(b, "<|im_end|>\n");
    }
    size_t last_query = n ? n - 1 : 0;
    for (size_t i = n; i-- > 0;) {
        if (r[i] != R_USER) continue;
        span c = whole(m[i].content);
        bool tool_resp = c.n >= 31 && strncmp(c.p, "<tool_response>", 15) == 0 &&
                         memcmp(c.p + c.n - 16, "</tool_response>", 16) == 0;
        if (!tool_resp) { last_query = i; break; }
    }
    for (size_t i = 0; i < n; i++) {
        if (r[i] == R_USER || (r[i] == R_SYSTEM && i != 0)) {
            sb_add(b, "<|im_start|>");
            sb_add(b, r[i] == R_USER ? "user" : "system");
            sb_add(b, "\n");
            sb_content(b, m[i].content);
            sb_add(b, "<|im_end|>\n");
        } else if (r[i] == R_ASSISTANT) {
            span c = whole(m[i].content), content = c, reasoning = { "", 0 };
            if (find_first(c, "</think>")) {
                content = lstrip_nl(after_think(c));
                const char *e = find_first(c, "</think>");
                span before = rstrip_nl((span){ c.p, (size_t)(e - c.p) });
                const char *o = find_last(before, "<think>");
                if (o) {
                    const char *q = o + strlen("<think>");
                    before = (span){ q, (size_t)(before.p + before.n - q) };
                }
                reasoning = lstrip_nl(before);
            }
            sb_add(b, "<|im_start|>assistant\n");
            if (i > last_query && (i == n - 1 || reasoning.n)) {
                sb_add(b, "<think>\n");
                sb_span(b, rstrip_nl(lstrip_nl(reasoning)));
                sb_add(b, "\n</think>\n\n");
                sb_span(b, lstrip_nl(content));
            } else
                sb_span(b, content);
            sb_add(b, "<|im_end|>\n");
        }
    }
    if (gen) sb_add(b, "<|im_start|>assistant\n");
}

/* Plain ChatML; assistant turns keep only the text after </think>. */
static void render_chatml(sbuf *b, const pd_chat_msg *m, const role *r, size_t n, bool gen)
{
    static const char *const names[] = { "system", "user", "assistant" };
    for (size_t i = 0; i < n; i++) {
        sb_add(b, "<|im_start|>");
        sb_add(b, names[r[i]]);
        sb_add(b, "\n");
        if (r[i] == R_ASSISTANT) sb_span(b, lstrip_nl(after_think(whole(m[i].content))));
        else sb_content(b, m[i].content);
        sb_add(b, "<|im_end|>\n");
    }
    if (gen) sb_add(b, "<|im_start|>assistant\n");
}

/* The R1-Zero text prompt, as described at the top of this file. */
static void render_r1_zero(sbuf *b, const pd_chat_msg *m, const role *r, size_t n, bool gen)
{
    const char *sys = NULL;
    for (size_t i = 0; i < n && !sys; i++)
        if (r[i] == R_SYSTEM) sys = m[i].content;
    if (sys) sb_content(b, sys);
    else sb_add(b, r1_zero_preamble);
    for (size_t i = 0; i < n; i++) {
        if (r[i] == R_USER) {
            size_t l = strlen(m[i].content);
            char last = l ? m[i].content[l - 1] : 0;
            sb_add(b, " User: ");
            sb_content(b, m[i].content);
            if (last != '.' && last != '?' && last != '!') sb_add(b, ".");
            sb_add(b, " Assistant:");
            if (i == n - 1 && gen) sb_add(b, " <think>");
        } else if (r[i] == R_ASSISTANT) {
            sb_add(b, " ");
            sb_span(b, lstrip_ws(after_think(whole(m[i].content))));
        }
    }
    /* a conversation that does not end with a user turn: open a new one */
    if (gen && (n == 0 || r[n - 1] != R_USER)) sb_add(b, " Assistant: <think>");
}

static void render_raw(sbuf *b, const pd_chat_msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++) sb_content(b, m[i].content);
}

static pd_status render(pd_chat_family f, const pd_chat_msg *msgs, size_t n, bool gen,
                        const char *bos_text, char **text, uint8_t **mask)
{
    *text = NULL;
    if (mask) *mask = NULL;
    if (n > SIZE_MAX / sizeof(role)) return pd_fail(PD_EARG, "chat: too many messages");
    role *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) return pd_fail(PD_ENOMEM, "chat: out of memory");
    if (!parse_roles(msgs, n, r)) { free(r); return PD_EARG; }
    sbuf b = {0};
    sb_add(&b, "");
    if (bos_text) sb_add(&b, bos_text);
    switch (f) {
    case PD_CHAT_DEEPSEEK_R1: render_r1(&b, msgs, r, n, gen); break;
    case PD_CHAT_QWEN3: render_qwen3(&b, msgs, r, n, gen); break;
    case PD_CHAT_R1_ZERO: render_r1_zero(&b, msgs, r, n, gen); break;
    case PD_CHAT_CHATML: render_chatml(&b, msgs, r, n, gen); break;
    default: render_raw(&b, msgs, n); break;
    }
    free(r);
    if (b.oom) {
        free(b.s);
        free(b.m);
        return pd_fail(PD_ENOMEM, "chat: out of memory");
    }
    *text = b.s;
    if (mask) *mask = b.m;
    else free(b.m);
    return PD_OK;
}

char *pd_chat_render_mask(pd_chat_family f, const pd_chat_msg *msgs, size_t n,
                          bool add_generation_prompt, const char *bos_text, uint8_t **mask)
{
    char *text;
    render(f, msgs, n, add_generation_prompt, bos_text, &text, mask);
    return text;
}

char *pd_chat_render(pd_chat_family f, const pd_chat_msg *msgs, size_t n,
                     bool add_generation_prompt, const char *bos_text)
{
    return pd_chat_render_mask(f, msgs, n, add_generation_prompt, bos_text, NULL);
}

pd_status pd_chat_tokenize(const pd_tokenizer *t, pd_chat_family f, const pd_chat_msg *msgs,
                           size_t n, bool add_generation_prompt, int32_t **ids, size_t *n_ids)
{
    *ids = NULL;
    *n_ids = 0;
    const char *bos = pd_tokenizer_add_bos(t) ? pd_token_text(t, pd_token_bos(t)) : NULL;
    char *text;
    uint8_t *mask;
    pd_status st = render(f, msgs, n, add_generation_prompt, bos, &text, &mask);
    if (st) return st;
    st = pd_tokenize_masked(t, text, strlen(text), mask, ids, n_ids);
    free(text);
    free(mask);
    return st;
}

/* ------------------------------------------------------------------------
 * Names and detection
 * ------------------------------------------------------------------------ */
static const char *const family_names[PD_CHAT_COUNT] = {
    "deepseek-r1", "qwen3", "r1-zero", "chatml", "raw"
};

const char *pd_chat_family_name(pd_chat_family f)
{
    return (unsigned)f < PD_CHAT_COUNT ? family_names[f] : "?";
}

bool pd_chat_family_from_name(const char *name, pd_chat_family *out)
{
    for (int i = 0; name && i < PD_CHAT_COUNT; i++)
        if (strcmp(name, family_names[i]) == 0) {
            *out = (pd_chat_family)i;
            return true;
        }
    return false;
}

bool pd_chat_opens_think(pd_chat_family f)
{
    return f == PD_CHAT_DEEPSEEK_R1 || f == PD_CHAT_R1_ZERO;
}

static bool has(const pd_gguf_str *s, const char *needle)
{
    return find_first((span){ s->ptr, (size_t)s->len }, needle) != NULL;
}

/* Best guess without a known template: special tokens, then architecture. */
static pd_chat_family guess(const pd_gguf *g, const pd_tokenizer *t)
{
    if (t && pd_token_lookup(t, DS_ASSISTANT) >= 0) return PD_CHAT_DEEPSEEK_R1;
    if (t && pd_token_lookup(t, "<|im_start|>") >= 0)
        return pd_token_lookup(t, "<think>") >= 0 ? PD_CHAT_QWEN3 : PD_CHAT_CHATML;
    pd_gguf_str arch;
    if (g && pd_gguf_get_str(g, "general.architecture", &arch)) {
        if (has(&arch, "qwen")) return PD_CHAT_QWEN3;
        if (has(&arch, "deepseek")) return PD_CHAT_DEEPSEEK_R1;
    }
    return PD_CHAT_R1_ZERO;
}

pd_chat_family pd_chat_detect(const pd_gguf *g, const pd_tokenizer *t, bool *recognised)
{
    bool rec = false;
    pd_chat_family f;
    pd_gguf_str s;
    char name[32];
    if (g && pd_gguf_get_str(g, "ponder.chat_template", &s) && s.len < sizeof name) {
        memcpy(name, s.ptr, s.len);
        name[s.len] = 0;
        if (pd_chat_family_from_name(name, &f)) {
            if (recognised) *recognised = true;
            return f;
        }
    }
    if (g && pd_gguf_get_str(g, "tokenizer.chat_template", &s)) {
        if (has(&s, "A conversation between User and Assistant")) {
            f = PD_CHAT_R1_ZERO;
            rec = true;
        } else if (has(&s, DS_ASSISTANT)) {
            f = PD_CHAT_DEEPSEEK_R1;
            rec = has(&s, "<think>");       /* V3's template has no <think>: close, not the same */
        } else if (has(&s, "<|im_start|>")) {
            if (has(&s, "enable_thinking")) { f = PD_CHAT_QWEN3; rec = true; }
            else if (has(&s, "<think>")) f = PD_CHAT_QWEN3;   /* QwQ-like: closest */
            else { f = PD_CHAT_CHATML; rec = true; }
        } else
            f = guess(g, t);
    } else
        f = guess(g, t);
    if (recognised) *recognised = rec;
    return f;
}
