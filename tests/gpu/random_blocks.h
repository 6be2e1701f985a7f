// random_blocks.h - rows of blocks for the kernel tests of the types the
// reference has no quantizer for (Q2_K, Q3_K and the i-quants: llama-quantize
// makes them): random bytes with the fp16 scales (d, Q2_K's dmin) set to
// positive normal values in [2^-9, 2^-6), so every code and every
// sub-block scale of the decoders is used. Shared by
// tests/unit/test_cuda_quant.cu and tests/gpu/test_ops.cu.
#pragma once

#include <stddef.h>
#include <stdint.h>

// the block size and where its fp16 scales sit (0 for a type with a quantizer)
static inline size_t random_block_layout(pd_type t, int *off, int *n_scales)
{
    *n_scales = 1;
    switch (t) {
    case PD_TYPE_Q2_K: *off = 80; *n_scales = 2; return 84;
    case PD_TYPE_Q3_K: *off = 108; return 110;
    case PD_TYPE_IQ4_NL: *off = 0; return 18;
    case PD_TYPE_IQ4_XS: *off = 0; return 136;
    case PD_TYPE_IQ2_XXS: *off = 0; return 66;
    case PD_TYPE_IQ2_XS: *off = 0; return 74;
    case PD_TYPE_IQ2_S: *off = 0; return 82;
    case PD_TYPE_IQ3_XXS: *off = 0; return 98;
    case PD_TYPE_IQ3_S: *off = 0; return 110;
    case PD_TYPE_IQ1_S: *off = 0; return 50;
    case PD_TYPE_IQ1_M: *off = -1; return 56;   // d in the scale words' top nibbles
    default: return 0;
    }
}

static inline bool random_blocks_needed(pd_type t)
{
    int off, ns;
    return random_block_layout(t, &off, &ns) != 0;
}

static inline void random_blocks(pd_type t, uint8_t *dst, size_t bytes, uint64_t *state)
{
    for (size_t i = 0; i < bytes; i++) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        dst[i] = (uint8_t)(*state >> 32);
    }
    int off, ns;
    const size_t bb = random_block_layout(t, &off, &ns);
    for (size_t b = 0; bb && b + bb <= bytes; b += bb) {
        if (off < 0) {   // IQ1_M: bits 4k..4k+3 of d are bits 12..15 of scale word k
            const uint16_t v = (uint16_t)(0x1800 + (dst[b] % 0x0c) * 0x100 + dst[b + 1]);
            for (int k = 0; k < 4; k++)
                dst[b + 49 + 2 * k] = (uint8_t)((dst[b + 49 + 2 * k] & 0x0f) | ((v >> (4 * k)) & 0xf) << 4);
            continue;
        }
        for (int k = 0; k < ns; k++) {
            uint8_t *h = dst + b + off + 2 * k;
            const uint16_t v = (uint16_t)(0x1800 + (h[0] % 0x0c) * 0x100 + h[1]);
            h[0] = (uint8_t)v;
            h[1] = (uint8_t)(v >> 8);
        }
    }
}
