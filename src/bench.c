/* bench.c - `ponder bench` measurements (see bench.h). Timing is wall clock
 * (CLOCK_MONOTONIC); the copy test runs on the same thread pool size as the
 * model so the two bandwidths compare like with like. */
#include "bench.h"
#include "cpu/pool.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct copy_job { char *dst; const char *src; size_t n; atomic_size_t next; } copy_job;

#define COPY_CHUNK ((size_t)4 << 20)

/* pool job: copy 4 MiB pieces claimed from a shared counter */
static void copy_part(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    copy_job *j = arg;
    for (;;) {
        const size_t a = atomic_fetch_add(&j->next, COPY_CHUNK);
        if (a >= j->n)
            return;
        memcpy(j->dst + a, j->src + a, a + COPY_CHUNK < j->n ? COPY_CHUNK : j->n - a);
    }
}

typedef struct read_job { const uint64_t *src; size_t n; atomic_size_t next; atomic_ullong sink; } read_job;

/* pool job: sum 4 MiB pieces claimed from a shared counter (four sums so
 * the loop is not one long dependency chain; the total is kept so the
 * reads cannot be optimised away) */
static void read_part(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    read_job *j = arg;
    const size_t chunk = COPY_CHUNK / sizeof(uint64_t);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (;;) {
        const size_t a = atomic_fetch_add(&j->next, chunk);
        if (a >= j->n)
            break;
        const size_t b = a + chunk < j->n ? a + chunk : j->n;
        for (size_t i = a; i + 4 <= b; i += 4) {
            s0 += j->src[i];
            s1 += j->src[i + 1];
            s2 += j->src[i + 2];
            s3 += j->src[i + 3];
        }
    }
    atomic_fetch_add(&j->sink, s0 + s1 + s2 + s3);
}

/* Best wall time of 5 runs of a pool job whose work counter is *next
 * (reset before each run); a negative time when no pool can be made. */
static double best_of_5(int threads, pd_pool_job job, void *arg, atomic_size_t *next)
{
    pd_pool *pool = NULL;
    if (pd_pool_new(threads, &pool) != PD_OK)
        return -1;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        atomic_store(next, 0);
        double t0 = now();
        pd_pool_run(pool, job, arg);
        double t = now() - t0;
        if (t < best) best = t;
    }
    pd_pool_free(pool);
    return best;
}

double pd_bench_read_gbs(int threads)
{
    const size_t bytes = (size_t)512 << 20;
    uint64_t *src = malloc(bytes);
    if (!src)
        return 0;
    memset(src, 1, bytes);
    read_job j = { src, bytes / sizeof *src, 0, 0 };
    const double t = best_of_5(threads, read_part, &j, &j.next);
    free(src);
    return t > 0 ? (double)bytes / t / 1e9 : 0;
}

double pd_bench_copy_gbs(int threads)
{
    const size_t n = (size_t)256 << 20;   /* far beyond any cache */
    char *src = malloc(n), *dst = malloc(n);
    double t = -1;
    if (src && dst) {
        memset(src, 1, n);
        memset(dst, 2, n);   /* fault the pages in before timing */
        copy_job j = { dst, src, n, 0 };
        t = best_of_5(threads, copy_part, &j, &j.next);
    }
    free(src);
    free(dst);
    return t > 0 ? 2.0 * (double)n / t / 1e9 : 0;
}

/* The median of v[0..n) (the mean of the middle two when n is even), and
 * its smallest and largest values. */
