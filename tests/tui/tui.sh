#!/bin/sh
# tui.sh - the real ponder TUI in tmux (issue 7): on the demo model when it is
# installed in the tree, else on a random-weight oracle model (noise text: the
# answer checks are skipped when it gives no answer). Skips while the engine
# cannot run a model (`ponder run -m MODEL -p hi -n 1` fails).
srcdir=${PONDER_SRCDIR:-.}
. "$srcdir/tests/tui/tmux-lib"
if [ -z "$TMUX_BIN" ] || [ ! -x "$TMUX_BIN" ]; then skip "tui" "tmux not found"; exit 0; fi
if [ -z "$PONDER" ] || [ ! -x "$PONDER" ]; then skip "tui" "PONDER is not set"; exit 0; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ponder-tui.XXXXXX") || exit 1
trap 'tm_stop; rm -rf "$T"' EXIT

demo=$srcdir/share/ponder/models/ponder-demo.gguf
if [ -f "$demo" ]; then
    model=$demo args=""               # no -m: the built-in demo model
else
    model=${PONDER_ORACLE:-$srcdir/../shared/oracle}/models/q3moe-Q4_K_M.gguf
    args="-m '$model' --backend cpu --template r1-zero -n 64"
fi
if [ ! -f "$model" ]; then skip "tui" "no demo model and no oracle model"; exit 0; fi
if ! "$PONDER" run -m "$model" -p hi -n 1 >/dev/null 2>&1; then
    skip "tui" "the engine cannot run $model yet"; exit 0
fi

tui_suite tui "'$PONDER' $args" "What is 12 + 35?"
exit $failed
