/* ops.h (stub) */
#ifndef PD_SRC_CPU_OPS_H
#define PD_SRC_CPU_OPS_H
#endif
