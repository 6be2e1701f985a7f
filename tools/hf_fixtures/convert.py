#!/usr/bin/env python3
"""HF transformers checkpoint -> GGUF, laid out the way llama.cpp's
convert_hf_to_gguf.py lays it out (keys, key types, tensor names, shapes and
the per-architecture tensor rewrites), for the six architectures ponder runs:

  LlamaForCausalLM       -> llama     (Q/K rows permuted back to interleaved pairs,
                                       Llama-3 rope scaling as a rope_freqs tensor)
  Qwen2ForCausalLM       -> qwen2     (q/k/v biases)
  Qwen3ForCausalLM       -> qwen3     (per-head q/k RMSNorm)
  Qwen3MoeForCausalLM    -> qwen3moe  (experts stacked into *_exps 3-D tensors)
  DeepseekV2ForCausalLM  -> deepseek2 (MLA: kv_b_proj split into attn_k_b, transposed
  DeepseekV3ForCausalLM  -> deepseek2  per head, and attn_v_b; YaRN; grouped routing)

Every tensor is written as F32 (these files are test fixtures). The vocabulary
is supplied by the caller (see tiny_vocab()): the engine only needs a valid
tokenizer section; logits tests feed token ids.

Usage as a program (a directory written by save_pretrained):
  convert.py HF_DIR OUT.gguf [--tokenizer tokenizer.json --n-bpe 368 --n-vocab 384]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import gguf

ARCHS = {
    "LlamaForCausalLM": gguf.MODEL_ARCH.LLAMA,
    "Qwen2ForCausalLM": gguf.MODEL_ARCH.QWEN2,
    "Qwen3ForCausalLM": gguf.MODEL_ARCH.QWEN3,
    "Qwen3MoeForCausalLM": gguf.MODEL_ARCH.QWEN3MOE,
    "DeepseekV2ForCausalLM": gguf.MODEL_ARCH.DEEPSEEK2,
    "DeepseekV3ForCausalLM": gguf.MODEL_ARCH.DEEPSEEK2,
}


# ---------------------------------------------------------------- vocabulary

class Vocab:
    """tokenizer.ggml.* content: gpt2-style byte-level BPE."""

    def __init__(self, tokens, toktypes, merges, bos, eos, pad, pre="qwen2",
                 add_bos=False, chat_template=None):
        self.tokens, self.toktypes, self.merges = tokens, toktypes, merges
        self.bos, self.eos, self.pad = bos, eos, pad
        self.pre, self.add_bos, self.chat_template = pre, add_bos, chat_template


def tiny_vocab(tokenizer_json: Path, n_bpe: int, n_vocab: int,
               tokenizer_config: Path | None = None) -> Vocab:
    """First n_bpe tokens of a Qwen-style tokenizer.json, the merges whose parts
    and result are all among them (in the tokenizer's merge order), then
    <|endoftext|> <|im_start|> <|im_end|> (CONTROL), <think> </think>
    (USER_DEFINED), then [PADi] UNUSED up to n_vocab rows, as the converter pads
    when config.vocab_size exceeds the tokenizer."""
    tj = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    inv = {i: t for t, i in tj["model"]["vocab"].items()}
    tokens = [inv[i] for i in range(n_bpe)]
    keep = set(tokens)
    merges = []
    for m in tj["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if a in keep and b in keep and a + b in keep:
            merges.append(f"{a} {b}")
    types = [gguf.TokenType.NORMAL] * n_bpe
    specials = [("<|endoftext|>", gguf.TokenType.CONTROL),
                ("<|im_start|>", gguf.TokenType.CONTROL),
                ("<|im_end|>", gguf.TokenType.CONTROL),
                ("<think>", gguf.TokenType.USER_DEFINED),
                ("</think>", gguf.TokenType.USER_DEFINED)]
    for text, ty in specials:
        tokens.append(text)
        types.append(ty)
    if len(tokens) > n_vocab:
        raise ValueError(f"n_vocab {n_vocab} < {len(tokens)} tokens")
    while len(tokens) < n_vocab:
        tokens.append(f"[PAD{len(tokens)}]")
        types.append(gguf.TokenType.UNUSED)
    template = None
    if tokenizer_config is not None and Path(tokenizer_config).is_file():
        template = json.loads(Path(tokenizer_config).read_text(encoding="utf-8")).get("chat_template")
    return Vocab(tokens, [int(t) for t in types], merges, bos=n_bpe, eos=n_bpe + 2,
                 pad=n_bpe, chat_template=template)


def write_vocab(w: gguf.GGUFWriter, v: Vocab) -> None:
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(v.pre)
    w.add_token_list(v.tokens)
    w.add_token_types(v.toktypes)
    w.add_token_merges(v.merges)
    w.add_eos_token_id(v.eos)
    w.add_pad_token_id(v.pad)
    w.add_bos_token_id(v.bos)
    w.add_add_bos_token(v.add_bos)
    if v.chat_template:
        w.add_chat_template(v.chat_template)


# ---------------------------------------------------------------- hyperparameters

def rope_params(hp: dict) -> dict:
    """config.rope_parameters (transformers 5) or legacy rope_scaling, with
    rope_theta/rope_type mirrored in, as the converter's TextModel does."""
    rp = dict(hp.get("rope_parameters") or hp.get("rope_scaling") or {})
    if "rope_theta" not in rp and hp.get("rope_theta") is not None:
        rp["rope_theta"] = hp["rope_theta"]
    if "rope_type" not in rp and rp.get("type") is not None:
        rp["rope_type"] = rp["type"]
    return rp


def write_base_params(w: gguf.GGUFWriter, hp: dict, arch) -> None:
    """What TextModel.set_gguf_parameters writes (minus keys a subclass
    replaces: deepseek2's key/value lengths and its 1 KV head)."""
    mla = arch == gguf.MODEL_ARCH.DEEPSEEK2
    rp = rope_params(hp)
    w.add_block_count(hp["num_hidden_layers"])
    w.add_context_length(hp["max_position_embeddings"])
    w.add_embedding_length(hp["hidden_size"])
    w.add_feed_forward_length(hp["intermediate_size"])
    w.add_head_count(hp["num_attention_heads"])
    # deepseek2: MLA is written as MQA with one (large) KV head
    w.add_head_count_kv(1 if mla else hp["num_key_value_heads"])
    rtype = rp.get("rope_type")
    if rtype == "linear" and rp.get("factor") is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rp["factor"])
    elif rtype == "yarn" and rp.get("factor") is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(rp["factor"])
        w.add_rope_scaling_orig_ctx_len(rp["original_max_position_embeddings"])
        if rp.get("beta_fast") is not None:
            w.add_rope_scaling_yarn_beta_fast(rp["beta_fast"])
        if rp.get("beta_slow") is not None:
            w.add_rope_scaling_yarn_beta_slow(rp["beta_slow"])
    elif rtype not in (None, "default", "llama3"):
        raise ValueError(f"rope type {rtype!r} not handled")
    w.add_rope_freq_base(rp["rope_theta"])
    w.add_layer_norm_rms_eps(hp["rms_norm_eps"])
    n_exp = next((hp[k] for k in ("num_local_experts", "num_experts", "n_routed_experts")
                  if hp.get(k) is not None), None)
    if n_exp is not None:
        w.add_expert_count(n_exp)
    if hp.get("num_experts_per_tok") is not None and n_exp is not None:
        w.add_expert_used_count(hp["num_experts_per_tok"])
    if hp.get("n_group") is not None:
        w.add_expert_group_count(hp["n_group"])
    if hp.get("topk_group") is not None:
        w.add_expert_group_used_count(hp["topk_group"])
    sf = hp.get("scoring_func")
    if sf == "sigmoid":
        w.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID)
    elif sf == "softmax":
        w.add_expert_gating_func(gguf.ExpertGatingFuncType.SOFTMAX)
    elif sf is not None:
        raise ValueError(f"scoring_func {sf!r}")
    if hp.get("head_dim") is not None and not mla:
        w.add_key_length(hp["head_dim"])
        w.add_value_length(hp["head_dim"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)


def write_deepseek2_params(w: gguf.GGUFWriter, hp: dict) -> None:
    """DeepseekV2Model.set_gguf_parameters (covers V2, V2-Lite, V3, R1)."""
    w.add_leading_dense_block_count(hp.get("first_k_dense_replace") or 0)
    w.add_vocab_size(hp["vocab_size"])
    if hp.get("q_lora_rank") is not None:
        w.add_q_lora_rank(hp["q_lora_rank"])
    kv_lora, rope = hp["kv_lora_rank"], hp["qk_rope_head_dim"]
    w.add_kv_lora_rank(kv_lora)
    # the absorbed (MQA) view: one key of latent+rope, one value of latent
    w.add_key_length(kv_lora + rope)
    w.add_value_length(kv_lora)
    # the per-head (MHA) view
    w.add_key_length_mla(hp["qk_nope_head_dim"] + rope)
    w.add_value_length_mla(hp["v_head_dim"])
    w.add_expert_feed_forward_length(hp["moe_intermediate_size"])
    w.add_expert_shared_count(hp.get("n_shared_experts") or 0)
    if hp.get("routed_scaling_factor") is not None:
        w.add_expert_weights_scale(hp["routed_scaling_factor"])
    if hp.get("norm_topk_prob"):
        w.add_expert_weights_norm(True)
    w.add_rope_dimension_count(rope)
    rp = rope_params(hp)
    if rp.get("mscale_all_dim") is not None:
        # llama.cpp stores 0.1*mscale_all_dim for deepseek2 (legacy convention)
        w.add_rope_scaling_yarn_log_mul(0.1 * rp["mscale_all_dim"])


def write_params(w: gguf.GGUFWriter, hp: dict, arch) -> None:
    write_base_params(w, hp, arch)
    if arch == gguf.MODEL_ARCH.LLAMA:
        w.add_vocab_size(hp["vocab_size"])
        w.add_rope_dimension_count(hp.get("head_dim") or hp["hidden_size"] // hp["num_attention_heads"])
    elif arch == gguf.MODEL_ARCH.QWEN3MOE:
        w.add_expert_feed_forward_length(hp["moe_intermediate_size"])
    elif arch == gguf.MODEL_ARCH.DEEPSEEK2:
        write_deepseek2_params(w, hp)


# ---------------------------------------------------------------- tensors

def llama_permute(wt: np.ndarray, n_head: int) -> np.ndarray:
    """HF Llama stores q/k rows as [first halves | second halves] per head
    (rotate_half rope); llama.cpp wants interleaved pairs (NORM rope)."""
    return (wt.reshape(n_head, 2, wt.shape[0] // n_head // 2, *wt.shape[1:])
            .swapaxes(1, 2).reshape(wt.shape))


def llama3_rope_factors(hp: dict) -> np.ndarray:
    """LlamaModel.generate_extra_tensors: per-frequency divisors for llama3
    rope scaling. The original context is taken from rope_parameters first
    (where transformers keeps it); llama.cpp's converter reads only the
    top-level key and otherwise assumes 8192, which equals the real Llama-3.x
    value but not the small one of these fixtures."""
    rp = rope_params(hp)
    base = rp.get("rope_theta", 10000.0)
    dim = hp.get("head_dim") or hp["hidden_size"] // hp["num_attention_heads"]
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    factor = rp.get("factor", 8.0)
    lo, hi = rp.get("low_freq_factor", 1.0), rp.get("high_freq_factor", 4.0)
    old_ctx = rp.get("original_max_position_embeddings",
                     hp.get("original_max_position_embeddings", 8192))
    lo_wav, hi_wav = old_ctx / lo, old_ctx / hi
    out = []
    for f in freqs:
        wav = 2 * math.pi / f
        if wav < hi_wav:
            out.append(1.0)
        elif wav > lo_wav:
            out.append(factor)
        else:
            s = (old_ctx / wav - lo) / (hi - lo)
            out.append(1.0 / ((1 - s) / factor + s))
    return np.asarray(out, dtype=np.float32)


def normalize_experts(sd: dict, hp: dict) -> dict:
    """Both checkpoint layouts -> one stacked tensor per (layer, proj):
    transformers 5 keeps experts fused (gate_up_proj [E, 2I, H], down_proj
    [E, H, I]); safetensors on the hub hold experts.{e}.{proj}.weight, which
    the converter stacks along a new first axis."""
    out, per_expert = {}, {}
    for name, t in sd.items():
        if ".mlp.experts." not in name:
            out[name] = t
            continue
        head, tail = name.split(".mlp.experts.")
        if tail == "gate_up_proj":
            i = t.shape[1] // 2  # chunk(2): gate first, then up
            out[f"{head}.mlp.experts.gate_proj.weight"] = t[:, :i, :]
            out[f"{head}.mlp.experts.up_proj.weight"] = t[:, i:, :]
        elif tail == "down_proj":
            out[f"{head}.mlp.experts.down_proj.weight"] = t
        else:
            e, proj, _ = tail.split(".")
            per_expert.setdefault((head, proj), {})[int(e)] = t
    for (head, proj), d in per_expert.items():
        out[f"{head}.mlp.experts.{proj}.weight"] = np.stack([d[e] for e in range(len(d))])
    return out


def convert_tensors(sd: dict, hp: dict, arch) -> list[tuple[str, np.ndarray]]:
    """HF name -> (GGUF name, F32 array) in the converter's conventions."""
    n_layer = hp["num_hidden_layers"]
    tmap = gguf.get_tensor_name_map(arch, n_layer)
    n_head = hp["num_attention_heads"]
    out = []
    if arch == gguf.MODEL_ARCH.LLAMA and rope_params(hp).get("rope_type") == "llama3":
        out.append((gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", llama3_rope_factors(hp)))
    for name, t in normalize_experts(sd, hp).items():
        t = np.ascontiguousarray(np.asarray(t, dtype=np.float32))
        if hp.get("tie_word_embeddings") and name == "lm_head.weight":
            continue  # llama.cpp falls back to token_embd
        if name.endswith("e_score_correction_bias"):
            name = name.replace("e_score_correction_bias", "e_score_correction.bias")
        if arch == gguf.MODEL_ARCH.LLAMA:
            if name.endswith(("q_proj.weight", "q_proj.bias")):
                t = llama_permute(t, n_head)
            elif name.endswith(("k_proj.weight", "k_proj.bias")):
                t = llama_permute(t, hp["num_key_value_heads"])
        if name.endswith("kv_b_proj.weight"):
            # MLA absorption wants k_b^T per head and v_b separately
            nope, vdim = hp["qk_nope_head_dim"], hp["v_head_dim"]
            kv_b = t.reshape(n_head, nope + vdim, t.shape[-1])
            k_b = np.ascontiguousarray(kv_b[:, :nope, :].transpose(0, 2, 1))
            v_b = np.ascontiguousarray(kv_b[:, nope:, :])
            out.append((map_name(tmap, name.replace("kv_b_proj", "k_b_proj")), k_b))
            out.append((map_name(tmap, name.replace("kv_b_proj", "v_b_proj")), v_b))
            continue
        out.append((map_name(tmap, name), t))
    return sorted(out, key=tensor_order)


def map_name(tmap, name: str) -> str:
    new = tmap.get_name(name, try_suffixes=(".weight", ".bias"))
    if new is None:
        raise ValueError(f"cannot map tensor {name!r}")
    return new


def tensor_order(item):
    """token_embd, blocks in order, output_norm, output (as llama.cpp files
    usually read); inside a block the order of the checkpoint is irrelevant,
    so a fixed one keeps files byte-stable."""
    name = item[0]
    if name.startswith("blk."):
        _, b, rest = name.split(".", 2)
        return (1, int(b), BLOCK_ORDER.get(rest.rsplit(".", 1)[0], 99), rest)
    top = {"rope_freqs": -1, "token_embd": 0, "output_norm": 2, "output": 3}
    return (top[name.split(".")[0]], 0, 0, name)


BLOCK_ORDER = {n: i for i, n in enumerate([
    "attn_norm", "attn_q", "attn_k", "attn_v", "attn_q_a", "attn_q_a_norm", "attn_q_b",
    "attn_kv_a_mqa", "attn_kv_a_norm", "attn_k_b", "attn_v_b", "attn_q_norm", "attn_k_norm",
    "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "ffn_gate_inp", "exp_probs_b",
    "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps", "ffn_gate_shexp", "ffn_up_shexp",
    "ffn_down_shexp"])}


# ---------------------------------------------------------------- driver

def convert(sd: dict, hp: dict, out_path: Path, vocab: Vocab, name: str = "tiny") -> None:
    """sd: HF state dict as numpy arrays; hp: the config as a dict
    (config.json content; must carry 'architectures')."""
    hf_class = hp["architectures"][0]
    if hf_class not in ARCHS:
        raise ValueError(f"architecture {hf_class!r} not supported")
    arch = ARCHS[hf_class]
    if len(vocab.tokens) != hp["vocab_size"]:
        raise ValueError(f"vocab has {len(vocab.tokens)} tokens, config says {hp['vocab_size']}")
    w = gguf.GGUFWriter(str(out_path), gguf.MODEL_ARCH_NAMES[arch])
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_description("random weights; ponder HF-reference fixture (not a trained model)")
    write_params(w, hp, arch)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    write_vocab(w, vocab)
    for tname, t in convert_tensors(sd, hp, arch):
        w.add_tensor(tname, t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hf_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--tokenizer", type=Path, required=True, help="Qwen-style tokenizer.json")
    ap.add_argument("--n-bpe", type=int, default=368)
    args = ap.parse_args()
    from safetensors.numpy import load_file
    hp = json.loads((args.hf_dir / "config.json").read_text())
    try:  # as the converter does: the full config, defaults included
        from transformers import AutoConfig
        hp = json.loads(AutoConfig.from_pretrained(args.hf_dir).to_json_string(use_diff=False)) | hp
    except Exception:  # noqa: BLE001 - a plain config.json is enough when complete
        pass
    sd = {}
    for f in sorted(args.hf_dir.glob("*.safetensors")):
        sd.update(load_file(str(f)))
    vocab = tiny_vocab(args.tokenizer, args.n_bpe, hp["vocab_size"],
                       args.tokenizer.parent / "tokenizer_config.json")
    convert(sd, hp, args.out, vocab, name=args.hf_dir.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
