// moe.cu - mixture-of-experts routing and combining on the GPU, so a decode
// step never waits for the host: one block per token computes the gate
// probabilities (softmax or sigmoid), adds the selection bias, keeps the
// best groups, picks the top experts (ties to the lower index, as the CPU's
// pd_moe_route) and writes ids and weights to device memory, where the
// expert mat-vec kernels read them.
#include "cuda.h"
#include "cumath.cuh"

#include <math.h>

#define RT_THREADS 256
#define RT_MAXE 1024     // PD_MAX_EXPERTS

// Block argmax of v over i < n (entries that are -inf or excluded skipped):
// the largest value, the lowest index among equals; -1 when none.
__device__ int block_argmax(const float *v, int n, const bool *excl)
{
    __shared__ float bv[RT_THREADS / 32];
    __shared__ int bi[RT_THREADS / 32];
    float best = 0.0f;
    int idx = -1;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        if ((excl && excl[i]) || v[i] == -INFINITY)
            continue;
        if (idx < 0 || v[i] > best) { best = v[i]; idx = i; }
    }
    for (int o = 16; o > 0; o >>= 1) {
        const float ob = __shfl_xor_sync(0xffffffffu, best, o);
        const int oi = __shfl_xor_sync(0xffffffffu, idx, o);
        if (oi >= 0 && (idx < 0 || ob > best || (ob == best && oi < idx))) { best = ob; idx = oi; }
    }
    if (threadIdx.x % 32 == 0) { bv[threadIdx.x / 32] = best; bi[threadIdx.x / 32] = idx; }
    __syncthreads();
    best = bv[0];
    idx = bi[0];
    for (int w = 1; w < (int)blockDim.x / 32; w++)
        if (bi[w] >= 0 && (idx < 0 || bv[w] > best || (bv[w] == best && bi[w] < idx))) {
            best = bv[w];
            idx = bi[w];
        }
    __syncthreads();
    return idx;
}

