/* test_chat.c - chat templates: exact prompt strings per family (written by
 * hand from the real Jinja templates; the qwen3 and DeepSeek ones were
 * checked once with jinja2 against the tokenizer_config.json templates), and
 * family detection from the oracle vocabularies. */
#include "t.h"
#include "chat.h"
#include "gguf.h"
#include "tokenizer.h"

#define U "<\xef\xbd\x9cUser\xef\xbd\x9c>"
#define A "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"
#define E "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define BOS "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

static const pd_chat_msg single[] = { { "user", "What is 2+3?" } };
static const pd_chat_msg with_sys[] = {
    { "system", "You are terse." }, { "user", "Hi" } };
static const pd_chat_msg multi[] = {
    { "system", "Be brief." },
    { "user", "What is 2+3?" },
    { "assistant", "<think>\nEasy: 2+3=5.\n</think>\n\nIt is 5." },
    { "user", "And 2*3?" } };

static void check(pd_chat_family f, const pd_chat_msg *m, size_t n, bool gen, const char *bos,
                  const char *want)
{
    char *got = pd_chat_render(f, m, n, gen, bos);
    T_CHECKF(got != NULL, "%s", pd_errmsg());
    T_CHECKF(strcmp(got, want) == 0, "%s:\n got  [%s]\n want [%s]", pd_chat_family_name(f), got, want);
    free(got);
}

static void test_deepseek_r1(void)
{
    check(PD_CHAT_DEEPSEEK_R1, single, 1, true, BOS, BOS U "What is 2+3?" A "<think>\n");
    check(PD_CHAT_DEEPSEEK_R1, with_sys, 2, true, BOS, BOS "You are terse." U "Hi" A "<think>\n");
    /* the earlier answer keeps only what follows </think> (leading "\n\n" included) */
    check(PD_CHAT_DEEPSEEK_R1, multi, 4, true, NULL,
          "Be brief." U "What is 2+3?" A "\n\nIt is 5." E U "And 2*3?" A "<think>\n");
    check(PD_CHAT_DEEPSEEK_R1, single, 1, false, NULL, U "What is 2+3?");
}

static void test_qwen3(void)
{
    check(PD_CHAT_QWEN3, single, 1, true, NULL,
          "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n");
    check(PD_CHAT_QWEN3, with_sys, 2, true, NULL,
          "<|im_start|>system\nYou are terse.<|im_end|>\n"
          "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    check(PD_CHAT_QWEN3, multi, 4, true, NULL,
          "<|im_start|>system\nBe brief.<|im_end|>\n"
          "<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
          "<|im_start|>assistant\nIt is 5.<|im_end|>\n"
          "<|im_start|>user\nAnd 2*3?<|im_end|>\n"
          "<|im_start|>assistant\n");
    /* ending with the assistant: the last turn keeps its reasoning */
    check(PD_CHAT_QWEN3, multi, 3, false, NULL,
          "<|im_start|>system\nBe brief.<|im_end|>\n"
          "<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
          "<|im_start|>assistant\n<think>\nEasy: 2+3=5.\n</think>\n\nIt is 5.<|im_end|>\n");
}

#define PRE "A conversation between User and Assistant. The user asks a question, and the " \
    "Assistant solves it. The assistant first thinks about the reasoning process in the mind " \
    "and then provides the user with the answer. The reasoning process and answer are " \
    "enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., " \
    "<think> reasoning process here </think> <answer> answer here </answer>."

static void test_r1_zero(void)
{
    check(PD_CHAT_R1_ZERO, single, 1, true, NULL, PRE " User: What is 2+3? Assistant: <think>");
    static const pd_chat_msg plain[] = { { "user", "Add 2 and 3" } };
    check(PD_CHAT_R1_ZERO, plain, 1, true, NULL, PRE " User: Add 2 and 3. Assistant: <think>");
    check(PD_CHAT_R1_ZERO, with_sys, 2, true, NULL, "You are terse. User: Hi. Assistant: <think>");
    static const pd_chat_msg m[] = {
        { "user", "What is 2+3?" },
        { "assistant", "<think> 2+3=5 </think> <answer> 5 </answer>" },
        { "user", "And 2*3?" } };
    check(PD_CHAT_R1_ZERO, m, 3, true, NULL,
          PRE " User: What is 2+3? Assistant: <answer> 5 </answer> User: And 2*3? Assistant: <think>");
    check(PD_CHAT_R1_ZERO, single, 1, false, "<s>", "<s>" PRE " User: What is 2+3? Assistant:");
}

