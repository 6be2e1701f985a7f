// quant.cuh - block formats on the device: the per-element decoders used to
// dequantize weight tiles, and the 32-value integer dot products of the
// mat-vec kernels. Layouts byte-exact with quant.h (ggml); the CPU's
// scalar reference (src/quant_ref.c) is the specification.
//
// Everything here is __host__ __device__: tests/unit/test_cuda_quant runs the
// same decoders on the CPU against quant_ref.c, so the block layouts are
// checked on machines without a GPU. The integer intrinsics have host
// equivalents below.
#pragma once

#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <string.h>

#define CU_HD __host__ __device__ __forceinline__

// The i-quant grids and sign table (src/iq_grids.h): the host reads its
// arrays; the device a copy in each translation unit (static __device__).
#include "iq_grids.h"
#ifdef __CUDACC__
namespace cu_grid {
#undef PD_IQ_GRIDS_H
#undef PD_IQ_TABLE
#define PD_IQ_TABLE static const __device__ __attribute__((unused))
#include "iq_grids.h"
#undef PD_IQ_TABLE
}
#endif
#ifdef __CUDA_ARCH__
#define CU_GRID(name) cu_grid::name
#else
#define CU_GRID(name) name
#endif
#ifdef __CUDA_ARCH__
#define CU_UNROLL _Pragma("unroll")
#else
#define CU_UNROLL   // the host compiler has no such pragma
#endif

// __dp4a: c + the sum of the four signed byte products of a and b.
CU_HD int cu_dp4a(int a, int b, int c)
{
#ifdef __CUDA_ARCH__
    return __dp4a(a, b, c);
#else
    for (int i = 0; i < 4; i++)
        c += (int8_t)(a >> 8 * i) * (int8_t)(b >> 8 * i);
    return c;
#endif
}

// __vsubss4: per signed byte a - b, saturated to [-128, 127].
CU_HD int cu_vsubss4(int a, int b)
{
#ifdef __CUDA_ARCH__
    return __vsubss4(a, b);
#else
    uint32_t r = 0;
    for (int i = 0; i < 4; i++) {
        int v = (int8_t)(a >> 8 * i) - (int8_t)(b >> 8 * i);
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        r |= (uint32_t)(uint8_t)v << 8 * i;
    }
    return (int)r;
#endif
}

CU_HD float cu_h2f(const uint8_t *p)
{
    uint16_t h = (uint16_t)(p[0] | (p[1] << 8));
    return __half2float(__ushort_as_half(h));
}

// The float whose bits are i (__int_as_float; a copy on the host).
CU_HD float cu_i2f(int i)
{
#ifdef __CUDA_ARCH__
    return __int_as_float(i);
#else
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
#endif
}

CU_HD float cu_bf2f(uint16_t h)
{
    return cu_i2f((int)((uint32_t)h << 16));
}

