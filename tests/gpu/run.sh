#!/bin/sh
# tests/gpu/run.sh - the GPU checks of issue 8 in one script, for a bare GPU
# machine that has the NVIDIA driver and cuBLAS but nothing built: it runs
# what tests/gpu/prepare.sh collected in build-gpu/ and prints a table.
#
#   check  op-by-op kernels vs the CPU scalar reference (test_ops); whole-model
#          logits of every model in build-gpu/oracle, tests/fixtures/hf and
#          tests/fixtures/quant (llama-quantize's Q5_0/Q5_1 fallbacks, the
#          K-quant and i-quant mixes),
#          CUDA vs CPU (prefill 300 tokens, 3 tokens on the mat-vec path, one
#          decode step) within 1e-3 (F32 files; F16 5e-3, quantized 3e-2:
#          tests/gpu/README); greedy 64-token generations identical (graph
#          and no graph); compute-sanitizer memcheck of a prefill and of
#          decode steps. The random-weight oracle models have routing
#          near-ties that a last-bit difference flips (the oracle README,
#          section 5): where the outputs part, the routing traces of both
#          (PONDER_ROUTE_TRACE) say from which position, and the rows
#          before it must agree. tests/cuemu/check.sh runs all this on the
#          CPU, the kernels emulated.
#   bench  mat-vec bandwidth per type, then `ponder synth` + `ponder bench`
#          (512-token prefill, 128 decoded) for qwen3-30b-a3b Q4_K and Q8_0
#          and deepseek-v2-lite Q8_0 (or the PRESET:TYPE given)
#   all    both (may not fit one 10-minute device call)
#
# usage: sh tests/gpu/run.sh [check|bench|all] [PRESET:TYPE ...]
# Logs and the table go to $OUT (the device tool's folder) or /tmp/ponder-gpu.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
G=${PONDER_GPU_DIR:-$top/build-gpu}
O=${OUT:-/tmp/ponder-gpu}
mkdir -p "$O"
P=$G/ponder
T=$G/test_ops
TABLE=$O/table.txt
: > "$TABLE"
fails=0
mode=${1:-all}
[ $# -gt 0 ] && shift

row() {   # check name, ok|FAIL|skip, detail
    printf '%-40s %-4s %s\n' "$1" "$2" "$3" | tee -a "$TABLE"
    [ "$2" = FAIL ] && fails=$((fails + 1))
    return 0
}

# --- environment: carried libraries, cuBLAS wherever this machine has it ----
cub=
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
         /usr/lib/x86_64-linux-gnu; do
    [ -e "$d/libcublas.so.13" ] && { cub=$d; break; }
done
[ -n "$cub" ] || { c=$(find /usr /opt -name libcublas.so.13 2>/dev/null | head -1); cub=${c%/*}; }
export LD_LIBRARY_PATH="$G/lib${cub:+:$cub}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PONDER_DATADIR="$top/share/ponder"
export PONDER_CUDA_PLUGIN="$G/kernels/ponder-cuda.so"
[ -x "$P" ] && [ -x "$T" ] || { echo "run.sh: $G is incomplete: run tests/gpu/prepare.sh where it was built" >&2; exit 2; }
echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
echo "cublas: ${cub:-not found}"

# 300 token ids below 384 (the smallest vocabulary): the first 256 rows take
# the CPU's wide attention path (a full micro-batch), the last 44 the narrow
# one (kernels/plan.h: pd_cu_wide_rows)
# PONDER_GPU_TOKENS, PONDER_GPU_MODELS: another prompt length, other models
# (tests/cuemu/check.sh, which runs these checks on the CPU, uses both)
ntok=${PONDER_GPU_TOKENS:-300}
toksN=$(awk -v n="$ntok" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d", i ? "," : "", (i * 37 + 11) % 383 + 1 }')
toks3=$(echo "$toksN" | cut -d, -f1-3)
toks1=$(echo "$toksN" | cut -d, -f1)
models=${PONDER_GPU_MODELS:-$(ls "$G"/oracle/*.gguf tests/fixtures/hf/*.gguf tests/fixtures/quant/*.gguf 2>/dev/null)}
first_model=$(echo "$models" | head -1)

# cuda_failed ROW: the row for a failed cuda run, from $O/err.txt (the GPU
# kernels read every weight type the CPU does: a refusal is a failure too)
cuda_failed() {
    row "$1" FAIL "cuda: $(head -c 160 "$O/err.txt")"
}

# route_diff A B: the first position at which two PONDER_ROUTE_TRACE files
# ("pos layer ids... weights..." lines) chose other experts, and its layer;
# nothing when they chose the same everywhere
route_diff() {
    awk '
    FNR == 1 { f++ }
    {
        k = (NF - 2) / 2; set = ""
        for (i = 1; i <= k; i++) set = set " " $(2 + i)
        x = sprintf("%09d %04d", $1, $2); S[f, x] = set; K[x] = 1
    }
    END {
        first = ""
        for (x in K) if (S[1, x] != S[2, x] && (first == "" || x < first)) first = x
        if (first != "") { split(first, pl, " "); print pl[1] + 0, pl[2] + 0 }
    }' "$1" "$2"
}

# How close the GPU's logits must come to the CPU's, by the file's type.
# The activations are rounded before each product as the weights' dot
# format asks (F16: to half, quantized weights: to 8 bits, as llama.cpp),
# and a value a last bit away from a rounding boundary goes the other way on
# the other backend: 2^-11 of it for half, 1/127 for 8 bits; a few such
# flips per token are expected, hence looser bounds than F32's.
logits_tol() {   # model
    case $("$P" info -m "$1" 2>/dev/null | sed -n 's/^file type: *//p') in
    "all F32"*) echo 1e-3 ;;
    *F16*) echo 5e-3 ;;
    *) echo 3e-2 ;;
    esac
}

