/* repack.c - at backend creation the CPU backend copies the Q4_K matrices
 * that llama.cpp's CPU backend also repacks (2-D weights and routed
 * experts, rows in multiples of 8) into rows repacked in groups of 8
 * (quant.h). The products read that copy front to back, 8 rows at once,
 * where the file's layout has them jump between rows; decode gets faster
 * and the results stay the same bit for bit. One anonymous mapping holds
 * every copy; the file's pages of those tensors are released after. */
#include "cpu/cpu.h"
#include "gguf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define WEIGHTS_PER_LAYER 16

static bool repackable(const pd_weight *w, bool expert)
{
    return w->data && w->type == PD_TYPE_Q4_K && w->n % 8 == 0 && w->k % PD_QK_K == 0
        && (w->n_mat == 1 || expert);
}

static bool repack_enabled(void)
{
    const char *e = getenv("PONDER_REPACK");
    return strcmp(pd_simd_level(), "scalar") != 0 && !(e && !strcmp(e, "0"));
}

/* The repackable weights of the products, each once (a tied output is its
 * own copy of token_embd's descriptor); out needs n_layer * 16 + 1 slots. */
static int collect(pd_model *m, pd_weight **out)
{
    int n = 0;
    if (m->no_repack || !repack_enabled())
        return 0;
    for (int il = 0; il < m->hp.n_layer; il++) {
        pd_layer *ly = &m->layers[il];
        pd_weight *plain[] = { &ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->wq_a, &ly->wq_b,
                               &ly->wkv_a, &ly->ffn_gate, &ly->ffn_up, &ly->ffn_down,
                               &ly->gate_shexp, &ly->up_shexp, &ly->down_shexp };
        pd_weight *experts[] = { &ly->gate_exps, &ly->up_exps, &ly->down_exps };
        for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
            if (repackable(plain[i], false))
                out[n++] = plain[i];
        for (size_t i = 0; i < sizeof experts / sizeof experts[0]; i++)
            if (repackable(experts[i], true))
                out[n++] = experts[i];
    }
    if (repackable(&m->output, false))
        out[n++] = &m->output;
    return n;
}

static size_t weight_bytes(const pd_weight *w)
{
    return w->n_mat > 1 ? w->mat_stride * (size_t)w->n_mat : w->row_bytes * (size_t)w->n;
}

static size_t padded(size_t b)
{
    return (b + 4095) & ~(size_t)4095;
}

/* The repackable weights (a malloc'd list of *n, NULL when out of memory)
 * and the bytes of their copies, each padded to a page. */
static pd_weight **plan(pd_model *m, int *n, size_t *total)
{
    pd_weight **w = malloc(sizeof *w * ((size_t)m->hp.n_layer * WEIGHTS_PER_LAYER + 1));
    *n = w ? collect(m, w) : 0;
    *total = 0;
    for (int i = 0; i < *n; i++)
        *total += padded(weight_bytes(w[i]));
    return w;
}

size_t pd_cpu_repack_bytes(const pd_model *m)
{
    int n;
    size_t total;
    free(plan((pd_model *)m, &n, &total));
    return total;
}

/* ------------------------------------------------------------------------
 * The copy, in pieces of up to PIECE groups of 8 rows, claimed by the
 * pool's threads
 * ------------------------------------------------------------------------ */
#define PIECE 256

typedef struct piece { const pd_weight *w; int64_t group0, n_groups; } piece;
typedef struct repack_job { const piece *p; int n; atomic_int next; } repack_job;

static void repack_part(void *arg, int ith, int nth)
{
    (void)ith; (void)nth;
    repack_job *j = arg;
    for (int u; (u = atomic_fetch_add(&j->next, 1)) < j->n;) {
        const piece *p = &j->p[u];
        const size_t gb = 8 * p->w->row_bytes;   /* a group's bytes in both layouts */
        for (int64_t g = p->group0; g < p->group0 + p->n_groups; g++)
            pd_q4k_repack8(p->w->k, (const uint8_t *)p->w->data + (size_t)g * gb, p->w->row_bytes,
                           (uint8_t *)p->w->x8 + (size_t)g * gb);
    }
}

static int make_pieces(pd_weight *const *w, int n, piece *out)
{
    int np = 0;
    for (int i = 0; i < n; i++) {
        const int64_t groups = (int64_t)(weight_bytes(w[i]) / (8 * w[i]->row_bytes));
        for (int64_t g = 0; g < groups; g += PIECE, np++)
            if (out)
                out[np] = (piece){ w[i], g, groups - g < PIECE ? groups - g : PIECE };
    }
    return np;
}

/* Release the file's pages of a tensor we no longer read (they stay in the
 * page cache; a later read faults them back in). Only pages of the file's
 * read-only mapping: anything else would lose its contents. */
static void release_file_pages(const pd_gguf *g, const void *p, size_t bytes)
{
    if (!g->mapped || (const uint8_t *)p < g->base || (const uint8_t *)p + bytes > g->base + g->size)
        return;
    const uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    const uintptr_t b = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

pd_status pd_cpu_repack(pd_model *m, pd_pool *pool, pd_cpu_repacked *out)
{
    memset(out, 0, sizeof *out);
    int n;
    size_t total;
    pd_weight **w = plan(m, &n, &total);
    if (!w)
        return pd_fail(PD_ENOMEM, "cpu backend: out of memory");
    if (!total) {
        free(w);
        return PD_OK;
    }
    uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const int np = make_pieces(w, n, NULL);
    piece *pieces = malloc(sizeof *pieces * (size_t)np);
    if (base == MAP_FAILED || !pieces) {   /* run from the file's layout: slower, not wrong */
        if (base != MAP_FAILED)
            munmap(base, total);
        free(pieces);
        free(w);
        snprintf(m->mem_note, sizeof m->mem_note, "cannot allocate %zu MiB to repack the Q4_K "
                 "weights for the CPU: they are read as stored and decode is slower", total >> 20);
        return PD_OK;
    }
#ifdef MADV_HUGEPAGE
    madvise(base, total, MADV_HUGEPAGE);   /* fewer TLB misses where the kernel allows */
#endif
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        w[i]->x8 = base + at;
        at += padded(weight_bytes(w[i]));
    }
    make_pieces(w, n, pieces);
    repack_job j = { .p = pieces, .n = np };
    atomic_init(&j.next, 0);
    pd_pool_run(pool, repack_part, &j);
    mprotect(base, total, PROT_READ);
    for (int i = 0; i < n; i++)
        if (w[i]->data != m->token_embd.data)   /* the embedding rows are still read */
            release_file_pages(m->gguf, w[i]->data, weight_bytes(w[i]));
    out->base = base;
    out->bytes = total;
    out->weights = w;
    out->n = n;
    free(pieces);
    return PD_OK;
}

void pd_cpu_repack_free(pd_cpu_repacked *r)
{
    for (int i = 0; i < r->n; i++)
        r->weights[i]->x8 = NULL;
    if (r->base)
        munmap(r->base, r->bytes);
    free(r->weights);
    memset(r, 0, sizeof *r);
}
