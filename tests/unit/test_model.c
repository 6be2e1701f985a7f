/* test_model.c - the forward pass against references: llama.cpp's logits,
 * greedy tokens and expert choices for the oracle files ($PONDER_ORACLE),
 * HF transformers' logits for the tiny fixtures in tests/fixtures/hf, and
 * self-consistency (one batch = token by token; 1 thread = 2 threads). */
#define _GNU_SOURCE   /* memmem */
#include "t.h"
#include "model.h"
#include "cpu/cpu.h"
#include "gguf_write.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------ */
static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *v = malloc(sz > 0 ? (size_t)sz : 1);
    *n = fread(v, 1, (size_t)sz, f) / sizeof(float);
    fclose(f);
    return v;
}

static int read_ids(const char *path, int32_t *ids, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    while (n < max && fscanf(f, "%d", &ids[n]) == 1)
        n++;
    fclose(f);
    return n;
}

/* ------------------------------------------------------------------------
 * Routing trace
 * ------------------------------------------------------------------------ */
#define MAXPOS 80
#define MAXDEPTH 560
#define MAXL 8
typedef struct trace {
    int k, base;   /* positions from base on are kept */
    int32_t ids[MAXPOS][MAXL][8];
    float w[MAXPOS][MAXL][8];
    bool seen[MAXPOS][MAXL];
} trace;

static void on_route(void *user, int pos, int layer, int k, const int32_t *ids, const float *w)
{
    trace *tr = user;
    pos -= tr->base;
    if (pos < 0 || pos >= MAXPOS || layer >= MAXL || k > 8)
        return;
    tr->k = k;
    memcpy(tr->ids[pos][layer], ids, (size_t)k * sizeof *ids);
    memcpy(tr->w[pos][layer], w, (size_t)k * sizeof *w);
    tr->seen[pos][layer] = true;
}

static bool same_set(const int32_t *a, const int32_t *b, int k)
{
    for (int i = 0; i < k; i++) {
        bool f = false;
        for (int j = 0; j < k; j++)
            f |= a[i] == b[j];
        if (!f)
            return false;
    }
    return true;
}

static int argmax(const float *v, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[b])
            b = i;
    return b;
}

/* ------------------------------------------------------------------------
 * Oracle: llama.cpp on the same files
 * ------------------------------------------------------------------------ */
typedef struct row_err { double max, rms; } row_err;

static row_err compare_row(const float *a, const float *b, int n)
{
    row_err e = {0, 0};
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > e.max) e.max = d;
        e.rms += d * d;
    }
    e.rms = sqrt(e.rms / n);
    return e;
}

