/* test_session.c - the JSONL form of events, and generation sessions on the
 * oracle's random-weight models (think/answer routing, stops, cancel, KV
 * prefix reuse, reproducibility, TIP's effect). */
#include "t.h"
#include "ponder.h"
#include "session.h"
#include "eval.h"

#include <jansson.h>
#include <unistd.h>

/* ------------------------------------------------------------- events -- */

static void test_event_names(void)
{
    T_EQ_STR(pd_event_name(PD_EV_THINK), "think");
    T_EQ_STR(pd_event_name(PD_EV_ANSWER), "answer");
    T_EQ_STR(pd_event_name(PD_EV_THOUGHT), "thought");
    T_EQ_STR(pd_event_name(PD_EV_SUPPRESSED), "suppressed");
    T_EQ_STR(pd_event_name(PD_EV_STATS), "stats");
    T_EQ_STR(pd_event_name(PD_EV_DONE), "done");
    T_EQ_STR(pd_done_reason_name(PD_DONE_EOS), "eos");
    T_EQ_STR(pd_done_reason_name(PD_DONE_MAX_TOKENS), "max_tokens");
    T_EQ_STR(pd_done_reason_name(PD_DONE_CANCELLED), "cancelled");
    T_EQ_STR(pd_done_reason_name(PD_DONE_ERROR), "error");
}

static void test_event_json(void)
{
    char buf[512];
    pd_event ev = {.type = PD_EV_THINK, .text = "a\"b\\c\nd\te\x01\x1f\x7f", .len = 12};
    size_t n = pd_event_to_json(&ev, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"think\",\"text\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f\",\"position\":0}");
    T_EQ_INT(n, strlen(buf));
    /* valid UTF-8 passes through; invalid bytes become U+FFFD, one each */
    pd_event a = {.type = PD_EV_ANSWER, .text = "\xe4\xbd\xa0 \xff\xc3 \xe2\x82", .len = 9};
    pd_event_to_json(&a, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"answer\",\"text\":\"\xe4\xbd\xa0 \\ufffd\\ufffd \\ufffd\\ufffd\",\"position\":0}");
    /* embedded NUL counts (len, not strlen) */
    pd_event z = {.type = PD_EV_THINK, .text = "x\0y", .len = 3};
    pd_event_to_json(&z, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"think\",\"text\":\"x\\u0000y\",\"position\":0}");
    pd_event th = {.type = PD_EV_THOUGHT, .index = 1, .position = 57,
                   .trigger = "Alternatively", .group = PD_GROUP_SWITCH};
    pd_event_to_json(&th, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"thought\",\"index\":1,\"position\":57,\"trigger\":\"Alternatively\",\"group\":\"switch\"}");
    pd_event t0 = {.type = PD_EV_THOUGHT, .index = 0, .position = 0, .trigger = ""};
    pd_event_to_json(&t0, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"thought\",\"index\":0,\"position\":0,\"trigger\":\"\"}");
    pd_event su = {.type = PD_EV_SUPPRESSED, .position = 120, .token = 38478, .piece = " Alternatively"};
    pd_event_to_json(&su, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"suppressed\",\"position\":120,\"token\":38478,\"piece\":\" Alternatively\"}");
    pd_event d = {.type = PD_EV_DONE, .reason = PD_DONE_EOS};
    pd_event_to_json(&d, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"done\",\"reason\":\"eos\"}");
    pd_event e = {.type = PD_EV_DONE, .reason = PD_DONE_ERROR, .error = "context \"full\""};
    pd_event_to_json(&e, buf, sizeof buf);
    T_EQ_STR(buf, "{\"type\":\"done\",\"reason\":\"error\",\"error\":\"context \\\"full\\\"\"}");
}