# The random-weight routers have near-ties that such a flip decides
# otherwise (../shared/oracle/README.md section 5): from there on the two
# runs compute different things. Rows up to the first routing difference
# must agree; at least 8 of them (or all n), else the difference came too
# soon to be a near-tie. Prints "ok DETAIL" or "FAIL WHY".
route_triage() {   # rows per position, tolerance, rows
    set -- "$1" "$2" "$3" $(route_diff "$O/route-cpu.txt" "$O/route-gpu.txt")
    [ -n "${4:-}" ] || { echo "FAIL the routing is the same everywhere"; return; }
    at="routing differs from position $4 (layer $5)"
    min=8; [ "$3" -lt 8 ] && min=$3
    [ "$4" -ge "$min" ] || { echo "FAIL $at: fewer than $min rows before it"; return; }
    head -c $(($4 * $1 * 4)) "$O/cpu.f32" >"$O/cpu-pre.f32"
    head -c $(($4 * $1 * 4)) "$O/gpu.f32" >"$O/gpu-pre.f32"
    if pre=$("$T" --cmp "$O/gpu-pre.f32" "$O/cpu-pre.f32" "$2" "$1"); then
        echo "ok $at, a near-tie; rows 0-$(($4 - 1)): ${pre#cmp: }"
    else
        echo "FAIL $at; rows before it: ${pre#cmp: }"
    fi
}

logits_pair() {   # model, label, tokens
    m=$1; name=$(basename "$m" .gguf); n=$(echo "$3" | tr ',' '\n' | wc -l)
    set -- "$name logits $2" "$3"
    if ! PONDER_ROUTE_TRACE="$O/route-cpu.txt" timeout 300 "$P" logits -m "$m" --tokens "$2" --all \
            --ctx 512 --backend cpu --out "$O/cpu.f32" >/dev/null 2>"$O/err.txt"; then
        row "$1" skip "cpu: $(head -c 100 "$O/err.txt")"; return
    fi
    if ! PONDER_ROUTE_TRACE="$O/route-gpu.txt" timeout 300 "$P" logits -m "$m" --tokens "$2" --all \
            --ctx 512 --backend cuda --out "$O/gpu.f32" >/dev/null 2>"$O/err.txt"; then
        cuda_failed "$1"; return
    fi
    V=$(( $(stat -c %s "$O/cpu.f32") / 4 / n ))
    tol=$(logits_tol "$m")
    res=$("$T" --cmp "$O/gpu.f32" "$O/cpu.f32" "$tol" "$V")
    if [ $? -eq 0 ]; then row "$1" ok "${res#cmp: } (tol $tol)"; return; fi
    why=$(route_triage "$V" "$tol" "$n")
    case $why in ok*) row "$1" ok "${why#ok } (tol $tol)"; return ;; esac
    # triage: the same rows through the mat-vec kernels instead of cuBLAS
    PONDER_CUDA_MATVEC_ROWS=256 timeout 300 "$P" logits -m "$m" --tokens "$2" --all --ctx 512 \
        --backend cuda --out "$O/gpu-mv.f32" >/dev/null 2>&1
    mv=$("$T" --cmp "$O/gpu-mv.f32" "$O/cpu.f32" "$tol" "$V" 2>&1)
    row "$1" FAIL "${res#cmp: } (tol $tol) | mat-vec path: ${mv#cmp: } | ${why#FAIL }"
}

