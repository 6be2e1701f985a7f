/* test_tip.c - the penalty window exactly as DESIGN.md §5 says, with a
 * scripted logits source; the reasoning controls; and V̂ built on the real
 * Qwen3 and DeepSeek-V3 vocabularies of the oracle. */
#include "t.h"
#include "tip.h"
#include "sampler.h"
#include "tokenizer.h"
#include "gguf.h"

enum { V = 12, SW = 5, SW2 = 7, RF = 6 };   /* two switch ids, one reflect id */

static pd_tipset *toy_set(void)
{
    pd_tipset *s;
    if (pd_tipset_new(V, &s) != PD_OK)
        return NULL;
    pd_tipset_add(s, SW, PD_GROUP_SWITCH, "Alternatively", " Alternatively", 14);
    pd_tipset_add(s, SW2, PD_GROUP_SWITCH, "Alternatively", "Alternatively", 13);
    pd_tipset_add(s, RF, PD_GROUP_REFLECT, "Wait", " Wait", 5);
    return s;
}

static pd_params tip_params(float alpha, int beta)
{
    pd_params p;
    pd_params_default(&p);
    p.tip_alpha = alpha;
    p.tip_beta = beta;
    return p;
}

/* Apply at `step` on all-zero logits; return what switch id SW got. */
static float pen_at(pd_tip *t, const pd_params *p, int step, float *other)
{
    float l[V] = {0};
    pd_tip_step st;
    pd_tip_apply(t, p, step, l, V, &st);
    if (other)
        *other = l[RF];
    T_CHECK(l[SW] == l[SW2]);
    for (int i = 0; i < V; i++)
        if (i != SW && i != SW2 && i != RF)
            T_CHECK(l[i] == 0);
    return l[SW];
}

static void test_set_basics(void)
{
    pd_tipset *s = toy_set();
    T_CHECK(s && s->n == 3);
    T_EQ_INT(pd_tipset_group(s, SW), PD_GROUP_SWITCH);
    T_EQ_INT(pd_tipset_group(s, RF), PD_GROUP_REFLECT);
    T_EQ_INT(pd_tipset_group(s, 0), 0);
    T_EQ_INT(pd_tipset_group(s, -1), 0);
    T_EQ_INT(pd_tipset_group(s, V), 0);
    T_CHECK(pd_tipset_add(s, V, PD_GROUP_SWITCH, "x", "x", 1) != PD_OK);
    pd_tipset_add(s, RF, PD_GROUP_SWITCH, "Wait", " Wait", 5);   /* union of groups */
    T_EQ_INT(s->n, 3);
    T_EQ_INT(pd_tipset_group(s, RF), PD_GROUP_SWITCH | PD_GROUP_REFLECT);
    T_CHECK(s->v[0].id < s->v[1].id && s->v[1].id < s->v[2].id);
    pd_tipset_free(s);
}

static void test_window_step(void)
{
    pd_tipset *s = toy_set();
    pd_params p = tip_params(2, 4);
    pd_tip t;
    pd_tip_begin(&t, s);
    /* before <think>: nothing */
    T_NEAR(pen_at(&t, &p, 0, NULL), 0, 0);
    pd_tip_enter_think(&t, 0);   /* prompt ended inside <think>: Ψ = 0 */
    float rf;
    for (int step = 0; step < 4; step++) {
        T_NEAR(pen_at(&t, &p, step, &rf), -2, 0);
        T_NEAR(rf, 0, 0);        /* reflect is not in tip_groups */
        T_EQ_INT(pd_tip_window_left(&t, &p, step), 4 - step);
    }
    /* t = Ψ+β−1 = 3 was penalised (above); t = Ψ+β = 4 is not */
    T_NEAR(pen_at(&t, &p, 4, NULL), 0, 0);
    T_EQ_INT(pd_tip_window_left(&t, &p, 4), 0);
    /* a switch token emitted at step 6 opens a new window: Ψ = 6 */
    for (int step = 0; step < 6; step++)
        pd_tip_accept(&t, &p, step, 0, true);
    pd_tip_accept(&t, &p, 6, SW, true);
    T_EQ_INT(t.psi, 6);
    T_NEAR(pen_at(&t, &p, 7, NULL), -2, 0);
    T_NEAR(pen_at(&t, &p, 9, NULL), -2, 0);  /* Ψ+β−1 */
    T_NEAR(pen_at(&t, &p, 10, NULL), 0, 0);  /* Ψ+β */
    /* a reflect token does not move Ψ with groups = switch... */
    pd_tip_accept(&t, &p, 11, RF, true);
    T_EQ_INT(t.psi, 6);
    /* ...but a thought the segmenter found does */
    pd_tip_new_thought(&t, 11);
    T_EQ_INT(t.psi, 11);
    T_NEAR(pen_at(&t, &p, 14, NULL), -2, 0);
    T_NEAR(pen_at(&t, &p, 15, NULL), 0, 0);
    /* groups switch,reflect: both penalised */
    p.tip_groups = PD_GROUP_SWITCH | PD_GROUP_REFLECT;
    T_NEAR(pen_at(&t, &p, 12, &rf), -2, 0);
    T_NEAR(rf, -2, 0);
    /* off: nothing; a live change is a new params value on the next call */
    p.tip_on = false;
    T_NEAR(pen_at(&t, &p, 12, NULL), 0, 0);
    p.tip_on = true;
    p.tip_alpha = 5;
    T_NEAR(pen_at(&t, &p, 12, NULL), -5, 0);
    /* outside <think>: nothing */
    pd_tip_leave_think(&t);
    T_NEAR(pen_at(&t, &p, 12, NULL), 0, 0);
    T_EQ_INT(pd_tip_window_left(&t, &p, 12), 0);
    pd_tipset_free(s);
}

