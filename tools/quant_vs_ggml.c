/* quant_vs_ggml.c - ponder's Q4_1/Q5_0/Q5_1/Q2_K/Q3_K/IQ4_NL/IQ4_XS/IQ2_XXS/
 * IQ3_XXS/IQ3_S/IQ1_S/IQ1_M/IQ2_XS/IQ2_S against ggml's own CPU code, linked
 * in: weight quantization (ggml_quantize_chunk, no imatrix = ggml's
 * quantize_row_*_ref, except IQ2_XXS/IQ3_XXS/IQ3_S/IQ1_S/IQ1_M/IQ2_XS/IQ2_S:
 * an importance matrix of ones, which IQ2_XXS, IQ2_XS and the IQ1s require;
 * Q2_K/Q3_K and the i-quants have no ponder quantizer, so not compared),
 * dequantization (to_float), the
 * activations' Q8_0/Q8_1/Q8_K bytes (the vec_dot type's from_float, x86)
 * and the dot products (vec_dot), all bit for bit, on 2000 random rows per
 * type (n = 32..2048, a quarter of them 128, for the 32-value blocks;
 * n = 256..8192, a quarter of them 7168, for the 256-value ones; for the
 * types without a ponder quantizer every other row's quants and scales are
 * random bytes).  Not part of
 * `make check` (needs a llama.cpp build).  Build and run (PONDER_SIMD=scalar
 * checks the scalar reference):
 *   S=llama.cpp source; L=its build's bin; B=ponder build dir
 *   cc -O1 -std=gnu11 -I $S/ggml/include -I src -I $B tools/quant_vs_ggml.c \
 *      $B/libponder.a $B/libpd_avx2.a $B/libpd_avx512.a $B/libponder.a \
 *      -L$L -Wl,-rpath,$L -lggml-cpu -lggml-base -lm -lpthread -o quant_vs_ggml
 */
#include "ggml.h"
#include "ggml-cpu.h"
#include "quant.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
static unsigned long long s = 88172645463325252ull;
static unsigned long long rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static float fr(void) { return (float)((rnd() >> 40) * 0x1p-24) * 2 - 1; }
static pd_type pd_of(int ggml_type)
{
    switch (ggml_type) {
    case GGML_TYPE_Q8_0: return PD_TYPE_Q8_0;
    case GGML_TYPE_Q8_1: return PD_TYPE_Q8_1;
    default: return PD_TYPE_Q8_K;
    }
}
/* random quants and scales, the block's fp16 d (and dmin) at bytes
 * keep0..keep1-1 kept */
