// test_cuemu.cu - checks of the emulation itself (tests/cuemu/cuemu.h): the
// barriers and shuffles give what the CUDA programming guide says they
// give, a block that cannot reach its barrier is reported, captures replay
// and are invalidated as the driver does, bad launches fail, and the half
// and bfloat16 conversions round to nearest even for every input tried.
// Built only against cuemu (`make cuemu-check`); prints "ok  " / "FAIL"
// lines and exits non-zero on a failure.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int n_pass, n_fail;

static void check(const char *what, bool ok)
{
    ok ? n_pass++ : n_fail++;
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
}

// ---------------------------------------------------------------------------
// Barriers and shuffles
// ---------------------------------------------------------------------------
// out[block] = sum of in over the block, through shared memory and a tree
// of __syncthreads; a thread that reads before the others wrote sees 0
__global__ void k_block_sum(const int *in, int *out)
{
    __shared__ int v[256];
    const int t = threadIdx.x;
    v[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            v[t] += v[t + s];
        __syncthreads();
    }
    if (t == 0)
        out[blockIdx.x] = v[0];
}

// per lane: the values of lane ^ 5, lane + 3 (own past 31), lane - 2 (own
// below 0), lane 7, and the warp's sum by xor butterflies
__global__ void k_shuffles(int *out)
{
    const int lane = threadIdx.x % 32, v = (int)threadIdx.x * 10;
    int *o = out + threadIdx.x * 5;
    o[0] = __shfl_xor_sync(0xffffffffu, v, 5);
    o[1] = __shfl_down_sync(0xffffffffu, v, 3);
    o[2] = __shfl_up_sync(0xffffffffu, v, 2);
    o[3] = __shfl_sync(0xffffffffu, v, 7);
    int s = lane;
    for (int m = 16; m > 0; m >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, m);
    o[4] = s;
}

static void test_barriers(void)
{
    enum { B = 3, T = 256 };
    int h[B * T], *din, *dout, r[B];
    long want[B] = { 0, 0, 0 };
    for (int i = 0; i < B * T; i++) {
        h[i] = (i * 7919) % 1000 - 300;
        want[i / T] += h[i];
    }
    cudaMalloc(&din, sizeof h);
    cudaMalloc(&dout, sizeof r);
    cudaMemcpy(din, h, sizeof h, cudaMemcpyHostToDevice);
    k_block_sum<<<B, T>>>(din, dout);
    cudaMemcpy(r, dout, sizeof r, cudaMemcpyDeviceToHost);
    check("__syncthreads: block sums through shared memory", r[0] == want[0] && r[1] == want[1] && r[2] == want[2]);

    int *ds, o[64 * 5];
    cudaMalloc(&ds, sizeof o);
    k_shuffles<<<1, 64>>>(ds);
    cudaMemcpy(o, ds, sizeof o, cudaMemcpyDeviceToHost);
    bool ok = true;
    for (int t = 0; t < 64; t++) {
        const int lane = t % 32, base = t - lane;
        ok &= o[t * 5 + 0] == (base + (lane ^ 5)) * 10;
        ok &= o[t * 5 + 1] == (lane + 3 < 32 ? t + 3 : t) * 10;
        ok &= o[t * 5 + 2] == (lane >= 2 ? t - 2 : t) * 10;
        ok &= o[t * 5 + 3] == (base + 7) * 10;
        ok &= o[t * 5 + 4] == 31 * 32 / 2;
    }
    check("shuffles: xor, down, up, indexed, butterfly sum (two warps)", ok);
    cudaFree(din); cudaFree(dout); cudaFree(ds);
}

// ---------------------------------------------------------------------------
// What must abort: barriers in divergent code
// ---------------------------------------------------------------------------
__global__ void k_divergent_sync(int *out)
{
    if (threadIdx.x < 16)
        __syncthreads();   // half the block never arrives while the rest live on
    else
        out[threadIdx.x] = 1;
    if (threadIdx.x >= 16)
        __syncthreads();
}

__global__ void k_early_exit_shuffle(int *out)
{
    if (threadIdx.x == 3)
        return;            // its warp's full-mask shuffle waits for it
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
}

