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
#include "store_read.h"

#include "argus_otlp.h"
#include "argus_schema.h"
#include "argus_sqlite.h"
#include "log.h"
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
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
    argus_worker wk;    /* wk.cv: work requested, a round done, or stop */
    uint64_t requested; /* rounds asked for */
    uint64_t done;      /* rounds finished */
    int failed;         /* no checkpoint connection: the writer checkpoints itself */
    int start_frames;   /* CKPT_START_BYTES / CKPT_WAIT_BYTES in pages of this database */
    int wait_frames;
    int initialized;
    char path[1024];
} checkpointer;

/* Statements besides the ingest ones, prepared on first use. */
enum {
    Q_REQUEST_KEY,
    Q_OLD_TRACES,
    Q_DEL_TRACE_SPANS,
    Q_DEL_TRACE,
    Q_DEL_OLD_LOGS,
    Q_PATTERN_LESS,
    Q_PATTERN_EMPTY,
    Q_DEL_OLD_ROLLUPS,
    Q_DEL_OLD_LOG_ROLLUPS,
    Q_DEL_OLD_OP_ROLLUPS,
    Q_DEL_OLD_PATTERN_ROLLUPS,
    Q_DEL_OLD_REQUESTS,
    Q_DEL_SPANS,
    Q_DEL_LOGS,
    Q_DEL_TRACES,
    Q_DEL_ROLLUPS,
    Q_DEL_LOG_ROLLUPS,
    Q_DEL_OP_ROLLUPS,
    Q_DEL_PATTERN_ROLLUPS,
    Q_DEL_PATTERNS,
    Q_DEL_REQUESTS,
    Q_DEL_RESOURCES,
    Q_ANY_RECORD,
    Q_RESET_INSIGHTS,
    NQ
};

/* Purge statements: ?1 is the cut-off (unix ns) where there is one, ?2 (or ?1) the chunk size.
 * Spans go by trace (the summary's start time decides), so a trace is never left half there.
 * CHUNK: a chunked delete, the rows of table whose key is among the first ones `rows` picks. */
#define CHUNK(...) CHUNK_(__VA_ARGS__) /* (table and key may come as one macro) */
#define CHUNK_(table, key, rows)                                                                   \
    "DELETE FROM " table " WHERE (" key ") IN (SELECT " key " FROM " table " " rows ")"
#define ROWS_ANY "LIMIT ?1"
#define ROWS_OLD_MINUTES "WHERE minute_ns <= ?1 - 60000000000 ORDER BY minute_ns LIMIT ?2"
#define ROWS_OLD_LOGS "WHERE time_unix_nano < ?1 ORDER BY time_unix_nano LIMIT ?2"
#define SPAN_ROLLUPS "span_rollups", "service_name, minute_ns"
#define LOG_ROLLUPS "log_rollups", "service_name, minute_ns, severity"
/* API, migration 008 */
#define OP_ROLLUPS "span_operation_rollups", "service_name, minute_ns, name"
#define PATTERN_ROLLUPS "log_pattern_rollups", "minute_ns, pattern_id, service_name"
static const char *const q_sql[NQ] = {
    [Q_REQUEST_KEY] = "INSERT INTO ingest_requests (key, signal, stored_ns) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT (key) DO NOTHING",
    [Q_OLD_TRACES] = "SELECT trace_id, span_count FROM traces WHERE start_time_unix_nano < ?1"
                     " ORDER BY start_time_unix_nano LIMIT ?2",
    [Q_DEL_TRACE_SPANS] = "DELETE FROM span_records WHERE trace_id = ?1",
    [Q_DEL_TRACE] = "DELETE FROM traces WHERE trace_id = ?1",
    [Q_DEL_OLD_LOGS] =
        CHUNK("log_records", "id", ROWS_OLD_LOGS) " RETURNING pattern_id, time_unix_nano",
    /* the lines of a pattern that are left are all newer than the newest one deleted */
    [Q_PATTERN_LESS] = "UPDATE log_patterns SET count = count - ?2,"
                       " first_seen_ns = max(coalesce(first_seen_ns, ?3), ?3)"
                       " WHERE pattern_id = ?1",
    [Q_PATTERN_EMPTY] = "DELETE FROM log_patterns WHERE pattern_id = ?1 AND count <= 0",
    [Q_DEL_OLD_ROLLUPS] = CHUNK(SPAN_ROLLUPS, ROWS_OLD_MINUTES),
    [Q_DEL_OLD_LOG_ROLLUPS] = CHUNK(LOG_ROLLUPS, ROWS_OLD_MINUTES),
    [Q_DEL_OLD_OP_ROLLUPS] = CHUNK(OP_ROLLUPS, ROWS_OLD_MINUTES),
    [Q_DEL_OLD_PATTERN_ROLLUPS] = CHUNK(PATTERN_ROLLUPS, ROWS_OLD_MINUTES),
    [Q_DEL_OLD_REQUESTS] =
        CHUNK("ingest_requests", "key", "WHERE stored_ns < ?1 ORDER BY stored_ns LIMIT ?2"),
    [Q_DEL_SPANS] = CHUNK("span_records", "id", "ORDER BY id LIMIT ?1"),
    [Q_DEL_LOGS] = CHUNK("log_records", "id", "ORDER BY id LIMIT ?1"),
    [Q_DEL_TRACES] = CHUNK("traces", "trace_id", ROWS_ANY),
    [Q_DEL_ROLLUPS] = CHUNK(SPAN_ROLLUPS, ROWS_ANY),
    [Q_DEL_LOG_ROLLUPS] = CHUNK(LOG_ROLLUPS, ROWS_ANY),
    [Q_DEL_OP_ROLLUPS] = CHUNK(OP_ROLLUPS, ROWS_ANY),
    [Q_DEL_PATTERN_ROLLUPS] = CHUNK(PATTERN_ROLLUPS, ROWS_ANY),
    [Q_DEL_PATTERNS] = CHUNK("log_patterns", "pattern_id", ROWS_ANY),
    [Q_DEL_REQUESTS] = CHUNK("ingest_requests", "key", ROWS_ANY),
    [Q_DEL_RESOURCES] = CHUNK("resources", "id", ROWS_ANY),
    [Q_ANY_RECORD] = "SELECT EXISTS (SELECT 1 FROM span_records) OR"
                     " EXISTS (SELECT 1 FROM log_records)",
    [Q_RESET_INSIGHTS] = "UPDATE argus_jobs SET last_id = 0 WHERE name = 'insights'",
};

