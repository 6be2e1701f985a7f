#!/usr/bin/env python3
"""routes_cmp.py OURS REF: per (pos, layer) max |weight difference| between our
routing dump (oracle_cmp ROUTES=...) and llama.cpp's routing.txt (same order
of experts assumed only as a set)."""
import sys
ours = {}
for l in open(sys.argv[1]):
    f = l.split(); p, L = int(f[0]), int(f[1]); k = (len(f) - 2) // 2
    ours[(p, L)] = dict(zip(map(int, f[2:2 + k]), map(float, f[2 + k:])))
for l in open(sys.argv[2]):
    f = l.split(); p, L = int(f[0]), int(f[1]); k = 4
    ref = dict(zip(map(int, f[2:2 + k]), map(float, f[2 + k:2 + 2 * k])))
    o = ours.get((p, L))
    if o is None: continue
    if set(o) != set(ref):
        print(p, L, "DIFFERENT SET", sorted(o), sorted(ref)); continue
    d = max(abs(o[e] - ref[e]) for e in ref)
    print(p, L, "%.3g" % d)
