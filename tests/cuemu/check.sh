#!/bin/sh
# check.sh - the GPU checks of tests/gpu/run.sh, run on the CPU through cuemu
# (tests/cuemu/README): the emulation's own checks (test_cuemu), every op
# against the CPU reference (test_ops), then run.sh's whole-model rows with
# the emulated plugin standing in for the CUDA one. Prints PASS:/FAIL:/SKIP:
# lines and "N passed, N failed, N skipped" last; exit status 1 on a failure.
#
# Environment: PONDER (the binary), PONDER_SRCDIR, PONDER_CUEMU_DIR (the
# build's tests/cuemu), PONDER_ORACLE (its models/ are checked when present);
# CUEMU_MODELS: the models for run.sh (default: the oracle's Q4_K_M files and
# tests/fixtures/hf), CUEMU_TOKENS: prompt length of the prefill rows (300).
set -u
D=${PONDER_CUEMU_DIR:?PONDER_CUEMU_DIR: the build directory of tests/cuemu}
src=${PONDER_SRCDIR:-.}
G=$(mktemp -d "${TMPDIR:-/tmp}/ponder-cuemu.XXXXXX") || exit 1
trap 'rm -rf "$G"' EXIT
pass=0 fail=0 skip=0

# "ok  what" / "FAIL what" / "skip what" -> PASS:/FAIL:/SKIP: lines, counted
report() {   # prefix, file
    while IFS= read -r line; do
        case $line in
        "ok  "*|"ok "*) echo "PASS: $1: ${line#ok }"; pass=$((pass + 1)) ;;
        FAIL*) echo "FAIL: $1: ${line#FAIL }"; fail=$((fail + 1)) ;;
        "skip "*) echo "SKIP: $1: ${line#skip }"; skip=$((skip + 1)) ;;
        esac
    done < "$2"
}

for t in test_cuemu test_ops; do
    "$D/$t" > "$G/$t.log" 2>&1
    rc=$?
    report "$t" "$G/$t.log"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$G/$t.log"; then
        echo "FAIL: $t: exit status $rc: $(tail -n 3 "$G/$t.log" | tr '\n' ' ')"; fail=$((fail + 1))
    fi
done

# the layout run.sh expects of a GPU machine's build-gpu/
mkdir -p "$G/gpu/kernels" "$G/gpu/oracle" "$G/out"
ln -s "$PONDER" "$G/gpu/ponder"
ln -s "$D/test_ops" "$G/gpu/test_ops"
ln -s "$D/ponder-cuda-emu.so" "$G/gpu/kernels/ponder-cuda.so"
models=${CUEMU_MODELS-}
if [ -z "$models" ]; then   # one per line: run.sh's first model is the first line
    models=$(ls "${PONDER_ORACLE:-/nonexistent}"/models/*Q4_K_M.gguf "$src"/tests/fixtures/hf/*.gguf 2>/dev/null)
fi
( cd "$src" && PONDER_GPU_DIR="$G/gpu" OUT="$G/out" PONDER_GPU_MODELS="$models" \
    PONDER_GPU_TOKENS="${CUEMU_TOKENS:-300}" sh tests/gpu/run.sh check ) > "$G/run.log" 2>&1
# the table's rows: name (40 columns), verdict, detail; the op checks were counted above
sed -n '/^== table/,$p' "$G/run.log" | grep -v '^== table' | grep -v '^op checks' |
    sed -E 's/^(.{40}) (ok  |ok|FAIL|skip) ?(.*)$/\2 \1 \3/' | sed -E 's/ +/ /g' > "$G/rows.txt"
report "run.sh" "$G/rows.txt"
if ! grep -q '^== table' "$G/run.log"; then
    echo "FAIL: run.sh: no table: $(tail -n 5 "$G/run.log" | tr '\n' ' ')"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
