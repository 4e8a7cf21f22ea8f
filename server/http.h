/* A small HTTP server interface over libmicrohttpd, the only file that includes <microhttpd.h>.
 * A handler gets each request once its body has arrived and answers exactly once, right away or
 * later from any thread (the connection is suspended meanwhile), with one of:
 *   argus_http_respond()         a buffer (copied);
 *   argus_http_error()           the JSON error {"error":{"code":"...","message":"..."}};
 *   argus_http_respond_static()  an embedded file (ETag/304, gzip, Cache-Control);
 *   argus_http_respond_stream()  a body produced by a callback (Server-Sent Events).
 *
 *   argus_http_options o = {.listen = "127.0.0.1:8080", .name = "api", .max_body = 1 << 20,
 *                           .threads = 2, .handler = route, .ctx = app};
 *   argus_http_limits(&o, cfg);
 *   argus_http *h; argus_http_start(&h, &o, msg, sizeof msg); ... argus_http_free(h, 5000);
 *
 * Connections: the listener accepts at most max_connections (raised past libmicrohttpd's
 * FD_SETSIZE default; see argus_http_raise_fd_limit) and max_per_address from one client address;
 * a client must send a request's headers within header_timeout_ms of connecting (idle_timeout_ms
 * after the previous answer on a kept-alive connection), its body within body_timeout_ms and at
 * least min_rate bytes/s after the first 5 s; a connection that does not is closed. Above 90% of
 * max_connections the oldest connections only waiting (for a request, 1 s or more) are closed
 * down to 80%; connections whose client hung up are closed within a reaper tick (200 ms). */
#ifndef ARGUS_HTTP_H
#define ARGUS_HTTP_H

#include "assets.h"

#include <stddef.h>
#include <sys/types.h>

struct argus_config;
typedef struct argus_http argus_http;
typedef struct argus_http_request argus_http_request;
typedef struct argus_http_stream argus_http_stream;

/* Must lead to exactly one answer (argus_http_respond/_error/_static/_stream), from any thread,
 * at any time. Every request accessor below may be used from the handler call until the answer
 * is given (by one thread at a time); strings they return live as long. */
typedef void (*argus_http_handler)(void *ctx, argus_http_request *req);

typedef struct argus_http_options {
    const char *listen; /* "host:port" */
    const char *name;   /* for log lines: "otlp-http", "api" */
    size_t max_body;    /* larger bodies are not kept: argus_http_too_large() is then 1 */
    unsigned threads;   /* worker threads (libmicrohttpd thread pool) */
    argus_http_handler handler;
    void *ctx;
    /* Connection limits and timeouts, none 0: argus_http_limits() sets them from the
     * configuration (ARGUS_HTTP_*; docs/configuration.md has the defaults). */
    unsigned max_connections;   /* lowered to what the open-file limit allows */
    unsigned max_per_address;   /* connections from one client address */
    unsigned header_timeout_ms; /* connect (or previous answer) to complete headers */
    unsigned body_timeout_ms;   /* headers complete to body complete */
    unsigned idle_timeout_ms;   /* kept-alive connection without a request */
    unsigned min_rate;          /* body bytes/s a client must keep up after 5 s */
    /* Per-worker state (e.g. a lua_State or a read connection): worker_init runs once in each
     * worker thread before its first request there, worker_free once per state at
     * argus_http_free (after the workers stopped). Both may be NULL. */
    void *(*worker_init)(void *ctx);
    void (*worker_free)(void *ctx, void *state);
} argus_http_options;

typedef struct argus_http_header {
    const char *name;
    const char *value;
} argus_http_header;

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit. */
unsigned long argus_http_raise_fd_limit(void);

/* Sets o's connection limits and timeouts (max_connections to min_rate) from cfg. */
void argus_http_limits(argus_http_options *o, const struct argus_config *cfg);

/* Returns 0, or -1 with msg (naming the address, or the option that is 0) when the listener
 * cannot start. */
int argus_http_start(argus_http **out, const argus_http_options *o, char *msg, size_t msglen);
/* The port actually bound (useful with port 0). */
unsigned argus_http_port(const argus_http *h);
/* 1 while the listener can take a new connection; 0 with a reason when it cannot (stopped,
 * connection cap reached, or the process is out of file descriptors). Thread-safe. */
int argus_http_accepting(argus_http *h, char *reason, size_t n);
/* Stops accepting connections; requests on open connections are still answered. */
void argus_http_stop_accepting(argus_http *h);
/* Ends every stream, waits up to timeout_ms for in-flight requests to be answered, then stops
 * and frees. */
void argus_http_free(argus_http *h, unsigned timeout_ms);

