/* test_ops.c - CPU ops that must round like llama.cpp: SiLU gating, the
 * router softmax and the decode F32 dot give the scalar version's bits at
 * every SIMD level, and the scalar versions are right to a few ulp
 * (checked against double precision).
 */
#include "t.h"
#include "cpu/ops.h"
#include "cpu/cpu.h"
#include "cpu/pool.h"
#include "quant.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

static float f32_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u32_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* Inputs over the whole float range: a stride through every bit pattern
 * (all exponents, both signs) plus the edges of ggml's exp: overflow near
 * 88.72, underflow into subnormals and zero near -87.3 .. -103.97, the
 * |n| > 192 cut near 133.08, zeros, subnormals, infinities. */
static int silu_inputs(float *x, int cap)
{
    int n = 0;
    for (uint64_t u = 0; u < (1ull << 32) && n < cap; u += 65521) {
        float f = f32_of((uint32_t)u);
        if (!isnan(f))
            x[n++] = f;
    }
    const float edges[] = { 0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f, -0x1p-126f, 1e-30f,
                            -1e-30f, 88.72f, -88.72f, 87.3f, -87.3f, 103.97f, -103.97f,
                            133.08f, -133.08f, 133.2f, -133.2f, INFINITY, -INFINITY, 3.0e38f,
                            -3.0e38f, 1.0f, -1.0f, 0.5f, -0.5f };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] && n < cap; i++)
        for (int s = -40; s <= 40 && n < cap; s++) {   /* and their neighbours */
            const float f = f32_of(u32_of(edges[i]) + (uint32_t)s);
            if (!isnan(f))
                x[n++] = f;
        }
    return n;
}

static void test_silu_levels_bitwise(void)
{
    enum { CAP = 70000 + 26 * 81 + 64 };
    static float x[CAP], b[CAP], want[CAP], got[CAP];
    int n = silu_inputs(x, CAP);
    T_CHECK(n > 65000);
    for (int i = 0; i < n; i++)   /* gates of either sign, one exactly 1 */
        b[i] = i % 3 == 0 ? 1.0f : (float)((i * 7919) % 2001 - 1000) / 250.0f;
    memcpy(want, x, sizeof(float) * n);
    T_CHECK(pd_silu_mul_level(0, want, b, n));
    int levels = 0;
    for (int l = 1; l <= 2; l++) {
        /* odd lengths and offsets: vector bodies and scalar tails */
        for (int off = 0; off < 3; off++) {
            const int len = n - off - 5 * l;
            memcpy(got, x, sizeof(float) * n);
            if (!pd_silu_mul_level(l, got + off, b + off, len))
                break;
            for (int i = off; i < off + len; i++) {
                const bool same = u32_of(got[i]) == u32_of(want[i]) || (isnan(got[i]) && isnan(want[i]));
                T_CHECKF(same, "level %d: silu(%a) * %a = %a, scalar %a", l, x[i], b[i], got[i], want[i]);
            }
            levels += off == 0;
        }
    }
    printf("# silu: %d inputs, %d SIMD level(s) bitwise equal to scalar\n", n, levels);
}

/* The scalar version against x / (1 + exp(-x)) in double. */
static void test_silu_accuracy(void)
{
    enum { CAP = 70000 + 26 * 81 + 64 };
    static float x[CAP], y[CAP], one[CAP];
    int n = silu_inputs(x, CAP);
    for (int i = 0; i < n; i++)
        one[i] = 1.0f;
    memcpy(y, x, sizeof(float) * n);
    pd_silu_mul(y, one, n);
    int checked = 0;
    for (int i = 0; i < n; i++) {
        const double xd = x[i];
        if (isinf(x[i]) || xd < -80)   /* -x*e^x far below FLT_MIN: the sign is enough */
            continue;
        const double want = xd / (1 + exp(-xd));
        T_CHECKF(fabs(y[i] - want) <= 4e-7 * fabs(want) + 0x1p-149,
                 "silu(%a) = %a, want %a", x[i], y[i], want);
        checked++;
    }
    T_CHECK(checked > 30000);
    float e[4] = { INFINITY, -INFINITY, -100.0f, 0.0f }, o[4] = { 1, 1, 1, 1 };
    pd_silu_mul(e, o, 4);
    T_CHECK(e[0] == INFINITY && isnan(e[1]) && e[2] == 0 && signbit(e[2]) && e[3] == 0);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static float frand(void)   /* uniform [-1, 1) */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 40) * 0x1p-24) * 2.0f - 1.0f;
}

