/* OTLP/HTTP and API request handlers; see routes.h.
 *   curl -X POST -H 'Content-Type: application/json' -d '{"resourceSpans":[]}' \
 *        http://127.0.0.1:4318/v1/traces            -> 200 {}
 *   curl http://127.0.0.1:8080/readyz               -> 200 {"status":"ready"}
 * OTLP answers use the request's content type: Export*ServiceResponse on success, a
 * google.rpc.Status otherwise, with Retry-After when the client should come back later.
 * Each listener has one route table below: a new route is one row there plus its case. */
#include "routes.h"

#include "argus_otlp.h"
#include "assets.h"
#include "gzip.h"
#include "log.h"
#include "otlp_response.h"

#include <jansson.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_PROTOBUF "application/x-protobuf"
#define CT_JSON "application/json"
#define MAX_HEADERS 8

/* What an OTLP answer needs once the handler has returned (CORS headers, encoding). */
typedef struct otlp_reply {
    argus_http_request *req;
    int json;
    char origin[256]; /* the allowed Origin to echo, or empty */
} otlp_reply;

static size_t cors_headers(const otlp_reply *rp, argus_http_header *h, size_t n)
{
    if (!rp->origin[0])
        return n;
    h[n++] = (argus_http_header){"Access-Control-Allow-Origin", rp->origin};
    h[n++] = (argus_http_header){"Vary", "Origin"};
    return n;
}

static void send_status(const otlp_reply *rp, unsigned http_status, int grpc_code,
                        const char *message, unsigned retry_after_s, const char *allow)
{
    argus_buf b;
    argus_buf_init(&b);
    argus_response_status(grpc_code, message, retry_after_s, rp->json, &b);
    argus_http_header h[MAX_HEADERS];
    size_t n = cors_headers(rp, h, 0);
    char ra[16];
    if (retry_after_s) {
        snprintf(ra, sizeof ra, "%u", retry_after_s);
        h[n++] = (argus_http_header){"Retry-After", ra};
    }
    if (allow)
        h[n++] = (argus_http_header){"Allow", allow};
    argus_http_respond(rp->req, http_status, rp->json ? CT_JSON : CT_PROTOBUF, b.data, b.len, h, n);
    argus_buf_free(&b);
}

static void reply_result(otlp_reply *rp, const argus_ingest_result *r)
{
    if (r->status != ARGUS_INGEST_OK) {
        send_status(rp, (unsigned)argus_response_http_status(r->status),
                    argus_response_grpc_code(r->status), r->message, r->retry_after_s, NULL);
        return;
    }
    argus_buf b;
    argus_buf_init(&b);
    if (argus_response_encode(r, rp->json, &b) != 0) {
        argus_buf_free(&b);
        send_status(rp, 503, ARGUS_GRPC_UNAVAILABLE, "out of memory", 1, NULL);
        return;
    }
    argus_http_header h[MAX_HEADERS];
    size_t n = cors_headers(rp, h, 0);
    argus_http_respond(rp->req, 200, rp->json ? CT_JSON : CT_PROTOBUF, b.data, b.len, h, n);
    argus_buf_free(&b);
}

/* Writer callback: the transaction holding the request finished. */
static void on_done(void *ctx, const argus_ingest_result *r)
{
    otlp_reply *rp = ctx;
    reply_result(rp, r);
    free(rp);
}

/* Copies the request's Origin into rp->origin when ARGUS_CORS_ALLOWED_ORIGINS allows it.
 * Returns 1 if allowed, 0 if not, -1 when the request has no Origin header. */
static int check_origin(const argus_config *cfg, argus_http_request *req, otlp_reply *rp)
{
    const char *origin = argus_http_header_get(req, "Origin");
    if (!origin)
        return -1;
    const char *p = cfg->cors_allowed_origins;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t n = (size_t)(end - p);
        while (n && p[n - 1] == ' ')
            n--;
        if (n == 1 && *p == '*') {
            snprintf(rp->origin, sizeof rp->origin, "*");
            return 1;
        }
        if (n && strlen(origin) == n && strncasecmp(origin, p, n) == 0 &&
            strlen(origin) < sizeof rp->origin) {
            snprintf(rp->origin, sizeof rp->origin, "%s", origin);
            return 1;
        }
        p = end;
    }
    return 0;
}

