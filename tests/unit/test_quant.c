/* test_quant.c - block formats: hand-built blocks decoded from first
 * principles, quantize/dequantize error, dot products against double math,
 * and every SIMD level against the scalar reference.
 */
#include "t.h"
#include "quant.h"
#include "quant_simd.h"
#include "iq_grids.h"

#include <stddef.h>
#include <stdint.h>

/* ---- helpers ---- */
static uint64_t g_rng;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static float frand(void) /* uniform [-1, 1) */
{
    return (float)((rnd() >> 40) * 0x1p-24) * 2.0f - 1.0f;
}
static float grand(void) /* roughly gaussian */
{
    return (frand() + frand() + frand() + frand()) * 0.8f;
}
static float f32_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u32_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static const pd_type k_weight_types[] = {
    PD_TYPE_F32, PD_TYPE_F16, PD_TYPE_BF16, PD_TYPE_Q8_0, PD_TYPE_Q4_0,
    PD_TYPE_Q4_K, PD_TYPE_Q5_K, PD_TYPE_Q6_K, PD_TYPE_Q8_K,
    PD_TYPE_Q4_1, PD_TYPE_Q5_0, PD_TYPE_Q5_1, PD_TYPE_Q8_1, PD_TYPE_Q2_K, PD_TYPE_Q3_K,
    PD_TYPE_IQ4_NL, PD_TYPE_IQ4_XS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S,
    PD_TYPE_IQ2_XS, PD_TYPE_IQ2_S,
    PD_TYPE_IQ1_S, PD_TYPE_IQ1_M,
};
#define N_WT (int)(sizeof k_weight_types / sizeof k_weight_types[0])

static size_t row_bytes(pd_type t, int64_t n)
{
    size_t b = 0;
    if (!pd_type_row_bytes(t, n, &b))
        abort();
    return b;
}

static uint16_t rand_scale16(void) /* fp16 in [2^-12, 2^-6) */
{
    return pd_f32_to_fp16(ldexpf(1.0f + (frand() + 1.0f) * 0.5f, -12 + (int)(rnd() % 6)));
}

/* Every block's fp16 scale at byte `off`: random, of either sign where the
 * format allows one (mins, and the i-quants' and Q3_K's signed d). */
static void rand_scales(pd_type t, int64_t n, void *dst, size_t off, bool sign)
{
    const size_t bs = pd_type_block_bytes(t);
    for (int64_t i = 0; i < n / pd_type_block_elems(t); i++) {
        uint16_t h = rand_scale16();
        if (sign)
            h ^= (uint16_t)(rnd() & 0x8000);
        memcpy((uint8_t *)dst + (size_t)i * bs + off, &h, sizeof h);
    }
}

/* IQ1_M's fp16 d, spread over the top nibbles of its 4 scale words
 * (quant.h): every block's random, of either sign */
static void rand_iq1m_scales(int64_t n, void *dst)
{
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const uint16_t h = rand_scale16() ^ (uint16_t)(rnd() & 0x8000);
        uint8_t *sc = (uint8_t *)dst + (size_t)i * sizeof(pd_block_iq1_m) + offsetof(pd_block_iq1_m, scales);
        for (int k = 0; k < 4; k++)
            sc[2 * k + 1] = (uint8_t)((sc[2 * k + 1] & 0x0f) | ((h >> (4 * k)) & 15) << 4);
    }
}

/* A random weight row of type t: random quants, sane scales. */
static void rand_weights(pd_type t, int64_t n, void *dst)
{
    size_t nb = row_bytes(t, n);
    uint8_t *p = dst;
    for (size_t i = 0; i < nb; i++)
        p[i] = (uint8_t)rnd();
    switch (t) {
    case PD_TYPE_F32: case PD_TYPE_F16: case PD_TYPE_BF16: case PD_TYPE_Q8_K: case PD_TYPE_Q8_1: {
        float *f = malloc((size_t)n * sizeof *f);
        for (int64_t i = 0; i < n; i++)
            f[i] = grand();
        pd_quantize_row_ref(t, f, dst, n);
        free(f);
        break;
    }
    case PD_TYPE_Q8_0: rand_scales(t, n, dst, offsetof(pd_block_q8_0, d), false); break;
    case PD_TYPE_Q4_0: rand_scales(t, n, dst, offsetof(pd_block_q4_0, d), false); break;
    case PD_TYPE_Q5_0: rand_scales(t, n, dst, offsetof(pd_block_q5_0, d), false); break;
    case PD_TYPE_Q6_K: rand_scales(t, n, dst, offsetof(pd_block_q6_k, d), false); break;
    case PD_TYPE_Q4_1:
        rand_scales(t, n, dst, offsetof(pd_block_q4_1, d), false);
        rand_scales(t, n, dst, offsetof(pd_block_q4_1, m), true);
        break;
    case PD_TYPE_Q5_1:
        rand_scales(t, n, dst, offsetof(pd_block_q5_1, d), false);
        rand_scales(t, n, dst, offsetof(pd_block_q5_1, m), true);
        break;
    case PD_TYPE_Q4_K:
        rand_scales(t, n, dst, offsetof(pd_block_q4_k, d), false);
        rand_scales(t, n, dst, offsetof(pd_block_q4_k, dmin), false);
        break;
    case PD_TYPE_Q5_K:
        rand_scales(t, n, dst, offsetof(pd_block_q5_k, d), false);
        rand_scales(t, n, dst, offsetof(pd_block_q5_k, dmin), false);
        break;
    case PD_TYPE_Q2_K:
        rand_scales(t, n, dst, offsetof(pd_block_q2_k, d), false);
        rand_scales(t, n, dst, offsetof(pd_block_q2_k, dmin), false);
        break;
    case PD_TYPE_Q3_K: rand_scales(t, n, dst, offsetof(pd_block_q3_k, d), true); break;
    case PD_TYPE_IQ4_NL: rand_scales(t, n, dst, offsetof(pd_block_iq4_nl, d), true); break;
    case PD_TYPE_IQ4_XS: rand_scales(t, n, dst, offsetof(pd_block_iq4_xs, d), true); break;
    case PD_TYPE_IQ2_XXS: rand_scales(t, n, dst, offsetof(pd_block_iq2_xxs, d), true); break;
    case PD_TYPE_IQ3_XXS: rand_scales(t, n, dst, offsetof(pd_block_iq3_xxs, d), true); break;
    case PD_TYPE_IQ3_S: rand_scales(t, n, dst, offsetof(pd_block_iq3_s, d), true); break;
    case PD_TYPE_IQ2_XS: rand_scales(t, n, dst, offsetof(pd_block_iq2_xs, d), true); break;
    case PD_TYPE_IQ2_S: rand_scales(t, n, dst, offsetof(pd_block_iq2_s, d), true); break;
    case PD_TYPE_IQ1_S: rand_scales(t, n, dst, offsetof(pd_block_iq1_s, d), true); break;
    case PD_TYPE_IQ1_M: rand_iq1m_scales(n, dst); break;
    default:
        abort();
    }
}

/* A random activation row in the vec_dot format of weight type t. */
static void rand_acts(pd_type t, int64_t n, void *dst, float *f)
{
    for (int64_t i = 0; i < n; i++)
        f[i] = grand();
    pd_quantize_row_ref(pd_type_vec_dot(t), f, dst, n);
}

/* nr random weight rows (stride ws) and nc random activation rows (stride
 * xs) of n values; xf: scratch for the activations' floats */
static void rand_case(pd_type t, int64_t n, int nr, void *w, size_t ws, int nc, void *x, size_t xs, float *xf)
{
    for (int r = 0; r < nr; r++)
        rand_weights(t, n, (uint8_t *)w + (size_t)r * ws);
    for (int c = 0; c < nc; c++)
        rand_acts(t, n, (uint8_t *)x + (size_t)c * xs, xf);
}

/* The quants, scale and min of block i of a Q4_1/Q5_0/Q5_1 row, read from
 * the format description: element j < 16 in the low nibble of qs[j], j >= 16
 * in the high nibble of qs[j - 16], the 5th bit is bit j of qh as a
 * little-endian 32-bit word; Q5_0's quants are offset by 16. */
static void legacy_block(pd_type t, const void *row, int64_t i, int q[32], float *d, float *m)
{
    const uint8_t *qs, *qh = NULL;
    uint16_t hd, hm = 0;
    if (t == PD_TYPE_Q4_1) {
        const pd_block_q4_1 *b = (const pd_block_q4_1 *)row + i;
        qs = b->qs; hd = b->d; hm = b->m;
    } else if (t == PD_TYPE_Q5_0) {
        const pd_block_q5_0 *b = (const pd_block_q5_0 *)row + i;
        qs = b->qs; qh = b->qh; hd = b->d;
    } else {
        const pd_block_q5_1 *b = (const pd_block_q5_1 *)row + i;
        qs = b->qs; qh = b->qh; hd = b->d; hm = b->m;
    }
    for (int j = 0; j < 32; j++) {
        int nib = j < 16 ? qs[j] & 15 : qs[j - 16] >> 4;
        int hi = qh ? (qh[j / 8] >> (j % 8)) & 1 : 0;
        q[j] = nib + 16 * hi - (t == PD_TYPE_Q5_0 ? 16 : 0);
    }
    *d = pd_fp16_to_f32(hd);
    *m = pd_fp16_to_f32(hm);
}

static bool is_legacy_min(pd_type t) { return t == PD_TYPE_Q4_1 || t == PD_TYPE_Q5_1; }

/* Exact dot in double of the dequantized rows.  Q4_1/Q5_1 . Q8_1 take the
 * mins' part as ggml does, m * s with the block's stored s (an fp16 of
 * d*sum(q), not dy16*sum(q)): the d*q part and m*s in double. */
static double dot_double(pd_type t, int64_t n, const void *w, const void *x, double *mag)
{
    if (is_legacy_min(t)) {
        const pd_block_q8_1 *y = x;
        double s = 0, m = 0;
        for (int64_t i = 0; i < n / 32; i++) {
            int q[32];
            float d, mn, dy = pd_fp16_to_f32(y[i].d);
            legacy_block(t, w, i, q, &d, &mn);
            for (int j = 0; j < 32; j++) {
                double p = (double)d * q[j] * ((double)dy * y[i].qs[j]);
                s += p;
                m += fabs(p);
            }
            double ms = (double)mn * pd_fp16_to_f32(y[i].s);
            s += ms;
            m += fabs(ms);
        }
        *mag = m;
        return s;
    }
    float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    pd_dequantize_row_ref(t, w, a, n);
    pd_dequantize_row_ref(pd_type_vec_dot(t), x, b, n);
    double s = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)a[i] * b[i];
        m += fabs((double)a[i] * b[i]);
    }
    free(a);
    free(b);
    *mag = m;
    return s;
}

/* ---- type table ---- */
static void test_type_table(void)
{
    T_EQ_STR(pd_type_name(PD_TYPE_Q4_K), "Q4_K");
    T_EQ_STR(pd_type_name(4), "?");
    T_EQ_STR(pd_type_name(1000), "?");
    /* ggml's type traits: id, name, values and bytes per block, vec_dot type
     * (-1: none asserted) */
    static const struct { uint32_t id; const char *name; int elems, bytes, dot; } facts[] = {
        { 2, "Q4_0", 32, 18, PD_TYPE_Q8_0 },     { 3, "Q4_1", 32, 20, PD_TYPE_Q8_1 },
        { 6, "Q5_0", 32, 22, PD_TYPE_Q8_0 },     { 7, "Q5_1", 32, 24, PD_TYPE_Q8_1 },
        { 8, "Q8_0", 32, 34, PD_TYPE_Q8_0 },     { 9, "Q8_1", 32, 36, -1 },
        { 10, "Q2_K", 256, 84, PD_TYPE_Q8_K },   { 11, "Q3_K", 256, 110, PD_TYPE_Q8_K },
        { 12, "Q4_K", 256, 144, PD_TYPE_Q8_K },  { 13, "Q5_K", 256, 176, PD_TYPE_Q8_K },
        { 14, "Q6_K", 256, 210, PD_TYPE_Q8_K },  { 15, "Q8_K", 256, 292, -1 },
        { 16, "IQ2_XXS", 256, 66, PD_TYPE_Q8_K }, { 18, "IQ3_XXS", 256, 98, PD_TYPE_Q8_K },
        { 17, "IQ2_XS", 256, 74, PD_TYPE_Q8_K },  { 22, "IQ2_S", 256, 82, PD_TYPE_Q8_K },
        { 19, "IQ1_S", 256, 50, PD_TYPE_Q8_K },  { 29, "IQ1_M", 256, 56, PD_TYPE_Q8_K },
        { 20, "IQ4_NL", 32, 18, PD_TYPE_Q8_0 },  { 21, "IQ3_S", 256, 110, PD_TYPE_Q8_K },
        { 23, "IQ4_XS", 256, 136, PD_TYPE_Q8_K }, { 39, "MXFP4", 32, 17, -1 },
    };
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const uint32_t t = facts[i].id;
        T_CHECKF(!strcmp(pd_type_name(t), facts[i].name), "type %u: %s", t, pd_type_name(t));
        T_CHECKF(pd_type_block_elems(t) == facts[i].elems && (int)pd_type_block_bytes(t) == facts[i].bytes,
                 "%s: %lld values in %zu bytes", facts[i].name, (long long)pd_type_block_elems(t),
                 pd_type_block_bytes(t));
        if (facts[i].dot >= 0)
            T_CHECKF((int)pd_type_vec_dot(t) == facts[i].dot, "%s: vec_dot %d", facts[i].name,
                     (int)pd_type_vec_dot(t));
    }
    T_EQ_INT(PD_TYPE_IQ2_XXS, 16);
    T_EQ_INT(PD_TYPE_IQ2_XS, 17);
    T_EQ_INT(PD_TYPE_IQ3_XXS, 18);
    T_EQ_INT(PD_TYPE_IQ4_NL, 20);
    T_EQ_INT(PD_TYPE_IQ3_S, 21);
    T_EQ_INT(PD_TYPE_IQ2_S, 22);
    T_EQ_INT(PD_TYPE_IQ4_XS, 23);
    T_EQ_INT(PD_TYPE_IQ1_S, 19);
    T_EQ_INT(PD_TYPE_IQ1_M, 29);
    T_EQ_INT(pd_type_block_elems(PD_TYPE_BF16), 1);
    T_CHECK(pd_type_known(34) && !pd_type_supported(34));   /* TQ1_0 */
    T_CHECK(!pd_type_known(31) && !pd_type_known(40));
    static const uint32_t sup[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 29,
                                    30 };
    int n_sup = 0;
    for (uint32_t t = 0; t < 64; t++)
        n_sup += pd_type_supported(t);
    T_EQ_INT(n_sup, 24);
    for (size_t i = 0; i < sizeof sup / sizeof sup[0]; i++)
        T_CHECK(pd_type_supported(sup[i]));
    size_t b = 0;
    T_CHECK(pd_type_row_bytes(PD_TYPE_Q4_K, 4096, &b));
    T_EQ_INT(b, 16 * 144);
    T_CHECK(!pd_type_row_bytes(PD_TYPE_Q4_K, 100, &b));
    T_CHECK(!pd_type_row_bytes(PD_TYPE_Q4_K, -256, &b));
    T_CHECK(!pd_type_row_bytes(PD_TYPE_F32, INT64_MAX, &b));
    T_CHECK(!pd_type_row_bytes(28, INT64_MAX / 2, &b));   /* F64: 2^65 bytes */
    T_CHECK(pd_type_row_bytes(PD_TYPE_Q8_0, INT64_MAX / 32 * 32, &b) && b == (size_t)(INT64_MAX / 32) * 34);
    T_CHECK(!pd_type_row_bytes(4, 32, &b));
    T_CHECK(pd_type_row_bytes(PD_TYPE_F16, 0, &b) && b == 0);
    T_EQ_INT(pd_type_vec_dot(PD_TYPE_Q4_0), PD_TYPE_Q8_0);
    T_EQ_INT(pd_type_vec_dot(PD_TYPE_Q6_K), PD_TYPE_Q8_K);
    T_EQ_INT(pd_type_vec_dot(PD_TYPE_F16), PD_TYPE_F16);
    T_EQ_INT(pd_type_vec_dot(PD_TYPE_BF16), PD_TYPE_BF16);
    T_EQ_INT(pd_type_vec_dot(PD_TYPE_F32), PD_TYPE_F32);
}

