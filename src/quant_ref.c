/* quant_ref.c - scalar reference of every block format: dequantize, quantize
 * and dot products, byte-exact with ggml's layouts.  Kept simple on purpose:
 * the SIMD kernels and the CUDA backend are checked against these.
 */
#include "quant_simd.h"
#include "reduce.h"
#include "iq_grids.h"

#include <math.h>
#include <string.h>

#define F16(h) pd_fp16_to_f32_inline(h)

/* ggml's nearest_int: round half to even through the float mantissa
 * (valid for |v| < 2^22, which every caller guarantees). */
static inline int nearest_int(float v)
{
    float t = v + 12582912.f;
    int32_t i;
    memcpy(&i, &t, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/* rintf(v) saturated to an int8 value without a float-to-int cast of an
 * out-of-range value (undefined): NaN, from activations a file's weights
 * made non-finite, gives -128, as x86's cvtps2dq + packs do. */
static inline int rint_i8(float v)
{
    if (!(v >= -128.f))
        return -128;
    return v > 127.f ? 127 : (int)rintf(v);
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* plain compares: fminf/fmaxf keep NaN rules that cost a libm call each */
static inline float minf(float a, float b) { return b < a ? b : a; }
static inline float maxf(float a, float b) { return b > a ? b : a; }

/* 6-bit (scale, min) pair j of a Q4_K/Q5_K super-block, ggml's packing:
 * bytes 0-3 hold scales 0-3 (+ the top 2 bits of scales 4-7), 4-7 mins 0-3
 * (+ top bits of mins 4-7), 8-11 the low nibbles of scales/mins 4-7. */
static inline void scale_min_k4(int j, const uint8_t *q, int *sc, int *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

static void pack_scale_min_k4(const uint8_t ls[8], const uint8_t lm[8], uint8_t out[12])
{
    memset(out, 0, 12);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            out[j] |= ls[j] & 63;
            out[j + 4] |= lm[j] & 63;
        } else {
            out[j + 4] = (uint8_t)((ls[j] & 0xf) | ((lm[j] & 0xf) << 4));
            out[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            out[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/* ========================================================================
 * Dequantize
 * ======================================================================== */
static void deq_f32(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

static void deq_f16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = F16(s[i]);
}

static void deq_bf16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = pd_bf16_to_f32(s[i]);
}

static void deq_q8_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q8_0 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * b[i].qs[j];
    }
}

/* Q4_0: byte j holds element j (low nibble) and j+16 (high), offset 8 */
static void deq_q4_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_0 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d);
        for (int j = 0; j < PD_QK_0 / 2; j++) {
            dst[j] = d * ((b[i].qs[j] & 0xf) - 8);
            dst[j + 16] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

/* The 5th bits of a Q5_0/Q5_1 block: bit j of the little-endian word is
 * element j's. */
static inline uint32_t q5_high_bits(const uint8_t qh[4])
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

/* The 32 quants of a Q4_1/Q5_0/Q5_1 block in element order (nibbles laid
 * out as Q4_0's; qh NULL for 4-bit), minus offset. */
static inline void q_legacy_unpack(const uint8_t qs[16], const uint8_t *qh, int offset, int q[32])
{
    const uint32_t h = qh ? q5_high_bits(qh) : 0;
    for (int j = 0; j < 16; j++) {
        q[j] = ((qs[j] & 0xf) | (int)((h >> j) & 1) << 4) - offset;
        q[j + 16] = ((qs[j] >> 4) | (int)((h >> (j + 16)) & 1) << 4) - offset;
    }
}

/* Q4_1 / Q5_1: x = d*q + m (the product rounded, then the add, as ggml's
 * dequantize_row and gguf-py's numpy do) */
static void deq_q4_1(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_1 *b = src;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d), m = F16(b[i].m);
        q_legacy_unpack(b[i].qs, NULL, 0, q);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * q[j] + m;
    }
}

static void deq_q5_0(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_0 *b = src;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d);
        q_legacy_unpack(b[i].qs, b[i].qh, 16, q);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * q[j];
    }
}

static void deq_q5_1(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_1 *b = src;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d), m = F16(b[i].m);
        q_legacy_unpack(b[i].qs, b[i].qh, 0, q);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * q[j] + m;
    }
}

static void deq_q8_1(const void *src, float *dst, int64_t n)
{
    const pd_block_q8_1 *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        float d = F16(b[i].d);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * b[i].qs[j];
    }
}

/* Q4_K: 4 chunks of 64; chunk c: low nibbles of qs[32c..] = sub-block 2c,
 * high nibbles = sub-block 2c+1; value = d*sc*q - dmin*m. */
static void deq_q4_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q4_k *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        float d = F16(b[i].d), dmin = F16(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int c = 0; c < 4; c++, q += 32, dst += 64) {
            int sc0, m0, sc1, m1;
            scale_min_k4(2 * c, b[i].scales, &sc0, &m0);
            scale_min_k4(2 * c + 1, b[i].scales, &sc1, &m1);
            float d0 = d * sc0, o0 = dmin * m0, d1 = d * sc1, o1 = dmin * m1;
            for (int l = 0; l < 32; l++) {
                dst[l] = d0 * (q[l] & 0xf) - o0;
                dst[l + 32] = d1 * (q[l] >> 4) - o1;
            }
        }
    }
}

/* Q5_K: as Q4_K plus a 5th bit: qh[l] bit 2c for sub-block 2c, bit 2c+1
 * for sub-block 2c+1. */
static void deq_q5_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q5_k *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        float d = F16(b[i].d), dmin = F16(b[i].dmin);
        const uint8_t *q = b[i].qs, *qh = b[i].qh;
        for (int c = 0; c < 4; c++, q += 32, dst += 64) {
            int sc0, m0, sc1, m1;
            scale_min_k4(2 * c, b[i].scales, &sc0, &m0);
            scale_min_k4(2 * c + 1, b[i].scales, &sc1, &m1);
            float d0 = d * sc0, o0 = dmin * m0, d1 = d * sc1, o1 = dmin * m1;
            for (int l = 0; l < 32; l++) {
                int lo = (q[l] & 0xf) | (((qh[l] >> (2 * c)) & 1) << 4);
                int hi = (q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
                dst[l] = d0 * lo - o0;
                dst[l + 32] = d1 * hi - o1;
            }
        }
    }
}

