"""Write the trained demo model as a GGUF file laid out exactly like llama.cpp's
convert_hf_to_gguf.py (DeepseekV2Model) writes a DeepSeek-V3 checkpoint:
same keys and key types, tensor names, the kv_b split into attn_k_b (transposed)
and attn_v_b, experts stacked into 3-D tensors, F32 for 1-D tensors, norms,
the router and exp_probs_b, F16 for every other matrix.
"""
import argparse
import json

import numpy as np
import torch

import gguf

import corpus
from model import Config, Model

PREAMBLE_J = corpus.PREAMBLE.replace("'", "\\'")

# Jinja rendering of the r1-zero prompt, the same text as src/chat.c's r1-zero
# renderer (system message replaces the preamble; earlier assistant turns keep
# only the text after </think>).
CHAT_TEMPLATE = (
    "{%- set ns = namespace(sys='" + PREAMBLE_J + "') -%}"
    "{%- for m in messages %}{%- if m['role'] == 'system' and loop.first %}"
    "{%- set ns.sys = m['content'] %}{%- endif %}{%- endfor -%}"
    "{{- ns.sys -}}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'user' -%}"
    "{{- ' User: ' + m['content'] -}}"
    "{%- if m['content'][-1:] not in ['.', '?', '!'] %}.{% endif -%}"
    "{{- ' Assistant:' -}}"
    "{%- if loop.last and add_generation_prompt %} <think>{% endif -%}"
    "{%- elif m['role'] == 'assistant' -%}"
    "{%- set c = m['content'].split('</think>')[-1] -%}"
    "{{- ' ' + c.lstrip() -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt and (messages | length == 0 or messages[-1]['role'] != 'user') %}"
    " Assistant: <think>{% endif -%}")


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    m = Model(Config(**ck["config"]))
    m.load_state_dict(ck["model"])
    m.eval()
    return m, ck


def f32_name(name):
    """Tensors the converter keeps in F32 (1-D, norms, router, selection bias)."""
    return (name.endswith("_norm.weight") or name.endswith("ffn_gate_inp.weight")
            or name.endswith("exp_probs_b.bias"))


def gguf_tensors(m):
    """(gguf name, numpy array in ggml's reversed-shape order, as torch stores it)."""
    c = m.c
    t = lambda x: x.detach().float().numpy()
    out = [("token_embd.weight", t(m.embed.weight))]
    for i, b in enumerate(m.blocks):
        p = "blk.%d." % i
        a = b.attn
        out += [(p + "attn_norm.weight", t(b.attn_norm.weight)),
                (p + "attn_q_a.weight", t(a.q_a.weight)),
                (p + "attn_q_a_norm.weight", t(a.q_a_norm.weight)),
                (p + "attn_q_b.weight", t(a.q_b.weight)),
                (p + "attn_kv_a_mqa.weight", t(a.kv_a.weight)),
                (p + "attn_kv_a_norm.weight", t(a.kv_a_norm.weight))]
        # kv_b: (H*(nope+v), kv_lora) -> k_b (H, kv_lora, nope) [transposed], v_b (H, v, kv_lora)
        kvb = a.kv_b.weight.detach().float().view(c.n_head, c.qk_nope + c.v_head, c.kv_lora)
        k_b, v_b = torch.split(kvb, [c.qk_nope, c.v_head], dim=1)
        out += [(p + "attn_k_b.weight", k_b.transpose(1, 2).contiguous().numpy()),
                (p + "attn_v_b.weight", v_b.contiguous().numpy()),
                (p + "attn_output.weight", t(a.o.weight)),
                (p + "ffn_norm.weight", t(b.ffn_norm.weight))]
        f = b.ffn
        if i < c.n_dense:
            out += [(p + "ffn_gate.weight", t(f.gate.weight)),
                    (p + "ffn_up.weight", t(f.up.weight)),
                    (p + "ffn_down.weight", t(f.down.weight))]
        else:
            out += [(p + "ffn_gate_inp.weight", t(f.router.weight)),
                    (p + "exp_probs_b.bias", t(f.bias)),
                    (p + "ffn_gate_exps.weight", t(f.w_gate)),
                    (p + "ffn_up_exps.weight", t(f.w_up)),
                    (p + "ffn_down_exps.weight", t(f.w_down)),
                    (p + "ffn_gate_shexp.weight", t(f.shared.gate.weight)),
                    (p + "ffn_up_shexp.weight", t(f.shared.up.weight)),
                    (p + "ffn_down_shexp.weight", t(f.shared.down.weight))]
    out += [("output_norm.weight", t(m.norm.weight)), ("output.weight", t(m.head.weight))]
    return out


