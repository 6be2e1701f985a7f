/* avx512_emu.h - the three AVX-512 instructions that ponder's AVX-512 level
 * uses on 256-bit vectors, written in AVX2 with the same results, so that the
 * level's code (quant_avx2.c built with PD_VNNI and PD_REGS32) runs and is
 * tested on a machine without AVX-512.  Force-included (-include) into the
 * emulated build of src/cpu/quant_avx512.c, which also sets PD_EMULATE_AVX512.
 */
#ifndef PD_AVX512_EMU_H
#define PD_AVX512_EMU_H

#include <immintrin.h>

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

#endif
