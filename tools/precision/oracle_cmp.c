/* oracle_cmp.c - per-position logits error of ponder's CPU engine against
 * llama.cpp's oracle files (a diagnostic, not part of the build):
 *   oracle_cmp ORACLE_DIR MODEL PROMPT [batch]
 * batch = rows per forward call for the 32-token prompt (default 32). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *v = malloc((size_t)sz);
    *n = fread(v, 1, (size_t)sz, f) / sizeof(float);
    fclose(f);
    return v;
}

static int read_ids(const char *path, int32_t *ids, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    while (n < max && fscanf(f, "%d", &ids[n]) == 1) n++;
    fclose(f);
    return n;
}

static FILE *route_out;
static void on_route(void *user, int pos, int layer, int k, const int32_t *ids, const float *w)
{
    (void)user;
    if (!route_out) return;
    fprintf(route_out, "%d %d", pos, layer);
    for (int i = 0; i < k; i++) fprintf(route_out, " %d", ids[i]);
    for (int i = 0; i < k; i++) fprintf(route_out, " %.9g", w[i]);
    fprintf(route_out, "\n");
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage\n"); return 2; }
    const char *dir = argv[1], *model = argv[2], *prompt = argv[3];
    int batch = argc > 4 ? atoi(argv[4]) : 32;
    char path[1024];
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_ctx = 64;
    o.n_threads = getenv("THREADS") ? atoi(getenv("THREADS")) : 2;
    snprintf(path, sizeof path, "%s/models/%s.gguf", dir, model);
    pd_model *m;
    if (pd_model_load(path, &o, &m) != PD_OK) { fprintf(stderr, "%s\n", pd_errmsg()); return 1; }
    const int V = pd_model_n_vocab(m);
    if (getenv("ROUTES")) route_out = fopen(getenv("ROUTES"), "w");
    pd_model_set_route_hook(m, on_route, NULL);
    int32_t toks[32], greedy[16];
    snprintf(path, sizeof path, "%s/ref/%s.tokens.txt", dir, prompt);
    read_ids(path, toks, 32);
    snprintf(path, sizeof path, "%s/ref/%s.greedy.txt", dir, model);
    read_ids(path, greedy, 16);
    size_t np, nd;
    snprintf(path, sizeof path, "%s/ref/%s.prefill.f32", dir, model);
    float *rp = read_f32(path, &np);
    snprintf(path, sizeof path, "%s/ref/%s.decode.f32", dir, model);
    float *rd = read_f32(path, &nd);
    float *lg = malloc(sizeof(float) * 48 * V);
    for (int t = 0; t < 32; t += batch) {
        int nb = 32 - t < batch ? 32 - t : batch;
        if (pd_model_forward(m, toks + t, nb, t, lg + (size_t)t * V, true) != PD_OK) {
            fprintf(stderr, "%s\n", pd_errmsg()); return 1;
        }
    }
    for (int s = 0; s < 16; s++)
        pd_model_forward(m, &greedy[s], 1, 32 + s, lg + (size_t)(32 + s) * V, false);
    const char *dump = getenv("DUMP");
    if (dump) { FILE *f = fopen(dump, "wb"); fwrite(lg, sizeof(float), 48 * (size_t)V, f); fclose(f); }
    double all = 0;
    for (int p = 0; p < 48; p++) {
        const float *r = p < 32 ? rp + (size_t)p * V : rd + (size_t)(p - 32) * V;
        double mx = 0, ss = 0;
        int nexact = 0;
        for (int i = 0; i < V; i++) {
            double d = fabs((double)lg[(size_t)p * V + i] - r[i]);
            if (d > mx) mx = d;
            ss += d * d;
            nexact += d == 0;
        }
        ss = sqrt(ss / V);
        all += ss * ss;
        printf("%2d rms %.3g max %.3g exact %d/%d\n", p, ss, mx, nexact, V);
    }
    printf("overall rms %.5f\n", sqrt(all / 48));
    if (route_out) fclose(route_out);
    pd_model_close(m);
    return 0;
}