// 6-bit (scale, min) pair j of a Q4_K/Q5_K super-block (see quant_ref.c).
CU_HD void cu_scale_min_k4(int j, const uint8_t *q, int *sc, int *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

CU_HD int cu_ld32(const uint8_t *p)   // 4-byte aligned
{
    return *(const int *)p;
}

CU_HD int cu_ld32_u16(const uint8_t *p)  // 2-byte aligned
{
    const uint16_t *h = (const uint16_t *)p;
    return (int)((uint32_t)h[0] | ((uint32_t)h[1] << 16));
}

// ---------------------------------------------------------------------------
// Element i of a row, as F32 (the CPU's dequantize order of operations)
// ---------------------------------------------------------------------------
template <int T> CU_HD float cu_deq(const uint8_t *row, int64_t i);

template <> CU_HD float cu_deq<PD_TYPE_F32>(const uint8_t *row, int64_t i)
{
    return ((const float *)row)[i];
}
template <> CU_HD float cu_deq<PD_TYPE_F16>(const uint8_t *row, int64_t i)
{
    return __half2float(((const __half *)row)[i]);
}
template <> CU_HD float cu_deq<PD_TYPE_BF16>(const uint8_t *row, int64_t i)
{
    return cu_bf2f(((const uint16_t *)row)[i]);
}
template <> CU_HD float cu_deq<PD_TYPE_Q8_0>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 34 * (i / 32);
    return cu_h2f(b) * (float)(int8_t)b[2 + i % 32];
}
// Element j (< 32) of a 32-value block's 16 nibble bytes (Q4_0, Q4_1, and
// the low four bits of Q5_0, Q5_1): j < 16 the low nibbles, then the high.
CU_HD int cu_nibble(const uint8_t *qs, int j)
{
    return j < 16 ? (qs[j] & 0xf) : (qs[j - 16] >> 4);
}
template <> CU_HD float cu_deq<PD_TYPE_Q4_0>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 18 * (i / 32);
    const int j = (int)(i % 32);
    return cu_h2f(b) * (float)(cu_nibble(b + 2, j) - 8);
}
// Q5_0 (22 B: d, qh[4], qs[16]) and Q5_1 (24 B: d, m, qh[4], qs[16]): bit j
// of the little-endian qh is element j's 5th bit.
CU_HD uint32_t cu_q5_high(const uint8_t *qh)
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}
// element j of a Q5 block, 0..31
CU_HD int cu_q5(const uint8_t *qh, const uint8_t *qs, int j)
{
    return cu_nibble(qs, j) | (int)((cu_q5_high(qh) >> j) & 1) << 4;
}
template <> CU_HD float cu_deq<PD_TYPE_Q5_0>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 22 * (i / 32);
    const int j = (int)(i % 32);
    return cu_h2f(b) * (float)(cu_q5(b + 2, b + 6, j) - 16);
}
// Q4_1 (20 B: d, m, qs[16]) and Q5_1: x = d*q + m,
// the product rounded before the add (as the CPU: nvcc -fmad=false).
template <> CU_HD float cu_deq<PD_TYPE_Q4_1>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 20 * (i / 32);
    const int j = (int)(i % 32);
    return cu_h2f(b) * (float)cu_nibble(b + 4, j) + cu_h2f(b + 2);
}
template <> CU_HD float cu_deq<PD_TYPE_Q5_1>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 24 * (i / 32);
    const int j = (int)(i % 32);
    return cu_h2f(b) * (float)cu_q5(b + 4, b + 8, j) + cu_h2f(b + 2);
}
template <> CU_HD float cu_deq<PD_TYPE_Q4_K>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 144 * (i / 256);
    const int e = (int)(i % 256), c = e / 64, l = e % 32, hi = (e % 64) >= 32;
    int sc, m;
    cu_scale_min_k4(2 * c + hi, b + 4, &sc, &m);
    const uint8_t qb = b[16 + 32 * c + l];
    const int q = hi ? qb >> 4 : qb & 0xf;
    return cu_h2f(b) * sc * q - cu_h2f(b + 2) * m;
}
template <> CU_HD float cu_deq<PD_TYPE_Q5_K>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 176 * (i / 256);
    const int e = (int)(i % 256), c = e / 64, l = e % 32, hi = (e % 64) >= 32;
    int sc, m;
    cu_scale_min_k4(2 * c + hi, b + 4, &sc, &m);
    const uint8_t qb = b[48 + 32 * c + l];
    const int q = (hi ? qb >> 4 : qb & 0xf) | (((b[16 + l] >> (2 * c + hi)) & 1) << 4);
    return cu_h2f(b) * sc * q - cu_h2f(b + 2) * m;
}
// Q2_K (84 B: scales[16] (scale | min << 4), qs[64], d, dmin) and Q3_K
// (110 B: hmask[32], qs[64], scales[12], d): value e's two low bits are
// bits 2j..2j+1 of qs[32h + l], e = 128h + 32j + l; Q3_K's third bit is
// bit 4h + j of hmask[l], clear meaning 4 less; sub-block e / 16.
CU_HD int cu_q2_bits(const uint8_t *qs, int e)
{
    return (qs[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
}
// Q3_K sub-block j's scale, -32..31: 4 low bits from bytes 0..7, 2 high from 8..11
CU_HD int cu_q3_scale(const uint8_t *s, int j)
{
    const int lo = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
    const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (lo | hi << 4) - 32;
}
template <> CU_HD float cu_deq<PD_TYPE_Q2_K>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 84 * (i / 256);
    const int e = (int)(i % 256), sm = b[e / 16];
    return cu_h2f(b + 80) * (float)(sm & 0xf) * (float)cu_q2_bits(b + 16, e)
         - cu_h2f(b + 82) * (float)(sm >> 4);
}
template <> CU_HD float cu_deq<PD_TYPE_Q3_K>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 110 * (i / 256);
    const int e = (int)(i % 256);
    const int q = cu_q2_bits(b + 32, e) - ((b[e % 32] >> (e / 32)) & 1 ? 0 : 4);
    return cu_h2f(b + 108) * (float)cu_q3_scale(b + 96, e / 16) * (float)q;
}
// IQ4_NL (18 B: d, qs[16]) and IQ4_XS (136 B: d, scales_h, scales_l[4],
// qs[128]): value j of a 32-value block is the table entry (ggml's
// kvalues_iq4nl) of the low nibble of qs[j] (j < 16) or the high nibble of
// qs[j - 16]; IQ4_XS's 8 sub-blocks of 32 have 6-bit scales less 32.
static const int8_t cu_iq4nl_h[16] = { PD_IQ4NL_VALUES };
#ifdef __CUDACC__
static __constant__ int8_t cu_iq4nl_d[16] = { PD_IQ4NL_VALUES };
#endif
#ifdef __CUDA_ARCH__
#define CU_IQ4NL cu_iq4nl_d
#else
#define CU_IQ4NL cu_iq4nl_h
#endif
CU_HD int cu_iq4_value(const uint8_t *qs, int j)
{
    return CU_IQ4NL[(j < 16 ? qs[j] : qs[j - 16] >> 4) & 0xf];
}
CU_HD int cu_iq4_xs_scale(const uint8_t *b, int j)
{
    const int sh = b[2] | b[3] << 8;
    return (((b[4 + j / 2] >> (4 * (j % 2))) & 0xf) | ((sh >> (2 * j)) & 3) << 4) - 32;
}
template <> CU_HD float cu_deq<PD_TYPE_IQ4_NL>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 18 * (i / 32);
    return cu_h2f(b) * (float)cu_iq4_value(b + 2, (int)(i % 32));
}
template <> CU_HD float cu_deq<PD_TYPE_IQ4_XS>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 136 * (i / 256);
    const int e = (int)(i % 256), j = e / 32;
    const float dl = cu_h2f(b) * (float)cu_iq4_xs_scale(b, j);
    return dl * (float)cu_iq4_value(b + 8 + 16 * j, e % 32);
}
// IQ2_XXS (66 B), IQ2_XS (74), IQ2_S (82), IQ3_XXS (98), IQ3_S (110): d, then
// 8 sub-blocks of 32 values whose magnitudes come from a grid and whose
// signs from a sign table or stored bits (src/quant.h has each layout).
// Element e (< 32) of sub-block j: its magnitude times its sign; *ls the
// 4-bit scale of its half.
template <int T> CU_HD int cu_iqg_value(const uint8_t *b, int j, int e, int *ls)
{
    uint64_t grid;
    int signs, idx;
    if (T == PD_TYPE_IQ2_XXS || T == PD_TYPE_IQ3_XXS) {
        const int off = T == PD_TYPE_IQ2_XXS ? 2 + 8 * j + 4 : 2 + 64 + 4 * j;
        const uint32_t ss = (uint32_t)cu_ld32_u16(b + off);   // signs and scale
        *ls = (int)(ss >> 28);
        signs = CU_GRID(pd_ksigns_iq2xs)[(ss >> (7 * (e / 8))) & 127];
        if (T == PD_TYPE_IQ2_XXS) {
            idx = b[2 + 8 * j + e / 8];
            grid = CU_GRID(pd_iq2xxs_grid)[idx] >> (8 * (e % 8));
        } else {
            grid = CU_GRID(pd_iq3xxs_grid)[b[2 + 8 * j + e / 4]] >> (8 * (e % 4));
        }
    } else if (T == PD_TYPE_IQ3_S) {
        idx = b[2 + 8 * j + e / 4] | ((b[66 + j] >> (e / 4)) & 1) << 8;
        grid = CU_GRID(pd_iq3s_grid)[idx] >> (8 * (e % 4));
        signs = b[74 + 4 * j + e / 8];
        *ls = (b[106 + j / 2] >> (4 * (j % 2))) & 0xf;
    } else if (T == PD_TYPE_IQ2_XS) {
        const int q = b[2 + 2 * (4 * j + e / 8)] | b[3 + 2 * (4 * j + e / 8)] << 8;
        grid = CU_GRID(pd_iq2xs_grid)[q & 511] >> (8 * (e % 8));
        signs = CU_GRID(pd_ksigns_iq2xs)[q >> 9];
        *ls = (b[66 + j] >> (4 * (e / 16))) & 0xf;
    } else {   // IQ2_S
        const int g = e / 8;
        idx = b[2 + 4 * j + g] | ((b[66 + j] >> (2 * g)) & 3) << 8;
        grid = CU_GRID(pd_iq2s_grid)[idx] >> (8 * (e % 8));
        signs = b[34 + 4 * j + g];
        *ls = (b[74 + j] >> (4 * (e / 16))) & 0xf;
    }
    const int mag = (int)(grid & 0xff);
    return (signs >> (e % 8)) & 1 ? -mag : mag;
}