static void oracle_file(const char *model, const char *prompt, bool quantized)
{
    const char *dir = t_oracle();
    if (!dir)
        T_SKIP("PONDER_ORACLE is not set");
    char path[1024], ref[1024];
    snprintf(path, sizeof path, "%s/models/%s.gguf", dir, model);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        T_SKIP("%.900s is absent", path);
    fclose(probe);

    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = 64;
    o.n_threads = 2;
    pd_model *m;
    T_CHECKF(pd_model_load(path, &o, &m) == PD_OK, "%s", pd_errmsg());
    const int V = pd_model_n_vocab(m);
    static trace tr;
    memset(&tr, 0, sizeof tr);
    pd_model_set_route_hook(m, on_route, &tr);

    int32_t toks[32], greedy[16];
    snprintf(ref, sizeof ref, "%s/ref/%s.tokens.txt", dir, prompt);
    T_EQ_INT(read_ids(ref, toks, 32), 32);
    snprintf(ref, sizeof ref, "%s/ref/%s.greedy.txt", dir, model);
    T_EQ_INT(read_ids(ref, greedy, 16), 16);
    size_t np, nd;
    snprintf(ref, sizeof ref, "%s/ref/%s.prefill.f32", dir, model);
    float *rp = read_f32(ref, &np);
    snprintf(ref, sizeof ref, "%s/ref/%s.decode.f32", dir, model);
    float *rd = read_f32(ref, &nd);
    T_CHECK(rp && rd && np == (size_t)32 * V && nd == (size_t)16 * V);
    double margins[16];
    snprintf(ref, sizeof ref, "%s/ref/%s.json", dir, model);
    json_t *js = json_load_file(ref, 0, NULL);
    T_CHECK(js);
    for (int i = 0; i < 16; i++)
        margins[i] = json_number_value(json_array_get(json_object_get(js, "greedy_margins"), i));
    json_decref(js);

    /* all 48 positions: 32 in one forward, then 16 single-token decodes */
    float *lg = malloc(sizeof(float) * 48 * V);
    T_CHECKF(pd_model_forward(m, toks, 32, 0, lg, true) == PD_OK, "%s", pd_errmsg());
    for (int s = 0; s < 16; s++)
        T_CHECKF(pd_model_forward(m, &greedy[s], 1, 32 + s, lg + (size_t)(32 + s) * V, false)
                 == PD_OK, "%s", pd_errmsg());

    /* routing vs routing.txt: the sets per (position, layer) */
    snprintf(ref, sizeof ref, "%s/ref/%s.routing.txt", dir, model);
    FILE *rf = fopen(ref, "r");
    T_CHECK(rf);
    bool pos_routed_same[48];
    for (int i = 0; i < 48; i++) pos_routed_same[i] = true;
    int n_lines = 0, n_diff = 0, n_bad_diff = 0;
    char line[512];
    while (fgets(line, sizeof line, rf)) {
        int pos, layer, e[4];
        float w[4], selm, grpm;
        char gs[32];
        if (sscanf(line, "%d %d %d %d %d %d %f %f %f %f %f %31s", &pos, &layer, &e[0], &e[1],
                   &e[2], &e[3], &w[0], &w[1], &w[2], &w[3], &selm, gs) != 12)
            continue;
        grpm = strcmp(gs, "nan") ? strtof(gs, NULL) : INFINITY;
        n_lines++;
        T_CHECK(pos < 48 && layer < MAXL && tr.seen[pos][layer] && tr.k == 4);
        if (!same_set(tr.ids[pos][layer], e, 4)) {
            n_diff++;
            pos_routed_same[pos] = false;
            /* a near-tie: allowed only for quantized files */
            bool near = selm < 0.02f || grpm < 0.02f;
            if (!quantized || !near) {
                n_bad_diff++;
                printf("# %s: routing differs at pos %d layer %d (sel margin %g, group margin %g)\n",
                       model, pos, layer, selm, grpm);
            }
        }
    }
    fclose(rf);
    T_CHECK(n_lines > 0);

    /* logits */
    double worst_max = 0, worst_rms = 0, all_rms = 0;
    int n_cmp = 0, n_over = 0, n_exact = 0;
    for (int p = 0; p < 48; p++) {
        const float *r = p < 32 ? rp + (size_t)p * V : rd + (size_t)(p - 32) * V;
        row_err e = compare_row(lg + (size_t)p * V, r, V);
        if (!pos_routed_same[p])
            continue;
        if (e.max > worst_max) worst_max = e.max;
        if (e.rms > worst_rms) worst_rms = e.rms;
        n_over += e.rms > 0.02;
        n_exact += e.max == 0;
        all_rms += e.rms * e.rms;
        n_cmp++;
    }
    all_rms = sqrt(all_rms / (n_cmp ? n_cmp : 1));
    /* greedy ids where llama.cpp's top-2 margin exceeds our error */
    int g_checked = 0, g_bad = 0;
    for (int s = 0; s < 16; s++) {
        int p = 31 + s;
        if (margins[s] <= 2 * worst_max || !pos_routed_same[p])
            continue;
        g_checked++;
        if (argmax(lg + (size_t)p * V, V) != greedy[s])
            g_bad++;
    }
    printf("# %s: max|dlogit| %.4f, worst per-position rms %.4f, rms %.4f over %d/48 positions "
           "(%d bit-identical); routing differs at %d/%d (%d not near-ties); greedy %d/%d checked ok\n",
           model, worst_max, worst_rms, all_rms, n_cmp, n_exact, n_diff,
           n_lines, n_bad_diff,
           g_checked - g_bad, g_checked);
    free(lg);
    free(rp);
    free(rd);
    pd_model_close(m);
    T_EQ_INT(n_bad_diff, 0);
    T_EQ_INT(g_bad, 0);
    if (quantized && strcmp(pd_simd_level(), "scalar") != 0) {
        /* Every op rounds as llama.cpp's x86 CPU backend does
         * (tools/precision/NOTES.md): the logits are llama.cpp's bit for
         * bit at every position (the issue asks rms <= 0.02); the bound
         * leaves room for an ulp, not for a flipped rounding (~0.02+). */
        T_EQ_INT(n_diff, 0);
        T_CHECKF(worst_rms <= 1e-4, "worst per-position rms %.3g (%d positions above 0.02)",
                 worst_rms, n_over);
    } else if (quantized) {
        /* The scalar Q4_K row kernel sums in another order than ggml's
         * x86 vec_dot (DeepSeek's 3-D attn_k_b/attn_v_b use it): one ulp
         * flips a half or Q8_K rounding now and then, and the random
         * weights amplify each flip to ~0.02-0.1 rms. A bug costs O(1). */
        T_CHECKF(worst_rms <= 0.2 && all_rms <= 0.12, "per-position rms %.4f, overall %.4f",
                 worst_rms, all_rms);
    } else {
        T_EQ_INT(n_diff, 0);
        T_CHECKF(worst_max <= 0.05, "max |dlogit| %.4f", worst_max);
    }
}

static void test_oracle_ds3_f16(void) { oracle_file("ds3-F16", "ds3", false); }
static void test_oracle_q3moe_f16(void) { oracle_file("q3moe-F16", "q3moe", false); }
static void test_oracle_ds3_q4km(void) { oracle_file("ds3-Q4_K_M", "ds3", true); }
static void test_oracle_q3moe_q4km(void) { oracle_file("q3moe-Q4_K_M", "q3moe", true); }

