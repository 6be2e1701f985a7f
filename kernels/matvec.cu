// matvec.cu - decode products: activations converted to the weight's dot
// format (exactly as the CPU converts them), then one warp per output row
// reading the row once, integer dot products per 32 values, F32 sums.
// Also the dequantizers the prefill GEMM uses (weight tiles and activations
// rounded through the dot format).
#include "cuda.h"
#include "quant.cuh"

#include <math.h>

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ int warp_sum_i(int v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

static unsigned blocks(int64_t n, int per)
{
    return (unsigned)((n + per - 1) / per);
}

// ---------------------------------------------------------------------------
// Activation conversion
// ---------------------------------------------------------------------------
// Q8_0 of one 32-value block per warp: d = fp16(amax/127), q = rint(x*127/amax).
__device__ __forceinline__ int quant_q8_0(float v, float *d)
{
    const float amax = warp_max(fabsf(v));
    *d = __half2float(__float2half_rn(amax / 127.f));
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    return max(-128, min(127, (int)rintf(v * id)));
}

// Q8_1 as Q8_0, and s = fp16(d * sum of the quants) with d the float
// amax/127 before its rounding (ggml's quantize_row_q8_1): *s gets it.
__device__ __forceinline__ int quant_q8_1(float v, float *d, float *s)
{
    const float amax = warp_max(fabsf(v));
    const float dd = amax / 127.f;
    *d = __half2float(__float2half_rn(dd));
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    const int q = max(-128, min(127, (int)rintf(v * id)));
    *s = __half2float(__float2half_rn(dd * (float)warp_sum_i(q)));
    return q;
}

// Q8_K of one 256-value block per 256 threads: the scale comes from the
// first value of largest magnitude (as ggml), iscale = -127/max.
__device__ int quant_q8_k(float v, float *d)
{
    __shared__ float s_ax[8], s_v[8];
    __shared__ int s_i[8];
    const int t = threadIdx.x, lane = t % 32, w = t / 32;
    float ax = fabsf(v), bv = v;
    int bi = t;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float oax = __shfl_xor_sync(0xffffffffu, ax, o);
        const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (oax > ax || (oax == ax && oi < bi)) { ax = oax; bv = ov; bi = oi; }
    }
    if (lane == 0) { s_ax[w] = ax; s_v[w] = bv; s_i[w] = bi; }
    __syncthreads();
    float amax = s_ax[0], mx = s_v[0];
    int mi = s_i[0];
    for (int i = 1; i < 8; i++)
        if (s_ax[i] > amax || (s_ax[i] == amax && s_i[i] < mi)) { amax = s_ax[i]; mx = s_v[i]; mi = s_i[i]; }
    __syncthreads();   // the shared arrays may be reused by the caller's next block
    if (amax == 0.0f) {
        *d = 0.0f;
        return 0;
    }
    const float iscale = -127.f / mx;
    *d = 1 / iscale;
    return min(127, (int)rintf(iscale * v));
}

// One 32-value block per warp. Q8_0: s gets the sum of the quants; Q8_1
// (Q1): the bits of the float s = fp16(d * sum) (quant.cuh cu_i2f).
template <bool Q1>
__global__ void k_act_q8_x(const float *x, int64_t ldx, int rows, int64_t k, int8_t *q,
                           float *d, int *s)
{
    const int64_t nb = k / 32, gw = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (gw >= rows * nb)
        return;
    const int64_t r = gw / nb, b = gw % nb;
    float dd, ss = 0.0f;
    const float v = x[r * ldx + b * 32 + lane];
    const int qi = Q1 ? quant_q8_1(v, &dd, &ss) : quant_q8_0(v, &dd);
    q[r * k + b * 32 + lane] = (int8_t)qi;
    const int sum = Q1 ? __float_as_int(ss) : warp_sum_i(qi);
    if (lane == 0) {
        d[r * nb + b] = dd;
        s[r * nb + b] = sum;
    }
}

