#!/bin/sh
# cli.sh - the command line itself (DESIGN.md §6, man/ponder.1): -h/--help
# anywhere prints the command's help (`ponder help CMD`) with exit 0; each
# command's help lists exactly the common options it takes and the others
# are refused (exit 2); every error line of a command reads "ponder: CMD: ";
# extra arguments are refused; `synth -o -` is refused; bench's tokens must
# fit --ctx or the model's context length.
PONDER=${PONDER:-./ponder}
SRC=${PONDER_SRCDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export PONDER_FORCE_CPU=1
XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
export XDG_CONFIG_HOME XDG_STATE_HOME
NOFILE=$tmp/missing.gguf     # every accepted option gets as far as opening it: exit 1

pass() { echo "PASS: cli: $*"; }
fail() { echo "FAIL: cli: $*"; }

# usage_error NAME PATTERN ARGS...: exit 2, nothing on stdout, one stderr
# line matching the basic regular expression PATTERN.
usage_error() {
    name=$1 pat=$2
    shift 2
    "$PONDER" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 2 ]; then fail "$name: exit status $rc, expected 2 ($(head -n 1 "$tmp/err"))"
    elif [ -s "$tmp/out" ]; then fail "$name: wrote to stdout"
    elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then fail "$name: $(wc -l <"$tmp/err") stderr lines, expected 1"
    elif ! grep -q -- "$pat" "$tmp/err"; then fail "$name: '$(cat "$tmp/err")' does not match '$pat'"
    else pass "$name"; fi
}

# --- -h/--help anywhere: the command's help, exit 0 -------------------------
"$PONDER" --help >"$tmp/top" 2>"$tmp/err" || fail "ponder --help: exit status $?"
# help_is NAME WANT ARGS...: stdout is the file WANT, stderr empty, exit 0
help_is() {
    name=$1 want=$2
    shift 2
    "$PONDER" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then fail "$name: exit status $rc ($(head -n 1 "$tmp/err"))"
    elif [ -s "$tmp/err" ]; then fail "$name: stderr: $(head -n 1 "$tmp/err")"
    elif ! cmp -s "$tmp/out" "$want"; then fail "$name: not the help ($(head -n 1 "$tmp/out"))"
    else pass "$name"; fi
}
for cmd in run tokenize logits bench eval info tip synth help; do
    "$PONDER" help "$cmd" >"$tmp/help-$cmd" 2>"$tmp/err"
    if [ $? -ne 0 ] || ! head -n 1 "$tmp/help-$cmd" | grep -q "^ponder $cmd - "; then
        fail "help $cmd: $(head -n 1 "$tmp/err")"; continue
    fi
    help_is "$cmd --help" "$tmp/help-$cmd" "$cmd" --help
    help_is "$cmd -h" "$tmp/help-$cmd" "$cmd" -h
    # after other options, and after a bad one: help wins
    help_is "$cmd -m FILE --bogus -h" "$tmp/help-$cmd" "$cmd" -m "$NOFILE" --bogus -h
done
help_is "-h" "$tmp/top" -h
help_is "--plain --help" "$tmp/top" --plain --help
help_is "-m FILE --tip off -h" "$tmp/top" -m "$NOFILE" --tip off -h
help_is "help (no command)" "$tmp/top" help
# an option's value is never taken for -h: `logits -p -h` is the prompt "-h"
DEMO=$SRC/share/ponder/models/ponder-demo.gguf
if [ -f "$DEMO" ]; then
    if "$PONDER" logits -m "$DEMO" -p -h --top 1 >"$tmp/out" 2>"$tmp/err" && grep -q '^pos [0-9]*:' "$tmp/out"; then
        pass "logits -p -h: a prompt"
    else fail "logits -p -h: $(head -n 1 "$tmp/out") $(head -n 1 "$tmp/err")"; fi
fi

