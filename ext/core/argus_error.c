/* argus_error helpers; see argus_error.h. */
#include "argus_error.h"

#include <stdio.h>

int argus_error_set(argus_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void argus_error_clear(argus_error *err)
{
    if (err) {
        err->code = ARGUS_OK;
        err->message[0] = '\0';
    }
}