/* ---- fp16 / bf16 ---- */
static void test_fp16_known(void)
{
    static const struct { uint32_t f; uint16_t h; } k[] = {
        { 0x3f800000, 0x3c00 },   /* 1 */
        { 0xc0000000, 0xc000 },   /* -2 */
        { 0x80000000, 0x8000 },   /* -0 */
        { 0x477fe000, 0x7bff },   /* 65504 */
        { 0x477fefff, 0x7bff },   /* just below the inf threshold */
        { 0x477ff000, 0x7c00 },   /* 65520: tie, rounds to even = inf */
        { 0x7f800000, 0x7c00 },   /* inf */
        { 0xff800000, 0xfc00 },
        { 0x3f801000, 0x3c00 },   /* 1 + 2^-11: tie to even (down) */
        { 0x3f803000, 0x3c02 },   /* 1 + 3*2^-11: tie to even (up) */
        { 0x3f801001, 0x3c01 },   /* just above the tie */
        { 0x38800000, 0x0400 },   /* 2^-14, smallest normal */
        { 0x387fe000, 0x0400 },   /* 2^-14 - 2^-25: tie, rounds up to normal */
        { 0x387fc000, 0x03ff },   /* 2^-14 - 2^-24: largest subnormal */
        { 0x33800000, 0x0001 },   /* 2^-24, smallest subnormal */
        { 0x33000000, 0x0000 },   /* 2^-25: tie to even = 0 */
        { 0x33000001, 0x0001 },
        { 0x34400000, 0x0003 },   /* 1.5 * 2^-23 = 3 * 2^-24 */
        { 0x33c00000, 0x0002 },   /* 1.5 * 2^-24: tie to even = 2 */
        { 0x2f800000, 0x0000 },   /* 2^-32 */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        T_CHECKF(pd_f32_to_fp16(f32_of(k[i].f)) == k[i].h, "0x%08x -> 0x%04x, want 0x%04x",
                 k[i].f, pd_f32_to_fp16(f32_of(k[i].f)), k[i].h);
    uint16_t hn = pd_f32_to_fp16(NAN);
    T_CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff) != 0);
    T_CHECK((pd_f32_to_fp16(f32_of(0x7f800001)) & 0x3ff) != 0);   /* sNaN stays NaN */
    T_CHECK(pd_fp16_to_f32(0x0001) == 0x1p-24f);
    T_CHECK(pd_fp16_to_f32(0x03ff) == 1023 * 0x1p-24f);
    T_CHECK(pd_fp16_to_f32(0x7bff) == 65504.0f);
    T_CHECK(isinf(pd_fp16_to_f32(0xfc00)) && pd_fp16_to_f32(0xfc00) < 0);
    T_CHECK(isnan(pd_fp16_to_f32(0x7e00)));
    T_CHECK(u32_of(pd_fp16_to_f32(0x8000)) == 0x80000000u);
    /* every finite half survives the round trip */
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue;
        T_CHECKF(pd_f32_to_fp16(pd_fp16_to_f32((uint16_t)h)) == h, "h=0x%04x", h);
    }
}

/* Random floats of every magnitude: the result is the nearest half, ties even. */
static void test_fp16_nearest(void)
{
    g_rng = 0x1234567;
    for (int i = 0; i < 200000; i++) {
        float f = ldexpf(frand(), (int)(rnd() % 44) - 28);
        uint16_t h = pd_f32_to_fp16(f);
        double v = pd_fp16_to_f32(h), err = fabs(v - f);
        if (isinf(v)) {
            T_CHECK(fabs(f) >= 65520.0);
            continue;
        }
        /* neighbours one ulp away (in magnitude order) must not be closer */
        for (int dlt = -1; dlt <= 1; dlt += 2) {
            uint16_t m = h & 0x7fff;
            if ((m == 0 && dlt < 0) || m + dlt >= 0x7c00)
                continue;
            uint16_t hn = (uint16_t)((h & 0x8000) | (m + dlt));
            double e2 = fabs((double)pd_fp16_to_f32(hn) - f);
            T_CHECKF(err < e2 || (err == e2 && (h & 1) == 0), "f=%a h=0x%04x", f, h);
        }
    }
}

static void test_bf16(void)
{
    T_EQ_INT(pd_f32_to_bf16(1.0f), 0x3f80);
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x3f808000)), 0x3f80);   /* tie -> even */
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x3f818000)), 0x3f82);   /* tie -> even (up) */
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x3f808001)), 0x3f81);
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x7f7fffff)), 0x7f80);   /* max float rounds to inf */
    T_EQ_INT(pd_f32_to_bf16(f32_of(0xff800000)), 0xff80);
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x00010000)), 0x0001);   /* subnormal kept */
    T_EQ_INT(pd_f32_to_bf16(f32_of(0x7f800001)), 0x7fc0);   /* sNaN -> quiet, still NaN */
    T_EQ_INT(pd_f32_to_bf16(f32_of(0xffc12345)), 0xffc1);
    T_CHECK(pd_bf16_to_f32(0x4049) == f32_of(0x40490000));
    T_CHECK(isnan(pd_bf16_to_f32(0x7fc0)));
}

/* ---- hand-built blocks, decoded from the format description ---- */

