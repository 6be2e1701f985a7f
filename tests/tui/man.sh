#!/bin/sh
# man.sh - man/ponder.1 renders without warnings (groff -ww, and man --warnings
# where man-db is installed).
srcdir=${PONDER_SRCDIR:-.}
page=${MAN_LINT:-$srcdir/man/ponder.1}
if [ ! -f "$page" ]; then echo "FAIL: man: $page is missing"; exit 1; fi
failed=0
if command -v groff >/dev/null 2>&1; then
    out=$(groff -ww -man -z -Tutf8 "$page" 2>&1)
    if [ -z "$out" ]; then echo "PASS: man: groff -ww"; else
        echo "FAIL: man: groff -ww"; printf '%s\n' "$out" | head -20 | sed 's/^/    | /'; failed=1; fi
else
    echo "SKIP: man: groff -ww: groff not installed"
fi
# EXIT STATUS lists each code the program uses (0 ok, 1 bad input, 2 usage,
# 130 a run stopped by Ctrl-C) and every CLI_EXIT_* value in src/cli.h, each
# as a ".B N" item of its own
codes=$(grep -o 'CLI_EXIT_[A-Z_]* *= *[0-9][0-9]*' "$srcdir/src/cli.h" | sed 's/.*= *//')
listed=$(awk '/^\.SH /{on = ($0 == ".SH EXIT STATUS")} on' "$page" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p')
missing=""
for code in $(printf '%s\n' 0 1 2 130 $codes | sort -nu); do
    printf '%s\n' "$listed" | grep -qx "$code" || missing="$missing $code"
done
if [ -z "$missing" ] && [ -n "$codes" ]; then echo "PASS: man: EXIT STATUS lists every exit code"
else echo "FAIL: man: EXIT STATUS lacks:${missing:- (no CLI_EXIT_ codes found)}"; failed=1; fi
# /help and the page's "Commands" and "Keys" name the same REPL commands and
# keys, both ways (the help text from the front end on the fake engine)
fake=${PONDER_BUILDDIR:-.}/tests/tui/ponder-fake
if [ -x "$fake" ] && d=$(mktemp -d "${TMPDIR:-/tmp}/ponder-man.XXXXXX"); then
    help=$(printf '/help\n' | PONDER_FAKE_DELAY_MS=0 "$fake" -m fake.gguf 2>&1 >/dev/null)
    section() { awk -v h="$1" '/^\.S[SH] /{on = ($0 == ".SS " h)} on' "$page" | sed 's/\\-/-/g'; }
    keys_re='(Ctrl|Alt)-[A-Za-z]+|F[0-9]+|Tab|PgUp|PgDn|Home|End'
    printf '%s\n' "$help" | sed -n 's|^  \(/[a-z-]*\).*|\1|p' | sort -u >"$d/help"
    printf '%s\n' "$help" | sed -n '/^keys:/,$p' | grep -oE "$keys_re" | sort -u >"$d/help-keys"
    section Commands | sed -n 's|^\.B[IR]* "*\(/[a-z-]*\).*|\1|p' | sort -u >"$d/man"
    section Keys | grep -v '^\.SS' | grep -oE "$keys_re" | sort -u >"$d/man-keys"
    only_help=$(comm -23 "$d/help" "$d/man"; comm -23 "$d/help-keys" "$d/man-keys")
    only_man=$(comm -13 "$d/help" "$d/man"; comm -13 "$d/help-keys" "$d/man-keys")
    n=$(wc -l <"$d/help")
    rm -rf "$d"
    if [ -z "$only_help$only_man" ] && [ "$n" -gt 20 ]; then
        echo "PASS: man: /help and the page list the same commands and keys"
    else
        echo "FAIL: man: /help and the page differ: only in /help:" $only_help "; only in the page:" $only_man "($n commands)"
        failed=1
    fi
else
    echo "SKIP: man: /help against the page: $fake not built"
fi
if command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- '--warnings'; then
    out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -z "$out" ]; then echo "PASS: man: man --warnings -l"; else
        echo "FAIL: man: man --warnings -l"; printf '%s\n' "$out" | head -20 | sed 's/^/    | /'; failed=1; fi
    # every subcommand and common option of `ponder --help` is in the page
    if [ -n "$PONDER" ] && [ -x "$PONDER" ]; then
        missing=""
        for w in $("$PONDER" --help | grep -oE -- '--[a-z][a-z-]+|^  [a-z]+ ' | tr -d ' ' | sort -u); do
            MANWIDTH=200 man -l "$page" 2>/dev/null | grep -qF -- "$w" || missing="$missing $w"
        done
        if [ -z "$missing" ]; then echo "PASS: man: documents every command and option"
        else echo "FAIL: man: not documented:$missing"; failed=1; fi
    fi
else
    echo "SKIP: man: man --warnings: man-db not installed"
fi
exit $failed
