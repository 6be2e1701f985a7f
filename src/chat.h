/* chat.h - built-in chat templates: turn a conversation into the prompt text
 * of a model family (special tokens written as their text, to be tokenized
 * with parse_special = true), and pick the family from a file's metadata.
 *
 * BOS: the renderer writes bos_text first when it is not NULL, for every
 * family (as the DeepSeek template's {{bos_token}} does). Callers pass
 * pd_token_text(t, pd_token_bos(t)) when pd_tokenizer_add_bos(t), else NULL,
 * and then tokenize WITHOUT adding another BOS. pd_chat_tokenize does all of
 * this (and keeps user text from becoming special tokens): prefer it.
 */
#ifndef PD_SRC_CHAT_H
#define PD_SRC_CHAT_H

#include "ponder.h"
#include "gguf.h"
#include "tokenizer.h"

typedef enum {
    PD_CHAT_DEEPSEEK_R1,  /* <｜User｜>..<｜Assistant｜><think>\n */
    PD_CHAT_QWEN3,        /* ChatML with Qwen3's thinking rules */
    PD_CHAT_R1_ZERO,      /* plain-text R1-Zero prompt (see chat.c) */
    PD_CHAT_CHATML,       /* plain ChatML */
    PD_CHAT_RAW,          /* no template: the contents, concatenated */
    PD_CHAT_COUNT
} pd_chat_family;

/* Family from the file: the key "ponder.chat_template" (a family name), else
 * markers in tokenizer.chat_template, else the special tokens present and the
 * architecture. *recognised is false when the choice is a fallback guess (a
 * Jinja template we do not know, or none at all): callers should say so. */
pd_chat_family pd_chat_detect(const pd_gguf *g, const pd_tokenizer *t, bool *recognised);

/* "deepseek-r1", "qwen3", "r1-zero", "chatml", "raw". */
bool pd_chat_family_from_name(const char *name, pd_chat_family *out);
const char *pd_chat_family_name(pd_chat_family f);

/* True when the generation prompt already opens a <think> block (the model's
 * first tokens are reasoning): deepseek-r1 and r1-zero. For qwen3 the model
 * writes <think> itself. */
bool pd_chat_opens_think(pd_chat_family f);

typedef struct pd_chat_msg {
    const char *role;     /* "system", "user", "assistant" */
    const char *content;  /* UTF-8; assistant turns may contain <think>...</think> */
} pd_chat_msg;

/* Render the conversation (+ the generation prompt) into a malloc'd string.
 * Earlier assistant turns lose their <think>...</think> part, as the
 * DeepSeek-R1 and Qwen3 templates do. NULL on an unknown role or out of
 * memory (pd_errmsg() says which). */
char *pd_chat_render(pd_chat_family f, const pd_chat_msg *msgs, size_t n,
                     bool add_generation_prompt, const char *bos_text);

/* The same, plus *mask (malloc'd, one byte per byte of the result, or NULL
 * on failure): 1 where the template wrote the text (special tokens allowed),
 * 0 for message contents. Feed both to pd_tokenize_masked. */
char *pd_chat_render_mask(pd_chat_family f, const pd_chat_msg *msgs, size_t n,
                          bool add_generation_prompt, const char *bos_text, uint8_t **mask);

/* Render and tokenize in one step, the way prompts should be built: BOS when
 * the tokenizer adds one, special tokens only where the template wrote them
 * (a user typing "<|im_end|>" gets plain text). *ids is malloc'd. */
pd_status pd_chat_tokenize(const pd_tokenizer *t, pd_chat_family f, const pd_chat_msg *msgs,
                           size_t n, bool add_generation_prompt, int32_t **ids, size_t *n_ids);

#endif /* PD_SRC_CHAT_H */
