/* strbuf.h - a growable NUL-terminated byte string for building text.
 * An allocation failure is sticky (oom) and checked once at the end, so
 * builders read straight through without an error check per append. */
#ifndef PD_STRBUF_H
#define PD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pd_strbuf { char *p; size_t n, cap; bool oom; } pd_strbuf;

/* Append n bytes (the buffer always holds a valid string afterwards). */
void pd_strbuf_add(pd_strbuf *b, const char *s, size_t n);
void pd_strbuf_str(pd_strbuf *b, const char *s);
/* Hand over the string (malloc'd; "" when nothing was added), or NULL after
 * an allocation failure; the buffer is empty again either way. */
char *pd_strbuf_take(pd_strbuf *b);

#endif
