/* SQLite storage driver for the writer thread; see store.h.
 *   ARGUS_DB=sqlite:./data/argus.db  ARGUS_SQLITE_SYNCHRONOUS=NORMAL  argus-server
 * One connection in WAL mode with the Argus extension registered; each request runs the ingest
 * statements of sql/sqlite/ingest/ bound to its already decoded payload (sqlite3_bind_pointer),
 * inside a savepoint so one bad request never costs the rest of the batch.
 * Checkpoints run in a thread of their own (with its own connection): the writer only appends to
 * the WAL, and copying the WAL into the database file (and its fsync) happens on another core.
 * When that thread falls behind, the writer waits for it at the next commit, so the WAL stays
 * bounded (CKPT_WAIT_BYTES); after CKPT_IDLE_MS without commits the WAL file is truncated.
 * New databases get 8 KiB pages (PAGE_SIZE): measured 3-9% more rows/s than SQLite's 4 KiB. */
#include "store.h"

#include "argus_otlp.h"
#include "argus_schema.h"
#include "argus_sqlite.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_STMTS 16
/* WAL size at which the checkpointer starts copying it into the database, and at which the
 * writer waits for it (up to CKPT_WAIT_MS) instead of growing the WAL further. */
#define CKPT_START_BYTES ((int64_t)8 << 20)
/* Each wait costs the writer ~45 ms (the last copy and its fsync): measured 128 MiB 128-130k
 * spans/s, 256 MiB 137k, 512 MiB 140-143k. */
#define CKPT_WAIT_BYTES ((int64_t)512 << 20)
#define CKPT_WAIT_MS 5000
/* After this long without commits the WAL file is truncated (it keeps its largest size
 * otherwise, until the server stops). */
#define CKPT_IDLE_MS 5000
#define PAGE_SIZE 8192

/* The checkpoint thread and what the writer tells it. */
typedef struct checkpointer {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* work requested, a round done, or stop */
    pthread_t thread;
    int started;
    int stop;
    uint64_t requested; /* rounds asked for */
    uint64_t done;      /* rounds finished */
    int failed;         /* no checkpoint connection: the writer checkpoints itself */
    int start_frames;   /* CKPT_START_BYTES / CKPT_WAIT_BYTES in pages of this database */
    int wait_frames;
    int initialized;
    char path[1024];
} checkpointer;

struct argus_store {
    sqlite3 *db;
    sqlite3_stmt *ingest[ARGUS_SIGNAL_COUNT][MAX_STMTS];
    int n_ingest[ARGUS_SIGNAL_COUNT];
    int broken;
    checkpointer ckpt;
};

/* The one place SQLite errors become store results. */
static int classify(argus_store *st, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        if (st)
            st->broken = 1;
        return ARGUS_STORE_RETRY;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_SCHEMA: return ARGUS_STORE_RETRY;
    default: return ARGUS_STORE_REJECT;
    }
}