/* The payload format of an OTLP/HTTP request, decided by its Content-Type alone (never by
 * sniffing the bytes): "application/json; charset=utf-8" -> FORMAT_JSON,
 * "application/x-protobuf" (or application/protobuf) -> FORMAT_PROTOBUF, else FORMAT_NONE. */
typedef enum { FORMAT_NONE = -1, FORMAT_PROTOBUF = 0, FORMAT_JSON = 1 } otlp_format;

static otlp_format format_of(const char *ct)
{
    if (!ct)
        return FORMAT_NONE;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    static const struct {
        const char *type;
        otlp_format format;
    } types[] = {{CT_PROTOBUF, FORMAT_PROTOBUF},
                 {"application/protobuf", FORMAT_PROTOBUF},
                 {CT_JSON, FORMAT_JSON}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (n == strlen(types[i].type) && strncasecmp(ct, types[i].type, n) == 0)
            return types[i].format;
    return FORMAT_NONE;
}

enum { OTLP_TRACES, OTLP_LOGS, OTLP_PREFLIGHT };

static const argus_http_route otlp_routes[] = {
    {"POST", "/v1/traces", OTLP_TRACES},
    {"POST", "/v1/logs", OTLP_LOGS},
    {"OPTIONS", "/v1/traces", OTLP_PREFLIGHT},
    {"OPTIONS", "/v1/logs", OTLP_PREFLIGHT},
};

static void otlp_preflight(otlp_reply *rp, int origin_ok)
{
    if (origin_ok != 1) {
        rp->origin[0] = 0;
        send_status(rp, 403, 7 /* PERMISSION_DENIED */,
                    "origin not allowed (see ARGUS_CORS_ALLOWED_ORIGINS)", 0, NULL);
        return;
    }
    const char *req_headers = argus_http_header_get(rp->req, "Access-Control-Request-Headers");
    argus_http_header h[MAX_HEADERS];
    size_t n = cors_headers(rp, h, 0);
    h[n++] = (argus_http_header){"Access-Control-Allow-Methods", "POST, OPTIONS"};
    h[n++] = (argus_http_header){"Access-Control-Allow-Headers",
                                 req_headers ? req_headers : "Content-Type, Content-Encoding"};
    h[n++] = (argus_http_header){"Access-Control-Max-Age", "86400"};
    argus_http_respond(rp->req, 204, NULL, NULL, 0, h, n);
}

static void otlp_export(argus_routes *rt, otlp_reply *local, argus_signal sig, otlp_format fmt)
{
    argus_http_request *req = local->req;
    if (fmt == FORMAT_NONE) {
        send_status(local, 415, ARGUS_GRPC_INVALID_ARGUMENT,
                    "unsupported Content-Type; use application/x-protobuf or application/json", 0,
                    NULL);
        return;
    }
    if (argus_http_too_large(req)) {
        char m[128];
        snprintf(m, sizeof m, "request body is larger than %zu bytes (ARGUS_MAX_MESSAGE_SIZE)",
                 rt->cfg->max_message_size);
        send_status(local, 413, ARGUS_GRPC_RESOURCE_EXHAUSTED, m, 0, NULL);
        return;
    }
    size_t len;
    const void *body = argus_http_body(req, &len);
    const char *enc = argus_http_header_get(req, "Content-Encoding");
    argus_buf plain;
    argus_buf_init(&plain);
    if (enc && *enc && strcasecmp(enc, "identity") != 0) {
        if (strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "deflate") != 0) {
            send_status(local, 415, ARGUS_GRPC_INVALID_ARGUMENT,
                        "unsupported Content-Encoding; use gzip, deflate or none", 0, NULL);
            return;
        }
        char m[256];
        int rc = argus_gunzip(body, len, rt->cfg->max_message_size, &plain, m, sizeof m);
        if (rc != 0) {
            argus_buf_free(&plain);
            if (rc == ARGUS_GZIP_TOO_LARGE)
                send_status(local, 413, ARGUS_GRPC_RESOURCE_EXHAUSTED, m, 0, NULL);
            else if (rc == ARGUS_GZIP_NOMEM)
                send_status(local, 503, ARGUS_GRPC_UNAVAILABLE, m, 1, NULL);
            else
                send_status(local, 400, ARGUS_GRPC_INVALID_ARGUMENT, m, 0, NULL);
            return;
        }
        body = plain.data;
        len = plain.len;
    }
    if (fmt == FORMAT_JSON && len && !argus_otlp_is_json(body, len)) {
        argus_buf_free(&plain);
        send_status(local, 400, ARGUS_GRPC_INVALID_ARGUMENT,
                    "otlp: body is not OTLP/JSON although Content-Type is application/json", 0,
                    NULL);
        return;
    }
    otlp_reply *rp = malloc(sizeof *rp);
    if (!rp) {
        argus_buf_free(&plain);
        send_status(local, 503, ARGUS_GRPC_UNAVAILABLE, "out of memory", 1, NULL);
        return;
    }
    *rp = *local;
    argus_ingest_result now;
    /* The format is the Content-Type's, never guessed from the bytes. */
    int pending = argus_writer_ingest(rt->writer, sig,
                                      fmt == FORMAT_JSON ? ARGUS_OTLP_JSON : ARGUS_OTLP_PROTOBUF,
                                      body, len, on_done, rp, &now);
    argus_buf_free(&plain);
    if (!pending) {
        reply_result(rp, &now);
        free(rp);
    }
}