/* ------------------------------------------------------------------------
 * Self-consistency
 * ------------------------------------------------------------------------ */
static pd_model *open_oracle_opts(const char *name, int threads, bool attn_f32, int n_ctx)
{
    const char *dir = t_oracle();
    if (!dir)
        T_SKIP("PONDER_ORACLE is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s.gguf", dir, name);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        T_SKIP("%.900s is absent", path);
    fclose(probe);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = n_ctx;
    o.n_threads = threads;
    o.attn_f32 = attn_f32;
    pd_model *m;
    T_CHECKF(pd_model_load(path, &o, &m) == PD_OK, "%s", pd_errmsg());
    return m;
}

static pd_model *open_oracle(const char *name, int threads)
{
    return open_oracle_opts(name, threads, false, 96);
}

/* Prefill of n tokens in one call = n single-token calls (and rewinding).
 * With F32 weights and cache (the HF fixtures) equal to float rounding: an
 * F32 product of one row sums in another order than of several, as in
 * llama.cpp (tinyBLAS declines one row), ~1e-6. With F16 activations and
 * cache, reordered float sums flip half-precision roundings, so the oracle
 * files get a looser bound. */
/* Batch vs token by token (and a rewind of the last 5): every position is
 * within tol, except where the two runs route a token to other experts (a
 * near-tie that the two paths' roundings break differently; it moves a
 * random-weight model's logits by ~1 at that position). */
/* after `depth` tokens in the cache (one batch, before the comparison) */
static void batch_vs_steps_at(pd_model *m, const char *name, int depth, int n, double tol)
{
    const int V = pd_model_n_vocab(m);
    static int32_t all[MAXDEPTH + MAXPOS];
    int32_t *toks = all + depth;
    static trace tb, ts;
    memset(&tb, 0, sizeof tb);
    memset(&ts, 0, sizeof ts);
    tb.base = ts.base = depth;
    for (int i = 0; i < depth + n; i++)
        all[i] = (i * 97 + 13) % V;
    float *a = malloc(sizeof(float) * n * V), *b = malloc(sizeof(float) * n * V);
    if (depth > 0)
        T_CHECK(pd_model_forward(m, all, depth, 0, a, false) == PD_OK);
    pd_model_set_route_hook(m, on_route, &tb);
    T_CHECK(pd_model_forward(m, toks, n, depth, a, true) == PD_OK);
    pd_model_set_route_hook(m, on_route, &ts);
    for (int i = 0; i < n; i++)
        T_CHECK(pd_model_forward(m, &toks[i], 1, depth + i, b + (size_t)i * V, false) == PD_OK);
    pd_model_set_route_hook(m, NULL, NULL);
    double worst = 0, worst_same = 0;
    int flips = 0, unexplained = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)   /* rewinding: redo the last 5 */
            T_CHECK(pd_model_forward(m, toks + n - 5, 5, depth + n - 5, b + (size_t)(n - 5) * V, true) == PD_OK);
        for (int t = pass ? n - 5 : 0; t < n; t++) {
            bool flip = false;
            for (int l = 0; l < MAXL; l++)
                flip |= tb.seen[t][l] && ts.seen[t][l] && !same_set(tb.ids[t][l], ts.ids[t][l], tb.k);
            double w = 0;
            for (int i = 0; i < V; i++)
                w = fmax(w, fabs(a[(size_t)t * V + i] - b[(size_t)t * V + i]));
            worst = fmax(worst, w);
            flips += flip && pass == 0;
            unexplained += w > tol && !flip;
            if (!flip)
                worst_same = fmax(worst_same, w);
        }
    }
    free(a);
    free(b);
    pd_model_close(m);
    printf("# %s: batch vs token-by-token max diff %.2g; %d positions routed differently, "
           "the others within %.2g\n", name, worst, flips, worst_same);
    T_CHECKF(unexplained == 0, "%d positions beyond %g with the same routing", unexplained, tol);
    T_CHECKF(flips <= n / 10, "%d of %d positions routed differently", flips, n);
}

static void batch_vs_steps(pd_model *m, const char *name, int n, double tol)
{
    batch_vs_steps_at(m, name, 0, n, tol);
}

static pd_model *open_fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/hf/%s.gguf", t_srcdir(), name);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        T_SKIP("%.900s is absent", path);
    fclose(probe);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = 32;
    o.n_threads = 2;
    pd_model *m;
    T_CHECKF(pd_model_load(path, &o, &m) == PD_OK, "%s", pd_errmsg());
    return m;
}