template <int T> CU_HD int cu_iqg_bytes(void)
{
    return T == PD_TYPE_IQ2_XXS ? 66 : T == PD_TYPE_IQ2_XS ? 74 : T == PD_TYPE_IQ2_S ? 82
         : T == PD_TYPE_IQ3_XXS ? 98 : 110;
}

// x = (d * (0.5 + ls) * 0.25 (IQ2_*) or 0.5 (IQ3_XXS), IQ3_S d * (1 + 2 ls))
// * value: the CPU reference's roundings (deq_iqxxs)
template <int T> CU_HD float cu_deq_iqg(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + cu_iqg_bytes<T>() * (i / 256);
    const int e = (int)(i % 256);
    int ls;
    const int v = cu_iqg_value<T>(b, e / 32, e % 32, &ls);
    const float d = cu_h2f(b);
    const float db = T == PD_TYPE_IQ3_S ? d * (float)(1 + 2 * ls)
                   : d * (0.5f + (float)ls) * (T == PD_TYPE_IQ3_XXS ? 0.5f : 0.25f);
    return db * (float)v;
}
template <> CU_HD float cu_deq<PD_TYPE_IQ2_XXS>(const uint8_t *row, int64_t i) { return cu_deq_iqg<PD_TYPE_IQ2_XXS>(row, i); }
template <> CU_HD float cu_deq<PD_TYPE_IQ2_XS>(const uint8_t *row, int64_t i) { return cu_deq_iqg<PD_TYPE_IQ2_XS>(row, i); }
template <> CU_HD float cu_deq<PD_TYPE_IQ2_S>(const uint8_t *row, int64_t i) { return cu_deq_iqg<PD_TYPE_IQ2_S>(row, i); }
template <> CU_HD float cu_deq<PD_TYPE_IQ3_XXS>(const uint8_t *row, int64_t i) { return cu_deq_iqg<PD_TYPE_IQ3_XXS>(row, i); }
template <> CU_HD float cu_deq<PD_TYPE_IQ3_S>(const uint8_t *row, int64_t i) { return cu_deq_iqg<PD_TYPE_IQ3_S>(row, i); }

