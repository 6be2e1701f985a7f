// cuemu.cc - the scheduler and runtime behind cuemu.h (see there).
#include <dlfcn.h>
#include <ucontext.h>

#include "cuemu.h"
#undef dlopen
#undef dlclose

#include <mutex>
#include <stdio.h>
#include <stdlib.h>
#include <vector>

namespace cuemu {

// plain globals: one launch runs at a time (run_lock)
uint3 t_idx, b_idx;
dim3 b_dim, g_dim;

// ---------------------------------------------------------------------------
// Fibers: one per thread of the running block. On x86-64 a switch is a few
// register moves (cuemu_switch); elsewhere, and under AddressSanitizer
// (which follows swapcontext, not a hand-made switch), ucontext.
// ---------------------------------------------------------------------------
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define CUEMU_ASM_SWITCH 1
// save the callee-saved registers on the current stack, store its pointer
// in *from, continue on the stack at to (where cuemu_switch saved them)
extern "C" void cuemu_switch(void **from, void *to);
asm(".text\n"
    ".globl cuemu_switch\n"
    ".type cuemu_switch, @function\n"
    "cuemu_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size cuemu_switch, .-cuemu_switch\n");
#endif

enum { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };
enum { STACK_BYTES = 256 * 1024, MAX_THREADS = 1024 };

struct fiber {
#ifdef CUEMU_ASM_SWITCH
    void *sp;
#else
    ucontext_t ctx;
#endif
    char *stack;
    int state;
    uint3 tid;
    int lane, warp;
    const char *sync_file;   // the __syncthreads it waits at
    int sync_line;
};

struct warp_state {
    int arrived;
    unsigned mask;          // the mask of the exchange under way
    unsigned gen;           // exchanges completed
    uint64_t slot[2][32];   // values by generation parity
};

struct block_run {
    const char *name;
    std::function<void()> *body;
    std::vector<fiber> fibers;
    std::vector<warp_state> warps;
#ifdef CUEMU_ASM_SWITCH
    void *sched;
#else
    ucontext_t sched;
#endif
    int cur, live, arrived;
};

static block_run *R;

[[noreturn]] static void die(const char *what)
{
    fiber &f = R->fibers[R->cur];
    fprintf(stderr, "cuemu: kernel %s, block (%u,%u,%u), thread (%u,%u,%u): %s\n", R->name, b_idx.x, b_idx.y,
            b_idx.z, f.tid.x, f.tid.y, f.tid.z, what);
    abort();
}

static void yield_to_scheduler()
{
#ifdef CUEMU_ASM_SWITCH
    cuemu_switch(&R->fibers[R->cur].sp, R->sched);
#else
    swapcontext(&R->fibers[R->cur].ctx, &R->sched);
#endif
}

static void run_fiber(block_run &r, int i)
{
    r.cur = i;
    t_idx = r.fibers[(size_t)i].tid;
#ifdef CUEMU_ASM_SWITCH
    cuemu_switch(&r.sched, r.fibers[(size_t)i].sp);
#else
    swapcontext(&r.sched, &r.fibers[(size_t)i].ctx);
#endif
}

static void release_block_barrier()
{
    const fiber *first = nullptr;
    for (fiber &f : R->fibers) {
        if (f.state != AT_BLOCK_BARRIER)
            continue;
        if (!first)
            first = &f;
        else if (f.sync_line != first->sync_line || strcmp(f.sync_file, first->sync_file) != 0) {
            char why[512];
            snprintf(why, sizeof why, "threads meet at different __syncthreads (%s:%d and %s:%d)",
                     first->sync_file, first->sync_line, f.sync_file, f.sync_line);
            die(why);
        }
        f.state = RUNNABLE;
    }
    R->arrived = 0;
}

void syncthreads(const char *file, int line)
{
    R->fibers[R->cur].sync_file = file;
    R->fibers[R->cur].sync_line = line;
    R->fibers[R->cur].state = AT_BLOCK_BARRIER;
    if (++R->arrived == R->live)
        release_block_barrier();
    yield_to_scheduler();
}

int lane_id()
{
    return R->fibers[R->cur].lane;
}

static int lanes_in_warp(int w)
{
    const int n = (int)R->fibers.size() - 32 * w;
    return n < 32 ? n : 32;
}

// A warp barrier: every lane of mask must arrive; one that has finished
// never will (undefined on the device: reported).
static void warp_barrier(unsigned mask)
{
    fiber &me = R->fibers[R->cur];
    warp_state &w = R->warps[me.warp];
    if (w.arrived == 0)
        w.mask = mask;
    else if (w.mask != mask)
        die("lanes of one warp exchange with different masks");
    if (!(mask >> me.lane & 1))
        die("a shuffle by a lane outside its own mask");
    me.state = AT_WARP_BARRIER;
    const int need = __builtin_popcount(mask);
    if (++w.arrived == need) {
        for (int l = 0; l < lanes_in_warp(me.warp); l++) {
            fiber &f = R->fibers[32 * me.warp + l];
            if (mask >> l & 1)
                f.state = RUNNABLE;
        }
        w.arrived = 0;
        w.gen++;
    }
    yield_to_scheduler();
}

uint64_t exchange(unsigned mask, uint64_t v, int src)
{
    fiber &me = R->fibers[R->cur];
    const int wi = me.warp, lane = me.lane;
    const unsigned gen = R->warps[wi].gen;
    if (lanes_in_warp(wi) < 32 && mask >> lanes_in_warp(wi))
        die("a shuffle mask names lanes past the end of the block");
    R->warps[wi].slot[gen & 1][lane] = v;
    warp_barrier(mask);
    if (src < 0 || src >= 32 || !(mask >> src & 1))
        die("a shuffle reads a lane outside its mask");
    // the generation after the barrier is gen + 1: the values are in gen's slots
    return R->warps[wi].slot[gen & 1][src];
}

static void fiber_main()
{
    (*R->body)();
    fiber &f = R->fibers[R->cur];
    f.state = DONE;
    R->live--;
    const warp_state &w = R->warps[f.warp];
    if (w.arrived && (w.mask >> f.lane & 1))
        die("a lane finished while its warp waits for it at a shuffle");
    if (R->arrived && R->arrived == R->live)
        release_block_barrier();
    yield_to_scheduler();   // never resumed
}

// a fresh fiber that starts in fiber_main when first switched to
static void fiber_start(fiber &f)
{
#ifdef CUEMU_ASM_SWITCH
    // the frame cuemu_switch pops: six registers, then fiber_main as the
    // return address, placed so that fiber_main starts as if called
    uintptr_t top = ((uintptr_t)f.stack + STACK_BYTES) & ~(uintptr_t)15;
    void **frame = (void **)(top - 16);
    frame[0] = (void *)fiber_main;
    frame[1] = nullptr;
    frame -= 6;
    for (int i = 0; i < 6; i++)
        frame[i] = nullptr;
    f.sp = frame;
#else
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = STACK_BYTES;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_main, 0);
#endif
}

