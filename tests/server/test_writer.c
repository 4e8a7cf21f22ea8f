/* The batching writer and the SQLite storage driver, in process, on real SQLite databases:
 * the live-tail publish after COMMIT (argus_writer_on_commit), retried requests stored once,
 * purges (everything, older than) keeping the traces summary, rollups, patterns and the search
 * index consistent, a COMMIT that itself fails (no request is acknowledged before its COMMIT
 * succeeded), a request refused after it wrote (rolled back from the statement journal, in
 * memory or in a file), a
 * database server not reachable at start (not ready, then connected), and the read
 * side's statement cache. Built into build/tests/unit, so the unit and asan layers run it.
 *   build/tests/unit/test_writer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "stats.h"
#include "store.h"
#include "store_read.h"
#include "writer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ARGUS_SOURCE_DIR
#define ARGUS_SOURCE_DIR "."
#endif

/* ---- helpers ----------------------------------------------------------------------------------
 */

typedef struct buf {
    unsigned char *data;
    size_t len;
} buf;

static buf fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/hand/%s", ARGUS_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("expected fixture %s to exist", path);
    buf b = {malloc(1 << 20), 0};
    b.len = fread(b.data, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* One pending Export: waits for the writer's answer. */
typedef struct pending {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done;
    argus_ingest_result r;
    const char *db_path;
    int64_t rows_visible; /* log records another connection sees when the answer arrives */
} pending;

static int64_t scalar(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        else
            fprintf(stderr, "# %s: %s\n", sql, sqlite3_errmsg(db));
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static void on_done(void *ctx, const argus_ingest_result *r)
{
    pending *p = ctx;
    /* What a client could read the moment it has its answer. */
    int64_t visible = scalar(p->db_path, "SELECT count(*) FROM log_records");
    pthread_mutex_lock(&p->mu);
    p->r = *r;
    p->rows_visible = visible;
    p->done = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

/* Sends one payload and returns its answer (immediate or after the commit). */
static argus_ingest_result export_as(argus_writer *w, const char *db_path, argus_signal sig,
                                     argus_otlp_format format, const buf *b, int64_t *rows_visible)
{
    pending p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cond, NULL);
    p.db_path = db_path;
    argus_ingest_result now;
    if (argus_writer_ingest(w, sig, format, b->data, b->len, on_done, &p, &now)) {
        pthread_mutex_lock(&p.mu);
        while (!p.done)
            pthread_cond_wait(&p.cond, &p.mu);
        pthread_mutex_unlock(&p.mu);
        now = p.r;
        if (rows_visible)
            *rows_visible = p.rows_visible;
    } else if (rows_visible) {
        *rows_visible = -1;
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cond);
    return now;
}

static argus_ingest_result export(argus_writer *w, const char *db_path, argus_signal sig,
                                  const buf *b, int64_t *rows_visible)
{
    return export_as(w, db_path, sig, ARGUS_OTLP_PROTOBUF, b, rows_visible);
}

/* Live-tail publications seen. */
typedef struct published {
    int calls;
    argus_signal sig[16];
    int64_t first[16], last[16];
} published;

static void on_commit(void *ctx, argus_signal sig, int64_t first, int64_t last)
{
    published *p = ctx;
    if (p->calls < 16) {
        p->sig[p->calls] = sig;
        p->first[p->calls] = first;
        p->last[p->calls] = last;
    }
    p->calls++;
}

typedef struct purge_wait {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done;
    argus_purge_result r;
} purge_wait;

static void on_purged(void *ctx, const argus_purge_result *r)
{
    purge_wait *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->r = *r;
    p->done = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

static argus_purge_result purge(argus_writer *w, int all, int64_t before_ns, unsigned signals)
{
    purge_wait p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cond, NULL);
    argus_purge_request req = {.all = all, .before_ns = before_ns, .signals = signals};
    char msg[256];
    int rc = argus_writer_purge(w, &req, on_purged, &p, msg, sizeof msg);
    if (rc != 0)
        fail_msg("expected the purge to be queued, got: %s", msg);
    pthread_mutex_lock(&p.mu);
    while (!p.done)
        pthread_cond_wait(&p.cond, &p.mu);
    pthread_mutex_unlock(&p.mu);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cond);
    return p.r;
}

typedef struct fixture_state {
    char dir[256];
    char db_path[512];
    argus_config cfg;
    argus_writer *w;
} fixture_state;

static void config_for(fixture_state *f, const char *scheme)
{
    memset(&f->cfg, 0, sizeof f->cfg);
    snprintf(f->cfg.db_url, sizeof f->cfg.db_url, "%s:%s", scheme, f->db_path);
    snprintf(f->cfg.db_path, sizeof f->cfg.db_path, "%s", f->db_path);
    f->cfg.batch_size = 10000;
    f->cfg.batch_latency_ms = 1;
    f->cfg.queue_max_items = 100000;
    f->cfg.queue_max_bytes = 64 << 20;
    f->cfg.max_message_size = 16 << 20;
    f->cfg.memory_limit = (size_t)256 << 20;
    snprintf(f->cfg.sqlite_synchronous, sizeof f->cfg.sqlite_synchronous, "NORMAL");
    f->cfg.sqlite_busy_timeout_ms = 2000;
    f->cfg.shutdown_timeout_ms = 5000;
    f->cfg.retention_s = 0;
}

static int setup(void **state)
{
    fixture_state *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/argus-writer-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db_path, sizeof f->db_path, "%s/argus.db", f->dir);
    config_for(f, "sqlite");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_state *f = *state;
    argus_writer_free(f->w);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void start(fixture_state *f)
{
    char msg[512];
    if (argus_writer_start(&f->w, &f->cfg, msg, sizeof msg) != 0)
        fail_msg("expected the writer to start, got: %s", msg);
}

#define COUNT(f, sql) scalar((f)->db_path, sql)

/* Sends b through the writer and asserts it was stored (ARGUS_INGEST_OK). */
#define EXPORT_OK(f, sig, b)                                                                       \
    assert_int_equal(export((f)->w, (f)->db_path, sig, b, NULL).status, ARGUS_INGEST_OK)

/* Starts the writer with its live-tail publications recorded in *pub. */
static void start_published(fixture_state *f, published *pub)
{
    start(f);
    memset(pub, 0, sizeof *pub);
    argus_writer_on_commit(f->w, on_commit, pub);
}

/* ---- tests ------------------------------------------------------------------------------------
 */

/* After each COMMIT the writer publishes the committed row ids per signal, and those are exactly
 * the rows stored. */
static void test_on_commit_publishes_committed_ids(void **state)
{
    fixture_state *f = *state;
    published pub;
    start_published(f, &pub);
    buf logs = fixture("logs_basic.pb"), spans = fixture("spans_basic.pb");
    argus_ingest_result r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(pub.calls, 1);
    assert_int_equal(pub.sig[0], ARGUS_SIGNAL_LOGS);
    assert_int_equal(pub.first[0], COUNT(f, "SELECT min(id) FROM log_records"));
    assert_int_equal(pub.last[0], COUNT(f, "SELECT max(id) FROM log_records"));
    assert_int_equal(pub.last[0] - pub.first[0] + 1, COUNT(f, "SELECT count(*) FROM log_records"));
    r = export(f->w, f->db_path, ARGUS_SIGNAL_TRACES, &spans, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(pub.calls, 2);
    assert_int_equal(pub.sig[1], ARGUS_SIGNAL_TRACES);
    assert_int_equal(pub.first[1], COUNT(f, "SELECT min(id) FROM span_records"));
    assert_int_equal(pub.last[1], COUNT(f, "SELECT max(id) FROM span_records"));
    free(logs.data);
    free(spans.data);
}

/* An identical request sent again (a client retry) is answered as stored and stores nothing;
 * across a restart too. */
static void test_identical_request_stored_once(void **state)
{
    fixture_state *f = *state;
    published pub;
    start_published(f, &pub);
    buf logs = fixture("logs_basic.pb"), spans = fixture("spans_basic.pb");
    uint64_t dup0 = atomic_load(&argus_stats_get()->signal[ARGUS_SIGNAL_LOGS].duplicates);
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &spans);
    int64_t nlogs = COUNT(f, "SELECT count(*) FROM log_records");
    int64_t nspans = COUNT(f, "SELECT count(*) FROM span_records");
    int64_t span_count = COUNT(f, "SELECT sum(span_count) FROM traces");
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &spans);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), nlogs);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM span_records"), nspans);
    assert_int_equal(COUNT(f, "SELECT sum(span_count) FROM traces"), span_count);
    assert_int_equal(pub.calls, 2); /* nothing new to publish */
    assert_int_equal(atomic_load(&argus_stats_get()->signal[ARGUS_SIGNAL_LOGS].duplicates),
                     dup0 + 1);
    /* a restart remembers what was stored */
    argus_writer_free(f->w);
    f->w = NULL;
    start(f);
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), nlogs);
    /* One byte different (a later record time) is distinct data and is stored. */
    logs.data[logs.len - 1] ^= 1;
    argus_ingest_result r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 2 * nlogs);
    free(logs.data);
    free(spans.data);
}