/* Q2_K / Q3_K value e's low 2 bits (quant.h's layout) */
static inline int q2_bits(const uint8_t qs[64], int e)
{
    return (qs[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
}

/* Q3_K value e, -4..3: the low bits less 4 where its hmask bit is clear */
static inline int q3_k_value(const pd_block_q3_k *b, int e)
{
    return q2_bits(b->qs, e) - ((b->hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4);
}

/* Q3_K sub-block j's scale, -32..31 */
static inline int q3_k_scale(const uint8_t s[12], int j)
{
    int lo = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
    int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (lo | hi << 4) - 32;
}

/* Q2_K: x = (d*sc)*q - dmin*m, the products rounded as ggml and gguf-py do */
static void deq_q2_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q2_k *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        float d = F16(b[i].d), dmin = F16(b[i].dmin);
        for (int e = 0; e < PD_QK_K; e++) {
            int sm = b[i].scales[e / 16];
            dst[e] = d * (float)(sm & 0xf) * q2_bits(b[i].qs, e) - dmin * (float)(sm >> 4);
        }
    }
}

static void deq_q3_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q3_k *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        float d = F16(b[i].d);
        for (int e = 0; e < PD_QK_K; e++)
            dst[e] = d * (float)q3_k_scale(b[i].scales, e / 16) * q3_k_value(&b[i], e);
    }
}

/* IQ4_NL / IQ4_XS: value j of a 32-value block is the table entry of the
 * low nibble of qs[j] (j < 16) or the high nibble of qs[j - 16] */
static const int8_t k_iq4nl[16] = { PD_IQ4NL_VALUES };

static inline int iq4_value(const uint8_t qs[16], int j)
{
    return k_iq4nl[(j < 16 ? qs[j] : qs[j - 16] >> 4) & 0xf];
}

/* IQ4_XS sub-block j's scale, -32..31 */
static inline int iq4_xs_scale(const pd_block_iq4_xs *b, int j)
{
    return (((b->scales_l[j / 2] >> (4 * (j % 2))) & 0xf) | ((b->scales_h >> (2 * j)) & 3) << 4) - 32;
}

static void deq_iq4_nl(const void *src, float *dst, int64_t n)
{
    const pd_block_iq4_nl *b = src;
    for (int64_t i = 0; i < n / PD_QK_0; i++, dst += PD_QK_0) {
        const float d = F16(b[i].d);
        for (int j = 0; j < PD_QK_0; j++)
            dst[j] = d * (float)iq4_value(b[i].qs, j);
    }
}

/* x = (d*ls)*kv, the product d*ls rounded first as ggml and gguf-py do */
static void deq_iq4_xs(const void *src, float *dst, int64_t n)
{
    const pd_block_iq4_xs *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++)
        for (int j = 0; j < PD_QK_K / 32; j++, dst += 32) {
            const float dl = F16(b[i].d) * (float)iq4_xs_scale(&b[i], j);
            for (int e = 0; e < 32; e++)
                dst[e] = dl * (float)iq4_value(b[i].qs + 16 * j, e);
        }
}

/* IQ2_XS / IQ2_S sub-block j: the grid magnitudes and signs (quant.h) */
static void iq2x_sub(pd_type t, const void *blk, int j, uint8_t mag[32], int8_t sgn[32])
{
    for (int g = 0; g < 4; g++) {
        uint64_t grid;
        int signs;
        if (t == PD_TYPE_IQ2_XS) {
            const uint16_t q = ((const pd_block_iq2_xs *)blk)->qs[4 * j + g];
            grid = pd_iq2xs_grid[q & 511];
            signs = pd_ksigns_iq2xs[q >> 9];
        } else {
            const pd_block_iq2_s *b = blk;
            grid = pd_iq2s_grid[b->qs[4 * j + g] | ((b->qh[j] >> (2 * g)) & 3) << 8];
            signs = b->signs[4 * j + g];
        }
        for (int k = 0; k < 8; k++) {
            mag[8 * g + k] = (uint8_t)(grid >> (8 * k));
            sgn[8 * g + k] = (signs >> k) & 1 ? -1 : 1;
        }
    }
}

/* IQ2_XXS / IQ3_XXS / IQ3_S / IQ2_XS / IQ2_S sub-block j (32 values) of
 * the super-block at blk: the grid magnitudes, the signs (+1 / -1) and the
 * 4-bit scales of its values 0..15 (ls[0]) and 16..31 (ls[1]) (quant.h) */
static void iqxxs_sub(pd_type t, const void *blk, int j, uint8_t mag[32], int8_t sgn[32], int ls[2])
{
    if (t == PD_TYPE_IQ2_XS || t == PD_TYPE_IQ2_S) {
        const uint8_t sc = t == PD_TYPE_IQ2_XS ? ((const pd_block_iq2_xs *)blk)->scales[j]
                                               : ((const pd_block_iq2_s *)blk)->scales[j];
        iq2x_sub(t, blk, j, mag, sgn);
        ls[0] = sc & 0xf;
        ls[1] = sc >> 4;
        return;
    }
    if (t == PD_TYPE_IQ3_S) {
        const pd_block_iq3_s *b = blk;
        for (int e = 0; e < 32; e++) {
            const int q = e / 4, idx = b->qs[8 * j + q] | ((b->qh[j] >> q) & 1) << 8;
            mag[e] = (uint8_t)(pd_iq3s_grid[idx] >> (8 * (e % 4)));
            sgn[e] = (b->signs[4 * j + e / 8] >> (e % 8)) & 1 ? -1 : 1;
        }
        ls[0] = ls[1] = (b->scales[j / 2] >> (4 * (j % 2))) & 0xf;
        return;
    }
    uint32_t ss;        /* the signs-and-scale word */
    if (t == PD_TYPE_IQ2_XXS) {
        const pd_block_iq2_xxs *b = blk;
        uint32_t idx;
        memcpy(&idx, b->qs + 4 * j, 4);
        memcpy(&ss, b->qs + 4 * j + 2, 4);
        for (int e = 0; e < 32; e++)
            mag[e] = (uint8_t)(pd_iq2xxs_grid[(idx >> (e / 8 * 8)) & 0xff] >> (8 * (e % 8)));
    } else {
        const pd_block_iq3_xxs *b = blk;
        memcpy(&ss, b->qs + PD_QK_K / 4 + 4 * j, 4);
        for (int e = 0; e < 32; e++)
            mag[e] = (uint8_t)(pd_iq3xxs_grid[b->qs[8 * j + e / 4]] >> (8 * (e % 4)));
    }
    for (int e = 0; e < 32; e++)
        sgn[e] = (pd_ksigns_iq2xs[(ss >> (7 * (e / 8))) & 127] >> (e % 8)) & 1 ? -1 : 1;
    ls[0] = ls[1] = (int)(ss >> 28);
}

/* x = (d*(0.5 + ls) * 0.25 (IQ2_XXS, IQ2_XS, IQ2_S) or 0.5 (IQ3_XXS), IQ3_S
 * d*(1 + 2*ls)) * grid * sign, rounded as ggml and gguf-py do: the scale's
 * product first, then times the grid value */
