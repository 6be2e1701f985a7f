/* quant.h - tensor element types and block formats (ggml numbering and layouts).
 *
 * Each weight type has a "vec_dot type": the format the activation vector is
 * converted to before a dot product with a row of that weight type, exactly as
 * ggml's CPU backend does (Q8_K for K-quants, Q8_0 for Q8_0/Q4_0/Q5_0, Q8_1
 * for Q4_1/Q5_1, F16 for F16, BF16 for BF16, F32 for F32). Doing the same keeps our logits within a hair of
 * llama.cpp's and lets the CPU use integer dot products.
 *
 * Every operation has a scalar reference (pd_*_ref) kept for tests and for
 * checking other backends; the plain entry points dispatch at run time to the
 * fastest implementation the CPU supports (AVX-512, AVX2, else scalar).
 */
#ifndef PD_QUANT_H
#define PD_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef enum pd_type {
    PD_TYPE_F32  = 0,
    PD_TYPE_F16  = 1,
    PD_TYPE_Q4_0 = 2,
    PD_TYPE_Q4_1 = 3,
    PD_TYPE_Q5_0 = 6,
    PD_TYPE_Q5_1 = 7,
    PD_TYPE_Q8_0 = 8,
    PD_TYPE_Q8_1 = 9,
    PD_TYPE_Q2_K = 10,
    PD_TYPE_Q3_K = 11,
    PD_TYPE_Q4_K = 12,
    PD_TYPE_Q5_K = 13,
    PD_TYPE_Q6_K = 14,
    PD_TYPE_Q8_K = 15,
    PD_TYPE_IQ2_XXS = 16,
    PD_TYPE_IQ2_XS = 17,
    PD_TYPE_IQ3_XXS = 18,
    PD_TYPE_IQ1_S = 19,
    PD_TYPE_IQ4_NL = 20,
    PD_TYPE_IQ3_S = 21,
    PD_TYPE_IQ2_S = 22,
    PD_TYPE_IQ4_XS = 23,
    PD_TYPE_IQ1_M = 29,
    PD_TYPE_BF16 = 30,
    PD_TYPE_COUNT = 40
} pd_type;

#define PD_QK_0 32   /* elements per Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q8_0 / Q8_1 block */
#define PD_QK_K 256  /* elements per K-quant super-block */

/* Block layouts, byte-exact with ggml. fp16 fields are raw IEEE half bits. */
typedef struct { uint16_t d; uint8_t qs[PD_QK_0 / 2]; } pd_block_q4_0;          /* 18 B */
typedef struct { uint16_t d; int8_t qs[PD_QK_0]; } pd_block_q8_0;               /* 34 B */
/* Q4_1: x = d*q + m, q = 0..15 (low nibbles elements 0-15, high 16-31) */
typedef struct { uint16_t d, m; uint8_t qs[PD_QK_0 / 2]; } pd_block_q4_1;       /* 20 B */
/* Q5_0: x = d*(q - 16); q's 5th bit of element j is bit j of qh (little
 * endian 32-bit word), its low 4 bits the nibbles as in Q4_0 */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[PD_QK_0 / 2]; } pd_block_q5_0; /* 22 B */
/* Q5_1: x = d*q + m, q = 0..31 laid out as Q5_0's */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[PD_QK_0 / 2]; } pd_block_q5_1; /* 24 B */
/* Q8_1 (activations for Q4_1/Q5_1): as Q8_0 plus s = fp16(d * sum(qs)),
 * d the float amax/127 before its rounding to fp16 */
typedef struct { uint16_t d, s; int8_t qs[PD_QK_0]; } pd_block_q8_1;            /* 36 B */
/* Q2_K: 16 sub-blocks of 16 values, x = d*sc*q - dmin*m, q = 0..3; scales[j]
 * holds sub-block j's 4-bit scale (low nibble) and min (high).  Value
 * 128h + 32k + l (h < 2, k < 4, l < 32) is bits 2k..2k+1 of qs[32h + l]. */
typedef struct {                                                                /* 84 B */
    uint8_t scales[PD_QK_K / 16];
    uint8_t qs[PD_QK_K / 4];
    uint16_t d, dmin;
} pd_block_q2_k;
/* Q3_K: 16 sub-blocks of 16, x = d*(sc - 32)*q, q = -4..3: its low 2 bits laid
 * out as Q2_K's, minus 4 when bit e/32 of hmask[e % 32] is clear (value e).
 * The 6-bit scales: low nibble of scales[j] (j < 8) or scales[j - 8] >> 4,
 * top 2 bits from scales[8 + j % 4] >> 2*(j / 4). */
