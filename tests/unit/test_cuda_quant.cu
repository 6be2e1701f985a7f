// test_cuda_quant - the device block decoders of kernels/quant.cuh, run on
// the CPU (they are __host__ __device__) against the scalar reference
// (src/quant_ref.c): the per-element dequantization used by the prefill
// GEMM's weight tiles, and the 32-value integer dot products of the decode
// mat-vec, fed the activations exactly as kernels/matvec.cu lays them out
// (int8 quants, a scale per block, the sum of every 32 quants).
//
// Built by nvcc when configure found it; needs no GPU. The GPU itself is
// checked by tests/gpu/test_ops.
#include <math.h>
#include <stdint.h>
#include <vector>

#include "t.h"
extern "C" {
#include "quant.h"
}
#include "quant.cuh"
#include "../gpu/random_blocks.h"

static const int N = 1280;   // five super-blocks of 256, forty blocks of 32

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float uniform(void)   // in [-1, 1)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (2.0 / 16777216.0) - 1.0);
}

// Values with a scale that changes every 32, and an outlier now and then,
// so that every block has its own scales and mins.
static std::vector<float> random_row(void)
{
    std::vector<float> v(N);
    for (int i = 0; i < N; i++) {
        const float scale = 0.05f + (float)((i / 32) % 7);
        v[i] = scale * uniform() + (i % 97 == 5 ? 9.0f : 0.0f);
    }
    return v;
}

static std::vector<uint8_t> quantize(pd_type t, const std::vector<float> &x)
{
    size_t bytes = 0;
    if (!pd_type_row_bytes(t, N, &bytes))
        abort();
    std::vector<uint8_t> q(bytes);
    if (random_blocks_needed(t))
        random_blocks(t, q.data(), bytes, &rng_state);
    else
        pd_quantize_row_ref(t, x.data(), q.data(), N);
    return q;
}

static void check_dequant(pd_type t, float (*deq)(const uint8_t *, int64_t))
{
    for (int rep = 0; rep < 4; rep++) {
        const std::vector<uint8_t> q = quantize(t, random_row());
        std::vector<float> ref(N);
        pd_dequantize_row_ref(t, q.data(), ref.data(), N);
        for (int i = 0; i < N; i++) {
            const float got = deq(q.data(), i);
            T_CHECKF(got == ref[i], "%s element %d: %.9g, reference %.9g", pd_type_name(t), i,
                     got, ref[i]);
        }
    }
}

static void test_dequant_f16(void) { check_dequant(PD_TYPE_F16, cu_deq<PD_TYPE_F16>); }
static void test_dequant_bf16(void) { check_dequant(PD_TYPE_BF16, cu_deq<PD_TYPE_BF16>); }
static void test_dequant_q8_0(void) { check_dequant(PD_TYPE_Q8_0, cu_deq<PD_TYPE_Q8_0>); }
static void test_dequant_q4_0(void) { check_dequant(PD_TYPE_Q4_0, cu_deq<PD_TYPE_Q4_0>); }
static void test_dequant_q5_0(void) { check_dequant(PD_TYPE_Q5_0, cu_deq<PD_TYPE_Q5_0>); }
static void test_dequant_q4_1(void) { check_dequant(PD_TYPE_Q4_1, cu_deq<PD_TYPE_Q4_1>); }
static void test_dequant_q5_1(void) { check_dequant(PD_TYPE_Q5_1, cu_deq<PD_TYPE_Q5_1>); }
static void test_dequant_iq2_xxs(void) { check_dequant(PD_TYPE_IQ2_XXS, cu_deq<PD_TYPE_IQ2_XXS>); }
static void test_dequant_iq2_xs(void) { check_dequant(PD_TYPE_IQ2_XS, cu_deq<PD_TYPE_IQ2_XS>); }
static void test_dequant_iq2_s(void) { check_dequant(PD_TYPE_IQ2_S, cu_deq<PD_TYPE_IQ2_S>); }
static void test_dequant_iq3_xxs(void) { check_dequant(PD_TYPE_IQ3_XXS, cu_deq<PD_TYPE_IQ3_XXS>); }
static void test_dequant_iq3_s(void) { check_dequant(PD_TYPE_IQ3_S, cu_deq<PD_TYPE_IQ3_S>); }
static void test_dequant_iq1_s(void) { check_dequant(PD_TYPE_IQ1_S, cu_deq<PD_TYPE_IQ1_S>); }
static void test_dequant_iq1_m(void) { check_dequant(PD_TYPE_IQ1_M, cu_deq<PD_TYPE_IQ1_M>); }
static void test_dequant_q2_k(void) { check_dequant(PD_TYPE_Q2_K, cu_deq<PD_TYPE_Q2_K>); }
static void test_dequant_iq4_nl(void) { check_dequant(PD_TYPE_IQ4_NL, cu_deq<PD_TYPE_IQ4_NL>); }
static void test_dequant_iq4_xs(void) { check_dequant(PD_TYPE_IQ4_XS, cu_deq<PD_TYPE_IQ4_XS>); }
static void test_dequant_q3_k(void) { check_dequant(PD_TYPE_Q3_K, cu_deq<PD_TYPE_Q3_K>); }
static void test_dequant_q4_k(void) { check_dequant(PD_TYPE_Q4_K, cu_deq<PD_TYPE_Q4_K>); }
static void test_dequant_q5_k(void) { check_dequant(PD_TYPE_Q5_K, cu_deq<PD_TYPE_Q5_K>); }
static void test_dequant_q6_k(void) { check_dequant(PD_TYPE_Q6_K, cu_deq<PD_TYPE_Q6_K>); }