void argus_routes_otlp(void *ctx, argus_http_request *req)
{
    argus_routes *rt = ctx;
    otlp_reply local = {.req = req, .json = 1};
    otlp_format fmt = format_of(argus_http_header_get(req, "Content-Type"));
    local.json = fmt != FORMAT_PROTOBUF; /* errors in JSON unless the client speaks protobuf */
    int origin_ok = check_origin(rt->cfg, req, &local);
    if (origin_ok == 0)
        local.origin[0] = 0;
    unsigned status;
    char allow[64];
    const argus_http_route *route = argus_http_route_match(
        req, otlp_routes, sizeof otlp_routes / sizeof otlp_routes[0], &status, allow, sizeof allow);
    if (!route && status == 405) {
        send_status(&local, 405, 12 /* UNIMPLEMENTED */, "method not allowed; use POST", 0, allow);
        return;
    }
    if (!route) {
        char m[300];
        snprintf(m, sizeof m, "no such path: %.200s (OTLP/HTTP serves /v1/traces and /v1/logs)",
                 argus_http_path(req));
        send_status(&local, 404, 5 /* NOT_FOUND */, m, 0, NULL);
        return;
    }
    switch (route->kind) {
    case OTLP_PREFLIGHT: otlp_preflight(&local, origin_ok); return;
    case OTLP_TRACES: otlp_export(rt, &local, ARGUS_SIGNAL_TRACES, fmt); return;
    case OTLP_LOGS: otlp_export(rt, &local, ARGUS_SIGNAL_LOGS, fmt); return;
    }
}

/* ---- API listener --------------------------------------------------------------------------- */
int argus_routes_add_ready_check(argus_routes *rt, argus_ready_fn fn, void *ctx)
{
    if (rt->nchecks == ARGUS_ROUTES_MAX_CHECKS)
        return -1;
    rt->checks[rt->nchecks].fn = fn;
    rt->checks[rt->nchecks].ctx = ctx;
    rt->nchecks++;
    return 0;
}

int argus_routes_listener_ready(void *http, char *reason, size_t n)
{
    return argus_http_accepting(http, reason, n);
}

