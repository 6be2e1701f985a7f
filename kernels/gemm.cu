// gemm.cu - prefill products: weight rows dequantized tile by tile into a
// scratch buffer, activations rounded through the CPU's dot format, then
// one cuBLAS GEMM per tile. F32 tiles (default) reproduce the CPU's numbers
// to float rounding; PONDER_CUDA_GEMM=f16 uses F16 tiles on the tensor
// cores (faster, ~1e-3 relative difference per product) for all but F32
// weights. Q4_1 and Q5_1 take a second, small GEMM for the part of their
// dot's min term the first cannot round as the CPU does (cu_act_roundtrip's
// delta, cu_block_mins).
#include "cuda.h"

pd_status cu_gemm(cu_gemm_ctx *g, const cu_w *w, int64_t mat, const float *x, int64_t ldx,
                  const int *idx, int rows, float *y, int64_t ldy)
{
    if (rows <= 0 || w->n <= 0)
        return PD_OK;
    // F32 weights (the MoE routers, gate_inp) keep F32 tiles even with
    // PONDER_CUDA_GEMM=f16: a rounded router logit can change the experts
    const bool half = g->half && w->type != PD_TYPE_F32;
    const size_t es = half ? 2 : 4;
    const int64_t k = w->k;
    // Q4_1, Q5_1: one float per block for the mins (tile) and the deltas (xr)
    const bool q81 = pd_type_vec_dot(w->type) == PD_TYPE_Q8_1;
    const int64_t nb = q81 ? k / 32 : 0;
    const size_t x_bytes = (size_t)rows * (size_t)k * es;
    if (x_bytes + (size_t)rows * (size_t)nb * 4 > g->xr_bytes)
        return pd_fail(PD_EBACKEND, "cuda: gemm input of %d x %lld exceeds the scratch", rows,
                       (long long)k);
    int64_t tile_rows = (int64_t)(g->tile_bytes / ((size_t)k * es + (size_t)nb * 4));
    if (tile_rows < 1)
        return pd_fail(PD_EBACKEND, "cuda: a %lld-wide weight row exceeds the tile scratch",
                       (long long)k);
    float *delta = q81 ? (float *)((uint8_t *)g->xr + x_bytes) : NULL;
    PD_TRY(cu_act_roundtrip(g->stream, pd_type_vec_dot(w->type), x, ldx, idx, rows, k, g->xr,
                            half, delta));
    const float one = 1.0f, zero = 0.0f;
    const cudaDataType_t dt = half ? CUDA_R_16F : CUDA_R_32F;
    for (int64_t r0 = 0; r0 < w->n; r0 += tile_rows) {
        const int64_t nr = w->n - r0 < tile_rows ? w->n - r0 : tile_rows;
        PD_TRY(cu_dequant(g->stream, w, mat, r0, nr, g->tile, half));
        // column-major view: C (nr x rows, ldc = ldy) = tile^T (nr x k) * X (k x rows)
        CUBLAS_TRY(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)nr, rows, (int)k,
                                &one, g->tile, dt, (int)k, g->xr, dt, (int)k,
                                &zero, y + r0, CUDA_R_32F, (int)ldy,
                                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        if (!q81)
            continue;
        // C += mins^T (nr x nb) * delta (nb x rows)
        float *mins = (float *)((uint8_t *)g->tile + (size_t)nr * (size_t)k * es);
        PD_TRY(cu_block_mins(g->stream, w, mat, r0, nr, mins));
        CUBLAS_TRY(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)nr, rows, (int)nb,
                                &one, mins, CUDA_R_32F, (int)nb, delta, CUDA_R_32F, (int)nb,
                                &one, y + r0, CUDA_R_32F, (int)ldy,
                                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
    return PD_OK;
}