/* 12-byte (scale, min) packing written out from the format description. */
static void pack_k4(const int sc[8], const int m[8], uint8_t s[12])
{
    for (int j = 0; j < 4; j++) {
        s[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = (uint8_t)((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        s[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
}

static void test_q4_k_handbuilt(void)
{
    pd_block_q4_k b;
    int sc[8] = { 1, 63, 17, 40, 33, 2, 63, 48 }, m[8] = { 0, 5, 63, 31, 16, 47, 1, 62 };
    int q[256];
    g_rng = 99;
    for (int e = 0; e < 256; e++)
        q[e] = (int)(rnd() % 16);
    b.d = 0x3c00;     /* 1.0 */
    b.dmin = 0x3800;  /* 0.5 */
    pack_k4(sc, m, b.scales);
    /* element e: chunk e/64, low nibble for the first 32 of the chunk */
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++)
            b.qs[32 * c + l] = (uint8_t)(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_Q4_K, &b, y, 256);
    for (int e = 0; e < 256; e++)
        T_CHECKF(y[e] == 1.0f * sc[e / 32] * q[e] - 0.5f * m[e / 32], "e=%d y=%g", e, y[e]);
    /* a literal: element 32 is sub-block 1 (scale 63, min 5), high nibble */
    b.qs[0] = 0xa3;
    pd_dequantize_row_ref(PD_TYPE_Q4_K, &b, y, 256);
    T_CHECK(y[0] == 3.0f && y[32] == 63 * 10 - 2.5f);
}

static void test_q5_k_handbuilt(void)
{
    pd_block_q5_k b;
    int sc[8] = { 7, 0, 63, 12, 50, 9, 31, 32 }, m[8] = { 63, 2, 0, 19, 8, 41, 60, 3 };
    int q[256];
    g_rng = 7;
    for (int e = 0; e < 256; e++)
        q[e] = (int)(rnd() % 32);
    b.d = 0x3400;     /* 0.25 */
    b.dmin = 0x4000;  /* 2 */
    pack_k4(sc, m, b.scales);
    memset(b.qh, 0, sizeof b.qh);
    for (int e = 0; e < 256; e++) {
        int c = e / 64, l = e % 32, hi = (e % 64) >= 32;
        if (!hi)
            b.qs[32 * c + l] = (uint8_t)(q[e] & 15);
        else
            b.qs[32 * c + l] |= (uint8_t)((q[e] & 15) << 4);
        b.qh[l] |= (uint8_t)((q[e] >> 4) << (e / 32));   /* bit = sub-block index */
    }
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_Q5_K, &b, y, 256);
    for (int e = 0; e < 256; e++)
        T_CHECKF(y[e] == 0.25f * sc[e / 32] * q[e] - 2.0f * m[e / 32], "e=%d", e);
}

static void test_q6_k_handbuilt(void)
{
    pd_block_q6_k b;
    int q[256];
    g_rng = 3;
    for (int e = 0; e < 256; e++)
        q[e] = (int)(rnd() % 64) - 32;
    for (int j = 0; j < 16; j++)
        b.scales[j] = (int8_t)(j * 17 - 128);
    b.d = 0x3000;   /* 0.125 */
    memset(b.ql, 0, sizeof b.ql);
    memset(b.qh, 0, sizeof b.qh);
    /* per 128-half: ql[0..31] = elems 0..31 (lo) | 64..95 (hi nibble),
     * ql[32..63] = elems 32..63 | 96..127; qh[l] 2 bits each for l, l+32, l+64, l+96 */
    for (int e = 0; e < 256; e++) {
        int u = q[e] + 32, h = e / 128, r = e % 128, l = r % 32;
        int qli = 64 * h + (r < 64 ? r : r - 64);
        b.ql[qli] |= (uint8_t)((u & 15) << (r < 64 ? 0 : 4));
        b.qh[32 * h + l] |= (uint8_t)((u >> 4) << (2 * (r / 32)));
    }
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_Q6_K, &b, y, 256);
    for (int e = 0; e < 256; e++)
        T_CHECKF(y[e] == 0.125f * b.scales[e / 16] * q[e], "e=%d", e);
}

/* ---- Q2_K / Q3_K ---- */

/* Quant e (0..255) of a Q2_K/Q3_K super-block, from the format: byte
 * qs[32*(e/128) + e%32], bits 2*((e%128)/32); Q3_K subtracts 4 unless bit
 * e/32 of hmask[e%32] is set.  The sub-block (16 values) is e/16; Q2_K's
 * scale is the low nibble of scales[e/16], its min the high nibble; Q3_K's
 * 6-bit scale takes 4 bits from scales[j] (j < 8, low nibble) or scales[j-8]
 * (high nibble) and 2 from scales[8 + j%4] at bit 2*(j/4), less 32. */
static void klow_value(pd_type t, const void *row, int64_t i, int e, int *q, int *sc, int *m)
{
    const uint8_t *qs;
    int j = e / 16;
    if (t == PD_TYPE_Q2_K) {
        const pd_block_q2_k *b = (const pd_block_q2_k *)row + i;
        qs = b->qs;
        *sc = b->scales[j] & 15;
        *m = b->scales[j] >> 4;
    } else {
        const pd_block_q3_k *b = (const pd_block_q3_k *)row + i;
        qs = b->qs;
        int lo = j < 8 ? b->scales[j] & 15 : b->scales[j - 8] >> 4;
        *sc = (lo | ((b->scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
        *m = 0;
    }
    *q = (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    if (t == PD_TYPE_Q3_K && !((((const pd_block_q3_k *)row + i)->hmask[e % 32] >> (e / 32)) & 1))
        *q -= 4;
}

/* Blocks written from the format description (quant.h), decoded by hand */
static void test_q2_q3_k_handbuilt(void)
{
    pd_block_q2_k a;
    pd_block_q3_k b;
    int q[256], sc3[16];
    g_rng = 31;
    for (int e = 0; e < 256; e++)
        q[e] = (int)(rnd() % 8) - 4;
    a.d = 0x3800;     /* 0.5 */
    a.dmin = 0x3400;  /* 0.25 */
    b.d = 0xb800;     /* -0.5 */
    for (int j = 0; j < 16; j++) {
        a.scales[j] = (uint8_t)(j | (15 - j) << 4);
        sc3[j] = 4 * j - 31;                 /* -31..29 */
    }
    memset(a.qs, 0, sizeof a.qs);
    memset(b.qs, 0, sizeof b.qs);
    memset(b.hmask, 0, sizeof b.hmask);
    memset(b.scales, 0, sizeof b.scales);
    for (int j = 0; j < 16; j++) {
        int u = sc3[j] + 32;
        b.scales[j % 8] |= (uint8_t)((u & 15) << (j < 8 ? 0 : 4));
        b.scales[8 + j % 4] |= (uint8_t)((u >> 4) << (2 * (j / 4)));
    }
    for (int e = 0; e < 256; e++) {
        int byte = 32 * (e / 128) + e % 32, sh = 2 * ((e % 128) / 32);
        a.qs[byte] |= (uint8_t)((q[e] & 3) << sh);         /* Q2_K: q & 3 */
        b.qs[byte] |= (uint8_t)((q[e] & 3) << sh);         /* Q3_K: q = low - 4*(!h) */
        if (q[e] >= 0)
            b.hmask[e % 32] |= (uint8_t)(1 << (e / 32));
    }
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_Q2_K, &a, y, 256);
    for (int e = 0; e < 256; e++) {
        int j = e / 16;
        T_CHECKF(y[e] == 0.5f * j * (q[e] & 3) - 0.25f * (15 - j), "Q2_K e=%d y=%g", e, y[e]);
    }
    pd_dequantize_row_ref(PD_TYPE_Q3_K, &b, y, 256);
    for (int e = 0; e < 256; e++)
        T_CHECKF(y[e] == -0.5f * sc3[e / 16] * q[e], "Q3_K e=%d y=%g", e, y[e]);
    /* the test's own decoder agrees with the hand-built values */
    for (int e = 0; e < 256; e++) {
        int qq, sc, m;
        klow_value(PD_TYPE_Q3_K, &b, 0, e, &qq, &sc, &m);
        T_CHECKF(qq == q[e] && sc == sc3[e / 16], "Q3_K decode e=%d", e);
        klow_value(PD_TYPE_Q2_K, &a, 0, e, &qq, &sc, &m);
        T_CHECKF(qq == (q[e] & 3) && sc == e / 16 && m == 15 - e / 16, "Q2_K decode e=%d", e);
    }
    /* literals: Q2_K element 160 = half 1, k 1, byte 32 bits 2-3 */
    a.qs[32] = 0x0c;
    pd_dequantize_row_ref(PD_TYPE_Q2_K, &a, y, 256);
    T_CHECK(y[160] == 0.5f * 10 * 3 - 0.25f * 5);
}

/* ---- IQ4_NL / IQ4_XS ---- */

/* ggml's kvalues_iq4nl, the non-linear table of the format */
static const int k_kv[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

/* Value e of block i, as the table entry and the scale, from the format:
 * in a 32-value (sub-)block b, value j < 16 is the low nibble of qs[j],
 * j >= 16 the high nibble of qs[j - 16]; IQ4_XS sub-block b = e/32 has the
 * 6-bit scale (low nibble of scales_l[b/2] for even b, high for odd) |
 * (bits 2b, 2b+1 of scales_h) << 4, less 32; IQ4_NL's scale is 1. */
static void iq4_value(pd_type t, const void *row, int64_t i, int e, int *kv, int *ls)
{
    const uint8_t *qs;
    if (t == PD_TYPE_IQ4_NL) {
        qs = ((const pd_block_iq4_nl *)row + i)->qs;
        *ls = 1;
    } else {
        const pd_block_iq4_xs *b = (const pd_block_iq4_xs *)row + i;
        int sb = e / 32;
        qs = b->qs + 16 * sb;
        int lo = sb % 2 ? b->scales_l[sb / 2] >> 4 : b->scales_l[sb / 2] & 15;
        *ls = (lo | ((b->scales_h >> (2 * sb)) & 3) << 4) - 32;
        e %= 32;
    }
    *kv = k_kv[e < 16 ? qs[e] & 15 : qs[e - 16] >> 4];
}

/* Blocks written from the format description (quant.h), decoded by hand */
static void test_iq4_handbuilt(void)
{
    pd_block_iq4_nl a[2];
    pd_block_iq4_xs b;
    int idx[256], ls[8] = { -32, -31, -1, 0, 1, 17, 30, 31 };
    g_rng = 37;
    for (int e = 0; e < 256; e++)
        idx[e] = e < 16 ? e : (int)(rnd() % 16);    /* every index, then random */
    a[0].d = 0x3800;      /* 0.5 */
    a[1].d = 0xc000;      /* -2 */
    b.d = 0x2c00;         /* 0.0625 */
    memset(a[0].qs, 0, 16);
    memset(a[1].qs, 0, 16);
    memset(&b.scales_h, 0, sizeof b.scales_h);
    memset(b.scales_l, 0, sizeof b.scales_l);
    memset(b.qs, 0, sizeof b.qs);
    for (int e = 0; e < 64; e++)
        a[e / 32].qs[e % 16] |= (uint8_t)(idx[e] << (e % 32 < 16 ? 0 : 4));
    for (int e = 0; e < 256; e++)
        b.qs[16 * (e / 32) + e % 16] |= (uint8_t)(idx[e] << (e % 32 < 16 ? 0 : 4));
    for (int j = 0; j < 8; j++) {
        int u = ls[j] + 32;
        b.scales_l[j / 2] |= (uint8_t)((u & 15) << (j % 2 ? 4 : 0));
        b.scales_h |= (uint16_t)((u >> 4) << (2 * j));
    }
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_IQ4_NL, a, y, 64);
    for (int e = 0; e < 64; e++)
        T_CHECKF(y[e] == (e < 32 ? 0.5f : -2.0f) * k_kv[idx[e]], "IQ4_NL e=%d y=%g", e, y[e]);
    pd_dequantize_row_ref(PD_TYPE_IQ4_XS, &b, y, 256);
    for (int e = 0; e < 256; e++)
        T_CHECKF(y[e] == 0.0625f * ls[e / 32] * k_kv[idx[e]], "IQ4_XS e=%d y=%g", e, y[e]);
    /* the test's own decoder agrees with the hand-built values */
    for (int e = 0; e < 256; e++) {
        int kv, s;
        iq4_value(PD_TYPE_IQ4_XS, &b, 0, e, &kv, &s);
        T_CHECKF(kv == k_kv[idx[e]] && s == ls[e / 32], "IQ4_XS decode e=%d", e);
        if (e < 64) {
            iq4_value(PD_TYPE_IQ4_NL, a, e / 32, e % 32, &kv, &s);
            T_CHECKF(kv == k_kv[idx[e]] && s == 1, "IQ4_NL decode e=%d", e);
        }
    }
    /* literals: IQ4_NL value 17 = high nibble of qs[1]; 0xf0 -> index 15 = 113.
     * IQ4_XS sub-block 5: scales_l[2] high nibble, scales_h bits 10-11. */
    a[0].qs[1] = 0xf0;
    b.scales_l[2] = 0x30;
    b.scales_h = 0x0800;          /* sub-block 5: 0x3 | 2 << 4 = 35 -> 3 */
    pd_dequantize_row_ref(PD_TYPE_IQ4_NL, a, y, 32);
    T_CHECK(y[17] == 0.5f * 113 && y[1] == 0.5f * -127);
    pd_dequantize_row_ref(PD_TYPE_IQ4_XS, &b, y, 256);
    T_CHECK(y[160] == 0.0625f * 3 * k_kv[idx[160]]);
    T_CHECK(y[0] == 0.0625f * -32 * k_kv[idx[0]]);
}

static void test_q4_0_q8_0_handbuilt(void)
{
    pd_block_q4_0 a;
    a.d = 0xc000;   /* -2 */
    for (int j = 0; j < 16; j++)
        a.qs[j] = (uint8_t)(j | ((15 - j) << 4));
    float y[32];
    pd_dequantize_row_ref(PD_TYPE_Q4_0, &a, y, 32);
    for (int j = 0; j < 16; j++) {
        T_CHECK(y[j] == -2.0f * (j - 8));
        T_CHECK(y[j + 16] == -2.0f * (7 - j));
    }
    pd_block_q8_0 b;
    b.d = 0x3555;   /* ~0.33325 */
    for (int j = 0; j < 32; j++)
        b.qs[j] = (int8_t)(j * 8 - 128);
    pd_dequantize_row_ref(PD_TYPE_Q8_0, &b, y, 32);
    for (int j = 0; j < 32; j++)
        T_CHECK(y[j] == pd_fp16_to_f32(0x3555) * (j * 8 - 128));
}

/* Q4_1, Q5_0, Q5_1 blocks written byte by byte from the format description
 * (ggml-common.h): qs[j] holds element j (low nibble) and j + 16 (high),
 * qh bit j (byte j/8, bit j%8) element j's 5th bit. */
static void test_legacy_handbuilt(void)
{
    float y[32];
    pd_block_q4_1 a;
    a.d = 0x3800;   /* 0.5 */
    a.m = 0xbc00;   /* -1 */
    for (int j = 0; j < 16; j++)
        a.qs[j] = (uint8_t)((15 - j) | (j << 4));
    pd_dequantize_row_ref(PD_TYPE_Q4_1, &a, y, 32);
    for (int j = 0; j < 16; j++) {
        T_CHECKF(y[j] == 0.5f * (15 - j) - 1.0f, "q4_1 [%d] %g", j, y[j]);
        T_CHECKF(y[j + 16] == 0.5f * j - 1.0f, "q4_1 [%d] %g", j + 16, y[j + 16]);
    }
    pd_block_q5_0 b;
    b.d = 0x4000;   /* 2 */
    for (int j = 0; j < 16; j++)
        b.qs[j] = (uint8_t)(j | ((15 - j) << 4));
    b.qh[0] = 0x01; b.qh[1] = 0x80; b.qh[2] = 0xff; b.qh[3] = 0x00;   /* elements 0, 15, 16..23 */
    pd_dequantize_row_ref(PD_TYPE_Q5_0, &b, y, 32);
    for (int j = 0; j < 32; j++) {
        int nib = j < 16 ? j : 31 - j;
        int hi = j == 0 || j == 15 || (j >= 16 && j < 24);
        T_CHECKF(y[j] == 2.0f * (nib + 16 * hi - 16), "q5_0 [%d] %g", j, y[j]);
    }
    T_CHECK(y[0] == 0.0f && y[1] == -30.0f && y[15] == 30.0f && y[16] == 30.0f && y[31] == -32.0f);
    pd_block_q5_1 c;
    c.d = 0x3400;   /* 0.25 */
    c.m = 0x4200;   /* 3 */
    for (int j = 0; j < 16; j++)
        c.qs[j] = (uint8_t)(0x5 | (0xa << 4));
    c.qh[0] = 0x00; c.qh[1] = 0x00; c.qh[2] = 0x00; c.qh[3] = 0x80;   /* element 31 */
    pd_dequantize_row_ref(PD_TYPE_Q5_1, &c, y, 32);
    for (int j = 0; j < 31; j++)
        T_CHECKF(y[j] == 0.25f * (j < 16 ? 5 : 10) + 3.0f, "q5_1 [%d] %g", j, y[j]);
    T_CHECK(y[31] == 0.25f * 26 + 3.0f);
    pd_block_q8_1 e;
    e.d = 0x3c00;
    e.s = 0x4400;   /* dequantizing ignores s */
    for (int j = 0; j < 32; j++)
        e.qs[j] = (int8_t)(3 * j - 50);
    pd_dequantize_row_ref(PD_TYPE_Q8_1, &e, y, 32);
    for (int j = 0; j < 32; j++)
        T_CHECK(y[j] == 3 * j - 50);
}

/* ---- activation quantizers: exact rules ---- */
static void test_q8_0_quantize_rule(void)
{
    float x[32] = { 0 };
    x[0] = 127.0f;            /* amax 127 -> d = 1, id = 1 exactly */
    x[1] = 2.5f; x[2] = 3.5f; x[3] = -2.5f; x[4] = -0.5f; x[5] = 0.5000001f;
    x[6] = -127.0f; x[7] = 126.49f;
    pd_block_q8_0 b;
    pd_quantize_row_ref(PD_TYPE_Q8_0, x, &b, 32);
    T_EQ_INT(b.d, 0x3c00);
    T_EQ_INT(b.qs[0], 127);
    T_EQ_INT(b.qs[1], 2);     /* half to even, as llama.cpp's x86 path */
    T_EQ_INT(b.qs[2], 4);
    T_EQ_INT(b.qs[3], -2);
    T_EQ_INT(b.qs[4], 0);
    T_EQ_INT(b.qs[5], 1);
    T_EQ_INT(b.qs[6], -127);
    T_EQ_INT(b.qs[7], 126);
    memset(x, 0, sizeof x);
    pd_quantize_row_ref(PD_TYPE_Q8_0, x, &b, 32);
    T_EQ_INT(b.d, 0);
    for (int j = 0; j < 32; j++)
        T_EQ_INT(b.qs[j], 0);
}

/* Q8_1 = Q8_0's quants and d, plus s = fp16(d * sum(q)), d the float
 * amax/127 before rounding (llama.cpp's x86 quantize_row_q8_1). */
static void test_q8_1_quantize_rule(void)
{
    float x[64];
    g_rng = 77;
    for (int j = 0; j < 64; j++)
        x[j] = grand() * 0.3f;   /* |x| < 1: below the amax set next */
    x[3] = 2.7f;     /* block 0's amax: 2.7/127 is not an fp16 */
    x[40] = -1.3f;   /* block 1's amax */
    pd_block_q8_1 b[2];
    pd_block_q8_0 c[2];
    pd_quantize_row_ref(PD_TYPE_Q8_1, x, b, 64);
    pd_quantize_row_ref(PD_TYPE_Q8_0, x, c, 64);
    for (int i = 0; i < 2; i++) {
        T_EQ_INT(b[i].d, c[i].d);
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            T_EQ_INT(b[i].qs[j], c[i].qs[j]);
            sum += b[i].qs[j];
        }
        float d = (i ? 1.3f : 2.7f) / 127.f;
        T_EQ_INT(b[i].s, pd_f32_to_fp16(d * (float)sum));
        T_CHECK(sum != 0);
    }
    /* s from the unrounded d: amax 2.7 and sum 1000 differ from the
     * fp16-rounded d's product (hand-computed halves) */
    memset(x, 0, sizeof x);
    x[0] = 2.7f;
    for (int j = 1; j < 10; j++)
        x[j] = 2.7f * 97 / 127;   /* q = 97: sum 127 + 9*97 = 1000 */
    pd_quantize_row_ref(PD_TYPE_Q8_1, x, b, 32);
    T_EQ_INT(b[0].qs[5], 97);
    T_EQ_INT(b[0].d, 0x2571);   /* fp16(0.0212598) */
    T_EQ_INT(b[0].s, 0x4d51);   /* fp16(21.2598) = 21.265625; d16 * 1000 would give 0x4d50 */
    memset(x, 0, sizeof x);
    pd_quantize_row_ref(PD_TYPE_Q8_1, x, b, 32);
    T_CHECK(b[0].d == 0 && b[0].s == 0 && b[0].qs[7] == 0);
}

static void test_q8_k_quantize_rule(void)
{
    float x[256];
    for (int j = 0; j < 256; j++)
        x[j] = (float)(j % 50) - 20.0f;   /* in [-20, 29] */
    x[77] = 63.5f;                        /* max, positive -> iscale = -2 */
    pd_block_q8_k b;
    pd_quantize_row_ref(PD_TYPE_Q8_K, x, &b, 256);
    T_CHECK(b.d == -0.5f);
    T_EQ_INT(b.qs[77], -127);
    for (int j = 0; j < 256; j++)
        if (j != 77)
            T_EQ_INT(b.qs[j], -2 * ((j % 50) - 20));
    for (int s = 0; s < 16; s++) {
        int sum = 0;
        for (int l = 0; l < 16; l++)
            sum += b.qs[16 * s + l];
        T_EQ_INT(b.bsums[s], sum);
    }
    /* negative max: iscale positive; ties go to even */
    for (int j = 0; j < 256; j++)
        x[j] = 0.0f;
    x[0] = -127.0f; x[1] = 2.5f; x[2] = 3.5f; x[3] = 127.0f * 0.999999f;
    pd_quantize_row_ref(PD_TYPE_Q8_K, x, &b, 256);
    T_CHECK(b.d == 1.0f);
    T_EQ_INT(b.qs[0], -127);
    T_EQ_INT(b.qs[1], 2);
    T_EQ_INT(b.qs[2], 4);
    T_EQ_INT(b.qs[3], 127);
    memset(x, 0, sizeof x);
    pd_quantize_row_ref(PD_TYPE_Q8_K, x, &b, 256);
    T_CHECK(b.d == 0.0f && b.qs[5] == 0 && b.bsums[3] == 0);
}

/* ---- quantize -> dequantize error ---- */
static void test_roundtrip_error(void)
{
    static const struct { pd_type t; double rel; } k[] = {
        { PD_TYPE_F16, 1e-3 }, { PD_TYPE_BF16, 5e-3 }, { PD_TYPE_Q8_0, 0.01 },
        { PD_TYPE_Q8_K, 0.01 }, { PD_TYPE_Q6_K, 0.04 }, { PD_TYPE_Q5_K, 0.06 },
        { PD_TYPE_Q4_K, 0.12 }, { PD_TYPE_Q4_0, 0.15 }, { PD_TYPE_Q4_1, 0.12 },
        { PD_TYPE_Q5_0, 0.075 }, { PD_TYPE_Q5_1, 0.06 }, { PD_TYPE_Q8_1, 0.01 },
    };
    enum { N = 4096 };
    static float x[N], y[N];
    static uint8_t q[N * 4];
    g_rng = 42;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        for (int j = 0; j < N; j++)
            x[j] = grand() * (j < 1024 ? 0.01f : 3.0f) + (j >= 3072 ? 0.5f : 0.0f);
        pd_quantize_row_ref(k[i].t, x, q, N);
        pd_dequantize_row_ref(k[i].t, q, y, N);
        double e2 = 0, s2 = 0;
        for (int j = 0; j < N; j++) {
            e2 += (double)(x[j] - y[j]) * (x[j] - y[j]);
            s2 += (double)x[j] * x[j];
            T_CHECK(isfinite(y[j]));
        }
        T_CHECKF(sqrt(e2 / s2) < k[i].rel, "%s: rel rms %g", pd_type_name(k[i].t), sqrt(e2 / s2));
        /* all-zero input gives exact zeros */
        memset(x, 0, sizeof x);
        pd_quantize_row_ref(k[i].t, x, q, 256);
        pd_dequantize_row_ref(k[i].t, q, y, 256);
        for (int j = 0; j < 256; j++)
            T_CHECKF(y[j] == 0.0f, "%s zero", pd_type_name(k[i].t));
    }
}

/* ---- dot products: reference vs double math on the dequantized rows ---- */
static void test_dot_ref_vs_double(void)
{
    enum { N = 1024 };
    static uint8_t w[N * 4], xq[N * 4];
    static float xf[N];
    g_rng = 5;
    for (int i = 0; i < N_WT; i++) {
        pd_type t = k_weight_types[i];
        for (int rep = 0; rep < 4; rep++) {
            rand_weights(t, N, w);
            rand_acts(t, N, xq, xf);
            double mag, want = dot_double(t, N, w, xq, &mag);
            float got = pd_vec_dot_ref(t, N, w, xq);
            T_CHECKF(fabs(got - want) <= 2e-6 * mag + 1e-30, "%s: %g vs %g (mag %g)",
                     pd_type_name(t), got, want, mag);
        }
    }
}

/* ---- SIMD levels vs the scalar reference ---- */
static int simd_levels(const pd_quant_kernels *out[PD_SIMD_LEVELS])
{
    int n = 0;
    for (int l = PD_SIMD_AVX2; l < PD_SIMD_LEVELS; l++)
        if (pd_quant_kernels_get(l))
            out[n++] = pd_quant_kernels_get(l);
    return n;
}

static void test_simd_dequantize(void)
{
    const pd_quant_kernels *lv[PD_SIMD_LEVELS];
    int nl = simd_levels(lv);
    if (!nl)
        T_SKIP("no SIMD level on this CPU");
    enum { N = 768 };
    static uint8_t w[N * 4];
    static float a[N], b[N];
    g_rng = 11;
    for (int l = 0; l < nl; l++)
        for (int i = 0; i < N_WT; i++) {
            pd_type t = k_weight_types[i];
            rand_weights(t, N, w);
            pd_dequantize_row_ref(t, w, a, N);
            lv[l]->dequantize[t](w, b, N);
            /* d*q - m may be fused (fma) or not: tolerance on the row scale */
            float amax = 0.0f;
            for (int j = 0; j < N; j++)
                amax = fmaxf(amax, fabsf(a[j]));
            for (int j = 0; j < N; j++)
                T_CHECKF(fabsf(a[j] - b[j]) <= 1e-6f * amax,
                         "%s %s [%d]: %g vs %g", lv[l]->name, pd_type_name(t), j, b[j], a[j]);
        }
}

static void test_simd_quantize_exact(void)
{
    const pd_quant_kernels *lv[PD_SIMD_LEVELS];
    int nl = simd_levels(lv);
    if (!nl)
        T_SKIP("no SIMD level on this CPU");
    static const pd_type ts[] = { PD_TYPE_Q8_0, PD_TYPE_Q8_K, PD_TYPE_F16, PD_TYPE_BF16, PD_TYPE_F32,
                                  PD_TYPE_Q8_1 };
    enum { N = 2048 };
    static float x[N];
    static uint8_t a[N * 4], b[N * 4];
    g_rng = 13;
    for (int l = 0; l < nl; l++)
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            for (int rep = 0; rep < 6; rep++) {
                for (int j = 0; j < N; j++) {
                    x[j] = grand() * (rep + 1);
                    if (rep == 1 && j % 7 == 0)   /* exact ties and zero blocks */
                        x[j] = (float)(int)(x[j] * 4) * 0.5f + 0.5f;
                    if (rep == 2 && j < 512)
                        x[j] = 0.0f;
                    if (rep == 3 && j % 256 == 9)
                        x[j] = 127.0f;
                    if (rep == 4)   /* amax 127 per block: scale 1, exact .5 ties */
                        x[j] = j % 32 == 0 ? 127.0f : rintf(fmaxf(-100.f, fminf(100.f, x[j] * 20))) * 0.5f;
                }
                size_t nb = row_bytes(ts[i], N);
                memset(a, 0x55, nb);
                memset(b, 0xaa, nb);
                pd_quantize_row_ref(ts[i], x, a, N);
                lv[l]->quantize[ts[i]](x, b, N);
                T_CHECKF(memcmp(a, b, nb) == 0, "%s %s rep %d", lv[l]->name,
                         pd_type_name(ts[i]), rep);
            }
}

static void test_simd_dot_and_tile(void)
{
    const pd_quant_kernels *lv[PD_SIMD_LEVELS];
    int nl = simd_levels(lv);
    if (!nl)
        T_SKIP("no SIMD level on this CPU");
    enum { N = 512, R = 7, C = 9 };
    static uint8_t w[R][N * 4], x[C][N * 4];
    static float xf[N], ref[C * R], got[C * R];
    static double mag[C * R];
    g_rng = 17;
    for (int i = 0; i < N_WT; i++) {
        pd_type t = k_weight_types[i];
        rand_case(t, N, R, w, sizeof w[0], C, x, sizeof x[0], xf);
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                dot_double(t, N, w[r], x[c], &mag[c * R + r]);
        pd_vec_dot_tile_ref(t, N, w, sizeof w[0], R, x, sizeof x[0], C, ref, R);
        for (int l = 0; l < nl; l++) {
            for (int c = 0; c < C; c++)
                for (int r = 0; r < R; r++) {
                    float v = lv[l]->dot[t](N, w[r], x[c]);
                    T_CHECKF(fabs(v - ref[c * R + r]) <= 1e-5 * mag[c * R + r],
                             "%s dot %s: %g vs %g", lv[l]->name, pd_type_name(t), v, ref[c * R + r]);
                }
            /* every tile shape up to R x C, including partial micro-tiles */
            for (int nr = 1; nr <= R; nr += 2)
                for (int nc = 1; nc <= C; nc++) {
                    for (int j = 0; j < C * R; j++)
                        got[j] = -12345.0f;
                    pd_quant_kernels_tile(lv[l], t, N, w, sizeof w[0], nr, x, sizeof x[0], nc, got, R);
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < R; r++) {
                            int j = c * R + r;
                            if (r < nr && c < nc)
                                T_CHECKF(fabs(got[j] - ref[j]) <= 1e-5 * mag[j],
                                         "%s tile %s %dx%d [%d,%d]: %g vs %g", lv[l]->name,
                                         pd_type_name(t), nr, nc, r, c, got[j], ref[j]);
                            else
                                T_CHECKF(got[j] == -12345.0f, "%s tile %s wrote outside",
                                         lv[l]->name, pd_type_name(t));
                        }
                }
        }
    }
}

/* Rows long enough to cross the kernels' K chunks, and float rows whose
 * length is not a multiple of the vector width. */
static void test_simd_long_rows(void)
{
    const pd_quant_kernels *lv[PD_SIMD_LEVELS];
    int nl = simd_levels(lv);
    if (!nl)
        T_SKIP("no SIMD level on this CPU");
    static const struct { pd_type t; int64_t n; } k[] = {
        { PD_TYPE_Q8_0, 67 * 32 }, { PD_TYPE_Q4_K, 65 * 256 }, { PD_TYPE_Q6_K, 65 * 256 },
        { PD_TYPE_F16, 2061 }, { PD_TYPE_F32, 1003 }, { PD_TYPE_BF16, 1101 }, { PD_TYPE_Q4_0, 67 * 32 },
        { PD_TYPE_Q5_K, 65 * 256 }, { PD_TYPE_Q4_1, 67 * 32 }, { PD_TYPE_Q5_0, 67 * 32 },
        { PD_TYPE_Q5_1, 67 * 32 }, { PD_TYPE_Q2_K, 65 * 256 }, { PD_TYPE_Q3_K, 65 * 256 },
        { PD_TYPE_IQ4_NL, 67 * 32 }, { PD_TYPE_IQ4_XS, 65 * 256 }, { PD_TYPE_IQ2_XXS, 65 * 256 },
        { PD_TYPE_IQ3_XXS, 65 * 256 }, { PD_TYPE_IQ3_S, 65 * 256 }, { PD_TYPE_IQ2_XS, 65 * 256 },
        { PD_TYPE_IQ2_S, 65 * 256 },
    };
    enum { R = 5, C = 9, NMAX = 65 * 256 };
    static uint8_t w[R][NMAX * 4], x[C][NMAX * 4];
    static float xf[NMAX], ref[C * R], got[C * R];
    static double mag[C * R];
    g_rng = 23;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        pd_type t = k[i].t;
        int64_t n = k[i].n;
        rand_case(t, n, R, w, sizeof w[0], C, x, sizeof x[0], xf);
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                ref[c * R + r] = (float)dot_double(t, n, w[r], x[c], &mag[c * R + r]);
        for (int l = 0; l < nl; l++) {
            pd_quant_kernels_tile(lv[l], t, n, w, sizeof w[0], R, x, sizeof x[0], C, got, R);
            for (int j = 0; j < C * R; j++)
                T_CHECKF(fabs(got[j] - ref[j]) <= 1e-5 * mag[j], "%s tile %s n=%lld [%d]: %g vs %g",
                         lv[l]->name, pd_type_name(t), (long long)n, j, got[j], ref[j]);
            float v = lv[l]->dot[t](n, w[1], x[2]);
            T_CHECKF(fabs(v - ref[2 * R + 1]) <= 1e-5 * mag[2 * R + 1], "%s dot %s n=%lld",
                     lv[l]->name, pd_type_name(t), (long long)n);
            static float a[NMAX], b[NMAX];
            pd_dequantize_row_ref(t, w[0], a, n);
            lv[l]->dequantize[t](w[0], b, n);
            float amax = 0.0f;
            for (int64_t j = 0; j < n; j++)
                amax = fmaxf(amax, fabsf(a[j]));
            for (int64_t j = 0; j < n; j++)
                T_CHECKF(fabsf(a[j] - b[j]) <= 1e-6f * amax, "%s deq %s [%lld]",
                         lv[l]->name, pd_type_name(t), (long long)j);
        }
    }
}

/* ---- Q4_K x Q8_K in llama.cpp's repacked orders (pd_q4k_tile_ordered) ---- */

/* fp16 scale of any size from subnormal (2^-24) to 2^3, zero now and then */
static uint16_t rand_scale16_wide(void)
{
    if (rnd() % 16 == 0)
        return 0;
    return pd_f32_to_fp16(ldexpf(1.0f + (frand() + 1.0f) * 0.5f, -24 + (int)(rnd() % 28)));
}

/* Random Q4_K blocks (all 6-bit scales and mins possible) with known
 * integers: sc[b][8], m[b][8], q[b][256] for the order check below. */
static void rand_q4k_known(pd_block_q4_k *b, int nb, int (*sc)[8], int (*m)[8], int (*q)[256])
{
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j < 8; j++) {
            sc[i][j] = (int)(rnd() % 64);
            m[i][j] = (int)(rnd() % 64);
        }
        if (i % 5 == 1)                        /* extremes */
            for (int j = 0; j < 8; j++)
                sc[i][j] = m[i][j] = 63;
        pack_k4(sc[i], m[i], b[i].scales);
        for (int e = 0; e < 256; e++)
            q[i][e] = (int)(rnd() % 16);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                b[i].qs[32 * c + l] = (uint8_t)(q[i][64 * c + l] | (q[i][64 * c + 32 + l] << 4));
        b[i].d = rand_scale16_wide();
        b[i].dmin = rand_scale16_wide();
    }
}