static void test_batch_equals_steps_mla(void) { batch_vs_steps(open_fixture("hf-deepseek-v3"), "hf-deepseek-v3", 20, 1e-4); }
static void test_batch_equals_steps_gqa(void) { batch_vs_steps(open_fixture("hf-qwen3moe"), "hf-qwen3moe", 20, 1e-4); }
static void test_batch_close_to_steps_f16(void) { batch_vs_steps(open_oracle("ds3-F16", 2), "ds3-F16", 20, 0.05); }
/* 70 rows: the batch takes the 64+ row attention, four rows a unit (the
 * last unit two), against the token-by-token path of llama.cpp's order */
static void test_batch_close_to_steps_wide_gqa(void)
{
    batch_vs_steps(open_oracle("q3moe-F16", 2), "q3moe-F16 (70 rows)", 70, 0.05);
}
/* the same for MLA (here one of the 70 positions is routed differently) */
static void test_batch_close_to_steps_wide_mla(void)
{
    batch_vs_steps(open_oracle("ds3-F16", 2), "ds3-F16 (70 rows)", 70, 0.05);
}

/* --attn-f32: the decode rows take the wide path's F32 sums (heads instead
 * of rows four at a time), as the 70-row batch does, so token by token
 * comes nearer the batch than with llama.cpp's half accumulator (above:
 * 0.033 and a flipped expert for ds3, 0.014 for q3moe); written: 0.013 and
 * 0.0056, what remains being the products' orders, amplified */
static void test_attn_f32_steps_mla(void)
{
    batch_vs_steps(open_oracle_opts("ds3-F16", 2, true, 96), "ds3-F16 --attn-f32 (70 rows)", 70, 0.02);
}
static void test_attn_f32_steps_gqa(void)
{
    batch_vs_steps(open_oracle_opts("q3moe-F16", 2, true, 96), "q3moe-F16 --attn-f32 (70 rows)", 70, 0.02);
}

/* Past PD_ATTN_F32_FROM cached keys a decode row sums in F32 over a cache
 * split into parts (merged after): 64 rows at depth 560 in one batch (the
 * tiled path, in units of rows x heads) against one at a time (split into
 * two parts), and the last 5 again as a batch of five (units of heads) */
static void test_deep_steps_mla(void)
{
    batch_vs_steps_at(open_oracle_opts("ds3-F16", 2, false, 640), "ds3-F16 (64 rows at 560)", 560,
                      64, 0.02);
}
static void test_deep_steps_gqa(void)
{
    batch_vs_steps_at(open_oracle_opts("q3moe-F16", 2, false, 640), "q3moe-F16 (64 rows at 560)",
                      560, 64, 0.02);
}
/* across the 512 line: steps under it keep llama.cpp's half-precision sums
 * (the looser bound of the 70-row tests), the last three split the cache;
 * the rewound five rows straddle it (each row on its own path) */
static void test_deep_steps_straddle(void)
{
    batch_vs_steps_at(open_oracle_opts("q3moe-F16", 2, false, 640), "q3moe-F16 (64 rows at 450)",
                      450, 64, 0.05);
}

static void threads_exact(const char *name)
{
    float *out[2];
    int V = 0;
    const int n = 40;
    int32_t toks[40];
    for (int i = 0; i < n; i++)
        toks[i] = (i * 131 + 7) % 2000;
    for (int r = 0; r < 2; r++) {
        pd_model *m = open_oracle(name, r + 1);
        V = pd_model_n_vocab(m);
        out[r] = malloc(sizeof(float) * n * V);
        T_CHECK(pd_model_forward(m, toks, n - 1, 0, out[r], true) == PD_OK);
        T_CHECK(pd_model_forward(m, toks + n - 1, 1, n - 1, out[r] + (size_t)(n - 1) * V, false) == PD_OK);
        pd_model_close(m);
    }
    int diff = memcmp(out[0], out[1], sizeof(float) * n * V);
    free(out[0]);
    free(out[1]);
    T_EQ_INT(diff, 0);
}

/* A decode row over a split cache (600 keys: two parts) gives the same bits
 * with 1 and 2 threads: the parts depend on the cache's length alone */
static void threads_exact_deep(const char *name)
{
    enum { N = 600 };
    static int32_t toks[N];
    float *out[2];
    int V = 0;
    for (int i = 0; i < N; i++)
        toks[i] = (i * 131 + 7) % 2000;
    for (int r = 0; r < 2; r++) {
        pd_model *m = open_oracle_opts(name, r + 1, false, N + 16);
        V = pd_model_n_vocab(m);
        out[r] = malloc(sizeof(float) * 2 * V);
        T_CHECK(pd_model_forward(m, toks, N - 1, 0, out[r], false) == PD_OK);
        T_CHECK(pd_model_forward(m, toks + N - 1, 1, N - 1, out[r] + V, false) == PD_OK);
        pd_model_close(m);
    }
    int diff = memcmp(out[0], out[1], sizeof(float) * 2 * V);
    free(out[0]);
    free(out[1]);
    T_EQ_INT(diff, 0);
}
static void test_threads_exact_deep_mla(void) { threads_exact_deep("ds3-Q4_K_M"); }
static void test_threads_exact_deep_gqa(void) { threads_exact_deep("q3moe-Q4_K_M"); }

