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


def reference(model, ids, got):
    """The numpy logits, with each routing tie resolved the way ponder did.

    At a near tie (check_gguf.TIE) either expert is a right answer at F16/F32
    precision; the reference takes the other one where that brings its
    logits at that position closer to ponder's. Away from ties nothing moves,
    and the tolerance stays the same.
    """
    swap = set()
    ref, _ = model.forward(np.array(ids))
    tried = set()
    while True:
        todo = [(l, t) for l, t, _ in sorted(model.ties, key=lambda x: x[1]) if (l, t) not in tried]
        if not todo:
            return ref, swap
        l, t = todo[0]
        tried.add((l, t))
        trial = swap | {(l, t)}
        alt, _ = model.forward(np.array(ids), trial)
        if np.abs(got[t] - alt[t]).max() < np.abs(got[t] - ref[t]).max():
            swap, ref = trial, alt
        else:
            model.forward(np.array(ids), swap)  # restore model.ties for swap


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
    ref, swap = reference(check_gguf.GGUFModel(a.gguf), ids, got)
    diff = np.abs(got - ref).max()
    same = int((got.argmax(-1) == ref.argmax(-1)).sum())
    print("tokenizer: ponder %s HF (%d tokens)" % ("==" if same_tok else "!=", len(ids)))
    print("logits: %d positions, max|ponder - numpy reference| = %.4g, argmax same %d/%d"
          % (len(ids), diff, same, len(ids)))
    for layer, pos in sorted(swap, key=lambda lp: lp[1]):
        print("  routing tie at layer %d position %d: the reference takes ponder's expert"
              % (layer, pos))
    sys.exit(0 if same_tok and diff < 0.05 and same == len(ids) else 1)


if __name__ == "__main__":
    main()
