/* Internal interface of the SQLite glue: one registration function per module, called in a loop
 * by sqlite3_argus_init (argus_ext.c). Each returns SQLITE_OK or an error code and may set
 * *pzErrMsg (sqlite3_malloc'd). Also the one place core errors become SQLite errors. */
#ifndef ARGUS_SQLITE_H
#define ARGUS_SQLITE_H

#include "sqlite3ext.h"

#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

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

/* An aggregate's state of size bytes (zeroed by SQLite at the first row), or NULL with
 * SQLITE_NOMEM reported as the function's error. */
void *argus_sqlite_agg_state(sqlite3_context *ctx, size_t size);

/* ---- virtual tables: the parts every table function shares (argus_ext.c) ---- */

/* xConnect's common part: declares schema, allocates a zeroed vtab of size bytes (a struct
 * starting with sqlite3_vtab) and marks the table innocuous (our tables only read their
 * arguments or the spans table). On failure *pzErr is "<fn>: <SQLite's message>". */
int argus_vtab_connect(sqlite3 *db, const char *schema, size_t size, const char *fn,
                       sqlite3_vtab **ppVtab, char **pzErr);
/* A table function whose vtab holds nothing of its own needs no xConnect of its own:
 * argus_vtab_connect_plain declares schema, with fn naming it in errors, given this as the
 * module's data (argus_sqlite_glue .data). */
typedef struct argus_vtab_plain {
    const char *fn, *schema;
} argus_vtab_plain;
int argus_vtab_connect_plain(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **ppVtab, char **pzErr);
/* xDisconnect of a vtab that owns nothing else. */
int argus_vtab_disconnect(sqlite3_vtab *vtab);
/* xOpen's common part: a zeroed cursor of size bytes (a struct starting with
 * sqlite3_vtab_cursor). */
int argus_vtab_cursor_new(size_t size, sqlite3_vtab_cursor **ppCursor);
/* xClose of a cursor that owns nothing else. */
int argus_vtab_cursor_close(sqlite3_vtab_cursor *cur);

/* A cursor over rows 0..n-1 (rowid = pos + 1) starts with this; the three functions below are
 * its xNext, xEof and xRowid. */
typedef struct argus_vtab_rows {
    sqlite3_vtab_cursor base;
    uint64_t pos; /* current row */
    uint64_t n;   /* rows */
} argus_vtab_rows;
int argus_vtab_rows_next(sqlite3_vtab_cursor *cur);
int argus_vtab_rows_eof(sqlite3_vtab_cursor *cur);
int argus_vtab_rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid);
/* The sqlite3_module of a table function whose cursor is an argus_vtab_rows: the table's own
 * methods given, xNext, xEof and xRowid the three above. */
#define ARGUS_VTAB_ROWS_MODULE(connect, best_index, disconnect, open, close, filter, column)       \
    {                                                                                              \
        .iVersion = 0, .xConnect = (connect), .xBestIndex = (best_index),                          \
        .xDisconnect = (disconnect), .xOpen = (open), .xClose = (close), .xFilter = (filter),      \
        .xNext = argus_vtab_rows_next, .xEof = argus_vtab_rows_eof, .xColumn = (column),           \
        .xRowid = argus_vtab_rows_rowid                                                            \
    }

/* Registers everything into db (used by the server, which links the extension statically, and
 * by sqlite3_argus_init). */
int argus_sqlite_register_all(sqlite3 *db, char **pzErrMsg);

#endif
