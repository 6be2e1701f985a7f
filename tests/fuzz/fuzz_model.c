/* fuzz_model.c - libFuzzer target for the model loader and what runs on what
 * it accepts: any bytes that parse as a GGUF are opened as a model
 * (pd_model_open: architecture, hyperparameters, tensors bound and checked
 * against them, the memory plan, the vocabulary if any, the CPU backend with
 * 1 thread and a context of 64) and, when that succeeds, three tokens go
 * through the forward pass as one batch, then a fourth on their cache. A refusal must come with a message; an accepted model must compute (random or hostile weights may give
 * NaN logits: the values are the file's business, reading out of bounds is
 * not). PONDER_MEM_AVAILABLE caps the memory plan at 256 MiB so a hostile
 * file is refused before it makes the fuzzer allocate gigabytes.
 * Every engine source but the SIMD kernels is compiled with the sanitizers.
 * Seeds: tiny models of each architecture (seeds-model/, make-model-seeds.py);
 * dictionary: model.dict. Run with `make fuzz-model`. */
#include "fuzz_file.h"
#include "model.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static volatile float sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("PONDER_MEM_AVAILABLE", "268435456", 0);
    /* the SIMD kernels come uninstrumented from libponder (see Makefile.am):
     * the scalar ones are compiled here, so ASan sees every product's reads
     * and writes; PONDER_SIMD=avx2 runs the repacked Q4_K path instead */
    setenv("PONDER_SIMD", "scalar", 0);
    return 0;
}

static bool forward(pd_model *m, const int32_t *ids, int n, int pos0, float *logits)
{
    if (pd_model_forward(m, ids, n, pos0, logits, false) != PD_OK) {
        if (!pd_errmsg()[0])
            __builtin_trap();
        return false;
    }
    float s = 0;
    for (int i = 0; i < pd_model_n_vocab(m); i++)
        s += logits[i];
    sink = s;
    return true;
}

/* Three ids spread over the vocabulary as one batch (prefill), then one
 * more token on the cache (decode: other products and attention kernels). */
static void run(pd_model *m)
{
    const int V = pd_model_n_vocab(m);
    if (V <= 0)
        __builtin_trap();
    const int32_t ids[3] = { 0, V / 2, V - 1 };
    float *logits = malloc(sizeof(float) * (size_t)V);
    if (!logits)
        abort();
    if (forward(m, ids, 3, 0, logits))
        forward(m, ids + 1, 1, 3, logits);
    free(logits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_threads = 1;
    o.n_ctx = 64;
    pd_model *m = NULL;
    if (pd_model_open(path, &o, &m) != PD_OK) {
        if (m || !pd_errmsg()[0])   /* a refusal says why and leaves nothing open */
            __builtin_trap();
        return 0;
    }
    run(m);
    pd_model_close(m);
    return 0;
}
