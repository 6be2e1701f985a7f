/* pool.h (stub) */
#ifndef PD_SRC_CPU_POOL_H
#define PD_SRC_CPU_POOL_H
#endif
