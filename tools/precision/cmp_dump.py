#!/usr/bin/env python3
"""cmp_dump.py PD_DIR LCPP_DIR CALL NAME [ROWLEN]: compare ponder's dump
pd_<call>_<name>.f32 with llama.cpp's <call>_<name>.f32 (lcpp_dump), row by
row (a row = one token): max |diff|, max relative diff, exactly equal count."""
import sys, numpy as np
pd_dir, lc_dir, call, name = sys.argv[1:5]
a = np.fromfile(f"{pd_dir}/pd_{int(call):02d}_{name}.f32", dtype=np.float32)
b = np.fromfile(f"{lc_dir}/{int(call):02d}_{name}.f32", dtype=np.float32)
ne = open(f"{lc_dir}/{int(call):02d}_{name}.txt").read().split()
n_tok = a.size // (b.size // max(1, int(sys.argv[5]) if len(sys.argv) > 5 else 1)) if False else None
rows = 32 if int(call) == 0 else 1
if a.size != b.size:
    print("size differs", a.size, b.size, ne); sys.exit(1)
a = a.reshape(rows, -1); b = b.reshape(rows, -1)
for t in range(rows):
    d = np.abs(a[t].astype(np.float64) - b[t])
    rel = d.max() / (np.abs(b[t]).max() + 1e-30)
    print(f"{name} tok {t:2d}: maxdiff {d.max():.3g} rel {rel:.3g} exact {(d == 0).sum()}/{d.size}")
