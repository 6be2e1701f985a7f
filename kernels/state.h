// state.h - the CUDA backend's per-model state (RunState in llama2.c's
// words): device copies of the weights, the KV cache, the activation
// buffers of one micro-batch, and the captured decode graph. Shared by
// backend_cuda.cu (lifecycle, upload) and forward.cu (the forward pass).
#pragma once

#include "cuda.h"

// Rows per prefill micro-batch, and the most rows a step runs through the
// mat-vec kernels (decode and tiny batches) instead of cuBLAS by default
// (PONDER_CUDA_MATVEC_ROWS=N changes it: N=256 runs prompts on the mat-vec
// path too, which tells a GEMM fault from a mat-vec one).
#define CU_UBATCH 256
#define CU_MATVEC_ROWS 4

struct cu_layer {
    const float *attn_norm, *ffn_norm, *bq, *bk, *bv, *q_norm, *k_norm;
    const float *q_a_norm, *kv_a_norm, *exp_probs_b;
    cu_w wq, wk, wv, wo, wq_a, wq_b, wkv_a, wk_b, wv_b;
    cu_w ffn_gate, ffn_up, ffn_down, gate_inp, gate_exps, up_exps, down_exps;
    cu_w gate_shexp, up_shexp, down_shexp;
    bool moe;
};

struct cu_state {
    pd_model *m;
    cudaStream_t st;
    cublasHandle_t blas;
    cu_gemm_ctx gemm;
    // weights
    uint8_t *arena;
    cu_layer *L;
    cu_w tok_embd, output;
    const float *output_norm;
    cu_rope rope;
    cu_route route;
    // cache: (n_layer, n_ctx, width) per K and V, F16 bits or F32
    void *kv_k, *kv_v;
    bool kv_f16;
    int kw, vw;
    size_t kv_es;
    // step inputs: tokens (CU_UBATCH) and the first position, device and pinned host
    int *d_tok, *d_pos;
    int *h_tok, *h_pos;
    // activations for CU_UBATCH rows
    float *x, *xn, *out, *q, *k, *v, *qa, *qlat, *qc, *olat, *att, *rope_cs;
    float *router, *selw, *ffa, *ffb, *eout, *logits;
    int *sel, *erows, *eslot;
    int wide_rows;           // rows of this step on the wide attention path
    int mv_rows;             // steps of at most this many rows use the mat-vecs
    cu_act act;              // converted activations for the mat-vec kernels
    float *h_logits;         // pinned copy of the last row's logits
    // host copies for prefill expert grouping
    int32_t *h_sel, *h_count, *h_start, *h_rows, *h_slot;
    float *h_selw;
    // decode graph
    cudaGraphExec_t graph;
    bool use_graph;
    size_t weight_bytes;
};

// forward.cu
pd_status cu_forward_rows(cu_state *c, int n, bool want_logits, bool all_logits, bool hook);
