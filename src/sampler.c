/* sampler.c - the logit processors and the seeded draw of sampler.h.
 * Built for vocabularies of ~150k: one pass to gather candidates, selection
 * (not a full sort) for top-k, and a best-first prefix that grows only as far
 * as top-p needs. */
#include "sampler.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_CAP 8192     /* repeat_last_n is clamped to this */
#define TOP_P_FIRST 64    /* first prefix tried for top-p; doubles as needed */

/* ---------------------------------------------------------------- RNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void pd_rng_seed(pd_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pd_rng_next(pd_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double pd_rng_uniform(pd_rng *r)
{
    return (double)(pd_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------ sampler ---- */

typedef struct cand { float logit; int32_t id; } cand;

struct pd_sampler {
    int n_vocab;
    pd_rng rng;
    cand *c;              /* [n_vocab] scratch candidates */
    unsigned char *mark;  /* [n_vocab] dedupe for the repetition penalty */
    int32_t hist[HIST_CAP];
    int hist_n, hist_head; /* ring: next write at hist_head */
    /* last draw, for tests */
    int32_t *last_ids;
    float *last_probs;    /* weights of the last draw, probabilities once asked */
    double last_total;
    int last_n;
    bool last_normalised;
};

void pd_sampler_params_from(pd_sampler_params *sp, const pd_params *p)
{
    sp->temperature = p->temperature;
    sp->top_k = p->top_k;
    sp->top_p = p->top_p;
    sp->min_p = p->min_p;
    sp->repeat_penalty = p->repeat_penalty;
    sp->repeat_last_n = p->repeat_last_n;
}

pd_status pd_sampler_new(int n_vocab, uint64_t seed, pd_sampler **out)
{
    *out = NULL;
    if (n_vocab <= 0 || n_vocab > (1 << 26))
        return pd_fail(PD_EARG, "sampler: vocabulary size %d is out of range", n_vocab);
    pd_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return pd_fail(PD_ENOMEM, "sampler: out of memory");
    s->n_vocab = n_vocab;
    s->c = malloc((size_t)n_vocab * sizeof *s->c);
    s->mark = calloc((size_t)n_vocab, 1);
    s->last_ids = malloc((size_t)n_vocab * sizeof *s->last_ids);
    s->last_probs = malloc((size_t)n_vocab * sizeof *s->last_probs);
    if (!s->c || !s->mark || !s->last_ids || !s->last_probs) {
        pd_sampler_free(s);
        return pd_fail(PD_ENOMEM, "sampler: out of memory for %d candidates", n_vocab);
    }
    pd_rng_seed(&s->rng, seed);
    *out = s;
    return PD_OK;
}

void pd_sampler_free(pd_sampler *s)
{
    if (!s)
        return;
    free(s->c);
    free(s->mark);
    free(s->last_ids);
    free(s->last_probs);
    free(s);
}

void pd_sampler_seed(pd_sampler *s, uint64_t seed) { pd_rng_seed(&s->rng, seed); }

void pd_sampler_reset_history(pd_sampler *s) { s->hist_n = s->hist_head = 0; }

pd_rng pd_sampler_rng(const pd_sampler *s) { return s->rng; }
void pd_sampler_set_rng(pd_sampler *s, pd_rng r) { s->rng = r; }

void pd_sampler_accept(pd_sampler *s, int32_t token)
{
    s->hist[s->hist_head] = token;
    s->hist_head = (s->hist_head + 1) % HIST_CAP;
    if (s->hist_n < HIST_CAP)
        s->hist_n++;
}

void pd_sampler_penalize(pd_sampler *s, const pd_sampler_params *sp, float *logits)
{
    float pen = sp->repeat_penalty;
    int n = sp->repeat_last_n < s->hist_n ? sp->repeat_last_n : s->hist_n;
    if (pen == 1.0f || !(pen > 0) || n <= 0)
        return;
    /* each distinct token once, however often it occurred (llama.cpp) */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 1; i <= n; i++) {
            int32_t t = s->hist[(s->hist_head - i + HIST_CAP) % HIST_CAP];
            if (t < 0 || t >= s->n_vocab)
                continue;
            if (pass == 0 && !s->mark[t]) {
                s->mark[t] = 1;
                logits[t] = logits[t] > 0 ? logits[t] / pen : logits[t] * pen;
            } else if (pass == 1) {
                s->mark[t] = 0;
            }
        }
    }
}

int32_t pd_argmax(const float *logits, int n)
{
    int32_t best = -1;
    float bv = -INFINITY;
    for (int i = 0; i < n; i++)
        if (logits[i] > bv) {   /* strict: the lowest id wins ties; NaN never */
            bv = logits[i];
            best = i;
        }
    return best;
}

