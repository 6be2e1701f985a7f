/* quant_avx512.c - AVX-512 (F/BW/VL/DQ + VNNI) kernels for the quant formats,
 * compiled with those -m flags and only called when the CPU has them.
 *
 * The 256-bit kernels of quant_avx2.c are compiled here a second time, where
 * VNNI turns maddubs+madd into vpdpbusd/vpdpwssd; the hottest kernels are
 * then replaced by 512-bit versions below.
 */
#define PD_X86_FILL x86_fill_256
#define PD_X86_LINKAGE static
#define PD_X86_NAME "avx512"
#include "quant_avx2.c"

/* ========================================================================
 * Q8_0 tile as a packed GEMM micro-kernel (VNNI with embedded broadcast).
 *
 * Activations are repacked per chunk of K so that one 256-bit vector holds
 * the same 4 consecutive elements of 8 "columns": 7 real columns, stored
 * unsigned (x + 128) as vpdpbusd wants, and a column of ones.  Each group of
 * 4 weights is broadcast from memory, so one vpdpbusd does 32 multiply-adds
 * for 7 columns, and the ones column yields sum(w) for free, which removes
 * the +128 offset: sum w*(x+128) - 128*sum w = sum w*x.
 * ======================================================================== */
#define PK_COLS 7
#define PK_KCH 64     /* blocks per packed chunk: 16 KB of activations */

typedef struct {
    __m256i x[PK_KCH][8];       /* [block][group of 4 elements]: lanes = columns */
    float d[PK_KCH][8];         /* column scales, lane 7 = 0 */
} pk_q8_0;

/* 8x8 transpose of 32-bit elements */
static inline void transpose8x8(__m256i r[8])
{
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

static void pack_q8_0(pk_q8_0 *pk, const pd_block_q8_0 *const b[PK_COLS], int64_t k0, int kb)
{
    const __m256i k80 = _mm256_set1_epi8((char)0x80);
    for (int i = 0; i < kb; i++) {
        __m256i r[8];
        for (int c = 0; c < PK_COLS; c++) {
            r[c] = _mm256_xor_si256(load256(b[c][k0 + i].qs), k80);
            pk->d[i][c] = h2f(b[c][k0 + i].d);
        }
        r[7] = _mm256_set1_epi8(1);
        pk->d[i][7] = 0.0f;
        transpose8x8(r);   /* r[g] lane c = column c's elements 4g..4g+3 */
        for (int g = 0; g < 8; g++)
            pk->x[i][g] = r[g];
    }
}

/* R rows (Q8_0, or Q4_0 when q4: unpacked to bytes first) x 7 columns */
ALWAYS_INLINE void q8_0_rows_x7(const pk_q8_0 *pk, int kb, const uint8_t *const a[4], int R,
                                float *out, size_t os, int N, bool add, bool q4)
{
    const size_t bb = q4 ? sizeof(pd_block_q4_0) : sizeof(pd_block_q8_0);
    /* Q4_0: the chunk's rows unpacked to bytes up front, so the broadcasts
     * below read settled memory instead of waiting on fresh stores */
    int8_t wq[4][PK_KCH][32] __attribute__((aligned(32)));
    if (q4)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < kb; i++)
                _mm256_store_si256((__m256i *)wq[r][i],
                                   q4_0_unpack(a[r] + (size_t)i * bb + offsetof(pd_block_q4_0, qs)));
    const __m256i lane7 = _mm256_set1_epi32(7);
    __m256 acc[4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        acc[r] = _mm256_setzero_ps();
    for (int i = 0; i < kb; i++) {
        /* two chains per row: vpdpbusd's latency would otherwise bound it */
        __m256i s[4], s2[4];
        const int8_t *qs[4];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            s[r] = s2[r] = _mm256_setzero_si256();
            qs[r] = q4 ? wq[r][i] : (const int8_t *)(a[r] + (size_t)i * bb + offsetof(pd_block_q8_0, qs));
        }
#pragma GCC unroll 8
        for (int g = 0; g < 8; g += 2) {
            __m256i xv = _mm256_load_si256(&pk->x[i][g]), xv2 = _mm256_load_si256(&pk->x[i][g + 1]);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) {
                int32_t wg, wg2;
                memcpy(&wg, qs[r] + 4 * g, 4);
                memcpy(&wg2, qs[r] + 4 * g + 4, 4);
                s[r] = _mm256_dpbusd_epi32(s[r], xv, _mm256_set1_epi32(wg));
                s2[r] = _mm256_dpbusd_epi32(s2[r], xv2, _mm256_set1_epi32(wg2));
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
            s[r] = _mm256_add_epi32(s[r], s2[r]);
        __m256 dv = _mm256_load_ps(pk->d[i]);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            __m256i corr = _mm256_slli_epi32(_mm256_permutexvar_epi32(lane7, s[r]), 7);
            __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(s[r], corr));
            acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(x8_0_d(a[r] + (size_t)i * bb)), dv), v, acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
        float v[8];
        _mm256_storeu_ps(v, acc[r]);
        for (int c = 0; c < N; c++) {
            float *o = out + (size_t)c * os + r;
            *o = add ? *o + v[c] : v[c];
        }
    }
}

