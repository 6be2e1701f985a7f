/* gemv_read.c - how close a decode product comes to the memory floor (not
 * part of the build): a matrix-vector product over a matrix far larger than
 * the caches, on T threads, alternating with a plain summing read of the
 * same bytes; prints both rates and their ratio. The VM's bandwidth moves
 * with its neighbours, so only the ratio of neighbouring runs means much.
 * Build from a build directory that has made libponder.a:
 *   cc -O2 -I$SRC/src -I. $SRC/bench/gemv_read.c libponder.a libpd_avx512.a \
 *      libpd_avx2.a -lpthread -lm -o gemv_read
 * Run: ./gemv_read TYPE THREADS      TYPE: q4k (repacked, as the CPU backend
 * runs it), q4k-plain (the file's layout), q8_0, q6k
 */
#include "quant.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { K = 1024, ROWS = 151936, CHUNK = 64, REPS = 20 };   /* mini-moe's output matrix */

typedef enum { Q4K_X8, Q4K_PLAIN, Q8_0, Q6K } kind;

static kind g_kind;
static pd_type g_type;
static size_t g_rb;
static uint8_t *g_w;
static void *g_x;
static float *g_y;
static atomic_int g_next;
static atomic_long g_sink;
static pthread_barrier_t g_bar;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Rows [r, r+nr): the product as the engine computes it */
static void product(int64_t r, int nr)
{
    const uint8_t *w = g_w + (size_t)r * g_rb;
    if (g_kind == Q4K_X8)
        pd_q4k8_tile_ordered(PD_Q4K_GEMV, K, w, nr, g_x, 0, 1, g_y + r, 0);
    else if (g_kind == Q4K_PLAIN)
        pd_q4k_tile_ordered(PD_Q4K_GEMV, K, w, g_rb, nr, g_x, 0, 1, g_y + r, 0);
    else
        for (int i = 0; i < nr; i++) {   /* a row at a time, the next one prefetched */
            if (i + 1 < nr)
                for (size_t l = 0; l < g_rb; l += 64)
                    __builtin_prefetch(w + (size_t)(i + 1) * g_rb + l, 0, 3);
            g_y[r + i] = pd_vec_dot(g_type, K, w + (size_t)i * g_rb, g_x);
        }
}

static void sum_bytes(int64_t r, int nr)
{
    const uint64_t *p = (const uint64_t *)(g_w + (size_t)r * g_rb);
    const size_t n = (size_t)nr * g_rb / 8;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
    }
    atomic_fetch_add(&g_sink, (long)(s0 + s1 + s2 + s3));
}

/* Even passes: the product; odd passes: the read. Work in CHUNK-row units
 * from a shared counter, as the engine's pool hands them out. */
static void *worker(void *arg)
{
    (void)arg;
    for (int pass = 0; pass < 2 * REPS; pass++) {
        pthread_barrier_wait(&g_bar);
        for (int u; (u = atomic_fetch_add(&g_next, 1)) * CHUNK < ROWS;) {
            const int64_t r = (int64_t)u * CHUNK;
            const int nr = r + CHUNK <= ROWS ? CHUNK : (int)(ROWS - r);
            if (pass % 2 == 0)
                product(r, nr);
            else
                sum_bytes(r, nr);
        }
        pthread_barrier_wait(&g_bar);
    }
    return NULL;
}

static int parse_kind(const char *s)
{
    static const struct { const char *name; kind k; pd_type t; } kinds[] = {
        { "q4k", Q4K_X8, PD_TYPE_Q4_K }, { "q4k-plain", Q4K_PLAIN, PD_TYPE_Q4_K },
        { "q8_0", Q8_0, PD_TYPE_Q8_0 }, { "q6k", Q6K, PD_TYPE_Q6_K },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(s, kinds[i].name)) {
            g_kind = kinds[i].k;
            g_type = kinds[i].t;
            return 0;
        }
    return -1;
}

/* The matrix: 64 distinct random rows, repeated (quantizing 151936 rows
 * would take longer than the measurement), then repacked when asked. */
static int make_matrix(void)
{
    pd_type_row_bytes(g_type, K, &g_rb);
    const size_t bytes = g_rb * ROWS;
    g_w = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    float *f = malloc(K * sizeof *f);
    if (g_w == MAP_FAILED || !f)
        return -1;
    uint32_t s = 1;
    for (int64_t r = 0; r < ROWS; r++) {
        if (r < 64) {
            for (int i = 0; i < K; i++) {
                s = s * 1664525u + 1013904223u;
                f[i] = (float)(s >> 8) / (float)(1u << 24) - 0.5f;
            }
            pd_quantize_row(g_type, f, g_w + (size_t)r * g_rb, K);
        } else {
            memcpy(g_w + (size_t)r * g_rb, g_w + (size_t)(r % 64) * g_rb, g_rb);
        }
    }
    if (g_kind == Q4K_X8) {
        uint8_t *w8 = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (w8 == MAP_FAILED)
            return -1;
        for (int64_t g = 0; g < ROWS / 8; g++)
            pd_q4k_repack8(K, g_w + (size_t)g * 8 * g_rb, g_rb, w8 + (size_t)g * 8 * g_rb);
        munmap(g_w, bytes);
        g_w = w8;
    }
    size_t xb;
    const pd_type xt = pd_type_vec_dot(g_type);
    pd_type_row_bytes(xt, K, &xb);
    g_x = malloc(xb);
    g_y = malloc(ROWS * sizeof *g_y);
    if (!g_x || !g_y)
        return -1;
    pd_quantize_row(xt, f, g_x, K);
    free(f);
    return 0;
}

int main(int argc, char **argv)
{
    const int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (argc < 2 || parse_kind(argv[1]) != 0 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: gemv_read q4k|q4k-plain|q8_0|q6k THREADS\n");
        return 2;
    }
    if (make_matrix() != 0) {
        fprintf(stderr, "gemv_read: out of memory\n");
        return 1;
    }
    pthread_barrier_init(&g_bar, NULL, (unsigned)threads + 1);
    pthread_t th[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    double best[2] = { 1e30, 1e30 }, sum[2] = { 0, 0 };
    for (int pass = 0; pass < 2 * REPS; pass++) {
        atomic_store(&g_next, 0);
        const double t0 = now();
        pthread_barrier_wait(&g_bar);
        pthread_barrier_wait(&g_bar);
        const double t = now() - t0;
        sum[pass % 2] += t;
        if (t < best[pass % 2])
            best[pass % 2] = t;
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    const double gb = (double)g_rb * ROWS / 1e9;
    printf("%s, %d threads, %.0f MB: product %.2f GB/s (mean %.2f), read %.2f GB/s (mean %.2f), "
           "product / read %.2f\n", argv[1], threads, gb * 1e3, gb / best[0], gb * REPS / sum[0],
           gb / best[1], gb * REPS / sum[1], best[1] / best[0]);
    return 0;
}
