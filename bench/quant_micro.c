/* quant_micro.c - single-thread microbenchmark of the quant kernels (not part
 * of the build).  Build from a build directory that has made libponder.a:
 *   cc -O2 -I$SRC/src -I. $SRC/bench/quant_micro.c libponder.a libpd_avx512.a \
 *      libpd_avx2.a -lpthread -lm -o quant_micro
 * Run: ./quant_micro            (PONDER_SIMD=avx2|scalar to cap the level)
 *      ./quant_micro low        (Q2_K, Q3_K and the i-quants, from random blocks)
 *      ./quant_micro tile IQ4_XS Q3_K   (the tile rate of the types named;
 *                               QM_COLS=8: 8 input columns, as an expert gets)
 * Prints GB/s of weight bytes for pd_vec_dot over a 64 MiB matrix of 4096-wide
 * rows (out of cache), and GFLOP/s of pd_vec_dot_tile on 2048x2048 x 64.
 */
#include "quant.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: robust to a busy machine */
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t g_rng = 88172645463325252ull;
static float frand(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 40) * 0x1p-24) * 2.0f - 1.0f;
}

/* the types ponder reads but cannot write */
static const pd_type k_low[] = { PD_TYPE_Q2_K, PD_TYPE_Q3_K, PD_TYPE_IQ4_XS, PD_TYPE_IQ4_NL,
                                 PD_TYPE_IQ3_S, PD_TYPE_IQ3_XXS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ2_XS,
                                 PD_TYPE_IQ2_S, PD_TYPE_IQ1_S, PD_TYPE_IQ1_M };

static int has_quantizer(pd_type t)
{
    for (size_t i = 0; i < sizeof k_low / sizeof k_low[0]; i++)
        if (k_low[i] == t)
            return 0;
    return 1;
}

/* A random row of a type without a quantizer (Q2_K, Q3_K, the i-quants):
 * random bytes, then every block's fp16 scale(s) set to a normal value
 * (timing does not depend on the values, but denormals and NaN might). */
static void random_row(pd_type t, void *dst, size_t rb)
{
    for (size_t i = 0; i < rb; i++)
        ((uint8_t *)dst)[i] = (uint8_t)(frand() * 127.0f + 128.0f);
    size_t bb = pd_type_block_bytes(t), off[2] = { 0, 0 };
    int nd = 1;
    if (t == PD_TYPE_Q2_K) {
        off[0] = offsetof(pd_block_q2_k, d);
        off[1] = offsetof(pd_block_q2_k, dmin);
        nd = 2;
    } else if (t == PD_TYPE_Q3_K) {
        off[0] = offsetof(pd_block_q3_k, d);
    } else if (t == PD_TYPE_IQ1_M) {
        nd = 0;           /* its d lives in the scales' top bits */
    }
    const uint16_t h = 0x2000;   /* fp16 0.0078125 */
    for (int64_t b = 0; b < (int64_t)(rb / bb); b++)
        for (int k = 0; k < nd; k++)
            memcpy((char *)dst + (size_t)b * bb + off[k], &h, 2);
}

/* rows x n matrix of type t: 64 distinct random rows, repeated */
static void *make_matrix(pd_type t, int64_t n, int64_t rows, size_t *rb)
{
    pd_type_row_bytes(t, n, rb);
    char *m = aligned_alloc(64, (*rb * (size_t)rows + 63) / 64 * 64);
    float *f = malloc((size_t)n * sizeof *f);
    for (int64_t r = 0; r < rows; r++) {
        if (r < 64) {
            for (int64_t i = 0; i < n; i++)
                f[i] = frand();
            if (has_quantizer(t))
                pd_quantize_row(t, f, m + (size_t)r * *rb, n);
            else
                random_row(t, m + (size_t)r * *rb, *rb);
        } else {
            memcpy(m + (size_t)r * *rb, m + (size_t)(r % 64) * *rb, *rb);
        }
    }
    free(f);
    return m;
}

static void *make_acts(pd_type t, int64_t n, int cols, size_t *xb)
{
    pd_type vt = pd_type_vec_dot(t);
    pd_type_row_bytes(vt, n, xb);
    char *x = aligned_alloc(64, (*xb * (size_t)cols + 63) / 64 * 64);
    float *f = malloc((size_t)n * sizeof *f);
    for (int c = 0; c < cols; c++) {
        for (int64_t i = 0; i < n; i++)
            f[i] = frand();
        pd_quantize_row(vt, f, x + (size_t)c * *xb, n);
    }
    free(f);
    return x;
}

