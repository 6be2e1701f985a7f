/* test_gguf.c - the GGUF reader: files built byte by byte in memory (every
 * value type, nested arrays, alignments, v2/v3), a corrupted-file suite that
 * must fail cleanly, and the real files of the oracle. */
#include "t.h"
#include "gguf.h"
#include "gguf_write.h"
#include "quant.h"
#include "synth.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * A GGUF builder: appends little-endian fields to a growing buffer
 * ------------------------------------------------------------------------ */
typedef struct buf { uint8_t *p; size_t n, cap; } buf;

static void b_bytes(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void b_le(buf *b, uint64_t v, int n)
{
    uint8_t x[8];
    for (int i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    b_bytes(b, x, (size_t)n);
}
static void b_u8(buf *b, uint64_t v) { b_le(b, v, 1); }
static void b_u16(buf *b, uint64_t v) { b_le(b, v, 2); }
static void b_u32(buf *b, uint64_t v) { b_le(b, v, 4); }
static void b_u64(buf *b, uint64_t v) { b_le(b, v, 8); }
static void b_f32(buf *b, float f) { uint32_t u; memcpy(&u, &f, 4); b_u32(b, u); }
static void b_f64(buf *b, double f) { uint64_t u; memcpy(&u, &f, 8); b_u64(b, u); }
static void b_strn(buf *b, const char *s, size_t n) { b_u64(b, n); b_bytes(b, s, n); }
static void b_str(buf *b, const char *s) { b_strn(b, s, strlen(s)); }

static void b_header(buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    b_bytes(b, "GGUF", 4);
    b_u32(b, version);
    b_u64(b, n_tensors);
    b_u64(b, n_kv);
}

static void b_key(buf *b, const char *key, pd_gguf_vtype t) { b_str(b, key); b_u32(b, t); }

static void b_tensor(buf *b, const char *name, int n_dims, const int64_t *ne,
                     uint32_t type, uint64_t offset)
{
    b_str(b, name);
    b_u32(b, (uint32_t)n_dims);
    for (int d = 0; d < n_dims; d++)
        b_u64(b, (uint64_t)ne[d]);
    b_u32(b, type);
    b_u64(b, offset);
}

static void b_pad(buf *b, size_t align)
{
    while (b->n % align)
        b_u8(b, 0);
}

static void b_free(buf *b) { free(b->p); b->p = NULL; b->n = b->cap = 0; }

/* Open the buffer's bytes; the buffer is trimmed to its exact size first so
 * that ASan sees any read past the end. */
static pd_status b_open(buf *b, pd_gguf **g)
{
    uint8_t *p = malloc(b->n ? b->n : 1);
    memcpy(p, b->p, b->n);
    free(b->p);
    b->p = p;
    b->cap = b->n;
    return pd_gguf_open_mem(b->p, b->n, "t.gguf", g);
}

/* Expect failure with PD_EFORMAT and a message containing `want`. */
#define T_BAD(b, want) do { \
        pd_gguf *g_ = NULL; \
        pd_status st_ = b_open((b), &g_); \
        T_CHECKF(st_ == PD_EFORMAT && g_ == NULL, "status %d (%s)", (int)st_, pd_errmsg()); \
        T_CHECKF(strncmp(pd_errmsg(), "t.gguf: ", 8) == 0 && strstr(pd_errmsg(), (want)), \
                 "message '%s' lacks '%s'", pd_errmsg(), (want)); \
    } while (0)

/* ------------------------------------------------------------------------
 * Valid files
 * ------------------------------------------------------------------------ */
static void build_scalars(buf *b, uint32_t version)
{
    b_header(b, version, 0, 13);
    b_key(b, "u8", PD_GGUF_U8); b_u8(b, 200);
    b_key(b, "i8", PD_GGUF_I8); b_u8(b, 0x80);               /* -128 */
    b_key(b, "u16", PD_GGUF_U16); b_u16(b, 65535);
    b_key(b, "i16", PD_GGUF_I16); b_u16(b, 0xFFFE);          /* -2 */
    b_key(b, "u32", PD_GGUF_U32); b_u32(b, 4000000000u);
    b_key(b, "i32", PD_GGUF_I32); b_u32(b, (uint32_t)-7);
    b_key(b, "f32", PD_GGUF_F32); b_f32(b, 0.25f);
    b_key(b, "bool", PD_GGUF_BOOL); b_u8(b, 1);
    b_key(b, "str", PD_GGUF_STRING); b_str(b, "héllo");
    b_key(b, "u64", PD_GGUF_U64); b_u64(b, 0xFFFFFFFFFFFFFFFFull);
    b_key(b, "i64", PD_GGUF_I64); b_u64(b, (uint64_t)INT64_MIN);
    b_key(b, "f64", PD_GGUF_F64); b_f64(b, -1.5e300);
    b_key(b, "arch.small", PD_GGUF_U64); b_u64(b, 42);
}

static void test_scalars(void)
{
    for (uint32_t version = 2; version <= 3; version++) {
        buf b = {0};
        pd_gguf *g;
        build_scalars(&b, version);
        T_CHECKF(b_open(&b, &g) == PD_OK, "%s", pd_errmsg());
        T_EQ_INT(g->version, version);
        T_EQ_INT(g->n_kv, 13);
        T_EQ_INT(g->n_tensors, 0);
        T_EQ_INT(g->alignment, 32);
        uint32_t u32; int32_t i32; uint64_t u64; float f; bool bo; pd_gguf_str s;
        T_CHECK(pd_gguf_get_u32(g, "u8", &u32) && u32 == 200);
        T_CHECK(pd_gguf_get_i32(g, "u8", &i32) && i32 == 200);
        T_CHECK(pd_gguf_get_i32(g, "i8", &i32) && i32 == -128);
        T_CHECK(!pd_gguf_get_u32(g, "i8", &u32));           /* negative */
        T_CHECK(!pd_gguf_get_u64(g, "i16", &u64));
        T_CHECK(pd_gguf_get_u32(g, "u16", &u32) && u32 == 65535);
        T_CHECK(pd_gguf_get_i32(g, "i16", &i32) && i32 == -2);
        T_CHECK(pd_gguf_get_u32(g, "u32", &u32) && u32 == 4000000000u);
        T_CHECK(!pd_gguf_get_i32(g, "u32", &i32));          /* too big */
        T_CHECK(pd_gguf_get_i32(g, "i32", &i32) && i32 == -7);
        T_CHECK(pd_gguf_get_f32(g, "f32", &f) && f == 0.25f);
        T_CHECK(!pd_gguf_get_f32(g, "u32", &f));
        T_CHECK(!pd_gguf_get_u32(g, "f32", &u32));
        T_CHECK(pd_gguf_get_bool(g, "bool", &bo) && bo);
        T_CHECK(!pd_gguf_get_u32(g, "bool", &u32));
        T_CHECK(pd_gguf_get_str(g, "str", &s) && s.len == 6 && memcmp(s.ptr, "héllo", 6) == 0);
        T_CHECK(!pd_gguf_get_str(g, "u8", &s));
        T_CHECK(pd_gguf_get_u64(g, "u64", &u64) && u64 == UINT64_MAX);
        T_CHECK(!pd_gguf_get_u32(g, "u64", &u32));
        T_CHECK(!pd_gguf_get_u64(g, "i64", &u64));
        T_CHECK(!pd_gguf_get_i32(g, "i64", &i32));
        int64_t k = pd_gguf_find_key(g, "i64");
        T_CHECK(k >= 0 && g->kv[k].type == PD_GGUF_I64 && g->kv[k].v.i == INT64_MIN);
        k = pd_gguf_find_key(g, "f64");
        T_CHECK(k >= 0 && g->kv[k].v.f == -1.5e300);
        T_CHECK(pd_gguf_get_f32(g, "f64", &f));
        T_CHECK(pd_gguf_get_arch_u32(g, "arch", "small", &u32) && u32 == 42);
        T_CHECK(!pd_gguf_get_arch_u32(g, "arch", "missing", &u32));
        T_CHECK(pd_gguf_find_key(g, "nope") == -1);
        T_CHECK(pd_gguf_find_tensor(g, "nope") == -1);
        T_CHECK(pd_gguf_get_arr(g, "u8") == NULL);
        T_EQ_STR(pd_gguf_vtype_name(PD_GGUF_F64), "f64");
        T_EQ_STR(pd_gguf_vtype_name((pd_gguf_vtype)99), "?");
        pd_gguf_close(g);
        b_free(&b);
    }
}

static void test_arrays(void)
{
    buf b = {0};
    pd_gguf *g;
    b_header(&b, 3, 0, 7);
    b_key(&b, "a.i16", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_I16); b_u64(&b, 3);
    b_u16(&b, 1); b_u16(&b, 0x8000); b_u16(&b, 0x7FFF);
    b_key(&b, "a.u64", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_U64); b_u64(&b, 2);
    b_u64(&b, 5); b_u64(&b, UINT64_MAX);
    b_key(&b, "a.f32", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_F32); b_u64(&b, 2);
    b_f32(&b, 1.5f); b_f32(&b, -2.0f);
    b_key(&b, "a.str", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_STRING); b_u64(&b, 3);
    b_str(&b, "a"); b_str(&b, ""); b_strn(&b, "\xff\x00z", 3); /* values are raw bytes */
    b_key(&b, "a.empty", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_STRING); b_u64(&b, 0);
    /* [[1,2],[3]] and [["x"],[]] */
    b_key(&b, "a.nest", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_ARRAY); b_u64(&b, 2);
    b_u32(&b, PD_GGUF_U32); b_u64(&b, 2); b_u32(&b, 1); b_u32(&b, 2);
    b_u32(&b, PD_GGUF_U32); b_u64(&b, 1); b_u32(&b, 3);
    b_key(&b, "a.nests", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_ARRAY); b_u64(&b, 2);
    b_u32(&b, PD_GGUF_STRING); b_u64(&b, 1); b_str(&b, "x");
    b_u32(&b, PD_GGUF_BOOL); b_u64(&b, 0);
    T_CHECKF(b_open(&b, &g) == PD_OK, "%s", pd_errmsg());
    const pd_gguf_kv *a = pd_gguf_get_arr(g, "a.i16");
    int64_t i; double f; pd_gguf_str s;
    T_CHECK(a && a->arr_type == PD_GGUF_I16 && a->arr_count == 3);
    T_CHECK(pd_gguf_arr_i64(a, 1, &i) && i == -32768);
    T_CHECK(pd_gguf_arr_i64(a, 2, &i) && i == 32767);
    T_CHECK(!pd_gguf_arr_i64(a, 3, &i));
    T_CHECK(pd_gguf_arr_f64(a, 0, &f) && f == 1.0);
    a = pd_gguf_get_arr(g, "a.u64");
    T_CHECK(pd_gguf_arr_i64(a, 0, &i) && i == 5);
    T_CHECK(!pd_gguf_arr_i64(a, 1, &i));      /* does not fit */
    a = pd_gguf_get_arr(g, "a.f32");
    T_CHECK(pd_gguf_arr_f64(a, 0, &f) && f == 1.5);
    T_CHECK(pd_gguf_arr_f64(a, 1, &f) && f == -2.0);
    T_CHECK(!pd_gguf_arr_i64(a, 0, &i));
    a = pd_gguf_get_arr(g, "a.str");
    T_CHECK(a && a->arr_type == PD_GGUF_STRING && a->arr_count == 3 && a->strs);
    T_CHECK(a->strs[0].len == 1 && a->strs[0].ptr[0] == 'a');
    T_CHECK(a->strs[1].len == 0);
    T_CHECK(pd_gguf_arr_str(a, 2, &s) && s.len == 3 && memcmp(s.ptr, "\xff\x00z", 3) == 0);
    T_CHECK(!pd_gguf_arr_str(a, 3, &s));
    T_CHECK(!pd_gguf_arr_i64(a, 0, &i));
    a = pd_gguf_get_arr(g, "a.empty");
    T_CHECK(a && a->arr_count == 0 && !pd_gguf_arr_str(a, 0, &s));
    a = pd_gguf_get_arr(g, "a.nest");
    T_CHECK(a && a->arr_type == PD_GGUF_ARRAY && a->arr_count == 2 && !a->strs);
    T_CHECK(!pd_gguf_arr_i64(a, 0, &i));
    a = pd_gguf_get_arr(g, "a.nests");
    T_CHECK(a && a->arr_type == PD_GGUF_ARRAY && a->arr_count == 2);
    pd_gguf_close(g);
    b_free(&b);
}

/* A file with an F32, a Q8_0 and a Q4_K tensor, laid out with `align`
 * (0 = no general.alignment key, i.e. 32). */
static void build_tensors(buf *b, uint32_t version, uint32_t align)
{
    size_t a = align ? align : 32;
    b_header(b, version, 3, align ? 2 : 1);
    b_key(b, "general.architecture", PD_GGUF_STRING); b_str(b, "test");
    if (align) { b_key(b, "general.alignment", PD_GGUF_U32); b_u32(b, align); }
    const int64_t ne0[] = {8}, ne1[] = {64, 2}, ne2[] = {256, 1, 2};
    size_t s0 = 8 * 4, s1 = 2 * 2 * 34, s2 = 2 * 144;
    size_t o1 = (s0 + a - 1) / a * a, o2 = o1 + (s1 + a - 1) / a * a;
    b_tensor(b, "norm", 1, ne0, PD_TYPE_F32, 0);
    b_tensor(b, "w8", 2, ne1, PD_TYPE_Q8_0, o1);
    b_tensor(b, "wk", 3, ne2, PD_TYPE_Q4_K, o2);
    b_pad(b, a);
    size_t base = b->n;
    for (int i = 0; i < 8; i++)
        b_f32(b, (float)i);
    while (b->n < base + o1) b_u8(b, 0);
    for (size_t i = 0; i < s1; i++) b_u8(b, (uint8_t)i);
    while (b->n < base + o2) b_u8(b, 0);
    for (size_t i = 0; i < s2; i++) b_u8(b, 0xA5);
}

static void test_tensors_alignment(void)
{
    const uint32_t aligns[] = {0, 1, 8, 32, 64, 4096};
    for (size_t k = 0; k < sizeof aligns / sizeof *aligns; k++) {
        for (uint32_t version = 2; version <= 3; version++) {
            buf b = {0};
            pd_gguf *g;
            build_tensors(&b, version, aligns[k]);
            T_CHECKF(b_open(&b, &g) == PD_OK, "align %u: %s", aligns[k], pd_errmsg());
            uint64_t a = aligns[k] ? aligns[k] : 32;
            T_EQ_INT(g->alignment, a);
            T_EQ_INT(g->data_offset % a, 0);
            T_EQ_INT(g->n_tensors, 3);
            const pd_gguf_tensor *t = pd_gguf_tensor_by_name(g, "norm");
            T_CHECK(t && t->type == PD_TYPE_F32 && t->n_dims == 1 && t->nbytes == 32);
            T_CHECK(t->ne[0] == 8 && t->ne[1] == 1 && t->ne[3] == 1);
            float x;
            memcpy(&x, (const uint8_t *)t->data + 7 * 4, 4);
            T_CHECK(x == 7.0f);
            T_CHECK((const uint8_t *)t->data == g->base + g->data_offset);
            t = pd_gguf_tensor_by_name(g, "w8");
            T_CHECK(t && t->nbytes == 136 && t->ne[1] == 2 && t->offset % a == 0);
            T_CHECK(((const uint8_t *)t->data)[5] == 5);
            t = pd_gguf_tensor_by_name(g, "wk");
            T_CHECK(t && t->nbytes == 288 && t->n_dims == 3 && t->ne[2] == 2);
            T_CHECK((const uint8_t *)t->data + t->nbytes == g->base + g->size);
            T_EQ_INT(pd_gguf_find_tensor(g, "wk"), 2);
            T_CHECK(pd_gguf_tensor_by_name(g, "w") == NULL);
            pd_gguf_close(g);
            b_free(&b);
        }
    }
}

static void test_open_file(void)
{
    char path[] = "/tmp/ponder-test-gguf.XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    buf b = {0};
    build_tensors(&b, 3, 64);
    T_CHECK(write(fd, b.p, b.n) == (ssize_t)b.n);
    close(fd);
    pd_gguf *g;
    T_CHECKF(pd_gguf_open(path, &g) == PD_OK, "%s", pd_errmsg());
    T_CHECK(g->mapped && g->size == b.n && g->n_tensors == 3);
    T_CHECK(memcmp(g->base, b.p, b.n) == 0);
    T_EQ_STR(g->path, path);
    pd_gguf_close(g);
    /* empty file, missing file, a directory */
    FILE *f = fopen(path, "w");
    fclose(f);
    T_CHECK(pd_gguf_open(path, &g) == PD_EFORMAT && g == NULL);
    T_CHECK(strstr(pd_errmsg(), path) && strstr(pd_errmsg(), "not a GGUF file"));
    unlink(path);
    T_CHECK(pd_gguf_open(path, &g) == PD_EIO && strstr(pd_errmsg(), path));
    T_CHECK(pd_gguf_open("/tmp", &g) == PD_EIO && strstr(pd_errmsg(), "not a regular file"));
    b_free(&b);
}

/* ------------------------------------------------------------------------
 * Corrupted files
 * ------------------------------------------------------------------------ */
static void test_truncation(void)
{
    buf full = {0};
    build_tensors(&full, 3, 64);
    /* Add arrays at the front of the metadata as well: rebuild by hand. */
    buf b = {0};
    b_header(&b, 3, 1, 4);
    b_key(&b, "general.alignment", PD_GGUF_U32); b_u32(&b, 32);
    b_key(&b, "s", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_STRING); b_u64(&b, 2);
    b_str(&b, "ab"); b_str(&b, "cde");
    b_key(&b, "n", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_ARRAY); b_u64(&b, 1);
    b_u32(&b, PD_GGUF_I16); b_u64(&b, 2); b_u16(&b, 1); b_u16(&b, 2);
    b_key(&b, "f", PD_GGUF_F64); b_f64(&b, 3.0);
    const int64_t ne[] = {4, 2};
    b_tensor(&b, "t", 2, ne, PD_TYPE_F16, 0);
    b_pad(&b, 32);
    for (int i = 0; i < 16; i++) b_u8(&b, (uint8_t)i);
    buf *files[] = {&full, &b};
    for (int fi = 0; fi < 2; fi++) {
        buf *src = files[fi];
        pd_gguf *g;
        T_CHECKF(b_open(src, &g) == PD_OK, "%s", pd_errmsg());
        pd_gguf_close(g);
        for (size_t n = 0; n < src->n; n++) {
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, src->p, n);
            pd_status st = pd_gguf_open_mem(p, n, "t.gguf", &g);
            T_CHECKF(st == PD_EFORMAT && !g, "prefix of %zu bytes: status %d", n, (int)st);
            T_CHECKF(strncmp(pd_errmsg(), "t.gguf: ", 8) == 0, "%s", pd_errmsg());
            free(p);
        }
    }
    b_free(&b);
    b_free(&full);
}