// fiber stacks, kept from launch to launch (launches run one at a time)
static std::vector<char *> stack_pool;

static void run_block(block_run &r, const cfg &c)
{
    const int n = (int)(c.block.x * c.block.y * c.block.z);
    r.fibers.resize((size_t)n);
    r.warps.assign((size_t)((n + 31) / 32), warp_state{});
    r.live = n;
    r.arrived = 0;
    for (int i = 0; i < n; i++) {
        fiber &f = r.fibers[(size_t)i];
        if ((size_t)i == stack_pool.size())
            stack_pool.push_back((char *)malloc(STACK_BYTES));
        f.stack = stack_pool[(size_t)i];
        f.state = RUNNABLE;
        f.tid = uint3{ (unsigned)i % c.block.x, (unsigned)i / c.block.x % c.block.y,
                       (unsigned)i / (c.block.x * c.block.y) };
        f.lane = i % 32;
        f.warp = i / 32;
        fiber_start(f);
    }
    while (r.live > 0) {
        bool ran = false;
        for (int i = 0; i < n; i++) {
            if (r.fibers[(size_t)i].state != RUNNABLE)
                continue;
            run_fiber(r, i);
            ran = true;
        }
        if (!ran) {
            int at_sync = 0, at_shfl = 0;
            for (const fiber &f : r.fibers) {
                at_sync += f.state == AT_BLOCK_BARRIER;
                at_shfl += f.state == AT_WARP_BARRIER;
            }
            fprintf(stderr,
                    "cuemu: kernel %s, block (%u,%u,%u): deadlock, %d threads wait at __syncthreads, "
                    "%d at a shuffle, %d finished\n",
                    r.name, b_idx.x, b_idx.y, b_idx.z, at_sync, at_shfl, n - r.live - at_sync - at_shfl);
            abort();
        }
    }
}

