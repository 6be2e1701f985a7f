/* avx512_emu.h - the AVX-512 instructions that ponder's AVX-512 level uses,
 * written in AVX2 with the same results, so that the level's code
 * (quant_avx2.c built with PD_VNNI and PD_REGS32, and quant_x86_wide.inc's
 * 512-bit tiles) runs and is tested on a machine without AVX-512: three on
 * 256-bit vectors, and the 512-bit ones as pairs of 256-bit halves.
 * Force-included (-include) into the emulated build of src/cpu/quant_avx512.c,
 * which also sets PD_EMULATE_AVX512.
 */
#ifndef PD_AVX512_EMU_H
#define PD_AVX512_EMU_H

#include <immintrin.h>
#include <stdint.h>

/* vpdpbusd: acc + the sum of 4 adjacent u8*s8 products per i32 lane, with no
 * intermediate saturation (unlike maddubs): each u8*s8 product fits in i16,
 * so even and odd bytes are multiplied in 16-bit lanes and pair-summed. */
static inline __m256i emu_dpbusd_epi32(__m256i acc, __m256i u, __m256i s)
{
    const __m256i low = _mm256_set1_epi16(0x00ff), one = _mm256_set1_epi16(1);
    __m256i u_even = _mm256_and_si256(u, low), u_odd = _mm256_srli_epi16(u, 8);
    __m256i s_even = _mm256_srai_epi16(_mm256_slli_epi16(s, 8), 8);
    __m256i s_odd = _mm256_srai_epi16(s, 8);
    __m256i even = _mm256_madd_epi16(_mm256_mullo_epi16(u_even, s_even), one);
    __m256i odd = _mm256_madd_epi16(_mm256_mullo_epi16(u_odd, s_odd), one);
    return _mm256_add_epi32(acc, _mm256_add_epi32(even, odd));
}

/* GCC defines the VNNI intrinsics as macros */
#undef _mm256_dpbusd_epi32
#undef _mm256_dpwssd_epi32
#undef _mm256_permutexvar_epi32
#define _mm256_dpbusd_epi32(acc, u, s) emu_dpbusd_epi32(acc, u, s)
/* vpdpwssd: acc + a0*b0 + a1*b1 per i32 lane, modulo 2^32 as madd's sum */
#define _mm256_dpwssd_epi32(acc, a, b) _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
/* vpermd with the index first */
#define _mm256_permutexvar_epi32(idx, a) _mm256_permutevar8x32_epi32(a, idx)

/* ---- 512-bit vectors as two halves (quant_x86_wide.inc) ---------------------- */
typedef struct { __m256i lo, hi; } emu_m512i;
typedef struct { __m256 lo, hi; } emu_m512;
#define __m512i emu_m512i
#define __m512 emu_m512

static inline emu_m512i emu_i2(__m256i lo, __m256i hi) { emu_m512i v = { lo, hi }; return v; }
static inline emu_m512 emu_f2(__m256 lo, __m256 hi) { emu_m512 v = { lo, hi }; return v; }

/* bit i of m (32 bits) as byte i: 0xff or 0 */
static inline __m256i emu_mask_bytes(uint32_t m)
{
    const __m256i which = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                           2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)m), which);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bits), bits);
}

static inline __m128i emu_lane128(emu_m512i v, int i)
{
    __m256i h = i < 2 ? v.lo : v.hi;
    return i % 2 ? _mm256_extracti128_si256(h, 1) : _mm256_castsi256_si128(h);
}

static inline __m256i emu_join128(__m128i lo, __m128i hi)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

static inline emu_m512i emu_shuffle_i64x2(emu_m512i a, emu_m512i b, int imm)
{
    return emu_i2(emu_join128(emu_lane128(a, imm & 3), emu_lane128(a, imm >> 2 & 3)),
                  emu_join128(emu_lane128(b, imm >> 4 & 3), emu_lane128(b, imm >> 6 & 3)));
}

/* vectors given element by element, the last argument first (as _mm512_set_*) */
static inline emu_m512i emu_from_i32(const int32_t e[16])
{
    return emu_i2(_mm256_loadu_si256((const __m256i *)(const void *)e),
                  _mm256_loadu_si256((const __m256i *)(const void *)(e + 8)));
}

static inline emu_m512i emu_set_epi32(int e15, int e14, int e13, int e12, int e11, int e10, int e9, int e8,
                                      int e7, int e6, int e5, int e4, int e3, int e2, int e1, int e0)
{
    const int32_t e[16] = { e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15 };
    return emu_from_i32(e);
}

