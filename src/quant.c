/* quant.c - run-time dispatch of the quant kernels: pick the best level the
 * CPU supports (AVX-512 > AVX2 > scalar, capped by PONDER_SIMD) once, then
 * route every call through that level's table.
 */
#include "config.h"
#include "quant_simd.h"

#include <math.h>
#include <pthread.h>
#ifdef PD_HAVE_X86
#include <cpuid.h>
#endif
#include <stdlib.h>
#include <string.h>

static pd_quant_kernels g_levels[PD_SIMD_LEVELS];
static bool g_have[PD_SIMD_LEVELS];
static const pd_quant_kernels *g_active;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#ifdef PD_HAVE_X86
/* F16C straight from cpuid: not every compiler's __builtin_cpu_supports
 * knows "f16c" (leaf 1, ecx bit 29). */
static bool cpu_has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29));
}
#endif

static bool cpu_has_avx2(void)
{
#ifdef PD_HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
#else
    return false;
#endif
}

/* The AVX-512 file is compiled with F, BW, VL, DQ and VNNI. */
static bool cpu_has_avx512(void)
{
#ifdef PD_EMULATE_AVX512
    return cpu_has_avx2();      /* a test build: the AVX-512 file built for AVX2 */
#elif defined PD_HAVE_X86
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

static int env_cap(void)
{
    const char *s = getenv("PONDER_SIMD");
    if (!s || !*s)
        return PD_SIMD_LEVELS - 1;
    if (strcmp(s, "scalar") == 0)
        return PD_SIMD_SCALAR;
    if (strcmp(s, "avx2") == 0)
        return PD_SIMD_AVX2;
    return PD_SIMD_LEVELS - 1;              /* "avx512" or unknown: no cap */
}

static void init_levels(void)
{
    pd_quant_kernels_ref(&g_levels[PD_SIMD_SCALAR]);
    g_have[PD_SIMD_SCALAR] = true;
#ifdef PD_HAVE_X86
    if (cpu_has_avx2()) {
        g_levels[PD_SIMD_AVX2] = g_levels[PD_SIMD_SCALAR];
        pd_quant_kernels_avx2(&g_levels[PD_SIMD_AVX2]);
        g_have[PD_SIMD_AVX2] = true;
    }
    if (cpu_has_avx512()) {
        g_levels[PD_SIMD_AVX512] = g_levels[PD_SIMD_AVX2];
        pd_quant_kernels_avx512(&g_levels[PD_SIMD_AVX512]);
        g_have[PD_SIMD_AVX512] = true;
    }
#endif
    int best = PD_SIMD_SCALAR;
    for (int l = 1; l <= env_cap(); l++)
        if (g_have[l])
            best = l;
    g_active = &g_levels[best];
}

static inline const pd_quant_kernels *active(void)
{
    pthread_once(&g_once, init_levels);
    return g_active;
}

const pd_quant_kernels *pd_quant_kernels_get(int level)
{
    pthread_once(&g_once, init_levels);
    if (level < 0 || level >= PD_SIMD_LEVELS || !g_have[level])
        return NULL;
    return &g_levels[level];
}

const char *pd_simd_level(void)
{
    return active()->name;
}

static inline bool ok(const pd_quant_kernels *k, pd_type t)
{
    return (unsigned)t < PD_TYPE_COUNT && k->dot[t] != NULL;
}

void pd_dequantize_row(pd_type t, const void *src, float *dst, int64_t n)
{
    const pd_quant_kernels *k = active();
    if (ok(k, t))
        k->dequantize[t](src, dst, n);
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = NAN;
}

void pd_quantize_row(pd_type t, const float *src, void *dst, int64_t n)
{
    const pd_quant_kernels *k = active();
    if (ok(k, t) && k->quantize[t])   /* (Q2_K, Q3_K have none) */
        k->quantize[t](src, dst, n);
}

float pd_vec_dot(pd_type t, int64_t n, const void *w, const void *x)
{
    const pd_quant_kernels *k = active();
    return ok(k, t) ? k->dot[t](n, w, x) : NAN;
}

void pd_quant_kernels_tile(const pd_quant_kernels *k, pd_type t, int64_t n,
                           const void *w, size_t ws, int nr,
                           const void *x, size_t xs, int nc, float *out, size_t os)
{
    if (!ok(k, t)) {
        for (int c = 0; c < nc; c++)
            for (int r = 0; r < nr; r++)
                out[(size_t)c * os + (size_t)r] = NAN;
        return;
    }
    if (k->tile[t] && n > 0) {    /* (the chunked kernels write nothing for n = 0) */
        k->tile[t](n, w, ws, nr, x, xs, nc, out, os);
        return;
    }
    /* generic: one weight row at a time against every column, so the row
     * stays in L1 while the columns stream */
    for (int r = 0; r < nr; r++) {
        const char *wr = (const char *)w + (size_t)r * ws;
        for (int c = 0; c < nc; c++)
            out[(size_t)c * os + (size_t)r] = k->dot[t](n, wr, (const char *)x + (size_t)c * xs);
    }
}

void pd_vec_dot_tile(pd_type t, int64_t n, const void *w, size_t w_stride, int nr,
                     const void *x, size_t x_stride, int nc, float *out, size_t out_stride)
{
    pd_quant_kernels_tile(active(), t, n, w, w_stride, nr, x, x_stride, nc, out, out_stride);
}

void pd_q4k_tile_ordered(pd_q4k_order order, int64_t n, const void *w, size_t w_stride, int nr,
                         const void *x, size_t x_stride, int nc, float *out, size_t out_stride)
{
    const pd_quant_kernels *k = active();
    pd_tile_fn f = order == PD_Q4K_GEMM ? k->q4k_gemm : k->q4k_gemv;
    f(n, w, w_stride, nr, x, x_stride, nc, out, out_stride);
}

void pd_q4k8_tile_ordered(pd_q4k_order order, int64_t n, const void *w8, int nr,
                          const void *x, size_t x_stride, int nc, float *out, size_t out_stride)
{
    const pd_quant_kernels *k = active();
    pd_tile_fn f = order == PD_Q4K_GEMM ? k->q4k8_gemm : k->q4k8_gemv;
    f(n, w8, 0, nr, x, x_stride, nc, out, out_stride);
}
