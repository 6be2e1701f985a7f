// cumath.cuh - the CPU backend's exp functions, bit for bit, on the GPU:
// CUDA's expf (up to 2 ulp) differs from both, and the random-weight oracle
// models turn one ulp in a router or a gate into visible logit differences.
//   cu_v_expf:     ggml's v_expf (src/cpu/vexp.c): SiLU gating, the
//                  16-value chunks of the router softmax
//   cu_glibc_expf: glibc's expf (the algorithm of its FMA build, x86-64):
//                  sigmoid gating, the attention softmax, the router
//                  softmax's tail
// __host__ __device__ so tests can run them against the CPU's on the host;
// the explicit roundings (CU_MUL...) keep the compiler from contracting
// separate operations whatever its -fmad setting.
#ifndef PD_CUMATH_CUH
#define PD_CUMATH_CUH

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDA_ARCH__
#define CU_ADD(a, b) __fadd_rn(a, b)
#define CU_SUB(a, b) __fsub_rn(a, b)
#define CU_MUL(a, b) __fmul_rn(a, b)
#define CU_DSUB(a, b) __dsub_rn(a, b)
#define CU_DMUL(a, b) __dmul_rn(a, b)
#else
#define CU_ADD(a, b) ((a) + (b))
#define CU_SUB(a, b) ((a) - (b))
#define CU_MUL(a, b) ((a) * (b))
#define CU_DSUB(a, b) ((a) - (b))
#define CU_DMUL(a, b) ((a) * (b))
#endif

// 2^k for integer k in [-126, 127] (a normal float)
__host__ __device__ static inline float cu_pow2i(int k)
{
    const uint32_t u = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

// ggml_v_expf as vexp.c's scalar v_expf: n = x / ln 2 rounded, a degree-5
// polynomial j of the rest, j * 2^n rounded once (two multiplies, the first
// exact, as vexp.c's AVX2 scale_pow2); 0 or inf beyond |n| > 192.
__host__ __device__ static inline float cu_v_expf(float x)
{
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = CU_SUB(z, r);
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (!(fabsf(n) <= 192))
        return n <= 0 ? 0.0f : isnan(n) ? n : INFINITY;
    const float u = CU_MUL(b, b);
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    const int ni = (int)n;
    const int k2 = ni > 127 ? 127 : ni < -126 ? -126 : 0;
    return CU_MUL(CU_MUL(j, cu_pow2i(ni - k2)), cu_pow2i(k2));
}

// x * sigmoid(x) * y as pd_silu_mul
__host__ __device__ static inline float cu_silu_mul1(float x, float y)
{
    return CU_MUL(x / CU_ADD(1.0f, cu_v_expf(CU_SUB(0.0f, x))), y);
}

// _mm512_reduce_add_ps's order, as the CPU's pd_reduce16 (src/reduce.h)
__host__ __device__ static inline float cu_reduce16(const float *v)
{
    float t8[8], t4[4];
    for (int l = 0; l < 8; l++)
        t8[l] = CU_ADD(v[l + 8], v[l]);
    for (int l = 0; l < 4; l++)
        t4[l] = CU_ADD(t8[l + 4], t8[l]);
    return CU_ADD(CU_ADD(t4[0], t4[2]), CU_ADD(t4[1], t4[3]));
}

// glibc's expf (sysdeps/ieee754/flt-32/e_expf.c, from ARM's optimized
// routines): x * 32 / ln 2 = k + r, exp(x) = 2^(k/32) * p(r) in double,
// one rounding to float; every a*b+c fused as GCC contracts them in the
// __expf_fma that x86-64 glibc picks on FMA machines (checked against
// glibc 2.36's expf for all 2^32 inputs).
#define CU_EXPF_N 32
// bits of 2^(i/32) - (i << 47): glibc's __exp2f_data.tab
#define CU_EXPF_TAB_VALUES \
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull, \
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull, \
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull, \
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull, \
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull, \
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull, \
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull, \
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull, \

static const uint64_t cu_expf_tab_h[32] = { CU_EXPF_TAB_VALUES };
#ifdef __CUDACC__
static __constant__ uint64_t cu_expf_tab_d[32] = { CU_EXPF_TAB_VALUES };
#endif
#ifdef __CUDA_ARCH__
#define CU_EXPF_TAB cu_expf_tab_d
#else
#define CU_EXPF_TAB cu_expf_tab_h
#endif

__host__ __device__ static inline float cu_glibc_expf(float x)
{
    const double invln2n = 0x1.71547652b82fep+0 * CU_EXPF_N, shift = 0x1.8p+52;
    const double c0 = 0x1.c6af84b912394p-5 / CU_EXPF_N / CU_EXPF_N / CU_EXPF_N;
    const double c1 = 0x1.ebfce50fac4f3p-3 / CU_EXPF_N / CU_EXPF_N;
    const double c2 = 0x1.62e42ff0c52d6p-1 / CU_EXPF_N;
    uint32_t ux;
    memcpy(&ux, &x, sizeof ux);
    const uint32_t abstop = (ux >> 20) & 0x7ff;
    if (abstop >= 0x42b) {   // |x| >= 88 (top 12 bits of 88.0f), inf or nan
        if (ux == 0xff800000u)
            return 0.0f;
        if (abstop >= 0x7f8)
            return x + x;
        if (x > 0x1.62e42ep6f)
            return INFINITY;
        if (x < -0x1.9fe368p6f)
            return 0.0f;
    }
    // z = x * 32 / ln 2 is never rounded: GCC contracts both its uses
    double kd = fma(invln2n, (double)x, shift);
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd = CU_DSUB(kd, shift);
    const double r = fma(invln2n, (double)x, -kd);
    uint64_t t = CU_EXPF_TAB[ki % CU_EXPF_N] + (ki << (52 - 5));
    double s;
    memcpy(&s, &t, sizeof s);
    const double p = fma(c0, r, c1);
    const double r2 = CU_DMUL(r, r);
    const double y = fma(p, r2, fma(c2, r, 1.0));
    return (float)CU_DMUL(y, s);
}

#endif
