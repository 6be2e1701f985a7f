#!/usr/bin/env python3
"""Generate the tokenizer edge-case vectors in tests/fixtures/tokenizer/.

Run once by hand (needs the HF `tokenizers` package); the output is committed:

    python3 tools/tokenizer_vectors.py ../shared/testdata/tokenizers tests/fixtures/tokenizer

Writes edge.inp (strings joined by "\\n__ggml_vocab_test__\\n", llama.cpp's
format; raw bytes, so invalid UTF-8 is possible) and edge.<vocab>.out (one
line of ids per string) for qwen3 and deepseek-v3, tokenized by the HF
tokenizer.json without special tokens added.

Two differences between HF and llama.cpp (whose behaviour ponder follows) are
kept out of the expected values on purpose:
  * HF normalises Qwen3 input to NFC, llama.cpp does not: every case must be
    NFC already (checked below).
  * invalid UTF-8 cannot go through HF: ponder (like llama.cpp) turns every
    byte that is not part of a valid sequence into U+FFFD, one per byte; the
    expected ids are HF's ids of that replaced text (replacement done here,
    independently of the C code).
Special-token text (<|im_start|>, ...) is avoided too: HF always matches added
tokens, ponder without parse_special matches only USER_DEFINED ones (<think>).
"""
import json
import sys
import unicodedata

from tokenizers import Tokenizer

SEP = b"\n__ggml_vocab_test__\n"

CASES = [
    b"",
    b" ",
    b"     ",
    b"a    b",
    b"\t\t x \t",
    b"end   ",
    b"  \n  \n\n   \n",
    b" " * 100 + b"x",
    b"line1\r\nline2\r\n\r\nline3\r\n",
    b"\r\r\n\n\r",
    b"1234567890",
    b"3.14159 x 1000000 = 3141590",
    b"12ab34 0x1F 1,000,000.00",
    "안녕하세요, 세계! 한국어 토큰화 테스트입니다.".encode(),
    "我们今天讨论推理模型的思考过程。".encode(),
    "こんにちは、世界！カタカナとひらがな、漢字も。".encode(),
    "🦙 🏳️‍🌈 👨‍👩‍👧‍👦 👍🏽 ❤️".encode(),
    "q\u0307 x\u0302 नमस्ते สวัสดี Tiếng Việt".encode(),
    "Ελληνικά Русский العربية हिन्दी".encode(),
    "a\u00a0b\u3000c\u2003d\u2028e".encode(),
    "a~é b~~c ~~~ ~Ω".encode(),
    b"I'M you'RE we'Ve it's 'tis o'clock",
    b"def f(x):\n    return x**2  # comment\n\n\tpass\n",
    b"<think>\nhmm\n</think>\n\nanswer",
    b"ok \xff\xfe bad",
    b"\xe4\xb8 end",
    b"x\xc0\x80y\xed\xa0\x80z",
    b"\x80",
    "Ünïcödé — “quotes” ‘single’ …".encode(),
    # newer than Unicode 14 (pcre2 10.42 does not know them): emoji 15/16, CJK ext. H/I
    "🫨 🩷x 🫩! \U00031350\U00031351 a\U0002EBF0 ~\U0001FAE8".encode(),
]


def utf8_seq(b, i):
    """Length of the valid UTF-8 sequence at b[i], or 0 (shortest form only)."""
    c = b[i]
    if c < 0x80:
        return 1
    if 0xC2 <= c <= 0xDF:
        k, lo, hi = 2, 0x80, 0xBF
    elif 0xE0 <= c <= 0xEF:
        k, lo, hi = 3, (0xA0 if c == 0xE0 else 0x80), (0x9F if c == 0xED else 0xBF)
    elif 0xF0 <= c <= 0xF4:
        k, lo, hi = 4, (0x90 if c == 0xF0 else 0x80), (0x8F if c == 0xF4 else 0xBF)
    else:
        return 0
    for j in range(1, k):
        if i + j >= len(b):
            return 0
        x = b[i + j]
        if j == 1 and not (lo <= x <= hi):
            return 0
        if j > 1 and (x & 0xC0) != 0x80:
            return 0
    return k


def decode_per_byte(b):
    out, i = [], 0
    while i < len(b):
        k = utf8_seq(b, i)
        if k:
            out.append(b[i:i + k].decode("utf-8"))
            i += k
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def deepseek_v3_as_llama3(src):
    """DeepSeek-V3's vocabulary and merges (which has multi-digit tokens) with
    Llama 3's pre-tokenizer: its regex and ignore_merges. Checks our
    llama-bpe path, as no Llama 3 tokenizer is at hand; the C test loads
    deepseek-v3-vocab.gguf with tokenizer.ggml.pre rewritten to "llama-bpe"."""
    j = json.load(open(f"{src}/deepseek-v3/tokenizer.json"))
    j["model"]["ignore_merges"] = True
    pre = j["pre_tokenizer"]["pretokenizers"]
    split = pre[2]
    split["pattern"]["Regex"] = LLAMA3_REGEX
    j["pre_tokenizer"]["pretokenizers"] = [split, pre[3]]
    return Tokenizer.from_str(json.dumps(j))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    for c in CASES:
        assert SEP not in c
        s = decode_per_byte(c)
        assert unicodedata.normalize("NFC", s) == s, repr(s)
    with open(f"{dst}/edge.inp", "wb") as f:
        f.write(SEP.join(CASES))
    for vocab in ("qwen3", "deepseek-v3", "deepseek-v3-llama3"):
        if vocab == "deepseek-v3-llama3":
            tok = deepseek_v3_as_llama3(src)
        else:
            tok = Tokenizer.from_file(f"{src}/{vocab}/tokenizer.json")
        with open(f"{dst}/edge.{vocab}.out", "w") as f:
            for c in CASES:
                ids = tok.encode(decode_per_byte(c), add_special_tokens=False).ids
                f.write(" ".join(map(str, ids)) + "\n")


if __name__ == "__main__":
    main()
