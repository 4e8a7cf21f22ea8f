/* MariaDB / MySQL storage driver for the writer thread; see store.h.
 *   ARGUS_DB=mysql://argus@127.0.0.1:3306/argus ARGUS_DB_PASSWORD=... argus-server
 * One connection (libmariadb). At open: the database is created when missing, the numbered
 * migrations of sql/mysql applied. Each request is decoded (and its rows rendered) by the
 * receiving threads; here its spans / log records go in with one array-bound INSERT (MariaDB's
 * bulk execution: one round trip per request), its resources once each, and the traces summary
 * and per-minute rollups are merged in C with the stored rows of the request's traces / minutes
 * (one SELECT each) and written back with one array-bound upsert -- the same results as the
 * SQLite ingest statements, without needing the UDFs in the server. Row ids are assigned here
 * (max(id) + 1 read at the first transaction): the one writer knows a batch's ids exactly. A
 * request runs inside a savepoint, so one bad request never costs the rest of the batch. */
#include "store.h"

#include "argus_otlp_rows.h"
#include "store_mysql.h"
#include "store_read.h"
#include "argus_sketch.h"
#include "argus_span_operations.h"
#include "log.h"
#include "thread.h"

#include <errmsg.h>
#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <openssl/evp.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* sql/mysql/NNN_*.sql, embedded by scripts/embed_sql.cmake */
typedef struct argus_mysql_migration {
    int version;
    const char *name;
    const char *sql;
} argus_mysql_migration;
extern const argus_mysql_migration argus_mysql_migrations[];

#define PURGE_CHUNK_ROWS 5000
/* Rows per array-bound execution at most (a request of more goes in slices). */
#define BULK_MAX_ROWS 2000

/* ---- array-bound inserts ----------------------------------------------------------------------
 */

/* One column of an array-bound statement: int64 values, or strings (pointer + length, NULL). */
typedef struct bulk_col {
    char type; /* 'i' int64, 's' string, 'b' binary */
    int64_t *ints;
    char **strs;
    unsigned long *lens;
    char *ind; /* STMT_INDICATOR_NULL / STMT_INDICATOR_NONE */
} bulk_col;

typedef struct bulk {
    const char *sql;
    const char *types;                 /* one letter per parameter */
    char own_sql[1024], own_types[40]; /* for statements made from the core's column tables */
    unsigned ncols;
    MYSQL_STMT *stmt;
    bulk_col cols[32];
    size_t cap, n;
} bulk;

static void bulk_free(bulk *b)
{
    if (b->stmt)
        mysql_stmt_close(b->stmt);
    b->stmt = NULL;
    for (unsigned c = 0; c < b->ncols; c++) {
        free(b->cols[c].ints);
        free(b->cols[c].strs);
        free(b->cols[c].lens);
        free(b->cols[c].ind);
        memset(&b->cols[c], 0, sizeof b->cols[c]);
    }
    b->cap = b->n = 0;
}

/* Makes room for one more row; -1 on out of memory. */
static int bulk_grow(bulk *b)
{
    if (b->n < b->cap)
        return 0;
    size_t cap = b->cap ? 2 * b->cap : 256;
    b->ncols = (unsigned)strlen(b->types);
    for (unsigned c = 0; c < b->ncols; c++) {
        bulk_col *col = &b->cols[c];
        col->type = b->types[c];
        if (col->type == 'i') {
            int64_t *p = realloc(col->ints, cap * sizeof *p);
            if (!p)
                return -1;
            col->ints = p;
        } else {
            char **s = realloc(col->strs, cap * sizeof *s);
            if (s)
                col->strs = s;
            unsigned long *l = realloc(col->lens, cap * sizeof *l);
            if (l)
                col->lens = l;
            if (!s || !l)
                return -1;
        }
        char *ind = realloc(col->ind, cap);
        if (!ind)
            return -1;
        col->ind = ind;
    }
    b->cap = cap;
    return 0;
}

static void set_int(bulk *b, unsigned c, int64_t v)
{
    b->cols[c].ints[b->n] = v;
    b->cols[c].ind[b->n] = STMT_INDICATOR_NONE;
}

static void set_str(bulk *b, unsigned c, const char *s, size_t n)
{
    b->cols[c].strs[b->n] = (char *)(s ? s : "");
    b->cols[c].lens[b->n] = s ? (unsigned long)n : 0; /* n is meaningless for NULL */
    b->cols[c].ind[b->n] = s ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
}

/* A column value (borrowed from the decoded request) into column c of the current row. */
static void set_value(bulk *b, unsigned c, const argus_value *v)
{
    if (b->cols[c].type == 'i')
        set_int(b, c, v->type == ARGUS_VAL_INT ? v->i : 0);
    else
        set_str(b, c, v->type == ARGUS_VAL_NULL ? NULL : v->s, v->n);
}

/* ---- the store ------------------------------------------------------------------------------ */

/* A resource known to be stored (RES_STORED) or written by the open transaction (RES_PENDING). */
enum { RES_FREE, RES_STORED, RES_PENDING };
#define RES_CACHE_SLOTS 4096
typedef struct res_slot {
    int64_t id;
    uint8_t digest[16]; /* of its attributes and schema URL */
    uint8_t state;
} res_slot;

typedef struct mysql_store {
    argus_store base;
    MYSQL *db;
    int broken;
    int64_t next_id[ARGUS_SIGNAL_COUNT]; /* 0: read max(id) + 1 at the next begin */
    bulk spans, logs, resources, traces, rollups, log_rollups;
    /* the core's columns stored in span_records / log_records after id
     * (argus_signal_stored_columns()) */
    int record_cols[ARGUS_SIGNAL_COUNT][31];
    unsigned nrecord_cols[ARGUS_SIGNAL_COUNT];
    argus_buf scratch, sql;
    const _Atomic int64_t *wait_deadline;
    unsigned lock_wait_s;
    size_t max_packet; /* the server's max_allowed_packet */
    int unknown_error; /* what an error classify() does not know means: REJECT while opening */
    EVP_MD_CTX *md;
    res_slot *res_cache; /* RES_CACHE_SLOTS, open addressing by id */
    size_t res_used;
} mysql_store;

/* The one place server errors become store results. Errors about a value of the request (too
 * long, out of range, not valid text, a constraint) refuse that request: ARGUS_STORE_REJECT, which
 * the client is told is not worth retrying. Everything else -- the connection, the server going
 * away, locks, a full disk, read-only mode, and errors this list does not know -- is about the
 * database, not the data: ARGUS_STORE_RETRY (the client retries later, nothing is lost). While
 * opening (migrations), an unknown error is a configuration problem: st->unknown_error. */
static int classify(mysql_store *st, unsigned err)
{
    if (err >= 2000 && err < 3000) { /* client side: CR_SERVER_GONE_ERROR, CR_SERVER_LOST, ... */
        if (st)
            st->broken = 1;
        return ARGUS_STORE_RETRY;
    }
    switch (err) {
    case ER_DATA_TOO_LONG:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_INVALID_CHARACTER_STRING:
    case ER_BAD_NULL_ERROR:
    case ER_WARN_NULL_TO_NOTNULL:
    case ER_DIVISION_BY_ZERO:
    case ER_TOO_BIG_ROWSIZE:
    case ER_NET_PACKET_TOO_LARGE:
    case ER_CONSTRAINT_FAILED:
    case ER_SIGNAL_EXCEPTION: return ARGUS_STORE_REJECT;
    case ER_SERVER_SHUTDOWN:
    case ER_DUP_ENTRY: /* another writer took our ids: read them again */
        if (st) {
            st->broken = 1;
            st->next_id[0] = st->next_id[1] = 0;
        }
        return ARGUS_STORE_RETRY;
    default: return st ? st->unknown_error : ARGUS_STORE_RETRY;
    }
}

static int fail(mysql_store *st, char *msg, size_t msglen, const char *what)
{
    unsigned e = st->db ? mysql_errno(st->db) : CR_UNKNOWN_ERROR;
    snprintf(msg, msglen, "mysql: %s: %s", what, st->db ? mysql_error(st->db) : "no connection");
    return classify(st, e);
}

static int stmt_fail(mysql_store *st, MYSQL_STMT *s, char *msg, size_t msglen, const char *what)
{
    unsigned e = mysql_stmt_errno(s);
    snprintf(msg, msglen, "mysql: %s: %s", what, mysql_stmt_error(s));
    return classify(st, e);
}

static int exec(mysql_store *st, const char *sql, char *msg, size_t msglen)
{
    if (mysql_query(st->db, sql) != 0)
        return fail(st, msg, msglen, sql);
    MYSQL_RES *r = mysql_store_result(st->db);
    mysql_free_result(r);
    return ARGUS_STORE_OK;
}