static void deq_iqxxs(pd_type t, const void *src, float *dst, int64_t n)
{
    const size_t bytes = pd_type_block_bytes(t);
    const float half = t == PD_TYPE_IQ3_XXS ? 0.5f : 0.25f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)src + (size_t)i * bytes;
        uint16_t hd;
        memcpy(&hd, blk, 2);      /* d leads every block */
        const float d = F16(hd);
        for (int j = 0; j < PD_QK_K / 32; j++, dst += 32) {
            uint8_t mag[32];
            int8_t sgn[32];
            int ls[2];
            iqxxs_sub(t, blk, j, mag, sgn, ls);
            for (int e = 0; e < 32; e++) {
                const int l = ls[e / 16];
                const float db = t == PD_TYPE_IQ3_S ? d * (float)(1 + 2 * l) : d * (0.5f + (float)l) * half;
                dst[e] = db * (float)mag[e] * (float)sgn[e];
            }
        }
    }
}

static void deq_iq2_xxs(const void *src, float *dst, int64_t n) { deq_iqxxs(PD_TYPE_IQ2_XXS, src, dst, n); }
static void deq_iq3_xxs(const void *src, float *dst, int64_t n) { deq_iqxxs(PD_TYPE_IQ3_XXS, src, dst, n); }
static void deq_iq3_s(const void *src, float *dst, int64_t n) { deq_iqxxs(PD_TYPE_IQ3_S, src, dst, n); }
static void deq_iq2_xs(const void *src, float *dst, int64_t n) { deq_iqxxs(PD_TYPE_IQ2_XS, src, dst, n); }
static void deq_iq2_s(const void *src, float *dst, int64_t n) { deq_iqxxs(PD_TYPE_IQ2_S, src, dst, n); }

/* IQ1_S / IQ1_M (quant.h): super-block d (IQ1_M's from the scales' top
 * nibbles), and sub-block j's 32 grid values (-1, 0, 1), its groups' delta
 * signs (+1 / -1) and the 3-bit scales of its two halves of 16 */
static float iq1_d(pd_type t, const void *blk)
{
    uint16_t h;
    if (t == PD_TYPE_IQ1_S) {
        memcpy(&h, blk, 2);
        return F16(h);
    }
    uint16_t sc[4];
    memcpy(sc, ((const pd_block_iq1_m *)blk)->scales, sizeof sc);
    return F16(pd_iq1m_d_bits(sc));
}

static void iq1_sub(pd_type t, const void *blk, int j, int8_t g[32], int dsg[4], int ls[2])
{
    int idx[4];
    if (t == PD_TYPE_IQ1_S) {
        const pd_block_iq1_s *b = blk;
        const unsigned qh = b->qh[j];
        for (int q = 0; q < 4; q++) {
            idx[q] = b->qs[4 * j + q] | ((qh >> (3 * q)) & 7) << 8;
            dsg[q] = qh & 0x8000 ? -1 : 1;
        }
        ls[0] = ls[1] = (qh >> 12) & 7;
    } else {
        const pd_block_iq1_m *b = blk;
        uint16_t sc[4];
        memcpy(sc, b->scales, sizeof sc);
        for (int q = 0; q < 4; q++) {
            const unsigned nib = (b->qh[2 * j + q / 2] >> (4 * (q % 2))) & 15;
            idx[q] = b->qs[4 * j + q] | (nib & 7) << 8;
            dsg[q] = nib & 8 ? -1 : 1;
        }
        ls[0] = (sc[j / 2] >> (6 * (j % 2))) & 7;
        ls[1] = (sc[j / 2] >> (6 * (j % 2) + 3)) & 7;
    }
    for (int e = 0; e < 32; e++)
        g[e] = (int8_t)(pd_iq1s_grid[idx[e / 8]] >> (8 * (e % 8)));
}

/* x = (d * (2*ls + 1)) * (grid + delta), as ggml and gguf-py round it */
static void deq_iq1(pd_type t, const void *src, float *dst, int64_t n)
{
    const size_t bytes = pd_type_block_bytes(t);
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)src + (size_t)i * bytes;
        const float d = iq1_d(t, blk);
        for (int j = 0; j < PD_QK_K / 32; j++, dst += 32) {
            int8_t g[32];
            int dsg[4], ls[2];
            iq1_sub(t, blk, j, g, dsg, ls);
            for (int e = 0; e < 32; e++)
                dst[e] = d * (float)(2 * ls[e / 16] + 1) * ((float)g[e] + 0.125f * (float)dsg[e / 8]);
        }
    }
}

static void deq_iq1_s(const void *src, float *dst, int64_t n) { deq_iq1(PD_TYPE_IQ1_S, src, dst, n); }
static void deq_iq1_m(const void *src, float *dst, int64_t n) { deq_iq1(PD_TYPE_IQ1_M, src, dst, n); }

/* Q6_K block -> 256 signed 6-bit values.  Per half h of 128: element
 * 128h + 32k + l takes its low nibble from ql[64h + l + 32*(k&1)] (low nibble
 * for k < 2, high for k >= 2) and its 2 high bits from qh[32h + l] >> 2k. */
static void q6_k_unpack(const pd_block_q6_k *b, int8_t q[PD_QK_K])
{
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 32; l++) {
                int ql = b->ql[64 * h + l + 32 * (k & 1)];
                int lo = k < 2 ? (ql & 0xf) : (ql >> 4);
                int hi = (b->qh[32 * h + l] >> (2 * k)) & 3;
                q[128 * h + 32 * k + l] = (int8_t)((lo | (hi << 4)) - 32);
            }
}

static void deq_q6_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q6_k *b = src;
    int8_t q[PD_QK_K];
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K) {
        float d = F16(b[i].d);
        q6_k_unpack(&b[i], q);
        for (int e = 0; e < PD_QK_K; e++)
            dst[e] = d * b[i].scales[e / 16] * q[e];
    }
}

static void deq_q8_k(const void *src, float *dst, int64_t n)
{
    const pd_block_q8_k *b = src;
    for (int64_t i = 0; i < n / PD_QK_K; i++, dst += PD_QK_K)
        for (int j = 0; j < PD_QK_K; j++)
            dst[j] = b[i].d * b[i].qs[j];
}

/* ========================================================================
 * Quantize
 * ======================================================================== */
static void qnt_f32(const float *src, void *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

static void qnt_f16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = pd_f32_to_fp16(src[i]);
}

static void qnt_bf16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = pd_f32_to_bf16(src[i]);
}

/* Q8_0 exactly as llama.cpp's x86 CPU backend quantizes activations
 * (quantize_row_q8_0 in ggml-cpu/arch/x86): d = amax/127 stored as fp16,
 * q = x * (127/amax) rounded half to even.  ggml's generic reference differs
 * only at exact .5 ties (roundf, x * (1/d)); x86 is what the oracle ran. */
static void qnt_q8_0(const float *src, void *dst, int64_t n)
{
    pd_block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        float amax = 0.0f;
        for (int j = 0; j < PD_QK_0; j++)
            amax = maxf(amax, fabsf(src[j]));
        b[i].d = pd_f32_to_fp16(amax / 127.f);
        float id = amax != 0.0f ? 127.f / amax : 0.0f;
        for (int j = 0; j < PD_QK_0; j++)
            b[i].qs[j] = (int8_t)rint_i8(src[j] * id);
    }
}