static void test_event_json_stats_and_truncation(void)
{
    pd_stats st = {.tok_per_s = 41.234, .prompt_tokens = 9, .think_tokens = 310,
                   .answer_tokens = 12, .thoughts = 3, .switches = 2, .reflections = 0,
                   .suppressed = 4, .tip_window_left = 17};
    pd_event ev = {.type = PD_EV_STATS, .stats = &st};
    char buf[512];
    size_t n = pd_event_to_json(&ev, buf, sizeof buf);
    json_error_t err;
    json_t *j = json_loads(buf, 0, &err);
    T_CHECKF(j != NULL, "%s: %s", buf, err.text);
    T_EQ_STR(json_string_value(json_object_get(j, "type")), "stats");
    T_NEAR(json_number_value(json_object_get(j, "tok_per_s")), 41.23, 1e-9);
    T_EQ_INT(json_integer_value(json_object_get(j, "think_tokens")), 310);
    T_EQ_INT(json_integer_value(json_object_get(j, "suppressed")), 4);
    T_EQ_INT(json_integer_value(json_object_get(j, "tip_window_left")), 17);
    json_decref(j);
    /* truncation: NUL-terminated prefix, the full length returned */
    char small[10];
    memset(small, 'X', sizeof small);
    T_EQ_INT(pd_event_to_json(&ev, small, sizeof small), n);
    T_EQ_INT(strlen(small), 9);
    T_CHECK(memcmp(small, buf, 9) == 0);
    T_EQ_INT(pd_event_to_json(&ev, NULL, 0), n);
    /* any bytes at all give JSON that parses */
    char text[256];
    for (int i = 0; i < 256; i++)
        text[i] = (char)i;
    pd_event t = {.type = PD_EV_THINK, .text = text, .len = 256};
    char big[4096];
    pd_event_to_json(&t, big, sizeof big);
    j = json_loads(big, JSON_ALLOW_NUL, &err);
    T_CHECKF(j != NULL, "%s", err.text);
    json_decref(j);
}

/* ----------------------------------------------------------- sessions -- */

/* Everything a turn emitted, in order. */
typedef struct rec {
    int n_text;
    char text[64 * 1024];       /* think and answer text, concatenated */
    int n_tok;                  /* think/answer events */
    int pos[4096];              /* per text event: its position */
    char kind[4096];            /* 't' think, 'a' answer */
    char piece[4096][48];       /* per text event: its text */
    int n_thought, thought_pos[256];
    int n_suppressed;
    int n_stats;
    pd_stats last;
    bool done;
    pd_done_reason reason;
    char error[256];
    /* actions from the callback */
    pd_session *s;
    int cancel_at;              /* cancel when this position is reached (0 = never) */
    int tip_on_at;              /* switch TIP on live (alpha 100, endless window) here */
    const char *phrases;        /* load this phrase set from the callback, once */
    const void *set_during;     /* the switch-token set in use right after that */
} rec;

static void on_ev(const pd_event *ev, void *user)
{
    rec *r = user;
    switch (ev->type) {
    case PD_EV_THINK:
    case PD_EV_ANSWER:
        if (r->n_tok < 4096) {
            r->pos[r->n_tok] = ev->position;
            r->kind[r->n_tok] = ev->type == PD_EV_THINK ? 't' : 'a';
            snprintf(r->piece[r->n_tok], 48, "%.*s", (int)ev->len, ev->text);
            r->n_tok++;
        }
        if (r->n_text + ev->len < sizeof r->text) {
            memcpy(r->text + r->n_text, ev->text, ev->len);
            r->n_text += (int)ev->len;
        }
        if (r->cancel_at && ev->position >= r->cancel_at)
            pd_session_cancel(r->s);
        if (r->phrases && ev->position >= 3) {
            T_CHECK(pd_session_set_phrases(r->s, r->phrases) == PD_OK);
            r->set_during = pd_session_tipset(r->s);
            r->phrases = NULL;
        }
        if (r->tip_on_at && ev->position >= r->tip_on_at) {
            pd_params p;
            pd_session_get_params(r->s, &p);
            p.tip_on = true;
            p.tip_alpha = 100;
            p.tip_beta = 1 << 20;
            pd_session_set_params(r->s, &p);
        }
        break;
    case PD_EV_THOUGHT:
        if (r->n_thought < 256)
            r->thought_pos[r->n_thought++] = ev->position;
        break;
    case PD_EV_SUPPRESSED: r->n_suppressed++; break;
    case PD_EV_STATS: r->n_stats++; r->last = *ev->stats; break;
    case PD_EV_DONE:
        T_CHECK(!r->done);
        r->done = true;
        if (ev->stats)
            r->last = *ev->stats;
        r->reason = ev->reason;
        snprintf(r->error, sizeof r->error, "%s", ev->error ? ev->error : "");
        break;
    }
}

static pd_model *open_oracle(const char *name, int n_ctx)
{
    if (!t_oracle())
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", t_oracle(), name);
    pd_model_opts o;
    pd_model_opts_default(&o);
    o.backend = PD_BACKEND_CPU;
    o.n_threads = 2;
    o.n_ctx = n_ctx;
    pd_model *m = NULL;
    if (pd_model_open(path, &o, &m) != PD_OK)
        return NULL;
    return m;
}

