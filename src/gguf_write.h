/* gguf_write.h - writing GGUF v3 files (the layout of gguf.h).
 *
 * Collect metadata and tensor descriptions, then write the file in one pass;
 * tensor data comes from a callback a few rows at a time, so a file far
 * larger than memory streams straight to disk. The file is written under a
 * temporary name next to the target and renamed at the end: a failed or
 * cancelled write never leaves a partial file at the target path.
 *
 *   pd_gguf_writer *w;
 *   pd_gguf_writer_new(&w);
 *   pd_gguf_set_str(w, "general.architecture", "qwen3moe");
 *   pd_gguf_add_tensor(w, "output_norm.weight", PD_TYPE_F32, 1, (int64_t[]){2048});
 *   pd_gguf_writer_write(w, "out.gguf", fill, user, progress, user);
 *   pd_gguf_writer_free(w);
 */
#ifndef PD_GGUF_WRITE_H
#define PD_GGUF_WRITE_H

#include "gguf.h"
#include "quant.h"

typedef struct pd_gguf_writer pd_gguf_writer;

pd_status pd_gguf_writer_new(pd_gguf_writer **out);
void pd_gguf_writer_free(pd_gguf_writer *w);

/* Alignment of the data section and of every tensor (power of two; default
 * 32, in which case no general.alignment key is written). */
pd_status pd_gguf_writer_set_alignment(pd_gguf_writer *w, uint32_t alignment);

/* Metadata, in the order of the calls. A key may be set only once. */
pd_status pd_gguf_set_u32(pd_gguf_writer *w, const char *key, uint32_t v);
pd_status pd_gguf_set_i32(pd_gguf_writer *w, const char *key, int32_t v);
pd_status pd_gguf_set_u64(pd_gguf_writer *w, const char *key, uint64_t v);
pd_status pd_gguf_set_f32(pd_gguf_writer *w, const char *key, float v);
pd_status pd_gguf_set_bool(pd_gguf_writer *w, const char *key, bool v);
pd_status pd_gguf_set_str(pd_gguf_writer *w, const char *key, const char *v);
/* Array of n fixed-size values of type `elem` (native C values: uint8_t,
 * int32_t, float, ...; bool as uint8_t 0/1). */
pd_status pd_gguf_set_arr(pd_gguf_writer *w, const char *key, pd_gguf_vtype elem,
                          const void *data, uint64_t n);
pd_status pd_gguf_set_arr_str(pd_gguf_writer *w, const char *key,
                              const char *const *strs, uint64_t n);

/* Describe a tensor (the data comes later from the fill callback). Returns
 * its index via *index when not NULL. */
pd_status pd_gguf_add_tensor(pd_gguf_writer *w, const char *name, pd_type type,
                             int n_dims, const int64_t *ne, int64_t *index);
int64_t pd_gguf_writer_n_tensors(const pd_gguf_writer *w);
/* Description of tensor i as it will be written (offset, nbytes, ne, ...;
 * data is NULL). */
const pd_gguf_tensor *pd_gguf_writer_tensor(const pd_gguf_writer *w, int64_t i);
/* The size the file will have, in bytes. */
uint64_t pd_gguf_writer_file_size(const pd_gguf_writer *w);

/* Write rows [row0, row0 + n_rows) of tensor `index` into dst (n_rows rows of
 * the tensor's row size; a row is ne[0] elements, rows run over ne[1..3]). */
typedef pd_status (*pd_gguf_fill_fn)(void *user, int64_t index, const pd_gguf_tensor *t,
                                     int64_t row0, int64_t n_rows, void *dst);
/* Called after each chunk; return false to cancel (PD_ECANCELLED). */
typedef bool (*pd_gguf_progress_fn)(void *user, uint64_t bytes_done, uint64_t bytes_total);

/* Write the file: to a temporary file beside `path`, then rename. Checks the
 * free space first. fill may be NULL only if no tensor has data. */
pd_status pd_gguf_writer_write(pd_gguf_writer *w, const char *path,
                               pd_gguf_fill_fn fill, void *fill_user,
                               pd_gguf_progress_fn progress, void *progress_user);

#endif /* PD_GGUF_WRITE_H */
