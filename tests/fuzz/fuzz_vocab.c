/* fuzz_vocab.c - libFuzzer target for what a GGUF file's metadata drives
 * besides the reader itself: the vocabulary loader (pd_tokenizer_load: tokens,
 * token types, merges, special ids, pre-tokenizer name) and the chat template
 * detection (pd_chat_detect on tokenizer.chat_template, ponder.chat_template,
 * general.architecture and the special tokens). Any bytes that parse as a GGUF
 * are loaded; a vocabulary that loads must encode a fixed text and a chat to
 * ids in range that decode again. Seeds: small gpt2 vocabularies with each
 * family's template (seeds-vocab/). Build and run with `make fuzz-text`. */
#include "chat.h"
#include "gguf.h"
#include "tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void check_family(pd_chat_family f)
{
    if ((unsigned)f >= PD_CHAT_COUNT || !pd_chat_family_name(f)[0])
        __builtin_trap();
}

static void check_ids(const pd_tokenizer *t, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (ids[i] < 0 || ids[i] >= pd_tokenizer_n_vocab(t) || !pd_token_piece(t, ids[i], &len))
            __builtin_trap();
        sink += len;
    }
}

static void use_vocab(const pd_gguf *g, const pd_tokenizer *t)
{
    static const char text[] = "Hello world! 12 + 35 = 47\n\n<think>\xe4\xbd\xa0\xe5\xa5\xbd</think>"
                               "<|im_start|> \xef\xbf\xbd\t the end";
    int32_t *ids = NULL;
    size_t n = 0;
    for (int special = 0; special < 2; special++) {
        /* a vocabulary without some byte's token may refuse the text, with
         * a message; what it encodes must be ids it has */
        if (pd_tokenize(t, text, sizeof text - 1, special, &ids, &n) != PD_OK)
            continue;
        check_ids(t, ids, n);
        free(ids);
    }
    bool rec;
    pd_chat_family f = pd_chat_detect(g, t, &rec);
    check_family(f);
    const pd_chat_msg chat[] = { {"system", "Be brief."}, {"user", "What is 12 + 35?"} };
    if (pd_chat_tokenize(t, f, chat, 2, true, &ids, &n) == PD_OK) {
        check_ids(t, ids, n);
        free(ids);
    }
    sink += (size_t)pd_token_lookup(t, "<think>") + (size_t)pd_token_bos(t) +
            (size_t)pd_token_eos(t) + pd_tokenizer_add_bos(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_gguf *g = NULL;
    if (pd_gguf_open_mem(data, size, "fuzz.gguf", &g) != PD_OK)
        return 0;
    bool rec;
    check_family(pd_chat_detect(g, NULL, &rec));   /* what `info` does without a vocabulary */
    pd_tokenizer *t = (pd_tokenizer *)1;
    if (pd_tokenizer_load(g, &t) == PD_OK) {
        if (!t)
            __builtin_trap();
        use_vocab(g, t);
        pd_tokenizer_free(t);
    } else if (t) {
        __builtin_trap();          /* a refusal leaves nothing behind */
    }
    pd_gguf_close(g);
    return 0;
}
