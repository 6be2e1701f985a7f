/* gguf.c - GGUF v2/v3 reader: maps the file, parses and validates every byte
 * of the header, metadata and tensor table before anything else may look at
 * them (see gguf.h for the format). Nothing read from the file is trusted. */
#include "gguf.h"
#include "quant.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAGIC 0x46554747u      /* "GGUF" read as a little-endian u32 */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NESTING 8          /* arrays inside arrays, deeper is refused */
#define GGUF_MAX_NAME 256           /* bytes of a key or tensor name */

/* The public struct plus the lookup indexes; pd_gguf is the first member so a
 * pd_gguf * can be turned back into the whole. */
typedef struct name_index {
    int64_t *slot;                  /* entry index or -1; capacity a power of 2 */
    uint64_t mask;
} name_index;

typedef struct gguf_impl {
    pd_gguf g;
    name_index keys, tensors;
} gguf_impl;

/* ------------------------------------------------------------------------
 * Reading: a cursor over the file with bounds checks
 * ------------------------------------------------------------------------ */
typedef struct rd {
    const uint8_t *base;
    uint64_t size, pos;
    const char *path;
} rd;

static uint64_t rd_left(const rd *r) { return r->size - r->pos; }

static uint64_t le_u64(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Little-endian unsigned of n bytes (1, 2, 4, 8); false at end of file. */
static bool rd_uint(rd *r, unsigned n, uint64_t *out)
{
    if (rd_left(r) < n)
        return false;
    *out = le_u64(r->base + r->pos, n);
    r->pos += n;
    return true;
}

static bool rd_u32(rd *r, uint32_t *out)
{
    uint64_t v;
    if (!rd_uint(r, 4, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool rd_u64(rd *r, uint64_t *out) { return rd_uint(r, 8, out); }

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */
static const char *const vtype_names[PD_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array",
    "u64", "i64", "f64",
};

const char *pd_gguf_vtype_name(pd_gguf_vtype t)
{
    return (unsigned)t < PD_GGUF_VTYPE_COUNT ? vtype_names[t] : "?";
}

unsigned pd_gguf_vtype_size(pd_gguf_vtype t)
{
    switch (t) {
    case PD_GGUF_U8: case PD_GGUF_I8: case PD_GGUF_BOOL: return 1;
    case PD_GGUF_U16: case PD_GGUF_I16: return 2;
    case PD_GGUF_U32: case PD_GGUF_I32: case PD_GGUF_F32: return 4;
    case PD_GGUF_U64: case PD_GGUF_I64: case PD_GGUF_F64: return 8;
    default: return 0;
    }
}

static bool vtype_signed(pd_gguf_vtype t)
{
    return t == PD_GGUF_I8 || t == PD_GGUF_I16 || t == PD_GGUF_I32 || t == PD_GGUF_I64;
}

static bool vtype_float(pd_gguf_vtype t)
{
    return t == PD_GGUF_F32 || t == PD_GGUF_F64;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, uint64_t n)
{
    uint64_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        unsigned len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len)
            return false;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* Decoded element of a fixed-size array / scalar: integers as sign + magnitude
 * split into u (unsigned types, bool) or i (signed), floats as f. */
static void decode_fixed(pd_gguf_vtype t, const uint8_t *p, uint64_t *u, int64_t *i, double *f)
{
    uint64_t raw = le_u64(p, pd_gguf_vtype_size(t));
    switch (t) {
    case PD_GGUF_I8: *i = (int8_t)raw; break;
    case PD_GGUF_I16: *i = (int16_t)raw; break;
    case PD_GGUF_I32: *i = (int32_t)raw; break;
    case PD_GGUF_I64: *i = (int64_t)raw; break;
    case PD_GGUF_F32: { uint32_t b = (uint32_t)raw; float x; memcpy(&x, &b, 4); *f = x; break; }
    case PD_GGUF_F64: { double x; memcpy(&x, &raw, 8); *f = x; break; }
    default: *u = raw; break;
    }
}

/* ------------------------------------------------------------------------
 * Name index: open addressing over FNV-1a hashes of NUL-terminated names
 * ------------------------------------------------------------------------ */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static bool index_init(name_index *ix, int64_t n)
{
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2)
        cap *= 2;
    ix->slot = malloc(cap * sizeof *ix->slot);
    if (!ix->slot)
        return false;
    memset(ix->slot, 0xff, cap * sizeof *ix->slot);  /* all -1 */
    ix->mask = cap - 1;
    return true;
}

/* Inserts entry idx named names[idx]; returns the index of an earlier entry
 * with the same name, or -1 when the name is new. */
static int64_t index_add(name_index *ix, char *const *names, size_t stride, int64_t idx)
{
#define NAME_AT(k) (*(char *const *)((const char *)names + (size_t)(k) * stride))
    const char *name = NAME_AT(idx);
    for (uint64_t h = name_hash(name) & ix->mask;; h = (h + 1) & ix->mask) {
        if (ix->slot[h] < 0) {
            ix->slot[h] = idx;
            return -1;
        }
        if (strcmp(NAME_AT(ix->slot[h]), name) == 0)
            return ix->slot[h];
    }
}

static int64_t index_find(const name_index *ix, char *const *names, size_t stride, const char *name)
{
    if (!ix->slot)
        return -1;
    for (uint64_t h = name_hash(name) & ix->mask;; h = (h + 1) & ix->mask) {
        if (ix->slot[h] < 0)
            return -1;
        if (strcmp(NAME_AT(ix->slot[h]), name) == 0)
            return ix->slot[h];
    }
#undef NAME_AT
}

/* ------------------------------------------------------------------------
 * Metadata
 * ------------------------------------------------------------------------ */
/* A key or tensor name: u64 length then bytes; non-empty, at most
 * GGUF_MAX_NAME bytes, valid UTF-8 without NUL. Returns a malloc'd copy via
 * *out. `what` is "key" or "tensor name"; `n` is the entry number. */
static pd_status read_name(rd *r, const char *what, int64_t n, char **out)
{
    uint64_t len;
    if (!rd_u64(r, &len))
        return pd_fail(PD_EFORMAT, "%s: file ends inside the %s of entry %" PRId64,
                       r->path, what, n);
    if (len > rd_left(r))
        return pd_fail(PD_EFORMAT, "%s: %s of entry %" PRId64 " is %" PRIu64
                       " bytes long, beyond the end of the file", r->path, what, n, len);
    if (len == 0 || len > GGUF_MAX_NAME)
        return pd_fail(PD_EFORMAT, "%s: %s of entry %" PRId64 " has length %" PRIu64
                       " (must be 1..%d)", r->path, what, n, len, GGUF_MAX_NAME);
    const uint8_t *p = r->base + r->pos;
    if (memchr(p, 0, len) || !utf8_valid(p, len))
        return pd_fail(PD_EFORMAT, "%s: %s of entry %" PRId64
                       " is not valid UTF-8 text", r->path, what, n);
    char *s = malloc(len + 1);
    if (!s)
        return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
    memcpy(s, p, len);
    s[len] = '\0';
    r->pos += len;
    *out = s;
    return PD_OK;
}

static pd_status value_truncated(const rd *r, const char *key)
{
    return pd_fail(PD_EFORMAT, "%s: value of key '%s' runs past the end of the file",
                   r->path, key);
}

static pd_status read_string(rd *r, const char *key, pd_gguf_str *s)
{
    uint64_t len;
    if (!rd_u64(r, &len))
        return value_truncated(r, key);
    if (len > rd_left(r))
        return pd_fail(PD_EFORMAT, "%s: key '%s': string of %" PRIu64
                       " bytes runs past the end of the file", r->path, key, len);
    s->ptr = (const char *)r->base + r->pos;
    s->len = len;
    r->pos += len;
    return PD_OK;
}

static pd_status parse_value(rd *r, pd_gguf_vtype type, const char *key, int depth,
                             pd_gguf_kv *kv);

/* An array's body (after its element type and count). When kv is given (a
 * top-level array) the element view is filled in. */
static pd_status parse_array(rd *r, const char *key, int depth, pd_gguf_kv *kv)
{
    uint32_t et;
    uint64_t count;
    if (!rd_u32(r, &et) || !rd_u64(r, &count))
        return value_truncated(r, key);
    if (et >= PD_GGUF_VTYPE_COUNT)
        return pd_fail(PD_EFORMAT, "%s: key '%s': unknown array element type %" PRIu32,
                       r->path, key, et);
    if (et == PD_GGUF_ARRAY && depth + 1 >= GGUF_MAX_NESTING)
        return pd_fail(PD_EFORMAT, "%s: key '%s': arrays nested more than %d deep",
                       r->path, key, GGUF_MAX_NESTING);
    /* Every element takes at least this many bytes: bounds the count. */
    unsigned min_elem = et == PD_GGUF_STRING ? 8 : et == PD_GGUF_ARRAY ? 12 : pd_gguf_vtype_size(et);
    if (count > rd_left(r) / min_elem)
        return pd_fail(PD_EFORMAT, "%s: key '%s': array of %" PRIu64 " %s values runs"
                       " past the end of the file", r->path, key, count,
                       pd_gguf_vtype_name(et));
    uint64_t start = r->pos;
    if (pd_gguf_vtype_size(et)) {
        if (et == PD_GGUF_BOOL)
            for (uint64_t i = 0; i < count; i++)
                if (r->base[start + i] > 1)
                    return pd_fail(PD_EFORMAT, "%s: key '%s': element %" PRIu64
                                   " is not a valid bool (%u)", r->path, key, i,
                                   r->base[start + i]);
        r->pos += count * pd_gguf_vtype_size(et);
    } else {
        for (uint64_t i = 0; i < count; i++) {
            pd_status st = parse_value(r, et, key, depth + 1, NULL);
            if (st)
                return st;
        }
    }
    if (kv) {
        kv->arr_type = et;
        kv->arr_count = count;
        kv->arr_data = r->base + start;
        if (et == PD_GGUF_STRING && count > 0) {
            /* Second pass over already validated strings. */
            kv->strs = malloc(count * sizeof *kv->strs);
            if (!kv->strs)
                return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
            rd again = *r;
            again.pos = start;
            for (uint64_t i = 0; i < count; i++)
                (void)read_string(&again, key, &kv->strs[i]);
        }
    }
    return PD_OK;
}

static pd_status parse_value(rd *r, pd_gguf_vtype type, const char *key, int depth,
                             pd_gguf_kv *kv)
{
    if (type == PD_GGUF_ARRAY)
        return parse_array(r, key, depth, kv);
    if (type == PD_GGUF_STRING) {
        pd_gguf_str s;
        pd_status st = read_string(r, key, &s);
        if (st == PD_OK && kv)
            kv->v.s = s;
        return st;
    }
    unsigned n = pd_gguf_vtype_size(type);
    if (rd_left(r) < n)
        return value_truncated(r, key);
    const uint8_t *p = r->base + r->pos;
    if (type == PD_GGUF_BOOL && *p > 1)
        return pd_fail(PD_EFORMAT, "%s: key '%s' is not a valid bool (%u)", r->path, key, *p);
    if (kv) {
        uint64_t u = 0;
        int64_t i = 0;
        double f = 0;
        decode_fixed(type, p, &u, &i, &f);
        if (vtype_float(type))
            kv->v.f = f;
        else if (vtype_signed(type))
            kv->v.i = i;
        else
            kv->v.u = u;
    }
    r->pos += n;
    return PD_OK;
}

/* Grow *arr (of elem bytes each) so that index n fits. */
static bool grow(void **arr, int64_t *cap, int64_t n, size_t elem)
{
    if (n < *cap)
        return true;
    int64_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return false;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *arr = p;
    *cap = nc;
    return true;
}

static pd_status parse_kvs(rd *r, gguf_impl *im, uint64_t n_kv)
{
    pd_gguf *g = &im->g;
    int64_t cap = 0;
    for (uint64_t k = 0; k < n_kv; k++) {
        if (!grow((void **)&g->kv, &cap, (int64_t)k, sizeof *g->kv))
            return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
        pd_gguf_kv *kv = &g->kv[k];
        pd_status st = read_name(r, "key", (int64_t)k, &kv->key);
        if (st)
            return st;
        g->n_kv = (int64_t)k + 1;   /* from here on close() frees the key */
        uint32_t type;
        if (!rd_u32(r, &type))
            return value_truncated(r, kv->key);
        if (type >= PD_GGUF_VTYPE_COUNT)
            return pd_fail(PD_EFORMAT, "%s: key '%s' has unknown value type %" PRIu32,
                           r->path, kv->key, type);
        kv->type = (pd_gguf_vtype)type;
        if ((st = parse_value(r, kv->type, kv->key, 0, kv)))
            return st;
    }
    /* Indexed only now: its size follows what was really parsed, not the
     * count the header claims. */
    if (!index_init(&im->keys, g->n_kv))
        return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
    for (int64_t k = 0; k < g->n_kv; k++) {
        int64_t dup = index_add(&im->keys, (char *const *)&g->kv[0].key, sizeof *g->kv, k);
        if (dup >= 0)
            return pd_fail(PD_EFORMAT, "%s: key '%s' appears twice (entries %" PRId64
                           " and %" PRId64 ")", r->path, g->kv[k].key, dup, k);
    }
    return PD_OK;
}

/* ------------------------------------------------------------------------
 * Tensor table
 * ------------------------------------------------------------------------ */
/* "Q4_K, 4096x4096" for messages. */
static const char *tensor_desc(const pd_gguf_tensor *t, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s, ", pd_type_name(t->type));
    for (int d = 0; d < t->n_dims && n > 0 && (size_t)n < size; d++)
        n += snprintf(buf + n, size - (size_t)n, d ? "x%" PRId64 : "%" PRId64, t->ne[d]);
    return buf;
}

static pd_status parse_tensor_info(rd *r, pd_gguf_tensor *t, int64_t k)
{
    uint32_t n_dims, type;
    if (!rd_u32(r, &n_dims))
        goto truncated;
    if (n_dims < 1 || n_dims > PD_GGUF_MAX_DIMS)
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' has %" PRIu32 " dimensions (must be 1..%d)",
                       r->path, t->name, n_dims, PD_GGUF_MAX_DIMS);
    t->n_dims = (int)n_dims;
    /* Every partial product must fit, also when some dimension is 0. */
    int64_t elems = 1, rows = 1;
    for (int d = 0; d < PD_GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        if (d < t->n_dims && !rd_u64(r, &ne))
            goto truncated;
        if (ne > (uint64_t)INT64_MAX || __builtin_mul_overflow(elems, (int64_t)ne, &elems) ||
            (d > 0 && __builtin_mul_overflow(rows, (int64_t)ne, &rows)))
            return pd_fail(PD_EFORMAT, "%s: tensor '%s' has an absurd shape (dimension %d is %"
                           PRIu64 ")", r->path, t->name, d, ne);
        t->ne[d] = (int64_t)ne;
    }
    if (!rd_u32(r, &type) || !rd_u64(r, &t->offset))
        goto truncated;
    t->type = type;
    if (!pd_type_known(type))
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' has unknown type %" PRIu32,
                       r->path, t->name, type);
    return PD_OK;
truncated:
    return pd_fail(PD_EFORMAT, "%s: file ends inside the tensor table (tensor %" PRId64
                   ", '%s')", r->path, k, t->name);
}

/* Size, alignment and range of one tensor's data, once data_offset is known. */
static pd_status check_tensor_data(const pd_gguf *g, pd_gguf_tensor *t)
{
    char desc[96];
    int64_t block = pd_type_block_elems(t->type);
    size_t row;
    if (block <= 0 || t->ne[0] % block != 0)
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' (%s): row length %" PRId64
                       " is not a multiple of the block size %" PRId64, g->path, t->name,
                       tensor_desc(t, desc, sizeof desc), t->ne[0], block);
    uint64_t rows = (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]); /* no overflow: checked */
    if (!pd_type_row_bytes(t->type, t->ne[0], &row) ||
        __builtin_mul_overflow((uint64_t)row, rows, &t->nbytes))
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' (%s) is too large", g->path, t->name,
                       tensor_desc(t, desc, sizeof desc));
    if (t->offset % g->alignment != 0)
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' (%s): offset %" PRIu64
                       " is not a multiple of the alignment %" PRIu64, g->path, t->name,
                       tensor_desc(t, desc, sizeof desc), t->offset, g->alignment);
    uint64_t start, end;
    if (__builtin_add_overflow(g->data_offset, t->offset, &start) || start > g->size)
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' (%s) data starts at offset %" PRIu64
                       ", beyond the end of the file (%" PRIu64 " bytes)", g->path, t->name,
                       tensor_desc(t, desc, sizeof desc), t->offset, g->size);
    if (__builtin_add_overflow(start, t->nbytes, &end) || end > g->size)
        return pd_fail(PD_EFORMAT, "%s: tensor '%s' (%s) data ends at byte %" PRIu64
                       ", beyond the end of the file (%" PRIu64 " bytes)", g->path, t->name,
                       tensor_desc(t, desc, sizeof desc), start + t->nbytes, g->size);
    t->data = g->base + start;
    return PD_OK;
}