def round_like_gguf(m):
    """Round in place every weight the GGUF stores as F16, so that the torch
    model and the file compute with the same numbers."""
    keep = ("norm.weight", "router.weight")
    with torch.no_grad():
        for n, p in m.named_parameters():
            if p.dim() >= 2 and not n.endswith(keep):
                p.copy_(p.half().float())
    return m


def vocab_from_tokenizer(tok_json):
    """tokens, token types, merges as the converter's _set_vocab_gpt2 writes them."""
    j = json.load(open(tok_json, encoding="utf-8"))
    vocab = dict(j["model"]["vocab"])
    added = {a["id"]: a for a in j["added_tokens"]}
    n = max(list(vocab.values()) + list(added)) + 1
    rev = {i: s for s, i in vocab.items()}
    tokens, types = [], []
    for i in range(n):
        if i in added:
            tokens.append(added[i]["content"])
            types.append(gguf.TokenType.CONTROL if added[i]["special"] else gguf.TokenType.USER_DEFINED)
        elif i in rev:
            tokens.append(rev[i])
            types.append(gguf.TokenType.NORMAL)
        else:
            tokens.append("[PAD%d]" % i)
            types.append(gguf.TokenType.UNUSED)
    merges = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]
    return tokens, [int(t) for t in types], merges


def export(ckpt, tok_json, out, description=""):
    m, ck = load_checkpoint(ckpt)
    round_like_gguf(m)
    c = m.c
    tokens, types, merges = vocab_from_tokenizer(tok_json)
    assert len(tokens) == c.vocab, (len(tokens), c.vocab)
    eos = tokens.index(corpus.EOS)
    w = gguf.GGUFWriter(out, "deepseek2")
    w.add_type("model")
    w.add_name("ponder-demo")
    if description:
        w.add_description(description)
    w.add_block_count(c.n_layer)
    w.add_context_length(c.ctx)
    w.add_embedding_length(c.d)
    w.add_feed_forward_length(c.ff_dense)
    w.add_head_count(c.n_head)
    w.add_head_count_kv(1)              # MLA is written as MQA with one kv head
    w.add_rope_freq_base(c.rope_base)
    w.add_layer_norm_rms_eps(c.eps)
    w.add_expert_count(c.n_exp)
    w.add_expert_used_count(c.n_used)
    w.add_expert_group_count(1)
    w.add_expert_group_used_count(1)
    w.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_leading_dense_block_count(c.n_dense)
    w.add_vocab_size(c.vocab)
    w.add_q_lora_rank(c.q_lora)
    w.add_kv_lora_rank(c.kv_lora)
    w.add_key_length(c.kv_lora + c.qk_rope)
    w.add_value_length(c.kv_lora)
    w.add_key_length_mla(c.qk_nope + c.qk_rope)
    w.add_value_length_mla(c.v_head)
    w.add_expert_feed_forward_length(c.ff_exp)
    w.add_expert_shared_count(c.n_shared)
    w.add_expert_weights_scale(c.routed_scale)
    w.add_expert_weights_norm(True)
    w.add_rope_dimension_count(c.qk_rope)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_eos_token_id(eos)
    w.add_pad_token_id(eos)
    w.add_bos_token_id(eos)
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)
    for name, arr in gguf_tensors(m):
        if f32_name(name) or arr.ndim == 1:
            w.add_tensor(name, arr.astype(np.float32))
        else:
            w.add_tensor(name, arr.astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return m


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--description", default="")
    a = ap.parse_args()
    export(a.ckpt, a.tokenizer, a.out, a.description)
