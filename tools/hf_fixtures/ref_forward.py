#!/usr/bin/env python3
"""Float64 numpy forward pass of a GGUF file, from the file alone, with the
math llama.cpp applies for its architecture (llama, qwen2, qwen3, qwen3moe,
deepseek2). It shares no code with convert.py, so agreeing with transformers
on a converted file shows the converter followed llama.cpp's conventions.

  ref_forward.py FIXTURE.json...     compare with the fixture's HF logits
  ref_forward.py --oracle DIR        compare with llama.cpp's own logits for the
                                     F16 models of ../shared/oracle (shows this
                                     file computes what llama.cpp computes)
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader


class Model:
    def __init__(self, path: Path):
        r = GGUFReader(str(path))
        self.kv = {k: f.contents() for k, f in r.fields.items()
                   if not k.startswith("tokenizer.") and not k.startswith("GGUF.")}
        self.arch = self.kv["general.architecture"]
        # numpy shape is ne reversed: ne {K, N} -> (N, K), so W @ x maps K -> N
        self.t = {t.name: np.asarray(t.data, dtype=np.float64).reshape(
            [int(d) for d in reversed(t.shape)]) for t in r.tensors}

    def p(self, key, default=None):
        return self.kv.get(f"{self.arch}.{key}", default)

    def w(self, name):
        return self.t.get(name)


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def rope_angles(m: Model, n_rot: int, pos: np.ndarray) -> np.ndarray:
    """theta[pos, i] for pair i, as ggml_rope_ext computes it: freq_base,
    optional rope_freqs divisors, YaRN ramp between extrapolated and
    interpolated angles (the YaRN magnitude correction is cancelled for
    deepseek2 by llama.cpp and folded into kq_scale instead)."""
    base = m.p("rope.freq_base", 10000.0)
    i = np.arange(n_rot // 2, dtype=np.float64)
    theta = pos[:, None] * base ** (-2.0 * i / n_rot)[None, :]
    if m.w("rope_freqs.weight") is not None:
        theta = theta / m.w("rope_freqs.weight")[None, :]
    if m.p("rope.scaling.type") == "yarn":
        factor = m.p("rope.scaling.factor")
        n_orig = m.p("rope.scaling.original_context_length")
        # llama.cpp takes beta_fast/slow from its defaults (32, 1)
        def corr_dim(rot):
            return n_rot * math.log(n_orig / (rot * 2 * math.pi)) / (2 * math.log(base))
        lo = max(0.0, math.floor(corr_dim(32.0)))
        hi = min(n_rot - 1.0, math.ceil(corr_dim(1.0)))
        ramp = 1.0 - np.clip((i - lo) / max(0.001, hi - lo), 0.0, 1.0)
        theta = (theta / factor) * (1 - ramp) + theta * ramp
    elif m.p("rope.scaling.type") == "linear":
        theta = theta / m.p("rope.scaling.factor")
    return theta


def rope(x: np.ndarray, theta: np.ndarray, neox: bool) -> np.ndarray:
    """x: (T, H, n_rot), theta: (T, n_rot/2). NORM pairs (2i, 2i+1); NEOX
    pairs (i, i + n_rot/2)."""
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    y = x.copy()
    if neox:
        h = x.shape[-1] // 2
        a, b = x[..., :h], x[..., h:]
        y[..., :h], y[..., h:] = a * c - b * s, a * s + b * c
    else:
        a, b = x[..., 0::2], x[..., 1::2]
        y[..., 0::2], y[..., 1::2] = a * c - b * s, a * s + b * c
    return y


def attention(q, k, v, scale):
    """q: (T, H, D), k: (T, Hkv, D), v: (T, Hkv, Dv); causal; query head h
    reads KV head h // (H / Hkv)."""
    T, H, _ = q.shape
    rep = H // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    s = np.einsum("thd,uhd->htu", q, k) * scale
    s = s + np.triu(np.full((T, T), -np.inf), 1)[None]
    return np.einsum("htu,uhd->thd", softmax(s), v)


def gqa_attention(m: Model, b: str, h: np.ndarray, pos) -> np.ndarray:
    T = h.shape[0]
    n_head, n_kv = m.p("attention.head_count"), m.p("attention.head_count_kv")
    eps = m.p("attention.layer_norm_rms_epsilon")
    def proj(n):
        y = h @ m.w(f"{b}.{n}.weight").T
        bias = m.w(f"{b}.{n}.bias")
        return y if bias is None else y + bias
    q = proj("attn_q").reshape(T, n_head, -1)
    k = proj("attn_k").reshape(T, n_kv, -1)
    v = proj("attn_v").reshape(T, n_kv, -1)
    hd = q.shape[-1]
    if m.w(f"{b}.attn_q_norm.weight") is not None:
        q = rmsnorm(q, m.w(f"{b}.attn_q_norm.weight"), eps)
        k = rmsnorm(k, m.w(f"{b}.attn_k_norm.weight"), eps)
    n_rot = m.p("rope.dimension_count", hd)
    theta = rope_angles(m, n_rot, pos)
    neox = m.arch != "llama"
    q[..., :n_rot] = rope(q[..., :n_rot], theta, neox)
    k[..., :n_rot] = rope(k[..., :n_rot], theta, neox)
    o = attention(q, k, v, 1.0 / math.sqrt(hd))
    return o.reshape(T, -1) @ m.w(f"{b}.attn_output.weight").T