typedef struct span { uint64_t start, end; int64_t idx; } span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static pd_status check_overlaps(const pd_gguf *g)
{
    if (g->n_tensors < 2)
        return PD_OK;
    span *s = malloc((size_t)g->n_tensors * sizeof *s);
    if (!s)
        return pd_fail(PD_ENOMEM, "%s: out of memory", g->path);
    int64_t n = 0;
    for (int64_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].nbytes > 0)   /* empty tensors occupy nothing */
            s[n++] = (span){ g->tensors[i].offset, g->tensors[i].offset + g->tensors[i].nbytes, i };
    qsort(s, (size_t)n, sizeof *s, span_cmp);
    for (int64_t i = 1; i < n; i++) {
        if (s[i].start < s[i - 1].end) {
            const pd_gguf_tensor *a = &g->tensors[s[i - 1].idx], *b = &g->tensors[s[i].idx];
            pd_status st = pd_fail(PD_EFORMAT, "%s: the data of tensors '%s' (bytes %" PRIu64
                                   "..%" PRIu64 ") and '%s' (bytes %" PRIu64 "..%" PRIu64
                                   ") overlap", g->path, a->name, s[i - 1].start, s[i - 1].end,
                                   b->name, s[i].start, s[i].end);
            free(s);
            return st;
        }
    }
    free(s);
    return PD_OK;
}