/* Q8_1 exactly as llama.cpp's x86 CPU backend (quantize_row_q8_1 in
 * ggml-cpu/arch/x86): Q8_0's rule, and s = fp16(d * sum(qs)) with d the
 * float amax/127 before its rounding to fp16. */
static void qnt_q8_1(const float *src, void *dst, int64_t n)
{
    pd_block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        float amax = 0.0f;
        for (int j = 0; j < PD_QK_0; j++)
            amax = maxf(amax, fabsf(src[j]));
        const float d = amax / 127.f;
        float id = amax != 0.0f ? 127.f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < PD_QK_0; j++) {
            b[i].qs[j] = (int8_t)rint_i8(src[j] * id);
            sum += b[i].qs[j];
        }
        b[i].d = pd_f32_to_fp16(d);
        b[i].s = pd_f32_to_fp16(d * (float)sum);
    }
}

/* Pack 32 quants of 5 bits (element order) into Q5_0/Q5_1 qs and qh. */
static void pack_q5(const int q[32], uint8_t qs[16], uint8_t qh[4])
{
    uint32_t h = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0xf) | (q[j + 16] & 0xf) << 4);
        h |= (uint32_t)(q[j] >> 4 & 1) << j | (uint32_t)(q[j + 16] >> 4 & 1) << (j + 16);
    }
    for (int k = 0; k < 4; k++)
        qh[k] = (uint8_t)(h >> (8 * k));
}

/* Q4_1 / Q5_1 as ggml's quantize_row_q4_1_ref / _q5_1_ref: d = (max -
 * min)/nmax, m = min, q = (x - min)/d + 0.5 truncated, at most nmax. */
static void qnt_minmax(const float *x, int nmax, uint16_t *pd, uint16_t *pm, int q[32])
{
    float min = INFINITY, max = -INFINITY;
    for (int j = 0; j < PD_QK_0; j++) {
        min = x[j] < min ? x[j] : min;
        max = x[j] > max ? x[j] : max;
    }
    const float d = (max - min) / nmax;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    *pd = pd_f32_to_fp16(d);
    *pm = pd_f32_to_fp16(min);
    for (int j = 0; j < PD_QK_0; j++) {
        const float v = (x[j] - min) * id;
        const int t = (int)(v + 0.5f);
        q[j] = t < nmax ? t : nmax;
    }
}

static void qnt_q4_1(const float *src, void *dst, int64_t n)
{
    pd_block_q4_1 *b = dst;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        qnt_minmax(src, 15, &b[i].d, &b[i].m, q);
        for (int j = 0; j < 16; j++)
            b[i].qs[j] = (uint8_t)(q[j] | q[j + 16] << 4);
    }
}

static void qnt_q5_1(const float *src, void *dst, int64_t n)
{
    pd_block_q5_1 *b = dst;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        qnt_minmax(src, 31, &b[i].d, &b[i].m, q);
        pack_q5(q, b[i].qs, b[i].qh);
    }
}

/* Q5_0 as ggml's quantize_row_q5_0_ref: d = max/-16 from the signed value
 * of largest magnitude, q = x/d + 16.5 truncated, at most 31. */
static void qnt_q5_0(const float *src, void *dst, int64_t n)
{
    pd_block_q5_0 *b = dst;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < PD_QK_0; j++)
            if (fabsf(src[j]) > amax) {
                amax = fabsf(src[j]);
                max = src[j];
            }
        const float d = max / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = pd_f32_to_fp16(d);
        for (int j = 0; j < PD_QK_0; j++) {
            const float v = src[j] * id;
            const int t = (int)(v + 16.5f);
            q[j] = t < 31 ? t : 31;
        }
        pack_q5(q, b[i].qs, b[i].qh);
    }
}

/* Q8_K exactly as ggml's quantize_row_q8_K_ref (used by its x86 backend):
 * scale from the signed value of largest magnitude, iscale = -127/max,
 * nearest_int, clamp at 127, 16-element sums, d = 1/iscale. */
static void qnt_q8_k(const float *src, void *dst, int64_t n)
{
    pd_block_q8_k *b = dst;
    for (int64_t i = 0; i < n / PD_QK_K; i++, src += PD_QK_K) {
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < PD_QK_K; j++) {
            float ax = fabsf(src[j]);
            if (ax > amax) {
                amax = ax;
                max = src[j];
            }
        }
        if (amax == 0.0f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        float iscale = -127.f / max;
        for (int j = 0; j < PD_QK_K; j++) {
            /* = nearest_int, immune to fma contraction */
            b[i].qs[j] = (int8_t)rint_i8(iscale * src[j]);
        }
        for (int j = 0; j < PD_QK_K / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += b[i].qs[16 * j + l];
            b[i].bsums[j] = (int16_t)s;
        }
        b[i].d = 1 / iscale;
    }
}

/* Q4_0 as ggml's quantize_row_q4_0_ref: d = max/-8 from the signed value of
 * largest magnitude. */
static void qnt_q4_0(const float *src, void *dst, int64_t n)
{
    pd_block_q4_0 *b = dst;
    for (int64_t i = 0; i < n / PD_QK_0; i++, src += PD_QK_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < PD_QK_0; j++)
            if (fabsf(src[j]) > amax) {
                amax = fabsf(src[j]);
                max = src[j];
            }
        float d = max / -8;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = pd_f32_to_fp16(d);
        for (int j = 0; j < 16; j++) {
            int x0 = clampi((int)(src[j] * id + 8.5f), 0, 15);
            int x1 = clampi((int)(src[j + 16] * id + 8.5f), 0, 15);
            b[i].qs[j] = (uint8_t)(x0 | (x1 << 4));
        }
    }
}

/* Q4_K / Q5_K (nmax 15 or 31): min-max per 32-element sub-block, 6-bit
 * scales and mins relative to the super-block's d and dmin.  L receives the
 * 256 unsigned quants; not ggml's rmse search, but valid and close. */
static void qnt_kmin(const float *x, int nmax, uint16_t *pd, uint16_t *pdmin,
                     uint8_t scales[12], uint8_t L[PD_QK_K])
{
    float sc[8], mn[8], max_sc = 0.0f, max_mn = 0.0f;
    for (int j = 0; j < 8; j++) {
        float lo = 0.0f, hi = 0.0f;
        for (int l = 0; l < 32; l++) {
            lo = minf(lo, x[32 * j + l]);
            hi = maxf(hi, x[32 * j + l]);
        }
        sc[j] = (hi - lo) / nmax;
        mn[j] = -lo;
        max_sc = maxf(max_sc, sc[j]);
        max_mn = maxf(max_mn, mn[j]);
    }
    *pd = pd_f32_to_fp16(max_sc / 63);
    *pdmin = pd_f32_to_fp16(max_mn / 63);
    float d = F16(*pd), dmin = F16(*pdmin);
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        ls[j] = (uint8_t)(d > 0 ? clampi(nearest_int(sc[j] / d), 0, 63) : 0);
        lm[j] = (uint8_t)(dmin > 0 ? clampi(nearest_int(mn[j] / dmin), 0, 63) : 0);
        float de = d * ls[j], dm = dmin * lm[j];
        float ide = de > 0 ? 1.0f / de : 0.0f;   /* q = 0 everywhere when de = 0 */
        for (int l = 0; l < 32; l++) {
            int q = nearest_int((x[32 * j + l] + dm) * ide);
            L[32 * j + l] = (uint8_t)clampi(q, 0, nmax);
        }
    }
    pack_scale_min_k4(ls, lm, scales);
}

