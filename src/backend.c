/* backend.c - choosing the compute backend: the built-in CPU one, or the
 * CUDA plugin found next to the binary (build tree) or in the installed
 * pkglibdir. `auto` falls back to the CPU quietly and leaves a note saying
 * why; `cuda` fails with that reason. */
#include "backend.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Candidate paths of the plugin, most specific first. */
static int plugin_paths(char paths[][PATH_MAX], int max)
{
    int n = 0;
    const char *env = getenv("PONDER_CUDA_PLUGIN");
    if (env && *env && n < max)
        snprintf(paths[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            if (n < max) snprintf(paths[n++], PATH_MAX, "%.4000s/kernels/ponder-cuda.so", exe);
            /* libtool-less tests live in tests/unit/: the build root is ../.. */
            if (n < max) snprintf(paths[n++], PATH_MAX, "%.4000s/../../kernels/ponder-cuda.so", exe);
        }
    }
#ifdef PD_BUILDDIR
    if (n < max) snprintf(paths[n++], PATH_MAX, "%s/kernels/ponder-cuda.so", PD_BUILDDIR);
#endif
#ifdef PD_PKGLIBDIR
    if (n < max) snprintf(paths[n++], PATH_MAX, "%s/ponder-cuda.so", PD_PKGLIBDIR);
#endif
    return n;
}

/* dlopen maps a shared object's segments straight from the file, so a
 * truncated or damaged plugin would fault inside the loader (SIGBUS) rather
 * than fail: check that it is a 64-bit ELF whose loadable segments lie
 * inside the file before handing it over. */
static bool plugin_intact(const char *path, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    Elf64_Ehdr eh;
    struct stat sb;
    bool ok = f && fstat(fileno(f), &sb) == 0 && fread(&eh, sizeof eh, 1, f) == 1
              && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64
              && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum > 0
              && eh.e_phoff <= (uint64_t)sb.st_size
              && (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) <= (uint64_t)sb.st_size - eh.e_phoff
              && fseek(f, (long)eh.e_phoff, SEEK_SET) == 0;
    for (int i = 0; ok && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        ok = fread(&ph, sizeof ph, 1, f) == 1;
        if (ok && ph.p_type == PT_LOAD)
            ok = ph.p_offset <= (uint64_t)sb.st_size
                 && ph.p_filesz <= (uint64_t)sb.st_size - ph.p_offset;
    }
    if (f)
        fclose(f);
    if (!ok)
        snprintf(why, why_size, "%.120s is not an intact shared object (truncated or damaged)", path);
    return ok;
}

/* Load the CUDA plugin; on failure *why says what was missing. */
static const pd_backend_ops *load_cuda(pd_model *m, char *why, size_t why_size, bool *absent)
{
    char paths[5][PATH_MAX];
    int n = plugin_paths(paths, 5);
    const char *found = NULL;
    for (int i = 0; i < n && !found; i++)
        if (access(paths[i], R_OK) == 0)
            found = paths[i];
    if (!found) {
        snprintf(why, why_size, "CUDA plugin ponder-cuda.so not found (this build has no CUDA backend)");
        *absent = true;
        return NULL;
    }
    if (!plugin_intact(found, why, why_size))
        return NULL;
    void *dl = dlopen(found, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        snprintf(why, why_size, "cannot load %.60s: %.60s", found, e ? e : "?");
        return NULL;
    }
    pd_backend_entry_fn entry;
    *(void **)&entry = dlsym(dl, PD_BACKEND_PLUGIN_SYMBOL);
    const pd_backend_ops *ops = entry ? entry() : NULL;
    if (!ops) {
        snprintf(why, why_size, "%.80s: %.80s", found,
                 entry ? pd_errmsg() : "not a ponder backend plugin");
        dlclose(dl);
        return NULL;
    }
    if (ops->abi != PD_BACKEND_ABI) {
        snprintf(why, why_size, "%.100s: plugin ABI %d, expected %d", found, ops->abi, PD_BACKEND_ABI);
        dlclose(dl);
        return NULL;
    }
    if (ops->available && !ops->available(why, why_size)) {
        dlclose(dl);
        return NULL;
    }
    m->be_dl = dl;
    return ops;
}

pd_status pd_backend_attach(pd_model *m, const pd_model_opts *opts)
{
    m->be_note[0] = 0;
    const pd_backend_ops *ops = NULL;
    if (opts->backend == PD_BACKEND_CUDA || opts->backend == PD_BACKEND_AUTO) {
        char why[200] = "";
        bool absent = false;   /* a CPU-only build: choosing the CPU is no news */
        if (getenv("PONDER_FORCE_CPU") && opts->backend == PD_BACKEND_AUTO)
            absent = true;
        else
            ops = load_cuda(m, why, sizeof why, &absent);
        if (!ops && opts->backend == PD_BACKEND_CUDA)
            return pd_fail(PD_EBACKEND, "backend cuda: %s", why);
        if (!ops && !absent)
            snprintf(m->be_note, sizeof m->be_note, "using the cpu backend: %s", why);
    }
    if (!ops)
        ops = pd_backend_cpu();
    pd_status st = ops->create(m, opts, &m->be_state);
    if (st != PD_OK && ops != pd_backend_cpu() && opts->backend == PD_BACKEND_AUTO) {
        snprintf(m->be_note, sizeof m->be_note, "using the cpu backend: the cuda backend failed: %s", pd_errmsg());
        dlclose(m->be_dl);
        m->be_dl = NULL;
        ops = pd_backend_cpu();
        st = ops->create(m, opts, &m->be_state);
    }
    if (st != PD_OK) {
        if (m->be_dl) dlclose(m->be_dl);
        m->be_dl = NULL;
        return st;
    }
    m->be = ops;
    return PD_OK;
}

void pd_backend_detach(pd_model *m)
{
    if (m->be && m->be_state)
        m->be->destroy(m->be_state);
    m->be = NULL;
    m->be_state = NULL;
    if (m->be_dl)
        dlclose(m->be_dl);
    m->be_dl = NULL;
}
