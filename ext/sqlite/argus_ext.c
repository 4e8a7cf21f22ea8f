/* Entry point of the Argus SQLite extension.
 *   sqlite> .load ./argus
 *   sqlite> SELECT service_name, count(*) FROM otlp_spans(readfile('capture.pb')) GROUP BY 1;
 * Built twice: as the loadable argus.so and, with SQLITE_CORE, as the static library the server
 * links; each module registers itself from the table below. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT1

#include "argus_catalogue.h"

#include <stddef.h>
#include <string.h>

typedef int (*register_fn)(sqlite3 *, char **);

static const struct {
    const char *name;
    register_fn fn;
} modules[] = {
    {"otlp", argus_register_otlp},
    {"schema", argus_register_schema},
    {"waterfall", argus_register_waterfall},
    {"buckets", argus_register_buckets},
    {"percentile", argus_register_percentile},
    {"template", argus_register_template},
    {"insight", argus_register_insight},
};

int argus_sqlite_register_all(sqlite3 *db, char **pzErrMsg)
{
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        int rc = modules[i].fn(db, pzErrMsg);
        if (rc != SQLITE_OK) {
            if (pzErrMsg && !*pzErrMsg)
                *pzErrMsg = sqlite3_mprintf("argus: registering %s failed: %s", modules[i].name,
                                            sqlite3_errstr(rc));
            return rc;
        }
    }
    return SQLITE_OK;
}

/* Why g cannot be registered as f describes it, or NULL. */
static const char *glue_mismatch(const argus_function *f, const argus_sqlite_glue *g)
{
    if (!f)
        return "is not in the function catalogue";
    switch (f->kind) {
    case ARGUS_FN_TABLE: return g->module ? NULL : "is table-valued but has no module";
    case ARGUS_FN_SCALAR: return g->func ? NULL : "is scalar but has no function";
    case ARGUS_FN_AGGREGATE:
        return g->step && g->final ? NULL : "is an aggregate without step/final";
    case ARGUS_FN_WINDOW:
        return g->step && g->final && g->value && g->inverse
                   ? NULL
                   : "is a window function without its four callbacks";
    }
    return "has an unknown kind";
}

static int register_one(sqlite3 *db, const argus_function *f, const argus_sqlite_glue *g)
{
    if (f->kind == ARGUS_FN_TABLE)
        return sqlite3_create_module_v2(db, f->name, g->module, g->data, g->free_data);
    int flags = SQLITE_UTF8;
    if (f->flags & ARGUS_FN_PURE)
        flags |= SQLITE_DETERMINISTIC;
    if (f->flags & ARGUS_FN_SAFE)
        flags |= SQLITE_INNOCUOUS;
    if (f->flags & ARGUS_FN_DIRECT)
        flags |= SQLITE_DIRECTONLY;
    int rc = SQLITE_OK;
    /* The widest arity owns data (SQLite runs free_data when that registration fails, too). */
    for (int n = f->max_args; rc == SQLITE_OK && n >= f->min_args; n--) {
        void (*destroy)(void *) = n == f->max_args ? g->free_data : NULL;
        if (f->kind == ARGUS_FN_WINDOW)
            rc = sqlite3_create_window_function(db, f->name, n, flags, g->data, g->step, g->final,
                                                g->value, g->inverse, destroy);
        else
            rc = sqlite3_create_function_v2(db, f->name, n, flags, g->data, g->func, g->step,
                                            g->final, destroy);
    }
    return rc;
}

int argus_sqlite_register(sqlite3 *db, const argus_sqlite_glue *g, size_t n, char **pzErrMsg)
{
    for (size_t i = 0; i < n; i++) {
        const argus_function *f = argus_function_find(g[i].name);
        const char *why = glue_mismatch(f, &g[i]);
        int rc = why ? SQLITE_ERROR : register_one(db, f, &g[i]);
        if (rc == SQLITE_OK)
            continue;
        if (pzErrMsg && !*pzErrMsg)
            *pzErrMsg =
                why ? sqlite3_mprintf("argus: %s %s", g[i].name, why)
                    : sqlite3_mprintf("argus: registering %s: %s", g[i].name, sqlite3_errmsg(db));
        /* Data never handed to SQLite is still ours (SQLite frees it when registering fails). */
        for (size_t j = why ? i : i + 1; j < n; j++)
            if (g[j].free_data)
                g[j].free_data(g[j].data);
        return rc;
    }
    return SQLITE_OK;
}

void argus_sqlite_result_error(sqlite3_context *ctx, const argus_error *err)
{
    if (err->code == ARGUS_ENOMEM && !err->message[0]) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_error(ctx, err->message[0] ? err->message : "argus: error", -1);
    if (err->code == ARGUS_ELIMIT)
        sqlite3_result_error_code(ctx, SQLITE_TOOBIG);
    else if (err->code == ARGUS_ENOMEM)
        sqlite3_result_error_code(ctx, SQLITE_NOMEM);
}

int argus_sqlite_vtab_error(sqlite3_vtab *vtab, const argus_error *err)
{
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite3_mprintf("%s", err->message[0] ? err->message : "argus: error");
    if (err->code == ARGUS_ENOMEM)
        return SQLITE_NOMEM;
    if (err->code == ARGUS_ELIMIT)
        return SQLITE_TOOBIG;
    return SQLITE_ERROR;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
    int sqlite3_argus_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi)
{
    SQLITE_EXTENSION_INIT2(pApi);
    return argus_sqlite_register_all(db, pzErrMsg);
}

void *argus_sqlite_agg_state(sqlite3_context *ctx, size_t size)
{
    void *state = sqlite3_aggregate_context(ctx, (int)size);
    if (!state)
        sqlite3_result_error_nomem(ctx);
    return state;
}

int argus_vtab_connect(sqlite3 *db, const char *schema, size_t size, const char *fn,
                       sqlite3_vtab **ppVtab, char **pzErr)
{
    int rc = sqlite3_declare_vtab(db, schema);
    if (rc != SQLITE_OK) {
        *pzErr = sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(db));
        return rc;
    }
    sqlite3_vtab *v = sqlite3_malloc64(size);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, size);
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *ppVtab = v;
    return SQLITE_OK;
}

int argus_vtab_connect_plain(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)argc;
    (void)argv;
    const argus_vtab_plain *t = aux;
    return argus_vtab_connect(db, t->schema, sizeof(sqlite3_vtab), t->fn, ppVtab, pzErr);
}

int argus_vtab_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}

int argus_vtab_cursor_new(size_t size, sqlite3_vtab_cursor **ppCursor)
{
    sqlite3_vtab_cursor *c = sqlite3_malloc64(size);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, size);
    *ppCursor = c;
    return SQLITE_OK;
}

int argus_vtab_cursor_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

int argus_vtab_rows_next(sqlite3_vtab_cursor *cur)
{
    ((argus_vtab_rows *)cur)->pos++;
    return SQLITE_OK;
}

int argus_vtab_rows_eof(sqlite3_vtab_cursor *cur)
{
    const argus_vtab_rows *r = (const argus_vtab_rows *)cur;
    return r->pos >= r->n;
}

int argus_vtab_rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid)
{
    *pRowid = (sqlite3_int64)((argus_vtab_rows *)cur)->pos + 1;
    return SQLITE_OK;
}
