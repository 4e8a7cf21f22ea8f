/* Benchmark of trace waterfall assembly: a 10k-span trace (random tree, plus 50k spans of other
 * traces around it) stored in an in-memory Argus database, timed through
 *   SELECT count(*) FROM trace_waterfall(?1);                       -- target < 20 ms
 *   SELECT waterfall_json(span_id, ...) FROM spans WHERE trace_id = ?1;
 * and the core argus_waterfall_build() alone. Prints the best and median of several runs.
 *   build/tests/bench/bench_waterfall [spans]  */
#include "argus_schema.h"
#include "argus_sqlite.h"
#include "argus_waterfall.h"
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 15

static double now_ms(void)
{
    return bench_now() * 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n, size_t spans)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("%-48s best %7.2f ms  median %7.2f ms  (%.0f spans/s)\n", what, t[0], t[n / 2],
           spans / (t[n / 2] / 1e3));
}

static void check(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "bench_waterfall: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

/* Runs sql (one row; ?1 = trace) RUNS times, each run's milliseconds in t[]; returns the first
 * column, which must be the same in every run. */
static long long time_query(sqlite3 *db, const char *sql, const char *trace, double *t,
                            const char *what)
{
    sqlite3_stmt *st = bench_prepare(db, sql);
    long long first = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ms();
        sqlite3_bind_text(st, 1, trace, -1, SQLITE_STATIC);
        check(sqlite3_step(st), db, what);
        long long v = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        t[r] = now_ms() - t0;
        if (r && v != first) {
            fprintf(stderr, "bench_waterfall: %s: %lld in run %d, %lld in the first\n", what, v,
                    r + 1, first);
            exit(1);
        }
        first = v;
    }
    sqlite3_finalize(st);
    return first;
}

