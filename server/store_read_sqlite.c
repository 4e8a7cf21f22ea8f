/* SQLite implementation of the read side (store_read.h; the SQLite driver's read slot,
 * argus_store_read_sqlite): a read-only connection with the Argus functions registered, PRAGMA
 * query_only, a busy timeout, a progress handler enforcing each statement's time limit, and an LRU
 * cache of prepared statements. argus_read *rd; argus_read_open(&rd, cfg,
 * &(argus_read_limits){.statement_ms = 5000}, ...); (argus_read_open finds this table through the
 * store driver of ARGUS_DB.)
 */
#include "store_read.h"

#include "argus_sqlite.h"
#include "thread.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Virtual machine steps between two looks at the clock. */
#define PROGRESS_STEPS 10000
/* Each read connection caches 8 MiB of pages (PRAGMA cache_size, negative: KiB). With SQLite's
 * default of 2,000 KiB (~240 of our 8 KiB pages) every first page of /api/traces read all its
 * pages again with pread(): ~25 % of that request's CPU. */
#define READ_PRAGMAS "PRAGMA query_only = 1; PRAGMA cache_size = -8192"

typedef struct sqlite_read sqlite_read;

typedef struct sqlite_stmt {
    argus_read_entry e; /* first: the cache's part */
    sqlite_read *rd;
    sqlite3_stmt *st;
} sqlite_stmt;

struct sqlite_read {
    argus_read base;
    sqlite3 *db;
    int64_t deadline_ns; /* of the running statement; 0 = none */
    int timed_out;
};

static int on_progress(void *ctx)
{
    sqlite_read *rd = ctx;
    if (rd->deadline_ns && argus_mono_ns() > rd->deadline_ns) {
        rd->timed_out = 1;
        return 1; /* interrupts the statement */
    }
    return 0;
}

/* The one place SQLite results become read results (with the message kept). */
static int fail(sqlite_read *rd, int rc)
{
    if (rd->timed_out) {
        snprintf(rd->base.err, sizeof rd->base.err, "the query ran longer than the limit of %u ms",
                 rd->base.limits.statement_ms);
        return ARGUS_READ_TIMEOUT;
    }
    snprintf(rd->base.err, sizeof rd->base.err, "%s", sqlite3_errmsg(rd->db));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ARGUS_READ_BUSY;
    case SQLITE_NOMEM: return ARGUS_READ_NOMEM;
    default: return ARGUS_READ_ERROR;
    }
}

static int sqlread_open(argus_read *base, const argus_config *cfg, char *msg, size_t msglen)
{
    sqlite_read *rd = (sqlite_read *)base;
    int rc =
        sqlite3_open_v2(cfg->db_path, &rd->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "read: cannot open %s: %s", cfg->db_path,
                 rd->db ? sqlite3_errmsg(rd->db) : sqlite3_errstr(rc));
        return ARGUS_READ_ERROR;
    }
    sqlite3_busy_timeout(rd->db, (int)rd->base.limits.busy_ms);
    char *err = NULL;
    rc = argus_sqlite_register_all(rd->db, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(rd->db, READ_PRAGMAS, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "read: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return ARGUS_READ_ERROR;
    }
    sqlite3_progress_handler(rd->db, PROGRESS_STEPS, on_progress, rd);
    return ARGUS_READ_OK;
}

static void sqlread_close(argus_read *base)
{
    sqlite3_close_v2(((sqlite_read *)base)->db);
}

static int sqlread_prepare(argus_read_stmt *base, const char *sql, int len, int cached)
{
    sqlite_stmt *s = (sqlite_stmt *)base;
    sqlite_read *rd = (sqlite_read *)base->rd;
    s->rd = rd;
    const char *tail = NULL;
    rd->timed_out = 0;
    int rc =
        sqlite3_prepare_v3(rd->db, sql, len, cached ? SQLITE_PREPARE_PERSISTENT : 0, &s->st, &tail);
    if (rc != SQLITE_OK)
        return fail(rd, rc);
    if (!s->st) {
        snprintf(rd->base.err, sizeof rd->base.err, "the SQL text holds no statement");
        return ARGUS_READ_ERROR;
    }
    for (; tail && tail < sql + len; tail++) {
        if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r' && *tail != ';') {
            snprintf(rd->base.err, sizeof rd->base.err,
                     "one statement at a time: text follows the first");
            return ARGUS_READ_ERROR;
        }
    }
    if (!sqlite3_stmt_readonly(s->st)) {
        snprintf(rd->base.err, sizeof rd->base.err, "only reading statements are allowed");
        return ARGUS_READ_ERROR;
    }
    return ARGUS_READ_OK;
}

