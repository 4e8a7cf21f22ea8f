/* The catalogue of every SQL function Argus provides: name, arity, kind, flags and the ext/core
 * entry that does the work. Plain C with no database header, so every glue layer registers (or
 * generates its UDF glue) from this one list; the SQLite glue registers exactly these names with
 * these arities and flags (argus_sqlite_register()), and a unit test holds it to that.
 *   for (size_t i = 0; i < argus_functions_count; i++)
 *       if (!(argus_functions[i].flags & ARGUS_FN_SQLITE_ONLY)) emit_udf(&argus_functions[i]);
 * Adding a function: a row here, its core entry in ext/core, its callbacks in each glue layer,
 * its documentation in docs/sql.md. */
#ifndef ARGUS_CATALOGUE_H
#define ARGUS_CATALOGUE_H

#include <stddef.h>

typedef enum argus_function_kind {
    ARGUS_FN_SCALAR,
    ARGUS_FN_AGGREGATE,
    ARGUS_FN_WINDOW, /* an aggregate that is also a window function */
    ARGUS_FN_TABLE,  /* table-valued (a virtual table module in SQLite) */
} argus_function_kind;

enum argus_function_flags {
    /* Same arguments, same result, no reads: may be indexed or folded (SQLITE_DETERMINISTIC;
     * a MySQL UDF with initid->const_item). Never set for a function that reads a table. */
    ARGUS_FN_PURE = 1,
    /* No side effects and no reads: safe in views and triggers of a schema one does not trust
     * (SQLITE_INNOCUOUS). */
    ARGUS_FN_SAFE = 2,
    /* Changes the database: only in top-level SQL, never from a view or trigger
     * (SQLITE_DIRECTONLY). */
    ARGUS_FN_DIRECT = 4,
    /* Needs the SQLite API itself (virtual tables, the schema, the connection): no MySQL UDF. */
    ARGUS_FN_SQLITE_ONLY = 8,
};

typedef struct argus_function {
    const char *name;
    int min_args, max_args; /* registered once per arity in [min_args, max_args] */
    argus_function_kind kind;
    unsigned flags;         /* argus_function_flags */
    const char *core_entry; /* the ext/core function (or module) doing the work */
} argus_function;

extern const argus_function argus_functions[];
extern const size_t argus_functions_count;

/* The catalogue entry named name, or NULL. */
const argus_function *argus_function_find(const char *name);

#endif
