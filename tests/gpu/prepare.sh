#!/bin/sh
# tests/gpu/prepare.sh - run HERE (the build machine, nvcc but maybe no GPU):
# collect what tests/gpu/run.sh needs on a bare GPU machine into build-gpu/
# at the top of the source tree (ignored by git through /build*/, so the
# device tool carries it with carry=["build-gpu"]): the ponder binary, the
# CUDA plugin, test_ops, the shared libraries ponder links that a bare CUDA
# image may lack, and oracle models.
#
# usage: tests/gpu/prepare.sh BUILD_DIR [MODEL.gguf names in $PONDER_ORACLE/models ...]
#   BUILD_DIR: configured with --with-cuda and built (make)
#   default models: ds3-Q4_K_M.gguf q3moe-Q4_K_M.gguf ds3-F16.gguf (the F16 q3moe
#   file does not fit the 64 MiB a device call carries beside them: run a
#   second call with `prepare.sh BUILD q3moe-F16.gguf`)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: tests/gpu/prepare.sh BUILD_DIR [models...]}
build=$(cd "$build" && pwd)
shift
oracle=${PONDER_ORACLE:-$top/../shared/oracle}
[ $# -gt 0 ] || set -- ds3-Q4_K_M.gguf q3moe-Q4_K_M.gguf ds3-F16.gguf
out=$top/build-gpu

for f in ponder kernels/ponder-cuda.so tests/gpu/test_ops; do
    [ -x "$build/$f" ] || { echo "prepare: $build/$f is missing (configure --with-cuda; make)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/kernels" "$out/lib" "$out/oracle"
cp "$build/ponder" "$build/tests/gpu/test_ops" "$out/"
# the CPU engine's own checks, to run at the GPU host's SIMD level (stripped:
# 1 MiB instead of 10)
for t in test_quant test_model; do
    [ -x "$build/tests/unit/$t" ] || (cd "$build" && make -s "tests/unit/$t")
    cp "$build/tests/unit/$t" "$out/" && strip "$out/$t"
done
cp "$build/kernels/ponder-cuda.so" "$out/kernels/"
# no debug sections (symbols stay, for compute-sanitizer's stacks): ponder
# and test_ops were 7.4 and 8.7 MiB of a -g build, 1 and 2.9 MiB without,
# and the 64 MiB carry had run out with the default models
strip --strip-debug "$out/ponder" "$out/test_ops" "$out/kernels/ponder-cuda.so"
# libraries beyond glibc and the CUDA driver/toolkit (cuBLAS is found there)
for bin in "$out/ponder" "$out/test_ops" "$out/test_model"; do
    ldd "$bin" | awk '/=> \// { print $3 }' | while read -r lib; do
        case $(basename "$lib") in
        # libstdc++/libgcc_s too: the device image has its own, and Debian
        # 12's first on LD_LIBRARY_PATH could shadow newer ones CUDA needs
        libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libcuda*|libcublas*) ;;
        libstdc++.so*|libgcc_s.so*) ;;
        *) cp -L "$lib" "$out/lib/" ;;
        esac
    done
done
for m in "$@"; do
    cp "$oracle/models/$m" "$out/oracle/"
done
cp "$oracle/README.md" "$out/oracle/" 2>/dev/null || true

# the device tool carries at most 64 MiB: tracked + untracked files + build-gpu
cd "$top"
tree=$( (git ls-files; git ls-files --others --exclude-standard) | tr '\n' '\0' | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
carry=$(du -sb "$out" | cut -f1)
total=$((tree + carry))
echo "prepare: build-gpu holds $((carry >> 20)) MiB; with the working tree $((total >> 20)) MiB (limit 64)"
[ "$total" -lt $((64 << 20)) ] || { echo "prepare: too large to carry: give fewer models" >&2; exit 1; }
echo "prepare: now call the device tool:"
echo "  run(command=\"sh tests/gpu/run.sh check\", carry=[\"build-gpu\"], timeout_s=600)"
echo "  run(command=\"sh tests/gpu/run.sh bench\", carry=[\"build-gpu\"], timeout_s=600)"