/* An OTLP/JSON logs request of n records of service svc whose bodies start with word, each
 * with its own trace id (so they land all over the trace-id index). Owned by caller. */
static buf logs_json(const char *svc, const char *word, int n, unsigned seed)
{
    size_t cap = (size_t)n * 200 + 512, len = 0;
    buf b = {malloc(cap), 0};
    len += (size_t)snprintf((char *)b.data + len, cap - len,
                            "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":"
                            "\"service.name\",\"value\":{\"stringValue\":\"%s\"}}]},"
                            "\"scopeLogs\":[{\"logRecords\":[",
                            svc);
    uint64_t x = seed;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        len += (size_t)snprintf((char *)b.data + len, cap - len,
                                "%s{\"timeUnixNano\":\"%d000000000\",\"severityNumber\":9,"
                                "\"traceId\":\"%016llx%016llx\",\"body\":{\"stringValue\":"
                                "\"%s %d done\"}}",
                                i ? "," : "", 1700000000 + i, (unsigned long long)x,
                                (unsigned long long)(x ^ 0x9e3779b97f4a7c15u), word, i);
    }
    len += (size_t)snprintf((char *)b.data + len, cap - len, "]}]}]}");
    b.len = len;
    return b;
}

static void exec_rw(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    if (sqlite3_open(db_path, &db) != SQLITE_OK ||
        (sqlite3_busy_timeout(db, 2000), sqlite3_exec(db, sql, NULL, NULL, &err)) != SQLITE_OK)
        fail_msg("expected `%s` to run, got: %s", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The statement journal's size past which the writer's connection moves it from memory to a
 * temporary file (server/store_sqlite.c). */
extern _Atomic size_t argus_sqlite_journal_memory_max;

/* A request refused after its records were written (here: its resource id stored with other
 * attributes) is undone from the statement journal (~1 MB; in memory, or in a file when
 * journal_max is smaller): none of its records stay, the database and its search index are
 * intact, and the same request is stored once the conflict is gone. */
static void refused_request_rolled_back(fixture_state *f, size_t journal_max)
{
    size_t journal_default = atomic_load(&argus_sqlite_journal_memory_max);
    atomic_store(&argus_sqlite_journal_memory_max, journal_max);
    start(f);
    buf first = logs_json("svc-a", "alpha", 4000, 1), second = logs_json("svc-a", "beta", 4000, 2);
    argus_ingest_result r = {0};
    r = export_as(f->w, f->db_path, ARGUS_SIGNAL_LOGS, ARGUS_OTLP_JSON, &first, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 4000);
    exec_rw(f->db_path, "UPDATE resources SET attributes = '{\"tampered\":true}'"
                        " WHERE service_name = 'svc-a'");
    r = export_as(f->w, f->db_path, ARGUS_SIGNAL_LOGS, ARGUS_OTLP_JSON, &second, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_INVALID);
    if (!strstr(r.message, "a different resource is stored under this resource_id"))
        fail_msg("expected the resource conflict in the answer, got: %s", r.message);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 4000);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'beta'"), 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'alpha'"), 4000);
    assert_int_equal(COUNT(f, "SELECT sum(count) FROM log_rollups"), 4000);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM ingest_requests"), 1);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM pragma_integrity_check WHERE"
                              " integrity_check <> 'ok'"),
                     0);
    exec_rw(f->db_path, "INSERT INTO logs_fts (logs_fts) VALUES ('integrity-check')");
    exec_rw(f->db_path, "UPDATE resources SET attributes = '{\"service.name\":\"svc-a\"}'"
                        " WHERE service_name = 'svc-a'");
    r = export_as(f->w, f->db_path, ARGUS_SIGNAL_LOGS, ARGUS_OTLP_JSON, &second, NULL);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 8000);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'beta'"), 4000);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM pragma_integrity_check WHERE"
                              " integrity_check <> 'ok'"),
                     0);
    free(first.data);
    free(second.data);
    atomic_store(&argus_sqlite_journal_memory_max, journal_default);
}

