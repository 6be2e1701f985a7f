#!/bin/sh
# fake.sh - the TUI in tmux on the scripted fake engine (tests/tui/ponder-fake),
# so the screen, keys, resize, Ctrl-C, /save and /quit are checked even while
# no model can run.
srcdir=${PONDER_SRCDIR:-.}
. "$srcdir/tests/tui/tmux-lib"
bin=${PONDER_BUILDDIR:-.}/tests/tui/ponder-fake
if [ -z "$TMUX_BIN" ] || [ ! -x "$TMUX_BIN" ]; then skip "fake tui" "tmux not found"; exit 0; fi
if [ ! -x "$bin" ]; then skip "fake tui" "$bin not built"; exit 0; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ponder-tui.XXXXXX") || exit 1
trap 'tm_stop; rm -rf "$T"' EXIT

tui_suite fake "PONDER_FAKE_DELAY_MS=25 '$bin' -m fake.gguf" "What is 12 + 35?"

# the config remembers the layout; history keeps the prompts
grep -q '^layout = side' "$T/config/ponder/config" 2>/dev/null &&
    pass "fake: layout remembered in the config" || fail "fake: layout remembered in the config"
grep -qF "What is 12 + 35?" "$T/state/ponder/history" 2>/dev/null &&
    pass "fake: history persisted" || fail "fake: history persisted"

# a model that cannot be opened: one line, exit 1, before the screen starts
tm_sock=ponder-test-$$-m
tm_start 80 24 "'$bin' -m '$T/missing.gguf'"
if tm_wait "[exit 1]" 10 && tm_wait "ponder: $T/missing.gguf: No such file" 2; then
    pass "fake: a missing model is an error, exit 1"
else
    fail "fake: a missing model is an error, exit 1"; tm_dump
fi
tm_stop

# screen dump: the whole screen after one turn matches the expected dump
# (tig's habit), speeds masked; PONDER_UPDATE_SCREENS=1 rewrites the dump
tm_sock=ponder-test-$$-d
tm_start 100 30 "PONDER_FAKE_DELAY_MS=0 '$bin' -m fake.gguf"
if tm_wait "TIP on" 10; then
    tm_type "What is 12 + 35?"
    tm_wait "The answer is 47" 10
    tm_keys F4 F6
    tm_wait "α3.5 β650" 15
    tm_screen | sed -E 's/[0-9]+\.[0-9] tok\/s/N tok\/s/g; s/ponder [0-9][0-9.]* /ponder V /; s/[[:space:]]+$//' > "$T/screen.txt"
    want=$srcdir/tests/tui/screens/fake-turn.txt
    if [ -n "$PONDER_UPDATE_SCREENS" ]; then cp "$T/screen.txt" "$want"; fi
    if diff -u "$want" "$T/screen.txt" > "$T/screen.diff"; then
        pass "fake: screen dump matches tests/tui/screens/fake-turn.txt"
    else
        fail "fake: screen dump differs"; sed 's/^/    | /' "$T/screen.diff" | head -40
    fi
else
    fail "fake: screen dump start"; tm_dump
fi
tm_stop

# 80x24 (the smallest supported size), NO_COLOR, and a terminal far too small
tm_sock=ponder-test-$$-b
printf '#!/bin/sh\nprintf "from the editor\\n" > "$1"\n' > "$T/editor.sh"
chmod +x "$T/editor.sh"
tm_start 80 24 "NO_COLOR=1 EDITOR='$T/editor.sh' PONDER_FAKE_DELAY_MS=0 '$bin' -m fake.gguf"
if tm_wait "TIP on" 10 && tm_wait "─ THINK" 2 && tm_wait "ANSWER" 2; then
    pass "fake: 80x24 shows both panes and the status line"
else
    fail "fake: 80x24"; tm_dump
fi
tm_type "What is 12 + 35?"
if tm_wait "The answer is 47" 10; then
    if tm capture-pane -e -p -t t | grep -qE "$(printf '\033')\\[[0-9;]*(3[0-7]|38;5|4[0-7]|48;5)[;m]"; then
        fail "fake: NO_COLOR draws without colours"
    else
        pass "fake: NO_COLOR draws without colours"
    fi