/* Inserts n spans of trace `trace` as a random tree (each span's parent is an earlier one). */
static void insert_trace(sqlite3 *db, sqlite3_stmt *ins, const char *trace, size_t n, unsigned *rnd)
{
    char id[17], parent[17];
    int64_t base = 1700000000000000000;
    for (size_t i = 0; i < n; i++) {
        *rnd = *rnd * 1103515245u + 12345u;
        size_t p = i ? (*rnd >> 8) % i : 0;
        snprintf(id, sizeof id, "%016zx", (i + 1) * 2654435761u);
        snprintf(parent, sizeof parent, "%016zx", (p + 1) * 2654435761u);
        int64_t start = base + (int64_t)(i * 1000) + (int64_t)(*rnd % 500);
        int64_t dur = 1000 + (int64_t)((*rnd >> 4) % 1000000);
        sqlite3_bind_text(ins, 1, trace, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, id, -1, SQLITE_TRANSIENT);
        if (i)
            sqlite3_bind_text(ins, 3, parent, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 3);
        sqlite3_bind_text(ins, 4, i % 3 ? "SELECT orders" : "GET /api/checkout", -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 5, (int)(i % 5) + 1);
        sqlite3_bind_int64(ins, 6, start);
        sqlite3_bind_int64(ins, 7, start + dur);
        sqlite3_bind_int64(ins, 8, dur);
        sqlite3_bind_int(ins, 9, (*rnd >> 5) % 50 == 0 ? 2 : 0);
        sqlite3_bind_text(ins, 10, i % 2 ? "orders" : "frontend", -1, SQLITE_STATIC);
        check(sqlite3_step(ins), db, "insert");
        sqlite3_reset(ins);
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    sqlite3 *db;
    char *err = NULL;
    check(sqlite3_open(":memory:", &db), db, "open");
    if (argus_sqlite_register_all(db, &err) != SQLITE_OK || argus_schema_migrate(db, &err)) {
        fprintf(stderr, "bench_waterfall: setup: %s\n", err ? err : "?");
        return 1;
    }
    sqlite3_stmt *ins;
    check(sqlite3_prepare_v2(
              db,
              "INSERT INTO span_records (trace_id, span_id, parent_span_id, name, kind, "
              "start_time_unix_nano, end_time_unix_nano, duration_ns, status_code, "
              "service_name, resource_id) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)",
              -1, &ins, NULL),
          db, "prepare insert");
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    unsigned rnd = 42;
    char other[33];
    for (int t = 0; t < 500; t++) { /* neighbours, so the trace is not the whole table */
        snprintf(other, sizeof other, "%032x", t + 1);
        insert_trace(db, ins, other, 100, &rnd);
    }
    const char *trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    insert_trace(db, ins, trace, n, &rnd);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(ins);
    printf("trace of %zu spans among %d stored spans\n", n, 500 * 100 + (int)n);

    double t[RUNS];
    sqlite3_stmt *st;
    /* What the virtual table cannot go below: reading the trace's rows by the trace_id index. */
    check(sqlite3_prepare_v2(db,
                             "SELECT id, span_id, parent_span_id, start_time_unix_nano, "
                             "end_time_unix_nano, kind, status_code, name, service_name, "
                             "status_message FROM spans WHERE trace_id = ?1 ORDER BY id",
                             -1, &st, NULL),
          db, "prepare raw");
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ms();
        sqlite3_bind_text(st, 1, trace, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < 10; c++)
                (void)sqlite3_column_text(st, c);
        sqlite3_reset(st);
        t[r] = now_ms() - t0;
    }
    sqlite3_finalize(st);
    report("reading the trace's rows from spans (baseline)", t, RUNS, n);

    long long counted =
        time_query(db, "SELECT count(*) FROM trace_waterfall(?1)", trace, t, "count");
    if ((size_t)counted != n) {
        fprintf(stderr, "bench_waterfall: expected %zu rows, got %lld\n", n, counted);
        return 1;
    }
    report("SELECT count(*) FROM trace_waterfall(?)", t, RUNS, n);

    time_query(db,
               "SELECT sum(length(name) + depth + offset_ns + self_ns + is_critical) "
               "FROM trace_waterfall(?1)",
               trace, t, "columns");
    report("trace_waterfall(?) reading 5 columns", t, RUNS, n);

    long long bytes = time_query(db,
                                 "SELECT length(waterfall_json(span_id, parent_span_id, "
                                 "start_time_unix_nano, end_time_unix_nano, kind, status_code, "
                                 "name, service_name)) FROM spans WHERE trace_id = ?1",
                                 trace, t, "json");
    report("waterfall_json(...) FROM spans WHERE trace_id=?", t, RUNS, n);
    printf("  json document: %lld bytes\n", bytes);

    /* The core alone, on the spans as the virtual table reads them. */
    argus_waterfall_set set;
    argus_waterfall_set_init(&set);
    check(sqlite3_prepare_v2(db,
                             "SELECT span_id, parent_span_id, start_time_unix_nano, "
                             "end_time_unix_nano, kind, status_code FROM spans WHERE trace_id = ?1",
                             -1, &st, NULL),
          db, "prepare core");
    sqlite3_bind_text(st, 1, trace, -1, SQLITE_STATIC);
    argus_error e;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 1);
        argus_waterfall_span s = {
            .span_id = (const char *)sqlite3_column_text(st, 0),
            .span_id_len = (size_t)sqlite3_column_bytes(st, 0),
            .parent_span_id = p,
            .parent_span_id_len = p ? (size_t)sqlite3_column_bytes(st, 1) : 0,
            .start_ns = sqlite3_column_int64(st, 2),
            .end_ns = sqlite3_column_int64(st, 3),
            .kind = sqlite3_column_int(st, 4),
            .status_code = sqlite3_column_int(st, 5),
        };
        argus_waterfall_set_add(&set, &s, &e);
    }
    sqlite3_finalize(st);
    argus_waterfall_row *rows = malloc(set.n * sizeof *rows);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ms();
        argus_waterfall_build(set.spans, set.n, rows, &e);
        t[r] = now_ms() - t0;
    }
    report("argus_waterfall_build() (core only)", t, RUNS, set.n);
    int max_depth = 0;
    for (size_t k = 0; k < set.n; k++)
        if (rows[k].depth > max_depth)
            max_depth = rows[k].depth;
    printf("  tree depth: %d\n", max_depth);
    free(rows);
    argus_waterfall_set_free(&set);
    sqlite3_close(db);
    return 0;
}