static void test_threads_exact_mla(void) { threads_exact("ds3-Q4_K_M"); }
static void test_threads_exact_gqa(void) { threads_exact("q3moe-F16"); }

/* ------------------------------------------------------------------------
 * Routing rules on hand-made scores
 * ------------------------------------------------------------------------ */
static void test_route_rules(void)
{
    pd_hparams hp = {0};
    hp.n_expert = 8;
    hp.n_expert_used = 2;
    hp.gating = PD_GATE_SOFTMAX;
    hp.weights_norm = true;
    float lg[8] = {0, 1, 3, 3, -1, 2, 0, 0};
    int32_t ids[2];
    float w[2];
    pd_moe_route(&hp, lg, NULL, ids, w);
    T_EQ_INT(ids[0], 2);          /* tie 2/3: the lower index first */
    T_EQ_INT(ids[1], 3);
    T_NEAR(w[0], 0.5, 1e-6);
    /* sigmoid + bias + groups of 2: groups {0,1} {2,3} {4,5} {6,7}, keep 1 */
    hp.gating = PD_GATE_SIGMOID;
    hp.n_group = 4;
    hp.n_group_used = 1;
    hp.weights_scale = 2.0f;
    float bias[8] = {0, 0, 0, 0, 0, 0, 5, 0};
    pd_moe_route(&hp, lg, bias, ids, w);
    T_EQ_INT(ids[0], 6);          /* biased into the best group */
    T_EQ_INT(ids[1], 7);
    float s6 = 0.5f, s7 = 0.5f;   /* weights from the unbiased sigmoid */
    T_NEAR(w[0], 2.0 * s6 / (s6 + s7), 1e-6);
}

/* Expert choices against the fixture's routing.txt ("pos layer ids..
 * weights.. sel_margin group_margin"): the same sets and weights (1e-4),
 * except at exact near-ties. Returns the number of mismatches. */
static int hf_routing(const char *path, const trace *tr)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        double v[40];
        int nf = 0;
        char *p = line, *end;
        while (nf < 40) {
            double d = strtod(p, &end);
            if (end == p)
                break;
            v[nf++] = d;
            p = end;
        }
        if (nf < 6 || (nf - 4) % 2)
            continue;
        const int k = (nf - 4) / 2, pos = (int)v[0], layer = (int)v[1];
        if (pos < 0 || pos >= MAXPOS || layer < 0 || layer >= MAXL || !tr->seen[pos][layer]
            || k != tr->k) {
            bad++;
            continue;
        }
        int32_t ids[8];
        for (int i = 0; i < k && i < 8; i++)
            ids[i] = (int32_t)v[2 + i];
        bool near = v[nf - 2] < 1e-4 || v[nf - 1] < 1e-4;
        if (!same_set(ids, tr->ids[pos][layer], k) && !near) {
            printf("# %s: pos %d layer %d: other experts\n", path, pos, layer);
            bad++;
        }
        for (int i = 0; i < k && !near; i++)
            for (int j = 0; j < k; j++)
                if (tr->ids[pos][layer][j] == ids[i] && fabs(tr->w[pos][layer][j] - v[2 + k + i]) > 1e-4) {
                    printf("# %s: pos %d layer %d: weight of expert %d\n", path, pos, layer, ids[i]);
                    bad++;
                }
    }
    fclose(f);
    return bad;
}

/* ------------------------------------------------------------------------
 * HF transformers fixtures (the .json files in tests/fixtures/hf)
 * ------------------------------------------------------------------------ */
static int hf_one(const char *dir, const char *json_name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, json_name);
    json_t *js = json_load_file(p, 0, NULL);
    if (!js) {
        printf("# %s: unreadable\n", json_name);
        return 1;
    }
    const char *model = json_string_value(json_object_get(js, "model"));
    const char *lfile = json_string_value(json_object_get(js, "logits"));
    json_t *jt = json_object_get(js, "tokens");
    int V = (int)json_integer_value(json_object_get(js, "n_vocab"));
    size_t n = json_array_size(jt);
    int bad = 0;
    if (!model || !lfile || !n || V <= 0) {
        printf("# %s: incomplete\n", json_name);
        json_decref(js);
        return 1;
    }
    int32_t *toks = malloc(n * sizeof *toks);
    for (size_t i = 0; i < n; i++)
        toks[i] = (int32_t)json_integer_value(json_array_get(jt, i));
    snprintf(p, sizeof p, "%s/%s", dir, lfile);
    size_t nr;
    float *ref = read_f32(p, &nr);
    snprintf(p, sizeof p, "%s/%s", dir, model);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = (int)n + 8;
    o.n_threads = 2;
    pd_model *m = NULL;
    if (!ref || nr != n * (size_t)V || pd_model_load(p, &o, &m) != PD_OK
        || pd_model_n_vocab(m) != V) {
        printf("# %s: cannot load (%s)\n", json_name, pd_errmsg());
        bad = 1;
    } else {
        float *lg = malloc(sizeof(float) * n * V);
        double worst = 0;
        static trace tr;
        memset(&tr, 0, sizeof tr);
        pd_model_set_route_hook(m, on_route, &tr);
        if (pd_model_forward(m, toks, (int)n, 0, lg, true) != PD_OK) {
            printf("# %s: forward failed: %s\n", json_name, pd_errmsg());
            bad = 1;
        } else {
            for (size_t t = 0; t < n; t++) {
                double mx = 0, md = 0;
                for (int i = 0; i < V; i++) {
                    mx = fmax(mx, fabs(ref[t * V + i]));
                    md = fmax(md, fabs(lg[t * V + i] - ref[t * V + i]));
                }
                worst = fmax(worst, md / (mx > 0 ? mx : 1));
            }
            const char *rname = json_string_value(json_object_get(js, "routing"));
            int rbad = 0;
            if (rname) {
                snprintf(p, sizeof p, "%s/%s", dir, rname);
                rbad = hf_routing(p, &tr);
            }
            printf("# %s: max relative error %.3g over %zu positions%s\n", json_name, worst, n,
                   rname ? (rbad ? ", routing differs" : ", routing identical") : "");
            bad = !(worst <= 1e-4) || rbad;
        }
        free(lg);
    }
    pd_model_close(m);
    free(ref);
    free(toks);
    json_decref(js);
    return bad;
}