// ---------------------------------------------------------------------------
// Launches, streams and graphs
// ---------------------------------------------------------------------------
static thread_local cudaError_t last_error = cudaSuccess;

static cudaError_t fail(cudaError_t e)
{
    if (last_error == cudaSuccess)
        last_error = e;
    return e;
}

static std::mutex run_lock;

void launch_now(const cfg &c, const char *name, std::function<void()> &body)
{
    std::lock_guard<std::mutex> hold(run_lock);
    block_run r;
    r.name = name;
    r.body = &body;
    g_dim = c.grid;
    b_dim = c.block;
    block_run *saved = R;
    R = &r;
    for (unsigned z = 0; z < c.grid.z; z++)
        for (unsigned y = 0; y < c.grid.y; y++)
            for (unsigned x = 0; x < c.grid.x; x++) {
                b_idx = uint3{ x, y, z };
                run_block(r, c);
            }
    R = saved;
}

}  // namespace cuemu

struct cuemu_graph {
    std::vector<std::function<void()>> ops;
};
struct cuemu_stream {
    bool capturing, invalid;
    cuemu_graph *graph;
};
struct cuemu_event { int unused; };
struct cuemu_blas { cudaStream_t stream; };

// an operation on stream s: recorded while s captures, else done now
static void on_stream(cudaStream_t s, std::function<void()> op)
{
    if (s && s->capturing)
        s->graph->ops.push_back(std::move(op));
    else
        op();
}

// a call that a capture does not allow: the capture becomes invalid
static std::vector<cudaStream_t> capturing;

static bool capture_forbids()
{
    bool any = false;
    for (cudaStream_t s : capturing)
        if (s->capturing) {
            s->invalid = true;
            any = true;
        }
    return any;
}

void cuemu::launch(const cfg &c, const char *name, std::function<void()> body)
{
    const unsigned long threads = (unsigned long)c.block.x * c.block.y * c.block.z;
    if (threads == 0 || threads > MAX_THREADS || c.block.z > 64 || c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0
        || c.grid.x > 0x7fffffffu || c.grid.y > 65535 || c.grid.z > 65535) {
        fail(cudaErrorInvalidConfiguration);
        return;
    }
    on_stream((cudaStream_t)c.stream, [c, name, body]() mutable { launch_now(c, name, body); });
}

// ---------------------------------------------------------------------------
// Half and bfloat16
// ---------------------------------------------------------------------------
__half __float2half_rn(float f)
{
    const uint32_t u = (uint32_t)__float_as_int(f), s = u >> 16 & 0x8000;
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)   // NaN: quiet, keep the top payload bits
        return __half{ (unsigned short)(s | 0x7e00 | (a >> 13 & 0x1ff)) };
    if (a >= 0x477ff000u)  // rounds to 65520 or more: infinity
        return __half{ (unsigned short)(s | 0x7c00) };
    if (a < 0x38800000u) { // below 2^-14: a subnormal half, m * 2^-24 rounded to even
        const float v = __int_as_float((int)a) * 0x1p24f;   // exact
        return __half{ (unsigned short)(s | (uint32_t)rintf(v)) };
    }
    const uint32_t rest = a & 0x1fff, lsb = a >> 13 & 1;
    uint32_t h = ((a >> 23) - 112) << 10 | (a >> 13 & 0x3ff);
    if (rest > 0x1000 || (rest == 0x1000 && lsb))
        h++;
    return __half{ (unsigned short)(s | h) };
}

