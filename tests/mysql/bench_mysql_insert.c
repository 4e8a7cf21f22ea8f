/* Benchmark (prints, asserts nothing): the raw insert rate of rows into MariaDB with array binding,
 * the yardstick for the server's end-to-end rate (tests/mysql/ingest_bench.sh). Reads every row
 * of TABLE (span_records or log_records) of DATABASE into memory, then inserts them again into a
 * fresh table of the same definition, 1000 rows per array-bound INSERT and 10 INSERTs per
 * transaction -- what the server does per 1000-item request, without decoding, the traces
 * summary or rollups -- and prints "<table> raw insert: N rows in S s = R rows/s". With PID (the
 * server's process id, on this machine) it prints the CPU seconds that process used while the
 * rows went in on a second line.
 *   bench_mysql_insert SOCKET DATABASE TABLE [PID] */
#include <mysql.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of process pid so far, from /proc; -1 when unknown. */
static double cpu_of(const char *pid)
{
    if (!pid)
        return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut, stime;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stime) != 2)
        return -1;
    return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void die(MYSQL *db, const char *what)
{
    fprintf(stderr, "bench_mysql_insert: %s: %s\n", what, mysql_error(db));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SOCKET DATABASE TABLE\n", argv[0]);
        return 2;
    }
    const char *table = argv[3];
    MYSQL *db = mysql_init(NULL);
    if (!mysql_real_connect(db, NULL, "root", NULL, argv[2], 0, argv[1], 0))
        die(db, "connect");
    char q[512];
    snprintf(q, sizeof q, "SELECT * FROM %s ORDER BY id", table);
    if (mysql_query(db, q))
        die(db, q);
    MYSQL_RES *res = mysql_store_result(db);
    if (!res)
        die(db, "store result");
    unsigned ncols = mysql_num_fields(res);
    size_t nrows = (size_t)mysql_num_rows(res);
    MYSQL_FIELD *fields = mysql_fetch_fields(res);
    if (ncols > 32 || nrows == 0) {
        printf("%s raw insert: no rows to insert\n", table);
        return 0;
    }
    /* column arrays, as the server binds them */
    int is_int[32];
    int64_t *ints[32];
    char **strs[32];
    unsigned long *lens[32];
    char *ind[32];
    for (unsigned c = 0; c < ncols; c++) {
        is_int[c] = IS_NUM(fields[c].type);
        ints[c] = calloc(nrows, sizeof **ints);
        strs[c] = calloc(nrows, sizeof **strs);
        lens[c] = calloc(nrows, sizeof **lens);
        ind[c] = calloc(nrows, 1);
    }
    MYSQL_ROW row;
    for (size_t r = 0; (row = mysql_fetch_row(res)); r++) {
        unsigned long *len = mysql_fetch_lengths(res);
        for (unsigned c = 0; c < ncols; c++) {
            ind[c][r] = row[c] ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
            if (is_int[c])
                ints[c][r] = row[c] ? strtoll(row[c], NULL, 10) : 0;
            strs[c][r] = row[c] ? row[c] : (char *)"";
            lens[c][r] = len[c];
        }
    }
    snprintf(q, sizeof q, "DROP TABLE IF EXISTS raw_%s", table);
    if (mysql_query(db, q))
        die(db, q);
    snprintf(q, sizeof q, "CREATE TABLE raw_%s LIKE %s", table, table);
    if (mysql_query(db, q))
        die(db, q);
    char sql[2048];
    size_t k = (size_t)snprintf(sql, sizeof sql, "INSERT INTO raw_%s VALUES (?", table);
    for (unsigned c = 1; c < ncols; c++)
        k += (size_t)snprintf(sql + k, sizeof sql - k, ",?");
    snprintf(sql + k, sizeof sql - k, ")");
    MYSQL_STMT *st = mysql_stmt_init(db);
    if (mysql_stmt_prepare(st, sql, strlen(sql)))
        die(db, mysql_stmt_error(st));
    const size_t per_insert = 1000, per_txn = 10;
    const char *pid = argc > 4 ? argv[4] : NULL;
    double c0 = cpu_of(pid), t0 = now();
    size_t inserts = 0;
    mysql_query(db, "START TRANSACTION");
    for (size_t lo = 0; lo < nrows; lo += per_insert) {
        unsigned n = (unsigned)(nrows - lo < per_insert ? nrows - lo : per_insert);
        MYSQL_BIND bind[32];
        memset(bind, 0, sizeof bind);
        for (unsigned c = 0; c < ncols; c++) {
            if (is_int[c]) {
                bind[c].buffer_type = MYSQL_TYPE_LONGLONG;
                bind[c].buffer = ints[c] + lo;
            } else {
                bind[c].buffer_type = MYSQL_TYPE_STRING;
                bind[c].buffer = strs[c] + lo;
                bind[c].length = lens[c] + lo;
            }
            bind[c].u.indicator = ind[c] + lo;
        }
        if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &n) || mysql_stmt_bind_param(st, bind) ||
            mysql_stmt_execute(st)) {
            fprintf(stderr, "bench_mysql_insert: insert: %s\n", mysql_stmt_error(st));
            return 1;
        }
        if (++inserts % per_txn == 0) {
            mysql_query(db, "COMMIT");
            mysql_query(db, "START TRANSACTION");
        }
    }
    mysql_query(db, "COMMIT");
    double t = now() - t0, c1 = cpu_of(pid);
    printf("%s raw insert: %zu rows in %.2f s = %.0f rows/s\n", table, nrows, t, (double)nrows / t);
    if (c0 >= 0 && c1 >= 0)
        printf("cpu: %.2f s of process %s, %.2f ms per 1000 rows\n", c1 - c0, pid,
               (c1 - c0) * 1e6 / (double)nrows);
    snprintf(q, sizeof q, "DROP TABLE raw_%s", table);
    mysql_query(db, q);
    mysql_stmt_close(st);
    mysql_free_result(res);
    for (unsigned c = 0; c < ncols; c++) {
        free(ints[c]);
        free(strs[c]);
        free(lens[c]);
        free(ind[c]);
    }
    mysql_close(db);
    return 0;
}
