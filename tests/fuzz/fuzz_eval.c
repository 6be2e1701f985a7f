/* fuzz_eval.c - libFuzzer target for eval sets (`ponder eval --set FILE`,
 * JSONL): pd_eval_load on any bytes through a file, then the answer and
 * thought checkers of every item it accepts on the input itself (model
 * output is untrusted text too). A refusal names the file; an accepted set
 * holds at least one item with a prompt and an answer. Build and run with
 * `make fuzz-text` (clang). */
#include "fuzz_file.h"
#include "eval.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile int sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    pd_eval_set *set = (pd_eval_set *)1;
    if (pd_eval_load(path, &set) != PD_OK) {
        if (set || strncmp(pd_errmsg(), path, strlen(path)) != 0)
            __builtin_trap();
        return 0;
    }
    if (!set || set->n < 1)
        __builtin_trap();
    for (int i = 0; i < set->n && i < 64; i++) {
        const pd_eval_item *it = &set->v[i];
        if (!it->prompt || !it->answer || (it->numeric && !isfinite(it->value)))
            __builtin_trap();
        sink += pd_eval_answer_correct(it, (const char *)data, size);
        sink += pd_eval_thought_correct(it, (const char *)data, size);
        /* its own answer text is always a right answer */
        if (!pd_eval_answer_correct(it, it->answer, strlen(it->answer)))
            __builtin_trap();
    }
    pd_eval_set_free(set);
    return 0;
}
