/* phrases.h - phrase sets (share/ponder/phrases/NAME.txt): the transition
 * phrases that start a new thought, in groups.
 *
 * Format, line by line (UTF-8; a leading BOM and CR line ends are accepted):
 *   # comment            '#' to the end of the line is a comment
 *   [switch]             a section header: [switch] or [reflect]
 *   Alternatively        a phrase of the current section
 * Surrounding blanks are trimmed and inner runs of blanks become one space.
 * Errors name the line: a phrase before any section, an unknown section,
 * invalid UTF-8 or control characters, a phrase over PD_PHRASE_MAX bytes, a
 * phrase repeated (case-insensitively), a chat-template marker such as
 * <think>, </think>, <answer> or <|im_end|> in a phrase, or a file without
 * phrases.
 */
#ifndef PD_SRC_PHRASES_H
#define PD_SRC_PHRASES_H

#include "ponder.h"

#define PD_PHRASE_MAX 128
#define PD_PHRASES_MAX 1024

typedef struct pd_phrase {
    char *text;     /* normalised, NUL-terminated */
    int group;      /* PD_GROUP_SWITCH or PD_GROUP_REFLECT */
    int line;       /* in the source, from 1 */
} pd_phrase;

typedef struct pd_phrases {
    pd_phrase *v;
    int n;
    char *source;   /* file name, or "built-in" */
} pd_phrases;

/* Parse a whole file's text; name is used in error messages. */
pd_status pd_phrases_parse(const char *text, size_t len, const char *name, pd_phrases **out);
/* Read and parse a file; NULL = the built-in English set (the same text as
 * share/ponder/phrases/en.txt, compiled in so the engine never depends on an
 * installed file). */
pd_status pd_phrases_load(const char *path, pd_phrases **out);
void pd_phrases_free(pd_phrases *ph);

/* The built-in English set's text. */
const char *pd_phrases_builtin_text(void);

/* "switch", "reflect", or "" for anything else. */
const char *pd_group_name(int group);

/* UTF-8 helpers shared by the TIP and segmenter code: length of the valid,
 * shortest-form sequence at s[0..n) (1..4), or 0 when it is invalid. */
int pd_utf8_seq_len(const unsigned char *s, size_t n);

#endif
