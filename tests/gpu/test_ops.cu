// test_ops.cu - every CUDA kernel against the CPU scalar reference on fresh
// random inputs (llama.cpp's test-backend-ops habit): mat-vec per quant type
// and shape class (plain, expert ids, per-head), the GEMM path (F32 and F16
// tiles), dequantization, activation quantization (bit-exact), RMSNorm,
// RoPE (NORM/NEOX, YaRN, frequency factors), attention (GQA and MLA widths,
// F32/F16 cache, narrow and wide batches), MoE routing and combining.
// Pass: ||out - ref|| / ||ref|| <= tol (1e-3 unless noted), no NaN, every
// output written (outputs are poisoned with NaN first).
// Usage: test_ops [--bench]          (exit 0 when every check passes)
//        test_ops --cmp A.f32 B.f32 [tol [n_vocab]]   compare two logits files (ponder
//        logits --out): relative error, rows whose argmax differs; exit 1 over tol
#include "cuda.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <vector>

extern "C" {   // the CPU reference (src/cpu/ops.h, src/cpu/cpu.h)
void pd_rmsnorm(float *y, const float *x, const float *w, int n, float eps);
void pd_rope_cache(const pd_hparams *hp, int pos, float *cs);
void pd_rope_apply(pd_rope_kind kind, float *x, int rope_dim, const float *cs);
void pd_moe_route(const pd_hparams *hp, const float *logits, const float *bias,
                  int32_t *ids, float *weights);
void pd_h2f_init(void);
void pd_silu_mul(float *a, const float *b, int64_t n);
#include "cpu/attn_kernels.h"
}
#include "random_blocks.h"

#define CK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
        fprintf(stderr, "test_ops: %s failed at %s:%d: %s\n", #call, __FILE__, __LINE__, \
                cudaGetErrorString(e_)); exit(2); } } while (0)
#define PK(call) do { if ((call) != PD_OK) { \
        fprintf(stderr, "test_ops: %s failed: %s\n", #call, pd_errmsg()); exit(2); } } while (0)

static int n_pass, n_fail;
static cudaStream_t S;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void)   // uniform in [-1, 1)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23))) - 1.0f;
}

static std::vector<float> randv(size_t n, float scale = 1.0f)
{
    std::vector<float> v(n);
    for (auto &x : v) x = frand() * scale;
    return v;
}

