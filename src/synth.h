/* synth.h - random-weight GGUF files with the exact shapes and metadata of
 * real models (`ponder synth`), so that speed can be measured at real sizes
 * without downloads. The weights are noise from a fixed seed; the tokenizer
 * section is a small byte-level BPE vocabulary padded to the model's size,
 * with the model's special tokens at their real ids. */
#ifndef PD_SRC_SYNTH_H
#define PD_SRC_SYNTH_H

#include "ponder.h"
#include "quant.h"

/* The presets: "qwen3-30b-a3b", "deepseek-v2-lite", ... (see synth.c). */
size_t pd_synth_n_presets(void);
const char *pd_synth_preset_name(size_t i);
const char *pd_synth_preset_desc(size_t i);

/* Weight types synth can write: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K
 * Q5_K Q6_K. */
bool pd_synth_type_ok(pd_type t);

/* Progress: bytes written so far of the total; return false to cancel. */
typedef bool (*pd_synth_progress_fn)(void *user, uint64_t done, uint64_t total);

/* How the matrices' types are chosen: every one in `type` (what
 * `llama-quantize --pure` does), or with Q4_K/Q5_K llama-quantize's _S or
 * _M mix (llama_tensor_get_type's rules: output in Q6_K, some attn_v,
 * ffn_down and attn_output in more bits, attn_v/attn_k in Q8_0 for 8
 * experts). */
typedef enum { PD_SYNTH_PURE, PD_SYNTH_MIX_S, PD_SYNTH_MIX_M } pd_synth_mix;

/* Called for each tensor, in file order, with its stored type. */
typedef void (*pd_synth_tensor_fn)(void *user, const char *name, pd_type type, int n_dims,
                                   const int64_t *ne);

typedef struct pd_synth_opts {
    const char *preset;
    pd_type type;               /* type of the 2-D/3-D weights; 1-D stay F32 */
    pd_synth_mix mix;           /* with Q4_K or Q5_K: llama-quantize's _S/_M mix */
    int n_layer;                /* > 0: this many layers instead of the preset's */
    int n_expert;               /* > 0: this many experts instead of the preset's */
    pd_synth_tensor_fn on_tensor;   /* may be NULL */
    uint64_t seed;              /* same seed, same file */
    int n_threads;              /* 0 = all cores */
    bool dry_run;               /* plan only: fill in the result, write nothing */
    pd_synth_progress_fn progress;
    void *user;
} pd_synth_opts;

typedef struct pd_synth_result {
    uint64_t params;            /* parameter count */
    uint64_t file_bytes;        /* size of the file */
    int64_t n_tensors;
    int64_t n_fallback;         /* matrices stored in a fallback type */
} pd_synth_result;

/* Write the file (streaming; temporary file + rename); *res (may be NULL)
 * describes it. Matrices whose row length is not a multiple of the type's
 * block fall back like llama-quantize does: Q4_K to Q5_0, Q5_K to Q5_1,
 * Q6_K to Q8_0, and to F16 when that does not fit either. */
pd_status pd_synth_write(const pd_synth_opts *o, const char *path, pd_synth_result *res);

#endif /* PD_SRC_SYNTH_H */
