#!/usr/bin/env python3
"""make_corrupt_gguf.py - small GGUF files for the fuzzer's seed corpus
(tests/fuzz/seeds) and hand-made corrupt variants for manual checks.

    tools/make_corrupt_gguf.py seeds DIR      write the valid seed files
    tools/make_corrupt_gguf.py corrupt DIR    write a few corrupt files

Only the standard library; the layout follows src/gguf.h.
"""
import os
import struct
import sys

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
FMT = {U8: '<B', I8: '<b', U16: '<H', I16: '<h', U32: '<I', I32: '<i',
       F32: '<f', BOOL: '<B', U64: '<Q', I64: '<q', F64: '<d'}


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return struct.pack('<Q', len(b)) + b


def val(t, v):
    if t == STR:
        return s(v)
    if t == ARR:
        et, items = v
        return struct.pack('<IQ', et, len(items)) + b''.join(val(et, x) for x in items)
    return struct.pack(FMT[t], v)


def gguf(kvs, tensors=(), version=3, align=32):
    """kvs: [(key, type, value)]; tensors: [(name, ne, ggml_type, data)]."""
    out = b'GGUF' + struct.pack('<IQQ', version, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += s(k) + struct.pack('<I', t) + val(t, v)
    off, blobs = 0, []
    for name, ne, gt, data in tensors:
        out += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne)
        out += struct.pack('<IQ', gt, off)
        pad = (-len(data)) % align
        blobs.append(data + b'\0' * pad)
        off += len(data) + pad
    out += b'\0' * ((-len(out)) % align)
    return out + b''.join(blobs)


def seeds():
    scal = [('u8', U8, 7), ('i8', I8, -3), ('u16', U16, 600), ('i16', I16, -600),
            ('u32', U32, 70000), ('i32', I32, -70000), ('f32', F32, 0.5), ('b', BOOL, 1),
            ('str', STR, 'héllo'), ('u64', U64, 2**40), ('i64', I64, -2**40), ('f64', F64, 1e100)]
    arrs = [('a.u8', ARR, (U8, [1, 2, 3])), ('a.f32', ARR, (F32, [1.0, -2.0])),
            ('a.str', ARR, (STR, ['a', '', 'xyz'])),
            ('a.nest', ARR, (ARR, [(U32, [1, 2]), (STR, ['q'])])),
            ('a.bool', ARR, (BOOL, [0, 1]))]
    f32 = lambda n: struct.pack('<%df' % n, *[float(i) for i in range(n)])
    model_kv = [('general.architecture', STR, 'qwen3moe'), ('general.alignment', U32, 64),
                ('qwen3moe.block_count', U32, 1), ('qwen3moe.expert_count', U32, 2),
                ('tokenizer.ggml.model', STR, 'gpt2'),
                ('tokenizer.ggml.tokens', ARR, (STR, ['a', 'b', 'ab', '<|im_start|>'])),
                ('tokenizer.ggml.token_type', ARR, (I32, [1, 1, 1, 3])),
                ('tokenizer.ggml.merges', ARR, (STR, ['a b'])),
                ('tokenizer.chat_template', STR, "{{ '<|im_start|>' }}<think>")]
    tens = [('output_norm.weight', [8], 0, f32(8)),
            ('blk.0.ffn_gate_exps.weight', [32, 2, 2], 8, b'\x01' * (34 * 4)),
            ('blk.0.attn_q.weight', [256, 1], 12, b'\x02' * 144),
            ('token_embd.weight', [8, 4], 1, b'\x03' * 64)]
    return {'scalars-v3.gguf': gguf(scal),
            'scalars-v2.gguf': gguf(scal, version=2),
            'arrays.gguf': gguf(arrs),
            'model-align64.gguf': gguf(model_kv, tens, align=64),
            'tensors-align32.gguf': gguf([('general.architecture', STR, 'deepseek2')], tens)}


def corrupt():
    good = seeds()['model-align64.gguf']
    return {'bad-magic.gguf': b'GGUX' + good[4:],
            'version1.gguf': good[:4] + struct.pack('<I', 1) + good[8:],
            'truncated.gguf': good[:len(good) // 2],
            'huge-nkv.gguf': good[:16] + struct.pack('<Q', 2**63) + good[24:]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('seeds', 'corrupt'):
        sys.exit(__doc__)
    files = seeds() if sys.argv[1] == 'seeds' else corrupt()
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(sys.argv[2], name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