static void test_window_think_opened_by_model(void)
{
    /* Qwen3 style: the model emits <think> at 0, thinking starts at 1 */
    pd_tipset *s = toy_set();
    pd_params p = tip_params(3, 2);
    pd_tip t;
    pd_tip_begin(&t, s);
    pd_tip_accept(&t, &p, 0, 11, false);
    pd_tip_enter_think(&t, 1);
    T_NEAR(pen_at(&t, &p, 1, NULL), -3, 0);
    T_NEAR(pen_at(&t, &p, 2, NULL), -3, 0);
    T_NEAR(pen_at(&t, &p, 3, NULL), 0, 0);
    pd_tipset_free(s);
}

static void test_decay(void)
{
    pd_tipset *s = toy_set();
    pd_params p = tip_params(3, 10);
    p.tip_schedule = PD_TIP_DECAY;
    pd_tip t;
    pd_tip_begin(&t, s);
    pd_tip_enter_think(&t, 4);
    T_NEAR(pen_at(&t, &p, 4, NULL), -3, 1e-6);
    T_NEAR(pen_at(&t, &p, 9, NULL), -3 * exp(-0.5), 1e-5);
    T_NEAR(pen_at(&t, &p, 14, NULL), -3 * exp(-1.0), 1e-5);
    T_NEAR(pen_at(&t, &p, 44, NULL), -3 * exp(-4.0), 1e-5);
    p.tip_beta = 0;
    T_NEAR(pen_at(&t, &p, 9, NULL), 0, 0);
    pd_tipset_free(s);
}

static void test_min_thought(void)
{
    pd_tipset *s = toy_set();
    pd_params p = tip_params(2, 600);
    p.min_thought = 3;
    pd_tip t;
    pd_tip_begin(&t, s);
    pd_tip_enter_think(&t, 0);
    T_NEAR(pen_at(&t, &p, 2, NULL), -2, 0);   /* thought holds 2 tokens */
    T_NEAR(pen_at(&t, &p, 3, NULL), 0, 0);    /* holds 3: window closed, β ignored */
    /* a stray switch token does not restart the thought window... */
    pd_tip_accept(&t, &p, 5, SW, true);
    T_NEAR(pen_at(&t, &p, 6, NULL), 0, 0);
    /* ...a segmented thought does */
    pd_tip_new_thought(&t, 5);
    T_NEAR(pen_at(&t, &p, 7, NULL), -2, 0);
    T_NEAR(pen_at(&t, &p, 8, NULL), 0, 0);
    pd_tipset_free(s);
}

