"""A tiny DeepSeek-V3 (GGUF `deepseek2`) in plain PyTorch.

MLA attention (low-rank q and kv, a shared rope key), RMSNorm, one leading
dense FFN layer, then MoE layers with one shared expert and sigmoid-gated
routed experts chosen by score + selection bias (aux-loss-free balancing).
The math is written to match what llama.cpp computes for a deepseek2 GGUF:
RoPE on interleaved pairs (2i, 2i+1) ("NORM" rope), score scale
1/sqrt(qk_nope + qk_rope), routing weights renormalised then scaled.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 528
    d: int = 192
    n_layer: int = 4
    n_dense: int = 1
    n_head: int = 4
    q_lora: int = 64
    kv_lora: int = 64
    qk_nope: int = 32
    qk_rope: int = 16
    v_head: int = 32
    ff_dense: int = 512
    ff_exp: int = 192
    n_exp: int = 8
    n_used: int = 2
    n_shared: int = 1
    routed_scale: float = 1.5
    rope_base: float = 10000.0
    eps: float = 1e-6
    ctx: int = 512

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(dim, base, pos):
    """cos/sin for positions pos (T,), dim/2 frequencies."""
    inv = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    ang = pos.to(torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    """x (..., T, dim): rotate the interleaved pairs (x[2i], x[2i+1])."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack((y0, y1), dim=-1).flatten(-2)


class MLA(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        H, dq = c.n_head, c.qk_nope + c.qk_rope
        self.q_a = nn.Linear(c.d, c.q_lora, bias=False)             # (d) -> (q_lora)
        self.q_a_norm = RMSNorm(c.q_lora, c.eps)
        self.q_b = nn.Linear(c.q_lora, H * dq, bias=False)          # -> H x (nope, rope)
        self.kv_a = nn.Linear(c.d, c.kv_lora + c.qk_rope, bias=False)  # -> latent, shared k_pe
        self.kv_a_norm = RMSNorm(c.kv_lora, c.eps)
        self.kv_b = nn.Linear(c.kv_lora, H * (c.qk_nope + c.v_head), bias=False)  # per head: k_nope, v
        self.o = nn.Linear(H * c.v_head, c.d, bias=False)

    def forward(self, x, cos, sin, cache):
        c = self.c
        B, T, _ = x.shape
        H = c.n_head
        q = self.q_b(self.q_a_norm(self.q_a(x))).view(B, T, H, c.qk_nope + c.qk_rope).transpose(1, 2)
        q_nope, q_pe = q[..., :c.qk_nope], apply_rope(q[..., c.qk_nope:], cos, sin)
        kv = self.kv_a(x)
        lat = self.kv_a_norm(kv[..., :c.kv_lora])                   # (B,T,kv_lora)
        k_pe = apply_rope(kv[..., c.kv_lora:], cos, sin)            # (B,T,rope)
        # the cache keeps the decompressed per-head (k_nope, v): cheaper than
        # re-expanding the latent of a shared prompt prefix for every document
        kvb = self.kv_b(lat).view(B, T, H, c.qk_nope + c.v_head).transpose(1, 2)
        if cache is not None:
            kvb = torch.cat([cache[0], kvb], 2)
            k_pe = torch.cat([cache[1], k_pe], 1)
        S = kvb.shape[2]
        k_nope, v = kvb[..., :c.qk_nope], kvb[..., c.qk_nope:]
        k = torch.cat([k_nope, k_pe[:, None].expand(B, H, S, c.qk_rope)], -1)
        qq = torch.cat([q_nope, q_pe], -1)
        # causal: query t (absolute S-T+t) sees keys 0..S-T+t
        mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(S - T)
        y = F.scaled_dot_product_attention(qq, k, v, attn_mask=mask,
                                           scale=1.0 / math.sqrt(c.qk_nope + c.qk_rope))
        y = y.transpose(1, 2).reshape(B, T, H * c.v_head)
        return self.o(y), (kvb, k_pe)


class FFN(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.gate = nn.Linear(d, ff, bias=False)
        self.up = nn.Linear(d, ff, bias=False)
        self.down = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class MoE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        E, d, f = c.n_exp, c.d, c.ff_exp
        self.router = nn.Linear(d, E, bias=False)
        self.register_buffer("bias", torch.zeros(E))   # exp_probs_b: selection only
        self.w_gate = nn.Parameter(torch.empty(E, f, d))
        self.w_up = nn.Parameter(torch.empty(E, f, d))
        self.w_down = nn.Parameter(torch.empty(E, d, f))
        self.shared = FFN(d, f * c.n_shared)
        self.last_load = None

    def route(self, x):
        s = torch.sigmoid(self.router(x.float()))
        idx = torch.topk(s + self.bias, self.c.n_used, dim=-1).indices
        w = s.gather(-1, idx)
        w = w / w.sum(-1, keepdim=True) * self.c.routed_scale
        return idx, w

    def forward(self, x):
        shp = x.shape
        x2 = x.reshape(-1, shp[-1])
        idx, w = self.route(x2)
        out = torch.zeros_like(x2)
        flat = idx.reshape(-1)
        load = torch.bincount(flat, minlength=self.c.n_exp)
        self.last_load = load.detach()
        tok = torch.arange(x2.shape[0], device=x.device).repeat_interleave(self.c.n_used)
        wf = w.reshape(-1)
        order = torch.argsort(flat, stable=True)
        tok_s, w_s = tok[order], wf[order]
        start = 0
        for e, n in enumerate(load.tolist()):
            if n == 0:
                continue
            t = tok_s[start:start + n]
            xe = x2[t]
            h = F.silu(xe @ self.w_gate[e].t()) * (xe @ self.w_up[e].t())
            out.index_add_(0, t, (h @ self.w_down[e].t()) * w_s[start:start + n, None])
            start += n
        return (out + self.shared(x2)).view(shp)


class Block(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        self.attn_norm = RMSNorm(c.d, c.eps)
        self.attn = MLA(c)
        self.ffn_norm = RMSNorm(c.d, c.eps)
        self.ffn = FFN(c.d, c.ff_dense) if i < c.n_dense else MoE(c)

    def forward(self, x, cos, sin, cache):
        a, nc = self.attn(self.attn_norm(x), cos, sin, cache)
        x = x + a
        return x + self.ffn(self.ffn_norm(x)), nc


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab, c.d)
        self.blocks = nn.ModuleList(Block(c, i) for i in range(c.n_layer))
        self.norm = RMSNorm(c.d, c.eps)
        self.head = nn.Linear(c.d, c.vocab, bias=False)
        self.init_weights()

    def init_weights(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        resid = 0.02 / math.sqrt(2 * self.c.n_layer)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                continue
            std = resid if name.endswith(("o.weight", "down.weight", "w_down")) else 0.02
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * std)

    def forward(self, tokens, pos0=0, caches=None):
        """tokens (B,T) at positions pos0..pos0+T-1; caches: per-layer (k_nope|v, k_pe) or None."""
        T = tokens.shape[1]
        cos, sin = rope_tables(self.c.qk_rope, self.c.rope_base,
                               torch.arange(pos0, pos0 + T, device=tokens.device))
        x = self.embed(tokens)
        new = []
        for i, b in enumerate(self.blocks):
            x, nc = b(x, cos, sin, None if caches is None else caches[i])
            new.append(nc)
        return self.head(self.norm(x)), new

    def moe_layers(self):
        return [b.ffn for b in self.blocks if isinstance(b.ffn, MoE)]