static void test_bad_header(void)
{
    buf b = {0};
    b_bytes(&b, "GGUX", 4); b_u32(&b, 3); b_u64(&b, 0); b_u64(&b, 0);
    T_BAD(&b, "not a GGUF file (bad magic)");
    b_free(&b);
    const uint32_t versions[] = {0, 1, 4, 0xFFFFFFFFu};
    for (int i = 0; i < 4; i++) {
        b_header(&b, versions[i], 0, 0);
        char want[64];
        snprintf(want, sizeof want, "GGUF version %u is not supported", versions[i]);
        T_BAD(&b, want);
        b_free(&b);
    }
    b_header(&b, 3, 0, (uint64_t)1 << 63);
    T_BAD(&b, "metadata entries");
    b_free(&b);
    b_header(&b, 3, UINT64_MAX, 0);
    T_BAD(&b, "tensors, more than the file can hold");
    b_free(&b);
    /* A plausible count with too little behind it. */
    b_header(&b, 3, 0, 3);
    b_key(&b, "a", PD_GGUF_U32); b_u32(&b, 1);
    b_pad(&b, 64);
    T_BAD(&b, "t.gguf: ");
    b_free(&b);
    /* Valid empty file. */
    b_header(&b, 2, 0, 0);
    pd_gguf *g;
    T_CHECK(b_open(&b, &g) == PD_OK && g->n_kv == 0 && g->data_offset == g->size);
    pd_gguf_close(g);
    b_free(&b);
}

