// backend_cuda.cu - CUDA backend (stub)
#include "cuda.h"
