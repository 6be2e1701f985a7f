/* thoughts.h - cuts the decoded think stream into thoughts (DESIGN.md §5).
 *
 * A new thought starts where a phrase of the set (phrases.h, any group)
 * begins a sentence or a paragraph, matched with pcre2 (case-insensitive,
 * UTF + UCP) on the decoded text:
 *   - after a newline (then optional blanks, an optional "**"),
 *   - after '.', '!', '?' or ':' followed by one or more blanks,
 *   - after '。', '！', '？', '：' or '；' (blanks optional),
 * and the phrase must end at a word boundary (the next character is not a
 * letter, digit or '_', nor a '-' joining another word: "Wait-free");
 * phrases ending in a Han or Kana character need no boundary, since those
 * scripts do not separate words. Apostrophes match
 * ' and ’, a space matches any run of whitespace. A phrase that opens the
 * think block (only blanks before it) is part of thought 0, not a new one.
 * When several phrases match at one place the longest wins.
 *
 * Text arrives token by token: a match is reported only once it is
 * complete and the character after it is known (pcre2 hard partial
 * matching), so a phrase split over tokens ("Altern" + "atively" + ",") is
 * found exactly once, at the position of the token holding its first byte.
 * pd_segmenter_finish resolves what waits at the end of the block.
 */
#ifndef PD_SRC_THOUGHTS_H
#define PD_SRC_THOUGHTS_H

#include "ponder.h"
#include "phrases.h"

typedef struct pd_thought {
    int index;               /* 0 = the thought that opens <think> */
    int start;               /* position (generated-token index) of its first token */
    int end;                 /* one past its last token; -1 while it is open */
    int group;               /* PD_GROUP_* of the trigger, 0 for index 0 */
    char trigger[PD_PHRASE_MAX + 1]; /* the phrase of the set that matched ("" for 0) */
    size_t text_start;       /* byte offset in the block's think text */
} pd_thought;

typedef void (*pd_thought_fn)(const pd_thought *t, void *user);

typedef struct pd_segmenter pd_segmenter;

pd_status pd_segmenter_new(const pd_phrases *ph, pd_segmenter **out);
void pd_segmenter_free(pd_segmenter *s);
/* Forget everything (a new turn). */
void pd_segmenter_reset(pd_segmenter *s);
/* A think block opens; its first token is at pos: thought `index` (0 for the
 * first block of the turn) begins there and is returned. */
const pd_thought *pd_segmenter_begin(pd_segmenter *s, int pos);
/* Decoded think text of the token at pos (complete UTF-8); fn is called for
 * every thought this completes. */
pd_status pd_segmenter_push(pd_segmenter *s, const char *text, size_t len, int pos,
                            pd_thought_fn fn, void *user);
/* The block ends before token end_pos: pending matches are resolved (fn),
 * the open thought is closed. */
pd_status pd_segmenter_finish(pd_segmenter *s, int end_pos, pd_thought_fn fn, void *user);

int pd_segmenter_count(const pd_segmenter *s);
const pd_thought *pd_segmenter_get(const pd_segmenter *s, int i);
/* The think text of the current block so far. */
const char *pd_segmenter_text(const pd_segmenter *s, size_t *len);

#endif