static void test_hf_fixtures(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/hf", t_srcdir());
    DIR *d = opendir(dir);
    if (!d)
        T_SKIP("%.900s is absent", dir);
    int n = 0, bad = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json")) {
            n++;
            bad += hf_one(dir, de->d_name);
        }
    }
    closedir(d);
    if (!n)
        T_SKIP("no fixtures in %.900s", dir);
    T_EQ_INT(bad, 0);
}

/* ------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------ */
static void test_refuses_missing_file(void)
{
    pd_model *m = (pd_model *)1;
    T_CHECK(pd_model_load("/nonexistent/x.gguf", NULL, &m) != PD_OK);
    T_CHECK(m == NULL);
}

/* A vocabulary-only file (0 tensors) is refused naming what is missing;
 * an architecture we do not run is refused by name. */
static void test_refuses_incomplete_and_foreign(void)
{
    const char *dir = t_oracle();
    if (!dir)
        T_SKIP("PONDER_ORACLE is not set");
    char path[1024];
    pd_model *m;
    snprintf(path, sizeof path, "%s/vocab/qwen3-vocab.gguf", dir);
    if (access(path, R_OK) != 0)
        T_SKIP("%.900s is absent", path);
    T_CHECK(pd_model_load(path, NULL, &m) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "token_embd.weight") && strstr(pd_errmsg(), "blk.0.attn_q.weight"),
             "%s", pd_errmsg());
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-gpt-2.gguf", dir);
    T_CHECK(pd_model_load(path, NULL, &m) == PD_EUNSUPPORTED);
    T_CHECKF(strstr(pd_errmsg(), "'gpt2'"), "%s", pd_errmsg());
}

/* A copy of a fuzz seed (tests/fuzz/seeds-model) with len bytes overwritten
 * by val, skip bytes after the first occurrence of the string at; returns the
 * model's load status, the copy removed. */
static pd_status load_patched_at(const char *seed, const char *at, size_t skip,
                                 const void *val, size_t len)
{
    char in[1024], out[1100];
    snprintf(in, sizeof in, "%s/tests/fuzz/seeds-model/%s", t_srcdir(), seed);
    FILE *f = fopen(in, "rb");
    if (!f)
        T_SKIP("%.900s is absent", in);
    static uint8_t buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    uint8_t *k = memmem(buf, n, at, strlen(at));
    T_CHECKF(k && n < sizeof buf && (size_t)(k - buf) + strlen(at) + skip + len <= n,
             "%s has no %s", seed, at);
    memcpy(k + strlen(at) + skip, val, len);
    snprintf(out, sizeof out, "%s/ponder-test-patch-%d.gguf",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    f = fopen(out, "wb");
    T_CHECK(f && fwrite(buf, 1, n, f) == n && fclose(f) == 0);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = 64;
    o.n_threads = 1;
    pd_model *m = NULL;
    pd_status st = pd_model_load(out, &o, &m);
    unlink(out);
    pd_model_close(m);
    return st;
}

/* GGUF metadata: u64 key length, the key, u32 value type, the value */
static pd_status load_patched(const char *seed, const char *key, const void *val)
{
    return load_patched_at(seed, key, 4, val, 4);
}

/* Found by fuzz_model: a key holding a value out of range or not finite was
 * taken as absent (head_count_kv 2^32-1 became n_head, expert_shared_count
 * 2^32-1 dropped the shared experts, a NaN rope.scaling.factor or a negative
 * one meant no scaling); it is refused naming the key. The seeds themselves load. */
static void test_refuses_hostile_keys(void)
{
    const uint32_t huge = 0xffffffffu, two = 2;
    const float inf = INFINITY, nan = NAN, minus1 = -1.0f, one = 1.0f;
    T_CHECKF(load_patched("qwen3-q8_0.gguf", "qwen3.attention.head_count_kv", &two) == PD_OK,
             "%s", pd_errmsg());
    T_CHECK(load_patched("qwen3-q8_0.gguf", "qwen3.attention.head_count_kv", &huge) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "key qwen3.attention.head_count_kv is not an integer"),
             "%s", pd_errmsg());
    T_CHECK(load_patched("deepseek2-v3-f16.gguf", "deepseek2.expert_shared_count", &huge) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "deepseek2.expert_shared_count"), "%s", pd_errmsg());
    T_CHECK(load_patched("qwen2-f32.gguf", "qwen2.rope.freq_base", &inf) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "key qwen2.rope.freq_base is not a finite number"), "%s", pd_errmsg());
    T_CHECK(load_patched("deepseek2-v3-f16.gguf", "deepseek2.expert_weights_scale", &nan) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "deepseek2.expert_weights_scale"), "%s", pd_errmsg());
    T_CHECKF(load_patched("llama-q8_0.gguf", "llama.rope.scaling.factor", &one) == PD_OK,
             "%s", pd_errmsg());
    T_CHECK(load_patched("llama-q8_0.gguf", "llama.rope.scaling.factor", &nan) == PD_EFORMAT);
    T_CHECK(load_patched("llama-q8_0.gguf", "llama.rope.scaling.factor", &minus1) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "llama.rope.scaling.factor -1 is out of range"), "%s", pd_errmsg());
}