def mla_attention(m: Model, b: str, h: np.ndarray, pos) -> np.ndarray:
    """deepseek2 MLA, expanded (per-head) form; llama.cpp computes the
    equivalent absorbed form."""
    T = h.shape[0]
    n_head = m.p("attention.head_count")
    eps = m.p("attention.layer_norm_rms_epsilon")
    kv_lora = m.p("attention.kv_lora_rank")
    n_rot = m.p("rope.dimension_count")
    d_k = m.p("attention.key_length_mla")
    nope = d_k - n_rot
    if m.w(f"{b}.attn_q_a.weight") is not None:
        qa = rmsnorm(h @ m.w(f"{b}.attn_q_a.weight").T, m.w(f"{b}.attn_q_a_norm.weight"), eps)
        q = qa @ m.w(f"{b}.attn_q_b.weight").T
    else:
        q = h @ m.w(f"{b}.attn_q.weight").T
    q = q.reshape(T, n_head, d_k)
    kv = h @ m.w(f"{b}.attn_kv_a_mqa.weight").T
    c = rmsnorm(kv[:, :kv_lora], m.w(f"{b}.attn_kv_a_norm.weight"), eps)
    k_pe = kv[:, None, kv_lora:]
    theta = rope_angles(m, n_rot, pos)
    q_pe = rope(q[..., nope:], theta, neox=False)
    k_pe = rope(k_pe, theta, neox=False)
    kb = m.w(f"{b}.attn_k_b.weight")  # (H, kv_lora, nope)
    vb = m.w(f"{b}.attn_v_b.weight")  # (H, v_dim, kv_lora)
    k_nope = np.einsum("hrn,tr->thn", kb, c)
    v = np.einsum("hvr,tr->thv", vb, c)
    k = np.concatenate([k_nope, np.repeat(k_pe, n_head, axis=1)], axis=-1)
    qq = np.concatenate([q[..., :nope], q_pe], axis=-1)
    mscale = 1.0
    if m.p("rope.scaling.type") == "yarn":
        mscale = 1.0 + m.p("rope.scaling.yarn_log_multiplier", 0.0) * math.log(m.p("rope.scaling.factor"))
    o = attention(qq, k, v, mscale * mscale / math.sqrt(d_k))
    return o.reshape(T, -1) @ m.w(f"{b}.attn_output.weight").T


def ffn(m: Model, b: str, h: np.ndarray, sfx: str = "") -> np.ndarray:
    g = h @ m.w(f"{b}.ffn_gate{sfx}.weight").T
    u = h @ m.w(f"{b}.ffn_up{sfx}.weight").T
    return (silu(g) * u) @ m.w(f"{b}.ffn_down{sfx}.weight").T


