// cuda.h - CUDA backend internals shared by the kernels/ files: error
// checking that turns every failed CUDA/cuBLAS call into a pd_status with
// the call, file and line (never an abort), the device-side views of
// weights and activations, and the launchers each .cu file provides.
//
// Everything here has hidden visibility in the plugin (-fvisibility=hidden):
// the only exported symbol is pd_backend_cuda_entry. tests/gpu/test_ops.cu
// links the same objects statically and calls the launchers directly.
#pragma once

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cublas_v2.h>

extern "C" {
#include "backend.h"
#include "kvcache.h"
#include "plan.h"
}

// Evaluate a CUDA runtime call; on failure record where and return.
#define CUDA_TRY(call) do {                                                   \
        cudaError_t e_ = (call);                                             \
        if (e_ != cudaSuccess)                                               \
            return pd_fail(PD_EBACKEND, "cuda: %s failed at %s:%d: %s",       \
                           #call, __FILE__, __LINE__, cudaGetErrorString(e_)); \
    } while (0)

#define CUBLAS_TRY(call) do {                                                 \
        cublasStatus_t s_ = (call);                                          \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                     \
            return pd_fail(PD_EBACKEND, "cublas: %s failed at %s:%d: %s",     \
                           #call, __FILE__, __LINE__, cublasGetStatusString(s_)); \
    } while (0)

// After a kernel launch: launch errors are reported like any failed call.
#define CUDA_LAUNCHED() CUDA_TRY(cudaGetLastError())

// Propagate a pd_status.
#define PD_TRY(x) do { pd_status st_ = (x); if (st_ != PD_OK) return st_; } while (0)

// ---------------------------------------------------------------------------
// Device views
// ---------------------------------------------------------------------------
// A weight resident on the GPU, in its file's block format (see quant.h):
// n_mat matrices of n rows of k values. data == NULL: absent.
struct cu_w {
    const uint8_t *data;
    pd_type type;
    int64_t k, n, n_mat;
    size_t row_bytes, mat_stride;
};

// Activation rows converted to a weight's dot format (pd_type_vec_dot), the
// same rounding as the CPU so GPU and CPU dot products agree to the last
// float rounding: F32 as is; F16/BF16 rounded values (kept as floats); Q8_0
// (d per 32, stored as the float of its fp16), Q8_1 (the same, for Q4_1 and
// Q5_1) and Q8_K (d per 256) as int8 quants, with the sum of every 32 quants
// (the K-quants' min term; for Q8_1 the bits of ggml's float s instead).
struct cu_act {
    pd_type type;           // F32, F16, BF16, Q8_0, Q8_1, Q8_K
    int64_t k;              // values per row
    float *f;               // (rows, k) F32/F16/BF16
    int8_t *q;              // (rows, k) Q8_*
    float *d;               // (rows, k/32) Q8_0/Q8_1, (rows, k/256) Q8_K
    int *s;                 // (rows, k/32) sums of quants; Q8_1: fp16(d * sum) as float bits
};

// RoPE: the CPU's own cos/sin rows (pd_rope_cache: glibc's cosf/sinf, YaRN,
// frequency factors, rope_mscale) for positions 0..n_ctx-1, computed on the
// host once and uploaded (n_ctx * dim floats), so the angles agree bit for
// bit; a step copies the rows of its positions, read at *pos0 on the device
// (a replayed decode graph stays valid).
struct cu_rope {
    int dim, n_ctx;
    float *tab;             // (n_ctx, dim) on the device: dim/2 cos, then dim/2 sin
};
pd_status cu_rope_init(cu_rope *r, const pd_hparams *hp, int n_ctx);
void cu_rope_free(cu_rope *r);

// MoE routing parameters of pd_hparams.
struct cu_route {
    int n_expert, n_used, n_group, n_group_used;
    bool sigmoid, norm;
    float scale;
};

// ---------------------------------------------------------------------------
// matvec.cu: activations and quantized matrix-vector products (decode)
// ---------------------------------------------------------------------------
// Convert rows x[i*ldx .. +k) (i < rows) to type vt into a (buffers sized
// by the caller for rows*k).
pd_status cu_act_quantize(cudaStream_t s, pd_type vt, const float *x, int64_t ldx,
                          int rows, int64_t k, cu_act *a);
// For every slot: y[slot*ldy + r] = W[mat] row r . act row, r < w->n, where
// mat = ids ? ids[slot] : slot % n_mat and act row = a_div ? slot / a_div : 0.
pd_status cu_matvec(cudaStream_t s, const cu_w *w, const cu_act *a, int n_slots,
                    const int *ids, int a_div, float *y, int64_t ldy);
// Rows [r0, r0+nr) of matrix mat dequantized to F32 (or F16 when half).
pd_status cu_dequant(cudaStream_t s, const cu_w *w, int64_t mat, int64_t r0, int64_t nr,
                     void *out, bool half);
// Rows of x (row i = x + (idx ? idx[i] : i) * ldx) rounded through type
// vt exactly as cu_act_quantize would, written back dequantized (rows, k) as
// F32 (or F16 when half): the GEMM input that matches the CPU's dot format.
// Q4_1/Q5_1 in a GEMM: the CPU's dot adds each block's min times s =
// fp16(d * sum of the quants), the GEMM of the dequantized rows times
// d * sum; for vt Q8_1, delta (if not NULL; k/32 floats per row) gets
// s - d * sum, and cu_block_mins (k/32 floats per weight row) the blocks'
// mins of rows [r0, r0+nr) of matrix mat: mins^T delta is the difference.
pd_status cu_act_roundtrip(cudaStream_t s, pd_type vt, const float *x, int64_t ldx,
                           const int *idx, int rows, int64_t k, void *out, bool half,
                           float *delta);
