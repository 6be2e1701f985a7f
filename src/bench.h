/* bench.h - throughput measurement for `ponder bench`: prefill and decode
 * tokens/s of a model, the memory bandwidth decode achieves (bytes of
 * weights touched per token / time), and the machine's copy bandwidth to
 * compare it with (copy and read). */
#ifndef PD_BENCH_H
#define PD_BENCH_H

#include "model.h"

/* The most repetitions one run takes (`ponder bench -r`). */
#define PD_BENCH_MAX_REPS 100

typedef struct pd_bench_result {
    int n_prompt, n_gen, depth, threads;
    int reps;                          /* repetitions of each test */
    const char *backend;
    /* tok/s of each repetition, in the order they ran */
    double prefill_each[PD_BENCH_MAX_REPS], decode_each[PD_BENCH_MAX_REPS];
    /* the reported figures: the median of the repetitions (the mean of the
     * middle two when their number is even), and the range around it */
    double prefill_tok_s, decode_tok_s;
    double prefill_min, prefill_max, decode_min, decode_max;
    double active_bytes;               /* weight bytes one decoded token reads */
    double active_params;              /* weights one token multiplies with */
    double decode_gb_s;                /* active_bytes * median decode tok/s */
    double prefill_gflop_s;            /* 2 * active_params * median prefill tok/s */
    double copy_gb_s;                  /* memcpy traffic (read + write) */
    double read_gb_s;                  /* bytes read by a summing loop: the better
                                          of a run before and one after */
} pd_bench_result;

/* As llama-bench: with `depth` tokens already in the cache (untimed), prefill
 * n_prompt pseudo-random tokens in one call, then, from the same depth
 * again, decode n_gen of those tokens one at a time (the logits are not
 * sampled: the engine's time only); `reps` times (1..PD_BENCH_MAX_REPS),
 * each from the same state: every pass rewinds the cache to the depth
 * tokens, which are filled once and stay. Before all of them, untimed, a
 * warm-up as llama-bench's: a prefill of n_prompt tokens and one decoded
 * token. The model's context must hold depth + max(n_prompt, n_gen) tokens. */
pd_status pd_bench_run(pd_model *m, int n_prompt, int n_gen, int depth, int reps,
                       pd_bench_result *r);

/* Memory copy bandwidth with `threads` threads over large buffers, best of
 * a few runs, counting bytes read plus bytes written (STREAM's convention).
 * 0 when the buffers cannot be allocated. */
double pd_bench_copy_gbs(int threads);
/* Read bandwidth with `threads` threads: a loop that sums large buffers,
 * best of a few runs. Decode only reads weights, so this is its floor;
 * write-allocate traffic makes a copy's count differ from it either way.
 * 0 when the buffer cannot be allocated. */
double pd_bench_read_gbs(int threads);

#endif /* PD_BENCH_H */
