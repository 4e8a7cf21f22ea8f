/* Benchmark of storing OTLP log records in SQLite without the server (prints, asserts nothing):
 * the logs counterpart of bench_otlp, on a payload written by `argus-loadgen --dump DIR`.
 *   build/tests/bench/bench_logs_insert DIR/logs.pb [requests=200] [db=/tmp/argus-bench-logs.db]
 * Measures the Argus decoder, a hand-written prepared INSERT of the same rows into the same
 * schema (FTS trigger and indexes included), and the full ingest (sql/sqlite/ingest/logs_*). */
#include "argus_otlp_rows.h"
#include "bench_common.h"
#include "../support/argus_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The columns log_records stores, filled in by main (bench_stored_columns). */
static bench_columns COLS;

typedef struct row {
    argus_value v[ARGUS_LOG_NCOLUMNS];
} row;

#define MAX_ROWS_PER_STATEMENT 2000

/* INSERT INTO log_records (...) VALUES (?, ...), ... for `rows` rows, prepared. */
static sqlite3_stmt *prepare_insert(sqlite3 *db, int rows)
{
    size_t cap = 512 + (size_t)rows * (COLS.n * 2 + 4);
    char *sql = malloc(cap);
    size_t len = (size_t)snprintf(sql, cap, "INSERT INTO log_records (%s) VALUES ", COLS.names);
    for (int r = 0; r < rows; r++) {
        sql[len++] = r ? ',' : ' ';
        sql[len++] = '(';
        for (int c = 0; c < COLS.n; c++) {
            sql[len++] = '?';
            sql[len++] = c + 1 < COLS.n ? ',' : ')';
        }
    }
    sql[len] = 0;
    sqlite3_stmt *st = bench_prepare(db, sql);
    free(sql);
    return st;
}

/* Inserts the n rows nreq times, 10 requests per transaction, k rows per INSERT statement.
 * Row-at-a-time is not the fastest here: every statement that writes to the FTS5 index through
 * the trigger opens a savepoint, and FTS5 flushes its pending terms at each one. */
static double hand_insert(const char *path, const row *rows, size_t n, int nreq, int k)
{
    sqlite3 *db = bench_open_db(path);
    sqlite3_stmt *full = prepare_insert(db, k), *tail = NULL, *st;
    /* the remainder, n % k rows: a statement of its own */
    int rest = (int)(n % (size_t)k);
    if (rest)
        tail = prepare_insert(db, rest);
    double t0 = bench_now();
    for (int i = 0; i < nreq; i++) {
        if (i % 10 == 0)
            bench_exec(db, "BEGIN");
        for (size_t r0 = 0; r0 < n; r0 += (size_t)k) {
            size_t m = n - r0 < (size_t)k ? n - r0 : (size_t)k;
            st = m == (size_t)k ? full : tail;
            for (size_t r = 0; r < m; r++)
                for (int c = 0; c < COLS.n; c++)
                    bench_bind_value(st, (int)r * COLS.n + c + 1, &rows[r0 + r].v[c]);
            bench_step_done(db, st, "insert");
        }
        if (i % 10 == 9 || i == nreq - 1)
            bench_exec(db, "COMMIT");
    }
    double rate = (double)n * nreq / (bench_now() - t0);
    sqlite3_finalize(full);
    sqlite3_finalize(tail);
    sqlite3_close(db);
    return rate;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_logs_insert LOGS.pb [requests=200] [db]\n"
                        "  (argus-loadgen --dump DIR --spans-per-request 0 writes DIR/logs.pb)\n");
        return 2;
    }
    int nreq = argc > 2 ? atoi(argv[2]) : 200;
    const char *path = argc > 3 ? argv[3] : "/tmp/argus-bench-logs.db";
    bench_stored_columns(ARGUS_SIGNAL_LOGS, &COLS);
    size_t len;
    uint8_t *payload = (uint8_t *)argus_test_read_file(argv[1], &len);
    if (!payload || !len || nreq < 1) {
        fprintf(stderr, "bench: cannot read %s\n", argv[1]);
        return 2;
    }

    /* 1. the Argus decoder */
    argus_otlp_logs l;
    argus_otlp_logs_init(&l);
    argus_error err;
    if (argus_otlp_logs_decode(&l, payload, len, &err)) {
        fprintf(stderr, "bench: %s: %s\n", argv[1], err.message);
        return 2;
    }
    size_t nlogs = l.item_count - l.rejected;
    double total = (double)nlogs * nreq;
    printf("payload: %zu log records, %zu bytes (%.0f bytes/log); %d requests per measurement\n",
           nlogs, len, (double)len / (double)nlogs, nreq);
    double t0 = bench_now();
    for (int i = 0; i < nreq; i++)
        if (argus_otlp_logs_decode(&l, payload, len, &err))
            return 1;
    printf("%-58s %10.0f logs/s\n", "argus_otlp_logs_decode", total / (bench_now() - t0));

    /* 2. hand-written prepared insert of the same rows, values rendered beforehand */
    row *rows = calloc(nlogs, sizeof *rows);
    argus_buf scratch;
    argus_buf_init(&scratch);
    size_t n = 0;
    for (argus_otlp_iter it = argus_otlp_iter_start(&l); argus_otlp_iter_next(&it) && n < nlogs;
         n++)
        for (int c = 0; c < COLS.n; c++) {
            argus_otlp_log_column(&it, COLS.map[c], &rows[n].v[c], &scratch);
            if (rows[n].v[c].type == ARGUS_VAL_TEXT || rows[n].v[c].type == ARGUS_VAL_JSON)
                rows[n].v[c].s = strndup(rows[n].v[c].s, rows[n].v[c].n);
        }
    /* the ingest statement stores observed time when time is unset; do the same */
    for (size_t r = 0; r < n; r++)
        if (rows[r].v[0].type == ARGUS_VAL_INT && rows[r].v[0].i == 0)
            rows[r].v[0] = rows[r].v[1];
    double hand_row = hand_insert(path, rows, n, nreq, 1);
    printf("%-58s %10.0f logs/s\n", "hand-written prepared INSERT, one row per statement",
           hand_row);
    /* a request's rows in one statement, as INSERT ... SELECT FROM otlp_logs(?) does (within
     * SQLite's 32766 bound parameters) */
    int k = n < MAX_ROWS_PER_STATEMENT ? (int)n : MAX_ROWS_PER_STATEMENT;
    double hand = hand_insert(path, rows, n, nreq, k);
    char label[80];
    snprintf(label, sizeof label, "hand-written prepared INSERT, %d rows per statement", k);
    printf("%-58s %10.0f logs/s\n", label, hand);
    if (hand_row > hand)
        hand = hand_row;
    sqlite3 *db;

    /* 3. the full ingest path: every sql/sqlite/ingest/logs_* statement per request */
    db = bench_open_db(path);
    double full = bench_ingest(db, "logs", &l, ARGUS_POINTER_LOGS, nreq, n);
    printf("%-58s %10.0f logs/s (decoded once)\n", "full ingest (logs + full-text index)", full);
    printf("%-58s %10.0f%%\n", "full ingest vs hand-written insert", 100 * full / hand);
    sqlite3_close(db);
    for (size_t r = 0; r < n; r++)
        for (int c = 0; c < COLS.n; c++)
            if (rows[r].v[c].type == ARGUS_VAL_TEXT || rows[r].v[c].type == ARGUS_VAL_JSON)
                free((char *)rows[r].v[c].s);
    free(rows);
    argus_otlp_logs_free(&l);
    argus_buf_free(&scratch);
    free(payload);
    return 0;
}