ALWAYS_INLINE void tile_x8_0_packed(int64_t n, const void *w, size_t ws, int nr,
                                    const void *x, size_t xs, int nc, float *out, size_t os, pd_type t)
{
    const bool q4 = t == PD_TYPE_Q4_0;
    const int64_t nb = n / PD_QK_0;
    const size_t bb = q4 ? sizeof(pd_block_q4_0) : sizeof(pd_block_q8_0);
    pk_q8_0 pk __attribute__((aligned(64)));
    const int ncg = tile_cols(nc, PK_COLS);
    if (ncg < nc)          /* a few columns left: the 4-column kernel */
        tile_x8_0(n, w, ws, nr, XROW(x, xs, ncg), xs, nc - ncg, out + (size_t)ncg * os, os, t);
    for (int c0 = 0; c0 < ncg; c0 += PK_COLS) {
        int N = ncg - c0 < PK_COLS ? ncg - c0 : PK_COLS;
        const pd_block_q8_0 *b[PK_COLS];
        for (int c = 0; c < PK_COLS; c++)     /* missing columns repeat the first */
            b[c] = (const pd_block_q8_0 *)XROW(x, xs, c0 + (c < N ? c : 0));
        for (int64_t k0 = 0; k0 < nb; k0 += PK_KCH) {
            int kb = (int)(nb - k0 < PK_KCH ? nb - k0 : PK_KCH);
            pack_q8_0(&pk, b, k0, kb);
            for (int r0 = 0; r0 < nr; r0 += 4) {
                const uint8_t *a[4];
                int R = nr - r0 < 4 ? nr - r0 : 4;
                for (int r = 0; r < 4; r++)
                    a[r] = (const uint8_t *)w + (size_t)(r0 + (r < R ? r : 0)) * ws + (size_t)k0 * bb;
                float *o = out + (size_t)c0 * os + r0;
                switch (R) {
                case 4: q8_0_rows_x7(&pk, kb, a, 4, o, os, N, k0 > 0, q4); break;
                case 3: q8_0_rows_x7(&pk, kb, a, 3, o, os, N, k0 > 0, q4); break;
                case 2: q8_0_rows_x7(&pk, kb, a, 2, o, os, N, k0 > 0, q4); break;
                default: q8_0_rows_x7(&pk, kb, a, 1, o, os, N, k0 > 0, q4); break;
                }
            }
        }
    }
}

static void tile_q8_0_packed(int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_x8_0_packed(n, w, ws, nr, x, xs, nc, out, os, PD_TYPE_Q8_0);
}

static void tile_q4_0_packed(int64_t n, const void *w, size_t ws, int nr,
                             const void *x, size_t xs, int nc, float *out, size_t os)
{
    tile_x8_0_packed(n, w, ws, nr, x, xs, nc, out, os, PD_TYPE_Q4_0);
}

#if defined(__AVX__)
SETTLE_TILE_FN(tile_q8_0_packed)
SETTLE_TILE_FN(tile_q4_0_packed)
SETTLE_TILE_FN(tile_q5_k_many)
#endif

void pd_quant_kernels_avx512(pd_quant_kernels *k)
{
    x86_fill_256(k);
    k->tile[PD_TYPE_Q8_0] = SETTLED(tile_q8_0_packed);
    k->tile[PD_TYPE_Q4_0] = SETTLED(tile_q4_0_packed);
    k->tile[PD_TYPE_Q5_K] = SETTLED(tile_q5_k_many);
}
