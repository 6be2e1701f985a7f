// norm_rope.cu - the small kernels of a block: RMSNorm (float squares
// summed in double, as the CPU), RoPE (the CPU's cos/sin rows, from a table
// made at create time), biases, residual adds, SiLU gating,
// embedding rows, KV-cache stores and the MLA query assembly.
#include "cuda.h"
#include "cumath.cuh"
#include "quant.cuh"

#include <math.h>
#include <stdlib.h>

extern "C" {
#include "cpu/ops.h"   // pd_rope_cache
}

static unsigned blocks(int64_t n, int per)
{
    return (unsigned)((n + per - 1) / per);
}

// ---------------------------------------------------------------------------
// RMSNorm: one block of 256 threads per row
// ---------------------------------------------------------------------------
// add != NULL: x += add first (x is then written, ldx == ldy == n).
__global__ void k_rmsnorm(float *y, int64_t ldy, float *x, int64_t ldx, const float *add,
                          const float *w, int n, float eps)
{
    __shared__ double part[8];
    __shared__ float scale;
    float *xr = x + blockIdx.x * ldx;
    float *yr = y + blockIdx.x * ldy;
    double ss = 0;
    if (add) {
        const float *ar = add + blockIdx.x * ldx;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            const float v = xr[i] + ar[i];
            xr[i] = v;   // each thread reads back only what it wrote
            ss += (double)__fmul_rn(v, v);   // float squares, as the CPU
        }
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x)
            ss += (double)__fmul_rn(xr[i], xr[i]);
    }
    for (int o = 16; o > 0; o >>= 1)
        ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if (threadIdx.x % 32 == 0)
        part[threadIdx.x / 32] = ss;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0;
        for (int i = 0; i < (int)blockDim.x / 32; i++)
            t += part[i];
        scale = 1.0f / sqrtf((float)(t / n) + eps);
    }
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        yr[i] = w ? xr[i] * scale * w[i] : xr[i] * scale;
}

pd_status cu_rmsnorm(cudaStream_t s, float *y, int64_t ldy, const float *x, int64_t ldx,
                     const float *w, int rows, int n, float eps)
{
    if (rows <= 0)
        return PD_OK;
    k_rmsnorm<<<rows, 256, 0, s>>>(y, ldy, (float *)x, ldx, NULL, w, n, eps);
    CUDA_LAUNCHED();
    return PD_OK;
}

pd_status cu_add_rmsnorm(cudaStream_t s, float *y, float *x, const float *add, const float *w,
                         int rows, int n, float eps)
{
    if (rows <= 0)
        return PD_OK;
    k_rmsnorm<<<rows, 256, 0, s>>>(y, n, x, n, add, w, n, eps);
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// RoPE
// ---------------------------------------------------------------------------
pd_status cu_rope_init(cu_rope *r, const pd_hparams *hp, int n_ctx)
{
    *r = cu_rope{ hp->rope_dim, n_ctx, NULL };
    const size_t n = (size_t)n_ctx * hp->rope_dim;
    if (n == 0)
        return PD_OK;
    float *h = (float *)malloc(n * sizeof *h);
    if (!h)
        return pd_fail(PD_ENOMEM, "cuda: out of memory for the RoPE table");
    for (int p = 0; p < n_ctx; p++)
        pd_rope_cache(hp, p, h + (size_t)p * hp->rope_dim);
    cudaError_t e = cudaMalloc(&r->tab, n * sizeof *h);
    if (e == cudaSuccess)
        e = cudaMemcpy(r->tab, h, n * sizeof *h, cudaMemcpyHostToDevice);
    free(h);
    if (e != cudaSuccess)
        return pd_fail(PD_EBACKEND, "cuda: uploading the RoPE table (%.1f MiB): %s",
                       n * sizeof *h / 1048576.0, cudaGetErrorString(e));
    return PD_OK;
}

void cu_rope_free(cu_rope *r)
{
    cudaFree(r->tab);
    r->tab = NULL;
}

// cs rows [0, rows) = the table's rows *pos0.. (positions past n_ctx, which
// the host never sends, read row n_ctx - 1 rather than out of bounds)
__global__ void k_rope_cache(cu_rope r, const int *pos0, int rows, float *cs)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * r.dim)
        return;
    const int row = (int)(i / r.dim);
    int p = *pos0 + row;
    p = p < 0 ? 0 : p >= r.n_ctx ? r.n_ctx - 1 : p;
    cs[i] = r.tab[(int64_t)p * r.dim + i % r.dim];
}

