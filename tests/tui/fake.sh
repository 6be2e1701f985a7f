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
exit $failed