static pd_status parse_tensors(rd *r, gguf_impl *im, uint64_t n_tensors)
{
    pd_gguf *g = &im->g;
    int64_t cap = 0;
    for (uint64_t k = 0; k < n_tensors; k++) {
        if (!grow((void **)&g->tensors, &cap, (int64_t)k, sizeof *g->tensors))
            return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
        pd_gguf_tensor *t = &g->tensors[k];
        pd_status st = read_name(r, "tensor name", (int64_t)k, &t->name);
        if (st)
            return st;
        g->n_tensors = (int64_t)k + 1;
        if ((st = parse_tensor_info(r, t, (int64_t)k)))
            return st;
    }
    if (!index_init(&im->tensors, g->n_tensors))
        return pd_fail(PD_ENOMEM, "%s: out of memory", r->path);
    for (int64_t k = 0; k < g->n_tensors; k++) {
        int64_t dup = index_add(&im->tensors, (char *const *)&g->tensors[0].name,
                                sizeof *g->tensors, k);
        if (dup >= 0)
            return pd_fail(PD_EFORMAT, "%s: tensor '%s' appears twice (entries %" PRId64
                           " and %" PRId64 ")", r->path, g->tensors[k].name, dup, k);
    }
    return PD_OK;
}

/* ------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------ */
static pd_status read_alignment(pd_gguf *g)
{
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    int64_t k = pd_gguf_find_key(g, "general.alignment");
    if (k < 0)
        return PD_OK;
    const pd_gguf_kv *kv = &g->kv[k];
    if (kv->type != PD_GGUF_U32)
        return pd_fail(PD_EFORMAT, "%s: general.alignment has type %s (must be u32)",
                       g->path, pd_gguf_vtype_name(kv->type));
    if (kv->v.u == 0 || (kv->v.u & (kv->v.u - 1)) != 0)
        return pd_fail(PD_EFORMAT, "%s: general.alignment is %" PRIu64
                       " (must be a nonzero power of two)", g->path, kv->v.u);
    g->alignment = kv->v.u;
    return PD_OK;
}

