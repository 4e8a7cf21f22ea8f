/* The read side of a storage backend: one read-only connection per API worker thread, with the
 * Argus functions registered, a busy timeout, a time limit per statement, a cache of prepared
 * statements, 64-bit exact parameters and typed rows. Each backend implements the calls as an
 * argus_store_read_driver (below), referenced by its store driver (store.h, driver->read);
 * argus_read_open picks it from ARGUS_DB. The SQLite one is store_read_sqlite.c.
 *   argus_read *rd; argus_read_open(&rd, cfg, &limits, msg, sizeof msg);
 *   argus_read_stmt *st; argus_read_prepare(rd, "SELECT count(*) FROM spans WHERE name = ?", -1,
 * &st); argus_read_bind_text(st, 1, "GET /cart", -1); while ((rc = argus_read_step(st)) ==
 * ARGUS_READ_ROW) argus_read_int64(st, 0); argus_read_done(st);     // resets it and returns it to
 * the cache Used by one thread at a time (the worker owning it). */
#ifndef ARGUS_STORE_READ_H
#define ARGUS_STORE_READ_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

enum {
    ARGUS_READ_OK = 0,
    ARGUS_READ_ROW = 1,      /* argus_read_step: a row is ready */
    ARGUS_READ_DONE = 2,     /* argus_read_step: no more rows */
    ARGUS_READ_ERROR = -1,   /* bad SQL, a function error, a read-only violation */
    ARGUS_READ_TIMEOUT = -2, /* the statement ran past its time limit (interrupted) */
    ARGUS_READ_BUSY = -3,    /* the database stayed locked past the busy timeout */
    ARGUS_READ_NOMEM = -4,
};

/* Column / value types of a row. */
typedef enum argus_read_type {
    ARGUS_READ_NULL = 0,
    ARGUS_READ_INT,
    ARGUS_READ_FLOAT,
    ARGUS_READ_TEXT,
    ARGUS_READ_BLOB,
} argus_read_type;

typedef struct argus_read_limits {
    unsigned statement_ms; /* longest a statement may run; 0 = no limit */
    unsigned busy_ms;      /* busy timeout */
    unsigned cache;        /* prepared statements kept per connection */
} argus_read_limits;

typedef struct argus_read argus_read;
typedef struct argus_read_stmt argus_read_stmt;

/* One backend's read side: the calls below, dispatched through these. What every backend does
 * the same way is done once in store_read.c: the connection and its cache of prepared statements
 * are allocated there (size, stmt_size bytes, zeroed), a statement is looked up in the cache
 * before the driver prepares it, and done() returns it to the cache or frees it. Drivers leave
 * their messages in rd->err. */
typedef struct argus_store_read_driver {
    const char *name; /* "sqlite" (argus_read_backend) */
    size_t size;      /* of the driver's connection: an argus_read first, its own state after */
    size_t stmt_size; /* of its statement: an argus_read_entry first */
    /* Connects rd (its driver, limits and cache set). On an error, with msg, argus_read_close
     * releases what it got so far. */
    int (*open)(argus_read *rd, const argus_config *cfg, char *msg, size_t msglen);
    /* Closes the connection (the statements are released already; rd is freed after). */
    void (*close)(argus_read *rd);
    /* Prepares sql (len >= 0 bytes) into st (zeroed, st->rd set); cached: it will be kept in the
     * cache. On an error, release() frees what st holds. */
    int (*prepare)(argus_read_stmt *st, const char *sql, int len, int cached);
    int (*bind_null)(argus_read_stmt *st, int i);
    int (*bind_int64)(argus_read_stmt *st, int i, int64_t v);
    int (*bind_double)(argus_read_stmt *st, int i, double v);
    int (*bind_text)(argus_read_stmt *st, int i, const char *s, int len);
    int (*bind_blob)(argus_read_stmt *st, int i, const void *p, int len);
    int (*param_count)(argus_read_stmt *st);
    int (*step)(argus_read_stmt *st);
    int (*column_count)(argus_read_stmt *st);
    const char *(*column_name)(argus_read_stmt *st, int i);
    argus_read_type (*column_type)(argus_read_stmt *st, int i);
    int64_t (*int64)(argus_read_stmt *st, int i);
    double (*double_)(argus_read_stmt *st, int i);
    const char *(*text)(argus_read_stmt *st, int i, size_t *len);
    const void *(*blob)(argus_read_stmt *st, int i, size_t *len);
    /* After use: the statement reset and its bindings cleared, ready to run again. */
    void (*reset)(argus_read_stmt *st);
    /* Frees what the driver's part of st holds (nothing in a zeroed one); st itself is not. */
    void (*release)(argus_read_stmt *st);
} argus_store_read_driver;

