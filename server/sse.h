/* The live-tail hub behind GET /api/logs/stream: the writer says which log ids it committed
 * (argus_sse_hub_publish, from its on-commit callback: never blocks), one hub thread reads the
 * new rows each client's filter selects through its own read-only connection, and each client
 * gets them as Server-Sent Events in a bounded buffer (a client that cannot keep up is told how
 * many records it skipped).
 *   argus_sse_hub *h; argus_sse_hub_start(&h, cfg, &opts, msg, sizeof msg);
 *   argus_writer_on_commit(w, on_commit, h);   // on_commit calls argus_sse_hub_publish
 *   argus_sse_subscribe(h, req, "SELECT l.id, <json> FROM log_records l WHERE l.id > ?1 "
 *                       "AND l.id <= ?2 AND l.service_name = ? ORDER BY l.id", args, 1, after_id,
 * ...); The client's query must select (id, event JSON text) for ids in (?1, ?2], in id order; its
 * other parameters (?3...) are the values given. The hub appends " LIMIT n" (it reads a range in
 * steps), so the query ends with its ORDER BY and has no LIMIT of its own; clients with the same
 * query and values share its rows. */
#ifndef ARGUS_SSE_H
#define ARGUS_SSE_H

#include "config.h"
#include "http.h"

#include <stddef.h>
#include <stdint.h>

typedef struct argus_sse_hub argus_sse_hub;

typedef struct argus_sse_options {
    unsigned max_clients;  /* streams at once; more are refused */
    unsigned keepalive_ms; /* period of ": keep-alive" comments */
    unsigned statement_ms; /* time limit of each query */
    size_t client_buffer;  /* bytes of events waiting for one client */
} argus_sse_options;

/* A bound value of a client's query. */
typedef struct argus_sse_value {
    enum { ARGUS_SSE_NULL, ARGUS_SSE_INT, ARGUS_SSE_FLOAT, ARGUS_SSE_TEXT } type;
    int64_t i;
    double d;
    const char *s; /* copied by argus_sse_subscribe */
    size_t len;
} argus_sse_value;

int argus_sse_hub_start(argus_sse_hub **out, const argus_config *cfg, const argus_sse_options *o,
                        char *msg, size_t msglen);
/* Logs up to last_id are committed. Thread-safe, fast, never blocks on a client. */
void argus_sse_hub_publish(argus_sse_hub *h, int64_t last_id);
/* Every log was deleted and ids start again at 1. */
void argus_sse_hub_reset(argus_sse_hub *h);
/* Answers req with an event stream of the rows query selects after after_id. Returns 0 (the
 * request is answered), or -1 with msg when it was not (too many clients: the caller answers
 * 503; an invalid query: 500). */
int argus_sse_subscribe(argus_sse_hub *h, argus_http_request *req, const char *query,
                        const argus_sse_value *args, size_t nargs, int64_t after_id, int *status,
                        char *msg, size_t msglen);
/* Current number of streams. */
unsigned argus_sse_clients(argus_sse_hub *h);
/* Ends every stream (their connections close cleanly) and stops the hub thread. */
void argus_sse_hub_stop(argus_sse_hub *h);
void argus_sse_hub_free(argus_sse_hub *h);

#endif
