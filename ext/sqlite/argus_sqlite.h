/* Internal interface of the SQLite glue: one registration function per module, called in a loop
 * by sqlite3_argus_init (argus_ext.c). Each returns SQLITE_OK or an error code and may set
 * *pzErrMsg (sqlite3_malloc'd). Also the one place core errors become SQLite errors. */
#ifndef ARGUS_SQLITE_H
#define ARGUS_SQLITE_H

#include "sqlite3ext.h"

#include "argus_error.h"

int argus_register_otlp(sqlite3 *db, char **pzErrMsg);
int argus_register_schema(sqlite3 *db, char **pzErrMsg);
int argus_register_waterfall(sqlite3 *db, char **pzErrMsg);
int argus_register_buckets(sqlite3 *db, char **pzErrMsg);
int argus_register_percentile(sqlite3 *db, char **pzErrMsg);
int argus_register_template(sqlite3 *db, char **pzErrMsg);
int argus_register_insight(sqlite3 *db, char **pzErrMsg);

/* Maps a core error to a SQLite function error ("otlp: ..." with SQLITE_NOMEM for ARGUS_ENOMEM
 * and SQLITE_TOOBIG for ARGUS_ELIMIT). */
void argus_sqlite_result_error(sqlite3_context *ctx, const argus_error *err);
/* The same for virtual tables: replaces vtab->zErrMsg; returns the SQLite error code. */
int argus_sqlite_vtab_error(sqlite3_vtab *vtab, const argus_error *err);

/* Registers everything into db (used by the server, which links the extension statically, and
 * by sqlite3_argus_init). */
int argus_sqlite_register_all(sqlite3 *db, char **pzErrMsg);

#endif