greedy() {   # model, [env assignment for the cuda run]
    m=$1; name=$(basename "$m" .gguf); label=${2:+ ($2)}
    r="$name greedy 64$label"
    set -- run -m "$m" --raw -p "The capital of France is" -n 64 --temp 0 --tip off
    if ! timeout 300 "$P" "$@" --backend cpu >"$O/cpu.txt" 2>"$O/err.txt"; then
        row "$r" skip "cpu: $(head -c 100 "$O/err.txt")"; return
    fi
    if ! timeout 300 env ${env_extra:-} "$P" "$@" --backend cuda >"$O/gpu.txt" 2>"$O/err.txt"; then
        cuda_failed "$r"; return
    fi
    if cmp -s "$O/cpu.txt" "$O/gpu.txt"; then
        row "$r" ok "identical ($(wc -c < "$O/cpu.txt") bytes)"; return
    fi
    # a routing near-tie parts them where the traces part (a rerun: the
    # traces take the decode graph away); the logits rows judge the
    # arithmetic before it, so a routing difference past the first token passes
    PONDER_ROUTE_TRACE="$O/route-cpu.txt" timeout 300 "$P" "$@" --backend cpu >/dev/null 2>&1
    PONDER_ROUTE_TRACE="$O/route-gpu.txt" timeout 300 env ${env_extra:-} "$P" "$@" --backend cuda >/dev/null 2>&1
    set -- $(route_diff "$O/route-cpu.txt" "$O/route-gpu.txt")
    same=$(cmp "$O/cpu.txt" "$O/gpu.txt" 2>/dev/null | sed -n 's/.* byte \([0-9]*\),.*/\1/p')
    if [ -n "${1:-}" ] && [ "$1" -ge 1 ]; then
        row "$r" ok "the texts part after byte ${same:-?}; the routing differs from position $1 (layer $2), a near-tie"
        return
    fi
    how="the same"; [ -n "${1:-}" ] && how="differs from the first token (layer $2)"
    row "$r" FAIL "texts differ from byte ${same:-?} (see $O/$name.cpu.txt, gpu.txt) | routing: $how"
    cp "$O/cpu.txt" "$O/$name.cpu.txt"; cp "$O/gpu.txt" "$O/$name.gpu.txt"
}

# The CPU reference itself at this machine's SIMD level (a GPU host's CPU
# likely has AVX-512, which the build machine runs only emulated):
# test_quant (every level against the scalar kernels) and test_model (the
# oracle's llama.cpp logits). If they fail, the CUDA-vs-CPU rows below use
# the AVX2 level (PONDER_SIMD=avx2), so that they judge the GPU alone.
cpu_self_check() {
    level=$(grep -qw avx512f /proc/cpuinfo && echo avx512 || echo avx2)
    bad=0
    for t in test_quant test_model; do
        [ -x "$G/$t" ] || { row "cpu $t ($level)" skip "not carried"; continue; }
        PONDER_SRCDIR=$top PONDER_ORACLE=$G/oracle timeout 120 "$G/$t" >"$O/$t.log" 2>&1
        rc=$?
        n_ok=$(grep -c '^PASS' "$O/$t.log"); n_bad=$(grep -c '^FAIL' "$O/$t.log")
        if [ $rc -eq 0 ] && [ "$n_bad" -eq 0 ]; then row "cpu $t ($level)" ok "$n_ok passed"
        else row "cpu $t ($level)" FAIL "$n_bad failed: $(grep -m1 '^FAIL' "$O/$t.log" | head -c 160)"; bad=1; fi
    done
    if [ $bad -eq 1 ] && [ $level = avx512 ]; then
        export PONDER_SIMD=avx2
        row "cpu reference level" ok "avx2 for the rows below (avx512 failed above)"
    fi
}