// IQ1_S (50 B: d, qs[32], qh[8] u16) and IQ1_M (56 B: qs[32], qh[16],
// scales[8]; d spread over the scale words' top nibbles): groups of 8 values
// -1, 0, 1 from pd_iq1s_grid plus a delta of +-1/8, x = d (2 ls + 1)
// (grid + delta) (src/quant.h). Group q (< 4) of sub-block j: its grid
// entry, *dsg its delta's sign.
template <int T> CU_HD int cu_iq1_group(const uint8_t *b, int j, int q, int *dsg)
{
    if (T == PD_TYPE_IQ1_S) {
        const int qh = b[34 + 2 * j] | b[35 + 2 * j] << 8;
        *dsg = qh & 0x8000 ? -1 : 1;
        return b[2 + 4 * j + q] | ((qh >> (3 * q)) & 7) << 8;
    }
    const int nib = (b[32 + 2 * j + q / 2] >> (4 * (q % 2))) & 15;
    *dsg = nib & 8 ? -1 : 1;
    return b[4 * j + q] | (nib & 7) << 8;
}
// sub-block j's 3-bit scales of its values 0..15 and 16..31
template <int T> CU_HD void cu_iq1_scales(const uint8_t *b, int j, int ls[2])
{
    if (T == PD_TYPE_IQ1_S) {
        ls[0] = ls[1] = (b[35 + 2 * j] >> 4) & 7;   // bits 12..14 of qh[j]
        return;
    }
    const int sc = b[48 + 2 * (j / 2)] | b[49 + 2 * (j / 2)] << 8;
    ls[0] = (sc >> (6 * (j % 2))) & 7;
    ls[1] = (sc >> (6 * (j % 2) + 3)) & 7;
}
template <int T> CU_HD float cu_iq1_d(const uint8_t *b)
{
    if (T == PD_TYPE_IQ1_S)
        return cu_h2f(b);
    uint8_t h[2];   // bits 4k..4k+3 of d are bits 12..15 of scale word k
    h[0] = (uint8_t)(b[49] >> 4 | (b[51] & 0xf0));
    h[1] = (uint8_t)(b[53] >> 4 | (b[55] & 0xf0));
    return cu_h2f(h);
}
template <int T> CU_HD float cu_deq_iq1(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + (T == PD_TYPE_IQ1_S ? 50 : 56) * (i / 256);
    const int e = (int)(i % 256), j = e / 32, el = e % 32;
    int dsg, ls[2];
    const int idx = cu_iq1_group<T>(b, j, el / 8, &dsg);
    cu_iq1_scales<T>(b, j, ls);
    const int g = (int8_t)(CU_GRID(pd_iq1s_grid)[idx] >> (8 * (el % 8)));
    return cu_iq1_d<T>(b) * (float)(2 * ls[el / 16] + 1) * ((float)g + 0.125f * (float)dsg);
}
template <> CU_HD float cu_deq<PD_TYPE_IQ1_S>(const uint8_t *row, int64_t i) { return cu_deq_iq1<PD_TYPE_IQ1_S>(row, i); }
template <> CU_HD float cu_deq<PD_TYPE_IQ1_M>(const uint8_t *row, int64_t i) { return cu_deq_iq1<PD_TYPE_IQ1_M>(row, i); }