typedef struct {                                                                /* 110 B */
    uint8_t hmask[PD_QK_K / 8];
    uint8_t qs[PD_QK_K / 4];
    uint8_t scales[12];
    uint16_t d;
} pd_block_q3_k;
typedef struct {                                                                /* 144 B */
    uint16_t d, dmin;
    uint8_t scales[12];        /* 8 x (6-bit scale, 6-bit min), packed */
    uint8_t qs[PD_QK_K / 2];
} pd_block_q4_k;
typedef struct {                                                                /* 176 B */
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[PD_QK_K / 8];
    uint8_t qs[PD_QK_K / 2];
} pd_block_q5_k;
typedef struct {                                                                /* 210 B */
    uint8_t ql[PD_QK_K / 2];
    uint8_t qh[PD_QK_K / 4];
    int8_t scales[PD_QK_K / 16];
    uint16_t d;
} pd_block_q6_k;
/* IQ4_NL and IQ4_XS: 4-bit indices into a fixed non-linear table of 16
 * int8 values (kvalues_iq4nl of ggml; PD_IQ4NL_VALUES).  IQ4_NL is Q4_0's
 * layout with the table instead of q - 8: x = d*kv[nibble], value j < 16 in
 * the low nibble of qs[j], j >= 16 in the high nibble of qs[j - 16]. */
#define PD_IQ4NL_VALUES -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113
typedef struct { uint16_t d; uint8_t qs[PD_QK_0 / 2]; } pd_block_iq4_nl;        /* 18 B */
/* IQ4_XS: 8 sub-blocks of 32, each laid out as an IQ4_NL block in qs[16j..],
 * x = d*(ls_j - 32)*kv[nibble]; the 6-bit ls_j takes its low 4 bits from
 * scales_l[j/2] (low nibble for even j, high for odd) and its top 2 from
 * bits 2j..2j+1 of scales_h. */
typedef struct {                                                                /* 136 B */
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[PD_QK_K / 64];
    uint8_t qs[PD_QK_K / 2];
} pd_block_iq4_xs;
/* IQ2_XXS and IQ3_XXS: 8 sub-blocks of 32 values, each in groups of 8 that
 * take their magnitudes from a fixed grid (src/iq_grids.h, made from
 * gguf-py's) and their signs from 7 bits (pd_ksigns_iq2xs: the 8th sign
 * makes the count of minuses even).  Sub-block j has a 32-bit word of 4
 * sign indices (bits 7g..7g+6 for group g) and a 4-bit scale ls (bits
 * 28..31): x = d*(0.5 + ls)*0.25 * grid (IQ2_XXS), d*(0.5 + ls)*0.5 * grid
 * (IQ3_XXS), the scale's product rounded first.
 * IQ2_XXS: qs[4j..4j+3] of sub-block j as two little-endian 32-bit words:
 * the first's byte g is group g's index into pd_iq2xxs_grid (8 values), the
 * second is the signs-and-scale word. */
typedef struct { uint16_t d; uint16_t qs[PD_QK_K / 8]; } pd_block_iq2_xxs;     /* 66 B */
/* IQ3_XXS: qs[8j..8j+7] index pd_iq3xxs_grid (4 values each: group g is
 * entries 2g and 2g+1), qs[64 + 4j..] is sub-block j's signs-and-scale word
 * (little endian). */
typedef struct { uint16_t d; uint8_t qs[3 * PD_QK_K / 8]; } pd_block_iq3_xxs;  /* 98 B */
/* IQ3_S: sub-block j's 8 groups of 4 values take entry qs[8j + q] | bit q
 * of qh[j] << 8 of pd_iq3s_grid (512 entries of 4 values); value k of its
 * group of 8 g is negative when bit k of signs[4j + g] is set (all 8 bits
 * stored); the 4-bit scale ls is the low (even j) or high (odd j) nibble of
 * scales[j/2]: x = (d * (1 + 2*ls)) * grid * sign. */
typedef struct {                                                                /* 110 B */
    uint16_t d;
    uint8_t qs[PD_QK_K / 4];
    uint8_t qh[PD_QK_K / 32];
    uint8_t signs[PD_QK_K / 8];
    uint8_t scales[PD_QK_K / 64];
} pd_block_iq3_s;
/* IQ2_XS and IQ2_S: the signs and grids of IQ2_XXS's kind (8 values of
 * 8, 25 or 43 per entry), two 4-bit scales per sub-block j: the low nibble
 * of scales[j] for its values 0..15, the high for 16..31, x = d*(0.5 +
 * ls)*0.25 * grid * sign, the scale's product rounded first.
 * IQ2_XS: qs[4j + g] is group g's 9-bit index into pd_iq2xs_grid (512
 * entries) in bits 0..8 and its 7-bit sign index (pd_ksigns_iq2xs) in bits
 * 9..15. */
