// backend_cuda.cu - the CUDA backend plugin's entry point: the ops table
// that src/backend.c finds with dlsym. available() decides whether a usable
// GPU and driver are present, so a CUDA build still runs on the CPU elsewhere.
#include "cuda.h"

#include <stdio.h>

static bool cuda_available(char *why, size_t why_size)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(why, why_size, "no usable NVIDIA driver/GPU (%s)", cudaGetErrorString(e));
        cudaGetLastError(); // clear the sticky error
        return false;
    }
    if (n == 0) {
        snprintf(why, why_size, "no CUDA device found");
        return false;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess || prop.major < 8) {
        snprintf(why, why_size, "GPU 0 is older than sm_80 (compute capability %d.%d)",
                 prop.major, prop.minor);
        return false;
    }
    return true;
}

static pd_status cuda_create(pd_model *m, const pd_model_opts *o, void **state)
{
    (void)m; (void)o;
    *state = NULL;
    return pd_fail(PD_EUNSUPPORTED, "cuda: the GPU forward pass is not implemented yet");
}

static pd_status cuda_forward(void *state, const int32_t *tokens, int n, int pos0,
                              float *logits, bool all_logits)
{
    (void)state; (void)tokens; (void)n; (void)pos0; (void)logits; (void)all_logits;
    return pd_fail(PD_EUNSUPPORTED, "cuda: the GPU forward pass is not implemented yet");
}

static void cuda_destroy(void *state)
{
    (void)state;
}

static const pd_backend_ops cuda_ops = {
    PD_BACKEND_ABI, "cuda", cuda_available, cuda_create, cuda_forward, cuda_destroy,
};

extern "C" __attribute__((visibility("default"))) const pd_backend_ops *pd_backend_cuda_entry(void)
{
    return &cuda_ops;
}
