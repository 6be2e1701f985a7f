/* test_simd_state.c - every SIMD kernel returns with the upper halves of
 * the vector registers in their initial state (as after vzeroupper).
 *
 * ponder's baseline files (ops.c, the sampler, libm's fmaf they call) run
 * legacy SSE instructions; on Intel, while a ymm register's upper half is
 * dirty those run many times slower (measured: RoPE 50x after one Q2_K dot
 * on an Emerald Rapids VM, bench/NOTES.md, session 8). GCC puts vzeroupper
 * at a function's end, but at the AVX-512 level it may put it before the
 * last 256-bit work on ymm16-31 (which vzeroupper does not touch), and that
 * work dirties the state again.
 *
 * The state is read with XGETBV(1) (XINUSE): bit 2 is the upper halves of
 * ymm0-15, bit 6 those of zmm0-15. The test skips where the CPU cannot say
 * (no XGETBV(1), or a vzeroupper does not clear the bit, or a ymm write does
 * not set it). */
#include "t.h"
#include "quant.h"
#include "quant_simd.h"
#include "cpu/attn_kernels.h"
#include "cpu/ops.h"

#include <stdint.h>

#if defined(__x86_64__)
#include <cpuid.h>

enum { UPPER_BITS = (1 << 2) | (1 << 6) };

static uint64_t xinuse(void)
{
    uint32_t a, d;
    __asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(1));
    return (uint64_t)d << 32 | a;
}

/* XINUSE right after a ymm write (in one asm: no vzeroupper between) */
__attribute__((target("avx"))) static uint64_t xinuse_after_ymm_write(void)
{
    uint32_t a, d;
    __asm__ volatile("vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\txgetbv" : "=a"(a), "=d"(d) : "c"(1) : "xmm1");
    return (uint64_t)d << 32 | a;
}