static void qnt_q4_k(const float *src, void *dst, int64_t n)
{
    pd_block_q4_k *b = dst;
    uint8_t L[PD_QK_K];
    for (int64_t i = 0; i < n / PD_QK_K; i++, src += PD_QK_K) {
        qnt_kmin(src, 15, &b[i].d, &b[i].dmin, b[i].scales, L);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                b[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

static void qnt_q5_k(const float *src, void *dst, int64_t n)
{
    pd_block_q5_k *b = dst;
    uint8_t L[PD_QK_K];
    for (int64_t i = 0; i < n / PD_QK_K; i++, src += PD_QK_K) {
        qnt_kmin(src, 31, &b[i].d, &b[i].dmin, b[i].scales, L);
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) {
                int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                b[i].qs[32 * c + l] = (uint8_t)((lo & 0xf) | ((hi & 0xf) << 4));
                b[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
    }
}

/* Q6_K: per 16 elements a signed scale mapping the largest-magnitude value
 * to -32 (as ggml), 8-bit scales relative to the super-block d. */
static void qnt_q6_k(const float *src, void *dst, int64_t n)
{
    pd_block_q6_k *b = dst;
    for (int64_t i = 0; i < n / PD_QK_K; i++, src += PD_QK_K) {
        float sc[16], max_sc = 0.0f, amax_sc = 0.0f;
        for (int j = 0; j < 16; j++) {
            float amax = 0.0f, max = 0.0f;
            for (int l = 0; l < 16; l++)
                if (fabsf(src[16 * j + l]) > amax) {
                    amax = fabsf(src[16 * j + l]);
                    max = src[16 * j + l];
                }
            sc[j] = max / -32;
            if (fabsf(sc[j]) > amax_sc) {
                amax_sc = fabsf(sc[j]);
                max_sc = sc[j];
            }
        }
        memset(&b[i], 0, sizeof b[i]);
        if (amax_sc == 0.0f) {
            memset(b[i].ql, 0, sizeof b[i].ql);
            memset(b[i].qh, 0xaa, sizeof b[i].qh);  /* every value 32 -> 0 */
            continue;
        }
        float iscale = -128.f / max_sc;
        b[i].d = pd_f32_to_fp16(1 / iscale);
        float d = F16(b[i].d);
        for (int j = 0; j < 16; j++) {
            int s = clampi(nearest_int(iscale * sc[j]), -128, 127);
            b[i].scales[j] = (int8_t)s;
            float ids = d * s != 0 ? 1.0f / (d * s) : 0.0f;
            for (int l = 0; l < 16; l++) {
                int e = 16 * j + l;
                int q = nearest_int(src[e] * ids);
                q = clampi(q, -32, 31) + 32;
                int h = e / 128, k = (e % 128) / 32, r = e % 32;
                uint8_t *ql = &b[i].ql[64 * h + r + 32 * (k & 1)];
                *ql |= (uint8_t)(k < 2 ? (q & 0xf) : ((q & 0xf) << 4));
                b[i].qh[32 * h + r] |= (uint8_t)((q >> 4) << (2 * k));
            }
        }
    }
}

/* ========================================================================
 * Dot products (weights . activations in the vec_dot format)
 * ======================================================================== */
/* F32 with n % 16 == 0 in the order of llamafile's tinyBLAS on AVX-512
 * (quant.h): every level computes exactly this. */
static float dot_f32_tinyblas(int64_t n, const float *a, const float *b)
{
    float l16[16] = { 0 };
    for (int64_t i = 0; i < n; i += 16)
        for (int l = 0; l < 16; l++)
            l16[l] = fmaf(a[i + l], b[i + l], l16[l]);
    return pd_reduce16(l16);
}

static float dot_f32(int64_t n, const void *w, const void *x)
{
    const float *a = w, *b = x;
    if (n % 16 == 0)
        return dot_f32_tinyblas(n, a, b);
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return (float)s;
}

static float dot_f16(int64_t n, const void *w, const void *x)
{
    const uint16_t *a = w, *b = x;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += F16(a[i]) * F16(b[i]);
    return (float)s;
}

static float dot_bf16(int64_t n, const void *w, const void *x)
{
    const uint16_t *a = w, *b = x;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += pd_bf16_to_f32(a[i]) * pd_bf16_to_f32(b[i]);
    return (float)s;
}

static float dot_q8_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q8_0 *a = w, *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        int si = 0;
        for (int j = 0; j < PD_QK_0; j++)
            si += a[i].qs[j] * b[i].qs[j];
        s += si * (F16(a[i].d) * F16(b[i].d));
    }
    return s;
}

static float dot_q4_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q4_0 *a = w;
    const pd_block_q8_0 *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        int si = 0;
        for (int j = 0; j < 16; j++)
            si += ((a[i].qs[j] & 0xf) - 8) * b[i].qs[j]
                + ((a[i].qs[j] >> 4) - 8) * b[i].qs[j + 16];
        s += si * (F16(a[i].d) * F16(b[i].d));
    }
    return s;
}

/* ---- Q4_1 / Q5_0 / Q5_1 in the order of ggml's AVX2 vec_dot (quant.h) ---- */

/* hsum_float_8's order: upper 4 lanes + lower 4, then (0 + 2) + (1 + 3) */
static inline float reduce8(const float v[8])
{
    float t4[4];
    for (int l = 0; l < 4; l++)
        t4[l] = v[l + 4] + v[l];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

/* One block into the 8 lanes: lane l holds the exact integer sum of the
 * products of elements 4l..4l+3 (maddubs + madd), then acc[l] += d * that
 * as one fma, d = dx*dy rounded. */
static inline void lanes8_fma(float acc[8], float d, const int q[32], const int8_t y[32])
{
    for (int l = 0; l < 8; l++) {
        int s = 0;
        for (int j = 4 * l; j < 4 * l + 4; j++)
            s += q[j] * y[j];
        acc[l] = fmaf(d, (float)s, acc[l]);
    }
}

static float dot_q5_0(int64_t n, const void *w, const void *x)
{
    const pd_block_q5_0 *a = w;
    const pd_block_q8_0 *b = x;
    float acc[8] = { 0 };
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        q_legacy_unpack(a[i].qs, a[i].qh, 16, q);
        lanes8_fma(acc, F16(a[i].d) * F16(b[i].d), q, b[i].qs);
    }
    return reduce8(acc);
}

