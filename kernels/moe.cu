// moe.cu - CUDA backend (stub)
#include "cuda.h"