static inline emu_m512i emu_set_epi16(short e31, short e30, short e29, short e28, short e27, short e26,
                                      short e25, short e24, short e23, short e22, short e21, short e20,
                                      short e19, short e18, short e17, short e16, short e15, short e14,
                                      short e13, short e12, short e11, short e10, short e9, short e8,
                                      short e7, short e6, short e5, short e4, short e3, short e2,
                                      short e1, short e0)
{
    return emu_i2(_mm256_set_epi16(e15, e14, e13, e12, e11, e10, e9, e8, e7, e6, e5, e4, e3, e2, e1, e0),
                  _mm256_set_epi16(e31, e30, e29, e28, e27, e26, e25, e24, e23, e22, e21, e20, e19,
                                   e18, e17, e16));
}

/* vpermw: r[i] = a[idx[i] mod 32] */
static inline emu_m512i emu_permutexvar_epi16(emu_m512i idx, emu_m512i a)
{
    int16_t s[32], ix[32], r[32];
    _mm256_storeu_si256((__m256i *)(void *)s, a.lo);
    _mm256_storeu_si256((__m256i *)(void *)(s + 16), a.hi);
    _mm256_storeu_si256((__m256i *)(void *)ix, idx.lo);
    _mm256_storeu_si256((__m256i *)(void *)(ix + 16), idx.hi);
    for (int i = 0; i < 32; i++)
        r[i] = s[ix[i] & 31];
    return emu_i2(_mm256_loadu_si256((const __m256i *)(const void *)r),
                  _mm256_loadu_si256((const __m256i *)(const void *)(r + 16)));
}

/* vpermt2d: r[i] = (a, b)[idx[i] mod 32], a the first 16 */
static inline emu_m512i emu_permutex2var_epi32(emu_m512i a, emu_m512i idx, emu_m512i b)
{
    int32_t s[32], ix[16], r[16];
    _mm256_storeu_si256((__m256i *)(void *)s, a.lo);
    _mm256_storeu_si256((__m256i *)(void *)(s + 8), a.hi);
    _mm256_storeu_si256((__m256i *)(void *)(s + 16), b.lo);
    _mm256_storeu_si256((__m256i *)(void *)(s + 24), b.hi);
    _mm256_storeu_si256((__m256i *)(void *)ix, idx.lo);
    _mm256_storeu_si256((__m256i *)(void *)(ix + 8), idx.hi);
    for (int i = 0; i < 16; i++)
        r[i] = s[ix[i] & 31];
    return emu_from_i32(r);
}

static inline __mmask64 emu_movepi8_mask(emu_m512i v)
{
    return (uint32_t)_mm256_movemask_epi8(v.lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(v.hi) << 32;
}

static inline emu_m512i emu_mask_sub_epi8(emu_m512i src, __mmask64 k, emu_m512i a, emu_m512i b)
{
    return emu_i2(_mm256_blendv_epi8(src.lo, _mm256_sub_epi8(a.lo, b.lo), emu_mask_bytes((uint32_t)k)),
                  _mm256_blendv_epi8(src.hi, _mm256_sub_epi8(a.hi, b.hi), emu_mask_bytes((uint32_t)(k >> 32))));
}

static inline __mmask32 emu_testn_epi8_mask(__m256i a, __m256i b)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(a, b), _mm256_setzero_si256()));
}

#undef _mm512_castsi256_si512
#undef _mm512_zextsi256_si512
#undef _mm512_castsi512_si256
#undef _mm512_inserti64x4
#undef _mm512_extracti64x4_epi64
#undef _mm512_shuffle_i64x2
#undef _mm512_insertf32x8
#undef _mm512_extractf32x8_ps
#undef _mm256_testn_epi8_mask
#undef _mm512_dpbusd_epi32
#undef _mm512_broadcast_i64x4
#undef _mm512_permutexvar_epi16
#undef _mm512_permute_ps
#undef _mm512_permutexvar_epi32
#undef _mm512_shuffle_epi32
#undef _mm512_permutex2var_epi32
#define _mm512_setzero_si512() emu_i2(_mm256_setzero_si256(), _mm256_setzero_si256())
#define _mm512_set1_epi8(c) emu_i2(_mm256_set1_epi8(c), _mm256_set1_epi8(c))
#define _mm512_set1_epi32(c) emu_i2(_mm256_set1_epi32(c), _mm256_set1_epi32(c))
#define _mm512_castsi256_si512(a) emu_i2(a, _mm256_setzero_si256())
#define _mm512_zextsi256_si512(a) emu_i2(a, _mm256_setzero_si256())
#define _mm512_castsi512_si256(v) ((v).lo)
#define _mm512_inserti64x4(v, a, imm) ((imm) ? emu_i2((v).lo, a) : emu_i2(a, (v).hi))
#define _mm512_extracti64x4_epi64(v, imm) ((imm) ? (v).hi : (v).lo)
#define _mm512_loadu_si512(p) emu_i2(_mm256_loadu_si256((const __m256i *)(const void *)(p)), \
                                     _mm256_loadu_si256((const __m256i *)((const char *)(p) + 32)))
