// cuemu.h - just enough of CUDA to run kernels/ on the CPU, for tests.
//
// The CUDA backend cannot be run without a GPU; cuemu compiles the same
// sources with the host C++ compiler instead: a grid runs block by block,
// each block's threads as cooperative fibers that switch only where CUDA
// threads wait for one another (__syncthreads, warp shuffles), so the
// kernels' indexing, their barriers and their warp exchanges all run as
// written. Built with -ffp-contract=off, as nvcc's -fmad=false, every float
// operation rounds as on the device.
//
// What it checks beyond the arithmetic: a block whose threads cannot all
// reach the same barrier (a __syncthreads or a shuffle in divergent code, a
// lane that left before its warp's shuffle) or that meet at different
// __syncthreads aborts with the kernel's name instead of hanging; launch configurations outside the device's limits fail
// as cudaErrorInvalidConfiguration; a stream capture records launches and
// copies and replays them (cudaGraphLaunch), and the calls a capture forbids
// (synchronising, allocating) invalidate it as the driver does.
//
// Not modelled: timing, the memory hierarchy, concurrency between streams
// (every call completes before it returns), device-side printf.
//
// The kernel launches `k<<<grid, block, shmem, stream>>>(args)` are rewritten
// to `cuemu_launch((k), cuemu::cfg(grid, block, shmem, stream))(args)` before
// compiling (tests/cuemu/launches.sed).
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <tuple>
#include <utility>

// ---------------------------------------------------------------------------
// Qualifiers
// ---------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __launch_bounds__(...)
// one block runs at a time: a function's statics are its block's shared memory
#define __shared__ static

// ---------------------------------------------------------------------------
// Thread indices
// ---------------------------------------------------------------------------
struct uint3 { unsigned x, y, z; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

namespace cuemu {
struct cfg {
    dim3 grid, block;
    size_t shmem;
    void *stream;
    template <typename S = void *>
    cfg(dim3 g, dim3 b, size_t sh = 0, S s = nullptr) : grid(g), block(b), shmem(sh), stream((void *)s) {}
};
// the running fiber's view; set by the scheduler before each switch
extern uint3 t_idx, b_idx;
extern dim3 b_dim, g_dim;
void syncthreads(const char *file, int line);
// lane's value exchange: every lane of mask writes its v, then reads lane src's
uint64_t exchange(unsigned mask, uint64_t v, int src);
int lane_id();
void launch(const cfg &c, const char *name, std::function<void()> body);
}  // namespace cuemu

#define threadIdx (cuemu::t_idx)
#define blockIdx (cuemu::b_idx)
#define blockDim (cuemu::b_dim)
#define gridDim (cuemu::g_dim)
#define warpSize 32

// the call site: threads of a block meeting at different __syncthreads is reported
#define __syncthreads() cuemu::syncthreads(__FILE__, __LINE__)

template <typename T> inline T cuemu_shfl(unsigned mask, T v, int src)
{
    static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
    uint64_t u = 0;
    memcpy(&u, &v, sizeof v);
    u = cuemu::exchange(mask, u, src);
    T r;
    memcpy(&r, &u, sizeof r);
    return r;
}
// sources outside the lane's width segment read the lane's own value
template <typename T> inline T __shfl_xor_sync(unsigned mask, T v, int m, int width = 32)
{
    const int lane = cuemu::lane_id(), src = lane ^ m;
    return cuemu_shfl(mask, v, (src / width == lane / width) ? src : lane);
}
template <typename T> inline T __shfl_down_sync(unsigned mask, T v, unsigned d, int width = 32)
{
    const int lane = cuemu::lane_id(), src = lane + (int)d;
    return cuemu_shfl(mask, v, (src / width == lane / width) ? src : lane);
}
template <typename T> inline T __shfl_up_sync(unsigned mask, T v, unsigned d, int width = 32)
{
    const int lane = cuemu::lane_id(), src = lane - (int)d;
    return cuemu_shfl(mask, v, (src >= 0 && src / width == lane / width) ? src : lane);
}
template <typename T> inline T __shfl_sync(unsigned mask, T v, int src, int width = 32)
{
    const int lane = cuemu::lane_id();
    return cuemu_shfl(mask, v, lane / width * width + (src % width));
}

// ---------------------------------------------------------------------------
// Launches: cuemu_launch(kernel, cfg)(args...) copies the arguments, as a
// launch does, and runs every thread of the grid
// ---------------------------------------------------------------------------
template <typename... P> struct cuemu_launcher {
    void (*k)(P...);
    cuemu::cfg c;
    const char *name;
    void operator()(P... a) const
    {
        std::tuple<P...> args(a...);
        void (*fn)(P...) = k;
        cuemu::launch(c, name, [fn, args]() { std::apply(fn, args); });
    }
};
template <typename... P>
inline cuemu_launcher<P...> cuemu_launch_at(void (*k)(P...), cuemu::cfg c, const char *name)
{
    return cuemu_launcher<P...>{ k, c, name };
}
#define cuemu_launch(k, c) cuemu_launch_at(k, c, #k)

// ---------------------------------------------------------------------------
// Device arithmetic
// ---------------------------------------------------------------------------
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, sizeof i); return i; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, sizeof f); return f; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