pd_status cu_rope_cache(cudaStream_t s, const cu_rope *r, const int *pos0, int rows, float *cs)
{
    if (rows <= 0 || r->dim <= 0)
        return PD_OK;
    if (!r->tab)
        return pd_fail(PD_EBACKEND, "cuda: no RoPE table");
    k_rope_cache<<<blocks((int64_t)rows * r->dim, 256), 256, 0, s>>>(*r, pos0, rows, cs);
    CUDA_LAUNCHED();
    return PD_OK;
}

// One thread per (row, head, pair).
__global__ void k_rope_apply(pd_rope_kind kind, float *x, int64_t ld, int nh, int64_t hs,
                             int off, int dim, const float *cs, int64_t cs_ld, int rows)
{
    const int half = dim / 2;
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * nh * half)
        return;
    const int p = (int)(i % half);
    const int64_t h = (i / half) % nh, row = i / ((int64_t)half * nh);
    float *v = x + row * ld + h * hs + off;
    const float *c = cs + row * cs_ld, *sn = c + half;
    float *a = kind == PD_ROPE_NEOX ? &v[p] : &v[2 * p];
    float *b = kind == PD_ROPE_NEOX ? &v[p + half] : &v[2 * p + 1];
    const float x0 = *a, x1 = *b;
    // the CPU's pd_rope_apply: ggml's roundings with FMA contraction
    *a = fmaf(x0, c[p], -__fmul_rn(x1, sn[p]));
    *b = fmaf(x0, sn[p], __fmul_rn(x1, c[p]));
}

pd_status cu_rope_apply(cudaStream_t s, pd_rope_kind kind, float *x, int64_t ld, int nh,
                        int64_t hs, int off, int dim, const float *cs, int64_t cs_ld, int rows)
{
    const int64_t n = (int64_t)rows * nh * (dim / 2);
    if (n <= 0)
        return PD_OK;
    k_rope_apply<<<blocks(n, 256), 256, 0, s>>>(kind, x, ld, nh, hs, off, dim, cs, cs_ld, rows);
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// Elementwise
// ---------------------------------------------------------------------------
__global__ void k_add_bias(float *x, int64_t ld, const float *b, int rows, int n)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (int64_t)rows * n)
        x[(i / n) * ld + i % n] += b[i % n];
}

pd_status cu_add_bias(cudaStream_t s, float *x, int64_t ld, const float *b, int rows, int n)
{
    if ((int64_t)rows * n <= 0)
        return PD_OK;
    k_add_bias<<<blocks((int64_t)rows * n, 256), 256, 0, s>>>(x, ld, b, rows, n);
    CUDA_LAUNCHED();
    return PD_OK;
}

__global__ void k_add(float *x, const float *y, int64_t n)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] += y[i];
}

pd_status cu_add(cudaStream_t s, float *x, const float *y, int64_t n)
{
    if (n <= 0)
        return PD_OK;
    k_add<<<blocks(n, 256), 256, 0, s>>>(x, y, n);
    CUDA_LAUNCHED();
    return PD_OK;
}

__global__ void k_silu_mul(float *a, const float *b, int64_t n)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        a[i] = cu_silu_mul1(a[i], b[i]);   // ggml's v_expf, as pd_silu_mul
}

pd_status cu_silu_mul(cudaStream_t s, float *a, const float *b, int64_t n)
{
    if (n <= 0)
        return PD_OK;
    k_silu_mul<<<blocks(n, 256), 256, 0, s>>>(a, b, n);
    CUDA_LAUNCHED();
    return PD_OK;
}

