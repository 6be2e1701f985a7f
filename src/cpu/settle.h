/* settle.h - the end of a SIMD entry point: a vzeroupper after its last
 * 256-bit work, so the caller's legacy SSE code does not run with the upper
 * state dirty (many times slower on Intel). GCC emits its own only at -O2
 * and above, and may place it before work on ymm16-31 (which it does not
 * clear); the empty asm holds every store (and a float result) before it.
 * For functions compiled for AVX; tests/unit/test_simd_state checks them. */
#ifndef PD_CPU_SETTLE_H
#define PD_CPU_SETTLE_H

#include <immintrin.h>

#define PD_SETTLE_UPPER() do { __asm__ volatile("" ::: "memory"); _mm256_zeroupper(); } while (0)
#define PD_SETTLE_UPPER_WITH(r) do { __asm__ volatile("" : "+x"(r) :: "memory"); _mm256_zeroupper(); } while (0)

#endif /* PD_CPU_SETTLE_H */