extern const argus_job_statement argus_sqlite_jobs[]; /* gen/jobs_sqlite.c */

typedef struct sqlite_store {
    argus_store base;
    sqlite3 *db;
    sqlite3_stmt *ingest[ARGUS_SIGNAL_COUNT][MAX_STMTS];
    int n_ingest[ARGUS_SIGNAL_COUNT];
    sqlite3_stmt *q[NQ];
    int broken;
    unsigned busy_timeout_ms;
    const _Atomic int64_t *wait_deadline; /* see set_wait_deadline in store.h */
    char path[1024];
    dev_t dev; /* the file opened, to notice it renamed away, deleted or replaced */
    ino_t ino;
    checkpointer ckpt;
} sqlite_store;

#define PURGE_CHUNK_ROWS 5000

/* The one place SQLite errors become store results. */
static int classify(sqlite_store *st, int rc)
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

/* 1 when the database or its WAL has reached the process's file size limit (RLIMIT_FSIZE, e.g.
 * `ulimit -f`): SQLite then reports a disk I/O error (the write failed with EFBIG). */
static int at_file_size_limit(const sqlite_store *st)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    char wal[sizeof st->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", st->path);
    const char *files[] = {st->path, wal};
    for (size_t i = 0; i < 2; i++) {
        struct stat sb;
        if (stat(files[i], &sb) == 0 && (rlim_t)sb.st_size + 65536 > rl.rlim_cur)
            return 1;
    }
    return 0;
}

/* Why path cannot be written: an errno (EROFS, EACCES, ...) from access() on the file, or on
 * its directory when the file does not exist; 0 when nothing is in the way. */
static int cannot_write(const char *path)
{
    if (!path[0])
        return 0;
    if (access(path, F_OK) == 0)
        return access(path, R_OK | W_OK) == 0 ? 0 : errno;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    return access(dir, W_OK | X_OK) == 0 ? 0 : errno;
}

static int fail(sqlite_store *st, int rc, char *msg, size_t msglen, const char *what)
{
    /* Past the file size limit, say so: the disk is full as far as this process goes. */
    if (st && st->db && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL) &&
        at_file_size_limit(st)) {
        snprintf(msg, msglen, "sqlite: %s: database or disk is full (file size limit reached)",
                 what);
        return classify(st, rc); /* an I/O error: retried, on a new connection */
    }
    /* "unable to open database file" says nothing of why: add the system's reason (read-only
     * file system, permission denied, ...), asked of the file or, when missing, its directory. */
    int sys = (rc & 0xff) == SQLITE_CANTOPEN && st ? cannot_write(st->path) : 0;
    snprintf(msg, msglen, "sqlite: %s: %s%s%s%s", what,
             st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc), sys ? " (" : "",
             sys ? strerror(sys) : "", sys ? ")" : "");
    return classify(st, rc);
}