__global__ void k_act_q8_k(const float *x, int64_t ldx, int64_t k, int8_t *q, float *d, int *s)
{
    const int64_t nb = k / 256, r = blockIdx.x / nb, b = blockIdx.x % nb;
    const int t = threadIdx.x;
    float dd;
    const int qi = quant_q8_k(x[r * ldx + b * 256 + t], &dd);
    q[r * k + b * 256 + t] = (int8_t)qi;
    const int sum = warp_sum_i(qi);
    if (t % 32 == 0)
        s[r * (k / 32) + b * 8 + t / 32] = sum;
    if (t == 0)
        d[r * nb + b] = dd;
}

__device__ __forceinline__ float round_to(pd_type t, float v)
{
    if (t == PD_TYPE_F16)
        return __half2float(__float2half_rn(v));
    if (t == PD_TYPE_BF16)
        return __bfloat162float(__float2bfloat16_rn(v));
    return v;
}

__global__ void k_act_float(pd_type t, const float *x, int64_t ldx, int rows, int64_t k, float *f)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= rows * k)
        return;
    f[i] = round_to(t, x[(i / k) * ldx + i % k]);
}

pd_status cu_act_quantize(cudaStream_t s, pd_type vt, const float *x, int64_t ldx,
                          int rows, int64_t k, cu_act *a)
{
    a->type = vt;
    a->k = k;
    if (rows <= 0)
        return PD_OK;
    switch (vt) {
    case PD_TYPE_Q8_0:
        k_act_q8_x<false><<<blocks(rows * (k / 32) * 32, 256), 256, 0, s>>>(x, ldx, rows, k, a->q, a->d, a->s);
        break;
    case PD_TYPE_Q8_1:
        k_act_q8_x<true><<<blocks(rows * (k / 32) * 32, 256), 256, 0, s>>>(x, ldx, rows, k, a->q, a->d, a->s);
        break;
    case PD_TYPE_Q8_K:
        k_act_q8_k<<<(unsigned)(rows * (k / 256)), 256, 0, s>>>(x, ldx, k, a->q, a->d, a->s);
        break;
    case PD_TYPE_F32: case PD_TYPE_F16: case PD_TYPE_BF16:
        k_act_float<<<blocks(rows * k, 256), 256, 0, s>>>(vt, x, ldx, rows, k, a->f);
        break;
    default:
        return pd_fail(PD_EUNSUPPORTED, "cuda: no activation format %s", pd_type_name(vt));
    }
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// Mat-vec: 4 warps per block, one output row per warp, grid.y = slots
// ---------------------------------------------------------------------------
#define MV_WARPS 4

struct mv_args {
    cu_w w;
    cu_act a;
    const int *ids;
    int a_div;
    float *y;
    int64_t ldy;
};

__device__ __forceinline__ bool mv_row(const mv_args &p, const uint8_t **row, int64_t *r,
                                       int64_t *arow)
{
    const int slot = blockIdx.y;
    *r = (int64_t)blockIdx.x * MV_WARPS + threadIdx.x / 32;
    if (*r >= p.w.n)
        return false;
    int64_t mat = p.ids ? p.ids[slot] : slot % p.w.n_mat;
    if (mat < 0 || mat >= p.w.n_mat)   // never from our router; do not read out of bounds
        mat = 0;
    *row = p.w.data + mat * p.w.mat_stride + *r * p.w.row_bytes;
    *arow = p.a_div ? slot / p.a_div : 0;
    return true;
}

template <int T>
__global__ void __launch_bounds__(MV_WARPS * 32) k_matvec_q(mv_args p)
{
    const uint8_t *row;
    int64_t r, arow;
    if (!mv_row(p, &row, &r, &arow))
        return;
    const int lane = threadIdx.x % 32;
    const int64_t k = p.w.k, units = k / 32;
    // values per activation scale: Q8_0/Q8_1 blocks of 32 for the 32-value
    // weight types, Q8_K's 256 for the super-block ones
    const int qk = T == PD_TYPE_Q8_0 || T == PD_TYPE_Q4_0 || T == PD_TYPE_Q5_0 || T == PD_TYPE_Q4_1
                   || T == PD_TYPE_Q5_1 || T == PD_TYPE_IQ4_NL ? 32 : 256;
    const int8_t *xq = p.a.q + arow * k;
    const float *xd = p.a.d + arow * (k / qk);
    const int *xs = p.a.s + arow * units;
    float acc = 0.0f;
    for (int64_t u = lane; u < units; u += 32)
        acc += cu_dot32<T>(row, u, xq + 32 * u, xd[u * 32 / qk], xs[u]);
    acc = warp_sum(acc);
    if (lane == 0)
        p.y[blockIdx.y * p.ldy + r] = acc;
}

template <int T>
__global__ void __launch_bounds__(MV_WARPS * 32) k_matvec_f(mv_args p)
{
    const uint8_t *row;
    int64_t r, arow;
    if (!mv_row(p, &row, &r, &arow))
        return;
    const int lane = threadIdx.x % 32;
    const int64_t k = p.w.k;
    const float *x = p.a.f + arow * k;
    float acc = 0.0f;
    if (T == PD_TYPE_F32 && k % 16 == 0) {
        // the CPU's dot_f32_tinyblas (every SIMD level): 16 fma chains, lanes
        // 0..15, reduced as pd_reduce16. The routers' logits pick experts.
        const float *w = (const float *)row;
        if (lane < 16)
            for (int64_t i = lane; i < k; i += 16)
                acc = fmaf(w[i], x[i], acc);
        acc = __fadd_rn(__shfl_down_sync(0xffffffffu, acc, 8), acc);
        acc = __fadd_rn(__shfl_down_sync(0xffffffffu, acc, 4), acc);
        acc = __fadd_rn(acc, __shfl_down_sync(0xffffffffu, acc, 2));
        acc = __fadd_rn(acc, __shfl_down_sync(0xffffffffu, acc, 1));
        if (lane == 0)
            p.y[blockIdx.y * p.ldy + r] = acc;
        return;
    }
    for (int64_t i = lane; i < k; i += 32)
        acc += cu_deq<T>(row, i) * x[i];
    acc = warp_sum(acc);
    if (lane == 0)
        p.y[blockIdx.y * p.ldy + r] = acc;
}

pd_status cu_matvec(cudaStream_t s, const cu_w *w, const cu_act *a, int n_slots,
                    const int *ids, int a_div, float *y, int64_t ldy)
{
    if (n_slots <= 0 || w->n <= 0)
        return PD_OK;
    if (a->type != pd_type_vec_dot(w->type) || a->k != w->k)
        return pd_fail(PD_EBACKEND, "cuda: matvec of %s weights on %s activations of %lld",
                       pd_type_name(w->type), pd_type_name(a->type), (long long)a->k);
    if (n_slots > 65535)
        return pd_fail(PD_ELIMIT, "cuda: matvec over %d slots", n_slots);
    const mv_args p = { *w, *a, ids, a_div, y, ldy };
    const dim3 grid(blocks(w->n, MV_WARPS), (unsigned)n_slots), blk(MV_WARPS * 32);
    switch (w->type) {
    case PD_TYPE_F32: k_matvec_f<PD_TYPE_F32><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_F16: k_matvec_f<PD_TYPE_F16><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_BF16: k_matvec_f<PD_TYPE_BF16><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q8_0: k_matvec_q<PD_TYPE_Q8_0><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q4_0: k_matvec_q<PD_TYPE_Q4_0><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q5_0: k_matvec_q<PD_TYPE_Q5_0><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q4_1: k_matvec_q<PD_TYPE_Q4_1><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q5_1: k_matvec_q<PD_TYPE_Q5_1><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ2_XXS: k_matvec_q<PD_TYPE_IQ2_XXS><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ2_XS: k_matvec_q<PD_TYPE_IQ2_XS><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ2_S: k_matvec_q<PD_TYPE_IQ2_S><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ3_XXS: k_matvec_q<PD_TYPE_IQ3_XXS><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ3_S: k_matvec_q<PD_TYPE_IQ3_S><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ1_S: k_matvec_q<PD_TYPE_IQ1_S><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ1_M: k_matvec_q<PD_TYPE_IQ1_M><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ4_NL: k_matvec_q<PD_TYPE_IQ4_NL><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_IQ4_XS: k_matvec_q<PD_TYPE_IQ4_XS><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q2_K: k_matvec_q<PD_TYPE_Q2_K><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q3_K: k_matvec_q<PD_TYPE_Q3_K><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q4_K: k_matvec_q<PD_TYPE_Q4_K><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q5_K: k_matvec_q<PD_TYPE_Q5_K><<<grid, blk, 0, s>>>(p); break;
    case PD_TYPE_Q6_K: k_matvec_q<PD_TYPE_Q6_K><<<grid, blk, 0, s>>>(p); break;
    default:
        return pd_fail(PD_EUNSUPPORTED, "cuda: no matvec for %s weights", pd_type_name(w->type));
    }
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// Dequantization for the GEMM path
// ---------------------------------------------------------------------------
template <int T, typename O>
__global__ void k_dequant(const uint8_t *base, size_t row_bytes, int64_t k, int64_t nr, O *out)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nr * k)
        return;
    const float v = cu_deq<T>(base + (i / k) * row_bytes, i % k);
    if constexpr (sizeof(O) == 2)
        out[i] = __float2half_rn(v);
    else
        out[i] = v;
}

