/* outfile.c - saving a user's file without ever leaving half of it: write a
 * temporary file beside the final target, flush it to disk, rename it into
 * place. A symbolic link is followed (its target is replaced, the link
 * stays); a target that is not a regular file (a device such as /dev/null, a
 * FIFO) is written in place, since it cannot be replaced. */
#include "ponder.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pd_outfile {
    FILE *f;
    char *path;    /* as given, for messages */
    char *final;   /* where the data ends up (links resolved) */
    char *tmp;     /* NULL when writing in place */
};

/* The file a path names after following symbolic links; the path itself
 * when it does not exist yet (a dangling link resolves to its target). */
static char *resolve(const char *path)
{
    char buf[PATH_MAX];
    char *cur = strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        ssize_t n = readlink(cur, buf, sizeof buf - 1);
        if (n < 0)
            return cur;                       /* not a link (or absent) */
        buf[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (buf[0] == '/' || !slash) {
            next = strdup(buf);
        } else {                              /* relative to the link's directory */
            size_t dl = (size_t)(slash - cur) + 1;
            next = malloc(dl + (size_t)n + 1);
            if (next) {
                memcpy(next, cur, dl);
                memcpy(next + dl, buf, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    free(cur);
    errno = ELOOP;
    return NULL;
}

static void outfile_free(pd_outfile *o)
{
    free(o->path);
    free(o->final);
    free(o->tmp);
    free(o);
}

pd_status pd_outfile_open(const char *path, pd_outfile **out)
{
    *out = NULL;
    pd_outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(path))) {
        free(o);
        return pd_fail(PD_ENOMEM, "%s: out of memory", path);
    }
    if (!(o->final = resolve(path))) {
        pd_status st = pd_fail(PD_EIO, "%s: %s", path, strerror(errno));
        outfile_free(o);
        return st;
    }
    struct stat sb;
    bool in_place = stat(o->final, &sb) == 0 && !S_ISREG(sb.st_mode);
    if (in_place) {
        o->f = fopen(o->final, "wb");
    } else {
        size_t n = strlen(o->final) + 16;
        int fd = -1;
        if ((o->tmp = malloc(n))) {
            snprintf(o->tmp, n, "%s.tmp-XXXXXX", o->final);
            fd = mkstemp(o->tmp);
        }
        if (fd >= 0) {
            /* mkstemp made it 0600: a saved file gets the usual permissions */
            mode_t um = umask(0);
            umask(um);
            (void)fchmod(fd, 0666 & ~um);
            if (!(o->f = fdopen(fd, "wb"))) {
                close(fd);
                unlink(o->tmp);
            }
        }
    }
    if (!o->f) {
        pd_status st = pd_fail(PD_EIO, "%s: cannot create the file: %s", path,
                               strerror(errno ? errno : ENOMEM));
        outfile_free(o);
        return st;
    }
    *out = o;
    return PD_OK;
}

FILE *pd_outfile_stream(pd_outfile *o)
{
    return o->f;
}

const char *pd_outfile_final_path(const pd_outfile *o)
{
    return o->final;
}

void pd_outfile_abort(pd_outfile *o)
{
    if (!o)
        return;
    fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    outfile_free(o);
}

pd_status pd_outfile_commit(pd_outfile *o)
{
    pd_status st = PD_OK;
    int err = 0;
    if (ferror(o->f) || fflush(o->f) != 0)
        err = errno ? errno : EIO;
    /* fsync of a device or FIFO may legitimately fail: only regular files */
    else if (o->tmp && fsync(fileno(o->f)) != 0)
        err = errno;
    if (fclose(o->f) != 0 && !err)
        err = errno ? errno : EIO;
    o->f = NULL;
    if (!err && o->tmp && rename(o->tmp, o->final) != 0)
        err = errno;
    if (err) {
        st = pd_fail(PD_EIO, "%s: write failed: %s", o->path, strerror(err));
        if (o->tmp)
            unlink(o->tmp);
    }
    outfile_free(o);
    return st;
}
