/* tokenizer.h - byte-level BPE tokenizer (GGUF tokenizer.ggml.model = gpt2)
 * with llama.cpp-compatible pre-tokenizers and special-token handling, and a
 * streaming detokenizer.
 *
 * Encoding, step by step (the same steps llama.cpp takes):
 *   1. Invalid UTF-8 in the input: every byte that does not belong to a
 *      valid, shortest-form sequence (surrogates and > U+10FFFF included)
 *      becomes U+FFFD, one per byte, as llama.cpp does with bytes it cannot
 *      decode (llama.cpp accepts overlong forms and surrogates; we do not).
 *      Never a crash; detokenizing gives back the text with those U+FFFD.
 *   2. Added tokens are cut out first, longest first (llama.cpp's
 *      tokenizer_st_partition): with parse_special, CONTROL, USER_DEFINED and
 *      UNKNOWN tokens; without it only USER_DEFINED ones (Qwen3's <think>).
 *   3. The remaining text goes through the pre-tokenizer regexes of
 *      tokenizer.ggml.pre, each splitting the pieces of the previous one.
 *   4. Each piece is byte-encoded (GPT-2 bytes_to_unicode) and merged by BPE
 *      rank (lowest rank first, leftmost on ties).
 * No BOS/EOS is added here: callers add pd_token_bos() when
 * pd_tokenizer_add_bos() says so.
 */
#ifndef PD_SRC_TOKENIZER_H
#define PD_SRC_TOKENIZER_H

#include "ponder.h"
#include "gguf.h"

typedef struct pd_tokenizer pd_tokenizer;

/* Token types as stored in tokenizer.ggml.token_type. */
enum {
    PD_TOK_NORMAL = 1, PD_TOK_UNKNOWN = 2, PD_TOK_CONTROL = 3,
    PD_TOK_USER_DEFINED = 4, PD_TOK_UNUSED = 5, PD_TOK_BYTE = 6
};

/* Pre-tokenizer families (tokenizer.ggml.pre). */
typedef enum {
    PD_PRE_GPT2 = 0,      /* "gpt-2", "default" and unknown names */
    PD_PRE_LLAMA3,        /* "llama-bpe", "llama3" */
    PD_PRE_QWEN2,         /* "qwen2" */
    PD_PRE_DEEPSEEK_LLM,  /* "deepseek-llm" */
    PD_PRE_DEEPSEEK_CODER,/* "deepseek-coder" */
    PD_PRE_DEEPSEEK_V3,   /* "deepseek-v3" */
} pd_pre_type;

/* Build from the tokenizer.ggml.* keys of an open file. The tokenizer keeps
 * no pointer into g: g may be closed afterwards. */
pd_status pd_tokenizer_load(const pd_gguf *g, pd_tokenizer **out);
void pd_tokenizer_free(pd_tokenizer *t);

int pd_tokenizer_n_vocab(const pd_tokenizer *t);
pd_pre_type pd_tokenizer_pre(const pd_tokenizer *t);
const char *pd_tokenizer_pre_name(const pd_tokenizer *t);   /* as in the file */

/* Encode UTF-8 text (len bytes, may contain NUL). parse_special: match
 * CONTROL/USER_DEFINED/UNKNOWN added tokens (prompt templates); without it
 * only USER_DEFINED ones. *ids is malloc'd (possibly NULL when *n_ids is 0);
 * the caller frees it. Thread-safe: t is only read. */
pd_status pd_tokenize(const pd_tokenizer *t, const char *text, size_t len,
                      bool parse_special, int32_t **ids, size_t *n_ids);

/* Like pd_tokenize with parse_special, but CONTROL/UNKNOWN added tokens are
 * matched only where special_mask[i] != 0 for every byte of the match (the
 * bytes a chat template wrote itself, see pd_chat_render_mask), so that text
 * the user typed never becomes a special token. USER_DEFINED tokens match
 * anywhere. special_mask NULL: as parse_special = false. */
pd_status pd_tokenize_masked(const pd_tokenizer *t, const char *text, size_t len,
                             const uint8_t *special_mask, int32_t **ids, size_t *n_ids);

/* Raw vocabulary string (byte-level encoded, e.g. "Ġthe"); NULL if out of range. */
const char *pd_token_text(const pd_tokenizer *t, int32_t id);
/* The bytes the token decodes to (byte-level decoded; CONTROL and
 * USER_DEFINED tokens decode to their text). NULL if out of range. */
const char *pd_token_piece(const pd_tokenizer *t, int32_t id, size_t *len);
/* Exact vocabulary string -> id, or -1. */
int32_t pd_token_lookup(const pd_tokenizer *t, const char *text);
/* Token type (PD_TOK_*) after llama.cpp's fix-ups (end-of-generation tokens
 * are CONTROL); 0 if out of range. */
int pd_token_type(const pd_tokenizer *t, int32_t id);

int32_t pd_token_bos(const pd_tokenizer *t);  /* -1 when none */
int32_t pd_token_eos(const pd_tokenizer *t);  /* -1 when none */
/* End of generation: eos, eot, and tokens named like <|im_end|>,
 * <|endoftext|>, <|eot_id|>, <｜end▁of▁sentence｜>, </s>, ... (llama.cpp rules). */
bool pd_token_is_eog(const pd_tokenizer *t, int32_t id);
bool pd_token_is_control(const pd_tokenizer *t, int32_t id);
/* tokenizer.ggml.add_bos_token (false when absent). */
bool pd_tokenizer_add_bos(const pd_tokenizer *t);

/* Streaming detokenizer: push tokens one by one; only complete UTF-8
 * sequences come out, a partial one is held back until the next token
 * completes it (or proves it invalid: then it comes out as U+FFFD). Zero-init
 * a pd_detok to start. */
typedef struct pd_detok {
    unsigned char pending[8];
    int n_pending;
} pd_detok;

/* Appends the token's bytes to the pending ones and writes what is complete
 * to out; bytes that can never form a valid sequence come out as U+FFFD
 * (3 bytes each). Returns bytes written. cap >= PD_DETOK_CAP(piece length)
 * is always enough (output that does not fit is dropped, never overflowed).
 * Unknown ids add nothing. */
#define PD_DETOK_CAP(piece_len) (3 * ((size_t)(piece_len) + 4))
size_t pd_detok_push(pd_detok *d, const pd_tokenizer *t, int32_t id,
                     char *out, size_t cap);
/* End of stream: whatever is still pending comes out as one U+FFFD
 * (cap >= 8 is enough); d is reset. */
size_t pd_detok_flush(pd_detok *d, char *out, size_t cap);

#endif /* PD_SRC_TOKENIZER_H */