template <typename O>
static bool launch_dequant(cudaStream_t s, pd_type t, const uint8_t *base, size_t rb, int64_t k,
                           int64_t nr, O *out)
{
    const unsigned g = blocks(nr * k, 256);
    switch (t) {
    case PD_TYPE_F32: k_dequant<PD_TYPE_F32, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_F16: k_dequant<PD_TYPE_F16, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_BF16: k_dequant<PD_TYPE_BF16, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q8_0: k_dequant<PD_TYPE_Q8_0, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q4_0: k_dequant<PD_TYPE_Q4_0, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q5_0: k_dequant<PD_TYPE_Q5_0, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q4_1: k_dequant<PD_TYPE_Q4_1, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q5_1: k_dequant<PD_TYPE_Q5_1, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ2_XXS: k_dequant<PD_TYPE_IQ2_XXS, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ2_XS: k_dequant<PD_TYPE_IQ2_XS, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ2_S: k_dequant<PD_TYPE_IQ2_S, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ3_XXS: k_dequant<PD_TYPE_IQ3_XXS, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ3_S: k_dequant<PD_TYPE_IQ3_S, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ1_S: k_dequant<PD_TYPE_IQ1_S, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ1_M: k_dequant<PD_TYPE_IQ1_M, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ4_NL: k_dequant<PD_TYPE_IQ4_NL, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_IQ4_XS: k_dequant<PD_TYPE_IQ4_XS, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q2_K: k_dequant<PD_TYPE_Q2_K, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q3_K: k_dequant<PD_TYPE_Q3_K, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q4_K: k_dequant<PD_TYPE_Q4_K, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q5_K: k_dequant<PD_TYPE_Q5_K, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    case PD_TYPE_Q6_K: k_dequant<PD_TYPE_Q6_K, O><<<g, 256, 0, s>>>(base, rb, k, nr, out); break;
    default: return false;
    }
    return true;
}