#define NEED_MODEL(m, name, ctx) pd_model *m = open_oracle(name, ctx); \
    if (!m) T_SKIP("oracle model %s not available", name)

static pd_params base_params(void)
{
    pd_params p;
    pd_params_default(&p);
    p.temperature = 0;
    p.max_tokens = 40;
    p.template_name = "deepseek-r1";   /* opens <think> in the prompt */
    return p;
}

static rec *gen(pd_session *s, const char *prompt, pd_status *st_out)
{
    rec *r = calloc(1, sizeof *r);
    r->s = s;
    pd_status st = pd_session_generate(s, prompt, on_ev, r);
    if (st_out)
        *st_out = st;
    return r;
}

static void test_session_basic(void)
{
    NEED_MODEL(m, "q3moe-F16.gguf", 0);
    pd_params p = base_params();
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    pd_status st;
    rec *r = gen(s, "Hello", &st);
    T_CHECK(st == PD_OK);
    T_CHECK(r->done && r->reason == PD_DONE_MAX_TOKENS);
    /* deepseek-r1 opens <think>: thought 0 at position 0, all text is think */
    T_CHECK(r->n_thought >= 1 && r->thought_pos[0] == 0);
    T_CHECK(r->n_tok > 0 && r->kind[0] == 't');
    T_EQ_INT(r->last.think_tokens + r->last.answer_tokens, 40);
    T_CHECK(r->pos[r->n_tok - 1] <= 39);
    T_CHECK(r->n_stats >= 40 / 16 + 1);
    T_CHECK(!strstr(r->text, "<think>"));
    T_CHECK(r->last.prompt_tokens > 5);
    T_EQ_INT(pd_session_prefilled_tokens(s), r->last.prompt_tokens);
    /* a second turn reuses the cached prefix */
    rec *r2 = gen(s, "And again", &st);
    T_CHECK(st == PD_OK && r2->done);
    T_CHECK(pd_session_prefilled_tokens(s) < r2->last.prompt_tokens);
    T_CHECK(r2->last.prompt_tokens > r->last.prompt_tokens);
    /* ...and its prompt gives the logits a full prefill gives (to the
     * rounding of batched against split evaluation) */
    T_CHECK(pd_session_pop_turn(s, NULL));
    p.max_tokens = 0;
    pd_session_set_params(s, &p);
    rec *r3 = gen(s, "And again", &st);
    T_CHECK(pd_session_prefilled_tokens(s) < r3->last.prompt_tokens);
    int nv;
    const float *lg = pd_session_logits(s, &nv);
    float *reuse = malloc((size_t)nv * sizeof *reuse);
    memcpy(reuse, lg, (size_t)nv * sizeof *reuse);
    char *u = NULL;
    T_CHECK(pd_session_pop_turn(s, &u));
    T_EQ_STR(u, "And again");
    free(u);
    pd_session_drop_cache(s);
    rec *r4 = gen(s, "And again", &st);
    T_EQ_INT(pd_session_prefilled_tokens(s), r4->last.prompt_tokens);
    lg = pd_session_logits(s, &nv);
    double maxd = 0, maxl = 0;
    for (int i = 0; i < nv; i++) {
        maxd = fmax(maxd, fabs((double)lg[i] - reuse[i]));
        maxl = fmax(maxl, fabs((double)lg[i]));
    }
    printf("# prefix reuse vs full prefill: max |dlogit| %.2g (max |logit| %.3g)\n", maxd, maxl);
    /* the oracle's tolerance for F16 files; a wrong position or a stale
     * cache entry gives differences of the size of the logits */
    T_CHECKF(maxd <= 0.05, "max |dlogit| %g", maxd);
    free(reuse);
    free(r4);
    pd_session_clear(s);
    T_CHECK(!pd_session_pop_turn(s, NULL));
    /* a phrase set loaded during a turn is used from the next turn */
    const void *before = pd_session_tipset(s);
    p.max_tokens = 20;
    pd_session_set_params(s, &p);
    rec *r5 = calloc(1, sizeof *r5);
    r5->s = s;
    char zh[1024];
    snprintf(zh, sizeof zh, "%s/share/ponder/phrases/zh.txt", t_srcdir());
    r5->phrases = zh;
    T_CHECK(pd_session_generate(s, "Hi", on_ev, r5) == PD_OK);
    T_CHECK(r5->set_during == before);
    T_CHECK(pd_session_tipset(s) != before);
    free(r); free(r2); free(r3); free(r5);
    pd_session_free(s);
    pd_model_close(m);
}