/* Router-sized rows (16 experts is one whole vector, 8 none, 60 a tail),
 * logits spread wide enough that exp underflows for some. */
static void test_softmax_levels(void)
{
    const int sizes[] = { 1, 8, 16, 17, 60, 64, 128, 256 };
    int levels = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int n = sizes[si];
        for (int rep = 0; rep < 50; rep++) {
            float x[256], want[256], got[256];
            const float spread = rep < 25 ? 4.0f : 120.0f;
            for (int i = 0; i < n; i++)
                x[i] = frand() * spread;
            memcpy(want, x, sizeof(float) * n);
            T_CHECK(pd_softmax_ggml_level(0, want, n));
            double mx = -INFINITY, sum = 0;
            for (int i = 0; i < n; i++)
                mx = fmax(mx, x[i]);
            for (int i = 0; i < n; i++)   /* x - max is rounded to float first */
                sum += exp((float)(x[i] - mx));
            for (int i = 0; i < n; i++) {
                const double p = exp((float)(x[i] - mx)) / sum;
                T_CHECKF(fabs(want[i] - p) <= 5e-7 * p + 1e-37, "n %d: p[%d] = %a, want %a", n, i, want[i], p);
            }
            for (int l = 1; l <= 2; l++) {
                memcpy(got, x, sizeof(float) * n);
                if (!pd_softmax_ggml_level(l, got, n))
                    continue;
                levels += si == 0 && rep == 0;
                T_CHECKF(!memcmp(got, want, sizeof(float) * n), "level %d differs from scalar (n %d)", l, n);
            }
        }
    }
    printf("# softmax: %d SIMD level(s) bitwise equal to scalar\n", levels);
}

/* The decode F32 dot: dispatched = scalar definition bit for bit (steps of
 * 64 and tails), and a dot product to float accuracy. */
static void test_f32_dot_ggml(void)
{
    static float x[1100], y[1100];
    for (int i = 0; i < 1100; i++) {
        x[i] = frand();
        y[i] = frand() * 3.0f;
    }
    const int lens[] = { 0, 5, 63, 64, 65, 256, 1000, 1024, 1100 };
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const int n = lens[li];
        const float a = pd_f32_dot_ggml(n, x, y), r = pd_f32_dot_ggml_ref(n, x, y);
        T_CHECKF(u32_of(a) == u32_of(r), "n %d: %a, scalar %a", n, a, r);
        double d = 0, mag = 0;
        for (int i = 0; i < n; i++) {
            d += (double)x[i] * y[i];
            mag += fabs((double)x[i] * y[i]);
        }
        T_CHECKF(fabs(r - d) <= 1e-6 * mag + 1e-30, "n %d: %g, want %g", n, r, d);
    }
}

/* The attention's weighted sum of V in a half accumulator: the kernel in
 * use gives, value for value, the roundings of key-by-key updates written
 * out here (rescale to half where a key is a new maximum, then acc =
 * half(acc + v*w)), for widths that are and are not multiples of 64. */
static void test_attn_wsum(void)
{
    enum { NKV = 300, DV = 576 + 8 };
    static uint16_t v[NKV * DV], acc[DV], want[DV];
    static float w[NKV], ms[NKV];
    pd_h2f_init();
    const pd_attn_kernels *K = pd_attn_kernels_get();
    for (int i = 0; i < NKV * DV; i++)
        v[i] = pd_f2h(frand() * 4.0f);
    int rescales = 0;
    for (int p = 0; p < NKV; p++) {
        const bool r = p % 37 == 0 || p == 1;
        rescales += r;
        ms[p] = r ? expf(-fabsf(frand()) * 3.0f) : 1.0f;
        w[p] = r ? 1.0f : expf(-fabsf(frand()) * 5.0f);
    }
    const int dvs[] = { 1, 8, 48, 64, 128, 130, 200, 512, DV };
    for (size_t t = 0; t < sizeof dvs / sizeof dvs[0]; t++) {
        const int dv = dvs[t];
        for (int i = 0; i < dv; i++)
            want[i] = acc[i] = pd_f2h(frand());
        for (int p = 0; p < NKV; p++)
            for (int i = 0; i < dv; i++) {
                float a = pd_h2f(want[i]);
                if (ms[p] != 1.0f)
                    a = pd_h2f(pd_f2h(a * ms[p]));
                want[i] = pd_f2h(fmaf(pd_h2f(v[(size_t)p * DV + i]), w[p], a));
            }
        K->wsum(acc, v, DV, NKV, w, ms, dv);
        int bad = 0;
        for (int i = 0; i < dv; i++)
            bad += acc[i] != want[i];
        T_CHECKF(bad == 0, "dv %d (%d rescales): %d of %d values differ", dv, rescales, bad, dv);
    }
}

