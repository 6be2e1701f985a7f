/* tip.h - the thought-switching penalty (DESIGN.md §5) and the reasoning
 * controls that act on the same logits: the switch-token set V̂, the window
 * state, --no-wait, --min-thought and --think-budget.
 *
 * ── V̂ (pd_tipset_build) ────────────────────────────────────────────────
 * For each phrase P of the set and each form it takes in a stream:
 *     " P"  "P"  "\nP"  "\n\nP"   for P as written, lower-cased and
 *                                 capitalised (ASCII letters)
 * the form is tokenized with the model's own tokenizer (no special tokens);
 * leading tokens that decode to whitespace only are skipped, and the next
 * token is kept only when it decodes to optional whitespace followed by the
 * complete first word of P, compared case-insensitively (ASCII). So a token
 * is never punctuation, never a fragment (" Alter" of "Alternatively", or a
 * "Wait" that arrives glued to its comma as "Wait,"), never whitespace.
 * Only phrases of one word contribute (P contains no space): the first word
 * of "Let me try another" is "Let", whose token starts every "Let me
 * compute"; longer phrases serve the segmenter (thoughts.h) only.
 * An id reached from several phrases keeps the first phrase and the union
 * of their groups.
 *
 * ── The penalty (pd_tip_apply), at decode step t ───────────────────────
 * t is the index of the generated token being decided (0 = the first token
 * of the turn). Ψ is where the current thought began: the position of the
 * first token inside <think> when thinking starts, then the position of
 * every emitted token of V̂ (in the groups TIP penalises) and of every
 * thought start the segmenter reports. Only inside <think>, for every v in
 * V̂ whose group is in tip_groups:
 *     step:   logit(v) -= α               while t < Ψ + β
 *     decay:  logit(v) -= α·exp(−(t−Ψ)/β)  for every t >= Ψ (β = time constant)
 * --min-thought N (N > 0) replaces the window: Ψ is then the start of the
 * current thought *as the segmenter cut it* (a stray mid-sentence
 * "alternatively" does not restart it) and β is N: the switch tokens are
 * penalised while the current thought holds fewer than N tokens, i.e.
 * while t − start_of_thought < N (the thought's own tokens: its trigger and
 * everything after it that was already generated).
 * --no-wait: every token of the [reflect] group gets −inf inside <think>,
 * whether TIP is on or not.
 * --think-budget N: once N tokens were generated inside <think>, the
 * session forces the closing </think> (pd_tip_budget_reached).
 * Outside <think> nothing is changed.
 *
 * ── suppressed ─────────────────────────────────────────────────────────
 * When a step changed some logit of V̂ and the token that was the argmax
 * before the change (lowest id on ties) is in V̂ but the drawn token is
 * not, TIP changed the outcome: pd_tip_suppressed() says so.
 */
#ifndef PD_SRC_TIP_H
#define PD_SRC_TIP_H

#include "ponder.h"
#include "phrases.h"

struct pd_tokenizer;

typedef struct pd_tip_entry {
    int32_t id;
    int group;               /* PD_GROUP_* bits */
    char phrase[PD_PHRASE_MAX + 1];
    char piece[64];          /* the token's text, for display (truncated) */
} pd_tip_entry;

typedef struct pd_tipset {
    pd_tip_entry *v;         /* sorted by id, unique */
    int n;
    int n_vocab;
    unsigned char *group_of; /* [n_vocab]: PD_GROUP_* bits, 0 = not in V̂ */
} pd_tipset;

pd_status pd_tipset_new(int n_vocab, pd_tipset **out);
void pd_tipset_free(pd_tipset *s);
/* Add one id (tests and the builder). */
pd_status pd_tipset_add(pd_tipset *s, int32_t id, int group, const char *phrase,
                        const char *piece, size_t piece_len);
/* Build V̂ from a phrase set with a model's tokenizer (rules above). */
pd_status pd_tipset_build(const pd_phrases *ph, const struct pd_tokenizer *tok,
                          pd_tipset **out);
static inline int pd_tipset_group(const pd_tipset *s, int32_t id)
{
    return s && id >= 0 && id < s->n_vocab ? s->group_of[id] : 0;
}

/* Per-turn state. */
typedef struct pd_tip {
    const pd_tipset *set;
    bool in_think;
    int psi;                 /* Ψ: current window start (paper semantics) */
    int thought_start;       /* start of the current segmented thought */
    int think_tokens;        /* tokens generated inside <think> so far */
} pd_tip;

/* What one step did. */
typedef struct pd_tip_step {
    float penalty;           /* subtracted from the TIP groups (0 = none; inf = min-thought/no-wait) */
    unsigned groups;         /* groups whose logits changed */
    int32_t top_before;      /* argmax before the change; -1 when nothing changed */
} pd_tip_step;

void pd_tip_begin(pd_tip *t, const pd_tipset *set);
/* <think> opened: pos = position of the first token inside it. */
void pd_tip_enter_think(pd_tip *t, int pos);
void pd_tip_leave_think(pd_tip *t);
/* The segmenter found a thought starting at pos. */
void pd_tip_new_thought(pd_tip *t, int pos);
/* The penalty value TIP gives at step t (0 outside its window). */
float pd_tip_penalty(const pd_tip *t, const pd_params *p, int step);
/* Tokens left in the current window (0 when closed or TIP is off). */
int pd_tip_window_left(const pd_tip *t, const pd_params *p, int step);
/* Edit logits[n_vocab] for step `step`. */
void pd_tip_apply(pd_tip *t, const pd_params *p, int step, float *logits, int n_vocab,
                  pd_tip_step *out);
/* Token `tok` was emitted at step `step` (call for every token, also those
 * forced by the budget, after routing has decided whether it is think). */
void pd_tip_accept(pd_tip *t, const pd_params *p, int step, int32_t tok, bool think_token);
bool pd_tip_budget_reached(const pd_tip *t, const pd_params *p);
/* Did TIP change the outcome of this step? */
bool pd_tip_suppressed(const pd_tip *t, const pd_tip_step *st, int32_t drawn);

#endif
