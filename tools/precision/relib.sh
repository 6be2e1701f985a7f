#!/bin/sh
# relib.sh BUILD_DIR - rebuild only the CPU backend objects and refresh them
# in BUILD_DIR's libponder.a (when a file elsewhere briefly breaks `make`).
B=${1:-/work/build-precision}
cd "$B" && make src/cpu/attention.o src/cpu/attn_kernels.o src/cpu/ops.o src/cpu/moe.o src/cpu/forward.o src/kvcache.o >/dev/null \
  && ar r libponder.a src/cpu/attention.o src/cpu/attn_kernels.o src/cpu/ops.o src/cpu/moe.o src/cpu/forward.o src/kvcache.o 2>/dev/null
