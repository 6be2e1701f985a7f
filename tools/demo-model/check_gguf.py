"""Check the export conventions: an independent numpy forward pass that reads only
the GGUF file (gguf-py GGUFReader) must reproduce the torch model's logits.

The numpy side follows the GGUF math as llama.cpp computes it (absorbed MLA:
q_nope is moved into the latent space with attn_k_b, attention runs over the
compressed cache, attn_v_b maps the result back), not the torch code.
"""
import argparse
import sys

import numpy as np
import torch

import gguf

from export_gguf import load_checkpoint, round_like_gguf

# Selection scores closer than this are a routing tie: F16/F32 engines
# (ponder, llama.cpp) may pick either expert there.
TIE = 1e-3


class GGUFModel:
    def __init__(self, path):
        r = gguf.GGUFReader(path)
        self.kv = {k: f.contents() for k, f in r.fields.items()
                   if not k.startswith("tokenizer.ggml.")}
        self.t = {}
        for t in r.tensors:
            a = np.asarray(t.data)
            shape = tuple(int(x) for x in reversed(t.shape))
            self.t[t.name] = a.reshape(shape).astype(np.float64)
        g = lambda k: self.kv["deepseek2." + k]
        self.n_layer, self.n_head = g("block_count"), g("attention.head_count")
        self.kv_lora, self.rope = g("attention.kv_lora_rank"), g("rope.dimension_count")
        self.nope = g("attention.key_length_mla") - self.rope
        self.v = g("attention.value_length_mla")
        self.eps, self.base = g("attention.layer_norm_rms_epsilon"), g("rope.freq_base")
        self.n_dense, self.n_used = g("leading_dense_block_count"), g("expert_used_count")
        self.scale, self.norm_w = g("expert_weights_scale"), g("expert_weights_norm")
        self.n_group = self.kv.get("deepseek2.expert_group_count", 1)
        self.group_used = self.kv.get("deepseek2.expert_group_used_count", 1)
        assert g("expert_gating_func") == 2
        # YaRN (only to check this reader on llama.cpp's oracle files)
        self.yarn = self.kv.get("deepseek2.rope.scaling.type") == "yarn"
        self.mscale = 1.0
        if self.yarn:
            self.factor = g("rope.scaling.factor")
            self.orig_ctx = g("rope.scaling.original_context_length")
            self.mscale = 1 + g("rope.scaling.yarn_log_multiplier") * np.log(self.factor)

    def rms(self, x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * w

    def rope_norm(self, x, pos):
        """ggml NORM rope: pairs (2i, 2i+1), theta = pos * base^(-2i/n_rot)."""
        d = x.shape[-1]
        th = pos[:, None] * self.base ** (-np.arange(0, d, 2) / d)[None, :]
        if self.yarn:
            cd = lambda b: d * np.log(self.orig_ctx / (b * 2 * np.pi)) / (2 * np.log(self.base))
            lo, hi = max(0, np.floor(cd(32))), min(d - 1, np.ceil(cd(1)))
            ramp = 1 - np.clip((np.arange(d // 2) - lo) / max(0.001, hi - lo), 0, 1)
            th = th / self.factor * (1 - ramp) + th * ramp
        c, s = np.cos(th), np.sin(th)
        while c.ndim < x.ndim:
            c, s = c[:, None], s[:, None]
        y = np.empty_like(x)
        y[..., 0::2] = x[..., 0::2] * c - x[..., 1::2] * s
        y[..., 1::2] = x[..., 0::2] * s + x[..., 1::2] * c
        return y

    def ffn(self, x, p, suffix=""):
        T = self.t
        g = x @ T[p + "ffn_gate%s.weight" % suffix].T
        u = x @ T[p + "ffn_up%s.weight" % suffix].T
        return (g / (1 + np.exp(-g)) * u) @ T[p + "ffn_down%s.weight" % suffix].T

    def forward(self, ids, swap=()):
        """Logits of every position, the routing, and the near ties.

        ties lists (layer, position, gap) where the n_used-th and the next
        selection score differ by less than TIE (either choice is right at
        F16/F32 precision); at the (layer, position) pairs in swap the
        reference takes the other one.
        """
        T, n = self.t, len(ids)
        ties = []
        pos = np.arange(n, dtype=np.float64)
        x = T["token_embd.weight"][ids]
        H, R, L = self.n_head, self.rope, self.kv_lora
        routing = []
        for i in range(self.n_layer):
            p = "blk.%d." % i
            h = self.rms(x, T[p + "attn_norm.weight"])
            q = self.rms(h @ T[p + "attn_q_a.weight"].T, T[p + "attn_q_a_norm.weight"])
            q = (q @ T[p + "attn_q_b.weight"].T).reshape(n, H, self.nope + R)
            q_nope, q_pe = q[..., :self.nope], self.rope_norm(q[..., self.nope:], pos)
            kv = h @ T[p + "attn_kv_a_mqa.weight"].T
            c = self.rms(kv[:, :L], T[p + "attn_kv_a_norm.weight"])      # (n, L)
            k_pe = self.rope_norm(kv[:, L:], pos)                          # (n, R)
            kb = T[p + "attn_k_b.weight"]                                  # (H, L, nope)
            vb = T[p + "attn_v_b.weight"]                                  # (H, v, L)
            q_lat = np.einsum("thn,hln->thl", q_nope, kb)                  # absorbed q
            s = (np.einsum("thl,sl->hts", q_lat, c) + np.einsum("thr,sr->hts", q_pe, k_pe))
            s = s * self.mscale ** 2 / np.sqrt(self.nope + R)
            s = s + np.triu(np.full((n, n), -np.inf), 1)[None]
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o_lat = np.einsum("hts,sl->thl", s, c)
            o = np.einsum("thl,hvl->thv", o_lat, vb).reshape(n, H * self.v)
            x = x + o @ T[p + "attn_output.weight"].T
            h = self.rms(x, T[p + "ffn_norm.weight"])
            if i < self.n_dense:
                x = x + self.ffn(h, p)
                continue
            sg = 1 / (1 + np.exp(-(h @ T[p + "ffn_gate_inp.weight"].T)))
            sel = sg + T[p + "exp_probs_b.bias"]
            out = self.ffn(h, p, "_shexp")
            for t in range(n):
                sc = sel[t].copy()
                if self.n_group > 1:
                    gs = sc.reshape(self.n_group, -1)
                    gscore = np.sort(gs, 1)[:, -2:].sum(1)
                    keep = np.argsort(-gscore, kind="stable")[:self.group_used]
                    mask = np.full(self.n_group, -np.inf)
                    mask[keep] = 0
                    sc = (gs + mask[:, None]).reshape(-1)
                order = np.argsort(-sc, kind="stable")
                gap = sc[order[self.n_used - 1]] - sc[order[self.n_used]]
                if gap < TIE:
                    ties.append((i, t, gap))
                    if (i, t) in swap:
                        order[[self.n_used - 1, self.n_used]] = order[[self.n_used, self.n_used - 1]]
                top = order[:self.n_used]
                w = sg[t, top]
                if self.norm_w:
                    w = w / w.sum()
                w = w * self.scale
                routing.append((i, t, list(top)))
                for e, we in zip(top, w):
                    g = h[t] @ T[p + "ffn_gate_exps.weight"][e].T
                    u = h[t] @ T[p + "ffn_up_exps.weight"][e].T
                    out[t] += we * ((g / (1 + np.exp(-g)) * u) @ T[p + "ffn_down_exps.weight"][e].T)
            x = x + out
        x = self.rms(x, T["output_norm.weight"])
        self.ties = ties
        return x @ T["output.weight"].T, routing


def check_oracle(oracle):
    """This reader against llama.cpp's own logits for the oracle's ds3-F16.gguf."""
    ids = [int(x) for x in open(oracle + "/ref/ds3.tokens.txt").read().split()]
    ref = np.fromfile(oracle + "/ref/ds3-F16.prefill.f32", dtype="<f4").reshape(len(ids), -1)
    got, _ = GGUFModel(oracle + "/models/ds3-F16.gguf").forward(np.array(ids))
    d = np.abs(ref - got).max()
    print("oracle ds3-F16: max|llama.cpp - numpy| = %.3g  argmax same %d/%d"
          % (d, (ref.argmax(-1) == got.argmax(-1)).sum(), len(ids)))
    return d < 0.1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--tokens", default="")
    ap.add_argument("--oracle", default="", help="also check this reader on ../shared/oracle")
    a = ap.parse_args()
    if a.oracle and not check_oracle(a.oracle):
        sys.exit(1)
    m, _ = load_checkpoint(a.ckpt)
    round_like_gguf(m)
    rng = np.random.default_rng(5)
    ids = ([int(x) for x in a.tokens.split(",")] if a.tokens
           else list(rng.integers(0, m.c.vocab, 48)))
    with torch.no_grad():
        ref, _ = m(torch.tensor([ids]))
    ref = ref[0].double().numpy()
    got, _ = GGUFModel(a.gguf).forward(np.array(ids))
    d = np.abs(ref - got).max()
    print("tokens %d  max|torch - gguf numpy| = %.3g  (logit rms %.3g)  argmax same %d/%d"
          % (len(ids), d, np.sqrt((ref ** 2).mean()), (ref.argmax(-1) == got.argmax(-1)).sum(), len(ids)))
    sys.exit(0 if d < 1e-3 else 1)


if __name__ == "__main__":
    main()
