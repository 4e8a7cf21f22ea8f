/* The request handlers of argus-server's two HTTP listeners (served by http.c):
 *   OTLP/HTTP (:4318): POST /v1/traces, POST /v1/logs (protobuf or JSON, gzip), CORS preflight;
 *   API (:8080): GET /healthz, GET /readyz, and a JSON 404 for everything else (for now).
 *   argus_routes rt = {.cfg = &cfg, .writer = w};
 *   argus_http_options o = {..., .handler = argus_routes_otlp, .ctx = &rt};
 */
#ifndef ARGUS_ROUTES_H
#define ARGUS_ROUTES_H

#include "config.h"
#include "http.h"
#include "writer.h"

typedef struct argus_routes {
    const argus_config *cfg; /* borrowed */
    argus_writer *writer;    /* borrowed */
} argus_routes;

void argus_routes_otlp(void *routes, argus_http_request *req);
void argus_routes_api(void *routes, argus_http_request *req);

#endif