static double median_range(const double *v, int n, double *lo, double *hi)
{
    double s[PD_BENCH_MAX_REPS];
    for (int i = 0; i < n; i++) {   /* insertion sort: n is small */
        int j = i;
        for (; j > 0 && s[j - 1] > v[i]; j--)
            s[j] = s[j - 1];
        s[j] = v[i];
    }
    *lo = s[0];
    *hi = s[n - 1];
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* One repetition with the cache holding the `depth` tokens: prefill
 * n_prompt tokens at depth, then decode n_gen from depth again (each call
 * rewinds the cache to its pos0, so every repetition starts the same). */
static pd_status bench_pass(pd_model *m, const int32_t *toks, int n_toks, int n_prompt,
                            int n_gen, int depth, float *lg, double *prefill_tok_s,
                            double *decode_tok_s)
{
    double t0 = now();
    pd_status st = pd_model_forward(m, toks, n_prompt, depth, lg, false);
    *prefill_tok_s = n_prompt / (now() - t0);
    t0 = now();
    /* the prompt's tokens again, not sampled ones (as llama-bench) */
    for (int i = 0; i < n_gen && st == PD_OK; i++)
        st = pd_model_forward(m, &toks[i % n_toks], 1, depth + i, lg, false);
    *decode_tok_s = n_gen ? n_gen / (now() - t0) : 0;
    return st;
}

pd_status pd_bench_run(pd_model *m, int n_prompt, int n_gen, int depth, int reps,
                       pd_bench_result *r)
{
    memset(r, 0, sizeof *r);
    const int longest = n_prompt > n_gen ? n_prompt : n_gen;
    if (reps < 1 || reps > PD_BENCH_MAX_REPS)
        return pd_fail(PD_EARG, "bench: %d repetitions, not 1 to %d", reps, PD_BENCH_MAX_REPS);
    if (n_prompt < 1 || n_gen < 0 || depth < 0 || depth > pd_model_n_ctx(m)
        || longest > pd_model_n_ctx(m) - depth)
        return pd_fail(PD_EARG, "bench: %d + %d tokens (depth + the longer of -p, -n) do not fit "
                       "the context of %d", depth, longest, pd_model_n_ctx(m));
    const int V = pd_model_n_vocab(m);
    const int n_toks = depth > n_prompt ? depth : n_prompt;
    int32_t *toks = malloc((size_t)n_toks * sizeof *toks);
    float *lg = malloc((size_t)V * sizeof *lg);
    if (!toks || !lg) {
        free(toks);
        free(lg);
        return pd_fail(PD_ENOMEM, "bench: out of memory");
    }
    uint32_t x = 12345;   /* xorshift: the same tokens every run */
    for (int i = 0; i < n_toks; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        toks[i] = (int32_t)(x % (uint32_t)V);
    }
    const int threads = m->opts.n_threads > 0 ? m->opts.n_threads : pd_cpu_count();
    const double read_before = pd_bench_read_gbs(threads);
    /* an untimed warm-up, as llama-bench's: a prefill of n_prompt tokens
     * and one decoded token (at 0: the context may hold no more) page the
     * weights and the scratch in and wake the threads (without it the
     * first pass of a small -p ran at half speed); then the context of
     * `depth` tokens, once: the passes only write beyond it */
    pd_status st = pd_model_forward(m, toks, n_prompt, 0, lg, false);
    if (st == PD_OK)
        st = pd_model_forward(m, toks, 1, 0, lg, false);
    if (st == PD_OK && depth > 0)
        st = pd_model_forward(m, toks, depth, 0, lg, false);
    for (int rep = 0; rep < reps && st == PD_OK; rep++)
        st = bench_pass(m, toks, n_toks, n_prompt, n_gen, depth, lg,
                        &r->prefill_each[rep], &r->decode_each[rep]);
    free(toks);
    free(lg);
    if (st != PD_OK)
        return st;
    r->n_prompt = n_prompt;
    r->n_gen = n_gen;
    r->depth = depth;
    r->reps = reps;
    r->threads = threads;
    r->backend = pd_model_backend_name(m);
    r->active_bytes = pd_model_active_bytes(m);
    r->active_params = pd_model_active_params(m);
    r->prefill_tok_s = median_range(r->prefill_each, reps, &r->prefill_min, &r->prefill_max);
    r->decode_tok_s = median_range(r->decode_each, reps, &r->decode_min, &r->decode_max);
    r->decode_gb_s = r->active_bytes * r->decode_tok_s / 1e9;
    r->prefill_gflop_s = 2.0 * r->active_params * r->prefill_tok_s / 1e9;
    /* the machine's bandwidth after the decode, and before it (read_before):
     * a VM's moves with its neighbours, so the floor is the better of the two */
    r->copy_gb_s = pd_bench_copy_gbs(r->threads);
    r->read_gb_s = pd_bench_read_gbs(r->threads);
    if (read_before > r->read_gb_s)
        r->read_gb_s = read_before;
    return PD_OK;
}