__attribute__((target("avx"))) static void settle(void)
{
    __asm__ volatile("vzeroupper" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                     "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* NULL when the state can be read, else why not */
static const char *state_unreadable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
        return "no AVX";
    if (!__get_cpuid_count(0xd, 1, &a, &b, &c, &d) || !(a & (1u << 2)))
        return "no XGETBV(1) (XINUSE)";
    settle();
    if (xinuse() & UPPER_BITS)
        return "XINUSE keeps the upper state after vzeroupper";
    uint64_t dirty = xinuse_after_ymm_write();
    settle();
    if (!(dirty & (1 << 2)))
        return "XINUSE does not show a ymm write";
    return NULL;
}

enum { NMAX = 4096, ROWS = 16, COLS = 17, RB = 4 * NMAX };
static uint8_t g_w[ROWS][RB], g_x[COLS][RB];
static float g_f[NMAX], g_out[ROWS * COLS];

static char g_bad[512];

/* note what left the upper state dirty, and clean it for the next */
static void check(const char *level, const char *what, pd_type t)
{
    if (!(xinuse() & UPPER_BITS))
        return;
    size_t len = strlen(g_bad);
    if (len < sizeof g_bad - 64)
        snprintf(g_bad + len, sizeof g_bad - len, "%s%s %s%s%s", len ? ", " : "", level, what,
                 t == PD_TYPE_COUNT ? "" : " ", t == PD_TYPE_COUNT ? "" : pd_type_name(t));
    settle();
}

static void check_level(const pd_quant_kernels *k, int64_t n)
{
    static const int shapes[][2] = { { 1, 1 }, { 8, 9 }, { 16, 17 } };
    for (int t = 0; t < PD_TYPE_COUNT; t++) {
        if (k->dot[t]) {
            volatile float r = k->dot[t](n, g_w[0], g_x[0]);
            (void)r;
            check(k->name, "dot", (pd_type)t);
        }
        if (k->dequantize[t]) {
            k->dequantize[t](g_w[0], g_f, n);
            check(k->name, "dequantize", (pd_type)t);
        }
        if (k->quantize[t]) {
            k->quantize[t](g_f, g_x[0], n);
            check(k->name, "quantize", (pd_type)t);
        }
        for (size_t s = 0; k->tile[t] && s < sizeof shapes / sizeof shapes[0]; s++) {
            memset(g_x, 0, sizeof g_x);
            k->tile[t](n, g_w, RB, shapes[s][0], g_x, RB, shapes[s][1], g_out, ROWS);
            check(k->name, "tile", (pd_type)t);
        }
    }
    memset(g_x, 0, sizeof g_x);
    const pd_tile_fn q4k[] = { k->q4k_gemv, k->q4k_gemm, k->q4k8_gemv, k->q4k8_gemm };
    static const char *const names[] = { "q4k_gemv", "q4k_gemm", "q4k8_gemv", "q4k8_gemm" };
    for (int i = 0; i < 4; i++)
        for (size_t s = 1; s < sizeof shapes / sizeof shapes[0]; s++) {
            q4k[i](n, g_w, RB, shapes[s][0], g_x, RB, shapes[s][1], g_out, ROWS);
            check(k->name, names[i], PD_TYPE_COUNT);
        }
}

static void test_quant_kernels_settle(void)
{
    const char *why = state_unreadable();
    if (why)
        T_SKIP("%s", why);
    g_bad[0] = 0;
    for (int l = PD_SIMD_AVX2; l < PD_SIMD_LEVELS; l++) {
        const pd_quant_kernels *k = pd_quant_kernels_get(l);
        for (int64_t n = 256; k && n <= NMAX; n *= 4)     /* one block; chunked loops */
            check_level(k, n);
    }
    T_CHECKF(!g_bad[0], "dirty upper state after: %s", g_bad);
}

static void test_other_kernels_settle(void)
{
    const char *why = state_unreadable();
    if (why)
        T_SKIP("%s", why);
    g_bad[0] = 0;
    static uint16_t kv[64 * 128], acc[128];
    static float q[4][128], w[4][64], ms[64], o[4][128];
    const float *const qs[4] = { q[0], q[1], q[2], q[3] }, *const ws[4] = { w[0], w[1], w[2], w[3] };
    float *const os[4] = { o[0], o[1], o[2], o[3] };
    const pd_attn_kernels *a = pd_attn_kernels_get();
    a->dots(q[0], kv, 128, 64, 128, 1.0f, g_out);
    check("attention", "dots", PD_TYPE_COUNT);
    a->wsum(acc, kv, 128, 64, w[0], ms, 128);
    check("attention", "wsum", PD_TYPE_COUNT);
    a->dots4(qs, kv, 128, 64, 128, 1.0f, os);
    check("attention", "dots4", PD_TYPE_COUNT);
    a->wsumf4(os, kv, 128, 64, ws, 128);
    check("attention", "wsumf4", PD_TYPE_COUNT);
    if (a->ktile) {   /* the keys-as-lanes pair, where the level has it */
        static float kt[128 * PD_ATTN_KT];
        a->ktile(kv, 128, 64, 128, kt);
        check("attention", "ktile", PD_TYPE_COUNT);
        a->dots4t(qs, kt, 64, 128, 1.0f, os);
        check("attention", "dots4t", PD_TYPE_COUNT);
    }
    for (int l = PD_SIMD_AVX2; l < PD_SIMD_LEVELS; l++) {
        float m = -INFINITY, rescale, sum;
        if (pd_silu_mul_level(l, g_f, g_f + 256, 256))
            check("vexp", "silu_mul", PD_TYPE_COUNT);
        if (pd_softmax_ggml_level(l, g_f, 256))
            check("vexp", "softmax", PD_TYPE_COUNT);
        if (pd_softmax_tile_level(l, g_f, 64, 64, &m, &rescale, &sum))
            check("vexp", "softmax_tile", PD_TYPE_COUNT);
    }
    T_CHECKF(!g_bad[0], "dirty upper state after: %s", g_bad);
}
#else
static void test_quant_kernels_settle(void) { T_SKIP("not x86-64"); }
static void test_other_kernels_settle(void) { T_SKIP("not x86-64"); }
#endif

int main(void)
{
    T_RUN(test_quant_kernels_settle);
    T_RUN(test_other_kernels_settle);
    T_DONE();
}
