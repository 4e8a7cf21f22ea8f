/* The REST API dispatcher: every /api/... request and /metrics, answered by Lua route handlers
 * (lua/ embedded at build time, plus the files of ARGUS_LUA_DIR, reloaded when they change) on
 * a bounded pool of worker threads, each with its own Lua state and read-only connection. The
 * HTTP threads only queue requests; all workers busy and the queue full: 503 + Retry-After.
 *   argus_api *api; argus_api_start(&api, &cfg, writer, msg, sizeof msg);
 *   routes.api_handle = (int (*)(void *, argus_http_request *))argus_api_handle; routes.api = api;
 *   ... argus_api_stop(api); argus_api_free(api);
 * docs/api.md lists the routes, docs/lua.md the handler interface. */
#ifndef ARGUS_API_H
#define ARGUS_API_H

#include "config.h"
#include "http.h"
#include "writer.h"

#include <stddef.h>
#include <stdint.h>

typedef struct argus_api argus_api;

/* Limits of the API; argus_api_start fills them from the configuration (defaults in brackets). */
typedef struct argus_api_options {
    unsigned workers;          /* [one per CPU, at least 2] threads running handlers */
    unsigned queue;            /* [64] requests waiting for a worker */
    size_t lua_memory;         /* [64 MiB] bytes per Lua state */
    uint64_t lua_instructions; /* [100,000,000] Lua instructions per request */
    unsigned statement_ms;     /* [10000] longest SQL statement */
    size_t max_rows;           /* [100000] rows db.rows may return */
    char lua_dir[1024];        /* [""] directory of user route files */
    unsigned reload_ms;        /* [250] how often lua_dir is checked for changes */
    unsigned sse_max_clients;  /* [256] live-tail streams at once */
    unsigned sse_keepalive_ms; /* [15000] keep-alive comment period of streams */
} argus_api_options;

/* Starts the workers (each opens its read connection) and loads the routes. The embedded
 * routes must load; a failing user file is logged and skipped. w (borrowed) is used for data
 * management routes and may be NULL. Returns 0, or -1 with msg. */
int argus_api_start(argus_api **out, const argus_config *cfg, argus_writer *w, char *msg,
                    size_t msglen);
/* The same with explicit options (tests, benchmarks). */
int argus_api_start_with(argus_api **out, const argus_config *cfg, argus_writer *w,
                         const argus_api_options *o, char *msg, size_t msglen);
/* 1 when the request is an API request (/api/... or /metrics): it is then answered later (or
 * now, 503, when the queue is full). 0: not an API path, the caller answers it. */
int argus_api_handle(argus_api *a, argus_http_request *r);
/* Answers every queued request with 503 and joins the workers; new requests get 503. */
void argus_api_stop(argus_api *a);
void argus_api_free(argus_api *a);

#endif
