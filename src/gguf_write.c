/* gguf_write.c - GGUF v3 writer: metadata is serialised as it is set, tensor
 * data streams from a callback in chunks, and the file appears at its path
 * only once complete (temporary file + rename). */
#include "gguf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define CHUNK_BYTES (8u << 20)   /* tensor data produced per fill call, at most */

typedef struct bytes { uint8_t *p; size_t n, cap; } bytes;

struct pd_gguf_writer {
    uint32_t alignment;
    bytes kv;                 /* serialised metadata entries */
    int64_t n_kv;
    char **keys;              /* for duplicate checks */
    pd_gguf_tensor *tensors;
    int64_t n_tensors, cap_tensors;
    uint64_t data_bytes;      /* tensor data including padding */
};

/* ------------------------------------------------------------------------
 * Serialisation
 * ------------------------------------------------------------------------ */
static bool put(bytes *b, const void *src, size_t n)
{
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return true;
}

static bool put_le(bytes *b, uint64_t v, unsigned n)
{
    uint8_t x[8];
    for (unsigned i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return put(b, x, n);
}

static bool put_str(bytes *b, const char *s, size_t len)
{
    return put_le(b, len, 8) && put(b, s, len);
}

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */
pd_status pd_gguf_writer_new(pd_gguf_writer **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    (*out)->alignment = 32;
    return PD_OK;
}

void pd_gguf_writer_free(pd_gguf_writer *w)
{
    if (!w)
        return;
    for (int64_t i = 0; i < w->n_kv; i++)
        free(w->keys[i]);
    free(w->keys);
    for (int64_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->tensors);
    free(w->kv.p);
    free(w);
}

pd_status pd_gguf_writer_set_alignment(pd_gguf_writer *w, uint32_t a)
{
    if (a == 0 || (a & (a - 1)) != 0)
        return pd_fail(PD_EARG, "gguf writer: alignment %" PRIu32 " is not a power of two", a);
    if (w->n_tensors)
        return pd_fail(PD_EARG, "gguf writer: set the alignment before adding tensors");
    w->alignment = a;
    return a == 32 ? PD_OK : pd_gguf_set_u32(w, "general.alignment", a);
}

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 256;
}

/* The key and type of a new entry; refuses repeated or unusable keys. */
static pd_status begin_kv(pd_gguf_writer *w, const char *key, pd_gguf_vtype type)
{
    if (!name_ok(key))
        return pd_fail(PD_EARG, "gguf writer: bad key '%s'", key ? key : "(null)");
    for (int64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return pd_fail(PD_EARG, "gguf writer: key '%s' set twice", key);
    char **keys = realloc(w->keys, (size_t)(w->n_kv + 1) * sizeof *keys);
    if (!keys)
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    w->keys = keys;
    if (!(keys[w->n_kv] = strdup(key)))
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    w->n_kv++;
    if (!put_str(&w->kv, key, strlen(key)) || !put_le(&w->kv, type, 4))
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    return PD_OK;
}

static pd_status scalar(pd_gguf_writer *w, const char *key, pd_gguf_vtype t, uint64_t raw)
{
    pd_status st = begin_kv(w, key, t);
    if (st == PD_OK && !put_le(&w->kv, raw, pd_gguf_vtype_size(t)))
        st = pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    return st;
}

pd_status pd_gguf_set_u32(pd_gguf_writer *w, const char *key, uint32_t v)
{
    return scalar(w, key, PD_GGUF_U32, v);
}

pd_status pd_gguf_set_i32(pd_gguf_writer *w, const char *key, int32_t v)
{
    return scalar(w, key, PD_GGUF_I32, (uint32_t)v);
}

pd_status pd_gguf_set_u64(pd_gguf_writer *w, const char *key, uint64_t v)
{
    return scalar(w, key, PD_GGUF_U64, v);
}

pd_status pd_gguf_set_f32(pd_gguf_writer *w, const char *key, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return scalar(w, key, PD_GGUF_F32, u);
}

pd_status pd_gguf_set_bool(pd_gguf_writer *w, const char *key, bool v)
{
    return scalar(w, key, PD_GGUF_BOOL, v ? 1 : 0);
}

pd_status pd_gguf_set_str(pd_gguf_writer *w, const char *key, const char *v)
{
    pd_status st = begin_kv(w, key, PD_GGUF_STRING);
    if (st == PD_OK && !put_str(&w->kv, v, strlen(v)))
        st = pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    return st;
}

pd_status pd_gguf_set_arr(pd_gguf_writer *w, const char *key, pd_gguf_vtype elem,
                          const void *data, uint64_t n)
{
    unsigned size = pd_gguf_vtype_size(elem);
    if (!size)
        return pd_fail(PD_EARG, "gguf writer: key '%s': arrays of %s need their own call",
                       key, pd_gguf_vtype_name(elem));
    pd_status st = begin_kv(w, key, PD_GGUF_ARRAY);
    if (st)
        return st;
    if (!put_le(&w->kv, elem, 4) || !put_le(&w->kv, n, 8))
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    const uint8_t *p = data;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = 0;
        memcpy(&v, p + i * size, size);   /* native little-endian value */
        if (!put_le(&w->kv, v, size))
            return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    }
    return PD_OK;
}

