/* test_ui.c - the front end's pure parts: wrapping, UTF-8 checks of typed
 * bytes, the transcript built from events, panes and scrolling, layout, the
 * status line, command parsing, themes, the config file, transcripts on
 * disk, and /ab, busy turns and /model through the app on the scripted fake
 * engine (tests/tui/fake_engine.c). */
#include "t.h"
#include "../../ui/app.h"
#include "../../ui/pane.h"
#include "../../ui/theme.h"

#include <locale.h>
#include <unistd.h>

static char tmpdir[256];

static void strip_marks(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 1 < size; s++) {
        if (*s == UI_MARK) { if (s[1]) s++; continue; }
        out[o++] = *s;
    }
    out[o] = '\0';
}

static void test_wrap(void)
{
    ui_lines l = {0};
    ui_wrap(&l, "the quick brown fox jumps over the lazy dog", 10, UI_ROLE_THINK);
    T_CHECK(l.n >= 5);
    char s[256];
    for (int i = 0; i < l.n; i++) {
        T_CHECK(ui_text_width(l.v[i].s) <= 10);
        strip_marks(l.v[i].s, s, sizeof s);
        T_CHECK(s[0] != ' ');
    }
    strip_marks(l.v[0].s, s, sizeof s);
    T_EQ_STR(s, "the quick");
    ui_lines_clear(&l);
    /* wide characters: 2 columns each, never split past the width */
    ui_wrap(&l, "\xe7\xad\x94\xe6\xa1\x88\xe7\xad\x94\xe6\xa1\x88\xe7\xad\x94", 5, UI_ROLE_ANSWER);
    T_EQ_INT(l.n, 3);
    T_EQ_INT(ui_text_width(l.v[0].s), 4);
    ui_lines_clear(&l);
    /* a long word is cut; newlines make paragraphs, empty ones included */
    ui_wrap(&l, "abcdefghijkl\n\nx", 5, UI_ROLE_ANSWER);
    T_EQ_INT(l.n, 5);
    ui_lines_clear(&l);
    /* a role switch carries over to the next line */
    ui_buf b = {0};
    ui_buf_puts(&b, "aaaa ");
    ui_buf_role(&b, UI_ROLE_TRIGGER);
    ui_buf_puts(&b, "bbbb cccc");
    ui_wrap(&l, b.s, 5, UI_ROLE_THINK);
    T_EQ_INT(l.n, 3);
    T_EQ_INT(l.v[2].s[1], '0' + UI_ROLE_TRIGGER);
    ui_buf_free(&b);
    ui_lines_free(&l);
}

static void test_sanitize_and_counts(void)
{
    ui_buf b = {0};
    ui_sanitize_append(&b, "a\x1b[31mb\tc\xff\n\x7f", 12);
    T_EQ_STR(b.s, "a [31mb    c\xef\xbf\xbd\n ");
    ui_buf_free(&b);
    char s[32];
    ui_fmt_count(s, sizeof s, 1804);
    T_EQ_STR(s, "1,804");
    ui_fmt_count(s, sizeof s, 1234567);
    T_EQ_STR(s, "1,234,567");
    ui_fmt_count(s, sizeof s, 999);
    T_EQ_STR(s, "999");
}

/* Bytes decoded at once, each invalid one as U+FFFD (ui_sanitize_append's
 * rule, controls kept). */
static void utf8_at_once(const char *s, size_t n, ui_buf *out)
{
    for (size_t i = 0; i < n;) {
        unsigned wc;
        int k = ui_utf8_decode(s + i, n - i, &wc);
        if (wc == 0xfffd && k == 1 && (unsigned char)s[i] >= 0x80)
            ui_buf_append(out, "\xef\xbf\xbd", 3);
        else
            ui_buf_append(out, s + i, (size_t)k);
        i += (size_t)k;
    }
}

/* Typed bytes in pieces: each invalid byte becomes U+FFFD and nothing after
 * it is lost (curses' get_wch lost the rest). */
static void test_utf8_stream(void)
{
    ui_utf8_stream u = {0};
    ui_buf b = {0};
    ui_utf8_stream_feed(&u, "caf\xe9 au lait", 12, &b);
    T_EQ_STR(b.s, "caf\xef\xbf\xbd au lait");
    ui_buf_free(&b);
    ui_utf8_stream_feed(&u, "abc\xff" "def", 7, &b);
    ui_utf8_stream_feed(&u, "ghi", 3, &b);
    T_EQ_STR(b.s, "abc\xef\xbf\xbd" "defghi");
    ui_buf_free(&b);
    /* a character split between two reads waits for its end */
    ui_utf8_stream_feed(&u, "x\xe7\xad", 3, &b);
    T_EQ_STR(b.s, "x");
    T_EQ_INT(u.n, 2);
    ui_utf8_stream_feed(&u, "\x94\x1b[A", 4, &b);
    T_EQ_STR(b.s, "x\xe7\xad\x94\x1b[A");   /* controls pass: they are keys */
    ui_buf_free(&b);
    /* an end that never comes: one U+FFFD per held byte */
    ui_utf8_stream_feed(&u, "\xf0\x9f\x98", 3, &b);
    T_CHECK(b.len == 0 && ui_utf8_stream_flush(&u, &b));
    T_EQ_STR(b.s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    T_CHECK(!ui_utf8_stream_flush(&u, &b) && u.n == 0);
    ui_buf_free(&b);
    /* any bytes, cut anywhere: the same text as decoding them at once */
    static const unsigned char pool[] = {'a', ' ', 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf,
                                         0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    unsigned seed = 12345;
    for (int round = 0; round < 2000; round++) {
        char in[24];
        int n = 1 + round % 23;
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)pool[(seed >> 16) % sizeof pool];
        }
        ui_buf want = {0}, got = {0};
        utf8_at_once(in, (size_t)n, &want);
        for (int i = 0; i < n;) {
            seed = seed * 1103515245u + 12345u;
            int k = 1 + (int)((seed >> 16) % 4);
            if (k > n - i)
                k = n - i;
            ui_utf8_stream_feed(&u, in + i, (size_t)k, &got);
            i += k;
        }
        ui_utf8_stream_flush(&u, &got);
        T_CHECKF(strcmp(ui_buf_str(&got), ui_buf_str(&want)) == 0, "round %d", round);
        ui_buf_free(&want);
        ui_buf_free(&got);
    }
}

