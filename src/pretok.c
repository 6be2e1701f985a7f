/* pretok.c - pre-tokenizer regex splits (llama.cpp's lists per
 * tokenizer.ggml.pre) with pcre2, and UTF-8 validation helpers.
 *
 * How we reproduce llama.cpp's unicode_regex_split exactly:
 *  - The regexes of a family run in sequence; each one splits every piece
 *    left by the previous one, keeping both the matches and the text between
 *    them as pieces. A piece is its own subject: `$` and lookarounds stop at
 *    its edges (PCRE2_DOLLAR_ENDONLY: `$` is the very end only).
 *  - llama.cpp's `\s` is the Unicode White_Space set (it maps every non-ASCII
 *    whitespace code point to 0x0B before matching). We do the same mapping
 *    and compile WITHOUT PCRE2_UCP so that `\s`/`\S` mean ASCII whitespace
 *    (+ the mapped 0x0B); `\p{..}` use Unicode properties in UTF mode
 *    regardless, as llama.cpp's category tables do. Literal characters in
 *    classes (deepseek-llm, CJK ranges) match code points directly.
 *  - Code points newer than this pcre2's Unicode tables are matched as an
 *    older stand-in of their class (table newer_cps below).
 *  - Where llama.cpp and the HF tokenizers differ (NFC for Qwen, ASCII '~'
 *    missing from llama.cpp's collapsed \p{S}), the reference vectors only
 *    hold strings on which both agree; we follow Unicode (HF) for '~'.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pretok.h"

#define MAX_RE 6

struct pd_pretok {
    int n;
    pcre2_code *re[MAX_RE];
    bool jit[MAX_RE];
};

/* ------------------------------------------------------------------------
 * The regex lists (pcre2 syntax), per family
 * ------------------------------------------------------------------------ */
static const char *const re_gpt2[] = {
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    NULL
};
static const char *const re_llama3[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
    "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL
};
static const char *const re_qwen2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
    "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL
};
/* The cased-letter class of DeepSeek LLM's tokenizer.json, code points written out. */
#define DS_LETTERS \
    "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}" \
    "\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}" \
    "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}" \
    "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}" \
    "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}" \
    "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}" \
    "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}" \
    "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}" \
    "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}" \
    "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}" \
    "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}" \
    "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}" \
    "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}" \
    "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}" \
    "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}" \
    "\\x{1E900}-\\x{1E943}"
/* CJK ideographs U+4E00-U+9FA5, U+0800-U+4E00, Hangul U+AC00-U+D7FF. */
#define DS_CJK "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+"
static const char *const re_deepseek_llm[] = {
    "[\\r\\n]",
    "\\s?[" DS_LETTERS "]+",
    /* ASCII punctuation/symbols, fullwidth forms, quotes U+2018-201F, U+3000-3002 */
    "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
    "\\s+$",
    DS_CJK,
    "\\p{N}+",
    NULL
};
static const char *const re_deepseek_coder[] = {
    "[\\r\\n]",
    "\\s?\\p{L}+",
    "\\s?\\p{P}+",
    DS_CJK,
    "\\p{N}",
    NULL
};
static const char *const re_deepseek_v3[] = {
    "\\p{N}{1,3}",
    /* CJK U+4E00-9FA5, Hiragana U+3040-309F, Katakana U+30A0-30FF */
    "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
    "| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    NULL
};

static const char *const *re_list(pd_pre_type t)
{
    switch (t) {
    case PD_PRE_LLAMA3: return re_llama3;
    case PD_PRE_QWEN2: return re_qwen2;
    case PD_PRE_DEEPSEEK_LLM: return re_deepseek_llm;
    case PD_PRE_DEEPSEEK_CODER: return re_deepseek_coder;
    case PD_PRE_DEEPSEEK_V3: return re_deepseek_v3;
    case PD_PRE_GPT2: default: return re_gpt2;
    }
}