static void test_refused_request_rolled_back(void **state)
{
    refused_request_rolled_back(*state, atomic_load(&argus_sqlite_journal_memory_max));
}

static void test_refused_request_rolled_back_from_file(void **state)
{
    refused_request_rolled_back(*state, 64 << 10);
}

/* Delete-all empties every table in chunks; the same data can then be stored again. */
static void test_purge_all(void **state)
{
    fixture_state *f = *state;
    start(f);
    buf logs = fixture("logs_basic.pb"), spans = fixture("spans_basic.pb"),
        a = fixture("spans_split_a.pb"), b = fixture("spans_split_b.pb");
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &spans);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &a);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &b);
    int64_t nspans = COUNT(f, "SELECT count(*) FROM span_records");
    int64_t nlogs = COUNT(f, "SELECT count(*) FROM log_records");
    assert_true(nspans > 2 && nlogs > 0);
    assert_true(COUNT(f, "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'declined'") > 0);
    argus_purge_result r = purge(f->w, 1, 0, 0);
    assert_true(r.ok);
    assert_true(r.all);
    assert_int_equal(r.spans, nspans);
    assert_int_equal(r.logs, nlogs);
    assert_true(r.traces >= 2);
    const char *empty[] = {"span_records", "log_records", "traces",         "span_rollups",
                           "log_patterns", "resources",   "ingest_requests"};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        char q[128];
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", empty[i]);
        if (COUNT(f, q) != 0)
            fail_msg("expected %s empty after purging everything, got %lld rows", empty[i],
                     (long long)COUNT(f, q));
    }
    assert_int_equal(COUNT(f, "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'declined'"), 0);
    /* forgotten requests may be sent again */
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), nlogs);
    free(logs.data);
    free(spans.data);
    free(a.data);
    free(b.data);
}

