/* gguf.h - GGUF v2/v3 reader: mmap, metadata, tensor table, full validation.
 *
 * The format, step by step (all numbers little-endian):
 *
 *   magic      u32   "GGUF" (0x46554747)
 *   version    u32   2 or 3 (v1 used 32-bit counts and is refused)
 *   n_tensors  u64
 *   n_kv       u64
 *   n_kv times:
 *     key      string          (u64 length, then that many bytes, no NUL)
 *     type     u32             (pd_gguf_vtype)
 *     value    by type: u8 i8 u16 i16 u32 i32 f32 bool(u8) string u64 i64 f64,
 *              or ARRAY = u32 element type, u64 count, then count values
 *              (arrays may nest)
 *   n_tensors times:
 *     name     string
 *     n_dims   u32             (1..4)
 *     ne       u64 x n_dims    (ne[0] is the row length, fastest varying)
 *     type     u32             (ggml type, see quant.h)
 *     offset   u64             (from the start of the data section;
 *                               a multiple of the alignment)
 *   padding to `general.alignment` (u32, default 32)
 *   data section: the tensors, each at data_offset + offset
 *
 * The reader trusts nothing: every count, length, offset, type and product
 * is checked against the file size (with overflow checks) before use, and
 * tensor data ranges must lie inside the file and may not overlap.
 * Lookups return an index or -1; typed getters convert between integer
 * widths when the value fits.
 */
#ifndef PD_GGUF_H
#define PD_GGUF_H

#include "ponder.h"

typedef enum {
    PD_GGUF_U8 = 0, PD_GGUF_I8 = 1, PD_GGUF_U16 = 2, PD_GGUF_I16 = 3,
    PD_GGUF_U32 = 4, PD_GGUF_I32 = 5, PD_GGUF_F32 = 6, PD_GGUF_BOOL = 7,
    PD_GGUF_STRING = 8, PD_GGUF_ARRAY = 9, PD_GGUF_U64 = 10, PD_GGUF_I64 = 11,
    PD_GGUF_F64 = 12,
    PD_GGUF_VTYPE_COUNT
} pd_gguf_vtype;

/* A string inside the mapped file: not NUL-terminated. */
typedef struct pd_gguf_str {
    const char *ptr;
    uint64_t len;
} pd_gguf_str;

typedef struct pd_gguf_kv {
    char *key;                 /* NUL-terminated copy */
    pd_gguf_vtype type;
    /* scalars */
    union {
        uint64_t u;            /* U8..U64, BOOL */
        int64_t i;             /* I8..I64 */
        double f;              /* F32, F64 */
        pd_gguf_str s;         /* STRING */
    } v;
    /* ARRAY: element type, count and where the elements start. For arrays of
     * fixed-size elements `data` points at count packed values; for arrays of
     * strings, `strs` holds count entries (built at open time). Nested arrays
     * are validated but exposed only as raw bytes. */
    pd_gguf_vtype arr_type;
    uint64_t arr_count;
    const void *arr_data;
    pd_gguf_str *strs;
} pd_gguf_kv;

#define PD_GGUF_MAX_DIMS 4

typedef struct pd_gguf_tensor {
    char *name;                /* NUL-terminated copy */
    uint32_t type;             /* ggml type id */
    int n_dims;
    int64_t ne[PD_GGUF_MAX_DIMS]; /* unused dims are 1 */
    uint64_t offset;           /* from data_offset */
    uint64_t nbytes;
    const void *data;          /* inside the mapping */
} pd_gguf_tensor;

typedef struct pd_gguf {
    char *path;                /* as given (for messages) */
    const uint8_t *base;       /* the whole file */
    uint64_t size;
    bool mapped;               /* base came from mmap (else: caller's memory) */
    uint32_t version;
    uint64_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    pd_gguf_kv *kv;
    int64_t n_tensors;
    pd_gguf_tensor *tensors;
} pd_gguf;

/* Open and validate a file (mmap, read-only, no copy of tensor data). On
 * failure the message is "PATH: what is wrong". */
pd_status pd_gguf_open(const char *path, pd_gguf **out);
/* The same over caller-owned memory that must outlive the result (fuzzing,
 * tests). `name` is used in messages. */
pd_status pd_gguf_open_mem(const void *data, size_t size, const char *name,
                           pd_gguf **out);
void pd_gguf_close(pd_gguf *g);

int64_t pd_gguf_find_key(const pd_gguf *g, const char *key);
int64_t pd_gguf_find_tensor(const pd_gguf *g, const char *name);
const pd_gguf_tensor *pd_gguf_tensor_by_name(const pd_gguf *g, const char *name);

/* Typed getters: true when the key exists and converts exactly. */
bool pd_gguf_get_u64(const pd_gguf *g, const char *key, uint64_t *out);
bool pd_gguf_get_u32(const pd_gguf *g, const char *key, uint32_t *out);
bool pd_gguf_get_i32(const pd_gguf *g, const char *key, int32_t *out);
bool pd_gguf_get_f32(const pd_gguf *g, const char *key, float *out);
bool pd_gguf_get_bool(const pd_gguf *g, const char *key, bool *out);
bool pd_gguf_get_str(const pd_gguf *g, const char *key, pd_gguf_str *out);
/* Array by key; NULL when absent or not an array. */
const pd_gguf_kv *pd_gguf_get_arr(const pd_gguf *g, const char *key);
/* Any entry by key; NULL when absent. */
const pd_gguf_kv *pd_gguf_get_kv(const pd_gguf *g, const char *key);
/* Element i of an array of strings; false when out of range or not one. */
bool pd_gguf_arr_str(const pd_gguf_kv *kv, uint64_t i, pd_gguf_str *out);

/* Read element i of a fixed-size numeric array as the given C type, converting
 * integer widths; false when out of range or not representable. */
bool pd_gguf_arr_i64(const pd_gguf_kv *kv, uint64_t i, int64_t *out);
bool pd_gguf_arr_f64(const pd_gguf_kv *kv, uint64_t i, double *out);

/* `<arch>.<suffix>` helpers: pd_gguf_get_arch_u32(g, "qwen3moe", "block_count", &v). */
bool pd_gguf_get_arch_u32(const pd_gguf *g, const char *arch, const char *suffix, uint32_t *out);
bool pd_gguf_get_arch_f32(const pd_gguf *g, const char *arch, const char *suffix, float *out);
bool pd_gguf_get_arch_bool(const pd_gguf *g, const char *arch, const char *suffix, bool *out);

const char *pd_gguf_vtype_name(pd_gguf_vtype t);
/* Bytes of one fixed-size value; 0 for STRING and ARRAY. */
unsigned pd_gguf_vtype_size(pd_gguf_vtype t);

#endif /* PD_GGUF_H */