/* Our SQL functions on a connection of the store: OK, or RETRY with msg. */
static int register_functions(sqlite3 *db, char *msg, size_t msglen)
{
    char *err = NULL;
    int rc = argus_sqlite_register_all(db, &err);
    if (rc != SQLITE_OK)
        snprintf(msg, msglen, "sqlite: %s", err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return rc == SQLITE_OK ? ARGUS_STORE_OK : ARGUS_STORE_RETRY;
}

/* ---- statement journals in memory ---------------------------------------------------------
 * Every ingest statement runs inside a savepoint (the request's, and SQLite's own per statement),
 * so SQLite keeps the prior image of each page it first changes there, for a ROLLBACK TO: the
 * statement journal. Past 64 KiB SQLite moves it to a temporary file, which cost two pwrite()
 * per page (4-byte page number, page): ~1.6 GB of kernel copies per 480k log records, more than
 * the WAL itself (the writer's kernel time, 17 % of the server's CPU, halved without it;
 * tests/bench/ingest_bench.sh). The writer's and the jobs' connections open
 * through JOURNAL_VFS, the default VFS except that a statement journal is a growable buffer.
 * It is never read after a crash (the WAL is), so durability is unchanged. A journal larger than
 * argus_sqlite_journal_memory_max goes to a temporary file after all, as before, so a huge
 * request on a huge database cannot hold its size in memory. (SQLite's own
 * in-memory journal, temp_store=MEMORY, allocates 1 KiB per chunk and measured no faster; a
 * larger SQLITE_CONFIG_STMTJRNL_SPILL fails with SQLITE_FULL in 3.40 once a journal outgrows
 * it: the move to a file writes a whole chunk at once, and the unix VFS refuses 128 KiB or more
 * in one write.) */
#define JOURNAL_VFS "argus-journal"
#define JOURNAL_MIN_CAP ((size_t)1 << 20)
/* SQLite's unix VFS writes at most 128 KiB per call (larger ones fail as "disk is full") */
#define JOURNAL_FILE_WRITE ((size_t)64 << 10)

/* Read by the connections' threads; tests lower it to see a journal move to its file. */
_Atomic size_t argus_sqlite_journal_memory_max = (size_t)64 << 20;

typedef struct mem_journal {
    sqlite3_file base;
    unsigned char *data;
    size_t size, cap;
    int flags;
    sqlite3_file *file; /* past argus_sqlite_journal_memory_max: a temporary file, or NULL */
} mem_journal;

static sqlite3_vfs journal_vfs; /* a copy of the default VFS (methods, pAppData) but xOpen */
static sqlite3_vfs *journal_real;
static int journal_vfs_rc = SQLITE_ERROR;
static pthread_once_t journal_vfs_once = PTHREAD_ONCE_INIT;

static int mj_close(sqlite3_file *f)
{
    mem_journal *m = (mem_journal *)f;
    if (m->file) {
        if (m->file->pMethods)
            m->file->pMethods->xClose(m->file);
        free(m->file);
        m->file = NULL;
    }
    free(m->data);
    m->data = NULL;
    m->size = m->cap = 0;
    return SQLITE_OK;
}

static int mj_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 ofs)
{
    const mem_journal *m = (const mem_journal *)f;
    if (m->file)
        return m->file->pMethods->xRead(m->file, buf, amt, ofs);
    size_t have = (uint64_t)ofs < m->size ? m->size - (size_t)ofs : 0;
    size_t n = have < (size_t)amt ? have : (size_t)amt;
    if (n)
        memcpy(buf, m->data + ofs, n);
    if (n < (size_t)amt) {
        memset((unsigned char *)buf + n, 0, (size_t)amt - n);
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

/* Moves the journal into a temporary file of the default VFS (what SQLite itself does past 64
 * KiB); from then on every call goes to the file. */
static int mj_spill(mem_journal *m)
{
    sqlite3_file *file = calloc(1, (size_t)journal_real->szOsFile);
    if (!file)
        return SQLITE_IOERR_NOMEM;
    int rc = journal_real->xOpen(journal_real, NULL, file, m->flags, NULL);
    for (size_t at = 0; rc == SQLITE_OK && at < m->size; at += JOURNAL_FILE_WRITE) {
        size_t n = m->size - at < JOURNAL_FILE_WRITE ? m->size - at : JOURNAL_FILE_WRITE;
        rc = file->pMethods->xWrite(file, m->data + at, (int)n, (sqlite3_int64)at);
    }
    if (rc != SQLITE_OK) {
        if (file->pMethods)
            file->pMethods->xClose(file);
        free(file);
        return rc;
    }
    free(m->data);
    m->data = NULL;
    m->cap = 0;
    m->file = file;
    return SQLITE_OK;
}

static int mj_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 ofs)
{
    mem_journal *m = (mem_journal *)f;
    if (ofs < 0 || amt < 0 || (uint64_t)ofs > SIZE_MAX / 2)
        return SQLITE_IOERR_WRITE;
    size_t end = (size_t)ofs + (size_t)amt;
    if (!m->file && end > atomic_load(&argus_sqlite_journal_memory_max)) {
        int rc = mj_spill(m);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (m->file)
        return m->file->pMethods->xWrite(m->file, buf, amt, ofs);
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : JOURNAL_MIN_CAP;
        while (cap < end)
            cap *= 2;
        unsigned char *d = realloc(m->data, cap);
        if (!d)
            return SQLITE_IOERR_NOMEM;
        m->data = d;
        m->cap = cap;
    }
    if ((size_t)ofs > m->size)
        memset(m->data + m->size, 0, (size_t)ofs - m->size);
    memcpy(m->data + ofs, buf, (size_t)amt);
    if (end > m->size)
        m->size = end;
    return SQLITE_OK;
}

static int mj_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    mem_journal *m = (mem_journal *)f;
    if (m->file)
        return m->file->pMethods->xTruncate(m->file, size);
    if (size >= 0 && (uint64_t)size < m->size)
        m->size = (size_t)size;
    return SQLITE_OK;
}

/* xSync, xLock, xUnlock: nothing to do for a journal only this connection sees, never read
 * after a crash */
static int mj_nothing(sqlite3_file *f, int arg)
{
    (void)f;
    (void)arg;
    return SQLITE_OK;
}

static int mj_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    const mem_journal *m = (const mem_journal *)f;
    if (m->file)
        return m->file->pMethods->xFileSize(m->file, size);
    *size = (sqlite3_int64)m->size;
    return SQLITE_OK;
}

static int mj_check_reserved(sqlite3_file *f, int *out)
{
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int mj_file_control(sqlite3_file *f, int op, void *arg)
{
    (void)f;
    (void)op;
    (void)arg;
    return SQLITE_NOTFOUND;
}

static int mj_sector_size(sqlite3_file *f)
{
    (void)f;
    return 4096;
}

static int mj_device(sqlite3_file *f)
{
    (void)f;
    return 0;
}

static const sqlite3_io_methods mem_journal_io = {
    .iVersion = 1,
    .xClose = mj_close,
    .xRead = mj_read,
    .xWrite = mj_write,
    .xTruncate = mj_truncate,
    .xSync = mj_nothing,
    .xFileSize = mj_file_size,
    .xLock = mj_nothing,
    .xUnlock = mj_nothing,
    .xCheckReservedLock = mj_check_reserved,
    .xFileControl = mj_file_control,
    .xSectorSize = mj_sector_size,
    .xDeviceCharacteristics = mj_device,
};

static int journal_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                        int *out_flags)
{
    if (!(flags & SQLITE_OPEN_SUBJOURNAL)) {
        (void)vfs;
        return journal_real->xOpen(journal_real, name, f, flags, out_flags);
    }
    mem_journal *m = (mem_journal *)f;
    memset(m, 0, sizeof *m);
    m->base.pMethods = &mem_journal_io;
    m->flags = flags;
    if (out_flags)
        *out_flags = flags;
    return SQLITE_OK;
}

static void journal_vfs_register(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real)
        return;
    journal_real = real;
    journal_vfs = *real;
    journal_vfs.pNext = NULL;
    journal_vfs.zName = JOURNAL_VFS;
    if (journal_vfs.szOsFile < (int)sizeof(mem_journal))
        journal_vfs.szOsFile = (int)sizeof(mem_journal);
    journal_vfs.xOpen = journal_open;
    journal_vfs_rc = sqlite3_vfs_register(&journal_vfs, 0);
}

/* The VFS a connection that writes opens with: JOURNAL_VFS, or the default when it could not be
 * registered. */