static void rand_q8k_cols(void *x, size_t xs, int nc, int64_t n)
{
    float *f = malloc((size_t)n * sizeof *f);
    for (int c = 0; c < nc; c++) {
        float mag = ldexpf(1.0f, (int)(rnd() % 40) - 20);
        for (int64_t i = 0; i < n; i++)
            f[i] = grand() * mag * (i % 256 < 16 && c % 3 == 2 ? 1000.0f : 1.0f);
        pd_quantize_row_ref(PD_TYPE_Q8_K, f, (char *)x + (size_t)c * xs, n);
    }
    free(f);
}

/* The order written out from tools/precision/NOTES.md with integers taken
 * from the test's own block description: exact expected floats. */
static float q4k_expected(int nb, const pd_block_q4_k *a, int (*sc)[8], int (*m)[8], int (*q)[256],
                          const pd_block_q8_k *y, bool gemm)
{
    float acc = 0, accm = 0;
    for (int i = 0; i < nb; i++) {
        int32_t is[4], ms[4];
        for (int p = 0; p < 4; p++) {
            is[p] = ms[p] = 0;
            for (int h = 0; h < 2; h++) {
                int j = 2 * p + h, dot = 0, ysum = 0;
                for (int l = 0; l < 32; l++) {
                    dot += q[i][32 * j + l] * y[i].qs[32 * j + l];
                    ysum += y[i].qs[32 * j + l];
                }
                is[p] += sc[i][j] * dot;
                ms[p] += m[i][j] * ysum;
            }
        }
        float dd = pd_fp16_to_f32(a[i].d) * y[i].d;
        float dm = pd_fp16_to_f32(a[i].dmin) * y[i].d;
        if (gemm)
            for (int p = 0; p < 4; p++) {
                acc = fmaf((float)is[p], dd, acc);
                accm = fmaf((float)ms[p], dm, accm);
            }
        else {
            acc = fmaf((float)(is[0] + is[1] + is[2] + is[3]), dd, acc);
            accm = fmaf((float)(ms[0] + ms[1] + ms[2] + ms[3]), dm, accm);
        }
    }
    return acc - accm;
}

static void test_q4k_ordered_ref(void)
{
    enum { NB = 6, R = 3, C = 2 };
    static pd_block_q4_k w[R][NB];
    static pd_block_q8_k x[C][NB];
    static int sc[R][NB][8], m[R][NB][8], q[R][NB][256];
    static float got[C * R];
    const pd_quant_kernels *k = pd_quant_kernels_get(PD_SIMD_SCALAR);
    g_rng = 31;
    int differ = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (int r = 0; r < R; r++)
            rand_q4k_known(w[r], NB, sc[r], m[r], q[r]);
        rand_q8k_cols(x, sizeof x[0], C, NB * 256);
        for (int o = 0; o < 2; o++) {
            (o ? k->q4k_gemm : k->q4k_gemv)(NB * 256, w, sizeof w[0], R, x, sizeof x[0], C, got, R);
            for (int c = 0; c < C; c++)
                for (int r = 0; r < R; r++) {
                    float want = q4k_expected(NB, w[r], sc[r], m[r], q[r], x[c], o);
                    T_CHECKF(u32_of(got[c * R + r]) == u32_of(want), "%s rep %d [%d,%d]: %a vs %a",
                             o ? "gemm" : "gemv", rep, r, c, got[c * R + r], want);
                    double mag, dd = dot_double(PD_TYPE_Q4_K, NB * 256, w[r], x[c], &mag);
                    T_CHECKF(fabs(got[c * R + r] - dd) <= 2e-6 * mag + 1e-30, "vs double: %g vs %g",
                             got[c * R + r], dd);
                    differ += o && u32_of(want) != u32_of(q4k_expected(NB, w[r], sc[r], m[r], q[r], x[c], 0));
                }
        }
    }
    T_CHECKF(differ > 0, "the gemm and gemv orders never differed: the test is blind");
}

/* Every SIMD level bit for bit as the scalar reference, every shape. */
static void q4k_ordered_levels(int64_t n, int maxr, const int *ncs, int n_ncs)
{
    const pd_quant_kernels *lv[PD_SIMD_LEVELS];
    int nl = simd_levels(lv);
    if (!nl)
        T_SKIP("no SIMD level on this CPU");
    const int64_t nb = n / 256;
    const int maxc = ncs[n_ncs - 1];
    const size_t ws = (size_t)nb * sizeof(pd_block_q4_k) + 16, xs = (size_t)nb * sizeof(pd_block_q8_k) + 8;
    uint8_t *w = malloc(ws * (size_t)maxr), *x = malloc(xs * (size_t)maxc);
    int (*sc)[8] = malloc(sizeof *sc * (size_t)nb), (*m)[8] = malloc(sizeof *m * (size_t)nb);
    int (*q)[256] = malloc(sizeof *q * (size_t)nb);
    float *ref = malloc(sizeof *ref * (size_t)(maxr + 3) * (size_t)maxc);
    float *got = malloc(sizeof *got * (size_t)(maxr + 3) * (size_t)maxc);
    for (int r = 0; r < maxr; r++)   /* (unaligned rows: the stride is not a block multiple) */
        rand_q4k_known((pd_block_q4_k *)(w + (size_t)r * ws), (int)nb, sc, m, q);
    rand_q8k_cols(x, xs, maxc, n);
    const size_t os = (size_t)maxr + 3;
    for (int o = 0; o < 2; o++)
        for (int nr = 1; nr <= maxr; nr++)
            for (int ic = 0; ic < n_ncs; ic++) {
                int nc = ncs[ic];
                const pd_quant_kernels *k0 = pd_quant_kernels_get(PD_SIMD_SCALAR);
                (o ? k0->q4k_gemm : k0->q4k_gemv)(n, w, ws, nr, x, xs, nc, ref, os);
                for (int l = 0; l < nl; l++) {
                    for (size_t j = 0; j < os * (size_t)nc; j++)
                        got[j] = -12345.0f;
                    (o ? lv[l]->q4k_gemm : lv[l]->q4k_gemv)(n, w, ws, nr, x, xs, nc, got, os);
                    for (int c = 0; c < nc; c++)
                        for (size_t r = 0; r < os; r++) {
                            size_t j = (size_t)c * os + r;
                            if (r < (size_t)nr)
                                T_CHECKF(u32_of(got[j]) == u32_of(ref[j]), "%s %s n=%lld %dx%d [%zu,%d]: %a vs %a",
                                         lv[l]->name, o ? "gemm" : "gemv", (long long)n, nr, nc, r, c,
                                         got[j], ref[j]);
                            else
                                T_CHECKF(got[j] == -12345.0f, "%s wrote outside", lv[l]->name);
                        }
                }
            }
    free(w); free(x); free(sc); free(m); free(q); free(ref); free(got);
}

static void test_q4k_ordered_simd_shapes(void)
{
    static const int ncs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 64 };
    g_rng = 37;
    q4k_ordered_levels(3 * 256, 9, ncs, 14);
}

static void test_q4k_ordered_simd_long(void)
{
    static const int ncs[] = { 1, 3, 4, 8, 11 };
    g_rng = 41;
    q4k_ordered_levels(131 * 256, 5, ncs, 5);   /* crosses the kernels' K chunks */
}

/* Rows repacked in groups of 8: the round trip gives the rows back byte for
 * byte, and every level's kernels on the repacked rows (the scalar one
 * included) give the plain scalar kernels' results bit for bit. */
static void q4k8_levels(int64_t n, int ngroups, const int *ncs, int n_ncs)
{
    const int64_t nb = n / 256;
    const int nr = 8 * ngroups, maxc = ncs[n_ncs - 1];
    const size_t rb = (size_t)nb * sizeof(pd_block_q4_k), xs = (size_t)nb * sizeof(pd_block_q8_k) + 8;
    uint8_t *w = malloc(rb * (size_t)nr), *w8 = malloc(rb * (size_t)nr), *back = malloc(rb);
    uint8_t *x = malloc(xs * (size_t)maxc);
    int (*sc)[8] = malloc(sizeof *sc * (size_t)nb), (*m)[8] = malloc(sizeof *m * (size_t)nb);
    int (*q)[256] = malloc(sizeof *q * (size_t)nb);
    const size_t os = (size_t)nr + 5;
    float *ref = malloc(sizeof *ref * os * (size_t)maxc), *got = malloc(sizeof *got * os * (size_t)maxc);
    for (int r = 0; r < nr; r++)
        rand_q4k_known((pd_block_q4_k *)(w + (size_t)r * rb), (int)nb, sc, m, q);
    rand_q8k_cols(x, xs, maxc, n);
    for (int gi = 0; gi < ngroups; gi++)
        pd_q4k_repack8(n, w + (size_t)gi * 8 * rb, rb, w8 + (size_t)gi * 8 * rb);
    int same = 1;
    for (int r = 0; r < nr; r++) {
        pd_q4k_unpack8(n, w8 + (size_t)(r / 8) * 8 * rb, r % 8, back);
        same &= memcmp(back, w + (size_t)r * rb, rb) == 0;
    }
    T_CHECKF(same, "n=%lld: repack then unpack changed a row", (long long)n);
    T_CHECKF(memcmp(w, w8, rb * (size_t)nr) != 0, "repacking left the rows as they were");
    const pd_quant_kernels *k0 = pd_quant_kernels_get(PD_SIMD_SCALAR);
    for (int o = 0; o < 2; o++)
        for (int ic = 0; ic < n_ncs; ic++) {
            const int nc = ncs[ic];
            (o ? k0->q4k_gemm : k0->q4k_gemv)(n, w, rb, nr, x, xs, nc, ref, os);
            for (int l = 0; l < PD_SIMD_LEVELS; l++) {
                const pd_quant_kernels *k = pd_quant_kernels_get(l);
                if (!k)
                    continue;
                for (size_t j = 0; j < os * (size_t)nc; j++)
                    got[j] = -12345.0f;
                (o ? k->q4k8_gemm : k->q4k8_gemv)(n, w8, 0, nr, x, xs, nc, got, os);
                int bad = 0, outside = 0;
                for (int c = 0; c < nc; c++)
                    for (size_t r = 0; r < os; r++) {
                        const size_t j = (size_t)c * os + r;
                        if (r < (size_t)nr)
                            bad += u32_of(got[j]) != u32_of(ref[j]);
                        else
                            outside += got[j] != -12345.0f;
                    }
                T_CHECKF(!bad && !outside, "%s %s n=%lld %dx%d: %d values differ, %d written outside",
                         k->name, o ? "gemm" : "gemv", (long long)n, nr, nc, bad, outside);
            }
        }
    free(w); free(w8); free(back); free(x); free(sc); free(m); free(q); free(ref); free(got);
}

static void test_q4k8_repacked(void)
{
    static const int ncs[] = { 1, 2, 3, 4, 5, 7, 8, 9, 64 };
    g_rng = 53;
    q4k8_levels(256, 1, ncs, 9);
    q4k8_levels(4 * 256, 3, ncs, 9);
    q4k8_levels(11 * 256, 2, ncs, 9);
}

/* F32 dots with n % 16 == 0: tinyBLAS's order at every level, bit for bit;
 * the reference is checked against that order written out here. */
static void test_f32_tinyblas_order(void)
{
    enum { NMAX = 4096 };
    static float a[NMAX], b[NMAX];
    static const int ns[] = { 16, 32, 48, 1024, 4096 };
    g_rng = 43;
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++)
        for (int rep = 0; rep < 8; rep++) {
            int n = ns[t];
            for (int i = 0; i < n; i++) {
                a[i] = grand() * ldexpf(1.0f, (int)(rnd() % 20) - 10);
                b[i] = grand();
            }
            float lane[16] = { 0 };
            for (int i = 0; i < n; i++)
                lane[i % 16] = fmaf(a[i], b[i], lane[i % 16]);
            for (int l = 0; l < 8; l++)
                lane[l] += lane[l + 8];
            for (int l = 0; l < 4; l++)
                lane[l] += lane[l + 4];
            float want = (lane[0] + lane[2]) + (lane[1] + lane[3]);
            for (int l = 0; l < PD_SIMD_LEVELS; l++) {
                const pd_quant_kernels *k = pd_quant_kernels_get(l);
                if (!k)
                    continue;
                float got = k->dot[PD_TYPE_F32](n, a, b);
                T_CHECKF(u32_of(got) == u32_of(want), "%s n=%d: %a vs %a", k->name, n, got, want);
            }
        }
}

/* Q6_K tiles round as the row kernel of the same level (llama.cpp runs
 * vec_dot_q6_K_q8_K everywhere on x86). */
