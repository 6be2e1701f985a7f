#!/usr/bin/env python3
"""Write a tiny DeepSeek-V3-style GGUF (F32) whose matrices have rows of 256
values, small enough that llama-quantize's Q2_K mix of it makes a test
fixture of < 300 KB (tests/fixtures/quant/ds3-mini-Q2_K.gguf, see
tests/fixtures/quant/README; its IQ4_XS, IQ4_NL, IQ2_XXS, IQ3_XXS, IQ2_XS
and IQ2_M fixtures too, < 420 KB).

It is `ponder synth --preset test-mla --type F32` cut down with gguf-py:
only its MoE layer (blk.1, renamed blk.0; leading_dense_block_count 0),
2 of the 4 heads, 4 of the 8 experts (2 used, in 2 groups of which 1 is
used), expert and shared-expert FF 32.  The weights are synth's, sliced.

Usage: tools/k_low_model.py TEST-MLA-F32.gguf OUT.gguf
"""
import sys

import numpy as np
import gguf

HEADS, EXPERTS, EXP_FF = 2, 4, 32
ARCH = "deepseek2"
OVERRIDE = {
    f"{ARCH}.block_count": 1,
    f"{ARCH}.leading_dense_block_count": 0,
    f"{ARCH}.attention.head_count": HEADS,
    f"{ARCH}.expert_count": EXPERTS,
    f"{ARCH}.expert_used_count": 2,
    f"{ARCH}.expert_group_count": 2,
    f"{ARCH}.expert_group_used_count": 1,
    f"{ARCH}.expert_feed_forward_length": EXP_FF,
    "general.name": "ponder ds3-mini (test-mla cut down for Q2_K/Q3_K)",
}


def cut(name: str, a: np.ndarray) -> np.ndarray:
    """numpy shapes are ggml's ne reversed: a[..., row, col]"""
    if name.endswith("attn_q_b.weight"):          # rows: heads x (nope + rope)
        return a[: HEADS * a.shape[0] // 4]
    if name.endswith(("attn_k_b.weight", "attn_v_b.weight")):
        return a[:HEADS]
    if name.endswith("attn_output.weight"):       # columns: heads x v
        return a[:, : HEADS * a.shape[1] // 4]
    if name.endswith(("ffn_gate_exps.weight", "ffn_up_exps.weight")):
        return a[:EXPERTS, :EXP_FF, :]
    if name.endswith("ffn_down_exps.weight"):
        return a[:EXPERTS, :, :EXP_FF]
    if name.endswith(("ffn_gate_shexp.weight", "ffn_up_shexp.weight")):
        return a[:EXP_FF, :]
    if name.endswith("ffn_down_shexp.weight"):
        return a[:, :EXP_FF]
    if name.endswith(("ffn_gate_inp.weight", "exp_probs_b.bias")):
        return a[:EXPERTS]
    return a


def copy_field(w: gguf.GGUFWriter, f) -> None:
    t = f.types[0]
    if f.name in OVERRIDE:
        v = OVERRIDE[f.name]
        if t == gguf.GGUFValueType.STRING:
            w.add_string(f.name, v)
        else:
            w.add_key_value(f.name, v, t)
        return
    if t == gguf.GGUFValueType.ARRAY:
        sub = f.types[1]
        if sub == gguf.GGUFValueType.STRING:
            vals = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        else:
            vals = [f.parts[i].tolist()[0] for i in f.data]
        w.add_key_value(f.name, vals, t, sub_type=sub)
    elif t == gguf.GGUFValueType.STRING:
        w.add_string(f.name, bytes(f.parts[-1]).decode("utf-8"))
    else:
        w.add_key_value(f.name, f.parts[-1].tolist()[0], t)


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    r = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(out, ARCH)
    for f in r.fields.values():
        if f.name.startswith("GGUF.") or f.name == "general.architecture":
            continue
        copy_field(w, f)
    for t in r.tensors:
        if t.name.startswith("blk.0."):
            continue
        name = t.name.replace("blk.1.", "blk.0.")
        a = np.ascontiguousarray(cut(name, np.array(t.data, dtype=np.float32)))
        w.add_tensor(name, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