typedef struct {                                                                /* 74 B */
    uint16_t d;
    uint16_t qs[PD_QK_K / 8];
    uint8_t scales[PD_QK_K / 32];
} pd_block_iq2_xs;
/* IQ2_S: group g of sub-block j takes entry qs[4j + g] | bits 2g..2g+1 of
 * qh[j] << 8 of pd_iq2s_grid (1024 entries); value k of the group is
 * negative when bit k of signs[4j + g] is set (all 8 stored; in ggml's
 * struct the signs are qs[32..63]). */
typedef struct {                                                                /* 82 B */
    uint16_t d;
    uint8_t qs[PD_QK_K / 8];
    uint8_t signs[PD_QK_K / 8];
    uint8_t qh[PD_QK_K / 32];
    uint8_t scales[PD_QK_K / 32];
} pd_block_iq2_s;
/* IQ1_S and IQ1_M: 8 sub-blocks of 32 values in groups of 8, each group
 * an 11-bit index into pd_iq1s_grid (2048 entries of 8 values -1, 0, 1)
 * plus a shift delta = +-0.125 (IQ1S_DELTA of ggml): x = dl * (grid +
 * delta), dl = d * (2*ls + 1) rounded first, ls a 3-bit scale.
 * IQ1_S: group g of sub-block j takes qs[4j + g] | bits 3g..3g+2 of qh[j]
 * << 8; qh[j]'s bits 12..14 are ls, bit 15 set makes delta negative (one
 * scale and one delta for the sub-block). */
typedef struct { uint16_t d; uint8_t qs[PD_QK_K / 8]; uint16_t qh[PD_QK_K / 32]; } pd_block_iq1_s; /* 50 B */
/* IQ1_M: no d field.  Group g of sub-block j takes qs[4j + g] | bits 0..2
 * of nibble g % 2 of qh[2j + g/2] << 8, whose bit 3 set makes that group's
 * delta negative.  scales, read as 4 little-endian 16-bit words sc[0..3],
 * hold sub-block j's two 3-bit scales at bits 6*(j%2) (values 0..15) and
 * 6*(j%2) + 3 (values 16..31) of sc[j/2]; the fp16 d is spread over their
 * top nibbles: bits 4k..4k+3 of d are bits 12..15 of sc[k]. */
typedef struct {                                                                /* 56 B */
    uint8_t qs[PD_QK_K / 8];
    uint8_t qh[PD_QK_K / 16];
    uint8_t scales[PD_QK_K / 32];
} pd_block_iq1_m;
/* IQ1_M's fp16 d from its scale words sc[0..3] (the top nibble of each) */
static inline uint16_t pd_iq1m_d_bits(const uint16_t sc[4])
{
    return (uint16_t)((sc[0] >> 12) | (sc[1] >> 8 & 0x00f0) | (sc[2] >> 4 & 0x0f00) | (sc[3] & 0xf000));
}
typedef struct {                                                                /* 292 B */
    float d;
    int8_t qs[PD_QK_K];
    int16_t bsums[PD_QK_K / 16];
} pd_block_q8_k;

/* ---- type table ---- */
bool pd_type_known(uint32_t t);          /* a ggml id we can size (for the GGUF reader) */
bool pd_type_supported(uint32_t t);      /* we can compute with it */
const char *pd_type_name(uint32_t t);    /* "Q4_K"; "?" when unknown */
int64_t pd_type_block_elems(uint32_t t); /* 0 when unknown */
size_t pd_type_block_bytes(uint32_t t);  /* 0 when unknown */
/* Bytes of n elements; false if n is not a multiple of the block size or it
 * would overflow. */
bool pd_type_row_bytes(uint32_t t, int64_t n, size_t *out);
pd_type pd_type_vec_dot(pd_type weight_type);

/* ---- half / bfloat16 ---- */
float pd_fp16_to_f32(uint16_t h);
uint16_t pd_f32_to_fp16(float f);     /* round to nearest even */
float pd_bf16_to_f32(uint16_t h);
uint16_t pd_f32_to_bf16(float f);     /* round to nearest even, NaN kept */

