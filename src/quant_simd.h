/* quant_simd.h - kernel tables behind the quant.h dispatcher (engine-internal).
 *
 * Each implementation level (scalar reference, AVX2, AVX-512) fills a table of
 * per-type function pointers; quant.c builds the table of the best level the
 * CPU supports once and routes pd_vec_dot() & co. through it. Tests use
 * pd_quant_kernels_get() to compare levels against each other.
 */
#ifndef PD_SRC_QUANT_SIMD_H
#define PD_SRC_QUANT_SIMD_H

#include "quant.h"

#include <string.h>

/* IEEE half -> float, branch-free (loops over it vectorize): shift exponent
 * and mantissa into place and rescale by 2^-112 for normals, inf and nan;
 * build subnormals as (0.5 + man * 2^-24) - 0.5, exactly.  Inline for the
 * scalar reference's loops; pd_fp16_to_f32() is the same. */
static inline float pd_fp16_to_f32_inline(uint16_t h)
{
    uint32_t w = (uint32_t)h << 16, two_w = w + w, u;   /* two_w drops the sign */
    uint32_t nb = (two_w >> 4) + (0xe0u << 23), sb = (two_w >> 17) | (126u << 23);
    float normal, subnormal;
    memcpy(&normal, &nb, 4);
    memcpy(&subnormal, &sb, 4);
    normal *= 0x1p-112f;
    subnormal -= 0.5f;
    memcpy(&u, two_w < (1u << 27) ? &subnormal : &normal, 4);
    u |= w & 0x80000000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* dot of one weight row with one activation row (vec_dot format) */
typedef float (*pd_dot_fn)(int64_t n, const void *w, const void *x);
typedef void (*pd_dequant_fn)(const void *src, float *dst, int64_t n);
typedef void (*pd_quant_fn)(const float *src, void *dst, int64_t n);
/* out[c*os + r] = dot(w row r, x row c), r < nr, c < nc */
typedef void (*pd_tile_fn)(int64_t n, const void *w, size_t ws, int nr,
                           const void *x, size_t xs, int nc, float *out, size_t os);

typedef struct pd_quant_kernels {
    const char *name;                       /* "scalar", "avx2", "avx512" */
    pd_dot_fn dot[PD_TYPE_COUNT];           /* NULL: type not computable */
    pd_dequant_fn dequantize[PD_TYPE_COUNT];
    pd_quant_fn quantize[PD_TYPE_COUNT];
    pd_tile_fn tile[PD_TYPE_COUNT];         /* NULL: loop over dot[] */
    pd_tile_fn q4k_gemv, q4k_gemm;          /* pd_q4k_tile_ordered's orders (never NULL) */
    pd_tile_fn q4k8_gemv, q4k8_gemm;        /* the same on repacked rows (ws unused) */
} pd_quant_kernels;

enum { PD_SIMD_SCALAR = 0, PD_SIMD_AVX2 = 1, PD_SIMD_AVX512 = 2, PD_SIMD_LEVELS = 3 };

/* The scalar reference kernels on repacked Q4_K rows (quant_x8.c). */
void pd_q4k8_gemv_ref(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os);
void pd_q4k8_gemm_ref(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os);

/* The scalar reference for every supported type (quant_ref.c). */
void pd_quant_kernels_ref(pd_quant_kernels *k);
/* Override the entries a level implements; call after the level below it.
 * Only when the CPU has the instructions (quant.c checks). */
void pd_quant_kernels_avx2(pd_quant_kernels *k);
void pd_quant_kernels_avx512(pd_quant_kernels *k);

/* The complete table of a level, or NULL when this CPU (or build) lacks it;
 * ignores PONDER_SIMD. */
const pd_quant_kernels *pd_quant_kernels_get(int level);
/* Tile through a given table (uses its tile kernel or loops its dot). */
void pd_quant_kernels_tile(const pd_quant_kernels *k, pd_type t, int64_t n,
                           const void *w, size_t ws, int nr,
                           const void *x, size_t xs, int nc, float *out, size_t os);

#endif
