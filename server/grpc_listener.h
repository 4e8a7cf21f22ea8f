/* The gRPC port's own accept loop: argus_grpc (grpc_server.c) does not let grpc core listen;
 * this listener accepts, enforces caps per listener and per client address, and hands each
 * admitted socket to grpc core (grpc_server_add_channel_from_fd). Connections over a cap, or
 * arriving when the process is out of descriptors, are closed at once, so the port keeps
 * accepting whatever clients do (grpc core 1.51's own listener stops for good after one EMFILE).
 *   argus_grpc_listener *l;
 *   argus_grpc_listener_open(&l, &(argus_grpc_listener_options){.listen = "127.0.0.1:4317",
 *       .max_connections = 1000, .max_per_address = 100, .admit = hand_to_grpc, .ctx = g}, ...);
 *   argus_grpc_listener_port(l);             // the bound port (listen on port 0 picks one)
 *   argus_grpc_listener_run(l, msg, msglen); // the accept thread starts calling admit
 *   argus_grpc_listener_free(l);             // stops accepting; admitted sockets are grpc's
 * Admitted sockets belong to grpc core, which closes them itself; the listener notices a socket
 * is gone when its descriptor no longer refers to the same socket (fstat: device and inode),
 * checked at least every 250 ms and before refusing anyone at a cap. */
#ifndef ARGUS_GRPC_LISTENER_H
#define ARGUS_GRPC_LISTENER_H

#include <stddef.h>

typedef struct argus_grpc_listener argus_grpc_listener;

typedef struct argus_grpc_listener_options {
    const char *listen;       /* "host:port" (argus_config_split_listen) */
    unsigned max_connections; /* open admitted sockets at once (>= 1) */
    unsigned max_per_address; /* of those, from one client address (>= 1) */
    /* Takes an admitted, non-blocking, close-on-exec socket; called on the accept thread. */
    void (*admit)(void *ctx, int fd);
    void *ctx;
} argus_grpc_listener_options;

/* Binds and listens (no SO_REUSEPORT: a second server on the port fails here). 0, or -1 with
 * msg. */
int argus_grpc_listener_open(argus_grpc_listener **out, const argus_grpc_listener_options *o,
                             char *msg, size_t msglen);
unsigned argus_grpc_listener_port(const argus_grpc_listener *l);
/* Starts the accept thread; 0, or -1 with msg. */
int argus_grpc_listener_run(argus_grpc_listener *l, char *msg, size_t msglen);
/* 1 while the port accepts new clients, else 0 with a reason: stopped, the accept thread not
 * running its loop (stalled for over 2 s), or the listener at its connection cap. Any thread. */
int argus_grpc_listener_ready(argus_grpc_listener *l, char *reason, size_t n);
/* Admitted sockets still open (checked now). */
unsigned argus_grpc_listener_connections(argus_grpc_listener *l);
/* Closes the listening socket and stops the thread (idempotent). */
void argus_grpc_listener_stop(argus_grpc_listener *l);
/* Stops, then frees; NULL is fine. */
void argus_grpc_listener_free(argus_grpc_listener *l);

#endif