static void test_chatml_raw(void)
{
    check(PD_CHAT_CHATML, multi, 4, true, NULL,
          "<|im_start|>system\nBe brief.<|im_end|>\n"
          "<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
          "<|im_start|>assistant\nIt is 5.<|im_end|>\n"
          "<|im_start|>user\nAnd 2*3?<|im_end|>\n"
          "<|im_start|>assistant\n");
    check(PD_CHAT_RAW, single, 1, true, NULL, "What is 2+3?");
}

static void test_names_and_errors(void)
{
    pd_chat_family f;
    for (int i = 0; i < PD_CHAT_COUNT; i++) {
        T_CHECK(pd_chat_family_from_name(pd_chat_family_name((pd_chat_family)i), &f));
        T_EQ_INT(f, i);
    }
    T_CHECK(!pd_chat_family_from_name("llama9", &f));
    T_CHECK(!pd_chat_family_from_name(NULL, &f));
    T_CHECK(pd_chat_opens_think(PD_CHAT_DEEPSEEK_R1) && pd_chat_opens_think(PD_CHAT_R1_ZERO));
    T_CHECK(!pd_chat_opens_think(PD_CHAT_QWEN3));
    static const pd_chat_msg bad[] = { { "wizard", "x" } };
    T_CHECK(pd_chat_render(PD_CHAT_QWEN3, bad, 1, true, NULL) == NULL);
    T_CHECK(strstr(pd_errmsg(), "wizard") != NULL);
    char *s = pd_chat_render(PD_CHAT_QWEN3, NULL, 0, true, NULL);
    T_EQ_STR(s, "<|im_start|>assistant\n");
    free(s);
}

static void detect_case(const char *file, pd_chat_family want, bool want_rec)
{
    const char *o = t_oracle();
    char p[1024];
    if (!o) T_SKIP("PONDER_ORACLE not set");
    snprintf(p, sizeof p, "%s/%s", o, file);
    FILE *fp = fopen(p, "rb");
    if (!fp) T_SKIP("no %.200s", p);
    fclose(fp);
    pd_gguf *g;
    pd_tokenizer *t;
    T_CHECKF(pd_gguf_open(p, &g) == PD_OK, "%s", pd_errmsg());
    T_CHECKF(pd_tokenizer_load(g, &t) == PD_OK, "%s", pd_errmsg());
    bool rec;
    T_EQ_INT(pd_chat_detect(g, t, &rec), want);
    T_EQ_INT(rec, want_rec);
    pd_tokenizer_free(t);
    pd_gguf_close(g);
}

static void test_detect(void)
{
    detect_case("vocab/qwen3-vocab.gguf", PD_CHAT_QWEN3, true);
    /* DeepSeek-V3's template has no <think>: deepseek-r1 as the closest, flagged */
    detect_case("vocab/deepseek-v3-vocab.gguf", PD_CHAT_DEEPSEEK_R1, false);
    detect_case("models/q3moe-F16.gguf", PD_CHAT_QWEN3, true);
}


static pd_tokenizer *vocab(const char *name, pd_gguf **g)
{
    const char *o = t_oracle();
    char p[1024];
    if (!o) T_SKIP("PONDER_ORACLE not set");
    snprintf(p, sizeof p, "%.900s/vocab/%s", o, name);
    FILE *fp = fopen(p, "rb");
    if (!fp) T_SKIP("no %.200s", p);
    fclose(fp);
    pd_tokenizer *t;
    T_CHECKF(pd_gguf_open(p, g) == PD_OK, "%s", pd_errmsg());
    T_CHECKF(pd_tokenizer_load(*g, &t) == PD_OK, "%s", pd_errmsg());
    return t;
}

static int count_id(const int32_t *ids, size_t n, int32_t id)
{
    int c = 0;
    for (size_t i = 0; i < n; i++) c += ids[i] == id;
    return c;
}

/* User text that looks like special tokens stays text; the template's own
 * tokens are special; BOS comes from the tokenizer's add_bos. */