template <> CU_HD float cu_deq<PD_TYPE_Q6_K>(const uint8_t *row, int64_t i)
{
    const uint8_t *b = row + 210 * (i / 256);
    const int e = (int)(i % 256), h = e / 128, k = (e % 128) / 32, l = e % 32;
    const int ql = b[64 * h + l + 32 * (k & 1)];
    const int lo = k < 2 ? (ql & 0xf) : (ql >> 4);
    const int hb = (b[128 + 32 * h + l] >> (2 * k)) & 3;
    return cu_h2f(b + 208) * (float)(int8_t)b[192 + e / 16] * (float)((lo | (hb << 4)) - 32);
}

// ---------------------------------------------------------------------------
// Dot product of weight unit u (32 values) with activation quants xq (32
// int8, 16-byte aligned), xd its scale, xs the sum of its quants.
// ---------------------------------------------------------------------------
template <int T> CU_HD float cu_dot32(const uint8_t *row, int64_t u, const int8_t *xq,
                                           float xd, int xs);

CU_HD void cu_load_x(const int8_t *xq, int x[8])
{
    const int4 a = ((const int4 *)xq)[0], b = ((const int4 *)xq)[1];
    x[0] = a.x; x[1] = a.y; x[2] = a.z; x[3] = a.w;
    x[4] = b.x; x[5] = b.y; x[6] = b.z; x[7] = b.w;
}

template <> CU_HD float cu_dot32<PD_TYPE_Q8_0>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 34 * u;
    int x[8], si = 0;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++)
        si = cu_dp4a(cu_ld32_u16(b + 2 + 4 * i), x[i], si);
    return (float)si * (cu_h2f(b) * xd);
}