// Activations as matvec.cu's k_act_q8_0 / _q8_1 / _q8_k leave them, built
// from the CPU's own Q8_0 / Q8_1 / Q8_K blocks of the same row.
struct act {
    std::vector<int8_t> q;
    std::vector<float> d;   // per 32 (Q8_0, Q8_1) or per 256 (Q8_K)
    std::vector<int> s;     // sum of every 32 quants; Q8_1: the bits of its float s
};

static act device_layout(pd_type vt, const std::vector<uint8_t> &blocks)
{
    act a;
    a.q.resize(N);
    a.s.assign(N / 32, 0);
    const int qk = vt == PD_TYPE_Q8_K ? 256 : 32;
    const size_t bb = pd_type_block_bytes(vt);
    for (int b = 0; b < N / qk; b++) {
        const uint8_t *blk = blocks.data() + b * bb;
        if (vt == PD_TYPE_Q8_0) {
            const pd_block_q8_0 *p = (const pd_block_q8_0 *)blk;
            a.d.push_back(pd_fp16_to_f32(p->d));
            memcpy(&a.q[b * 32], p->qs, 32);
        } else if (vt == PD_TYPE_Q8_1) {
            const pd_block_q8_1 *p = (const pd_block_q8_1 *)blk;
            a.d.push_back(pd_fp16_to_f32(p->d));
            memcpy(&a.q[b * 32], p->qs, 32);
            const float s = pd_fp16_to_f32(p->s);
            memcpy(&a.s[b], &s, sizeof s);
        } else {
            const pd_block_q8_k *p = (const pd_block_q8_k *)blk;
            a.d.push_back(p->d);
            memcpy(&a.q[b * 256], p->qs, 256);
        }
    }
    if (vt != PD_TYPE_Q8_1)
        for (int i = 0; i < N; i++)
            a.s[i / 32] += a.q[i];
    return a;
}

typedef float (*dot32_fn)(const uint8_t *, int64_t, const int8_t *, float, int);

// The mat-vec's sum over a row: lane l takes units l, l+32, ...; then the
// lanes are summed. Compared with the CPU's vec_dot and with a double sum
// of the dequantized operands.
static void check_dot(pd_type t, dot32_fn dot)
{
    const pd_type vt = pd_type_vec_dot(t);
    const int qk = vt == PD_TYPE_Q8_K ? 256 : 32;
    for (int rep = 0; rep < 8; rep++) {
        const std::vector<uint8_t> w = quantize(t, random_row());
        const std::vector<uint8_t> xb = quantize(vt, random_row());
        const act a = device_layout(vt, xb);
        float lane[32] = {0};
        for (int u = 0; u < N / 32; u++)
            lane[u % 32] += dot(w.data(), u, &a.q[32 * u], a.d[u * 32 / qk], a.s[u]);
        float got = 0;
        for (int l = 0; l < 32; l++)
            got += lane[l];

        std::vector<float> wf(N), xf(N);
        pd_dequantize_row_ref(t, w.data(), wf.data(), N);
        double exact = 0, mag = 0;
        for (int i = 0; i < N; i++) {
            xf[i] = a.d[i / qk] * a.q[i];
            exact += (double)wf[i] * xf[i];
            mag += fabs((double)wf[i] * xf[i]);
        }
        const float cpu = pd_vec_dot_ref(t, N, w.data(), xb.data());
        /* Q8_1's min term uses s = fp16(d * sum), not the d * q above */
        const double tol = vt == PD_TYPE_Q8_1 ? 1e-3 : 1e-5;
        T_CHECKF(fabs(got - exact) <= tol * mag, "%s rep %d: %.9g, exact %.9g (sum |w x| %.3g)",
                 pd_type_name(t), rep, got, exact, mag);
        T_CHECKF(fabs(got - cpu) <= 1e-5 * mag, "%s rep %d: %.9g, CPU vec_dot %.9g",
                 pd_type_name(t), rep, got, cpu);
    }
}

