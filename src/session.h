/* session.h - internals of a generation session (the public API is in
 * ponder.h), exposed for the commands and the tests.
 *
 * One turn: the history of messages is rendered by the chat template (or
 * taken raw), tokenized with special tokens, and the longest prefix already
 * in the KV cache is kept: only the rest is prefilled, in one batch. Then,
 * token by token:
 *
 *   forward ─► logits ─► repetition ─► TIP ─► temperature/top-k/top-p/min-p
 *   ─► draw ─► detokenizer ─► tag router ─► THINK/ANSWER events
 *                                        └► segmenter ─► THOUGHT events, Ψ
 *
 * The router reads the decoded text: "<think>" opens thinking, "</think>"
 * closes it, "<answer>"/"</answer>" only mark the answer; tags are removed
 * from the events (whether they are one special token or plain text split
 * over several). When the rendered prompt ends inside <think> (DeepSeek-R1
 * opens it), the turn starts thinking at position 0; a model that never
 * writes <think> gives only answer text. A token counts as a think token
 * when thinking was on before and after it, an answer token likewise.
 *
 * Stops: an end-of-generation token of the model, or "</answer>" (the
 * R1-Zero format ends there) (DONE eos), max_tokens
 * (DONE max_tokens), pd_session_cancel (DONE cancelled, checked before every
 * token), a full context or a backend failure (DONE error, with the message).
 */
#ifndef PD_SRC_SESSION_H
#define PD_SRC_SESSION_H

#include "ponder.h"
#include "tip.h"

/* Render the conversation plus `user_text` as the model will see it
 * (malloc'd), the same way pd_session_generate does; *mask (malloc'd) marks
 * the bytes the template wrote, where special tokens may match. */
pd_status pd_session_render(pd_session *s, const char *user_text, char **out,
                            uint8_t **mask);
/* The switch-token set in use (for `ponder tip` and the UI). */
const pd_tipset *pd_session_tipset(const pd_session *s);
/* Statistics of the last (or running) turn. */
void pd_session_stats(pd_session *s, pd_stats *out);
/* Tokens currently held in the KV cache (for tests of prefix reuse). */
int pd_session_cached_tokens(const pd_session *s);
/* Tokens the last turn prefilled (after prefix reuse). */
int pd_session_prefilled_tokens(const pd_session *s);
/* The logits the last forward pass left: [n_vocab] (after a turn with
 * max_tokens 0, those of the prompt's last position). */
const float *pd_session_logits(const pd_session *s, int *n_vocab);
/* Forget what the KV cache holds (the next turn prefills everything). */
void pd_session_drop_cache(pd_session *s);
/* Test hook: the decoded text of a turn, chunk i standing for the token at
 * position i, through the tag router and the segmenter (no model run);
 * stops after a "</answer>" as a turn does. */
pd_status pd_session_route_test(pd_session *s, const char *const *chunks, int n,
                                bool opens_think, pd_event_fn fn, void *user);

#endif
