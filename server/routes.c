/* OTLP/HTTP and API request handlers; see routes.h.
 *   curl -X POST -H 'Content-Type: application/json' -d '{"resourceSpans":[]}' \
 *        http://127.0.0.1:4318/v1/traces            -> 200 {}
 *   curl http://127.0.0.1:8080/readyz               -> 200 {"status":"ready"}
 * OTLP answers use the request's content type: Export*ServiceResponse on success, a
 * google.rpc.Status otherwise, with Retry-After when the client should come back later. */
#include "routes.h"

#include "argus_otlp.h"
#include "gzip.h"
#include "log.h"
#include "otlp_response.h"

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

/* "application/json; charset=utf-8" -> 1 for JSON, 0 for protobuf, -1 for anything else. */
static int parse_content_type(const char *ct)
{
    if (!ct)
        return -1;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if (n == strlen(CT_PROTOBUF) && strncasecmp(ct, CT_PROTOBUF, n) == 0)
        return 0;
    if (n == strlen(CT_JSON) && strncasecmp(ct, CT_JSON, n) == 0)
        return 1;
    return -1;
}

void argus_routes_otlp(void *ctx, argus_http_request *req)
{
    argus_routes *rt = ctx;
    const char *path = argus_http_path(req), *method = argus_http_method(req);
    otlp_reply local = {.req = req, .json = 1};
    int ct = parse_content_type(argus_http_header_get(req, "Content-Type"));
    local.json = ct != 0;
    int origin_ok = check_origin(rt->cfg, req, &local);
    argus_signal sig;
    if (!strcmp(path, "/v1/traces"))
        sig = ARGUS_SIGNAL_TRACES;
    else if (!strcmp(path, "/v1/logs"))
        sig = ARGUS_SIGNAL_LOGS;
    else {
        char m[300];
        snprintf(m, sizeof m, "no such path: %.200s (OTLP/HTTP serves /v1/traces and /v1/logs)",
                 path);
        send_status(&local, 404, 5 /* NOT_FOUND */, m, 0, NULL);
        return;
    }
    if (!strcmp(method, "OPTIONS")) {
        /* CORS preflight. */
        if (origin_ok != 1) {
            local.origin[0] = 0;
            send_status(&local, 403, 7 /* PERMISSION_DENIED */,
                        "origin not allowed (see ARGUS_CORS_ALLOWED_ORIGINS)", 0, NULL);
            return;
        }
        const char *req_headers = argus_http_header_get(req, "Access-Control-Request-Headers");
        argus_http_header h[MAX_HEADERS];
        size_t n = cors_headers(&local, h, 0);
        h[n++] = (argus_http_header){"Access-Control-Allow-Methods", "POST, OPTIONS"};
        h[n++] = (argus_http_header){"Access-Control-Allow-Headers",
                                     req_headers ? req_headers : "Content-Type, Content-Encoding"};
        h[n++] = (argus_http_header){"Access-Control-Max-Age", "86400"};
        argus_http_respond(req, 204, NULL, NULL, 0, h, n);
        return;
    }
    if (origin_ok == 0)
        local.origin[0] = 0;
    if (strcmp(method, "POST") != 0) {
        send_status(&local, 405, 12 /* UNIMPLEMENTED */, "method not allowed; use POST", 0,
                    "POST, OPTIONS");
        return;
    }
    if (ct < 0) {
        send_status(&local, 415, ARGUS_GRPC_INVALID_ARGUMENT,
                    "unsupported Content-Type; use application/x-protobuf or application/json", 0,
                    NULL);
        return;
    }
    if (argus_http_too_large(req)) {
        char m[128];
        snprintf(m, sizeof m, "request body is larger than %zu bytes (ARGUS_MAX_MESSAGE_SIZE)",
                 rt->cfg->max_message_size);
        send_status(&local, 413, ARGUS_GRPC_RESOURCE_EXHAUSTED, m, 0, NULL);
        return;
    }
    size_t len;
    const void *body = argus_http_body(req, &len);
    const char *enc = argus_http_header_get(req, "Content-Encoding");
    argus_buf plain;
    argus_buf_init(&plain);
    if (enc && *enc && strcasecmp(enc, "identity") != 0) {
        if (strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "deflate") != 0) {
            send_status(&local, 415, ARGUS_GRPC_INVALID_ARGUMENT,
                        "unsupported Content-Encoding; use gzip, deflate or none", 0, NULL);
            return;
        }
        char m[256];
        int rc = argus_gunzip(body, len, rt->cfg->max_message_size, &plain, m, sizeof m);
        if (rc != 0) {
            argus_buf_free(&plain);
            if (rc == ARGUS_GZIP_TOO_LARGE)
                send_status(&local, 413, ARGUS_GRPC_RESOURCE_EXHAUSTED, m, 0, NULL);
            else if (rc == ARGUS_GZIP_NOMEM)
                send_status(&local, 503, ARGUS_GRPC_UNAVAILABLE, m, 1, NULL);
            else
                send_status(&local, 400, ARGUS_GRPC_INVALID_ARGUMENT, m, 0, NULL);
            return;
        }
        body = plain.data;
        len = plain.len;
    }
    if (ct == 1 && len && !argus_otlp_is_json(body, len)) {
        argus_buf_free(&plain);
        send_status(&local, 400, ARGUS_GRPC_INVALID_ARGUMENT,
                    "otlp: body is not OTLP/JSON although Content-Type is application/json", 0,
                    NULL);
        return;
    }
    otlp_reply *rp = malloc(sizeof *rp);
    if (!rp) {
        argus_buf_free(&plain);
        send_status(&local, 503, ARGUS_GRPC_UNAVAILABLE, "out of memory", 1, NULL);
        return;
    }
    *rp = local;
    argus_ingest_result now;
    int pending = argus_writer_ingest(rt->writer, sig, body, len, on_done, rp, &now);
    argus_buf_free(&plain);
    if (!pending) {
        reply_result(rp, &now);
        free(rp);
    }
}

