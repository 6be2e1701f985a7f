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