static int fail(argus_store *st, int rc, char *msg, size_t msglen, const char *what)
{
    snprintf(msg, msglen, "sqlite: %s: %s", what,
             st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    return classify(st, rc);
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, char *msg, size_t msglen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            snprintf(msg, msglen, "sqlite: creating directory %s: %s", dir, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(msg, msglen, "sqlite: creating directory %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void *checkpoint_main(void *arg)
{
    checkpointer *c = arg;
    pthread_setname_np(pthread_self(), "argus-ckpt");
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        /* a first read makes the connection see the database is in WAL mode */
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        argus_log(ARGUS_LOG_WARN, "sqlite: no checkpoint connection; the writer checkpoints",
                  "error=\"%s\"", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        db = NULL;
    }
    pthread_mutex_lock(&c->mu);
    c->failed = db == NULL;
    int grown = 0; /* rounds ran since the WAL file was last truncated */
    for (;;) {
        while (!c->stop && c->done >= c->requested) {
            if (!grown || !db) {
                pthread_cond_wait(&c->cond, &c->mu);
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += CKPT_IDLE_MS / 1000;
            if (pthread_cond_timedwait(&c->cond, &c->mu, &until) != ETIMEDOUT ||
                c->done < c->requested || c->stop)
                continue;
            /* Idle: give the disk space of a big WAL back (the writer waits for this briefly
             * should it start meanwhile). */
            pthread_mutex_unlock(&c->mu);
            rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
            argus_log(ARGUS_LOG_DEBUG, "sqlite: idle, WAL truncated", "rc=%d", rc);
            pthread_mutex_lock(&c->mu);
            grown = 0;
        }
        if (c->stop || !db)
            break;
        grown = 1;
        uint64_t round = c->requested;
        pthread_mutex_unlock(&c->mu);
        int wal = 0, copied = 0;
        rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &wal, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            argus_log(ARGUS_LOG_WARN, "sqlite: checkpoint failed", "error=\"%s\"",
                      sqlite3_errmsg(db));
        else
            argus_log(ARGUS_LOG_DEBUG, "sqlite: checkpoint", "rc=%d wal_pages=%d copied_pages=%d",
                      rc, wal, copied);
        pthread_mutex_lock(&c->mu);
        c->done = round;
        pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->mu);
    sqlite3_close(db);
    return NULL;
}

/* After each commit of the writer connection (in place of SQLite's own auto-checkpoint): asks
 * the checkpoint thread for a round once the WAL holds CKPT_START_BYTES; past
 * CKPT_WAIT_BYTES waits for a round that starts after this commit, so the next transaction can
 * start the WAL over. Without a checkpoint thread, checkpoints here as SQLite would. */
static int wal_hook(void *arg, sqlite3 *db, const char *schema, int frames)
{
    checkpointer *c = arg;
    if (frames < c->start_frames)
        return SQLITE_OK;
    pthread_mutex_lock(&c->mu);
    if (c->failed) {
        pthread_mutex_unlock(&c->mu);
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    uint64_t want = ++c->requested;
    pthread_cond_broadcast(&c->cond);
    if (frames >= c->wait_frames) {
        struct timespec t0, until;
        clock_gettime(CLOCK_REALTIME, &t0);
        until = t0;
        until.tv_sec += CKPT_WAIT_MS / 1000;
        while (!c->stop && !c->failed && c->done < want &&
               pthread_cond_timedwait(&c->cond, &c->mu, &until) != ETIMEDOUT) {
        }
        clock_gettime(CLOCK_REALTIME, &until);
        argus_log(ARGUS_LOG_DEBUG, "sqlite: waited for a checkpoint", "wal_pages=%d ms=%.1f",
                  frames,
                  (double)(until.tv_sec - t0.tv_sec) * 1e3 + (until.tv_nsec - t0.tv_nsec) / 1e6);
    }
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

static void checkpointer_start(checkpointer *c, sqlite3 *db, const char *path, int page_size)
{
    snprintf(c->path, sizeof c->path, "%s", path);
    c->start_frames = (int)(CKPT_START_BYTES / page_size);
    c->wait_frames = (int)(CKPT_WAIT_BYTES / page_size);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->failed = 1; /* until the thread has its connection */
    int e = pthread_create(&c->thread, NULL, checkpoint_main, c);
    if (e == 0)
        c->started = 1;
    else
        argus_log(ARGUS_LOG_WARN, "sqlite: no checkpoint thread; the writer checkpoints",
                  "error=\"%s\"", strerror(e));
    c->initialized = 1;
    sqlite3_wal_hook(db, wal_hook, c);
}

static void checkpointer_stop(checkpointer *c)
{
    if (!c->initialized)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    c->initialized = c->started = 0;
}

static int exec(argus_store *st, const char *sql, char *msg, size_t msglen)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ARGUS_STORE_OK : fail(st, rc, msg, msglen, sql);
}

int argus_store_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    if (make_parent_dirs(cfg->db_path, msg, msglen) != 0)
        return ARGUS_STORE_RETRY;
    argus_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(msg, msglen, "sqlite: out of memory");
        return ARGUS_STORE_RETRY;
    }
    int rc =
        sqlite3_open_v2(cfg->db_path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    int res = ARGUS_STORE_OK;
    if (rc != SQLITE_OK) {
        res = fail(st, rc, msg, msglen, "open");
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, (int)cfg->sqlite_busy_timeout_ms);
    char *err = NULL;
    rc = argus_sqlite_register_all(st->db, &err);
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "sqlite: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        res = ARGUS_STORE_RETRY;
        goto out;
    }
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        snprintf(msg, msglen, "sqlite: %s is read-only", cfg->db_path);
        res = ARGUS_STORE_RETRY;
        goto out;
    }
    /* Only takes effect while the database is empty (a new file), before WAL mode is set. */
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA page_size=%d", PAGE_SIZE);
    if ((res = exec(st, pragma, msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    /* WAL: readers never block the writer; see docs/configuration.md for durability. */
    sqlite3_stmt *jm = NULL;
    rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &jm, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(jm);
    if (rc != SQLITE_ROW) {
        res = fail(st, rc, msg, msglen, "PRAGMA journal_mode=WAL");
        sqlite3_finalize(jm);
        goto out;
    }
    if (strcmp((const char *)sqlite3_column_text(jm, 0), "wal") != 0) {
        snprintf(msg, msglen, "sqlite: %s: could not switch to WAL mode (journal_mode=%s)",
                 cfg->db_path, sqlite3_column_text(jm, 0));
        sqlite3_finalize(jm);
        res = ARGUS_STORE_RETRY;
        goto out;
    }
    sqlite3_finalize(jm);
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", cfg->sqlite_synchronous);
    if ((res = exec(st, pragma, msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    /* The writer's page cache keeps the hot parts of the spans/logs indexes (random trace ids)
     * in memory as the database grows; SQLite's 2 MiB default makes every insert a page miss. */
    if ((res = exec(st, "PRAGMA cache_size=-65536", msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    /* An existing database of an older schema is migrated here, before any listener opens;
     * some migrations copy every row (005: ~25 s per million spans), so say so. */
    int from = 0;
    if (argus_schema_version(st->db, &from, NULL) != SQLITE_OK)
        from = 0; /* a new database */
    struct timespec m0, m1;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    if (from > 0 && from < argus_schema_latest())
        argus_log(ARGUS_LOG_INFO, "migrating the database schema (may take a while)",
                  "from=%d to=%d", from, argus_schema_latest());
    rc = argus_schema_migrate(st->db, &err);
    if (rc == SQLITE_OK && from > 0 && from < argus_schema_latest()) {
        clock_gettime(CLOCK_MONOTONIC, &m1);
        argus_log(ARGUS_LOG_INFO, "database schema migrated", "version=%d seconds=%.1f",
                  argus_schema_latest(),
                  (double)(m1.tv_sec - m0.tv_sec) + (double)(m1.tv_nsec - m0.tv_nsec) / 1e9);
    }
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "sqlite: %s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        res = classify(st, rc) == ARGUS_STORE_RETRY ? ARGUS_STORE_RETRY : ARGUS_STORE_REJECT;
        goto out;
    }
    for (const argus_ingest_statement *s = argus_sqlite_ingest; s->name; s++) {
        int sig = strcmp(s->kind, "spans") == 0 ? ARGUS_SIGNAL_TRACES : ARGUS_SIGNAL_LOGS;
        if (st->n_ingest[sig] == MAX_STMTS) {
            snprintf(msg, msglen, "sqlite: too many ingest statements for %s", s->kind);
            res = ARGUS_STORE_REJECT;
            goto out;
        }
        sqlite3_stmt **slot = &st->ingest[sig][st->n_ingest[sig]];
        rc = sqlite3_prepare_v3(st->db, s->sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
        if (rc != SQLITE_OK) {
            char what[128];
            snprintf(what, sizeof what, "preparing %s", s->name);
            res = fail(st, rc, msg, msglen, what);
            goto out;
        }
        st->n_ingest[sig]++;
    }
    sqlite3_stmt *ps = NULL;
    int page_size = 4096;
    if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
        sqlite3_step(ps) == SQLITE_ROW && sqlite3_column_int(ps, 0) >= 512)
        page_size = sqlite3_column_int(ps, 0);
    sqlite3_finalize(ps);
    checkpointer_start(&st->ckpt, st->db, cfg->db_path, page_size);
out:
    if (res != ARGUS_STORE_OK) {
        argus_store_close(st);
        return res;
    }
    *out = st;
    return ARGUS_STORE_OK;
}

void argus_store_close(argus_store *st)
{
    if (!st)
        return;
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
        for (int i = 0; i < st->n_ingest[s]; i++)
            sqlite3_finalize(st->ingest[s][i]);
    if (st->db)
        sqlite3_wal_hook(st->db, NULL, NULL);
    checkpointer_stop(&st->ckpt);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        argus_log(ARGUS_LOG_WARN, "sqlite: close failed", "error=\"%s\"", sqlite3_errmsg(st->db));
    free(st);
}

int argus_store_begin(argus_store *st, char *msg, size_t msglen)
{
    return exec(st, "BEGIN IMMEDIATE", msg, msglen);
}

int argus_store_put(argus_store *st, argus_signal sig, void *decoded, size_t *stored, char *msg,
                    size_t msglen)
{
    *stored = 0;
    int res = exec(st, "SAVEPOINT request", msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    const char *ptype = argus_signal_get(sig)->pointer_type;
    for (int i = 0; i < st->n_ingest[sig]; i++) {
        sqlite3_stmt *s = st->ingest[sig][i];
        sqlite3_bind_pointer(s, 1, decoded, ptype, NULL);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
            res = fail(st, rc, msg, msglen, "storing a request");
            break;
        }
        if (i == 0)
            *stored = (size_t)sqlite3_changes64(st->db);
    }
    if (res == ARGUS_STORE_OK)
        return exec(st, "RELEASE request", msg, msglen);
    if (res == ARGUS_STORE_REJECT && !sqlite3_get_autocommit(st->db)) {
        char ignored[64];
        if (exec(st, "ROLLBACK TO request; RELEASE request", ignored, sizeof ignored) !=
            ARGUS_STORE_OK)
            return ARGUS_STORE_RETRY; /* the transaction is in an unknown state */
    }
    *stored = 0;
    return res;
}

int argus_store_commit(argus_store *st, char *msg, size_t msglen)
{
    return exec(st, "COMMIT", msg, msglen);
}

void argus_store_rollback(argus_store *st)
{
    if (st && st->db && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int argus_store_broken(const argus_store *st)
{
    return st->broken;
}

int argus_store_ping(const argus_config *cfg, char *msg, size_t msglen)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(cfg->db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        rc = sqlite3_prepare_v2(db, "SELECT max(version) FROM argus_migrations", -1, &st, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db);
    if (rc != SQLITE_OK)
        snprintf(msg, msglen, "sqlite: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}
