"""Train the demo model's byte-level BPE vocabulary and load it back.

The pre-tokenizer is llama.cpp's `qwen2` split (digits one by one, words with
their leading space), followed by the GPT-2 byte-to-unicode mapping, so that a
GGUF reader implementing tokenizer.ggml.pre = "qwen2" splits text identically.
Special tokens go after the BPE vocabulary, as in Qwen's vocabularies.
"""
import random

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

import corpus

# llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2 expression (as in Qwen2's tokenizer.json).
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def new_tokenizer():
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tk.decoder = decoders.ByteLevel()
    return tk


def train(path, n_docs=20000, vocab_size=1024, seed=7):
    rng = random.Random(seed)
    docs = [corpus.example(rng)[0].replace(corpus.EOS, "") for _ in range(n_docs)]
    # The tags become added tokens; keep them out of the BPE statistics.
    for t in corpus.TAGS:
        docs = [d.replace(t, " ") for d in docs]
    # Spellings a user (or a TIP phrase list) may type, so they are whole tokens.
    extra = ["Alternatively, alternatively Wait, wait But Hmm Actually"] * 200
    tk = new_tokenizer()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=[])
    tk.train_from_iterator(docs + extra, trainer=trainer)
    tk.add_tokens([AddedToken(t, special=False, normalized=False) for t in corpus.TAGS])
    tk.add_special_tokens([AddedToken(corpus.EOS, special=True, normalized=False)])
    tk.save(path)
    return tk


def load(path):
    return Tokenizer.from_file(path)


if __name__ == "__main__":
    import sys
    tk = train(sys.argv[1] if len(sys.argv) > 1 else "/tmp/demo-tok.json")
    print("vocab", tk.get_vocab_size())
    rng = random.Random(3)
    lens = []
    for _ in range(2000):
        text, prob, ans, sw = corpus.example(rng)
        lens.append(len(tk.encode(text).ids))
    p = tk.encode(corpus.render_prompt("What is 12 + 35?")).ids
    print("prompt tokens", len(p), "max", max(lens), "mean", sum(lens) / len(lens))
    text = corpus.example(random.Random(5))[0]
    enc = tk.encode(text)
    print(enc.tokens[len(p) - 12:])