pd_status cu_block_mins(cudaStream_t s, const cu_w *w, int64_t mat, int64_t r0, int64_t nr,
                        float *mins);

// ---------------------------------------------------------------------------
// gemm.cu: prefill products through cuBLAS on dequantized weight tiles
// ---------------------------------------------------------------------------
struct cu_gemm_ctx {
    cublasHandle_t blas;
    cudaStream_t stream;
    bool half;              // F16 tiles/inputs (fast) instead of F32 (matches CPU)
    void *tile;             // dequantized weight rows (Q4_1/Q5_1: then their mins)
    size_t tile_bytes;
    void *xr;               // rounded activations (rows, k) (Q4_1/Q5_1: then the deltas)
    size_t xr_bytes;
};
// Y (rows x w->n, row i at y + i*ldy) = X W[mat]^T, X rows as in
// cu_act_roundtrip (idx may be NULL).
pd_status cu_gemm(cu_gemm_ctx *g, const cu_w *w, int64_t mat, const float *x, int64_t ldx,
                  const int *idx, int rows, float *y, int64_t ldy);

// ---------------------------------------------------------------------------
// norm_rope.cu: elementwise kernels
// ---------------------------------------------------------------------------
// y row i = rmsnorm(x row i) * w (w may be NULL); rows of n at strides ldx/ldy.
pd_status cu_rmsnorm(cudaStream_t s, float *y, int64_t ldy, const float *x, int64_t ldx,
                     const float *w, int rows, int n, float eps);
// The residual add fused into the next norm: x row i += add row i, then
// y row i = rmsnorm(x row i) * w; rows of n, contiguous.
pd_status cu_add_rmsnorm(cudaStream_t s, float *y, float *x, const float *add, const float *w,
                         int rows, int n, float eps);
// cos/sin of rows positions *pos0 + i: (rows, dim) = dim/2 cos then dim/2 sin.
pd_status cu_rope_cache(cudaStream_t s, const cu_rope *r, const int *pos0, int rows, float *cs);
// Rotate x + i*ld + h*hs + off (first dim values) for rows i, heads h < nh,
// with row i's cos/sin at cs + i*cs_ld (dim/2 cos, then dim/2 sin, as the CPU).
pd_status cu_rope_apply(cudaStream_t s, pd_rope_kind kind, float *x, int64_t ld, int nh,
                        int64_t hs, int off, int dim, const float *cs, int64_t cs_ld, int rows);
// x row i (n values, stride ld) += b
pd_status cu_add_bias(cudaStream_t s, float *x, int64_t ld, const float *b, int rows, int n);
// x[i] += y[i]
pd_status cu_add(cudaStream_t s, float *x, const float *y, int64_t n);
// a[i] = silu(a[i]) * b[i]
pd_status cu_silu_mul(cudaStream_t s, float *a, const float *b, int64_t n);
// out row i = token_embd row tokens[i] (F32)
pd_status cu_embed(cudaStream_t s, const cu_w *w, const int *tokens, int rows, float *out);
// cache row (*pos0 + i) of width n (F16 bits or F32) = src row i (stride ld)
pd_status cu_kv_store(cudaStream_t s, void *cache, bool f16, int64_t width, const float *src,
                      int64_t ld, int rows, int n, const int *pos0);
// MLA query: qc (rows, H, R+dr) = [qlat (rows, H, R), q_pe = q[t][h][nope..]]
pd_status cu_mla_query(cudaStream_t s, float *qc, const float *qlat, const float *q,
                       int rows, int H, int R, int dr, int dq, int nope);

// ---------------------------------------------------------------------------
// attention.cu: tiled attention over the cache (GQA and MLA latent)
// ---------------------------------------------------------------------------
struct cu_attn {
    const float *q;         // (rows, H, dk)
    const void *k;          // cache rows of k_ld elements; head hk at hk*dk
    const void *v;          // cache rows of v_ld elements; head hk at hk*dv
    int64_t k_ld, v_ld;
    int dk, dv, H, group;   // group: query heads per kv head (MLA: H)
    bool f16;
    int wide_rows;          // F16 cache: rows [0, wide_rows) take llama.cpp's wide-batch
                            // path (F32 q and sums), the rest its half accumulator
    float scale;
    float *out;             // (rows, H, dv)
};
// Query row i sits at position *pos0 + i and sees positions [0, *pos0 + i].
pd_status cu_attention(cudaStream_t s, const cu_attn *a, const int *pos0, int rows);

// ---------------------------------------------------------------------------
// moe.cu: routing and combining on the GPU
// ---------------------------------------------------------------------------
// Per row: ids/weights of the n_used chosen experts (as pd_moe_route).
pd_status cu_moe_route(cudaStream_t s, const cu_route *r, const float *logits,
                       const float *bias, int rows, int *ids, float *weights);
// out row t = sum_s w[t*K+s] * eout[slot(t,s)] (+ out row t when add_out),
// slot = eslot ? eslot[t*K+s] : t*K+s.
pd_status cu_moe_combine(cudaStream_t s, float *out, const float *eout, const float *w,
                         const int *eslot, int rows, int K, int E, bool add_out);
