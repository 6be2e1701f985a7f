/* test_cuda_host.c - the CUDA backend's host-side logic (kernels/plan.c),
 * which needs neither a GPU nor the CUDA toolkit: the weight arena layout,
 * the fit check, and grouping tokens by expert for prefill. */
#include "t.h"
#include "../../kernels/plan.h"
#include "model.h"
#include "cpu/cpu.h"

#include <stdint.h>

static void test_plan_alignment_and_dedupe(void)
{
    static char a[1000], b[300];
    pd_cu_plan p = {0};
    T_EQ_INT(pd_cu_plan_add(&p, a, 1000), PD_OK);
    T_EQ_INT(pd_cu_plan_add(&p, b, 300), PD_OK);
    T_EQ_INT(pd_cu_plan_add(&p, a, 1000), PD_OK);       /* tied weights: stored once */
    T_EQ_INT(pd_cu_plan_add(&p, NULL, 50), PD_OK);      /* absent: ignored */
    T_EQ_INT(p.n, 2);
    T_EQ_INT(pd_cu_plan_offset(&p, a), 0);
    T_EQ_INT(pd_cu_plan_offset(&p, b), 1024);           /* 1000 rounded up to 256 */
    T_EQ_INT(pd_cu_plan_offset(&p, a + 999), 999);      /* a pointer inside a span */
    T_EQ_INT(pd_cu_plan_offset(&p, b + 17), 1024 + 17);
    T_CHECK(pd_cu_plan_offset(&p, b + 300) == SIZE_MAX);
    T_EQ_INT(p.total, 1024 + 512);
    for (int i = 0; i < p.n; i++)
        T_EQ_INT(p.v[i].off % PD_CU_ALIGN, 0);
    pd_cu_plan_free(&p);
}

static void test_plan_many(void)
{
    static char buf[5000];
    pd_cu_plan p = {0};
    for (int i = 0; i < 5000; i++)   /* grows past its first capacity */
        T_EQ_INT(pd_cu_plan_add(&p, buf + i, 1), PD_OK);
    T_EQ_INT(p.n, 5000);
    T_EQ_INT(pd_cu_plan_offset(&p, buf + 4321), (size_t)4321 * PD_CU_ALIGN);
    pd_cu_plan_free(&p);
}

static void test_weight_bytes(void)
{
    pd_weight w = { .data = (void *)1, .type = PD_TYPE_Q8_0, .k = 64, .n = 10, .n_mat = 1,
                    .row_bytes = 68, .mat_stride = 680 };
    T_EQ_INT(pd_cu_weight_bytes(&w), 680);
    w.n_mat = 4;
    T_EQ_INT(pd_cu_weight_bytes(&w), 4 * 680);
    /* a strided view (attn_v_b inside attn_kv_b): ends at the last row */
    w.mat_stride = 3 * 680;
    T_EQ_INT(pd_cu_weight_bytes(&w), 3 * 3 * 680 + 680);
    w.data = NULL;
    T_EQ_INT(pd_cu_weight_bytes(&w), 0);
}

static void test_check_fit(void)
{
    T_EQ_INT(pd_cu_check_fit("m", 100u << 20, 1000u << 20, 256u << 20), PD_OK);
    T_EQ_INT(pd_cu_check_fit("big.gguf", 900u << 20, 1000u << 20, 256u << 20), PD_ENOMEM);
    const char *msg = pd_errmsg();
    T_CHECKF(strstr(msg, "big.gguf") && strstr(msg, "900 MiB") && strstr(msg, "1000 MiB"),
             "message: %s", msg);
    T_EQ_INT(pd_cu_check_fit("m", SIZE_MAX - 10, SIZE_MAX, 256), PD_ENOMEM);  /* no overflow */
}

static void test_group_experts(void)
{
    /* 3 tokens, 2 experts each, 4 experts */
    const int32_t sel[6] = { 2, 0, 0, 3, 2, 3 };
    int32_t count[4], start[5], rows[6], slot[6];
    T_EQ_INT(pd_cu_group_experts(sel, 3, 2, 4, count, start, rows, slot), PD_OK);
    const int32_t want_count[4] = { 2, 0, 2, 2 }, want_start[5] = { 0, 2, 2, 4, 6 };
    const int32_t want_rows[6] = { 0, 1, 0, 2, 1, 2 };   /* expert 0: t0 t1, 2: t0 t2, 3: t1 t2 */
    for (int e = 0; e < 4; e++)
        T_EQ_INT(count[e], want_count[e]);
    for (int e = 0; e < 5; e++)
        T_EQ_INT(start[e], want_start[e]);
    for (int i = 0; i < 6; i++)
        T_EQ_INT(rows[i], want_rows[i]);
    /* every (token, slot) pair points at a row of its own token under its expert */
    for (int i = 0; i < 6; i++) {
        T_EQ_INT(rows[slot[i]], i / 2);
        T_CHECK(slot[i] >= start[sel[i]] && slot[i] < start[sel[i] + 1]);
    }
}

static void test_group_experts_rejects(void)
{
    const int32_t sel[2] = { 1, 4 };
    int32_t count[4], start[5], rows[2], slot[2];
    T_EQ_INT(pd_cu_group_experts(sel, 1, 2, 4, count, start, rows, slot), PD_EBACKEND);
    const int32_t neg[2] = { -1, 0 };
    T_EQ_INT(pd_cu_group_experts(neg, 1, 2, 4, count, start, rows, slot), PD_EBACKEND);
}

