#!/bin/sh
# check_llamacpp.sh LLAMA_BUILD_DIR [MODEL] - does llama.cpp load the demo
# model, and does it compute what ponder computes?
#
# LLAMA_BUILD_DIR is a CMake build of llama.cpp (shared libraries, the
# default); its CMakeCache.txt names the source tree for the headers. MODEL
# defaults to share/ponder/models/ponder-demo.gguf. For each eval problem
# (share/ponder/eval/arith-300.jsonl, lines $ITEMS) in the r1-zero prompt:
#   1. llama.cpp (lcpp_greedy.cpp, compiled here) tokenizes the prompt, runs
#      it and decodes greedily up to $N tokens or EOS;
#   2. `ponder tokenize` must give the same prompt ids;
#   3. `ponder logits --all` on prompt + greedy tokens (one batch) must agree
#      with llama.cpp's logits of the same tokens in one batch at every
#      position (max |d| <= $TOL) with the same argmax everywhere, and its
#      argmax must be llama.cpp's greedy token at every step, so ponder's
#      greedy continuation is llama.cpp's.
# Also printed, not judged: llama.cpp's own one-token-at-a-time logits vs its
# batch logits (near an MoE routing tie the two pick different experts).
# Prints one verdict line (and per-item lines for failures, or for all with
# VERBOSE=1); exit 0 agree, 1 mismatch, 2 could not run.
# Environment: PONDER (default: ponder on PATH), ITEMS (line numbers; default
# the first +, the first - and the first * problem), N (max greedy tokens,
# 200), TOL (0.05), CXX (c++).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 LLAMA_BUILD_DIR [MODEL]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$1" && pwd)
M=${2:-$top/share/ponder/models/ponder-demo.gguf}
PONDER=${PONDER:-$(command -v ponder || true)}
evalset=$top/share/ponder/eval/arith-300.jsonl
first() { grep -n -F -m 1 "$1" "$evalset" | cut -d: -f1; }
ITEMS=${ITEMS:-$(first ' + ') $(first ' - ') $(first ' * ')}
N=${N:-200}
TOL=${TOL:-0.05}
CXX=${CXX:-c++}

die() { echo "check_llamacpp: $*" >&2; exit 2; }
[ -f "$M" ] || die "no model $M"
[ -n "$PONDER" ] && [ -x "$PONDER" ] || die "set PONDER to a built ponder binary"
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$B/CMakeCache.txt" 2>/dev/null || true)
[ -f "$src/include/llama.h" ] || die "$B/CMakeCache.txt does not name a llama.cpp source tree"
lib=$(find "$B" -name 'libllama.so' | head -n 1)
[ -n "$lib" ] || die "no libllama.so under $B (build target llama)"
lib=$(dirname "$lib")
version=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CXX" -O2 -std=c++17 -I"$src/include" -I"$src/ggml/include" "$here/lcpp_greedy.cpp" \
    -o "$tmp/lcpp_greedy" -L"$lib" -Wl,-rpath,"$lib" -lllama -lggml -lggml-base \
    || die "could not compile lcpp_greedy.cpp against $B"

# per item: the prompt exactly as ponder's r1-zero template renders it (no
# newline); llama.cpp's ids, greedy ids and logits; ponder's ids and logits
for item in $ITEMS; do
    d=$tmp/$item
    mkdir "$d"
    sed -n "${item}p" "$evalset" |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["prompt"])' \
        > "$d/question" || die "no eval item $item"
    (cd "$here" && python3 -c 'import corpus, sys; sys.stdout.write(corpus.render_prompt(sys.argv[1]))' \
        "$(cat "$d/question")") > "$d/prompt.txt"
    "$tmp/lcpp_greedy" "$M" "$d/prompt.txt" "$N" "$d" \
        || { echo "check_llamacpp: FAIL: llama.cpp $version did not load or run $M"; exit 1; }
    "$PONDER" tokenize -m "$M" - < "$d/prompt.txt" 2>/dev/null | head -n 1 > "$d/ponder.ids"
    # the fed tokens: the prompt, then every greedy token but the last
    fed=$(awk 'NR == FNR { for (i = 1; i <= NF; i++) t[++n] = $i; next }
               { for (i = 1; i < NF; i++) t[++n] = $i }
               END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? "," : ""), t[i] }' \
        "$d/prompt.ids" "$d/greedy.ids")
    "$PONDER" logits -m "$M" --backend cpu --raw --all --tokens "$fed" --out "$d/ponder.f32" \
        > /dev/null 2>&1 || { echo "check_llamacpp: FAIL: ponder logits failed on $M"; exit 1; }
