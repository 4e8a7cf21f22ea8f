/* Internal interface of the SQLite glue: one registration function per module, called in a loop
 * by sqlite3_argus_init (argus_ext.c). Each returns SQLITE_OK or an error code and may set
 * *pzErrMsg (sqlite3_malloc'd). Also the one place core errors become SQLite errors. */
#ifndef ARGUS_SQLITE_H
#define ARGUS_SQLITE_H

#include "sqlite3ext.h"

#include "argus_error.h"

#include <stddef.h>

int argus_register_otlp(sqlite3 *db, char **pzErrMsg);
int argus_register_schema(sqlite3 *db, char **pzErrMsg);
int argus_register_waterfall(sqlite3 *db, char **pzErrMsg);
int argus_register_buckets(sqlite3 *db, char **pzErrMsg);
int argus_register_percentile(sqlite3 *db, char **pzErrMsg);
int argus_register_template(sqlite3 *db, char **pzErrMsg);
int argus_register_insight(sqlite3 *db, char **pzErrMsg);

/* The SQLite callbacks of one catalogue function (argus_catalogue.h); its arity, kind and flags
 * come from the catalogue. Set what the kind needs: func (scalar); step + final (aggregate);
 * step + final + value + inverse (window); module (table). data is the user data (module client
 * data); free_data, when set, runs once when SQLite drops it (also when registration fails). */
typedef struct argus_sqlite_glue {
    const char *name;
    void (*func)(sqlite3_context *, int, sqlite3_value **);
    void (*step)(sqlite3_context *, int, sqlite3_value **);
    void (*final)(sqlite3_context *);
    void (*value)(sqlite3_context *);
    void (*inverse)(sqlite3_context *, int, sqlite3_value **);
    const sqlite3_module *module;
    void *data;
    void (*free_data)(void *);
} argus_sqlite_glue;

/* Registers n functions as the catalogue describes them (every arity, SQLITE_DETERMINISTIC /
 * INNOCUOUS / DIRECTONLY from its flags). A name missing from the catalogue or callbacks that do
 * not fit its kind is an error naming the function. */
int argus_sqlite_register(sqlite3 *db, const argus_sqlite_glue *g, size_t n, char **pzErrMsg);

/* Maps a core error to a SQLite function error ("otlp: ..." with SQLITE_NOMEM for ARGUS_ENOMEM
 * and SQLITE_TOOBIG for ARGUS_ELIMIT). */
void argus_sqlite_result_error(sqlite3_context *ctx, const argus_error *err);
/* The same for virtual tables: replaces vtab->zErrMsg; returns the SQLite error code. */
int argus_sqlite_vtab_error(sqlite3_vtab *vtab, const argus_error *err);

/* Registers everything into db (used by the server, which links the extension statically, and
 * by sqlite3_argus_init). */
int argus_sqlite_register_all(sqlite3 *db, char **pzErrMsg);

#endif