static void ev_think(ui_transcript *t, const char *s, int pos)
{
    pd_event ev = {.type = PD_EV_THINK, .text = s, .len = strlen(s), .position = pos};
    ui_turn_event(t, NULL, &ev);
}

static void ev_thought(ui_transcript *t, int index, int pos, const char *trigger)
{
    pd_event ev = {.type = PD_EV_THOUGHT, .index = index, .position = pos, .trigger = trigger,
                   .group = index ? PD_GROUP_SWITCH : 0};
    ui_turn_event(t, NULL, &ev);
}

/* A turn: #0 at 0, "Alternatively" at 10 (reported after its text), "Wait"
 * at 25 (reported before), one suppressed switch, 40 think tokens. */
static void make_turn(ui_transcript *t)
{
    pd_params p;
    pd_params_default(&p);
    ui_transcript_begin_turn(t, "What is 12 + 35?", &p);
    ev_thought(t, 0, 0, "");
    ev_think(t, "Let me add.", 1);
    ev_think(t, " Alternatively", 10);
    ev_thought(t, 1, 10, "Alternatively");
    ev_think(t, ", count up.", 11);
    pd_event sup = {.type = PD_EV_SUPPRESSED, .position = 20, .piece = " Hmm"};
    ui_turn_event(t, NULL, &sup);
    ev_thought(t, 2, 25, "Wait");
    ev_think(t, "\nWait, 47.", 25);
    pd_event a = {.type = PD_EV_ANSWER, .text = "47", .len = 2};
    ui_turn_event(t, NULL, &a);
    pd_stats st = {.tok_per_s = 12.5, .think_tokens = 40, .answer_tokens = 2, .thoughts = 3,
                   .switches = 2, .suppressed = 1};
    pd_event done = {.type = PD_EV_DONE, .stats = &st, .reason = PD_DONE_EOS};
    ui_turn_event(t, NULL, &done);
}

static void test_transcript(void)
{
    ui_transcript t = {0};
    make_turn(&t);
    ui_turn *turn = ui_transcript_last_turn(&t);
    T_EQ_INT(turn->n_th, 3);
    T_EQ_STR(turn->th[0].text.s, "Let me add.");        /* the trigger moved over */
    T_CHECK(strncmp(turn->th[1].text.s, "Alternatively, count up.", 24) == 0);
    T_EQ_INT(turn->th[1].n_suppressed, 1);
    T_EQ_INT(ui_thought_tokens(turn, 0), 10);
    T_EQ_INT(ui_thought_tokens(turn, 1), 15);
    T_EQ_INT(ui_thought_tokens(turn, 2), 15);
    char s[256];
    ui_thought_header(turn, 1, s, sizeof s);
    T_EQ_STR(s, "#1 \xc2\xb7 15 tok \xc2\xb7 \"Alternatively\" \xc2\xb7 1 suppressed");
    ui_turn_summary(turn, s, sizeof s);
    T_EQ_STR(s, "3 thoughts \xc2\xb7 40 tok \xc2\xb7 1 suppressed");
    T_EQ_STR(turn->answer.s, "47");
    ui_transcript_free(&t);
}

/* The demo model's A turn: the trigger " Alternatively" (position 19) and
 * the "," after it stream before the thought is reported at 19; 44 tokens
 * inside <think>. Thought lengths come from positions, so they add up to
 * the engine's count, while streaming as at the end. */
static void test_thought_counts(void)
{
    ui_transcript t = {0};
    ui_transcript_begin_turn(&t, "What is 513 + 489?", NULL);
    ev_thought(&t, 0, 0, "");
    for (int pos = 0; pos < 19; pos++)
        ev_think(&t, pos == 18 ? " carry 1." : " x", pos);
    ev_think(&t, " Alternatively", 19);
    ev_think(&t, ",", 20);
    ev_thought(&t, 1, 19, "Alternatively");
    ui_turn *turn = ui_transcript_last_turn(&t);
    T_EQ_INT(ui_thought_tokens(turn, 0), 19);
    T_EQ_INT(ui_thought_tokens(turn, 1), 2);   /* so far: 19 and 20 */
    for (int pos = 21; pos < 44; pos++)
        ev_think(&t, " y", pos);
    pd_stats st = {.think_tokens = 32};         /* stats streamed a while ago */
    pd_event sev = {.type = PD_EV_STATS, .stats = &st};
    ui_turn_event(&t, NULL, &sev);
    T_EQ_INT(ui_thought_tokens(turn, 1), 25);  /* the text is ahead of them */
    T_EQ_INT(ui_turn_think_tokens(turn), 44);
    pd_event a = {.type = PD_EV_ANSWER, .text = "1013", .len = 4, .position = 48};
    ui_turn_event(&t, NULL, &a);
    st.think_tokens = 44;
    st.answer_tokens = 9;
    pd_event done = {.type = PD_EV_DONE, .stats = &st, .reason = PD_DONE_EOS};
    ui_turn_event(&t, NULL, &done);
    T_EQ_INT(ui_thought_tokens(turn, 0), 19);
    T_EQ_INT(ui_thought_tokens(turn, 1), 25);
    T_EQ_INT(ui_turn_think_tokens(turn), 44);
    char s[256];
    ui_thought_header(turn, 0, s, sizeof s);
    T_EQ_STR(s, "#0 \xc2\xb7 19 tok");
    ui_turn_summary(turn, s, sizeof s);
    T_EQ_STR(s, "2 thoughts \xc2\xb7 44 tok \xc2\xb7 0 suppressed");
    ui_buf tab = {0};
    ui_ab_table(turn, turn, &tab);
    T_CHECKF(strstr(tab.s, "think tok    44             44\n"), "%s", tab.s);
    ui_buf_free(&tab);
    /* thinking that opens later than position 0 (the model wrote <think>) */
    ui_transcript_begin_turn(&t, "later", NULL);
    ev_think(&t, "a", 3);
    ev_thought(&t, 1, 5, "Wait");
    ev_think(&t, "Wait", 5);
    st.think_tokens = 7;
    ui_turn_event(&t, NULL, &done);
    turn = ui_transcript_last_turn(&t);
    T_EQ_INT(ui_thought_tokens(turn, 0), 2);
    T_EQ_INT(ui_thought_tokens(turn, 1), 5);
    ui_transcript_free(&t);
}