pd_status cu_dequant(cudaStream_t s, const cu_w *w, int64_t mat, int64_t r0, int64_t nr,
                     void *out, bool half)
{
    if (nr <= 0)
        return PD_OK;
    const uint8_t *base = w->data + mat * w->mat_stride + r0 * w->row_bytes;
    const bool ok = half ? launch_dequant(s, w->type, base, w->row_bytes, w->k, nr, (__half *)out)
                         : launch_dequant(s, w->type, base, w->row_bytes, w->k, nr, (float *)out);
    if (!ok)
        return pd_fail(PD_EUNSUPPORTED, "cuda: cannot dequantize %s", pd_type_name(w->type));
    CUDA_LAUNCHED();
    return PD_OK;
}

// Rows rounded through the dot format, one block per 256 values (Q8_K) or
// per 8 blocks of 32 (the rest): out = the value the CPU's dot product sees;
// Q8_1 with delta: also its min term's rounding (cu_act_roundtrip).
template <typename O>
__global__ void k_roundtrip(pd_type vt, const float *x, int64_t ldx, const int *idx, int rows,
                            int64_t k, O *out, float *delta)
{
    const int64_t nb = (k + 255) / 256, r = blockIdx.x / nb;
    const int64_t i = (blockIdx.x % nb) * 256 + threadIdx.x;
    const int64_t src = idx ? idx[r] : r;
    const bool in = i < k;
    const float v = in ? x[src * ldx + i] : 0.0f;
    float o;
    if (vt == PD_TYPE_Q8_K) {
        float d;
        const int q = quant_q8_k(v, &d);
        o = d * q;
    } else if (vt == PD_TYPE_Q8_1 && delta) {   // a warp is one block of 32 (k % 32 == 0)
        float d, sd;
        const int q = quant_q8_1(v, &d, &sd);
        const int sum = warp_sum_i(q);
        if (in && threadIdx.x % 32 == 0)
            delta[r * (k / 32) + i / 32] = (float)((double)sd - (double)d * sum);
        o = d * q;
    } else if (vt == PD_TYPE_Q8_0 || vt == PD_TYPE_Q8_1) {   // the same quants and d
        float d;
        const int q = quant_q8_0(v, &d);
        o = d * q;
    } else {
        o = round_to(vt, v);
    }
    if (!in)
        return;
    if constexpr (sizeof(O) == 2)
        out[r * k + i] = __float2half_rn(o);
    else
        out[r * k + i] = o;
}