pd_status pd_gguf_set_arr_str(pd_gguf_writer *w, const char *key,
                              const char *const *strs, uint64_t n)
{
    pd_status st = begin_kv(w, key, PD_GGUF_ARRAY);
    if (st)
        return st;
    if (!put_le(&w->kv, PD_GGUF_STRING, 4) || !put_le(&w->kv, n, 8))
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    for (uint64_t i = 0; i < n; i++)
        if (!put_str(&w->kv, strs[i], strlen(strs[i])))
            return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    return PD_OK;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

pd_status pd_gguf_add_tensor(pd_gguf_writer *w, const char *name, pd_type type,
                             int n_dims, const int64_t *ne, int64_t *index)
{
    if (!name_ok(name))
        return pd_fail(PD_EARG, "gguf writer: bad tensor name");
    if (n_dims < 1 || n_dims > PD_GGUF_MAX_DIMS)
        return pd_fail(PD_EARG, "gguf writer: tensor '%s': %d dimensions", name, n_dims);
    for (int64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return pd_fail(PD_EARG, "gguf writer: tensor '%s' added twice", name);
    pd_gguf_tensor t = { .type = (uint32_t)type, .n_dims = n_dims };
    int64_t rows = 1;
    for (int d = 0; d < PD_GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] < 1 || (d > 0 && __builtin_mul_overflow(rows, t.ne[d], &rows)))
            return pd_fail(PD_EARG, "gguf writer: tensor '%s': bad shape", name);
    }
    size_t row;
    if (!pd_type_known(type) || !pd_type_row_bytes(type, t.ne[0], &row) ||
        __builtin_mul_overflow((uint64_t)row, (uint64_t)rows, &t.nbytes))
        return pd_fail(PD_EARG, "gguf writer: tensor '%s': %" PRId64 " is not a whole number"
                       " of %s blocks", name, t.ne[0], pd_type_name(type));
    if (w->n_tensors == w->cap_tensors) {
        int64_t cap = w->cap_tensors ? w->cap_tensors * 2 : 64;
        pd_gguf_tensor *p = realloc(w->tensors, (size_t)cap * sizeof *p);
        if (!p)
            return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
        w->tensors = p;
        w->cap_tensors = cap;
    }
    if (!(t.name = strdup(name)))
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    t.offset = w->data_bytes;
    w->data_bytes = align_up(w->data_bytes + t.nbytes, w->alignment);
    w->tensors[w->n_tensors] = t;
    if (index)
        *index = w->n_tensors;
    w->n_tensors++;
    return PD_OK;
}

int64_t pd_gguf_writer_n_tensors(const pd_gguf_writer *w) { return w->n_tensors; }

const pd_gguf_tensor *pd_gguf_writer_tensor(const pd_gguf_writer *w, int64_t i)
{
    return i >= 0 && i < w->n_tensors ? &w->tensors[i] : NULL;
}

/* Header, metadata and tensor table, without the padding after them. */
static bool build_head(const pd_gguf_writer *w, bytes *h)
{
    bool ok = put(h, "GGUF", 4) && put_le(h, 3, 4) && put_le(h, (uint64_t)w->n_tensors, 8) &&
              put_le(h, (uint64_t)w->n_kv, 8) && put(h, w->kv.p, w->kv.n);
    for (int64_t i = 0; ok && i < w->n_tensors; i++) {
        const pd_gguf_tensor *t = &w->tensors[i];
        ok = put_str(h, t->name, strlen(t->name)) && put_le(h, (uint64_t)t->n_dims, 4);
        for (int d = 0; ok && d < t->n_dims; d++)
            ok = put_le(h, (uint64_t)t->ne[d], 8);
        ok = ok && put_le(h, t->type, 4) && put_le(h, t->offset, 8);
    }
    return ok;
}

static uint64_t head_size(const pd_gguf_writer *w)
{
    uint64_t n = 24 + w->kv.n;
    for (int64_t i = 0; i < w->n_tensors; i++)
        n += 8 + strlen(w->tensors[i].name) + 4 + 8 * (uint64_t)w->tensors[i].n_dims + 4 + 8;
    return n;
}

