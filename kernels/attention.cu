// attention.cu - attention of query rows over the cache, tiled: one block per
// (head, query row) walks the keys in tiles of AT_TILE, scores of a tile in
// shared memory, an online softmax, so no score matrix is ever stored.
// With an F16 cache the running sum of V is rounded to half after every
// update, as llama.cpp's CPU flash attention (and our CPU backend) does for
// batches under 64 rows; rows of wider batches keep F32 (its tiled path).
// MLA is the same kernel: keys are the cached [latent, k_pe] rows and values
// their first kv_lora entries.
#include "cuda.h"
#include "cumath.cuh"

#include <math.h>

#define AT_THREADS 128
#define AT_TILE 64
#define AT_MAXD 4        // values per thread: dv <= AT_THREADS * AT_MAXD = 512
#define AT_MAXK 1024     // query width kept in shared memory

template <bool F16>
__device__ __forceinline__ float cache_at(const void *p, int64_t i)
{
    if (F16)
        return __half2float(((const __half *)p)[i]);
    return ((const float *)p)[i];
}

__device__ __forceinline__ float to_half(float v)
{
    return __half2float(__float2half_rn(v));
}

// *out = (q . k) * scale in the order of the CPU's dot_h_ref (ggml_vec_dot_f16
// for AVX-512): 64 fma accumulators acc[j][l] (element 64b + 16j + l), lane
// L holding acc[L/16][L%16] and acc[L/16 + 2][L%16]; folded 0+2, 1+3, 0+1;
// the 16 lanes reduced as _mm512_reduce_add_ps; the tail added in double.
__device__ __forceinline__ void score_dot_h(const float *q, const __half *k, int dk, float scale,
                                            int lane, float *out)
{
    const int np = dk & ~63;
    float a0 = 0.0f, a1 = 0.0f;
    for (int i = 0; i < np; i += 64) {
        a0 = fmaf(q[i + lane], __half2float(k[i + lane]), a0);
        a1 = fmaf(q[i + 32 + lane], __half2float(k[i + 32 + lane]), a1);
    }
    float v = __fadd_rn(a0, a1);                                    // acc[j] + acc[j + 2]
    v = __fadd_rn(v, __shfl_down_sync(0xffffffffu, v, 16));         // (0+2) + (1+3)
    v = __fadd_rn(__shfl_down_sync(0xffffffffu, v, 8), v);          // upper 8 + lower 8
    v = __fadd_rn(__shfl_down_sync(0xffffffffu, v, 4), v);          // upper 4 + lower 4
    v = __fadd_rn(v, __shfl_down_sync(0xffffffffu, v, 2));          // 0+2, 1+3
    v = __fadd_rn(v, __shfl_down_sync(0xffffffffu, v, 1));
    if (lane == 0) {
        double s = v;
        for (int i = np; i < dk; i++)
            s += (double)__fmul_rn(q[i], __half2float(k[i]));
        *out = __fmul_rn((float)s, scale);
    }
}

