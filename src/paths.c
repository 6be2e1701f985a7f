/* paths.c - find installed data (phrase sets, themes, the demo model) both in
 * an installed tree and when running uninstalled from the build tree. */
#include "ponder.h"
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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

/* The data directories in lookup order: $PONDER_DATADIR, the source tree of
 * an uninstalled build (themes/ lives at its top, the rest in share/ponder),
 * the installed pkgdatadir. Returns how many (at most 4). */
static int data_roots(const char *roots[4])
{
    const char *env = getenv("PONDER_DATADIR");
    int n = 0;
    if (env && *env)
        roots[n++] = env;
    if (running_uninstalled()) {
        roots[n++] = PD_SRCDIR "/share/ponder";
        roots[n++] = PD_SRCDIR;
    }
    roots[n++] = PD_PKGDATADIR;
    return n;
}

char *pd_data_path(const char *relative)
{
    const char *roots[4];
    const int n = data_roots(roots);
    for (int i = 0; i < n; i++) {
        char *p = existing(roots[i], relative);
        if (p)
            return p;
    }
    return NULL;
}

/* Append name to the ", "-list in out unless it is there already. */
static void add_name(char *out, size_t n, const char *name)
{
    size_t len = strlen(name), have = strlen(out);
    for (const char *p = out; (p = strstr(p, name)) != NULL; p += len)
        if ((p == out || (p - out >= 2 && p[-2] == ',' && p[-1] == ' '))
            && (p[len] == '\0' || p[len] == ','))
            return;
    if (have + len + 3 > n)
        return;
    snprintf(out + have, n - have, "%s%s", have ? ", " : "", name);
}

static void names_in(const char *dir, const char *suffix, char *out, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    const size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name);
        char name[256];
        if (len <= sl || len - sl >= sizeof name || strcmp(e->d_name + len - sl, suffix) != 0
            || e->d_name[0] == '.')
            continue;
        memcpy(name, e->d_name, len - sl);
        name[len - sl] = '\0';
        add_name(out, n, name);
    }
    closedir(d);
}

void pd_data_names(const char *dir, const char *suffix, char *out, size_t n)
{
    const char *roots[4];
    const int nr = data_roots(roots);
    for (int i = 0; i < nr; i++) {
        char *sub = join(roots[i], dir);
        if (sub)
            names_in(sub, suffix, out, n);
        free(sub);
    }
}
