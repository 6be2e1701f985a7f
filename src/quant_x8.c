/* quant_x8.c - Q4_K rows repacked in groups of 8 (quant.h): the repacking,
 * its inverse, and the scalar reference of the products on repacked rows,
 * which unpacks the rows and runs the plain reference, so every SIMD kernel
 * on the repacked layout is checked against the plain layout's order. */
#include "quant.h"
#include "quant_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pd_q4k_repack8(int64_t n, const void *w, size_t w_stride, void *dst)
{
    pd_block_q4_kx8 *g = dst;
    for (int64_t i = 0; i < n / PD_QK_K; i++, g++)
        for (int r = 0; r < 8; r++) {
            const pd_block_q4_k *b = (const pd_block_q4_k *)((const char *)w + (size_t)r * w_stride) + i;
            g->d[r] = b->d;
            g->dmin[r] = b->dmin;
            for (int j = 0; j < 12; j++)
                g->sc[j][r] = b->scales[j];
            for (int ch = 0; ch < 4; ch++)
                for (int k = 0; k < 8; k++)
                    memcpy(g->qs[ch][k][r], b->qs + 32 * ch + 4 * k, 4);
        }
}

void pd_q4k_unpack8(int64_t n, const void *src, int r, void *row)
{
    const pd_block_q4_kx8 *g = src;
    pd_block_q4_k *b = row;
    for (int64_t i = 0; i < n / PD_QK_K; i++, g++, b++) {
        b->d = g->d[r];
        b->dmin = g->dmin[r];
        for (int j = 0; j < 12; j++)
            b->scales[j] = g->sc[j][r];
        for (int ch = 0; ch < 4; ch++)
            for (int k = 0; k < 8; k++)
                memcpy(b->qs + 32 * ch + 4 * k, g->qs[ch][k][r], 4);
    }
}

/* Each group of 8 rows unpacked, then the plain scalar kernel (the engine
 * does not repack at the scalar level, so this runs in tests). */
static void q4k8_ref(int64_t n, const void *w, int nr, const void *x, size_t xs,
                     int nc, float *out, size_t os, bool gemm)
{
    const pd_quant_kernels *ref = pd_quant_kernels_get(PD_SIMD_SCALAR);
    const size_t rb = (size_t)(n / PD_QK_K) * sizeof(pd_block_q4_k);
    uint8_t *rows = malloc(8 * rb + 1);
    if (!rows) {
        for (int c = 0; c < nc; c++)
            for (int r = 0; r < nr; r++)
                out[(size_t)c * os + (size_t)r] = NAN;
        return;
    }
    for (int r0 = 0; r0 < nr; r0 += 8) {
        const uint8_t *grp = (const uint8_t *)w + (size_t)r0 * rb;
        for (int r = 0; r < 8; r++)
            pd_q4k_unpack8(n, grp, r, rows + (size_t)r * rb);
        (gemm ? ref->q4k_gemm : ref->q4k_gemv)(n, rows, rb, 8, x, xs, nc, out + r0, os);
    }
    free(rows);
}

void pd_q4k8_gemv_ref(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    (void)ws;
    q4k8_ref(n, w, nr, x, xs, nc, out, os, false);
}

void pd_q4k8_gemm_ref(int64_t n, const void *w, size_t ws, int nr,
                      const void *x, size_t xs, int nc, float *out, size_t os)
{
    (void)ws;
    q4k8_ref(n, w, nr, x, xs, nc, out, os, true);
}
