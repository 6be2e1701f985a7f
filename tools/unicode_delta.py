#!/usr/bin/env python3
"""Print the code points that the system's pcre2 does not know yet (Unicode
category Cn there) but a newer Unicode assigns to L, N, P, S or M, as the C
table `newer_cps` of src/pretok.c.

The newer categories come from the regex engine of the HF `tokenizers`
package (Oniguruma, Unicode 16 in tokenizers 0.23): the same engine the
models' tokenizer.json were written for. Run once by hand:

    python3 tools/unicode_delta.py > /tmp/table.c
"""
import ctypes
import ctypes.util

from tokenizers import Regex, pre_tokenizers

CLASSES = "LNPSM"
N = 0x110000


def pcre2_classes():
    lib = ctypes.CDLL(ctypes.util.find_library("pcre2-8") or "libpcre2-8.so.0")
    lib.pcre2_compile_8.restype = ctypes.c_void_p
    lib.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                    ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_size_t),
                                    ctypes.c_void_p]
    lib.pcre2_match_data_create_8.restype = ctypes.c_void_p
    lib.pcre2_match_data_create_8.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
    lib.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                                  ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p]
    UTF, ANCHORED = 0x00080000, 0x80000000
    err, off = ctypes.c_int(), ctypes.c_size_t()
    res = {}
    md = lib.pcre2_match_data_create_8(1, None)
    for c in CLASSES:
        pat = ("\\p{%s}" % c).encode()
        re = lib.pcre2_compile_8(pat, len(pat), UTF | ANCHORED, ctypes.byref(err), ctypes.byref(off), None)
        res[c] = re
    out = bytearray(b"." * N)
    for cp in range(N):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        b = chr(cp).encode()
        for c in CLASSES:
            if lib.pcre2_match_8(res[c], b, len(b), 0, 0, md, None) >= 0:
                out[cp] = ord(c)
                break
    return out.decode()


def newer_classes():
    cps = [c for c in range(N) if not (0xD800 <= c <= 0xDFFF)]
    s = "".join(chr(c) for c in cps)
    out = ["."] * N
    for c in CLASSES:
        sp = pre_tokenizers.Split(Regex(r"\p{%s}" % c), behavior="removed")
        kept = bytearray(len(cps))
        for _, (a, b) in sp.pre_tokenize_str(s):
            for i in range(a, b):
                kept[i] = 1
        for i, cp in enumerate(cps):
            if not kept[i]:
                out[cp] = c
    return "".join(out)


def main():
    p, h = pcre2_classes(), newer_classes()
    ranges = []
    for cp in range(N):
        if p[cp] != h[cp]:
            assert p[cp] == ".", "pcre2 and the newer data disagree on an assigned code point"
            if ranges and ranges[-1][1] == cp - 1 and ranges[-1][2] == h[cp]:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp, h[cp]])
    print("/* %d ranges */" % len(ranges))
    line = "   "
    for a, b, c in ranges:
        item = " {0x%X, 0x%X, '%s'}," % (a, b, c)
        if len(line) + len(item) > 96:
            print(line)
            line = "   "
        line += item
    print(line)


if __name__ == "__main__":
    main()