static bool pane_has(const ui_pane *p, const char *needle)
{
    char s[1024];
    for (int i = 0; i < p->lines.n; i++) {
        strip_marks(p->lines.v[i].s, s, sizeof s);
        if (strstr(s, needle))
            return true;
    }
    return false;
}

static void test_panes_and_layout(void)
{
    ui_transcript t = {0};
    make_turn(&t);
    ui_pane panes[2];
    ui_pane_init(&panes[0], &ui_think_pane_ops);
    ui_pane_init(&panes[1], &ui_answer_pane_ops);
    ui_screen_layout sl = {24, 80, UI_LAYOUT_SIDE, UI_DISPLAY_FULL, -1, 22, 23};
    ui_layout_compute(&sl, panes);
    T_CHECK(panes[0].visible && panes[1].visible);
    T_EQ_INT(panes[0].body.w + panes[1].body.w + 1, 80);
    T_EQ_INT(panes[0].body.h, 21);
    ui_pane_ctx ctx = {&t, UI_DISPLAY_FULL};
    ui_pane_update(&panes[0], &ctx);
    ui_pane_update(&panes[1], &ctx);
    T_CHECK(pane_has(&panes[0], "#1 \xc2\xb7 15 tok \xc2\xb7 \"Alternatively\""));
    T_CHECK(pane_has(&panes[0], "Hmm]"));
    T_CHECK(pane_has(&panes[1], "What is 12 + 35?"));
    T_CHECK(pane_has(&panes[1], "47"));
    for (int i = 0; i < panes[0].lines.n; i++)
        T_CHECK(ui_text_width(panes[0].lines.v[i].s) <= panes[0].body.w);
    /* collapsed: one summary line instead of the blocks */
    ctx.display = UI_DISPLAY_COLLAPSED;
    ui_pane_update(&panes[0], &ctx);
    T_CHECK(pane_has(&panes[0], "3 thoughts \xc2\xb7 40 tok \xc2\xb7 1 suppressed"));
    T_CHECK(!pane_has(&panes[0], "#1 "));
    ui_transcript_last_turn(&t)->fold = UI_FOLD_EXPANDED;
    ui_transcript_touch(&t, ui_transcript_last_turn(&t));
    ui_pane_update(&panes[0], &ctx);
    T_CHECK(pane_has(&panes[0], "#1 "));
    /* stacked, zoomed, hidden */
    sl.layout = UI_LAYOUT_STACKED;
    ui_layout_compute(&sl, panes);
    T_EQ_INT(panes[0].body.w, 80);
    T_EQ_INT(panes[0].title.h + panes[0].body.h + panes[1].title.h + panes[1].body.h, 22);
    sl.zoom = 0;
    ui_layout_compute(&sl, panes);
    T_CHECK(panes[0].visible && !panes[1].visible);
    sl.zoom = -1;
    sl.display = UI_DISPLAY_HIDDEN;
    ui_layout_compute(&sl, panes);
    T_CHECK(!panes[0].visible && panes[1].visible);
    /* only what changed is rendered again: the first turn's lines are reused */
    ui_transcript_note(&t, UI_ROLE_NOTE, "a note");
    ui_pane_update(&panes[1], &ctx);
    const char *first_line = panes[1].lines.v[0].s;
    ui_transcript_note(&t, UI_ROLE_NOTE, "a later note");
    ui_pane_update(&panes[1], &ctx);
    T_CHECK(panes[1].lines.v[0].s == first_line);
    T_CHECK(pane_has(&panes[1], "a later note"));
    /* scrollback: follow the bottom, scroll up, back to the end */
    for (int i = 0; i < 30; i++)
        ui_transcript_note(&t, UI_ROLE_NOTE, "note %d", i);
    ui_pane_update(&panes[1], &ctx);
    int first = ui_pane_first(&panes[1]);
    T_CHECK(first > 0);
    ui_pane_scroll(&panes[1], -5);
    T_EQ_INT(ui_pane_first(&panes[1]), first - 5);
    T_EQ_INT(ui_pane_below(&panes[1]), 5);
    ui_transcript_note(&t, UI_ROLE_NOTE, "more");
    ui_pane_update(&panes[1], &ctx);
    T_EQ_INT(ui_pane_first(&panes[1]), first - 5);   /* stays put while reading */
    ui_pane_end(&panes[1]);
    T_EQ_INT(ui_pane_below(&panes[1]), 0);
    ui_pane_home(&panes[1]);
    T_EQ_INT(ui_pane_first(&panes[1]), 0);
    ui_pane_free(&panes[0]);
    ui_pane_free(&panes[1]);
    ui_transcript_free(&t);
}