static void bench_matvec(pd_type t, int mib)
{
    const int64_t n = getenv("QM_N") ? atoll(getenv("QM_N")) : 4096;
    size_t rb, xb;
    pd_type_row_bytes(t, n, &rb);
    int64_t rows = ((int64_t)mib << 20) / (int64_t)rb;
    void *w = make_matrix(t, n, rows, &rb);
    void *x = make_acts(t, n, 1, &xb);
    float *out = malloc((size_t)rows * sizeof *out);
    double best = 1e9;
    for (int rep = 0; rep < (mib < 8 ? 200 : 5); rep++) {
        double t0 = now();
        for (int64_t r = 0; r < rows; r++)
            out[r] = pd_vec_dot(t, n, (char *)w + (size_t)r * rb, x);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("vec_dot %-5s %lld-wide rows, %5.1f MiB: %6.2f GB/s  (%.2f Gelem/s)\n", pd_type_name(t),
           (long long)n, rows * (double)rb / (1 << 20), rows * (double)rb / best * 1e-9, rows * (double)n / best * 1e-9);
    free(w);
    free(x);
    free(out);
}

static void bench_tile(pd_type t)
{
    const int64_t n = 2048;
    const int rows = 2048, cols = getenv("QM_COLS") ? atoi(getenv("QM_COLS")) : 64;
    size_t rb, xb;
    void *w = make_matrix(t, n, rows, &rb);
    void *x = make_acts(t, n, cols, &xb);
    float *out = malloc((size_t)rows * cols * sizeof *out);
    double best = 1e9, best256 = 1e9, best_loop = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (int r = 0; r < rows; r += 64)     /* what src/cpu/ops.c does at most */
            pd_vec_dot_tile(t, n, (char *)w + (size_t)r * rb, rb, 64, x, xb, cols, out + r, rows);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        t0 = now();
        for (int r = 0; r < rows; r += 256)
            pd_vec_dot_tile(t, n, (char *)w + (size_t)r * rb, rb, 256, x, xb, cols, out + r, rows);
        dt = now() - t0;
        if (dt < best256)
            best256 = dt;
        t0 = now();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                out[(size_t)c * rows + r] = pd_vec_dot(t, n, (char *)w + (size_t)r * rb,
                                                       (char *)x + (size_t)c * xb);
        dt = now() - t0;
        if (dt < best_loop)
            best_loop = dt;
    }
    double flop = 2.0 * rows * (double)n * cols;
    printf("tile    %-5s 2048x2048 x %d: %6.1f GFLOP/s (64 rows/call), %6.1f (256 rows/call);"
           " loop of vec_dot: %6.1f\n",
           pd_type_name(t), cols, flop / best * 1e-9, flop / best256 * 1e-9, flop / best_loop * 1e-9);
    free(w);
    free(x);
    free(out);
}

/* Q4_K in llama.cpp's orders (pd_q4k_tile_ordered): decode rate of the gemv
 * with one column over a matrix of mib MiB (64 rows a call, as ops.c), and
 * GFLOP/s of both orders at a few column counts. */