// ---------------------------------------------------------------------------
// Half and bfloat16 (storage and round-to-nearest-even conversions)
// ---------------------------------------------------------------------------
struct __half { unsigned short x; };
struct __nv_bfloat16 { unsigned short x; };
inline float __half2float(__half h)
{
    const uint32_t s = (uint32_t)(h.x & 0x8000) << 16, e = h.x >> 10 & 0x1f, m = h.x & 0x3ffu;
    if (e == 0) {   // zero or subnormal: m * 2^-24, exact
        const float v = (float)m * 0x1p-24f;
        return s ? -v : v;
    }
    if (e == 31)
        return __int_as_float((int)(s | 0x7f800000u | m << 13));
    return __int_as_float((int)(s | (e + 112) << 23 | m << 13));
}
__half __float2half_rn(float f);
inline __half __float2half(float f) { return __float2half_rn(f); }
inline __half __ushort_as_half(unsigned short u) { return __half{ u }; }
inline unsigned short __half_as_ushort(__half h) { return h.x; }
inline float __bfloat162float(__nv_bfloat16 b) { return __int_as_float((int)((uint32_t)b.x << 16)); }
__nv_bfloat16 __float2bfloat16_rn(float f);

// ---------------------------------------------------------------------------
// Runtime API
// ---------------------------------------------------------------------------
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorNoDevice = 100,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
};
typedef cudaError_t cudaError;
enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4,
};
enum cudaStreamCaptureMode {
    cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1, cudaStreamCaptureModeRelaxed = 2,
};
#define cudaStreamNonBlocking 0x01u
#define cudaEventDisableTiming 0x02u

struct cuemu_stream;
struct cuemu_graph;
typedef cuemu_stream *cudaStream_t;
typedef cuemu_graph *cudaGraph_t;
typedef cuemu_graph *cudaGraphExec_t;
typedef struct cuemu_event *cudaEvent_t;

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    int multiProcessorCount, major, minor, maxThreadsPerBlock;
};

const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b);
cudaError_t cuemu_malloc(void **p, size_t n, bool host);
template <typename T> inline cudaError_t cudaMalloc(T **p, size_t n) { return cuemu_malloc((void **)p, n, false); }
template <typename T> inline cudaError_t cudaMallocHost(T **p, size_t n) { return cuemu_malloc((void **)p, n, true); }
cudaError_t cudaFree(void *p);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind kind, cudaStream_t s = nullptr);
cudaError_t cudaMemset(void *dst, int v, size_t n);
cudaError_t cudaMemsetAsync(void *dst, int v, size_t n, cudaStream_t s = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *g);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *x, cudaGraph_t g, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t x, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t x);
cudaError_t cudaGraphDestroy(cudaGraph_t g);

// ---------------------------------------------------------------------------
// cuBLAS: the one GEMM the backend uses
// ---------------------------------------------------------------------------
enum cublasStatus_t {
    CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
};
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cudaDataType_t { CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14 };
typedef cudaDataType_t cudaDataType;
enum cublasComputeType_t { CUBLAS_COMPUTE_32F = 68 };
enum cublasGemmAlgo_t { CUBLAS_GEMM_DEFAULT = -1 };
typedef struct cuemu_blas *cublasHandle_t;
cublasStatus_t cublasCreate(cublasHandle_t *h);
cublasStatus_t cublasDestroy(cublasHandle_t h);
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s);
const char *cublasGetStatusString(cublasStatus_t s);
cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const void *alpha, const void *A, cudaDataType_t at, int lda, const void *B,
                            cudaDataType_t bt, int ldb, const void *beta, void *C, cudaDataType_t ct, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t algo);

// The backend checks for the driver library before asking the runtime;
// the emulation is its own driver.
#define dlopen cuemu_dlopen
#define dlclose cuemu_dlclose
extern "C" void *cuemu_dlopen(const char *name, int flags) noexcept;
extern "C" int cuemu_dlclose(void *h) noexcept;
