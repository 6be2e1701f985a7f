// cuda.h - CUDA backend internals (stub)
#pragma once