// p = softmax(lg) as the CPU's pd_softmax_ggml: ggml's v_expf on whole
// 16-value chunks, glibc's expf on the tail; each chunk's sum in
// pd_reduce16's order (float), chunks and tail added in order in double by
// one thread; then a multiply by (float)(1 / sum).
__device__ void softmax_ggml(float *p, const float *lg, int X, float *red, float *csum)
{
    const int tid = threadIdx.x, X16 = X & ~15;
    float mx = -INFINITY;
    for (int e = tid; e < X; e += RT_THREADS)
        mx = fmaxf(mx, lg[e]);
    for (int o = 16; o > 0; o >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    if (tid % 32 == 0) red[tid / 32] = mx;
    __syncthreads();
    mx = red[0];
    for (int w = 1; w < RT_THREADS / 32; w++)
        mx = fmaxf(mx, red[w]);
    for (int e = tid; e < X; e += RT_THREADS) {
        const float d = __fsub_rn(lg[e], mx);
        p[e] = e < X16 ? cu_v_expf(d) : cu_glibc_expf(d);
    }
    __syncthreads();
    for (int c = tid; c < X16 / 16; c += RT_THREADS)
        csum[c] = cu_reduce16(p + 16 * c);
    __syncthreads();
    __shared__ float inv;
    if (tid == 0) {
        double sum = 0;
        for (int c = 0; c < X16 / 16; c++)
            sum += csum[c];
        for (int e = X16; e < X; e++)
            sum += p[e];
        inv = (float)(1.0 / sum);
    }
    __syncthreads();
    for (int e = tid; e < X; e += RT_THREADS)
        p[e] = __fmul_rn(p[e], inv);
}

__global__ void __launch_bounds__(RT_THREADS) k_route(cu_route r, const float *logits,
                                                      const float *bias, int *ids, float *wts)
{
    __shared__ float probs[RT_MAXE], sel[RT_MAXE], gs[64];
    __shared__ bool taken[RT_MAXE], gkeep[64];
    __shared__ float red[RT_THREADS / 32], csum[RT_MAXE / 16];
    const int X = r.n_expert, K = r.n_used, tid = threadIdx.x;
    const float *lg = logits + (int64_t)blockIdx.x * X;
    int *out_ids = ids + (int64_t)blockIdx.x * K;
    float *out_w = wts + (int64_t)blockIdx.x * K;

    if (r.sigmoid) {   // glibc's expf, as pd_moe_route
        for (int e = tid; e < X; e += RT_THREADS)
            probs[e] = 1.0f / __fadd_rn(1.0f, cu_glibc_expf(-lg[e]));
    } else {
        softmax_ggml(probs, lg, X, red, csum);
    }
    __syncthreads();
    for (int e = tid; e < X; e += RT_THREADS) {
        sel[e] = bias ? probs[e] + bias[e] : probs[e];
        taken[e] = false;
    }
    __syncthreads();

    if (r.n_group > 1) {
        // group score = sum of its two best selection scores (one thread per group)
        const int G = r.n_group, per = X / G;
        for (int g = tid; g < G; g += RT_THREADS) {
            int b0 = -1, b1 = -1;
            for (int i = 0; i < per; i++) {
                const float v = sel[g * per + i];
                if (v == -INFINITY) continue;
                if (b0 < 0 || v > sel[g * per + b0]) { b1 = b0; b0 = i; }
                else if (b1 < 0 || v > sel[g * per + b1]) b1 = i;
            }
            if (b0 < 0) b0 = 0;
            if (b1 < 0) b1 = 0;
            gs[g] = sel[g * per + b0] + sel[g * per + b1];
            gkeep[g] = false;
        }
        __syncthreads();
        if (tid == 0) {
            for (int j = 0; j < r.n_group_used; j++) {
                int best = -1;
                for (int g = 0; g < G; g++)
                    if (!gkeep[g] && gs[g] != -INFINITY && (best < 0 || gs[g] > gs[best]))
                        best = g;
                gkeep[best < 0 ? 0 : best] = true;
            }
        }
        __syncthreads();
        for (int e = tid; e < X; e += RT_THREADS)
            if (!gkeep[e / per])
                sel[e] = -INFINITY;
        __syncthreads();
    }

    for (int j = 0; j < K; j++) {
        int best = block_argmax(sel, X, taken);
        if (best < 0)
            best = 0;
        if (tid == 0) {
            out_ids[j] = best;
            taken[best] = true;
        }
        __syncthreads();
    }
    if (tid == 0) {
        double dsum = 0;   // in double, as the CPU (ggml_sum_rows)
        for (int j = 0; j < K; j++) {
            out_w[j] = probs[out_ids[j]];
            dsum += out_w[j];
        }
        float sum = (float)dsum;
        if (r.norm) {
            sum = fmaxf(sum, 6.103515625e-5f);
            for (int j = 0; j < K; j++)
                out_w[j] /= sum;
        }
        if (r.scale != 0)
            for (int j = 0; j < K; j++)
                out_w[j] *= r.scale;
    }
}

pd_status cu_moe_route(cudaStream_t s, const cu_route *r, const float *logits,
                       const float *bias, int rows, int *ids, float *weights)
{
    if (rows <= 0)
        return PD_OK;
    if (r->n_expert > RT_MAXE || r->n_group > 64 || r->n_used > r->n_expert
        || (r->n_group > 1 && r->n_expert % r->n_group))
        return pd_fail(PD_EUNSUPPORTED, "cuda: routing %d experts in %d groups is not supported",
                       r->n_expert, r->n_group);
    k_route<<<rows, RT_THREADS, 0, s>>>(*r, logits, bias, ids, weights);
    CUDA_LAUNCHED();
    return PD_OK;
}

// out[t][i] = sum_s w[t][s] * eout[slot][i] (+ out[t][i]), slots in order.
__global__ void k_combine(float *out, const float *eout, const float *w, const int *eslot,
                          int rows, int K, int E, bool add_out)
{
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * E)
        return;
    const int64_t t = i / E, c = i % E;
    float acc = 0.0f;
    for (int s = 0; s < K; s++) {
        const int64_t slot = eslot ? eslot[t * K + s] : t * K + s;
        acc = __fadd_rn(acc, __fmul_rn(w[t * K + s], eout[slot * E + c]));
    }
    out[i] = add_out ? acc + out[i] : acc;
}

pd_status cu_moe_combine(cudaStream_t s, float *out, const float *eout, const float *w,
                         const int *eslot, int rows, int K, int E, bool add_out)
{
    const int64_t n = (int64_t)rows * E;
    if (n <= 0)
        return PD_OK;
    k_combine<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(out, eout, w, eslot, rows, K, E, add_out);
    CUDA_LAUNCHED();
    return PD_OK;
}
