/* cpu.h (stub) */
#ifndef PD_SRC_CPU_CPU_H
#define PD_SRC_CPU_CPU_H
#endif