static void test_bad_values(void)
{
    buf b = {0};
    b_header(&b, 3, 0, 1);
    b_key(&b, "s", PD_GGUF_STRING); b_u64(&b, UINT64_MAX); b_bytes(&b, "abcdefgh", 8);
    T_BAD(&b, "key 's': string of 18446744073709551615 bytes");
    b_free(&b);
    b_header(&b, 3, 0, 1);
    b_key(&b, "a", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_U32); b_u64(&b, (uint64_t)1 << 62);
    b_u32(&b, 1);
    T_BAD(&b, "array of 4611686018427387904 u32 values");
    b_free(&b);
    b_header(&b, 3, 0, 1);
    b_key(&b, "a", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_STRING); b_u64(&b, UINT64_MAX);
    b_str(&b, "x");
    T_BAD(&b, "array of 18446744073709551615 string values");
    b_free(&b);
    b_header(&b, 3, 0, 1);      /* a string inside an array runs off the end */
    b_key(&b, "a", PD_GGUF_ARRAY); b_u32(&b, PD_GGUF_STRING); b_u64(&b, 2);
    b_str(&b, "x"); b_u64(&b, 100); b_bytes(&b, "y", 1);
    T_BAD(&b, "key 'a': string of 100 bytes");
    b_free(&b);
    b_header(&b, 3, 0, 1);
    b_key(&b, "v", (pd_gguf_vtype)13); b_u32(&b, 0);
    T_BAD(&b, "key 'v' has unknown value type 13");
    b_free(&b);
    b_header(&b, 3, 0, 1);
    b_key(&b, "v", PD_GGUF_ARRAY); b_u32(&b, 77); b_u64(&b, 0);
    T_BAD(&b, "unknown array element type 77");
    b_free(&b);
    b_header(&b, 3, 0, 1);
    b_key(&b, "b", PD_GGUF_BOOL); b_u8(&b, 2);
    T_BAD(&b, "not a valid bool");
    b_free(&b);
    b_header(&b, 3, 0, 1);      /* nesting too deep: 100 levels of arrays */
    b_key(&b, "deep", PD_GGUF_ARRAY);
    for (int i = 0; i < 100; i++) { b_u32(&b, PD_GGUF_ARRAY); b_u64(&b, 1); }
    b_u32(&b, PD_GGUF_U8); b_u64(&b, 0);
    T_BAD(&b, "nested more than");
    b_free(&b);
    /* keys: non-UTF-8, overlong encoding, surrogate, NUL, empty, duplicate */
    const char *bad_keys[] = {"a\xff", "\xc0\xaf", "\xed\xa0\x80", "a\0b", ""};
    const size_t bad_len[] = {2, 2, 3, 3, 0};
    for (int i = 0; i < 5; i++) {
        b_header(&b, 3, 0, 1);
        b_strn(&b, bad_keys[i], bad_len[i]); b_u32(&b, PD_GGUF_U8); b_u8(&b, 0);
        b_u32(&b, 0);   /* slack, so that the entry count itself is plausible */
        T_BAD(&b, i < 4 ? "key of entry 0 is not valid UTF-8" : "key of entry 0 has length 0");
        b_free(&b);
    }
    b_header(&b, 3, 0, 3);
    b_key(&b, "général.ключ.键", PD_GGUF_U8); b_u8(&b, 1);   /* valid UTF-8 is fine */
    b_key(&b, "k", PD_GGUF_U8); b_u8(&b, 1);
    b_key(&b, "k", PD_GGUF_U32); b_u32(&b, 2);
    T_BAD(&b, "key 'k' appears twice (entries 1 and 2)");
    b_free(&b);
    /* alignment: 0, 3, wrong type */
    const uint32_t aligns[] = {0, 3, 96};
    for (int i = 0; i < 3; i++) {
        b_header(&b, 3, 0, 1);
        b_key(&b, "general.alignment", PD_GGUF_U32); b_u32(&b, aligns[i]);
        T_BAD(&b, "must be a nonzero power of two");
        b_free(&b);
    }
    b_header(&b, 3, 0, 1);
    b_key(&b, "general.alignment", PD_GGUF_U64); b_u64(&b, 32);
    T_BAD(&b, "general.alignment has type u64");
    b_free(&b);
}