/* ---- the request ---------------------------------------------------------------------------- */
const char *argus_http_method(const argus_http_request *r);
/* The path without the query string, percent-decoded ("/api/services/a b"). */
const char *argus_http_path(const argus_http_request *r);
/* The path as sent, still percent-encoded (route matching splits it before decoding). */
const char *argus_http_raw_path(const argus_http_request *r);
/* A request header (case-insensitive name) or NULL. */
const char *argus_http_header_get(const argus_http_request *r, const char *name);
/* The body (NULL/0 when empty or too large). */
const void *argus_http_body(const argus_http_request *r, size_t *len);
/* 1 when the body exceeded max_body (it was discarded), else 0. */
int argus_http_too_large(const argus_http_request *r);
/* The client's address as text ("127.0.0.1", "::1"). */
const char *argus_http_client(const argus_http_request *r);
/* The state worker_init made for the worker thread running the handler (NULL without
 * worker_init, or when called from another thread). */
void *argus_http_worker_state(const argus_http_request *r);

/* Query arguments, percent-decoded ('+' is a space), in the order sent. "?a=1&b&a=2": name "a"
 * index 0 -> "1", index 1 -> "2"; "b" -> "" (present without a value); "c" -> NULL. */
const char *argus_http_query(const argus_http_request *r, const char *name, size_t index);
/* The number of arguments, and the i-th one (name and value; 0, or -1 when i is out of range). */
size_t argus_http_query_count(const argus_http_request *r);
int argus_http_query_at(const argus_http_request *r, size_t i, const char **name,
                        const char **value);

/* ---- answers (each thread-safe; exactly one per request) ------------------------------------ */
/* Answers with body (copied); headers may be NULL. */
void argus_http_respond(argus_http_request *r, unsigned status, const char *content_type,
                        const void *body, size_t len, const argus_http_header *headers,
                        size_t nheaders);
/* Answers {"error":{"code":code,"message":<printf>}} as application/json (built with jansson);
 * headers (e.g. Allow, Retry-After) may be NULL. */
void argus_http_error(argus_http_request *r, unsigned status, const char *code,
                      const argus_http_header *headers, size_t nheaders, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Answers an embedded file: 304 when If-None-Match names its ETag, the gzip variant when it has
 * one and Accept-Encoding allows gzip (Vary: Accept-Encoding), Cache-Control "public,
 * max-age=31536000, immutable" for immutable (hashed) files and "no-cache" otherwise. The
 * response objects are made once per asset and shared (the data is not copied). */
void argus_http_respond_static(argus_http_request *r, const argus_asset *a);

/* ---- streaming ------------------------------------------------------------------------------
 * fn fills buf with up to max bytes and returns how many, 0 for "nothing now", or -1 to end the
 * response. After 0 the connection is suspended (no thread is busy with it) until
 * argus_http_stream_wake(s); a wake that comes while fn runs is not lost (fn is called again).
 * fn runs in a worker thread, never concurrently with itself.
 *
 * Lifetime: free_cls(cls) runs exactly once, in a worker thread, when the response is finished
 * (fn returned -1, the client went away, or the listener stops); the stream handle s is freed
 * right after it returns. argus_http_stream_wake(s) is allowed from any thread until free_cls has
 * returned, so free_cls must first unregister cls from whatever publisher calls wake, under the
 * lock that publisher holds while waking; after that no one may touch s. A dead client is only
 * noticed when bytes are written: wake streams now and then to send keep-alive comments.
 * argus_http_free resumes every stream and makes fn's next call end it (fn is not called again).
 *
 * Returns the handle, or NULL when the response could not be made (the request was then
 * answered 503 and free_cls already ran). */
typedef ssize_t (*argus_http_stream_fn)(void *cls, char *buf, size_t max);
argus_http_stream *argus_http_respond_stream(argus_http_request *r, unsigned status,
                                             const char *content_type,
                                             const argus_http_header *headers, size_t nheaders,
                                             argus_http_stream_fn fn, void *cls,
                                             void (*free_cls)(void *));
void argus_http_stream_wake(argus_http_stream *s);

/* ---- route tables ---------------------------------------------------------------------------
 * A pattern is a path whose segments are literals, "{name}" (one non-empty segment, decoded:
 * "/api/logs/{id}/context"), or a final "*" segment (the rest of the path, zero or more
 * segments). method is "GET" (which also matches HEAD), "POST", ..., or "*" for any. kind is the
 * table owner's handler tag. */
typedef struct argus_http_route {
    const char *method;
    const char *pattern;
    int kind;
} argus_http_route;

/* Finds the first route matching the request's method and path. Returns the route (its
 * {params} then readable with argus_http_param), or NULL with *status 404 (no pattern matches
 * the path) or 405 (some do, for other methods: allow gets "GET, HEAD, POST"-style text). */
const argus_http_route *argus_http_route_match(argus_http_request *r, const argus_http_route *t,
                                               size_t n, unsigned *status, char *allow,
                                               size_t allowlen);
/* A {name} of the matched route, percent-decoded, or NULL. */
const char *argus_http_param(const argus_http_request *r, const char *name);

#endif
