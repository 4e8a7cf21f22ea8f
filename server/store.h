/* Storage drivers: one table of functions per database backend, chosen at run time from the
 * scheme of ARGUS_DB ("sqlite:" here; "mysql://" once store_mysql.c is built in). The writer
 * thread uses the write side and the maintenance side; the API's read side is described by
 * server/store_read.h and hangs off the same table (driver->read), so one driver is one backend.
 *   argus_store *st; if (argus_store_open(&st, cfg, msg, sizeof msg) != 0) ...
 *   argus_store_begin(st, ...); argus_store_put(st, ARGUS_SIGNAL_TRACES, &traces, &put, ...);
 *   argus_store_commit(st, ...);   // or argus_store_rollback(st)
 * A store is used by exactly one thread at a time; a pinger (argus_store_ping) by many. */
#ifndef ARGUS_STORE_H
#define ARGUS_STORE_H

#include "config.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

/* Results of the calls below. */
enum {
    ARGUS_STORE_OK = 0,
    ARGUS_STORE_RETRY = -1,  /* the database is unavailable (locked, full, read-only, I/O error):
                                the transaction is lost; retrying later may succeed */
    ARGUS_STORE_REJECT = -2, /* only this request cannot be stored (put only); the transaction
                                goes on without it */
    ARGUS_STORE_BUSY = -3,   /* (job calls only) another connection holds the lock: the
                                transaction is lost, the connection is fine; try later */
};

/* Row ids a transaction wrote for one signal: log_records.id / span_records.id, both ends
 * included; first == 0 when none. Ids of one put are consecutive. */
typedef struct argus_id_range {
    int64_t first, last;
} argus_id_range;

/* What one put did. */
typedef struct argus_put_result {
    size_t stored;      /* spans / log records inserted */
    argus_id_range ids; /* their row ids */
    int duplicate;      /* 1: an identical request was stored before; nothing was inserted */
} argus_put_result;

/* One chunk of a purge (maintenance side). Spans go with their whole trace (the traces summary
 * row decides the age: its start time), logs by time_unix_nano, rollup minutes that ended
 * before the cut-off, log_patterns counts decremented (patterns left with no line removed), the
 * log search index follows by trigger, resources no longer used removed when nothing is left,
 * and the keys of requests stored before the cut-off (duplicate detection) forgotten. */
typedef struct argus_purge_spec {
    int all;             /* 1: everything (DELETE /api/data); before_ns is then ignored */
    int64_t before_ns;   /* else: data older than this (unix ns) */
    unsigned signals;    /* bit (1u << argus_signal); 0 means every signal */
    unsigned chunk_rows; /* rows per transaction (0: the driver's default) */
} argus_purge_spec;

typedef struct argus_purge_counts {
    uint64_t spans, traces, logs, rollups, patterns, requests;
} argus_purge_counts;

/* A statement of a background job (the insight worker), embedded from sql/<dialect>/jobs/. */
typedef struct argus_job_statement {
    const char *job;  /* "insights" */
    const char *name; /* file name, e.g. "insights_3_tag.sql"; a job's statements in order */
    const char *sql;
} argus_job_statement;

typedef struct argus_store argus_store;
typedef struct argus_store_pinger argus_store_pinger;
typedef struct argus_store_job argus_store_job;
struct argus_store_read_driver; /* server/store_read.h (the API's read side) */

typedef struct argus_store_driver {
    const char *scheme; /* "sqlite": ARGUS_DB starts with "<scheme>:" */
    const char *name;   /* for logs and /api/system */
    /* 1: a database server (MariaDB/MySQL) that may come up after argus-server: an open that
     * fails with ARGUS_STORE_RETRY at start is tried again with back-off, not fatal (writer.c) */
    int network;
    /* write side (the writer thread) */
    int (*open)(argus_store **out, const argus_config *cfg, char *msg, size_t msglen);
    void (*close)(argus_store *st);
    int (*begin)(argus_store *st, char *msg, size_t msglen);
    int (*put)(argus_store *st, argus_signal sig, void *decoded, const uint8_t key[16],
               argus_put_result *out, char *msg, size_t msglen);
    int (*commit)(argus_store *st, char *msg, size_t msglen);
    void (*rollback)(argus_store *st);
    int (*broken)(const argus_store *st);
    /* waits for a locked database (busy timeout) give up once *deadline_ns (CLOCK_MONOTONIC ns,
     * 0 = none) has passed; the writer sets it at shutdown from another thread */
    void (*set_wait_deadline)(argus_store *st, const _Atomic int64_t *deadline_ns);
    /* runs one statement that returns no rows, inside the open transaction */
    int (*exec)(argus_store *st, const char *sql, char *msg, size_t msglen);
    /* the small write argus_store_probe commits: counts up the argus_jobs row 'probe' */
    const char *probe_sql;
    /* maintenance: one chunk in its own transaction; *more = 1 while rows are left */
    int (*purge_chunk)(argus_store *st, const argus_purge_spec *spec, argus_purge_counts *add,
                       int *more, char *msg, size_t msglen);
    /* health: a connection kept for /readyz, opened on first use, reopened after a failure */
    int (*ping)(argus_store_pinger **p, const argus_config *cfg, char *msg, size_t msglen);
    void (*pinger_free)(argus_store_pinger *p);
    /* background jobs: their statements, NULL-terminated (NULL: this backend runs none) */
    const argus_job_statement *jobs;
    /* A job's own connection (the insight worker's), with its n statements (from jobs above)
     * prepared once. step runs statement i with args bound to ?1..?nargs to completion; *out
     * (unless NULL) gets column 0 of its first row; what names it in msg. Results: OK, BUSY, or
     * RETRY (close the connection, open a new one later). rollback is a no-op outside a
     * transaction. */
    int (*job_open)(argus_store_job **out, const argus_config *cfg, const char *const *sql,
                    size_t n, char *msg, size_t msglen);
    int (*job_begin)(argus_store_job *j, char *msg, size_t msglen);
    int (*job_step)(argus_store_job *j, size_t i, const int64_t *args, size_t nargs, int64_t *out,
                    const char *what, char *msg, size_t msglen);
    int (*job_commit)(argus_store_job *j, char *msg, size_t msglen);
    void (*job_rollback)(argus_store_job *j);
    void (*job_close)(argus_store_job *j);
    /* read side: filled in by the driver that has one (NULL until then) */
    const struct argus_store_read_driver *read;
} argus_store_driver;

