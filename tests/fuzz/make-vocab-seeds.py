#!/usr/bin/env python3
# make-vocab-seeds.py - writes tests/fuzz/seeds-vocab/*.gguf (run from that
# directory): tiny gpt2 vocabularies with each chat family's template.
# Needs the gguf package (pip install gguf).
import gguf, sys
def b2u():
    bs = list(range(33,127)) + list(range(161,173)) + list(range(174,256))
    cs = bs[:]; n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}
B = b2u()
def enc(s): return ''.join(B[b] for b in s.encode())
def write(path, arch, specials, template, pre="qwen2", extra=()):
    w = gguf.GGUFWriter(path, arch)
    toks = [B[b] for b in range(256)]
    merges = []
    for a, b in [("t","h"),("th","e"),(" ","t"),(" t","he"),("i","n"),(" ","a"),("e","r"),("1","2")] + list(extra):
        merges.append(enc(a) + " " + enc(b)); toks.append(enc(a + b))
    types = [1] * len(toks)
    for s in specials: toks.append(s); types.append(3)
    w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre(pre)
    w.add_token_list(toks); w.add_token_types(types); w.add_token_merges(merges)
    if specials:
        w.add_bos_token_id(len(toks) - len(specials)); w.add_eos_token_id(len(toks) - 1)
    if template is not None: w.add_chat_template(template)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
write("qwen3-vocab.gguf", "qwen3", ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"],
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if enable_thinking %}<think>{% endif %}")
write("r1-vocab.gguf", "qwen2", ["<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜end▁of▁sentence｜>"],
      "{{ bos_token }}{% for m in messages %}<｜User｜>{{ m.content }}<｜Assistant｜><think>\n{% endfor %}")
write("r1zero-vocab.gguf", "llama", ["<s>", "</s>"],
      "A conversation between User and Assistant. The user asks a question.", pre="llama-bpe")
write("chatml-vocab.gguf", "deepseek2", ["<|im_start|>", "<|im_end|>"], "<|im_start|>{{ m.content }}", pre="deepseek-llm")