/* Runs b's statement over its n rows (array binding); prepares it on first use. */
static int bulk_run(mysql_store *st, bulk *b, char *msg, size_t msglen, const char *what)
{
    if (b->n == 0)
        return ARGUS_STORE_OK;
    if (!b->stmt) {
        b->stmt = mysql_stmt_init(st->db);
        if (!b->stmt || mysql_stmt_prepare(b->stmt, b->sql, strlen(b->sql)) != 0) {
            int res =
                b->stmt ? stmt_fail(st, b->stmt, msg, msglen, what) : fail(st, msg, msglen, what);
            if (b->stmt)
                mysql_stmt_close(b->stmt);
            b->stmt = NULL;
            return res;
        }
    }
    if (mysql_stmt_param_count(b->stmt) != b->ncols) {
        snprintf(msg, msglen, "mysql: %s: %lu parameters, %u columns bound", what,
                 mysql_stmt_param_count(b->stmt), b->ncols);
        return ARGUS_STORE_REJECT;
    }
    /* Slices of at most BULK_MAX_ROWS rows and half the server's max_allowed_packet: a bigger
     * packet makes the server drop the connection, which would look like an outage. */
    size_t limit = st->max_packet / 2, lo = 0;
    while (lo < b->n) {
        size_t hi = lo, bytes = 0;
        while (hi < b->n && hi - lo < BULK_MAX_ROWS) {
            size_t row = 16;
            for (unsigned c = 0; c < b->ncols; c++)
                row += b->cols[c].type == 'i' ? 9 : b->cols[c].lens[hi] + 9;
            if (row > limit) {
                snprintf(msg, msglen,
                         "mysql: %s: a row of %zu bytes is more than half the server's"
                         " max_allowed_packet (%zu bytes)",
                         what, row, st->max_packet);
                b->n = 0;
                return ARGUS_STORE_REJECT;
            }
            if (hi > lo && bytes + row > limit)
                break;
            bytes += row;
            hi++;
        }
        MYSQL_BIND bind[32];
        memset(bind, 0, sizeof bind);
        for (unsigned c = 0; c < b->ncols; c++) {
            bulk_col *col = &b->cols[c];
            if (col->type == 'i') {
                bind[c].buffer_type = MYSQL_TYPE_LONGLONG;
                bind[c].buffer = col->ints + lo;
            } else {
                bind[c].buffer_type = col->type == 'b' ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
                bind[c].buffer = col->strs + lo;
                bind[c].length = col->lens + lo;
            }
            bind[c].u.indicator = col->ind + lo;
        }
        unsigned int size = (unsigned int)(hi - lo);
        if (mysql_stmt_attr_set(b->stmt, STMT_ATTR_ARRAY_SIZE, &size) != 0 ||
            mysql_stmt_bind_param(b->stmt, bind) != 0 || mysql_stmt_execute(b->stmt) != 0) {
            b->n = 0;
            return stmt_fail(st, b->stmt, msg, msglen, what);
        }
        lo = hi;
    }
    b->n = 0;
    return ARGUS_STORE_OK;
}

static void ms_close(argus_store *base)
{
    mysql_store *st = (mysql_store *)base;
    if (!st)
        return;
    bulk *all[] = {&st->spans,  &st->logs,    &st->resources,
                   &st->traces, &st->rollups, &st->log_rollups};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        bulk_free(all[i]);
    if (st->db)
        mysql_close(st->db);
    EVP_MD_CTX_free(st->md);
    free(st->res_cache);
    argus_buf_free(&st->scratch);
    argus_buf_free(&st->sql);
    free(st);
}

/* A connection to cfg's server and database (created when missing); NULL with msg. Never another
 * host: the URL's host and port, or its socket, exactly. */
static MYSQL *connect_db(const argus_config *cfg, int create, unsigned *err, char *msg,
                         size_t msglen)
{
    *err = CR_UNKNOWN_ERROR;
    MYSQL *db = mysql_init(NULL);
    if (!db) {
        snprintf(msg, msglen, "mysql: out of memory");
        return NULL;
    }
    unsigned timeout = 5, io_timeout = 60;
    mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char *pw = cfg->db_password[0] ? cfg->db_password : NULL;
    const char *host = cfg->db_socket[0] ? NULL : cfg->db_host;
    const char *sock = cfg->db_socket[0] ? cfg->db_socket : NULL;
    if (!mysql_real_connect(db, host, cfg->db_user, pw, NULL, cfg->db_port, sock, 0)) {
        if (sock)
            snprintf(msg, msglen, "mysql: connecting to %s: %s", sock, mysql_error(db));
        else
            snprintf(msg, msglen, "mysql: connecting to %s:%u: %s", cfg->db_host, cfg->db_port,
                     mysql_error(db));
        *err = mysql_errno(db);
        mysql_close(db);
        return NULL;
    }
    if (mysql_select_db(db, cfg->db_name) != 0) {
        int missing = mysql_errno(db) == ER_BAD_DB_ERROR;
        char q[300];
        snprintf(q, sizeof q, "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4",
                 cfg->db_name);
        if (!missing || !create || strchr(cfg->db_name, '`') || mysql_query(db, q) != 0 ||
            mysql_select_db(db, cfg->db_name) != 0) {
            snprintf(msg, msglen, "mysql: database %s: %s", cfg->db_name, mysql_error(db));
            *err = mysql_errno(db);
            mysql_close(db);
            return NULL;
        }
    }
    return db;
}

MYSQL *argus_mysql_connect(const argus_config *cfg, unsigned *err, char *msg, size_t msglen)
{
    return connect_db(cfg, 0, err, msg, msglen);
}

/* What a failed connect means: the server not reachable yet (refused, timed out, gone away, too
 * many connections, shutting down, a host name that does not resolve yet) is worth waiting for:
 * ARGUS_STORE_RETRY. The server answering "no" (access denied, no such database and no right to
 * create it) is a configuration error that waiting will not fix: ARGUS_STORE_REJECT, so
 * argus-server exits at start with the server's message (docs/mysql.md). */
static int connect_failure(unsigned err)
{
    if (err >= 2000 && err < 3000) /* client side: CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, ... */
        return ARGUS_STORE_RETRY;
    switch (err) {
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_OUT_OF_RESOURCES:
    case ER_OUTOFMEMORY:
    case ER_HOST_IS_BLOCKED: return ARGUS_STORE_RETRY;
    default: return ARGUS_STORE_REJECT;
    }
}

/* Applies the migrations newer than the database's version. MySQL commits DDL as it goes, so a
 * migration that fails half-way is reported with the statement that failed. */
static int migrate(mysql_store *st, char *msg, size_t msglen)
{
    int res = exec(st,
                   "CREATE TABLE IF NOT EXISTS argus_migrations (version INT NOT NULL PRIMARY KEY,"
                   " name VARCHAR(255) NOT NULL, applied_ns BIGINT NOT NULL) ENGINE=InnoDB",
                   msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    if (mysql_query(st->db, "SELECT coalesce(max(version), 0) FROM argus_migrations") != 0)
        return fail(st, msg, msglen, "reading the schema version");
    MYSQL_RES *r = mysql_store_result(st->db);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    int version = row && row[0] ? atoi(row[0]) : 0;
    mysql_free_result(r);
    for (const argus_mysql_migration *m = argus_mysql_migrations; m->name; m++) {
        if (m->version <= version)
            continue;
        argus_log(ARGUS_LOG_INFO, "mysql: applying a schema migration", "version=%d name=%s",
                  m->version, m->name);
        /* statements end with ';' at the end of a line; '--' lines are comments */
        const char *p = m->sql;
        while (*p) {
            const char *end = strstr(p, ";\n");
            size_t n = end ? (size_t)(end - p) : strlen(p);
            argus_buf_reset(&st->sql);
            for (const char *line = p; line < p + n;) {
                const char *nl = memchr(line, '\n', (size_t)(p + n - line));
                size_t ll = nl ? (size_t)(nl - line) : (size_t)(p + n - line);
                const char *t = line;
                while (t < line + ll && (*t == ' ' || *t == '\t'))
                    t++;
                if (!(ll - (size_t)(t - line) >= 2 && t[0] == '-' && t[1] == '-')) {
                    argus_buf_append(&st->sql, line, ll);
                    argus_buf_appendc(&st->sql, '\n');
                }
                line += ll + (nl ? 1 : 0);
            }
            int blank = 1;
            for (size_t i = 0; i < st->sql.len; i++)
                blank &= st->sql.data[i] == ' ' || st->sql.data[i] == '\n';
            if (!blank && (res = exec(st, argus_buf_cstr(&st->sql), msg, msglen)) != 0) {
                char what[300];
                snprintf(what, sizeof what, "migration %s", m->name);
                return fail(st, msg, msglen, what);
            }
            p += n + (end ? 2 : 0);
        }
        char q[400];
        snprintf(q, sizeof q,
                 "INSERT INTO argus_migrations (version, name, applied_ns) VALUES (%d, '%s', %lld)",
                 m->version, m->name, (long long)argus_wall_ns());
        if ((res = exec(st, q, msg, msglen)) != ARGUS_STORE_OK)
            return res;
    }
    return ARGUS_STORE_OK;
}

/* "INSERT INTO <records table> (id, <columns>) VALUES (?, ...)" and its parameter types, from the
 * core's column names and types, so the rows go in as the core has them. */
static void make_insert(mysql_store *st, argus_signal sig, const char *table)
{
    const argus_signal_desc *d = argus_signal_get(sig);
    bulk *b = sig == ARGUS_SIGNAL_TRACES ? &st->spans : &st->logs;
    int *src = st->record_cols[sig];
    unsigned n = st->nrecord_cols[sig] = (unsigned)argus_signal_stored_columns(
        d, src, (int)(sizeof st->record_cols[sig] / sizeof *st->record_cols[sig]));
    size_t k = (size_t)snprintf(b->own_sql, sizeof b->own_sql, "INSERT INTO %s (id", table);
    b->own_types[0] = 'i';
    for (unsigned i = 0; i < n && i + 2 < sizeof b->own_types; i++) {
        k += (size_t)snprintf(b->own_sql + k, sizeof b->own_sql - k, ", %s",
                              d->column_names[src[i]]);
        b->own_types[i + 1] = strcmp(d->column_types[src[i]], "INTEGER") == 0 ? 'i' : 's';
        b->own_types[i + 2] = 0;
    }
    k += (size_t)snprintf(b->own_sql + k, sizeof b->own_sql - k, ") VALUES (?");
    for (unsigned i = 0; i < n; i++)
        k += (size_t)snprintf(b->own_sql + k, sizeof b->own_sql - k, ", ?");
    snprintf(b->own_sql + k, sizeof b->own_sql - k, ")");
    b->sql = b->own_sql;
    b->types = b->own_types;
}

static int ms_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    mysql_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(msg, msglen, "mysql: out of memory");
        return ARGUS_STORE_RETRY;
    }
    st->base.driver = &argus_store_mysql;
    st->unknown_error = ARGUS_STORE_REJECT;
    argus_buf_init(&st->scratch);
    argus_buf_init(&st->sql);
    st->md = EVP_MD_CTX_new();
    st->res_cache = calloc(RES_CACHE_SLOTS, sizeof *st->res_cache);
    if (!st->md || !st->res_cache) {
        ms_close(&st->base);
        snprintf(msg, msglen, "mysql: out of memory");
        return ARGUS_STORE_RETRY;
    }
    st->lock_wait_s = cfg->sqlite_busy_timeout_ms / 1000 ? cfg->sqlite_busy_timeout_ms / 1000 : 1;
    unsigned err;
    st->db = connect_db(cfg, 1, &err, msg, msglen);
    if (!st->db) {
        ms_close(&st->base);
        return connect_failure(err);
    }
    char q[200];
    snprintf(
        q, sizeof q,
        "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
        " innodb_lock_wait_timeout = %u",
        st->lock_wait_s);
    int res = exec(st, q, msg, msglen);
    /* multi-statements, on the writer's connection only: a put's SAVEPOINT, request key and
     * reads of stored rows go in one round trip (every value in them is a number, a hex literal
     * or escaped for this connection) */
    if (res == ARGUS_STORE_OK &&
        mysql_set_server_option(st->db, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
        res = fail(st, msg, msglen, "enabling multi-statements");
    if (res == ARGUS_STORE_OK)
        res = migrate(st, msg, msglen);
    if (res == ARGUS_STORE_OK) {
        st->max_packet = 16u << 20;
        if (mysql_query(st->db, "SELECT @@max_allowed_packet") == 0) {
            MYSQL_RES *r = mysql_store_result(st->db);
            MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
            if (row && row[0] && strtoull(row[0], NULL, 10) > 0)
                st->max_packet = (size_t)strtoull(row[0], NULL, 10);
            mysql_free_result(r);
        }
    }
    if (res != ARGUS_STORE_OK) {
        ms_close(&st->base);
        return res == ARGUS_STORE_REJECT ? ARGUS_STORE_REJECT : ARGUS_STORE_RETRY;
    }
    make_insert(st, ARGUS_SIGNAL_TRACES, "span_records");
    make_insert(st, ARGUS_SIGNAL_LOGS, "log_records");
    st->resources.sql = "INSERT INTO resources (id, service_name, attributes, schema_url)"
                        " VALUES (?, ?, ?, ?)";
    st->resources.types = "isss";
    st->traces.sql =
        "INSERT INTO traces (trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns,"
        " root_service_name, root_name, has_root, span_count, error_count, services)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
        " start_time_unix_nano = VALUES(start_time_unix_nano),"
        " end_time_unix_nano = VALUES(end_time_unix_nano), duration_ns = VALUES(duration_ns),"
        " root_service_name = VALUES(root_service_name), root_name = VALUES(root_name),"
        " has_root = VALUES(has_root), span_count = VALUES(span_count),"
        " error_count = VALUES(error_count), services = VALUES(services)";
    st->traces.types = "siiissiiis";
    st->rollups.sql = "INSERT INTO span_rollups (service_key, service_name, minute_ns, requests,"
                      " errors, duration_sketch) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                      " requests = VALUES(requests), errors = VALUES(errors),"
                      " duration_sketch = VALUES(duration_sketch)";
    st->rollups.types = "bsiiib";
    st->log_rollups.sql = "INSERT INTO log_rollups (service_key, service_name, minute_ns, severity,"
                          " count) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                          " count = count + VALUES(count)";
    st->log_rollups.types = "bsiii";
    st->unknown_error = ARGUS_STORE_RETRY;
    *out = &st->base;
    return ARGUS_STORE_OK;
}

static int read_next_ids(mysql_store *st, char *msg, size_t msglen)
{
    static const char *const q[ARGUS_SIGNAL_COUNT] = {
        [ARGUS_SIGNAL_TRACES] = "SELECT coalesce(max(id), 0) + 1 FROM span_records",
        [ARGUS_SIGNAL_LOGS] = "SELECT coalesce(max(id), 0) + 1 FROM log_records"};
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++) {
        if (st->next_id[s])
            continue;
        if (mysql_query(st->db, q[s]) != 0)
            return fail(st, msg, msglen, "reading the next row id");
        MYSQL_RES *r = mysql_store_result(st->db);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        st->next_id[s] = row && row[0] ? strtoll(row[0], NULL, 10) : 1;
        mysql_free_result(r);
    }
    return ARGUS_STORE_OK;
}