template <> CU_HD float cu_dot32<PD_TYPE_Q4_0>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 18 * u;
    int x[8], si = 0;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 4; i++) {   // bytes 4i..4i+3: elements 4i.. (low) and 16+4i.. (high)
        const int w = cu_ld32_u16(b + 2 + 4 * i);
        si = cu_dp4a(w & 0x0f0f0f0f, x[i], si);
        si = cu_dp4a((w >> 4) & 0x0f0f0f0f, x[4 + i], si);
    }
    si -= 8 * xs;
    return (float)si * (cu_h2f(b) * xd);
}

// Four bits (b & 15) spread to bit 4 of four bytes: the 5th bits of four
// consecutive Q5 elements.
CU_HD int cu_spread4(uint32_t b)
{
    return (int)(((b & 1) | (b & 2) << 7 | (b & 4) << 14 | (b & 8) << 21) << 4);
}


// Q8_1 activations (Q4_1, Q5_1): xd is d, and xs carries the bits of the
// float fp16(d * sum of the quants) (ggml's s) instead of the sum.

// The 32 quants of a Q4_1/Q5_1 block (0..31) against x: the integer sum.
CU_HD int cu_dot_u32(const uint8_t *qs, uint32_t h, bool five, const int x[8])
{
    int si = 0;
CU_UNROLL
    for (int i = 0; i < 4; i++) {
        const int w = cu_ld32_u16(qs + 4 * i);
        int lo = w & 0x0f0f0f0f, hi = (w >> 4) & 0x0f0f0f0f;
        if (five) {
            lo |= cu_spread4(h >> (4 * i));
            hi |= cu_spread4(h >> (16 + 4 * i));
        }
        si = cu_dp4a(lo, x[i], si);
        si = cu_dp4a(hi, x[4 + i], si);
    }
    return si;
}

// Q5_0 on Q8_0 activations: the quants are 0..31 - 16, so sum (q - 16) x =
// sum q x - 16 * (the sum of the x quants).
template <> CU_HD float cu_dot32<PD_TYPE_Q5_0>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 22 * u;
    int x[8];
    cu_load_x(xq, x);
    const int si = cu_dot_u32(b + 6, cu_q5_high(b + 2), true, x) - 16 * xs;
    return (float)si * (cu_h2f(b) * xd);
}

template <> CU_HD float cu_dot32<PD_TYPE_Q4_1>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 20 * u;
    int x[8];
    cu_load_x(xq, x);
    const int si = cu_dot_u32(b + 4, 0, false, x);
    return (float)si * (cu_h2f(b) * xd) + cu_h2f(b + 2) * cu_i2f(xs);
}

template <> CU_HD float cu_dot32<PD_TYPE_Q5_1>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 24 * u;
    const uint32_t h = cu_q5_high(b + 4);
    int x[8];
    cu_load_x(xq, x);
    const int si = cu_dot_u32(b + 8, h, true, x);
    return (float)si * (cu_h2f(b) * xd) + cu_h2f(b + 2) * cu_i2f(xs);
}

template <> CU_HD float cu_dot32<PD_TYPE_Q4_K>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 144 * (u / 8);
    const int j = (int)(u % 8), shift = 4 * (j & 1);
    const uint8_t *q = b + 16 + 32 * (j / 2);
    int x[8], si = 0, sc, m;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++)
        si = cu_dp4a((cu_ld32(q + 4 * i) >> shift) & 0x0f0f0f0f, x[i], si);
    cu_scale_min_k4(j, b + 4, &sc, &m);
    return cu_h2f(b) * xd * (float)(sc * si) - cu_h2f(b + 2) * xd * (float)(m * xs);
}

template <> CU_HD float cu_dot32<PD_TYPE_Q5_K>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    const uint8_t *b = row + 176 * (u / 8);
    const int j = (int)(u % 8), shift = 4 * (j & 1);
    const uint8_t *q = b + 48 + 32 * (j / 2), *qh = b + 16;
    int x[8], si = 0, sc, m;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++) {
        const int lo = (cu_ld32(q + 4 * i) >> shift) & 0x0f0f0f0f;
        const int hi = ((cu_ld32(qh + 4 * i) >> j) & 0x01010101) << 4;
        si = cu_dp4a(lo | hi, x[i], si);
    }
    cu_scale_min_k4(j, b + 4, &sc, &m);
    return cu_h2f(b) * xd * (float)(sc * si) - cu_h2f(b + 2) * xd * (float)(m * xs);
}

