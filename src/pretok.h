/* pretok.h - the pre-tokenizer of a byte-level BPE vocabulary: the regex
 * splits of tokenizer.ggml.pre (the lists llama.cpp uses), run with pcre2,
 * plus the UTF-8 helpers the tokenizer and detokenizer share.
 */
#ifndef PD_SRC_PRETOK_H
#define PD_SRC_PRETOK_H

#include "tokenizer.h"

typedef struct pd_pretok pd_pretok;

/* Map a tokenizer.ggml.pre name to its family (unknown names -> GPT2,
 * *known = false). */
pd_pre_type pd_pre_from_name(const char *name, bool *known);

pd_status pd_pretok_new(pd_pre_type type, pd_pretok **out);
void pd_pretok_free(pd_pretok *p);

/* Split valid UTF-8 text into pieces. Appends the end offset (in bytes,
 * exclusive, relative to text) of each piece to *ends (grown with realloc,
 * *cap its capacity); pieces cover the text without gaps. Thread-safe. */
pd_status pd_pretok_split(const pd_pretok *p, const char *text, size_t len,
                          size_t **ends, size_t *n_ends, size_t *cap);

/* Length of the UTF-8 sequence at s (n bytes available): k > 0 for a valid,
 * shortest-form sequence of k bytes; 0 when s[0] cannot start one (or the
 * bytes after it prove it invalid); -k when the n bytes are a valid but
 * incomplete prefix of a k-byte sequence. n must be > 0. */
int pd_utf8_seq(const unsigned char *s, size_t n);

/* Copy text into valid UTF-8, replacing every byte that does not belong to a
 * valid sequence by U+FFFD (EF BF BD). Returns NULL when text is already
 * valid (nothing to do), else a malloc'd buffer (*out_len set); sets *oom on
 * allocation failure. */
char *pd_utf8_sanitize(const char *text, size_t len, size_t *out_len, bool *oom);

#endif /* PD_SRC_PRETOK_H */