static pd_status parse(gguf_impl *im)
{
    pd_gguf *g = &im->g;
    rd r = { g->base, g->size, 0, g->path };
    uint32_t magic, version;
    uint64_t n_tensors, n_kv;
    if (!rd_u32(&r, &magic) || magic != GGUF_MAGIC)
        return pd_fail(PD_EFORMAT, "%s: not a GGUF file (bad magic)", g->path);
    if (!rd_u32(&r, &version))
        return pd_fail(PD_EFORMAT, "%s: file ends inside the GGUF header", g->path);
    if (version != 2 && version != 3)
        return pd_fail(PD_EFORMAT, "%s: GGUF version %" PRIu32 " is not supported"
                       " (only 2 and 3)", g->path, version);
    g->version = version;
    if (!rd_u64(&r, &n_tensors) || !rd_u64(&r, &n_kv))
        return pd_fail(PD_EFORMAT, "%s: file ends inside the GGUF header", g->path);
    /* Smallest entries: key (8+1) + type 4 + value 1; name (8+1) + n_dims 4 +
     * ne 8 + type 4 + offset 8. Larger counts cannot fit in the file. */
    if (n_kv > rd_left(&r) / 14)
        return pd_fail(PD_EFORMAT, "%s: header claims %" PRIu64 " metadata entries,"
                       " more than the file can hold", g->path, n_kv);
    if (n_tensors > rd_left(&r) / 33)
        return pd_fail(PD_EFORMAT, "%s: header claims %" PRIu64 " tensors,"
                       " more than the file can hold", g->path, n_tensors);
    pd_status st;
    if ((st = parse_kvs(&r, im, n_kv)) || (st = read_alignment(g)) ||
        (st = parse_tensors(&r, im, n_tensors)))
        return st;
    /* The data section starts at the next multiple of the alignment. A file
     * without tensors may end before that padding. */
    uint64_t pad = (g->alignment - r.pos % g->alignment) % g->alignment;
    if (pad > rd_left(&r) && g->n_tensors > 0)
        return pd_fail(PD_EFORMAT, "%s: file ends before the tensor data section", g->path);
    g->data_offset = pad > rd_left(&r) ? g->size : r.pos + pad;
    for (int64_t i = 0; i < g->n_tensors; i++)
        if ((st = check_tensor_data(g, &g->tensors[i])))
            return st;
    return check_overlaps(g);
}

