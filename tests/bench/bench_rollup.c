/* Benchmark: the dashboard's "requests, errors and p95 per minute over 24 h" answered from the
 * per-minute span_rollups (sketch_merge + sketch_quantile) versus from raw spans (percentile()).
 *   build/tests/bench/bench_rollup [spans=5000000] [services=10] [db=/tmp/argus_bench_rollup.db]
 * Builds an on-disk database with a minimal spans table (only the columns the query needs) and the
 * rollups that ingest would keep for those spans; prints timings, sizes and the p95 agreement. */
#include "argus_schema.h"
#include "argus_sqlite.h"
#include "bench_common.h"
#include "../support/argus_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MINUTE_NS 60000000000LL
#define DAY_NS (1440 * MINUTE_NS)
#define DAY_START_NS 1700006400000000000LL /* 2023-11-15 00:00 UTC */

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_rollup: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double uniform01(void)
{
    return ((double)(argus_test_xorshift(&rng) >> 11) + 0.5) / 9007199254740992.0;
}

/* Fills spans: time-ordered over one day, services round-robin-ish; 30% root SERVER spans, 10%
 * CONSUMER spans, the rest CLIENT/INTERNAL children; lognormal durations whose median depends on
 * the service; 2% of requests fail. */
static void load_spans(sqlite3 *db, long n, int services)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO spans (parent_span_id, kind, start_time_unix_nano, "
            "duration_ns, status_code, service_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            -1, &st, NULL) != SQLITE_OK)
        die(db, "prepare insert");
    char names[64][32];
    int nnames = services < 64 ? services : 64;
    for (int s = 0; s < nnames; s++)
        snprintf(names[s], sizeof names[s], "service-%02d", s);
    bench_exec(db, "BEGIN");
    double step = (double)DAY_NS / (double)n;
    for (long i = 0; i < n; i++) {
        int s = (int)(uniform01() * services) % nnames;
        double r = uniform01();
        int kind = r < 0.30 ? 2 : r < 0.40 ? 5 : r < 0.70 ? 3 : 1;
        int is_request = kind == 2 || kind == 5;
        double z = sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
        double median_ns = 2e6 * (1 + s % 7);
        int64_t duration = (int64_t)(median_ns * exp(0.8 * z) * (is_request ? 1.0 : 0.3));
        int status = is_request && uniform01() < 0.02 ? 2 : 0;
        int64_t start = DAY_START_NS + (int64_t)(i * step) + (int64_t)(uniform01() * step);
        if (kind == 2)
            sqlite3_bind_null(st, 1);
        else
            sqlite3_bind_text(st, 1, "00f067aa0ba902b7", 16, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, kind);
        sqlite3_bind_int64(st, 3, start);
        sqlite3_bind_int64(st, 4, duration);
        sqlite3_bind_int(st, 5, status);
        sqlite3_bind_text(st, 6, names[s], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            die(db, "insert span");
        sqlite3_reset(st);
    }
    bench_exec(db, "COMMIT");
    sqlite3_finalize(st);
}

typedef struct minute_row {
    int64_t minute;
    int64_t requests, errors;
    double p95;
} minute_row;

/* Runs a per-minute query (?1, ?2 = range) and collects its rows; returns the elapsed ms. */
static double run_query(sqlite3 *db, const char *sql, minute_row *rows, int *nrows)
{
    sqlite3_stmt *st;
    double t0 = bench_now() * 1e3;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(db, "prepare query");
    sqlite3_bind_int64(st, 1, DAY_START_NS);
    sqlite3_bind_int64(st, 2, DAY_START_NS + DAY_NS);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n < 1440) {
            rows[n].minute = sqlite3_column_int64(st, 0);
            rows[n].requests = sqlite3_column_int64(st, 1);
            rows[n].errors = sqlite3_column_int64(st, 2);
            rows[n].p95 = sqlite3_column_double(st, 3);
        }
        n++;
    }
    if (rc != SQLITE_DONE)
        die(db, "query");
    sqlite3_finalize(st);
    *nrows = n;
    return bench_now() * 1e3 - t0;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(db, "prepare scalar");
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void print_plan(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("    plan: %s\n", (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
    }
    sqlite3_free(q);
}

static const char *ROLLUP_QUERY = "SELECT minute_ns, sum(requests), sum(errors), "
                                  "sketch_quantile(sketch_merge(duration_sketch), 0.95) "
                                  "FROM span_rollups WHERE minute_ns >= ?1 AND minute_ns < ?2 "
                                  "GROUP BY minute_ns ORDER BY minute_ns";
static const char *ROLLUP_QUERY_SCAN =
    "SELECT minute_ns, sum(requests), sum(errors), "
    "sketch_quantile(sketch_merge(duration_sketch), 0.95) "
    "FROM span_rollups NOT INDEXED WHERE minute_ns >= ?1 AND minute_ns < ?2 "
    "GROUP BY minute_ns ORDER BY minute_ns";
static const char *SERVICE_QUERY =
    "SELECT minute_ns, requests, errors, sketch_quantile(duration_sketch, 0.95) "
    "FROM span_rollups WHERE service_name = 'service-03' AND minute_ns >= ?1 AND minute_ns < ?2 "
    "ORDER BY minute_ns";
static const char *RAW_QUERY =
    "SELECT start_time_unix_nano / 60000000000 * 60000000000 AS minute, count(*), "
    "sum(status_code = 2), percentile(duration_ns, 0.95) "
    "FROM spans WHERE start_time_unix_nano >= ?1 AND start_time_unix_nano < ?2 "
    "AND +(kind IN (2, 5) OR parent_span_id IS NULL) GROUP BY minute ORDER BY minute";

/* Best of `runs` timings (the first run also warms the page cache). */
static double best_of(sqlite3 *db, const char *sql, int runs, minute_row *rows, int *n)
{
    double best = INFINITY;
    for (int i = 0; i < runs; i++) {
        double ms = run_query(db, sql, rows, n);
        if (ms < best)
            best = ms;
    }
    return best;
}

int main(int argc, char **argv)
{
    long nspans = argc > 1 ? atol(argv[1]) : 5000000;
    int services = argc > 2 ? atoi(argv[2]) : 10;
    const char *path = argc > 3 ? argv[3] : "/tmp/argus_bench_rollup.db";
    if (nspans < 1 || services < 1 || services > 64) {
        fprintf(stderr, "usage: bench_rollup [spans>0] [services 1..64] [db path]\n");
        return 2;
    }
    char side[512];
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-journal", path);
    remove(side);

    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die(db, "open");
    if (argus_register_percentile(db, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_rollup: %s\n", err ? err : "register failed");
        return 1;
    }
    bench_exec(db,
               "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
    /* Only the columns the dashboard query reads; the real spans table has no index on time
     * either (sql/sqlite/001_init.sql), so the raw query scans. */
    bench_exec(db, "CREATE TABLE spans (id INTEGER PRIMARY KEY, parent_span_id TEXT, kind INTEGER, "
                   "start_time_unix_nano INTEGER, duration_ns INTEGER, status_code INTEGER, "
                   "service_name TEXT)");
    const argus_migration *m = argus_sqlite_migrations;
    while (m->name && strcmp(m->name, "002_span_rollups.sql") != 0)
        m++;
    if (!m->name) {
        fprintf(stderr, "bench_rollup: migration 002_span_rollups.sql is not embedded\n");
        return 1;
    }
    bench_exec(db, m->sql);

    printf("bench_rollup: %ld spans, %d services, 24 h, db %s\n", nspans, services, path);
    double t0 = bench_now() * 1e3;
    load_spans(db, nspans, services);
    double t_load = bench_now() * 1e3 - t0;
    printf("  load spans:        %8.0f ms  (%.0f spans/s, prepared INSERT, one transaction)\n",
           t_load, nspans / (t_load / 1e3));

    /* The rollups ingest would have kept: the same aggregate as spans_30_rollups.sql, over the
     * whole day at once (the per-payload upsert merges to the same sketches). */
    t0 = bench_now() * 1e3;
    bench_exec(
        db, "INSERT INTO span_rollups (service_name, minute_ns, requests, errors, duration_sketch) "
            "SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, count(*), "
            "sum(status_code = 2), sketch(duration_ns) FROM spans "
            "WHERE +(kind IN (2, 5) OR parent_span_id IS NULL) GROUP BY 1, 2");
    bench_exec(db, "ANALYZE");
    double t_roll = bench_now() * 1e3 - t0;
    int64_t nroll = scalar(db, "SELECT count(*) FROM span_rollups");
    int64_t nreq = scalar(db, "SELECT sum(requests) FROM span_rollups");
    int64_t blob_bytes = scalar(db, "SELECT sum(length(duration_sketch)) FROM span_rollups");
    printf("  build rollups:     %8.0f ms  (%lld rows from %lld requests; sketches avg %lld B)\n",
           t_roll, (long long)nroll, (long long)nreq, (long long)(nroll ? blob_bytes / nroll : 0));
    bench_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    int64_t pages = scalar(db, "PRAGMA page_count"), psize = scalar(db, "PRAGMA page_size");
    printf("  database size:     %8.1f MB\n", pages * psize / 1048576.0);

    static minute_row roll[1440], scan[1440], raw[1440], svc[1440];
    int nr, ns, nw, nsv;
    double t_rollup = best_of(db, ROLLUP_QUERY, 5, roll, &nr);
    printf("  dashboard from rollups: %8.2f ms  (%d minutes, best of 5; target < 50 ms)\n",
           t_rollup, nr);
    print_plan(db, ROLLUP_QUERY);
    double t_scan = best_of(db, ROLLUP_QUERY_SCAN, 5, scan, &ns);
    printf("  same, NOT INDEXED:      %8.2f ms\n", t_scan);
    double t_svc = best_of(db, SERVICE_QUERY, 5, svc, &nsv);
    printf("  one service from rollups: %6.2f ms  (%d minutes, primary key range)\n", t_svc, nsv);
    double t_raw = best_of(db, RAW_QUERY, 2, raw, &nw);
    printf("  dashboard from spans:   %8.2f ms  (%d minutes, percentile() over raw spans, best of "
           "2)\n",
           t_raw, nw);
    print_plan(db, RAW_QUERY);
    printf("  speed-up:               %8.0fx\n", t_raw / t_rollup);

    /* Agreement: counts must be equal, the sketch p95 within 1% of the exact one. */
    int mismatches = 0;
    double worst = 0;
    for (int i = 0; i < nr && i < nw && i < 1440; i++) {
        if (roll[i].minute != raw[i].minute || roll[i].requests != raw[i].requests ||
            roll[i].errors != raw[i].errors)
            mismatches++;
        double e = fabs(roll[i].p95 - raw[i].p95) / raw[i].p95;
        if (e > worst)
            worst = e;
    }
    printf("  agreement: %d minutes with different counts (%s), worst p95 relative error %.3f%% "
           "(bound 1%%)\n",
           mismatches + (nr != nw), nr == nw ? "same minutes" : "minute count differs",
           worst * 100);

    sqlite3_close(db);
    if (getenv("ARGUS_BENCH_KEEP")) { /* for poking at it with argus-shell */
        printf("  kept %s\n", path);
        return 0;
    }
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
    return 0;
}