/* Found by the same sweep: an FFN or expert matrix of 0 rows (its shape
 * {n_embd, 0} passes the shape check, its width taken from the tensor) ran
 * as a layer without an FFN. Tensor table: u64 name length, the name,
 * u32 n_dims, u64 ne[0], ne[1], ... */
static void test_refuses_empty_ffn(void)
{
    const uint64_t zero = 0;
    T_CHECK(load_patched_at("qwen2-f32.gguf", "blk.0.ffn_gate.weight", 4 + 8, &zero, 8) == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "blk.0.ffn_gate.weight has 0 rows (1 to 1048576)"), "%s", pd_errmsg());
    T_CHECK(load_patched_at("qwen3moe-f16.gguf", "blk.0.ffn_gate_exps.weight", 4 + 8, &zero, 8)
            == PD_EFORMAT);
    T_CHECKF(strstr(pd_errmsg(), "blk.0.ffn_gate_exps.weight has 0 rows (1 to 1048576)"), "%s", pd_errmsg());
}

/* ------------------------------------------------------------------------
 * The legacy deepseek2 layout: attn_kv_b instead of attn_k_b + attn_v_b
 * ------------------------------------------------------------------------ */
typedef struct kvb_copy {
    const pd_gguf *src;
    int nope, vdim, rank, heads;
} kvb_copy;

/* Rows of the rewritten file: copies, except attn_kv_b built from k_b/v_b:
 * row h*(nope+v)+n = column n of k_b[h]; row h*(nope+v)+nope+j = v_b[h] row j. */
static pd_status kvb_fill(void *user, int64_t index, const pd_gguf_tensor *t,
                          int64_t row0, int64_t n_rows, void *dst)
{
    (void)index;
    kvb_copy *k = user;
    int layer;
    char rest[64];
    if (sscanf(t->name, "blk.%d.%63s", &layer, rest) == 2 && !strcmp(rest, "attn_kv_b.weight")) {
        char nk[64], nv[64];
        snprintf(nk, sizeof nk, "blk.%d.attn_k_b.weight", layer);
        snprintf(nv, sizeof nv, "blk.%d.attn_v_b.weight", layer);
        const uint16_t *kb = pd_gguf_tensor_by_name(k->src, nk)->data;
        const uint16_t *vb = pd_gguf_tensor_by_name(k->src, nv)->data;
        uint16_t *o = dst;
        const int per = k->nope + k->vdim;
        for (int64_t r = row0; r < row0 + n_rows; r++, o += k->rank) {
            const int h = (int)(r / per), i = (int)(r % per);
            for (int c = 0; c < k->rank; c++)
                o[c] = i < k->nope ? kb[((size_t)h * k->rank + c) * k->nope + i]
                                   : vb[((size_t)h * k->vdim + (i - k->nope)) * k->rank + c];
        }
        return PD_OK;
    }
    const pd_gguf_tensor *s = pd_gguf_tensor_by_name(k->src, t->name);
    const size_t rb = s->nbytes / (size_t)(s->ne[1] * s->ne[2] * s->ne[3]);
    memcpy(dst, (const uint8_t *)s->data + (size_t)row0 * rb, (size_t)n_rows * rb);
    return PD_OK;
}