static void test_session_router(void)
{
    NEED_MODEL(m, "q3moe-Q4_K_M.gguf", 0);
    pd_session *s;
    T_CHECK(pd_session_new(m, NULL, &s) == PD_OK);
    /* R1-Zero style, tags split over tokens, the prompt opened <think> */
    const char *a[] = {" Let", " me", " add", " a <th", "inking> b", ".", "\n", "Altern",
                       "atively", ",", " 2+3", "=5", ".</th", "ink", "> <", "ans", "wer>",
                       " 5 ", "</answer", ">", " never"};
    rec *r = calloc(1, sizeof *r);
    r->s = s;
    T_CHECK(pd_session_route_test(s, a, 21, true, on_ev, r) == PD_OK);
    char think[256] = "", answer[64] = "";
    for (int i = 0; i < r->n_tok; i++)
        strcat(r->kind[i] == 't' ? think : answer, r->piece[i]);
    T_EQ_STR(think, "Let me add a <thinking> b.\nAlternatively, 2+3=5.");
    T_EQ_STR(answer, "5 ");
    T_EQ_INT(r->n_thought, 2);
    T_EQ_INT(r->thought_pos[0], 0);
    T_EQ_INT(r->thought_pos[1], 7);         /* "Altern" */
    T_CHECK(r->done && r->reason == PD_DONE_EOS);
    T_EQ_INT(r->last.switches, 1);
    free(r);
    /* Qwen3 style: the model opens <think> itself */
    const char *b[] = {"<think>", "\n", "Hmm", ".", "\n", "</think>", "\n\n", "Answer", "<"};
    r = calloc(1, sizeof *r);
    r->s = s;
    T_CHECK(pd_session_route_test(s, b, 9, false, on_ev, r) == PD_OK);
    think[0] = answer[0] = '\0';
    for (int i = 0; i < r->n_tok; i++)
        strcat(r->kind[i] == 't' ? think : answer, r->piece[i]);
    T_EQ_STR(think, "Hmm.\n");
    T_EQ_STR(answer, "Answer<");
    T_EQ_INT(r->n_thought, 1);
    T_EQ_INT(r->thought_pos[0], 1);
    T_EQ_INT(r->pos[0], 2);                 /* "Hmm" */
    free(r);
    /* a model that never thinks: all answer */
    const char *c[] = {"Just", " text"};
    r = calloc(1, sizeof *r);
    r->s = s;
    pd_session_route_test(s, c, 2, false, on_ev, r);
    T_EQ_INT(r->n_thought, 0);
    T_CHECK(r->n_tok == 2 && r->kind[0] == 'a' && r->kind[1] == 'a');
    free(r);
    pd_session_free(s);
    pd_model_close(m);
}

static void test_session_seed(void)
{
    NEED_MODEL(m, "ds3-Q4_K_M.gguf", 0);
    pd_params p = base_params();
    p.temperature = 0.9f;
    p.seed = 7;
    pd_session *a, *b;
    T_CHECK(pd_session_new(m, &p, &a) == PD_OK);
    rec *ra = gen(a, "Hi", NULL);
    pd_session_free(a);
    T_CHECK(pd_session_new(m, &p, &b) == PD_OK);
    rec *rb = gen(b, "Hi", NULL);
    T_CHECK(ra->n_text == rb->n_text && memcmp(ra->text, rb->text, (size_t)ra->n_text) == 0);
    pd_session_clear(b);
    p.seed = 8;
    pd_session_set_params(b, &p);
    rec *rc = gen(b, "Hi", NULL);
    T_CHECK(rc->n_text != ra->n_text || memcmp(ra->text, rc->text, (size_t)ra->n_text) != 0);
    free(ra); free(rb); free(rc);
    pd_session_free(b);
    pd_model_close(m);
}

static bool same_text(const rec *a, const rec *b)
{
    return a->n_text == b->n_text && memcmp(a->text, b->text, (size_t)a->n_text) == 0;
}

/* /ab later in a conversation: a turn rerun from the saved sampler state
 * draws what the first run drew (random stream and repetition history);
 * rerun without it, the stream has moved on. */