# --- each help lists exactly the common options the command takes -----------
# option and a valid value ("-": none)
opts="backend:cpu threads:1 ctx:64 no-repack:- attn-f32:- verbose:- max-tokens:4 temp:0.5
top-k:5 top-p:0.9 min-p:0.1 repeat-penalty:1.1 seed:3 tip:on tip-alpha:2 tip-beta:100
tip-phrases:$tmp/phrases.txt tip-groups:switch tip-schedule:step min-thought:10
think-budget:10 no-wait:- template:qwen3 system:hi raw:- json:- plain:- theme:default"
# the arguments each command needs besides the option ("" for the REPL)
needs() {
    case $1 in
    run) echo "run -m $NOFILE -p hi" ;;
    tokenize) echo "tokenize -m $NOFILE hi" ;;
    logits) echo "logits -m $NOFILE --tokens 1" ;;
    bench) echo "bench -m $NOFILE -p 4 -n 2 -r 1" ;;
    eval) echo "eval -m $NOFILE --set $tmp/missing.jsonl" ;;
    info) echo "info -m $NOFILE" ;;
    tip) echo "tip -m $NOFILE" ;;
    synth) echo "synth --preset test-moe --dry-run --layers 1" ;;
    repl) echo "-m $NOFILE --plain" ;;
    esac
}
for cmd in repl run tokenize logits bench eval info tip synth; do
    if [ "$cmd" = repl ]; then h=$tmp/top; else h=$tmp/help-$cmd; fi
    [ -s "$h" ] || continue
    bad=""
    for ov in $opts; do
        o=${ov%%:*} v=${ov#*:}
        [ "$v" = - ] && v=""
        listed=0
        grep -qE -- "--$o([^a-z0-9-]|\$)" "$h" && listed=1
        # shellcheck disable=SC2046
        "$PONDER" $(needs "$cmd") "--$o" $v </dev/null >/dev/null 2>"$tmp/err"
        rc=$?
        if [ $listed = 1 ] && [ $rc = 2 ]; then bad="$bad --$o(listed, refused: $(head -c 80 "$tmp/err"))"
        elif [ $listed = 0 ] && [ $rc != 2 ]; then bad="$bad --$o(not listed, exit $rc)"
        elif [ $listed = 0 ] && ! grep -q -- "--$o is not an option of\\|--json belongs to\\|unknown option" "$tmp/err"; then
            bad="$bad --$o(refused: $(head -c 80 "$tmp/err"))"
        fi
    done
    if [ -z "$bad" ]; then pass "$cmd: its help lists the options it takes"
    else fail "$cmd: help and parser differ:$bad"; fi
done
usage_error "info --threads" "^ponder: info: --threads is not an option of info " info --threads 2
usage_error "tokenize --temp" "^ponder: tokenize: --temp is not an option of tokenize " tokenize --temp 1 hi
usage_error "run --theme nope" "^ponder: run: --theme is not an option of run " run -p hi --theme nope

# --- error lines name the command --------------------------------------------
for cmd in run tokenize logits bench eval info tip synth help; do
    usage_error "$cmd --foo" "^ponder: $cmd: unknown option '--foo' (try 'ponder help $cmd')\$" "$cmd" --foo
done
usage_error "logits: a missing value" "^ponder: logits: option '--top' needs a value" logits --tokens 1 --top
usage_error "bench -r 0" "^ponder: bench: -r: '0' is not a whole number" bench -r 0
usage_error "logits --ctx 1" "^ponder: logits: --ctx: '1' is not a whole number" logits --tokens 1 --ctx 1
usage_error "run --json=1" "^ponder: run: option '--json' takes no value" run -p hi --json=1
"$PONDER" info -m "$NOFILE" >/dev/null 2>"$tmp/err"
if [ $? = 1 ] && grep -q "^ponder: info: .*missing.gguf" "$tmp/err"; then pass "info: a file error names the command"
else fail "info -m missing: $(cat "$tmp/err")"; fi

# --- extra arguments ------------------------------------------------------------
usage_error "--version extra" "^ponder: --version: unexpected argument 'extra'" --version extra
usage_error "help run extra" "^ponder: help: unexpected argument 'extra'" help run extra
usage_error "help nosuch" "^ponder: help: unknown command 'nosuch'" help nosuch
usage_error "synth --list extra" "^ponder: synth: unexpected argument 'extra'" synth --list extra
usage_error "synth --list --seed 2" "^ponder: synth: --list takes no other options" synth --list --seed 2
if [ "$("$PONDER" --version)" = "$("$PONDER" -V)" ] && "$PONDER" --version | grep -q '^ponder '; then
    pass "--version alone"
else fail "--version: $("$PONDER" --version 2>&1)"; fi

# --- synth -o - ---------------------------------------------------------------------
mkdir "$tmp/wd"
P=$PONDER
case $P in /*) ;; */*) P=$(pwd)/$P ;; esac
(cd "$tmp/wd" && "$P" synth --preset test-moe --layers 1 -o - </dev/null >"$tmp/out" 2>"$tmp/err")
rc=$?
if [ $rc = 2 ] && [ ! -e "$tmp/wd/-" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
   grep -q "^ponder: synth: -o -: a GGUF is not written to standard output" "$tmp/err"; then
    pass "synth -o - is refused"
else fail "synth -o -: exit $rc, file '-' $([ -e "$tmp/wd/-" ] && echo written || echo absent): $(cat "$tmp/err")"; fi

# --- bench: the tokens must fit the context --------------------------------------------
if [ ! -f "$DEMO" ]; then
    echo "SKIP: cli: bench (demo model): $DEMO not built yet"
    exit 0
fi
# the demo model's context is 512
usage_error "bench beyond the model's context" \
    "^ponder: bench: -d 0 + -p 600 + -n 8 = 608 tokens do not fit the context of 512, the model's" \
    bench -m "$DEMO" -p 600 -n 8 -r 1
usage_error "bench: -p + -n beyond --ctx" \
    "^ponder: bench: -d 0 + -p 16 + -n 8 = 24 tokens do not fit the context of 16 (--ctx)" \
    bench -m "$DEMO" --ctx 16 -p 16 -n 8 -r 1
usage_error "bench: -d + -p + -n beyond the model's context" "do not fit the context of 512" \
    bench -m "$DEMO" -d 8 -p 500 -n 5 -r 1
if "$PONDER" bench -m "$DEMO" -p 500 -n 12 -r 1 --threads 1 --json >"$tmp/out" 2>"$tmp/err" &&
   grep -q '"n_prompt":500,"n_gen":12,' "$tmp/out"; then
    pass "bench: exactly the model's context"
else fail "bench -p 500 -n 12: $(head -n 1 "$tmp/err")"; fi
# --ctx beyond the model's own is the user's choice
if "$PONDER" bench -m "$DEMO" --ctx 640 -p 600 -n 8 -r 1 --threads 1 --json >"$tmp/out" 2>"$tmp/err" &&
   grep -q '"n_prompt":600,' "$tmp/out"; then
    pass "bench: --ctx is honoured"
else fail "bench --ctx 640 -p 600 -n 8: $(head -n 1 "$tmp/err")"; fi
exit 0
