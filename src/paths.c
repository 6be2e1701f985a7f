/* paths.c - find installed data (phrase sets, themes, the demo model) both in
 * an installed tree and when running uninstalled from the build tree. */
#include "ponder.h"
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *join(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + 1 + strlen(rel) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

static char *existing(const char *dir, const char *rel)
{
    struct stat st;
    char *p = join(dir, rel);
    if (p && stat(p, &st) == 0)
        return p;
    free(p);
    return NULL;
}

/* True when the running executable sits in the build tree it was built in,
 * so the data is still in the source tree rather than in pkgdatadir. */
static bool running_uninstalled(void)
{
    char exe[PATH_MAX], build[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    if (!realpath(PD_BUILDDIR, build))
        return false;
    /* the program itself, or a test binary under tests/ */
    size_t bl = strlen(build);
    return strncmp(exe, build, bl) == 0 && (exe[bl] == '\0' || exe[bl] == '/');
}

char *pd_data_path(const char *relative)
{
    const char *env = getenv("PONDER_DATADIR");
    char *p;
    if (env && *env && (p = existing(env, relative)))
        return p;
    if (running_uninstalled()) {
        /* themes/ lives at the top of the source tree, the rest in share/ponder */
        if ((p = existing(PD_SRCDIR "/share/ponder", relative)))
            return p;
        if ((p = existing(PD_SRCDIR, relative)))
            return p;
    }
    return existing(PD_PKGDATADIR, relative);
}
