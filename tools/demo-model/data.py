"""Training batches and the train/eval split of the problem space.

Problems whose key falls in the held-out residue class never appear in
training; make_eval.py draws the eval sets from that class only (and also
checks them against the list of problems the training run actually saw).
"""
import random

import torch

import corpus

HOLDOUT_MOD = 17


def problem_key(a, op, b):
    return (a * 1009 + b * 9176 + "+-*".index(op) * 50021) % HOLDOUT_MOD


def is_heldout(a, op, b):
    return problem_key(a, op, b) == 0


def sample_train_problem(rng):
    while True:
        a, op, b = corpus.sample_problem(rng)
        if not is_heldout(a, op, b):
            return a, op, b


class Encoder:
    """Token ids for documents, split into the constant prompt prefix and the rest."""

    def __init__(self, tk):
        self.tk = tk
        self.prefix = tk.encode(corpus.R1_ZERO_PREFIX.rstrip(" ")).ids
        self.eos = tk.token_to_id(corpus.EOS)

    def encode(self, texts, prompts):
        """For each document: (suffix ids after the shared prefix, index in the suffix
        where the response starts)."""
        full = self.tk.encode_batch(texts)
        pr = self.tk.encode_batch(prompts)
        out = []
        P = len(self.prefix)
        for f, p in zip(full, pr):
            ids, pids = f.ids, p.ids
            assert ids[:P] == self.prefix and ids[:len(pids)] == pids, "prefix split"
            out.append((ids[P:], len(pids) - P))
        return out


def make_batches(enc, rng, n_docs, tok_budget):
    """Generate n_docs fresh documents; return padded batches of similar length and
    the problems used."""
    docs, probs = [], []
    for _ in range(n_docs):
        a, op, b = sample_train_problem(rng)
        text, _, _, _ = corpus.example(rng, a, op, b)
        docs.append(text)
        probs.append((a, op, b))
    prompts = [corpus.render_prompt(corpus.question(*p)) for p in probs]
    items = enc.encode(docs, prompts)
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    batches, cur = [], []
    for i in order:
        cur.append(items[i])
        if len(cur) * len(items[i][0]) >= tok_budget:
            batches.append(cur)
            cur = []
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return [collate(b, enc.eos) for b in batches], probs


def collate(items, pad):
    T = max(len(s) for s, _ in items)
    x = torch.full((len(items), T - 1), pad, dtype=torch.long)
    y = torch.full((len(items), T - 1), -100, dtype=torch.long)
    for i, (s, r) in enumerate(items):
        s = torch.tensor(s)
        x[i, :len(s) - 1] = s[:-1]
        tgt = s[1:].clone()
        tgt[:max(0, r - 1)] = -100          # no loss on the question itself
        y[i, :len(s) - 1] = tgt
    return x, y