// ---------------------------------------------------------------------------
// Embedding rows, cache stores, MLA query
// ---------------------------------------------------------------------------
template <int T>
__global__ void k_embed(cu_w w, const int *tokens, int rows, float *out)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= rows * w.k)
        return;
    int64_t t = tokens[i / w.k];
    if (t < 0 || t >= w.n)   // checked on the host; never read out of bounds
        t = 0;
    out[i] = cu_deq<T>(w.data + t * w.row_bytes, i % w.k);
}

pd_status cu_embed(cudaStream_t s, const cu_w *w, const int *tokens, int rows, float *out)
{
    const unsigned g = blocks(rows * w->k, 256);
    switch (w->type) {
    case PD_TYPE_F32: k_embed<PD_TYPE_F32><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_F16: k_embed<PD_TYPE_F16><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_BF16: k_embed<PD_TYPE_BF16><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q8_0: k_embed<PD_TYPE_Q8_0><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q4_0: k_embed<PD_TYPE_Q4_0><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q5_0: k_embed<PD_TYPE_Q5_0><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q4_1: k_embed<PD_TYPE_Q4_1><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q5_1: k_embed<PD_TYPE_Q5_1><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ2_XXS: k_embed<PD_TYPE_IQ2_XXS><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ2_XS: k_embed<PD_TYPE_IQ2_XS><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ2_S: k_embed<PD_TYPE_IQ2_S><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ3_XXS: k_embed<PD_TYPE_IQ3_XXS><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ3_S: k_embed<PD_TYPE_IQ3_S><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ1_S: k_embed<PD_TYPE_IQ1_S><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ1_M: k_embed<PD_TYPE_IQ1_M><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ4_NL: k_embed<PD_TYPE_IQ4_NL><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_IQ4_XS: k_embed<PD_TYPE_IQ4_XS><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q2_K: k_embed<PD_TYPE_Q2_K><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q3_K: k_embed<PD_TYPE_Q3_K><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q4_K: k_embed<PD_TYPE_Q4_K><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q5_K: k_embed<PD_TYPE_Q5_K><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    case PD_TYPE_Q6_K: k_embed<PD_TYPE_Q6_K><<<g, 256, 0, s>>>(*w, tokens, rows, out); break;
    default:
        return pd_fail(PD_EUNSUPPORTED, "cuda: no embedding lookup for %s", pd_type_name(w->type));
    }
    CUDA_LAUNCHED();
    return PD_OK;
}

__global__ void k_kv_store(void *cache, bool f16, int64_t width, const float *src, int64_t ld,
                           int rows, int n, const int *pos0)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * n)
        return;
    const int64_t r = i / n, c = i % n, dst = (*pos0 + r) * width + c;
    const float v = src[r * ld + c];
    if (f16)
        ((__half *)cache)[dst] = __float2half_rn(v);
    else
        ((float *)cache)[dst] = v;
}

pd_status cu_kv_store(cudaStream_t s, void *cache, bool f16, int64_t width, const float *src,
                      int64_t ld, int rows, int n, const int *pos0)
{
    if ((int64_t)rows * n <= 0)
        return PD_OK;
    k_kv_store<<<blocks((int64_t)rows * n, 256), 256, 0, s>>>(cache, f16, width, src, ld, rows, n, pos0);
    CUDA_LAUNCHED();
    return PD_OK;
}

__global__ void k_mla_query(float *qc, const float *qlat, const float *q, int rows, int H,
                            int R, int dr, int dq, int nope)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, dk = R + dr;
    if (i >= (int64_t)rows * H * dk)
        return;
    const int64_t c = i % dk, th = i / dk;   // th = t*H + h
    qc[i] = c < R ? qlat[th * R + c] : q[th * dq + nope + (c - R)];
}

pd_status cu_mla_query(cudaStream_t s, float *qc, const float *qlat, const float *q,
                       int rows, int H, int R, int dr, int dq, int nope)
{
    const int64_t n = (int64_t)rows * H * (R + dr);
    if (n <= 0)
        return PD_OK;
    k_mla_query<<<blocks(n, 256), 256, 0, s>>>(qc, qlat, q, rows, H, R, dr, dq, nope);
    CUDA_LAUNCHED();
    return PD_OK;
}