static void test_dot_q8_0(void) { check_dot(PD_TYPE_Q8_0, cu_dot32<PD_TYPE_Q8_0>); }
static void test_dot_q4_0(void) { check_dot(PD_TYPE_Q4_0, cu_dot32<PD_TYPE_Q4_0>); }
static void test_dot_q5_0(void) { check_dot(PD_TYPE_Q5_0, cu_dot32<PD_TYPE_Q5_0>); }
static void test_dot_q4_1(void) { check_dot(PD_TYPE_Q4_1, cu_dot32<PD_TYPE_Q4_1>); }
static void test_dot_q5_1(void) { check_dot(PD_TYPE_Q5_1, cu_dot32<PD_TYPE_Q5_1>); }
static void test_dot_iq2_xxs(void) { check_dot(PD_TYPE_IQ2_XXS, cu_dot32<PD_TYPE_IQ2_XXS>); }
static void test_dot_iq2_xs(void) { check_dot(PD_TYPE_IQ2_XS, cu_dot32<PD_TYPE_IQ2_XS>); }
static void test_dot_iq2_s(void) { check_dot(PD_TYPE_IQ2_S, cu_dot32<PD_TYPE_IQ2_S>); }
static void test_dot_iq3_xxs(void) { check_dot(PD_TYPE_IQ3_XXS, cu_dot32<PD_TYPE_IQ3_XXS>); }
static void test_dot_iq3_s(void) { check_dot(PD_TYPE_IQ3_S, cu_dot32<PD_TYPE_IQ3_S>); }
static void test_dot_iq1_s(void) { check_dot(PD_TYPE_IQ1_S, cu_dot32<PD_TYPE_IQ1_S>); }
static void test_dot_iq1_m(void) { check_dot(PD_TYPE_IQ1_M, cu_dot32<PD_TYPE_IQ1_M>); }
static void test_dot_q2_k(void) { check_dot(PD_TYPE_Q2_K, cu_dot32<PD_TYPE_Q2_K>); }
static void test_dot_iq4_nl(void) { check_dot(PD_TYPE_IQ4_NL, cu_dot32<PD_TYPE_IQ4_NL>); }
static void test_dot_iq4_xs(void) { check_dot(PD_TYPE_IQ4_XS, cu_dot32<PD_TYPE_IQ4_XS>); }
static void test_dot_q3_k(void) { check_dot(PD_TYPE_Q3_K, cu_dot32<PD_TYPE_Q3_K>); }
static void test_dot_q4_k(void) { check_dot(PD_TYPE_Q4_K, cu_dot32<PD_TYPE_Q4_K>); }
static void test_dot_q5_k(void) { check_dot(PD_TYPE_Q5_K, cu_dot32<PD_TYPE_Q5_K>); }
static void test_dot_q6_k(void) { check_dot(PD_TYPE_Q6_K, cu_dot32<PD_TYPE_Q6_K>); }

// The host stand-ins of the byte intrinsics, on the cases that matter:
// signs, the extremes, saturation.
static void test_byte_intrinsics(void)
{
    T_EQ_INT(cu_dp4a(0x7f80ff01, 0x01ff7f80, 10), 10 + 127 * 1 + -128 * -1 + -1 * 127 + 1 * -128);
    T_EQ_INT(cu_vsubss4(0x80007f20, 0x017f8020), (int)0x80817f00);
    T_EQ_INT(cu_spread4(0x5), 0x00100010);
    T_EQ_INT(cu_spread4(0xfa), 0x10001000);   /* only the low four bits */
}

int main(void)
{
    T_RUN(test_byte_intrinsics);
    T_RUN(test_dequant_f16);
    T_RUN(test_dequant_bf16);
    T_RUN(test_dequant_q8_0);
    T_RUN(test_dequant_q4_0);
    T_RUN(test_dequant_q5_0);
    T_RUN(test_dequant_q4_1);
    T_RUN(test_dequant_q5_1);
    T_RUN(test_dequant_iq2_xxs);
    T_RUN(test_dequant_iq2_xs);
    T_RUN(test_dequant_iq2_s);
    T_RUN(test_dequant_iq3_xxs);
    T_RUN(test_dequant_iq3_s);
    T_RUN(test_dequant_iq1_s);
    T_RUN(test_dequant_iq1_m);
    T_RUN(test_dequant_q2_k);
    T_RUN(test_dequant_iq4_nl);
    T_RUN(test_dequant_iq4_xs);
    T_RUN(test_dequant_q3_k);
    T_RUN(test_dequant_q4_k);
    T_RUN(test_dequant_q5_k);
    T_RUN(test_dequant_q6_k);
    T_RUN(test_dot_q8_0);
    T_RUN(test_dot_q4_0);
    T_RUN(test_dot_q5_0);
    T_RUN(test_dot_q4_1);
    T_RUN(test_dot_q5_1);
    T_RUN(test_dot_iq2_xxs);
    T_RUN(test_dot_iq2_xs);
    T_RUN(test_dot_iq2_s);
    T_RUN(test_dot_iq3_xxs);
    T_RUN(test_dot_iq3_s);
    T_RUN(test_dot_iq1_s);
    T_RUN(test_dot_iq1_m);
    T_RUN(test_dot_q2_k);
    T_RUN(test_dot_iq4_nl);
    T_RUN(test_dot_iq4_xs);
    T_RUN(test_dot_q3_k);
    T_RUN(test_dot_q4_k);
    T_RUN(test_dot_q5_k);
    T_RUN(test_dot_q6_k);
    T_DONE();
}