static void test_no_wait_and_budget(void)
{
    pd_tipset *s = toy_set();
    pd_params p = tip_params(2, 4);
    p.tip_on = false;
    p.no_wait = true;
    p.think_budget = 3;
    pd_tip t;
    pd_tip_begin(&t, s);
    float rf;
    pen_at(&t, &p, 0, &rf);
    T_NEAR(rf, 0, 0);                         /* not in think yet */
    pd_tip_enter_think(&t, 0);
    T_NEAR(pen_at(&t, &p, 0, &rf), 0, 0);     /* TIP off: switch untouched */
    T_CHECK(isinf(rf) && rf < 0);             /* reflect forbidden */
    T_CHECK(!pd_tip_budget_reached(&t, &p));
    for (int i = 0; i < 3; i++)
        pd_tip_accept(&t, &p, i, 0, true);
    T_CHECK(pd_tip_budget_reached(&t, &p));
    p.think_budget = 0;
    T_CHECK(!pd_tip_budget_reached(&t, &p));
    pd_tip_leave_think(&t);
    pen_at(&t, &p, 9, &rf);
    T_NEAR(rf, 0, 0);
    pd_tipset_free(s);
}

static void test_suppressed(void)
{
    pd_tipset *s = toy_set();
    pd_params p = tip_params(3, 10);
    pd_tip t;
    pd_tip_begin(&t, s);
    pd_tip_enter_think(&t, 0);
    float l[V] = {0};
    l[SW] = 2; l[1] = 1;                      /* switch is top-1 by 1 */
    pd_tip_step st;
    pd_tip_apply(&t, &p, 0, l, V, &st);
    T_EQ_INT(st.top_before, SW);
    int32_t drawn = pd_argmax(l, V);
    T_EQ_INT(drawn, 1);
    T_CHECK(pd_tip_suppressed(&t, &st, drawn));
    T_CHECK(!pd_tip_suppressed(&t, &st, SW));
    T_CHECK(!pd_tip_suppressed(&t, &st, SW2));  /* another switch token: not suppressed */
    /* top-1 not a switch token: nothing suppressed */
    float m[V] = {0};
    m[1] = 5; m[SW] = 4;
    pd_tip_apply(&t, &p, 1, m, V, &st);
    T_CHECK(!pd_tip_suppressed(&t, &st, pd_argmax(m, V)));
    /* no penalty at this step: nothing suppressed even if the draw differs */
    float k[V] = {0};
    k[SW] = 2;
    pd_tip_apply(&t, &p, 50, k, V, &st);
    T_EQ_INT(st.top_before, -1);
    T_CHECK(!pd_tip_suppressed(&t, &st, 1));
    pd_tipset_free(s);
}

/* A scripted model: every step it prefers the switch token by `margin`. The
 * issue-5 check on the toy: with α = 100, β = 50 no switch token is drawn
 * within 50 tokens of a thought start; with TIP off they come through. */
static int run_script(pd_params *p, int n_steps, int *first_gap)
{
    pd_tipset *s = toy_set();
    pd_sampler *smp;
    pd_sampler_new(V, 1, &smp);
    pd_sampler_params sp;
    pd_sampler_params_from(&sp, p);
    pd_tip t;
    pd_tip_begin(&t, s);
    pd_tip_enter_think(&t, 0);
    int switches = 0, last = 0;
    *first_gap = 1 << 30;
    for (int step = 0; step < n_steps; step++) {
        float l[V];
        for (int i = 0; i < V; i++)
            l[i] = (float)((i * 7 + step) % 5) * 0.1f;
        l[SW] = 10;
        pd_tip_step st;
        pd_tip_apply(&t, p, step, l, V, &st);
        int32_t tok = pd_sampler_draw(smp, &sp, l);
        if (pd_tipset_group(s, tok) & PD_GROUP_SWITCH) {
            switches++;
            if (step - last < *first_gap)
                *first_gap = step - last;
            last = step;
        }
        pd_tip_accept(&t, p, step, tok, true);
    }
    pd_sampler_free(smp);
    pd_tipset_free(s);
    return switches;
}

static void test_scripted_generation(void)
{
    pd_params p = tip_params(100, 50);
    p.temperature = 0.8f;
    int gap;
    int n = run_script(&p, 400, &gap);
    T_CHECKF(n >= 6 && n <= 8, "%d switches", n);   /* one per 50+1 tokens */
    T_CHECKF(gap >= 50, "gap %d", gap);
    p.tip_on = false;
    n = run_script(&p, 400, &gap);
    T_CHECKF(n > 390, "%d switches", n);
}

/* ------------------------------------------------------- real vocabularies */

static pd_tokenizer *load_vocab(const char *name)
{
    if (!t_oracle())
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/vocab/%s", t_oracle(), name);
    pd_gguf *g;
    if (pd_gguf_open(path, &g) != PD_OK)
        return NULL;
    pd_tokenizer *tok = NULL;
    pd_status st = pd_tokenizer_load(g, &tok);
    pd_gguf_close(g);
    return st == PD_OK ? tok : NULL;
}