uint64_t pd_gguf_writer_file_size(const pd_gguf_writer *w)
{
    uint64_t head = align_up(head_size(w), w->alignment);
    return w->n_tensors ? head + w->data_bytes : head_size(w);
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */
typedef struct out {
    FILE *f;
    const char *tmp;           /* the name used in messages */
    uint64_t done, total;
    pd_gguf_progress_fn progress;
    void *progress_user;
} out;

static pd_status out_write(out *o, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, o->f) != n)
        return pd_fail(PD_EIO, "%s: write failed: %s", o->tmp, strerror(errno));
    o->done += n;
    return PD_OK;
}

static pd_status out_pad(out *o, uint64_t align)
{
    static const uint8_t zeros[4096];
    uint64_t pad = (align - o->done % align) % align;
    while (pad) {
        size_t n = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        pd_status st = out_write(o, zeros, n);
        if (st)
            return st;
        pad -= n;
    }
    return PD_OK;
}

static pd_status write_tensor(out *o, const pd_gguf_tensor *t, int64_t index,
                              pd_gguf_fill_fn fill, void *user, uint8_t *buf)
{
    int64_t rows = t->ne[1] * t->ne[2] * t->ne[3];
    uint64_t row_bytes = rows ? t->nbytes / (uint64_t)rows : 0;
    int64_t per = row_bytes >= CHUNK_BYTES ? 1 : (int64_t)(CHUNK_BYTES / row_bytes);
    for (int64_t r = 0; r < rows; r += per) {
        int64_t n = rows - r < per ? rows - r : per;
        pd_status st = fill(user, index, t, r, n, buf);
        if (st == PD_OK)
            st = out_write(o, buf, (size_t)((uint64_t)n * row_bytes));
        if (st)
            return st;
        if (o->progress && !o->progress(o->progress_user, o->done, o->total))
            return pd_fail(PD_ECANCELLED, "%s: cancelled", o->tmp);
    }
    return PD_OK;
}

static pd_status check_space(const char *dir, uint64_t need, const char *path)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0)
        return PD_OK;   /* unknown: let the writes tell */
    uint64_t avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    if (avail < need)
        return pd_fail(PD_EIO, "%s: needs %.2f GB, only %.2f GB free on that file system",
                       path, (double)need / 1e9, (double)avail / 1e9);
    return PD_OK;
}

static pd_status write_all(pd_gguf_writer *w, out *o, pd_gguf_fill_fn fill, void *user)
{
    bytes h = {0};
    if (!build_head(w, &h)) {
        free(h.p);
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    }
    pd_status st = out_write(o, h.p, h.n);
    free(h.p);
    if (st || w->n_tensors == 0)
        return st;
    if ((st = out_pad(o, w->alignment)))
        return st;
    uint64_t max_chunk = 0;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        const pd_gguf_tensor *t = &w->tensors[i];
        uint64_t row = t->nbytes / (uint64_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        uint64_t c = row >= CHUNK_BYTES ? row : CHUNK_BYTES / row * row;
        if (c > max_chunk)
            max_chunk = c;
    }
    if (!fill)
        return pd_fail(PD_EARG, "gguf writer: no source for the tensor data");
    uint8_t *buf = malloc(max_chunk ? max_chunk : 1);
    if (!buf)
        return pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    for (int64_t i = 0; i < w->n_tensors && !st; i++) {
        st = write_tensor(o, &w->tensors[i], i, fill, user, buf);
        if (!st)
            st = out_pad(o, w->alignment);
    }
    free(buf);
    return st;
}

/* The directory a file is in, for the free-space check (malloc'd). */
static char *dir_of(const char *file)
{
    char *dir = malloc(strlen(file) + 2);
    if (!dir)
        return NULL;
    strcpy(dir, file);
    char *slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    return dir;
}

pd_status pd_gguf_writer_write(pd_gguf_writer *w, const char *path,
                               pd_gguf_fill_fn fill, void *fill_user,
                               pd_gguf_progress_fn progress, void *progress_user)
{
    pd_outfile *of;
    pd_status st = pd_outfile_open(path, &of);
    if (st)
        return st;
    uint64_t total = pd_gguf_writer_file_size(w);
    char *dir = dir_of(pd_outfile_final_path(of));
    st = dir ? check_space(dir, total, path) : pd_fail(PD_ENOMEM, "gguf writer: out of memory");
    free(dir);
    out o = { pd_outfile_stream(of), path, 0, total, progress, progress_user };
    if (!st) {
        setvbuf(o.f, NULL, _IOFBF, 1 << 20);
        st = write_all(w, &o, fill, fill_user);
    }
    if (!st && o.done != total)
        st = pd_fail(PD_EIO, "%s: wrote %" PRIu64 " bytes, expected %" PRIu64,
                     path, o.done, total);
    if (st) {
        pd_outfile_abort(of);
        return st;
    }
    return pd_outfile_commit(of);
}
