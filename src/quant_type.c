/* quant_type.c - the table of ggml tensor types (names, block sizes) and the
 * fp16 / bf16 conversions.  Pure C with no SIMD so that the GGUF reader and
 * its fuzzer can link it alone.
 */
#include "quant_simd.h"   /* the inline fp16 conversion; no SIMD code */

#include <string.h>

/* ------------------------------------------------------------------------
 * Type table: ggml ids 0..39.  Sizes follow ggml-common.h; ids that ggml
 * removed (4, 5, 31-33, 36-38) have no entry, so files using them are refused.
 * ------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    int64_t block_elems;
    size_t block_bytes;
    bool supported;
} type_info;

static const type_info k_types[PD_TYPE_COUNT] = {
    [0]  = { "F32",     1,   4,   true  },
    [1]  = { "F16",     1,   2,   true  },
    [2]  = { "Q4_0",    32,  18,  true  },
    [3]  = { "Q4_1",    32,  20,  true  },
    [6]  = { "Q5_0",    32,  22,  true  },
    [7]  = { "Q5_1",    32,  24,  true  },
    [8]  = { "Q8_0",    32,  34,  true  },
    [9]  = { "Q8_1",    32,  36,  true  },
    [10] = { "Q2_K",    256, 84,  true  },
    [11] = { "Q3_K",    256, 110, true  },
    [12] = { "Q4_K",    256, 144, true  },
    [13] = { "Q5_K",    256, 176, true  },
    [14] = { "Q6_K",    256, 210, true  },
    [15] = { "Q8_K",    256, 292, true  },
    [16] = { "IQ2_XXS", 256, 66,  true  },
    [17] = { "IQ2_XS",  256, 74,  true  },
    [18] = { "IQ3_XXS", 256, 98,  true  },
    [19] = { "IQ1_S",   256, 50,  true  },
    [20] = { "IQ4_NL",  32,  18,  true  },
    [21] = { "IQ3_S",   256, 110, true  },
    [22] = { "IQ2_S",   256, 82,  true  },
    [23] = { "IQ4_XS",  256, 136, true  },
    [24] = { "I8",      1,   1,   false },
    [25] = { "I16",     1,   2,   false },
    [26] = { "I32",     1,   4,   false },
    [27] = { "I64",     1,   8,   false },
    [28] = { "F64",     1,   8,   false },
    [29] = { "IQ1_M",   256, 56,  true  },
    [30] = { "BF16",    1,   2,   true  },
    [34] = { "TQ1_0",   256, 54,  false },
    [35] = { "TQ2_0",   256, 66,  false },
    [39] = { "MXFP4",   32,  17,  false },
};

_Static_assert(sizeof(pd_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(pd_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(pd_block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(pd_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(pd_block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(pd_block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(pd_block_q2_k) == 84, "q2_k layout");
_Static_assert(sizeof(pd_block_q3_k) == 110, "q3_k layout");
_Static_assert(sizeof(pd_block_q4_k) == 144, "q4_k layout");
_Static_assert(sizeof(pd_block_q5_k) == 176, "q5_k layout");
_Static_assert(sizeof(pd_block_q6_k) == 210, "q6_k layout");
_Static_assert(sizeof(pd_block_q8_k) == 292, "q8_k layout");
_Static_assert(sizeof(pd_block_iq4_nl) == 18, "iq4_nl layout");
_Static_assert(sizeof(pd_block_iq4_xs) == 136, "iq4_xs layout");
_Static_assert(sizeof(pd_block_iq2_xxs) == 66, "iq2_xxs layout");
_Static_assert(sizeof(pd_block_iq3_xxs) == 98, "iq3_xxs layout");
_Static_assert(sizeof(pd_block_iq3_s) == 110, "iq3_s layout");
_Static_assert(sizeof(pd_block_iq2_xs) == 74, "iq2_xs layout");
_Static_assert(sizeof(pd_block_iq2_s) == 82, "iq2_s layout");
_Static_assert(sizeof(pd_block_iq1_s) == 50, "iq1_s layout");
_Static_assert(sizeof(pd_block_iq1_m) == 56, "iq1_m layout");

bool pd_type_known(uint32_t t)
{
    return t < PD_TYPE_COUNT && k_types[t].name != NULL;
}

bool pd_type_supported(uint32_t t)
{
    return pd_type_known(t) && k_types[t].supported;
}

const char *pd_type_name(uint32_t t)
{
    return pd_type_known(t) ? k_types[t].name : "?";
}

int64_t pd_type_block_elems(uint32_t t)
{
    return pd_type_known(t) ? k_types[t].block_elems : 0;
}

size_t pd_type_block_bytes(uint32_t t)
{
    return pd_type_known(t) ? k_types[t].block_bytes : 0;
}

bool pd_type_row_bytes(uint32_t t, int64_t n, size_t *out)
{
    if (!pd_type_known(t) || n < 0)
        return false;
    int64_t be = k_types[t].block_elems;
    if (n % be != 0)
        return false;
    uint64_t blocks = (uint64_t)(n / be);
    uint64_t bb = k_types[t].block_bytes;
    if (blocks > (uint64_t)SIZE_MAX / bb)
        return false;
    if (out)
        *out = (size_t)(blocks * bb);
    return true;
}

pd_type pd_type_vec_dot(pd_type weight_type)
{
    switch (weight_type) {
    case PD_TYPE_F16:  return PD_TYPE_F16;
    case PD_TYPE_BF16: return PD_TYPE_BF16;
    case PD_TYPE_Q8_0:
    case PD_TYPE_Q4_0:
    case PD_TYPE_IQ4_NL:
    case PD_TYPE_Q5_0: return PD_TYPE_Q8_0;
    case PD_TYPE_Q4_1:
    case PD_TYPE_Q5_1:
    case PD_TYPE_Q8_1: return PD_TYPE_Q8_1;
    case PD_TYPE_Q2_K:
    case PD_TYPE_Q3_K:
    case PD_TYPE_Q4_K:
    case PD_TYPE_Q5_K:
    case PD_TYPE_Q6_K:
    case PD_TYPE_IQ4_XS:
    case PD_TYPE_IQ2_XXS:
    case PD_TYPE_IQ2_XS:
    case PD_TYPE_IQ2_S:
    case PD_TYPE_IQ3_XXS:
    case PD_TYPE_IQ3_S:
    case PD_TYPE_IQ1_S:
    case PD_TYPE_IQ1_M:
    case PD_TYPE_Q8_K: return PD_TYPE_Q8_K;
    default:           return PD_TYPE_F32;
    }
}

/* ------------------------------------------------------------------------
 * IEEE half and bfloat16 (bit manipulation, exact, round to nearest even)
 * ------------------------------------------------------------------------ */
