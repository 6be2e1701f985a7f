#!/bin/sh
# mouse.sh - the mouse wheel in tmux on the fake engine (tests/tui/ponder-fake):
# the wheel scrolls the pane under the pointer (ponder(1)), and a wheel where
# no pane is (status line, input row, the divider) changes nothing.
#
# The wheel events are the bytes a terminal sends, written into the pane with
# send-keys -H (tmux passes them through untouched). Which encoding curses
# decodes depends on TERM's terminfo:
#  - tmux-256color (and screen) have kmous=\E[M and no XM: ncurses turns on
#    mode 1000 only and reads X10 reports, ESC [ M b x y with b = 32+64 (wheel
#    up) or 32+65 (wheel down) and x, y = 32 + the 1-based column and row.
#    tmux, seeing mode 1000 without 1006, sends a real user's wheel in this
#    form too (mouse_standard_flag 1, mouse_sgr_flag 0).
#  - xterm-256color has kmous=\E[< and XM=\E[?1006;1000%?...: ncurses turns
#    on SGR mode 1006 and reads ESC [ < 64;x;y M (up) and ESC [ < 65;x;y M
#    (down), x and y 1-based.
# Both are checked: the first part under tmux-256color (as tmux-lib starts
# everything), the last under TERM=xterm-256color.
srcdir=${PONDER_SRCDIR:-.}
. "$srcdir/tests/tui/tmux-lib"
bin=${PONDER_BUILDDIR:-.}/tests/tui/ponder-fake
if [ -z "$TMUX_BIN" ] || [ ! -x "$TMUX_BIN" ]; then skip "mouse" "tmux not found"; exit 0; fi
if [ ! -x "$bin" ]; then skip "mouse" "$bin not built"; exit 0; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ponder-mouse.XXXXXX") || exit 1
trap 'tm_stop; rm -rf "$T"' EXIT

# wheel ENC up|down COL ROW: one wheel report (1-based COL and ROW) in the
# encoding ENC (x10 or sgr), as bytes from the terminal.
wheel() {
    case $2 in up) b=64 ;; *) b=65 ;; esac
    if [ "$1" = x10 ]; then
        hex="1b 5b 4d $(printf '%x %x %x' $((32 + b)) $((32 + $3)) $((32 + $4)))"
    else
        hex=$(printf '\033[<%d;%d;%dM' "$b" "$3" "$4" | od -An -tx1)
    fi
    # shellcheck disable=SC2086
    tm send-keys -t t -H $hex
}
# wheels ENC up|down COL ROW N: N reports in a row.
wheels() {
    _n=$5
    while [ "$_n" -gt 0 ]; do wheel "$1" "$2" "$3" "$4"; _n=$((_n - 1)); done
}

# The panes' parts of the screen (side by side: THINK left of the first │,
# ANSWER right of it; the title row splits at " ANSWER").
think_title() { tm_screen | sed -n 1p | sed 's/ ANSWER .*//'; }
answer_title() { tm_screen | sed -n 1p | sed 's/.* ANSWER //'; }
think_body() { tm_screen | sed '1d' | grep -F '│' | sed 's/│.*//'; }
answer_body() { tm_screen | sed '1d' | grep -F '│' | sed 's/^[^│]*│//'; }
panes() { tm_screen | sed '$d'; }   # all but the input row

# wait_for WHAT TEST: poll (10 s) until the shell command TEST succeeds.
wait_for() {
    _i=0
    while [ "$_i" -lt 100 ]; do
        eval "$2" && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}
think_back() { think_title | grep -q "more below"; }
answer_back() { answer_title | grep -q "more below"; }

# turns: five turns; at 80x20 their thinking (about ten lines each) and
# answers (five lines each) overflow both 17-row panes. Each turn is waited
# for: the answer pane ends in its summary ("... tok/s").
turns() {
    for q in "first one?" "second two?" "third three?" "fourth four?" "fifth five?"; do
        tm_type "$q"
        tm_wait "› $q" 10 && wait_for "turn done" turn_done
    done
}
turn_done() { answer_body | grep -v '^ *$' | tail -n 1 | grep -q 'tok/s$'; }