static int bound(sqlite_stmt *st, int rc)
{
    return rc == SQLITE_OK ? ARGUS_READ_OK : fail(st->rd, rc);
}

static int sqlread_bind_null(argus_read_stmt *base, int i)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return bound(st, sqlite3_bind_null(st->st, i));
}

static int sqlread_bind_int64(argus_read_stmt *base, int i, int64_t v)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return bound(st, sqlite3_bind_int64(st->st, i, v));
}

static int sqlread_bind_double(argus_read_stmt *base, int i, double v)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return bound(st, sqlite3_bind_double(st->st, i, v));
}

static int sqlread_bind_text(argus_read_stmt *base, int i, const char *s, int len)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return bound(st, sqlite3_bind_text(st->st, i, s, len, SQLITE_TRANSIENT));
}

static int sqlread_bind_blob(argus_read_stmt *base, int i, const void *p, int len)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return bound(st, sqlite3_bind_blob(st->st, i, p, len, SQLITE_TRANSIENT));
}

static int sqlread_param_count(argus_read_stmt *base)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return sqlite3_bind_parameter_count(st->st);
}

static int sqlread_step(argus_read_stmt *base)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    sqlite_read *rd = st->rd;
    if (!sqlite3_stmt_busy(st->st)) {
        rd->timed_out = 0;
        rd->deadline_ns = rd->base.limits.statement_ms
                              ? argus_mono_ns() + (int64_t)rd->base.limits.statement_ms * 1000000
                              : 0;
    }
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return ARGUS_READ_ROW;
    if (rc == SQLITE_DONE)
        return ARGUS_READ_DONE;
    return fail(rd, rc);
}

static int sqlread_column_count(argus_read_stmt *base)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return sqlite3_column_count(st->st);
}

static const char *sqlread_column_name(argus_read_stmt *base, int i)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    const char *n = sqlite3_column_name(st->st, i);
    return n ? n : "";
}

static argus_read_type sqlread_column_type(argus_read_stmt *base, int i)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    switch (sqlite3_column_type(st->st, i)) {
    case SQLITE_INTEGER: return ARGUS_READ_INT;
    case SQLITE_FLOAT: return ARGUS_READ_FLOAT;
    case SQLITE_TEXT: return ARGUS_READ_TEXT;
    case SQLITE_BLOB: return ARGUS_READ_BLOB;
    default: return ARGUS_READ_NULL;
    }
}

static int64_t sqlread_int64(argus_read_stmt *base, int i)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return sqlite3_column_int64(st->st, i);
}

static double sqlread_double(argus_read_stmt *base, int i)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    return sqlite3_column_double(st->st, i);
}

static const char *sqlread_text(argus_read_stmt *base, int i, size_t *len)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    const char *s = (const char *)sqlite3_column_text(st->st, i);
    *len = (size_t)sqlite3_column_bytes(st->st, i);
    return s ? s : "";
}

static const void *sqlread_blob(argus_read_stmt *base, int i, size_t *len)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    const void *p = sqlite3_column_blob(st->st, i);
    *len = (size_t)sqlite3_column_bytes(st->st, i);
    return p;
}

static void sqlread_reset(argus_read_stmt *base)
{
    sqlite_stmt *st = (sqlite_stmt *)base;
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
    st->rd->deadline_ns = 0;
}

static void sqlread_release(argus_read_stmt *base)
{
    sqlite3_finalize(((sqlite_stmt *)base)->st);
}

const argus_store_read_driver argus_store_read_sqlite =
    ARGUS_STORE_READ_DRIVER("sqlite", sqlread, sqlite_read, sqlite_stmt);