#define _mm512_load_si512(p) _mm512_loadu_si512(p)
#define _mm512_store_si512(p, v) (_mm256_storeu_si256((__m256i *)(void *)(p), (v).lo), \
                                  _mm256_storeu_si256((__m256i *)((char *)(p) + 32), (v).hi))
#define _mm512_set_epi16(...) emu_set_epi16(__VA_ARGS__)
#define _mm512_set_epi32(...) emu_set_epi32(__VA_ARGS__)
#define _mm512_add_epi32(a, b) EMU_I2(_mm256_add_epi32, a, b)
#define _mm512_mullo_epi16(a, b) EMU_I2(_mm256_mullo_epi16, a, b)
#define _mm512_permutexvar_epi16(idx, a) emu_permutexvar_epi16(idx, a)
#define _mm512_permutex2var_epi32(a, idx, b) emu_permutex2var_epi32(a, idx, b)
#define _mm512_permutexvar_epi32(idx, a) emu_permutex2var_epi32(a, idx, a)
#define _mm512_shuffle_epi32(a, imm) emu_i2(_mm256_shuffle_epi32((a).lo, imm), _mm256_shuffle_epi32((a).hi, imm))
#define _mm512_broadcast_i64x4(a) emu_i2(a, a)
#define EMU_I2(f, a, b) emu_i2(f((a).lo, (b).lo), f((a).hi, (b).hi))
#define _mm512_abs_epi8(v) emu_i2(_mm256_abs_epi8((v).lo), _mm256_abs_epi8((v).hi))
#define _mm512_xor_si512(a, b) EMU_I2(_mm256_xor_si256, a, b)
#define _mm512_maddubs_epi16(a, b) EMU_I2(_mm256_maddubs_epi16, a, b)
#define _mm512_dpbusd_epi32(acc, u, s) emu_i2(emu_dpbusd_epi32((acc).lo, (u).lo, (s).lo), \
                                              emu_dpbusd_epi32((acc).hi, (u).hi, (s).hi))
#define _mm512_dpwssd_epi32(acc, a, b) _mm512_add_epi32(acc, EMU_I2(_mm256_madd_epi16, a, b))
#define _mm512_cvtepi8_epi16(a) emu_i2(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(a)), \
                                       _mm256_cvtepi8_epi16(_mm256_extracti128_si256(a, 1)))
#define _mm512_shuffle_i64x2(a, b, imm) emu_shuffle_i64x2(a, b, imm)
#define _mm512_movepi8_mask(v) emu_movepi8_mask(v)
#define _mm512_mask_sub_epi8(src, k, a, b) emu_mask_sub_epi8(src, k, a, b)
#define _mm256_testn_epi8_mask(a, b) emu_testn_epi8_mask(a, b)
#define _mm512_setzero_ps() emu_f2(_mm256_setzero_ps(), _mm256_setzero_ps())
#define _mm512_set1_ps(x) emu_f2(_mm256_set1_ps(x), _mm256_set1_ps(x))
#define _mm512_castsi512_ps(v) emu_f2(_mm256_castsi256_ps((v).lo), _mm256_castsi256_ps((v).hi))
#define _mm512_castps_si512(v) emu_i2(_mm256_castps_si256((v).lo), _mm256_castps_si256((v).hi))
#define _mm512_cvtepi32_ps(v) emu_f2(_mm256_cvtepi32_ps((v).lo), _mm256_cvtepi32_ps((v).hi))
#define _mm512_add_ps(a, b) emu_f2(_mm256_add_ps((a).lo, (b).lo), _mm256_add_ps((a).hi, (b).hi))
#define _mm512_sub_ps(a, b) emu_f2(_mm256_sub_ps((a).lo, (b).lo), _mm256_sub_ps((a).hi, (b).hi))
#define _mm512_permute_ps(a, imm) emu_f2(_mm256_permute_ps((a).lo, imm), _mm256_permute_ps((a).hi, imm))
#define _mm512_movehdup_ps(a) emu_f2(_mm256_movehdup_ps((a).lo), _mm256_movehdup_ps((a).hi))
#define _mm512_storeu_ps(p, v) (_mm256_storeu_ps((float *)(p), (v).lo), _mm256_storeu_ps((float *)(p) + 8, (v).hi))
#define _mm512_mul_ps(a, b) emu_f2(_mm256_mul_ps((a).lo, (b).lo), _mm256_mul_ps((a).hi, (b).hi))
#define _mm512_fmadd_ps(a, b, c) emu_f2(_mm256_fmadd_ps((a).lo, (b).lo, (c).lo), \
                                        _mm256_fmadd_ps((a).hi, (b).hi, (c).hi))
#define _mm512_castps512_ps256(v) ((v).lo)
#define _mm512_extractf32x8_ps(v, imm) ((imm) ? (v).hi : (v).lo)
#define _mm512_insertf32x8(v, a, imm) ((imm) ? emu_f2((v).lo, a) : emu_f2(a, (v).hi))

#endif
