#!/bin/sh
# capture.sh - text screenshots of the ponder TUI for the README, taken with
# tmux capture-pane from a real run:
#   docs/screenshots/capture.sh BUILD/ponder [ponder options, e.g. -m M.gguf]
# writes tui-side.txt, tui-stacked.txt, tui-collapsed.txt, tui-ab.txt and
# plain.txt next to this script. Needs tmux and a model the engine can run.
set -e
bin=$1; shift
dir=$(cd "$(dirname "$0")" && pwd)
prompt=${CAPTURE_PROMPT:-What is 12 + 35?}
T=$(mktemp -d "${TMPDIR:-/tmp}/ponder-shots.XXXXXX")
sock=ponder-shots-$$
tm() { tmux -u -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
wait_for() {   # REGEX [SECONDS]
    i=0
    while [ "$i" -lt $(( ${2:-60} * 10 )) ]; do
        tm capture-pane -p -t s | grep -qE -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "capture.sh: timed out waiting for '$1'" >&2; return 1
}
shot() { tm capture-pane -p -t s | sed 's/[[:space:]]*$//' > "$dir/$1"; echo "wrote $dir/$1"; }
done_re='[0-9]+ thoughts? · [0-9,]+ tok · [0-9]+ suppressed · '

tm new-session -d -s s -x 100 -y 30 "env HOME='$T' XDG_CONFIG_HOME='$T/c' XDG_STATE_HOME='$T/s' \
    LC_ALL=C.UTF-8 '$bin' $*; sleep 600"
wait_for 'TIP on'
tm send-keys -t s -l "$prompt"; tm send-keys -t s Enter
wait_for "$done_re" 300
shot tui-side.txt
tm send-keys -t s F7; sleep 0.3; shot tui-stacked.txt; tm send-keys -t s F7
tm send-keys -t s F9; sleep 0.3; shot tui-collapsed.txt; tm send-keys -t s F9 F9
tm send-keys -t s -l "/ab"; tm send-keys -t s Enter
wait_for 'A/B ' 600
shot tui-ab.txt
tm send-keys -t s -l "/quit"; tm send-keys -t s Enter
printf '%s\n' "$prompt" | env HOME="$T" XDG_CONFIG_HOME="$T/c" LC_ALL=C.UTF-8 "$bin" "$@" \
    > "$dir/plain.txt" 2>&1
echo "wrote $dir/plain.txt"