__nv_bfloat16 __float2bfloat16_rn(float f)
{
    const uint32_t u = (uint32_t)__float_as_int(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return __nv_bfloat16{ (unsigned short)(u >> 16 | 0x40) };
    return __nv_bfloat16{ (unsigned short)((u + 0x7fff + (u >> 16 & 1)) >> 16) };
}

// ---------------------------------------------------------------------------
// Runtime API
// ---------------------------------------------------------------------------
const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    }
    return "unknown error";
}

cudaError_t cudaGetLastError(void)
{
    const cudaError_t e = cuemu::last_error;
    cuemu::last_error = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError(void) { return cuemu::last_error; }

// CUEMU_MEM_MB: the device memory to report (default 80 GiB, an H100's)
static size_t total_mem()
{
    const char *e = getenv("CUEMU_MEM_MB");
    return e && *e ? (size_t)strtoull(e, NULL, 10) << 20 : (size_t)80 << 30;
}
static size_t used_mem;

cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev)
{
    if (dev != 0)
        return cuemu::fail(cudaErrorInvalidValue);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "cuemu (CPU emulation)");
    p->totalGlobalMem = total_mem();
    p->multiProcessorCount = 1;
    p->major = 9;
    p->minor = 0;
    p->maxThreadsPerBlock = 1024;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int dev) { return dev == 0 ? cudaSuccess : cuemu::fail(cudaErrorInvalidValue); }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b)
{
    *total_b = total_mem();
    *free_b = *total_b > used_mem ? *total_b - used_mem : 0;
    return cudaSuccess;
}

// allocations carry their size before the returned pointer (for the accounting)
cudaError_t cuemu_malloc(void **p, size_t n, bool host)
{
    if (capture_forbids())
        return cuemu::fail(cudaErrorStreamCaptureUnsupported);
    if (!host && n > total_mem() - (used_mem < total_mem() ? used_mem : total_mem()))
        return cuemu::fail(cudaErrorMemoryAllocation);
    char *b = (char *)aligned_alloc(256, (n + 256 + 255) / 256 * 256);
    if (!b)
        return cuemu::fail(cudaErrorMemoryAllocation);
    memcpy(b, &n, sizeof n);
    if (!host)
        used_mem += n;
    *p = b + 256;
    return cudaSuccess;
}
static cudaError_t release(void *p, bool host)
{
    if (!p)
        return cudaSuccess;
    char *b = (char *)p - 256;
    size_t n;
    memcpy(&n, b, sizeof n);
    if (!host)
        used_mem -= n;
    free(b);
    return cudaSuccess;
}
cudaError_t cudaFree(void *p) { return release(p, false); }
cudaError_t cudaFreeHost(void *p) { return release(p, true); }

cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind)
{
    if (capture_forbids())
        return cuemu::fail(cudaErrorStreamCaptureUnsupported);
    memmove(dst, src, n);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind, cudaStream_t s)
{
    on_stream(s, [dst, src, n]() { memmove(dst, src, n); });
    return cudaSuccess;
}
cudaError_t cudaMemset(void *dst, int v, size_t n)
{
    if (capture_forbids())
        return cuemu::fail(cudaErrorStreamCaptureUnsupported);
    memset(dst, v, n);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *dst, int v, size_t n, cudaStream_t s)
{
    on_stream(s, [dst, v, n]() { memset(dst, v, n); });
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *s)
{
    *s = new cuemu_stream{ false, false, nullptr };
    return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) { return cudaStreamCreate(s); }