/* The F32 weighted sum of V (64 query rows or more, four rows at a time):
 * one fma per key and value, in key order, written out here. */
static void test_attn_wsumf(void)
{
    enum { NKV = 200, DV = 200 };
    static uint16_t v[NKV * DV];
    static float w[4][NKV], got[4][DV];
    pd_h2f_init();
    const pd_attn_kernels *K = pd_attn_kernels_get();
    for (int i = 0; i < NKV * DV; i++)
        v[i] = pd_f2h(frand() * 4.0f);
    for (int r = 0; r < 4; r++)
        for (int p = 0; p < NKV; p++)
            w[r][p] = frand();
    const float *const wp[4] = { w[0], w[1], w[2], w[3] };
    float *const op[4] = { got[0], got[1], got[2], got[3] };
    const int dvs[] = { 1, 8, 24, 64, 130, DV };
    for (size_t t = 0; t < sizeof dvs / sizeof dvs[0]; t++) {
        const int dv = dvs[t];
        K->wsumf4(op, v, DV, NKV, wp, dv);
        int bad = 0;
        for (int r = 0; r < 4; r++)
            for (int i = 0; i < dv; i++) {
                float want = 0;
                for (int p = 0; p < NKV; p++)
                    want = fmaf(w[r][p], pd_h2f(v[(size_t)p * DV + i]), want);
                bad += u32_of(got[r][i]) != u32_of(want);
            }
        T_CHECKF(bad == 0, "dv %d: %d of %d values differ", dv, bad, 4 * dv);
    }
}

/* nk random keys and four random queries of d values */
static void keys_and_queries(uint16_t *k, int nk, float *q, int d)
{
    for (int i = 0; i < nk * d; i++)
        k[i] = pd_f2h(frand());
    for (int i = 0; i < 4 * d; i++)
        q[i] = frand();
}

/* Four query rows at once: the same scores as one row at a time, to float
 * rounding (the lane order differs), for widths with and without a tail. */
static void test_attn_four_rows(void)
{
    enum { NKV = 150, D = 136 };
    static uint16_t k[NKV * D];
    static float q[4][D], sc[4][NKV], s1[NKV];
    pd_h2f_init();
    const pd_attn_kernels *K = pd_attn_kernels_get();
    keys_and_queries(k, NKV, &q[0][0], D);
    const float *const qp[4] = { q[0], q[1], q[2], q[3] };
    float *const scp[4] = { sc[0], sc[1], sc[2], sc[3] };
    const int ds[] = { 8, 128, D };
    double worst = 0;
    for (size_t t = 0; t < sizeof ds / sizeof ds[0]; t++) {
        const int d = ds[t];
        K->dots4(qp, k, D, NKV, d, 0.5f, scp);
        for (int r = 0; r < 4; r++) {
            K->dots(q[r], k, D, NKV, d, 0.5f, s1);
            for (int p = 0; p < NKV; p++)
                worst = fmax(worst, fabs(sc[r][p] - s1[p]) / (1 + fabs(s1[p])));
        }
    }
    T_CHECKF(worst <= 1e-5, "four rows differ from one by %g", worst);
}

/* Scores with keys as lanes (the AVX-512 level; skipped where there are
 * none): a tile transposed to F32, lanes past n_kv zero, and the four rows'
 * scores exactly the reference's fma chain along k, for full and partial
 * tiles and widths with a tail of 8 or fewer; nothing written past n_kv. */
