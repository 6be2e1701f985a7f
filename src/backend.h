/* backend.h - what a compute backend implements (an ops table, tig style),
 * and the choice between them: the CPU backend is built in; the CUDA backend
 * is a plugin (kernels/ponder-cuda.so) loaded with dlopen.
 *
 * A plugin exports one C symbol, PD_BACKEND_PLUGIN_SYMBOL, of type
 * pd_backend_entry_fn, returning its ops table (NULL when it cannot run, with
 * the reason in pd_errmsg()).
 */
#ifndef PD_BACKEND_H
#define PD_BACKEND_H

#include "model.h"

#define PD_BACKEND_ABI 1

typedef struct pd_backend_ops {
    int abi;                   /* PD_BACKEND_ABI */
    const char *name;          /* "cpu", "cuda" */
    /* Is the backend usable on this machine (a GPU present)? Fills why. */
    bool (*available)(char *why, size_t why_size);
    /* Build the per-model state: weights placed, KV cache for m->n_ctx. */
    pd_status (*create)(pd_model *m, const pd_model_opts *o, void **state);
    /* Evaluate tokens[0..n) at positions pos0..pos0+n-1; the cache holds
     * positions [0, pos0) on entry (so a smaller pos0 rewinds) and
     * [0, pos0+n) on return. logits: the last position's n_vocab values, or
     * all n rows when all_logits. */
    pd_status (*forward)(void *state, const int32_t *tokens, int n, int pos0,
                         float *logits, bool all_logits);
    void (*destroy)(void *state);
} pd_backend_ops;

typedef const pd_backend_ops *(*pd_backend_entry_fn)(void);
#define PD_BACKEND_PLUGIN_SYMBOL "pd_backend_cuda_entry"

/* The built-in CPU backend (src/cpu/). */
const pd_backend_ops *pd_backend_cpu(void);

/* Pick and create the backend of opts->backend for m: sets m->be, m->be_state,
 * m->be_note (for auto: why CUDA was not used, "" otherwise). */
pd_status pd_backend_attach(pd_model *m, const pd_model_opts *opts);
void pd_backend_detach(pd_model *m);

#endif /* PD_BACKEND_H */