/* Every backend's store starts with this. */
struct argus_store {
    const argus_store_driver *driver;
};

extern const argus_store_driver argus_store_sqlite;
/* store_mysql.c (ARGUS_HAVE_MYSQL builds): mysql:// and mariadb:// URLs. */
extern const argus_store_driver argus_store_mysql, argus_store_mariadb;

/* Adds a driver (borrowed, must outlive every store) ahead of the built-in ones; before any
 * thread uses the registry. 0, or -1 when full. Tests wrap a real driver with it. */
int argus_store_driver_add(const argus_store_driver *d);

/* The SQLite connection of a store of the SQLite driver (tests, tools); NULL for other stores. */
struct sqlite3;
struct sqlite3 *argus_store_sqlite_db(argus_store *st);

/* The driver for a database URL; NULL with msg ("mysql backend not built in this binary", or
 * an unknown scheme) when there is none. */
const argus_store_driver *argus_store_driver_for(const char *db_url, char *msg, size_t msglen);

/* Opens (creating the file and its directory when missing) and migrates the database of
 * cfg->db_url. On failure returns ARGUS_STORE_RETRY (or REJECT when it can never work, e.g. no
 * driver) with msg set; *out is then NULL. */
int argus_store_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen);

static inline void argus_store_close(argus_store *st)
{
    if (st)
        st->driver->close(st);
}
static inline int argus_store_begin(argus_store *st, char *msg, size_t msglen)
{
    return st->driver->begin(st, msg, msglen);
}
/* Stores one decoded request (argus_otlp_traces* or argus_otlp_logs*, borrowed) inside the open
 * transaction. key: a digest of the request's bytes (NULL: no duplicate check); a request whose
 * key was stored before stores nothing and reports duplicate = 1, so a retried Export is stored
 * once, also across restarts. */
static inline int argus_store_put(argus_store *st, argus_signal sig, void *decoded,
                                  const uint8_t key[16], argus_put_result *out, char *msg,
                                  size_t msglen)
{
    return st->driver->put(st, sig, decoded, key, out, msg, msglen);
}
static inline int argus_store_commit(argus_store *st, char *msg, size_t msglen)
{
    return st->driver->commit(st, msg, msglen);
}
static inline void argus_store_rollback(argus_store *st)
{
    if (st)
        st->driver->rollback(st);
}
/* 1 when the connection should be closed and opened again (after I/O errors, a deleted or
 * replaced file, a read-only open), else 0. */
static inline int argus_store_broken(const argus_store *st)
{
    return st->driver->broken(st);
}
/* Commits a small write of its own (begin, the driver's probe_sql, commit; rolled back when a
 * step fails): only a commit proves the database writable again. */
int argus_store_probe(argus_store *st, char *msg, size_t msglen);
/* One purge chunk, in its own transaction: what it deleted is added to *add once committed (a
 * chunk that failed was rolled back, whatever its statements had counted). */
static inline int argus_store_purge_chunk(argus_store *st, const argus_purge_spec *spec,
                                          argus_purge_counts *add, int *more, char *msg,
                                          size_t msglen)
{
    argus_purge_counts c = {0};
    int res = st->driver->purge_chunk(st, spec, &c, more, msg, msglen);
    if (res == ARGUS_STORE_OK) {
        add->spans += c.spans, add->traces += c.traces, add->logs += c.logs;
        add->rollups += c.rollups, add->patterns += c.patterns, add->requests += c.requests;
    }
    return res;
}

#endif
