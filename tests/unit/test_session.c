/* test_session.c - the JSONL form of events, and generation sessions on the
 * oracle's random-weight models (think/answer routing, stops, cancel, KV
 * prefix reuse, reproducibility, TIP's effect). */
#include "t.h"
#include "ponder.h"

#include <jansson.h>

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

int main(void)
{
    T_RUN(test_event_names);
    T_RUN(test_event_json);
    T_RUN(test_event_json_stats_and_truncation);
    T_DONE();
}