static void scramble(unsigned char *q, size_t bytes, size_t block, size_t keep0, size_t keep1)
{
    for (size_t i = 0; i < bytes; i++)
        if (i % block < keep0 || i % block >= keep1)
            q[i] = (unsigned char)rnd();
}
int main(void)
{
    ggml_cpu_init();
    enum { NT = 14, NMAX = 8192 };
    const int types[NT] = { GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K,
                            GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS, GGML_TYPE_IQ2_XXS, GGML_TYPE_IQ3_XXS,
                            GGML_TYPE_IQ3_S, GGML_TYPE_IQ1_S, GGML_TYPE_IQ1_M, GGML_TYPE_IQ2_XS,
                            GGML_TYPE_IQ2_S };
    int failed = 0;
    static float w[NMAX], x[NMAX], fg[NMAX], fp[NMAX], ones[NMAX];
    for (int i = 0; i < NMAX; i++)
        ones[i] = 1.0f;
    static unsigned char qw[4 * NMAX], qa[4 * NMAX], qb[4 * NMAX];
    for (int ti = 0; ti < NT; ti++) {
        int t = types[ti], bad_dot = 0, bad_act = 0, bad_w = 0, bad_deq = 0, n_tests = 0;
        const int kq = ggml_blck_size(t) == 256;   /* 256-value blocks */
        const int noq = kq || t == GGML_TYPE_IQ4_NL;   /* no ponder quantizer */
        const size_t tb = ggml_type_size(t);   /* d (and dmin): trailing in Q2_K/Q3_K, leading in the i-quants */
        const size_t keep0 = t == GGML_TYPE_Q2_K ? tb - 4 : t == GGML_TYPE_Q3_K ? tb - 2 : 0;
        const size_t keep1 = t == GGML_TYPE_Q2_K || t == GGML_TYPE_Q3_K ? tb : 2;
        const struct ggml_type_traits_cpu *tr = ggml_get_type_traits_cpu(t);
        int vt = tr->vec_dot_type;
        for (int rep = 0; rep < 2000; rep++) {
            int n = kq ? 256 * (1 + (int)(rnd() % 32)) : 32 * (1 + (int)(rnd() % 64));
            if (rep % 4 == 0) n = kq ? 7168 : 128;
            float sc = ldexpf(1, (int)(rnd() % 12) - 6), off = rep % 3 ? 0 : fr();
            for (int i = 0; i < n; i++) { w[i] = fr() * sc + off; x[i] = fr() * ldexpf(1, (int)(rnd() % 8) - 4); }
            /* weights: ggml's reference quantizer vs ours */
            const int xxs = t == GGML_TYPE_IQ2_XXS || t == GGML_TYPE_IQ3_XXS || t == GGML_TYPE_IQ3_S
                         || t == GGML_TYPE_IQ1_S || t == GGML_TYPE_IQ1_M
                         || t == GGML_TYPE_IQ2_XS || t == GGML_TYPE_IQ2_S;
            ggml_quantize_chunk(t, w, qw, 0, 1, n, xxs ? ones : NULL);
            size_t wb = ggml_row_size(t, n);
            if (!noq) {
                pd_quantize_row_ref(t, w, qb, n);
                bad_w += memcmp(qw, qb, wb) != 0;
            } else if (rep % 2 && t == GGML_TYPE_IQ1_M) {
                /* no d field: keep the top nibbles of the scale words (d) */
                unsigned char top[NMAX / 256][4];
                for (int b = 0; b < n / 256; b++)
                    for (int k = 0; k < 4; k++)
                        top[b][k] = qw[b * tb + 49 + 2 * k] & 0xf0;
                scramble(qw, wb, tb, tb, tb);
                for (int b = 0; b < n / 256; b++)
                    for (int k = 0; k < 4; k++)
                        qw[b * tb + 49 + 2 * k] = (unsigned char)((qw[b * tb + 49 + 2 * k] & 0x0f) | top[b][k]);
            } else if (rep % 2) {
                scramble(qw, wb, tb, keep0, keep1);
            }
            /* dequantize: ggml's to_float vs ours */
            ggml_get_type_traits(t)->to_float(qw, fg, n);
            pd_dequantize_row(t, qw, fp, n);
            bad_deq += memcmp(fg, fp, (size_t)n * 4) != 0;
            /* activations: ggml's x86 from_float vs ours */
            ggml_get_type_traits_cpu(vt)->from_float(x, qa, n);
            pd_quantize_row(pd_of(vt), x, qb, n);
            bad_act += memcmp(qa, qb, ggml_row_size(vt, n)) != 0;
            float g;
            tr->vec_dot(n, &g, 0, qw, 0, qa, 0, 1);
            float p = pd_vec_dot(t, n, qw, qa), r = pd_vec_dot_ref(t, n, qw, qa);
            unsigned ug, up, ur;
            memcpy(&ug, &g, 4); memcpy(&up, &p, 4); memcpy(&ur, &r, 4);
            if (ug != up || ug != ur) { if (bad_dot < 3) printf("  %s n=%d ggml %a ponder %a ref %a\n", ggml_type_name(t), n, g, p, r); bad_dot++; }
            n_tests++;
        }
        printf("%s (%s): %d rows: weights bytes differ %d%s, dequantized rows differ %d, activation bytes differ %d, dots differ %d (ponder level %s)\n",
               ggml_type_name(t), ggml_type_name(vt), n_tests, bad_w, noq ? " (not compared)" : "", bad_deq, bad_act,
               bad_dot, pd_simd_level());
        failed |= bad_w || bad_deq || bad_act || bad_dot;
    }
    return failed;
}
