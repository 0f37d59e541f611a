#include <stdio.h>
#include <string.h>

#include "onnxlite/status.h"

ol_status ol_failv(ol_error *err, ol_status status, const char *fmt, va_list ap)
{
    if (err && err->status == OL_OK) {
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        /* Messages quote names from untrusted files: control characters (terminal escapes) are
         * replaced so that printing an error cannot drive the user's terminal. */
        for (char *c = err->message; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    }
    return status;
}

ol_status ol_fail(ol_error *err, ol_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ol_failv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void ol_error_prefix(ol_error *err, const char *fmt, ...)
{
    if (!err || err->status == OL_OK)
        return;
    char prefix[OL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Join by hand: the result is cut at the buffer size, which is what we want for long chains. */
    char joined[OL_ERROR_MESSAGE_SIZE];
    size_t p = strlen(prefix), m = strlen(err->message);
    if (p > sizeof joined - 1)
        p = sizeof joined - 1;
    if (m > sizeof joined - 1 - p)
        m = sizeof joined - 1 - p;
    memcpy(joined, prefix, p);
    memcpy(joined + p, err->message, m);
    joined[p + m] = '\0';
    memcpy(err->message, joined, sizeof joined);
}

void ol_error_clear(ol_error *err)
{
    if (err) {
        err->status = OL_OK;
        err->message[0] = '\0';
    }
}

const char *ol_status_name(ol_status status)
{
    switch (status) {
    case OL_OK: return "ok";
    case OL_ERR_IO: return "I/O error";
    case OL_ERR_PARSE: return "parse error";
    case OL_ERR_INVALID: return "invalid model";
    case OL_ERR_UNSUPPORTED: return "unsupported";
    case OL_ERR_NOMEM: return "out of memory";
    case OL_ERR_ARG: return "bad argument";
    case OL_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}