// true when fn, run in a child process, dies of SIGABRT with "cuemu:" on stderr
static bool aborts(void (*fn)(int *))
{
    fflush(stdout);
    int fd[2];
    if (pipe(fd))
        return false;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        int *d;
        cudaMalloc(&d, 64 * sizeof(int));
        fn(d);
        _exit(0);
    }
    close(fd[1]);
    char buf[512] = "";
    ssize_t n = read(fd[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(buf, "cuemu:") != NULL;
}

static void run_divergent(int *d) { k_divergent_sync<<<1, 32>>>(d); }
static void run_early_exit(int *d) { k_early_exit_shuffle<<<1, 32>>>(d); }

static void test_reported(void)
{
    check("__syncthreads in divergent code is reported", aborts(run_divergent));
    check("a shuffle waiting for a lane that returned is reported", aborts(run_early_exit));
}

// ---------------------------------------------------------------------------
// Launch errors, captures
// ---------------------------------------------------------------------------
__global__ void k_scale(const int *in, int *out, int f)
{
    out[threadIdx.x] = in[threadIdx.x] * f;
}

static void test_launch_and_capture(void)
{
    int *a, *b, h[4] = { 1, 2, 3, 4 }, r[4];
    cudaMalloc(&a, sizeof h);
    cudaMalloc(&b, sizeof h);
    cudaGetLastError();
    k_scale<<<1, 1025>>>(a, b, 2);
    check("a block of 1025 threads fails as cudaErrorInvalidConfiguration",
          cudaGetLastError() == cudaErrorInvalidConfiguration && cudaGetLastError() == cudaSuccess);
    k_scale<<<0, 4>>>(a, b, 2);
    check("an empty grid fails as cudaErrorInvalidConfiguration", cudaGetLastError() == cudaErrorInvalidConfiguration);

    cudaStream_t s;
    cudaStreamCreate(&s);
    int *pinned;
    cudaMallocHost(&pinned, sizeof h);
    memcpy(pinned, h, sizeof h);
    cudaGraph_t g;
    cudaGraphExec_t x;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    cudaMemcpyAsync(a, pinned, sizeof h, cudaMemcpyHostToDevice, s);
    k_scale<<<1, 4, 0, s>>>(a, b, 3);
    cudaMemcpyAsync(r, b, sizeof r, cudaMemcpyDeviceToHost, s);
    const bool ended = cudaStreamEndCapture(s, &g) == cudaSuccess && cudaGraphInstantiate(&x, g, 0) == cudaSuccess;
    memset(r, 0, sizeof r);
    check("a capture runs nothing until launched", ended && r[0] == 0);
    pinned[2] = 10;   // a replay reads the host buffer as it is then
    cudaGraphLaunch(x, s);
    cudaStreamSynchronize(s);
    check("a replay runs the copies and the launch with its arguments",
          r[0] == 3 && r[1] == 6 && r[2] == 30 && r[3] == 12);
    cudaGraphExecDestroy(x);
    cudaGraphDestroy(g);

    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    const bool sync_refused = cudaStreamSynchronize(s) != cudaSuccess;
    cudaGraph_t g2 = NULL;
    const bool invalidated = cudaStreamEndCapture(s, &g2) == cudaErrorStreamCaptureInvalidated && !g2;
    check("synchronising a capturing stream fails and invalidates the capture", sync_refused && invalidated);
    cudaGetLastError();
    cudaFreeHost(pinned);
    cudaStreamDestroy(s);
    cudaFree(a);
    cudaFree(b);
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------
// the nearest of the two representable neighbours lo < x < hi, ties to even bits
static bool nearest_even(double x, double lo, double hi, unsigned lo_bits, double got)
{
    const double dl = x - lo, dh = hi - x;
    const double want = dl < dh ? lo : dh < dl ? hi : ((lo_bits & 1) ? hi : lo);
    return got == want;
}

static void test_half(void)
{
    bool round_trip = true;
    for (unsigned u = 0; u < 65536; u++) {
        const __half h = __ushort_as_half((unsigned short)u);
        const float f = __half2float(h);
        if ((u & 0x7c00) == 0x7c00 && (u & 0x3ff))
            round_trip &= isnan(f);
        else
            round_trip &= __half_as_ushort(__float2half_rn(f)) == u;
    }
    check("half: every one of the 65536 values converts to float and back", round_trip);

    // every float between two adjacent finite positive halves rounds to one of them
    bool rne = true;
    uint64_t seed = 12345;
    for (int i = 0; i < 2000000; i++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        const unsigned lo = (unsigned)(seed % 0x7bff);   // lo and lo + 1 finite
        const double a = __half2float(__ushort_as_half((unsigned short)lo));
        const double b = __half2float(__ushort_as_half((unsigned short)(lo + 1)));
        const double x = (float)(a + (b - a) * ((seed >> 20) % 4097) / 4096.0);
        if (x <= a || x >= b)
            continue;
        rne &= nearest_even(x, a, b, lo, __half2float(__float2half_rn((float)x)));
    }
    check("half: floats between two halves round to the nearest, ties to even", rne);
    check("half: 65520 and above round to infinity, 65519 to 65504",
          isinf(__half2float(__float2half_rn(65520.0f))) && __half2float(__float2half_rn(65519.0f)) == 65504.0f);

    bool bf = true;
    for (int i = 0; i < 2000000; i++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        const uint32_t u = (uint32_t)seed % 0x7f7f0000u;   // finite, below the largest bfloat16's neighbourhood
        float f;
        memcpy(&f, &u, sizeof f);
        const uint32_t lo_bits = u >> 16;
        float lo, hi;
        const uint32_t lb = lo_bits << 16, hb = (lo_bits + 1) << 16;
        memcpy(&lo, &lb, sizeof lo);
        memcpy(&hi, &hb, sizeof hi);
        const float got = __bfloat162float(__float2bfloat16_rn(f));
        bf &= (u & 0xffff) == 0 ? got == f : nearest_even(f, lo, hi, lo_bits, got);
    }
    check("bfloat16: random floats round to the nearest, ties to even", bf);
}

int main(void)
{
    test_barriers();
    test_reported();
    test_launch_and_capture();
    test_half();
    printf("\ntest_cuemu: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