/* /ab turns are shown side by side in the answer pane */
static void test_ab_columns(void)
{
    ui_transcript t = {0};
    make_turn(&t);
    snprintf(ui_transcript_last_turn(&t)->label, 32, "A \xc2\xb7 TIP off");
    make_turn(&t);
    snprintf(ui_transcript_last_turn(&t)->label, 32, "B \xc2\xb7 TIP on");
    ui_pane p;
    ui_pane_init(&p, &ui_answer_pane_ops);
    p.body = (ui_rect){1, 0, 20, 61};
    ui_pane_ctx ctx = {&t, UI_DISPLAY_FULL};
    ui_pane_update(&p, &ctx);
    char s[1024];
    strip_marks(p.lines.v[0].s, s, sizeof s);
    T_CHECKF(strstr(s, "[A \xc2\xb7 TIP off]") && strstr(s, "[B \xc2\xb7 TIP on]"), "%s", s);
    for (int i = 0; i < p.lines.n; i++)
        T_CHECKF(ui_text_width(p.lines.v[i].s) <= 61, "line %d", i);
    ui_pane_free(&p);
    ui_transcript_free(&t);
}

static void test_status(void)
{
    pd_params p;
    pd_params_default(&p);
    pd_stats st = {.tok_per_s = 41.2, .think_tokens = 1804, .answer_tokens = 12, .thoughts = 5,
                   .switches = 4, .suppressed = 2, .tip_window_left = 212};
    ui_status_info si = {"ds3-F16 \xc2\xb7 deepseek2", "cpu", &p, &st, true, "answer", false};
    char line[512];
    ui_status_format(&si, 200, line, sizeof line);
    T_CHECKF(strstr(line, "ds3-F16/cpu") && strstr(line, "41.2 tok/s") && strstr(line, "1,804") &&
             strstr(line, "\xce\xb1" "3.0") && strstr(line, "\xce\xb2" "600") &&
             strstr(line, "win 212") && strstr(line, "seed 42") && strstr(line, "2 supp"),
             "%s", line);
    for (int w = 20; w <= 120; w += 7) {
        ui_status_format(&si, w, line, sizeof line);
        T_CHECKF(ui_text_width(line) <= w, "width %d: %s", w, line);
        if (w >= 30)
            T_CHECKF(strstr(line, "TIP on"), "width %d: %s", w, line);
    }
    p.tip_on = false;
    ui_status_format(&si, 100, line, sizeof line);
    T_CHECK(strstr(line, "TIP off") && !strstr(line, "win "));
    T_CHECK(!strstr(line, "stopping"));
    /* Ctrl-C asked: said while the generation winds down, kept when narrow */
    si.stopping = true;
    ui_status_format(&si, 100, line, sizeof line);
    T_CHECKF(strncmp(line, " * stopping...", 14) == 0 && strstr(line, "TIP off"), "%s", line);
    ui_status_format(&si, 20, line, sizeof line);
    T_CHECKF(strstr(line, "stopping..."), "%s", line);
}

static void test_commands(void)
{
    ui_cmd c;
    char err[256];
    T_EQ_INT(ui_cmd_parse("/alpha 3.5", &c, err, sizeof err), 0);
    T_EQ_INT(c.id, UI_CMD_ALPHA);
    T_NEAR(c.num, 3.5, 0);
    T_EQ_INT(ui_cmd_parse("  /beta   50  ", &c, err, sizeof err), 0);
    T_EQ_INT((int)c.num, 50);
    static const char *const bad[] = {
        "/alpha", "/alpha x", "/alpha -1", "/alpha nan", "/beta 1.5", "/tip maybe", "/tip",
        "/nosuch", "/t", "/clear now", "/seed -1", "/seed 12x", "/template foo", "/theme ../x",
        "/max 0", "/top-p 2", "/", "/save", "/layout diagonal", "/expand x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        T_CHECKF(ui_cmd_parse(bad[i], &c, err, sizeof err) != 0, "%s accepted", bad[i]);
        T_CHECKF(err[0] && !strchr(err, '\n'), "%s: message '%s'", bad[i], err);
    }
    ui_cmd_parse("/nosuch", &c, err, sizeof err);
    T_CHECK(strstr(err, "unknown command"));
    T_EQ_INT(ui_cmd_parse("/q", &c, err, sizeof err), 0);
    T_EQ_INT(c.id, UI_CMD_QUIT);
    /* a script with CRLF line ends, a tab before the command */
    T_EQ_INT(ui_cmd_parse("/quit\r", &c, err, sizeof err), 0);
    T_EQ_INT(c.id, UI_CMD_QUIT);
    T_EQ_INT(ui_cmd_parse("\t/alpha 2\r\n", &c, err, sizeof err), 0);
    T_NEAR(c.num, 2, 0);
    /* an unknown name is echoed without its control bytes */
    T_CHECK(ui_cmd_parse("/no\x1b[2Jsuch", &c, err, sizeof err) != 0);
    T_CHECKF(!strchr(err, '\x1b') && strstr(err, "'/no?[2Jsuch'"), "message '%s'", err);
    /* ... and so is a bad argument with a line break (Alt-Enter) */
    T_CHECK(ui_cmd_parse("/alpha \nq", &c, err, sizeof err) != 0);
    T_CHECKF(!strchr(err, '\n') && strstr(err, "'?q'"), "message '%s'", err);
    T_EQ_INT(ui_cmd_parse("/seed 18446744073709551615", &c, err, sizeof err), 0);
    T_EQ_INT(ui_cmd_parse("/system you are terse", &c, err, sizeof err), 0);
    T_EQ_STR(c.arg, "you are terse");
    /* parameters */
    pd_params p;
    pd_params_default(&p);
    char *strings[2] = {0};
    char msg[256];
    ui_cmd_parse("/tip off", &c, err, sizeof err);
    T_CHECK(ui_cmd_apply_params(&c, &p, strings, msg, sizeof msg) && !p.tip_on);
    ui_cmd_parse("/top-k 40", &c, err, sizeof err);
    T_CHECK(ui_cmd_apply_params(&c, &p, strings, msg, sizeof msg) && p.top_k == 40);
    ui_cmd_parse("/system be brief", &c, err, sizeof err);
    T_CHECK(ui_cmd_apply_params(&c, &p, strings, msg, sizeof msg));
    T_EQ_STR(p.system, "be brief");
    ui_cmd_parse("/clear", &c, err, sizeof err);
    T_CHECK(!ui_cmd_apply_params(&c, &p, strings, msg, sizeof msg));
    free(strings[0]);
    free(strings[1]);
    /* completion */
    int st = 0;
    T_EQ_STR(ui_cmd_complete("/zo", &st), "/zoom");
    T_CHECK(ui_cmd_complete("/zo", &st) == NULL);
    st = 0;
    T_CHECK(ui_cmd_complete("/ze", &st) == NULL);
}