/* One tensor `t` described by the arguments, data area of `data` bytes. */
static void build_one_tensor(buf *b, int n_dims, const int64_t *ne, uint32_t type,
                             uint64_t offset, size_t data)
{
    b_header(b, 3, 1, 0);
    b_tensor(b, "blk.0.attn_q.weight", n_dims, ne, type, offset);
    b_pad(b, 32);
    for (size_t i = 0; i < data; i++)
        b_u8(b, 0);
}

static void test_bad_tensors(void)
{
    buf b = {0};
    const int64_t ne1[] = {64, 2, 1, 1, 1};
    build_one_tensor(&b, 0, ne1, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "tensor 'blk.0.attn_q.weight' has 0 dimensions (must be 1..4)");
    b_free(&b);
    build_one_tensor(&b, 5, ne1, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "has 5 dimensions");
    b_free(&b);
    build_one_tensor(&b, 2, ne1, 99, 0, 1024);
    T_BAD(&b, "tensor 'blk.0.attn_q.weight' has unknown type 99");
    b_free(&b);
    build_one_tensor(&b, 2, ne1, 4, 0, 1024);              /* removed ggml id */
    T_BAD(&b, "unknown type 4");
    b_free(&b);
    const int64_t neg[] = {-1, 2};
    build_one_tensor(&b, 2, neg, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "absurd shape");
    b_free(&b);
    const int64_t huge[] = {(int64_t)1 << 40, (int64_t)1 << 40};
    build_one_tensor(&b, 2, huge, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "absurd shape");
    b_free(&b);
    const int64_t zhuge[] = {0, (int64_t)1 << 40, (int64_t)1 << 40}; /* 0 elements, rows overflow */
    build_one_tensor(&b, 3, zhuge, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "absurd shape");
    b_free(&b);
    const int64_t big[] = {(int64_t)1 << 60, 4};             /* fits int64, bytes do not */
    build_one_tensor(&b, 2, big, PD_TYPE_F32, 0, 64);
    T_BAD(&b, "too large");
    b_free(&b);
    const int64_t row100[] = {100, 2};
    build_one_tensor(&b, 2, row100, PD_TYPE_Q4_K, 0, 4096);
    T_BAD(&b, "(Q4_K, 100x2): row length 100 is not a multiple of the block size 256");
    b_free(&b);
    build_one_tensor(&b, 2, ne1, PD_TYPE_F32, 16, 1024);
    T_BAD(&b, "offset 16 is not a multiple of the alignment 32");
    b_free(&b);
    build_one_tensor(&b, 2, ne1, PD_TYPE_F32, 0, 511);
    T_BAD(&b, "tensor 'blk.0.attn_q.weight' (F32, 64x2) data ends at byte");
    T_CHECK(strstr(pd_errmsg(), "beyond the end of the file"));
    b_free(&b);
    build_one_tensor(&b, 2, ne1, PD_TYPE_F32, (uint64_t)INT64_MAX + 1, 512);
    T_BAD(&b, "beyond the end of the file");
    b_free(&b);
    build_one_tensor(&b, 2, ne1, PD_TYPE_F32, UINT64_MAX - 31, 512);
    T_BAD(&b, "beyond the end of the file");
    b_free(&b);
    /* overlap, duplicates, bad names */
    b_header(&b, 3, 3, 0);
    b_tensor(&b, "a", 2, ne1, PD_TYPE_F32, 0);      /* 0..512 */
    b_tensor(&b, "b", 1, ne1, PD_TYPE_F32, 1024);   /* 1024..1280 */
    b_tensor(&b, "c", 1, ne1, PD_TYPE_F32, 480);    /* 480..736: hits a */
    b_pad(&b, 32);
    for (int i = 0; i < 2048; i++) b_u8(&b, 0);
    T_BAD(&b, "the data of tensors 'a' (bytes 0..512) and 'c' (bytes 480..736) overlap");
    b_free(&b);
    b_header(&b, 3, 2, 0);
    b_tensor(&b, "a", 1, ne1, PD_TYPE_F32, 0);
    b_tensor(&b, "a", 1, ne1, PD_TYPE_F32, 256);
    b_pad(&b, 32);
    for (int i = 0; i < 512; i++) b_u8(&b, 0);
    T_BAD(&b, "tensor 'a' appears twice");
    b_free(&b);
    b_header(&b, 3, 1, 0);
    b_strn(&b, "w\x80", 2); b_u32(&b, 1); b_u64(&b, 4); b_u32(&b, 0); b_u64(&b, 0);
    b_pad(&b, 32);
    for (int i = 0; i < 16; i++) b_u8(&b, 0);
    T_BAD(&b, "tensor name of entry 0 is not valid UTF-8");
    b_free(&b);
    /* Empty tensors (a zero dimension) take no room and may share offsets. */
    const int64_t z[] = {0, 3};
    b_header(&b, 3, 2, 0);
    b_tensor(&b, "e", 2, z, PD_TYPE_Q4_K, 0);
    b_tensor(&b, "f", 1, ne1, PD_TYPE_F32, 0);
    b_pad(&b, 32);
    for (int i = 0; i < 256; i++) b_u8(&b, 0);
    pd_gguf *g;
    T_CHECKF(b_open(&b, &g) == PD_OK, "%s", pd_errmsg());
    T_CHECK(g->tensors[0].nbytes == 0 && g->tensors[1].nbytes == 256);
    pd_gguf_close(g);
    b_free(&b);
}