static void test_q6_k_tile_is_dot(void)
{
    enum { NB = 67, R = 5, C = 11 };
    static uint8_t w[R][NB * sizeof(pd_block_q6_k)], x[C][NB * sizeof(pd_block_q8_k)];
    static float xf[NB * 256], got[C * R];
    g_rng = 47;
    rand_case(PD_TYPE_Q6_K, NB * 256, R, w, sizeof w[0], C, x, sizeof x[0], xf);
    for (int l = 0; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *k = pd_quant_kernels_get(l);
        if (!k)
            continue;
        for (int nc = 1; nc <= C; nc++) {
            pd_quant_kernels_tile(k, PD_TYPE_Q6_K, NB * 256, w, sizeof w[0], R, x, sizeof x[0], nc, got, R);
            for (int c = 0; c < nc; c++)
                for (int r = 0; r < R; r++) {
                    float want = k->dot[PD_TYPE_Q6_K](NB * 256, w[r], x[c]);
                    T_CHECKF(u32_of(got[c * R + r]) == u32_of(want), "%s nc=%d [%d,%d]: %a vs %a",
                             k->name, nc, r, c, got[c * R + r], want);
                }
        }
    }
}

/* ---- Q4_1 / Q5_0 / Q5_1: ggml's AVX2 order (quant.h), bit for bit ---- */

/* ggml_vec_dot_q5_0_q8_0 / _q4_1_q8_1 / _q5_1_q8_1 (ggml-cpu/arch/x86,
 * AVX2) written out with the test's own block decoding: per block 8 lanes
 * of exact 4-product integer sums, lane = fma(dx*dy, sum, lane); the
 * lanes summed as hsum_float_8 ((l + l+4) then (0+2) + (1+3)); the mins'
 * part fma(m, s, summs) block by block, added last. */
static float legacy_expected(pd_type t, int64_t n, const void *w, const void *x)
{
    float lane[8] = { 0 }, summs = 0.0f;
    for (int64_t i = 0; i < n / 32; i++) {
        int q[32];
        float d, m, dy;
        const int8_t *y;
        legacy_block(t, w, i, q, &d, &m);
        if (is_legacy_min(t)) {
            const pd_block_q8_1 *b = (const pd_block_q8_1 *)x + i;
            dy = pd_fp16_to_f32(b->d);
            y = b->qs;
            summs = fmaf(m, pd_fp16_to_f32(b->s), summs);
        } else {
            const pd_block_q8_0 *b = (const pd_block_q8_0 *)x + i;
            dy = pd_fp16_to_f32(b->d);
            y = b->qs;
        }
        const float dd = d * dy;
        for (int l = 0; l < 8; l++) {
            int sum = 0;
            for (int j = 4 * l; j < 4 * l + 4; j++)
                sum += q[j] * y[j];
            lane[l] = fmaf(dd, (float)sum, lane[l]);
        }
    }
    float t4[4];
    for (int l = 0; l < 4; l++)
        t4[l] = lane[l] + lane[l + 4];
    float r = (t4[0] + t4[2]) + (t4[1] + t4[3]);
    return is_legacy_min(t) ? r + summs : r;
}

/* A row of n random weights of type t against activations of every size:
 * the order `expected` writes out stays within float rounding of the exact
 * dot, and every level's row dot (with tile, also its 1x1 tile) gives that
 * order bit for bit. */
typedef float (*order_fn)(pd_type t, int64_t n, const void *w, const void *x);

/* The prefill tiles of type t, rows of n values, give the order `expected`
 * writes out bit for bit, at the levels from level0 on, for nc0..nc1
 * columns (partial column groups included); nothing past nc written. */
static void check_tile_order(pd_type t, int64_t n, order_fn expected, int level0, int nc0, int nc1)
{
    enum { R = 3, C = 11, NMAX = 67 * 256 };
    static uint8_t w[R][NMAX], x[C][NMAX * 2];
    static float xf[NMAX], want[C * R], got[C * R];
    rand_case(t, n, R, w, sizeof w[0], C, x, sizeof x[0], xf);
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++)
            want[c * R + r] = expected(t, n, w[r], x[c]);
    for (int l = level0; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *kt = pd_quant_kernels_get(l);
        if (!kt)
            continue;
        for (int nc = nc0; nc <= nc1 && nc <= C; nc++) {
            for (int j = 0; j < C * R; j++)
                got[j] = -12345.0f;
            pd_quant_kernels_tile(kt, t, n, w, sizeof w[0], R, x, sizeof x[0], nc, got, R);
            for (int j = 0; j < C * R; j++)
                T_CHECKF(j < nc * R ? u32_of(got[j]) == u32_of(want[j]) : got[j] == -12345.0f,
                         "%s %s n=%d nc=%d [%d]: %a vs %a", kt->name, pd_type_name(t), (int)n, nc, j,
                         got[j], want[j]);
        }
    }
}

/* ... for the nt types ts, rows of 29 super-blocks, 1..11 columns, every level */
static void check_tile_orders(int nt, const pd_type *ts, order_fn expected)
{
    for (int it = 0; it < nt; it++)
        check_tile_order(ts[it], 29 * 256, expected, 0, 1, 11);
}

static void check_dot_order(pd_type t, int64_t n, order_fn expected, bool tile, int rep,
                            uint8_t *w, uint8_t *x, float *xf)
{
    rand_weights(t, n, w);
    for (int64_t j = 0; j < n; j++)
        xf[j] = grand() * ldexpf(1.0f, (int)(rnd() % 16) - 8);
    pd_quantize_row_ref(pd_type_vec_dot(t), xf, x, n);
    const float want = expected(t, n, w, x);
    double mag, dd = dot_double(t, n, w, x, &mag);
    T_CHECKF(fabs(want - dd) <= 2e-6 * mag + 1e-30, "%s n=%lld: order %g vs double %g",
             pd_type_name(t), (long long)n, want, dd);
    for (int l = 0; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *k = pd_quant_kernels_get(l);
        if (!k)
            continue;
        float got = k->dot[t](n, w, x);
        T_CHECKF(u32_of(got) == u32_of(want), "%s %s n=%lld rep %d: %a vs %a", k->name,
                 pd_type_name(t), (long long)n, rep, got, want);
        if (!tile)
            continue;
        pd_quant_kernels_tile(k, t, n, w, 0, 1, x, 0, 1, &got, 1);
        T_CHECKF(u32_of(got) == u32_of(want), "%s %s tile n=%lld", k->name, pd_type_name(t),
                 (long long)n);
    }
}

/* Every level (scalar included) gives the order above bit for bit, for
 * rows of 1..67 blocks (k = 128 is DeepSeek's attn_k_b), and stays
 * within float rounding of the exact dot. */
static void test_legacy_dot_order(void)
{
    static const pd_type ts[] = { PD_TYPE_Q5_0, PD_TYPE_Q4_1, PD_TYPE_Q5_1 };
    static const int nbs[] = { 1, 2, 3, 4, 7, 16, 67 };
    enum { NMAX = 67 * 32 };
    static uint8_t w[NMAX * 2], x[NMAX * 2];
    static float xf[NMAX];
    g_rng = 59;
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++)
        for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++)
            for (int rep = 0; rep < 8; rep++)
                check_dot_order(ts[it], (int64_t)nbs[ib] * 32, legacy_expected, false, rep, w, x, xf);
}

/* A fixture of tools/quant_fixture.py ("PDQF", version, sections), opened
 * past its header; fails the test (longjmp) when it is missing or not the
 * expected version and section count. */
static FILE *open_pdqf(const char *name, uint32_t version, uint32_t sections, uint32_t hdr[2])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/quant/%s", t_srcdir(), name);
    FILE *f = fopen(path, "rb");
    T_CHECKF(f != NULL, "cannot open %s", path);
    char magic[4];
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "PDQF", 4) == 0
           && fread(hdr, 4, 2, f) == 2 && hdr[0] == version && hdr[1] == sections;
    if (!ok)
        fclose(f);
    T_CHECKF(ok, "%s: not a PDQF file of version %u with %u sections", name, version, sections);
    return f;
}

/* gguf-py's numpy quantize/dequantize (tools/quant_fixture.py wrote the
 * fixture): an independent implementation of the layouts.  The scalar
 * reference gives its bytes and floats bit for bit; the SIMD levels' dequantize
 * within the rounding of d*q + m. */
static void test_legacy_gguf_py(void)
{
    uint32_t hdr[2];
    FILE *f = open_pdqf("gguf-py-legacy.bin", 1, 3, hdr);
    int seen = 0;
    for (uint32_t sec = 0; sec < hdr[1]; sec++) {
        uint32_t th[2];
        if (fread(th, 4, 2, f) != 2 || th[1] == 0 || th[1] > 64 || !pd_type_supported(th[0])) {
            T_CHECKF(0, "section %u: bad header", sec);
            break;
        }
        const pd_type t = (pd_type)th[0];
        const int64_t n = (int64_t)th[1] * 32;
        const size_t nb = row_bytes(t, n);
        float *src = malloc((size_t)n * 4), *want = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
        uint8_t *blocks = malloc(nb), *mine = malloc(nb);
        T_CHECK(fread(src, 4, (size_t)n, f) == (size_t)n && fread(blocks, 1, nb, f) == nb
                && fread(want, 4, (size_t)n, f) == (size_t)n);
        seen |= 1 << (t == PD_TYPE_Q4_1 ? 0 : t == PD_TYPE_Q5_0 ? 1 : t == PD_TYPE_Q5_1 ? 2 : 3);
        pd_quantize_row_ref(t, src, mine, n);
        T_CHECKF(memcmp(mine, blocks, nb) == 0, "%s: quantized bytes differ from gguf-py's", pd_type_name(t));
        pd_dequantize_row_ref(t, blocks, got, n);
        int bad = 0;
        for (int64_t j = 0; j < n; j++)
            bad += u32_of(got[j]) != u32_of(want[j]);
        T_CHECKF(bad == 0, "%s: %d of %lld dequantized values differ from gguf-py's", pd_type_name(t),
                 bad, (long long)n);
        for (int l = PD_SIMD_AVX2; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *k = pd_quant_kernels_get(l);
            if (!k)
                continue;
            k->dequantize[t](blocks, got, n);
            for (int64_t j = 0; j < n; j++)
                T_CHECKF(fabsf(got[j] - want[j]) <= 1e-6f * fabsf(want[j]) + 1e-30f, "%s %s [%lld]: %a vs %a",
                         k->name, pd_type_name(t), (long long)j, got[j], want[j]);
        }
        free(src); free(want); free(got); free(blocks); free(mine);
    }
    T_EQ_INT(seen, 7);
    fclose(f);
}

/* ---- Q2_K / Q3_K: ggml's AVX2 order (quant.h), bit for bit ---- */

/* ggml_vec_dot_q2_K_q8_K / _q3_K_q8_K (ggml-cpu/arch/x86, AVX2) written
 * out with the test's own decoding: 8 lanes; per super-block the integer
 * lane sums (lane l: values with e % 32 in 4l..4l+3, sc * q * y), Q2_K's
 * mins first (lane l: m * bsum of sub-blocks 2l, 2l+1) as
 * fma(-dy*dmin, mins, lane), then fma(dy*d, sum, lane); hsum_float_8. */
static float klow_expected(pd_type t, int64_t n, const void *w, const void *x)
{
    const pd_block_q8_k *y = x;
    float lane[8] = { 0 };
    for (int64_t i = 0; i < n / 256; i++) {
        int32_t s[8] = { 0 }, mins[8] = { 0 };
        for (int e = 0; e < 256; e++) {
            int q, sc, m;
            klow_value(t, w, i, e, &q, &sc, &m);
            s[(e % 32) / 4] += sc * q * y[i].qs[e];
            if (e % 16 == 0)
                mins[e / 32] += m * y[i].bsums[e / 16];
        }
        uint16_t hd = t == PD_TYPE_Q2_K ? ((const pd_block_q2_k *)w)[i].d : ((const pd_block_q3_k *)w)[i].d;
        const float d = y[i].d * pd_fp16_to_f32(hd);
        if (t == PD_TYPE_Q2_K) {
            const float dmin = -y[i].d * pd_fp16_to_f32(((const pd_block_q2_k *)w)[i].dmin);
            for (int l = 0; l < 8; l++)
                lane[l] = fmaf(dmin, (float)mins[l], lane[l]);
        }
        for (int l = 0; l < 8; l++)
            lane[l] = fmaf(d, (float)s[l], lane[l]);
    }
    float t4[4];
    for (int l = 0; l < 4; l++)
        t4[l] = lane[l] + lane[l + 4];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

/* Every level (scalar included) gives that order bit for bit, on rows of
 * 1..67 super-blocks and activations of every size, and it stays within
 * float rounding of the exact dot. */
static void test_klow_dot_order(void)
{
    static const pd_type ts[] = { PD_TYPE_Q2_K, PD_TYPE_Q3_K };
    static const int nbs[] = { 1, 2, 3, 7, 16, 67 };
    enum { NMAX = 67 * 256 };
    static uint8_t w[NMAX], x[NMAX * 2];
    static float xf[NMAX];
    g_rng = 61;
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++)
        for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++)
            for (int rep = 0; rep < 6; rep++)
                check_dot_order(ts[it], (int64_t)nbs[ib] * 256, klow_expected, true, rep, w, x, xf);
}

/* The prefill tiles give the same order bit for bit, every column count
 * (partial column groups included), on rows crossing many super-blocks. */
static void test_klow_tile_order(void)
{
    static const pd_type ts[] = { PD_TYPE_Q2_K, PD_TYPE_Q3_K };
    g_rng = 67;
    check_tile_orders(2, ts, klow_expected);
}

/* gguf-py's numpy dequantize of random Q2_K/Q3_K blocks (tools/quant_fixture.py
 * wrote the fixture): every level gives its floats bit for bit. */
/* Q5_K's row-wise tile (quant_x86_tiles.inc tile_kmin; every x86 level
 * below the AVX-512 panel's 9 columns): per column, the super-block's
 * integer sums of scales and of mins each take one fma chain, chunks of 64
 * blocks summed as they end.  Written out here from the block layout. */