static void test_themes(void)
{
    ui_theme t;
    ui_theme_builtin(&t);
    char err[256];
    const char *good = "# comment\nname = x\nheader = bold 75\nheader.16 = bold cyan\n"
                       "status = black on 110\nthink = dim 245 # trailing comment\n";
    T_EQ_INT(ui_theme_parse(&t, good, err, sizeof err), 0);
    T_EQ_STR(t.name, "x");
    T_EQ_INT(t.s256[UI_ROLE_HEADER].fg, 75);
    T_CHECK(t.s256[UI_ROLE_HEADER].attrs & UI_ATTR_BOLD);
    T_EQ_INT(t.s16[UI_ROLE_HEADER].fg, 6);
    T_EQ_INT(t.s256[UI_ROLE_STATUS].bg, 110);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_HEADER, 16).fg, 6);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_STATUS, 0).bg, -1);
    T_EQ_INT(ui_theme_parse(&t, "nosuch = red\nheader = 300\nthink red\n", err, sizeof err), 3);
    T_CHECK(strstr(err, "line 1"));
    T_EQ_INT(ui_color_to16(196), 9);    /* bright red */
    T_EQ_INT(ui_color_to16(16), 0);
    T_EQ_INT(ui_color_to16(21), 12);    /* bright blue */
    T_EQ_INT(ui_color_to16(34), 2);     /* green */
    /* a 256-colour number on a .16 line: its nearest of the 16 (fuzz_theme) */
    T_EQ_INT(ui_theme_parse(&t, "error.16 = 196 on 21\n", err, sizeof err), 0);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_ERROR, 16).fg, 9);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_ERROR, 16).bg, 12);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_ERROR, 8).fg, 1);   /* bright: bold + base */
    T_CHECK(ui_theme_style(&t, UI_ROLE_ERROR, 8).attrs & UI_ATTR_BOLD);
    T_EQ_INT(ui_theme_style(&t, UI_ROLE_ERROR, 8).bg, 4);
    /* the shipped themes parse cleanly */
    static const char *const names[] = {"default", "light", "high-contrast", "mono"};
    for (int i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/themes/%s.theme", t_srcdir(), names[i]);
        T_CHECKF(ui_theme_load(&t, path, err, sizeof err) == 0, "%s: %s", names[i], err);
    }
}

static int n_warn;
static void count_warn(void *u, const char *m) { (void)u; (void)m; n_warn++; }

static void test_config(void)
{
    ui_prefs p;
    ui_prefs_default(&p);
    n_warn = 0;
    ui_prefs_parse(&p, "# c\nmodel = /m.gguf\ntheme = light\nalpha = 2.5\nbeta=300\n"
                   "layout = stacked\ndisplay = collapsed\nbogus = 1\nalpha = x\nnoequals\n",
                   count_warn, NULL);
    T_EQ_INT(n_warn, 3);
    T_EQ_STR(p.model, "/m.gguf");
    T_EQ_STR(p.theme, "light");
    T_CHECK(p.have_alpha && p.alpha == 2.5f && p.have_beta && p.beta == 300);
    T_EQ_INT(p.layout, UI_LAYOUT_STACKED);
    T_EQ_INT(p.display, UI_DISPLAY_COLLAPSED);
    char path[512];
    snprintf(path, sizeof path, "%s/cfg/ponder/config", tmpdir);
    T_EQ_INT(ui_config_set(path, "display", "hidden"), 0);
    T_EQ_INT(ui_config_set(path, "theme", "mono"), 0);
    T_EQ_INT(ui_config_set(path, "display", "full"), 0);
    char *text = ui_read_file(path, 4096, NULL);
    T_CHECK(text);
    T_CHECKF(strstr(text, "display = full\n") && strstr(text, "theme = mono\n") &&
             !strstr(text, "hidden"), "%s", text);
    free(text);
}