/* ------------------------------------------------------------------------
 * Real files
 * ------------------------------------------------------------------------ */
static int64_t count_params(const pd_gguf *g)
{
    int64_t n = 0;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const pd_gguf_tensor *t = &g->tensors[i];
        n += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    }
    return n;
}

static pd_gguf *open_oracle(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", t_oracle(), rel);
    pd_gguf *g = NULL;
    if (pd_gguf_open(path, &g) != PD_OK)
        T_FAIL_("%s", pd_errmsg());
    return g;
}

static void test_oracle_models(void)
{
    if (!t_oracle() || access(t_oracle(), R_OK) != 0)
        T_SKIP("PONDER_ORACLE not set");
    uint32_t u; float f; bool bo; pd_gguf_str s;
    pd_gguf *g = open_oracle("models/ds3-F16.gguf");
    T_EQ_INT(g->size, 23954944);
    T_CHECK(pd_gguf_get_str(g, "general.architecture", &s) && s.len == 9 &&
            memcmp(s.ptr, "deepseek2", 9) == 0);
    T_CHECK(pd_gguf_get_arch_u32(g, "deepseek2", "block_count", &u) && u == 3);
    T_CHECK(pd_gguf_get_arch_u32(g, "deepseek2", "attention.kv_lora_rank", &u) && u == 512);
    T_CHECK(pd_gguf_get_arch_u32(g, "deepseek2", "expert_gating_func", &u) && u == 2);
    T_CHECK(pd_gguf_get_arch_f32(g, "deepseek2", "expert_weights_scale", &f) && f == 2.5f);
    T_CHECK(pd_gguf_get_arch_f32(g, "deepseek2", "rope.scaling.factor", &f) && f == 40.0f);
    T_CHECK(pd_gguf_get_arch_bool(g, "deepseek2", "expert_weights_norm", &bo) && bo);
    const pd_gguf_tensor *t = pd_gguf_tensor_by_name(g, "blk.0.attn_k_b.weight");
    T_CHECK(t && t->n_dims == 3 && t->ne[0] == 256 && t->ne[1] == 512 && t->ne[2] == 4);
    T_CHECK(t->type == PD_TYPE_F16);
    t = pd_gguf_tensor_by_name(g, "blk.1.ffn_gate_inp.weight");
    T_CHECK(t && t->type == PD_TYPE_F32 && t->ne[0] == 256 && t->ne[1] == 16);
    T_EQ_INT(count_params(g), 11931680);
    const pd_gguf_kv *a = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
    T_CHECK(a && a->arr_count == 2064 && pd_gguf_arr_str(a, 2050, &s));
    T_CHECK(s.len == 10 && memcmp(s.ptr, "<|im_end|>", 10) == 0);
    pd_gguf_close(g);

    g = open_oracle("models/ds3-Q4_K_M.gguf");
    T_EQ_INT(count_params(g), 11931680);
    t = pd_gguf_tensor_by_name(g, "blk.2.ffn_down_exps.weight");
    T_CHECK(t && t->type == PD_TYPE_Q6_K && t->ne[2] == 16);
    t = pd_gguf_tensor_by_name(g, "blk.1.ffn_down_exps.weight");
    T_CHECK(t && t->type == PD_TYPE_Q4_K && t->nbytes == 256 * 256 * 16 / 256 * 144);
    pd_gguf_close(g);

    g = open_oracle("models/q3moe-F16.gguf");
    T_CHECK(pd_gguf_get_arch_u32(g, "qwen3moe", "block_count", &u) && u == 2);
    T_CHECK(pd_gguf_get_arch_u32(g, "qwen3moe", "expert_count", &u) && u == 16);
    T_CHECK(pd_gguf_get_arch_u32(g, "qwen3moe", "attention.head_count_kv", &u) && u == 2);
    T_CHECK(pd_gguf_get_arch_f32(g, "qwen3moe", "rope.freq_base", &f) && f == 1e6f);
    t = pd_gguf_tensor_by_name(g, "blk.0.attn_q.weight");
    T_CHECK(t && t->ne[0] == 256 && t->ne[1] == 512);
    T_EQ_INT(count_params(g), 8144640);
    pd_gguf_close(g);

    g = open_oracle("models/q3moe-Q4_K_M.gguf");
    t = pd_gguf_tensor_by_name(g, "blk.1.attn_v.weight");
    T_CHECK(t && t->type == PD_TYPE_Q6_K);
    T_EQ_INT(count_params(g), 8144640);
    pd_gguf_close(g);
}

