/* attn_tiled.c - attention in F32 over an F16 cache, tile by tile (flash
 * attention; llama.cpp's tiled path, not its order: close, not the same
 * bits): a unit of queries that read the same cache rows scores a tile of
 * PD_ATTN_TILE keys and sums its values while the tile is in L1/L2 (16 KiB
 * at dk 128, 72 KiB for MLA's 576), with an online softmax; four queries at
 * a time through the four-row kernels. A range of keys can be one part of a
 * split cache, its unnormalised sums merged with the others' after.
 * Prefill of 64+ rows, and rows over PD_ATTN_F32_FROM keys or more, run
 * here (attention.c cuts them into units). Before, each four query rows
 * streamed the whole prefix: from L3 or DRAM at depth (prefill of 64 at
 * depth 4096, GQA: 47 % of the time in attention). */
#include "cpu/cpu.h"

#include <limits.h>
#include <math.h>
#include <string.h>

_Static_assert(PD_ATTN_TILE == PD_ATTN_KT, "a tile's keys are the transposed tile's lanes");

/* out[i] = out[i] * a + t (the running sum rescaled, plus a tile's) */
static void rescale_add(float *out, float a, const float *t, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = out[i] * a + t[i];
}

/* One tile of keys [p0, p0 + nb) for the four queries from i0 (nr real;
 * the kernels' other rows repeat the last): scores, the online softmax's
 * step (mx and sum: the running maxima and sums), the weighted values,
 * written straight to out on the unit's first tile (nothing to rescale:
 * a prompt's rows at depth 0 have no other), else added to it rescaled. */
static void tile4(const pd_attn_kernels *K, const pd_attn_unit *u, int i0, int nr, const uint16_t *k,
                  size_t ks, const float *kt, const uint16_t *v, size_t vs, int p0, int nb, bool first,
                  int dk, int dv, float scale, float *sc, float *mx, float *sum, float *tmp)
{
    const float *q[4];
    float *s[4], *t[4], rescale[4];
    for (int r = 0; r < 4; r++) {
        const int i = i0 + (r < nr ? r : nr - 1);
        q[r] = u->q[i];
        s[r] = sc + (size_t)(r < nr ? r : nr - 1) * PD_ATTN_TILE;
        t[r] = first ? u->out[i] : tmp + (size_t)(r < nr ? r : nr - 1) * dv;
    }
    if (kt)
        K->dots4t(q, kt, nb, dk, scale, s);
    else
        K->dots4(q, k + (size_t)p0 * ks, ks, nb, dk, scale, s);
    for (int r = 0; r < nr; r++) {
        const int i = i0 + r, left = u->n_kv[i] - p0, nv = left < 0 ? 0 : left < nb ? left : nb;
        const float part = pd_softmax_tile(s[r], nb, nv, &mx[i], &rescale[r]);
        sum[i] = sum[i] * rescale[r] + part;
    }
    K->wsumf4(t, v + (size_t)p0 * vs, vs, nb, (const float *const *)s, dv);
    for (int r = 0; r < nr && !first; r++)
        rescale_add(u->out[i0 + r], rescale[r], t[r], dv);
}

/* The unit over keys [lo, hi); with part_mx and part_sum (nq each) the
 * sums stay unnormalised and the running maxima and sums are left there */
static void unit_run(const pd_attn_unit *u, int lo, int hi, const uint16_t *k, size_t ks,
                     const uint16_t *v, size_t vs, int dk, int dv, float scale, float *scratch,
                     float *part_mx, float *part_sum)
{
    const pd_attn_kernels *K = pd_attn_kernels_get();
    float *sc = scratch, *mx = sc + 4 * PD_ATTN_TILE, *sum = mx + PD_ATTN_UNIT, *tmp = sum + PD_ATTN_UNIT;
    float *kt = K->dots4t && u->keys_as_lanes ? tmp + 4 * (size_t)dv : NULL;
    if (part_mx) {
        mx = part_mx;
        sum = part_sum;
    }
    int end = 0;
    for (int i = 0; i < u->nq; i++) {
        mx[i] = -INFINITY;
        sum[i] = 0;
        if (u->n_kv[i] <= lo)   /* (the others are written by the first tile) */
            memset(u->out[i], 0, (size_t)dv * sizeof(float));
        end = u->n_kv[i] > end ? u->n_kv[i] : end;
    }
    end = end < hi ? end : hi;
    for (int p0 = lo; p0 < end; p0 += PD_ATTN_TILE) {
        const int nb = end - p0 < PD_ATTN_TILE ? end - p0 : PD_ATTN_TILE;
        if (kt)
            K->ktile(k + (size_t)p0 * ks, ks, nb, dk, kt);
        for (int i0 = 0; i0 < u->nq; i0 += 4) {
            const int nr = u->nq - i0 < 4 ? u->nq - i0 : 4;
            bool any = false;
            for (int r = 0; r < nr; r++)
                any |= u->n_kv[i0 + r] > p0;
            if (any)
                tile4(K, u, i0, nr, k, ks, kt, v, vs, p0, nb, p0 == lo, dk, dv, scale, sc, mx, sum,
                      tmp);
        }
    }
    if (part_mx)
        return;
    for (int i = 0; i < u->nq; i++) {
        const float inv = sum[i] == 0 ? 0 : 1 / sum[i];
        for (int e = 0; e < dv; e++)
            u->out[i][e] *= inv;
    }
}