static void test_save_load(void)
{
    ui_transcript t = {0};
    char err[512], md[512], jl[512];
    snprintf(md, sizeof md, "%s/t.md", tmpdir);
    snprintf(jl, sizeof jl, "%s/t.jsonl", tmpdir);
    T_CHECK(ui_transcript_save(&t, md, err, sizeof err) != 0);   /* nothing yet */
    T_CHECK(access(md, F_OK) != 0);
    make_turn(&t);
    T_EQ_INT(ui_transcript_save(&t, md, err, sizeof err), 0);
    char *text = ui_read_file(md, 1 << 20, NULL);
    T_CHECK(text && strstr(text, "**#1 \xc2\xb7 15 tok \xc2\xb7 \"Alternatively\"") &&
            strstr(text, "What is 12 + 35?") && strstr(text, "### Answer\n\n47"));
    free(text);
    T_CHECK(ui_transcript_save(&t, "/nonexistent-dir/x.md", err, sizeof err) != 0);
    T_CHECK(ui_transcript_save(&t, md, err, sizeof err) == 0);
    T_CHECK(ui_transcript_save(&t, "x.exe", err, sizeof err) != 0);
    /* the name's ending says the format, in any case; anything else is refused */
    T_EQ_INT(ui_transcript_kind("a/x.md"), UI_FILE_MD);
    T_EQ_INT(ui_transcript_kind("X.JSONL"), UI_FILE_JSONL);
    T_EQ_INT(ui_transcript_kind("x.Md"), UI_FILE_MD);
    T_EQ_INT(ui_transcript_kind("x.txt"), UI_FILE_OTHER);
    T_EQ_INT(ui_transcript_kind("x.json"), UI_FILE_OTHER);
    T_EQ_INT(ui_transcript_kind("noext"), UI_FILE_OTHER);
    char up[512];
    snprintf(up, sizeof up, "%s/T.MD", tmpdir);
    T_EQ_INT(ui_transcript_save(&t, up, err, sizeof err), 0);
    snprintf(up, sizeof up, "%s/t.txt", tmpdir);
    T_CHECK(ui_transcript_save(&t, up, err, sizeof err) != 0);
    T_CHECKF(strstr(err, "use a name ending in .md or .jsonl"), "%s", err);
    T_CHECK(access(up, F_OK) != 0);
    T_EQ_INT(ui_transcript_save(&t, jl, err, sizeof err), 0);
    ui_transcript u = {0};
    T_EQ_INT(ui_transcript_load_jsonl(&u, jl, err, sizeof err), 0);
    ui_turn *a = ui_transcript_last_turn(&t), *b = ui_transcript_last_turn(&u);
    T_CHECK(b);
    T_EQ_STR(b->prompt, a->prompt);
    T_EQ_STR(b->answer.s, a->answer.s);
    T_EQ_INT(b->n_th, a->n_th);
    T_EQ_INT(ui_thought_tokens(b, 1), ui_thought_tokens(a, 1));
    T_EQ_INT(ui_turn_suppressed(b), 1);
    T_CHECK(ui_transcript_load_jsonl(&u, md, err, sizeof err) != 0);  /* not JSONL */
    /* hostile lines: wrong types, huge numbers, control characters */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.jsonl", tmpdir);
    FILE *f = fopen(bad, "w");
    T_CHECK(f);
    fputs("{\"type\":\"thought\",\"index\":\"x\",\"position\":99999999999999,\"trigger\":7}\n"
          "{\"type\":\"think\",\"text\":\"\\u001b[2Jok\"}\n"
          "{\"type\":\"done\",\"reason\":5}\n[1,2]\n{\"type\":\"nosuch\"}\n", f);
    fclose(f);
    ui_transcript v = {0};
    T_CHECK(ui_transcript_load_jsonl(&v, bad, err, sizeof err) != 0);   /* the [1,2] line */
    T_CHECK(strstr(err, ":4:"));
    T_CHECK(v.n == 0);   /* all or nothing: the good lines before it are not shown */
    f = fopen(bad, "w");   /* without that line it loads, made safe */
    T_CHECK(f);
    fputs("{\"type\":\"thought\",\"index\":\"x\",\"position\":99999999999999,\"trigger\":7}\n"
          "{\"type\":\"think\",\"text\":\"\\u001b[2Jok\"}\n\n"
          "{\"type\":\"done\",\"reason\":5}\n{\"type\":\"nosuch\"}\n", f);
    fclose(f);
    T_EQ_INT(ui_transcript_load_jsonl(&v, bad, err, sizeof err), 0);
    ui_turn *vt = ui_transcript_last_turn(&v);
    T_CHECK(vt && vt->n_th == 1 && !strchr(ui_buf_str(&vt->th[0].text), '\x1b'));
    ui_transcript_free(&v);
    /* a done line's reason, by the engine's names; another name is eos */
    static const char *const names[] = {"eos", "max_tokens", "cancelled", "error", "nosuch"};
    static const pd_done_reason want[] = {PD_DONE_EOS, PD_DONE_MAX_TOKENS, PD_DONE_CANCELLED,
                                          PD_DONE_ERROR, PD_DONE_EOS};
    for (int i = 0; i < 5; i++) {
        f = fopen(bad, "w");
        T_CHECK(f);
        fprintf(f, "{\"type\":\"prompt\",\"text\":\"q\"}\n{\"type\":\"done\",\"reason\":\"%s\"}\n",
                names[i]);
        fclose(f);
        ui_transcript w = {0};
        T_EQ_INT(ui_transcript_load_jsonl(&w, bad, err, sizeof err), 0);
        ui_turn *wt = ui_transcript_last_turn(&w);
        T_CHECKF(wt && wt->reason == want[i], "reason %s", names[i]);
        ui_transcript_free(&w);
    }
    ui_transcript_free(&u);
    ui_transcript_free(&t);
}

/* ---- the app on the fake engine ------------------------------------------------- */

static char said[4096];
static void t_say(ui_app *app, ui_role role, const char *msg)
{
    (void)app; (void)role;
    snprintf(said, sizeof said, "%s", msg);
}
static void t_command(ui_app *app, const ui_cmd *c) { (void)app; (void)c; }
static const ui_frontend test_fe = {t_say, t_command};

static void app_ev(const pd_event *ev, void *u) { ui_app_event(u, ev); }

static void run_jobs(ui_app *app)
{
    ui_job job;
    while (ui_app_next_job(app, &job)) {
        pd_status st = pd_session_generate(app->sess, job.prompt, app_ev, app);
        ui_app_job_done(app, st, "");
        free(job.prompt);
    }
}

int fake_sampler_calls(const pd_session *s, int *restores);   /* tests/tui/fake_engine.c */

/* An app on the fake engine with default options and preferences (c and
 * prefs outlive it: the app keeps pointers to them). */
static void app_start(ui_app *app, cli_common *c, ui_prefs *prefs)
{
    cli_common_init(c);
    ui_prefs_default(prefs);
    ui_app_init(app, c, prefs, &test_fe, NULL);
}

/* A prompt while a turn runs is not taken (the front end keeps it); the
 * status line's numbers belong to the open model's session only. */
