#!/bin/sh
# build.sh BUILD_DIR - compile the diagnostics against BUILD_DIR's libponder.a
B=${1:-/work/build-precision}
S=$(dirname "$0")/../..
gcc -O2 -std=gnu11 -I"$S/src" -I"$B" -o "$B/oracle_cmp" "$S/tools/precision/oracle_cmp.c" "$B/libponder.a" "$B/libpd_avx2.a" "$B/libpd_avx512.a" "$B/libponder.a" -lm -lpthread -ljansson -lpcre2-8 $(grep "^LIBS =" $B/Makefile | sed "s/LIBS = //")