do_check() {
    echo "== check"
    cpu_self_check
    # the plugin loads and runs at all: otherwise nothing below can pass
    if ! "$P" logits -m "$first_model" --tokens "$toks1" --backend cuda >/dev/null 2>"$O/err.txt"; then
        row "cuda backend starts" FAIL "$(head -c 300 "$O/err.txt")"
    else
        row "cuda backend starts" ok ""
    fi
    "$T" > "$O/test_ops.log" 2>&1
    rc=$?
    summary=$(grep '^test_ops:' "$O/test_ops.log" || tail -1 "$O/test_ops.log")
    if [ $rc -eq 0 ]; then row "op checks (test_ops)" ok "$summary"; else row "op checks (test_ops)" FAIL "$summary"; fi
    grep '^FAIL' "$O/test_ops.log" | head -20
    for m in $models; do
        logits_pair "$m" "prefill $ntok" "$toksN"
        logits_pair "$m" "matvec 3" "$toks3"
        logits_pair "$m" "decode 1" "$toks1"
        env_extra=
        greedy "$m"
    done
    env_extra=PONDER_CUDA_GRAPH=0
    greedy "$first_model" "no graph"
    env_extra=
    san=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
    if [ -n "$san" ]; then
        for what in prefill decode; do
            if [ $what = prefill ]; then set -- logits -m "$first_model" --tokens "$toksN" --all --ctx 512 --backend cuda
            else set -- run -m "$first_model" --raw -p "Hello" -n 4 --temp 0 --backend cuda; fi
            # 150 s each: both must fit the device call's 600 s beside the rest
            timeout 150 "$san" --tool memcheck "$P" "$@" >"$O/sanitizer-$what.log" 2>&1
            rc=$?
            s=$(grep -o 'ERROR SUMMARY: [0-9]* error' "$O/sanitizer-$what.log" | tail -1)
            if grep -q 'Device not supported' "$O/sanitizer-$what.log"; then
                # compute-sanitizer refuses some virtualised GPUs: no verdict
                row "memcheck $what" skip "compute-sanitizer: Device not supported"
            elif [ $rc -eq 124 ] && [ -z "$s" ]; then
                row "memcheck $what" skip "timed out after 150 s (rerun it alone)"
            else
                case $s in
                "ERROR SUMMARY: 0 error") row "memcheck $what" ok "$s" ;;
                *) row "memcheck $what" FAIL "${s:-no summary: $(tail -c 200 "$O/sanitizer-$what.log")}" ;;
                esac
            fi
        done
    else
        row "memcheck" skip "compute-sanitizer not installed"
    fi
}

do_bench() {
    echo "== bench"
    "$T" --bench > "$O/matvec_bench.log" 2>&1
    grep '^bench:' "$O/matvec_bench.log"
    copy=$(sed -n 's/^bench: device copy \([0-9.]*\) GB.*/\1/p' "$O/matvec_bench.log")
    [ $# -gt 0 ] || set -- qwen3-30b-a3b:Q4_K qwen3-30b-a3b:Q8_0 deepseek-v2-lite:Q8_0
    dir=${PONDER_SYNTH_DIR:-/tmp}
    start=$(date +%s)
    for spec in "$@"; do
        preset=${spec%%:*}; type=${spec#*:}; f=$dir/synth-$preset-$type.gguf
        t0=$(date +%s)
        # a device call ends at 10 minutes: leave time to print the table
        if [ $((t0 - start)) -gt "${PONDER_BENCH_BUDGET:-400}" ]; then
            row "bench $preset $type" skip "out of time: run 'run.sh bench $spec' in its own call"
            continue
        fi
        if ! "$P" synth --preset "$preset" --type "$type" -o "$f" --threads "$(nproc)" >"$O/synth.log" 2>&1; then
            row "bench $preset $type" FAIL "synth: $(tail -c 160 "$O/synth.log")"; continue
        fi
        t1=$(date +%s)
        j=$O/bench-$preset-$type.json
        if ! timeout 500 "$P" bench -m "$f" --backend cuda -p 512 -n 128 --json >"$j" 2>"$O/err.txt"; then
            row "bench $preset $type" FAIL "$(head -c 200 "$O/err.txt")"; rm -f "$f"; continue
        fi
        rm -f "$f"
        get() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$j"; }
        row "bench $preset $type" ok "$(awk -v d="$(get decode_tok_s)" -v p="$(get prefill_tok_s)" \
            -v g="$(get decode_gb_s)" -v c="${copy:-0}" -v s=$((t1 - t0)) \
            'BEGIN { printf "decode %.1f tok/s, %.0f GB/s = %.0f%% of copy %.0f GB/s; prefill(512) %.0f tok/s; synth %ds", d, g, c > 0 ? 100 * g / c : 0, c, p, s }')"
    done
}

case $mode in
check) do_check ;;
bench) do_bench "$@" ;;
all) do_check; do_bench "$@" ;;
*) echo "usage: sh tests/gpu/run.sh [check|bench|all] [PRESET:TYPE ...]" >&2; exit 2 ;;
esac
echo
echo "== table ($fails failed)"
cat "$TABLE"
[ $fails -eq 0 ]