def route(m: Model, b: str, h: np.ndarray):
    """llama.cpp build_moe_ffn's choice: a dict of experts [T,k] (descending
    selection score), weights [T,k], selection margin [T] (k-th minus
    (k+1)-th selection score inside the kept groups), group margin [T] (last
    kept minus first dropped group score; nan without groups) and, as the
    oracle's routing.txt reports it, the selection margin measured on router
    logits for softmax gating."""
    logits = h @ m.w(f"{b}.ffn_gate_inp.weight").T
    n_exp, k = logits.shape[1], m.p("expert_used_count")
    gating = m.p("expert_gating_func", 1)  # deepseek2 default: softmax
    probs = 1.0 / (1.0 + np.exp(-logits)) if gating == 2 else softmax(logits)
    sel = probs.copy()
    if m.w(f"{b}.exp_probs_b.bias") is not None:
        sel = sel + m.w(f"{b}.exp_probs_b.bias")
    n_grp, n_grp_used = m.p("expert_group_count", 1) or 1, m.p("expert_group_used_count", 1) or 1
    gmargin = np.full(len(h), np.nan)
    if n_grp > 1:
        g = sel.reshape(len(h), n_grp, n_exp // n_grp)
        gs = np.sort(g, axis=-1)[..., -2:].sum(-1)
        order = np.argsort(-gs, axis=-1, kind="stable")
        gsorted = np.take_along_axis(gs, order, -1)
        gmargin = gsorted[:, n_grp_used - 1] - gsorted[:, n_grp_used]
        mask = np.zeros_like(gs, dtype=bool)
        np.put_along_axis(mask, order[:, :n_grp_used], True, -1)
        sel = np.where(np.repeat(mask, n_exp // n_grp, axis=1), sel, -np.inf)
    order = np.argsort(-sel, axis=-1, kind="stable")
    top = order[:, :k]
    ss = np.take_along_axis(sel, order, -1)
    smargin = ss[:, k - 1] - ss[:, k]
    lmargin = smargin
    if gating != 2:
        ls = np.take_along_axis(logits, order, -1)
        lmargin = ls[:, k - 1] - ls[:, k]
    w = np.take_along_axis(probs, top, -1)
    norm = m.arch == "qwen3moe" or m.p("expert_weights_norm", False)
    if norm:
        w = w / w.sum(-1, keepdims=True)
    scale = m.p("expert_weights_scale", 0.0)
    if scale:
        w = w * scale
    return {"top": top, "w": w, "sel_margin": smargin, "grp_margin": gmargin,
            "report_margin": lmargin}


def moe(m: Model, b: str, h: np.ndarray, stats: list) -> np.ndarray:
    r = route(m, b, h)
    stats.append(dict(r, layer=int(b.split(".")[1])))
    top, w = r["top"], r["w"]
    gate, up, down = (m.w(f"{b}.ffn_{n}_exps.weight") for n in ("gate", "up", "down"))
    out = np.zeros_like(h)
    for t in range(len(h)):
        for j, e in enumerate(top[t]):
            y = (silu(gate[e] @ h[t]) * (up[e] @ h[t])) @ down[e].T
            out[t] += w[t, j] * y
    if m.w(f"{b}.ffn_gate_shexp.weight") is not None:
        out += ffn(m, b, h, "_shexp")
    return out


def forward(m: Model, tokens, stats: list | None = None) -> np.ndarray:
    """Logits [T, n_vocab] of one causal pass from position 0."""
    stats = [] if stats is None else stats
    x = m.w("token_embd.weight")[np.asarray(tokens)]
    pos = np.arange(len(tokens), dtype=np.float64)
    eps = m.p("attention.layer_norm_rms_epsilon")
    n_dense = m.p("leading_dense_block_count", 0)
    for il in range(m.p("block_count")):
        b = f"blk.{il}"
        h = rmsnorm(x, m.w(f"{b}.attn_norm.weight"), eps)
        x = x + (mla_attention if m.arch == "deepseek2" else gqa_attention)(m, b, h, pos)
        h = rmsnorm(x, m.w(f"{b}.ffn_norm.weight"), eps)
        is_moe = m.w(f"{b}.ffn_gate_inp.weight") is not None and il >= n_dense
        x = x + (moe(m, b, h, stats) if is_moe else ffn(m, b, h))
    out = m.w("output.weight")
    if out is None:
        out = m.w("token_embd.weight")
    return rmsnorm(x, m.w("output_norm.weight"), eps) @ out.T


def routing_lines(stats: list) -> list[str]:
    """The oracle's routing.txt format: `pos layer e_1..e_k w_1..w_k
    sel_margin group_margin`, layer-major then position."""
    out = []
    for r in stats:
        for t in range(len(r["top"])):
            out.append(" ".join([str(t), str(r["layer"])] + [str(int(e)) for e in r["top"][t]]
                                + [f"{x:.9g}" for x in r["w"][t]]
                                + [f"{r['report_margin'][t]:.6g}", f"{r['grp_margin'][t]:.6g}"]))
    return out


def rel_err(a: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per position: max_i |a_i - ref_i| / max_i |ref_i|."""
    return np.abs(a - ref).max(-1) / np.abs(ref).max(-1)


def check(fixture: Path) -> float:
    meta = json.loads(fixture.read_text())
    d = fixture.parent
    m = Model(d / meta["model"])
    ref = np.fromfile(d / meta["logits"], dtype="<f4").reshape(len(meta["tokens"]), meta["n_vocab"])
    stats = []
    got = forward(m, meta["tokens"], stats)
    err = rel_err(got, ref.astype(np.float64))
    margin = min((float(np.min(r["sel_margin"])) for r in stats), default=float("nan"))
    print(f"{meta['model']}: numpy-f64 vs HF max rel err {err.max():.3g} "
          f"(worst position {int(err.argmax())}), min routing margin {margin:.3g}")
    return float(err.max())


def check_oracle(root: Path) -> float:
    """llama.cpp ran these F16 files with F16 activations and KV cache, so
    expect ~0.005 rms / ~0.04 max abs (the oracle README's own figures)."""
    worst = 0.0
    for name in ("ds3", "q3moe"):
        toks = [int(t) for t in (root / "ref" / f"{name}.tokens.txt").read_text().split()]
        ref = np.fromfile(root / "ref" / f"{name}-F16.prefill.f32", dtype="<f4").reshape(len(toks), -1)
        got = forward(Model(root / "models" / f"{name}-F16.gguf"), toks)
        d = np.abs(got - ref)
        same = int((got.argmax(-1) == ref.argmax(-1)).sum())
        print(f"{name}-F16: numpy-f64 vs llama.cpp max abs {d.max():.4f}, rms {np.sqrt((d * d).mean()):.4f}, "
              f"argmax same {same}/{len(toks)}")
        worst = max(worst, float(d.max()))
    return worst


def main(argv) -> int:
    if not argv:
        print(__doc__)
        return 2
    if argv[0] == "--oracle" and len(argv) == 2:
        return 0 if check_oracle(Path(argv[1])) <= 0.05 else 1
    worst = max(check(Path(a)) for a in argv)
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