pd_pre_type pd_pre_from_name(const char *name, bool *known)
{
    static const struct { const char *name; pd_pre_type t; } map[] = {
        {"gpt-2", PD_PRE_GPT2}, {"default", PD_PRE_GPT2}, {"gpt2", PD_PRE_GPT2},
        {"llama-bpe", PD_PRE_LLAMA3}, {"llama3", PD_PRE_LLAMA3}, {"llama-v3", PD_PRE_LLAMA3},
        {"qwen2", PD_PRE_QWEN2}, {"deepseek-r1-qwen", PD_PRE_QWEN2},
        {"deepseek-llm", PD_PRE_DEEPSEEK_LLM}, {"deepseek-coder", PD_PRE_DEEPSEEK_CODER},
        {"deepseek-v3", PD_PRE_DEEPSEEK_V3},
    };
    for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].name) == 0) {
            if (known) *known = true;
            return map[i].t;
        }
    if (known) *known = false;
    return PD_PRE_GPT2;
}

/* ------------------------------------------------------------------------
 * Compile / free
 * ------------------------------------------------------------------------ */
pd_status pd_pretok_new(pd_pre_type type, pd_pretok **out)
{
    *out = NULL;
    pd_pretok *p = calloc(1, sizeof *p);
    if (!p) return pd_fail(PD_ENOMEM, "pre-tokenizer: out of memory");
    const char *const *list = re_list(type);
    for (; list[p->n]; p->n++) {
        int err;
        PCRE2_SIZE off;
        p->re[p->n] = pcre2_compile((PCRE2_SPTR)list[p->n], PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
        if (!p->re[p->n]) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(err, msg, sizeof msg);
            pd_pretok_free(p);
            return pd_fail(PD_EUNSUPPORTED, "pre-tokenizer regex: %s at offset %zu",
                           (const char *)msg, (size_t)off);
        }
        /* JIT when available; the interpreter is the silent fallback. */
        p->jit[p->n] = pcre2_jit_compile(p->re[p->n], PCRE2_JIT_COMPLETE) == 0;
    }
    *out = p;
    return PD_OK;
}

void pd_pretok_free(pd_pretok *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) pcre2_code_free(p->re[i]);
    free(p);
}

/* ------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------ */
int pd_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int k;
    unsigned lo = 0x80, hi = 0xBF;  /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0) lo = 0xA0;          /* no overlongs */
        if (c == 0xED) hi = 0x9F;          /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;          /* <= U+10FFFF */
    } else
        return 0;
    for (int i = 1; i < k; i++) {
        if ((size_t)i >= n) return -k;
        unsigned b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return 0;
    }
    return k;
}

char *pd_utf8_sanitize(const char *text, size_t len, size_t *out_len, bool *oom)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, n_bad = 0;
    *oom = false;
    while (i < len) {
        int k = pd_utf8_seq(s + i, len - i);
        if (k > 0) i += (size_t)k;
        else { n_bad++; i++; }
    }
    if (n_bad == 0) return NULL;
    if (n_bad > (SIZE_MAX - len) / 2) { *oom = true; return NULL; }
    char *o = malloc(len + 2 * n_bad + 1);
    if (!o) { *oom = true; return NULL; }
    size_t j = 0;
    for (i = 0; i < len;) {
        int k = pd_utf8_seq(s + i, len - i);
        if (k > 0) {
            memcpy(o + j, s + i, (size_t)k);
            j += (size_t)k;
            i += (size_t)k;
        } else {
            memcpy(o + j, "\xEF\xBF\xBD", 3);
            j += 3;
            i++;
        }
    }
    o[j] = 0;
    *out_len = j;
    return o;
}