static int ms_begin(argus_store *base, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    int res = exec(st, "START TRANSACTION", msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = read_next_ids(st, msg, msglen);
    return res;
}

/* ---- one request: aggregated in C, merged with the stored rows -------------------------------
 * A put makes one round trip before its inserts: SAVEPOINT, the request key, and the stored rows
 * it merges with (resources it has not seen, the traces summaries and rollup minutes it touches)
 * go as one multi-statement query. Then the new resources, the records, the traces summaries and
 * the rollups, each one array-bound statement. */

typedef struct str_ref {
    const char *s;
    size_t n;
} str_ref;

static int ref_cmp(const void *a, const void *b)
{
    const str_ref *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* One trace of a request, merged with its stored summary. Strings are borrowed from the decoded
 * request or copied into the put's arena. */
typedef struct trace_agg {
    char id[33];
    int64_t start, end;
    int has_root;
    int64_t root_start; /* start of the span picked as root */
    str_ref root_service, root_name;
    int64_t count, errors;
    str_ref *services;
    size_t nservices, cap;
    size_t blob_off, blob_len; /* its services JSON in put_traces' buffer */
} trace_agg;

/* One (service, minute) of a request's span rollups. */
typedef struct rollup_agg {
    str_ref service;
    uint8_t key[16]; /* service_key */
    int64_t minute, requests, errors;
    argus_sketch sketch;
    size_t blob_off, blob_len; /* its encoded sketch in put_rollups' buffer */
} rollup_agg;

/* One (service, minute, severity group) of a request's log counts. */
typedef struct log_rollup_agg {
    str_ref service;
    uint8_t key[16];
    int64_t minute, severity, count;
} log_rollup_agg;

/* One resource of a request: known (stored or cached with the same content) or to be stored. */
typedef struct put_res {
    int64_t id;
    uint8_t digest[16];
    argus_value name, attrs, url;
    int known;
} put_res;

/* What one put gathers from its request before talking to the server. */
typedef struct put_work {
    put_res *res;
    size_t nres, res_cap;
    trace_agg *traces;
    size_t ntraces, traces_cap;
    rollup_agg *rollups;
    size_t nrollups, rollups_cap;
    log_rollup_agg *logs;
    size_t nlogs, logs_cap;
    argus_arena arena; /* strings of stored rows merged in */
} put_work;

static void work_free(put_work *w)
{
    for (size_t i = 0; i < w->ntraces; i++)
        free(w->traces[i].services);
    for (size_t i = 0; i < w->nrollups; i++)
        argus_sketch_free(&w->rollups[i].sketch);
    free(w->res);
    free(w->traces);
    free(w->rollups);
    free(w->logs);
    argus_arena_free(&w->arena);
}

/* Makes room for one more element in *arr (n used of *cap); -1 on out of memory. */
static int grow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? 2 * *cap : first;
    void *p = realloc(*(void **)arr, nc * elem);
    if (!p)
        return -1;
    *(void **)arr = p;
    *cap = nc;
    return 0;
}

static int add_service(trace_agg *a, const char *s, size_t n)
{
    for (size_t i = 0; i < a->nservices; i++)
        if (a->services[i].n == n && memcmp(a->services[i].s, s, n) == 0)
            return 0;
    if (grow(&a->services, a->nservices, &a->cap, sizeof *a->services, 4))
        return -1;
    a->services[a->nservices++] = (str_ref){s, n};
    return 0;
}

static trace_agg *find_trace(trace_agg *aggs, size_t n, const char *id)
{
    for (size_t i = n; i-- > 0;) /* the spans of a trace mostly come together */
        if (memcmp(aggs[i].id, id, 32) == 0)
            return &aggs[i];
    return NULL;
}

/* Appends s as a SQL string literal, escaped for the connection. */
static void sql_quote(mysql_store *st, argus_buf *b, const char *s, size_t n)
{
    if (argus_buf_reserve(b, 2 * n + 3))
        return;
    b->data[b->len++] = '\'';
    b->len += mysql_real_escape_string(st->db, b->data + b->len, s, (unsigned long)n);
    b->data[b->len++] = '\'';
    b->data[b->len] = 0;
}

/* Appends n bytes as a hexadecimal literal x'..'. */
static void sql_hex(argus_buf *b, const uint8_t *p, size_t n)
{
    if (argus_buf_reserve(b, 2 * n + 3))
        return;
    b->data[b->len++] = 'x';
    b->data[b->len++] = '\'';
    argus_hex(b->data + b->len, p, n);
    b->len += 2 * n;
    b->data[b->len++] = '\'';
    b->data[b->len] = 0;
}

static int out_of_memory(char *msg, size_t msglen)
{
    snprintf(msg, msglen, "mysql: out of memory");
    return ARGUS_STORE_RETRY;
}

/* The first 16 bytes of SHA-256(a, 0xff, b) (b NULL: of a alone): rollups' service_key =
 * LEFT(UNHEX(SHA2(service_name, 256)), 16), and the content digest of a resource. */
static int digest16(mysql_store *st, uint8_t out[16], const char *a, size_t n, const char *b,
                    size_t m)
{
    static const unsigned char sep = 0xff;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = EVP_DigestInit_ex(st->md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(st->md, a ? a : "", n) &&
             (!b || (EVP_DigestUpdate(st->md, &sep, 1) && EVP_DigestUpdate(st->md, b, m))) &&
             EVP_DigestFinal_ex(st->md, md, &len) && len >= 16;
    if (ok)
        memcpy(out, md, 16);
    return ok ? 0 : -1;
}

/* ---- resources: stored once, never two under one id ------------------------------------------
 * resources.id is a 63-bit hash of the attributes and schema URL; a different resource with the
 * same id is refused (as the SQLite schema's trigger refuses it), never merged. The digests of
 * resources known to be stored are cached (slots for this transaction's become stored at its
 * commit; a rollback, a refused request or a purge of resources forgets them all), so a known
 * resource costs no round trip. */

static res_slot *res_find(mysql_store *st, int64_t id)
{
    size_t mask = RES_CACHE_SLOTS - 1;
    size_t i = (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15u) >> 40) & mask;
    while (st->res_cache[i].state && st->res_cache[i].id != id)
        i = (i + 1) & mask;
    return &st->res_cache[i];
}

static void res_forget(mysql_store *st)
{
    memset(st->res_cache, 0, RES_CACHE_SLOTS * sizeof *st->res_cache);
    st->res_used = 0;
}

static void res_remember(mysql_store *st, int64_t id, const uint8_t digest[16], int state)
{
    if (st->res_used >= RES_CACHE_SLOTS / 2)
        res_forget(st); /* bounded: start again */
    res_slot *s = res_find(st, id);
    if (!s->state)
        st->res_used++;
    s->id = id;
    memcpy(s->digest, digest, 16);
    s->state = (uint8_t)state;
}

static int collision(int64_t id, char *msg, size_t msglen)
{
    snprintf(msg, msglen,
             "mysql: resources: a different resource is stored under this resource_id (%lld)",
             (long long)id);
    return ARGUS_STORE_REJECT;
}

/* The request's resources, each once, checked against the cache. */
static int gather_resources(mysql_store *st, argus_signal sig, void *decoded, put_work *w,
                            char *msg, size_t msglen)
{
    const argus_signal_desc *d = argus_signal_get(sig);
    int64_t last = 0;
    int have = 0;
    argus_value id;
    for (argus_otlp_iter it = argus_otlp_iter_start(decoded); argus_otlp_iter_next(&it);) {
        argus_otlp_column(&it, d->context_columns[ARGUS_RES_ID], &id, &st->scratch);
        if (have && id.i == last)
            continue;
        last = id.i, have = 1;
        put_res r = {.id = id.i};
        argus_otlp_column(&it, d->context_columns[ARGUS_RES_SERVICE_NAME], &r.name, &st->scratch);
        argus_otlp_column(&it, d->context_columns[ARGUS_RES_ATTRIBUTES], &r.attrs, &st->scratch);
        argus_otlp_column(&it, d->context_columns[ARGUS_RES_SCHEMA_URL], &r.url, &st->scratch);
        int nourl = r.url.type == ARGUS_VAL_NULL;
        if (digest16(st, r.digest, r.attrs.s, r.attrs.n, nourl ? "" : r.url.s, nourl ? 0 : r.url.n))
            return out_of_memory(msg, msglen);
        size_t i = 0;
        while (i < w->nres && w->res[i].id != r.id)
            i++;
        if (i < w->nres) {
            if (memcmp(w->res[i].digest, r.digest, 16) != 0)
                return collision(r.id, msg, msglen);
            continue;
        }
        res_slot *s = res_find(st, r.id);
        if (s->state && memcmp(s->digest, r.digest, 16) != 0)
            return collision(r.id, msg, msglen);
        r.known = s->state != 0;
        if (grow(&w->res, w->nres, &w->res_cap, sizeof *w->res, 4))
            return out_of_memory(msg, msglen);
        w->res[w->nres++] = r;
    }
    return ARGUS_STORE_OK;
}

/* A stored resource (id, attributes, schema_url) read back: the same as the request's, or a
 * collision. */
static int check_stored_resource(mysql_store *st, put_work *w, MYSQL_ROW row, unsigned long *len,
                                 char *msg, size_t msglen)
{
    int64_t id = strtoll(row[0], NULL, 10);
    for (size_t i = 0; i < w->nres; i++) {
        put_res *r = &w->res[i];
        if (r->id != id || r->known)
            continue;
        uint8_t stored[16];
        if (digest16(st, stored, row[1], len[1], row[2] ? row[2] : "", row[2] ? len[2] : 0))
            return out_of_memory(msg, msglen);
        if (memcmp(stored, r->digest, 16) != 0)
            return collision(id, msg, msglen);
        r->known = 1;
        res_remember(st, id, r->digest, RES_STORED);
    }
    return ARGUS_STORE_OK;
}

/* Fills row i of b from the put's aggregates (0), or leaves it out (1); the statements below
 * differ only in this. blob: the variable-length values some rows point into. */
typedef int (*row_fill_fn)(bulk *b, const put_work *w, const argus_buf *blob, size_t i);

/* Runs b over the rows fill() makes of n aggregates: one array-bound statement. */
static int bulk_rows(mysql_store *st, bulk *b, size_t n, row_fill_fn fill, const put_work *w,
                     const argus_buf *blob, char *msg, size_t msglen, const char *what)
{
    b->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (bulk_grow(b)) {
            b->n = 0;
            return out_of_memory(msg, msglen);
        }
        if (fill(b, w, blob, i) == 0)
            b->n++;
    }
    int res = bulk_run(st, b, msg, msglen, what);
    b->n = 0;
    return res;
}

