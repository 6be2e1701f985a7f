// random_blocks.h - rows of Q2_K and Q3_K blocks for the kernel tests: the
// reference has no quantizer for them (llama-quantize makes them), so the
// bytes are random and the fp16 scales (d, Q2_K's dmin) are set to positive
// normal values in [2^-9, 2^-6): every code and every sub-block scale of
// the decoders is used. Shared by tests/unit/test_cuda_quant.cu and
// tests/gpu/test_ops.cu.
#pragma once

#include <stddef.h>
#include <stdint.h>

static inline bool random_blocks_needed(pd_type t)
{
    return t == PD_TYPE_Q2_K || t == PD_TYPE_Q3_K;
}

static inline void random_blocks(pd_type t, uint8_t *dst, size_t bytes, uint64_t *state)
{
    for (size_t i = 0; i < bytes; i++) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        dst[i] = (uint8_t)(*state >> 32);
    }
    const size_t bb = t == PD_TYPE_Q2_K ? 84 : 110;
    for (size_t b = 0; b + bb <= bytes; b += bb) {
        const int nh = t == PD_TYPE_Q2_K ? 2 : 1;   // Q2_K: d, dmin at 80; Q3_K: d at 108
        uint8_t *h = dst + b + (t == PD_TYPE_Q2_K ? 80 : 108);
        for (int k = 0; k < nh; k++) {
            const uint16_t v = (uint16_t)(0x1800 + (dst[b + k] % 0x0c) * 0x100 + dst[b + 2 + k]);
            h[2 * k] = (uint8_t)v;
            h[2 * k + 1] = (uint8_t)(v >> 8);
        }
    }
}
