/* eval.h - batch evaluation on a set of prompts with known answers
 * (`ponder eval`, issue 6): accuracy, thinking length, thoughts and switches
 * per response, suppressed switches, the underthinking (UT) score, speed.
 *
 * The set is JSONL, one {"prompt": STRING, "answer": STRING|NUMBER} per line
 * (blank lines allowed, other keys ignored).
 *
 * Checking an answer. The response's answer is its answer text (what the
 * model wrote after </think>, the <answer> tags removed), trimmed.
 *   - expected a number: correct when the LAST number in the answer equals
 *     it (numbers: optional sign, digits with optional "," thousands
 *     separators, optional decimals; equal within 1e-9 relative);
 *   - expected a string: correct when the answer equals it, ignoring case.
 *
 * UT score (Wang et al. 2025, with an honest proxy for their model judge).
 * A thought (thoughts.h) is *correct* when its text contains the expected
 * answer: for a number, some number in the thought equals it (a whole
 * number, not digits inside a longer one); for a string, it occurs as a
 * whole word, ignoring case. For a wrong response with T think tokens,
 *     UT = 1 − T̂ / T,  T̂ = think tokens from the start of thinking to the end
 *                           of the first correct thought;
 * a wrong response without a correct thought (or without thinking) scores 0,
 * as in the paper. ut_score is the mean over the wrong responses (0 when
 * every response is right): high = the model had the answer early and
 * thought on past it, then lost it.
 */
#ifndef PD_SRC_EVAL_H
#define PD_SRC_EVAL_H

#include "ponder.h"

typedef struct pd_eval_item {
    char *prompt;
    char *answer;            /* the expected answer as text */
    bool numeric;            /* the expected answer is a number */
    double value;
} pd_eval_item;

typedef struct pd_eval_set {
    pd_eval_item *v;
    int n;
} pd_eval_set;

pd_status pd_eval_load(const char *path, pd_eval_set **out);
void pd_eval_set_free(pd_eval_set *set);

/* One response. */
typedef struct pd_eval_response {
    int item, sample;
    bool correct;
    const char *answer_text; /* valid during the callback */
    int think_tokens, tokens, thoughts, switches, suppressed;
    double ut;               /* wrong responses only; -1 for right ones */
    double seconds;          /* decode time */
} pd_eval_response;

/* Means over the responses (counts per response). */
typedef struct pd_eval_result {
    int n;                   /* responses */
    int n_correct, n_wrong;
    double accuracy;
    double think_tokens, thoughts, switches, suppressed;
    double tokens_per_thought; /* all think tokens / all thoughts */
    double ut_score;
    double tok_per_s;        /* generated tokens / decode time, over the run */
} pd_eval_result;

typedef void (*pd_eval_fn)(const pd_eval_response *r, int done, int total, void *user);

/* Run every item `samples` times (seeds p->seed + sample, each from a fresh
 * conversation) with parameters p; fn (may be NULL) sees every response. */
pd_status pd_eval_run(pd_session *s, const pd_eval_set *set, const pd_params *p, int samples,
                      pd_eval_fn fn, void *user, pd_eval_result *out);

/* The checks above, exposed for tests. */
bool pd_eval_answer_correct(const pd_eval_item *it, const char *answer, size_t len);
bool pd_eval_thought_correct(const pd_eval_item *it, const char *text, size_t len);

/* UT of one wrong response from its think text, given as pieces (the text
 * of the token at each position, in order) and the start positions of its
 * thoughts (thought 0 first). Thought k spans [start_k, start_k+1), the last
 * one up to the last think piece; T is the span from thought 0's start to
 * one past the last think piece. */
typedef struct pd_eval_piece { int pos; const char *text; size_t len; } pd_eval_piece;
double pd_eval_ut(const pd_eval_item *it, const int *thought_start, int n_thoughts,
                  const pd_eval_piece *pieces, int n_pieces);

#endif
