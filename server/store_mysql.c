/* MariaDB / MySQL storage driver for the writer thread; see store.h.
 *   ARGUS_DB=mysql://argus@127.0.0.1:3306/argus ARGUS_DB_PASSWORD=... argus-server
 * Two connections (libmariadb): the writer, and a reader for the stored rows a request merges
 * with (reads_send()), so that those reads run while the writer inserts. At open: the database is
 * created when missing, the numbered migrations of sql/mysql applied. Each request is decoded (and
 * its rows rendered) by the receiving threads; here its spans / log records go in with one
 * array-bound INSERT (MariaDB's bulk execution: one round trip per request), its resources once
 * each, and the traces summary and per-minute rollups are merged in C with the stored rows of the
 * request's traces / minutes and with those of the transaction's earlier requests, and written once
 * per transaction, in the round trip of its COMMIT -- the same results as the SQLite ingest
 * statements, without needing the UDFs in the server. Row ids are assigned here (max(id) + 1 read
 * at the first transaction): the one writer knows a batch's ids exactly. A request runs inside a
 * savepoint, so one bad request never costs the rest of the batch (see write_pending() for the
 * merged rows written at the commit). */
#include "store.h"

#include "argus_hash.h"
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

/* The transaction's merged traces summaries, array-bound (write_pending()): most of its merged
 * rows, and no statement text for the server to parse. */
static const char TRACES_UPSERT[] =
    "INSERT INTO traces (trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns,"
    " root_service_name, root_name, has_root, span_count, error_count, services)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE start_time_unix_nano = VALUES(start_time_unix_nano),"
    " end_time_unix_nano = VALUES(end_time_unix_nano), duration_ns = VALUES(duration_ns),"
    " root_service_name = VALUES(root_service_name), root_name = VALUES(root_name),"
    " has_root = VALUES(has_root), span_count = VALUES(span_count),"
    " error_count = VALUES(error_count), services = VALUES(services)";

/* A resource known to be stored (RES_STORED) or written by the open transaction (RES_PENDING). */
enum { RES_FREE, RES_STORED, RES_PENDING };
#define RES_CACHE_SLOTS 4096
typedef struct res_slot {
    int64_t id;
    uint8_t digest[16]; /* of its attributes and schema URL */
    uint8_t state;
} res_slot;

/* An index into an array of aggregates: open addressing, slot = entry index + 1. Its hashes are
 * keyed (argus_hash.h): the keys are the client's, and keys made to share one chain would make
 * every lookup walk all of them. */
typedef struct hslot {
    uint64_t hash;
    size_t idx;
} hslot;

typedef struct hindex {
    hslot *slots;
    size_t cap, n;
} hindex;