/* Q4_1 / Q5_1 . Q8_1: the unsigned quants' lanes as above, plus sum m * s
 * over the blocks in a float (llama.cpp's build contracts ggml's
 * `summs += m * s` into an fma), added last. */
static float dot_q4_1(int64_t n, const void *w, const void *x)
{
    const pd_block_q4_1 *a = w;
    const pd_block_q8_1 *b = x;
    float acc[8] = { 0 }, summs = 0.0f;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        summs = fmaf(F16(a[i].m), F16(b[i].s), summs);
        q_legacy_unpack(a[i].qs, NULL, 0, q);
        lanes8_fma(acc, F16(a[i].d) * F16(b[i].d), q, b[i].qs);
    }
    return reduce8(acc) + summs;
}

static float dot_q5_1(int64_t n, const void *w, const void *x)
{
    const pd_block_q5_1 *a = w;
    const pd_block_q8_1 *b = x;
    float acc[8] = { 0 }, summs = 0.0f;
    int q[32];
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        summs = fmaf(F16(a[i].m), F16(b[i].s), summs);
        q_legacy_unpack(a[i].qs, a[i].qh, 0, q);
        lanes8_fma(acc, F16(a[i].d) * F16(b[i].d), q, b[i].qs);
    }
    return reduce8(acc) + summs;
}

/* Q8_1 . Q8_1 (ggml has none; for completeness, as Q8_0's) */
static float dot_q8_1(int64_t n, const void *w, const void *x)
{
    const pd_block_q8_1 *a = w, *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_0; i++) {
        int si = 0;
        for (int j = 0; j < PD_QK_0; j++)
            si += a[i].qs[j] * b[i].qs[j];
        s += si * (F16(a[i].d) * F16(b[i].d));
    }
    return s;
}

/* K-quants with (scale, min): the integer sums are exact; per block
 * sum = d*dx*sum_j(sc_j * q.x_j) - dmin*dx*sum_j(m_j * bsum_j). */
static float dot_q4_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q4_k *a = w;
    const pd_block_q8_k *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            scale_min_k4(j, a[i].scales, &sc, &m);
            const uint8_t *q = a[i].qs + 32 * (j / 2);
            const int8_t *y = b[i].qs + 32 * j;
            int si = 0;
            for (int l = 0; l < 32; l++)
                si += (j & 1 ? q[l] >> 4 : q[l] & 0xf) * y[l];
            isum += sc * si;
            msum += m * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
        }
        s += F16(a[i].d) * b[i].d * isum - F16(a[i].dmin) * b[i].d * msum;
    }
    return s;
}

static float dot_q5_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q5_k *a = w;
    const pd_block_q8_k *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            scale_min_k4(j, a[i].scales, &sc, &m);
            const uint8_t *q = a[i].qs + 32 * (j / 2);
            const int8_t *y = b[i].qs + 32 * j;
            int si = 0;
            for (int l = 0; l < 32; l++) {
                int v = (j & 1 ? q[l] >> 4 : q[l] & 0xf) | (((a[i].qh[l] >> j) & 1) << 4);
                si += v * y[l];
            }
            isum += sc * si;
            msum += m * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
        }
        s += F16(a[i].d) * b[i].d * isum - F16(a[i].dmin) * b[i].d * msum;
    }
    return s;
}

/* ---- Q2_K / Q3_K in the order of ggml's AVX2 vec_dot (quant.h) ---- */

/* Value e of a super-block goes to lane e % 32 / 4 */
static inline void q23_lanes(int32_t lane[8], int e, int sc, int q, int y)
{
    lane[e % 32 / 4] += sc * q * y;
}

static float dot_q2_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q2_k *a = w;
    const pd_block_q8_k *b = x;
    float acc[8] = { 0 };
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const float d = b[i].d * F16(a[i].d), dmin = -b[i].d * F16(a[i].dmin);
        int32_t lane[8] = { 0 };
        for (int e = 0; e < PD_QK_K; e++)
            q23_lanes(lane, e, a[i].scales[e / 16] & 0xf, q2_bits(a[i].qs, e), b[i].qs[e]);
        for (int l = 0; l < 8; l++) {
            int32_t mins = (a[i].scales[2 * l] >> 4) * b[i].bsums[2 * l]
                         + (a[i].scales[2 * l + 1] >> 4) * b[i].bsums[2 * l + 1];
            acc[l] = fmaf(dmin, (float)mins, acc[l]);
            acc[l] = fmaf(d, (float)lane[l], acc[l]);
        }
    }
    return reduce8(acc);
}

static float dot_q3_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q3_k *a = w;
    const pd_block_q8_k *b = x;
    float acc[8] = { 0 };
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const float d = b[i].d * F16(a[i].d);
        int32_t lane[8] = { 0 };
        for (int e = 0; e < PD_QK_K; e++)
            q23_lanes(lane, e, q3_k_scale(a[i].scales, e / 16), q3_k_value(&a[i], e), b[i].qs[e]);
        for (int l = 0; l < 8; l++)
            acc[l] = fmaf(d, (float)lane[l], acc[l]);
    }
    return reduce8(acc);
}

/* ---- IQ4_NL / IQ4_XS in the order of ggml's AVX2 vec_dot (quant.h) ---- */

/* lane l += exact sum over values 4l..4l+3 of scale * kv * y (32 values) */
static inline void iq4_lanes(int32_t lane[8], const uint8_t qs[16], int scale, const int8_t y[32])
{
    for (int e = 0; e < 32; e++)
        lane[e / 4] += scale * iq4_value(qs, e) * y[e];
}

static float dot_iq4_nl(int64_t n, const void *w, const void *x)
{
    const pd_block_iq4_nl *a = w;
    const pd_block_q8_0 *b = x;
    const int64_t nb = n / PD_QK_0;
    float acc[2][8] = { { 0 } };
    int64_t i = 0;
    for (; i < (nb & ~(int64_t)1); i++) {    /* blocks in pairs */
        int32_t lane[8] = { 0 };
        iq4_lanes(lane, a[i].qs, 1, b[i].qs);
        const float d = F16(b[i].d) * F16(a[i].d);
        for (int l = 0; l < 8; l++)
            acc[i % 2][l] = fmaf(d, (float)lane[l], acc[i % 2][l]);
    }
    for (int l = 0; l < 8; l++)
        acc[0][l] += acc[1][l];
    float s = reduce8(acc[0]);
    if (i < nb) {       /* the odd block out: ggml's scalar tail */
        int32_t lane[8] = { 0 }, sum = 0;
        iq4_lanes(lane, a[i].qs, 1, b[i].qs);
        for (int l = 0; l < 8; l++)
            sum += lane[l];
        /* rounded before the add (llama.cpp's build does not fuse this
         * one); volatile keeps a build with FMA from contracting it */
        volatile float p = F16(b[i].d) * F16(a[i].d) * (float)sum;
        s += p;
    }
    return s;
}