/* ---- rows ---- */
/* dst[0..n) = dequantized src row; n a multiple of the block size. */
void pd_dequantize_row(pd_type t, const void *src, float *dst, int64_t n);
void pd_dequantize_row_ref(pd_type t, const void *src, float *dst, int64_t n);
/* Quantize a float row into type t (the vec_dot types F32, F16, BF16, Q8_0,
 * Q8_1, Q8_K, and also Q4_0/Q4_1/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K for `ponder synth`;
 * Q4_1/Q5_0/Q5_1 exactly as ggml's quantize_row_*_ref); does nothing for
 * the types without a quantizer (Q2_K, Q3_K, IQ4_NL, IQ4_XS, IQ2_XXS,
 * IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M). */
void pd_quantize_row(pd_type t, const float *src, void *dst, int64_t n);
void pd_quantize_row_ref(pd_type t, const float *src, void *dst, int64_t n);

/* Dot product of one weight row (type t) with one activation row already in
 * pd_type_vec_dot(t) format; n elements. */
float pd_vec_dot(pd_type t, int64_t n, const void *w, const void *x);
float pd_vec_dot_ref(pd_type t, int64_t n, const void *w, const void *x);

/* Batched dot products for mat-mat (prefill): weights loaded once for several
 * activation rows.  out[c*out_stride + r] = dot(w row r, x row c) for r < nr,
 * c < nc; x rows are in pd_type_vec_dot(t) format; strides are in bytes for
 * w and x, in floats for out.  Fast paths: Q8_0, Q4_K, Q6_K, Q2_K, Q3_K,
 * IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M, F16
 * (others loop over
 * pd_vec_dot).  Give it many rows per call (>= 64; a thread's whole row
 * range is best) and all columns: the Q8_0 kernel repacks the columns once
 * per call.  Results match pd_vec_dot to
 * float rounding, not bit for bit, except Q6_K's, Q2_K's, Q3_K's and the
 * i-quants', which round exactly as pd_vec_dot of the same level (as
 * llama.cpp, whose x86 backend runs vec_dot_q6_K_q8_K etc. for every
 * product; it repacks IQ4_NL matrices of 8n rows, which rounds otherwise). */
void pd_vec_dot_tile(pd_type t, int64_t n, const void *w, size_t w_stride, int nr,
                     const void *x, size_t x_stride, int nc, float *out, size_t out_stride);
void pd_vec_dot_tile_ref(pd_type t, int64_t n, const void *w, size_t w_stride, int nr,
                         const void *x, size_t x_stride, int nc, float *out, size_t out_stride);

/* Q4_K x Q8_K products in the float order of llama.cpp's repacked x86 kernels
 * (tools/precision/NOTES.md): GEMV folds each super-block's integer sums into
 * the float sums, GEMM each 64-value pair. Same layout as pd_vec_dot_tile;
 * any nr >= 1, nc >= 1; results are bit-identical across SIMD levels. */
typedef enum pd_q4k_order { PD_Q4K_GEMV, PD_Q4K_GEMM } pd_q4k_order;
void pd_q4k_tile_ordered(pd_q4k_order order, int64_t n, const void *w, size_t w_stride, int nr,
                         const void *x, size_t x_stride, int nc, float *out, size_t out_stride);

/* Q4_K rows repacked in groups of 8, the CPU backend's layout for its
 * products (llama.cpp repacks Q4_K for its CPU kernels too): per
 * super-block the 8 rows' d and dmin, their 12 packed scale bytes
 * transposed (byte i of row r at sc[i][r]), and their quants 4 bytes per
 * row in turn, so that one 32-byte load holds 4 quant bytes of each row and
 * the rows' sums build up in separate lanes. 8 repacked rows take exactly
 * the bytes of 8 plain rows, and a group's blocks follow each other. */
typedef struct {
    uint16_t d[8], dmin[8];
    uint8_t sc[12][8];
    uint8_t qs[4][8][8][4];   /* [32-byte chunk][dword][row][byte] */
} pd_block_q4_kx8;           /* 1152 B */

/* Repack rows 0..7 (n values each, w_stride bytes apart) into n/256 blocks
 * at dst, and back (row r of a group into a plain row). */
void pd_q4k_repack8(int64_t n, const void *w, size_t w_stride, void *dst);
void pd_q4k_unpack8(int64_t n, const void *src, int r, void *row);
/* pd_q4k_tile_ordered on repacked rows: nr (a multiple of 8) rows from the
 * group at w8 on, the same results bit for bit. */
void pd_q4k8_tile_ordered(pd_q4k_order order, int64_t n, const void *w8, int nr,
                          const void *x, size_t x_stride, int nc, float *out, size_t out_stride);