# ---- X10 reports, TERM=tmux-256color --------------------------------------------
tm_start 80 20 "PONDER_FAKE_DELAY_MS=0 '$bin' -m fake.gguf"
if ! tm_wait "TIP on" 10; then fail "mouse: start"; tm_dump; exit 1; fi
if ! tm send-keys -t t -H 20 2>/dev/null; then
    skip "mouse" "this tmux has no send-keys -H"; exit 0
fi
tm_keys BSpace
turns
if ! tm_wait "── 5 · fifth five?" 10 ||
   think_body | grep -qF "── 1 · first one?" || think_back || answer_back; then
    fail "mouse: setup" "five turns, both panes at their end"; tm_dump; exit 1
fi
# geometry from the screen: the divider's column (on a row where everything
# left of it is ASCII, so bytes are columns) and the status line's row
left=$(tm_screen | grep -m1 '^[ -~]*│' | sed 's/│.*//')
div=$((${#left} + 1))
status=$(tm_screen | grep -n "TIP on α" | cut -d: -f1)
think_x=10; answer_x=$((div + 10)); row=8
if [ "$div" -lt 20 ] || [ "$div" -gt 60 ] || [ "$status" != 19 ]; then
    fail "mouse: geometry" "divider at column $div, status line at row $status"; tm_dump; exit 1
fi
panes > "$T/end.txt"

# (a) wheel up over THINK: it scrolls back to the first turn; ANSWER stays
wheel x10 up $think_x $row
if wait_for "think back" think_back && ! answer_back; then
    wheels x10 up $think_x $row 20
    if tm_wait "── 1 · first one?" 15 && think_body | grep -qF "── 1 · first one?" &&
       ! answer_back && answer_body | grep -qF "› fifth five?"; then
        pass "mouse: wheel up over THINK scrolls THINK back to earlier lines"
    else
        fail "mouse: wheel up over THINK reaches its first turn"; tm_dump
    fi
else
    fail "mouse: wheel up over THINK scrolls THINK back"; tm_dump
fi

# (b) wheel down over THINK: forward again, to the end (the screen as before)
# wheel_to_end PANE X TITLE: 21 wheels down at column X scroll PANE (think, answer)
# forward until it is at its end and the screen is the end capture again
wheel_to_end() {
    wheels x10 down "$2" $row 21
    if wait_for "$1 at end" "! ${1}_back" && panes | diff -u "$T/end.txt" - > "$T/diff"; then
        pass "mouse: wheel down over $3 scrolls it forward to the end"
    else
        fail "mouse: wheel down over $3 scrolls it forward to the end"; tm_dump
        sed 's/^/    | /' "$T/diff"
    fi
}
wheel_to_end think $think_x THINK

# (c) wheel over ANSWER scrolls ANSWER, not THINK
wheel x10 up $answer_x $row
if wait_for "answer back" answer_back && ! think_back; then
    wheels x10 up $answer_x $row 20
    if tm_wait "model fake-demo" 15 && answer_body | grep -qF "model fake-demo" &&
       ! think_back && ! think_body | grep -qF "── 1 · first one?"; then
        pass "mouse: wheel up over ANSWER scrolls ANSWER, not THINK"
    else
        fail "mouse: wheel up over ANSWER reaches its top, THINK stays"; tm_dump
    fi
else
    fail "mouse: wheel up over ANSWER scrolls ANSWER, not THINK"; tm_dump
fi
wheel_to_end answer $answer_x ANSWER

# the panes' edges: the last column of THINK and its last body row, the first
# column of ANSWER and its title row belong to the pane
wheel x10 up $((div - 1)) $((status - 1))
if wait_for "think back" think_back && ! answer_back; then
    pass "mouse: THINK's last column and last row are THINK"
else
    fail "mouse: THINK's last column and last row are THINK" "column $((div - 1)) row $((status - 1))"
    tm_dump
fi
wheels x10 down $think_x $row 2
wheel x10 up $((div + 1)) 1
if wait_for "answer back" answer_back && ! think_back; then
    pass "mouse: ANSWER's first column and title row are ANSWER"
else
    fail "mouse: ANSWER's first column and title row are ANSWER" "column $((div + 1)) row 1"
    tm_dump
fi
wheels x10 down $answer_x $row 2
wait_for "answer at end" '! answer_back'

# where no pane is: the status line, the input row, the divider. Then a key:
# it is read after the wheels, so when it shows they were handled.
for at in "3 $status" "$answer_x $status" "5 20" "$div $row"; do
    # shellcheck disable=SC2086
    wheels x10 up $at 3
done
tm_keys x
if tm_wait "> x" 5 && panes | diff -u "$T/end.txt" - > "$T/diff"; then
    pass "mouse: a wheel over the status line, input row or divider changes nothing"
else
    fail "mouse: a wheel over the status line, input row or divider changes nothing"; tm_dump
    sed 's/^/    | /' "$T/diff"
fi
tm_keys BSpace
tm_type "/alpha 4"
if tm_wait "α4.0" 10 && ! tm_screen | grep -qF "[exit"; then
    pass "mouse: still running and taking input after the wheels"
else
    fail "mouse: still running and taking input after the wheels"; tm_dump
fi

# F7 stacks the panes (THINK above, ANSWER below): the wheel follows the pointer
tm_keys F7
if tm_wait_re "^─ ANSWER" 10; then
    arow=$(tm_screen | grep -n "^─ ANSWER" | cut -d: -f1)
    wheel x10 up 40 $((arow + 2))
    if wait_for "answer back" 'tm_screen | grep "^─ ANSWER" | grep -q "more below"' &&
       ! tm_screen | sed -n 1p | grep -q "more below"; then
        pass "mouse: stacked panes, a wheel over ANSWER scrolls ANSWER"
    else
        fail "mouse: stacked panes, a wheel over ANSWER scrolls ANSWER"; tm_dump
    fi
    wheel x10 up 40 $((arow - 2))
    if wait_for "think back" 'tm_screen | sed -n 1p | grep -q "more below"'; then
        pass "mouse: stacked panes, a wheel over THINK scrolls THINK"
    else
        fail "mouse: stacked panes, a wheel over THINK scrolls THINK"; tm_dump
    fi
else
    fail "mouse: F7 stacks the panes"; tm_dump
fi
# F7 again, and wait until the panes are side by side: ponder remembers the
# layout in its config file, and a stop before it takes the key would start
# the next section stacked
tm_keys F7
if ! wait_for "side by side" '! tm_screen | grep -q "^─ ANSWER" && tm_screen | sed -n 1p | grep -q " ANSWER "' ||
   ! wait_for "layout saved" 'grep -qs "layout *= *side" "$T/config/ponder/config"'; then
    fail "mouse: F7 puts the panes side by side again"; tm_dump
fi
tm_stop

# ---- SGR reports, TERM=xterm-256color (what a user in xterm gets) ----------------
tm_sock=ponder-test-$$-s
tm_start 80 20 "TERM=xterm-256color PONDER_FAKE_DELAY_MS=0 '$bin' -m fake.gguf"
if tm_wait "TIP on" 10; then
    turns
    # curses asked the terminal for SGR reports (tmux records the modes)
    if [ "$(tm display -p -t t '#{mouse_sgr_flag}')" = 1 ]; then
        pass "mouse: under xterm-256color curses asks for SGR mouse reports"
    else
        fail "mouse: under xterm-256color curses asks for SGR mouse reports"
    fi
    wheels sgr up $think_x $row 20
    if tm_wait "── 1 · first one?" 15 && think_back && ! answer_back; then
        wheels sgr down $think_x $row 21
        wheels sgr up $answer_x $row 20
        if tm_wait "model fake-demo" 15 && answer_back && ! think_back; then
            pass "mouse: SGR wheel reports scroll the pane under the pointer"
        else
            fail "mouse: SGR wheel down over THINK, up over ANSWER"; tm_dump
        fi
    else
        fail "mouse: SGR wheel up over THINK"; tm_dump
    fi
else
    fail "mouse: start under xterm-256color"; tm_dump
fi
tm_stop
exit $failed