static float q5k_tile_order(pd_type t, int64_t n, const void *w, const void *x)
{
    (void)t;
    const int64_t nb = n / 256;
    const pd_block_q5_k *a = w;
    const pd_block_q8_k *b = x;
    float out = 0.0f;
    for (int64_t k0 = 0; k0 < nb; k0 += 64) {
        float acc = 0.0f, accm = 0.0f;
        for (int64_t i = k0; i < nb && i < k0 + 64; i++) {
            int32_t isum = 0, msum = 0;
            for (int j = 0; j < 8; j++) {
                const uint8_t *q = a[i].scales;
                const int sc = j < 4 ? q[j] & 63 : (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
                const int m = j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
                int32_t si = 0;
                for (int l = 0; l < 32; l++) {
                    const uint8_t byte = a[i].qs[32 * (j / 2) + l];
                    const int v = (j & 1 ? byte >> 4 : byte & 0xf) | (((a[i].qh[l] >> j) & 1) << 4);
                    si += v * b[i].qs[32 * j + l];
                }
                isum += sc * si;
                msum += m * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
            }
            acc = fmaf(pd_fp16_to_f32(a[i].d) * b[i].d, (float)isum, acc);
            accm = fmaf(pd_fp16_to_f32(a[i].dmin) * b[i].d, (float)msum, accm);
        }
        out = k0 > 0 ? out + (acc - accm) : acc - accm;
    }
    return out;
}

/* ... bit for bit at AVX2 and AVX-512 alike (5..8 columns: the ones the
 * tile takes whole), on rows of one block, a few, and more than a chunk. */
static void test_q5_k_tile_order(void)
{
    g_rng = 53;
    check_tile_order(PD_TYPE_Q5_K, 256, q5k_tile_order, PD_SIMD_AVX2, 5, 8);
    check_tile_order(PD_TYPE_Q5_K, 3 * 256, q5k_tile_order, PD_SIMD_AVX2, 5, 8);
    check_tile_order(PD_TYPE_Q5_K, 67 * 256, q5k_tile_order, PD_SIMD_AVX2, 5, 8);
}

/* A version-2 fixture of tools/quant_fixture.py: random blocks of the nt
 * types ts (a section each) dequantized by gguf-py; every level gives its
 * floats bit for bit. */
static void check_random_fixture(const char *name, int nt, const pd_type *ts)
{
    uint32_t hdr[2];
    FILE *f = open_pdqf(name, 2, (uint32_t)nt, hdr);
    int seen = 0;
    for (uint32_t sec = 0; sec < hdr[1]; sec++) {
        uint32_t th[2];
        if (fread(th, 4, 2, f) != 2 || th[0] != (uint32_t)ts[sec] || th[1] == 0 || th[1] > 64) {
            T_CHECKF(0, "%s section %u: bad header", name, sec);   /* (in the order of ts) */
            break;
        }
        const pd_type t = (pd_type)th[0];
        const int64_t n = (int64_t)th[1] * pd_type_block_elems(t);
        const size_t nb = row_bytes(t, n);
        float *want = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
        uint8_t *blocks = malloc(nb);
        T_CHECK(fread(blocks, 1, nb, f) == nb && fread(want, 4, (size_t)n, f) == (size_t)n);
        seen |= 1 << sec;
        for (int l = 0; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *k = pd_quant_kernels_get(l);
            if (!k)
                continue;
            memset(got, 0xff, (size_t)n * 4);
            k->dequantize[t](blocks, got, n);
            int bad = 0;
            for (int64_t j = 0; j < n; j++)
                bad += u32_of(got[j]) != u32_of(want[j]);
            T_CHECKF(bad == 0, "%s %s: %d of %lld dequantized values differ from gguf-py's", k->name,
                     pd_type_name(t), bad, (long long)n);
        }
        free(want); free(got); free(blocks);
    }
    T_EQ_INT(seen, (1 << nt) - 1);
    fclose(f);
}

static void test_klow_gguf_py(void)
{
    static const pd_type ts[] = { PD_TYPE_Q2_K, PD_TYPE_Q3_K };
    check_random_fixture("gguf-py-k-low.bin", 2, ts);
}

/* ---- IQ4_NL / IQ4_XS: ggml's AVX2 order (quant.h), bit for bit ---- */

/* ggml_vec_dot_iq4_nl_q8_0 / _iq4_xs_q8_K (ggml-cpu/arch/x86, AVX2)
 * written out with the test's own decoding.  IQ4_NL: blocks in pairs, two
 * 8-lane accumulators (first block of a pair, second), lane l =
 * fma(dy*dx, exact sum of kv*y over values 4l..4l+3, lane); hsum_float_8
 * of their sum; a last odd block then as sum + (dy*dx) * its integer sum,
 * the product rounded (no fma).  IQ4_XS: 8 lanes, per super-block lane l
 * the exact sum of ls*kv*y over the values e with e % 32 in 4l..4l+3, then
 * fma(dx*dy, sum, lane); hsum_float_8. */
static float hsum8(const float lane[8])
{
    float t4[4];
    for (int l = 0; l < 4; l++)
        t4[l] = lane[l] + lane[l + 4];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

static float iq4_expected(pd_type t, int64_t n, const void *w, const void *x)
{
    float lane[2][8] = { { 0 } };
    if (t == PD_TYPE_IQ4_XS) {
        const pd_block_q8_k *y = x;
        for (int64_t i = 0; i < n / 256; i++) {
            int32_t s[8] = { 0 };
            for (int e = 0; e < 256; e++) {
                int kv, ls;
                iq4_value(t, w, i, e, &kv, &ls);
                s[(e % 32) / 4] += ls * kv * y[i].qs[e];
            }
            const float d = pd_fp16_to_f32(((const pd_block_iq4_xs *)w)[i].d) * y[i].d;
            for (int l = 0; l < 8; l++)
                lane[0][l] = fmaf(d, (float)s[l], lane[0][l]);
        }
        return hsum8(lane[0]);
    }
    const pd_block_q8_0 *y = x;
    const int64_t nb = n / 32;
    int32_t tail = 0;
    for (int64_t i = 0; i < nb; i++) {
        int32_t s[8] = { 0 };
        for (int e = 0; e < 32; e++) {
            int kv, ls;
            iq4_value(t, w, i, e, &kv, &ls);
            s[e / 4] += kv * y[i].qs[e];
            tail += kv * y[i].qs[e];
        }
        if (i == nb - 1 && nb % 2)
            break;                      /* the odd block out: tail holds it */
        tail = 0;
        const float d = pd_fp16_to_f32(y[i].d) * pd_fp16_to_f32(((const pd_block_iq4_nl *)w)[i].d);
        for (int l = 0; l < 8; l++)
            lane[i % 2][l] = fmaf(d, (float)s[l], lane[i % 2][l]);
    }
    for (int l = 0; l < 8; l++)
        lane[0][l] += lane[1][l];
    float r = hsum8(lane[0]);
    if (nb % 2) {
        volatile float p = pd_fp16_to_f32(y[nb - 1].d) * pd_fp16_to_f32(((const pd_block_iq4_nl *)w)[nb - 1].d)
                         * (float)tail;
        r += p;
    }
    return r;
}

/* Every level (scalar included) gives that order bit for bit, row dot and
 * 1x1 tile, on rows of odd and even block counts (IQ4_NL's tail), and it
 * stays within float rounding of the exact dot. */
static void test_iq4_dot_order(void)
{
    static const int nbs[] = { 1, 2, 3, 4, 7, 16, 67 };
    enum { NMAX = 67 * 256 };
    static uint8_t w[NMAX], x[NMAX * 2];
    static float xf[NMAX];
    g_rng = 71;
    for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++)
        for (int rep = 0; rep < 6; rep++) {
            check_dot_order(PD_TYPE_IQ4_NL, (int64_t)nbs[ib] * 32, iq4_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ4_XS, (int64_t)nbs[ib] * 256, iq4_expected, true, rep, w, x, xf);
        }
}

/* The prefill tiles give the same order bit for bit, every column count
 * (partial column groups included), on rows crossing many blocks (an odd
 * count: IQ4_NL's tail). */
static void test_iq4_tile_order(void)
{
    enum { R = 3, C = 11, NMAX = 29 * 256 };
    static const struct { pd_type t; int64_t n; } k[] = {
        { PD_TYPE_IQ4_NL, 29 * 32 }, { PD_TYPE_IQ4_NL, 30 * 32 }, { PD_TYPE_IQ4_XS, 29 * 256 },
    };
    static uint8_t w[R][NMAX], x[C][NMAX * 2];
    static float xf[NMAX], want[C * R], got[C * R];
    g_rng = 73;
    for (size_t it = 0; it < sizeof k / sizeof k[0]; it++) {
        const pd_type t = k[it].t;
        rand_case(t, k[it].n, R, w, sizeof w[0], C, x, sizeof x[0], xf);
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                want[c * R + r] = iq4_expected(t, k[it].n, w[r], x[c]);
        for (int l = 0; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *kt = pd_quant_kernels_get(l);
            if (!kt)
                continue;
            for (int nc = 1; nc <= C; nc++) {
                for (int j = 0; j < C * R; j++)
                    got[j] = -12345.0f;
                pd_quant_kernels_tile(kt, t, k[it].n, w, sizeof w[0], R, x, sizeof x[0], nc, got, R);
                for (int j = 0; j < C * R; j++)
                    T_CHECKF(j < nc * R ? u32_of(got[j]) == u32_of(want[j]) : got[j] == -12345.0f,
                             "%s %s n=%lld nc=%d [%d]: %a vs %a", kt->name, pd_type_name(t),
                             (long long)k[it].n, nc, j, got[j], want[j]);
            }
        }
    }
}

/* gguf-py's numpy dequantize of random IQ4_NL/IQ4_XS blocks
 * (tools/quant_fixture.py wrote the fixture): every level gives its floats
 * bit for bit. */
static void test_iq4_gguf_py(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ4_NL, PD_TYPE_IQ4_XS };
    check_random_fixture("gguf-py-iq4.bin", 2, ts);
}

/* ---- IQ2_XXS / IQ3_XXS ---- */

/* The sign (+1 / -1) of value k of a group of 8 with 7-bit sign index s7:
 * bit k for k < 7, and value 7's makes the count of minuses even. */
static int iqxxs_sign(unsigned s7, int k)
{
    int neg = k < 7 ? (s7 >> k) & 1 : __builtin_popcount(s7) & 1;
    return neg ? -1 : 1;
}

/* Value e of super-block i, from the format (quant.h): grid magnitude, sign
 * and 4-bit scale.  IQ2_XXS sub-block j: 8 bytes at 2 + 8j, the 4 group
 * indices then the signs-and-scale word; IQ3_XXS: index bytes at 2 + 8j
 * (two 4-value entries per group of 8), words at 66 + 4j; IQ3_S: 9-bit
 * indices, stored sign bits, nibble scales; IQ2_XS and IQ2_S: a scale per
 * 16 values. */
static void iqxxs_value(pd_type t, const void *row, int64_t i, int e, int *mag, int *sgn, int *ls)
{
    const int sb = e / 32, g = e % 32 / 8, k = e % 8;
    const uint8_t *blk = (const uint8_t *)row + (size_t)i * pd_type_block_bytes(t), *wp;
    if (t == PD_TYPE_IQ2_XS) {  /* 16-bit words at 2 + 8sb + 2g: 9-bit index, 7-bit signs; scales at 66 */
        const unsigned q = blk[2 + 8 * sb + 2 * g] | blk[3 + 8 * sb + 2 * g] << 8;
        *mag = (int)(pd_iq2xs_grid[q & 511] >> (8 * k)) & 0xff;
        *sgn = iqxxs_sign(q >> 9, k);
        *ls = (blk[66 + sb] >> (e % 32 < 16 ? 0 : 4)) & 15;
        return;
    }
    if (t == PD_TYPE_IQ2_S) {   /* qs at 2, signs at 34, qh at 66, scales at 74 */
        const int idx = blk[2 + 4 * sb + g] | ((blk[66 + sb] >> (2 * g)) & 3) << 8;
        *mag = (int)(pd_iq2s_grid[idx] >> (8 * k)) & 0xff;
        *sgn = (blk[34 + 4 * sb + g] >> k) & 1 ? -1 : 1;
        *ls = (blk[74 + sb] >> (e % 32 < 16 ? 0 : 4)) & 15;
        return;
    }
    if (t == PD_TYPE_IQ3_S) {   /* qs at 2, qh at 66, signs at 74, scales at 106 */
        const int q = e % 32 / 4, idx = blk[2 + 8 * sb + q] | ((blk[66 + sb] >> q) & 1) << 8;
        *mag = (int)(pd_iq3s_grid[idx] >> (8 * (e % 4))) & 0xff;
        *sgn = (blk[74 + 4 * sb + g] >> k) & 1 ? -1 : 1;
        *ls = (blk[106 + sb / 2] >> (sb % 2 ? 4 : 0)) & 15;
        return;
    }
    if (t == PD_TYPE_IQ2_XXS) {
        wp = blk + 2 + 8 * sb + 4;
        *mag = (int)(pd_iq2xxs_grid[blk[2 + 8 * sb + g]] >> (8 * k)) & 0xff;
    } else {
        wp = blk + 66 + 4 * sb;
        *mag = (int)(pd_iq3xxs_grid[blk[2 + 8 * sb + 2 * g + k / 4]] >> (8 * (k % 4))) & 0xff;
    }
    const uint32_t word = wp[0] | wp[1] << 8 | wp[2] << 16 | (uint32_t)wp[3] << 24;
    *sgn = iqxxs_sign((word >> (7 * g)) & 127, k);
    *ls = (int)(word >> 28);
}

/* The tables (generated from gguf-py by tools/iq_grids.py): a few entries
 * as ggml's ggml-common.h has them, the values each grid may hold, no entry
 * twice, and the sign tables against the parity rule. */
static void test_iqxxs_tables(void)
{
    T_CHECK(pd_iq2xxs_grid[0] == 0x0808080808080808u && pd_iq2xxs_grid[1] == 0x080808080808082bu);
    T_CHECK(pd_iq2xxs_grid[255] == 0x2b2b2b1908081908u && pd_iq2xxs_grid[100] == 0x08192b0808081908u);
    T_CHECK(pd_iq3xxs_grid[0] == 0x04040404u && pd_iq3xxs_grid[5] == 0x04040c3eu);
    T_CHECK(pd_iq3xxs_grid[255] == 0x3e341c04u && pd_iq3xxs_grid[128] == 0x141c3e04u);
    T_CHECK(pd_iq3s_grid[0] == 0x01010101u && pd_iq3s_grid[1] == 0x01010103u);
    T_CHECK(pd_iq3s_grid[300] == 0x07030503u && pd_iq3s_grid[511] == 0x0f0f0101u);
    for (int a = 0; a < 512; a++) {
        for (int k = 0; k < 4; k++) {
            int v = (int)(pd_iq3s_grid[a] >> (8 * k)) & 0xff;
            T_CHECKF(v % 2 == 1 && v <= 15, "iq3s_grid[%d] value %d: %d", a, k, v);
        }
        for (int b = 0; b < a; b++)
            T_CHECK(pd_iq3s_grid[a] != pd_iq3s_grid[b]);
    }
    for (int a = 0; a < 256; a++) {
        for (int k = 0; k < 8; k++) {
            int v = (int)(pd_iq2xxs_grid[a] >> (8 * k)) & 0xff;
            T_CHECKF(v == 8 || v == 25 || v == 43, "iq2xxs_grid[%d] value %d: %d", a, k, v);
        }
        for (int k = 0; k < 4; k++) {
            int v = (int)(pd_iq3xxs_grid[a] >> (8 * k)) & 0xff;
            T_CHECKF(v == 62 || (v % 8 == 4 && v <= 52), "iq3xxs_grid[%d] value %d: %d", a, k, v);
        }
        for (int b = 0; b < a; b++)
            T_CHECK(pd_iq2xxs_grid[a] != pd_iq2xxs_grid[b] && pd_iq3xxs_grid[a] != pd_iq3xxs_grid[b]);
    }
    /* IQ2_XS / IQ2_S (ggml-common.h's iq2xs_grid 0, 1, 300, 511 and
     * iq2s_grid 300, 511, 700, 1023) */
    T_CHECK(pd_iq2xs_grid[0] == 0x0808080808080808u && pd_iq2xs_grid[1] == 0x080808080808082bu);
    T_CHECK(pd_iq2xs_grid[300] == 0x1908190808191908u && pd_iq2xs_grid[511] == 0x2b2b2b2b2b2b2b2bu);
    T_CHECK(pd_iq2s_grid[300] == 0x08191908192b1908u && pd_iq2s_grid[511] == 0x19080819082b082bu);
    T_CHECK(pd_iq2s_grid[700] == 0x1919082b2b080808u && pd_iq2s_grid[1023] == 0x2b2b2b2b2b2b2b2bu);
    for (int a = 0; a < 1024; a++) {
        for (int k = 0; k < 8; k++) {
            int v = (int)(pd_iq2s_grid[a] >> (8 * k)) & 0xff, u = (int)(pd_iq2xs_grid[a % 512] >> (8 * k)) & 0xff;
            T_CHECKF(v == 8 || v == 25 || v == 43, "iq2s_grid[%d] value %d: %d", a, k, v);
            T_CHECKF(u == 8 || u == 25 || u == 43, "iq2xs_grid[%d] value %d: %d", a % 512, k, u);
        }
        for (int b = 0; b < a; b++)
            T_CHECK(pd_iq2s_grid[a] != pd_iq2s_grid[b] && (a >= 512 || pd_iq2xs_grid[a] != pd_iq2xs_grid[b]));
    }
    for (unsigned s7 = 0; s7 < 128; s7++)
        for (int k = 0; k < 8; k++) {
            int want = iqxxs_sign(s7, k);
            T_CHECK(((pd_ksigns_iq2xs[s7] >> k) & 1 ? -1 : 1) == want);
            T_CHECK((int8_t)(pd_keven_signs[s7] >> (8 * k)) == want);
        }
}

/* Blocks written from the format description (quant.h), decoded by hand
 * with literal grid entries (iq2xxs_grid 0, 1, 255; iq3xxs_grid 0, 5, 255) */
static void test_iqxxs_handbuilt(void)
{
    static const int g2[3][8] = { { 8, 8, 8, 8, 8, 8, 8, 8 }, { 43, 8, 8, 8, 8, 8, 8, 8 },
                                  { 8, 25, 8, 8, 25, 43, 43, 43 } };   /* entries 0, 1, 255 */
    static const int g3[3][4] = { { 4, 4, 4, 4 }, { 62, 12, 4, 4 }, { 4, 28, 52, 62 } };   /* 0, 5, 255 */
    static const uint8_t idx2[4] = { 0, 1, 255, 1 }, idx3[8] = { 0, 5, 255, 0, 5, 5, 255, 255 };
    static const int pick2[4] = { 0, 1, 2, 1 }, pick3[8] = { 0, 1, 2, 0, 1, 1, 2, 2 };
    static const unsigned s7[4] = { 0, 127, 1, 64 };
    pd_block_iq2_xxs a;
    pd_block_iq3_xxs b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.d = 0x3800;           /* 0.5 */
    b.d = 0xc000;           /* -2 */
    /* sub-block 1: the literal indices and signs, scale 15; 6: scale 6; the
     * others index 0, no minus, scale 0 */
    uint32_t w1 = s7[0] | s7[1] << 7 | s7[2] << 14 | s7[3] << 21 | 15u << 28;
    uint32_t w6 = s7[3] | s7[2] << 7 | s7[1] << 14 | s7[0] << 21 | 6u << 28;
    uint8_t *pa = (uint8_t *)a.qs;
    memcpy(pa + 8, idx2, 4);
    memcpy(pa + 12, &w1, 4);
    memcpy(pa + 48, idx2, 4);
    memcpy(pa + 52, &w6, 4);
    memcpy(b.qs + 8, idx3, 8);
    memcpy(b.qs + 64 + 4, &w1, 4);
    memcpy(b.qs + 48, idx3, 8);
    memcpy(b.qs + 64 + 24, &w6, 4);
    float y2[256], y3[256];
    pd_dequantize_row_ref(PD_TYPE_IQ2_XXS, &a, y2, 256);
    pd_dequantize_row_ref(PD_TYPE_IQ3_XXS, &b, y3, 256);
    for (int e = 0; e < 256; e++) {
        const int sb = e / 32, g = e % 32 / 8, k = e % 8;
        const bool lit = sb == 1 || sb == 6;
        const int ls = sb == 1 ? 15 : sb == 6 ? 6 : 0;
        const int sg = lit ? iqxxs_sign(s7[sb == 1 ? g : 3 - g], k) : 1;
        const int m2 = lit ? g2[pick2[g]][k] : 8, m3 = lit ? g3[pick3[2 * g + k / 4]][k % 4] : 4;
        const float w2 = 0.5f * (0.5f + (float)ls) * 0.25f * (float)m2 * (float)sg;
        const float w3 = -2.0f * (0.5f + (float)ls) * 0.5f * (float)m3 * (float)sg;
        T_CHECKF(y2[e] == w2, "IQ2_XXS e=%d: %g vs %g", e, y2[e], w2);
        T_CHECKF(y3[e] == w3, "IQ3_XXS e=%d: %g vs %g", e, y3[e], w3);
        int mag, s, l;   /* the test's own decoder agrees */
        iqxxs_value(PD_TYPE_IQ2_XXS, &a, 0, e, &mag, &s, &l);
        T_CHECKF(mag == m2 && s == sg && l == ls, "IQ2_XXS decode e=%d", e);
        iqxxs_value(PD_TYPE_IQ3_XXS, &b, 0, e, &mag, &s, &l);
        T_CHECKF(mag == m3 && s == sg && l == ls, "IQ3_XXS decode e=%d", e);
    }
    /* literals: sub-block 1, group 1 (sign index 127: all minus), value 0
     * of entry 1 = 43; group 2 (sign index 1: values 0 and 7 minus) */
    T_CHECK(y2[40] == 0.5f * 15.5f * 0.25f * -43 && y2[41] == 0.5f * 15.5f * 0.25f * -8);
    T_CHECK(y2[48] == 0.5f * 15.5f * 0.25f * -8 && y2[55] == 0.5f * 15.5f * 0.25f * -43);
    T_CHECK(y2[53] == 0.5f * 15.5f * 0.25f * 43 && y2[0] == 0.5f * 0.5f * 0.25f * 8);
    /* IQ3_XXS sub-block 1: value 4 = entry 5's 62, no minus; value 11 =
     * entry 255's 62 under sign index 127 */
    T_CHECK(y3[36] == -2.0f * 15.5f * 0.5f * 62 && y3[43] == -2.0f * 15.5f * 0.5f * -62);
}