/* Older-than: whole traces by their start, logs by time; log_patterns counts follow; newer data
 * stays. Small chunks so several transactions run. */
static void test_purge_older_than(void **state)
{
    fixture_state *f = *state;
    start(f);
    buf logs = fixture("logs_basic.pb"), spans = fixture("spans_basic.pb");
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    EXPORT_OK(f, ARGUS_SIGNAL_TRACES, &spans);
    int64_t oldest_log = COUNT(f, "SELECT min(time_unix_nano) FROM log_records");
    int64_t newest_log = COUNT(f, "SELECT max(time_unix_nano) FROM log_records");
    int64_t trace_start = COUNT(f, "SELECT min(start_time_unix_nano) FROM traces");
    int64_t nlogs = COUNT(f, "SELECT count(*) FROM log_records");
    assert_true(oldest_log < newest_log);
    /* Tag every log with one pattern, as the insight worker would. */
    {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(f->db_path, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 2000);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "UPDATE log_records SET pattern_id = 'p1';"
                 "INSERT INTO log_patterns (pattern_id, template, count, first_seen_ns,"
                 " last_seen_ns) VALUES ('p1', 't', %lld, %lld, %lld)",
                 (long long)nlogs, (long long)oldest_log, (long long)newest_log);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    /* Nothing is older than the oldest row. */
    argus_purge_result r = purge(f->w, 0, oldest_log < trace_start ? oldest_log : trace_start, 0);
    assert_true(r.ok);
    assert_int_equal(r.spans + r.logs + r.traces, 0);
    /* Logs only, up to the newest log: every log but the newest goes; spans stay. */
    r = purge(f->w, 0, newest_log, 1u << ARGUS_SIGNAL_LOGS);
    assert_true(r.ok);
    assert_int_equal(r.spans, 0);
    int64_t left = COUNT(f, "SELECT count(*) FROM log_records");
    assert_int_equal(r.logs, nlogs - left);
    assert_true(left >= 1);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records WHERE time_unix_nano < (SELECT "
                              "max(time_unix_nano) FROM log_records)"),
                     0);
    assert_int_equal(COUNT(f, "SELECT count FROM log_patterns WHERE pattern_id = 'p1'"), left);
    assert_true(COUNT(f, "SELECT first_seen_ns FROM log_patterns") <= newest_log);
    assert_true(COUNT(f, "SELECT count(*) FROM span_records") > 0);
    /* Traces by their start: everything up to a cut-off after it. */
    r = purge(f->w, 0, trace_start + 1, 1u << ARGUS_SIGNAL_TRACES);
    assert_true(r.ok);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM span_records"), 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM traces"), 0);
    assert_int_equal(r.traces, 1);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), left);
    /* Everything: the pattern has no line left and goes; resources go when no record is left. */
    r = purge(f->w, 0, INT64_MAX, 0);
    assert_true(r.ok);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_patterns"), 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM resources"), 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM span_rollups"), 0);
    free(logs.data);
    free(spans.data);
    /* a cut-off is required */
    argus_purge_request bad = {0};
    char msg[256];
    assert_int_equal(argus_writer_purge(f->w, &bad, NULL, NULL, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "cut-off"));
}

