/* tokenizer_impl.h - the tokenizer's internals, shared by tokenizer.c
 * (loading, lookups, pieces, detokenizer) and bpe.c (encoding). Not for use
 * outside these two files. */
#ifndef PD_SRC_TOKENIZER_IMPL_H
#define PD_SRC_TOKENIZER_IMPL_H

#include "tokenizer.h"
#include "pretok.h"

/* Byte-level encoded form of a byte ("Ġ" for ' '). */
typedef struct byte_enc { char s[3]; uint8_t n; } byte_enc;

typedef struct merge_ent {
    uint64_t key;      /* left id << 32 | right id; UINT64_MAX = empty */
    int32_t rank;
    int32_t result;    /* id of left+right */
} merge_ent;

struct pd_tokenizer {
    int n_vocab;
    char *text;            /* all token texts, each NUL-terminated */
    uint32_t *text_off, *text_len;
    char *piece;           /* all decoded pieces */
    uint32_t *piece_off, *piece_len;
    uint8_t *type;         /* PD_TOK_* (after fix-ups), 0 = undefined */
    uint8_t *eog;          /* 1 = end of generation */

    int32_t *tok_ht;       /* open addressing, -1 = empty */
    size_t tok_mask;
    merge_ent *merge_ht;
    size_t merge_mask;
    int32_t byte_tok[256]; /* the token of each single byte, -1 if missing */
    byte_enc byte_enc[256];
    int16_t cp_to_byte[324];  /* inverse for code points < 324, -1 = none */

    int32_t *special;      /* added tokens, longest text first */
    int n_special;
    /* special[by_first[b] .. by_first[b+1]) start with byte b, same order */
    int32_t *by_first_tok, *by_first_prio;
    int by_first[257];
    uint8_t special_pair[8192];   /* bit (b0 << 8 | b1): some special text starts b0 b1 */

    int32_t bos, eos, eot, eom;
    bool add_bos, ignore_merges;
    pd_pre_type pre;
    char pre_name[64];
    pd_pretok *pretok;
};

/* Token text -> id (exact bytes), or -1. */
int32_t pd_tok_lookup_n(const pd_tokenizer *t, const char *s, size_t n);
/* The merge of the pair (l, r), or NULL. */
const merge_ent *pd_tok_merge_find(const pd_tokenizer *t, int32_t l, int32_t r);

#endif /* PD_SRC_TOKENIZER_IMPL_H */