/* An IQ3_S block written from the format description (quant.h), decoded
 * by hand with literal grid entries (iq3s_grid 0, 1, 300, 511: 9-bit
 * indices) */
static void test_iq3s_handbuilt(void)
{
    static const int lit[4][4] = { { 1, 1, 1, 1 }, { 3, 1, 1, 1 }, { 3, 5, 3, 7 }, { 1, 1, 15, 15 } };
    static const uint8_t signs[4] = { 0x00, 0xff, 0x81, 0x10 };
    pd_block_iq3_s b;
    memset(&b, 0, sizeof b);
    b.d = 0x3400;                        /* 0.25 */
    /* sub-block 3: entries 0, 1, 300 = 256 + 44, 511 = 256 + 255, twice */
    static const uint8_t lo[4] = { 0, 1, 44, 255 };
    for (int q = 0; q < 8; q++)
        b.qs[24 + q] = lo[q % 4];
    b.qh[3] = 0xcc;                      /* bits 2, 3, 6, 7: the 9th bits */
    memcpy(b.signs + 12, signs, 4);
    b.scales[1] = 0x90;                  /* sub-block 3 (odd): high nibble 9 */
    float y[256];
    pd_dequantize_row_ref(PD_TYPE_IQ3_S, &b, y, 256);
    for (int e = 0; e < 256; e++) {
        const int l = e - 96;            /* place in sub-block 3 */
        float want = 0.25f;              /* the others: entry 0, scale 1 + 2*0 */
        if (l >= 0 && l < 32)
            want = 0.25f * 19 * (float)lit[l / 4 % 4][l % 4] * ((signs[l / 8] >> (l % 8)) & 1 ? -1.f : 1.f);
        T_CHECKF(y[e] == want, "IQ3_S e=%d: %g vs %g", e, y[e], want);
        int mag, sg, ls;
        iqxxs_value(PD_TYPE_IQ3_S, &b, 0, e, &mag, &sg, &ls);
        T_CHECKF((float)mag * (float)sg * (l >= 0 && l < 32 ? 0.25f * 19 : 0.25f) == want
                 && ls == (l >= 0 && l < 32 ? 9 : 0), "IQ3_S decode e=%d", e);
    }
    /* literals: value 10 of sub-block 3 = entry 300's 3rd (3), sign bit 2
     * of 0xff; value 31 = entry 511's 4th (15), bit 7 of 0x10 clear */
    T_CHECK(y[106] == 0.25f * 19 * -3 && y[127] == 0.25f * 19 * 15);
}

/* IQ2_XS and IQ2_S blocks written from the format description (quant.h),
 * decoded by hand with literal grid entries (iq2xs_grid 0, 1, 300, 511:
 * 9-bit indices; iq2s_grid 1023, 1, 300, 700: 10-bit) */
static void test_iq2x_handbuilt(void)
{
    static const int gx[4][8] = { { 8, 8, 8, 8, 8, 8, 8, 8 }, { 43, 8, 8, 8, 8, 8, 8, 8 },
                                  { 8, 25, 25, 8, 8, 25, 8, 25 }, { 43, 43, 43, 43, 43, 43, 43, 43 } };
    static const int gs[4][8] = { { 43, 43, 43, 43, 43, 43, 43, 43 }, { 43, 8, 8, 8, 8, 8, 8, 8 },
                                  { 8, 25, 43, 25, 8, 25, 25, 8 }, { 8, 8, 8, 43, 43, 8, 25, 25 } };
    static const unsigned s7[4] = { 0, 127, 1, 64 };
    static const uint8_t signs[4] = { 0x00, 0xff, 0x81, 0x10 };
    static const uint16_t ix[4] = { 0, 1, 300, 511 };
    pd_block_iq2_xs a;
    pd_block_iq2_s b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.d = 0x3800;                        /* 0.5 */
    b.d = 0xc000;                        /* -2 */
    for (int g = 0; g < 4; g++)          /* IQ2_XS sub-block 2 */
        a.qs[8 + g] = (uint16_t)(ix[g] | s7[g] << 9);
    a.scales[2] = 0x3c;                  /* values 0..15: 12, 16..31: 3 */
    static const uint8_t lo[4] = { 255, 1, 44, 188 };   /* IQ2_S sub-block 5: 1023, 1, 300, 700 */
    memcpy(b.qs + 20, lo, 4);
    b.qh[5] = 0x93;                      /* high bits 3, 0, 1, 2 */
    memcpy(b.signs + 20, signs, 4);
    b.scales[5] = 0xa7;                  /* 7, then 10 */
    float yx[256], ys[256];
    pd_dequantize_row_ref(PD_TYPE_IQ2_XS, &a, yx, 256);
    pd_dequantize_row_ref(PD_TYPE_IQ2_S, &b, ys, 256);
    for (int e = 0; e < 256; e++) {
        const int sb = e / 32, g = e % 32 / 8, k = e % 8, half = e % 32 / 16;
        const int lx = sb == 2 ? (half ? 3 : 12) : 0, ls = sb == 5 ? (half ? 10 : 7) : 0;
        const int mx = sb == 2 ? gx[g][k] : 8, sx = sb == 2 ? iqxxs_sign(s7[g], k) : 1;
        const int ms = sb == 5 ? gs[g][k] : 8, ss = sb == 5 && (signs[g] >> k) & 1 ? -1 : 1;
        const float wx = 0.5f * (0.5f + (float)lx) * 0.25f * (float)mx * (float)sx;
        const float ws = -2.0f * (0.5f + (float)ls) * 0.25f * (float)ms * (float)ss;
        T_CHECKF(yx[e] == wx, "IQ2_XS e=%d: %g vs %g", e, yx[e], wx);
        T_CHECKF(ys[e] == ws, "IQ2_S e=%d: %g vs %g", e, ys[e], ws);
        int mag, sg, l;   /* the test's own decoder agrees */
        iqxxs_value(PD_TYPE_IQ2_XS, &a, 0, e, &mag, &sg, &l);
        T_CHECKF(mag == mx && sg == sx && l == lx, "IQ2_XS decode e=%d", e);
        iqxxs_value(PD_TYPE_IQ2_S, &b, 0, e, &mag, &sg, &l);
        T_CHECKF(mag == ms && sg == ss && l == ls, "IQ2_S decode e=%d", e);
    }
    /* literals: IQ2_XS value 8 of sub-block 2 = entry 1's 43 under sign
     * index 127 (all minus), scale 12; value 31 = entry 511's 43 under sign
     * index 64 (bit 6 and, for parity, bit 7), scale 3 */
    T_CHECK(yx[72] == 0.5f * 12.5f * 0.25f * -43 && yx[95] == 0.5f * 3.5f * 0.25f * -43);
    /* IQ2_S sub-block 5: value 0 = entry 1023's 43, value 18 = entry 300's
     * 43 (sign bit 2 of 0x81 clear), value 15 = entry 1's 8 (bit 7 of 0xff) */
    T_CHECK(ys[160] == -2.0f * 7.5f * 0.25f * 43 && ys[178] == -2.0f * 10.5f * 0.25f * 43);
    T_CHECK(ys[175] == -2.0f * 7.5f * 0.25f * -8);
}

/* ggml_vec_dot_iq2_xxs_q8_K / _iq3_xxs_q8_K / _iq3_s_q8_K (ggml-cpu/arch/x86, AVX2)
 * written out with the test's own decoding: 8 lanes, per super-block lane l
 * the exact sum of (2*ls + 1) * grid * sign * y over the values e with
 * e % 32 in 4l..4l+3, then fma(dx*dy, sum, lane); hsum_float_8 times 0.125
 * (IQ2_XXS) or 0.25 (IQ3_XXS); IQ3_S the same without the factor.
 * _iq2_xs_q8_K / _iq2_s_q8_K as IQ2_XXS, ls the value's half's. */
static float iqxxs_expected(pd_type t, int64_t n, const void *w, const void *x)
{
    const pd_block_q8_k *y = x;
    float lane[8] = { 0 };
    for (int64_t i = 0; i < n / 256; i++) {
        int32_t s[8] = { 0 };
        for (int e = 0; e < 256; e++) {
            int mag, sgn, ls;
            iqxxs_value(t, w, i, e, &mag, &sgn, &ls);
            s[e % 32 / 4] += (2 * ls + 1) * mag * sgn * y[i].qs[e];
        }
        uint16_t hd;
        memcpy(&hd, (const uint8_t *)w + (size_t)i * pd_type_block_bytes(t), 2);
        const float d = pd_fp16_to_f32(hd) * y[i].d;
        for (int l = 0; l < 8; l++)
            lane[l] = fmaf(d, (float)s[l], lane[l]);
    }
    if (t == PD_TYPE_IQ3_S)
        return hsum8(lane);
    return (t == PD_TYPE_IQ3_XXS ? 0.25f : 0.125f) * hsum8(lane);
}

/* Every level (scalar included) gives that order bit for bit, row dot and
 * 1x1 tile, and it stays within float rounding of the exact dot. */
static void test_iqxxs_dot_order(void)
{
    static const int nbs[] = { 1, 2, 3, 7, 16, 67 };
    enum { NMAX = 67 * 256 };
    static uint8_t w[NMAX], x[NMAX * 2];
    static float xf[NMAX];
    g_rng = 79;
    for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++)
        for (int rep = 0; rep < 6; rep++) {
            check_dot_order(PD_TYPE_IQ2_XXS, (int64_t)nbs[ib] * 256, iqxxs_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ3_XXS, (int64_t)nbs[ib] * 256, iqxxs_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ3_S, (int64_t)nbs[ib] * 256, iqxxs_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ2_XS, (int64_t)nbs[ib] * 256, iqxxs_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ2_S, (int64_t)nbs[ib] * 256, iqxxs_expected, true, rep, w, x, xf);
        }
}


/* Long rows against many columns (Q3_K and the grid i-quants below
 * AVX-512: the row staged in chunks of 32 blocks, the columns biased, 64
 * columns' sums held at a time; IQ4_XS in passes of 8): still the level's
 * row dot bit for bit, nothing past nc written. */
static void test_staged_tiles_are_dot(void)
{
    enum { R = 2, C = 70, NB = 67 };
    static const pd_type ts[] = { PD_TYPE_Q3_K, PD_TYPE_IQ4_XS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ2_XS,
                                  PD_TYPE_IQ2_S, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S };
    static const int ncs[] = { 9, 16, 64, 65, 70 };
    static uint8_t w[R][NB * sizeof(pd_block_iq4_xs)], x[C][NB * sizeof(pd_block_q8_k)];
    static float xf[NB * 256], got[C * R + 1];
    g_rng = 97;
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++) {
        const pd_type t = ts[it];
        const int64_t n = NB * 256;
        rand_case(t, n, R, w, sizeof w[0], C, x, sizeof x[0], xf);
        for (int l = 0; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *k = pd_quant_kernels_get(l);
            if (!k)
                continue;
            for (size_t ic = 0; ic < sizeof ncs / sizeof ncs[0]; ic++) {
                const int nc = ncs[ic];
                for (int j = 0; j <= C * R; j++)
                    got[j] = -12345.0f;
                pd_quant_kernels_tile(k, t, n, w, sizeof w[0], R, x, sizeof x[0], nc, got, R);
                for (int j = nc * R; j <= C * R; j++)
                    T_CHECKF(got[j] == -12345.0f, "%s %s nc=%d [%d] written", k->name, pd_type_name(t), nc, j);
                for (int c = 0; c < nc; c++)
                    for (int r = 0; r < R; r++) {
                        const float want = k->dot[t](n, w[r], x[c]);
                        T_CHECKF(u32_of(got[c * R + r]) == u32_of(want), "%s %s nc=%d [%d,%d]: %a vs %a",
                                 k->name, pd_type_name(t), nc, r, c, got[c * R + r], want);
                    }
            }
        }
    }
}

/* Many columns (the AVX-512 level's panel GEMM from 9, 13 or 17 on, by
 * type, quant_x86_panel.inc; every type but IQ4_NL): every output still rounds as the same level's
 * row dot, for odd and even row counts, full and partial groups of columns;
 * nothing past nc written. */
static void test_many_column_tiles_are_dot(void)
{
    enum { R = 17, C = 25, NB = 7 };
    static const pd_type ts[] = { PD_TYPE_Q2_K, PD_TYPE_Q3_K, PD_TYPE_Q5_K, PD_TYPE_Q6_K,
                                  PD_TYPE_IQ4_XS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ2_XS, PD_TYPE_IQ2_S,
                                  PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S, PD_TYPE_IQ1_S,
                                  PD_TYPE_IQ1_M };
    static const int ncs[] = { 9, 13, 17, 24, 25 }, nbs[] = { 1, NB }, nrs[] = { 17, 16, 5, 1 };
    static uint8_t w[R][NB * sizeof(pd_block_q6_k)], x[C][NB * sizeof(pd_block_q8_k)];
    static float xf[NB * 256], got[C * R];
    g_rng = 89;
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++)
        for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++) {
            const pd_type t = ts[it];
            const int64_t n = (int64_t)nbs[ib] * 256;
            rand_case(t, n, R, w, sizeof w[0], C, x, sizeof x[0], xf);
            for (int l = 0; l < PD_SIMD_LEVELS; l++) {
                const pd_quant_kernels *k = pd_quant_kernels_get(l);
                /* Q5_K's tile below AVX-512 (and below 9 columns) sums its K
                 * chunks apart (tile_kmin) */
                if (!k || (t == PD_TYPE_Q5_K && strcmp(k->name, "avx512") != 0))
                    continue;
                for (size_t ic = 0; ic < sizeof ncs / sizeof ncs[0]; ic++)
                    for (size_t ir = 0; ir < sizeof nrs / sizeof nrs[0]; ir++) {
                        const int nc = ncs[ic], nr = nrs[ir];

                        for (int j = 0; j < C * R; j++)
                            got[j] = -12345.0f;
                        pd_quant_kernels_tile(k, t, n, w, sizeof w[0], nr, x, sizeof x[0], nc, got, R);
                        for (int c = 0; c < C; c++)
                            for (int r = 0; r < R; r++) {
                                const float g = got[c * R + r];
                                if (c >= nc || r >= nr) {
                                    T_CHECKF(g == -12345.0f, "%s %s nr=%d nc=%d [%d,%d] written",
                                             k->name, pd_type_name(t), nr, nc, r, c);
                                    continue;
                                }
                                const float want = k->dot[t](n, w[r], x[c]);
                                T_CHECKF(u32_of(g) == u32_of(want), "%s %s nb=%d nr=%d nc=%d [%d,%d]: %a vs %a",
                                         k->name, pd_type_name(t), nbs[ib], nr, nc, r, c, g, want);
                            }
                    }
            }
        }
}

static void test_iqxxs_tile_order(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ2_XXS, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S, PD_TYPE_IQ2_XS, PD_TYPE_IQ2_S };
    g_rng = 83;
    check_tile_orders(5, ts, iqxxs_expected);
}

/* gguf-py's numpy dequantize of IQ2_XXS/IQ3_XXS/IQ3_S blocks whose
 * indices run through every grid and sign entry (tools/quant_fixture.py) */
static void test_iqxxs_gguf_py(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ2_XXS, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S };
    check_random_fixture("gguf-py-iqxxs.bin", 3, ts);
}

/* gguf-py's numpy dequantize of IQ2_XS/IQ2_S blocks whose grid indices
 * run through all 512 / 1024 entries (tools/quant_fixture.py) */
static void test_iq2x_gguf_py(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ2_XS, PD_TYPE_IQ2_S };
    check_random_fixture("gguf-py-iq2x.bin", 2, ts);
}

/* ---- IQ1_S / IQ1_M ---- */

/* Value e of super-block i, from the format (quant.h): its grid value
 * (-1, 0, 1), delta sign, 3-bit scale, and the block's fp16 d.  IQ1_S: d at
 * byte 0, qs at 2, qh (16-bit words) at 34; IQ1_M: qs at 0, qh at 32, the
 * scale words at 48 with d in their top nibbles. */
