/* status.c - status codes and the thread-local "what went wrong" message.
 * Engine code never prints or exits; it returns a pd_status and leaves one
 * line here for main() or the UI to show. */
#include "ponder.h"
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
#define PD_X_TEXT(code, text) text,
    PD_STATUS_LIST(PD_X_TEXT)
#undef PD_X_TEXT
};

static _Thread_local char last_error[1024];

const char *pd_status_str(pd_status s)
{
    if ((unsigned)s >= PD_STATUS_COUNT)
        return "unknown status";
    return status_text[s];
}

const char *pd_errmsg(void)
{
    return last_error[0] ? last_error : "no error";
}

pd_status pd_fail(pd_status s, const char *fmt, ...)
{
    /* format aside first: callers may pass pd_errmsg() itself as an
     * argument, to add context to the message below */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return s;
}

const char *pd_version(void)
{
    return PACKAGE_VERSION;
}