void pd_attn_unit_run(const pd_attn_unit *u, int lo, int hi, const uint16_t *k, size_t ks,
                      const uint16_t *v, size_t vs, int dk, int dv, float scale, float *scratch)
{
    unit_run(u, lo, hi, k, ks, v, vs, dk, dv, scale, scratch, NULL, NULL);
}

void pd_attn_part_run(const pd_attn_unit *u, int lo, int hi, const uint16_t *k, size_t ks,
                      const uint16_t *v, size_t vs, int dk, int dv, float scale, float *scratch)
{
    pd_attn_unit sums = *u;
    float mx[PD_ATTN_UNIT], sum[PD_ATTN_UNIT];
    for (int i = 0; i < u->nq; i++)
        sums.out[i] = u->out[i] + 2;
    unit_run(&sums, lo, hi, k, ks, v, vs, dk, dv, scale, scratch, mx, sum);
    for (int i = 0; i < u->nq; i++) {
        u->out[i][0] = mx[i];
        u->out[i][1] = sum[i];
    }
}

void pd_attn_merge_parts(const float *part, size_t stride, int n_parts, int dv, float *out)
{
    float m = -INFINITY, s = 0;
    for (int c = 0; c < n_parts; c++)
        m = part[c * stride] > m ? part[c * stride] : m;
    memset(out, 0, (size_t)dv * sizeof *out);
    for (int c = 0; c < n_parts; c++) {
        const float *pc = part + c * stride;
        if (pc[1] == 0)
            continue;
        const float f = expf(pc[0] - m);
        s += pc[1] * f;
        for (int e = 0; e < dv; e++)
            out[e] += pc[2 + e] * f;
    }
    const float inv = s == 0 ? 0 : 1 / s;
    for (int e = 0; e < dv; e++)
        out[e] *= inv;
}

int pd_attn_split_chunk(int n_kv)
{
    const int per = (n_kv + PD_ATTN_PARTS - 1) / PD_ATTN_PARTS;
    const int chunk = (per + PD_ATTN_TILE - 1) / PD_ATTN_TILE * PD_ATTN_TILE;
    return chunk > PD_ATTN_PART_MIN ? chunk : PD_ATTN_PART_MIN;
}

void pd_attn_tiled(int nq, const float *const q[], float *const out[], const int n_kv[],
                   const uint16_t *k, size_t ks, const uint16_t *v, size_t vs, int dk, int dv,
                   float scale, float *scratch)
{
    pd_attn_unit un = { .nq = nq };
    for (int i = 0; i < nq; i++) {
        un.q[i] = q[i];
        un.out[i] = out[i];
        un.n_kv[i] = n_kv[i];
    }
    pd_attn_unit_run(&un, 0, INT_MAX, k, ks, v, vs, dk, dv, scale, scratch);
}

void pd_attn_tiled_split(int nq, const float *const q[], float *const out[], int n_kv,
                         const uint16_t *k, size_t ks, const uint16_t *v, size_t vs, int dk,
                         int dv, float scale, float *scratch, float *parts)
{
    const int chunk = pd_attn_split_chunk(n_kv), n_parts = (n_kv + chunk - 1) / chunk;
    const size_t stride = (size_t)nq * (dv + 2);
    pd_attn_unit un = { .nq = nq };
    for (int c = 0; c < n_parts; c++) {
        for (int i = 0; i < nq; i++) {
            un.q[i] = q[i];
            un.out[i] = parts + c * stride + (size_t)i * (dv + 2);
            un.n_kv[i] = n_kv;
        }
        pd_attn_part_run(&un, c * chunk, (c + 1) * chunk, k, ks, v, vs, dk, dv, scale, scratch);
    }
    for (int i = 0; i < nq; i++)
        pd_attn_merge_parts(parts + (size_t)i * (dv + 2), stride, n_parts, dv, out[i]);
}