static void test_session_sampler_restore(void)
{
    NEED_MODEL(m, "ds3-Q4_K_M.gguf", 0);
    pd_params p = base_params();
    p.temperature = 0.9f;
    p.repeat_penalty = 1.3f;
    p.seed = 11;
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    free(gen(s, "Hi", NULL));
    T_CHECK(!pd_session_restore_sampler(s));   /* nothing saved yet */
    T_CHECK(pd_session_save_sampler(s) == PD_OK);
    rec *a = gen(s, "Go on", NULL);
    char *text = NULL;
    T_CHECK(pd_session_pop_turn(s, &text));
    free(text);
    T_CHECK(pd_session_restore_sampler(s));
    rec *b = gen(s, "Go on", NULL);
    T_CHECKF(a->n_text > 0 && same_text(a, b), "A %.*s | B %.*s (reason %d, %s)", a->n_text > 200 ? 200 : a->n_text, a->text, b->n_text > 200 ? 200 : b->n_text, b->text, (int)b->reason, b->error);
    T_CHECK(pd_session_pop_turn(s, &text));
    free(text);
    rec *c = gen(s, "Go on", NULL);
    T_CHECK(!same_text(a, c));
    free(a); free(b); free(c);
    pd_session_free(s);
    pd_model_close(m);
}

static void test_session_cancel_and_limits(void)
{
    NEED_MODEL(m, "q3moe-Q4_K_M.gguf", 64);
    pd_params p = base_params();
    p.max_tokens = 1000;
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    rec *r = calloc(1, sizeof *r);
    r->s = s;
    r->cancel_at = 5;
    T_CHECK(pd_session_generate(s, "Hi", on_ev, r) == PD_OK);
    T_CHECK(r->done && r->reason == PD_DONE_CANCELLED);
    T_EQ_INT(r->pos[r->n_tok - 1], 5);   /* stopped before the next token */
    free(r);
    /* a cancel sent just before the turn starts stops it; the next runs */
    pd_session_clear(s);
    pd_session_cancel(s);
    r = gen(s, "Hi", NULL);
    T_CHECKF(r->done && r->reason == PD_DONE_CANCELLED && r->n_tok == 0, "reason %d, %d tokens, %s", (int)r->reason, r->n_tok, r->error);
    free(r);
    p.max_tokens = 3;
    pd_session_set_params(s, &p);
    pd_session_clear(s);
    r = gen(s, "Hi", NULL);
    T_CHECK(r->done && r->reason == PD_DONE_MAX_TOKENS);
    free(r);
    p.max_tokens = 1000;
    pd_session_set_params(s, &p);
    /* the context (64) fills up: a clear error, no crash */
    pd_session_clear(s);
    pd_status st;
    r = gen(s, "Hi", &st);
    T_CHECK(st != PD_OK && r->done && r->reason == PD_DONE_ERROR);
    T_CHECKF(strstr(r->error, "context"), "%s", r->error);
    free(r);
    /* a prompt longer than the context */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    for (int i = 1; i < (int)sizeof big - 1; i += 2)
        big[i] = ' ';
    big[sizeof big - 1] = '\0';
    pd_session_clear(s);
    r = gen(s, big, &st);
    T_CHECK(st != PD_OK && r->reason == PD_DONE_ERROR && r->n_tok == 0);
    T_CHECKF(strstr(r->error, "prompt"), "%s", r->error);
    free(r);
    pd_session_free(s);
    pd_model_close(m);
}

/* The switch word of these tests: of the think tokens of a TIP-off run of
 * the random model that are a space and a word of 3+ letters, the one that
 * comes back within 50 tokens most often (so the test does not hang on one
 * trajectory of one engine version). */
static char word[48];

static void pick_word(const rec *r)
{
    int best = 0;
    word[0] = '\0';
    for (int i = 0; i < r->n_tok; i++) {
        const char *p = r->piece[i];
        if (r->kind[i] != 't' || p[0] != ' ' || strlen(p) < 4 || strspn(p + 1,
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(p) - 1)
            continue;
        int n = 0, last = -1000;
        for (int j = 0; j < r->n_tok; j++)
            if (r->kind[j] == 't' && strcmp(r->piece[j], p) == 0) {
                n += r->pos[j] - last < 50;
                last = r->pos[j];
            }
        if (n > best) {
            best = n;
            snprintf(word, sizeof word, "%s", p);
        }
    }
}

static const char *word_phrases(int group)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/ponder-test-word-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "%s\n%s\n", group == PD_GROUP_SWITCH ? "[switch]" : "[reflect]", word + 1);
    fclose(f);
    return path;
}

/* Tokens of `word`; returns how many came within `beta` tokens of the
 * window start (think start, the previous one, a thought event). */