static int fill_resource(bulk *b, const put_work *w, const argus_buf *blob, size_t i)
{
    (void)blob;
    const put_res *r = &w->res[i];
    if (r->known)
        return 1;
    set_int(b, 0, r->id);
    set_value(b, 1, &r->name), set_value(b, 2, &r->attrs), set_value(b, 3, &r->url);
    return 0;
}

/* The request's new resources, in one insert; cached as this transaction's. */
static int put_resources(mysql_store *st, put_work *w, char *msg, size_t msglen)
{
    int res = bulk_rows(st, &st->resources, w->nres, fill_resource, w, NULL, msg, msglen,
                        "storing resources");
    for (size_t i = 0; i < w->nres && res == ARGUS_STORE_OK; i++)
        if (!w->res[i].known)
            res_remember(st, w->res[i].id, w->res[i].digest, RES_PENDING);
    return res;
}

/* ---- traces summary and rollups: aggregated in C --------------------------------------------- */

/* The request's traces (as sql/sqlite/ingest/spans_20_traces.sql aggregates them) and per-service,
 * per-minute rollups of its requests (SERVER/CONSUMER spans and roots; spans_30_rollups.sql). */
static int gather_spans(mysql_store *st, argus_otlp_traces *t, put_work *w, char *msg,
                        size_t msglen)
{
    argus_error err;
    argus_value v[9];
    static const int cols[9] = {
        ARGUS_SPAN_TRACE_ID,    ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_START_TIME,
        ARGUS_SPAN_END_TIME,    ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME,
        ARGUS_SPAN_STATUS_CODE, ARGUS_SPAN_KIND,           ARGUS_SPAN_DURATION};
    for (argus_otlp_iter it = argus_otlp_iter_start(t); argus_otlp_iter_next(&it);) {
        for (int c = 0; c < 9; c++)
            argus_otlp_span_column(&it, cols[c], &v[c], &st->scratch);
        trace_agg *a = find_trace(w->traces, w->ntraces, v[0].s);
        int root = v[1].type == ARGUS_VAL_NULL;
        if (!a) {
            if (grow(&w->traces, w->ntraces, &w->traces_cap, sizeof *w->traces, 16))
                return out_of_memory(msg, msglen);
            a = &w->traces[w->ntraces++];
            memset(a, 0, sizeof *a);
            memcpy(a->id, v[0].s, 32);
            a->start = v[2].i;
            a->end = v[3].i;
            a->has_root = root;
            a->root_start = v[2].i;
            a->root_service = (str_ref){v[4].s, v[4].n};
            a->root_name = (str_ref){v[5].s, v[5].n};
        } else {
            a->start = v[2].i < a->start ? v[2].i : a->start;
            a->end = v[3].i > a->end ? v[3].i : a->end;
            /* arg_min over (has a parent, start): a root wins, then the earliest */
            if ((root && !a->has_root) || (root == a->has_root && v[2].i < a->root_start)) {
                a->root_start = v[2].i;
                a->root_service = (str_ref){v[4].s, v[4].n};
                a->root_name = (str_ref){v[5].s, v[5].n};
            }
            a->has_root |= root;
        }
        a->count++;
        a->errors += v[6].i == 2;
        if (add_service(a, v[4].s, v[4].n))
            return out_of_memory(msg, msglen);

        if (!(v[7].i == 2 || v[7].i == 5 || root))
            continue;
        /* SQLite's integer division truncates toward zero; so does C's */
        int64_t minute = v[2].i / 60000000000 * 60000000000;
        rollup_agg *r = NULL;
        for (size_t i = w->nrollups; i-- > 0 && !r;)
            if (w->rollups[i].minute == minute && w->rollups[i].service.n == v[4].n &&
                memcmp(w->rollups[i].service.s, v[4].s, v[4].n) == 0)
                r = &w->rollups[i];
        if (!r) {
            if (grow(&w->rollups, w->nrollups, &w->rollups_cap, sizeof *w->rollups, 8))
                return out_of_memory(msg, msglen);
            r = &w->rollups[w->nrollups++];
            memset(r, 0, sizeof *r);
            r->service = (str_ref){v[4].s, v[4].n};
            r->minute = minute;
            if (digest16(st, r->key, v[4].s, v[4].n, NULL, 0))
                return out_of_memory(msg, msglen);
        }
        r->requests++;
        r->errors += v[6].i == 2;
        if (argus_sketch_add(&r->sketch, (double)v[8].i, &err)) {
            snprintf(msg, msglen, "mysql: %s", err.message);
            return ARGUS_STORE_REJECT;
        }
    }
    return ARGUS_STORE_OK;
}

/* Per-service, per-minute, per-severity-group log counts (log_rollups, as
 * sql/sqlite/ingest/logs_30_rollups.sql counts them). */
static int gather_logs(mysql_store *st, argus_otlp_logs *l, put_work *w, char *msg, size_t msglen)
{
    argus_value v[4];
    static const int cols[4] = {ARGUS_LOG_TIME, ARGUS_LOG_OBSERVED_TIME, ARGUS_LOG_SEVERITY_NUMBER,
                                ARGUS_LOG_SERVICE_NAME};
    for (argus_otlp_iter it = argus_otlp_iter_start(l); argus_otlp_iter_next(&it);) {
        for (int c = 0; c < 4; c++)
            argus_otlp_log_column(&it, cols[c], &v[c], &st->scratch);
        int64_t t = v[0].i ? v[0].i : v[1].i;
        int64_t minute = t / 60000000000 * 60000000000;
        int64_t sev = v[2].i >= 1 && v[2].i <= 24 ? (v[2].i - 1) / 4 * 4 + 1 : 0;
        log_rollup_agg *a = NULL;
        for (size_t i = w->nlogs; i-- > 0 && !a;)
            if (w->logs[i].minute == minute && w->logs[i].severity == sev &&
                w->logs[i].service.n == v[3].n && memcmp(w->logs[i].service.s, v[3].s, v[3].n) == 0)
                a = &w->logs[i];
        if (!a) {
            if (grow(&w->logs, w->nlogs, &w->logs_cap, sizeof *w->logs, 8))
                return out_of_memory(msg, msglen);
            a = &w->logs[w->nlogs++];
            *a = (log_rollup_agg){{v[3].s, v[3].n}, {0}, minute, sev, 0};
            if (digest16(st, a->key, v[3].s, v[3].n, NULL, 0))
                return out_of_memory(msg, msglen);
        }
        a->count++;
    }
    return ARGUS_STORE_OK;
}

