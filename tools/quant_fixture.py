#!/usr/bin/env python3
"""Write tests/fixtures/quant/gguf-py-legacy.bin: blocks of Q4_1, Q5_0 and
Q5_1 quantized and dequantized by gguf-py's numpy code (pip package `gguf`,
gguf.quants), an implementation independent of ggml's C and of ours.
tests/unit/test_quant.c checks that ponder's scalar reference quantizes the
same floats to the same bytes and dequantizes those bytes to the same
floats, bit for bit.

And tests/fixtures/quant/gguf-py-k-low.bin: Q2_K and Q3_K super-blocks of
random bytes (every bit pattern of quants, scales and masks) with chosen
fp16 d/dmin, dequantized by gguf-py (which has no quantizer for them);
test_quant checks ponder's dequantize against it bit for bit.

And tests/fixtures/quant/gguf-py-iq4.bin: IQ4_NL blocks and IQ4_XS
super-blocks made the same way (random nibbles and scales, chosen fp16 d).

And tests/fixtures/quant/gguf-py-iqxxs.bin: IQ2_XXS, IQ3_XXS and IQ3_S
super-blocks, random scales and chosen fp16 d, whose grid and sign indices
run through every entry of the tables (in random order), so that the
fixture checks every grid and sign entry (IQ3_S stores its sign bits:
random bytes).

And tests/fixtures/quant/gguf-py-iq1.bin: IQ1_S and IQ1_M super-blocks
(64 of each, the fp16 d cycling through the chosen ones) whose 11-bit grid
indices run through all 2048 entries (in random order), random scales and
delta signs.

And tests/fixtures/quant/gguf-py-iq2x.bin: IQ2_XS (16) and IQ2_S (32)
super-blocks, random scales and signs, chosen fp16 d, whose grid indices
run through all 512 / 1024 entries (IQ2_XS's sign indices through all
128 four times).

Usage: tools/quant_fixture.py [OUTDIR]   (default: tests/fixtures/quant)

Format (little endian): "PDQF", u32 version, u32 number of sections; per
section: u32 ggml type id, u32 blocks nb, then for version 1 (32-value
blocks) f32 source[nb*32], the nb blocks as gguf-py wrote them, f32
dequantized[nb*32]; for version 2 (blocks of random bytes) the nb blocks
and f32 dequantized[nb * the type's block size].
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


# fp16 d (and dmin) of the random blocks: ordinary, negative, zero,
# subnormal, large
K_SCALES = [0.0123, -0.0071, 0.0, 3.0e-6, 1.5, 0.25, -2.0e-5, 0.000977]
K_LAYOUT = {  # block bytes, offset of d, number of fp16 fields there
    T.Q2_K: (84, 80, 2),
    T.Q3_K: (110, 108, 1),
}
IQ4_LAYOUT = {
    T.IQ4_NL: (18, 0, 1),
    T.IQ4_XS: (136, 0, 1),
}


def random_blocks(out: str, seed: int, layout: dict) -> None:
    rng = np.random.default_rng(seed)
    parts = [b"PDQF", struct.pack("<II", 2, len(layout))]
    for t, (size, off, nf) in layout.items():
        nb = len(K_SCALES)
        q = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
        for i in range(nb):
            for f in range(nf):
                h = np.float16(K_SCALES[(i + 3 * f) % nb])
                q[i, off + 2 * f:off + 2 * f + 2] = np.frombuffer(h.tobytes(), np.uint8)
        y = quants.dequantize(q, t).astype(np.float32)
        parts.append(struct.pack("<II", int(t), nb))
        parts.append(q.tobytes())
        parts.append(y.astype("<f4").tobytes())
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote {out}")


def iqxxs(out: str, seed: int) -> None:
    """IQ2_XXS: per sub-block 4 grid index bytes, then a 32-bit word of 4
    7-bit sign indices and a 4-bit scale (bits 28-31); IQ3_XXS: 64 grid
    index bytes, then the 8 sub-blocks' words; IQ3_S: qs[64] the grid
    indices' low 8 bits, qh[8] their 9th (bit q of qh[j] for qs[8j + q]),
    signs[32], scales[4], all random but the indices"""
    rng = np.random.default_rng(seed)
    nb = len(K_SCALES)
    layout = [(T.IQ2_XXS, 66), (T.IQ3_XXS, 98), (T.IQ3_S, 110)]
    parts = [b"PDQF", struct.pack("<II", 2, len(layout))]
    for t, size in layout:
        q = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
        for i in range(nb):
            q[i, 0:2] = np.frombuffer(np.float16(K_SCALES[i]).tobytes(), np.uint8)
        if t == T.IQ3_S:
            idx = np.concatenate([rng.permutation(512)]).reshape(nb, 8, 8)
            q[:, 2:66] = (idx & 255).astype(np.uint8).reshape(nb, 64)
            q[:, 66:74] = ((idx >> 8) << np.arange(8)).sum(axis=2).astype(np.uint8)
            y = quants.dequantize(q, t).astype(np.float32)
            parts += [struct.pack("<II", int(t), nb), q.tobytes(), y.astype("<f4").tobytes()]
            continue
        n_idx = nb * 8 * (4 if t == T.IQ2_XXS else 8)            # 256 or 512
        idx = np.concatenate([rng.permutation(256) for _ in range(n_idx // 256)]).astype(np.uint8)
        signs = np.concatenate([rng.permutation(128) for _ in range(2)]).astype(np.uint32)
        words = (signs.reshape(nb, 8, 4) << np.array([0, 7, 14, 21], dtype=np.uint32)).sum(axis=2)
        words = words.astype(np.uint32) | rng.integers(0, 16, size=(nb, 8), dtype=np.uint32) << 28
        wbytes = words.astype("<u4").view(np.uint8).reshape(nb, 8, 4)
        if t == T.IQ2_XXS:
            body = q[:, 2:].reshape(nb, 8, 8)
            body[:, :, 0:4] = idx.reshape(nb, 8, 4)
            body[:, :, 4:8] = wbytes
            q[:, 2:] = body.reshape(nb, 64)
        else:
            q[:, 2:66] = idx.reshape(nb, 64)
            q[:, 66:98] = wbytes.reshape(nb, 32)
        y = quants.dequantize(q, t).astype(np.float32)
        parts.append(struct.pack("<II", int(t), nb))
        parts.append(q.tobytes())
        parts.append(y.astype("<f4").tobytes())
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote {out}")


def iq1(out: str, seed: int) -> None:
    """IQ1_S: d, qs[32] the indices' low 8 bits, qh[8] 16-bit words: the
    4 groups' high 3 bits at 3g, the scale at 12..14, the delta's sign at
    15.  IQ1_M: qs[32], qh[16] a nibble per group (high 3 bits, the delta's
    sign at bit 3), scales[8] as 4 words of 3-bit scales with d's nibbles
    on top."""
    rng = np.random.default_rng(seed)
    nb = 64                                  # 64 * 32 groups = 2048
    parts = [b"PDQF", struct.pack("<II", 2, 2)]
    for t in (T.IQ1_S, T.IQ1_M):
        idx = rng.permutation(2048).reshape(nb, 8, 4)
        lo = (idx & 255).astype(np.uint8).reshape(nb, 32)
        hi = (idx >> 8).astype(np.uint16)
        dh = np.array([np.float16(K_SCALES[i % len(K_SCALES)]).view(np.uint16) for i in range(nb)],
                      dtype=np.uint16)
        if t == T.IQ1_S:
            qh = (hi << np.array([0, 3, 6, 9], dtype=np.uint16)).sum(axis=2).astype(np.uint16)
            qh |= rng.integers(0, 16, size=(nb, 8), dtype=np.uint16) << 12
            q = np.concatenate([dh.reshape(nb, 1).view(np.uint8), lo, qh.astype("<u2").view(np.uint8)], axis=1)
        else:
            nib = hi | (rng.integers(0, 2, size=(nb, 8, 4), dtype=np.uint16) << 3)
            qh = (nib[:, :, 0::2] | nib[:, :, 1::2] << 4).astype(np.uint8).reshape(nb, 16)
            sc = rng.integers(0, 4096, size=(nb, 4), dtype=np.uint16)
            sc |= ((dh.reshape(nb, 1) >> np.array([0, 4, 8, 12], dtype=np.uint16)) & 15) << 12
            q = np.concatenate([lo, qh, sc.astype("<u2").view(np.uint8)], axis=1)
        q = np.ascontiguousarray(q, dtype=np.uint8)
        assert q.shape == (nb, 50 if t == T.IQ1_S else 56)
        y = quants.dequantize(q, t).astype(np.float32)
        parts += [struct.pack("<II", int(t), nb), q.tobytes(), y.astype("<f4").tobytes()]
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote {out}")


def iq2x(out: str, seed: int) -> None:
    """IQ2_XS: d, then per group a little-endian u16 of a 9-bit grid index
    and a 7-bit sign index (bits 9-15), then 8 bytes of scales; IQ2_S: d,
    qs[32] the grid indices' low 8 bits, signs[32], qh[8] their top 2
    bits (bits 2g..2g+1 of qh[j] for qs[4j + g]), scales[8]"""
    rng = np.random.default_rng(seed)
    layout = [(T.IQ2_XS, 74, 512), (T.IQ2_S, 82, 1024)]
    parts = [b"PDQF", struct.pack("<II", 2, len(layout))]
    for t, size, entries in layout:
        nb = entries // 32
        q = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
        for i in range(nb):
            q[i, 0:2] = np.frombuffer(np.float16(K_SCALES[i % len(K_SCALES)]).tobytes(), np.uint8)
        idx = rng.permutation(entries).reshape(nb, 32)
        if t == T.IQ2_XS:
            signs = np.concatenate([rng.permutation(128) for _ in range(4)]).reshape(nb, 32)
            words = (idx | signs << 9).astype("<u2")
            q[:, 2:66] = words.view(np.uint8).reshape(nb, 64)
        else:
            q[:, 2:34] = (idx & 255).astype(np.uint8)
            hi = (idx >> 8).reshape(nb, 8, 4) << np.array([0, 2, 4, 6])
            q[:, 66:74] = hi.sum(axis=2).astype(np.uint8)
        y = quants.dequantize(q, t).astype(np.float32)
        parts += [struct.pack("<II", int(t), nb), q.tobytes(), y.astype("<f4").tobytes()]
    with open(out, "wb") as f:
        f.write(b"".join(parts))
    print(f"wrote {out}")


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "tests", "fixtures", "quant")
    out = os.path.join(outdir, "gguf-py-legacy.bin")
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
    random_blocks(os.path.join(outdir, "gguf-py-k-low.bin"), 20261208, K_LAYOUT)
    random_blocks(os.path.join(outdir, "gguf-py-iq4.bin"), 20261209, IQ4_LAYOUT)
    iqxxs(os.path.join(outdir, "gguf-py-iqxxs.bin"), 20261210)
    iq1(os.path.join(outdir, "gguf-py-iq1.bin"), 20261211)
    iq2x(os.path.join(outdir, "gguf-py-iq2x.bin"), 20261212)


if __name__ == "__main__":
    main()