static void test_attn_keys_as_lanes(void)
{
    enum { NKV = PD_ATTN_KT, D = 136 };
    static uint16_t k[NKV * D];
    static float q[4][D], sc[4][NKV + 1], kt[D * PD_ATTN_KT];
    pd_h2f_init();
    const pd_attn_kernels *K = pd_attn_kernels_get();
    if (!K->dots4t) {
        printf("# keys as lanes: not at this level\n");
        return;
    }
    keys_and_queries(k, NKV, &q[0][0], D);
    const float *const qp[4] = { q[0], q[1], q[2], q[3] };
    float *const scp[4] = { sc[0], sc[1], sc[2], sc[3] };
    static const int nkvs[] = { NKV, 63, 17, 8, 1 }, ds[] = { 8, 128, D, 5 };
    int bad = 0;
    for (size_t a = 0; a < sizeof nkvs / sizeof nkvs[0]; a++)
        for (size_t b = 0; b < sizeof ds / sizeof ds[0]; b++) {
            const int n = nkvs[a], d = ds[b];
            K->ktile(k, D, n, d, kt);
            for (int i = 0; i < d; i++)
                for (int p = 0; p < PD_ATTN_KT; p++)
                    bad += u32_of(kt[i * PD_ATTN_KT + p]) != u32_of(p < n ? pd_h2f(k[p * D + i]) : 0.0f);
            for (int r = 0; r < 4; r++)
                for (int p = 0; p <= NKV; p++)
                    sc[r][p] = -7.0f;
            K->dots4t(qp, kt, n, d, 0.5f, scp);
            for (int r = 0; r < 4; r++)
                for (int p = 0; p <= NKV; p++) {
                    float want = -7.0f;
                    if (p < n) {
                        float s = 0;
                        for (int i = 0; i < d; i++)
                            s = fmaf(q[r][i], pd_h2f(k[p * D + i]), s);
                        want = s * 0.5f;
                    }
                    bad += u32_of(sc[r][p]) != u32_of(want);
                }
        }
    T_CHECKF(bad == 0, "%d values differ", bad);
}

/* One tile of the online softmax: every level gives the scalar bits; the
 * weights are exp(x - max so far), zero past nv; the rescale factor carries
 * the old maximum to the new; no keys (nv 0) change nothing. */
static void test_softmax_tile(void)
{
    float x[64], ref[64], got[64];
    int levels = 0;
    for (int rep = 0; rep < 200; rep++) {
        const int n = 1 + rep % 64, nv = rep % 7 == 0 ? 0 : 1 + (rep * 13) % n;
        const float m0 = rep % 3 == 0 ? -INFINITY : frand() * 8;
        for (int i = 0; i < n; i++)
            x[i] = frand() * (rep % 2 ? 40 : 4);
        memcpy(ref, x, sizeof x);
        float m = m0, rs, sum;
        T_CHECK(pd_softmax_tile_level(0, ref, n, nv, &m, &rs, &sum));
        double mx = m0, s = 0;
        for (int i = 0; i < nv; i++)
            mx = fmax(mx, x[i]);
        T_CHECKF(m == (float)mx || (nv == 0 && m == m0), "rep %d: max %g, want %g", rep, m, mx);
        const double want_rs = nv == 0 ? 1 : m0 == -INFINITY ? 0 : exp((float)(m0 - mx));
        T_CHECKF(fabs(rs - want_rs) <= 5e-7 * want_rs, "rep %d: rescale %g, want %g", rep, rs, want_rs);
        for (int i = 0; i < n; i++) {
            const double w = i < nv ? exp((float)(x[i] - mx)) : 0;
            s += w;
            T_CHECKF(fabs(ref[i] - w) <= 5e-7 * w, "rep %d: w[%d] = %g, want %g", rep, i, ref[i], w);
        }
        T_CHECKF(fabs(sum - s) <= 2e-6 * s, "rep %d: sum %g, want %g", rep, sum, s);
        for (int l = 1; l <= 2; l++) {
            float m2 = m0, rs2, sum2;
            memcpy(got, x, sizeof x);
            if (!pd_softmax_tile_level(l, got, n, nv, &m2, &rs2, &sum2))
                continue;
            levels += rep == 0;
            T_CHECKF(!memcmp(got, ref, sizeof(float) * n) && u32_of(sum2) == u32_of(sum) &&
                     u32_of(rs2) == u32_of(rs) && u32_of(m2) == u32_of(m),
                     "level %d differs from scalar (n %d, nv %d)", l, n, nv);
        }
    }
    printf("# softmax tile: %d SIMD level(s) bitwise equal to scalar\n", levels);
}