/* COMMIT itself fails (SQLite's commit hook turns it into a rollback): the request is answered
 * "retry later" and nothing is stored; once commits work, the retry is stored and is visible to
 * another connection by the time it is acknowledged. */
static atomic_int commits_fail;

static int fail_commit(void *ctx)
{
    (void)ctx;
    return atomic_load(&commits_fail); /* non-zero: SQLite rolls back and COMMIT fails */
}

static int faulty_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    int rc = argus_store_sqlite.open(out, cfg, msg, msglen);
    if (rc == ARGUS_STORE_OK)
        sqlite3_commit_hook(argus_store_sqlite_db(*out), fail_commit, NULL);
    return rc;
}

static void test_commit_failure_never_acknowledged(void **state)
{
    fixture_state *f = *state;
    static argus_store_driver faulty;
    faulty = argus_store_sqlite;
    faulty.scheme = "faulty-sqlite";
    faulty.open = faulty_open;
    assert_int_equal(argus_store_driver_add(&faulty), 0);
    config_for(f, "faulty-sqlite");
    start(f);
    buf logs = fixture("logs_basic.pb");
    atomic_store(&commits_fail, 1);
    int64_t visible = 0;
    argus_ingest_result r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, &visible);
    assert_int_equal(r.status, ARGUS_INGEST_UNAVAILABLE);
    assert_true(r.retry_after_s > 0);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 0);
    char reason[256];
    assert_int_equal(argus_writer_ready(f->w, reason, sizeof reason), 0);
    /* The idle writer probes the database every second: BEGIN still works, COMMIT does not, so
     * it must not call the database writable again. */
    usleep(1500 * 1000);
    if (argus_writer_ready(f->w, reason, sizeof reason) != 0)
        fail_msg("expected not ready while every COMMIT fails (after a probe), got ready");
    atomic_store(&commits_fail, 0);
    r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, &visible);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    /* committed before acknowledged: another connection saw the rows in the callback */
    assert_int_equal(visible, 3);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 3);
    assert_int_equal(argus_writer_ready(f->w, reason, sizeof reason), 1);
    free(logs.data);
}

