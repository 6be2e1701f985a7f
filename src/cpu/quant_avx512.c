/* quant_avx512.c - AVX-512 (F/BW/VL/DQ + VNNI) kernels for the quant formats,
 * compiled with those -m flags and only called when the CPU has them.
 */
#include "quant_simd.h"

void pd_quant_kernels_avx512(pd_quant_kernels *k)
{
    k->name = "avx512";
}