/* Decode the valid sequence at s (k bytes). */
static uint32_t utf8_cp(const unsigned char *s, int k)
{
    switch (k) {
    case 1: return s[0];
    case 2: return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default: return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                    ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}

/* Code points this pcre2 build does not know (Cn) but newer Unicode (16, as
 * in the models' own tokenizer engines) puts in L, N, P, S or M; made by
 * tools/unicode_delta.py. Before matching, each is replaced by an old code
 * point of its class (outside every literal range of our regexes), so that
 * \p{..} sees the newer category. */
typedef struct newer_cp { uint32_t lo, hi; char cls; } newer_cp;
static const newer_cp newer_cps[] = {
    {0x897, 0x897, 'M'}, {0xCF3, 0xCF3, 'M'}, {0xECE, 0xECE, 'M'}, {0x1B4E, 0x1B4F, 'P'},
    {0x1B7F, 0x1B7F, 'P'}, {0x1C89, 0x1C8A, 'L'}, {0x2427, 0x2429, 'S'}, {0x2FFC, 0x2FFF, 'S'},
    {0x31E4, 0x31E5, 'S'}, {0x31EF, 0x31EF, 'S'}, {0xA7CB, 0xA7CD, 'L'}, {0xA7DA, 0xA7DC, 'L'},
    {0x105C0, 0x105F3, 'L'}, {0x10D40, 0x10D49, 'N'}, {0x10D4A, 0x10D65, 'L'},
    {0x10D69, 0x10D6D, 'M'}, {0x10D6E, 0x10D6E, 'P'}, {0x10D6F, 0x10D85, 'L'},
    {0x10D8E, 0x10D8F, 'S'}, {0x10EC2, 0x10EC4, 'L'}, {0x10EFC, 0x10EFF, 'M'},
    {0x1123F, 0x11240, 'L'}, {0x11241, 0x11241, 'M'}, {0x11380, 0x11389, 'L'},
    {0x1138B, 0x1138B, 'L'}, {0x1138E, 0x1138E, 'L'}, {0x11390, 0x113B5, 'L'},
    {0x113B7, 0x113B7, 'L'}, {0x113B8, 0x113C0, 'M'}, {0x113C2, 0x113C2, 'M'},
    {0x113C5, 0x113C5, 'M'}, {0x113C7, 0x113CA, 'M'}, {0x113CC, 0x113D0, 'M'},
    {0x113D1, 0x113D1, 'L'}, {0x113D2, 0x113D2, 'M'}, {0x113D3, 0x113D3, 'L'},
    {0x113D4, 0x113D5, 'P'}, {0x113D7, 0x113D8, 'P'}, {0x113E1, 0x113E2, 'M'},
    {0x116D0, 0x116E3, 'N'}, {0x11B00, 0x11B09, 'P'}, {0x11BC0, 0x11BE0, 'L'},
    {0x11BE1, 0x11BE1, 'P'}, {0x11BF0, 0x11BF9, 'N'}, {0x11F00, 0x11F01, 'M'},
    {0x11F02, 0x11F02, 'L'}, {0x11F03, 0x11F03, 'M'}, {0x11F04, 0x11F10, 'L'},
    {0x11F12, 0x11F33, 'L'}, {0x11F34, 0x11F3A, 'M'}, {0x11F3E, 0x11F42, 'M'},
    {0x11F43, 0x11F4F, 'P'}, {0x11F50, 0x11F59, 'N'}, {0x11F5A, 0x11F5A, 'M'},
    {0x1342F, 0x1342F, 'L'}, {0x13440, 0x13440, 'M'}, {0x13441, 0x13446, 'L'},
    {0x13447, 0x13455, 'M'}, {0x13460, 0x143FA, 'L'}, {0x16100, 0x1611D, 'L'},
    {0x1611E, 0x1612F, 'M'}, {0x16130, 0x16139, 'N'}, {0x16D40, 0x16D6C, 'L'},
    {0x16D6D, 0x16D6F, 'P'}, {0x16D70, 0x16D79, 'N'}, {0x18CFF, 0x18CFF, 'L'},
    {0x1B132, 0x1B132, 'L'}, {0x1B155, 0x1B155, 'L'}, {0x1CC00, 0x1CCEF, 'S'},
    {0x1CCF0, 0x1CCF9, 'N'}, {0x1CD00, 0x1CEB3, 'S'}, {0x1D2C0, 0x1D2D3, 'N'},
    {0x1DF25, 0x1DF2A, 'L'}, {0x1E030, 0x1E06D, 'L'}, {0x1E08F, 0x1E08F, 'M'},
    {0x1E4D0, 0x1E4EB, 'L'}, {0x1E4EC, 0x1E4EF, 'M'}, {0x1E4F0, 0x1E4F9, 'N'},
    {0x1E5D0, 0x1E5ED, 'L'}, {0x1E5EE, 0x1E5EF, 'M'}, {0x1E5F0, 0x1E5F0, 'L'},
    {0x1E5F1, 0x1E5FA, 'N'}, {0x1E5FF, 0x1E5FF, 'P'}, {0x1F6DC, 0x1F6DC, 'S'},
    {0x1F774, 0x1F776, 'S'}, {0x1F77B, 0x1F77F, 'S'}, {0x1F7D9, 0x1F7D9, 'S'},
    {0x1F8B2, 0x1F8BB, 'S'}, {0x1F8C0, 0x1F8C1, 'S'}, {0x1FA75, 0x1FA77, 'S'},
    {0x1FA87, 0x1FA89, 'S'}, {0x1FA8F, 0x1FA8F, 'S'}, {0x1FAAD, 0x1FAAF, 'S'},
    {0x1FABB, 0x1FABF, 'S'}, {0x1FAC6, 0x1FAC6, 'S'}, {0x1FACE, 0x1FACF, 'S'},
    {0x1FADA, 0x1FADC, 'S'}, {0x1FADF, 0x1FADF, 'S'}, {0x1FAE8, 0x1FAE9, 'S'},
    {0x1FAF7, 0x1FAF8, 'S'}, {0x1FBCB, 0x1FBEF, 'S'}, {0x2B739, 0x2B739, 'L'},
    {0x2EBF0, 0x2EE5D, 'L'}, {0x31350, 0x323AF, 'L'},
};

/* The stand-in of a class: Lo U+10000, Nd U+1D7CE, Po U+1091F, So U+1F600, Mn U+1D167. */
static uint32_t newer_stand_in(uint32_t c)
{
    size_t lo = 0, hi = sizeof newer_cps / sizeof newer_cps[0];
    if (c < newer_cps[0].lo) return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < newer_cps[mid].lo) hi = mid;
        else if (c > newer_cps[mid].hi) lo = mid + 1;
        else switch (newer_cps[mid].cls) {
            case 'L': return 0x10000;
            case 'N': return 0x1D7CE;
            case 'P': return 0x1091F;
            case 'S': return 0x1F600;
            default: return 0x1D167;
            }
    }
    return 0;
}

