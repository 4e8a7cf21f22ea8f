/* Schema migrations and the small SQL helpers the ingest statements use.
 *   SELECT argus_migrate();                    -- applies sql/sqlite migrations, returns the
 * version SELECT arg_min(name, start_ns) FROM spans;  -- the name of the row with the smallest
 * start_ns argus-shell and argus-server call argus_schema_migrate() at start. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_schema.h"

#include "argus_aggregate.h"
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

/* ---- arg_min(value, key1 [, key2 ...]) and json_group_set(value): core aggregate.c -------- */

static argus_datum datum(sqlite3_value *v)
{
    argus_datum d;
    memset(&d, 0, sizeof d);
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        d.type = ARGUS_DATUM_INT;
        d.i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        d.type = ARGUS_DATUM_REAL;
        d.d = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT:
        d.type = ARGUS_DATUM_TEXT;
        d.p = sqlite3_value_text(v);
        d.n = (size_t)sqlite3_value_bytes(v);
        break;
    case SQLITE_BLOB:
        d.type = ARGUS_DATUM_BLOB;
        d.p = sqlite3_value_blob(v);
        d.n = (size_t)sqlite3_value_bytes(v);
        break;
    default: d.type = ARGUS_DATUM_NULL;
    }
    return d;
}

static void arg_min_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    argus_arg_min *m = argus_sqlite_agg_state(ctx, sizeof *m); /* zeroed = initialised */
    if (!m)
        return;
    argus_datum value = datum(argv[0]);
    argus_datum keys[ARGUS_ARG_MIN_MAX_KEYS];
    int nkeys = argc - 1;
    for (int i = 0; i < nkeys && i < ARGUS_ARG_MIN_MAX_KEYS; i++)
        keys[i] = datum(argv[i + 1]);
    argus_error err;
    if (argus_arg_min_add(m, &value, keys, nkeys, &err))
        argus_sqlite_result_error(ctx, &err);
}

static void arg_min_final(sqlite3_context *ctx)
{
    argus_arg_min *m = sqlite3_aggregate_context(ctx, 0);
    const argus_datum *v = m ? argus_arg_min_value(m) : NULL;
    switch (v ? v->type : ARGUS_DATUM_NULL) {
    case ARGUS_DATUM_INT: sqlite3_result_int64(ctx, v->i); break;
    case ARGUS_DATUM_REAL: sqlite3_result_double(ctx, v->d); break;
    case ARGUS_DATUM_TEXT:
        sqlite3_result_text64(ctx, v->p, v->n, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    case ARGUS_DATUM_BLOB: sqlite3_result_blob64(ctx, v->p, v->n, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx);
    }
    if (m)
        argus_arg_min_free(m);
}

static void group_set_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    argus_string_set *s = argus_sqlite_agg_state(ctx, sizeof *s); /* zeroed = initialised */
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (!s || !text)
        return;
    argus_error err;
    if (argus_string_set_add(s, text, (size_t)sqlite3_value_bytes(argv[0]), &err))
        argus_sqlite_result_error(ctx, &err);
}

static void group_set_final(sqlite3_context *ctx)
{
    argus_string_set *s = sqlite3_aggregate_context(ctx, 0);
    argus_string_set empty;
    argus_string_set_init(&empty);
    argus_buf b;
    argus_buf_init(&b);
    argus_string_set_json(s ? s : &empty, &b);
    if (s)
        argus_string_set_free(s);
    if (b.failed || !argus_buf_cstr(&b)) {
        argus_buf_free(&b);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, b.data, (int)b.len, free);
}

int argus_register_schema(sqlite3 *db, char **pzErrMsg)
{
    const argus_sqlite_glue glue[] = {
        {.name = "argus_migrate", .func = migrate_fn},
        {.name = "arg_min", .step = arg_min_step, .final = arg_min_final},
        {.name = "json_group_set", .step = group_set_step, .final = group_set_final},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
