/* Benchmark (prints, asserts nothing): log_template() and ai_insight() over the same log lines in
 * SQLite (the extension, in process) and in MariaDB (argus_udf.so in a running server, install.sql
 * applied), as lines per second of a full scan; `length(body)` over the same table shows what the
 * scan itself costs in each engine.
 *   build/tests/mysql/bench_udf /tmp/argus-mariadb.X/sock [rows] [repo root]
 * tests/mysql/bench.sh starts a private server and runs it. */
#include "argus_schema.h"
#include "argus_sqlite.h"

#include <mysql.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_udf: %s: %s\n", what, why);
    exit(1);
}

/* Log lines: the labelled insight corpus (real lines) with numbers varied per row. */
static char **make_lines(const char *root, size_t rows)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/insight/labelled.tsv", root);
    FILE *f = fopen(path, "r");
    if (!f)
        die(path, "cannot open");
    char *corpus[400];
    size_t n = 0;
    char line[8192];
    while (n < 400 && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *body = line;
        for (int k = 0; k < 3 && body; k++)
            body = strchr(body, '\t') ? strchr(body, '\t') + 1 : NULL;
        if (!body)
            continue;
        body[strcspn(body, "\n")] = 0;
        corpus[n++] = strdup(body);
    }
    fclose(f);
    char **lines = malloc(rows * sizeof *lines);
    for (size_t i = 0; i < rows; i++) {
        size_t len = strlen(corpus[i % n]) + 32;
        lines[i] = malloc(len);
        snprintf(lines[i], len, "%s req=%zu", corpus[i % n], i * 7919);
    }
    for (size_t i = 0; i < n; i++)
        free(corpus[i]);
    return lines;
}

static double time_sqlite(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql, sqlite3_errmsg(db));
    double t = now();
    while (sqlite3_step(st) == SQLITE_ROW)
        ;
    t = now() - t;
    sqlite3_finalize(st);
    return t;
}

static double time_mariadb(MYSQL *my, const char *sql)
{
    double t = now();
    if (mysql_query(my, sql))
        die(sql, mysql_error(my));
    MYSQL_RES *r = mysql_store_result(my);
    t = now() - t;
    mysql_free_result(r);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MARIADB_SOCKET [ROWS [REPO_ROOT]]\n", argv[0]);
        return 2;
    }
    size_t rows = argc > 2 ? (size_t)atol(argv[2]) : 200000;
    const char *root = argc > 3 ? argv[3] : ".";
    char **lines = make_lines(root, rows);

    sqlite3 *db;
    char *msg = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK || argus_sqlite_register_all(db, &msg) != 0 ||
        argus_schema_migrate(db, &msg) != 0)
        die("sqlite", msg ? msg : "open failed");
    sqlite3_exec(db, "CREATE TABLE log_lines (body TEXT, severity INTEGER); BEGIN", NULL, NULL,
                 NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO log_lines VALUES (?, ?)", -1, &ins, NULL);
    for (size_t i = 0; i < rows; i++) {
        sqlite3_bind_text(ins, 1, lines[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, (int)(i % 24) + 1);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

    MYSQL *my = mysql_init(NULL);
    if (!mysql_real_connect(my, NULL, "root", NULL, NULL, 0, argv[1], 0))
        die("mariadb", mysql_error(my));
    const char *setup[] = {"DROP DATABASE IF EXISTS argus_bench", "CREATE DATABASE argus_bench",
                           "USE argus_bench",
                           "CREATE TABLE log_lines (id INT PRIMARY KEY, body TEXT, severity INT)"};
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (mysql_query(my, setup[i]))
            die(setup[i], mysql_error(my));
    MYSQL_STMT *st = mysql_stmt_init(my);
    const char *isql = "INSERT INTO log_lines VALUES (?, ?, ?)";
    if (mysql_stmt_prepare(st, isql, strlen(isql)))
        die(isql, mysql_stmt_error(st));
    mysql_query(my, "BEGIN");
    for (size_t i = 0; i < rows; i++) {
        MYSQL_BIND b[3];
        int id = (int)i, sev = (int)(i % 24) + 1;
        memset(b, 0, sizeof b);
        b[0].buffer_type = MYSQL_TYPE_LONG;
        b[0].buffer = &id;
        b[1].buffer_type = MYSQL_TYPE_STRING;
        b[1].buffer = lines[i];
        b[1].buffer_length = strlen(lines[i]);
        b[2].buffer_type = MYSQL_TYPE_LONG;
        b[2].buffer = &sev;
        if (mysql_stmt_bind_param(st, b) || mysql_stmt_execute(st))
            die("insert", mysql_stmt_error(st));
    }
    mysql_stmt_close(st);
    mysql_query(my, "COMMIT");
    /* warm the buffer pool */
    time_mariadb(my, "SELECT count(length(body)) FROM log_lines");

    static const struct {
        const char *name, *expr;
    } fns[] = {{"scan only (length)", "length(body)"},
               {"log_template", "log_template(body)"},
               {"log_pattern_id", "log_pattern_id(body)"},
               {"ai_insight", "ai_insight(body, severity)"}};
    printf("%zu log lines (real lines from tests/fixtures/insight), lines/s over a full scan\n",
           rows);
    printf("%-20s %14s %14s %8s\n", "function", "SQLite", "MariaDB UDF", "ratio");
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(%s) FROM log_lines", fns[i].expr);
        double best_l = 1e9, best_m = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            double l = time_sqlite(db, sql), m = time_mariadb(my, sql);
            best_l = l < best_l ? l : best_l;
            best_m = m < best_m ? m : best_m;
        }
        printf("%-20s %14.0f %14.0f %8.2f\n", fns[i].name, (double)rows / best_l,
               (double)rows / best_m, best_l / best_m);
    }
    mysql_query(my, "DROP DATABASE argus_bench");
    mysql_close(my);
    sqlite3_close(db);
    for (size_t i = 0; i < rows; i++)
        free(lines[i]);
    free(lines);
    return 0;
}