/* A driver's table from the prefix P of its functions (P_open, P_close, ... P_release) and its
 * connection and statement types: every entry is named here once, so a driver that lacks one
 * does not compile.
 *   const argus_store_read_driver argus_store_read_sqlite =
 *       ARGUS_STORE_READ_DRIVER("sqlite", sqlread, sqlite_read, sqlite_stmt); */
#define ARGUS_STORE_READ_DRIVER(NAME, P, CONN, STMT)                                               \
    {                                                                                              \
        .name = NAME, .size = sizeof(CONN), .stmt_size = sizeof(STMT), .open = P##_open,           \
        .close = P##_close, .prepare = P##_prepare, .bind_null = P##_bind_null,                    \
        .bind_int64 = P##_bind_int64, .bind_double = P##_bind_double, .bind_text = P##_bind_text,  \
        .bind_blob = P##_bind_blob, .param_count = P##_param_count, .step = P##_step,              \
        .column_count = P##_column_count, .column_name = P##_column_name,                          \
        .column_type = P##_column_type, .int64 = P##_int64, .double_ = P##_double,                 \
        .text = P##_text, .blob = P##_blob, .reset = P##_reset, .release = P##_release             \
    }

/* Every backend's connection and statement start with these (the driver's own state follows). */
struct argus_read {
    const argus_store_read_driver *driver;
    argus_read_limits limits; /* limits.cache >= 1 */
    void *cache;              /* limits.cache statements of driver->stmt_size bytes */
    uint64_t clock;           /* LRU clock of the cache */
    char err[512];            /* the last failed call's message (argus_read_error) */
};
struct argus_read_stmt {
    argus_read *rd;
};

/* A statement's part that the cache keeps (store_read.c): a driver's statement starts with it. */
typedef struct argus_read_entry {
    argus_read_stmt base;
    char *sql; /* cached statements: their text (owned); NULL in an empty slot */
    int len;
    int cached; /* lives in the cache (done() frees the others) */
    int in_use;
    uint64_t used; /* LRU clock */
} argus_read_entry;

extern const argus_store_read_driver argus_store_read_sqlite;
/* store_read_mysql.c (ARGUS_HAVE_MYSQL builds): MariaDB / MySQL. */
extern const argus_store_read_driver argus_store_read_mysql;

/* Opens a read-only connection to cfg's database, through the read side of the store driver of
 * cfg->db_url. Returns ARGUS_READ_OK, or an error with msg (also when that backend has no read
 * side). */
int argus_read_open(argus_read **out, const argus_config *cfg, const argus_read_limits *limits,
                    char *msg, size_t msglen);
void argus_read_close(argus_read *rd);

/* A prepared statement for sql (len bytes, or -1 for a NUL-terminated string), from the cache
 * when it was prepared before. A statement is handed out to one user at a time: preparing a
 * text whose statement is in use prepares another one (kept in a free slot of the cache, if
 * any). The statement is borrowed until argus_read_done(). Errors leave the message in
 * argus_read_error(rd); a failed prepare leaves the cache as it was. */
int argus_read_prepare(argus_read *rd, const char *sql, int len, argus_read_stmt **out);
/* Parameters are numbered from 1. Text and blobs are copied. */
int argus_read_bind_null(argus_read_stmt *st, int i);
int argus_read_bind_int64(argus_read_stmt *st, int i, int64_t v);
int argus_read_bind_double(argus_read_stmt *st, int i, double v);
int argus_read_bind_text(argus_read_stmt *st, int i, const char *s, int len);
int argus_read_bind_blob(argus_read_stmt *st, int i, const void *p, int len);
int argus_read_param_count(argus_read_stmt *st);

/* ARGUS_READ_ROW, ARGUS_READ_DONE or an error (message in argus_read_error). The statement's
 * time limit starts with its first step. */
int argus_read_step(argus_read_stmt *st);
int argus_read_column_count(argus_read_stmt *st);
const char *argus_read_column_name(argus_read_stmt *st, int i);
argus_read_type argus_read_column_type(argus_read_stmt *st, int i);
int64_t argus_read_int64(argus_read_stmt *st, int i);
double argus_read_double(argus_read_stmt *st, int i);
/* Borrowed until the next step or done; *len gets the length in bytes. */
const char *argus_read_text(argus_read_stmt *st, int i, size_t *len);
const void *argus_read_blob(argus_read_stmt *st, int i, size_t *len);
/* Resets the statement, clears its bindings and returns it to the cache (or frees it). */
void argus_read_done(argus_read_stmt *st);

/* The message of the last failed call on this connection ("" when none). */
const char *argus_read_error(const argus_read *rd);
/* "sqlite" (the backend's name, for /api/system). */
const char *argus_read_backend(const argus_read *rd);

#endif