/* A stored traces summary merged into the request's: the request's root replaces the stored one
 * when it is a root and the stored one is not, or when both are alike and it starts earlier. */
static int merge_trace_row(put_work *w, MYSQL_ROW row, unsigned long *len, char *msg, size_t msglen)
{
    trace_agg *a = find_trace(w->traces, w->ntraces, row[0]);
    if (!a)
        return ARGUS_STORE_OK;
    argus_arena *arena = &w->arena;
    int64_t sstart = strtoll(row[1], NULL, 10), send = strtoll(row[2], NULL, 10);
    int shas = atoi(row[5]);
    if (!(a->has_root > shas || (a->has_root == shas && a->start < sstart))) {
        a->root_service =
            (str_ref){row[3] ? argus_arena_strndup(arena, row[3], len[3]) : NULL, len[3]};
        a->root_name =
            (str_ref){row[4] ? argus_arena_strndup(arena, row[4], len[4]) : NULL, len[4]};
    }
    a->has_root |= shas;
    a->start = sstart < a->start ? sstart : a->start;
    a->end = send > a->end ? send : a->end;
    a->count += strtoll(row[6], NULL, 10);
    a->errors += strtoll(row[7], NULL, 10);
    int res = ARGUS_STORE_OK;
    json_t *arr = json_loadb(row[8], len[8], 0, NULL);
    for (size_t k = 0; arr && k < json_array_size(arr); k++) {
        json_t *e = json_array_get(arr, k);
        if (!json_is_string(e))
            continue;
        const char *copy = argus_arena_strndup(arena, json_string_value(e), json_string_length(e));
        if (!copy || add_service(a, copy, json_string_length(e)))
            res = out_of_memory(msg, msglen);
    }
    json_decref(arr);
    return arena->exhausted ? out_of_memory(msg, msglen) : res;
}

/* A stored rollup minute (service_key, minute, requests, errors, sketch) merged into the
 * request's. */
static int merge_rollup_row(put_work *w, MYSQL_ROW row, unsigned long *len, char *msg,
                            size_t msglen)
{
    int64_t minute = strtoll(row[1], NULL, 10);
    argus_error err;
    for (size_t i = 0; i < w->nrollups; i++) {
        rollup_agg *a = &w->rollups[i];
        if (a->minute != minute || len[0] != 16 || memcmp(a->key, row[0], 16) != 0)
            continue;
        a->requests += strtoll(row[2], NULL, 10);
        a->errors += strtoll(row[3], NULL, 10);
        if (argus_sketch_merge_blob(&a->sketch, row[4], len[4], &err)) {
            snprintf(msg, msglen, "mysql: stored rollup: %s", err.message);
            return ARGUS_STORE_REJECT;
        }
        break;
    }
    return ARGUS_STORE_OK;
}

enum { Q_SAVEPOINT, Q_KEY, Q_RESOURCES, Q_TRACES, Q_ROLLUPS };

/* The put's one round trip before its inserts: SAVEPOINT, the request key, the stored rows to
 * merge with. *sp = 1 once the savepoint is set; *duplicate = 1 when the key was stored before. */
static int prelude(mysql_store *st, argus_signal sig, const uint8_t key[16], put_work *w, int *sp,
                   int *duplicate, char *msg, size_t msglen)
{
    int kinds[5], nk = 0;
    argus_buf *q = &st->sql;
    argus_buf_reset(q);
    argus_buf_appends(q, "SAVEPOINT request");
    kinds[nk++] = Q_SAVEPOINT;
    if (key) {
        char tail[80];
        argus_buf_appends(q,
                          ";\nINSERT IGNORE INTO ingest_requests (request_key, `signal`, stored_ns)"
                          " VALUES (");
        sql_hex(q, key, 16);
        snprintf(tail, sizeof tail, ", %d, %lld)", (int)sig, (long long)argus_wall_ns());
        argus_buf_appends(q, tail);
        kinds[nk++] = Q_KEY;
    }
    size_t unknown = 0;
    for (size_t i = 0; i < w->nres; i++) {
        if (w->res[i].known)
            continue;
        char num[32];
        argus_buf_appends(q, unknown++ ? ","
                                       : ";\nSELECT id, attributes, schema_url FROM resources"
                                         " WHERE id IN (");
        snprintf(num, sizeof num, "%lld", (long long)w->res[i].id);
        argus_buf_appends(q, num);
    }
    if (unknown) {
        argus_buf_appendc(q, ')');
        kinds[nk++] = Q_RESOURCES;
    }
    if (w->ntraces) {
        argus_buf_appends(q, ";\nSELECT trace_id, start_time_unix_nano, end_time_unix_nano,"
                             " root_service_name, root_name, has_root, span_count, error_count,"
                             " services FROM traces WHERE trace_id IN (");
        for (size_t i = 0; i < w->ntraces; i++) {
            if (i)
                argus_buf_appendc(q, ',');
            sql_quote(st, q, w->traces[i].id, 32);
        }
        argus_buf_appendc(q, ')');
        kinds[nk++] = Q_TRACES;
    }
    if (w->nrollups) {
        argus_buf_appends(q, ";\nSELECT service_key, minute_ns, requests, errors, duration_sketch"
                             " FROM span_rollups WHERE (service_key, minute_ns) IN (");
        for (size_t i = 0; i < w->nrollups; i++) {
            char num[32];
            argus_buf_appends(q, i ? ",(" : "(");
            sql_hex(q, w->rollups[i].key, 16);
            snprintf(num, sizeof num, ",%lld)", (long long)w->rollups[i].minute);
            argus_buf_appends(q, num);
        }
        argus_buf_appendc(q, ')');
        kinds[nk++] = Q_ROLLUPS;
    }
    if (q->failed)
        return out_of_memory(msg, msglen);
    if (mysql_real_query(st->db, q->data, q->len) != 0)
        return fail(st, msg, msglen, "starting a request");
    /* every result is read, also after a refusal, so the connection stays in step */
    int res = ARGUS_STORE_OK;
    for (int k = 0;; k++) {
        MYSQL_RES *r = mysql_store_result(st->db);
        if (!r && mysql_field_count(st->db) != 0 && res == ARGUS_STORE_OK)
            res = fail(st, msg, msglen, "reading stored rows");
        if (k == 0)
            *sp = 1;
        if (k < nk && kinds[k] == Q_KEY)
            *duplicate = mysql_affected_rows(st->db) == 0;
        MYSQL_ROW row;
        while (r && (row = mysql_fetch_row(r))) {
            unsigned long *len = mysql_fetch_lengths(r);
            if (res != ARGUS_STORE_OK || *duplicate || k >= nk)
                continue;
            if (kinds[k] == Q_RESOURCES)
                res = check_stored_resource(st, w, row, len, msg, msglen);
            else if (kinds[k] == Q_TRACES)
                res = merge_trace_row(w, row, len, msg, msglen);
            else if (kinds[k] == Q_ROLLUPS)
                res = merge_rollup_row(w, row, len, msg, msglen);
        }
        mysql_free_result(r);
        int next = mysql_next_result(st->db);
        if (next == -1)
            break;
        if (next > 0) {
            int e = fail(st, msg, msglen, "starting a request");
            return res == ARGUS_STORE_OK ? e : res;
        }
    }
    return res;
}

/* ---- operation rollups (perf, API: sql/mysql/004_api_rollups.sql) ------------------------------
 * Per service, minute and span name: spans, errors, and the same for request spans (SERVER /
 * CONSUMER or root), added to the stored rows as sql/sqlite/ingest/spans_35_operation_rollups.sql
 * does: grouped by argus_span_operations_build() (ext/core, shared with SQLite's
 * otlp_span_operations()); one INSERT per request. */
static int update_operation_rollups(mysql_store *st, argus_otlp_traces *t, char *msg, size_t msglen)
{
    int res = ARGUS_STORE_OK;
    argus_span_operations o;
    argus_span_operations_init(&o);
    if (argus_span_operations_build(&o, t) != 0) {
        res = out_of_memory(msg, msglen);
        goto out;
    }
    size_t n = o.n;
    if (n == 0)
        goto out;
    argus_buf *q = &st->sql;
    argus_buf_reset(q);
    argus_buf_appends(q, "INSERT INTO span_operation_rollups (service_key, minute_ns, name_key,"
                         " service_name, name, spans, errors, requests, request_errors) VALUES ");
    for (size_t i = 0; i < n; i++) {
        const argus_span_operation *a = &o.ops[i];
        char nums[160];
        argus_buf_appends(q, i ? ",(LEFT(UNHEX(SHA2(" : "(LEFT(UNHEX(SHA2(");
        sql_quote(st, q, a->service, a->service_n);
        snprintf(nums, sizeof nums, ", 256)), 16), %lld, LEFT(UNHEX(SHA2(",
                 (long long)a->minute_ns);
        argus_buf_appends(q, nums);
        sql_quote(st, q, a->name, a->name_n);
        argus_buf_appends(q, ", 256)), 16), ");
        sql_quote(st, q, a->service, a->service_n);
        argus_buf_appendc(q, ',');
        sql_quote(st, q, a->name, a->name_n);
        snprintf(nums, sizeof nums, ", %lld, %lld, %lld, %lld)", (long long)a->spans,
                 (long long)a->errors, (long long)a->requests, (long long)a->request_errors);
        argus_buf_appends(q, nums);
    }
    argus_buf_appends(q,
                      " ON DUPLICATE KEY UPDATE spans = spans + VALUES(spans),"
                      " errors = errors + VALUES(errors), requests = requests + VALUES(requests),"
                      " request_errors = request_errors + VALUES(request_errors)");
    res = exec(st, argus_buf_cstr(q), msg, msglen);
out:
    argus_span_operations_free(&o);
    return res;
}
/* ---- end of operation rollups ------------------------------------------------------------------
 */