done

python3 - "$tmp" "$TOL" "$version" "${VERBOSE:-0}" $ITEMS <<'EOF'
import array, sys
tmp, tol, version, verbose, items = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5:]


def ids(d, name):
    return [int(x) for x in open(d + "/" + name).read().replace(",", " ").split()]


def floats(d, name):
    a = array.array("f")
    with open(d + "/" + name, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


ok, worst, rows, same_arg, worst_step = True, 0.0, 0, 0, 0.0
ptok, same_ptok, gtok, same_greedy = 0, 0, 0, 0
for item in items:
    d = tmp + "/" + item
    prompt, pids, greedy = ids(d, "prompt.ids"), ids(d, "ponder.ids"), ids(d, "greedy.ids")
    lc, pd = floats(d, "logits_batch.f32"), floats(d, "ponder.f32")
    step = floats(d, "logits_step.f32")
    n = len(prompt) + len(greedy) - 1
    if len(lc) != len(pd) or len(lc) % n:
        print("check_llamacpp: FAIL: item %s: logits sizes differ (llama.cpp %d, ponder %d floats)"
              % (item, len(lc), len(pd)))
        sys.exit(1)
    V = len(lc) // n
    amax = lambda a, r: max(range(V), key=lambda j: a[r * V + j])
    diff = max(abs(x - y) for x, y in zip(lc, pd))
    sdiff = max(abs(x - y) for x, y in zip(lc, step))
    arg = sum(amax(lc, r) == amax(pd, r) for r in range(n))
    # greedy[i] is llama.cpp's argmax after fed token len(prompt)-1+i
    gr = sum(amax(pd, len(prompt) - 1 + i) == g for i, g in enumerate(greedy))
    good = pids == prompt and diff <= tol and arg == n and gr == len(greedy)
    if verbose or not good:
        print("  item %s %r: prompt ids %s (%d), max|d| %.4f, argmax %d/%d, greedy %d/%d, "
              "llama.cpp step vs batch %.4f: %r"
              % (item, open(d + "/question").read(), "same" if pids == prompt else "DIFFER",
                 len(prompt), diff, arg, n, gr, len(greedy), sdiff,
                 open(d + "/greedy.txt", encoding="utf-8", errors="replace").read()))
    ok = ok and good
    worst, rows, same_arg = max(worst, diff), rows + n, same_arg + arg
    worst_step = max(worst_step, sdiff)
    ptok, same_ptok = ptok + len(prompt), same_ptok + (len(prompt) if pids == prompt else 0)
    gtok, same_greedy = gtok + len(greedy), same_greedy + gr
print("check_llamacpp: %s: llama.cpp %s vs ponder, %d eval prompts (items %s): prompt ids same "
      "%d/%d, logits %d rows x %d max|d| %.4f (tol %g), argmax same %d/%d, greedy tokens same "
      "%d/%d (llama.cpp's own step vs batch max|d| %.4f)"
      % ("OK" if ok else "FAIL", version, len(items), ",".join(items), same_ptok, ptok,
         rows, V, worst, tol, same_arg, rows, same_greedy, gtok, worst_step))
sys.exit(0 if ok else 1)
EOF
