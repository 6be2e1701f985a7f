// cuda_runtime.h - cuemu stands in for the CUDA toolkit header (tests/cuemu/cuemu.h)
#include "../cuemu.h"
