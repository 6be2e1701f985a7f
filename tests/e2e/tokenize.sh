#!/bin/sh
# tokenize.sh - `ponder tokenize` on the oracle vocabularies: ids equal to
# llama.cpp's lines in the oracle .out files, --special / --pieces / stdin,
# and the error conventions (missing file: one "ponder: " line, exit 1; no
# text: exit 2).
PONDER=${PONDER:-./ponder}
O=${PONDER_ORACLE:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-tok.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ -z "$O" ] || [ ! -f "$O/vocab/qwen3-vocab.gguf" ]; then
    echo "SKIP: tokenize: no oracle (PONDER_ORACLE)"
    exit 0
fi
Q=$O/vocab/qwen3-vocab.gguf
D=$O/vocab/deepseek-v3-vocab.gguf

# expect NAME WANT ARGS...: first stdout line equals WANT, exit 0.
expect() {
    name=$1 want=$2
    shift 2
    "$PONDER" tokenize "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    got=$(head -n 1 "$tmp/out")
    if [ "$rc" -ne 0 ]; then echo "FAIL: $name: exit $rc: $(head -n 1 "$tmp/err")"
    elif [ "$got" != "$want" ]; then echo "FAIL: $name: got '$got', want '$want'"
    else echo "PASS: $name"; fi
}

# line N of an oracle .out file
line() { sed -n "$2p" "$O/tokenizer/$1"; }

expect "qwen3 'Hello, world!' (oracle line 7)" "$(line qwen3.out 7)" -m "$Q" "Hello, world!"
expect "qwen3 ' Hello world' (oracle line 6)" "$(line qwen3.out 6)" -m "$Q" " Hello world"
expect "qwen3 FIM tokens with --special (oracle line 40)" "$(line qwen3.out 40)" \
    -m "$Q" --special "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>"
expect "qwen3 FIM tokens as text (oracle nospecial line 40)" "$(line qwen3.nospecial.out 40)" \
    -m "$Q" "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>"
expect "deepseek-v3 BOS text with --special (oracle line 42)" "$(line deepseek-v3.out 42)" \
    -m "$D" --special "<｜begin▁of▁sentence｜>"
expect "deepseek-v3 BOS text as text (oracle nospecial line 42)" "$(line deepseek-v3.nospecial.out 42)" \
    -m "$D" "<｜begin▁of▁sentence｜>"

# --pieces: second line, each piece quoted
"$PONDER" tokenize -m "$Q" --pieces "Hello, world!" >"$tmp/out" 2>"$tmp/err"
if [ "$(sed -n 2p "$tmp/out")" = '"Hello" "," " world" "!"' ]; then echo "PASS: --pieces"
else echo "FAIL: --pieces: got '$(sed -n 2p "$tmp/out")'"; fi

# '-' reads all of stdin as one text (newlines included)
printf 'two\nlines\n\n end' | "$PONDER" tokenize -m "$Q" - >"$tmp/a" 2>"$tmp/err"
"$PONDER" tokenize -m "$Q" "$(printf 'two\nlines\n\n end')" >"$tmp/b" 2>>"$tmp/err"
if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then echo "PASS: stdin"
else echo "FAIL: stdin: '$(cat "$tmp/a")' vs '$(cat "$tmp/b")'"; fi

# errors
err_case() {
    name=$1 want=$2
    shift 2
    "$PONDER" tokenize "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    n=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want" ]; then echo "FAIL: $name: exit $rc, want $want"
    elif [ -s "$tmp/out" ]; then echo "FAIL: $name: output on stdout"
    elif [ "$n" -ne 1 ] || ! grep -q '^ponder: ' "$tmp/err"; then
        echo "FAIL: $name: stderr is not one 'ponder: ' line: $(cat "$tmp/err")"
    else echo "PASS: $name"; fi
}
err_case "missing file" 1 -m "$tmp/nope.gguf" hello
err_case "not a GGUF" 1 -m "$O/tokenizer/qwen3.inp" hello
err_case "no text" 2 -m "$Q"
err_case "unknown option" 2 -m "$Q" --bogus hello
