// lcpp_dump.cpp - a diagnostic built against a local llama.cpp checkout (not
// part of ponder's build): runs an oracle prompt like the oracle script did
// (one 32-token llama_decode, then 16 single-token decodes of the greedy ids)
// and writes the logits, plus every graph tensor whose name matches
// DUMP_RE (e.g. "-0$" for layer 0) as raw float32 files
// OUTDIR/<call>_<name>.f32 with a .txt line giving ne[] and type.
//   lcpp_dump MODEL.gguf TOKENS.txt GREEDY.txt OUTDIR
#include "llama.h"
#include "ggml.h"
#include "ggml-backend.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

static std::regex *dump_re;
static std::string outdir;
static int call_no;

static bool cb(struct ggml_tensor *t, bool ask, void *)
{
    if (!dump_re || !std::regex_search(ggml_get_name(t), *dump_re))
        return ask ? false : true;
    if (ask)
        return true;
    if (t->type != GGML_TYPE_F32 && t->type != GGML_TYPE_F16)
        return true;
    std::vector<uint8_t> raw(ggml_nbytes(t));
    ggml_backend_tensor_get(t, raw.data(), 0, raw.size());
    // rows of ne[0] values, walking ne[1..3] with the tensor's strides
    std::vector<float> out;
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < t->ne[1]; i1++)
                for (int64_t i0 = 0; i0 < t->ne[0]; i0++) {
                    size_t off = i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
                    if (off + ggml_type_size(t->type) > raw.size()) { out.push_back(NAN); continue; }
                    float v;
                    if (t->type == GGML_TYPE_F32) memcpy(&v, &raw[off], 4);
                    else { ggml_fp16_t h; memcpy(&h, &raw[off], 2); v = ggml_fp16_to_fp32(h); }
                    out.push_back(v);
                }
    char path[1024];
    std::string name = ggml_get_name(t);
    for (auto &ch : name) if (ch == '/' || ch == ' ') ch = '_';
    snprintf(path, sizeof path, "%s/%02d_%s.f32", outdir.c_str(), call_no, name.c_str());
    FILE *f = fopen(path, "wb");
    fwrite(out.data(), 4, out.size(), f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%02d_%s.txt", outdir.c_str(), call_no, name.c_str());
    f = fopen(path, "w");
    fprintf(f, "%lld %lld %lld %lld %s\n", (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
            (long long)t->ne[3], ggml_type_name(t->type));
    fclose(f);
    return true;
}

static std::vector<llama_token> read_ids(const char *p)
{
    std::vector<llama_token> v;
    FILE *f = fopen(p, "r");
    int x;
    while (f && fscanf(f, "%d", &x) == 1) v.push_back(x);
    if (f) fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "usage\n"); return 2; }
    outdir = argv[4];
    if (getenv("DUMP_RE")) dump_re = new std::regex(getenv("DUMP_RE"));
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) return 1;
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256; cp.n_batch = 256; cp.n_ubatch = 256;
    cp.n_threads = 2; cp.n_threads_batch = 2;
    if (dump_re) { cp.cb_eval = cb; cp.cb_eval_user_data = nullptr; }
    llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return 1;
    const int V = llama_vocab_n_tokens(llama_model_get_vocab(model));
    std::vector<llama_token> toks = read_ids(argv[2]), greedy = read_ids(argv[3]);
    std::vector<float> logits;
    llama_batch b = llama_batch_init(256, 0, 1);
    b.n_tokens = (int)toks.size();
    for (int i = 0; i < b.n_tokens; i++) {
        b.token[i] = toks[i]; b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = 1;
    }
    call_no = 0;
    if (llama_decode(ctx, b)) return 1;
    for (int i = 0; i < b.n_tokens; i++) {
        const float *l = llama_get_logits_ith(ctx, i);
        logits.insert(logits.end(), l, l + V);
    }
    for (size_t s = 0; s < greedy.size(); s++) {
        b.n_tokens = 1;
        b.token[0] = greedy[s]; b.pos[0] = (int)(toks.size() + s); b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1;
        call_no = (int)s + 1;
        if (llama_decode(ctx, b)) return 1;
        const float *l = llama_get_logits_ith(ctx, 0);
        logits.insert(logits.end(), l, l + V);
    }
    std::string lp = outdir + "/logits.f32";
    FILE *f = fopen(lp.c_str(), "wb");
    fwrite(logits.data(), 4, logits.size(), f);
    fclose(f);
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