/* Attention by its definition, in double: the softmax of q . k_p * scale
 * over keys p < n_kv weights the value rows. */
static double attn_ref_worst(const float *q, const float *out, int n_kv, const uint16_t *k, int dk,
                             const uint16_t *v, int dv, float scale)
{
    static double sc[4096];
    double mx = -INFINITY, sum = 0, worst = 0;
    for (int p = 0; p < n_kv; p++) {
        double d = 0;
        for (int i = 0; i < dk; i++)
            d += (double)q[i] * pd_h2f(k[(size_t)p * dk + i]);
        sc[p] = d * scale;
        mx = fmax(mx, sc[p]);
    }
    for (int p = 0; p < n_kv; p++)
        sum += sc[p] = exp(sc[p] - mx);
    for (int e = 0; e < dv; e++) {
        double want = 0;
        for (int p = 0; p < n_kv; p++)
            want += sc[p] / sum * pd_h2f(v[(size_t)p * dv + e]);
        worst = fmax(worst, fabs(out[e] - want));
    }
    return worst;
}

/* The tiled attention against the definition: queries of different
 * lengths (within a tile, at its edge, across many), fours that a unit
 * fills only in part, and keys whose scores rise along the cache for some
 * queries (each tile brings a new maximum: the running sums must be
 * rescaled) and fall for others; then the same over a cache split into
 * parts and merged (one part, two, five). */
static void test_attn_tiled(void)
{
    enum { NKV = 2500, DK = 136, DV = 72, NQ = 7 };
    static uint16_t k[NKV * DK], v[NKV * DV];
    static float q[NQ][DK], out[NQ][DV], scratch[4 * PD_ATTN_TILE + 2 * PD_ATTN_UNIT + 4 * DV + DK * PD_ATTN_TILE];
    static float parts[5 * NQ * (DV + 2)];
    const int n_kv[NQ] = { 1, 63, 64, 65, 200, 513, 700 };
    pd_h2f_init();
    for (int p = 0; p < NKV; p++)
        for (int i = 0; i < DK; i++)   /* dimension 0 grows along the cache */
            k[p * DK + i] = pd_f2h(i == 0 ? (float)p / 40 : frand());
    for (int i = 0; i < NKV * DV; i++)
        v[i] = pd_f2h(frand() * 2);
    const float *qp[NQ];
    float *op[NQ];
    for (int r = 0; r < NQ; r++) {
        for (int i = 0; i < DK; i++)
            q[r][i] = frand();
        q[r][0] = r % 2 ? 3.0f : -3.0f;   /* rising scores for odd queries */
        qp[r] = q[r];
        op[r] = out[r];
    }
    const float scale = 0.3f;
    pd_attn_tiled(NQ, qp, op, n_kv, k, DK, v, DV, DK, DV, scale, scratch);
    double worst = 0;
    for (int r = 0; r < NQ; r++)
        worst = fmax(worst, attn_ref_worst(q[r], out[r], n_kv[r], k, DK, v, DV, scale));
    T_CHECKF(worst <= 2e-5, "tiled attention differs from the definition by %g", worst);
    pd_attn_unit un = { .nq = NQ, .keys_as_lanes = true };   /* (scored so where the level can) */
    for (int r = 0; r < NQ; r++) {
        un.q[r] = q[r];
        un.out[r] = out[r];
        un.n_kv[r] = n_kv[r];
    }
    memset(out, 0, sizeof out);
    pd_attn_unit_run(&un, 0, INT_MAX, k, DK, v, DV, DK, DV, scale, scratch);
    worst = 0;
    for (int r = 0; r < NQ; r++)
        worst = fmax(worst, attn_ref_worst(q[r], out[r], n_kv[r], k, DK, v, DV, scale));
    T_CHECKF(worst <= 2e-5, "keys as lanes: %g from the definition", worst);
    const int split_kv[] = { 300, 1000, NKV };
    for (int t = 0; t < 3; t++) {
        memset(out, 0, sizeof out);
        pd_attn_tiled_split(NQ, qp, op, split_kv[t], k, DK, v, DV, DK, DV, scale, scratch, parts);
        worst = 0;
        for (int r = 0; r < NQ; r++)
            worst = fmax(worst, attn_ref_worst(q[r], out[r], split_kv[t], k, DK, v, DV, scale));
        T_CHECKF(worst <= 2e-5, "over %d keys in parts: %g from the definition", split_kv[t], worst);
    }
}

