"""Check ponder's engine and tokenizer on the demo model against this directory's
references: `ponder tokenize` vs the HF tokenizer, `ponder logits --all` vs the
numpy GGUF forward pass of check_gguf.py.

    python3 check_ponder.py --ponder BUILD/ponder --gguf M.gguf --tokenizer WORK/tokenizer.json
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import check_gguf
import corpus
import tok

TEXT = corpus.render_prompt("What is 347 + 285?") + " Add column by column. Ones: 7+5=12, carry 1."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ponder", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--tokenizer", required=True)
    a = ap.parse_args()
    tk = tok.load(a.tokenizer)
    ids = tk.encode(TEXT).ids
    out = subprocess.run([a.ponder, "tokenize", "-m", a.gguf, TEXT],
                         capture_output=True, text=True, check=True).stdout
    pids = [int(x) for x in out.replace(",", " ").split() if x.lstrip("-").isdigit()]
    same_tok = pids == ids
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "x.f32")
        subprocess.run([a.ponder, "logits", "-m", a.gguf, "--tokens", ",".join(map(str, ids)),
                        "--all", "--out", f], check=True, stdout=subprocess.DEVNULL)
        got = np.fromfile(f, dtype="<f4").reshape(len(ids), -1)
    ref, _ = check_gguf.GGUFModel(a.gguf).forward(np.array(ids))
    diff = np.abs(got - ref).max()
    same = int((got.argmax(-1) == ref.argmax(-1)).sum())
    print("tokenizer: ponder %s HF (%d tokens)" % ("==" if same_tok else "!=", len(ids)))
    print("logits: %d positions, max|ponder - numpy reference| = %.4g, argmax same %d/%d"
          % (len(ids), diff, same, len(ids)))
    sys.exit(0 if same_tok and diff < 0.05 and same == len(ids) else 1)


if __name__ == "__main__":
    main()