/* F32 x F32 dot products with n % 16 == 0 (pd_vec_dot, every level, the
 * scalar reference included) round as llamafile's tinyBLAS on AVX-512: 16
 * lanes of fmas along k, then lanes 8..15 added to 0..7, 4..7 to 0..3, and
 * (l0 + l2) + (l1 + l3).  Bit-identical across levels; other lengths keep
 * each level's own order. */

/* Q4_1, Q5_0 and Q5_1 dot products (every level, the scalar reference
 * included) round as ggml's x86 AVX2 vec_dot of that type: per block 8
 * lanes of 4-value integer sums, lane += (dx*dy) * sum as one fma, the
 * lanes added as hsum_float_8 at the end; Q4_1/Q5_1 then add the mins'
 * sum, built block by block as fma(m, s, sum).  Bit-identical across levels. */

/* Q2_K and Q3_K dot products (every level, the scalar reference included)
 * round as ggml's x86 AVX2 vec_dot: 8 lanes, lane l the exact integer sum
 * over the super-block of sc * q * y for the values e with e % 32 in
 * 4l..4l+3; per super-block Q2_K first adds the mins (lane l: m * bsum of
 * sub-blocks 2l and 2l+1) as fma(-dy*dmin, mins, lane), then both types
 * fma(dy*d, sum, lane); the lanes added as hsum_float_8 at the end.  There is
 * no quantizer for them (llama-quantize makes the files). */

/* IQ4_NL . Q8_0 and IQ4_XS . Q8_K (every level, the scalar reference
 * included) round as ggml's x86 AVX2 vec_dot, the table values and the
 * scales being exact integers in the products: IQ4_NL has two 8-lane
 * accumulators, even blocks in the first, odd in the second, lane l +=
 * (dy*dx) * (exact sum of kv*y over values 4l..4l+3) as one fma; at the end
 * hsum_float_8 of their sum, and a last odd block is added after that as
 * sum + d * float(its whole integer sum), the product rounded (llama.cpp's
 * build does not fuse this one).  IQ4_XS: 8 lanes, per super-block lane l the exact integer
 * sum of ls * kv * y over the values e with e % 32 in 4l..4l+3, added as
 * fma(dx*dy, sum, lane); hsum_float_8 at the end.  The prefill tiles round
 * the same.  No quantizer (llama-quantize makes the files). */

/* IQ2_XXS . Q8_K and IQ3_XXS . Q8_K (every level, the scalar reference
 * included) round as ggml's x86 AVX2 vec_dot: 8 lanes, per super-block
 * lane l the exact integer sum of (2*ls + 1) * grid * sign * y over the
 * values e with e % 32 in 4l..4l+3, added as fma(dx*dy, sum, lane); at
 * the end 0.125f (IQ2_XXS) or 0.25f (IQ3_XXS) * hsum_float_8.  IQ3_S . Q8_K
 * the same with its own grid, signs and scales and no factor at the end.
 * IQ2_XS . Q8_K and IQ2_S . Q8_K as IQ2_XXS, the scale 2*ls + 1 of the
 * value's half sub-block (lanes 0-3 the low nibble's, 4-7 the high's),
 * 0.125f at the end.
 * The prefill tiles round the same.  No quantizer (llama-quantize makes the files, IQ2_XXS with
 * an imatrix; its IQ3_XXS mix puts token_embd and attn_output in IQ3_S). */

/* IQ1_S . Q8_K and IQ1_M . Q8_K (every level, the scalar reference
 * included) round as ggml's x86 AVX2 vec_dot: 8 lanes, per super-block
 * lane l the exact integer sum of ls2 * grid * y (ls2 = 2*ls + 1) over the
 * values e with e % 32 in 4l..4l+3, added as fma(dx*dy, sum, lane).  The
 * deltas' part: IQ1_S takes, per super-block, the exact integer sum over
 * sub-blocks j of ls2 * (+-1) * (bsums[2j] + bsums[2j+1]) of the Q8_K
 * block and adds it to one float as fma(dx*dy, sum, acc); the result is
 * hsum_float_8 + 0.125f * acc.  IQ1_M keeps a second 8-lane accumulator of
 * the lanes' exact sums of ls2 * (+-1) * y, fma'd the same way; the result
 * is hsum_float_8 + 0.125f * hsum_float_8 of the second.  The prefill tiles
 * round the same.  No quantizer (llama-quantize makes the files, with an
 * imatrix, which it requires for them). */

/* Which implementation the dispatcher picked: "avx512", "avx2" or "scalar".
 * PONDER_SIMD=scalar|avx2|avx512 in the environment caps it (for tests). */
const char *pd_simd_level(void);

#endif /* PD_QUANT_H */
