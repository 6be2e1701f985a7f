/* quant_simd.h (stub) */
#ifndef PD_SRC_QUANT_SIMD_H
#define PD_SRC_QUANT_SIMD_H
#endif
