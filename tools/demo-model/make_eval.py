"""Generate the demo eval set: fresh problems of the task family, disjoint from
training.

Problems come only from the held-out residue class of data.problem_key (training
never samples it), and, when a training run's problem list is given, each
problem is also checked against it. The set is balanced over + - * and drawn
with a stated seed, so anyone can regenerate it:

    python3 make_eval.py --n 300 --seed 20260 --out share/ponder/eval/arith-300.jsonl
"""
import argparse
import json
import random

import corpus
import data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-problems", default="", help="train-problems.txt of a run, to check")
    a = ap.parse_args()
    seen = set()
    if a.train_problems:
        for line in open(a.train_problems):
            x, op, y = line.split()
            seen.add((int(x), op, int(y)))
    rng = random.Random(a.seed)
    out, used = [], set()
    per_op = a.n // 3
    for k, op in enumerate(corpus.OPS):
        want = per_op + (1 if k < a.n - 3 * per_op else 0)
        got = 0
        while got < want:
            x = rng.randint(2, 999)
            y = rng.randint(2, 99 if op == "*" else 999)
            p = (x, op, y)
            if not data.is_heldout(*p) or p in used:
                continue
            assert p not in seen, "eval problem %r was in training" % (p,)
            used.add(p)
            out.append({"prompt": corpus.question(*p), "answer": str(corpus.answer(*p))})
            got += 1
    rng.shuffle(out)
    with open(a.out, "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    print("wrote %d problems to %s (seed %d; checked against %d training problems)"
          % (len(out), a.out, a.seed, len(seen)))


if __name__ == "__main__":
    main()