/* The Unicode White_Space code points above ASCII (llama.cpp's list). */
static bool is_wide_space(uint32_t c)
{
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ------------------------------------------------------------------------
 * Splitting
 * ------------------------------------------------------------------------ */
static bool push_end(size_t **ends, size_t *n, size_t *cap, size_t v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        size_t *ne = realloc(*ends, nc * sizeof *ne);
        if (!ne) return false;
        *ends = ne;
        *cap = nc;
    }
    (*ends)[(*n)++] = v;
    return true;
}

/* One regex over every current piece [prev end, end) of s (len bytes):
 * writes the refined ends to *out. */
static pd_status split_one(const pcre2_code *re, bool jit, pcre2_match_data *md,
                           const char *s, const size_t *in, size_t n_in,
                           size_t **out, size_t *n_out, size_t *cap)
{
    size_t start = 0;
    *n_out = 0;
    for (size_t f = 0; f < n_in; f++) {
        size_t end = in[f], flen = end - start, pos = 0;
        PCRE2_SPTR subj = (PCRE2_SPTR)(s + start);
        while (pos < flen) {
            int rc = jit ? pcre2_jit_match(re, subj, flen, pos, PCRE2_NO_UTF_CHECK, md, NULL)
                         : pcre2_match(re, subj, flen, pos, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc == PCRE2_ERROR_JIT_STACKLIMIT && jit)
                rc = pcre2_match(re, subj, flen, pos, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc < 0) break;   /* no match (or a resource limit): the rest stays one piece */
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t m0 = ov[0], m1 = ov[1];
            if (m1 <= m0) break;  /* an empty match: never for our regexes */
            if (m0 > pos && !push_end(out, n_out, cap, start + m0)) goto oom;
            if (!push_end(out, n_out, cap, start + m1)) goto oom;
            pos = m1;
        }
        if (pos < flen && !push_end(out, n_out, cap, end)) goto oom;
        start = end;
    }
    return PD_OK;
oom:
    return pd_fail(PD_ENOMEM, "tokenizer: out of memory");
}