static inline bool better(const cand *a, const cand *b)
{
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static inline void swap_cand(cand *a, cand *b) { cand t = *a; *a = *b; *b = t; }

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* Rearrange c[0..n) so that c[0..k) are the k best, in no particular order
 * (quickselect, median-of-three pivot, Lomuto partition). */
static void quickselect_best(cand *c, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (k > lo && k < hi && hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        /* median of c[lo], c[mid], c[hi-1] into c[hi-1] */
        if (better(&c[mid], &c[lo])) swap_cand(&c[mid], &c[lo]);
        if (better(&c[hi - 1], &c[lo])) swap_cand(&c[hi - 1], &c[lo]);
        if (better(&c[mid], &c[hi - 1])) swap_cand(&c[mid], &c[hi - 1]);
        cand piv = c[hi - 1];
        size_t store = lo;
        for (size_t i = lo; i < hi - 1; i++)
            if (better(&c[i], &piv))
                swap_cand(&c[i], &c[store++]);
        swap_cand(&c[store], &c[hi - 1]);
        /* now c[lo..store) better than the pivot at c[store] */
        if (k <= store)
            hi = store;
        else if (k > store + 1)
            lo = store + 1;
        else
            return;
    }
}

/* c[0..k) as a heap whose root is the worst of them. */
static void sift_down(cand *h, size_t k, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < k && better(&h[w], &h[l])) w = l;
        if (r < k && better(&h[w], &h[r])) w = r;
        if (w == i)
            return;
        swap_cand(&h[i], &h[w]);
        i = w;
    }
}

/* The same for small k: one pass against a heap of the k best so far, which
 * rejects almost every candidate with one comparison. */
static void select_best(cand *c, size_t n, size_t k)
{
    if (k >= n || k == 0)
        return;
    if (k > 1024) {
        quickselect_best(c, n, k);
        return;
    }
    for (size_t i = k / 2; i-- > 0;)
        sift_down(c, k, i);
    for (size_t i = k; i < n; i++)
        if (better(&c[i], &c[0])) {
            swap_cand(&c[0], &c[i]);
            sift_down(c, k, 0);
        }
}

/* Weight of a candidate: e^((logit - max) / T). Candidates keep their raw
 * logits so that the order (and its ties) is the order of the input. */
static inline float weight(const cand *c, float max, float inv_t)
{
    return expf((c->logit - max) * inv_t);
}

/* Top-p over c[0..n): returns how many of the best survive; leaves that
 * prefix sorted best-first. */
static size_t top_p_prefix(cand *c, size_t n, float p, float max, float inv_t)
{
    double z = 0;
    for (size_t i = 0; i < n; i++)
        z += weight(&c[i], max, inv_t);
    double target = (double)p * z, cum = 0;
    size_t start = 0, m = n < TOP_P_FIRST ? n : TOP_P_FIRST;
    for (;;) {
        select_best(c + start, n - start, m - start);
        qsort(c + start, m - start, sizeof *c, cmp_cand);
        for (size_t i = start; i < m; i++) {
            cum += weight(&c[i], max, inv_t);
            if (cum >= target)
                return i + 1;
        }
        if (m == n)
            return n;   /* rounding: keep everything */
        start = m;
        m = m * 2 < n ? m * 2 : n;
    }
}

/* Logits further than this below the best (after temperature) weigh less
 * than e^-60 ~ 1e-26 of it: even 10^6 of them change no probability a
 * float can hold, so they are left out before any work is done. */
#define NEGLIGIBLE 60.0f

int32_t pd_sampler_draw(pd_sampler *s, const pd_sampler_params *sp, float *logits)
{
    s->last_n = 0;
    s->last_normalised = false;
    if (!(sp->temperature > 0))
        return pd_argmax(logits, s->n_vocab);
    int32_t best = pd_argmax(logits, s->n_vocab);
    if (best < 0)
        return -1;                          /* every logit -inf or NaN */
    float max = logits[best];
    if (isinf(max))
        return best;                        /* +inf: certain */

    /* gather the candidates that weigh anything */
    float inv_t = 1.0f / sp->temperature;
    float floor_raw = max - NEGLIGIBLE * sp->temperature;
    cand *c = s->c;
    size_t n = 0;
    for (int i = 0; i < s->n_vocab; i++)
        if (logits[i] >= floor_raw) {      /* also drops -inf and NaN */
            c[n].logit = logits[i];
            c[n].id = i;
            n++;
        }
    if (sp->top_k > 0 && (size_t)sp->top_k < n) {
        select_best(c, n, (size_t)sp->top_k);
        n = (size_t)sp->top_k;
        qsort(c, n, sizeof *c, cmp_cand);
    }
    if (sp->top_p < 1.0f)
        n = top_p_prefix(c, n, sp->top_p > 0 ? sp->top_p : 0, max, inv_t);
    if (sp->min_p > 0) {
        /* p_i >= min_p * p_max  <=>  w_i >= min_p; the best (w = 1) survives */
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
            if (weight(&c[i], max, inv_t) >= sp->min_p || c[i].logit == max)
                c[w++] = c[i];
        n = w;
    }
    /* weights once; the walk order is fixed either way (ids ascending, or
     * best-first after top-k/top-p) so a seed always gives the same token */
    float *w = s->last_probs;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        w[i] = weight(&c[i], max, inv_t);
        total += w[i];
    }
    double u = pd_rng_uniform(&s->rng) * total, cum = 0;
    int32_t pick = c[n - 1].id;
    for (size_t i = 0; i < n; i++) {
        cum += w[i];
        if (u < cum) {
            pick = c[i].id;
            break;
        }
    }
    s->last_n = (int)n;
    s->last_total = total;
    return pick;
}

int pd_sampler_last_candidates(pd_sampler *s, const int32_t **ids, const float **probs)
{
    /* made here, not in every draw: only tests look */
    if (!s->last_normalised) {
        for (int i = 0; i < s->last_n; i++) {
            s->last_ids[i] = s->c[i].id;
            s->last_probs[i] = (float)(s->last_probs[i] / s->last_total);
        }
        s->last_normalised = true;
    }
    *ids = s->last_ids;
    *probs = s->last_probs;
    return s->last_n;
}