static int word_inside_window(const rec *r, int beta, int *count)
{
    int inside = 0, psi = 0, ti = 0;
    *count = 0;
    for (int i = 0; i < r->n_tok; i++) {
        while (ti < r->n_thought && r->thought_pos[ti] <= r->pos[i])
            if (r->thought_pos[ti++] > psi)
                psi = r->thought_pos[ti - 1];
        if (r->kind[i] == 't' && strcmp(r->piece[i], word) == 0) {
            (*count)++;
            if (r->pos[i] < psi + beta)
                inside++;
            psi = r->pos[i];
        }
    }
    return inside;
}

/* A fresh turn: empty conversation and empty KV cache, so that runs with
 * the same parameters follow the same trajectory. */
static rec *fresh(pd_session *s, const pd_params *p)
{
    pd_session_set_params(s, p);
    pd_session_clear(s);
    pd_session_drop_cache(s);
    return gen(s, "Hello", NULL);
}

static void test_session_tip(void)
{
    NEED_MODEL(m, "q3moe-Q4_K_M.gguf", 0);
    pd_params p = base_params();
    p.max_tokens = 300;
    p.tip_on = false;
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    rec *probe = fresh(s, &p);
    pick_word(probe);
    T_CHECKF(word[0], "no word token in the TIP-off run");
    const char *ph = word_phrases(PD_GROUP_SWITCH);
    T_CHECKF(pd_session_set_phrases(s, ph) == PD_OK, "%s", pd_errmsg());
    T_CHECKF(pd_session_tipset(s)->n >= 1, "'%s' gives no switch token", word);
    int n_off, n_on;
    rec *off = fresh(s, &p);
    int in_off = word_inside_window(off, 50, &n_off);
    printf("# switch word '%s': TIP off: %d drawn, %d inside the window\n", word, n_off, in_off);
    T_CHECKF(n_off >= 2 && in_off > 0, "TIP off: %d '%s', %d inside", n_off, word, in_off);
    T_EQ_INT(off->n_suppressed, 0);
    p.tip_on = true;
    p.tip_alpha = 100;
    p.tip_beta = 50;
    rec *on = fresh(s, &p);
    int in_on = word_inside_window(on, 50, &n_on);
    printf("# TIP on (alpha 100, beta 50): %d drawn, %d inside, %d suppressed\n", n_on,
           in_on, on->n_suppressed);
    T_EQ_INT(in_on, 0);
    /* greedy: both runs agree up to the first switch token inside a window
     * of the TIP-off run, which TIP then suppresses */
    T_CHECK(on->n_suppressed > 0);
    T_EQ_INT(on->last.suppressed, on->n_suppressed);
    /* switched on live at position 100: the same tokens as TIP off up to
     * there, the word never after */
    p.tip_on = false;
    pd_session_set_params(s, &p);
    pd_session_clear(s);
    pd_session_drop_cache(s);
    rec *live = calloc(1, sizeof *live);
    live->s = s;
    live->tip_on_at = 100;
    pd_session_generate(s, "Hello", on_ev, live);
    int before = 0, after = 0, off_before = 0;
    for (int i = 0; i < live->n_tok; i++)
        if (strcmp(live->piece[i], word) == 0)
            *(live->pos[i] <= 100 ? &before : &after) += 1;
    for (int i = 0; i < off->n_tok; i++)
        off_before += off->pos[i] <= 100 && strcmp(off->piece[i], word) == 0;
    T_EQ_INT(before, off_before);
    T_EQ_INT(after, 0);
    T_CHECK(live->last.think_tokens + live->last.answer_tokens > 250);
    /* --no-wait: a [reflect] word never appears in think */
    T_CHECK(pd_session_set_phrases(s, word_phrases(PD_GROUP_REFLECT)) == PD_OK);
    p.tip_on = false;
    p.no_wait = true;
    rec *nw = fresh(s, &p);
    int n_nw;
    word_inside_window(nw, 50, &n_nw);
    T_EQ_INT(n_nw, 0);
    remove(ph);
    free(probe); free(off); free(on); free(live); free(nw);
    pd_session_free(s);
    pd_model_close(m);
}

static void test_session_budget(void)
{
    NEED_MODEL(m, "ds3-Q4_K_M.gguf", 0);
    pd_params p = base_params();
    p.max_tokens = 40;
    p.think_budget = 10;
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    rec *r = gen(s, "Hello", NULL);
    T_CHECK(r->done);
    T_EQ_INT(r->last.think_tokens, 10);
    T_CHECK(r->last.answer_tokens > 0);
    int last_think = -1, first_answer = -1;
    for (int i = 0; i < r->n_tok; i++) {
        if (r->kind[i] == 't') last_think = r->pos[i];
        if (r->kind[i] == 'a' && first_answer < 0) first_answer = r->pos[i];
    }
    T_CHECK(last_think <= 9 && first_answer > last_think);
    T_CHECK(!strstr(r->text, "</think>"));
    free(r);
    pd_session_free(s);
    pd_model_close(m);
}