static const char *journal_vfs_name(void)
{
    pthread_once(&journal_vfs_once, journal_vfs_register);
    return journal_vfs_rc == SQLITE_OK ? JOURNAL_VFS : NULL;
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
    pthread_mutex_lock(&c->wk.mu);
    c->failed = db == NULL;
    int grown = 0; /* rounds ran since the WAL file was last truncated */
    for (;;) {
        while (!c->wk.stopping && c->done >= c->requested) {
            if (!grown || !db) {
                pthread_cond_wait(&c->wk.cv, &c->wk.mu);
                continue;
            }
            if (argus_cond_wait_ms(&c->wk.cv, &c->wk.mu, CKPT_IDLE_MS) != ETIMEDOUT ||
                c->done < c->requested || c->wk.stopping)
                continue;
            /* Idle: give the disk space of a big WAL back (the writer waits for this briefly
             * should it start meanwhile). */
            pthread_mutex_unlock(&c->wk.mu);
            rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
            argus_log(ARGUS_LOG_DEBUG, "sqlite: idle, WAL truncated", "rc=%d", rc);
            pthread_mutex_lock(&c->wk.mu);
            grown = 0;
        }
        if (c->wk.stopping || !db)
            break;
        grown = 1;
        uint64_t round = c->requested;
        pthread_mutex_unlock(&c->wk.mu);
        int wal = 0, copied = 0;
        rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &wal, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            argus_log(ARGUS_LOG_WARN, "sqlite: checkpoint failed", "error=\"%s\"",
                      sqlite3_errmsg(db));
        else
            argus_log(ARGUS_LOG_DEBUG, "sqlite: checkpoint", "rc=%d wal_pages=%d copied_pages=%d",
                      rc, wal, copied);
        pthread_mutex_lock(&c->wk.mu);
        c->done = round;
        pthread_cond_broadcast(&c->wk.cv);
    }
    pthread_mutex_unlock(&c->wk.mu);
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
    pthread_mutex_lock(&c->wk.mu);
    if (c->failed) {
        pthread_mutex_unlock(&c->wk.mu);
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    uint64_t want = ++c->requested;
    pthread_cond_broadcast(&c->wk.cv);
    if (frames >= c->wait_frames) {
        int64_t t0 = argus_mono_ns();
        int64_t until = t0 + (int64_t)CKPT_WAIT_MS * 1000000;
        while (!c->wk.stopping && !c->failed && c->done < want &&
               argus_cond_wait_until(&c->wk.cv, &c->wk.mu, until) != ETIMEDOUT) {
        }
        argus_log(ARGUS_LOG_DEBUG, "sqlite: waited for a checkpoint", "wal_pages=%d ms=%.1f",
                  frames, (double)(argus_mono_ns() - t0) / 1e6);
    }
    pthread_mutex_unlock(&c->wk.mu);
    return SQLITE_OK;
}

static void checkpointer_start(checkpointer *c, sqlite3 *db, const char *path, int page_size)
{
    snprintf(c->path, sizeof c->path, "%s", path);
    c->start_frames = (int)(CKPT_START_BYTES / page_size);
    c->wait_frames = (int)(CKPT_WAIT_BYTES / page_size);
    argus_worker_init(&c->wk);
    c->failed = 1; /* until the thread has its connection */
    char msg[200];
    if (argus_worker_start(&c->wk, "argus-ckpt", checkpoint_main, c, msg, sizeof msg) != 0)
        argus_log(ARGUS_LOG_WARN, "sqlite: no checkpoint thread; the writer checkpoints",
                  "error=\"%s\"", msg);
    c->initialized = 1;
    sqlite3_wal_hook(db, wal_hook, c);
}

static void checkpointer_stop(checkpointer *c)
{
    if (!c->initialized)
        return;
    argus_worker_destroy(&c->wk);
    c->initialized = 0;
}

static int exec(sqlite_store *st, const char *sql, char *msg, size_t msglen)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ARGUS_STORE_OK : fail(st, rc, msg, msglen, sql);
}

static void sqlite_close(argus_store *base);

/* SQLite's busy timeout, plus a deadline another thread can bring forward: at shutdown a batch
 * stops waiting for a locked database when the drain deadline passes. */
static int busy_wait(void *arg, int count)
{
    sqlite_store *st = arg;
    static const unsigned delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    const size_t nd = sizeof delays_ms / sizeof *delays_ms;
    unsigned waited = 0;
    for (int i = 0; i < count; i++)
        waited += delays_ms[(size_t)i < nd ? (size_t)i : nd - 1];
    if (waited >= st->busy_timeout_ms)
        return 0;
    int64_t deadline = st->wait_deadline ? atomic_load(st->wait_deadline) : 0;
    if (deadline && argus_mono_ns() >= deadline)
        return 0;
    unsigned d = delays_ms[(size_t)count < nd ? (size_t)count : nd - 1];
    if (d > st->busy_timeout_ms - waited)
        d = st->busy_timeout_ms - waited;
    struct timespec ts = {0, (long)d * 1000000};
    nanosleep(&ts, NULL);
    return 1;
}

static void sqlite_set_wait_deadline(argus_store *base, const _Atomic int64_t *deadline_ns)
{
    ((sqlite_store *)base)->wait_deadline = deadline_ns;
}

