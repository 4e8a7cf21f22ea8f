/* The SQLite schema: numbered migrations and the statements that store an OTLP payload, both
 * embedded from sql/sqlite/ at build time (scripts/embed_sql.cmake).
 *   char *err = NULL; if (argus_schema_migrate(db, &err) != SQLITE_OK) ... sqlite3_free(err);
 * From SQL: SELECT argus_migrate();  -- returns the schema version */
#ifndef ARGUS_SCHEMA_H
#define ARGUS_SCHEMA_H

typedef struct argus_migration {
    int version;
    const char *name; /* file name, e.g. "001_init.sql" */
    const char *sql;
} argus_migration;

typedef struct argus_ingest_statement {
    const char *kind; /* "spans" or "logs": which payload ?1 holds */
    const char *name; /* file name, e.g. "spans_10_spans.sql" */
    const char *sql;  /* one statement; ?1 is the payload (BLOB/TEXT, or a decoded pointer) */
} argus_ingest_statement;

/* Terminated by an entry with name == NULL; in the order they must run. */
extern const argus_migration argus_sqlite_migrations[];
extern const argus_ingest_statement argus_sqlite_ingest[];

#ifndef ARGUS_SCHEMA_NO_SQLITE
#include "sqlite3ext.h"
/* Applies every migration newer than the database's version, each in its own transaction.
 * Returns SQLITE_OK or an error code with *errmsg (sqlite3_malloc'd) naming the migration. */
int argus_schema_migrate(sqlite3 *db, char **errmsg);
/* The newest schema version this build knows. */
int argus_schema_latest(void);
/* *version = the database's schema version (0 before any migration). Fails (with *errmsg,
 * sqlite3_malloc'd, when errmsg is not NULL) when argus_migrations does not exist yet. */
int argus_schema_version(sqlite3 *db, int *version, char **errmsg);
#endif

#endif
