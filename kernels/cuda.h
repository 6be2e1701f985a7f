// cuda.h - CUDA backend internals shared by the kernels/ files: error
// checking that turns every failed CUDA/cuBLAS call into a pd_status with
// the call, file and line, never an abort.
#pragma once

#include <cuda_runtime.h>
#include <cublas_v2.h>

extern "C" {
#include "backend.h"
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
            return pd_fail(PD_EBACKEND, "cublas: %s failed at %s:%d: status %d", \
                           #call, __FILE__, __LINE__, (int)s_);               \
    } while (0)

// After a kernel launch: launch errors are reported like any failed call.
#define CUDA_LAUNCHED() CUDA_TRY(cudaGetLastError())