else
    fail "fake: turn at 80x24"; tm_dump
fi
# an unknown theme is refused, also where no colours make it mono anyway
tm_type "/theme nope"
if tm_wait "/theme: unknown theme 'nope'" 15 && tm_wait "high-contrast, mono)" 2; then
    pass "fake: /theme refuses an unknown theme"
else
    fail "fake: /theme refuses an unknown theme"; tm_dump
fi
tm_resize 10 3
tm_resize 3 2
tm_resize 80 24
if tm_wait "The answer is 47" 10 && tm_wait "TIP on" 2; then pass "fake: a tiny terminal and back"
else fail "fake: a tiny terminal and back"; tm_dump; fi
# scrollback: PgUp shows older lines (the title counts those below), Home
# the top, End back to the newest
tm_type "/help"
tm_type "/help"
tm_keys PPage
if tm_wait_re "ANSWER ─+ [0-9]+ more below" 15; then
    tm_keys Home
    if tm_wait "type a question; /help" 15; then
        tm_keys End
        if tm_wait_re "Ctrl-R history search" 15 && ! tm_screen | grep -q "more below"; then
            pass "fake: PgUp, Home and End scroll the answer pane"
        else
            fail "fake: End"; tm_dump
        fi
    else
        fail "fake: Home"; tm_dump
    fi
else
    fail "fake: PgUp"; tm_dump
fi

# the input line: completion, Alt-Enter, paste, $EDITOR, history search
tm_keys /zo Tab
tm_wait_re "^> /zoom" 15 && pass "fake: Tab completes /commands" || { fail "fake: Tab completion"; tm_dump; }
tm_keys C-u a M-Enter b
tm_wait "> a⏎b" 15 && pass "fake: Alt-Enter inserts a newline" || { fail "fake: Alt-Enter"; tm_dump; }
printf 'pasted\ntext' > "$T/paste"
tm load-buffer "$T/paste" && tm_keys C-u && tm paste-buffer -p -t t
tm_wait "> pasted⏎text" 15 && pass "fake: bracketed paste keeps newlines" || { fail "fake: paste"; tm_dump; }
tm_keys C-u C-x C-e
tm_wait "> from the editor" 15 && pass "fake: Ctrl-X Ctrl-E edits in \$EDITOR" || { fail "fake: Ctrl-X Ctrl-E"; tm_dump; }
tm_keys C-u C-r 12
tm_wait "(reverse-i-search)\`12': What is 12 + 35?" 15 && pass "fake: Ctrl-R searches the history" ||
    { fail "fake: Ctrl-R"; tm_dump; }
tm_keys C-g C-u C-c
# the Ctrl-C hint outlives the 4 s flash and a resize, and goes with the next key
if tm_wait "to quit press Ctrl-D" 10 && sleep 5 && tm_resize 90 24 && tm_resize 100 30 &&
   sleep 1 && tm_wait "to quit press Ctrl-D" 1; then
    tm_keys x
    if tm_wait "> x" 10 && ! tm_screen | grep -qF "to quit press"; then
        pass "fake: the Ctrl-C hint stays until the next key"
    else
        fail "fake: the Ctrl-C hint goes with the next key"; tm_dump
    fi
else
    fail "fake: the Ctrl-C hint stays until the next key"; tm_dump
fi
tm_keys C-u C-d
tm_wait "[exit 0]" 10 && pass "fake: Ctrl-D quits" || { fail "fake: Ctrl-D quits"; tm_dump; }
tm_stop

