/* fuzz_gguf.c - libFuzzer target for the GGUF reader: parse any bytes, then
 * touch every value the reader hands out so that ASan/UBSan see each read.
 * Build and run with `make fuzz` (clang). */
#include "gguf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch(const void *p, uint64_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0;
    for (uint64_t i = 0; i < n; i++)
        h = h * 31 + b[i];
    sink += h;
}

static void touch_kv(const pd_gguf *g, const pd_gguf_kv *kv)
{
    touch(kv->key, strlen(kv->key));
    if (pd_gguf_find_key(g, kv->key) < 0 || pd_gguf_get_kv(g, kv->key) != kv)
        __builtin_trap();   /* every parsed key must be found again, and be unique */
    switch (kv->type) {
    case PD_GGUF_STRING:
        touch(kv->v.s.ptr, kv->v.s.len);
        break;
    case PD_GGUF_ARRAY:
        for (uint64_t i = 0; i < kv->arr_count; i++) {
            int64_t x;
            double f;
            pd_gguf_str s;
            if (pd_gguf_arr_i64(kv, i, &x))
                sink += (uint64_t)x;
            if (pd_gguf_arr_f64(kv, i, &f))
                sink += (uint64_t)(f == f);
            if (pd_gguf_arr_str(kv, i, &s))
                touch(s.ptr, s.len);
        }
        break;
    default: {
        uint64_t u; uint32_t u32; int32_t i32; float f; bool b;
        sink += pd_gguf_get_u64(g, kv->key, &u) + pd_gguf_get_u32(g, kv->key, &u32) +
                pd_gguf_get_i32(g, kv->key, &i32) + pd_gguf_get_f32(g, kv->key, &f) +
                pd_gguf_get_bool(g, kv->key, &b);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_gguf *g = NULL;
    if (pd_gguf_open_mem(data, size, "fuzz.gguf", &g) != PD_OK) {
        if (g || strncmp(pd_errmsg(), "fuzz.gguf: ", 11) != 0)
            __builtin_trap();
        return 0;
    }
    for (int64_t i = 0; i < g->n_kv; i++)
        touch_kv(g, &g->kv[i]);
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const pd_gguf_tensor *t = &g->tensors[i];
        if (pd_gguf_tensor_by_name(g, t->name) != t)
            __builtin_trap();
        if (t->nbytes) {   /* first and last byte of the data must be readable */
            sink += ((const uint8_t *)t->data)[0];
            sink += ((const uint8_t *)t->data)[t->nbytes - 1];
        }
    }
    pd_gguf_close(g);
    return 0;
}
