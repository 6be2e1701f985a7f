#!/bin/sh
# info.sh - `ponder info` on every oracle model and vocabulary (architecture,
# layers, experts, vocabulary, parameters), and on broken files: exactly one
# stderr line "ponder: ...", exit status 1; usage errors exit 2.
PONDER=${PONDER:-./ponder}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-info.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# check_info NAME FILE PATTERN...: exit 0, empty stderr, and a line matching
# each extended regular expression.
check_info() {
    name=$1 file=$2
    shift 2
    "$PONDER" info -m "$file" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $name: exit status $rc: $(head -n 1 "$tmp/err")"; return
    fi
    if [ -s "$tmp/err" ]; then
        echo "FAIL: $name: unexpected stderr: $(head -n 1 "$tmp/err")"; return
    fi
    for pat in "$@"; do
        if ! grep -Eq -- "$pat" "$tmp/out"; then
            echo "FAIL: $name: no line matches '$pat'"; return
        fi
    done
    echo "PASS: $name"
}

# check_error NAME STATUS ARGS...: exit STATUS, nothing on stdout, exactly
# one line on stderr, starting with "ponder: ".
check_error() {
    name=$1 want=$2
    shift 2
    "$PONDER" info "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $name: exit status $rc, expected $want ($(head -n 1 "$tmp/err"))"
    elif [ -s "$tmp/out" ]; then
        echo "FAIL: $name: wrote to stdout"
    elif [ "$lines" -ne 1 ]; then
        echo "FAIL: $name: $lines lines on stderr, expected 1"
    elif ! head -n 1 "$tmp/err" | grep -q '^ponder: '; then
        echo "FAIL: $name: stderr does not start with 'ponder: ': $(head -n 1 "$tmp/err")"
    else
        echo "PASS: $name"
    fi
}

# --- oracle files ----------------------------------------------------------
o=${PONDER_ORACLE:-}
if [ -z "$o" ] || [ ! -d "$o/models" ]; then
    echo "SKIP: info-oracle: PONDER_ORACLE not set or has no models/"
else
    check_info ds3-F16 "$o/models/ds3-F16.gguf" \
        '^architecture: +deepseek2$' '^  layers +3$' '^  experts +16$' \
        '^  experts used per token +4$' '^  shared experts +1$' '^  dense lead blocks +1$' \
        '^  MLA kv rank +512$' '^  expert gating +2 \(sigmoid\)$' \
        '^  vocabulary +2064$' '^chat template: +qwen3 ' \
        '^size: +23,954,944 bytes' '^  F16 +35 tensors' \
        '^parameters: +11,931,680 ' '^active per token: +6,684,704 '
    check_info ds3-Q4_K_M "$o/models/ds3-Q4_K_M.gguf" \
        '^architecture: +deepseek2$' '^  layers +3$' '^  Q4_K +32 tensors' \
        '^  Q6_K +3 tensors' '^parameters: +11,931,680 '
    check_info q3moe-F16 "$o/models/q3moe-F16.gguf" \
        '^architecture: +qwen3moe$' '^  layers +2$' '^  experts +16$' \
        '^  experts used per token +4$' '^  kv heads +2$' '^  key head dim +128$' \
        '^parameters: +8,144,640 ' '^active per token: +2,897,664 '
    check_info q3moe-Q4_K_M "$o/models/q3moe-Q4_K_M.gguf" \
        '^architecture: +qwen3moe$' '^  Q6_K +3 tensors' '^parameters: +8,144,640 '
fi
if [ -z "$o" ] || [ ! -d "$o/vocab" ]; then
    echo "SKIP: info-vocab: PONDER_ORACLE not set or has no vocab/"
else
    check_info qwen3-vocab "$o/vocab/qwen3-vocab.gguf" \
        '^architecture: +qwen3moe$' '^  layers +48$' '^  experts +128$' \
        '^  vocabulary +151936$' '^  merges +151387$' '^  pre-tokenizer +qwen2$' \
        '^  eos +151645 ' '^chat template: +qwen3 ' '^tensors: +0,'
    check_info deepseek-v3-vocab "$o/vocab/deepseek-v3-vocab.gguf" \
        '^architecture: +deepseek2$' '^  layers +61$' '^  experts +256$' \
        '^  vocabulary +129280$' '^  merges +127741$' '^  pre-tokenizer +deepseek-v3$' \
        '^chat template: +deepseek-v3 '
    check_info gpt-2-vocab "$o/vocab/ggml-vocab-gpt-2.gguf" \
        '^architecture: +gpt2$' '^  vocabulary +50257$' '^chat template: +none '
    check_info deepseek-llm-vocab "$o/vocab/ggml-vocab-deepseek-llm.gguf" \
        '^architecture: +llama$' '^  vocabulary +102400$'
    check_info deepseek-coder-vocab "$o/vocab/ggml-vocab-deepseek-coder.gguf" \
        '^architecture: +llama$' '^  vocabulary +32256$'
fi

# --- broken files and bad usage ----------------------------------------------
printf 'NOPE\003\000\000\000' >"$tmp/magic.gguf"
check_error bad-magic 1 -m "$tmp/magic.gguf"
printf 'GGUF\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' \
    >"$tmp/v1.gguf"
check_error version-1 1 -m "$tmp/v1.gguf"
printf 'GGUF\003\000\000\000\000\000\000\000\000\000\000\000\377\377\377\377\377\377\377\377' \
    >"$tmp/nkv.gguf"
check_error absurd-count 1 -m "$tmp/nkv.gguf"
: >"$tmp/empty.gguf"
check_error empty-file 1 -m "$tmp/empty.gguf"
check_error missing-file 1 -m "$tmp/does-not-exist.gguf"
check_error directory 1 -m "$tmp"
if [ -n "$o" ] && [ -f "$o/models/ds3-F16.gguf" ]; then
    head -c 5000 "$o/models/ds3-F16.gguf" >"$tmp/trunc1.gguf"
    check_error truncated-metadata 1 -m "$tmp/trunc1.gguf"
    head -c 20000000 "$o/models/ds3-F16.gguf" >"$tmp/trunc2.gguf"
    check_error truncated-data 1 -m "$tmp/trunc2.gguf"
    grep -q "data ends at byte" "$tmp/err" || echo "FAIL: truncated-data-message: $(cat "$tmp/err")"
else
    echo "SKIP: truncated: PONDER_ORACLE not set"
fi
check_error missing-value 2 -m
check_error unknown-option 2 --bogus
check_error extra-argument 2 -m "$tmp/magic.gguf" extra