/* What a code point is replaced by before matching (0 = itself): 0x0B for
 * non-ASCII whitespace, a stand-in for code points newer than pcre2. */
static uint32_t match_cp(uint32_t c)
{
    if (is_wide_space(c)) return 0x0B;
    return newer_stand_in(c);
}

/* The text as the regexes see it (see match_cp), and the map from its byte
 * offsets back to the original ones; both NULL when nothing changes. */
static pd_status map_text(const char *text, size_t len, char **mtext, size_t *mlen, size_t **m2o)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t extra = 0;
    bool any = false;
    for (size_t i = 0; i < len;) {
        int k = pd_utf8_seq(s + i, len - i);
        if (k <= 0) k = 1;
        if (k > 1 && match_cp(utf8_cp(s + i, k))) { any = true; extra++; }
        i += (size_t)k;
    }
    *mtext = NULL;
    *m2o = NULL;
    *mlen = len;
    if (!any) return PD_OK;
    size_t cap = len + 2 * extra + 1;   /* a stand-in may be longer than the original */
    char *t = malloc(cap);
    size_t *map = malloc(cap * sizeof *map);
    if (!t || !map) {
        free(t);
        free(map);
        return pd_fail(PD_ENOMEM, "tokenizer: out of memory");
    }
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        int k = pd_utf8_seq(s + i, len - i);
        if (k <= 0) k = 1;
        uint32_t r = k > 1 ? match_cp(utf8_cp(s + i, k)) : 0;
        if (r) {
            unsigned char enc[4];
            int n = 0;
            if (r < 0x80) enc[n++] = (unsigned char)r;
            else {   /* stand-ins are all 4-byte code points */
                enc[n++] = (unsigned char)(0xF0 | (r >> 18));
                enc[n++] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
                enc[n++] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
                enc[n++] = (unsigned char)(0x80 | (r & 0x3F));
            }
            for (int b = 0; b < n; b++) {
                map[j] = i;
                t[j++] = (char)enc[b];
            }
        } else {
            for (int b = 0; b < k; b++) {
                map[j] = i + (size_t)b;
                t[j++] = (char)s[i + (size_t)b];
            }
        }
        i += (size_t)k;
    }
    map[j] = len;
    t[j] = 0;
    *mtext = t;
    *mlen = j;
    *m2o = map;
    return PD_OK;
}

pd_status pd_pretok_split(const pd_pretok *p, const char *text, size_t len,
                          size_t **ends, size_t *n_ends, size_t *cap)
{
    size_t n0 = *n_ends;
    if (len == 0) return PD_OK;

    char *mtext;
    size_t mlen, *m2o;
    pd_status st = map_text(text, len, &mtext, &mlen, &m2o);
    if (st) return st;
    const char *s = mtext ? mtext : text;

    /* Ping-pong between two end arrays, one regex at a time. */
    size_t *a = malloc(sizeof *a), na = 1, capa = 1;
    size_t *b = NULL, nb = 0, capb = 0;
    pcre2_match_data *md = NULL;
    st = PD_OK;
    if (!a) { st = pd_fail(PD_ENOMEM, "tokenizer: out of memory"); goto done; }
    a[0] = mlen;
    md = pcre2_match_data_create(1, NULL);
    if (!md) { st = pd_fail(PD_ENOMEM, "tokenizer: out of memory"); goto done; }
    for (int r = 0; r < p->n; r++) {
        st = split_one(p->re[r], p->jit[r], md, s, a, na, &b, &nb, &capb);
        if (st) goto done;
        size_t *t = a; a = b; b = t;
        size_t tn = na; na = nb; nb = tn;
        size_t tc = capa; capa = capb; capb = tc;
    }
    for (size_t i = 0; i < na; i++) {
        size_t e = m2o ? m2o[a[i]] : a[i];
        if (!push_end(ends, n_ends, cap, e)) {
            *n_ends = n0;
            st = pd_fail(PD_ENOMEM, "tokenizer: out of memory");
            goto done;
        }
    }
done:
    pcre2_match_data_free(md);
    free(a);
    free(b);
    free(mtext);
    free(m2o);
    return st;
}
