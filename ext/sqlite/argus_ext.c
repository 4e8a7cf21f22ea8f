/* Entry point of the Argus SQLite extension.
 *   sqlite> .load ./argus
 *   sqlite> SELECT service_name, count(*) FROM otlp_spans(readfile('capture.pb')) GROUP BY 1;
 * Built twice: as the loadable argus.so and, with SQLITE_CORE, as the static library the server
 * links; each module registers itself from the table below. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT1

#include <stddef.h>

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
