/* fuzz_phrases.c - libFuzzer target for phrase sets (--tip-phrases FILE,
 * share/ponder/phrases): pd_phrases_parse on any bytes. A set it accepts
 * keeps the promises of phrases.h: 1..PD_PHRASES_MAX phrases, each valid
 * UTF-8 without control characters, trimmed, at most PD_PHRASE_MAX bytes, in
 * a known group, unique ignoring case; a refusal names the file. Build and
 * run with `make fuzz-text` (clang). */
#include "phrases.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_phrase(const pd_phrase *p)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t n = strlen(p->text);
    if (n == 0 || n > PD_PHRASE_MAX || s[0] == ' ' || s[n - 1] == ' ' || strstr(p->text, "  "))
        __builtin_trap();
    for (size_t i = 0; i < n;) {
        int k = pd_utf8_seq_len(s + i, n - i);
        if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
            __builtin_trap();
        i += (size_t)k;
    }
    if ((p->group != PD_GROUP_SWITCH && p->group != PD_GROUP_REFLECT) || p->line < 1)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_phrases *ph = (pd_phrases *)1;
    pd_status st = pd_phrases_parse((const char *)data, size, "fuzz.txt", &ph);
    if (st != PD_OK) {
        if (ph || strncmp(pd_errmsg(), "fuzz.txt", 8) != 0)
            __builtin_trap();
        return 0;
    }
    if (!ph || ph->n < 1 || ph->n > PD_PHRASES_MAX || strcmp(ph->source, "fuzz.txt") != 0)
        __builtin_trap();
    for (int i = 0; i < ph->n; i++) {
        check_phrase(&ph->v[i]);
        if (i > 0 && ph->v[i].line <= ph->v[i - 1].line)
            __builtin_trap();
        for (int j = 0; j < i && ph->n <= 64; j++)   /* quadratic: small sets only */
            if (strcasecmp(ph->v[i].text, ph->v[j].text) == 0)
                __builtin_trap();
    }
    pd_phrases_free(ph);
    return 0;
}