static void iq1_value(pd_type t, const void *row, int64_t i, int e, int *g, int *dsg, int *ls, uint16_t *d)
{
    const int sb = e / 32, q = e % 32 / 8, k = e % 8;
    const uint8_t *blk = (const uint8_t *)row + (size_t)i * pd_type_block_bytes(t);
    int idx;
    if (t == PD_TYPE_IQ1_S) {
        const unsigned qh = blk[34 + 2 * sb] | blk[35 + 2 * sb] << 8;
        idx = blk[2 + 4 * sb + q] | ((qh >> (3 * q)) & 7) << 8;
        *dsg = qh >> 15 ? -1 : 1;
        *ls = (qh >> 12) & 7;
        *d = (uint16_t)(blk[0] | blk[1] << 8);
    } else {
        const unsigned nib = (blk[32 + 2 * sb + q / 2] >> (4 * (q % 2))) & 15;
        unsigned sc[4];
        for (int w = 0; w < 4; w++)
            sc[w] = blk[48 + 2 * w] | blk[49 + 2 * w] << 8;
        idx = blk[4 * sb + q] | (nib & 7) << 8;
        *dsg = nib & 8 ? -1 : 1;
        *ls = (sc[sb / 2] >> (6 * (sb % 2) + 3 * (e % 32 / 16))) & 7;
        *d = (uint16_t)(sc[0] >> 12 | (sc[1] >> 12) << 4 | (sc[2] >> 12) << 8 | (sc[3] >> 12) << 12);
    }
    *g = (int8_t)(pd_iq1s_grid[idx] >> (8 * k));
}

/* The grid (generated from gguf-py by tools/iq_grids.py): entries as
 * ggml's ggml-common.h has them, only -1, 0, 1, no entry twice. */
static void test_iq1_tables(void)
{
    T_CHECK(pd_iq1s_grid[0] == 0xffffffffffffffffu && pd_iq1s_grid[1] == 0xffffffffffffff01u);
    T_CHECK(pd_iq1s_grid[2] == 0xffffffffffff0000u && pd_iq1s_grid[11] == 0xffffffff00ff0000u);
    T_CHECK(pd_iq1s_grid[512] == 0xff0100ffff010000u && pd_iq1s_grid[1000] == 0x00000000ffff00ffu);
    T_CHECK(pd_iq1s_grid[2047] == 0x0101010101010101u);
    for (int a = 0; a < 2048; a++) {
        for (int k = 0; k < 8; k++) {
            const int v = (int8_t)(pd_iq1s_grid[a] >> (8 * k));
            T_CHECKF(v >= -1 && v <= 1, "iq1s_grid[%d] value %d: %d", a, k, v);
        }
        for (int b = 0; b < a; b++)
            T_CHECK(pd_iq1s_grid[a] != pd_iq1s_grid[b]);
    }
}

/* Blocks written from the format description (quant.h), decoded by hand
 * with literal grid entries (iq1s_grid 0, 1, 512 = 0x200, 2047 = 0x7ff) */
static void test_iq1_handbuilt(void)
{
    static const int lit[4][8] = { { -1, -1, -1, -1, -1, -1, -1, -1 }, { 1, -1, -1, -1, -1, -1, -1, -1 },
                                   { 0, 0, 1, -1, -1, 0, 1, -1 }, { 1, 1, 1, 1, 1, 1, 1, 1 } };
    static const uint8_t lo[4] = { 0, 1, 0x00, 0xff };
    static const unsigned hi[4] = { 0, 0, 2, 7 };       /* entries 0, 1, 0x200, 0x7ff */
    pd_block_iq1_s a;
    pd_block_iq1_m b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    /* IQ1_S: d = 0.25, sub-block 5: the literals, scale 6, negative delta;
     * the others entry 0, scale 0, delta +0.125 */
    a.d = 0x3400;
    memcpy(a.qs + 20, lo, 4);
    a.qh[5] = (uint16_t)(hi[0] | hi[1] << 3 | hi[2] << 6 | hi[3] << 9 | 6u << 12 | 0x8000);
    /* IQ1_M: d = -0.5 = 0xb800 in the top nibbles (0x0, 0x0, 0x8, 0xb);
     * sub-block 2: the literals, deltas - + + -; scales 3 (values 0..15)
     * and 5 (16..31): bits 0..5 of sc[1] */
    memcpy(b.qs + 8, lo, 4);
    b.qh[4] = (uint8_t)(hi[0] | 8 | hi[1] << 4);
    b.qh[5] = (uint8_t)(hi[2] | (hi[3] | 8) << 4);
    const uint16_t sc[4] = { 0x0000, 0x0000 | 3 | 5 << 3, 0x8000, 0xb000 };
    memcpy(b.scales, sc, sizeof sc);
    static const int dsg_m[4] = { -1, 1, 1, -1 };
    float ys[256], ym[256];
    pd_dequantize_row_ref(PD_TYPE_IQ1_S, &a, ys, 256);
    pd_dequantize_row_ref(PD_TYPE_IQ1_M, &b, ym, 256);
    for (int e = 0; e < 256; e++) {
        const int sb = e / 32, q = e % 32 / 8, k = e % 8;
        const float ws = sb == 5 ? 0.25f * 13 * ((float)lit[q][k] - 0.125f) : 0.25f * (-1 + 0.125f);
        const float wm = sb == 2 ? -0.5f * (e % 32 < 16 ? 7 : 11) * ((float)lit[q][k] + 0.125f * (float)dsg_m[q])
                                 : -0.5f * (-1 + 0.125f);
        T_CHECKF(ys[e] == ws, "IQ1_S e=%d: %g vs %g", e, ys[e], ws);
        T_CHECKF(ym[e] == wm, "IQ1_M e=%d: %g vs %g", e, ym[e], wm);
        int g, dsg, ls;   /* the test's own decoder agrees */
        uint16_t d;
        iq1_value(PD_TYPE_IQ1_S, &a, 0, e, &g, &dsg, &ls, &d);
        T_CHECKF(d == 0x3400 && g == (sb == 5 ? lit[q][k] : -1) && dsg == (sb == 5 ? -1 : 1)
                 && ls == (sb == 5 ? 6 : 0), "IQ1_S decode e=%d", e);
        iq1_value(PD_TYPE_IQ1_M, &b, 0, e, &g, &dsg, &ls, &d);
        T_CHECKF(d == 0xb800 && g == (sb == 2 ? lit[q][k] : -1) && dsg == (sb == 2 ? dsg_m[q] : 1)
                 && ls == (sb == 2 ? (e % 32 < 16 ? 3 : 5) : 0), "IQ1_M decode e=%d", e);
    }
    /* literals: IQ1_S value 178 = sub-block 5, group 2 (entry 0x200), its
     * 3rd value 1; IQ1_M value 95 = sub-block 2, entry 0x7ff's 1, delta - */
    T_CHECK(ys[178] == 3.25f * 0.875f && ys[160] == 3.25f * -1.125f);
    T_CHECK(ym[95] == -5.5f * 0.875f && ym[64] == -3.5f * -1.125f);
}

/* ggml_vec_dot_iq1_s_q8_K / _iq1_m_q8_K (ggml-cpu/arch/x86, AVX2) written
 * out with the test's own decoding: 8 lanes, per super-block lane l the
 * exact sum of (2*ls + 1) * grid * y over the values e with e % 32 in
 * 4l..4l+3, then fma(dx*dy, sum, lane).  IQ1_S: per super-block the exact
 * sum over sub-blocks of (2*ls + 1) * delta sign * (the Q8_K block's two
 * bsums), fma(dx*dy, it, acc1); hsum_float_8 + 0.125 * acc1.  IQ1_M: a
 * second 8 lanes of (2*ls + 1) * delta sign * y, fma'd alike; hsum_float_8
 * + 0.125 * hsum_float_8 of the second. */
static float iq1_expected(pd_type t, int64_t n, const void *w, const void *x)
{
    const pd_block_q8_k *y = x;
    float lane[8] = { 0 }, lane2[8] = { 0 }, acc1 = 0.0f;
    for (int64_t i = 0; i < n / 256; i++) {
        int32_t s[8] = { 0 }, s2[8] = { 0 }, s1 = 0;
        uint16_t hd = 0;
        for (int e = 0; e < 256; e++) {
            int g, dsg, ls;
            iq1_value(t, w, i, e, &g, &dsg, &ls, &hd);
            s[e % 32 / 4] += (2 * ls + 1) * g * y[i].qs[e];
            s2[e % 32 / 4] += (2 * ls + 1) * dsg * y[i].qs[e];
            if (e % 32 == 0)
                s1 += (2 * ls + 1) * dsg * (y[i].bsums[e / 16] + y[i].bsums[e / 16 + 1]);
        }
        const float d = pd_fp16_to_f32(hd) * y[i].d;
        for (int l = 0; l < 8; l++) {
            lane[l] = fmaf(d, (float)s[l], lane[l]);
            lane2[l] = fmaf(d, (float)s2[l], lane2[l]);
        }
        acc1 = fmaf(d, (float)s1, acc1);
    }
    return hsum8(lane) + 0.125f * (t == PD_TYPE_IQ1_S ? acc1 : hsum8(lane2));
}

/* Every level (scalar included) gives that order bit for bit, row dot and
 * 1x1 tile, and it stays within float rounding of the exact dot. */
static void test_iq1_dot_order(void)
{
    static const int nbs[] = { 1, 2, 3, 7, 16, 67 };
    enum { NMAX = 67 * 256 };
    static uint8_t w[NMAX], x[NMAX * 2];
    static float xf[NMAX];
    g_rng = 89;
    for (size_t ib = 0; ib < sizeof nbs / sizeof nbs[0]; ib++)
        for (int rep = 0; rep < 6; rep++) {
            check_dot_order(PD_TYPE_IQ1_S, (int64_t)nbs[ib] * 256, iq1_expected, true, rep, w, x, xf);
            check_dot_order(PD_TYPE_IQ1_M, (int64_t)nbs[ib] * 256, iq1_expected, true, rep, w, x, xf);
        }
}

static void test_iq1_tile_order(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ1_S, PD_TYPE_IQ1_M };
    g_rng = 97;
    check_tile_orders(2, ts, iq1_expected);
}

/* gguf-py's numpy dequantize of IQ1_S/IQ1_M blocks whose indices run
 * through every grid entry (tools/quant_fixture.py) */
static void test_iq1_gguf_py(void)
{
    static const pd_type ts[] = { PD_TYPE_IQ1_S, PD_TYPE_IQ1_M };
    check_random_fixture("gguf-py-iq1.bin", 2, ts);
}

/* Zero rows and zero activations give exactly zero at every level. */
static void test_zero_rows(void)
{
    enum { N = 512 };
    static uint8_t w[N * 4], x[N * 4];
    static float xf[N];
    for (int i = 0; i < N_WT; i++) {
        pd_type t = k_weight_types[i];
        memset(xf, 0, sizeof xf);
        pd_quantize_row_ref(pd_type_vec_dot(t), xf, x, N);
        g_rng = 21;
        rand_weights(t, N, w);
        for (int l = 0; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *k = pd_quant_kernels_get(l);
            if (k)
                T_CHECKF(k->dot[t](N, w, x) == 0.0f, "%s %s", k->name, pd_type_name(t));
        }
    }
}

/* Activations a file's weights made non-finite: every level quantizes them
 * without undefined behaviour (the sanitizer build aborts on a NaN cast to
 * int), and a NaN or an infinity spoils only its own block. */
static void test_nonfinite_activations(void)
{
    static const pd_type act[] = { PD_TYPE_Q8_0, PD_TYPE_Q8_1, PD_TYPE_Q8_K };
    enum { N = 512 };
    static float xf[N];
    static uint8_t clean[N * 2], dirty[N * 2];
    for (int i = 0; i < N; i++)
        xf[i] = sinf(0.37f * (float)i);
    for (size_t a = 0; a < sizeof act / sizeof *act; a++) {
        const pd_type t = act[a];
        size_t row;
        T_CHECK(pd_type_row_bytes(t, N, &row));
        for (int l = 0; l < PD_SIMD_LEVELS; l++) {
            const pd_quant_kernels *k = pd_quant_kernels_get(l);
            if (!k || !k->quantize[t])
                continue;
            k->quantize[t](xf, clean, N);
            float bad[N];
            memcpy(bad, xf, sizeof bad);
            bad[3] = NAN;          /* the first block only */
            bad[5] = INFINITY;
            k->quantize[t](bad, dirty, N);
            const size_t half = row / 2;   /* 512 values: the second half's blocks are clean */
            T_CHECKF(memcmp(clean + half, dirty + half, row - half) == 0, "%s %s",
                     k->name, pd_type_name(t));
        }
    }
}

/* The dispatcher picks the best level under the PONDER_SIMD cap. */
static void test_dispatch(void)
{
    const char *cap = getenv("PONDER_SIMD");
    int max = PD_SIMD_LEVELS - 1;
    if (cap && strcmp(cap, "scalar") == 0)
        max = PD_SIMD_SCALAR;
    else if (cap && strcmp(cap, "avx2") == 0)
        max = PD_SIMD_AVX2;
    int best = 0;
    for (int l = 0; l <= max; l++)
        if (pd_quant_kernels_get(l))
            best = l;
    T_EQ_STR(pd_simd_level(), pd_quant_kernels_get(best)->name);
    T_CHECK(pd_quant_kernels_get(PD_SIMD_SCALAR) != NULL);
    T_CHECK(isnan(pd_vec_dot((pd_type)34, 256, "", "")));   /* TQ1_0: unsupported */
    float nq = 1.0f;                   /* no quantizer: writes nothing */
    pd_quantize_row(PD_TYPE_Q2_K, &nq, &nq, 256);
    pd_quantize_row_ref(PD_TYPE_Q3_K, &nq, &nq, 256);
    pd_quantize_row(PD_TYPE_IQ4_NL, &nq, &nq, 32);
    pd_quantize_row_ref(PD_TYPE_IQ4_XS, &nq, &nq, 256);
    pd_quantize_row(PD_TYPE_IQ2_XXS, &nq, &nq, 256);
    pd_quantize_row_ref(PD_TYPE_IQ3_XXS, &nq, &nq, 256);
    pd_quantize_row(PD_TYPE_IQ3_S, &nq, &nq, 256);
    pd_quantize_row(PD_TYPE_IQ2_XS, &nq, &nq, 256);
    pd_quantize_row_ref(PD_TYPE_IQ2_S, &nq, &nq, 256);
    pd_quantize_row_ref(PD_TYPE_IQ1_S, &nq, &nq, 256);
    pd_quantize_row(PD_TYPE_IQ1_M, &nq, &nq, 256);
    T_CHECK(nq == 1.0f);
    /* empty rows: every tile writes zeros */
    float out[6] = { 1, 1, 1, 1, 1, 1 };
    static const pd_type ts[] = { PD_TYPE_Q8_0, PD_TYPE_Q4_K, PD_TYPE_F16, PD_TYPE_Q6_K };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        pd_vec_dot_tile(ts[i], 0, "", 0, 2, "", 0, 3, out, 2);
        for (int j = 0; j < 6; j++)
            T_CHECK(out[j] == 0.0f);
    }
}

int main(void)
{
    T_RUN(test_type_table);
    T_RUN(test_fp16_known);
    T_RUN(test_fp16_nearest);
    T_RUN(test_bf16);
    T_RUN(test_q4_k_handbuilt);
    T_RUN(test_q5_k_handbuilt);
    T_RUN(test_q6_k_handbuilt);
    T_RUN(test_q2_q3_k_handbuilt);
    T_RUN(test_iq4_handbuilt);
    T_RUN(test_iqxxs_tables);
    T_RUN(test_iqxxs_handbuilt);
    T_RUN(test_iq3s_handbuilt);
    T_RUN(test_iq2x_handbuilt);
    T_RUN(test_iq1_tables);
    T_RUN(test_iq1_handbuilt);
    T_RUN(test_q4_0_q8_0_handbuilt);
    T_RUN(test_legacy_handbuilt);
    T_RUN(test_legacy_gguf_py);
    T_RUN(test_q8_0_quantize_rule);
    T_RUN(test_q8_1_quantize_rule);
    T_RUN(test_q8_k_quantize_rule);
    T_RUN(test_roundtrip_error);
    T_RUN(test_dot_ref_vs_double);
    T_RUN(test_simd_dequantize);
    T_RUN(test_simd_quantize_exact);
    T_RUN(test_simd_dot_and_tile);
    T_RUN(test_simd_long_rows);
    T_RUN(test_q4k_ordered_ref);
    T_RUN(test_q4k_ordered_simd_shapes);
    T_RUN(test_q4k_ordered_simd_long);
    T_RUN(test_q4k8_repacked);
    T_RUN(test_f32_tinyblas_order);
    T_RUN(test_q5_k_tile_order);
    T_RUN(test_q6_k_tile_is_dot);
    T_RUN(test_legacy_dot_order);
    T_RUN(test_klow_dot_order);
    T_RUN(test_klow_tile_order);
    T_RUN(test_klow_gguf_py);
    T_RUN(test_iq4_dot_order);
    T_RUN(test_iq4_tile_order);
    T_RUN(test_iq4_gguf_py);
    T_RUN(test_iqxxs_dot_order);
    T_RUN(test_iqxxs_tile_order);
    T_RUN(test_iqxxs_gguf_py);
    T_RUN(test_iq2x_gguf_py);
    T_RUN(test_iq1_dot_order);
    T_RUN(test_iq1_tile_order);
    T_RUN(test_staged_tiles_are_dot);
    T_RUN(test_many_column_tiles_are_dot);
    T_RUN(test_iq1_gguf_py);
    T_RUN(test_zero_rows);
    T_RUN(test_nonfinite_activations);
    T_RUN(test_dispatch);
    T_DONE();
}
