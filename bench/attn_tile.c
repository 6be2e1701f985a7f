/* attn_tile.c - the prefill's tiled attention on its own (not part of the
 * build): one unit of 32 queries (the rows x heads of one kv head) over a
 * cache of N keys, dk = dv = D, timed by the thread's CPU time (so a busy
 * machine's waits do not count; its caches still do), best of REPS.
 * Prints microseconds per unit and GFLOP/s (2 * 2 * D per query and key).
 * Build from a build directory that has made libponder.a:
 *   cc -O2 -I$SRC/src -I. $SRC/bench/attn_tile.c libponder.a libpd_avx512.a \
 *      libpd_avx2.a -lpthread -lm -o attn_tile
 * Run: ./attn_tile [N [D [REPS]]]     (default 4096 128 20)
 */
#include "cpu/cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float frand(void)
{
    return (float)rand() / (float)RAND_MAX * 2 - 1;
}

int main(int argc, char **argv)
{
    const int n = argc > 1 ? atoi(argv[1]) : 4096, d = argc > 2 ? atoi(argv[2]) : 128;
    const int reps = argc > 3 ? atoi(argv[3]) : 20, nq = PD_ATTN_UNIT;
    uint16_t *k = malloc(sizeof *k * (size_t)n * d), *v = malloc(sizeof *v * (size_t)n * d);
    float *qs = malloc(sizeof *qs * (size_t)nq * d), *outs = malloc(sizeof *outs * (size_t)nq * d);
    float *scratch = malloc(sizeof *scratch * pd_attn_tile_floats(d));
    if (!k || !v || !qs || !outs || !scratch || n < 1 || d < 1)
        return 1;
    for (size_t i = 0; i < (size_t)n * d; i++) {
        k[i] = pd_f2h(frand());
        v[i] = pd_f2h(frand());
    }
    const float *q[PD_ATTN_UNIT];
    float *out[PD_ATTN_UNIT];
    int n_kv[PD_ATTN_UNIT];
    for (int i = 0; i < nq; i++) {
        for (int e = 0; e < d; e++)
            qs[(size_t)i * d + e] = frand();
        q[i] = qs + (size_t)i * d;
        out[i] = outs + (size_t)i * d;
        n_kv[i] = n - nq / 4 + i / 4;   /* causal: 8 rows x 4 heads */
    }
    double best = 1e30, check = 0;
    for (int r = 0; r < reps; r++) {
        const double t0 = thread_seconds();
        pd_attn_tiled(nq, q, out, n_kv, k, d, v, d, d, d, 0.088f, scratch);
        const double t = thread_seconds() - t0;
        best = t < best ? t : best;
        check += out[nq - 1][d - 1];
    }
    printf("attn_tile: %d keys, d %d, %d queries: %.1f us, %.1f GFLOP/s (simd %s, check %g)\n", n,
           d, nq, best * 1e6, 4.0 * d * (double)n * nq / best * 1e-9, pd_simd_level(), check);
    return 0;
}