// Q2_K unit u: values 32j + l (l < 32) of half h of block u / 8 (j = u % 4,
// h = u % 8 / 4), two sub-blocks of 16 with their own scale and min
template <> CU_HD float cu_dot32<PD_TYPE_Q2_K>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 84 * (u / 8);
    const int j = (int)(u % 4), h = (int)(u % 8 / 4), s0 = 8 * h + 2 * j;
    const uint8_t *q = b + 16 + 32 * h;
    int x[8], si0 = 0, si1 = 0, xs0 = 0, xs1 = 0;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++) {
        const int v = (cu_ld32(q + 4 * i) >> (2 * j)) & 0x03030303;
        if (i < 4) {
            si0 = cu_dp4a(v, x[i], si0);
            xs0 = cu_dp4a(0x01010101, x[i], xs0);
        } else {
            si1 = cu_dp4a(v, x[i], si1);
            xs1 = cu_dp4a(0x01010101, x[i], xs1);
        }
    }
    const int sc = (b[s0] & 0xf) * si0 + (b[s0 + 1] & 0xf) * si1;
    const int m = (b[s0] >> 4) * xs0 + (b[s0 + 1] >> 4) * xs1;
    return cu_h2f(b + 80) * xd * (float)sc - cu_h2f(b + 82) * xd * (float)m;
}

// Q3_K unit u: as Q2_K's, the third bits from hmask (2-byte aligned blocks)
template <> CU_HD float cu_dot32<PD_TYPE_Q3_K>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 110 * (u / 8);
    const int j = (int)(u % 4), h = (int)(u % 8 / 4), bit = 4 * h + j;
    const uint8_t *q = b + 32 + 32 * h;
    int x[8], si0 = 0, si1 = 0;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++) {
        const int lo = (cu_ld32_u16(q + 4 * i) >> (2 * j)) & 0x03030303;
        const int clear = ~(cu_ld32_u16(b + 4 * i) >> bit) & 0x01010101;   // 4 less where clear
        const int v = cu_vsubss4(lo, clear << 2);
        if (i < 4)
            si0 = cu_dp4a(v, x[i], si0);
        else
            si1 = cu_dp4a(v, x[i], si1);
    }
    const int sc = cu_q3_scale(b + 96, 2 * (u % 8)) * si0 + cu_q3_scale(b + 96, 2 * (u % 8) + 1) * si1;
    return cu_h2f(b + 108) * xd * (float)sc;
}

// the integer dot of a 32-value IQ4 block's table values with x (bytes 4i..4i+3 of x[i])
CU_HD int cu_iq4_dot(const uint8_t *qs, const int x[8])
{
    int si = 0;
CU_UNROLL
    for (int i = 0; i < 8; i++) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++)
            v |= (uint32_t)(uint8_t)cu_iq4_value(qs, 4 * i + k) << (8 * k);
        si = cu_dp4a((int)v, x[i], si);
    }
    return si;
}

template <> CU_HD float cu_dot32<PD_TYPE_IQ4_NL>(const uint8_t *row, int64_t u,
                                                      const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 18 * u;
    int x[8];
    cu_load_x(xq, x);
    return (float)cu_iq4_dot(b + 2, x) * (cu_h2f(b) * xd);
}

template <> CU_HD float cu_dot32<PD_TYPE_IQ4_XS>(const uint8_t *row, int64_t u,
                                                      const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 136 * (u / 8);
    const int j = (int)(u % 8);
    int x[8];
    cu_load_x(xq, x);
    return cu_h2f(b) * xd * (float)(cu_iq4_xs_scale(b, j) * cu_iq4_dot(b + 8 + 16 * j, x));
}

