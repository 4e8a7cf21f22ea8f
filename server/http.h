/* A small HTTP server interface over libmicrohttpd, the only file that includes <microhttpd.h>.
 * A handler gets each request once its body has arrived and answers with argus_http_respond(),
 * right away or later from any thread (the connection is suspended meanwhile).
 *   argus_http_options o = {.listen = "127.0.0.1:8080", .name = "api", .max_body = 1 << 20,
 *                           .threads = 2, .handler = route, .ctx = app};
 *   argus_http *h; argus_http_start(&h, &o, msg, sizeof msg); ... argus_http_free(h, 5000);
 */
#ifndef ARGUS_HTTP_H
#define ARGUS_HTTP_H

#include <stddef.h>

typedef struct argus_http argus_http;
typedef struct argus_http_request argus_http_request;

/* Must lead to exactly one argus_http_respond(req, ...) call, from any thread, at any time. The
 * request accessors below may only be used during the handler call. */
typedef void (*argus_http_handler)(void *ctx, argus_http_request *req);

typedef struct argus_http_options {
    const char *listen; /* "host:port" */
    const char *name;   /* for log lines: "otlp-http", "api" */
    size_t max_body;    /* larger bodies are not kept: argus_http_too_large() is then 1 */
    unsigned threads;
    argus_http_handler handler;
    void *ctx;
} argus_http_options;

typedef struct argus_http_header {
    const char *name;
    const char *value;
} argus_http_header;

/* Returns 0, or -1 with msg (naming the address) when the listener cannot start. */
int argus_http_start(argus_http **out, const argus_http_options *o, char *msg, size_t msglen);
/* Stops accepting connections; requests on open connections are still answered. */
void argus_http_stop_accepting(argus_http *h);
/* Waits up to timeout_ms for in-flight requests to be answered, then stops and frees. */
void argus_http_free(argus_http *h, unsigned timeout_ms);

const char *argus_http_method(const argus_http_request *r);
/* The path without the query string. */
const char *argus_http_path(const argus_http_request *r);
/* A request header (case-insensitive name) or NULL. */
const char *argus_http_header_get(const argus_http_request *r, const char *name);
/* The body (NULL/0 when empty or too large); borrowed until the handler returns. */
const void *argus_http_body(const argus_http_request *r, size_t *len);
/* 1 when the body exceeded max_body (it was discarded), else 0. */
int argus_http_too_large(const argus_http_request *r);

/* Answers the request; body is copied. headers may be NULL. Thread-safe; call exactly once. */
void argus_http_respond(argus_http_request *r, unsigned status, const char *content_type,
                        const void *body, size_t len, const argus_http_header *headers,
                        size_t nheaders);

#endif