static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float pd_fp16_to_f32(uint16_t h)
{
    return pd_fp16_to_f32_inline(h);
}

uint16_t pd_f32_to_fp16(float f)
{
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) {                 /* inf, nan (kept quiet) */
        if (a == 0x7f800000u)
            return sign | 0x7c00;
        return sign | 0x7e00 | (uint16_t)((a >> 13) & 0x3ff);
    }
    if (a >= 0x477ff000u)                   /* rounds to >= 65520: inf */
        return sign | 0x7c00;
    if (a < 0x38800000u) {                  /* below 2^-14: subnormal half */
        if (a < 0x33000000u)                /* < 2^-25: rounds to zero */
            return sign;
        uint32_t e = a >> 23;
        uint32_t m = (a & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;           /* value = m * 2^(e-150) -> units of 2^-24 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return sign | (uint16_t)q;
    }
    /* normal: rebias exponent, round the 13 dropped bits to nearest even;
     * a carry into the exponent is correct (and may give inf at the top). */
    uint32_t r = a - 0x38000000u;           /* exponent bias 127 -> 15 */
    uint32_t q = r >> 13;
    uint32_t rem = r & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (q & 1)))
        q++;
    return sign | (uint16_t)q;
}

float pd_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t pd_f32_to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)    /* nan: keep it, force quiet */
        return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