static void test_oracle_vocab(void)
{
    if (!t_oracle() || access(t_oracle(), R_OK) != 0)
        T_SKIP("PONDER_ORACLE not set");
    uint32_t u; bool bo; pd_gguf_str s;
    pd_gguf *g = open_oracle("vocab/qwen3-vocab.gguf");
    T_EQ_INT(g->n_tensors, 0);
    const pd_gguf_kv *a = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
    T_CHECK(a && a->arr_count == 151936);
    T_CHECK(pd_gguf_arr_str(a, 151667, &s) && s.len == 7 && memcmp(s.ptr, "<think>", 7) == 0);
    a = pd_gguf_get_arr(g, "tokenizer.ggml.merges");
    T_CHECK(a && a->arr_count == 151387);
    a = pd_gguf_get_arr(g, "tokenizer.ggml.token_type");
    T_CHECK(a && a->arr_count == 151936 && a->arr_type == PD_GGUF_I32);
    T_CHECK(pd_gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &u) && u == 151643);
    T_CHECK(pd_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u) && u == 151645);
    T_CHECK(pd_gguf_get_str(g, "tokenizer.ggml.pre", &s) && s.len == 5 && !memcmp(s.ptr, "qwen2", 5));
    pd_gguf_close(g);

    g = open_oracle("vocab/deepseek-v3-vocab.gguf");
    a = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
    T_CHECK(a && a->arr_count == 129280);
    a = pd_gguf_get_arr(g, "tokenizer.ggml.merges");
    T_CHECK(a && a->arr_count == 127741);
    T_CHECK(pd_gguf_get_arch_u32(g, "deepseek2", "block_count", &u) && u == 61);
    T_CHECK(pd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &bo) && bo);
    pd_gguf_close(g);

    /* Every .gguf in vocab/ and models/ opens. */
    const char *dirs[] = {"vocab", "models"};
    int n = 0;
    for (int d = 0; d < 2; d++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", t_oracle(), dirs[d]);
        DIR *dp = opendir(dir);
        T_CHECK(dp);
        struct dirent *e;
        while ((e = readdir(dp))) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 5, ".gguf") != 0)
                continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
            g = open_oracle(rel);
            T_CHECK(g->n_kv > 0);
            pd_gguf_close(g);
            n++;
        }
        closedir(dp);
    }
    T_CHECK(n >= 9);
}


/* ------------------------------------------------------------------------
 * Writer and synth
 * ------------------------------------------------------------------------ */
/* A fresh empty directory for files written by a test. */
static char *temp_dir(void)
{
    static char dir[64];
    strcpy(dir, "/tmp/ponder-gguf-w.XXXXXX");
    if (!mkdtemp(dir))
        T_FAIL_("mkdtemp failed");
    return dir;
}

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Byte j of row r of tensor i: a pattern the reader side can check. */
static uint8_t pattern(int64_t i, int64_t r, size_t j) { return (uint8_t)(i * 31 + r * 7 + (int64_t)j); }

typedef struct fill_test { int64_t fail_at_tensor; int calls; } fill_test;

static pd_status fill_pattern(void *user, int64_t index, const pd_gguf_tensor *t,
                              int64_t row0, int64_t n_rows, void *dst)
{
    fill_test *ft = user;
    ft->calls++;
    if (index == ft->fail_at_tensor)
        return pd_fail(PD_EIO, "fill failed on purpose");
    size_t row = (size_t)(t->nbytes / (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]));
    for (int64_t r = 0; r < n_rows; r++)
        for (size_t j = 0; j < row; j++)
            ((uint8_t *)dst)[(size_t)r * row + j] = pattern(index, row0 + r, j);
    return PD_OK;
}

static bool cancel_at_half(void *user, uint64_t done, uint64_t total)
{
    (void)user;
    return done < total / 2;
}

static pd_gguf_writer *make_writer(uint32_t align)
{
    pd_gguf_writer *w;
    T_CHECK(pd_gguf_writer_new(&w) == PD_OK);
    T_CHECK(pd_gguf_writer_set_alignment(w, align) == PD_OK);
    T_CHECK(pd_gguf_set_str(w, "general.architecture", "test") == PD_OK);
    T_CHECK(pd_gguf_set_u32(w, "u32", 4000000000u) == PD_OK);
    T_CHECK(pd_gguf_set_i32(w, "i32", -5) == PD_OK);
    T_CHECK(pd_gguf_set_u64(w, "u64", UINT64_MAX) == PD_OK);
    T_CHECK(pd_gguf_set_f32(w, "f32", 0.75f) == PD_OK);
    T_CHECK(pd_gguf_set_bool(w, "bool", true) == PD_OK);
    const int32_t ia[] = {1, -2, 3};
    const float fa[] = {0.5f, -1.5f};
    const char *sa[] = {"a", "", "\xc4\xa0the"};
    T_CHECK(pd_gguf_set_arr(w, "a.i32", PD_GGUF_I32, ia, 3) == PD_OK);
    T_CHECK(pd_gguf_set_arr(w, "a.f32", PD_GGUF_F32, fa, 2) == PD_OK);
    T_CHECK(pd_gguf_set_arr_str(w, "a.str", sa, 3) == PD_OK);
    const int64_t n1[] = {40}, n2[] = {64, 3}, n3[] = {256, 2, 2};
    int64_t idx;
    T_CHECK(pd_gguf_add_tensor(w, "norm", PD_TYPE_F32, 1, n1, &idx) == PD_OK && idx == 0);
    T_CHECK(pd_gguf_add_tensor(w, "w8", PD_TYPE_Q8_0, 2, n2, &idx) == PD_OK && idx == 1);
    T_CHECK(pd_gguf_add_tensor(w, "wk", PD_TYPE_Q4_K, 3, n3, &idx) == PD_OK && idx == 2);
    return w;
}

