/* test_avx512_emu.c - the AVX2 stand-ins of tests/unit/avx512_emu.h against
 * the instructions' definitions in the Intel SDM, written as scalar loops:
 * the emulated AVX-512 tests are only as good as these three. */
#include "avx512_emu.h"
#include "t.h"

#include <stdint.h>

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void fill(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)next32();
    if (next32() % 8 == 0)          /* the extremes, where saturation would show */
        for (size_t i = 0; i < n; i++)
            b[i] = next32() % 2 ? 0x80 : 0xff;
}

static void test_dpbusd(void)
{
    for (int it = 0; it < 20000; it++) {
        uint8_t u[32];
        int8_t s[32];
        int32_t acc[8], got[8];
        fill(u, sizeof u), fill(s, sizeof s), fill(acc, sizeof acc);
        __m256i r = _mm256_dpbusd_epi32(_mm256_loadu_si256((const void *)acc),
                                        _mm256_loadu_si256((const void *)u),
                                        _mm256_loadu_si256((const void *)s));
        _mm256_storeu_si256((void *)got, r);
        for (int j = 0; j < 8; j++) {
            uint32_t want = (uint32_t)acc[j];
            for (int k = 0; k < 4; k++)
                want += (uint32_t)(u[4 * j + k] * s[4 * j + k]);
            T_EQ_INT(got[j], (int32_t)want);
        }
    }
}

static void test_dpwssd(void)
{
    for (int it = 0; it < 20000; it++) {
        int16_t a[16], b[16];
        int32_t acc[8], got[8];
        fill(a, sizeof a), fill(b, sizeof b), fill(acc, sizeof acc);
        __m256i r = _mm256_dpwssd_epi32(_mm256_loadu_si256((const void *)acc),
                                        _mm256_loadu_si256((const void *)a),
                                        _mm256_loadu_si256((const void *)b));
        _mm256_storeu_si256((void *)got, r);
        for (int j = 0; j < 8; j++) {
            uint32_t want = (uint32_t)acc[j] + (uint32_t)(a[2 * j] * b[2 * j])
                          + (uint32_t)(a[2 * j + 1] * b[2 * j + 1]);
            T_EQ_INT(got[j], (int32_t)want);
        }
    }
}

static void test_permutexvar(void)
{
    for (int it = 0; it < 1000; it++) {
        int32_t a[8], idx[8], got[8];
        fill(a, sizeof a), fill(idx, sizeof idx);
        __m256i r = _mm256_permutexvar_epi32(_mm256_loadu_si256((const void *)idx),
                                             _mm256_loadu_si256((const void *)a));
        _mm256_storeu_si256((void *)got, r);
        for (int j = 0; j < 8; j++)
            T_EQ_INT(got[j], a[idx[j] & 7]);
    }
}

int main(void)
{
    T_RUN(test_dpbusd);
    T_RUN(test_dpwssd);
    T_RUN(test_permutexvar);
    T_DONE();
}
