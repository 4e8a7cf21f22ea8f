/* Schema migrations and the small SQL helpers the ingest statements use.
 *   SELECT argus_migrate();                    -- applies sql/sqlite migrations, returns the
 * version SELECT arg_min(name, start_ns) FROM spans;  -- the name of the row with the smallest
 * start_ns argus-shell and argus-server call argus_schema_migrate() at start. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_schema.h"

#include "argus_buf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int argus_schema_latest(void)
{
    int v = 0;
    for (const argus_migration *m = argus_sqlite_migrations; m->name; m++)
        if (m->version > v)
            v = m->version;
    return v;
}

int argus_schema_version(sqlite3 *db, int *version, char **errmsg)
{
    sqlite3_stmt *st;
    *version = 0;
    int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM argus_migrations", -1,
                                &st, NULL);
    if (rc != SQLITE_OK) {
        if (errmsg)
            *errmsg = sqlite3_mprintf("argus: reading schema version: %s", sqlite3_errmsg(db));
        return rc;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    return sqlite3_finalize(st);
}

int argus_schema_migrate(sqlite3 *db, char **errmsg)
{
    *errmsg = NULL;
    int rc = sqlite3_exec(db,
                          "CREATE TABLE IF NOT EXISTS argus_migrations ("
                          " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                          " applied_at_unix_nano INTEGER NOT NULL)",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = sqlite3_mprintf("argus: creating argus_migrations: %s", sqlite3_errmsg(db));
        return rc;
    }
    int version;
    rc = argus_schema_version(db, &version, errmsg);
    if (rc != SQLITE_OK)
        return rc;
    if (version > argus_schema_latest()) {
        *errmsg = sqlite3_mprintf("argus: database schema version %d is newer than this build "
                                  "knows (%d); upgrade Argus",
                                  version, argus_schema_latest());
        return SQLITE_ERROR;
    }
    for (const argus_migration *m = argus_sqlite_migrations; m->name; m++) {
        if (m->version <= version)
            continue;
        /* One transaction per migration; a savepoint so it also works inside an open one. */
        rc = sqlite3_exec(db, "SAVEPOINT argus_migrate", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            *errmsg = sqlite3_mprintf("argus: migration %s: %s", m->name, sqlite3_errmsg(db));
            return rc;
        }
        /* Re-check inside the transaction: another process may have migrated meanwhile. */
        int again;
        rc = argus_schema_version(db, &again, errmsg);
        if (rc == SQLITE_OK && again < m->version) {
            char *err = NULL;
            rc = sqlite3_exec(db, m->sql, NULL, NULL, &err);
            if (rc != SQLITE_OK) {
                *errmsg = sqlite3_mprintf("argus: migration %s: %s", m->name,
                                          err ? err : sqlite3_errstr(rc));
                sqlite3_free(err);
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                char *sql =
                    sqlite3_mprintf("INSERT INTO argus_migrations VALUES(%d, %Q, %lld)", m->version,
                                    m->name, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
                rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
                sqlite3_free(sql);
                if (rc != SQLITE_OK)
                    *errmsg =
                        sqlite3_mprintf("argus: migration %s: %s", m->name, sqlite3_errmsg(db));
            }
        }
        if (rc != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK TO argus_migrate; RELEASE argus_migrate", NULL, NULL, NULL);
            return rc;
        }
        rc = sqlite3_exec(db, "RELEASE argus_migrate", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            *errmsg =
                sqlite3_mprintf("argus: migration %s: commit: %s", m->name, sqlite3_errmsg(db));
            return rc;
        }
    }
    return SQLITE_OK;
}

static void migrate_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    char *err = NULL;
    int rc = argus_schema_migrate(db, &err);
    if (rc != SQLITE_OK) {
        sqlite3_result_error(ctx, err ? err : sqlite3_errstr(rc), -1);
        sqlite3_result_error_code(ctx, rc);
        sqlite3_free(err);
        return;
    }
    int version = 0;
    if (argus_schema_version(db, &version, &err) != SQLITE_OK) {
        sqlite3_result_error(ctx, err ? err : "argus: reading schema version failed", -1);
        sqlite3_free(err);
        return;
    }
    sqlite3_result_int(ctx, version);
}

/* ---- arg_min(value, key1 [, key2 ...]) ------------------------------------------------------
 * The value from the row whose keys compare smallest (as ORDER BY key1, key2 would order them;
 * the first such row on ties). Used to pick a trace's root span in one pass. */

#define ARG_MIN_MAX_KEYS 4