/* ---- writing the merged rows ------------------------------------------------------------------
 */

static int fill_trace(bulk *b, const put_work *w, const argus_buf *blob, size_t i)
{
    const trace_agg *a = &w->traces[i];
    set_str(b, 0, a->id, 32);
    set_int(b, 1, a->start);
    set_int(b, 2, a->end);
    set_int(b, 3, a->end - a->start);
    set_str(b, 4, a->root_service.s, a->root_service.n);
    set_str(b, 5, a->root_name.s, a->root_name.n);
    set_int(b, 6, a->has_root);
    set_int(b, 7, a->count);
    set_int(b, 8, a->errors);
    set_str(b, 9, blob->data + a->blob_off, a->blob_len);
    return 0;
}

/* The traces summaries (services as a sorted JSON array), in one upsert. */
static int put_traces(mysql_store *st, put_work *w, char *msg, size_t msglen)
{
    argus_buf services;
    argus_buf_init(&services);
    for (size_t i = 0; i < w->ntraces; i++) {
        trace_agg *a = &w->traces[i];
        qsort(a->services, a->nservices, sizeof *a->services, ref_cmp);
        a->blob_off = services.len;
        argus_buf_appendc(&services, '[');
        for (size_t k = 0; k < a->nservices; k++) {
            if (k)
                argus_buf_appendc(&services, ',');
            argus_json_string(&services, a->services[k].s, a->services[k].n);
        }
        argus_buf_appendc(&services, ']');
        a->blob_len = services.len - a->blob_off;
    }
    int res = services.failed ? out_of_memory(msg, msglen)
                              : bulk_rows(st, &st->traces, w->ntraces, fill_trace, w, &services,
                                          msg, msglen, "storing trace summaries");
    argus_buf_free(&services);
    return res;
}

static int fill_rollup(bulk *b, const put_work *w, const argus_buf *blob, size_t i)
{
    const rollup_agg *a = &w->rollups[i];
    set_str(b, 0, (const char *)a->key, 16);
    set_str(b, 1, a->service.s, a->service.n);
    set_int(b, 2, a->minute);
    set_int(b, 3, a->requests);
    set_int(b, 4, a->errors);
    set_str(b, 5, blob->data + a->blob_off, a->blob_len);
    return 0;
}

/* The span rollups, merged with the stored minutes, in one upsert. */
static int put_rollups(mysql_store *st, put_work *w, char *msg, size_t msglen)
{
    argus_error err;
    argus_buf sketches;
    argus_buf_init(&sketches);
    int failed = 0;
    for (size_t i = 0; i < w->nrollups && !failed; i++) {
        rollup_agg *a = &w->rollups[i];
        a->blob_off = sketches.len;
        failed = argus_sketch_encode(&a->sketch, &sketches, &err) != 0 || sketches.failed;
        a->blob_len = sketches.len - a->blob_off;
    }
    int res = failed ? out_of_memory(msg, msglen)
                     : bulk_rows(st, &st->rollups, w->nrollups, fill_rollup, w, &sketches, msg,
                                 msglen, "storing rollups");
    argus_buf_free(&sketches);
    return res;
}

static int fill_log_rollup(bulk *b, const put_work *w, const argus_buf *blob, size_t i)
{
    (void)blob;
    const log_rollup_agg *a = &w->logs[i];
    set_str(b, 0, (const char *)a->key, 16);
    set_str(b, 1, a->service.s, a->service.n);
    set_int(b, 2, a->minute);
    set_int(b, 3, a->severity);
    set_int(b, 4, a->count);
    return 0;
}

/* The log counts, added to the stored ones: a plain additive upsert. */
static int put_log_rollups(mysql_store *st, put_work *w, char *msg, size_t msglen)
{
    return bulk_rows(st, &st->log_rollups, w->nlogs, fill_log_rollup, w, NULL, msg, msglen,
                     "storing log rollups");
}

/* The records themselves, ids assigned from next_id. */
static int put_records(mysql_store *st, argus_signal sig, void *decoded, argus_put_result *out,
                       char *msg, size_t msglen)
{
    bulk *b = sig == ARGUS_SIGNAL_TRACES ? &st->spans : &st->logs;
    b->n = 0;
    int64_t id = st->next_id[sig];
    argus_value v;
    const int *src = st->record_cols[sig];
    unsigned nsrc = st->nrecord_cols[sig], time_col = 0, observed_col = 0;
    for (unsigned c = 0; c < nsrc; c++) {
        time_col = src[c] == ARGUS_LOG_TIME ? c + 1 : time_col;
        observed_col = src[c] == ARGUS_LOG_OBSERVED_TIME ? c + 1 : observed_col;
    }
    for (argus_otlp_iter it = argus_otlp_iter_start(decoded); argus_otlp_iter_next(&it);) {
        if (bulk_grow(b))
            return out_of_memory(msg, msglen);
        set_int(b, 0, id + (int64_t)b->n);
        for (unsigned c = 0; c < nsrc; c++) {
            argus_otlp_column(&it, src[c], &v, &st->scratch);
            set_value(b, c + 1, &v);
        }
        /* a record without a time is stored at its observed time, as in SQLite */
        if (sig == ARGUS_SIGNAL_LOGS && b->cols[time_col].ints[b->n] == 0)
            b->cols[time_col].ints[b->n] = b->cols[observed_col].ints[b->n];
        b->n++;
    }
    size_t n = b->n;
    int res = bulk_run(st, b, msg, msglen,
                       sig == ARGUS_SIGNAL_TRACES ? "storing spans" : "storing log records");
    b->n = 0;
    if (res == ARGUS_STORE_OK && n) {
        out->stored = n;
        out->ids.first = id;
        out->ids.last = id + (int64_t)n - 1;
        st->next_id[sig] = id + (int64_t)n;
    }
    return res;
}