static void api_json(argus_http_request *req, unsigned status, const char *body)
{
    argus_http_respond(req, status, CT_JSON, body, strlen(body), NULL, 0);
}

static void api_error(argus_http_request *req, unsigned status, const char *code,
                      const char *message)
{
    argus_buf b;
    argus_buf_init(&b);
    argus_buf_appends(&b, "{\"error\":{\"code\":");
    argus_json_string(&b, code, strlen(code));
    argus_buf_appends(&b, ",\"message\":");
    argus_json_string(&b, message, strlen(message));
    argus_buf_appends(&b, "}}");
    argus_http_respond(req, status, CT_JSON, b.data, b.len, NULL, 0);
    argus_buf_free(&b);
}

void argus_routes_api(void *ctx, argus_http_request *req)
{
    argus_routes *rt = ctx;
    const char *path = argus_http_path(req), *method = argus_http_method(req);
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(path, "/healthz") || !strcmp(path, "/readyz")) {
        if (!is_get) {
            api_error(req, 405, "method_not_allowed", "use GET");
            return;
        }
        if (!strcmp(path, "/healthz")) {
            api_json(req, 200, "{\"status\":\"ok\"}");
            return;
        }
        char reason[300];
        if (argus_writer_ready(rt->writer, reason, sizeof reason)) {
            api_json(req, 200, "{\"status\":\"ready\"}");
            return;
        }
        argus_buf b;
        argus_buf_init(&b);
        argus_buf_appends(&b, "{\"status\":\"not_ready\",\"reason\":");
        argus_json_string(&b, reason, strlen(reason));
        argus_buf_appendc(&b, '}');
        argus_http_respond(req, 503, CT_JSON, b.data, b.len, NULL, 0);
        argus_buf_free(&b);
        return;
    }
    char m[300];
    snprintf(m, sizeof m, "no route for %.16s %.200s", method, path);
    api_error(req, 404, "not_found", m);
}
