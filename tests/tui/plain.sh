#!/bin/sh
# plain.sh - the line-oriented REPL with stdin not a terminal: errors and exit
# codes of the real binary, and a whole session in a pipe on the fake engine
# (and on the real model when the engine runs one).
srcdir=${PONDER_SRCDIR:-.}
failed=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; failed=1; }
skip() { echo "SKIP: $1${2:+: $2}"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ponder-plain.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" LC_ALL=C.UTF-8

if [ -n "$PONDER" ] && [ -x "$PONDER" ]; then
    "$PONDER" --plain -m "$T/missing.gguf" </dev/null >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^ponder: ' "$T/err"; then
        pass "plain: a missing model is one error line, exit 1"
    else
        fail "plain: a missing model is one error line, exit 1" "rc=$rc $(cat "$T/err")"
    fi
    "$PONDER" --plain --tip-alpha lots </dev/null >/dev/null 2>"$T/err"
    rc=$?
    [ "$rc" -eq 2 ] && pass "plain: a bad option is exit 2" || fail "plain: a bad option is exit 2" "rc=$rc"
    "$PONDER" --plain --theme nope -m "$T/missing.gguf" </dev/null >/dev/null 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
       grep -q "^ponder: --theme: unknown theme 'nope' (themes: default, light, high-contrast, mono)" "$T/err"; then
        pass "plain: --theme NAME refuses an unknown theme, exit 2"
    else
        fail "plain: --theme NAME refuses an unknown theme, exit 2" "rc=$rc $(cat "$T/err")"
    fi
    # a context the conversation fills: the error says how to go on
    printf 'What is 513 + 489?\nWhat is 832 - 264?\nWhat is 755 * 38?\n' |
        "$PONDER" --plain --ctx 180 >/dev/null 2>"$T/err"
    if grep -q '^ponder: the context is full: .* (/clear starts a new conversation)$' "$T/err"; then
        pass "plain: a context the conversation fills names /clear"
    else
        fail "plain: a context the conversation fills names /clear" "$(head -c 300 "$T/err")"
    fi
    # a prompt the context cannot hold: its error, no summary of an empty turn
    echo 'What is 513 + 489?' | "$PONDER" --plain --ctx 60 >/dev/null 2>"$T/err"
    if grep -q '^ponder: the prompt is [0-9]* tokens; the context holds 60' "$T/err" &&
       ! grep -q '^\[' "$T/err"; then
        pass "plain: a prompt over the context is its error line, no empty summary"
    else
        fail "plain: a prompt over the context is its error line, no empty summary" "$(head -c 300 "$T/err")"
    fi
    # themes of one's own (in PONDER_DATADIR/themes) are named too, each once
    mkdir -p "$T/data/themes" && printf 'name = mine\n' >"$T/data/themes/mine.theme" &&
        printf 'name = mono\n' >"$T/data/themes/mono.theme"
    PONDER_DATADIR="$T/data" "$PONDER" --plain --theme nope -m "$T/missing.gguf" </dev/null >/dev/null 2>"$T/err"
    if grep -q "^ponder: --theme: unknown theme 'nope' (themes: default, light, high-contrast, mono, mine) " "$T/err"; then
        pass "plain: the unknown-theme message names the themes found in PONDER_DATADIR"
    else
        fail "plain: the unknown-theme message names the themes found in PONDER_DATADIR" "$(cat "$T/err")"
    fi
    printf 'bad: x\n' >"$T/bad.cfg"
    mkdir -p "$T/config/ponder" && printf 'alpha = many\n' >"$T/config/ponder/config"
    "$PONDER" --plain -m "$T/missing.gguf" </dev/null >/dev/null 2>"$T/err"
    grep -q 'config line 1' "$T/err" && pass "plain: a bad config line is reported" ||
        fail "plain: a bad config line is reported" "$(cat "$T/err")"
    rm -f "$T/config/ponder/config"
else
    skip "plain: real binary" "PONDER is not set"
fi

# a whole session in a pipe on the fake engine
fake=${PONDER_BUILDDIR:-.}/tests/tui/ponder-fake
if [ -x "$fake" ]; then
    printf 'What is 12 + 35?\n/alpha 5\n/nosuch\n/save %s\n/quit\nnot reached\n' "$T/s.jsonl" |
        PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q '^| #0' "$T/out" && grep -q '^| Okay, the question' "$T/out" &&
       grep -q '^The answer is 47' "$T/out" && ! grep -q 'not reached' "$T/out"; then
        pass "plain: think prefixed, answer plain, /quit ends"
    else
        fail "plain: think prefixed, answer plain, /quit ends" "rc=$rc"; sed 's/^/    | /' "$T/out"
    fi
    if grep -q 'TIP alpha 5' "$T/err" && grep -q "unknown command '/nosuch'" "$T/err" &&
       grep -q '2 thoughts' "$T/err"; then
        pass "plain: messages and the turn summary on stderr"
    else
        fail "plain: messages and the turn summary on stderr"; sed 's/^/    | /' "$T/err"
    fi
    if grep -q '"type":"prompt"' "$T/s.jsonl" && grep -q '"type":"done"' "$T/s.jsonl"; then
        pass "plain: /save FILE.jsonl"
    else
        fail "plain: /save FILE.jsonl"
    fi
    printf '/tip off\nWhat is 12 + 35?\n' | PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >"$T/out" 2>/dev/null
    if grep -A1 '^| #1 · "Alternatively"' "$T/out" | grep -q '^| Alternatively, I could' &&
       grep -A1 '^| #2 · "Wait"' "$T/out" | grep -q '^| Wait, the direct'; then
        pass "plain: thought headers come before their trigger phrase"
    else
        fail "plain: thought headers come before their trigger phrase"; sed 's/^/    | /' "$T/out"
    fi
    # an unknown theme: one error line naming the themes; the config keeps
    # the last good one
    printf '/theme light\n/theme nope\n' | PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf \
        >/dev/null 2>"$T/err"
    if [ "$(grep -c nope "$T/err")" -eq 1 ] &&
       grep -q "^ponder: /theme: unknown theme 'nope' (themes: default, light, high-contrast, mono)\$" "$T/err" &&
       grep -q '^theme = light$' "$T/config/ponder/config"; then
        pass "plain: /theme NAME refuses an unknown theme"
    else
        fail "plain: /theme NAME refuses an unknown theme"; sed 's/^/    | /' "$T/err" "$T/config/ponder/config"
    fi
    rm -f "$T/config/ponder/config"
    # range messages print whole numbers as such (not 1.67772e+07)
    printf '/max x\n/beta -1\n/top-k many\n/alpha -1\n' | PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf \
        >/dev/null 2>"$T/err"
    if grep -q "/max: 'x' is not a whole number from 1 to 16777216 " "$T/err" &&
       grep -q "/beta: '-1' is not a whole number from 0 to 16777216 " "$T/err" &&
       grep -q "/top-k: 'many' is not a whole number from 0 to 1073741824 " "$T/err" &&
       grep -q "/alpha: '-1' is not a number from 0 to 10000 " "$T/err"; then
        pass "plain: range messages give the bounds in full"
    else
        fail "plain: range messages give the bounds in full"; sed 's/^/    | /' "$T/err"
    fi
    printf 'What is 2 + 2?\n' > "$T/q.txt"
    printf '/model %s\n/load %s\n/load %s\n/save %s\n/retry\n' "$T/missing.gguf" "$T/s.jsonl" \
        "$T/q.txt" "$T/nodir/x.md" |
        PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q 'missing.gguf: No such file' "$T/err" &&
       grep -q "loaded $T/s.jsonl" "$T/err" && grep -q 'Okay, the question is: What is 2 + 2?' "$T/out" &&
       grep -q "/save: $T/nodir/x.md: No such file" "$T/err" && [ ! -e "$T/nodir" ] &&
       grep -q '^\[retry: ' "$T/err"; then
        pass "plain: /model, /load, /save and /retry errors and results"
    else
        fail "plain: /model, /load, /save and /retry" "rc=$rc"; sed 's/^/    | /' "$T/err"
    fi
    # /ab, /save, then /load and /save again in a new session: the same file,
    # with the statistics and the A/B table (also in the .md); ~/ is $HOME
    printf 'What is 12 + 35?\n/ab\n/save ~/ab.jsonl\n/save ~/ab.md\n' |
        PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >/dev/null 2>"$T/err"
    printf '/load ~/ab.jsonl\n/save ~/again.jsonl\n/save %s\n' "$T/again.md" |
        PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >/dev/null 2>>"$T/err"
    if cmp -s "$T/ab.jsonl" "$T/again.jsonl" && cmp -s "$T/ab.md" "$T/again.md" &&
       [ "$(grep -c '"type":"stats"' "$T/ab.jsonl")" -eq 3 ] &&
       grep -q '^{"type":"ab","a":2,"b":3}$' "$T/ab.jsonl" &&
       grep -q '^### A/B (turns 2 and 3)$' "$T/ab.md" && grep -q '^tok/s  *100.0  *100.0$' "$T/ab.md"; then
        pass "plain: /load then /save gives the same transcript, stats and A/B table"
    else
        fail "plain: /load then /save gives the same transcript"; sed 's/^/    | /' "$T/err"
        diff "$T/ab.jsonl" "$T/again.jsonl" | head -20
    fi
    # /load is all or nothing; a directory is named so; /save names
    head -n 1 "$T/ab.jsonl" >"$T/broken.jsonl" && printf '{"type":\n' >>"$T/broken.jsonl"
    printf '/load %s\n/save %s\n/load %s\n/save %s\n/save %s\n' "$T/broken.jsonl" \
        "$T/partial.md" "$T" "$T/x.txt" "$T/noext" |
        PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf >/dev/null 2>"$T/err"
    if grep -q "^ponder: /load: $T/broken.jsonl:2: not a ponder event line\$" "$T/err" &&
       grep -q '^ponder: /save: nothing to save yet$' "$T/err" && [ ! -e "$T/partial.md" ] &&
       grep -q "^ponder: /load: $T: is a directory\$" "$T/err" &&
       grep -q "^ponder: /save: $T/x.txt: use a name ending in .md or .jsonl\$" "$T/err" &&
       grep -q "^ponder: /save: $T/noext: use a name ending in .md or .jsonl\$" "$T/err"; then
        pass "plain: /load all or nothing, of a directory; /save names"
    else
        fail "plain: /load all or nothing, of a directory; /save names"; sed 's/^/    | /' "$T/err"
    fi
else
    skip "plain: fake engine session" "$fake not built"
fi

# the real model in a pipe, once the engine runs one
demo=$srcdir/share/ponder/models/ponder-demo.gguf
if [ -n "$PONDER" ] && [ -f "$demo" ] && "$PONDER" run -m "$demo" -p hi -n 1 >/dev/null 2>&1; then
    printf 'What is 12 + 35?\n' | "$PONDER" -n 256 >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -s "$T/out" ] && grep -q 'thought' "$T/err"; then
        pass "plain: the demo model in a pipe"
    else
        fail "plain: the demo model in a pipe" "rc=$rc $(head -c 300 "$T/err")"
    fi
    # a transcript of the real engine's events reads back byte for byte, and
    # the thought headers add up to the think tokens of the table
    printf 'What is 513 + 489?\n/ab\n/save %s\n' "$T/demo.jsonl" | "$PONDER" -n 256 \
        >/dev/null 2>"$T/err"
    printf '/load %s\n/save %s\n/save %s\n' "$T/demo.jsonl" "$T/demo2.jsonl" "$T/demo.md" |
        "$PONDER" -n 256 >/dev/null 2>>"$T/err"
    a_think=$(sed -n 's/^think tok  *\([0-9]*\) .*/\1/p' "$T/demo.md")
    a_heads=$(sed -n '/^## Turn 2 /,/^## Turn 3 /s/^\*\*#[0-9]* · \([0-9,]*\) tok.*/\1/p' "$T/demo.md" |
        tr -d , | awk '{ s += $1 } END { print s + 0 }')
    if cmp -s "$T/demo.jsonl" "$T/demo2.jsonl" && [ -n "$a_think" ] && [ "$a_think" = "$a_heads" ]; then
        pass "plain: the demo model's /ab transcript reloads the same"
    else
        fail "plain: the demo model's /ab transcript reloads the same" "think $a_think, headers $a_heads"
        diff "$T/demo.jsonl" "$T/demo2.jsonl" | head -10; sed 's/^/    | /' "$T/err" | head
    fi
else
    skip "plain: the demo model in a pipe" "no demo model the engine can run"
fi
exit $failed
