#!/usr/bin/env python3
"""Regenerate tests/fixtures/hf/: tiny random-weight models of six HF
transformers classes, their GGUF conversions (convert.py) and the logits
transformers computes for one prompt (float32, eager attention, one forward
of all tokens from an empty cache). Each file is then re-checked with the
independent float64 forward of ref_forward.py.

  generate.py [--out tests/fixtures/hf] [--only NAME ...] [--tokenizer tokenizer.json]

Deterministic: weights and prompts come from numpy PCG64 with fixed seeds,
the HF forward runs on one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convert  # noqa: E402
import ref_forward  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = Path("/work/shared/testdata/tokenizers/qwen3/tokenizer.json")
N_BPE, N_VOCAB, N_TOKENS = 368, 384, 32

COMMON = dict(vocab_size=N_VOCAB, hidden_size=64, num_attention_heads=4, rms_norm_eps=1e-6,
              bos_token_id=N_BPE, eos_token_id=N_BPE + 2, pad_token_id=N_BPE)

# name -> (HF class, config kwargs, weight seed)
SPECS = {
    "hf-qwen3": ("Qwen3ForCausalLM", dict(
        num_hidden_layers=2, num_key_value_heads=2, head_dim=32, intermediate_size=128,
        max_position_embeddings=40960, tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), 101),
    "hf-qwen2": ("Qwen2ForCausalLM", dict(
        num_hidden_layers=2, num_key_value_heads=2, intermediate_size=160,
        max_position_embeddings=131072, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 102),
    "hf-llama": ("LlamaForCausalLM", dict(
        num_hidden_layers=2, num_key_value_heads=2, intermediate_size=192, rms_norm_eps=1e-5,
        max_position_embeddings=512, tie_word_embeddings=False,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 64}), 103),
    "hf-qwen3moe": ("Qwen3MoeForCausalLM", dict(
        num_hidden_layers=2, num_key_value_heads=2, head_dim=32, intermediate_size=128,
        moe_intermediate_size=32, num_experts=8, num_experts_per_tok=3, norm_topk_prob=True,
        decoder_sparse_step=1, mlp_only_layers=[], max_position_embeddings=40960,
        tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), 104),
    "hf-deepseek-v2": ("DeepseekV2ForCausalLM", dict(
        num_hidden_layers=2, num_key_value_heads=4, first_k_dense_replace=1,
        intermediate_size=128, moe_intermediate_size=24, q_lora_rank=None, kv_lora_rank=32,
        qk_nope_head_dim=16, qk_rope_head_dim=16, v_head_dim=16, n_routed_experts=8,
        num_experts_per_tok=2, n_shared_experts=2, n_group=1, topk_group=1,
        topk_method="greedy", scoring_func="softmax", norm_topk_prob=False,
        routed_scaling_factor=1.5, max_position_embeddings=163840, tie_word_embeddings=False,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0,
                         "original_max_position_embeddings": 4096, "beta_fast": 32.0,
                         "beta_slow": 1.0, "mscale": 0.707, "mscale_all_dim": 0.707}), 105),
    "hf-deepseek-v3": ("DeepseekV3ForCausalLM", dict(
        num_hidden_layers=3, num_key_value_heads=4, first_k_dense_replace=1,
        intermediate_size=96, moe_intermediate_size=24, q_lora_rank=48, kv_lora_rank=32,
        qk_nope_head_dim=16, qk_rope_head_dim=16, v_head_dim=16, n_routed_experts=8,
        num_experts_per_tok=3, n_shared_experts=1, n_group=4, topk_group=2,
        topk_method="noaux_tc", scoring_func="sigmoid", norm_topk_prob=True,
        routed_scaling_factor=2.5, max_position_embeddings=163840, tie_word_embeddings=False,
        rope_interleave=True, num_mtp_layers=0,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0,
                         "original_max_position_embeddings": 4096, "beta_fast": 32.0,
                         "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0}), 106),
}

# real config.json keys the transformers config class may not model
EXTRA_KEYS = ("scoring_func", "topk_method")


def build_config(hf_class: str, kw: dict):
    cfg_cls = getattr(transformers, hf_class.replace("ForCausalLM", "Config"))
    cfg = cfg_cls(**COMMON | kw, architectures=[hf_class])
    cfg._attn_implementation = "eager"
    try:
        cfg._experts_implementation = "eager"
    except Exception:  # older transformers: experts are always eager
        pass
    hp = json.loads(cfg.to_json_string(use_diff=False))
    for k in EXTRA_KEYS:
        if k in kw:
            hp[k] = kw[k]
    return cfg, hp


def init_weights(model: torch.nn.Module, seed: int) -> None:
    """Scales that keep activations O(1) so every part of the math shows in
    the logits: matrices N(0, 1/fan_in), norms 1 + N(0, 0.1^2), biases and the
    expert selection bias N(0, 0.1^2) / N(0, 0.2^2)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    sd = model.state_dict()
    new = {}
    for name in sorted(sd):
        t = sd[name]
        if name == "lm_head.weight" and model.config.tie_word_embeddings:
            continue
        shape = tuple(t.shape)
        if name.endswith("e_score_correction_bias"):
            a = rng.normal(0.0, 0.1, shape)
        elif name.endswith(".bias"):
            a = rng.normal(0.0, 0.2, shape)
        elif t.ndim == 1:  # RMSNorm weights
            a = 1.0 + rng.normal(0.0, 0.1, shape)
        elif name.endswith("embed_tokens.weight"):
            a = rng.normal(0.0, 0.5, shape)
        else:  # [out, in] or experts [E, out, in]
            a = rng.normal(0.0, 1.0 / np.sqrt(shape[-1]), shape)
        new[name] = torch.from_numpy(a.astype(np.float32))
    missing, unexpected = model.load_state_dict(new, strict=False)
    assert not unexpected, unexpected
    assert set(missing) <= {"lm_head.weight"}, missing


