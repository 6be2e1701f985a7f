#!/bin/sh
# route-trace.sh - PONDER_ROUTE_TRACE=FILE (what tests/gpu/run.sh reads to
# tell a routing near-tie from a fault): one line per token and MoE layer,
# "pos layer ids... weights...", whose experts and weights are those HF
# transformers chose for the same prompt (tests/fixtures/hf/*.routing.txt:
# "pos layer ids... weights... margins"); a file it cannot create is one
# error line.
PONDER=${PONDER:-./ponder}
src=${PONDER_SRCDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ponder-route.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

for m in qwen3moe deepseek-v3; do
    f=$src/tests/fixtures/hf/hf-$m
    # the prompt: the json's "tokens" array
    toks=$(tr -d ' \n' <"$f.json" | sed 's/.*"tokens":\[\([0-9,]*\)\].*/\1/')
    if ! PONDER_ROUTE_TRACE="$tmp/$m.txt" "$PONDER" logits -m "$f.gguf" --tokens "$toks" --backend cpu \
            >/dev/null 2>"$tmp/err"; then
        echo "FAIL: route trace $m: $(head -n 1 "$tmp/err")"; continue
    fi
    # same (pos, layer) lines, same expert sets, weights within 1e-4
    verdict=$(awk '
        FNR == 1 { f++ }
        f == 1 { k = (NF - 2) / 2 }
        f == 2 { k = (NF - 4) / 2 }
        {
            x = $1 " " $2; n[f]++
            for (i = 1; i <= k; i++) W[f, x, $(2 + i)] = $(2 + k + i)
            for (i = 1; i <= k; i++) I[f, x] = I[f, x] " " $(2 + i)
            K[x] = k
        }
        END {
            if (n[1] != n[2]) { printf "%d lines, the fixture has %d\n", n[1], n[2]; exit }
            for (x in K) {
                split(I[2, x], ids, " ")
                for (i = 1; i <= K[x]; i++) {
                    e = ids[i]
                    if (!((1, x, e) in W)) { printf "pos/layer %s: expert %s not chosen\n", x, e; exit }
                    d = W[1, x, e] - W[2, x, e]; if (d < 0) d = -d
                    if (d > 1e-4) { printf "pos/layer %s: expert %s weight %s, HF %s\n", x, e, W[1, x, e], W[2, x, e]; exit }
                }
            }
            print "ok"
        }' "$tmp/$m.txt" "$f.routing.txt")
    if [ "$verdict" = ok ]; then
        echo "PASS: route trace $m: $(wc -l <"$tmp/$m.txt") lines, the experts and weights HF chose"
    else
        echo "FAIL: route trace $m: $verdict"
    fi
done

f=$src/tests/fixtures/hf/hf-qwen3moe.gguf
PONDER_ROUTE_TRACE=/nonexistent/dir/trace.txt "$PONDER" logits -m "$f" --tokens 1,2 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'PONDER_ROUTE_TRACE: /nonexistent/dir/trace.txt' "$tmp/err"; then
    echo "PASS: route trace: an unwritable file is one error line (exit $rc)"
else
    echo "FAIL: route trace: unwritable file: exit $rc, stderr: $(head -c 200 "$tmp/err")"
fi