static void test_writer_roundtrip(void)
{
    const uint32_t aligns[] = {32, 64, 1};
    for (int k = 0; k < 3; k++) {
        char *dir = temp_dir(), path[128];
        snprintf(path, sizeof path, "%s/out.gguf", dir);
        pd_gguf_writer *w = make_writer(aligns[k]);
        fill_test ft = { -1, 0 };
        uint64_t size = pd_gguf_writer_file_size(w);
        T_CHECKF(pd_gguf_writer_write(w, path, fill_pattern, &ft, NULL, NULL) == PD_OK, "%s",
                 pd_errmsg());
        pd_gguf_writer_free(w);
        T_EQ_INT(dir_entries(dir), 1);
        struct stat sb;
        T_CHECK(stat(path, &sb) == 0 && (uint64_t)sb.st_size == size);
        T_CHECK((sb.st_mode & 0444) == 0444);    /* not mkstemp's 0600 */
        pd_gguf *g;
        T_CHECKF(pd_gguf_open(path, &g) == PD_OK, "%s", pd_errmsg());
        uint32_t u; int32_t i; uint64_t u64; float f; bool b; pd_gguf_str s; int64_t x; double d;
        T_EQ_INT(g->version, 3);
        T_EQ_INT(g->alignment, aligns[k]);
        T_CHECK(pd_gguf_find_key(g, "general.alignment") >= 0 || aligns[k] == 32);
        T_CHECK(pd_gguf_get_u32(g, "u32", &u) && u == 4000000000u);
        T_CHECK(pd_gguf_get_i32(g, "i32", &i) && i == -5);
        T_CHECK(pd_gguf_get_u64(g, "u64", &u64) && u64 == UINT64_MAX);
        T_CHECK(pd_gguf_get_f32(g, "f32", &f) && f == 0.75f);
        T_CHECK(pd_gguf_get_bool(g, "bool", &b) && b);
        T_CHECK(pd_gguf_get_str(g, "general.architecture", &s) && s.len == 4);
        const pd_gguf_kv *a = pd_gguf_get_arr(g, "a.i32");
        T_CHECK(a && a->arr_count == 3 && pd_gguf_arr_i64(a, 1, &x) && x == -2);
        a = pd_gguf_get_arr(g, "a.f32");
        T_CHECK(a && pd_gguf_arr_f64(a, 1, &d) && d == -1.5);
        a = pd_gguf_get_arr(g, "a.str");
        T_CHECK(a && a->arr_count == 3 && a->strs[1].len == 0 && a->strs[2].len == 5);
        T_EQ_INT(g->n_tensors, 3);
        for (int64_t t = 0; t < 3; t++) {
            const pd_gguf_tensor *tt = &g->tensors[t];
            int64_t rows = tt->ne[1] * tt->ne[2] * tt->ne[3];
            size_t row = (size_t)(tt->nbytes / (uint64_t)rows);
            for (int64_t r = 0; r < rows; r++)
                for (size_t j = 0; j < row; j++)
                    T_CHECK(((const uint8_t *)tt->data)[(size_t)r * row + j] == pattern(t, r, j));
        }
        T_CHECK(pd_gguf_tensor_by_name(g, "wk")->type == PD_TYPE_Q4_K);
        T_CHECK(pd_gguf_tensor_by_name(g, "wk")->nbytes == 4 * 144);
        pd_gguf_close(g);
        rm_dir(dir);
    }
}

static void test_writer_failures(void)
{
    char *dir = temp_dir(), path[128];
    snprintf(path, sizeof path, "%s/out.gguf", dir);
    /* a fill error leaves nothing behind */
    pd_gguf_writer *w = make_writer(32);
    fill_test ft = { 2, 0 };
    T_CHECK(pd_gguf_writer_write(w, path, fill_pattern, &ft, NULL, NULL) == PD_EIO);
    T_CHECK(strstr(pd_errmsg(), "on purpose"));
    T_EQ_INT(dir_entries(dir), 0);
    /* ... and does not touch an existing file of that name */
    FILE *f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    ft.fail_at_tensor = 1;
    T_CHECK(pd_gguf_writer_write(w, path, fill_pattern, &ft, NULL, NULL) == PD_EIO);
    T_EQ_INT(dir_entries(dir), 1);
    struct stat sb;
    T_CHECK(stat(path, &sb) == 0 && sb.st_size == 3);
    /* cancelled by the progress callback */
    unlink(path);
    ft.fail_at_tensor = -1;
    T_CHECK(pd_gguf_writer_write(w, path, fill_pattern, &ft, cancel_at_half, NULL) == PD_ECANCELLED);
    T_EQ_INT(dir_entries(dir), 0);
    /* a directory that does not exist */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/dir.gguf", dir);
    T_CHECK(pd_gguf_writer_write(w, bad, fill_pattern, &ft, NULL, NULL) == PD_EIO);
    T_CHECK(strstr(pd_errmsg(), bad));
    /* bad descriptions */
    const int64_t ne[] = {100, 2}, ne0[] = {0, 2};
    T_CHECK(pd_gguf_set_u32(w, "u32", 1) == PD_EARG && strstr(pd_errmsg(), "set twice"));
    T_CHECK(pd_gguf_add_tensor(w, "norm", PD_TYPE_F32, 1, ne, NULL) == PD_EARG);
    T_CHECK(pd_gguf_add_tensor(w, "q", PD_TYPE_Q4_K, 2, ne, NULL) == PD_EARG);
    T_CHECK(pd_gguf_add_tensor(w, "z", PD_TYPE_F32, 2, ne0, NULL) == PD_EARG);
    T_CHECK(pd_gguf_add_tensor(w, "d", PD_TYPE_F32, 5, ne, NULL) == PD_EARG);
    T_CHECK(pd_gguf_add_tensor(w, "u", (pd_type)99, 1, ne, NULL) == PD_EARG);
    T_CHECK(pd_gguf_set_arr(w, "s", PD_GGUF_STRING, NULL, 0) == PD_EARG);
    T_CHECK(pd_gguf_set_u32(w, "", 1) == PD_EARG);
    T_CHECK(pd_gguf_writer_set_alignment(w, 48) == PD_EARG);
    pd_gguf_writer_free(w);
    rm_dir(dir);
}

/* Mean and standard deviation of a dequantized tensor. */
static void tensor_stats(const pd_gguf_tensor *t, double *mean, double *std)
{
    int64_t n = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3];
    size_t row = (size_t)(t->nbytes / (uint64_t)rows);
    float *x = malloc((size_t)n * sizeof *x);
    double s = 0, s2 = 0;
    for (int64_t r = 0; r < rows; r++) {
        pd_dequantize_row_ref((pd_type)t->type, (const uint8_t *)t->data + (size_t)r * row, x, n);
        for (int64_t i = 0; i < n; i++) {
            s += x[i];
            s2 += (double)x[i] * x[i];
        }
    }
    free(x);
    double cnt = (double)(n * rows);
    *mean = s / cnt;
    *std = sqrt(s2 / cnt - *mean * *mean);
}