/* A database server not reachable at start (a network driver, here SQLite behind a switch that
 * refuses the connection the way MariaDB's client does): the writer starts anyway, not ready,
 * exports answered "retry later" with nothing stored; it connects by itself on its back-off
 * (first retry after 1 s) and then stores. A refusal that waiting cannot fix (REJECT: access
 * denied), or any failed open of a file database, stops the start. */
static atomic_int server_down, server_answer;

static int netfail_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    if (atomic_load(&server_down)) {
        snprintf(msg, msglen, "connecting to 127.0.0.1:1: %s",
                 atomic_load(&server_answer) == ARGUS_STORE_REJECT ? "Access denied"
                                                                   : "Connection refused");
        return atomic_load(&server_answer);
    }
    return argus_store_sqlite.open(out, cfg, msg, msglen);
}

static void test_server_down_at_start(void **state)
{
    fixture_state *f = *state;
    static argus_store_driver net, file;
    net = argus_store_sqlite;
    net.scheme = "netfail-sqlite";
    net.open = netfail_open;
    net.network = 1;
    file = net;
    file.scheme = "filefail-sqlite";
    file.network = 0;
    assert_int_equal(argus_store_driver_add(&net), 0);
    assert_int_equal(argus_store_driver_add(&file), 0);
    char msg[512] = "";
    atomic_store(&server_down, 1);

    /* access denied: not worth waiting for */
    atomic_store(&server_answer, ARGUS_STORE_REJECT);
    config_for(f, "netfail-sqlite");
    assert_int_equal(argus_writer_start(&f->w, &f->cfg, msg, sizeof msg), -1);
    assert_null(f->w);
    assert_non_null(strstr(msg, "Access denied"));
    /* a file database that cannot be opened: a configuration error */
    atomic_store(&server_answer, ARGUS_STORE_RETRY);
    config_for(f, "filefail-sqlite");
    assert_int_equal(argus_writer_start(&f->w, &f->cfg, msg, sizeof msg), -1);
    assert_null(f->w);

    /* refused: runs, not ready, refuses exports, then connects on its own */
    config_for(f, "netfail-sqlite");
    start(f);
    assert_int_equal(argus_writer_connected(f->w), 0);
    char reason[512];
    assert_int_equal(argus_writer_ready(f->w, reason, sizeof reason), 0);
    if (!strstr(reason, "database not reachable yet") || !strstr(reason, "127.0.0.1:1"))
        fail_msg("expected a reason naming the unreachable server, got: %s", reason);
    buf logs = fixture("logs_basic.pb");
    int64_t visible = 0;
    argus_ingest_result r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, &visible);
    assert_int_equal(r.status, ARGUS_INGEST_UNAVAILABLE);
    assert_true(r.retry_after_s >= 1);
    if (!strstr(r.message, "Connection refused"))
        fail_msg("expected the export refused with the connection error, got: %s", r.message);
    atomic_store(&server_down, 0);
    int connected = 0;
    for (int i = 0; i < 40 && !connected; i++) {
        usleep(100 * 1000);
        connected = argus_writer_connected(f->w);
    }
    if (!connected)
        fail_msg("expected the writer connected within 4 s of the server answering, got not");
    assert_int_equal(argus_writer_ready(f->w, reason, sizeof reason), 1);
    r = export(f->w, f->db_path, ARGUS_SIGNAL_LOGS, &logs, &visible);
    assert_int_equal(r.status, ARGUS_INGEST_OK);
    assert_int_equal(COUNT(f, "SELECT count(*) FROM log_records"), 3);
    free(logs.data);
}

