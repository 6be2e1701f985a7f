/* strbuf.c - the growable string of strbuf.h. */
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

void pd_strbuf_add(pd_strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void pd_strbuf_str(pd_strbuf *b, const char *s)
{
    pd_strbuf_add(b, s, strlen(s));
}

char *pd_strbuf_take(pd_strbuf *b)
{
    char *p = b->oom ? NULL : b->p ? b->p : strdup("");
    if (b->oom)
        free(b->p);
    memset(b, 0, sizeof *b);
    return p;
}
