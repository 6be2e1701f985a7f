/* sampler.h - logit processors and the draw (DESIGN.md §2):
 *
 *   logits ─► repetition penalty ─► [TIP, src/tip.h] ─► temperature
 *          ─► top-k ─► top-p ─► min-p ─► draw (seeded)
 *
 * The session calls pd_sampler_penalize(), lets TIP edit the logits, then
 * pd_sampler_draw(). Everything is deterministic given the seed: candidates
 * are ordered by (logit descending, id ascending), never by memory layout.
 *
 * Semantics, each as llama.cpp defines it where it has the same processor:
 *   repetition  every distinct token among the last repeat_last_n accepted
 *               tokens: logit / penalty if the logit is > 0, else * penalty.
 *   temperature logits / T; T = 0 is greedy: the highest logit, lowest id
 *               on ties (no other processor after the penalty matters then).
 *   top-k       keep the k best (k = 0: off).
 *   top-p       keep the smallest best-first prefix whose probability
 *               (softmax over what top-k kept) reaches p (p >= 1: off).
 *   min-p       keep tokens whose probability is >= min_p * the best one's.
 *   draw        one uniform number in [0, 1) times the kept mass, walked
 *               best-first.
 * A logit of -INFINITY (or NaN) is never drawn; +INFINITY always is (the
 * lowest such id). Tokens more than 60/T below the best weigh < 1e-26 of
 * it and are left out before any work (no probability changes by that).
 */
#ifndef PD_SRC_SAMPLER_H
#define PD_SRC_SAMPLER_H

#include "ponder.h"

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
typedef struct pd_rng { uint64_t s[4]; } pd_rng;
void pd_rng_seed(pd_rng *r, uint64_t seed);
uint64_t pd_rng_next(pd_rng *r);
double pd_rng_uniform(pd_rng *r);   /* [0, 1), 53 bits */

typedef struct pd_sampler_params {
    float temperature;     /* 0 = greedy */
    int top_k;             /* 0 = off */
    float top_p;           /* >= 1 = off */
    float min_p;           /* 0 = off */
    float repeat_penalty;  /* 1 = off */
    int repeat_last_n;     /* 0 = off */
} pd_sampler_params;

void pd_sampler_params_from(pd_sampler_params *sp, const pd_params *p);

typedef struct pd_sampler pd_sampler;

pd_status pd_sampler_new(int n_vocab, uint64_t seed, pd_sampler **out);
void pd_sampler_free(pd_sampler *s);
void pd_sampler_seed(pd_sampler *s, uint64_t seed);
/* Forget the token history (new conversation). */
void pd_sampler_reset_history(pd_sampler *s);
/* A token entered the context (prompt or generated): the history the
 * repetition penalty looks at. */
void pd_sampler_accept(pd_sampler *s, int32_t token);

/* Repetition penalty, in place on logits[n_vocab]. */
void pd_sampler_penalize(pd_sampler *s, const pd_sampler_params *sp, float *logits);
/* Temperature, top-k, top-p, min-p and the draw; logits are only read.
 * Returns the token, or -1 when every logit is -inf/NaN. */
int32_t pd_sampler_draw(pd_sampler *s, const pd_sampler_params *sp, float *logits);

/* The highest logit, lowest id on ties; -1 if none is finite or +inf. */
int32_t pd_argmax(const float *logits, int n);

/* The random stream, read and put back: two runs from one point draw the
 * same numbers (/ab). (The history needs no saving: a turn's prefill
 * rebuilds it from the prompt.) */
pd_rng pd_sampler_rng(const pd_sampler *s);
void pd_sampler_set_rng(pd_sampler *s, pd_rng r);

/* For tests: after pd_sampler_draw, the candidates that survived the
 * filters (ids best-first) and their normalised probabilities. Valid until
 * the next draw; n = 0 after a greedy draw. */
int pd_sampler_last_candidates(pd_sampler *s, const int32_t **ids, const float **probs);

#endif