static void bench_q4k_ordered(int mib)
{
    const int64_t n = getenv("QM_N") ? atoll(getenv("QM_N")) : 4096;   /* mini-moe: 1024 and 512 */
    size_t rb, xb;
    pd_type_row_bytes(PD_TYPE_Q4_K, n, &rb);
    int64_t rows = ((int64_t)mib << 20) / (int64_t)rb / 64 * 64;
    void *w = make_matrix(PD_TYPE_Q4_K, n, rows, &rb);
    void *x = make_acts(PD_TYPE_Q4_K, n, 64, &xb);
    float *out = malloc((size_t)rows * 64 * sizeof *out);
    double best = 1e9;
    for (int rep = 0; rep < (mib < 8 ? 200 : 5); rep++) {
        double t0 = now();
        for (int64_t r = 0; r < rows; r += 64)
            pd_q4k_tile_ordered(PD_Q4K_GEMV, n, (char *)w + (size_t)r * rb, rb, 64, x, xb, 1, out + r, rows);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("q4k gemv 1 col, %lld-wide rows, %5.1f MiB: %6.2f GB/s\n", (long long)n,
           rows * (double)rb / (1 << 20), rows * (double)rb / best * 1e-9);
    if (mib < 8)
        goto done;
    static const int cols[] = { 2, 3, 4, 8, 64 };
    rows = 2048;
    for (size_t ic = 0; ic < sizeof cols / sizeof cols[0]; ic++) {
        double bo[3] = { 1e9, 1e9, 1e9 };
        for (int rep = 0; rep < 7; rep++)
            for (int o = 0; o < 3; o++) {
                double t0 = now();
                for (int64_t r = 0; r < rows; r += 64)
                    if (o < 2)
                        pd_q4k_tile_ordered(o ? PD_Q4K_GEMM : PD_Q4K_GEMV, 2048, (char *)w + (size_t)r * rb, rb,
                                            64, x, xb, cols[ic], out + r, rows);
                    else
                        pd_vec_dot_tile(PD_TYPE_Q4_K, 2048, (char *)w + (size_t)r * rb, rb, 64, x, xb, cols[ic],
                                        out + r, rows);
                double dt = now() - t0;
                if (dt < bo[o])
                    bo[o] = dt;
            }
        double flop = 2.0 * rows * 2048.0 * cols[ic];
        printf("q4k 2048x2048 x %2d: gemv %6.1f GFLOP/s, gemm %6.1f GFLOP/s (pd_vec_dot_tile %6.1f)\n", cols[ic],
               flop / bo[0] * 1e-9, flop / bo[1] * 1e-9, flop / bo[2] * 1e-9);
    }
done:
    free(w);
    free(x);
    free(out);
}

static void bench_copy(void)
{
    size_t sz = 64u << 20;
    char *a = aligned_alloc(64, sz), *b = aligned_alloc(64, sz);
    memset(a, 1, sz);
    memset(b, 2, sz);
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        memcpy(b, a, sz);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("memcpy 64 MiB: %.2f GB/s (read+write %.2f GB/s)\n", sz / best * 1e-9, 2 * sz / best * 1e-9);
    free(a);
    free(b);
}

/* "quant_micro tile IQ4_XS Q3_K": the tile benchmark of the types named */
static int tiles_named(int n, char **names)
{
    printf("level: %s\n", pd_simd_level());
    for (int i = 0; i < n; i++) {
        uint32_t t = 0;
        while (t < 64 && strcmp(pd_type_name(t), names[i]) != 0)
            t++;
        if (t == 64) {
            fprintf(stderr, "quant_micro: unknown type '%s'\n", names[i]);
            return 1;
        }
        bench_tile((pd_type)t);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "tile"))
        return tiles_named(argc - 2, argv + 2);
    if (argc > 1 && !strcmp(argv[1], "low")) {    /* Q2_K, Q3_K and the i-quants only */
        printf("level: %s\n", pd_simd_level());
        for (size_t i = 0; i < sizeof k_low / sizeof k_low[0]; i++)
            bench_matvec(k_low[i], 64);
        for (size_t i = 0; i < sizeof k_low / sizeof k_low[0]; i++)
            bench_matvec(k_low[i], 1);
        for (size_t i = 0; i < sizeof k_low / sizeof k_low[0]; i++)
            bench_tile(k_low[i]);
        return 0;
    }
    printf("level: %s\n", pd_simd_level());
    bench_copy();
    static const pd_type mv[] = { PD_TYPE_Q8_0, PD_TYPE_Q4_0, PD_TYPE_Q4_K, PD_TYPE_Q5_K,
                                  PD_TYPE_Q6_K, PD_TYPE_F16, PD_TYPE_BF16, PD_TYPE_F32 };
    for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++)
        if (!getenv("QM_Q4K_ONLY") || mv[i] == PD_TYPE_Q4_K || mv[i] == PD_TYPE_Q8_0)
            bench_matvec(mv[i], 64);
    printf("in cache (1 MiB matrix, compute-bound rate):\n");
    for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++)
        if (!getenv("QM_Q4K_ONLY") || mv[i] == PD_TYPE_Q4_K || mv[i] == PD_TYPE_Q8_0)
            bench_matvec(mv[i], 1);
    bench_q4k_ordered(64);
    bench_q4k_ordered(1);
    if (getenv("QM_Q4K_ONLY"))
        return 0;
    static const pd_type tl[] = { PD_TYPE_Q8_0, PD_TYPE_Q4_0, PD_TYPE_Q4_K, PD_TYPE_Q5_K, PD_TYPE_Q6_K,
                                  PD_TYPE_F16 };
    for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++)
        bench_tile(tl[i]);
    return 0;
}
