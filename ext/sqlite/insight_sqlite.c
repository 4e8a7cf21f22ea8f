/* ai_insight(body [, severity_number [, attributes_json]]): insight JSON or NULL (core: insight.c),
 * and insight_builtin_rules(): the built-in rules as JSON.
 *   UPDATE logs SET insight = ai_insight(body, severity_number, attributes) WHERE insight IS NULL;
 * User rules (table insight_rules, migration 003) are cached compiled per connection and reloaded
 * when committed changes move the rules' change token (see current_rules()). */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_arena.h"
#include "argus_insight.h"

#include <stdlib.h>
#include <string.h>

typedef struct insight_conn {
    argus_insight_rules *rules; /* NULL until first use */
    unsigned int data_version;
    int have_data_version;
    int have_token; /* insight_rules_version exists */
    sqlite3_int64 token;
    argus_buf out;
} insight_conn;

static void conn_free(void *p)
{
    insight_conn *c = p;
    argus_insight_rules_free(c->rules);
    argus_buf_free(&c->out);
    free(c);
}

/* The change token, or 0 in *exists when there is no insight_rules_version table. */
static int read_token(sqlite3 *db, int *exists, sqlite3_int64 *token)
{
    sqlite3_stmt *st = NULL;
    *exists = 0;
    *token = 0;
    if (sqlite3_prepare_v2(db, "SELECT version FROM insight_rules_version", -1, &st, NULL) !=
        SQLITE_OK)
        return SQLITE_OK; /* not migrated: built-in rules only */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *exists = 1;
        *token = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *exists = 1;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Column col as a NUL-terminated copy in a. Text holding a NUL byte would be cut there, silently
 * changing the rule: *nul is set to the column's name instead, and NULL returned. */
static const char *copy_text(argus_arena *a, sqlite3_stmt *st, int col, const char **nul)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    if (!s)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (memchr(s, '\0', n)) {
        if (!*nul)
            *nul = sqlite3_column_name(st, col);
        return NULL;
    }
    return argus_arena_strndup(a, (const char *)s, n);
}

/* Compiles the built-in rules plus the rows of insight_rules (if the table exists). */
static int load_rules(sqlite3 *db, argus_insight_rules **out, argus_error *err)
{
    sqlite3_stmt *st = NULL;
    argus_insight_rule *rows = NULL;
    size_t n = 0, cap = 0;
    argus_arena arena;
    argus_arena_init(&arena, 0);
    int rc = SQLITE_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, pattern, category, tags, summary, suggestion, confidence,"
                           " priority, enabled FROM insight_rules",
                           -1, &st, NULL) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                argus_insight_rule *p = realloc(rows, cap * sizeof *rows);
                if (!p) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                rows = p;
            }
            argus_insight_rule *r = &rows[n++];
            const char *nul = NULL;
            r->id = sqlite3_column_int64(st, 0);
            r->pattern = copy_text(&arena, st, 1, &nul);
            r->category = copy_text(&arena, st, 2, &nul);
            r->tags_json = copy_text(&arena, st, 3, &nul);
            r->summary = copy_text(&arena, st, 4, &nul);
            r->suggestion = copy_text(&arena, st, 5, &nul);
            if (nul) {
                argus_error_set(err, ARGUS_EINVAL,
                                "insight: rule %lld: %s contains a NUL byte; rules are text "
                                "without NUL",
                                (long long)r->id, nul);
                rc = SQLITE_CONSTRAINT;
                break;
            }
            r->confidence =
                sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 6);
            r->priority = sqlite3_column_int64(st, 7);
            r->enabled =
                sqlite3_column_type(st, 8) == SQLITE_NULL || sqlite3_column_int64(st, 8) != 0;
            if (arena.exhausted)
                rc = SQLITE_NOMEM;
            if (rc == SQLITE_NOMEM)
                break;
        }
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_CONSTRAINT)
            argus_error_set(err, ARGUS_EINVAL, "insight: reading insight_rules: %s",
                            sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_NOMEM) {
        argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
        rc = ARGUS_ENOMEM;
    } else if (rc != SQLITE_OK) {
        rc = ARGUS_EINVAL;
    } else {
        rc = argus_insight_rules_new(rows, n, out, err);
    }
    free(rows);
    argus_arena_free(&arena);
    return rc;
}

/* The connection's compiled rules, reloaded when insight_rules changed: only when the database's
 * data version (SQLITE_FCNTL_DATA_VERSION, moved by every commit on any connection) moved is the
 * change token that insight_rules' triggers write into insight_rules_version read, so a call
 * inside a scan of logs costs no query. Changes become visible once committed. */
static int current_rules(sqlite3 *db, insight_conn *c, argus_error *err)
{
    unsigned int dv = 0;
    int have_dv = sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) == SQLITE_OK;
    /* The data version is only refreshed when a read transaction starts: a statement that reads
     * no table ("SELECT ai_insight('...')") has none, so there the token is read every time. */
    if (c->rules && have_dv && c->have_data_version && dv == c->data_version &&
        sqlite3_txn_state(db, "main") != SQLITE_TXN_NONE)
        return 0;
    int exists;
    sqlite3_int64 token;
    if (read_token(db, &exists, &token) != SQLITE_OK)
        return argus_error_set(err, ARGUS_EINVAL, "insight: reading insight_rules_version: %s",
                               sqlite3_errmsg(db));
    /* without the token table we cannot tell what changed: reload on every data change */
    if (!c->rules || !exists || exists != c->have_token || token != c->token) {
        argus_insight_rules *fresh = NULL;
        int rc = load_rules(db, &fresh, err);
        if (rc)
            return rc;
        argus_insight_rules_free(c->rules);
        c->rules = fresh;
    }
    c->have_token = exists;
    c->token = token;
    c->data_version = dv;
    c->have_data_version = have_dv;
    return 0;
}

static void insight_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    const char *body = (const char *)sqlite3_value_text(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    int severity = argc > 1 ? sqlite3_value_int(argv[1]) : 0;
    const char *attrs = NULL;
    size_t attrs_n = 0;
    if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
        attrs = (const char *)sqlite3_value_text(argv[2]);
        attrs_n = (size_t)sqlite3_value_bytes(argv[2]);
    }
    if (!body) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    insight_conn *c = sqlite3_user_data(ctx);
    argus_error err;
    argus_error_clear(&err);
    if (current_rules(sqlite3_context_db_handle(ctx), c, &err)) {
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    argus_buf_reset(&c->out);
    int rc = argus_insight_eval(c->rules, body, n, severity, attrs, attrs_n, &c->out, &err);
    if (rc < 0)
        argus_sqlite_result_error(ctx, &err);
    else if (rc > 0)
        sqlite3_result_text(ctx, c->out.data, (int)c->out.len, SQLITE_TRANSIENT);
}

static void builtin_rules_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    argus_buf b;
    argus_error err;
    argus_buf_init(&b);
    if (argus_insight_builtin_json(&b, &err))
        argus_sqlite_result_error(ctx, &err);
    else
        sqlite3_result_text(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
    argus_buf_free(&b);
}

int argus_register_insight(sqlite3 *db, char **pzErrMsg)
{
    insight_conn *c = calloc(1, sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    argus_buf_init(&c->out);
    /* ai_insight() reads insight_rules, so the catalogue marks it neither deterministic nor
     * innocuous: every statement sees the committed rules, and it cannot be indexed or used in
     * a generated column. Its arities share c. */
    const argus_sqlite_glue glue[] = {
        {.name = "ai_insight", .func = insight_fn, .data = c, .free_data = conn_free},
        {.name = "insight_builtin_rules", .func = builtin_rules_fn},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