// IQ2_XXS..IQ3_S unit u: the two halves' integer sums, each times 2 ls + 1,
// then d * xd and the format's factor (1/8 IQ2_*, 1/4 IQ3_XXS, 1 IQ3_S)
template <int T> CU_HD float cu_dot32_iqg(const uint8_t *row, int64_t u, const int8_t *xq, float xd)
{
    const uint8_t *b = row + cu_iqg_bytes<T>() * (u / 8);
    const int j = (int)(u % 8);
    int si[2] = { 0, 0 }, ls[2] = { 0, 0 };
    for (int e = 0; e < 32; e++)
        si[e / 16] += cu_iqg_value<T>(b, j, e, &ls[e / 16]) * xq[e];
    const float f = T == PD_TYPE_IQ3_S ? 1.0f : T == PD_TYPE_IQ3_XXS ? 0.25f : 0.125f;
    return cu_h2f(b) * xd * (float)((2 * ls[0] + 1) * si[0] + (2 * ls[1] + 1) * si[1]) * f;
}
#define CU_DOT32_IQG(T) \
    template <> CU_HD float cu_dot32<T>(const uint8_t *row, int64_t u, const int8_t *xq, float xd, int xs) \
    { (void)xs; return cu_dot32_iqg<T>(row, u, xq, xd); }
CU_DOT32_IQG(PD_TYPE_IQ2_XXS)
CU_DOT32_IQG(PD_TYPE_IQ2_XS)
CU_DOT32_IQG(PD_TYPE_IQ2_S)
CU_DOT32_IQG(PD_TYPE_IQ3_XXS)
CU_DOT32_IQG(PD_TYPE_IQ3_S)

// IQ1_S / IQ1_M unit u: per group 8 * (grid . y) + delta sign * (sum of y),
// per half times 2 ls + 1, then d * xd / 8
template <int T> CU_HD float cu_dot32_iq1(const uint8_t *row, int64_t u, const int8_t *xq, float xd)
{
    const uint8_t *b = row + (T == PD_TYPE_IQ1_S ? 50 : 56) * (u / 8);
    const int j = (int)(u % 8);
    int s[2] = { 0, 0 }, ls[2];
    for (int q = 0; q < 4; q++) {
        int dsg, gy = 0, sy = 0;
        const uint64_t grid = CU_GRID(pd_iq1s_grid)[cu_iq1_group<T>(b, j, q, &dsg)];
        for (int k = 0; k < 8; k++) {
            gy += (int8_t)(grid >> (8 * k)) * xq[8 * q + k];
            sy += xq[8 * q + k];
        }
        s[q / 2] += 8 * gy + dsg * sy;
    }
    cu_iq1_scales<T>(b, j, ls);
    return cu_iq1_d<T>(b) * xd * (float)((2 * ls[0] + 1) * s[0] + (2 * ls[1] + 1) * s[1]) * 0.125f;
}
#define CU_DOT32_IQ1(T) \
    template <> CU_HD float cu_dot32<T>(const uint8_t *row, int64_t u, const int8_t *xq, float xd, int xs) \
    { (void)xs; return cu_dot32_iq1<T>(row, u, xq, xd); }
CU_DOT32_IQ1(PD_TYPE_IQ1_S)
CU_DOT32_IQ1(PD_TYPE_IQ1_M)

template <> CU_HD float cu_dot32<PD_TYPE_Q6_K>(const uint8_t *row, int64_t u,
                                                    const int8_t *xq, float xd, int xs)
{
    (void)xs;
    const uint8_t *b = row + 210 * (u / 8);
    const int j = (int)(u % 8), h = j / 4, k = j % 4;
    const uint8_t *ql = b + 64 * h + 32 * (k & 1), *qh = b + 128 + 32 * h;
    const int shift = k < 2 ? 0 : 4;
    int x[8], si0 = 0, si1 = 0;
    cu_load_x(xq, x);
CU_UNROLL
    for (int i = 0; i < 8; i++) {
        const int lo = (cu_ld32_u16(ql + 4 * i) >> shift) & 0x0f0f0f0f;
        const int hi = ((cu_ld32_u16(qh + 4 * i) >> (2 * k)) & 0x03030303) << 4;
        const int v = cu_vsubss4(lo | hi, 0x20202020);   // 6-bit values - 32, per byte
        if (i < 4)
            si0 = cu_dp4a(v, x[i], si0);
        else
            si1 = cu_dp4a(v, x[i], si1);
    }
    const int sc0 = (int8_t)b[192 + 2 * j], sc1 = (int8_t)b[192 + 2 * j + 1];
    return cu_h2f(b + 208) * xd * (float)(sc0 * si0 + sc1 * si1);
}
