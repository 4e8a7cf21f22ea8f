/* The OTLP/gRPC receiver (TraceService/Export and LogsService/Export) on the gRPC core C API,
 * the only file that includes <grpc/grpc.h>.
 *   argus_grpc *g; if (argus_grpc_start(&g, &cfg, writer, msg, sizeof msg) != 0) ...
 *   ... argus_grpc_stop_accepting(g); argus_writer_stop(writer); argus_grpc_free(g, 10000);
 * Requests are decoded on the receiver's threads and answered when the writer commits them. */
#ifndef ARGUS_GRPC_SERVER_H
#define ARGUS_GRPC_SERVER_H

#include "config.h"
#include "writer.h"

#include <stddef.h>

typedef struct argus_grpc argus_grpc;

/* Listens on cfg->grpc_listen (which must not be empty) with its own accept loop
 * (grpc_listener.h), at most cfg->grpc_max_connections connections and
 * cfg->grpc_max_per_address from one client address. Call with SIGINT/SIGTERM blocked: the
 * threads started here inherit the mask. Returns 0, or -1 with msg. */
int argus_grpc_start(argus_grpc **out, const argus_config *cfg, argus_writer *writer, char *msg,
                     size_t msglen);

/* An argus_ready_fn (routes.h) for /readyz: 1 while the gRPC port accepts new clients, else 0
 * with a reason (stopped, accept loop stalled, at its connection cap). Any thread. */
int argus_grpc_ready(void *g, char *reason, size_t n);

/* Stops accepting calls; calls already received still get their answer. */
void argus_grpc_stop_accepting(argus_grpc *g);

/* Waits up to timeout_ms for in-flight calls to finish, cancels the rest, stops the threads and
 * frees everything (grpc_shutdown included). */
void argus_grpc_free(argus_grpc *g, unsigned timeout_ms);

#endif
