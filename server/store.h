/* The storage driver the writer thread talks to: one write connection, transactions made of
 * decoded OTLP requests. Only SQLite exists today (store_sqlite.c); MySQL will add a second.
 *   argus_store *st; if (argus_store_open(&st, cfg, msg, sizeof msg) != 0) ...
 *   argus_store_begin(st, ...); argus_store_put(st, ARGUS_SIGNAL_TRACES, &traces, &n, ...);
 *   argus_store_commit(st, ...);   // or argus_store_rollback(st)
 * Used by exactly one thread at a time. */
#ifndef ARGUS_STORE_H
#define ARGUS_STORE_H

#include "config.h"
#include "stats.h"

#include <stddef.h>

/* Results of the calls below. */
enum {
    ARGUS_STORE_OK = 0,
    ARGUS_STORE_RETRY = -1,  /* the database is unavailable (locked, full, read-only, I/O error):
                                the transaction is lost; retrying later may succeed */
    ARGUS_STORE_REJECT = -2, /* only this request cannot be stored (put only); the transaction
                                goes on without it */
};

typedef struct argus_store argus_store;

/* Opens (creating the file and its directory when missing) and migrates the database. On
 * failure returns ARGUS_STORE_RETRY with msg set; *out is then NULL. */
int argus_store_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen);
void argus_store_close(argus_store *st);

int argus_store_begin(argus_store *st, char *msg, size_t msglen);
/* Stores one decoded request (argus_otlp_traces* or argus_otlp_logs*, borrowed) inside the open
 * transaction; *stored gets the number of spans / log records inserted. */
int argus_store_put(argus_store *st, argus_signal sig, void *decoded, size_t *stored, char *msg,
                    size_t msglen);
int argus_store_commit(argus_store *st, char *msg, size_t msglen);
void argus_store_rollback(argus_store *st);
/* 1 when the connection should be closed and opened again (after I/O errors, a deleted or
 * replaced file, a read-only open), else 0. */
int argus_store_broken(const argus_store *st);

/* Opens its own read-only connection and runs a trivial query: 0 when the database answers,
 * else -1 with msg. Safe from any thread. */
int argus_store_ping(const argus_config *cfg, char *msg, size_t msglen);

#endif