static int sqlite_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    if (make_parent_dirs(cfg->db_path, msg, msglen) != 0)
        return ARGUS_STORE_RETRY;
    sqlite_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(msg, msglen, "sqlite: out of memory");
        return ARGUS_STORE_RETRY;
    }
    snprintf(st->path, sizeof st->path, "%s", cfg->db_path);
    int rc = sqlite3_open_v2(cfg->db_path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             journal_vfs_name());
    int res = ARGUS_STORE_OK;
    if (rc != SQLITE_OK) {
        res = fail(st, rc, msg, msglen, "open");
        goto out;
    }
    st->base.driver = &argus_store_sqlite;
    sqlite3_extended_result_codes(st->db, 1);
    st->busy_timeout_ms = cfg->sqlite_busy_timeout_ms;
    sqlite3_busy_handler(st->db, busy_wait, st);
    if ((res = register_functions(st->db, msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    char *err = NULL;
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
    int64_t m0 = argus_mono_ns();
    if (from > 0 && from < argus_schema_latest())
        argus_log(ARGUS_LOG_INFO, "migrating the database schema (may take a while)",
                  "from=%d to=%d", from, argus_schema_latest());
    rc = argus_schema_migrate(st->db, &err);
    if (rc == SQLITE_OK && from > 0 && from < argus_schema_latest()) {
        argus_log(ARGUS_LOG_INFO, "database schema migrated", "version=%d seconds=%.1f",
                  argus_schema_latest(), (double)(argus_mono_ns() - m0) / 1e9);
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
    struct stat sb;
    if (stat(cfg->db_path, &sb) != 0) {
        snprintf(msg, msglen, "sqlite: %s: %s", cfg->db_path, strerror(errno));
        res = ARGUS_STORE_RETRY;
        goto out;
    }
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    checkpointer_start(&st->ckpt, st->db, cfg->db_path, page_size);
out:
    if (res != ARGUS_STORE_OK) {
        st->base.driver = &argus_store_sqlite;
        sqlite_close(&st->base);
        return res;
    }
    *out = &st->base;
    return ARGUS_STORE_OK;
}

static void sqlite_close(argus_store *base)
{
    sqlite_store *st = (sqlite_store *)base;
    if (!st)
        return;
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
        for (int i = 0; i < st->n_ingest[s]; i++)
            sqlite3_finalize(st->ingest[s][i]);
    for (int i = 0; i < NQ; i++)
        sqlite3_finalize(st->q[i]);
    if (st->db)
        sqlite3_wal_hook(st->db, NULL, NULL);
    checkpointer_stop(&st->ckpt);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        argus_log(ARGUS_LOG_WARN, "sqlite: close failed", "error=\"%s\"", sqlite3_errmsg(st->db));
    free(st);
}

/* The path no longer names the file this connection writes (renamed away, deleted, replaced):
 * whatever is committed there is lost to every reader, so refuse and reopen. */
static int file_moved(sqlite_store *st, char *msg, size_t msglen)
{
    struct stat sb;
    if (stat(st->path, &sb) == 0 && sb.st_dev == st->dev && sb.st_ino == st->ino)
        return 0;
    snprintf(msg, msglen, "sqlite: %s was renamed, deleted or replaced; reopening it", st->path);
    st->broken = 1;
    return 1;
}

static int sqlite_begin(argus_store *base, char *msg, size_t msglen)
{
    sqlite_store *st = (sqlite_store *)base;
    if (file_moved(st, msg, msglen))
        return ARGUS_STORE_RETRY;
    return exec(st, "BEGIN IMMEDIATE", msg, msglen);
}

static sqlite3_stmt *query(sqlite_store *st, int which, char *msg, size_t msglen, int *res)
{
    if (!st->q[which]) {
        int rc = sqlite3_prepare_v3(st->db, q_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &st->q[which], NULL);
        if (rc != SQLITE_OK) {
            *res = fail(st, rc, msg, msglen, "preparing a statement");
            return NULL;
        }
    }
    *res = ARGUS_STORE_OK;
    return st->q[which];
}

/* Steps s to its end and resets it; returns a store result. */
static int run(sqlite_store *st, sqlite3_stmt *s, char *msg, size_t msglen, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        ;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? ARGUS_STORE_OK : fail(st, rc, msg, msglen, what);
}

static int sqlite_put(argus_store *base, argus_signal sig, void *decoded, const uint8_t key[16],
                      argus_put_result *out, char *msg, size_t msglen)
{
    sqlite_store *st = (sqlite_store *)base;
    memset(out, 0, sizeof *out);
    int res = exec(st, "SAVEPOINT request", msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    if (key) {
        sqlite3_stmt *k = query(st, Q_REQUEST_KEY, msg, msglen, &res);
        if (k) {
            sqlite3_bind_blob(k, 1, key, 16, SQLITE_STATIC);
            sqlite3_bind_int(k, 2, (int)sig);
            sqlite3_bind_int64(k, 3, argus_wall_ns());
            res = run(st, k, msg, msglen, "recording a request");
        }
        if (res == ARGUS_STORE_OK && sqlite3_changes64(st->db) == 0) {
            out->duplicate = 1;
            return exec(st, "RELEASE request", msg, msglen);
        }
    }
    const char *ptype = argus_signal_get(sig)->pointer_type;
    for (int i = 0; i < st->n_ingest[sig] && res == ARGUS_STORE_OK; i++) {
        sqlite3_stmt *s = st->ingest[sig][i];
        sqlite3_bind_pointer(s, 1, decoded, ptype, NULL);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
            res = fail(st, rc, msg, msglen, "storing a request");
            break;
        }
        /* The first statement inserts the records: one INSERT ... SELECT gives consecutive ids
         * (max(id) + 1 each), and triggers do not change last_insert_rowid afterwards. */
        if (i == 0) {
            out->stored = (size_t)sqlite3_changes64(st->db);
            if (out->stored) {
                out->ids.last = sqlite3_last_insert_rowid(st->db);
                out->ids.first = out->ids.last - (int64_t)out->stored + 1;
            }
        }
    }
    if (res == ARGUS_STORE_OK)
        return exec(st, "RELEASE request", msg, msglen);
    if (res == ARGUS_STORE_REJECT && !sqlite3_get_autocommit(st->db)) {
        char ignored[64];
        if (exec(st, "ROLLBACK TO request; RELEASE request", ignored, sizeof ignored) !=
            ARGUS_STORE_OK)
            return ARGUS_STORE_RETRY; /* the transaction is in an unknown state */
    }
    memset(out, 0, sizeof *out);
    return res;
}

static int sqlite_commit(argus_store *base, char *msg, size_t msglen)
{
    return exec((sqlite_store *)base, "COMMIT", msg, msglen);
}

static void sqlite_rollback(argus_store *base)
{
    sqlite_store *st = (sqlite_store *)base;
    if (st && st->db && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_broken(const argus_store *base)
{
    return ((const sqlite_store *)base)->broken;
}

static int sqlite_exec(argus_store *base, const char *sql, char *msg, size_t msglen)
{
    return exec((sqlite_store *)base, sql, msg, msglen);
}

/* ---- maintenance: purge in chunks ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a purge step of old rows works with: its statements (q[0] selects or deletes the old
 * rows, bound ?1 = before, ?2 = chunk; q[1], q[2] follow up per kept string), up to chunk strings
 * kept from q[0]'s rows (trace ids, pattern ids), how many rows it gave and their column 1. */
typedef struct purge_batch {
    sqlite3_stmt *q[3];
    char **keep;
    size_t n, cap;
    size_t rows;
    int64_t sum, max; /* of column 1 (sum: only when q[0] is a SELECT) */
} purge_batch;

/* One kind of old rows: q[0] = which[0] gives them, a string to keep in column 0 and a figure in
 * column 1; then follow_up() deletes or updates what goes with the kept strings. */
typedef struct purge_kind {
    int which[3];
    /* q[0] is a DELETE ... RETURNING: run to its end, failing on any error; else a SELECT read
     * until its column 1 adds up to chunk or a row cannot be kept, failing only when it kept
     * nothing (what it kept is still purged) */
    int deletes;
    const char *what; /* what q[0] was doing, for the message when it fails */
    int (*follow_up)(sqlite_store *st, purge_batch *b, argus_purge_counts *add, char *msg,
                     size_t msglen);
} purge_kind;

/* Nothing to release when it fails. */
static int purge_batch_open(sqlite_store *st, purge_batch *b, const int which[3], int64_t before,
                            unsigned chunk, char *msg, size_t msglen)
{
    int res = ARGUS_STORE_OK;
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 3; i++)
        if (!(b->q[i] = query(st, which[i], msg, msglen, &res)))
            return res;
    if (!(b->keep = calloc(chunk, sizeof *b->keep))) {
        snprintf(msg, msglen, "sqlite: out of memory");
        return ARGUS_STORE_RETRY;
    }
    b->cap = chunk;
    sqlite3_bind_int64(b->q[0], 1, before);
    sqlite3_bind_int64(b->q[0], 2, chunk);
    return ARGUS_STORE_OK;
}

/* Keeps a copy of s (column 0 of q[0]'s row) while there is room; 0 when it was not kept. */
static int purge_batch_keep(purge_batch *b)
{
    const char *s = (const char *)sqlite3_column_text(b->q[0], 0);
    if (!s || b->n == b->cap || !(b->keep[b->n] = strdup(s)))
        return 0;
    b->n++;
    return 1;
}

static void purge_batch_close(purge_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->keep[i]);
    free(b->keep);
}

/* One chunk of old rows of kind k, then what goes with them. */
static int purge_old(sqlite_store *st, const purge_kind *k, int64_t before, unsigned chunk,
                     argus_purge_counts *add, int *more, char *msg, size_t msglen)
{
    purge_batch b;
    int res = purge_batch_open(st, &b, k->which, before, chunk, msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    sqlite3_stmt *q = b.q[0];
    int rc = SQLITE_DONE;
    while ((k->deletes || b.sum < (int64_t)chunk) && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(q, 1);
        b.rows++;
        b.max = v > b.max ? v : b.max;
        if (!purge_batch_keep(&b) && !k->deletes)
            break;
        if (!k->deletes)
            b.sum += v;
        rc = SQLITE_DONE;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_DONE && (k->deletes || b.n == 0))
        res = fail(st, rc, msg, msglen, k->what);
    if (res == ARGUS_STORE_OK)
        res = k->follow_up(st, &b, add, msg, msglen);
    *more |= b.rows > 0;
    purge_batch_close(&b);
    return res;
}

/* Old traces with all their spans: whole traces until about `chunk` spans. */
static int delete_traces(sqlite_store *st, purge_batch *b, argus_purge_counts *add, char *msg,
                         size_t msglen)
{
    sqlite3_stmt *dspans = b->q[1], *dtrace = b->q[2];
    int res = ARGUS_STORE_OK;
    for (size_t i = 0; i < b->n && res == ARGUS_STORE_OK; i++) {
        sqlite3_bind_text(dspans, 1, b->keep[i], -1, SQLITE_STATIC);
        res = run(st, dspans, msg, msglen, "deleting old spans");
        if (res == ARGUS_STORE_OK) {
            add->spans += (uint64_t)sqlite3_changes64(st->db);
            sqlite3_bind_text(dtrace, 1, b->keep[i], -1, SQLITE_STATIC);
            res = run(st, dtrace, msg, msglen, "deleting old traces");
            add->traces += (uint64_t)sqlite3_changes64(st->db);
        }
    }
    return res;
}

static const purge_kind OLD_TRACES = {
    {Q_OLD_TRACES, Q_DEL_TRACE_SPANS, Q_DEL_TRACE}, 0, "finding old traces", delete_traces};

/* Old log records (deleted); the patterns they counted are decremented (and dropped when
 * empty). */
static int uncount_patterns(sqlite_store *st, purge_batch *b, argus_purge_counts *add, char *msg,
                            size_t msglen)
{
    sqlite3_stmt *less = b->q[1], *empty = b->q[2];
    int res = ARGUS_STORE_OK;
    add->logs += b->rows;
    size_t n = b->n;
    char **pats = b->keep;
    qsort(pats, n, sizeof *pats, cmp_str);
    for (size_t i = 0; i < n && res == ARGUS_STORE_OK;) {
        size_t j = i + 1;
        while (j < n && strcmp(pats[j], pats[i]) == 0)
            j++;
        sqlite3_bind_text(less, 1, pats[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(less, 2, (int64_t)(j - i));
        sqlite3_bind_int64(less, 3, b->max);
        res = run(st, less, msg, msglen, "updating log_patterns");
        if (res == ARGUS_STORE_OK) {
            sqlite3_bind_text(empty, 1, pats[i], -1, SQLITE_STATIC);
            res = run(st, empty, msg, msglen, "deleting empty log_patterns");
            add->patterns += (uint64_t)sqlite3_changes64(st->db);
        }
        i = j;
    }
    return res;
}

static const purge_kind OLD_LOGS = {
    {Q_DEL_OLD_LOGS, Q_PATTERN_LESS, Q_PATTERN_EMPTY}, 1, "deleting old logs", uncount_patterns};

/* Runs a chunked DELETE (bound: [?1 = before,] chunk); adds the rows deleted to *count. */
static int purge_step(sqlite_store *st, int which, const int64_t *before, unsigned chunk,
                      uint64_t *count, int *more, char *msg, size_t msglen)
{
    int res;
    sqlite3_stmt *s = query(st, which, msg, msglen, &res);
    if (!s)
        return res;
    int i = 1;
    if (before)
        sqlite3_bind_int64(s, i++, *before);
    sqlite3_bind_int64(s, i, chunk);
    res = run(st, s, msg, msglen, "purging");
    if (res == ARGUS_STORE_OK) {
        int64_t n = sqlite3_changes64(st->db);
        if (count)
            *count += (uint64_t)n;
        *more |= n > 0;
    }
    return res;
}

/* The rollup tables, each purged after its signal's rows, one step per chunk: whole (purge all)
 * or the minutes that ended before the cut-off. Only span_rollups rows are counted (rollups). */
static const struct {
    argus_signal signal;
    int all, older; /* Q_* */
    int counted;
} ROLLUP_PURGES[] = {
    {ARGUS_SIGNAL_TRACES, Q_DEL_ROLLUPS, Q_DEL_OLD_ROLLUPS, 1},
    {ARGUS_SIGNAL_LOGS, Q_DEL_LOG_ROLLUPS, Q_DEL_OLD_LOG_ROLLUPS, 0},         /* API, 007 */
    {ARGUS_SIGNAL_TRACES, Q_DEL_OP_ROLLUPS, Q_DEL_OLD_OP_ROLLUPS, 0},         /* API, 008 */
    {ARGUS_SIGNAL_LOGS, Q_DEL_PATTERN_ROLLUPS, Q_DEL_OLD_PATTERN_ROLLUPS, 0}, /* API, 008 */
};

/* sig: the signals' bits; before: NULL to purge everything. */
static int purge_rollups(sqlite_store *st, unsigned sig, const int64_t *before, unsigned chunk,
                         argus_purge_counts *add, int *more, char *msg, size_t msglen)
{
    int res = ARGUS_STORE_OK;
    for (size_t i = 0; i < sizeof ROLLUP_PURGES / sizeof ROLLUP_PURGES[0]; i++) {
        if (res != ARGUS_STORE_OK || *more)
            break;
        if ((sig >> ROLLUP_PURGES[i].signal) & 1)
            res = purge_step(st, before ? ROLLUP_PURGES[i].older : ROLLUP_PURGES[i].all, before,
                             chunk, ROLLUP_PURGES[i].counted ? &add->rollups : NULL, more, msg,
                             msglen);
    }
    return res;
}

static int sqlite_purge_chunk(argus_store *base, const argus_purge_spec *spec,
                              argus_purge_counts *add, int *more, char *msg, size_t msglen)
{
    sqlite_store *st = (sqlite_store *)base;
    *more = 0;
    unsigned chunk = spec->chunk_rows ? spec->chunk_rows : PURGE_CHUNK_ROWS;
    unsigned sig = spec->signals ? spec->signals : (1u << ARGUS_SIGNAL_COUNT) - 1;
    int traces = (sig >> ARGUS_SIGNAL_TRACES) & 1, logs = (sig >> ARGUS_SIGNAL_LOGS) & 1;
    if (file_moved(st, msg, msglen))
        return ARGUS_STORE_RETRY;
    int res = exec(st, "BEGIN IMMEDIATE", msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    /* One kind of row per chunk, in this order, so each transaction stays small. */
    if (spec->all) {
        if (traces)
            res = purge_step(st, Q_DEL_SPANS, NULL, chunk, &add->spans, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs)
            res = purge_step(st, Q_DEL_LOGS, NULL, chunk, &add->logs, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && traces)
            res = purge_step(st, Q_DEL_TRACES, NULL, chunk, &add->traces, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more)
            res = purge_rollups(st, sig, NULL, chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs)
            res = purge_step(st, Q_DEL_PATTERNS, NULL, chunk, &add->patterns, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs) {
            sqlite3_stmt *r = query(st, Q_RESET_INSIGHTS, msg, msglen, &res);
            if (r)
                res = run(st, r, msg, msglen, "resetting the insight job");
        }
        if (res == ARGUS_STORE_OK && !*more && traces && logs)
            res = purge_step(st, Q_DEL_REQUESTS, NULL, chunk, &add->requests, more, msg, msglen);
    } else {
        const int64_t *b = &spec->before_ns;
        if (traces)
            res = purge_old(st, &OLD_TRACES, *b, chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs)
            res = purge_old(st, &OLD_LOGS, *b, chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more)
            res = purge_rollups(st, sig, b, chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && traces && logs)
            res = purge_step(st, Q_DEL_OLD_REQUESTS, b, chunk, &add->requests, more, msg, msglen);
    }
    /* Resources are shared by both signals: dropped only once no record is left at all. */
    if (res == ARGUS_STORE_OK && !*more) {
        sqlite3_stmt *any = query(st, Q_ANY_RECORD, msg, msglen, &res);
        int left = 1;
        if (any) {
            int rc = sqlite3_step(any);
            if (rc == SQLITE_ROW)
                left = sqlite3_column_int(any, 0);
            else
                res = fail(st, rc, msg, msglen, "checking for records");
            sqlite3_reset(any);
        }
        if (res == ARGUS_STORE_OK && !left)
            res = purge_step(st, Q_DEL_RESOURCES, NULL, chunk, NULL, more, msg, msglen);
    }
    if (res == ARGUS_STORE_OK)
        res = exec(st, "COMMIT", msg, msglen);
    if (res != ARGUS_STORE_OK)
        sqlite_rollback(base);
    return res;
}

/* ---- health ---------------------------------------------------------------------------------- */

struct argus_store_pinger {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    dev_t dev;
    ino_t ino;
};

static void sqlite_pinger_free(argus_store_pinger *p)
{
    if (!p)
        return;
    sqlite3_finalize(p->stmt);
    sqlite3_close(p->db);
    free(p);
}

/* A read-only connection kept open: /readyz costs a query, not an open. It is replaced when the
 * path names another file than the one it reads. */
static int sqlite_ping(argus_store_pinger **pp, const argus_config *cfg, char *msg, size_t msglen)
{
    struct stat sb;
    if (stat(cfg->db_path, &sb) != 0) {
        snprintf(msg, msglen, "sqlite: %s: %s", cfg->db_path, strerror(errno));
        sqlite_pinger_free(*pp);
        *pp = NULL;
        return -1;
    }
    argus_store_pinger *p = *pp;
    if (p && (p->dev != sb.st_dev || p->ino != sb.st_ino)) {
        sqlite_pinger_free(p);
        *pp = p = NULL;
    }
    int rc = SQLITE_OK;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) {
            snprintf(msg, msglen, "sqlite: out of memory");
            return -1;
        }
        p->dev = sb.st_dev;
        p->ino = sb.st_ino;
        rc =
            sqlite3_open_v2(cfg->db_path, &p->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_busy_timeout(p->db, 1000);
            rc = sqlite3_prepare_v2(p->db, "SELECT max(version) FROM argus_migrations", -1,
                                    &p->stmt, NULL);
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(p->stmt) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(p->db);
    if (p->stmt)
        sqlite3_reset(p->stmt);
    if (rc != SQLITE_OK) {
        snprintf(msg, msglen, "sqlite: %s", p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
        sqlite_pinger_free(p);
        *pp = NULL;
        return -1;
    }
    *pp = p;
    return 0;
}

/* ---- background jobs ------------------------------------------------------------------------- */

#define JOB_BUSY_TIMEOUT_MS 2000

struct argus_store_job {
    sqlite3 *db;
    size_t n;
    sqlite3_stmt *stmt[];
};

static void sqlite_job_close(argus_store_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++)
        sqlite3_finalize(j->stmt[i]);
    if (j->db && sqlite3_close(j->db) != SQLITE_OK)
        argus_log(ARGUS_LOG_WARN, "sqlite: closing a job connection failed", "error=\"%s\"",
                  sqlite3_errmsg(j->db));
    free(j);
}

/* The one place a job's SQLite errors become results. */
static int job_fail(argus_store_job *j, int rc, const char *what, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "sqlite: %s: %s", what,
             j && j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? ARGUS_STORE_BUSY
                                                                      : ARGUS_STORE_RETRY;
}

static int job_exec(argus_store_job *j, const char *sql, char *msg, size_t msglen)
{
    int rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ARGUS_STORE_OK : job_fail(j, rc, sql, msg, msglen);
}

/* A read-write connection of its own with our functions, in WAL mode like the writer's. */
static int sqlite_job_open(argus_store_job **out, const argus_config *cfg, const char *const *sql,
                           size_t n, char *msg, size_t msglen)
{
    *out = NULL;
    argus_store_job *j = calloc(1, sizeof *j + n * sizeof j->stmt[0]);
    if (!j) {
        snprintf(msg, msglen, "sqlite: out of memory");
        return ARGUS_STORE_RETRY;
    }
    int rc = sqlite3_open_v2(cfg->db_path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             journal_vfs_name());
    int res = ARGUS_STORE_OK;
    if (rc != SQLITE_OK) {
        res = job_fail(j, rc, "opening the database", msg, msglen);
        goto out;
    }
    sqlite3_extended_result_codes(j->db, 1);
    sqlite3_busy_timeout(j->db, JOB_BUSY_TIMEOUT_MS);
    if ((res = register_functions(j->db, msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", cfg->sqlite_synchronous);
    if ((res = job_exec(j, "PRAGMA journal_mode=WAL", msg, msglen)) != ARGUS_STORE_OK ||
        (res = job_exec(j, pragma, msg, msglen)) != ARGUS_STORE_OK)
        goto out;
    for (; j->n < n; j->n++) {
        rc = sqlite3_prepare_v3(j->db, sql[j->n], -1, SQLITE_PREPARE_PERSISTENT, &j->stmt[j->n],
                                NULL);
        if (rc != SQLITE_OK) {
            res = job_fail(j, rc, "opening the database", msg, msglen);
            goto out;
        }
    }
out:
    if (res != ARGUS_STORE_OK)
        sqlite_job_close(j);
    else
        *out = j;
    return res;
}

static int sqlite_job_begin(argus_store_job *j, char *msg, size_t msglen)
{
    return job_exec(j, "BEGIN IMMEDIATE", msg, msglen);
}

static int sqlite_job_step(argus_store_job *j, size_t i, const int64_t *args, size_t nargs,
                           int64_t *out, const char *what, char *msg, size_t msglen)
{
    sqlite3_stmt *s = j->stmt[i];
    for (size_t k = 0; k < nargs; k++)
        sqlite3_bind_int64(s, (int)k + 1, args[k]);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (out)
            *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? ARGUS_STORE_OK : job_fail(j, rc, what, msg, msglen);
}

static int sqlite_job_commit(argus_store_job *j, char *msg, size_t msglen)
{
    return job_exec(j, "COMMIT", msg, msglen);
}

static void sqlite_job_rollback(argus_store_job *j)
{
    if (j && !sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

const argus_store_driver argus_store_sqlite = {
    .scheme = "sqlite",
    .name = "SQLite",
    .open = sqlite_open,
    .close = sqlite_close,
    .begin = sqlite_begin,
    .put = sqlite_put,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .broken = sqlite_broken,
    .exec = sqlite_exec,
    .probe_sql = "INSERT INTO argus_jobs (name, last_id) VALUES ('probe', 1)"
                 " ON CONFLICT (name) DO UPDATE SET last_id = last_id + 1",
    .set_wait_deadline = sqlite_set_wait_deadline,
    .jobs = argus_sqlite_jobs,
    .job_open = sqlite_job_open,
    .job_begin = sqlite_job_begin,
    .job_step = sqlite_job_step,
    .job_commit = sqlite_job_commit,
    .job_rollback = sqlite_job_rollback,
    .job_close = sqlite_job_close,
    .purge_chunk = sqlite_purge_chunk,
    .ping = sqlite_ping,
    .pinger_free = sqlite_pinger_free,
    .read = &argus_store_read_sqlite,
};

struct sqlite3 *argus_store_sqlite_db(argus_store *st)
{
    return st && st->driver == &argus_store_sqlite ? ((sqlite_store *)st)->db : NULL;
}