template <typename T> static T *dev(const T *h, size_t n)
{
    T *d;
    CK(cudaMalloc(&d, n * sizeof(T) + 16));
    if (h) CK(cudaMemcpy(d, h, n * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}

static float *dev_poison(size_t n)
{
    float *d;
    CK(cudaMalloc(&d, n * sizeof(float) + 16));
    CK(cudaMemset(d, 0xff, n * sizeof(float)));   // NaN
    return d;
}

static std::vector<float> back(const float *d, size_t n)
{
    std::vector<float> h(n);
    CK(cudaStreamSynchronize(S));
    CK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
    return h;
}

static void check(const char *what, const std::vector<float> &out, const std::vector<float> &ref,
                  double tol = 1e-3)
{
    double num = 0, den = 0;
    bool nan = false;
    for (size_t i = 0; i < ref.size(); i++) {
        if (!isfinite(out[i])) nan = true;
        num += ((double)out[i] - ref[i]) * ((double)out[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    const double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    const bool ok = !nan && rel <= tol;
    ok ? n_pass++ : n_fail++;
    printf("%s %-52s rel %.2e%s\n", ok ? "ok  " : "FAIL", what, rel, nan ? " NaN/unwritten" : "");
}

static void check_exact(const char *what, long mismatches, long total)
{
    const bool ok = mismatches == 0;
    ok ? n_pass++ : n_fail++;
    printf("%s %-52s %ld of %ld differ\n", ok ? "ok  " : "FAIL", what, mismatches, total);
}

// ---------------------------------------------------------------------------
// Weights and activations
// ---------------------------------------------------------------------------
struct host_w {
    pd_type t;
    int64_t k, n, n_mat;
    size_t rb;
    std::vector<uint8_t> bytes;
};

static host_w make_w(pd_type t, int64_t k, int64_t n, int64_t n_mat)
{
    host_w w{t, k, n, n_mat, 0, {}};
    pd_type_row_bytes(t, k, &w.rb);
    w.bytes.resize(w.rb * n * n_mat);
    std::vector<float> row;
    if (random_blocks_needed(t)) {   // no quantizer: random blocks
        random_blocks(t, w.bytes.data(), w.bytes.size(), &rng);
        return w;
    }
    for (int64_t r = 0; r < n * n_mat; r++) {
        row = randv(k);
        pd_quantize_row_ref(t, row.data(), w.bytes.data() + r * w.rb, k);
    }
    return w;
}

static cu_w upload_w(const host_w &w)
{
    return cu_w{ dev(w.bytes.data(), w.bytes.size()), w.t, w.k, w.n, w.n_mat, w.rb, w.rb * w.n };
}

static cu_act alloc_act(int rows, int64_t k)
{
    cu_act a{};
    CK(cudaMalloc(&a.f, rows * k * sizeof(float)));
    CK(cudaMalloc(&a.q, rows * k));
    CK(cudaMalloc(&a.d, (rows * k / 32 + 1) * sizeof(float)));
    CK(cudaMalloc(&a.s, (rows * k / 32 + 1) * sizeof(int)));
    return a;
}

static void free_act(cu_act &a)
{
    cudaFree(a.f); cudaFree(a.q); cudaFree(a.d); cudaFree(a.s);
}

// CPU: out[slot][r] = vec_dot(W[mat] row r, quantized act row)
static std::vector<float> ref_matvec(const host_w &w, const std::vector<float> &x, int n_slots,
                                     const std::vector<int> &ids, int a_div)
{
    const pd_type vt = pd_type_vec_dot(w.t);
    size_t xb = 0;
    pd_type_row_bytes(vt, w.k, &xb);
    const int arows = a_div ? (n_slots - 1) / a_div + 1 : 1;
    std::vector<uint8_t> xq(xb * arows);
    for (int r = 0; r < arows; r++)
        pd_quantize_row_ref(vt, x.data() + r * w.k, xq.data() + r * xb, w.k);
    std::vector<float> out((size_t)n_slots * w.n);
    for (int s = 0; s < n_slots; s++) {
        const int64_t mat = ids.empty() ? s % w.n_mat : ids[s];
        const int ar = a_div ? s / a_div : 0;
        for (int64_t r = 0; r < w.n; r++)
            out[(size_t)s * w.n + r] = pd_vec_dot_ref(w.t, w.k, w.bytes.data() + (mat * w.n + r) * w.rb,
                                                      xq.data() + ar * xb);
    }
    return out;
}

static void test_matvec(pd_type t, int64_t k, int64_t n, int64_t n_mat, int n_slots, bool use_ids,
                        int a_div)
{
    host_w w = make_w(t, k, n, n_mat);
    const int arows = a_div ? (n_slots - 1) / a_div + 1 : 1;
    std::vector<float> x = randv((size_t)arows * k);
    std::vector<int> ids;
    if (use_ids)
        for (int s = 0; s < n_slots; s++) ids.push_back((int)((s * 7 + 3) % n_mat));
    cu_w dw = upload_w(w);
    float *dx = dev(x.data(), x.size()), *dy = dev_poison((size_t)n_slots * n);
    int *dids = use_ids ? dev(ids.data(), ids.size()) : NULL;
    cu_act a = alloc_act(arows, k);
    PK(cu_act_quantize(S, pd_type_vec_dot(t), dx, k, arows, k, &a));
    PK(cu_matvec(S, &dw, &a, n_slots, dids, a_div, dy, n));
    char what[128];
    snprintf(what, sizeof what, "matvec %-4s k=%lld n=%lld mats=%lld slots=%d%s", pd_type_name(t),
             (long long)k, (long long)n, (long long)n_mat, n_slots, use_ids ? " ids" : "");
    // F32 rows of 16s (the routers) in dot_f32_tinyblas's order: exact
    const bool exact = t == PD_TYPE_F32 && k % 16 == 0;
    check(what, back(dy, (size_t)n_slots * n), ref_matvec(w, x, n_slots, ids, a_div),
          exact ? 0 : 1e-3);
    free_act(a);
    cudaFree((void *)dw.data); cudaFree(dx); cudaFree(dy); cudaFree(dids);
}

// activation conversion is bit-exact with the CPU's
static void test_act_exact(pd_type vt, int rows, int64_t k)
{
    std::vector<float> x = randv((size_t)rows * k, 3.0f);
    x[5] = 3.5f; x[7] = -3.5f;   // a tie in magnitude: the first one sets the Q8_K scale
    float *dx = dev(x.data(), x.size());
    cu_act a = alloc_act(rows, k);
    PK(cu_act_quantize(S, vt, dx, k, rows, k, &a));
    CK(cudaStreamSynchronize(S));
    const int qk = vt == PD_TYPE_Q8_K ? 256 : 32;
    std::vector<int8_t> q((size_t)rows * k);
    std::vector<float> d((size_t)rows * k / qk);
    std::vector<int> s((size_t)rows * k / 32);
    CK(cudaMemcpy(q.data(), a.q, q.size(), cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(d.data(), a.d, d.size() * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(s.data(), a.s, s.size() * 4, cudaMemcpyDeviceToHost));
    size_t xb = 0;
    pd_type_row_bytes(vt, k, &xb);
    std::vector<uint8_t> ref(xb);
    long bad = 0;
    for (int r = 0; r < rows; r++) {
        pd_quantize_row_ref(vt, x.data() + r * k, ref.data(), k);
        for (int64_t b = 0; b < k / qk; b++) {
            const uint8_t *blk = ref.data() + b * pd_type_block_bytes(vt);
            float rd;
            const int8_t *rq;
            if (vt == PD_TYPE_Q8_K) { memcpy(&rd, blk, 4); rq = (const int8_t *)blk + 4; }
            else { uint16_t h; memcpy(&h, blk, 2); rd = pd_fp16_to_f32(h); rq = (const int8_t *)blk + 2; }
            if (vt == PD_TYPE_Q8_1) {   // then s, as the bits of its float
                uint16_t h;
                memcpy(&h, blk + 2, 2);
                const float rs = pd_fp16_to_f32(h);
                int bits;
                memcpy(&bits, &rs, 4);
                if (bits != s[r * (k / 32) + b]) bad++;
                rq = (const int8_t *)blk + 4;
            }
            if (rd != d[r * (k / qk) + b]) bad++;
            for (int i = 0; i < qk; i++)
                if (rq[i] != q[r * k + b * qk + i]) bad++;
        }
    }
    char what[96];
    snprintf(what, sizeof what, "activation %s rows=%d k=%lld bit-exact", pd_type_name(vt), rows, (long long)k);
    check_exact(what, bad, (long)rows * k);
    free_act(a);
    cudaFree(dx);
}

static void test_dequant(pd_type t, int64_t k, int64_t n, bool half)
{
    host_w w = make_w(t, k, n, 1);
    cu_w dw = upload_w(w);
    const size_t cnt = (size_t)k * n;
    void *out;
    CK(cudaMalloc(&out, cnt * 4));
    PK(cu_dequant(S, &dw, 0, 0, n, out, half));
    std::vector<float> got(cnt), ref(cnt);
    CK(cudaStreamSynchronize(S));
    if (half) {
        std::vector<__half> h(cnt);
        CK(cudaMemcpy(h.data(), out, cnt * 2, cudaMemcpyDeviceToHost));
        for (size_t i = 0; i < cnt; i++) got[i] = __half2float(h[i]);
    } else {
        CK(cudaMemcpy(got.data(), out, cnt * 4, cudaMemcpyDeviceToHost));
    }
    for (int64_t r = 0; r < n; r++)
        pd_dequantize_row_ref(t, w.bytes.data() + r * w.rb, ref.data() + r * k, k);
    char what[96];
    snprintf(what, sizeof what, "dequant %-4s k=%lld n=%lld -> %s", pd_type_name(t), (long long)k,
             (long long)n, half ? "F16" : "F32");
    check(what, got, ref, half ? 1e-3 : 1e-6);
    cudaFree(out); cudaFree((void *)dw.data);
}

static void test_gemm(cublasHandle_t blas, pd_type t, int64_t k, int64_t n, int rows, bool half,
                      bool gather)
{
    host_w w = make_w(t, k, n, 2);
    cu_w dw = upload_w(w);
    const int src_rows = rows + 5;
    std::vector<float> x = randv((size_t)src_rows * k);
    std::vector<int> idx(rows);
    for (int i = 0; i < rows; i++) idx[i] = gather ? (i * 3 + 1) % src_rows : i;
    float *dx = dev(x.data(), x.size()), *dy = dev_poison((size_t)rows * n);
    int *didx = gather ? dev(idx.data(), idx.size()) : NULL;
    cu_gemm_ctx g{ blas, S, half, NULL, (size_t)(1 << 20), NULL, (size_t)rows * (k + k / 32) * 4 };
    CK(cudaMalloc(&g.tile, g.tile_bytes));   // 1 MiB: several tiles for the larger shapes
    CK(cudaMalloc(&g.xr, g.xr_bytes));
    PK(cu_gemm(&g, &dw, 1, dx, k, didx, rows, dy, n));
    // reference: matrix 1, rows picked by idx
    std::vector<float> xs((size_t)rows * k), ref;
    for (int i = 0; i < rows; i++) memcpy(&xs[i * k], &x[idx[i] * k], k * 4);
    std::vector<int> ids(rows, 1);
    ref = ref_matvec(w, xs, rows, ids, 1);
    char what[128];
    snprintf(what, sizeof what, "gemm %-4s k=%lld n=%lld rows=%d %s%s", pd_type_name(t), (long long)k,
             (long long)n, rows, half ? "F16" : "F32", gather ? " gathered" : "");
    check(what, back(dy, (size_t)rows * n), ref, half ? 1e-2 : 1e-4);
    cudaFree(g.tile); cudaFree(g.xr); cudaFree(dx); cudaFree(dy); cudaFree(didx);
    cudaFree((void *)dw.data);
}

// ---------------------------------------------------------------------------
// Norm, RoPE
// ---------------------------------------------------------------------------
static void test_rmsnorm(int rows, int n, bool weight)
{
    std::vector<float> x = randv((size_t)rows * n, 4.0f), w = randv(n), ref((size_t)rows * n);
    float *dx = dev(x.data(), x.size()), *dw = dev(w.data(), w.size()), *dy = dev_poison(x.size());
    PK(cu_rmsnorm(S, dy, n, dx, n, weight ? dw : NULL, rows, n, 1e-6f));
    for (int r = 0; r < rows; r++)
        pd_rmsnorm(&ref[r * n], &x[r * n], weight ? w.data() : NULL, n, 1e-6f);
    char what[64];
    snprintf(what, sizeof what, "rmsnorm rows=%d n=%d%s", rows, n, weight ? "" : " no weight");
    check(what, back(dy, x.size()), ref, 1e-6);
    cudaFree(dx); cudaFree(dw); cudaFree(dy);
}

// SiLU gating with ggml's v_expf (pd_silu_mul, kernels/cumath.cuh): exact
static void test_silu(int64_t n, float scale)
{
    std::vector<float> a = randv(n, scale), b = randv(n), ref = a;
    float *da = dev(a.data(), n), *db = dev(b.data(), n);
    PK(cu_silu_mul(S, da, db, n));
    pd_silu_mul(ref.data(), b.data(), n);
    char what[64];
    snprintf(what, sizeof what, "silu_mul n=%lld scale %g (exact)", (long long)n, scale);
    check(what, back(da, n), ref, 0);
    cudaFree(da); cudaFree(db);
}

static void test_add_rmsnorm(int rows, int n)
{
    std::vector<float> x = randv((size_t)rows * n, 4.0f), add = randv(x.size()), w = randv(n);
    std::vector<float> xr = x, ref(x.size());
    float *dx = dev(x.data(), x.size()), *da = dev(add.data(), add.size());
    float *dw = dev(w.data(), w.size()), *dy = dev_poison(x.size());
    PK(cu_add_rmsnorm(S, dy, dx, da, dw, rows, n, 1e-5f));
    for (size_t i = 0; i < x.size(); i++)
        xr[i] += add[i];
    for (int r = 0; r < rows; r++)
        pd_rmsnorm(&ref[r * n], &xr[r * n], w.data(), n, 1e-5f);
    char what[64];
    snprintf(what, sizeof what, "add+rmsnorm rows=%d n=%d: sum", rows, n);
    check(what, back(dx, x.size()), xr, 0);
    snprintf(what, sizeof what, "add+rmsnorm rows=%d n=%d: norm", rows, n);
    check(what, back(dy, x.size()), ref, 1e-6);
    cudaFree(dx); cudaFree(da); cudaFree(dw); cudaFree(dy);
}

static void test_rope(pd_rope_kind kind, bool yarn, bool freqs, int pos0)
{
    pd_hparams hp{};
    hp.rope_dim = 64; hp.rope_base = 10000.0f; hp.freq_scale = yarn ? 0.025f : 1.0f;
    hp.yarn_ext_factor = yarn ? 1.0f : 0.0f; hp.yarn_beta_fast = 32; hp.yarn_beta_slow = 1;
    hp.yarn_orig_ctx = 4096; hp.rope_mscale = yarn ? 1.3f : 1.0f;
    std::vector<float> ff = randv(32);
    for (auto &f : ff) f = 1.0f + 4.0f * fabsf(f);
    hp.rope_freqs = freqs ? ff.data() : NULL;
    const int rows = 9, nh = 3, hs = 96, off = 16;   // MLA-like: the rotated part after 16 values
    std::vector<float> x = randv((size_t)rows * nh * hs), ref = x;
    cu_rope r;
    PK(cu_rope_init(&r, &hp, pos0 + rows));   // the table of the CPU's rows
    int *dpos = dev(&pos0, 1);
    float *dx = dev(x.data(), x.size()), *cs = dev_poison((size_t)rows * hp.rope_dim);
    PK(cu_rope_cache(S, &r, dpos, rows, cs));
    PK(cu_rope_apply(S, kind, dx, nh * hs, nh, hs, off, hp.rope_dim, cs, hp.rope_dim, rows));
    std::vector<float> c(hp.rope_dim);
    for (int t = 0; t < rows; t++) {
        pd_rope_cache(&hp, pos0 + t, c.data());
        for (int h = 0; h < nh; h++)
            pd_rope_apply(kind, &ref[(t * nh + h) * hs + off], hp.rope_dim, c.data());
    }
    char what[96];
    snprintf(what, sizeof what, "rope %s%s%s pos0=%d", kind == PD_ROPE_NEOX ? "NEOX" : "NORM",
             yarn ? " yarn" : "", freqs ? " freqs" : "", pos0);
    check(what, back(dx, x.size()), ref, 0);   // the same table and roundings: exact
    cudaFree(dx); cudaFree(cs); cudaFree(dpos);
    cu_rope_free(&r);
}

// ---------------------------------------------------------------------------
// Attention: the CPU backend's three row functions, written out again (the
// narrow F16 one through the CPU's own dots and wsum kernels, checked exactly)
// ---------------------------------------------------------------------------
static float h2f(float v) { return __half2float(__float2half_rn(v)); }
static uint16_t half_bits(float v) { return __half_as_ushort(__float2half_rn(v)); }

static void ref_attn_row(const float *q, const float *k, int64_t ks, const float *v, int64_t vs,
                         int n_kv, int dk, int dv, float scale, int mode, float *out)
{
    // mode 0: F32 cache (softmax, then weighted sum); 1: F16 narrow (half
    // accumulator); 2: F16 wide (F32); k, v already hold half-rounded values
    std::vector<float> sc(n_kv), acc(dv, 0.0f), qh(q, q + dk);
    if (mode == 1)
        for (auto &x : qh) x = h2f(x);
    if (mode != 1) {
        float mx = -INFINITY;
        for (int p = 0; p < n_kv; p++) {
            float s = 0;
            for (int i = 0; i < dk; i++) s += qh[i] * k[p * ks + i];
            sc[p] = s * scale;
            mx = fmaxf(mx, sc[p]);
        }
        double sum = 0;
        for (int p = 0; p < n_kv; p++) { sc[p] = expf(sc[p] - mx); sum += sc[p]; }
        for (int p = 0; p < n_kv; p++)
            for (int i = 0; i < dv; i++) acc[i] += (float)(sc[p] / sum) * v[p * vs + i];
        memcpy(out, acc.data(), dv * 4);
        return;
    }
    // mode 1 as the CPU's row_f16: its own scores (dots), the online
    // softmax's weights (glibc's expf, S by fma), its own half accumulation
    // (wsum)
    const pd_attn_kernels *K = pd_attn_kernels_get();
    std::vector<uint16_t> kh((size_t)(n_kv - 1) * ks + dk);
    for (size_t i = 0; i < kh.size(); i++)
        kh[i] = half_bits(k[i]);
    std::vector<float> ms(n_kv), scores(n_kv);
    K->dots(qh.data(), kh.data(), (size_t)ks, n_kv, dk, scale, scores.data());
    float S = 0, M = -INFINITY;
    for (int p = 0; p < n_kv; p++) {
        const float s = scores[p];
        ms[p] = 1;
        sc[p] = 1;
        if (s > M) {
            const float old = M;
            M = s;
            ms[p] = expf(old - M);
        } else {
            sc[p] = expf(s - M);
        }
        S = fmaf(S, ms[p], sc[p]);
    }
    std::vector<uint16_t> vh((size_t)n_kv * vs), ah(dv, 0);
    for (int p = 0; p < n_kv; p++)
        for (int i = 0; i < dv; i++)
            vh[(size_t)p * vs + i] = half_bits(v[p * vs + i]);
    K->wsum(ah.data(), vh.data(), (size_t)vs, n_kv, sc.data(), ms.data(), dv);
    for (int i = 0; i < dv; i++)
        out[i] = __half2float(__ushort_as_half(ah[i])) * (S == 0 ? 0 : 1 / S);
}

static void test_attention(bool mla, bool f16, int rows, int wide_rows, int pos0)
{
    const int H = mla ? 16 : 8, Hkv = mla ? 1 : 2, dk = mla ? 576 : 128, dv = mla ? 512 : 128;
    const int64_t k_ld = (int64_t)Hkv * dk, v_ld = mla ? k_ld : (int64_t)Hkv * dv;
    const int n_kv = pos0 + rows;
    std::vector<float> q = randv((size_t)rows * H * dk), kc = randv((size_t)n_kv * k_ld, 2.0f);
    std::vector<float> vc = mla ? kc : randv((size_t)n_kv * v_ld);
    if (f16) { for (auto &x : kc) x = h2f(x); for (auto &x : vc) x = h2f(x); }
    if (mla) vc = kc;
    // device cache
    void *dk_c, *dv_c;
    const size_t es = f16 ? 2 : 4;
    CK(cudaMalloc(&dk_c, kc.size() * es));
    CK(cudaMalloc(&dv_c, vc.size() * es));
    if (f16) {
        std::vector<__half> a(kc.size()), b(vc.size());
        for (size_t i = 0; i < kc.size(); i++) a[i] = __float2half_rn(kc[i]);
        for (size_t i = 0; i < vc.size(); i++) b[i] = __float2half_rn(vc[i]);
        CK(cudaMemcpy(dk_c, a.data(), a.size() * 2, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(dv_c, b.data(), b.size() * 2, cudaMemcpyHostToDevice));
    } else {
        CK(cudaMemcpy(dk_c, kc.data(), kc.size() * 4, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(dv_c, vc.data(), vc.size() * 4, cudaMemcpyHostToDevice));
    }
    float *dq = dev(q.data(), q.size()), *dout = dev_poison((size_t)rows * H * dv);
    int *dpos = dev(&pos0, 1);
    const float scale = 1.0f / sqrtf((float)dk);
    const cu_attn a{ dq, dk_c, mla ? dk_c : dv_c, k_ld, v_ld, dk, dv, H, H / Hkv, f16, wide_rows,
                     scale, dout };
    PK(cu_attention(S, &a, dpos, rows));
    std::vector<float> ref((size_t)rows * H * dv);
    for (int t = 0; t < rows; t++)
        for (int h = 0; h < H; h++) {
            const int hk = h / (H / Hkv);
            const bool f32_sums = t < wide_rows || pos0 + t + 1 >= PD_CU_CPU_F32_FROM;
            const int mode = !f16 ? 0 : f32_sums ? 2 : 1;
            ref_attn_row(&q[((size_t)t * H + h) * dk], &kc[hk * dk], k_ld,
                         mla ? &kc[0] : &vc[hk * dv], v_ld, pos0 + t + 1, dk, dv, scale, mode,
                         &ref[((size_t)t * H + h) * dv]);
        }
    char what[96];
    snprintf(what, sizeof what, "attention %s %s rows=%d wide=%d pos0=%d", mla ? "MLA" : "GQA",
             f16 ? "F16" : "F32", rows, wide_rows, pos0);
    const std::vector<float> got = back(dout, ref.size());
    check(what, got, ref, 1e-4);
    // narrow rows under PD_CU_CPU_F32_FROM keys: the CPU's row_f16 to the bit
    const int end = PD_CU_CPU_F32_FROM - 1 - pos0 < rows ? PD_CU_CPU_F32_FROM - 1 - pos0 : rows;
    if (f16 && wide_rows < end) {
        const size_t at = (size_t)wide_rows * H * dv, to = (size_t)end * H * dv;
        snprintf(what, sizeof what, "attention %s F16 rows=%d: narrow rows exact", mla ? "MLA" : "GQA",
                 rows);
        check(what, std::vector<float>(got.begin() + at, got.begin() + to),
              std::vector<float>(ref.begin() + at, ref.begin() + to), 0);
    }
    cudaFree(dk_c); cudaFree(dv_c); cudaFree(dq); cudaFree(dout); cudaFree(dpos);
}

// ---------------------------------------------------------------------------
// MoE
// ---------------------------------------------------------------------------
static void test_route(const char *name, int X, int K, bool sigmoid, bool bias, int G, int Gu,
                      bool norm, float scale, int rows)
{
    pd_hparams hp{};
    hp.n_expert = X; hp.n_expert_used = K; hp.gating = sigmoid ? PD_GATE_SIGMOID : PD_GATE_SOFTMAX;
    hp.n_group = G; hp.n_group_used = Gu; hp.weights_norm = norm; hp.weights_scale = scale;
    std::vector<float> lg = randv((size_t)rows * X, 4.0f), b = randv(X, 0.1f);
    float *dl = dev(lg.data(), lg.size()), *db = dev(b.data(), b.size());
    float *dw = dev_poison((size_t)rows * K);
    int *di = dev<int>(NULL, (size_t)rows * K);
    const cu_route r{ X, K, G, Gu, sigmoid, norm, scale };
    PK(cu_moe_route(S, &r, dl, bias ? db : NULL, rows, di, dw));
    std::vector<int> ids((size_t)rows * K);
    CK(cudaStreamSynchronize(S));
    CK(cudaMemcpy(ids.data(), di, ids.size() * 4, cudaMemcpyDeviceToHost));
    std::vector<float> w = back(dw, (size_t)rows * K), rw((size_t)rows * K);
    std::vector<int32_t> rid((size_t)rows * K);
    long bad = 0;
    for (int t = 0; t < rows; t++) {
        pd_moe_route(&hp, &lg[(size_t)t * X], bias ? b.data() : NULL, &rid[t * K], &rw[t * K]);
        for (int j = 0; j < K; j++) bad += rid[t * K + j] != ids[t * K + j];
    }
    char what[96];
    snprintf(what, sizeof what, "route %s ids", name);
    check_exact(what, bad, (long)rows * K);
    snprintf(what, sizeof what, "route %s weights (exact)", name);
    check(what, w, rw, 0);   // kernels/cumath.cuh: the CPU's exp functions and sums
    cudaFree(dl); cudaFree(db); cudaFree(dw); cudaFree(di);
}

static void test_combine(int rows, int K, int E, bool shared)
{
    std::vector<float> eout = randv((size_t)rows * K * E), w = randv((size_t)rows * K);
    std::vector<float> out = randv((size_t)rows * E), ref = out;
    std::vector<int> slot((size_t)rows * K);
    for (int i = 0; i < rows * K; i++) slot[i] = (i * 5 + 2) % (rows * K);   // a permutation
    float *de = dev(eout.data(), eout.size()), *dw = dev(w.data(), w.size());
    float *dout = dev(out.data(), out.size());
    int *ds = dev(slot.data(), slot.size());
    PK(cu_moe_combine(S, dout, de, dw, ds, rows, K, E, shared));
    for (int t = 0; t < rows; t++)
        for (int i = 0; i < E; i++) {
            float acc = 0;
            for (int s = 0; s < K; s++) acc += w[t * K + s] * eout[(size_t)slot[t * K + s] * E + i];
            ref[t * E + i] = shared ? acc + out[t * E + i] : acc;
        }
    char what[64];
    snprintf(what, sizeof what, "moe combine rows=%d K=%d%s", rows, K, shared ? " +shared" : "");
    check(what, back(dout, out.size()), ref, 1e-6);
    cudaFree(de); cudaFree(dw); cudaFree(dout); cudaFree(ds);
}

// ---------------------------------------------------------------------------
// Bench: mat-vec bandwidth per type vs a device-to-device copy
// ---------------------------------------------------------------------------
static float time_ms(void (*fn)(void *), void *arg, int reps)
{
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
    for (int i = 0; i < 3; i++) fn(arg);
    std::vector<float> t;
    for (int i = 0; i < reps; i++) {
        CK(cudaEventRecord(a, S));
        fn(arg);
        CK(cudaEventRecord(b, S));
        CK(cudaEventSynchronize(b));
        float ms;
        CK(cudaEventElapsedTime(&ms, a, b));
        t.push_back(ms);
    }
    std::sort(t.begin(), t.end());
    cudaEventDestroy(a); cudaEventDestroy(b);
    return t[t.size() / 2];
}

struct copy_arg { void *dst, *src; size_t n; };
static void do_copy(void *p)
{
    copy_arg *c = (copy_arg *)p;
    CK(cudaMemcpyAsync(c->dst, c->src, c->n, cudaMemcpyDeviceToDevice, S));
}
struct mv_arg { cu_w *w; cu_act *a; float *y; };
static void do_mv(void *p)
{
    mv_arg *m = (mv_arg *)p;
    PK(cu_matvec(S, m->w, m->a, 1, NULL, 1, m->y, m->w->n));
}

static void bench(void)
{
    const size_t cb = 1ull << 30;
    copy_arg c{ NULL, NULL, cb };
    CK(cudaMalloc(&c.dst, cb)); CK(cudaMalloc(&c.src, cb));
    CK(cudaMemset(c.src, 1, cb));
    const float cms = time_ms(do_copy, &c, 20);
    const double copy_gbs = 2.0 * cb / (cms * 1e6);
    cudaFree(c.dst); cudaFree(c.src);
    printf("\nbench: device copy %.0f GB/s (read + write)\n", copy_gbs);
    printf("bench: %-5s %-14s %9s %9s %7s\n", "type", "shape", "us", "GB/s", "%copy");
    const pd_type types[] = { PD_TYPE_F16, PD_TYPE_BF16, PD_TYPE_Q8_0, PD_TYPE_Q4_0,
                              PD_TYPE_Q2_K, PD_TYPE_Q3_K, PD_TYPE_Q4_K, PD_TYPE_Q5_K, PD_TYPE_Q6_K,
                              PD_TYPE_IQ4_NL, PD_TYPE_IQ4_XS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ2_XS,
                              PD_TYPE_IQ2_S, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S, PD_TYPE_IQ1_S,
                              PD_TYPE_IQ1_M };
    const int64_t k = 4096;
    for (pd_type t : types) {
        size_t rb = 0;
        pd_type_row_bytes(t, k, &rb);
        const int64_t n = (int64_t)((256u << 20) / rb);   // 256 MiB: well past the L2
        // 64 distinct quantized rows repeated (random bytes could make NaN scales)
        std::vector<uint8_t> bytes(rb * n);
        std::vector<float> row;
        for (int64_t r = 0; r < 64; r++) {
            row = randv(k);
            pd_quantize_row_ref(t, row.data(), bytes.data() + r * rb, k);
        }
        for (int64_t r = 64; r < n; r++) memcpy(bytes.data() + r * rb, bytes.data() + (r % 64) * rb, rb);
        cu_w w{ dev(bytes.data(), bytes.size()), t, k, n, 1, rb, rb * n };
        cu_act a = alloc_act(1, k);
        float *x = dev(row.data(), k), *y = dev_poison(n);
        PK(cu_act_quantize(S, pd_type_vec_dot(t), x, k, 1, k, &a));
        mv_arg m{ &w, &a, y };
        const float ms = time_ms(do_mv, &m, 50);
        const double gbs = (double)rb * n / (ms * 1e6);
        printf("bench: %-5s %6lldx%-7lld %9.1f %9.0f %6.0f%%\n", pd_type_name(t), (long long)k,
               (long long)n, ms * 1e3, gbs, 100 * gbs / copy_gbs);
        free_act(a);
        cudaFree((void *)w.data); cudaFree(x); cudaFree(y);
    }
}

static std::vector<float> read_f32(const char *path)
{
    std::vector<float> v;
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "test_ops: cannot open %s\n", path); exit(2); }
    float buf[4096];
    size_t n;
    while ((n = fread(buf, 4, 4096, f)) > 0) v.insert(v.end(), buf, buf + n);
    fclose(f);
    return v;
}

// Two logits files of the same shape: overall ||a-b||/||b||, the worst row,
// and how many rows pick a different top token (n_vocab from argv or 0).
static int cmp_logits(const char *a_path, const char *b_path, double tol, long n_vocab)
{
    std::vector<float> a = read_f32(a_path), b = read_f32(b_path);
    if (a.size() != b.size() || a.empty()) {
        printf("cmp: sizes differ (%zu vs %zu values)\n", a.size(), b.size());
        return 1;
    }
    double num = 0, den = 0, worst = 0;
    long rows = n_vocab > 0 ? (long)(a.size() / n_vocab) : 1, argmax_diff = 0;
    const size_t V = n_vocab > 0 ? (size_t)n_vocab : a.size();
    bool nan = false;
    for (long r = 0; r < rows; r++) {
        double rn = 0, rd = 0;
        size_t ia = 0, ib = 0;
        for (size_t i = r * V; i < (r + 1) * V; i++) {
            if (!isfinite(a[i])) nan = true;
            rn += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            rd += (double)b[i] * b[i];
            if (a[i] > a[r * V + ia]) ia = i - r * V;
            if (b[i] > b[r * V + ib]) ib = i - r * V;
        }
        num += rn;
        den += rd;
        worst = fmax(worst, rd > 0 ? sqrt(rn / rd) : sqrt(rn));
        argmax_diff += ia != ib;
    }
    const double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    printf("cmp: rel %.2e, worst row %.2e, %ld of %ld rows with another top token%s\n", rel, worst,
           argmax_diff, rows, nan ? ", NaN" : "");
    return !nan && rel <= tol ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "--cmp"))
        return cmp_logits(argv[2], argv[3], argc > 4 ? atof(argv[4]) : 1e-3, argc > 5 ? atol(argv[5]) : 0);
    const bool do_bench = argc > 1 && !strcmp(argv[1], "--bench");
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        printf("SKIP: no CUDA device\n");
        return 77;
    }
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s, %d SMs, %.0f GiB\n", prop.name, prop.multiProcessorCount,
           prop.totalGlobalMem / 1073741824.0);
    pd_h2f_init();   // the CPU's half table (its attention kernels read it)
    CK(cudaStreamCreate(&S));
    cublasHandle_t blas;
    if (cublasCreate(&blas) != CUBLAS_STATUS_SUCCESS) { fprintf(stderr, "cublasCreate failed\n"); return 2; }
    cublasSetStream(blas, S);

    const pd_type types[] = { PD_TYPE_F32, PD_TYPE_F16, PD_TYPE_BF16, PD_TYPE_Q8_0, PD_TYPE_Q4_0,
                              PD_TYPE_Q5_0, PD_TYPE_Q4_1, PD_TYPE_Q5_1,
                              PD_TYPE_Q2_K, PD_TYPE_Q3_K, PD_TYPE_Q4_K, PD_TYPE_Q5_K, PD_TYPE_Q6_K,
                              PD_TYPE_IQ4_NL, PD_TYPE_IQ4_XS, PD_TYPE_IQ2_XXS, PD_TYPE_IQ2_XS,
                              PD_TYPE_IQ2_S, PD_TYPE_IQ3_XXS, PD_TYPE_IQ3_S, PD_TYPE_IQ1_S,
                              PD_TYPE_IQ1_M };
    for (pd_type t : types) {
        test_matvec(t, 256, 1, 1, 1, false, 1);           // one row
        test_matvec(t, 2048, 771, 1, 1, false, 1);        // ragged row count
        test_matvec(t, 4096, 64, 1, 4, false, 1);         // a few token rows
        test_matvec(t, 1024, 96, 16, 8, true, 4);         // experts: ids, 2 tokens x 4 slots
        test_matvec(t, 768, 128, 8, 16, false, 1);        // per head (slot % n_mat)
        test_dequant(t, 512, 33, false);
        test_dequant(t, 512, 33, true);
        test_gemm(blas, t, 1024, 300, 37, false, false);
        test_gemm(blas, t, 512, 2100, 19, false, true);
        test_gemm(blas, t, 1024, 300, 37, true, true);
    }
    test_act_exact(PD_TYPE_Q8_0, 5, 1024);
    test_act_exact(PD_TYPE_Q8_1, 5, 1024);
    test_act_exact(PD_TYPE_Q8_K, 5, 2048);
    test_rmsnorm(7, 2048, true);
    test_rmsnorm(64, 128, true);
    test_rmsnorm(3, 512, false);
    test_add_rmsnorm(5, 2048);
    test_silu(100003, 1.0f);
    test_silu(4099, 120.0f);   // exp under- and overflow
    for (int kind = 0; kind < 2; kind++) {
        pd_rope_kind rk = kind ? PD_ROPE_NEOX : PD_ROPE_NORM;
        test_rope(rk, false, false, 0);
        test_rope(rk, true, false, 3000);
        test_rope(rk, false, true, 777);
    }
    test_attention(false, false, 1, 0, 300);
    test_attention(false, true, 1, 0, 300);    // half-precision sums
    test_attention(false, true, 1, 0, 1000);   // F32 sums from 512 keys on
    test_attention(false, true, 8, 0, 505);    // across the 512 line
    test_attention(false, true, 70, 64, 5);
    test_attention(true, false, 3, 0, 200);
    test_attention(true, true, 1, 0, 400);
    test_attention(true, true, 1, 0, 2000);
    test_attention(true, true, 66, 64, 0);
    test_route("softmax 128/8", 128, 8, false, false, 0, 0, true, 0.0f, 33);
    test_route("softmax 64/6 no-norm", 64, 6, false, false, 0, 0, false, 0.0f, 9);
    test_route("sigmoid+bias 256/8 groups 8/4", 256, 8, true, true, 8, 4, true, 2.5f, 33);
    test_route("softmax 160/6 groups 8/3", 160, 6, false, false, 8, 3, false, 16.0f, 5);
    test_combine(1, 8, 2048, true);
    test_combine(13, 6, 512, false);

    printf("\ntest_ops: %d passed, %d failed\n", n_pass, n_fail);
    if (do_bench)
        bench();
    cublasDestroy(blas);
    return n_fail ? 1 : 0;
}
