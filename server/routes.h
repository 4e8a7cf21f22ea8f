/* The request handlers of argus-server's two HTTP listeners (served by http.c), each driven by a
 * route table (method, pattern, kind) in routes.c:
 *   OTLP/HTTP (:4318): POST /v1/traces, POST /v1/logs (protobuf or JSON by Content-Type, gzip),
 *     OPTIONS for CORS preflight; other paths 404 and other methods 405, as google.rpc.Status.
 *   API (:8080): GET /healthz, GET /readyz; every /api/... path and /metrics go to the API
 *     dispatcher (api_handle) or get a JSON 404; GET of an embedded asset serves it, any other
 *     GET serves /index.html (the single-page app), or, without a UI, "/" says how to get one.
 *   argus_routes rt = {.cfg = &cfg, .writer = w};
 *   argus_http_options o = {..., .handler = argus_routes_otlp, .ctx = &rt};
 *   argus_routes_add_ready_check(&rt, grpc_ready, grpc);   // /readyz asks it too
 */
#ifndef ARGUS_ROUTES_H
#define ARGUS_ROUTES_H

#include "config.h"
#include "http.h"
#include "writer.h"

/* 1 when ready, else 0 with a reason (for /readyz); must answer fast, from any thread. */
typedef int (*argus_ready_fn)(void *ctx, char *reason, size_t n);

#define ARGUS_ROUTES_MAX_CHECKS 8

typedef struct argus_routes {
    const argus_config *cfg; /* borrowed */
    argus_writer *writer;    /* borrowed */
    /* The API: takes /api/... and /metrics requests (1 = taken, it answers; 0 = not an API
     * route, answered 404 here). NULL: every such request gets a JSON 404. */
    int (*api_handle)(void *api, argus_http_request *req);
    void *api;
    /* Extra /readyz conditions (listeners, gRPC, ...), in the order added. */
    struct {
        argus_ready_fn fn;
        void *ctx;
    } checks[ARGUS_ROUTES_MAX_CHECKS];
    size_t nchecks;
} argus_routes;

/* Adds a /readyz condition; 0, or -1 when the table is full. Call before the listeners start. */
int argus_routes_add_ready_check(argus_routes *rt, argus_ready_fn fn, void *ctx);
/* An argus_ready_fn for an HTTP listener (ctx: argus_http *): ready while it accepts. */
int argus_routes_listener_ready(void *http, char *reason, size_t n);

void argus_routes_otlp(void *routes, argus_http_request *req);
void argus_routes_api(void *routes, argus_http_request *req);

#endif
