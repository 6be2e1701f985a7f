/* bench.h (stub) */
#ifndef PD_SRC_BENCH_H
#define PD_SRC_BENCH_H
#endif