def state_dict_numpy(model: torch.nn.Module) -> dict:
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def pick_tokens(gguf_path: Path, seed0: int, n_cand: int) -> tuple[list, float]:
    """For MoE models, the prompt (among n_cand seeds) whose routing is
    furthest from a tie in the float64 reference, so that float32 engines
    choose the same experts."""
    m = ref_forward.Model(gguf_path)
    best = None
    for c in range(n_cand):
        rng = np.random.Generator(np.random.PCG64(seed0 + c))
        toks = [int(t) for t in rng.integers(0, N_BPE, N_TOKENS)]
        stats = []
        ref_forward.forward(m, toks, stats)
        if not stats:
            return toks, float("nan")
        margin = min(float(np.min(r["sel_margin"])) for r in stats)
        gm = [r["grp_margin"] for r in stats if not np.all(np.isnan(r["grp_margin"]))]
        if gm:
            margin = min(margin, min(float(np.nanmin(g)) for g in gm))
        if best is None or margin > best[1]:
            best = (toks, margin)
    return best


def write_routing(gguf_path: Path, tokens: list, out: Path) -> None:
    stats = []
    ref_forward.forward(ref_forward.Model(gguf_path), tokens, stats)
    if stats:
        out.write_text("\n".join(ref_forward.routing_lines(stats)) + "\n")


def generate(name: str, out_dir: Path, tokenizer: Path = TOKENIZER) -> None:
    hf_class, kw, seed = SPECS[name]
    cfg, hp = build_config(hf_class, kw)
    torch.manual_seed(seed)
    model = getattr(transformers, hf_class)(cfg).float().eval()
    init_weights(model, seed)
    vocab = convert.tiny_vocab(tokenizer, N_BPE, N_VOCAB, tokenizer.parent / "tokenizer_config.json")
    gguf_path = out_dir / f"{name}.gguf"
    convert.convert(state_dict_numpy(model), hp, gguf_path, vocab, name=name)
    tokens, margin = pick_tokens(gguf_path, 20260000 + 1000 * seed, 24 if "moe" in name or "deepseek" in name else 1)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([tokens]), use_cache=False).logits[0]
    logits.numpy().astype("<f4").tofile(out_dir / f"{name}.logits.f32")
    write_routing(gguf_path, tokens, out_dir / f"{name}.routing.txt")
    meta = {"model": f"{name}.gguf", "hf_class": hf_class, "tokens": tokens,
            "logits": f"{name}.logits.f32", "n_vocab": N_VOCAB,
            "transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "weight_seed": seed, "min_routing_margin": None if margin != margin else margin}
    if margin == margin:
        meta["routing"] = f"{name}.routing.txt"
    meta["config"] = hp
    (out_dir / f"{name}.json").write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "hf")
    ap.add_argument("--only", nargs="*", default=list(SPECS))
    ap.add_argument("--tokenizer", type=Path, default=TOKENIZER,
                    help="Qwen3 tokenizer.json (tokenizer_config.json beside it gives the chat template)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    for name in args.only:
        generate(name, args.out, args.tokenizer)
        worst = max(worst, ref_forward.check(args.out / f"{name}.json"))
    print(f"worst numpy-vs-HF relative error: {worst:.3g}")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