template <bool F16>
__global__ void __launch_bounds__(AT_THREADS) k_attention(cu_attn a, const int *pos0)
{
    __shared__ float qs[AT_MAXK];
    __shared__ float sc[AT_TILE];
    const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x;
    const int lane = tid % 32, warp = tid / 32, hk = h / a.group;
    const int n_kv = *pos0 + t + 1;
    // half accumulator: the CPU's narrow rows under PD_CU_CPU_F32_FROM keys
    const bool hacc = F16 && t >= a.wide_rows && n_kv < PD_CU_CPU_F32_FROM;
    const float *q = a.q + ((int64_t)t * a.H + h) * a.dk;
    for (int i = tid; i < a.dk; i += AT_THREADS)
        qs[i] = hacc ? to_half(q[i]) : q[i];
    const uint8_t *kb = (const uint8_t *)a.k + (int64_t)hk * a.dk * (F16 ? 2 : 4);
    const uint8_t *vb = (const uint8_t *)a.v + (int64_t)hk * a.dv * (F16 ? 2 : 4);
    float acc[AT_MAXD];
#pragma unroll
    for (int j = 0; j < AT_MAXD; j++)
        acc[j] = 0.0f;
    float M = -INFINITY, S = 0.0f;
    __syncthreads();
    for (int p0 = 0; p0 < n_kv; p0 += AT_TILE) {
        const int np = n_kv - p0 < AT_TILE ? n_kv - p0 : AT_TILE;
        // scores in the CPU's order of operations
        if (hacc) {
            // dot_h_ref: each warp a quarter of the tile's keys
            for (int j = warp; j < np; j += AT_THREADS / 32)
                score_dot_h(qs, (const __half *)(kb + (int64_t)(p0 + j) * a.k_ld * 2), a.dk,
                            a.scale, lane, &sc[j]);
        } else {
            // one thread per key: row_f32's plain loop (F32 cache), dots4_h_ref's
            // fma chain (F16 cache, rows that sum in F32)
            for (int j = tid; j < np; j += AT_THREADS) {
                const void *kr = kb + (int64_t)(p0 + j) * a.k_ld * (F16 ? 2 : 4);
                float s = 0.0f;
                for (int i = 0; i < a.dk; i++)
                    s = F16 ? fmaf(qs[i], cache_at<F16>(kr, i), s)
                            : __fadd_rn(s, __fmul_rn(qs[i], cache_at<F16>(kr, i)));
                sc[j] = __fmul_rn(s, a.scale);
            }
        }
        __syncthreads();
        // online softmax; each thread owns values tid, tid + 128, ...
        for (int j = 0; j < np; j++) {
            const float s = sc[j];
            float ms = 1.0f, vw = 1.0f;
            if (s > M) {   // glibc's expf and an fma for S, as the CPU's row_f16
                ms = cu_glibc_expf(__fsub_rn(M, s));
                M = s;
            } else {
                vw = cu_glibc_expf(__fsub_rn(s, M));
            }
            const void *vr = vb + (int64_t)(p0 + j) * a.v_ld * (F16 ? 2 : 4);
#pragma unroll
            for (int d = 0; d < AT_MAXD; d++) {
                const int i = tid + d * AT_THREADS;
                if (i >= a.dv)
                    break;
                const float v = cache_at<F16>(vr, i);
                if (hacc) {
                    float x = ms != 1.0f ? to_half(__fmul_rn(acc[d], ms)) : acc[d];
                    acc[d] = to_half(fmaf(v, vw, x));   // the CPU's mad_h
                } else {
                    acc[d] = __fadd_rn(__fmul_rn(acc[d], ms), __fmul_rn(v, vw));
                }
            }
            S = fmaf(S, ms, vw);
        }
        __syncthreads();
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    float *o = a.out + ((int64_t)t * a.H + h) * a.dv;
#pragma unroll
    for (int d = 0; d < AT_MAXD; d++) {
        const int i = tid + d * AT_THREADS;
        if (i < a.dv)
            o[i] = acc[d] * inv;
    }
}

pd_status cu_attention(cudaStream_t s, const cu_attn *a, const int *pos0, int rows)
{
    if (rows <= 0)
        return PD_OK;
    if (a->dv > AT_THREADS * AT_MAXD || a->dk > AT_MAXK || a->group <= 0 || rows > 65535)
        return pd_fail(PD_EUNSUPPORTED, "cuda: attention with dk %d, dv %d, %d rows is not supported",
                       a->dk, a->dv, rows);
    const dim3 grid((unsigned)a->H, (unsigned)rows);
    if (a->f16)
        k_attention<true><<<grid, AT_THREADS, 0, s>>>(*a, pos0);
    else
        k_attention<false><<<grid, AT_THREADS, 0, s>>>(*a, pos0);
    CUDA_LAUNCHED();
    return PD_OK;
}