static void test_app_busy_and_model(void)
{
    setenv("PONDER_FAKE_DELAY_MS", "0", 1);
    cli_common c;
    ui_prefs prefs;
    ui_app app;
    app_start(&app, &c, &prefs);
    T_EQ_INT(ui_app_open_model(&app, "fake.gguf"), 0);
    T_CHECK(ui_app_stats(&app) == NULL);
    T_CHECK(ui_app_submit(&app, "What is 12 + 35?"));
    T_CHECK(!ui_app_submit(&app, "queued behind"));   /* a turn waits to start */
    ui_job job;
    T_CHECK(ui_app_next_job(&app, &job));
    said[0] = '\0';
    T_CHECK(!ui_app_submit(&app, "And 3 + 4?"));      /* it runs */
    T_CHECK(!ui_app_job_pending(&app) && !said[0]);
    T_CHECK(ui_app_submit(&app, "/alpha 2"));         /* commands still work */
    T_NEAR(app.params.tip_alpha, 2, 0);
    pd_status st = pd_session_generate(app.sess, job.prompt, app_ev, &app);
    ui_app_job_done(&app, st, "");
    free(job.prompt);
    T_CHECK(ui_app_stats(&app) && ui_app_stats(&app)->answer_tokens > 0);
    T_CHECK(ui_app_submit(&app, "And 3 + 4?"));       /* sent once it ended */
    T_CHECK(ui_app_job_pending(&app));
    run_jobs(&app);
    T_EQ_INT(ui_transcript_last_turn(&app.tr)->prompt[0], 'A');
    /* another model: a new conversation, and the old numbers go */
    T_CHECK(ui_app_submit(&app, "/model other.gguf"));
    T_CHECKF(strstr(said, "new conversation"), "%s", said);
    T_CHECK(ui_app_stats(&app) == NULL);
    T_EQ_INT(app.session_turns, 0);
    T_CHECK(ui_app_submit(&app, "hello"));
    run_jobs(&app);
    T_CHECK(ui_app_stats(&app) != NULL);
    ui_app_submit(&app, "/clear");
    T_CHECK(ui_app_stats(&app) == NULL);
    ui_app_free(&app);
}

static void test_app_ab(void)
{
    setenv("PONDER_FAKE_DELAY_MS", "0", 1);
    cli_common c;
    ui_prefs prefs;
    ui_app app;
    app_start(&app, &c, &prefs);
    ui_app_submit(&app, "hello");
    T_CHECK(strstr(said, "no model"));
    T_EQ_INT(ui_app_open_model(&app, "fake.gguf"), 0);
    ui_app_submit(&app, "/ab");
    T_CHECK(strstr(said, "nothing to compare"));
    ui_app_submit(&app, "What is 12 + 35?");
    run_jobs(&app);
    ui_app_submit(&app, "/alpha 2");
    T_NEAR(app.params.tip_alpha, 2, 0);
    ui_app_submit(&app, "/ab");
    run_jobs(&app);
    int turns = 0;
    ui_turn *tv[4] = {0};
    for (int i = 0; i < app.tr.n; i++)
        if (app.tr.v[i].kind == UI_ENTRY_TURN && turns < 4)
            tv[turns++] = app.tr.v[i].turn;
    T_EQ_INT(turns, 3);
    T_CHECK(strncmp(tv[1]->label, "A", 1) == 0 && !tv[1]->tip_on);
    T_CHECK(strncmp(tv[2]->label, "B", 1) == 0 && tv[2]->tip_on);
    T_EQ_STR(tv[1]->prompt, "What is 12 + 35?");
    T_EQ_INT(ui_turn_suppressed(tv[1]), 0);
    T_EQ_INT(ui_turn_suppressed(tv[2]), 1);
    T_CHECK(app.params.tip_on);   /* restored */
    T_CHECKF(strstr(said, "A: TIP off") && strstr(said, "suppressed"), "%s", said);
    /* the first turn was rerun from a fresh conversation: nothing saved */
    int restores = -1;
    T_EQ_INT(fake_sampler_calls(app.sess, &restores), 0);
    /* later in the conversation: B goes back to the sampler state A began at */
    ui_app_submit(&app, "And 3 + 4?");
    run_jobs(&app);
    ui_app_submit(&app, "/ab");
    run_jobs(&app);
    T_EQ_INT(fake_sampler_calls(app.sess, &restores), 1);
    T_EQ_INT(restores, 1);
    T_CHECK(ui_transcript_last_turn(&app.tr)->tip_on);
    ui_app_submit(&app, "/retry");
    run_jobs(&app);
    T_CHECK(ui_transcript_last_turn(&app.tr)->done);
    ui_app_submit(&app, "/stats");
    T_CHECKF(strstr(said, "thought lengths") && strstr(said, "#1"), "%s", said);
    ui_app_submit(&app, "/bogus");
    T_CHECK(strstr(said, "unknown command"));
    ui_app_submit(&app, "/clear");
    T_CHECK(ui_transcript_last_turn(&app.tr) == NULL);
    ui_app_submit(&app, "/quit");
    T_CHECK(app.quit);
    ui_app_free(&app);
}

/* The note whose text holds needle, or NULL. */
static const char *find_note(const ui_transcript *t, const char *needle)
{
    for (int i = 0; i < t->n; i++)
        if (t->v[i].kind == UI_ENTRY_NOTE && strstr(t->v[i].note, needle))
            return t->v[i].note;
    return NULL;
}

/* What /ab showed is what /save keeps: a .jsonl read back and saved again
 * is the same file, with the turns' statistics and the A/B table; the .md
 * has the table too. /load is all or nothing; names and paths. */