static int ms_put(argus_store *base, argus_signal sig, void *decoded, const uint8_t key[16],
                  argus_put_result *out, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    memset(out, 0, sizeof *out);
    argus_error err;
    /* columns borrowed from the decoded request must stay put: render them all first */
    argus_otlp_payload *p = decoded;
    if (!p->rows && argus_otlp_render(p, &err)) {
        snprintf(msg, msglen, "mysql: %s", err.message);
        return ARGUS_STORE_REJECT;
    }
    put_work w;
    memset(&w, 0, sizeof w);
    argus_arena_init(&w.arena, 0);
    int sp = 0, duplicate = 0;
    int64_t next = st->next_id[sig];
    int res = gather_resources(st, sig, decoded, &w, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = sig == ARGUS_SIGNAL_TRACES ? gather_spans(st, decoded, &w, msg, msglen)
                                         : gather_logs(st, decoded, &w, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = prelude(st, sig, key, &w, &sp, &duplicate, msg, msglen);
    if (res == ARGUS_STORE_OK && duplicate) {
        out->duplicate = 1;
        work_free(&w);
        return ARGUS_STORE_OK;
    }
    if (res == ARGUS_STORE_OK)
        res = put_resources(st, &w, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = put_records(st, sig, decoded, out, msg, msglen);
    if (res == ARGUS_STORE_OK && out->stored && w.ntraces)
        res = put_traces(st, &w, msg, msglen);
    if (res == ARGUS_STORE_OK && out->stored && w.nrollups)
        res = put_rollups(st, &w, msg, msglen);
    if (res == ARGUS_STORE_OK && out->stored && sig == ARGUS_SIGNAL_TRACES) /* perf */
        res = update_operation_rollups(st, decoded, msg, msglen);
    if (res == ARGUS_STORE_OK && out->stored && w.nlogs)
        res = put_log_rollups(st, &w, msg, msglen);
    work_free(&w);
    /* no RELEASE: the next request's SAVEPOINT of the same name replaces this one */
    if (res == ARGUS_STORE_OK)
        return ARGUS_STORE_OK;
    st->next_id[sig] = next;
    res_forget(st);
    if (res == ARGUS_STORE_REJECT && sp) {
        char ignored[64];
        if (exec(st, "ROLLBACK TO SAVEPOINT request", ignored, sizeof ignored) != ARGUS_STORE_OK)
            res = ARGUS_STORE_RETRY; /* the transaction is in an unknown state */
    }
    memset(out, 0, sizeof *out);
    return res;
}

static int ms_commit(argus_store *base, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    int res = exec(st, "COMMIT", msg, msglen);
    if (res != ARGUS_STORE_OK) { /* ids handed out may not be stored: read them again */
        st->next_id[0] = st->next_id[1] = 0;
        res_forget(st);
        return res;
    }
    for (size_t i = 0; i < RES_CACHE_SLOTS; i++)
        if (st->res_cache[i].state == RES_PENDING)
            st->res_cache[i].state = RES_STORED;
    return res;
}

static void ms_rollback(argus_store *base)
{
    mysql_store *st = (mysql_store *)base;
    if (!st || !st->db)
        return;
    if (mysql_query(st->db, "ROLLBACK") != 0)
        st->broken = 1;
    st->next_id[0] = st->next_id[1] = 0;
    res_forget(st);
}

static int ms_broken(const argus_store *base)
{
    return ((const mysql_store *)base)->broken;
}

static void ms_set_wait_deadline(argus_store *base, const _Atomic int64_t *deadline_ns)
{
    /* lock waits are bounded by innodb_lock_wait_timeout (the busy timeout) */
    ((mysql_store *)base)->wait_deadline = deadline_ns;
}

static int ms_exec(argus_store *base, const char *sql, char *msg, size_t msglen)
{
    return exec((mysql_store *)base, sql, msg, msglen);
}

/* ---- maintenance: purge in chunks ---------------------------------------------------------- */

/* Runs a statement that changes rows; adds their number to *count and sets *more when any. */
static int purge_exec(mysql_store *st, const char *sql, uint64_t *count, int *more, char *msg,
                      size_t msglen)
{
    int res = exec(st, sql, msg, msglen);
    if (res == ARGUS_STORE_OK) {
        my_ulonglong n = mysql_affected_rows(st->db);
        if (n != (my_ulonglong)-1) {
            if (count)
                *count += n;
            *more |= n > 0;
        }
    }
    return res;
}

/* Whole old traces (the summary's start decides), about `chunk` spans at a time. */
static int purge_old_traces(mysql_store *st, int64_t before, unsigned chunk,
                            argus_purge_counts *add, int *more, char *msg, size_t msglen)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT trace_id, span_count FROM traces WHERE start_time_unix_nano < %lld"
             " ORDER BY start_time_unix_nano LIMIT %u",
             (long long)before, chunk);
    if (mysql_query(st->db, q) != 0)
        return fail(st, msg, msglen, "finding old traces");
    MYSQL_RES *r = mysql_store_result(st->db);
    argus_buf ids;
    argus_buf_init(&ids);
    MYSQL_ROW row;
    int64_t spans = 0;
    size_t n = 0;
    while (r && spans < (int64_t)chunk && (row = mysql_fetch_row(r))) {
        argus_buf_appends(&ids, n++ ? ",'" : "'");
        argus_buf_appends(&ids, row[0]); /* 32 hex digits */
        argus_buf_appendc(&ids, '\'');
        spans += strtoll(row[1], NULL, 10);
    }
    mysql_free_result(r);
    int res = ARGUS_STORE_OK;
    if (n) {
        argus_buf_reset(&st->sql);
        argus_buf_appends(&st->sql, "DELETE FROM span_records WHERE trace_id IN (");
        argus_buf_append(&st->sql, ids.data, ids.len);
        argus_buf_appendc(&st->sql, ')');
        res = ids.failed || st->sql.failed
                  ? out_of_memory(msg, msglen)
                  : purge_exec(st, argus_buf_cstr(&st->sql), &add->spans, more, msg, msglen);
        if (res == ARGUS_STORE_OK) {
            argus_buf_reset(&st->sql);
            argus_buf_appends(&st->sql, "DELETE FROM traces WHERE trace_id IN (");
            argus_buf_append(&st->sql, ids.data, ids.len);
            argus_buf_appendc(&st->sql, ')');
            res = st->sql.failed
                      ? out_of_memory(msg, msglen)
                      : purge_exec(st, argus_buf_cstr(&st->sql), &add->traces, more, msg, msglen);
        }
    }
    argus_buf_free(&ids);
    return res;
}

/* Old log records; the patterns they counted are decremented (and dropped when empty). */
static int purge_old_logs(mysql_store *st, int64_t before, unsigned chunk, argus_purge_counts *add,
                          int *more, char *msg, size_t msglen)
{
    char q[400];
    snprintf(q, sizeof q,
             "SELECT max(id), max(time_unix_nano) FROM (SELECT id, time_unix_nano FROM log_records"
             " WHERE time_unix_nano < %lld ORDER BY time_unix_nano, id LIMIT %u) o",
             (long long)before, chunk);
    if (mysql_query(st->db, q) != 0)
        return fail(st, msg, msglen, "finding old logs");
    MYSQL_RES *r = mysql_store_result(st->db);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    int have = row && row[0];
    int64_t newest = have ? strtoll(row[1], NULL, 10) : 0;
    mysql_free_result(r);
    if (!have)
        return ARGUS_STORE_OK;
    /* the chunk: records older than the cut-off, oldest first */
    snprintf(q, sizeof q,
             "UPDATE log_patterns p JOIN (SELECT pattern_id, count(*) AS n FROM (SELECT pattern_id"
             " FROM log_records WHERE time_unix_nano < %lld ORDER BY time_unix_nano, id LIMIT %u)"
             " c WHERE pattern_id IS NOT NULL GROUP BY pattern_id) d USING (pattern_id)"
             " SET p.count = p.count - d.n,"
             " p.first_seen_ns = greatest(coalesce(p.first_seen_ns, %lld), %lld)",
             (long long)before, chunk, (long long)newest, (long long)newest);
    int res = exec(st, q, msg, msglen);
    if (res == ARGUS_STORE_OK) {
        snprintf(q, sizeof q,
                 "DELETE FROM log_records WHERE time_unix_nano < %lld"
                 " ORDER BY time_unix_nano, id LIMIT %u",
                 (long long)before, chunk);
        res = purge_exec(st, q, &add->logs, more, msg, msglen);
    }
    if (res == ARGUS_STORE_OK)
        res = purge_exec(st, "DELETE FROM log_patterns WHERE count <= 0", &add->patterns, more, msg,
                         msglen);
    return res;
}

/* A table a purge chunk deletes from, when its signals are purged; the rows deleted are counted
 * in the argus_purge_counts field at offset `count` (NO_COUNT: nowhere, as in SQLite). */
#define NO_COUNT ((size_t)-1)
typedef struct purge_table {
    int traces, logs;
    const char *name;
    size_t count;
} purge_table;

/* Rollups of whole minutes: a cut-off purges the minutes that ended before it. */
static const purge_table minute_tables[] = {
    {1, 0, "span_rollups", offsetof(argus_purge_counts, rollups)},
    {0, 1, "log_rollups", NO_COUNT},
    {1, 0, "span_operation_rollups", NO_COUNT}, /* perf: the API's rollups (004_api_rollups.sql) */
    {0, 1, "log_pattern_rollups", NO_COUNT},    /* perf */
};
/* What deleting everything empties before the minute tables, and after them. */
static const purge_table all_first[] = {
    {1, 0, "span_records", offsetof(argus_purge_counts, spans)},
    {0, 1, "log_records", offsetof(argus_purge_counts, logs)},
    {1, 0, "traces", offsetof(argus_purge_counts, traces)},
};
static const purge_table all_last[] = {
    {0, 1, "log_patterns", offsetof(argus_purge_counts, patterns)},
    {1, 1, "ingest_requests", offsetof(argus_purge_counts, requests)},
};

/* DELETE FROM each table of t (of the purged signals) `where`, `chunk` rows at most, until one
 * has rows left (*more). */
static int purge_tables(mysql_store *st, const purge_table *t, size_t n, unsigned sig,
                        const char *where, unsigned chunk, argus_purge_counts *add, int *more,
                        char *msg, size_t msglen)
{
    int traces = (sig >> ARGUS_SIGNAL_TRACES) & 1, logs = (sig >> ARGUS_SIGNAL_LOGS) & 1;
    int res = ARGUS_STORE_OK;
    for (size_t i = 0; i < n && res == ARGUS_STORE_OK && !*more; i++) {
        if ((t[i].traces && !traces) || (t[i].logs && !logs))
            continue;
        char q[300];
        snprintf(q, sizeof q, "DELETE FROM %s%s LIMIT %u", t[i].name, where, chunk);
        uint64_t *count =
            t[i].count == NO_COUNT ? NULL : (uint64_t *)(void *)((char *)add + t[i].count);
        res = purge_exec(st, q, count, more, msg, msglen);
    }
    return res;
}

static int ms_purge_chunk(argus_store *base, const argus_purge_spec *spec, argus_purge_counts *add,
                          int *more, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    *more = 0;
    unsigned chunk = spec->chunk_rows ? spec->chunk_rows : PURGE_CHUNK_ROWS;
    unsigned sig = spec->signals ? spec->signals : (1u << ARGUS_SIGNAL_COUNT) - 1;
    int traces = (sig >> ARGUS_SIGNAL_TRACES) & 1, logs = (sig >> ARGUS_SIGNAL_LOGS) & 1;
    int res = exec(st, "START TRANSACTION", msg, msglen);
    if (res != ARGUS_STORE_OK)
        return res;
    char where[160], q[256];
    /* one kind of row per chunk, in this order, so each transaction stays small */
    if (spec->all) {
        res = purge_tables(st, all_first, sizeof all_first / sizeof *all_first, sig, "", chunk, add,
                           more, msg, msglen);
        if (res == ARGUS_STORE_OK)
            res = purge_tables(st, minute_tables, sizeof minute_tables / sizeof *minute_tables, sig,
                               "", chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK)
            res = purge_tables(st, all_last, 1, sig, "", chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs)
            res =
                exec(st, "UPDATE argus_jobs SET last_id = 0 WHERE name = 'insights'", msg, msglen);
        if (res == ARGUS_STORE_OK)
            res = purge_tables(st, all_last + 1, 1, sig, "", chunk, add, more, msg, msglen);
    } else {
        long long b = (long long)spec->before_ns;
        if (traces)
            res = purge_old_traces(st, spec->before_ns, chunk, add, more, msg, msglen);
        if (res == ARGUS_STORE_OK && !*more && logs)
            res = purge_old_logs(st, spec->before_ns, chunk, add, more, msg, msglen);
        snprintf(where, sizeof where, " WHERE minute_ns <= %lld - 60000000000 ORDER BY minute_ns",
                 b);
        if (res == ARGUS_STORE_OK)
            res = purge_tables(st, minute_tables, sizeof minute_tables / sizeof *minute_tables, sig,
                               where, chunk, add, more, msg, msglen);
        snprintf(where, sizeof where, " WHERE stored_ns < %lld ORDER BY stored_ns", b);
        if (res == ARGUS_STORE_OK)
            res = purge_tables(st, all_last + 1, 1, sig, where, chunk, add, more, msg, msglen);
    }
    /* resources are shared by both signals: dropped only once no record is left at all */
    if (res == ARGUS_STORE_OK && !*more) {
        if (mysql_query(st->db, "SELECT EXISTS (SELECT 1 FROM span_records) OR"
                                " EXISTS (SELECT 1 FROM log_records)") != 0) {
            res = fail(st, msg, msglen, "checking for records");
        } else {
            MYSQL_RES *r = mysql_store_result(st->db);
            MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
            int left = !row || !row[0] || atoi(row[0]) != 0;
            mysql_free_result(r);
            if (!left) {
                res_forget(st);
                snprintf(q, sizeof q, "DELETE FROM resources LIMIT %u", chunk);
                res = purge_exec(st, q, NULL, more, msg, msglen);
            }
        }
    }
    if (res == ARGUS_STORE_OK)
        res = exec(st, "COMMIT", msg, msglen);
    if (res != ARGUS_STORE_OK)
        ms_rollback(base);
    else if (spec->all && !*more) /* ids start again at max(id) + 1, as in SQLite */
        memset(st->next_id, 0, sizeof st->next_id); /* (the live tail's reset) */
    return res;
}

/* ---- health ---------------------------------------------------------------------------------- */

struct argus_store_pinger {
    MYSQL *db;
};

static void ms_pinger_free(argus_store_pinger *p)
{
    if (!p)
        return;
    if (p->db)
        mysql_close(p->db);
    free(p);
}

/* A connection kept open for /readyz: a ping, not a connect, per call; connected again after a
 * failure. Reports the schema missing as not ready. */
static int ms_ping(argus_store_pinger **pp, const argus_config *cfg, char *msg, size_t msglen)
{
    argus_store_pinger *p = *pp;
    if (p && mysql_ping(p->db) != 0) {
        snprintf(msg, msglen, "mysql: %s", mysql_error(p->db));
        ms_pinger_free(p);
        *pp = NULL;
        return -1;
    }
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) {
            snprintf(msg, msglen, "mysql: out of memory");
            return -1;
        }
        unsigned err;
        p->db = connect_db(cfg, 0, &err, msg, msglen);
        if (!p->db) {
            free(p);
            return -1;
        }
        if (mysql_query(p->db, "SELECT max(version) FROM argus_migrations") != 0) {
            snprintf(msg, msglen, "mysql: %s", mysql_error(p->db));
            ms_pinger_free(p);
            return -1;
        }
        mysql_free_result(mysql_store_result(p->db));
    }
    *pp = p;
    return 0;
}