/* --------------------------------------------------------------- eval -- */

static pd_eval_set *load_set(const char *text, pd_status *st)
{
    char path[256];
    snprintf(path, sizeof path, "/tmp/ponder-test-set-%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    pd_eval_set *set = NULL;
    *st = pd_eval_load(path, &set);
    remove(path);
    return set;
}

static void test_eval_load(void)
{
    pd_status st;
    pd_eval_set *set = load_set("{\"prompt\": \"What is 2 + 3?\", \"answer\": 5}\n\n"
                                "{\"prompt\": \"Colour?\", \"answer\": \"red\", \"x\": 1}\n"
                                "{\"prompt\": \"Half\", \"answer\": 0.5}\n"
                                "{\"prompt\": \"Neg\", \"answer\": \" -12 \"}\n", &st);
    T_CHECKF(st == PD_OK, "%s", pd_errmsg());
    T_EQ_INT(set->n, 4);
    T_EQ_STR(set->v[0].answer, "5");
    T_CHECK(set->v[0].numeric && set->v[0].value == 5);
    T_CHECK(!set->v[1].numeric);
    T_CHECK(set->v[2].numeric && set->v[2].value == 0.5);
    T_CHECK(set->v[3].numeric && set->v[3].value == -12);
    pd_eval_set_free(set);
    set = load_set("{\"prompt\": \"a\", \"answer\": 1}\n{\"prompt\": \"b\", \"answer\": [1]}\n", &st);
    T_CHECK(st == PD_EFORMAT && !set && strstr(pd_errmsg(), ":2:"));
    set = load_set("{\"prompt\": \"a\", \"answer\": 1}\n{oops\n", &st);
    T_CHECK(st == PD_EFORMAT && strstr(pd_errmsg(), ":2:"));
    set = load_set("{\"answer\": 1}\n", &st);
    T_CHECK(st == PD_EFORMAT && strstr(pd_errmsg(), "prompt"));
    set = load_set("\n\n", &st);
    T_CHECK(st == PD_EFORMAT && strstr(pd_errmsg(), "no items"));
    /* a number is what the answer check reads as one: "1e5" and "0x10" are
     * text (the check reads "1e5" as 5), "1,000" and "+7" are numbers */
    set = load_set("{\"prompt\": \"a\", \"answer\": \"1e5\"}\n"
                   "{\"prompt\": \"b\", \"answer\": \"0x10\"}\n"
                   "{\"prompt\": \"c\", \"answer\": \"1,000\"}\n"
                   "{\"prompt\": \"d\", \"answer\": \"+7\"}\n", &st);
    T_CHECKF(st == PD_OK, "%s", pd_errmsg());
    T_CHECK(!set->v[0].numeric && !set->v[1].numeric);
    T_CHECK(set->v[2].numeric && set->v[2].value == 1000);
    T_CHECK(set->v[3].numeric && set->v[3].value == 7);
    T_CHECK(pd_eval_answer_correct(&set->v[0], "1e5", 3));
    pd_eval_set_free(set);
}

static bool ans(const char *expected, bool numeric, double v, const char *text)
{
    pd_eval_item it = {.answer = (char *)expected, .numeric = numeric, .value = v};
    return pd_eval_answer_correct(&it, text, strlen(text));
}

static bool th(const char *expected, bool numeric, double v, const char *text)
{
    pd_eval_item it = {.answer = (char *)expected, .numeric = numeric, .value = v};
    return pd_eval_thought_correct(&it, text, strlen(text));
}

static void test_eval_checks(void)
{
    T_CHECK(ans("42", true, 42, " 42 "));
    T_CHECK(ans("1234", true, 1234, "The answer is 1,234."));
    T_CHECK(!ans("12", true, 12, "12, no: 15"));        /* the last number counts */
    T_CHECK(ans("-7", true, -7, "x = -7"));
    T_CHECK(ans("7", true, 7, "5-7... no, 7"));
    T_CHECK(!ans("-7", true, -7, "5-7"));               /* a minus between numbers */
    T_CHECK(ans("3.5", true, 3.5, "3.50"));
    T_CHECK(!ans("3", true, 3, "no number"));
    T_CHECK(ans("red", false, 0, "  Red\n"));
    T_CHECK(!ans("red", false, 0, "red."));
    T_CHECK(th("17532", true, 17532, "so 487*36 = 17532, then"));
    T_CHECK(th("17532", true, 17532, "17,532"));
    T_CHECK(!th("753", true, 753, "so 487*36 = 17532, then"));
    T_CHECK(!th("3", true, 3, "1,2,4,5"));
    T_CHECK(th("3", true, 3, "1,2,3,5"));
    T_CHECK(th("red", false, 0, "maybe it is RED, or"));
    T_CHECK(!th("red", false, 0, "it is reddish"));
}

static void test_eval_ut(void)
{
    pd_eval_item it = {.answer = "17532", .numeric = true, .value = 17532};
    pd_eval_piece pc[30];
    for (int i = 0; i < 30; i++)
        pc[i] = (pd_eval_piece){i, " x", 2};
    pc[14] = (pd_eval_piece){14, " 17532", 6};
    int starts[3] = {0, 10, 20};
    /* first correct thought is 1 (tokens 10..19): T̂ = 20, T = 30 */
    T_NEAR(pd_eval_ut(&it, starts, 3, pc, 30), 1 - 20.0 / 30, 1e-12);
    pc[3] = (pd_eval_piece){3, " 17532", 6};
    T_NEAR(pd_eval_ut(&it, starts, 3, pc, 30), 1 - 10.0 / 30, 1e-12);
    pc[3] = pc[14] = (pd_eval_piece){3, " 1753", 5};
    pc[14].pos = 14;
    T_NEAR(pd_eval_ut(&it, starts, 3, pc, 30), 0, 0);   /* no correct thought */
    pc[29] = (pd_eval_piece){29, "17532", 5};           /* correct in the last */
    T_NEAR(pd_eval_ut(&it, starts, 3, pc, 30), 0, 1e-12);
    /* a think block that starts at 5 (the model opened <think>) */
    int s5[2] = {5, 15};
    pd_eval_piece q[20];
    for (int i = 0; i < 20; i++)
        q[i] = (pd_eval_piece){5 + i, i == 2 ? "17532" : "y", i == 2 ? 5 : 1};
    T_NEAR(pd_eval_ut(&it, s5, 2, q, 20), 1 - 10.0 / 20, 1e-12);
    T_NEAR(pd_eval_ut(&it, s5, 0, q, 20), 0, 0);
}

static void test_eval_run(void)
{
    NEED_MODEL(m, "q3moe-Q4_K_M.gguf", 0);
    pd_status st;
    pd_eval_set *set = load_set("{\"prompt\": \"What is 2 + 3?\", \"answer\": 5}\n"
                                "{\"prompt\": \"Hello\", \"answer\": \"person\"}\n", &st);
    T_CHECK(st == PD_OK);
    pd_params p = base_params();
    p.max_tokens = 60;
    pd_session *s;
    T_CHECK(pd_session_new(m, &p, &s) == PD_OK);
    pd_eval_result a, b;
    T_CHECK(pd_eval_run(s, set, &p, 2, NULL, NULL, &a) == PD_OK);
    T_EQ_INT(a.n, 4);
    T_EQ_INT(a.n_correct + a.n_wrong, 4);
    T_NEAR(a.think_tokens, 60, 0);       /* never stops thinking in 60 tokens */
    T_CHECK(a.thoughts >= 1);
    T_CHECK(a.ut_score >= 0 && a.ut_score <= 1);
    T_CHECK(a.tok_per_s > 0);
    T_CHECK(pd_eval_run(s, set, &p, 2, NULL, NULL, &b) == PD_OK);
    T_NEAR(b.ut_score, a.ut_score, 0);   /* reproducible */
    T_NEAR(b.thoughts, a.thoughts, 0);
    pd_session_free(s);
    pd_eval_set_free(set);
    pd_model_close(m);
}

int main(void)
{
    T_RUN(test_event_names);
    T_RUN(test_event_json);
    T_RUN(test_event_json_stats_and_truncation);
    T_RUN(test_session_basic);
    T_RUN(test_session_router);
    T_RUN(test_session_seed);
    T_RUN(test_session_sampler_restore);
    T_RUN(test_session_cancel_and_limits);
    T_RUN(test_session_tip);
    T_RUN(test_session_budget);
    T_RUN(test_eval_load);
    T_RUN(test_eval_checks);
    T_RUN(test_eval_ut);
    T_RUN(test_eval_run);
    T_DONE();
}