static pd_status open_common(const void *data, uint64_t size, const char *name,
                             bool mapped, pd_gguf **out)
{
    gguf_impl *im = calloc(1, sizeof *im);
    char *path = strdup(name ? name : "(memory)");
    if (!im || !path) {
        free(im);
        free(path);
        if (mapped)
            munmap((void *)data, size);
        return pd_fail(PD_ENOMEM, "%s: out of memory", name ? name : "(memory)");
    }
    im->g.path = path;
    im->g.base = data;
    im->g.size = size;
    im->g.mapped = mapped;
    pd_status st = parse(im);
    if (st) {
        pd_gguf_close(&im->g);
        return st;
    }
    *out = &im->g;
    return PD_OK;
}

pd_status pd_gguf_open_mem(const void *data, size_t size, const char *name, pd_gguf **out)
{
    *out = NULL;
    if (!data && size)
        return pd_fail(PD_EARG, "%s: no data", name ? name : "(memory)");
    return open_common(data, size, name, false, out);
}

pd_status pd_gguf_open(const char *path, pd_gguf **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pd_fail(PD_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return pd_fail(PD_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return pd_fail(PD_EIO, "%s: not a regular file", path);
    }
    if (sb.st_size < 8) {
        close(fd);
        return pd_fail(PD_EFORMAT, "%s: not a GGUF file (%s)", path,
                       sb.st_size == 0 ? "empty" : "too short");
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return pd_fail(PD_EIO, "%s: cannot map the file: %s", path, strerror(e));
    return open_common(map, (uint64_t)sb.st_size, path, true, out);
}

void pd_gguf_close(pd_gguf *g)
{
    if (!g)
        return;
    gguf_impl *im = (gguf_impl *)g;
    for (int64_t i = 0; i < g->n_kv; i++) {
        free(g->kv[i].key);
        free(g->kv[i].strs);
    }
    free(g->kv);
    for (int64_t i = 0; i < g->n_tensors; i++)
        free(g->tensors[i].name);
    free(g->tensors);
    free(im->keys.slot);
    free(im->tensors.slot);
    if (g->mapped && g->base)
        munmap((void *)g->base, g->size);
    free(g->path);
    free(im);
}

/* ------------------------------------------------------------------------
 * Lookups and typed getters
 * ------------------------------------------------------------------------ */
int64_t pd_gguf_find_key(const pd_gguf *g, const char *key)
{
    const gguf_impl *im = (const gguf_impl *)g;
    if (!g || !key || !g->kv)
        return -1;
    return index_find(&im->keys, (char *const *)&g->kv[0].key, sizeof *g->kv, key);
}

int64_t pd_gguf_find_tensor(const pd_gguf *g, const char *name)
{
    const gguf_impl *im = (const gguf_impl *)g;
    if (!g || !name || !g->tensors)
        return -1;
    return index_find(&im->tensors, (char *const *)&g->tensors[0].name,
                      sizeof *g->tensors, name);
}

const pd_gguf_tensor *pd_gguf_tensor_by_name(const pd_gguf *g, const char *name)
{
    int64_t i = pd_gguf_find_tensor(g, name);
    return i < 0 ? NULL : &g->tensors[i];
}

const pd_gguf_kv *pd_gguf_get_kv(const pd_gguf *g, const char *key)
{
    int64_t i = pd_gguf_find_key(g, key);
    return i < 0 ? NULL : &g->kv[i];
}

/* An integer value as (negative?, magnitude); false for non-integers. */
static bool as_int(pd_gguf_vtype t, uint64_t u, int64_t i, bool *neg, uint64_t *mag)
{
    if (vtype_float(t) || t == PD_GGUF_BOOL || pd_gguf_vtype_size(t) == 0)
        return false;
    if (vtype_signed(t)) {
        *neg = i < 0;
        *mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    } else {
        *neg = false;
        *mag = u;
    }
    return true;
}

static bool int_in_range(bool neg, uint64_t mag, uint64_t max_pos, uint64_t max_neg)
{
    return neg ? mag <= max_neg : mag <= max_pos;
}

static bool kv_int(const pd_gguf *g, const char *key, bool *neg, uint64_t *mag)
{
    const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
    return kv && as_int(kv->type, kv->v.u, kv->v.i, neg, mag);
}

bool pd_gguf_get_u64(const pd_gguf *g, const char *key, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    if (!kv_int(g, key, &neg, &mag) || neg)
        return false;
    *out = mag;
    return true;
}

bool pd_gguf_get_u32(const pd_gguf *g, const char *key, uint32_t *out)
{
    bool neg;
    uint64_t mag;
    if (!kv_int(g, key, &neg, &mag) || !int_in_range(neg, mag, UINT32_MAX, 0))
        return false;
    *out = (uint32_t)mag;
    return true;
}

bool pd_gguf_get_i32(const pd_gguf *g, const char *key, int32_t *out)
{
    bool neg;
    uint64_t mag;
    if (!kv_int(g, key, &neg, &mag) || !int_in_range(neg, mag, INT32_MAX, (uint64_t)INT32_MAX + 1))
        return false;
    *out = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
    return true;
}

bool pd_gguf_get_f32(const pd_gguf *g, const char *key, float *out)
{
    const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
    if (!kv || !vtype_float(kv->type))
        return false;
    *out = (float)kv->v.f;
    return true;
}

bool pd_gguf_get_bool(const pd_gguf *g, const char *key, bool *out)
{
    const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
    if (!kv || kv->type != PD_GGUF_BOOL)
        return false;
    *out = kv->v.u != 0;
    return true;
}

bool pd_gguf_get_str(const pd_gguf *g, const char *key, pd_gguf_str *out)
{
    const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
    if (!kv || kv->type != PD_GGUF_STRING)
        return false;
    *out = kv->v.s;
    return true;
}

const pd_gguf_kv *pd_gguf_get_arr(const pd_gguf *g, const char *key)
{
    const pd_gguf_kv *kv = pd_gguf_get_kv(g, key);
    return kv && kv->type == PD_GGUF_ARRAY ? kv : NULL;
}

bool pd_gguf_arr_str(const pd_gguf_kv *kv, uint64_t i, pd_gguf_str *out)
{
    if (!kv || kv->type != PD_GGUF_ARRAY || kv->arr_type != PD_GGUF_STRING ||
        i >= kv->arr_count || !kv->strs)
        return false;
    *out = kv->strs[i];
    return true;
}

/* Element i of a fixed-size numeric array, decoded. */
static bool arr_elem(const pd_gguf_kv *kv, uint64_t i, uint64_t *u, int64_t *s, double *f)
{
    if (!kv || kv->type != PD_GGUF_ARRAY || i >= kv->arr_count)
        return false;
    unsigned n = pd_gguf_vtype_size(kv->arr_type);
    if (n == 0)
        return false;
    decode_fixed(kv->arr_type, (const uint8_t *)kv->arr_data + i * n, u, s, f);
    return true;
}

bool pd_gguf_arr_i64(const pd_gguf_kv *kv, uint64_t i, int64_t *out)
{
    uint64_t u = 0;
    int64_t s = 0;
    double f = 0;
    if (!arr_elem(kv, i, &u, &s, &f) || vtype_float(kv->arr_type))
        return false;
    if (vtype_signed(kv->arr_type)) {
        *out = s;
        return true;
    }
    if (u > (uint64_t)INT64_MAX)
        return false;
    *out = (int64_t)u;
    return true;
}

bool pd_gguf_arr_f64(const pd_gguf_kv *kv, uint64_t i, double *out)
{
    uint64_t u = 0;
    int64_t s = 0;
    double f = 0;
    if (!arr_elem(kv, i, &u, &s, &f))
        return false;
    if (vtype_float(kv->arr_type))
        *out = f;
    else if (vtype_signed(kv->arr_type))
        *out = (double)s;
    else
        *out = (double)u;
    return true;
}

/* ------------------------------------------------------------------------
 * `<arch>.<suffix>` helpers
 * ------------------------------------------------------------------------ */
static bool arch_key(char *buf, size_t size, const char *arch, const char *suffix)
{
    int n = snprintf(buf, size, "%s.%s", arch ? arch : "", suffix ? suffix : "");
    return n > 0 && (size_t)n < size;
}

bool pd_gguf_get_arch_u32(const pd_gguf *g, const char *arch, const char *suffix, uint32_t *out)
{
    char key[GGUF_MAX_NAME + 1];
    return arch_key(key, sizeof key, arch, suffix) && pd_gguf_get_u32(g, key, out);
}

bool pd_gguf_get_arch_f32(const pd_gguf *g, const char *arch, const char *suffix, float *out)
{
    char key[GGUF_MAX_NAME + 1];
    return arch_key(key, sizeof key, arch, suffix) && pd_gguf_get_f32(g, key, out);
}

bool pd_gguf_get_arch_bool(const pd_gguf *g, const char *arch, const char *suffix, bool *out)
{
    char key[GGUF_MAX_NAME + 1];
    return arch_key(key, sizeof key, arch, suffix) && pd_gguf_get_bool(g, key, out);
}