/* ---- background jobs (the insight worker): a connection of its own ------------------------ */

extern const argus_job_statement argus_mysql_jobs[]; /* gen/jobs_mysql.c, from sql/mysql/jobs */

#define JOB_MAX_PARAMS 16

/* A job statement: "?N" in the file is the N-th argument wherever it stands; MySQL's '?' are
 * positional, so each one is bound to the argument arg_of[] names. */
typedef struct job_stmt {
    MYSQL_STMT *stmt;
    unsigned nparams;
    unsigned char arg_of[JOB_MAX_PARAMS];
} job_stmt;

struct argus_store_job {
    MYSQL *db;
    size_t n;
    job_stmt s[];
};

static void ms_job_close(argus_store_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++)
        if (j->s[i].stmt)
            mysql_stmt_close(j->s[i].stmt);
    if (j->db)
        mysql_close(j->db);
    free(j);
}

/* The one place a job's errors become results: a lock wait means another transaction (the
 * writer) is in the way, BUSY; anything else closes the connection, RETRY. */
static int job_fail(unsigned err, const char *error, const char *what, char *msg, size_t msglen)
{
    if (err == ER_SP_DOES_NOT_EXIST)
        snprintf(msg, msglen,
                 "mysql: %s: %s (the insight worker needs the Argus UDFs in the server:"
                 " mysql < sql/mysql/install.sql, see docs/mysql.md)",
                 what, error);
    else
        snprintf(msg, msglen, "mysql: %s: %s", what, error);
    return err == ER_LOCK_WAIT_TIMEOUT || err == ER_LOCK_DEADLOCK ? ARGUS_STORE_BUSY
                                                                  : ARGUS_STORE_RETRY;
}

static int job_exec(argus_store_job *j, const char *sql, char *msg, size_t msglen)
{
    if (mysql_query(j->db, sql) != 0)
        return job_fail(mysql_errno(j->db), mysql_error(j->db), sql, msg, msglen);
    mysql_free_result(mysql_store_result(j->db));
    return ARGUS_STORE_OK;
}

/* Prepares sql with its placeholders numbered as the read side does ("?N" is argument N). */
static int job_prepare(argus_store_job *j, job_stmt *s, const char *sql, char *msg, size_t msglen)
{
    size_t len = strlen(sql);
    char *q = len < INT_MAX ? malloc(len + 1) : NULL;
    int *map = q ? malloc((len + 1) * sizeof *map) : NULL;
    int nmap = 0, nparams = 0, res = ARGUS_STORE_OK;
    char why[160];
    if (!map)
        res = out_of_memory(msg, msglen);
    else if (argus_mysql_placeholders(sql, (int)len, q, map, &nmap, &nparams, why, sizeof why)) {
        snprintf(msg, msglen, "mysql: a job statement: %s", why);
        res = ARGUS_STORE_RETRY;
    } else if (nmap > JOB_MAX_PARAMS || nparams > 255) {
        snprintf(msg, msglen, "mysql: a job statement has too many parameters");
        res = ARGUS_STORE_RETRY;
    }
    for (int k = 0; res == ARGUS_STORE_OK && k < nmap; k++)
        s->arg_of[s->nparams++] = (unsigned char)map[k];
    s->stmt = res == ARGUS_STORE_OK ? mysql_stmt_init(j->db) : NULL;
    if (res == ARGUS_STORE_OK && !s->stmt)
        res = out_of_memory(msg, msglen);
    else if (s->stmt && mysql_stmt_prepare(s->stmt, q, strlen(q)) != 0)
        res = job_fail(mysql_stmt_errno(s->stmt), mysql_stmt_error(s->stmt),
                       "preparing a job statement", msg, msglen);
    free(map);
    free(q);
    return res;
}

static int ms_job_open(argus_store_job **out, const argus_config *cfg, const char *const *sql,
                       size_t n, char *msg, size_t msglen)
{
    *out = NULL;
    argus_store_job *j = calloc(1, sizeof *j + n * sizeof j->s[0]);
    if (!j)
        return out_of_memory(msg, msglen);
    unsigned err;
    j->db = connect_db(cfg, 0, &err, msg, msglen);
    /* READ COMMITTED: tagging a range of ids takes no gap lock in the writer's way */
    int res = j->db ? job_exec(j,
                               "SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = 2,"
                               " sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
                               msg, msglen)
                    : ARGUS_STORE_RETRY;
    if (res == ARGUS_STORE_OK)
        res = job_exec(j, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", msg, msglen);
    for (; res == ARGUS_STORE_OK && j->n < n; j->n++)
        res = job_prepare(j, &j->s[j->n], sql[j->n], msg, msglen);
    if (res != ARGUS_STORE_OK) {
        ms_job_close(j);
        return res == ARGUS_STORE_BUSY ? ARGUS_STORE_BUSY : ARGUS_STORE_RETRY;
    }
    *out = j;
    return ARGUS_STORE_OK;
}

static int ms_job_begin(argus_store_job *j, char *msg, size_t msglen)
{
    return job_exec(j, "START TRANSACTION", msg, msglen);
}

static int ms_job_step(argus_store_job *j, size_t i, const int64_t *args, size_t nargs,
                       int64_t *out, const char *what, char *msg, size_t msglen)
{
    job_stmt *s = &j->s[i];
    MYSQL_BIND b[JOB_MAX_PARAMS];
    long long v[JOB_MAX_PARAMS];
    memset(b, 0, sizeof b);
    for (unsigned k = 0; k < s->nparams; k++) {
        if (s->arg_of[k] >= nargs) {
            snprintf(msg, msglen, "mysql: %s: the statement uses argument %u of %zu", what,
                     s->arg_of[k] + 1u, nargs);
            return ARGUS_STORE_RETRY;
        }
        v[k] = args[s->arg_of[k]];
        b[k].buffer_type = MYSQL_TYPE_LONGLONG;
        b[k].buffer = &v[k];
    }
    if ((s->nparams && mysql_stmt_bind_param(s->stmt, b) != 0) || mysql_stmt_execute(s->stmt) != 0)
        return job_fail(mysql_stmt_errno(s->stmt), mysql_stmt_error(s->stmt), what, msg, msglen);
    if (mysql_stmt_field_count(s->stmt) == 0)
        return ARGUS_STORE_OK;
    long long value = 0;
    my_bool null = 0;
    MYSQL_BIND r;
    memset(&r, 0, sizeof r);
    r.buffer_type = MYSQL_TYPE_LONGLONG;
    r.buffer = &value;
    r.is_null = &null;
    int rc = mysql_stmt_bind_result(s->stmt, &r);
    for (int first = 1; rc == 0 && (rc = mysql_stmt_fetch(s->stmt)) == 0; first = 0)
        if (first && out && !null)
            *out = value;
    int res = rc == MYSQL_NO_DATA ? ARGUS_STORE_OK
                                  : job_fail(mysql_stmt_errno(s->stmt), mysql_stmt_error(s->stmt),
                                             what, msg, msglen);
    mysql_stmt_free_result(s->stmt);
    return res;
}

static int ms_job_commit(argus_store_job *j, char *msg, size_t msglen)
{
    return job_exec(j, "COMMIT", msg, msglen);
}

static void ms_job_rollback(argus_store_job *j)
{
    if (j && j->db)
        mysql_query(j->db, "ROLLBACK");
}

#define MYSQL_DRIVER(scheme_)                                                                      \
    {                                                                                              \
        .scheme = scheme_, .name = "MariaDB/MySQL", .open = ms_open, .close = ms_close,            \
        .begin = ms_begin, .put = ms_put, .commit = ms_commit, .rollback = ms_rollback,            \
        .broken = ms_broken, .exec = ms_exec, .set_wait_deadline = ms_set_wait_deadline,           \
        .purge_chunk = ms_purge_chunk, .ping = ms_ping, .pinger_free = ms_pinger_free,             \
        .jobs = argus_mysql_jobs, .job_open = ms_job_open, .job_begin = ms_job_begin,              \
        .job_step = ms_job_step, .job_commit = ms_job_commit, .job_rollback = ms_job_rollback,     \
        .job_close = ms_job_close, .read = &argus_store_read_mysql, .network = 1,                  \
        .probe_sql = "INSERT INTO argus_jobs (name, last_id) VALUES ('probe', 1)"                  \
                     " ON DUPLICATE KEY UPDATE last_id = last_id + 1",                             \
    }

const argus_store_driver argus_store_mysql = MYSQL_DRIVER("mysql");
const argus_store_driver argus_store_mariadb = MYSQL_DRIVER("mariadb");