/* Column 0 of sql's one row, with ?1 bound to arg. */
static int64_t read_one(argus_read *rd, const char *sql, int64_t arg)
{
    argus_read_stmt *st;
    if (argus_read_prepare(rd, sql, -1, &st) != ARGUS_READ_OK)
        fail_msg("expected %s to prepare, got: %s", sql, argus_read_error(rd));
    assert_int_equal(argus_read_bind_int64(st, 1, arg), ARGUS_READ_OK);
    assert_int_equal(argus_read_step(st), ARGUS_READ_ROW);
    int64_t v = argus_read_int64(st, 0);
    assert_int_equal(argus_read_step(st), ARGUS_READ_DONE);
    argus_read_done(st);
    return v;
}

/* The read side's cache of prepared statements (store_read.c, the same for every backend), here
 * on SQLite with room for one: texts taking turns evict each other and still answer right; a
 * text prepared again while in use is a statement of its own; a failed prepare reports why and
 * leaves the cached statement working; writing statements are refused. The asan layer checks
 * that what the cache does not keep is freed. */
static void test_read_statement_cache(void **state)
{
    fixture_state *f = *state;
    start(f);
    buf logs = fixture("logs_basic.pb");
    EXPORT_OK(f, ARGUS_SIGNAL_LOGS, &logs);
    free(logs.data);
    argus_read *rd;
    char msg[256];
    argus_read_limits one = {.busy_ms = 1000, .cache = 1};
    if (argus_read_open(&rd, &f->cfg, &one, msg, sizeof msg) != ARGUS_READ_OK)
        fail_msg("expected a read connection, got: %s", msg);
    const char *count = "SELECT count(*) + ?1 FROM log_records", *plus = "SELECT ?1 + 1";
    for (int64_t i = 0; i < 3; i++) {
        assert_int_equal(read_one(rd, count, i), 3 + i);
        assert_int_equal(read_one(rd, plus, i), i + 1);
    }
    argus_read_stmt *a, *b;
    assert_int_equal(argus_read_prepare(rd, plus, -1, &a), ARGUS_READ_OK);
    assert_int_equal(argus_read_prepare(rd, plus, -1, &b), ARGUS_READ_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(argus_read_bind_int64(a, 1, 10), ARGUS_READ_OK);
    assert_int_equal(argus_read_bind_int64(b, 1, 20), ARGUS_READ_OK);
    assert_int_equal(argus_read_step(a), ARGUS_READ_ROW);
    assert_int_equal(argus_read_step(b), ARGUS_READ_ROW);
    assert_int_equal(argus_read_int64(a, 0), 11);
    assert_int_equal(argus_read_int64(b, 0), 21);
    argus_read_done(b);
    argus_read_done(a);
    argus_read_stmt *bad = NULL;
    assert_int_equal(argus_read_prepare(rd, "SELECT * FROM no_such_table", -1, &bad),
                     ARGUS_READ_ERROR);
    assert_null(bad);
    assert_non_null(strstr(argus_read_error(rd), "no_such_table"));
    assert_int_equal(read_one(rd, plus, 1), 2);
    assert_int_equal(argus_read_prepare(rd, "DELETE FROM log_records", -1, &bad), ARGUS_READ_ERROR);
    assert_non_null(strstr(argus_read_error(rd), "only reading statements"));
    assert_int_equal(read_one(rd, count, 0), 3);
    argus_read_close(rd);
}

/* ARGUS_DB selects the driver by scheme; a known backend missing from the build says so. */
static void test_driver_for_scheme(void **state)
{
    (void)state;
    char msg[256] = "";
    assert_ptr_equal(argus_store_driver_for("sqlite:/x/y.db", msg, sizeof msg),
                     &argus_store_sqlite);
    assert_null(argus_store_driver_for("mysql://u:p@127.0.0.1:3306/argus", msg, sizeof msg));
    assert_non_null(strstr(msg, "mysql backend is not built in this binary"));
    assert_null(argus_store_driver_for("postgres://x", msg, sizeof msg));
    assert_non_null(strstr(msg, "expected sqlite:<path>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_on_commit_publishes_committed_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_request_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_request_rolled_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_request_rolled_back_from_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purge_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_older_than, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_failure_never_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_down_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_statement_cache, setup, teardown),
        cmocka_unit_test(test_driver_for_scheme),
    };
    return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
