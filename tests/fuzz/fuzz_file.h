/* fuzz_file.h - for fuzz targets whose parser reads a path: the input is
 * written to one memfd (kept for the whole run) and the parser is handed
 * /proc/self/fd/N, a regular file as far as open/fstat/getline can tell. */
#ifndef PD_FUZZ_FILE_H
#define PD_FUZZ_FILE_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* memfd_create; include this header first */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding exactly data[0..size); aborts on a system error
 * (that is the harness failing, not the parser). */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (fd < 0) { perror("memfd_create"); abort(); }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) { perror("ftruncate"); abort(); }
    for (size_t off = 0; off < size;) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        if (w <= 0) { perror("pwrite"); abort(); }
        off += (size_t)w;
    }
    return path;
}
#endif
