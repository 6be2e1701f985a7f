#!/usr/bin/env python3
"""Write tests/fixtures/quant/gguf-py-legacy.bin: blocks of Q4_1, Q5_0 and
Q5_1 quantized and dequantized by gguf-py's numpy code (pip package `gguf`,
gguf.quants), an implementation independent of ggml's C and of ours.
tests/unit/test_quant.c checks that ponder's scalar reference quantizes the
same floats to the same bytes and dequantizes those bytes to the same
floats, bit for bit.

Usage: tools/quant_fixture.py [OUT]   (default: the path above)

Format (little endian): "PDQF", u32 version 1, u32 number of sections; per
section: u32 ggml type id, u32 blocks nb, f32 source[nb*32], the nb blocks
as gguf-py wrote them, f32 dequantized[nb*32].
"""
import os
import struct
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

NB = 8  # blocks per type


def source_floats(rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((NB, 32)).astype(np.float32)
    x[0] *= np.float32(0.01)               # small values
    x[1] = 0.0                             # all zero: d = 0
    x[2] = np.float32(0.75)                # constant: max == min
    x[3] = -np.abs(x[3]) - 1.0             # all negative, offset
    x[4] = np.abs(x[4]) * 100.0            # all positive, large
    x[5] = np.round(x[5] * 4) / 4          # quarter steps: exact ties
    x[6] *= np.float32(1e-5)               # fp16 scales near subnormal
    x[7, 0] = -3.0                         # one dominant value
    return x.astype(np.float32)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "tests", "fixtures", "quant", "gguf-py-legacy.bin")
    rng = np.random.default_rng(20261207)
    types = [T.Q4_1, T.Q5_0, T.Q5_1]
    parts = [b"PDQF", struct.pack("<II", 1, len(types))]
    for t in types:
        x = source_floats(rng)
        q = quants.quantize(x, t)
        y = quants.dequantize(q, t).astype(np.float32)
        parts.append(struct.pack("<II", int(t), NB))
        parts.append(x.astype("<f4").tobytes())
        parts.append(q.tobytes())
        parts.append(y.astype("<f4").tobytes())
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