static void test_app_save_load(void)
{
    setenv("PONDER_FAKE_DELAY_MS", "0", 1);
    setenv("HOME", tmpdir, 1);
    cli_common c;
    ui_prefs prefs;
    ui_app app;
    app_start(&app, &c, &prefs);
    T_EQ_INT(ui_app_open_model(&app, "fake.gguf"), 0);
    ui_app_submit(&app, "/seed 7");
    ui_app_submit(&app, "/temp 0.6");
    ui_app_submit(&app, "What is 12 + 35?");
    run_jobs(&app);
    ui_app_submit(&app, "/ab");
    run_jobs(&app);
    char table[1024];
    snprintf(table, sizeof table, "%s", said);
    T_CHECKF(strstr(table, "A/B") && strstr(table, "tok/s        100.0"), "%s", table);
    ui_turn *a = app.tr.v[1].turn;
    T_CHECK(a && a->n_th == 3);
    int sum = 0;
    for (int i = 0; i < a->n_th; i++)
        sum += ui_thought_tokens(a, i);
    T_EQ_INT(sum, a->stats.think_tokens);
    char want[64], sum_a[160], hdr_a[256];
    snprintf(want, sizeof want, "think tok    %-14d", a->stats.think_tokens);
    T_CHECKF(strstr(table, want), "%s", table);
    ui_turn_summary(a, sum_a, sizeof sum_a);
    ui_thought_header(a, 0, hdr_a, sizeof hdr_a);

    ui_app_submit(&app, "/save ~/ab.jsonl");
    T_CHECKF(strstr(said, "saved ") && strstr(said, "/ab.jsonl"), "%s", said);
    ui_app_submit(&app, "/save ~/ab.md");
    char p1[512], p2[512], pmd[512], pmd2[512];
    snprintf(p1, sizeof p1, "%s/ab.jsonl", tmpdir);
    snprintf(p2, sizeof p2, "%s/again.jsonl", tmpdir);
    snprintf(pmd, sizeof pmd, "%s/ab.md", tmpdir);
    snprintf(pmd2, sizeof pmd2, "%s/again.md", tmpdir);
    char *f1 = ui_read_file(p1, 1 << 20, NULL), *md = ui_read_file(pmd, 1 << 20, NULL);
    T_CHECK(f1 && md);
    T_CHECKF(strstr(f1, "\"type\":\"stats\",\"tok_per_s\":100.00") &&
             strstr(f1, "{\"type\":\"ab\",\"a\":2,\"b\":3}\n") && strstr(f1, "\"seed\":7") &&
             strstr(f1, "\"group\":\"switch\"") && strstr(f1, "\"position\":3}"), "%s", f1);
    T_CHECKF(strstr(md, "### A/B (turns 2 and 3)") && strstr(md, table), "%s", md);

    /* a fresh view of the file: the same turns, numbers and table */
    ui_app_submit(&app, "/clear");
    ui_app_submit(&app, "/load ~/ab.jsonl");
    T_CHECKF(strstr(said, "loaded "), "%s", said);
    T_CHECK(find_note(&app.tr, table) != NULL);
    ui_turn *la = app.tr.v[1].turn;
    T_CHECK(la && la->have_stats && la->seed == 7);
    T_NEAR(la->stats.tok_per_s, 100, 0);
    T_NEAR(la->temperature, 0.6, 1e-6);
    char s1[256];
    ui_turn_summary(la, s1, sizeof s1);
    T_EQ_STR(s1, sum_a);
    ui_thought_header(la, 0, s1, sizeof s1);
    T_EQ_STR(s1, hdr_a);
    ui_app_submit(&app, "/save ~/again.jsonl");
    ui_app_submit(&app, "/save ~/again.md");
    char *f2 = ui_read_file(p2, 1 << 20, NULL), *md2 = ui_read_file(pmd2, 1 << 20, NULL);
    T_CHECK(f2 && md2);
    T_EQ_STR(f2, f1);   /* byte for byte */
    T_EQ_STR(md2, md);
    free(f2);
    free(md2);

    /* a broken line: nothing of the file is shown */
    int before = app.tr.n;
    FILE *f = fopen(p2, "w");
    T_CHECK(f);
    const char *nl = strchr(f1, '\n');
    fprintf(f, "%.*s\n{\"type\":\n", (int)(nl - f1), f1);
    fclose(f);
    ui_app_submit(&app, "/load ~/again.jsonl");
    T_CHECKF(strstr(said, "again.jsonl:2: not a ponder event line"), "%s", said);
    T_EQ_INT(app.tr.n, before);
    /* a directory, a name of another kind, a name in capitals */
    ui_app_submit(&app, "/load ~/");
    T_CHECKF(strstr(said, ": is a directory"), "%s", said);
    ui_app_submit(&app, "/save ~/t.txt");
    T_CHECKF(strstr(said, "t.txt: use a name ending in .md or .jsonl"), "%s", said);
    ui_app_submit(&app, "/save ~/noext");
    T_CHECKF(strstr(said, "noext: use a name ending in .md or .jsonl"), "%s", said);
    ui_app_submit(&app, "/save ~/UP.JSONL");
    T_CHECKF(strstr(said, "saved "), "%s", said);
    snprintf(p2, sizeof p2, "%s/UP.JSONL", tmpdir);
    f2 = ui_read_file(p2, 1 << 20, NULL);
    T_CHECK(f2 && strcmp(f2, f1) == 0);
    free(f2);
    free(f1);
    free(md);
    ui_app_free(&app);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    ui_glyphs_init(true);
    snprintf(tmpdir, sizeof tmpdir, "%s/ponder-ui-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return 1;
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    T_RUN(test_wrap);
    T_RUN(test_sanitize_and_counts);
    T_RUN(test_utf8_stream);
    T_RUN(test_transcript);
    T_RUN(test_thought_counts);
    T_RUN(test_panes_and_layout);
    T_RUN(test_ab_columns);
    T_RUN(test_status);
    T_RUN(test_commands);
    T_RUN(test_themes);
    T_RUN(test_config);
    T_RUN(test_save_load);
    T_RUN(test_app_ab);
    T_RUN(test_app_save_load);
    T_RUN(test_app_busy_and_model);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    T_DONE();
}