/* Which prompt rows the CPU runs on llama.cpp's wide attention path; the
 * constants must follow the CPU backend's micro-batch. */
static void test_wide_rows(void)
{
    T_EQ_INT(PD_CU_CPU_UBATCH, PD_CPU_UBATCH);
    T_EQ_INT(PD_CU_CPU_WIDE, 64);   /* `j->n >= 64` in src/cpu/attention.c */
    T_EQ_INT(PD_CU_CPU_F32_FROM, PD_ATTN_F32_FROM);
    T_EQ_INT(pd_cu_wide_rows(1), 0);
    T_EQ_INT(pd_cu_wide_rows(63), 0);
    T_EQ_INT(pd_cu_wide_rows(64), 64);
    T_EQ_INT(pd_cu_wide_rows(80), 80);
    T_EQ_INT(pd_cu_wide_rows(256), 256);
    T_EQ_INT(pd_cu_wide_rows(300), 256);    /* a last micro-batch of 44 rows: narrow */
    T_EQ_INT(pd_cu_wide_rows(600), 600);    /* 256 + 256 + 88 */
}

/* Every weight the forward pass reads gets an arena offset, inside the arena. */
static void check_weight(const pd_cu_plan *p, const pd_weight *w)
{
    if (!w->data)
        return;
    size_t off = pd_cu_plan_offset(p, w->data);
    T_CHECK(off != SIZE_MAX);
    T_CHECK(off + pd_cu_weight_bytes(w) <= p->total);
    T_CHECK(pd_cu_plan_offset(p, (const char *)w->data + pd_cu_weight_bytes(w) - 1)
            == off + pd_cu_weight_bytes(w) - 1);
}

static void plan_oracle(const char *name)
{
    const char *dir = getenv("PONDER_ORACLE");
    if (!dir)
        T_SKIP("PONDER_ORACLE is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        T_SKIP("%s is absent", path);
    fclose(f);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    pd_model *m = NULL;
    T_EQ_INT(pd_model_load(path, &o, &m), PD_OK);
    pd_cu_plan p = {0};
    T_EQ_INT(pd_cu_plan_model(&p, m), PD_OK);
    check_weight(&p, &m->token_embd);
    check_weight(&p, &m->output);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const pd_layer *l = &m->layers[il];
        const pd_weight *ws[] = { &l->wq, &l->wk, &l->wv, &l->wo, &l->wq_a, &l->wq_b, &l->wkv_a,
                                  &l->wk_b, &l->wv_b, &l->ffn_gate, &l->ffn_up, &l->ffn_down,
                                  &l->gate_inp, &l->gate_exps, &l->up_exps, &l->down_exps,
                                  &l->gate_shexp, &l->up_shexp, &l->down_shexp };
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
            check_weight(&p, ws[i]);
        T_CHECK(pd_cu_plan_offset(&p, l->attn_norm) != SIZE_MAX);
        T_CHECK(pd_cu_plan_offset(&p, l->ffn_norm + m->hp.n_embd - 1) != SIZE_MAX);
    }
    /* the arena holds no more than the file plus what the loader made, padded */
    T_CHECK(p.total <= m->gguf->size + m->owned_bytes + (size_t)p.n * PD_CU_ALIGN);
    pd_cu_plan_free(&p);
    pd_model_close(m);
}

static void test_plan_oracle_mla(void) { plan_oracle("ds3-Q4_K_M.gguf"); }
static void test_plan_oracle_moe(void) { plan_oracle("q3moe-F16.gguf"); }

/* --ctx's default on the GPU: halved while it does not fit, not below the
 * floor; a context that fits stays; a smaller one than the floor stays */
static size_t need_linear(int n_ctx, void *user)
{
    return *(const size_t *)user + (size_t)n_ctx * 1000;   /* weights + 1000 bytes a position */
}

static void test_default_ctx(void)
{
    size_t weights = 5000000;
    T_EQ_INT(pd_cu_default_ctx(32768, 8192, 100000000, 0, need_linear, &weights), 32768);
    /* 5e6 + 16384e3 = 21.4e6 fits 25e6 - 1e6; 32768 does not */
    T_EQ_INT(pd_cu_default_ctx(32768, 8192, 25000000, 1000000, need_linear, &weights), 16384);
    /* 8192 needs 13.2e6: nothing fits 10e6, the floor is kept for the fit check to refuse */
    T_EQ_INT(pd_cu_default_ctx(32768, 8192, 10000000, 0, need_linear, &weights), 8192);
    T_EQ_INT(pd_cu_default_ctx(4096, 8192, 1, 0, need_linear, &weights), 4096);
    /* the reserve larger than what is free: no room at all */
    T_EQ_INT(pd_cu_default_ctx(24576, 8192, 1000, 5000, need_linear, &weights), 8192);
    /* halving from a context that is no power of two stops at the floor */
    T_EQ_INT(pd_cu_default_ctx(20000, 8192, 5000000 + 9000000, 0, need_linear, &weights), 8192);
}

int main(void)
{
    T_RUN(test_plan_alignment_and_dedupe);
    T_RUN(test_plan_many);
    T_RUN(test_weight_bytes);
    T_RUN(test_check_fit);
    T_RUN(test_group_experts);
    T_RUN(test_group_experts_rejects);
    T_RUN(test_wide_rows);
    T_RUN(test_default_ctx);
    T_RUN(test_plan_oracle_mla);
    T_RUN(test_plan_oracle_moe);
    T_DONE();
}
