#!/usr/bin/env python3
# make-model-seeds.py - writes tests/fuzz/seeds-model/*.gguf (run from that
# directory): tiny random-weight models (32-wide, 32 tokens, 1-2 layers, no
# vocabulary) of each architecture and layout model.c binds, a few KB each,
# so that libFuzzer's mutations land in the metadata often. `ponder synth`'s
# smallest presets are 256 wide with 512 tokens (0.5-2 MB). Needs the gguf
# package (pip install gguf); Q4_K blocks are written as bytes (gguf-py
# cannot quantize to Q4_K).
import gguf, numpy as np
from gguf import GGMLQuantizationType as T

rng = np.random.default_rng(1)
V, CTX = 32, 128

def mat(k, n, e=0):
    return (rng.standard_normal((e, n, k) if e else (n, k)) * 0.2).astype(np.float32)

def q4k(shape):
    """Random Q4_K blocks (d, dmin small, scales and quants random) of
    ggml shape {k, n[, e]}: k a multiple of 256."""
    k, rest = shape[0], shape[1:]
    nb = int(np.prod(rest)) * (k // 256)
    b = rng.integers(0, 256, (nb, 144), dtype=np.uint8)
    b[:, 0:2] = np.frombuffer(np.float16(0.0005).tobytes(), np.uint8)
    b[:, 2:4] = np.frombuffer(np.float16(0.0002).tobytes(), np.uint8)
    return b.reshape(tuple(reversed(rest)) + (k // 256 * 144,))

class Seed:
    def __init__(self, path, arch, wtype):
        self.w = gguf.GGUFWriter(path, arch)
        self.arch, self.wtype = arch, wtype
    def u32(self, key, v): self.w.add_uint32(f"{self.arch}.{key}", v)
    def f32(self, key, v): self.w.add_float32(f"{self.arch}.{key}", v)
    def vec(self, name, n, value=1.0):
        self.w.add_tensor(name, np.full(n, value, np.float32))
    def mat(self, name, k, n, e=0):
        """A matrix {k, n} (or e of them) in the seed's type where k allows it
        (Q8_0: 32, Q4_K: 256 values a block), else F16, as llama-quantize."""
        x = mat(k, n, e)
        t = self.wtype
        if t == T.Q4_K and k % 256:
            t = T.Q8_0
        if t == T.Q8_0 and k % 32:
            t = T.F16
        if t == T.F32:
            self.w.add_tensor(name, x)
        elif t == T.F16:
            self.w.add_tensor(name, x.astype(np.float16))
        elif t == T.Q8_0:
            self.w.add_tensor(name, gguf.quants.quantize(x, T.Q8_0), raw_dtype=T.Q8_0)
        else:
            self.w.add_tensor(name, q4k((k, n, e) if e else (k, n)), raw_dtype=T.Q4_K)
    def common(self, E, layers, H, Hkv, ff=0):
        self.u32("context_length", CTX)
        self.u32("embedding_length", E)
        self.u32("block_count", layers)
        self.u32("attention.head_count", H)
        self.u32("attention.head_count_kv", Hkv)
        if ff:
            self.u32("feed_forward_length", ff)
        self.f32("attention.layer_norm_rms_epsilon", 1e-6)
        self.f32("rope.freq_base", 10000.0)
    def embd(self, E, tied=False):
        self.mat("token_embd.weight", E, V)
        self.vec("output_norm.weight", E)
        if not tied:
            self.mat("output.weight", E, V)
    def gqa(self, i, E, H, Hkv, hk, hv, bias=False, qk_norm=False):
        self.mat(f"blk.{i}.attn_q.weight", E, H * hk)
        self.mat(f"blk.{i}.attn_k.weight", E, Hkv * hk)
        self.mat(f"blk.{i}.attn_v.weight", E, Hkv * hv)
        self.mat(f"blk.{i}.attn_output.weight", H * hv, E)
        if bias:
            self.vec(f"blk.{i}.attn_q.bias", H * hk, 0.01)
            self.vec(f"blk.{i}.attn_k.bias", Hkv * hk, 0.01)
            self.vec(f"blk.{i}.attn_v.bias", Hkv * hv, 0.01)
        if qk_norm:
            self.vec(f"blk.{i}.attn_q_norm.weight", hk)
            self.vec(f"blk.{i}.attn_k_norm.weight", hk)
    def norms(self, i, E):
        self.vec(f"blk.{i}.attn_norm.weight", E)
        self.vec(f"blk.{i}.ffn_norm.weight", E)
    def dense(self, i, E, ff):
        self.mat(f"blk.{i}.ffn_gate.weight", E, ff)
        self.mat(f"blk.{i}.ffn_up.weight", E, ff)
        self.mat(f"blk.{i}.ffn_down.weight", ff, E)
    def experts(self, i, E, X, ffe, shared=0, bias=False):
        self.mat(f"blk.{i}.ffn_gate_inp.weight", E, X)
        if bias:
            self.vec(f"blk.{i}.exp_probs_b.bias", X, 0.0)
        self.mat(f"blk.{i}.ffn_gate_exps.weight", E, ffe, X)
        self.mat(f"blk.{i}.ffn_up_exps.weight", E, ffe, X)
        self.mat(f"blk.{i}.ffn_down_exps.weight", ffe, E, X)
        if shared:
            self.mat(f"blk.{i}.ffn_gate_shexp.weight", E, ffe * shared)
            self.mat(f"blk.{i}.ffn_up_shexp.weight", E, ffe * shared)
            self.mat(f"blk.{i}.ffn_down_shexp.weight", ffe * shared, E)
    def done(self):
        w = self.w
        w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

def qwen3moe(path, wtype, E=32, X=4, used=2, ffe=32, H=2, Hkv=1, hk=16, hv=16, layers=1):
    s = Seed(path, "qwen3moe", wtype)
    s.common(E, layers, H, Hkv)
    s.u32("attention.key_length", hk); s.u32("attention.value_length", hv)
    s.u32("expert_count", X); s.u32("expert_used_count", used)
    s.u32("expert_feed_forward_length", ffe)
    s.embd(E)
    for i in range(layers):
        s.norms(i, E); s.gqa(i, E, H, Hkv, hk, hv, qk_norm=True); s.experts(i, E, X, ffe)
    s.done()

def qwen3(path, wtype, E=32, H=2, Hkv=2, hk=16, hv=16, ff=64, rope_dim=0):
    s = Seed(path, "qwen3", wtype)
    s.common(E, 1, H, Hkv, ff=ff)
    s.u32("attention.key_length", hk); s.u32("attention.value_length", hv)
    if rope_dim:
        s.u32("rope.dimension_count", rope_dim)
    s.embd(E)
    s.norms(0, E); s.gqa(0, E, H, Hkv, hk, hv, qk_norm=True); s.dense(0, E, ff)
    s.done()

def qwen2(path, wtype, E=32, H=4, Hkv=2):
    """Biases, tied embeddings, no feed_forward_length key (from the tensor)."""
    s = Seed(path, "qwen2", wtype)
    s.common(E, 1, H, Hkv)
    s.embd(E, tied=True)
    s.norms(0, E); s.gqa(0, E, H, Hkv, E // H, E // H, bias=True); s.dense(0, E, 32)
    s.done()

def llama(path, wtype):
    """Llama-3 rope_freqs and linear scaling, 2 layers."""
    s = Seed(path, "llama", wtype)
    s.common(32, 2, 2, 1, ff=32)
    s.w.add_string("llama.rope.scaling.type", "linear")
    s.f32("rope.scaling.factor", 2.0)
    s.embd(32)
    s.vec("rope_freqs.weight", 8, 1.5)
    for i in range(2):
        s.norms(i, 32); s.gqa(i, 32, 2, 1, 16, 16); s.dense(i, 32, 32)
    s.done()

def deepseek2(path, wtype, q_lora=32, legacy_kv_b=False, v3=True, E=32, H=2, nope=16, rope=8,
              vd=16, kvl=32, X=4, used=2, groups=2, groups_used=1, ffe=32, layers=2, lead=1):
    """MLA: leading dense layers, then MoE (V3: experts in groups, sigmoid,
    selection bias, a shared expert, YaRN; else V2-Lite: softmax, no groups)."""
    s = Seed(path, "deepseek2", wtype)
    s.common(E, layers, H, 1, ff=64)
    s.u32("leading_dense_block_count", lead)
    if q_lora:
        s.u32("attention.q_lora_rank", q_lora)
    s.u32("attention.kv_lora_rank", kvl)
    s.u32("attention.key_length", kvl + rope); s.u32("attention.value_length", kvl)
    s.u32("attention.key_length_mla", nope + rope); s.u32("attention.value_length_mla", vd)
    s.u32("rope.dimension_count", rope)
    s.u32("expert_count", X); s.u32("expert_used_count", used)
    s.u32("expert_feed_forward_length", ffe); s.u32("expert_shared_count", 1)
    s.f32("expert_weights_scale", 2.5)
    if v3:
        s.u32("expert_group_count", groups); s.u32("expert_group_used_count", groups_used)
        s.u32("expert_gating_func", 2)
        s.w.add_bool("deepseek2.expert_weights_norm", True)
        s.w.add_string("deepseek2.rope.scaling.type", "yarn")
        s.f32("rope.scaling.factor", 4.0)
        s.u32("rope.scaling.original_context_length", 32)
        s.f32("rope.scaling.yarn_log_multiplier", 0.1)
    s.embd(E)
    for i in range(layers):
        s.norms(i, E)
        if q_lora:
            s.mat(f"blk.{i}.attn_q_a.weight", E, q_lora)
            s.vec(f"blk.{i}.attn_q_a_norm.weight", q_lora)
            s.mat(f"blk.{i}.attn_q_b.weight", q_lora, H * (nope + rope))
        else:
            s.mat(f"blk.{i}.attn_q.weight", E, H * (nope + rope))
        s.mat(f"blk.{i}.attn_kv_a_mqa.weight", E, kvl + rope)
        s.vec(f"blk.{i}.attn_kv_a_norm.weight", kvl)
        if legacy_kv_b:
            s.mat(f"blk.{i}.attn_kv_b.weight", kvl, H * (nope + vd))
        else:
            s.mat(f"blk.{i}.attn_k_b.weight", nope, kvl, H)
            s.mat(f"blk.{i}.attn_v_b.weight", kvl, vd, H)
        s.mat(f"blk.{i}.attn_output.weight", H * vd, E)
        if i < lead:
            s.dense(i, E, 64)
        else:
            s.experts(i, E, X, ffe, shared=1, bias=v3)
    s.done()

if __name__ == "__main__":
    qwen3moe("qwen3moe-f16.gguf", T.F16)
    qwen3moe("qwen3moe-q4k.gguf", T.Q4_K, E=256, X=2, used=1)
    qwen3("qwen3-q8_0.gguf", T.Q8_0)
    qwen2("qwen2-f32.gguf", T.F32)
    llama("llama-q8_0.gguf", T.Q8_0)
    deepseek2("deepseek2-v3-f16.gguf", T.F16)
    deepseek2("deepseek2-v2lite-q8_0.gguf", T.Q8_0, q_lora=0, legacy_kv_b=True, v3=False)
    # odd but consistent shapes: 4 and 8 wide (no whole Q8_0 block), head_v != head_k, 4 groups
    qwen3("qwen3-e4-f32.gguf", T.F32, E=4, H=1, Hkv=1, hk=4, hv=2, ff=4)
    deepseek2("deepseek2-e8-g4-f16.gguf", T.F16, E=8, X=8, used=3, groups=4, groups_used=2, ffe=8)