pd_status cu_act_roundtrip(cudaStream_t s, pd_type vt, const float *x, int64_t ldx,
                           const int *idx, int rows, int64_t k, void *out, bool half,
                           float *delta)
{
    if (rows <= 0)
        return PD_OK;
    if ((vt == PD_TYPE_Q8_K && k % 256) || ((vt == PD_TYPE_Q8_0 || vt == PD_TYPE_Q8_1) && k % 32))
        return pd_fail(PD_EBACKEND, "cuda: %lld values do not fill %s blocks", (long long)k,
                       pd_type_name(vt));
    const unsigned g = (unsigned)(rows * ((k + 255) / 256));
    if (half)
        k_roundtrip<__half><<<g, 256, 0, s>>>(vt, x, ldx, idx, rows, k, (__half *)out, delta);
    else
        k_roundtrip<float><<<g, 256, 0, s>>>(vt, x, ldx, idx, rows, k, (float *)out, delta);
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// The Q8_1 term a GEMM on dequantized rows misses (Q4_1, Q5_1)
// ---------------------------------------------------------------------------
// The CPU's Q4_1/Q5_1 dot adds a block's min times s = fp16(d * sum of the
// quants); a GEMM of the dequantized rows against the rounded activations
// adds it times d * sum, unrounded: off by up to 2^-11 of that term.
// k_roundtrip writes each block's s - d * sum (delta); here the mins.
// mins (column-major, nb rows of one column per weight row) = the fp16 min
// of every block of rows [0, nr): Q4_1 and Q5_1 blocks lead with d, then m
__global__ void k_block_mins(const uint8_t *base, size_t row_bytes, size_t block_bytes, int64_t nb,
                             int64_t nr, float *mins)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nr * nb)
        return;
    mins[i] = cu_h2f(base + (i / nb) * row_bytes + (i % nb) * block_bytes + 2);
}

pd_status cu_block_mins(cudaStream_t s, const cu_w *w, int64_t mat, int64_t r0, int64_t nr,
                        float *mins)
{
    if (nr <= 0)
        return PD_OK;
    if (w->type != PD_TYPE_Q4_1 && w->type != PD_TYPE_Q5_1)
        return pd_fail(PD_EUNSUPPORTED, "cuda: %s has no block mins", pd_type_name(w->type));
    const int64_t nb = w->k / 32;
    const uint8_t *base = w->data + mat * w->mat_stride + r0 * w->row_bytes;
    k_block_mins<<<blocks(nr * nb, 256), 256, 0, s>>>(base, w->row_bytes, w->row_bytes / nb, nb, nr, mins);
    CUDA_LAUNCHED();
    return PD_OK;
}