cudaError_t cudaStreamDestroy(cudaStream_t s)
{
    delete s;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
    if (s && s->capturing) {
        s->invalid = true;
        return cuemu::fail(cudaErrorStreamCaptureUnsupported);
    }
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) { *e = new cuemu_event{ 0 }; return cudaSuccess; }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned) { return cudaEventCreate(e); }
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t, cudaEvent_t) { *ms = 0.0f; return cudaSuccess; }
cudaError_t cudaEventDestroy(cudaEvent_t e) { delete e; return cudaSuccess; }

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode)
{
    if (!s || s->capturing)
        return cuemu::fail(cudaErrorInvalidValue);   // the legacy stream cannot capture
    s->capturing = true;
    s->invalid = false;
    s->graph = new cuemu_graph;
    capturing.push_back(s);
    return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *g)
{
    if (!s || !s->capturing)
        return cuemu::fail(cudaErrorInvalidValue);
    s->capturing = false;
    for (size_t i = 0; i < capturing.size(); i++)
        if (capturing[i] == s)
            capturing.erase(capturing.begin() + (long)i);
    if (s->invalid) {
        delete s->graph;
        *g = nullptr;
        return cuemu::fail(cudaErrorStreamCaptureInvalidated);
    }
    *g = s->graph;
    return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *x, cudaGraph_t g, unsigned long long)
{
    if (!g)
        return cuemu::fail(cudaErrorInvalidValue);
    *x = new cuemu_graph(*g);
    return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t x, cudaStream_t s)
{
    if (!x)
        return cuemu::fail(cudaErrorInvalidValue);
    for (auto &op : x->ops)
        on_stream(s, op);
    return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t x) { delete x; return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return cudaSuccess; }

// ---------------------------------------------------------------------------
// cuBLAS
// ---------------------------------------------------------------------------
cublasStatus_t cublasCreate(cublasHandle_t *h) { *h = new cuemu_blas{ nullptr }; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasDestroy(cublasHandle_t h) { delete h; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) { h->stream = s; return CUBLAS_STATUS_SUCCESS; }
const char *cublasGetStatusString(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}

static float element(const void *p, cudaDataType_t t, size_t i)
{
    if (t == CUDA_R_16F)
        return __half2float(((const __half *)p)[i]);
    if (t == CUDA_R_16BF)
        return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
    return ((const float *)p)[i];
}

// op(X) of a column-major X as rows of k floats: row i = op(X)(i, 0..k)
static std::vector<float> rows_of(const void *X, cudaDataType_t t, int ld, bool trans, int rows, int k)
{
    std::vector<float> out((size_t)rows * (size_t)k);
    for (int i = 0; i < rows; i++)
        for (int p = 0; p < k; p++)
            out[(size_t)i * k + p] = element(X, t, trans ? (size_t)p + (size_t)i * ld : (size_t)i + (size_t)p * ld);
    return out;
}

// column-major C (m x n) = alpha op(A) op(B) + beta C, sums in double
cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const void *alpha, const void *A, cudaDataType_t at, int lda, const void *B,
                            cudaDataType_t bt, int ldb, const void *beta, void *C, cudaDataType_t ct, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t)
{
    if (!h)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || k < 0 || lda < (ta == CUBLAS_OP_N ? m : k) || ldb < (tb == CUBLAS_OP_N ? k : n)
        || ldc < m)
        return CUBLAS_STATUS_INVALID_VALUE;
    if (ct != CUDA_R_32F || compute != CUBLAS_COMPUTE_32F)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    const float al = *(const float *)alpha, be = *(const float *)beta;
    on_stream(h->stream, [=]() {
        // op(A) (m x k) by rows; op(B) (k x n) by columns: the transposed views
        const std::vector<float> a = rows_of(A, at, lda, ta == CUBLAS_OP_T, m, k);
        const std::vector<float> b = rows_of(B, bt, ldb, tb == CUBLAS_OP_N, n, k);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                const float *x = &a[(size_t)i * k], *y = &b[(size_t)j * k];
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)x[p] * y[p];
                float *c = (float *)C + (size_t)i + (size_t)j * ldc;
                *c = (float)(al * s + (be != 0.0f ? be * *c : 0.0));
            }
    });
    return CUBLAS_STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------
// The driver library the backend looks for
// ---------------------------------------------------------------------------
static int driver_handle;

extern "C" void *cuemu_dlopen(const char *name, int flags) noexcept
{
    if (name && !strcmp(name, "libcuda.so.1"))
        return &driver_handle;
    return dlopen(name, flags);
}

extern "C" int cuemu_dlclose(void *h) noexcept
{
    return h == &driver_handle ? 0 : dlclose(h);
}
