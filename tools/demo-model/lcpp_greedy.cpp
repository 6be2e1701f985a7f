// lcpp_greedy.cpp - built by check_llamacpp.sh against a local llama.cpp build
// (not part of ponder's build). Tokenizes a text with llama.cpp's own
// tokenizer, prefills it in one llama_decode, then decodes greedily (argmax,
// one token per llama_decode) until an end-of-generation token or N tokens.
// Then it clears the cache and runs every fed token (the prompt and every
// greedy token but the last) again in ONE llama_decode, the way
// `ponder logits --all` computes them: an MoE router near a tie can pick
// other experts in a batch than one token at a time, in llama.cpp too.
//   lcpp_greedy MODEL.gguf TEXT_FILE N OUTDIR
// writes OUTDIR/prompt.ids and OUTDIR/greedy.ids (ids separated by spaces;
// greedy.ids ends with the EOG token when one came), OUTDIR/greedy.txt (the
// greedy tokens' text), and float32 LE logits, one row of n_vocab per fed
// token (greedy[i] is the argmax of row n_prompt-1+i of the first):
// OUTDIR/logits_step.f32 (the greedy run) and OUTDIR/logits_batch.f32.
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static void quiet(enum ggml_log_level level, const char *text, void *)
{
    if (level >= GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

static std::string read_file(const char *path)
{
    std::string s;
    FILE *f = fopen(path, "rb");
    if (!f)
        return s;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        s.append(buf, n);
    fclose(f);
    return s;
}

static bool write_ids(const std::string &path, const std::vector<llama_token> &ids)
{
    FILE *f = fopen(path.c_str(), "w");
    if (!f)
        return false;
    for (size_t i = 0; i < ids.size(); i++)
        fprintf(f, "%s%d", i ? " " : "", ids[i]);
    fputc('\n', f);
    return fclose(f) == 0;
}

static bool write_floats(const std::string &path, const std::vector<float> &v)
{
    FILE *f = fopen(path.c_str(), "wb");
    if (!f)
        return false;
    bool ok = fwrite(v.data(), sizeof(float), v.size(), f) == v.size();
    return fclose(f) == 0 && ok;
}

static llama_token argmax(const float *row, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (row[i] > row[best])
            best = i;
    return best;
}

// tokens [from, to) of ids at their positions, all with logits, in one decode;
// appends each row to logits
static bool decode(llama_context *ctx, llama_batch &b, const std::vector<llama_token> &ids,
                   int from, int to, int n_vocab, std::vector<float> &logits)
{
    b.n_tokens = to - from;
    for (int i = from; i < to; i++) {
        b.token[i - from] = ids[i];
        b.pos[i - from] = i;
        b.n_seq_id[i - from] = 1;
        b.seq_id[i - from][0] = 0;
        b.logits[i - from] = 1;
    }
    if (llama_decode(ctx, b))
        return false;
    for (int i = 0; i < b.n_tokens; i++) {
        const float *row = llama_get_logits_ith(ctx, i);
        logits.insert(logits.end(), row, row + n_vocab);
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: lcpp_greedy MODEL.gguf TEXT_FILE N OUTDIR\n");
        return 2;
    }
    const std::string text = read_file(argv[2]), outdir = argv[4];
    const int n_gen = atoi(argv[3]);
    llama_log_set(quiet, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.progress_callback = [](float, void *) { return true; };  // no progress dots
    llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "lcpp_greedy: llama.cpp could not load %s\n", argv[1]);
        return 1;
    }
    const llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    // add_special as llama-cli does (adds BOS only when the file asks for it)
    std::vector<llama_token> fed(text.size() + 8);
    const int n = llama_tokenize(vocab, text.data(), (int)text.size(), fed.data(), (int)fed.size(), true, true);
    if (n <= 0 || n_gen < 1)
        return 1;
    fed.resize(n);
    const std::vector<llama_token> prompt = fed;

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = (uint32_t)(n + n_gen + 8);
    cp.n_threads = cp.n_threads_batch = 1;
    llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx)
        return 1;
    llama_batch b = llama_batch_init(n + n_gen, 0, 1);

    std::vector<float> step, batch;
    std::vector<llama_token> greedy;
    std::string gtext;
    for (int from = 0;; from = (int)fed.size() - 1) {
        if (!decode(ctx, b, fed, from, (int)fed.size(), n_vocab, step))
            return 1;
        const llama_token next = argmax(&step[step.size() - n_vocab], n_vocab);
        greedy.push_back(next);
        char piece[256];
        const int len = llama_token_to_piece(vocab, next, piece, sizeof piece, 0, true);
        if (len > 0)
            gtext.append(piece, len);
        if (llama_vocab_is_eog(vocab, next) || (int)greedy.size() >= n_gen)
            break;
        fed.push_back(next);
    }
    llama_memory_clear(llama_get_memory(ctx), true);
    if (!decode(ctx, b, fed, 0, (int)fed.size(), n_vocab, batch))
        return 1;

    bool ok = write_floats(outdir + "/logits_step.f32", step);
    ok = write_floats(outdir + "/logits_batch.f32", batch) && ok;
    ok = write_ids(outdir + "/prompt.ids", prompt) && ok;
    ok = write_ids(outdir + "/greedy.ids", greedy) && ok;
    FILE *f = fopen((outdir + "/greedy.txt").c_str(), "w");
    ok = f && fputs(gtext.c_str(), f) >= 0 && fclose(f) == 0 && ok;
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return ok ? 0 : 1;
}