static bool file_same(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    int ca, cb;
    while (same && ((ca = getc(fa)) != EOF) | ((cb = getc(fb)) != EOF))
        same = ca == cb;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_synth(void)
{
    char *dir = temp_dir(), p1[128], p2[128], p3[128];
    snprintf(p1, sizeof p1, "%s/a.gguf", dir);
    snprintf(p2, sizeof p2, "%s/b.gguf", dir);
    snprintf(p3, sizeof p3, "%s/c.gguf", dir);
    pd_synth_opts o = { .preset = "test-moe", .type = PD_TYPE_Q4_K, .seed = 7, .n_threads = 1 };
    pd_synth_result res;
    T_CHECKF(pd_synth_write(&o, p1, &res) == PD_OK, "%s", pd_errmsg());
    o.n_threads = 3;
    T_CHECKF(pd_synth_write(&o, p2, NULL) == PD_OK, "%s", pd_errmsg());
    T_CHECK(file_same(p1, p2));               /* threads do not change the bytes */
    o.seed = 8;
    T_CHECK(pd_synth_write(&o, p3, NULL) == PD_OK);
    T_CHECK(!file_same(p1, p3));
    pd_gguf *g;
    T_CHECKF(pd_gguf_open(p1, &g) == PD_OK, "%s", pd_errmsg());
    T_EQ_INT(g->size, res.file_bytes);
    T_EQ_INT(g->n_tensors, res.n_tensors);
    uint32_t u; pd_gguf_str s;
    T_CHECK(pd_gguf_get_str(g, "general.architecture", &s) && s.len == 8 && !memcmp(s.ptr, "qwen3moe", 8));
    T_CHECK(pd_gguf_get_arch_u32(g, "qwen3moe", "block_count", &u) && u == 2);
    T_CHECK(pd_gguf_get_arch_u32(g, "qwen3moe", "expert_count", &u) && u == 8);
    T_CHECK(pd_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u) && u == 509);
    const pd_gguf_kv *a = pd_gguf_get_arr(g, "tokenizer.ggml.tokens");
    T_CHECK(a && a->arr_count == 512 && pd_gguf_arr_str(a, 509, &s) && s.len == 10);
    T_CHECK(pd_gguf_arr_str(a, 0, &s) && s.len == 1 && s.ptr[0] == '!');
    int64_t params = 0;
    for (int64_t i = 0; i < g->n_tensors; i++)
        params += g->tensors[i].ne[0] * g->tensors[i].ne[1] * g->tensors[i].ne[2] * g->tensors[i].ne[3];
    T_EQ_INT(params, res.params);
    const pd_gguf_tensor *t = pd_gguf_tensor_by_name(g, "blk.1.ffn_down_exps.weight");
    T_CHECK(t && t->type == PD_TYPE_Q4_K && t->ne[0] == 256 && t->ne[1] == 256 && t->ne[2] == 8);
    double mean, std;
    tensor_stats(t, &mean, &std);
    T_NEAR(mean, 0, 0.003);
    T_NEAR(std, 1 / 16.0, 0.006);            /* 1/sqrt(row length), plus Q4_K noise */
    t = pd_gguf_tensor_by_name(g, "blk.0.attn_norm.weight");
    T_CHECK(t && t->type == PD_TYPE_F32);
    tensor_stats(t, &mean, &std);
    T_NEAR(mean, 1, 0.02);
    t = pd_gguf_tensor_by_name(g, "blk.0.ffn_gate_inp.weight");
    T_CHECK(t && t->type == PD_TYPE_F32 && t->ne[1] == 8);
    pd_gguf_close(g);

    /* MLA preset: k_b rows (64) are not whole Q4_K blocks: Q5_0 fallback,
     * as llama-quantize's tensor_type_fallback (Q4_K -> Q5_0) */
    o = (pd_synth_opts){ .preset = "test-mla", .type = PD_TYPE_Q4_K, .seed = 1 };
    T_CHECKF(pd_synth_write(&o, p1, &res) == PD_OK, "%s", pd_errmsg());
    T_EQ_INT(res.n_fallback, 2);
    T_CHECK(pd_gguf_open(p1, &g) == PD_OK);
    t = pd_gguf_tensor_by_name(g, "blk.1.attn_k_b.weight");
    T_CHECK(t && t->type == PD_TYPE_Q5_0 && t->ne[0] == 64 && t->ne[1] == 256 && t->ne[2] == 4);
    T_CHECK(pd_gguf_tensor_by_name(g, "blk.1.exp_probs_b.bias"));
    T_CHECK(pd_gguf_tensor_by_name(g, "blk.0.ffn_gate.weight"));
    T_CHECK(!pd_gguf_tensor_by_name(g, "blk.0.ffn_gate_exps.weight"));
    T_CHECK(pd_gguf_get_arch_u32(g, "deepseek2", "attention.key_length_mla", &u) && u == 128);
    pd_gguf_close(g);

    /* every preset plans, with the parameter counts of the real models */
    const struct { const char *name; uint64_t params; } want[] = {
        {"qwen3-30b-a3b", 30532122624ull}, {"deepseek-v2-lite", 15706484224ull},
        {"moonlight-16b-a3b", 15960110208ull}, {"deepseek-r1-distill-qwen-1.5b", 1777088000ull},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        o = (pd_synth_opts){ .preset = want[i].name, .type = PD_TYPE_Q8_0, .dry_run = true };
        T_CHECKF(pd_synth_write(&o, NULL, &res) == PD_OK, "%s", pd_errmsg());
        T_CHECKF(res.params == want[i].params, "%s: %llu", want[i].name, (unsigned long long)res.params);
    }
    o = (pd_synth_opts){ .preset = "nope", .type = PD_TYPE_Q8_0 };
    T_CHECK(pd_synth_write(&o, p1, NULL) == PD_EARG);
    o = (pd_synth_opts){ .preset = "test-moe", .type = PD_TYPE_Q2_K };
    T_CHECK(pd_synth_write(&o, p1, NULL) == PD_EARG);
    rm_dir(dir);
}

int main(void)
{
    T_RUN(test_scalars);
    T_RUN(test_arrays);
    T_RUN(test_tensors_alignment);
    T_RUN(test_open_file);
    T_RUN(test_truncation);
    T_RUN(test_bad_header);
    T_RUN(test_bad_values);
    T_RUN(test_bad_tensors);
    T_RUN(test_oracle_models);
    T_RUN(test_oracle_vocab);
    T_RUN(test_writer_roundtrip);
    T_RUN(test_writer_failures);
    T_RUN(test_synth);
    T_DONE();
}
