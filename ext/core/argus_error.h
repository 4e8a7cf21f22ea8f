/* Error reporting shared by every ext/core module.
 * Core functions return 0 or a negative ARGUS_E* code and fill a caller-owned argus_error with a
 * short lowercase message that starts with the module name ("otlp: span 3: trace_id ...").
 * Each glue layer (SQLite, MySQL UDF, Lua, gRPC, HTTP) maps it in exactly one helper. */
#ifndef ARGUS_ERROR_H
#define ARGUS_ERROR_H

#include <stdarg.h>

enum {
    ARGUS_OK = 0,
    ARGUS_ENOMEM = -1,  /* allocation failed or a memory limit was reached */
    ARGUS_EINVAL = -2,  /* bad argument from the caller */
    ARGUS_EFORMAT = -3, /* malformed input (protobuf, JSON, ...) */
    ARGUS_ELIMIT = -4,  /* input exceeds a documented limit (size, nesting depth) */
};

typedef struct argus_error {
    int code;
    char message[256];
} argus_error;

/* Sets err (if not NULL) and returns code, so callers can write `return argus_error_set(...)`. */
int argus_error_set(argus_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to ARGUS_OK with an empty message. */
void argus_error_clear(argus_error *err);

#endif