static bool has(const pd_tipset *s, int32_t id) { return pd_tipset_group(s, id) != 0; }

static void test_vhat_qwen3(void)
{
    pd_tokenizer *tok = load_vocab("qwen3-vocab.gguf");
    if (!tok)
        T_SKIP("oracle qwen3 vocabulary not available");
    pd_phrases *ph;
    T_CHECK(pd_phrases_load(NULL, &ph) == PD_OK);
    pd_tipset *s;
    T_CHECK(pd_tipset_build(ph, tok, &s) == PD_OK);
    T_CHECK(has(s, 38478));     /* " Alternatively" */
    T_CHECK(has(s, 68387));     /* " alternatively" */
    T_CHECK(has(s, 92014));     /* "Alternatively" */
    T_EQ_INT(pd_tipset_group(s, 38478), PD_GROUP_SWITCH);
    /* every member spells a whole word of a one-word phrase; no punctuation */
    for (int i = 0; i < s->n; i++) {
        const char *pc = s->v[i].piece;
        T_CHECKF(!strpbrk(pc, ",.!?:;"), "piece '%s'", pc);
        T_CHECKF(strncasecmp(pc + strspn(pc, " \n"), s->v[i].phrase,
                             strlen(s->v[i].phrase)) == 0, "'%s' from '%s'", pc, s->v[i].phrase);
    }
    /* " Alter" (a fragment) and "," are not in V̂ */
    int32_t comma = pd_token_lookup(tok, ",");
    T_CHECK(comma >= 0 && !has(s, comma));
    int32_t frag = pd_token_lookup(tok, "\xc4\xa0" "Alter");   /* "ĠAlter" */
    if (frag >= 0)
        T_CHECK(!has(s, frag));
    /* " Let" (first word of multi-word phrases) is not in V̂ */
    int32_t let = pd_token_lookup(tok, "\xc4\xa0" "Let");
    T_CHECK(let >= 0 && !has(s, let));
    int32_t wait = pd_token_lookup(tok, "\xc4\xa0" "Wait");
    T_CHECK(wait >= 0 && pd_tipset_group(s, wait) == PD_GROUP_REFLECT);
    printf("# qwen3 V-hat: %d tokens\n", s->n);
    pd_tipset_free(s);
    pd_phrases_free(ph);
    pd_tokenizer_free(tok);
}

static void test_vhat_deepseek_v3(void)
{
    pd_tokenizer *tok = load_vocab("deepseek-v3-vocab.gguf");
    if (!tok)
        T_SKIP("oracle deepseek-v3 vocabulary not available");
    pd_phrases *ph;
    T_CHECK(pd_phrases_load(NULL, &ph) == PD_OK);
    pd_tipset *s;
    T_CHECK(pd_tipset_build(ph, tok, &s) == PD_OK);
    /* whatever the ids, " Alternatively" tokenizes to one V̂ token */
    int32_t *ids;
    size_t n;
    T_CHECK(pd_tokenize(tok, " Alternatively", 14, false, &ids, &n) == PD_OK);
    T_CHECK(n >= 1);
    if (n == 1)
        T_CHECK(has(s, ids[0]));
    else
        T_CHECK(!has(s, ids[0]));   /* split: the first piece is a fragment */
    free(ids);
    int32_t comma = pd_token_lookup(tok, ",");
    T_CHECK(comma >= 0 && !has(s, comma));
    T_CHECK(s->n >= 2);
    for (int i = 0; i < s->n; i++)
        T_CHECKF(!strpbrk(s->v[i].piece, ",.!?:;"), "piece '%s'", s->v[i].piece);
    printf("# deepseek-v3 V-hat: %d tokens\n", s->n);
    pd_tipset_free(s);
    pd_phrases_free(ph);
    pd_tokenizer_free(tok);
}

int main(void)
{
    T_RUN(test_set_basics);
    T_RUN(test_window_step);
    T_RUN(test_window_think_opened_by_model);
    T_RUN(test_decay);
    T_RUN(test_min_thought);
    T_RUN(test_no_wait_and_budget);
    T_RUN(test_suppressed);
    T_RUN(test_scripted_generation);
    T_RUN(test_vhat_qwen3);
    T_RUN(test_vhat_deepseek_v3);
    T_DONE();
}
