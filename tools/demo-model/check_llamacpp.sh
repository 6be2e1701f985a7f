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
#      greedy continuation is llama.cpp's. At most MAX_OVER rows may differ
#      by more than TOL: at rare MoE routing near-ties one engine's rounding
#      picks other experts than the other's (a few logits at that token,
#      0.05-0.4 at some later ones). On all of arith-300 (56,484 rows) that
#      was 36 rows; check_gguf.py's float64 forward pass sided with ponder at
#      some and with llama.cpp at others. With $PYTHON able to import numpy,
#      torch and gguf the verdict says which engine the reference sides with.
# Also printed, not judged: llama.cpp's own one-token-at-a-time logits vs its
# batch logits (near an MoE routing tie the two pick different experts).
# Prints one verdict line (and per-item lines for failures, or for all with
# VERBOSE=1); exit 0 agree, 1 mismatch, 2 could not run.
# Environment: PONDER (default: ponder on PATH), ITEMS (line numbers; default
# the first +, the first - and the first * problem), N (max greedy tokens,
# 200), TOL (0.05), MAX_OVER (1% of the rows, at least 8), CXX (c++),
# PYTHON (python3).
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
PYTHON=${PYTHON:-python3}

die() { echo "check_llamacpp: $*" >&2; exit 2; }
[ -f "$M" ] || die "no model $M"
if [ -z "$PONDER" ] || [ ! -x "$PONDER" ]; then die "set PONDER to a built ponder binary"; fi
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

"$PYTHON" - "$tmp" "$TOL" "$version" "${VERBOSE:-0}" "$here" "$M" "${MAX_OVER:-}" $ITEMS <<'EOF'
import array, sys
tmp, tol, version, verbose, here, model, max_over = sys.argv[1:8]
tol, verbose, items = float(tol), verbose == "1", sys.argv[8:]


def ids(d, name):
    return [int(x) for x in open(d + "/" + name).read().replace(",", " ").split()]


def floats(d, name):
    a = array.array("f")
    with open(d + "/" + name, "rb") as f:
        a.frombytes(f.read())
    if sys.byteorder != "little":
        a.byteswap()
    return a


reference = None


def ref_logits(tokens):
    """check_gguf.py's float64 forward pass (numpy, torch, gguf), or None."""
    global reference
    if reference is None:
        try:
            sys.path.insert(0, here)
            import numpy as np
            import check_gguf
            reference = (np, check_gguf.GGUFModel(model))
        except Exception:
            reference = False
    if not reference:
        return None
    np, m = reference
    return np.asarray(m.forward(np.array(tokens))[0], dtype=float).tolist()


ok, worst, rows, same_arg, worst_step = True, 0.0, 0, 0, 0.0
ptok, same_ptok, gtok, same_greedy = 0, 0, 0, 0
over, lc_off, pd_off = 0, 0, 0
for item in items:
    d = tmp + "/" + item
    prompt, pids, greedy = ids(d, "prompt.ids"), ids(d, "ponder.ids"), ids(d, "greedy.ids")
    lc, pd, step = floats(d, "logits_batch.f32"), floats(d, "ponder.f32"), floats(d, "logits_step.f32")
    n = len(prompt) + len(greedy) - 1
    if len(lc) != len(pd) or len(lc) % n:
        print("check_llamacpp: FAIL: item %s: logits sizes differ (llama.cpp %d, ponder %d floats)"
              % (item, len(lc), len(pd)))
        sys.exit(1)
    V = len(lc) // n
    row = lambda a, r: a[r * V:(r + 1) * V]
    dist = lambda a, b: max(abs(x - y) for x, y in zip(a, b))
    amax = lambda a: max(range(V), key=a.__getitem__)
    drow = [dist(row(lc, r), row(pd, r)) for r in range(n)]
    diff, sdiff = max(drow), dist(lc, step)
    arg = sum(amax(row(lc, r)) == amax(row(pd, r)) for r in range(n))
    # greedy[i] is llama.cpp's argmax after fed token len(prompt)-1+i
    gr = sum(amax(row(pd, len(prompt) - 1 + i)) == g for i, g in enumerate(greedy))
    # rows beyond TOL (routing near-ties): which engine is off the float64 reference
    bad_rows = [r for r in range(n) if drow[r] > tol]
    ref = ref_logits(prompt + greedy[:-1]) if bad_rows else None
    item_lc_off = item_pd_off = 0
    for r in bad_rows if ref else []:
        dl, dp = dist(row(lc, r), ref[r]), dist(row(pd, r), ref[r])
        item_lc_off, item_pd_off = item_lc_off + (dl > dp), item_pd_off + (dp >= dl)
    good = pids == prompt and arg == n and gr == len(greedy)
    if verbose or not good:
        print("  item %s %r: prompt ids %s (%d), max|d| %.4f, rows over tol %d, "
              "argmax %d/%d, greedy %d/%d, llama.cpp step vs batch %.4f: %r"
              % (item, open(d + "/question").read(), "same" if pids == prompt else "DIFFER",
                 len(prompt), diff, len(bad_rows), arg, n, gr, len(greedy), sdiff,
                 open(d + "/greedy.txt", encoding="utf-8", errors="replace").read()))
    ok = ok and good
    worst, rows, same_arg = max(worst, diff), rows + n, same_arg + arg
    worst_step = max(worst_step, sdiff)
    ptok, same_ptok = ptok + len(prompt), same_ptok + (len(prompt) if pids == prompt else 0)
    gtok, same_greedy = gtok + len(greedy), same_greedy + gr
    over, lc_off, pd_off = over + len(bad_rows), lc_off + item_lc_off, pd_off + item_pd_off
max_over = int(max_over) if max_over else max(8, rows // 100)
ok = ok and over <= max_over
note = ""
if over:
    note = (" (float64 reference closer to ponder at %d, to llama.cpp at %d)" % (lc_off, pd_off)
            if reference else " (no float64 reference: PYTHON lacks numpy, torch or gguf)")
print("check_llamacpp: %s: llama.cpp %s vs ponder, %d eval prompts%s: prompt ids same %d/%d, logits "
      "%d rows x %d: max|d| %.4f, %d rows over %g (max %d)%s; argmax same %d/%d, greedy tokens same %d/%d "
      "(llama.cpp's own step vs batch max|d| %.4f)"
      % ("OK" if ok else "FAIL", version, len(items),
         " (items %s)" % ",".join(items) if len(items) <= 6 else "", same_ptok, ptok,
         rows, V, worst, over, tol, max_over, note, same_arg, rows, same_greedy, gtok, worst_step))
sys.exit(0 if ok else 1)
EOF
