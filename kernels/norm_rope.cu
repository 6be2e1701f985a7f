// norm_rope.cu - CUDA backend (stub)
#include "cuda.h"
