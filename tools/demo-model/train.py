"""Train the demo model on generated traces (CPU, deterministic seeds).

The schedule depends only on the step count (warmup, then cosine to 10% over
--steps), so a run is reproducible step for step. --max-minutes is only a
safety stop: reaching it prints a warning, and a run cut off there is not the
reproducible one.

The constant r1-zero prompt prefix is run once per batch (batch size 1) and its
MLA cache is shared by every document of the batch, which saves ~40% of the
compute. A checkpoint is written every few minutes, so a run that is cut off
still leaves a usable model.
"""
import argparse
import ctypes
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

import data
import tok
from model import Config, Model


def quiet_malloc():
    # Reuse freed heap instead of mmap/munmap for every large tensor: page faults
    # made elementwise ops 3-5x slower on the 2-core build machine.
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)   # M_TRIM_THRESHOLD
        libc.mallopt(-2, 256 << 20)  # M_TOP_PAD
    except OSError:
        pass


def save(path, model, step, extra):
    tmp = path + ".tmp"
    torch.save({"config": model.c.to_dict(), "model": model.state_dict(), "step": step, **extra}, tmp)
    os.replace(tmp, path)


def lr_at(step, total, peak, warm):
    """Linear warmup over warm steps, then cosine to 10% of peak at step total."""
    if step < warm:
        return peak * (step + 1) / warm
    p = min(1.0, (step - warm) / max(1, total - warm))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--tok-budget", type=int, default=4096, help="suffix tokens per batch")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--max-minutes", type=float, default=120,
                    help="safety stop only (warns; the schedule does not depend on it)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="continue from WORK/ckpt.pt (second phase: fresh data, new schedule)")
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()
    quiet_malloc()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    tk = tok.load(os.path.join(args.work, "tokenizer.json"))
    enc = data.Encoder(tk)
    cfg = Config(vocab=tk.get_vocab_size(), **json.loads(args.config))
    model = Model(cfg)
    model.init_weights(args.seed)
    ckpt = os.path.join(args.work, "ckpt.pt")
    if args.resume:
        prev = torch.load(ckpt, map_location="cpu", weights_only=False)
        assert prev["config"] == cfg.to_dict(), "resume: config differs"
        model.load_state_dict(prev["model"])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    rng = random.Random(args.seed)
    log = open(os.path.join(args.work, "train.log"), "a")
    seen = open(os.path.join(args.work, "train-problems.txt"), "a" if args.resume else "w")
    prefix = torch.tensor([enc.prefix])
    P = prefix.shape[1]
    t0 = last_save = time.time()
    step, queue, ema = 0, [], None
    n_params = sum(p.numel() for p in model.parameters())
    print("params %d config %s" % (n_params, cfg.to_dict()), file=log, flush=True)
    while step < args.steps:
        if not queue:
            queue, probs = data.make_batches(enc, rng, 1024, args.tok_budget)
            seen.write("".join("%d %s %d\n" % p for p in probs))
            seen.flush()
        x, y = queue.pop()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        B = x.shape[0]
        _, caches = model(prefix)
        caches = [(a.expand(B, -1, -1, -1), b.expand(B, -1, -1)) for a, b in caches]
        logits, _ = model(x, P, caches)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        # aux-loss-free balancing (DeepSeek-V3): nudge the selection bias of
        # under-loaded experts up and over-loaded ones down
        with torch.no_grad():
            for m in model.moe_layers():
                load = m.last_load.float()
                m.bias += 1e-3 * torch.sign(load.mean() - load)
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        el = time.time() - t0
        if step % 20 == 0:
            print("step %d loss %.4f ema %.4f lr %.2e B %d T %d  %.0fs" %
                  (step, loss.item(), ema, opt.param_groups[0]["lr"], B, x.shape[1], el),
                  file=log, flush=True)
        if time.time() - last_save > 180:
            save(ckpt, model, step, {"loss": ema})
            last_save = time.time()
        if el > args.max_minutes * 60 and step < args.steps:
            msg = ("WARNING: safety stop: %g minutes reached at step %d of %d; "
                   "this model is NOT the reproducible %d-step one" %
                   (args.max_minutes, step, args.steps, args.steps))
            print(msg, file=log, flush=True)
            print(msg, file=sys.stderr, flush=True)
            break
    save(ckpt, model, step, {"loss": ema, "done": True})
    print("done step %d ema %.4f %.0fs" % (step, ema, time.time() - t0), file=log, flush=True)


if __name__ == "__main__":
    main()