static float dot_iq4_xs(int64_t n, const void *w, const void *x)
{
    const pd_block_iq4_xs *a = w;
    const pd_block_q8_k *b = x;
    float acc[8] = { 0 };
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t lane[8] = { 0 };
        for (int j = 0; j < PD_QK_K / 32; j++)
            iq4_lanes(lane, a[i].qs + 16 * j, iq4_xs_scale(&a[i], j), b[i].qs + 32 * j);
        const float d = F16(a[i].d) * b[i].d;
        for (int l = 0; l < 8; l++)
            acc[l] = fmaf(d, (float)lane[l], acc[l]);
    }
    return reduce8(acc);
}

/* ---- IQ2_XXS / IQ3_XXS / IQ3_S / IQ2_XS / IQ2_S in the order of ggml's AVX2 vec_dot (quant.h) ---- */

static float dot_iqxxs(pd_type t, int64_t n, const void *w, const void *x)
{
    const size_t bytes = pd_type_block_bytes(t);
    const pd_block_q8_k *b = x;
    float acc[8] = { 0 };
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)w + (size_t)i * bytes;
        int32_t lane[8] = { 0 };
        for (int j = 0; j < PD_QK_K / 32; j++) {
            uint8_t mag[32];
            int8_t sgn[32];
            int ls[2];
            iqxxs_sub(t, blk, j, mag, sgn, ls);
            for (int e = 0; e < 32; e++)
                lane[e / 4] += (2 * ls[e / 16] + 1) * mag[e] * sgn[e] * b[i].qs[32 * j + e];
        }
        uint16_t hd;
        memcpy(&hd, blk, 2);
        const float d = F16(hd) * b[i].d;
        for (int l = 0; l < 8; l++)
            acc[l] = fmaf(d, (float)lane[l], acc[l]);
    }
    if (t == PD_TYPE_IQ3_S)
        return reduce8(acc);
    return (t == PD_TYPE_IQ3_XXS ? 0.25f : 0.125f) * reduce8(acc);
}

static float dot_iq2_xxs(int64_t n, const void *w, const void *x) { return dot_iqxxs(PD_TYPE_IQ2_XXS, n, w, x); }
static float dot_iq3_xxs(int64_t n, const void *w, const void *x) { return dot_iqxxs(PD_TYPE_IQ3_XXS, n, w, x); }
static float dot_iq3_s(int64_t n, const void *w, const void *x) { return dot_iqxxs(PD_TYPE_IQ3_S, n, w, x); }
static float dot_iq2_xs(int64_t n, const void *w, const void *x) { return dot_iqxxs(PD_TYPE_IQ2_XS, n, w, x); }
static float dot_iq2_s(int64_t n, const void *w, const void *x) { return dot_iqxxs(PD_TYPE_IQ2_S, n, w, x); }

/* ---- IQ1_S / IQ1_M in the order of ggml's AVX2 vec_dot (quant.h) ---- */

static float dot_iq1(pd_type t, int64_t n, const void *w, const void *x)
{
    const size_t bytes = pd_type_block_bytes(t);
    const pd_block_q8_k *b = x;
    float acc[8] = { 0 }, acc2[8] = { 0 }, acc1 = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        const void *blk = (const char *)w + (size_t)i * bytes;
        int32_t lane[8] = { 0 }, lane2[8] = { 0 }, sumi1 = 0;
        for (int j = 0; j < PD_QK_K / 32; j++) {
            int8_t g[32];
            int dsg[4], ls[2];
            iq1_sub(t, blk, j, g, dsg, ls);
            for (int e = 0; e < 32; e++) {
                const int ls2 = 2 * ls[e / 16] + 1, y = b[i].qs[32 * j + e];
                lane[e / 4] += ls2 * g[e] * y;
                lane2[e / 4] += ls2 * dsg[e / 8] * y;
            }
            /* IQ1_S: the deltas' part from the Q8_K block's sums */
            sumi1 += (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]) * dsg[0] * (2 * ls[0] + 1);
        }
        const float d = b[i].d * iq1_d(t, blk);
        for (int l = 0; l < 8; l++) {
            acc[l] = fmaf(d, (float)lane[l], acc[l]);
            acc2[l] = fmaf(d, (float)lane2[l], acc2[l]);
        }
        acc1 = fmaf(d, (float)sumi1, acc1);
    }
    if (t == PD_TYPE_IQ1_S)
        return reduce8(acc) + 0.125f * acc1;
    return reduce8(acc) + 0.125f * reduce8(acc2);
}

static float dot_iq1_s(int64_t n, const void *w, const void *x) { return dot_iq1(PD_TYPE_IQ1_S, n, w, x); }
static float dot_iq1_m(int64_t n, const void *w, const void *x) { return dot_iq1(PD_TYPE_IQ1_M, n, w, x); }

static float dot_q6_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q6_k *a = w;
    const pd_block_q8_k *b = x;
    float s = 0.0f;
    int8_t q[PD_QK_K];
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t isum = 0;
        q6_k_unpack(&a[i], q);
        for (int j = 0; j < 16; j++) {
            int si = 0;
            for (int l = 0; l < 16; l++)
                si += q[16 * j + l] * b[i].qs[16 * j + l];
            isum += a[i].scales[j] * si;
        }
        s += F16(a[i].d) * b[i].d * isum;
    }
    return s;
}

static float dot_q8_k(int64_t n, const void *w, const void *x)
{
    const pd_block_q8_k *a = w, *b = x;
    float s = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t si = 0;
        for (int j = 0; j < PD_QK_K; j++)
            si += a[i].qs[j] * b[i].qs[j];
        s += a[i].d * b[i].d * si;
    }
    return s;
}

/* ========================================================================
 * Q4_K x Q8_K in the float order of llama.cpp's repacked kernels (quant.h)
 * ======================================================================== */
/* Integer sums of one super-block per 64-value pair p (sub-blocks 2p and
 * 2p+1): isum[p] = sum_j sc_j * (q4 . q8)_j, msum[p] = sum_j m_j * bsum_j. */
static void q4k_pair_sums(const pd_block_q4_k *a, const pd_block_q8_k *b, int32_t isum[4], int32_t msum[4])
{
    for (int p = 0; p < 4; p++) {
        int sc0, m0, sc1, m1;
        scale_min_k4(2 * p, a->scales, &sc0, &m0);
        scale_min_k4(2 * p + 1, a->scales, &sc1, &m1);
        int32_t lo = 0, hi = 0;
        for (int l = 0; l < 32; l++) {
            lo += (a->qs[32 * p + l] & 15) * b->qs[64 * p + l];
            hi += (a->qs[32 * p + l] >> 4) * b->qs[64 * p + 32 + l];
        }
        isum[p] = sc0 * lo + sc1 * hi;
        msum[p] = m0 * (b->bsums[4 * p] + b->bsums[4 * p + 1])
                + m1 * (b->bsums[4 * p + 2] + b->bsums[4 * p + 3]);
    }
}