typedef struct mysql_store {
    argus_store base;
    MYSQL *db;
    /* the reader: a second connection (autocommit, READ COMMITTED) that reads the stored rows a
     * put merges with while the writer's own statements run (reads_send(), reads_finish()) */
    MYSQL *rd;
    argus_buf rdq;
    int rd_kinds[4], rd_nk; /* what the reader's statements in flight are; rd_nk 0: none */
    MYSQL *rd_conn;         /* where they went: rd, or db when they must see the open
                             * transaction's own rows (ms_put) */
    int res_lost; /* the resource cache was emptied in the open transaction: it no longer lists
                   * every resource the transaction stored (not committed, unseen by rd) */
    /* the request keys of the transaction's stored requests; those of requests stored without a
     * savepoint (ms_put) are written with its COMMIT (write_pending()) */
    struct txn_key *keys;
    size_t nkeys, keys_cap;
    hindex keys_at;
    int broken;
    int64_t next_id[ARGUS_SIGNAL_COUNT]; /* 0: read max(id) + 1 at the next begin */
    bulk spans, logs, resources, traces; /* traces: the merged summaries (write_pending()) */
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
    struct pending *pend;  /* the transaction's merged aggregates, written at its commit */
    int64_t each_until_ns; /* until then (argus_mono_ns), written with each request instead */
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

/* An error of the reader: the store is reconnected as a whole (both connections). */
static int reader_fail(mysql_store *st, char *msg, size_t msglen, const char *what)
{
    unsigned e = st->rd ? mysql_errno(st->rd) : CR_UNKNOWN_ERROR;
    snprintf(msg, msglen, "mysql: %s: %s", what, st->rd ? mysql_error(st->rd) : "no connection");
    int res = classify(st, e);
    st->broken = 1;
    return res == ARGUS_STORE_OK ? ARGUS_STORE_RETRY : res;
}

/* An error of the connection a put's reads went to (st->rd_conn). */
static int reads_fail(mysql_store *st, char *msg, size_t msglen, const char *what)
{
    return st->rd_conn == st->db ? fail(st, msg, msglen, what) : reader_fail(st, msg, msglen, what);
}

/* A request key the open transaction stored, or will store at its commit (write). */
typedef struct txn_key {
    uint8_t key[16];
    int sig, write;
    int64_t stored_ns;
} txn_key;

static void txn_keys_clear(mysql_store *st);

static int stmt_fail(mysql_store *st, MYSQL_STMT *s, char *msg, size_t msglen, const char *what)
{
    unsigned e = mysql_stmt_errno(s);
    snprintf(msg, msglen, "mysql: %s: %s", what, mysql_stmt_error(s));
    return classify(st, e);
}

/* Runs a query that returns rows: *r its result (NULL when it has none), or an error. */
static int query_rows(mysql_store *st, const char *sql, MYSQL_RES **r, char *msg, size_t msglen,
                      const char *what)
{
    *r = NULL;
    if (mysql_query(st->db, sql) != 0)
        return fail(st, msg, msglen, what);
    *r = mysql_store_result(st->db);
    return ARGUS_STORE_OK;
}

/* query_rows() of a query made by printf from fmt (at most 511 bytes). */
static int query_rowsf(mysql_store *st, MYSQL_RES **r, char *msg, size_t msglen, const char *what,
                       const char *fmt, ...)
{
    char q[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return query_rows(st, q, r, msg, msglen, what);
}

/* Runs a query for one number (the first value of its first row): *v, *have = 0 when there is
 * none (no row, or NULL). */
static int query_int(mysql_store *st, const char *sql, int64_t *v, int *have, char *msg,
                     size_t msglen, const char *what)
{
    MYSQL_RES *r;
    int res = query_rows(st, sql, &r, msg, msglen, what);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    *have = row && row[0];
    *v = *have ? strtoll(row[0], NULL, 10) : 0;
    mysql_free_result(r);
    return res;
}

static int exec(mysql_store *st, const char *sql, char *msg, size_t msglen)
{
    MYSQL_RES *r;
    int res = query_rows(st, sql, &r, msg, msglen, sql);
    mysql_free_result(r);
    return res;
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

struct pending;
static void pending_free(struct pending *p);
static void pending_clear(struct pending *p);
static struct pending *pending_new(void);

static void ms_close(argus_store *base)
{
    mysql_store *st = (mysql_store *)base;
    if (!st)
        return;
    bulk *all[] = {&st->spans, &st->logs, &st->resources, &st->traces};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        bulk_free(all[i]);
    pending_free(st->pend);
    if (st->db)
        mysql_close(st->db);
    if (st->rd)
        mysql_close(st->rd);
    EVP_MD_CTX_free(st->md);
    free(st->res_cache);
    argus_buf_free(&st->scratch);
    argus_buf_free(&st->sql);
    argus_buf_free(&st->rdq);
    free(st->keys);
    free(st->keys_at.slots);
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
    int64_t version;
    int have;
    res = query_int(st, "SELECT coalesce(max(version), 0) FROM argus_migrations", &version, &have,
                    msg, msglen, "reading the schema version");
    if (res != ARGUS_STORE_OK)
        return res;
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
    argus_buf_init(&st->rdq);
    st->md = EVP_MD_CTX_new();
    st->res_cache = calloc(RES_CACHE_SLOTS, sizeof *st->res_cache);
    st->pend = pending_new();
    if (!st->md || !st->res_cache || !st->pend) {
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
    /* from here on every statement of the writer is inside a transaction that ends with COMMIT
     * or ROLLBACK: none starts with a round trip of its own (ms_begin) */
    if (res == ARGUS_STORE_OK && mysql_autocommit(st->db, 0) != 0)
        res = fail(st, msg, msglen, "turning autocommit off");
    if (res == ARGUS_STORE_OK) {
        st->rd = connect_db(cfg, 0, &err, msg, msglen);
        if (!st->rd)
            res = connect_failure(err);
        /* each statement reads what is committed when it starts */
        else if (mysql_query(st->rd, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") !=
                     0 ||
                 mysql_set_server_option(st->rd, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
            res = reader_fail(st, msg, msglen, "opening the reader");
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
    st->traces.sql = TRACES_UPSERT;
    st->traces.types = "siiissiiis";
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
        int have;
        int res =
            query_int(st, q[s], &st->next_id[s], &have, msg, msglen, "reading the next row id");
        if (res != ARGUS_STORE_OK)
            return res;
        if (!have)
            st->next_id[s] = 1;
    }
    return ARGUS_STORE_OK;
}

static int ms_begin(argus_store *base, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    pending_clear(st->pend);
    txn_keys_clear(st);
    st->res_lost = 0; /* no resource is stored and uncommitted now */
    /* autocommit is off (ms_open): the transaction starts with its first statement, which
     * saves a round trip when there is nothing to read first */
    if (st->next_id[ARGUS_SIGNAL_TRACES] && st->next_id[ARGUS_SIGNAL_LOGS])
        return ARGUS_STORE_OK;
    int res = exec(st, "START TRANSACTION", msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = read_next_ids(st, msg, msglen);
    return res;
}

/* ---- one request: aggregated in C, merged with the stored rows -------------------------------
 * A put sends the reads of the stored rows it merges with (resources it has not seen, the traces
 * summaries and rollup minutes it touches) to the reader connection, one multi-statement query,
 * and while they run makes the writer's round trip (SAVEPOINT, the request key) and inserts its
 * records (one array-bound statement); then it takes the reader's answers, inserts the new
 * resources and merges its aggregates into the transaction's (absorb()). */

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
    size_t batch; /* the transaction's entry for this trace (index + 1), 0 when none */
} trace_agg;

/* One (service, minute) of a request's span rollups. */
typedef struct rollup_agg {
    str_ref service;
    uint8_t key[16]; /* service_key */
    int64_t minute, requests, errors;
    argus_sketch sketch;
    size_t batch; /* the transaction's entry for this minute (index + 1), 0 when none */
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

typedef int (*entry_eq_fn)(const void *entries, size_t i, const void *key);

#define HASH_START (argus_hash_secret()->start)
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
static size_t hindex_get(const hindex *x, uint64_t h, entry_eq_fn eq, const void *entries,
                         const void *key);
static int hindex_add(hindex *x, uint64_t h, size_t idx);
static void hindex_clear(hindex *x);
static int trace_eq(const void *entries, size_t i, const void *key);
static int rollup_eq(const void *entries, size_t i, const void *key);
static uint64_t rollup_hash(const rollup_agg *a);

/* What one put gathers from its request before talking to the server; each array with its
 * index (the rollups twice: by service name while gathering, by service_key to merge). */
typedef struct put_work {
    put_res *res;
    size_t nres, res_cap;
    hindex res_at;
    trace_agg *traces;
    size_t ntraces, traces_cap;
    hindex traces_at;
    rollup_agg *rollups;
    size_t nrollups, rollups_cap;
    hindex rollups_at, rollup_keys_at;
    log_rollup_agg *logs;
    size_t nlogs, logs_cap;
    hindex logs_at;
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
    free(w->res_at.slots);
    free(w->traces_at.slots);
    free(w->rollups_at.slots);
    free(w->rollup_keys_at.slots);
    free(w->logs_at.slots);
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

/* Adds a service to a's set. Only its latest four are looked at (a trace's spans mostly repeat a
 * handful of services): a trace of many services must not make each span walk all of them.
 * compact_services() drops the repeats left. */
static int add_service(trace_agg *a, const char *s, size_t n)
{
    for (size_t i = a->nservices, seen = 0; i-- > 0 && seen < 4; seen++)
        if (a->services[i].n == n && memcmp(a->services[i].s, s, n) == 0)
            return 0;
    if (grow(&a->services, a->nservices, &a->cap, sizeof *a->services, 4))
        return -1;
    a->services[a->nservices++] = (str_ref){s, n};
    return 0;
}

/* Sorts a's services and drops repeats (up to four, add_service() checked them all). */
static void compact_services(trace_agg *a)
{
    if (a->nservices <= 4)
        return;
    qsort(a->services, a->nservices, sizeof *a->services, ref_cmp);
    size_t n = 1;
    for (size_t i = 1; i < a->nservices; i++)
        if (ref_cmp(&a->services[n - 1], &a->services[i]) != 0)
            a->services[n++] = a->services[i];
    a->nservices = n;
}

static trace_agg *find_trace(put_work *w, const char *id)
{
    size_t at = hindex_get(&w->traces_at, hash_bytes(HASH_START, id, 32), trace_eq, w->traces, id);
    return at ? &w->traces[at - 1] : NULL;
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

/* The rows of a decoded request rendered ahead (argus_otlp_render(): ms_put makes sure), in the
 * order of its iterator: *n rows of the signal's ncolumns values. Read directly, as the one
 * writer reads every value of a request at least once. */
static const argus_value *rows_of(void *decoded, size_t *n, size_t *ncols)
{
    const argus_otlp_payload *p = decoded;
    *ncols = (size_t)argus_signal_get(p->signal)->ncolumns;
    *n = p->rows ? argus_otlp_valid_items(p) : 0;
    return p->rows;
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
    size_t i = (size_t)hash_bytes(HASH_START, &id, sizeof id) & mask;
    while (st->res_cache[i].state && st->res_cache[i].id != id)
        i = (i + 1) & mask;
    return &st->res_cache[i];
}

static void res_forget(mysql_store *st)
{
    memset(st->res_cache, 0, RES_CACHE_SLOTS * sizeof *st->res_cache);
    st->res_used = 0;
    st->res_lost = 1; /* until the next transaction begins */
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

static int res_eq(const void *entries, size_t i, const void *key)
{
    return ((const put_res *)entries)[i].id == *(const int64_t *)key;
}

/* The request's resource of that id, NULL when it has none. */
static put_res *find_res(put_work *w, int64_t id)
{
    size_t at = hindex_get(&w->res_at, hash_bytes(HASH_START, &id, sizeof id), res_eq, w->res, &id);
    return at ? &w->res[at - 1] : NULL;
}

/* The request's resources, each once, checked against the cache. */
static int gather_resources(mysql_store *st, argus_signal sig, void *decoded, put_work *w,
                            char *msg, size_t msglen)
{
    const int *ctx = argus_signal_get(sig)->context_columns;
    int64_t last = 0;
    int have = 0;
    size_t nrows, ncols;
    const argus_value *rows = rows_of(decoded, &nrows, &ncols);
    for (size_t k = 0; k < nrows; k++) {
        const argus_value *row = rows + k * ncols;
        int64_t id = row[ctx[ARGUS_RES_ID]].i;
        if (have && id == last)
            continue;
        last = id, have = 1;
        put_res r = {.id = id};
        r.name = row[ctx[ARGUS_RES_SERVICE_NAME]];
        r.attrs = row[ctx[ARGUS_RES_ATTRIBUTES]];
        r.url = row[ctx[ARGUS_RES_SCHEMA_URL]];
        int nourl = r.url.type == ARGUS_VAL_NULL;
        if (digest16(st, r.digest, r.attrs.s, r.attrs.n, nourl ? "" : r.url.s, nourl ? 0 : r.url.n))
            return out_of_memory(msg, msglen);
        const put_res *seen = find_res(w, r.id);
        if (seen) {
            if (memcmp(seen->digest, r.digest, 16) != 0)
                return collision(r.id, msg, msglen);
            continue;
        }
        res_slot *s = res_find(st, r.id);
        if (s->state && memcmp(s->digest, r.digest, 16) != 0)
            return collision(r.id, msg, msglen);
        r.known = s->state != 0;
        if (grow(&w->res, w->nres, &w->res_cap, sizeof *w->res, 4) ||
            hindex_add(&w->res_at, hash_bytes(HASH_START, &r.id, sizeof r.id), w->nres))
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
    put_res *r = find_res(w, id);
    if (!r || r->known)
        return ARGUS_STORE_OK;
    uint8_t stored[16];
    if (digest16(st, stored, row[1], len[1], row[2] ? row[2] : "", row[2] ? len[2] : 0))
        return out_of_memory(msg, msglen);
    if (memcmp(stored, r->digest, 16) != 0)
        return collision(id, msg, msglen);
    r->known = 1;
    res_remember(st, id, r->digest, RES_STORED);
    return ARGUS_STORE_OK;
}

/* Fills row i of b from the aggregates of ctx (0), or leaves it out (1); the statements below
 * differ only in this. blob: the variable-length values some rows point into. */
typedef int (*row_fill_fn)(bulk *b, const void *ctx, const argus_buf *blob, size_t i);

/* Runs b over the rows fill() makes of n aggregates: one array-bound statement. */
static int bulk_rows(mysql_store *st, bulk *b, size_t n, row_fill_fn fill, const void *ctx,
                     const argus_buf *blob, char *msg, size_t msglen, const char *what)
{
    b->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (bulk_grow(b)) {
            b->n = 0;
            return out_of_memory(msg, msglen);
        }
        if (fill(b, ctx, blob, i) == 0)
            b->n++;
    }
    int res = bulk_run(st, b, msg, msglen, what);
    b->n = 0;
    return res;
}

static int fill_resource(bulk *b, const void *ctx, const argus_buf *blob, size_t i)
{
    (void)blob;
    const put_res *r = &((const put_work *)ctx)->res[i];
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

/* A request's rollup minute by its service name (its service_key is computed once per group). */
static int rollup_name_eq(const void *entries, size_t i, const void *key)
{
    const rollup_agg *a = &((const rollup_agg *)entries)[i], *k = key;
    return a->minute == k->minute && a->service.n == k->service.n &&
           memcmp(a->service.s, k->service.s, k->service.n) == 0;
}

static uint64_t rollup_name_hash(const rollup_agg *a)
{
    return hash_bytes(hash_bytes(HASH_START, &a->minute, sizeof a->minute), a->service.s,
                      a->service.n);
}

/* A request's log counts by service name, minute and severity group. */
static int log_name_eq(const void *entries, size_t i, const void *key)
{
    const log_rollup_agg *a = &((const log_rollup_agg *)entries)[i], *k = key;
    return a->minute == k->minute && a->severity == k->severity && a->service.n == k->service.n &&
           memcmp(a->service.s, k->service.s, k->service.n) == 0;
}

static uint64_t log_name_hash(const log_rollup_agg *a)
{
    uint64_t h = hash_bytes(HASH_START, &a->minute, sizeof a->minute);
    h = hash_bytes(h, &a->severity, sizeof a->severity);
    return hash_bytes(h, a->service.s, a->service.n);
}

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
    size_t nrows, ncols;
    const argus_value *rows = rows_of(t, &nrows, &ncols);
    for (size_t k = 0; k < nrows; k++) {
        for (int c = 0; c < 9; c++)
            v[c] = rows[k * ncols + (size_t)cols[c]];
        trace_agg *a = find_trace(w, v[0].s);
        int root = v[1].type == ARGUS_VAL_NULL;
        if (!a) {
            if (grow(&w->traces, w->ntraces, &w->traces_cap, sizeof *w->traces, 16) ||
                hindex_add(&w->traces_at, hash_bytes(HASH_START, v[0].s, 32), w->ntraces))
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
        rollup_agg probe = {.service = {v[4].s, v[4].n}, .minute = minute};
        uint64_t h = rollup_name_hash(&probe);
        size_t at = hindex_get(&w->rollups_at, h, rollup_name_eq, w->rollups, &probe);
        rollup_agg *r = at ? &w->rollups[at - 1] : NULL;
        if (!r) {
            if (grow(&w->rollups, w->nrollups, &w->rollups_cap, sizeof *w->rollups, 8) ||
                hindex_add(&w->rollups_at, h, w->nrollups))
                return out_of_memory(msg, msglen);
            r = &w->rollups[w->nrollups++];
            *r = probe;
            if (digest16(st, r->key, v[4].s, v[4].n, NULL, 0) ||
                hindex_add(&w->rollup_keys_at, rollup_hash(r), w->nrollups - 1))
                return out_of_memory(msg, msglen);
        }
        r->requests++;
        r->errors += v[6].i == 2;
        if (argus_sketch_add(&r->sketch, (double)v[8].i, &err)) {
            snprintf(msg, msglen, "mysql: %s", err.message);
            return ARGUS_STORE_REJECT;
        }
    }
    for (size_t i = 0; i < w->ntraces; i++)
        compact_services(&w->traces[i]);
    return ARGUS_STORE_OK;
}

/* Per-service, per-minute, per-severity-group log counts (log_rollups, as
 * sql/sqlite/ingest/logs_30_rollups.sql counts them). */
static int gather_logs(mysql_store *st, argus_otlp_logs *l, put_work *w, char *msg, size_t msglen)
{
    argus_value v[4];
    static const int cols[4] = {ARGUS_LOG_TIME, ARGUS_LOG_OBSERVED_TIME, ARGUS_LOG_SEVERITY_NUMBER,
                                ARGUS_LOG_SERVICE_NAME};
    size_t nrows, ncols;
    const argus_value *rows = rows_of(l, &nrows, &ncols);
    for (size_t k = 0; k < nrows; k++) {
        for (int c = 0; c < 4; c++)
            v[c] = rows[k * ncols + (size_t)cols[c]];
        int64_t t = v[0].i ? v[0].i : v[1].i;
        int64_t minute = t / 60000000000 * 60000000000;
        int64_t sev = v[2].i >= 1 && v[2].i <= 24 ? (v[2].i - 1) / 4 * 4 + 1 : 0;
        log_rollup_agg probe = {{v[3].s, v[3].n}, {0}, minute, sev, 0};
        uint64_t h = log_name_hash(&probe);
        size_t at = hindex_get(&w->logs_at, h, log_name_eq, w->logs, &probe);
        log_rollup_agg *a = at ? &w->logs[at - 1] : NULL;
        if (!a) {
            if (grow(&w->logs, w->nlogs, &w->logs_cap, sizeof *w->logs, 8) ||
                hindex_add(&w->logs_at, h, w->nlogs))
                return out_of_memory(msg, msglen);
            a = &w->logs[w->nlogs++];
            *a = probe;
            if (digest16(st, a->key, v[3].s, v[3].n, NULL, 0))
                return out_of_memory(msg, msglen);
        }
        a->count++;
    }
    return ARGUS_STORE_OK;
}

/* A stored traces summary (or the transaction's) merged into the request's: the request's root
 * replaces the stored one when it is a root and the stored one is not, or when both are alike and
 * it starts earlier. The stored strings must outlive a. */
static void merge_trace(trace_agg *a, int64_t sstart, int64_t send, int shas, str_ref sservice,
                        str_ref sname, int64_t count, int64_t errors)
{
    if (!(a->has_root > shas || (a->has_root == shas && a->start < sstart))) {
        a->root_service = sservice;
        a->root_name = sname;
    }
    a->has_root |= shas;
    a->start = sstart < a->start ? sstart : a->start;
    a->end = send > a->end ? send : a->end;
    a->count += count;
    a->errors += errors;
}

/* A stored traces summary row merged into the request's. */
static int merge_trace_row(put_work *w, MYSQL_ROW row, unsigned long *len, char *msg, size_t msglen)
{
    trace_agg *a = len[0] == 32 ? find_trace(w, row[0]) : NULL;
    if (!a)
        return ARGUS_STORE_OK;
    argus_arena *arena = &w->arena;
    merge_trace(a, strtoll(row[1], NULL, 10), strtoll(row[2], NULL, 10), atoi(row[5]),
                (str_ref){row[3] ? argus_arena_strndup(arena, row[3], len[3]) : NULL, len[3]},
                (str_ref){row[4] ? argus_arena_strndup(arena, row[4], len[4]) : NULL, len[4]},
                strtoll(row[6], NULL, 10), strtoll(row[7], NULL, 10));
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
    compact_services(a);
    return arena->exhausted ? out_of_memory(msg, msglen) : res;
}

/* A stored rollup minute (service_key, minute, requests, errors, sketch) merged into the
 * request's. */
static int merge_rollup_row(put_work *w, MYSQL_ROW row, unsigned long *len, char *msg,
                            size_t msglen)
{
    if (len[0] != 16)
        return ARGUS_STORE_OK;
    rollup_agg probe = {.minute = strtoll(row[1], NULL, 10)};
    memcpy(probe.key, row[0], 16);
    size_t at = hindex_get(&w->rollup_keys_at, rollup_hash(&probe), rollup_eq, w->rollups, &probe);
    rollup_agg *a = at ? &w->rollups[at - 1] : NULL;
    if (!a || a->batch)
        return ARGUS_STORE_OK;
    argus_error err;
    a->requests += strtoll(row[2], NULL, 10);
    a->errors += strtoll(row[3], NULL, 10);
    if (argus_sketch_merge_blob(&a->sketch, row[4], len[4], &err)) {
        snprintf(msg, msglen, "mysql: stored rollup: %s", err.message);
        return ARGUS_STORE_REJECT;
    }
    return ARGUS_STORE_OK;
}

enum { Q_SAVEPOINT, Q_KEY, Q_STORED_KEY, Q_RESOURCES, Q_TRACES, Q_ROLLUPS };

/* The prelude's "SELECT ... WHERE x IN (a,b,...)" statements: the statement up to its "(" before
 * the first item (*n counts them), a comma before each other one. */
static void in_list_next(argus_buf *q, size_t *n, const char *opening)
{
    argus_buf_appends(q, (*n)++ ? "," : opening);
}

/* Closes the list, when it has items, as the prelude's next statement, of the given kind; *n is
 * reset for the next list. */
static void in_list_close(argus_buf *q, size_t *n, int kind, int *kinds, int *nk)
{
    if (*n) {
        argus_buf_appendc(q, ')');
        kinds[(*nk)++] = kind;
    }
    *n = 0;
}

/* Sends the reads of the stored rows the put merges with to conn, without waiting: the
 * resources it has not seen, and the traces summaries and rollup minutes the transaction has not
 * merged yet (the ones it has are in memory, newer than what is stored). conn is the reader: the
 * writer is the only writer of these rows and commits before the next transaction's first read,
 * so what is committed is exactly what they must be merged with -- unless the open transaction
 * has stored such rows itself (ms_put), when conn is the writer. reads_finish() takes the
 * answers. */
static int reads_send(mysql_store *st, put_work *w, const uint8_t *key, MYSQL *conn, char *msg,
                      size_t msglen)
{
    argus_buf *q = &st->rdq;
    argus_buf_reset(q);
    st->rd_nk = 0;
    st->rd_conn = conn;
    size_t n = 0;
    if (key) { /* first: its answer comes before the others are done */
        argus_buf_appends(q, ";\nSELECT 1 FROM ingest_requests WHERE request_key = ");
        sql_hex(q, key, 16);
        st->rd_kinds[st->rd_nk++] = Q_STORED_KEY;
    }
    for (size_t i = 0; i < w->nres; i++) {
        if (w->res[i].known)
            continue;
        char num[32];
        in_list_next(q, &n, ";\nSELECT id, attributes, schema_url FROM resources WHERE id IN (");
        snprintf(num, sizeof num, "%lld", (long long)w->res[i].id);
        argus_buf_appends(q, num);
    }
    in_list_close(q, &n, Q_RESOURCES, st->rd_kinds, &st->rd_nk);
    for (size_t i = 0; i < w->ntraces; i++) {
        if (w->traces[i].batch)
            continue;
        in_list_next(q, &n,
                     ";\nSELECT trace_id, start_time_unix_nano, end_time_unix_nano,"
                     " root_service_name, root_name, has_root, span_count, error_count, services"
                     " FROM traces WHERE trace_id IN (");
        sql_quote(st, q, w->traces[i].id, 32);
    }
    in_list_close(q, &n, Q_TRACES, st->rd_kinds, &st->rd_nk);
    for (size_t i = 0; i < w->nrollups; i++) {
        if (w->rollups[i].batch)
            continue;
        char num[32];
        in_list_next(q, &n,
                     ";\nSELECT service_key, minute_ns, requests, errors, duration_sketch"
                     " FROM span_rollups WHERE (service_key, minute_ns) IN (");
        argus_buf_appendc(q, '(');
        sql_hex(q, w->rollups[i].key, 16);
        snprintf(num, sizeof num, ",%lld)", (long long)w->rollups[i].minute);
        argus_buf_appends(q, num);
    }
    in_list_close(q, &n, Q_ROLLUPS, st->rd_kinds, &st->rd_nk);
    if (q->failed) {
        st->rd_nk = 0;
        return out_of_memory(msg, msglen);
    }
    if (!st->rd_nk)
        return ARGUS_STORE_OK;
    /* past the ";\n" the first statement starts with */
    if (mysql_send_query(conn, q->data + 2, q->len - 2) != 0) {
        st->rd_nk = 0;
        return reads_fail(st, msg, msglen, "reading stored rows");
    }
    return ARGUS_STORE_OK;
}

/* Reads every answer of reads_send()'s statements, so the reader stays in step; merges the rows
 * into the put's when `merge` (not after a refusal or for a duplicate request). *stored = 1 when
 * the request key it was given is stored. */
static int reads_finish(mysql_store *st, put_work *w, int merge, int *stored, char *msg,
                        size_t msglen)
{
    int nk = st->rd_nk, res = ARGUS_STORE_OK;
    if (!nk)
        return ARGUS_STORE_OK;
    st->rd_nk = 0;
    if (mysql_read_query_result(st->rd_conn) != 0)
        return reads_fail(st, msg, msglen, "reading stored rows");
    for (int k = 0;; k++) {
        MYSQL_RES *r = mysql_store_result(st->rd_conn);
        if (!r && mysql_field_count(st->rd_conn) != 0 && res == ARGUS_STORE_OK)
            res = reads_fail(st, msg, msglen, "reading stored rows");
        MYSQL_ROW row;
        while (r && (row = mysql_fetch_row(r))) {
            unsigned long *len = mysql_fetch_lengths(r);
            if (k < nk && st->rd_kinds[k] == Q_STORED_KEY)
                *stored = 1;
            if (res != ARGUS_STORE_OK || !merge || k >= nk)
                continue;
            if (st->rd_kinds[k] == Q_STORED_KEY)
                continue;
            if (st->rd_kinds[k] == Q_RESOURCES)
                res = check_stored_resource(st, w, row, len, msg, msglen);
            else if (st->rd_kinds[k] == Q_TRACES)
                res = merge_trace_row(w, row, len, msg, msglen);
            else
                res = merge_rollup_row(w, row, len, msg, msglen);
        }
        mysql_free_result(r);
        int next = mysql_next_result(st->rd_conn);
        if (next == -1)
            break;
        if (next > 0) {
            int e = reads_fail(st, msg, msglen, "reading stored rows");
            return res == ARGUS_STORE_OK ? e : res;
        }
    }
    return res;
}

/* The writer's round trip before the inserts of a put that needs a savepoint (ms_put): SAVEPOINT,
 * the request key. *sp = 1 once the savepoint is set; *duplicate = 1 when the key was stored
 * before. */
static int prelude(mysql_store *st, argus_signal sig, const uint8_t key[16], int *sp,
                   int *duplicate, char *msg, size_t msglen)
{
    int kinds[3], nk = 0;
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
    if (q->failed)
        return out_of_memory(msg, msglen);
    if (mysql_real_query(st->db, q->data, q->len) != 0)
        return fail(st, msg, msglen, "starting a request");
    for (int k = 0;; k++) {
        mysql_free_result(mysql_store_result(st->db));
        if (k < nk && kinds[k] == Q_SAVEPOINT)
            *sp = 1;
        if (k < nk && kinds[k] == Q_KEY)
            *duplicate = mysql_affected_rows(st->db) == 0;
        int next = mysql_next_result(st->db);
        if (next == -1)
            return ARGUS_STORE_OK;
        if (next > 0)
            return fail(st, msg, msglen, "starting a request");
    }
}

/* ---- the transaction's aggregates, written at its commit --------------------------------------
 * The traces summaries and rollups of a transaction's requests are merged in memory as they come
 * (a request's with the transaction's rows by the same rules, in the same order, as with stored
 * rows) and written once, in the round trip of the COMMIT: one upsert per table for the whole
 * transaction, where each request made four statements, and a trace, rollup minute or operation
 * that several requests touch is one row. The operation rollups (perf, API:
 * sql/mysql/004_api_rollups.sql) are grouped by argus_span_operations_build() (ext/core, shared
 * with SQLite's otlp_span_operations()) and added to the stored rows as
 * sql/sqlite/ingest/spans_35_operation_rollups.sql does.
 * Every value of a merged row was stored already by a request's own statements, so the database
 * has no reason to refuse one; if it ever does, the request at fault is not known: the whole
 * transaction is retried, and for EACH_MODE_NS the aggregates go out with each request inside its
 * savepoint, as before, so that only that request is refused. */

#define EACH_MODE_NS (60 * (int64_t)1000000000)

/* The transaction's arrays have indexes (hindex, above) too. */

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    return argus_hash_bytes(argus_hash_secret(), h, p, n);
}

/* The entry (index + 1) whose key eq() finds equal, 0 when there is none. */
static size_t hindex_get(const hindex *x, uint64_t h, entry_eq_fn eq, const void *entries,
                         const void *key)
{
    if (!x->cap)
        return 0;
    for (size_t i = (size_t)h & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
        const hslot *s = &x->slots[i];
        if (!s->idx)
            return 0;
        if (s->hash == h && eq(entries, s->idx - 1, key))
            return s->idx;
    }
}

static void hindex_place(hslot *slots, size_t cap, uint64_t h, size_t idx)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i].idx)
        i = (i + 1) & (cap - 1);
    slots[i] = (hslot){h, idx};
}

/* Indexes entry idx (0-based) under hash h; -1 on out of memory. */
static int hindex_add(hindex *x, uint64_t h, size_t idx)
{
    if (2 * (x->n + 1) > x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 64;
        hslot *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < x->cap; i++)
            if (x->slots[i].idx)
                hindex_place(slots, cap, x->slots[i].hash, x->slots[i].idx);
        free(x->slots);
        x->slots = slots;
        x->cap = cap;
    }
    hindex_place(x->slots, x->cap, h, idx + 1);
    x->n++;
    return 0;
}

static void hindex_clear(hindex *x)
{
    if (x->n)
        memset(x->slots, 0, x->cap * sizeof *x->slots);
    x->n = 0;
}

/* One (service, minute, span name) of the operation rollups. */
typedef struct op_agg {
    str_ref service, name;
    uint8_t service_key[16], name_key[16];
    int64_t minute, spans, errors, requests, request_errors;
} op_agg;

/* The transaction's merged rows; strings in arena. */
typedef struct pending {
    trace_agg *traces;
    size_t ntraces, traces_cap;
    hindex traces_at;
    rollup_agg *rollups;
    size_t nrollups, rollups_cap;
    hindex rollups_at;
    op_agg *ops;
    size_t nops, ops_cap;
    hindex ops_at;
    log_rollup_agg *logs;
    size_t nlogs, logs_cap;
    hindex logs_at;
    argus_arena arena;
    argus_grouping groups; /* one request's operations */
} pending;

static struct pending *pending_new(void)
{
    pending *p = calloc(1, sizeof *p);
    if (p) {
        argus_arena_init(&p->arena, 0);
        argus_grouping_init(&p->groups);
    }
    return p;
}

/* Forgets every merged row (after the commit, or a rollback). */
static void pending_clear(pending *p)
{
    for (size_t i = 0; i < p->ntraces; i++)
        free(p->traces[i].services);
    for (size_t i = 0; i < p->nrollups; i++)
        argus_sketch_free(&p->rollups[i].sketch);
    p->ntraces = p->nrollups = p->nops = p->nlogs = 0;
    hindex_clear(&p->traces_at);
    hindex_clear(&p->rollups_at);
    hindex_clear(&p->ops_at);
    hindex_clear(&p->logs_at);
    argus_arena_reset(&p->arena);
}

static void pending_free(pending *p)
{
    if (!p)
        return;
    pending_clear(p);
    free(p->traces);
    free(p->rollups);
    free(p->ops);
    free(p->logs);
    free(p->traces_at.slots);
    free(p->rollups_at.slots);
    free(p->ops_at.slots);
    free(p->logs_at.slots);
    argus_arena_free(&p->arena);
    argus_grouping_free(&p->groups);
    free(p);
}

static int trace_eq(const void *entries, size_t i, const void *key)
{
    return memcmp(((const trace_agg *)entries)[i].id, key, 32) == 0;
}

static int rollup_eq(const void *entries, size_t i, const void *key)
{
    const rollup_agg *a = &((const rollup_agg *)entries)[i], *k = key;
    return a->minute == k->minute && memcmp(a->key, k->key, 16) == 0;
}

static uint64_t rollup_hash(const rollup_agg *a)
{
    return hash_bytes(hash_bytes(HASH_START, a->key, 16), &a->minute, sizeof a->minute);
}

static int op_eq(const void *entries, size_t i, const void *key)
{
    const op_agg *a = &((const op_agg *)entries)[i];
    const argus_span_operation *k = key;
    return a->minute == k->minute_ns && a->service.n == k->service_n && a->name.n == k->name_n &&
           (!k->service_n || memcmp(a->service.s, k->service, k->service_n) == 0) &&
           (!k->name_n || memcmp(a->name.s, k->name, k->name_n) == 0);
}

static uint64_t op_hash(const argus_span_operation *k)
{
    uint64_t h = hash_bytes(HASH_START, &k->minute_ns, sizeof k->minute_ns);
    h = hash_bytes(h, k->service ? k->service : "", k->service_n);
    h = hash_bytes(h, "\xff", 1);
    return hash_bytes(h, k->name ? k->name : "", k->name_n);
}

static int log_eq(const void *entries, size_t i, const void *key)
{
    const log_rollup_agg *a = &((const log_rollup_agg *)entries)[i], *k = key;
    return a->minute == k->minute && a->severity == k->severity && memcmp(a->key, k->key, 16) == 0;
}

static uint64_t log_hash(const log_rollup_agg *a)
{
    uint64_t h = hash_bytes(HASH_START, a->key, 16);
    h = hash_bytes(h, &a->minute, sizeof a->minute);
    return hash_bytes(h, &a->severity, sizeof a->severity);
}

/* Before the request's prelude: which of its traces and minutes the transaction merged already
 * (those are merged with the transaction's rows, not read). */
static void link_pending(const pending *p, put_work *w)
{
    for (size_t i = 0; i < w->ntraces; i++)
        w->traces[i].batch = hindex_get(&p->traces_at, hash_bytes(HASH_START, w->traces[i].id, 32),
                                        trace_eq, p->traces, w->traces[i].id);
    for (size_t i = 0; i < w->nrollups; i++)
        w->rollups[i].batch = hindex_get(&p->rollups_at, rollup_hash(&w->rollups[i]), rollup_eq,
                                         p->rollups, &w->rollups[i]);
}

/* A string kept for the transaction: copied into its arena (NULL stays NULL). */
static str_ref keep(pending *p, str_ref r)
{
    return (str_ref){r.s ? argus_arena_strndup(&p->arena, r.s, r.n) : NULL, r.n};
}

/* A stored request's aggregates become the transaction's (after its records went in). The request
 * is left without them. On failure (out of memory) the transaction cannot be written: RETRY. */
static int absorb(mysql_store *st, argus_signal sig, void *decoded, put_work *w, char *msg,
                  size_t msglen)
{
    pending *p = st->pend;
    argus_error err;
    for (size_t i = 0; i < w->ntraces; i++) {
        trace_agg *a = &w->traces[i];
        if (a->batch) { /* as if the transaction's row had been stored */
            trace_agg *e = &p->traces[a->batch - 1];
            merge_trace(a, e->start, e->end, e->has_root, e->root_service, e->root_name, e->count,
                        e->errors);
            for (size_t k = 0; k < e->nservices; k++)
                if (add_service(a, e->services[k].s, e->services[k].n))
                    return out_of_memory(msg, msglen);
            compact_services(a);
        } else if (grow(&p->traces, p->ntraces, &p->traces_cap, sizeof *p->traces, 64) ||
                   hindex_add(&p->traces_at, hash_bytes(HASH_START, a->id, 32), p->ntraces)) {
            return out_of_memory(msg, msglen);
        }
        trace_agg *e = a->batch ? &p->traces[a->batch - 1] : &p->traces[p->ntraces++];
        if (!a->batch)
            memset(e, 0, sizeof *e);
        free(e->services);
        *e = *a;
        e->root_service = keep(p, a->root_service);
        e->root_name = keep(p, a->root_name);
        for (size_t k = 0; k < e->nservices; k++)
            e->services[k] = keep(p, e->services[k]);
        a->services = NULL, a->nservices = a->cap = 0;
    }
    for (size_t i = 0; i < w->nrollups; i++) {
        rollup_agg *a = &w->rollups[i];
        if (a->batch) {
            rollup_agg *e = &p->rollups[a->batch - 1];
            e->requests += a->requests;
            e->errors += a->errors;
            if (argus_sketch_merge(&e->sketch, &a->sketch, &err)) {
                snprintf(msg, msglen, "mysql: rollups: %s", err.message);
                return ARGUS_STORE_RETRY;
            }
            continue;
        }
        if (grow(&p->rollups, p->nrollups, &p->rollups_cap, sizeof *p->rollups, 16) ||
            hindex_add(&p->rollups_at, rollup_hash(a), p->nrollups))
            return out_of_memory(msg, msglen);
        rollup_agg *e = &p->rollups[p->nrollups++];
        *e = *a;
        e->service = keep(p, a->service);
        memset(&a->sketch, 0, sizeof a->sketch); /* moved */
    }
    for (size_t i = 0; i < w->nlogs; i++) {
        log_rollup_agg *a = &w->logs[i];
        uint64_t h = log_hash(a);
        size_t at = hindex_get(&p->logs_at, h, log_eq, p->logs, a);
        if (at) {
            p->logs[at - 1].count += a->count;
            continue;
        }
        if (grow(&p->logs, p->nlogs, &p->logs_cap, sizeof *p->logs, 16) ||
            hindex_add(&p->logs_at, h, p->nlogs))
            return out_of_memory(msg, msglen);
        p->logs[p->nlogs] = *a;
        p->logs[p->nlogs++].service = keep(p, a->service);
    }
    if (sig == ARGUS_SIGNAL_TRACES) {
        if (argus_span_operations_build(&p->groups, decoded) != 0)
            return out_of_memory(msg, msglen);
        for (size_t i = 0; i < p->groups.n; i++) {
            const argus_span_operation *g = &((const argus_span_operation *)p->groups.rows)[i];
            uint64_t h = op_hash(g);
            size_t at = hindex_get(&p->ops_at, h, op_eq, p->ops, g);
            if (!at) {
                if (grow(&p->ops, p->nops, &p->ops_cap, sizeof *p->ops, 64) ||
                    hindex_add(&p->ops_at, h, p->nops))
                    return out_of_memory(msg, msglen);
                op_agg *o = &p->ops[p->nops++];
                memset(o, 0, sizeof *o);
                /* NULL is stored as '' (the columns are NOT NULL), as SHA2 hashes it */
                o->service = keep(p, (str_ref){g->service ? g->service : "", g->service_n});
                o->name = keep(p, (str_ref){g->name ? g->name : "", g->name_n});
                o->minute = g->minute_ns;
                if (digest16(st, o->service_key, o->service.s, o->service.n, NULL, 0) ||
                    digest16(st, o->name_key, o->name.s, o->name.n, NULL, 0))
                    return out_of_memory(msg, msglen);
                at = p->nops;
            }
            op_agg *o = &p->ops[at - 1];
            o->spans += g->spans;
            o->errors += g->errors;
            o->requests += g->requests;
            o->request_errors += g->request_errors;
        }
    }
    return p->arena.exhausted ? out_of_memory(msg, msglen) : ARGUS_STORE_OK;
}

/* Multi-statement text queries of at most `limit` bytes: rows are added to the open INSERT of
 * their table, or start one; a query that would grow past the limit is sent first. */
typedef struct writeout {
    mysql_store *st;
    argus_buf *q, row;
    const char *suffix; /* of the open INSERT; NULL when none is open */
    size_t limit;
    char *msg;
    size_t msglen;
} writeout;

/* Runs the query gathered so far: every result is read, so the connection stays in step. */
static int writeout_send(writeout *o)
{
    mysql_store *st = o->st;
    if (!o->q->len)
        return ARGUS_STORE_OK;
    if (o->q->failed)
        return out_of_memory(o->msg, o->msglen);
    if (mysql_real_query(st->db, o->q->data, o->q->len) != 0)
        return fail(st, o->msg, o->msglen, "storing trace summaries and rollups");
    argus_buf_reset(o->q);
    for (;;) {
        mysql_free_result(mysql_store_result(st->db));
        int next = mysql_next_result(st->db);
        if (next == -1)
            return ARGUS_STORE_OK;
        if (next > 0)
            return fail(st, o->msg, o->msglen, "storing trace summaries and rollups");
    }
}

static void writeout_close(writeout *o)
{
    if (o->suffix)
        argus_buf_appends(o->q, o->suffix);
    o->suffix = NULL;
}

/* Adds o->row, a row "(...)" of the INSERT `prefix` ... `suffix`. */
static int writeout_row(writeout *o, const char *prefix, const char *suffix)
{
    size_t fixed = strlen(prefix) + strlen(suffix) + 16;
    if (o->row.failed)
        return out_of_memory(o->msg, o->msglen);
    if (o->row.len + fixed > o->limit) {
        snprintf(o->msg, o->msglen,
                 "mysql: a merged row of %zu bytes is more than half the server's"
                 " max_allowed_packet (%zu bytes)",
                 o->row.len, o->st->max_packet);
        return ARGUS_STORE_REJECT;
    }
    int res = ARGUS_STORE_OK;
    if (o->suffix && o->q->len + o->row.len + strlen(o->suffix) + 1 > o->limit) {
        writeout_close(o);
        res = writeout_send(o);
    }
    if (res == ARGUS_STORE_OK && !o->suffix) {
        if (o->q->len && o->q->len + fixed + o->row.len > o->limit)
            res = writeout_send(o);
        if (o->q->len)
            argus_buf_appends(o->q, ";\n");
        argus_buf_appends(o->q, prefix);
        o->suffix = suffix;
    } else if (res == ARGUS_STORE_OK) {
        argus_buf_appendc(o->q, ',');
    }
    if (res == ARGUS_STORE_OK)
        argus_buf_append(o->q, o->row.data, o->row.len);
    return res;
}

/* Replaces b with the row "(v,...)": one value per letter of fmt, from the arguments: 'k' a
 * 16-byte key as x'..' (const uint8_t *), 'b' bytes as x'..' (const void *, size_t), 't' text
 * or NULL (str_ref), 'i' an int64_t. */
static void sql_row(mysql_store *st, argus_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    argus_buf_reset(b);
    for (const char *f = fmt; *f; f++) {
        argus_buf_appendc(b, f == fmt ? '(' : ',');
        if (*f == 'k') {
            sql_hex(b, va_arg(ap, const uint8_t *), 16);
        } else if (*f == 'b') {
            const uint8_t *p = va_arg(ap, const void *);
            sql_hex(b, p, va_arg(ap, size_t));
        } else if (*f == 't') {
            str_ref r = va_arg(ap, str_ref);
            if (r.s)
                sql_quote(st, b, r.s, r.n);
            else
                argus_buf_appends(b, "NULL");
        } else {
            char num[24];
            snprintf(num, sizeof num, "%lld", (long long)va_arg(ap, int64_t));
            argus_buf_appends(b, num);
        }
    }
    argus_buf_appendc(b, ')');
    va_end(ap);
}

static const char KEYS_INSERT[] =
    "INSERT INTO ingest_requests (request_key, `signal`, stored_ns) VALUES ";
static const char ROLLUPS_INSERT[] = "INSERT INTO span_rollups (service_key, service_name,"
                                     " minute_ns, requests, errors, duration_sketch) VALUES ";
static const char ROLLUPS_UPDATE[] = " ON DUPLICATE KEY UPDATE requests = VALUES(requests),"
                                     " errors = VALUES(errors),"
                                     " duration_sketch = VALUES(duration_sketch)";
static const char OPS_INSERT[] =
    "INSERT INTO span_operation_rollups (service_key, minute_ns, name_key, service_name, name,"
    " spans, errors, requests, request_errors) VALUES ";
static const char OPS_UPDATE[] =
    " ON DUPLICATE KEY UPDATE spans = spans + VALUES(spans), errors = errors + VALUES(errors),"
    " requests = requests + VALUES(requests),"
    " request_errors = request_errors + VALUES(request_errors)";
static const char LOGS_INSERT[] = "INSERT INTO log_rollups (service_key, service_name, minute_ns,"
                                  " severity, count) VALUES ";
static const char LOGS_UPDATE[] = " ON DUPLICATE KEY UPDATE count = count + VALUES(count)";

/* The transaction's traces summaries for bulk_rows(): services of summary i at
 * blob[off[i], off[i + 1]). */
typedef struct summary_rows {
    const trace_agg *traces;
    const size_t *off;
} summary_rows;

static int fill_summary(bulk *b, const void *ctx, const argus_buf *blob, size_t i)
{
    const summary_rows *rows = ctx;
    const trace_agg *a = &rows->traces[i];
    set_str(b, 0, a->id, 32);
    set_int(b, 1, a->start), set_int(b, 2, a->end), set_int(b, 3, a->end - a->start);
    set_str(b, 4, a->root_service.s, a->root_service.n);
    set_str(b, 5, a->root_name.s, a->root_name.n);
    set_int(b, 6, a->has_root), set_int(b, 7, a->count), set_int(b, 8, a->errors);
    set_str(b, 9, blob->data + rows->off[i], rows->off[i + 1] - rows->off[i]);
    return 0;
}

/* Writes the transaction's merged rows (traces summaries with services as a sorted JSON array,
 * rollups with their merged sketches, operation and log counts added to the stored ones), then
 * `last` (e.g. "COMMIT") in the same round trip. The merged rows are forgotten either way. */
static int write_pending(mysql_store *st, const char *last, char *msg, size_t msglen)
{
    pending *p = st->pend;
    writeout o = {
        .st = st, .q = &st->sql, .limit = st->max_packet / 2, .msg = msg, .msglen = msglen};
    argus_buf_init(&o.row);
    argus_buf_reset(o.q);
    argus_buf blob;
    argus_buf_init(&blob);
    argus_error err;
    int res = ARGUS_STORE_OK;
    /* at the commit: the request keys of the requests stored without a savepoint; a plain INSERT,
     * so that a key another writer stored meanwhile fails the transaction (retried: then found) */
    for (size_t i = 0; last && i < st->nkeys && res == ARGUS_STORE_OK; i++) {
        txn_key *k = &st->keys[i];
        if (k->write) {
            sql_row(st, &o.row, "bii", k->key, (size_t)16, (int64_t)k->sig, k->stored_ns);
            res = writeout_row(&o, KEYS_INSERT, "");
        }
    }
    writeout_close(&o);
    /* the services of every summary as sorted JSON arrays, one after the other in blob */
    size_t *off = p->ntraces ? malloc((p->ntraces + 1) * sizeof *off) : NULL;
    if (p->ntraces && !off)
        res = out_of_memory(msg, msglen);
    for (size_t i = 0; i < p->ntraces && res == ARGUS_STORE_OK; i++) {
        trace_agg *a = &p->traces[i];
        qsort(a->services, a->nservices, sizeof *a->services, ref_cmp);
        off[i] = blob.len;
        argus_buf_appendc(&blob, '[');
        for (size_t k = 0; k < a->nservices; k++) {
            if (k)
                argus_buf_appendc(&blob, ',');
            argus_json_string(&blob, a->services[k].s, a->services[k].n);
        }
        argus_buf_appendc(&blob, ']');
        off[i + 1] = blob.len;
    }
    if (res == ARGUS_STORE_OK && blob.failed)
        res = out_of_memory(msg, msglen);
    if (res == ARGUS_STORE_OK) {
        const summary_rows rows = {p->traces, off};
        res = bulk_rows(st, &st->traces, p->ntraces, fill_summary, &rows, &blob, msg, msglen,
                        "storing trace summaries");
    }
    free(off);
    for (size_t i = 0; i < p->nrollups && res == ARGUS_STORE_OK; i++) {
        rollup_agg *a = &p->rollups[i];
        argus_buf_reset(&blob);
        if (argus_sketch_encode(&a->sketch, &blob, &err) != 0 || blob.failed) {
            res = out_of_memory(msg, msglen);
            break;
        }
        sql_row(st, &o.row, "ktiiib", a->key, a->service, a->minute, a->requests, a->errors,
                blob.data, blob.len);
        res = writeout_row(&o, ROLLUPS_INSERT, ROLLUPS_UPDATE);
    }
    writeout_close(&o);
    for (size_t i = 0; i < p->nops && res == ARGUS_STORE_OK; i++) {
        op_agg *a = &p->ops[i];
        sql_row(st, &o.row, "kikttiiii", a->service_key, a->minute, a->name_key, a->service,
                a->name, a->spans, a->errors, a->requests, a->request_errors);
        res = writeout_row(&o, OPS_INSERT, OPS_UPDATE);
    }
    writeout_close(&o);
    for (size_t i = 0; i < p->nlogs && res == ARGUS_STORE_OK; i++) {
        log_rollup_agg *a = &p->logs[i];
        sql_row(st, &o.row, "ktiii", a->key, a->service, a->minute, a->severity, a->count);
        res = writeout_row(&o, LOGS_INSERT, LOGS_UPDATE);
    }
    writeout_close(&o);
    if (res == ARGUS_STORE_OK && last) {
        if (o.q->len)
            argus_buf_appends(o.q, ";\n");
        argus_buf_appends(o.q, last);
    }
    if (res == ARGUS_STORE_OK)
        res = writeout_send(&o);
    argus_buf_reset(o.q);
    argus_buf_free(&o.row);
    argus_buf_free(&blob);
    pending_clear(p);
    return res;
}

/* ---- writing a request ------------------------------------------------------------------------
 */

/* The records themselves, ids assigned from next_id. */
static int put_records(mysql_store *st, argus_signal sig, void *decoded, argus_put_result *out,
                       char *msg, size_t msglen)
{
    bulk *b = sig == ARGUS_SIGNAL_TRACES ? &st->spans : &st->logs;
    b->n = 0;
    int64_t id = st->next_id[sig];
    size_t nrows, ncols;
    const argus_value *rows = rows_of(decoded, &nrows, &ncols);
    const int *src = st->record_cols[sig];
    unsigned nsrc = st->nrecord_cols[sig], time_col = 0, observed_col = 0;
    for (unsigned c = 0; c < nsrc; c++) {
        time_col = src[c] == ARGUS_LOG_TIME ? c + 1 : time_col;
        observed_col = src[c] == ARGUS_LOG_OBSERVED_TIME ? c + 1 : observed_col;
    }
    for (size_t k = 0; k < nrows; k++) {
        const argus_value *row = rows + k * ncols;
        if (bulk_grow(b))
            return out_of_memory(msg, msglen);
        set_int(b, 0, id + (int64_t)b->n);
        for (unsigned c = 0; c < nsrc; c++)
            set_value(b, c + 1, &row[src[c]]);
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

/* Forgets the transaction's request keys (it ended). */
static void txn_keys_clear(mysql_store *st)
{
    st->nkeys = 0;
    hindex_clear(&st->keys_at);
}

static int txn_key_eq(const void *entries, size_t i, const void *key)
{
    return memcmp(((const txn_key *)entries)[i].key, key, 16) == 0;
}

static int txn_key_find(const mysql_store *st, const uint8_t key[16])
{
    return hindex_get(&st->keys_at, hash_bytes(HASH_START, key, 16), txn_key_eq, st->keys, key) !=
           0;
}

static int txn_key_add(mysql_store *st, const uint8_t key[16], argus_signal sig, int write,
                       int64_t stored_ns)
{
    if (grow(&st->keys, st->nkeys, &st->keys_cap, sizeof *st->keys, 16) ||
        hindex_add(&st->keys_at, hash_bytes(HASH_START, key, 16), st->nkeys))
        return -1;
    txn_key *k = &st->keys[st->nkeys++];
    memcpy(k->key, key, 16);
    k->sig = (int)sig, k->write = write, k->stored_ns = stored_ns;
    return 0;
}

/* Takes back the records a put without savepoint inserted (ids from `first` on are all its own:
 * the writer hands them out in order) after it was refused, or found a duplicate. */
static int unstore(mysql_store *st, argus_signal sig, int64_t first)
{
    char q[120], ignored[64];
    snprintf(q, sizeof q, "DELETE FROM %s WHERE id >= %lld",
             sig == ARGUS_SIGNAL_TRACES ? "span_records" : "log_records", (long long)first);
    return exec(st, q, ignored, sizeof ignored);
}

/* A put: the reads of the stored rows it merges with go to the reader, and while they run the
 * writer stores the records. Usually without a savepoint: the request key is looked up by the
 * reader (and among the transaction's, in memory) and written with the COMMIT, and a refused or
 * duplicate request takes its records back by id (unstore()), so the records INSERT is the
 * writer's only statement for it. A request with resources not known to be stored, and any
 * while merged rows are written request by request (EACH_MODE_NS), run as before inside a
 * savepoint, with the request key inserted (INSERT IGNORE) first. */
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
    if (key && txn_key_find(st, key)) { /* a retry of a request the transaction holds */
        out->duplicate = 1;
        return ARGUS_STORE_OK;
    }
    put_work w;
    memset(&w, 0, sizeof w);
    argus_arena_init(&w.arena, 0);
    int sp = 0, duplicate = 0, each = argus_mono_ns() < st->each_until_ns, lazy = !each;
    int64_t next = st->next_id[sig], now = argus_wall_ns();
    int res = gather_resources(st, sig, decoded, &w, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = sig == ARGUS_SIGNAL_TRACES ? gather_spans(st, decoded, &w, msg, msglen)
                                         : gather_logs(st, decoded, &w, msg, msglen);
    for (size_t i = 0; i < w.nres; i++)
        lazy &= w.res[i].known;
    if (res == ARGUS_STORE_OK) {
        link_pending(st->pend, &w);
        /* the reader sees only what is committed: when the open transaction has stored rows
         * these reads must see (each mode writes its merged rows with each request; a forgotten
         * resource may be one it stored), the writer reads them itself, first */
        MYSQL *conn = each || st->res_lost ? st->db : st->rd;
        res = reads_send(st, &w, lazy ? key : NULL, conn, msg, msglen);
        if (res == ARGUS_STORE_OK && conn == st->db)
            res = reads_finish(st, &w, 1, &duplicate, msg, msglen);
    }
    /* while the reader reads: the records (they name their resources by id; a resource found to
     * collide refuses the request, records and all) */
    if (res == ARGUS_STORE_OK && !lazy)
        res = prelude(st, sig, key, &sp, &duplicate, msg, msglen);
    if (res == ARGUS_STORE_OK && !duplicate)
        res = put_records(st, sig, decoded, out, msg, msglen);
    if (res == ARGUS_STORE_OK) {
        res = reads_finish(st, &w, !duplicate, &duplicate, msg, msglen);
    } else {
        char ignored[256];
        int stored = 0;
        reads_finish(st, &w, 0, &stored, ignored, sizeof ignored);
    }
    if (res == ARGUS_STORE_OK && duplicate) {
        work_free(&w);
        if (lazy && out->stored && unstore(st, sig, next) != ARGUS_STORE_OK) {
            snprintf(msg, msglen, "mysql: taking back a duplicate request's records failed");
            st->next_id[sig] = next;
            memset(out, 0, sizeof *out);
            return ARGUS_STORE_RETRY;
        }
        st->next_id[sig] = next;
        memset(out, 0, sizeof *out);
        out->duplicate = 1;
        return ARGUS_STORE_OK;
    }
    if (res == ARGUS_STORE_OK)
        res = put_resources(st, &w, msg, msglen);
    if (res == ARGUS_STORE_OK && out->stored)
        res = absorb(st, sig, decoded, &w, msg, msglen);
    /* after a merged row was refused: this request's rows now, inside its savepoint */
    if (res == ARGUS_STORE_OK && each)
        res = write_pending(st, NULL, msg, msglen);
    if (res == ARGUS_STORE_OK && key && txn_key_add(st, key, sig, lazy, now))
        res = out_of_memory(msg, msglen);
    work_free(&w);
    /* no RELEASE: the next request's SAVEPOINT of the same name replaces this one */
    if (res == ARGUS_STORE_OK)
        return ARGUS_STORE_OK;
    st->next_id[sig] = next;
    res_forget(st);
    if (each)
        pending_clear(st->pend); /* this request's rows only */
    if (res == ARGUS_STORE_REJECT && sp) {
        char ignored[64];
        if (exec(st, "ROLLBACK TO SAVEPOINT request", ignored, sizeof ignored) != ARGUS_STORE_OK)
            res = ARGUS_STORE_RETRY; /* the transaction is in an unknown state */
    } else if (res == ARGUS_STORE_REJECT && lazy && unstore(st, sig, next) != ARGUS_STORE_OK) {
        res = ARGUS_STORE_RETRY;
    }
    memset(out, 0, sizeof *out);
    return res;
}

static int ms_commit(argus_store *base, char *msg, size_t msglen)
{
    mysql_store *st = (mysql_store *)base;
    int res = write_pending(st, "COMMIT", msg, msglen);
    txn_keys_clear(st);
    if (res == ARGUS_STORE_REJECT) {
        /* which request is at fault is not known: all are retried, each writing its own rows */
        argus_log(ARGUS_LOG_WARN,
                  "mysql: a merged trace summary or rollup was refused;"
                  " the transaction is retried, writing them with each request for a minute",
                  "error=%s", msg);
        st->each_until_ns = argus_mono_ns() + EACH_MODE_NS;
        res = ARGUS_STORE_RETRY;
    }
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
    pending_clear(st->pend);
    txn_keys_clear(st);
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
    MYSQL_RES *r;
    int res = query_rowsf(st, &r, msg, msglen, "finding old traces",
                          "SELECT trace_id, span_count FROM traces WHERE start_time_unix_nano"
                          " < %lld ORDER BY start_time_unix_nano LIMIT %u",
                          (long long)before, chunk);
    if (res != ARGUS_STORE_OK)
        return res;
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
    MYSQL_RES *r;
    int res = query_rowsf(st, &r, msg, msglen, "finding old logs",
                          "SELECT max(id), max(time_unix_nano) FROM (SELECT id, time_unix_nano"
                          " FROM log_records WHERE time_unix_nano < %lld"
                          " ORDER BY time_unix_nano, id LIMIT %u) o",
                          (long long)before, chunk);
    if (res != ARGUS_STORE_OK)
        return res;
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    int have = row && row[0];
    int64_t newest = have ? strtoll(row[1], NULL, 10) : 0;
    mysql_free_result(r);
    if (!have)
        return ARGUS_STORE_OK;
    /* the chunk: records older than the cut-off, oldest first */
    char q[400];
    snprintf(q, sizeof q,
             "UPDATE log_patterns p JOIN (SELECT pattern_id, count(*) AS n FROM (SELECT pattern_id"
             " FROM log_records WHERE time_unix_nano < %lld ORDER BY time_unix_nano, id LIMIT %u)"
             " c WHERE pattern_id IS NOT NULL GROUP BY pattern_id) d USING (pattern_id)"
             " SET p.count = p.count - d.n,"
             " p.first_seen_ns = greatest(coalesce(p.first_seen_ns, %lld), %lld)",
             (long long)before, chunk, (long long)newest, (long long)newest);
    res = exec(st, q, msg, msglen);
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
        int64_t left;
        int have;
        res = query_int(st,
                        "SELECT EXISTS (SELECT 1 FROM span_records) OR"
                        " EXISTS (SELECT 1 FROM log_records)",
                        &left, &have, msg, msglen, "checking for records");
        if (res == ARGUS_STORE_OK && have && left == 0) {
            res_forget(st);
            snprintf(q, sizeof q, "DELETE FROM resources LIMIT %u", chunk);
            res = purge_exec(st, q, NULL, more, msg, msglen);
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