static void api_json(argus_http_request *req, unsigned status, json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text) {
        argus_http_error(req, 503, "unavailable", NULL, 0, "out of memory");
        return;
    }
    argus_http_respond(req, status, CT_JSON, text, strlen(text), NULL, 0);
    free(text);
}

static void readyz(argus_routes *rt, argus_http_request *req)
{
    char reason[300];
    int ready = argus_writer_ready(rt->writer, reason, sizeof reason);
    for (size_t i = 0; ready && i < rt->nchecks; i++)
        ready = rt->checks[i].fn(rt->checks[i].ctx, reason, sizeof reason);
    if (ready)
        api_json(req, 200, json_pack("{s:s}", "status", "ready"));
    else
        api_json(req, 503, json_pack("{s:s,s:s}", "status", "not_ready", "reason", reason));
}

#define NO_UI_TEXT                                                                                 \
    "argus-server: this binary has no web UI built in (it is embedded when Node.js is present at " \
    "build time: scripts/setup, then scripts/start). The API is under /api/, health at "           \
    "/healthz.\n"

/* GET outside the API: an embedded file, else the single-page app's index.html. */
static void serve_static(argus_http_request *req)
{
    const char *path = argus_http_path(req);
    const argus_asset *a = argus_asset_find(path);
    if (!a)
        a = argus_asset_find("/index.html");
    if (a) {
        argus_http_respond_static(req, a);
        return;
    }
    if (!strcmp(path, "/")) {
        argus_http_header h[] = {{"Cache-Control", "no-cache"}};
        argus_http_respond(req, 200, "text/plain; charset=utf-8", NO_UI_TEXT, strlen(NO_UI_TEXT), h,
                           1);
        return;
    }
    argus_http_error(req, 404, "not_found", NULL, 0, "no such file: %.200s", path);
}

enum { API_HEALTHZ, API_READYZ, API_DISPATCH, API_NOT_FOUND, API_STATIC };

static const argus_http_route api_routes[] = {
    {"GET", "/healthz", API_HEALTHZ}, {"GET", "/readyz", API_READYZ},  {"*", "/api", API_DISPATCH},
    {"*", "/api/*", API_DISPATCH},    {"*", "/metrics", API_DISPATCH}, {"*", "/v1", API_NOT_FOUND},
    {"*", "/v1/*", API_NOT_FOUND},    {"GET", "/*", API_STATIC},
};

void argus_routes_api(void *ctx, argus_http_request *req)
{
    argus_routes *rt = ctx;
    const char *path = argus_http_path(req), *method = argus_http_method(req);
    unsigned status;
    char allow[64];
    const argus_http_route *route = argus_http_route_match(
        req, api_routes, sizeof api_routes / sizeof api_routes[0], &status, allow, sizeof allow);
    if (!route) {
        if (status == 405) {
            argus_http_header h[] = {{"Allow", allow}};
            argus_http_error(req, 405, "method_not_allowed", h, 1,
                             "%.16s is not allowed on %.200s; use %s", method, path, allow);
        } else
            argus_http_error(req, 404, "not_found", NULL, 0, "no route for %.16s %.200s", method,
                             path);
        return;
    }
    switch (route->kind) {
    case API_HEALTHZ: api_json(req, 200, json_pack("{s:s}", "status", "ok")); return;
    case API_READYZ: readyz(rt, req); return;
    case API_DISPATCH:
        if (rt->api_handle && rt->api_handle(rt->api, req))
            return;
        argus_http_error(req, 404, "not_found", NULL, 0, "no route for %.16s %.200s", method, path);
        return;
    case API_NOT_FOUND:
        argus_http_error(req, 404, "not_found", NULL, 0,
                         "no route for %.16s %.200s (OTLP/HTTP is served on its own port, "
                         "ARGUS_OTLP_HTTP_LISTEN)",
                         method, path);
        return;
    case API_STATIC: serve_static(req); return;
    }
}