# the input line: invalid UTF-8 typed or pasted, $EDITOR that cannot be run,
# a prompt typed while a turn runs, the status line after Ctrl-C and /model
# (each token takes 300 ms, so a turn of /max 12 is 3.6 s)
tm_sock=ponder-test-$$-i
busy="^ \\* │ fake-demo"
idle="^ fake-demo/cpu │ [0-9.]+ tok/s"
tm_start 100 30 "EDITOR=/nonexistent/ed PONDER_FAKE_DELAY_MS=300 '$bin' -m fake.gguf"
if tm_wait "TIP on" 10; then
    tm_keys -H 63 61 66 e9 20 61 75 20 6c 61 69 74   # Latin-1 "caf\xe9 au lait"
    tm_wait "> caf� au lait" 10 && pass "fake: an invalid UTF-8 byte typed becomes U+FFFD" ||
        { fail "fake: an invalid UTF-8 byte typed becomes U+FFFD"; tm_dump; }
    tm_keys C-u && tm_keys -H 61 62 63 ff 64 65 66 && tm_keys ghi
    tm_wait "> abc�defghi" 10 && pass "fake: the bytes after an invalid one are kept" ||
        { fail "fake: the bytes after an invalid one are kept"; tm_dump; }
    printf 'pa\351ste' > "$T/paste-latin1"
    tm load-buffer "$T/paste-latin1" && tm_keys C-u && tm paste-buffer -p -t t
    tm_wait "> pa�ste" 10 && pass "fake: an invalid UTF-8 byte pasted becomes U+FFFD" ||
        { fail "fake: an invalid UTF-8 byte pasted becomes U+FFFD"; tm_dump; }
    tm_keys C-x C-e
    if tm_wait "Ctrl-X Ctrl-E: the editor '/nonexistent/ed'" 10 && tm_wait "cannot be run" 2 &&
       tm_wait "> pa�ste" 2; then
        pass "fake: an editor that cannot be run is reported"
    else
        fail "fake: an editor that cannot be run is reported"; tm_dump
    fi
    tm_keys C-u
    tm_type "/max 12"
    tm_type "What is 12 + 35?"
    if tm_wait_re "$busy" 10; then
        tm_type "next question"
        if tm_wait "still generating" 10 && tm_wait_re "$idle" 20 &&
           tm_wait "> next question" 2 && ! tm_screen | grep -qF "── 2 · "; then
            tm_keys Enter
            if tm_wait "── 2 · next question" 10; then
                pass "fake: a prompt typed during a turn waits in the input line"
            else
                fail "fake: the kept prompt is sent with Enter"; tm_dump
            fi
        else
            fail "fake: a prompt typed during a turn waits in the input line"; tm_dump
        fi
    else
        fail "fake: a turn of 300 ms tokens starts"; tm_dump
    fi
    # Ctrl-C: "stopping..." goes from the status line once the turn stopped
    if tm_wait_re "$idle" 20 && tm_type "third" && tm_wait_re "$busy" 10; then
        tm_keys C-c
        if tm_wait "── 3 · third" 2 && tm_wait "stopped (Ctrl-C)" 10 && sleep 1 &&
           tm_wait_re "$idle" 1 && ! tm_screen | grep -qF "stopping"; then
            pass "fake: the status line leaves \"stopping...\" when the turn stopped"
        else
            fail "fake: the status line leaves \"stopping...\" when the turn stopped"; tm_dump
        fi
    else
        fail "fake: the third turn starts"; tm_dump
    fi
    # /model: a new conversation, said so; the old model's numbers go
    tm_type "/model other.gguf"
    if tm_wait "new conversation" 10 && tm_wait_re "^ fake-demo/cpu │ TIP on" 5; then
        pass "fake: /model says it starts a new conversation and resets the statistics"
    else
        fail "fake: /model says it starts a new conversation and resets the statistics"; tm_dump
    fi
else
    fail "fake: input line checks start"; tm_dump
fi
tm_stop

# a theme in the config that does not exist: one line says so, the TUI starts
mkdir -p "$T/config/ponder" && echo "theme = nope" >> "$T/config/ponder/config"
tm_start 100 30 "PONDER_FAKE_DELAY_MS=0 '$bin' -m fake.gguf"
if tm_wait "unknown theme 'nope'" 15 && tm_wait "TIP on" 5; then
    pass "fake: an unknown theme in the config is reported"
else
    fail "fake: an unknown theme in the config is reported"; tm_dump
fi
tm_stop
exit $failed