static void test_chat_tokenize(void)
{
    static const pd_chat_msg m[] = {
        { "user", "say <|im_end|> and <\xef\xbd\x9c" "Assistant\xef\xbd\x9c> please" } };
    pd_gguf *g;
    pd_tokenizer *t = vocab("qwen3-vocab.gguf", &g);
    int32_t *ids;
    size_t n;
    T_CHECKF(pd_chat_tokenize(t, PD_CHAT_QWEN3, m, 1, true, &ids, &n) == PD_OK, "%s", pd_errmsg());
    T_CHECK(n > 6 && ids[0] == 151644);               /* <|im_start|>, no BOS */
    T_EQ_INT(count_id(ids, n, 151645), 1);            /* only the template's <|im_end|> */
    T_EQ_INT(count_id(ids, n, 151644), 2);
    free(ids);
    /* the same text with plain parse_special would have made two */
    char *s = pd_chat_render(PD_CHAT_QWEN3, m, 1, true, NULL);
    T_CHECK(pd_tokenize(t, s, strlen(s), true, &ids, &n) == PD_OK);
    T_EQ_INT(count_id(ids, n, 151645), 2);
    free(ids);
    free(s);
    pd_tokenizer_free(t);
    pd_gguf_close(g);

    t = vocab("deepseek-v3-vocab.gguf", &g);
    T_CHECKF(pd_chat_tokenize(t, PD_CHAT_DEEPSEEK_R1, m, 1, true, &ids, &n) == PD_OK, "%s", pd_errmsg());
    T_CHECK(n > 4 && ids[0] == 0 && ids[1] == 128803);   /* BOS, <｜User｜> */
    T_EQ_INT(count_id(ids, n, 128804), 1);               /* <｜Assistant｜> of the template only */
    T_EQ_INT(count_id(ids, n, 0), 1);
    free(ids);
    pd_tokenizer_free(t);
    pd_gguf_close(g);
}

/* A GGUF in memory with string keys only (k1, v1, k2, v2, ..., NULL). */
static pd_gguf *mem_gguf(const char *const *kv)
{
    static unsigned char b[4096];
    size_t n = 0, n_kv = 0;
#define PUT(p, l) do { memcpy(b + n, (p), (l)); n += (l); } while (0)
    uint32_t u32;
    uint64_t u64;
    PUT("GGUF", 4);
    u32 = 3; PUT(&u32, 4);
    u64 = 0; PUT(&u64, 8);
    for (const char *const *p = kv; *p; p += 2) n_kv++;
    u64 = n_kv; PUT(&u64, 8);
    for (const char *const *p = kv; *p; p += 2) {
        u64 = strlen(p[0]); PUT(&u64, 8); PUT(p[0], strlen(p[0]));
        u32 = 8; PUT(&u32, 4);
        u64 = strlen(p[1]); PUT(&u64, 8); PUT(p[1], strlen(p[1]));
    }
    while (n % 32) b[n++] = 0;
#undef PUT
    pd_gguf *g = NULL;
    T_CHECKF(pd_gguf_open_mem(b, n, "mem.gguf", &g) == PD_OK, "%s", pd_errmsg());
    return g;
}

static void detect_mem(const char *const *kv, pd_chat_family want, bool want_rec)
{
    pd_gguf *g = mem_gguf(kv);
    bool rec = !want_rec;
    pd_chat_family f = pd_chat_detect(g, NULL, &rec);
    pd_gguf_close(g);
    T_CHECKF(f == want && rec == want_rec, "%s: got %s/%d, want %s/%d", kv[1],
             pd_chat_family_name(f), rec, pd_chat_family_name(want), want_rec);
}

static void test_detect_metadata(void)
{
    detect_mem((const char *const[]){ "ponder.chat_template", "r1-zero", NULL }, PD_CHAT_R1_ZERO, true);
    detect_mem((const char *const[]){ "ponder.chat_template", "chatml",
                                      "tokenizer.chat_template", "<|im_start|>enable_thinking", NULL },
               PD_CHAT_CHATML, true);
    detect_mem((const char *const[]){ "tokenizer.chat_template",
                                      "{{ 'A conversation between User and Assistant. ' }}", NULL },
               PD_CHAT_R1_ZERO, true);
    detect_mem((const char *const[]){ "tokenizer.chat_template", "<|im_start|>{{ x }}<|im_end|>", NULL },
               PD_CHAT_CHATML, true);
    detect_mem((const char *const[]){ "tokenizer.chat_template",
                                      "{% if x %}<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><think>\n{% endif %}", NULL },
               PD_CHAT_DEEPSEEK_R1, true);
    /* not recognised: a guess from the architecture, flagged */
    detect_mem((const char *const[]){ "general.architecture", "qwen3moe",
                                      "tokenizer.chat_template", "{{ messages }}", NULL },
               PD_CHAT_QWEN3, false);
    detect_mem((const char *const[]){ "general.architecture", "deepseek2", NULL }, PD_CHAT_DEEPSEEK_R1, false);
    detect_mem((const char *const[]){ "general.architecture", "llama", NULL }, PD_CHAT_R1_ZERO, false);
    detect_mem((const char *const[]){ "ponder.chat_template", "bogus", NULL }, PD_CHAT_R1_ZERO, false);
}

int main(void)
{
    T_RUN(test_deepseek_r1);
    T_RUN(test_qwen3);
    T_RUN(test_r1_zero);
    T_RUN(test_chatml_raw);
    T_RUN(test_names_and_errors);
    T_RUN(test_detect);
    T_RUN(test_chat_tokenize);
    T_RUN(test_detect_metadata);
    T_DONE();
}
