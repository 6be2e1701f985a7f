/* quant_vs_ggml.c - ponder's Q4_1/Q5_0/Q5_1 against ggml's own CPU code,
 * linked in: weight quantization (ggml_quantize_chunk, no imatrix = ggml's
 * quantize_row_*_ref), the activations' Q8_0/Q8_1 bytes (the vec_dot type's
 * from_float, x86) and the dot products (vec_dot), all bit for bit, on 2000
 * random rows per type (n = 32..2048, a quarter of them 128).  Not part of
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
int main(void)
{
    ggml_cpu_init();
    const int types[3] = { GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1 };
    int failed = 0;
    static float w[4096], x[4096];
    static unsigned char qw[8192], qa[8192], qb[8192];
    for (int ti = 0; ti < 3; ti++) {
        int t = types[ti], bad_dot = 0, bad_act = 0, bad_w = 0, n_tests = 0;
        const struct ggml_type_traits_cpu *tr = ggml_get_type_traits_cpu(t);
        int vt = tr->vec_dot_type;
        for (int rep = 0; rep < 2000; rep++) {
            int n = 32 * (1 + (int)(rnd() % 64));
            if (rep % 4 == 0) n = 128;
            float sc = ldexpf(1, (int)(rnd() % 12) - 6), off = rep % 3 ? 0 : fr();
            for (int i = 0; i < n; i++) { w[i] = fr() * sc + off; x[i] = fr() * ldexpf(1, (int)(rnd() % 8) - 4); }
            /* weights: ggml's reference quantizer vs ours */
            ggml_quantize_chunk(t, w, qw, 0, 1, n, NULL);
            pd_quantize_row_ref(t, w, qb, n);
            size_t wb = ggml_row_size(t, n);
            bad_w += memcmp(qw, qb, wb) != 0;
            /* activations: ggml's x86 from_float vs ours */
            ggml_get_type_traits_cpu(vt)->from_float(x, qa, n);
            pd_quantize_row(vt == GGML_TYPE_Q8_1 ? PD_TYPE_Q8_1 : PD_TYPE_Q8_0, x, qb, n);
            bad_act += memcmp(qa, qb, ggml_row_size(vt, n)) != 0;
            float g;
            tr->vec_dot(n, &g, 0, qw, 0, qa, 0, 1);
            float p = pd_vec_dot(t, n, qw, qa), r = pd_vec_dot_ref(t, n, qw, qa);
            unsigned ug, up, ur;
            memcpy(&ug, &g, 4); memcpy(&up, &p, 4); memcpy(&ur, &r, 4);
            if (ug != up || ug != ur) { if (bad_dot < 3) printf("  %s n=%d ggml %a ponder %a ref %a\n", ggml_type_name(t), n, g, p, r); bad_dot++; }
            n_tests++;
        }
        printf("%s (%s): %d rows: weights bytes differ %d, activation bytes differ %d, dots differ %d (ponder level %s)\n",
               ggml_type_name(t), ggml_type_name(vt), n_tests, bad_w, bad_act, bad_dot, pd_simd_level());
        failed |= bad_w || bad_act || bad_dot;
    }
    return failed;
}