static void test_legacy_kv_b(void)
{
    const char *dir = t_oracle();
    if (!dir)
        T_SKIP("PONDER_ORACLE is not set");
    char path[1024], out[1100];
    snprintf(path, sizeof path, "%s/models/ds3-F16.gguf", dir);
    pd_gguf *g;
    if (pd_gguf_open(path, &g) != PD_OK)
        T_SKIP("%.900s is absent", path);
    kvb_copy kc = { g, 256, 64, 512, 4 };
    pd_gguf_writer *w;
    T_CHECK(pd_gguf_writer_new(&w) == PD_OK);
    for (int64_t i = 0; i < g->n_kv; i++) {   /* metadata without the vocabulary */
        const pd_gguf_kv *kv = &g->kv[i];
        char sv[256];
        switch (kv->type) {
        case PD_GGUF_U32: T_CHECK(pd_gguf_set_u32(w, kv->key, (uint32_t)kv->v.u) == PD_OK); break;
        case PD_GGUF_F32: T_CHECK(pd_gguf_set_f32(w, kv->key, (float)kv->v.f) == PD_OK); break;
        case PD_GGUF_BOOL: T_CHECK(pd_gguf_set_bool(w, kv->key, kv->v.u != 0) == PD_OK); break;
        case PD_GGUF_STRING:
            if (kv->v.s.len < sizeof sv && strncmp(kv->key, "tokenizer.", 10)) {
                memcpy(sv, kv->v.s.ptr, kv->v.s.len);
                sv[kv->v.s.len] = 0;
                T_CHECK(pd_gguf_set_str(w, kv->key, sv) == PD_OK);
            }
            break;
        default: break;
        }
    }
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const pd_gguf_tensor *t = &g->tensors[i];
        if (strstr(t->name, "attn_v_b"))
            continue;
        if (strstr(t->name, "attn_k_b")) {
            char nm[64];
            int layer = atoi(t->name + 4);
            snprintf(nm, sizeof nm, "blk.%d.attn_kv_b.weight", layer);
            T_CHECK(pd_gguf_add_tensor(w, nm, PD_TYPE_F16, 2,
                                       (int64_t[]){512, 4 * (256 + 64)}, NULL) == PD_OK);
            continue;
        }
        T_CHECK(pd_gguf_add_tensor(w, t->name, (pd_type)t->type, t->n_dims, t->ne, NULL) == PD_OK);
    }
    snprintf(out, sizeof out, "%s/ponder-test-kvb-%d.gguf", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    T_CHECKF(pd_gguf_writer_write(w, out, kvb_fill, &kc, NULL, NULL) == PD_OK, "%s", pd_errmsg());
    pd_gguf_writer_free(w);
    pd_gguf_close(g);

    pd_model *a = open_oracle("ds3-F16", 2), *b;
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = 96;
    o.n_threads = 2;
    pd_status st = pd_model_load(out, &o, &b);
    unlink(out);
    T_CHECKF(st == PD_OK, "%s", pd_errmsg());
    const int V = pd_model_n_vocab(a), n = 12;
    int32_t toks[12];
    for (int i = 0; i < n; i++)
        toks[i] = (i * 151 + 5) % V;
    float *la = malloc(sizeof(float) * n * V), *lb = malloc(sizeof(float) * n * V);
    T_CHECK(pd_model_forward(a, toks, n, 0, la, true) == PD_OK);
    T_CHECK(pd_model_forward(b, toks, n, 0, lb, true) == PD_OK);
    int same = memcmp(la, lb, sizeof(float) * n * V) == 0;
    free(la);
    free(lb);
    pd_model_close(a);
    pd_model_close(b);
    T_CHECKF(same, "attn_kv_b file gives other logits than the split file");
}

int main(void)
{
    T_RUN(test_route_rules);
    T_RUN(test_refuses_missing_file);
    T_RUN(test_refuses_incomplete_and_foreign);
    T_RUN(test_refuses_hostile_keys);
    T_RUN(test_refuses_empty_ffn);
    T_RUN(test_oracle_ds3_f16);
    T_RUN(test_oracle_q3moe_f16);
    T_RUN(test_oracle_ds3_q4km);
    T_RUN(test_oracle_q3moe_q4km);
    T_RUN(test_batch_equals_steps_mla);
    T_RUN(test_batch_equals_steps_gqa);
    T_RUN(test_batch_close_to_steps_f16);
    T_RUN(test_batch_close_to_steps_wide_gqa);
    T_RUN(test_batch_close_to_steps_wide_mla);
    T_RUN(test_deep_steps_mla);
    T_RUN(test_deep_steps_gqa);
    T_RUN(test_deep_steps_straddle);
    T_RUN(test_attn_f32_steps_mla);
    T_RUN(test_attn_f32_steps_gqa);
    T_RUN(test_threads_exact_mla);
    T_RUN(test_threads_exact_gqa);
    T_RUN(test_threads_exact_deep_mla);
    T_RUN(test_threads_exact_deep_gqa);
    T_RUN(test_hf_fixtures);
    T_RUN(test_legacy_kv_b);
    T_DONE();
}
