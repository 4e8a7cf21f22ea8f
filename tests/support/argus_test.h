/* Helpers shared by the C test programs (tests/unit, tests/bench, tests/mysql, tests/server):
 * header only, every function static inline, so a program includes it and uses what it needs.
 *   const char *rows = argus_test_query(db, "SELECT 1, 2 UNION ALL SELECT 3, NULL");
 *       -> "1|2;3|NULL"  (a static buffer, valid until the next call)
 *   const char *v = argus_test_query_value(db, "SELECT 42");  -> "42"
 *   uint64_t state = 1; uint64_t r = argus_test_xorshift(&state);
 * Both query helpers answer "error: <sqlite message>" when the statement fails. In a cmocka
 * program (cmocka.h included first), a table of statements and the answers they must give:
 *   static const argus_test_sql_case cases[] = {{"SELECT 1, NULL", "1|NULL"}, ...};
 *   argus_test_expect_rows(db, cases, ARGUS_TEST_COUNT(cases));   (or argus_test_expect_values) */
#ifndef ARGUS_TEST_H
#define ARGUS_TEST_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs sql and returns every row as "a|b;c|d" (NULL columns as "NULL"), or "error: <message>". */
static inline const char *argus_test_query(sqlite3 *db, const char *sql)
{
    static char buf[8192];
    sqlite3_stmt *st;
    size_t at = 0;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(buf, sizeof buf, "error: %s", sqlite3_errmsg(db));
        return buf;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (at && at < sizeof buf)
            at += (size_t)snprintf(buf + at, sizeof buf - at, ";");
        for (int i = 0; i < sqlite3_column_count(st) && at < sizeof buf; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", i ? "|" : "", v ? v : "NULL");
        }
    }
    if (rc != SQLITE_DONE)
        snprintf(buf, sizeof buf, "error: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return buf;
}

/* Runs sql and returns the first column of its first row as text ("NULL" for NULL, "" when there
 * is no row), or "error: <message>" when preparing or either of the first two steps fails. */
static inline const char *argus_test_query_value(sqlite3 *db, const char *sql)
{
    static char out[4096];
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
        return out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof out, "%s", t ? (const char *)t : "NULL");
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

/* Undoes the fixtures' escapes (\n \t, and a backslash before any other character) in place;
 * returns the new length. */
static inline size_t argus_test_unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* The whole file at path in a malloc'd buffer with a NUL after its *len bytes; NULL when it
 * cannot be opened or read. */
static inline char *argus_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        *len = (size_t)n;
    }
    return b;
}

/* One step of Marsaglia's xorshift64 (13, 7, 17) on *state (which must not be 0): a fast,
 * repeatable pseudo-random sequence for generated test data. */
static inline uint64_t argus_test_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#define ARGUS_TEST_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#ifdef cmocka_unit_test
/* A statement and the text it must answer (in the form of argus_test_query/_query_value). */
typedef struct argus_test_sql_case {
    const char *sql;
    const char *want;
} argus_test_sql_case;

static inline void argus_test_expect_cases(sqlite3 *db, const argus_test_sql_case *cases, size_t n,
                                           const char *(*run)(sqlite3 *, const char *))
{
    for (size_t i = 0; i < n; i++) {
        const char *got = run(db, cases[i].sql);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: %s\n  expected \"%s\"\n  got      \"%s\"", i, cases[i].sql,
                     cases[i].want, got);
    }
}

/* Every case's rows (argus_test_query) must be exactly its want. */
static inline void argus_test_expect_rows(sqlite3 *db, const argus_test_sql_case *cases, size_t n)
{
    argus_test_expect_cases(db, cases, n, argus_test_query);
}

/* Every case's single value (argus_test_query_value) must be exactly its want. */
static inline void argus_test_expect_values(sqlite3 *db, const argus_test_sql_case *cases, size_t n)
{
    argus_test_expect_cases(db, cases, n, argus_test_query_value);
}
#endif

#endif
