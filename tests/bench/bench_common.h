/* Helpers shared by the storage benchmarks (bench_otlp.c, bench_logs_insert.c): a clock, a fresh
 * database as the server runs it, and the timed run of the ingest statements.
 *   sqlite3 *db = bench_open_db("/tmp/x.db");
 *   double rate = bench_ingest(db, "spans", &traces, ARGUS_POINTER_TRACES, 200, 1000); */
#ifndef ARGUS_BENCH_COMMON_H
#define ARGUS_BENCH_COMMON_H

#include "argus_otlp_rows.h"
#include "argus_schema.h"
#include "argus_signal.h"
#include "argus_sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench: %s: %s\n", sql, err);
        exit(1);
    }
}

/* A prepared statement, or the reason on stderr and exit 1. */
static inline sqlite3_stmt *bench_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: %s\n  in: %.200s\n", sqlite3_errmsg(db), sql);
        exit(1);
    }
    return st;
}

/* Steps st, which must run to completion, and resets it; otherwise the reason on stderr and
 * exit 1. */
static inline void bench_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "bench: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

/* Binds a rendered column value (integer, NULL or text; the text is not copied) as parameter p. */
static inline void bench_bind_value(sqlite3_stmt *st, int p, const argus_value *v)
{
    if (v->type == ARGUS_VAL_INT)
        sqlite3_bind_int64(st, p, v->i);
    else if (v->type == ARGUS_VAL_NULL)
        sqlite3_bind_null(st, p);
    else
        sqlite3_bind_text(st, p, v->s, (int)v->n, SQLITE_STATIC);
}

/* The columns span_records / log_records store (argus_signal_stored_columns): their numbers in
 * the core's item row and their names as an INSERT column list. */
typedef struct bench_columns {
    int map[64];
    int n;
    char names[2048];
} bench_columns;

static inline void bench_stored_columns(argus_signal sig, bench_columns *c)
{
    const argus_signal_desc *d = argus_signal_get(sig);
    c->n = argus_signal_stored_columns(d, c->map, (int)(sizeof c->map / sizeof c->map[0]));
    size_t len = 0;
    c->names[0] = 0;
    for (int i = 0; i < c->n; i++)
        len += (size_t)snprintf(c->names + len, sizeof c->names - len, "%s%s", i ? ", " : "",
                                d->column_names[c->map[i]]);
}

/* A fresh database at path with the Argus schema, WAL and synchronous=NORMAL. */
static inline sqlite3 *bench_open_db(const char *path)
{
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        exit(1);
    char *err = NULL;
    if (argus_sqlite_register_all(db, &err) != SQLITE_OK || argus_schema_migrate(db, &err)) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    bench_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    return db;
}

/* Runs every sql/sqlite/ingest statement of `kind` ("spans"/"logs") nreq times with the decoded
 * payload bound as a pointer of `ptype`, 10 requests per transaction, as the server's writer
 * does; returns items per second for `items` items per request. */
static inline double bench_ingest(sqlite3 *db, const char *kind, void *decoded, const char *ptype,
                                  int nreq, size_t items)
{
    int nst = 0;
    sqlite3_stmt *ingest[16];
    for (const argus_ingest_statement *s = argus_sqlite_ingest; s->name && nst < 16; s++)
        if (strcmp(s->kind, kind) == 0 &&
            sqlite3_prepare_v2(db, s->sql, -1, &ingest[nst++], NULL) != SQLITE_OK) {
            fprintf(stderr, "bench: %s: %s\n", s->name, sqlite3_errmsg(db));
            exit(1);
        }
    double t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        if (i % 10 == 0)
            bench_exec(db, "BEGIN");
        for (int k = 0; k < nst; k++) {
            sqlite3_bind_pointer(ingest[k], 1, decoded, ptype, NULL);
            bench_step_done(db, ingest[k], "ingest");
        }
        if (i % 10 == 9 || i == nreq - 1)
            bench_exec(db, "COMMIT");
    }
    double rate = (double)items * nreq / (bench_now() - t0);
    for (int k = 0; k < nst; k++)
        sqlite3_finalize(ingest[k]);
    return rate;
}

#endif
