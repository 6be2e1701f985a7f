"""Greedy evaluation of the demo model in Python, with and without TIP.

TIP exactly as DESIGN.md section 5: inside <think>, the logits of the switch
tokens V^ are lowered by alpha while t < Psi + beta, where t is the index of
the generated token and Psi the index where the current thought began (0 at
the start of <think>, which the prompt opens; the index of the switch token
that opened a later thought). Metrics follow the TIP issue: accuracy, think
tokens, thoughts and switches per response, suppressed switches, UT score.
"""
import argparse
import json
import re
import sys

import torch

import corpus
import tok
from export_gguf import load_checkpoint, round_like_gguf

SWITCH_WORDS = ["Alternatively", "alternatively"]


def switch_ids(tk):
    """V^: the whole-word tokens that begin a switch phrase, with and without the space."""
    ids = []
    for w in SWITCH_WORDS:
        for form in (w, " " + w):
            e = tk.encode(form).ids
            if len(e) == 1:
                ids.append(e[0])
    return sorted(set(ids))


def is_number_in(text, n):
    return re.search(r"(?<![\d-])%s(?!\d)" % re.escape(n), text) is not None


def ut_score(pieces, switch_at, expected):
    """For a wrong response: 1 - (tokens up to the end of the first thought that
    contains the expected answer) / (all tokens); 0 when no thought does."""
    bounds = switch_at + [len(pieces)]
    start = 0
    for end in bounds:
        if end > start and is_number_in("".join(pieces[start:end]), expected):
            return 1.0 - end / len(pieces)
        start = end
    return 0.0


@torch.no_grad()
def generate(model, tk, prompts, alpha, beta, vhat, max_new=320, batch=64):
    """Greedy decoding of many prompts; returns one record per prompt."""
    eos = tk.token_to_id(corpus.EOS)
    t_close = tk.token_to_id("</think>")
    vh = torch.tensor(vhat, dtype=torch.long)
    enc = [tk.encode(p).ids for p in prompts]
    groups = {}
    for i, e in enumerate(enc):
        groups.setdefault(len(e), []).append(i)
    results = [None] * len(prompts)
    for L, idx_all in sorted(groups.items()):
        for k in range(0, len(idx_all), batch):
            idx = idx_all[k:k + batch]
            B = len(idx)
            x = torch.tensor([enc[i] for i in idx])
            logits, caches = model(x, 0)
            last = logits[:, -1]
            out = [[] for _ in range(B)]
            done = [False] * B
            in_think = [True] * B
            psi = [0] * B
            switch_at = [[] for _ in range(B)]
            suppressed = [0] * B
            for t in range(max_new):
                raw_top = last.argmax(-1)
                lg = last.clone()
                if alpha != 0:
                    for b in range(B):
                        if in_think[b] and t < psi[b] + beta:
                            lg[b, vh] -= alpha
                nxt = lg.argmax(-1)
                for b in range(B):
                    if done[b]:
                        continue
                    tokid = int(nxt[b])
                    out[b].append(tokid)
                    if in_think[b]:
                        if int(raw_top[b]) in vhat and tokid not in vhat:
                            suppressed[b] += 1
                        if tokid in vhat:
                            psi[b] = t
                            switch_at[b].append(len(out[b]) - 1)
                        if tokid == t_close:
                            in_think[b] = False
                    if tokid == eos:
                        done[b] = True
                if all(done):
                    break
                logits, caches = model(nxt[:, None], L + t, caches)
                last = logits[:, -1]
            for b, i in enumerate(idx):
                results[i] = {"ids": out[b], "switch_at": switch_at[b], "suppressed": suppressed[b]}
    return results


def score(tk, items, results):
    t_close = tk.token_to_id("</think>")
    n = len(items)
    acc = think = sw = sup = 0
    ut, wrong = 0.0, 0
    recs = []
    for it, r in zip(items, results):
        ids = r["ids"]
        pieces = [tk.decode([i], skip_special_tokens=False) for i in ids]
        text = "".join(pieces)
        m = re.search(r"<answer>(.*?)</answer>", text, re.S)
        got = m.group(1).strip() if m else None
        ok = got == it["answer"]
        nthink = ids.index(t_close) if t_close in ids else len(ids)
        acc += ok
        think += nthink
        sw += len(r["switch_at"])
        sup += r["suppressed"]
        if not ok:
            wrong += 1
            ut += ut_score(pieces[:nthink], r["switch_at"], it["answer"])
        recs.append({"prompt": it["prompt"], "answer": it["answer"], "got": got, "ok": ok,
                     "switches": len(r["switch_at"]), "text": text})
    summary = {"n": n, "accuracy": acc / n, "think_tokens": think / n,
               "thoughts": 1 + sw / n, "switches": sw / n, "suppressed": sup / n,
               "ut_score": ut / wrong if wrong else 0.0}
    return summary, recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--tip", default="0:0,3:600", help="alpha:beta list; 0:0 = TIP off")
    ap.add_argument("--traces", default="", help="write per-item records (JSONL) here")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, _ = load_checkpoint(a.ckpt)
    round_like_gguf(model)
    tk = tok.load(a.tokenizer)
    vhat = switch_ids(tk)
    items = [json.loads(l) for l in open(a.set) if l.strip()]
    if a.limit:
        items = items[:a.limit]
    prompts = [corpus.render_prompt(it["prompt"]) for it in items]
    print("V^ =", [(i, tk.decode([i])) for i in vhat], file=sys.stderr)
    for spec in a.tip.split(","):
        al, be = spec.split(":")
        res = generate(model, tk, prompts, float(al), int(be), vhat)
        s, recs = score(tk, items, res)
        s.update({"alpha": float(al), "beta": int(be)})
        print(json.dumps(s), flush=True)
        if a.traces:
            with open(a.traces + ".a%s-b%s.jsonl" % (al, be), "w") as f:
                for r in recs:
                    f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