/* Experts' products that pick rows of one input (a prefill's MoE): each
 * token's row is converted once and copied to every product that picks it;
 * every output is the row dot of its expert's row and its token's Q8_K row,
 * whether the products run together or one at a time. */
static void test_matmul_shared_rows(void)
{
    enum { K = 512, N = 40, E = 3, T = 21 };
    const pd_type t = PD_TYPE_Q6_K;
    size_t rb = 0, xb = 0;
    pd_type_row_bytes(t, K, &rb);
    pd_type_row_bytes(PD_TYPE_Q8_K, K, &xb);
    uint8_t *wd = malloc(rb * N * E), *xq = malloc(xb * T);
    static float x[T][K], f[K], together[E][T][N], alone[E][T][N];
    for (int r = 0; r < N * E; r++) {
        for (int i = 0; i < K; i++)
            f[i] = frand();
        pd_quantize_row(t, f, wd + (size_t)r * rb, K);
    }
    for (int r = 0; r < T; r++) {
        for (int i = 0; i < K; i++)
            x[r][i] = frand();
        pd_quantize_row(PD_TYPE_Q8_K, x[r], xq + (size_t)r * xb, K);
    }
    const pd_weight w = { .data = wd, .type = t, .k = K, .n = N, .n_mat = E, .row_bytes = rb,
                          .mat_stride = rb * N };
    static const int32_t rows0[] = { 0, 3, 4, 7, 9, 10, 12, 13, 15, 16, 18, 19, 20 };   /* 13 */
    static const int32_t rows1[] = { 1, 2, 3, 5, 6, 8, 9, 11, 14, 17 };                  /* 10 */
    static const int32_t rows2[] = { 20 };
    const int32_t *rows[E] = { rows0, rows1, rows2 };
    const int n[E] = { 13, 10, 1 };
    pd_pool *pool = NULL;
    T_EQ_INT(pd_pool_new(2, &pool), PD_OK);
    pd_mm_scratch sc = { 0 };
    pd_mm mm[E];
    for (int e = 0; e < E; e++)
        mm[e] = (pd_mm){ .w = &w, .mat = e, .x = &x[0][0], .ldx = K, .xrows = rows[e], .n = n[e],
                         .y = &together[e][0][0], .ldy = N, .expert = true };
    T_EQ_INT(pd_matmul(pool, &sc, mm, E), PD_OK);
    for (int e = 0; e < E; e++) {
        pd_mm one = mm[e];
        one.y = &alone[e][0][0];
        T_EQ_INT(pd_matmul(pool, &sc, &one, 1), PD_OK);
    }
    int bad = 0;
    for (int e = 0; e < E; e++)
        for (int i = 0; i < n[e]; i++)
            for (int r = 0; r < N; r++) {
                const float want = pd_vec_dot(t, K, pd_weight_row(&w, e, r), xq + (size_t)rows[e][i] * xb);
                bad += u32_of(together[e][i][r]) != u32_of(want) || u32_of(alone[e][i][r]) != u32_of(want);
            }
    T_CHECKF(bad == 0, "%d outputs differ from the row dot", bad);
    pd_mm_scratch_free(&sc);
    pd_pool_free(pool);
    free(wd);
    free(xq);
}

int main(void)
{
    T_RUN(test_silu_levels_bitwise);
    T_RUN(test_silu_accuracy);
    T_RUN(test_softmax_levels);
    T_RUN(test_f32_dot_ggml);
    T_RUN(test_attn_wsum);
    T_RUN(test_attn_wsumf);
    T_RUN(test_attn_four_rows);
    T_RUN(test_attn_keys_as_lanes);
    T_RUN(test_softmax_tile);
    T_RUN(test_attn_tiled);
    T_RUN(test_matmul_shared_rows);
    T_DONE();
}