typedef struct arg_min_state {
    int nkeys;
    sqlite3_value *value;
    sqlite3_value *keys[ARG_MIN_MAX_KEYS];
} arg_min_state;

static int type_rank(int t)
{
    switch (t) {
    case SQLITE_NULL: return 0;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: return 1;
    case SQLITE_TEXT: return 2;
    default: return 3;
    }
}

/* Compares like SQLite's ORDER BY with the BINARY collation. */
static int compare_values(sqlite3_value *a, sqlite3_value *b)
{
    int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
    int ra = type_rank(ta), rb = type_rank(tb);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return 0;
    if (ra == 1) {
        if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
            sqlite3_int64 x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
            return x < y ? -1 : x > y;
        }
        double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
        return x < y ? -1 : x > y;
    }
    const void *pa = ra == 2 ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
    int na = sqlite3_value_bytes(a);
    const void *pb = ra == 2 ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
    int nb = sqlite3_value_bytes(b);
    int c = memcmp(pa ? pa : "", pb ? pb : "", (size_t)(na < nb ? na : nb));
    if (c)
        return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

static void arg_min_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    arg_min_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (!s)
        return;
    int nkeys = argc - 1;
    if (s->value) {
        int c = 0;
        for (int i = 0; i < nkeys && c == 0; i++)
            c = compare_values(argv[i + 1], s->keys[i]);
        if (c >= 0)
            return;
        sqlite3_value_free(s->value);
        for (int i = 0; i < nkeys; i++)
            sqlite3_value_free(s->keys[i]);
    }
    s->nkeys = nkeys;
    s->value = sqlite3_value_dup(argv[0]);
    int ok = s->value != NULL;
    for (int i = 0; i < nkeys; i++) {
        s->keys[i] = sqlite3_value_dup(argv[i + 1]);
        ok = ok && s->keys[i];
    }
    if (!ok)
        sqlite3_result_error_nomem(ctx);
}

static void arg_min_final(sqlite3_context *ctx)
{
    arg_min_state *s = sqlite3_aggregate_context(ctx, 0);
    if (!s || !s->value) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_value(ctx, s->value);
    sqlite3_value_free(s->value);
    for (int i = 0; i < s->nkeys; i++)
        sqlite3_value_free(s->keys[i]);
}

/* ---- json_group_set(value) ------------------------------------------------------------------
 * A JSON array of the distinct non-NULL values of a group as text, sorted (BINARY): the set of
 * services in a trace. */

typedef struct group_set_state {
    char **items;
    size_t n, cap;
} group_set_state;

static void group_set_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    group_set_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (!s)
        return;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (!text)
        return;
    /* Most groups repeat the same few values: skip an immediate repeat cheaply. */
    if (s->n && strcmp(s->items[s->n - 1], text) == 0)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **items = sqlite3_realloc64(s->items, cap * sizeof *items);
        if (!items) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n] = sqlite3_mprintf("%s", text);
    if (!s->items[s->n]) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    s->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void group_set_final(sqlite3_context *ctx)
{
    group_set_state *s = sqlite3_aggregate_context(ctx, 0);
    argus_buf b;
    argus_buf_init(&b);
    argus_buf_appendc(&b, '[');
    if (s && s->n) {
        qsort(s->items, s->n, sizeof *s->items, cmp_str);
        for (size_t i = 0; i < s->n; i++) {
            if (i == 0 || strcmp(s->items[i], s->items[i - 1]) != 0) {
                if (b.len > 1)
                    argus_buf_appendc(&b, ',');
                argus_json_string(&b, s->items[i], strlen(s->items[i]));
            }
        }
    }
    argus_buf_appendc(&b, ']');
    if (s) {
        for (size_t i = 0; i < s->n; i++)
            sqlite3_free(s->items[i]);
        sqlite3_free(s->items);
    }
    if (b.failed || !argus_buf_cstr(&b)) {
        argus_buf_free(&b);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, b.data, (int)b.len, free);
}

int argus_register_schema(sqlite3 *db, char **pzErrMsg)
{
    (void)pzErrMsg;
    int rc = sqlite3_create_function(db, "argus_migrate", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                     migrate_fn, NULL, NULL);
    for (int n = 2; rc == SQLITE_OK && n <= ARG_MIN_MAX_KEYS + 1; n++)
        rc = sqlite3_create_function(db, "arg_min", n,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     NULL, arg_min_step, arg_min_final);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "json_group_set", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     NULL, group_set_step, group_set_final);
    return rc;
}