/* One row . one column: scales and mins in two running float sums over the
 * whole row, one fma per super-block (gemv) or per pair (gemm), the
 * products d*dy and dmin*dy rounded first; the mins subtracted last. */
static float dot_q4_k_ordered(int64_t n, const pd_block_q4_k *a, const pd_block_q8_k *b, bool gemm)
{
    float acc = 0.0f, accm = 0.0f;
    for (int64_t i = 0; i < n / PD_QK_K; i++) {
        int32_t isum[4], msum[4];
        q4k_pair_sums(&a[i], &b[i], isum, msum);
        const float dd = F16(a[i].d) * b[i].d;
        const float dm = F16(a[i].dmin) * b[i].d;
        if (gemm) {
            for (int p = 0; p < 4; p++) {
                acc = fmaf((float)isum[p], dd, acc);
                accm = fmaf((float)msum[p], dm, accm);
            }
        } else {
            acc = fmaf((float)(isum[0] + isum[1] + isum[2] + isum[3]), dd, acc);
            accm = fmaf((float)(msum[0] + msum[1] + msum[2] + msum[3]), dm, accm);
        }
    }
    return acc - accm;
}

static void tile_q4_k_ordered(int64_t n, const void *w, size_t ws, int nr,
                              const void *x, size_t xs, int nc, float *out, size_t os, bool gemm)
{
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++)
            out[(size_t)c * os + (size_t)r] = dot_q4_k_ordered(n,
                (const pd_block_q4_k *)((const char *)w + (size_t)r * ws),
                (const pd_block_q8_k *)((const char *)x + (size_t)c * xs), gemm);
}

static void q4k_gemv(int64_t n, const void *w, size_t ws, int nr,
                     const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_q4_k_ordered(n, w, ws, nr, x, xs, nc, out, os, false);
}

static void q4k_gemm(int64_t n, const void *w, size_t ws, int nr,
                     const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_q4_k_ordered(n, w, ws, nr, x, xs, nc, out, os, true);
}

/* ========================================================================
 * Table and public reference entry points
 * ======================================================================== */
void pd_quant_kernels_ref(pd_quant_kernels *k)
{
    memset(k, 0, sizeof *k);
    k->name = "scalar";
#define PD_REF_SET(T, s) do { k->dot[T] = dot_##s; k->dequantize[T] = deq_##s; \
                              k->quantize[T] = qnt_##s; } while (0)
    PD_REF_SET(PD_TYPE_F32, f32);
    PD_REF_SET(PD_TYPE_F16, f16);
    PD_REF_SET(PD_TYPE_BF16, bf16);
    PD_REF_SET(PD_TYPE_Q8_0, q8_0);
    PD_REF_SET(PD_TYPE_Q4_0, q4_0);
    PD_REF_SET(PD_TYPE_Q4_1, q4_1);
    PD_REF_SET(PD_TYPE_Q5_0, q5_0);
    PD_REF_SET(PD_TYPE_Q5_1, q5_1);
    PD_REF_SET(PD_TYPE_Q8_1, q8_1);
    k->dot[PD_TYPE_Q2_K] = dot_q2_k;   /* no quantizer: llama-quantize makes them */
    k->dequantize[PD_TYPE_Q2_K] = deq_q2_k;
    k->dot[PD_TYPE_Q3_K] = dot_q3_k;
    k->dequantize[PD_TYPE_Q3_K] = deq_q3_k;
    k->dot[PD_TYPE_IQ4_NL] = dot_iq4_nl;   /* no quantizer either */
    k->dequantize[PD_TYPE_IQ4_NL] = deq_iq4_nl;
    k->dot[PD_TYPE_IQ4_XS] = dot_iq4_xs;
    k->dequantize[PD_TYPE_IQ4_XS] = deq_iq4_xs;
    k->dot[PD_TYPE_IQ2_XXS] = dot_iq2_xxs;
    k->dequantize[PD_TYPE_IQ2_XXS] = deq_iq2_xxs;
    k->dot[PD_TYPE_IQ3_XXS] = dot_iq3_xxs;
    k->dequantize[PD_TYPE_IQ3_XXS] = deq_iq3_xxs;
    k->dot[PD_TYPE_IQ3_S] = dot_iq3_s;
    k->dequantize[PD_TYPE_IQ3_S] = deq_iq3_s;
    k->dot[PD_TYPE_IQ2_XS] = dot_iq2_xs;
    k->dequantize[PD_TYPE_IQ2_XS] = deq_iq2_xs;
    k->dot[PD_TYPE_IQ2_S] = dot_iq2_s;
    k->dequantize[PD_TYPE_IQ2_S] = deq_iq2_s;
    k->dot[PD_TYPE_IQ1_S] = dot_iq1_s;
    k->dequantize[PD_TYPE_IQ1_S] = deq_iq1_s;
    k->dot[PD_TYPE_IQ1_M] = dot_iq1_m;
    k->dequantize[PD_TYPE_IQ1_M] = deq_iq1_m;
    PD_REF_SET(PD_TYPE_Q4_K, q4_k);
    PD_REF_SET(PD_TYPE_Q5_K, q5_k);
    PD_REF_SET(PD_TYPE_Q6_K, q6_k);
    PD_REF_SET(PD_TYPE_Q8_K, q8_k);
#undef PD_REF_SET
    k->q4k_gemv = q4k_gemv;
    k->q4k_gemm = q4k_gemm;
    k->q4k8_gemv = pd_q4k8_gemv_ref;
    k->q4k8_gemm = pd_q4k8_gemm_ref;
}

static const pd_quant_kernels *ref_table(void)
{
    const pd_quant_kernels *k = pd_quant_kernels_get(PD_SIMD_SCALAR);
    return k;
}

static bool ref_ok(pd_type t)
{
    return (unsigned)t < PD_TYPE_COUNT && pd_type_supported(t);
}

void pd_dequantize_row_ref(pd_type t, const void *src, float *dst, int64_t n)
{
    if (ref_ok(t))
        ref_table()->dequantize[t](src, dst, n);
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = NAN;
}

void pd_quantize_row_ref(pd_type t, const float *src, void *dst, int64_t n)
{
    if (ref_ok(t) && ref_table()->quantize[t])
        ref_table()->quantize[t](src, dst, n);
}

float pd_vec_dot_ref(pd_type t, int64_t n, const void *w, const void *x)
{
    return ref_ok(t) ? ref_table()->dot[t](n, w, x) : NAN;
}

void pd_vec_dot_tile_ref(pd_type t, int64_t n, const void *w, size_t w_stride, int nr,
                         const void *x, size_t x_stride, int nc, float *out, size_t out_stride)
{
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++)
            out[(size_t)c * out_stride + (size_t)r] = pd_vec_dot_ref(t, n,
                (const char *)w + (size_t)r * w_stride, (const char *)x + (size_t)c * x_stride);
}
