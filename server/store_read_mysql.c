/* MariaDB / MySQL implementation of the read side (store_read.h; the read slot of the mysql://
 * store driver, argus_store_read_mysql). One connection per API worker (libmariadb), set up as
 *   SET SESSION TRANSACTION READ ONLY            -- a writing statement fails
 *   SET SESSION max_statement_time = <limit>     -- MariaDB; MySQL 8: max_execution_time (ms)
 *   SET SESSION lock_wait_timeout = <busy>
 * and a check that the Argus functions (sql/mysql/install.sql) are installed. Statements are
 * server-side prepared and kept in an LRU cache; SQLite's parameter forms are accepted, so one
 * text serves both backends where the SQL allows: "?NNN" is parameter NNN (it may appear several
 * times), a bare "?" the one after the highest so far. Integers are bound and read as 64-bit
 * values (exact); DECIMAL results (sum() of BIGINT) read as integers when they have no scale.
 * Results are read whole (mysql_stmt_store_result), so another statement may run while a result
 * is read. A lost connection (MariaDB restarted) is opened again on the next call, and a
 * statement that failed because of it runs once more on the new connection.
 *   ARGUS_DB=mysql://argus@127.0.0.1:3306/argus argus-server    (docs/mysql.md)
 */
#include "store_mysql.h"
#include "store_read.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MySQL 8 server errors by number: MariaDB's mysqld_error.h (which we build with, as
 * store_mysql.c) gives these numbers other names. The other errors go by its ER_ names. */
enum {
    MY_QUERY_TIMEOUT = 3024,       /* max_execution_time exceeded */
    MY_CLIENT_IDLE_TIMEOUT = 4031, /* the server closed an idle connection */
};

/* Parameters per statement at most (MariaDB's limit of placeholders). */
#define MAX_PARAMS 65535

typedef struct mysql_read mysql_read;

typedef struct param {
    argus_read_type type; /* NULL, INT, FLOAT, TEXT or BLOB */
    int64_t i;
    double d;
    char *s;
    unsigned long len;
    size_t cap;
} param;

typedef struct column {
    char *name;
    enum enum_field_types bind_type; /* LONGLONG, DOUBLE or STRING */
    argus_read_type type;            /* what a non-NULL value reads as */
    int decimal_int;                 /* a DECIMAL without scale: read as an integer */
    int64_t i;
    double d;
    char *buf;
    size_t cap;
    unsigned long len;
    my_bool is_null, error;
} column;

typedef struct mysql_stmt_ {
    argus_read_entry e; /* first: the cache's part (e.sql: the text as given, the key) */
    mysql_read *rd;
    MYSQL_STMT *st;
    unsigned gen;    /* the connection it was prepared on */
    char *mysql_sql; /* with '?' placeholders only */
    int *map;        /* placeholder k is parameter map[k] (0-based) */
    int nmap, nparams;
    param *params;
    MYSQL_BIND *pbind;
    unsigned ncols;
    column *cols;
    MYSQL_BIND *cbind;
    int state; /* 0 idle, 1 reading rows, 2 done */
} mysql_stmt_;

struct mysql_read {
    argus_read base;
    argus_config cfg; /* to connect again */
    MYSQL *db;
    unsigned gen; /* counts connections */
};

/* ---- connection ---------------------------------------------------------------------------- */

static int lost(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_SERVER_LOST_EXTENDED ||
           e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR || e == ER_CONNECTION_KILLED ||
           e == ER_SERVER_SHUTDOWN || e == MY_CLIENT_IDLE_TIMEOUT;
}

/* The one place MariaDB errors become read results (with the message kept). */
static int fail_code(mysql_read *rd, unsigned e, const char *text)
{
    switch (e) {
    case ER_STATEMENT_TIMEOUT:
    case MY_QUERY_TIMEOUT:
        snprintf(rd->base.err, sizeof rd->base.err, "the query ran longer than the limit of %u ms",
                 rd->base.limits.statement_ms);
        return ARGUS_READ_TIMEOUT;
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
        snprintf(rd->base.err, sizeof rd->base.err, "only reading statements are allowed (%s)",
                 text);
        return ARGUS_READ_ERROR;
    case CR_OUT_OF_MEMORY:
        snprintf(rd->base.err, sizeof rd->base.err, "%s", text);
        return ARGUS_READ_NOMEM;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_CON_COUNT_ERROR:
        snprintf(rd->base.err, sizeof rd->base.err, "%s", text);
        return ARGUS_READ_BUSY;
    default:
        if (lost(e)) {
            snprintf(rd->base.err, sizeof rd->base.err, "MariaDB/MySQL is not reachable: %s", text);
            return ARGUS_READ_BUSY;
        }
        snprintf(rd->base.err, sizeof rd->base.err, "%s", text);
        return ARGUS_READ_ERROR;
    }
}

static int stmt_fail(mysql_stmt_ *s)
{
    return fail_code(s->rd, mysql_stmt_errno(s->st), mysql_stmt_error(s->st));
}

/* The session of a new connection: read-only, the time limit, the lock wait, the functions. */
static int setup_session(mysql_read *rd, char *msg, size_t msglen)
{
    char q[160];
    const char *what = "SET SESSION TRANSACTION READ ONLY";
    if (mysql_query(rd->db, what) != 0)
        goto failed;
    if (rd->base.limits.statement_ms) {
        snprintf(q, sizeof q, "SET SESSION max_statement_time = %.3f",
                 rd->base.limits.statement_ms / 1000.0);
        what = q;
        if (mysql_query(rd->db, q) != 0) {
            if (mysql_errno(rd->db) != ER_UNKNOWN_SYSTEM_VARIABLE)
                goto failed;
            snprintf(q, sizeof q, "SET SESSION max_execution_time = %u",
                     rd->base.limits.statement_ms);
            if (mysql_query(rd->db, q) != 0) /* MySQL 8 */
                goto failed;
        }
    }
    /* recursive CTEs (the shipped routes' bucket series) are bounded by the time limit, as in
     * SQLite, not by MariaDB's default of 1000 rows; MySQL 8 names it cte_max_recursion_depth */
    if (mysql_query(rd->db, "SET SESSION max_recursive_iterations = 4294967295") != 0 &&
        mysql_query(rd->db, "SET SESSION cte_max_recursion_depth = 4294967295") != 0) {
        what = "SET SESSION max_recursive_iterations";
        goto failed;
    }
    unsigned wait_s = rd->base.limits.busy_ms ? (rd->base.limits.busy_ms + 999) / 1000 : 1;
    snprintf(q, sizeof q, "SET SESSION lock_wait_timeout = %u", wait_s);
    what = q;
    if (mysql_query(rd->db, q) != 0)
        goto failed;
    if (mysql_query(rd->db, "SELECT time_bucket(0, 60000000000)") != 0) {
        if (mysql_errno(rd->db) == ER_SP_DOES_NOT_EXIST) {
            snprintf(msg, msglen,
                     "read: the Argus functions are not installed in MariaDB/MySQL (%s): run "
                     "mariadb %s < sql/mysql/install.sql with argus_udf.so in the plugin "
                     "directory (docs/mysql.md)",
                     mysql_error(rd->db), rd->cfg.db_name);
            return ARGUS_READ_ERROR;
        }
        what = "SELECT time_bucket(0, 60000000000)";
        goto failed;
    }
    mysql_free_result(mysql_store_result(rd->db));
    return ARGUS_READ_OK;
failed:
    snprintf(msg, msglen, "read: %s: %s", what, mysql_error(rd->db));
    return lost(mysql_errno(rd->db)) ? ARGUS_READ_BUSY : ARGUS_READ_ERROR;
}

/* (Re)connects; statements of the old connection are prepared again when next used. */
static int reconnect(mysql_read *rd, char *msg, size_t msglen)
{
    if (rd->db)
        mysql_close(rd->db); /* detaches the statements; closing them later is safe */
    rd->gen++;
    unsigned err = 0;
    rd->db = argus_mysql_connect(&rd->cfg, &err, msg, msglen);
    if (!rd->db)
        return ARGUS_READ_BUSY;
    int rc = setup_session(rd, msg, msglen);
    if (rc != ARGUS_READ_OK) {
        mysql_close(rd->db);
        rd->db = NULL;
    }
    return rc;
}

static int ensure_connected(mysql_read *rd)
{
    if (rd->db)
        return ARGUS_READ_OK;
    return reconnect(rd, rd->base.err, sizeof rd->base.err);
}

static int myread_open(argus_read *base, const argus_config *cfg, char *msg, size_t msglen)
{
    mysql_read *rd = (mysql_read *)base;
    rd->cfg = *cfg;
    return reconnect(rd, msg, msglen);
}

static void myread_close(argus_read *base)
{
    mysql_read *rd = (mysql_read *)base;
    if (rd->db)
        mysql_close(rd->db);
    memset(rd->cfg.db_password, 0, sizeof rd->cfg.db_password);
}

/* ---- statements ---------------------------------------------------------------------------- */

/* One statement's text for MariaDB (store_mysql.h): copies sql to out with placeholders as '?'. */
int argus_mysql_placeholders(const char *sql, int len, char *out, int *map, int *nmap, int *nparams,
                             char *msg, size_t msglen)
{
    while (len > 0 && strchr(" \t\r\n;", sql[len - 1]))
        len--;
    char *o = out;
    int highest = 0;
    *nmap = 0;
    for (int i = 0; i < len;) {
        char c = sql[i];
        if (c == '\'' || c == '"' || c == '`') {
            int j = i + 1;
            while (j < len && sql[j] != c) {
                if (sql[j] == '\\' && c != '`' && j + 1 < len)
                    j++;
                j++;
            }
            j = j < len ? j + 1 : len;
            memcpy(o, sql + i, (size_t)(j - i));
            o += j - i;
            i = j;
        } else if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                *o++ = sql[i++];
        } else if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
            const char *end = NULL;
            for (int j = i + 2; j + 1 < len; j++)
                if (sql[j] == '*' && sql[j + 1] == '/') {
                    end = sql + j + 2;
                    break;
                }
            int j = end ? (int)(end - sql) : len;
            memcpy(o, sql + i, (size_t)(j - i));
            o += j - i;
            i = j;
        } else if (c == ';') {
            snprintf(msg, msglen, "one statement at a time: text follows the first");
            return -1;
        } else if (c == '?') {
            long n = 0;
            int j = i + 1;
            while (j < len && sql[j] >= '0' && sql[j] <= '9' && n <= MAX_PARAMS)
                n = n * 10 + (sql[j++] - '0');
            if (j == i + 1)
                n = highest + 1;
            if (n < 1 || n > MAX_PARAMS) {
                snprintf(msg, msglen, "parameter ?%.*s is out of range (1 to %d)", j - i - 1,
                         sql + i + 1, MAX_PARAMS);
                return -1;
            }
            if (n > highest)
                highest = (int)n;
            map[(*nmap)++] = (int)n - 1;
            *o++ = '?';
            i = j;
        } else {
            *o++ = sql[i++];
        }
    }
    *o = 0;
    *nparams = highest;
    return 0;
}

/* Fills s->mysql_sql, s->map, s->nmap, s->nparams from sql; -1 with rd->base.err. */
static int translate(mysql_stmt_ *s, const char *sql, int len)
{
    mysql_read *rd = s->rd;
    s->mysql_sql = malloc((size_t)len + 1);
    s->map = malloc(((size_t)len + 1) * sizeof *s->map);
    if (!s->mysql_sql || !s->map) {
        snprintf(rd->base.err, sizeof rd->base.err, "out of memory");
        return -1;
    }
    return argus_mysql_placeholders(sql, len, s->mysql_sql, s->map, &s->nmap, &s->nparams,
                                    rd->base.err, sizeof rd->base.err);
}

/* Prepares s->mysql_sql on the current connection (again after a reconnect). */
static int server_prepare(mysql_stmt_ *s)
{
    mysql_read *rd = s->rd;
    if (s->st)
        mysql_stmt_close(s->st);
    s->st = mysql_stmt_init(rd->db);
    if (!s->st) {
        snprintf(rd->base.err, sizeof rd->base.err, "out of memory");
        return ARGUS_READ_NOMEM;
    }
    my_bool update_max = 1;
    mysql_stmt_attr_set(s->st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (mysql_stmt_prepare(s->st, s->mysql_sql, (unsigned long)strlen(s->mysql_sql)) != 0)
        return stmt_fail(s);
    s->gen = rd->gen;
    if ((int)mysql_stmt_param_count(s->st) != s->nmap) {
        snprintf(rd->base.err, sizeof rd->base.err, "expected %d placeholders, MariaDB counted %lu",
                 s->nmap, mysql_stmt_param_count(s->st));
        return ARGUS_READ_ERROR;
    }
    if (mysql_stmt_field_count(s->st) == 0) {
        snprintf(rd->base.err, sizeof rd->base.err, "only reading statements are allowed");
        return ARGUS_READ_ERROR;
    }
    return ARGUS_READ_OK;
}

static void stmt_release(mysql_stmt_ *s)
{
    if (s->st)
        mysql_stmt_close(s->st);
    for (int i = 0; s->params && i < s->nparams; i++)
        free(s->params[i].s);
    for (unsigned i = 0; s->cols && i < s->ncols; i++) {
        free(s->cols[i].name);
        free(s->cols[i].buf);
    }
    free(s->params);
    free(s->pbind);
    free(s->cols);
    free(s->cbind);
    free(s->mysql_sql);
    free(s->map);
}

/* Names of the result columns (known at prepare). */
static int read_names(mysql_stmt_ *s)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(s->st);
    if (!meta)
        return stmt_fail(s);
    s->ncols = mysql_num_fields(meta);
    s->cols = calloc(s->ncols ? s->ncols : 1, sizeof *s->cols);
    s->cbind = calloc(s->ncols ? s->ncols : 1, sizeof *s->cbind);
    int rc = s->cols && s->cbind ? ARGUS_READ_OK : ARGUS_READ_NOMEM;
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    for (unsigned i = 0; rc == ARGUS_READ_OK && i < s->ncols; i++) {
        s->cols[i].name = strdup(f[i].name ? f[i].name : "");
        if (!s->cols[i].name)
            rc = ARGUS_READ_NOMEM;
    }
    mysql_free_result(meta);
    if (rc == ARGUS_READ_NOMEM)
        snprintf(s->rd->base.err, sizeof s->rd->base.err, "out of memory");
    return rc;
}

static int build(mysql_stmt_ *s)
{
    s->params = calloc(s->nparams ? (size_t)s->nparams : 1, sizeof *s->params);
    s->pbind = calloc(s->nmap ? (size_t)s->nmap : 1, sizeof *s->pbind);
    if (!s->params || !s->pbind) {
        snprintf(s->rd->base.err, sizeof s->rd->base.err, "out of memory");
        return ARGUS_READ_NOMEM;
    }
    int rc = server_prepare(s);
    if (rc != ARGUS_READ_OK && lost(s->st ? mysql_stmt_errno(s->st) : 0)) {
        rc = reconnect(s->rd, s->rd->base.err, sizeof s->rd->base.err);
        if (rc == ARGUS_READ_OK)
            rc = server_prepare(s);
    }
    if (rc != ARGUS_READ_OK)
        return rc;
    return read_names(s);
}

static int myread_prepare(argus_read_stmt *base, const char *sql, int len, int cached)
{
    (void)cached; /* MariaDB keeps every prepared statement until it is closed */
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    s->rd = (mysql_read *)base->rd;
    int rc = ensure_connected(s->rd);
    if (rc != ARGUS_READ_OK)
        return rc;
    if (translate(s, sql, len) != 0)
        return ARGUS_READ_ERROR;
    return build(s);
}

/* ---- parameters ---------------------------------------------------------------------------- */

static param *slot(mysql_stmt_ *s, int i)
{
    if (i < 1 || i > s->nparams) {
        snprintf(s->rd->base.err, sizeof s->rd->base.err, "parameter %d: the statement has %d", i,
                 s->nparams);
        return NULL;
    }
    return &s->params[i - 1];
}

/* A NULL, integer or float parameter: the value of its type is kept, the other is not read. */
static int bind_scalar(argus_read_stmt *base, int i, argus_read_type t, int64_t iv, double dv)
{
    param *p = slot((mysql_stmt_ *)base, i);
    if (!p)
        return ARGUS_READ_ERROR;
    p->type = t;
    p->i = iv;
    p->d = dv;
    return ARGUS_READ_OK;
}

static int myread_bind_null(argus_read_stmt *base, int i)
{
    return bind_scalar(base, i, ARGUS_READ_NULL, 0, 0);
}

static int myread_bind_int64(argus_read_stmt *base, int i, int64_t v)
{
    return bind_scalar(base, i, ARGUS_READ_INT, v, 0);
}

static int myread_bind_double(argus_read_stmt *base, int i, double v)
{
    return bind_scalar(base, i, ARGUS_READ_FLOAT, 0, v);
}

static int bind_bytes(argus_read_stmt *base, int i, const void *v, int len, argus_read_type t)
{
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    param *p = slot(s, i);
    if (!p)
        return ARGUS_READ_ERROR;
    size_t n = len < 0 ? strlen(v) : (size_t)len;
    if (n + 1 > p->cap) {
        char *b = realloc(p->s, n + 1);
        if (!b) {
            snprintf(s->rd->base.err, sizeof s->rd->base.err, "out of memory");
            return ARGUS_READ_NOMEM;
        }
        p->s = b;
        p->cap = n + 1;
    }
    if (n)
        memcpy(p->s, v, n);
    p->s[n] = 0;
    p->len = (unsigned long)n;
    p->type = t;
    return ARGUS_READ_OK;
}

static int myread_bind_text(argus_read_stmt *base, int i, const char *s, int len)
{
    return bind_bytes(base, i, s, len, ARGUS_READ_TEXT);
}

static int myread_bind_blob(argus_read_stmt *base, int i, const void *p, int len)
{
    return bind_bytes(base, i, p ? p : "", p ? len : 0, ARGUS_READ_BLOB);
}

static int myread_param_count(argus_read_stmt *base)
{
    return ((mysql_stmt_ *)base)->nparams;
}

/* ---- execution and rows -------------------------------------------------------------------- */

static my_bool null_flag = 1;

static void bind_params(mysql_stmt_ *s)
{
    for (int k = 0; k < s->nmap; k++) {
        param *p = &s->params[s->map[k]];
        MYSQL_BIND *b = &s->pbind[k];
        memset(b, 0, sizeof *b);
        switch (p->type) {
        case ARGUS_READ_INT:
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &p->i;
            break;
        case ARGUS_READ_FLOAT:
            b->buffer_type = MYSQL_TYPE_DOUBLE;
            b->buffer = &p->d;
            break;
        case ARGUS_READ_TEXT:
        case ARGUS_READ_BLOB:
            b->buffer_type = p->type == ARGUS_READ_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            b->buffer = p->s;
            b->buffer_length = p->len;
            b->length = &p->len;
            break;
        default: b->buffer_type = MYSQL_TYPE_NULL; b->is_null = &null_flag;
        }
    }
}

static int is_int_type(enum enum_field_types t)
{
    return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
           t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}

/* Output buffers for the columns of the result just stored. */
static int bind_columns(mysql_stmt_ *s)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(s->st);
    if (!meta)
        return stmt_fail(s);
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    unsigned n = mysql_num_fields(meta);
    int rc = ARGUS_READ_OK;
    for (unsigned i = 0; i < n && i < s->ncols; i++) {
        column *c = &s->cols[i];
        MYSQL_BIND *b = &s->cbind[i];
        memset(b, 0, sizeof *b);
        c->decimal_int = 0;
        if (is_int_type(f[i].type)) {
            c->bind_type = MYSQL_TYPE_LONGLONG;
            c->type = ARGUS_READ_INT;
            b->buffer = &c->i;
        } else if (f[i].type == MYSQL_TYPE_FLOAT || f[i].type == MYSQL_TYPE_DOUBLE) {
            c->bind_type = MYSQL_TYPE_DOUBLE;
            c->type = ARGUS_READ_FLOAT;
            b->buffer = &c->d;
        } else {
            c->bind_type = MYSQL_TYPE_STRING;
            if (f[i].type == MYSQL_TYPE_NEWDECIMAL || f[i].type == MYSQL_TYPE_DECIMAL) {
                c->decimal_int = f[i].decimals == 0;
                c->type = c->decimal_int ? ARGUS_READ_INT : ARGUS_READ_FLOAT;
            } else if (f[i].charsetnr == 63 && f[i].type != MYSQL_TYPE_NULL) {
                c->type = ARGUS_READ_BLOB; /* binary: BLOBs, and strings from UDFs */
            } else {
                c->type = ARGUS_READ_TEXT;
            }
            size_t need = (size_t)f[i].max_length + 1;
            if (need > c->cap) {
                char *nb = realloc(c->buf, need);
                if (!nb) {
                    rc = ARGUS_READ_NOMEM;
                    break;
                }
                c->buf = nb;
                c->cap = need;
            }
            b->buffer = c->buf;
            b->buffer_length = (unsigned long)c->cap;
        }
        b->buffer_type = c->bind_type;
        b->is_unsigned = 0;
        b->length = &c->len;
        b->is_null = &c->is_null;
        b->error = &c->error;
    }
    mysql_free_result(meta);
    if (rc != ARGUS_READ_OK) {
        snprintf(s->rd->base.err, sizeof s->rd->base.err, "out of memory");
        return rc;
    }
    if (mysql_stmt_bind_result(s->st, s->cbind) != 0)
        return stmt_fail(s);
    return ARGUS_READ_OK;
}

static int execute(mysql_stmt_ *s)
{
    mysql_read *rd = s->rd;
    for (int attempt = 0;; attempt++) {
        int rc = ensure_connected(rd);
        if (rc == ARGUS_READ_OK && s->gen != rd->gen)
            rc = server_prepare(s);
        if (rc != ARGUS_READ_OK)
            return rc;
        bind_params(s);
        if (mysql_stmt_bind_param(s->st, s->pbind) == 0 && mysql_stmt_execute(s->st) == 0 &&
            mysql_stmt_store_result(s->st) == 0)
            return bind_columns(s);
        unsigned e = mysql_stmt_errno(s->st);
        if (!lost(e) || attempt > 0)
            return stmt_fail(s);
        /* MariaDB went away (restarted, killed the connection): once more on a new one */
        rc = reconnect(rd, rd->base.err, sizeof rd->base.err);
        if (rc != ARGUS_READ_OK)
            return rc;
    }
}

/* A value that did not fit its buffer (only when max_length was off): fetched again whole. */
static int refetch(mysql_stmt_ *s, unsigned i)
{
    column *c = &s->cols[i];
    size_t need = (size_t)c->len + 1;
    char *nb = realloc(c->buf, need);
    if (!nb) {
        snprintf(s->rd->base.err, sizeof s->rd->base.err, "out of memory");
        return ARGUS_READ_NOMEM;
    }
    c->buf = nb;
    c->cap = need;
    MYSQL_BIND b = s->cbind[i];
    b.buffer = c->buf;
    b.buffer_length = (unsigned long)c->cap;
    if (mysql_stmt_fetch_column(s->st, &b, i, 0) != 0)
        return stmt_fail(s);
    s->cbind[i].buffer = c->buf;
    s->cbind[i].buffer_length = (unsigned long)c->cap;
    return ARGUS_READ_OK;
}

static int myread_step(argus_read_stmt *base)
{
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    if (s->state == 2)
        return ARGUS_READ_DONE;
    if (s->state == 0) {
        int rc = execute(s);
        if (rc != ARGUS_READ_OK)
            return rc;
        s->state = 1;
    }
    int f = mysql_stmt_fetch(s->st);
    if (f == MYSQL_NO_DATA) {
        s->state = 2;
        return ARGUS_READ_DONE;
    }
    if (f == 1)
        return stmt_fail(s);
    for (unsigned i = 0; i < s->ncols; i++) {
        column *c = &s->cols[i];
        if (c->is_null)
            continue;
        if (c->bind_type == MYSQL_TYPE_STRING) {
            if (c->len >= c->cap) {
                int rc = refetch(s, i);
                if (rc != ARGUS_READ_OK)
                    return rc;
            }
            c->buf[c->len] = 0;
        }
    }
    return ARGUS_READ_ROW;
}

static int myread_column_count(argus_read_stmt *base)
{
    return (int)((mysql_stmt_ *)base)->ncols;
}

static column *col(argus_read_stmt *base, int i)
{
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    return i >= 0 && (unsigned)i < s->ncols ? &s->cols[i] : NULL;
}

static const char *myread_column_name(argus_read_stmt *base, int i)
{
    column *c = col(base, i);
    return c ? c->name : "";
}

static argus_read_type myread_column_type(argus_read_stmt *base, int i)
{
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    column *c = col(base, i);
    if (!c || s->state != 1 || c->is_null)
        return ARGUS_READ_NULL;
    if (c->decimal_int) { /* a DECIMAL of more than 64 bits reads as a number with a fraction */
        errno = 0;
        char *end;
        (void)strtoll(c->buf, &end, 10);
        return errno == ERANGE ? ARGUS_READ_FLOAT : ARGUS_READ_INT;
    }
    return c->type;
}

static int64_t myread_int64(argus_read_stmt *base, int i)
{
    column *c = col(base, i);
    if (!c || c->is_null)
        return 0;
    switch (c->bind_type) {
    case MYSQL_TYPE_LONGLONG: return c->i;
    case MYSQL_TYPE_DOUBLE: return (int64_t)c->d;
    default: return strtoll(c->buf, NULL, 10);
    }
}

static double myread_double(argus_read_stmt *base, int i)
{
    column *c = col(base, i);
    if (!c || c->is_null)
        return 0;
    switch (c->bind_type) {
    case MYSQL_TYPE_LONGLONG: return (double)c->i;
    case MYSQL_TYPE_DOUBLE: return c->d;
    default: return strtod(c->buf, NULL);
    }
}

static const char *myread_text(argus_read_stmt *base, int i, size_t *len)
{
    column *c = col(base, i);
    if (!c || c->is_null) {
        *len = 0;
        return "";
    }
    if (c->bind_type != MYSQL_TYPE_STRING) { /* numbers as text, as SQLite gives them */
        size_t need = 32;
        if (c->cap < need) {
            char *nb = realloc(c->buf, need);
            if (!nb) {
                *len = 0;
                return "";
            }
            c->buf = nb;
            c->cap = need;
        }
        if (c->bind_type == MYSQL_TYPE_LONGLONG)
            snprintf(c->buf, c->cap, "%lld", (long long)c->i);
        else
            snprintf(c->buf, c->cap, "%.17g", c->d);
        *len = strlen(c->buf);
        return c->buf;
    }
    *len = c->len;
    return c->buf;
}

static const void *myread_blob(argus_read_stmt *base, int i, size_t *len)
{
    column *c = col(base, i);
    if (!c || c->is_null) {
        *len = 0;
        return NULL;
    }
    return myread_text(base, i, len);
}

static void myread_reset(argus_read_stmt *base)
{
    mysql_stmt_ *s = (mysql_stmt_ *)base;
    if (s->st && s->state != 0)
        mysql_stmt_free_result(s->st);
    s->state = 0;
    for (int i = 0; i < s->nparams; i++)
        s->params[i].type = ARGUS_READ_NULL;
}

static void myread_release(argus_read_stmt *base)
{
    stmt_release((mysql_stmt_ *)base);
}

const argus_store_read_driver argus_store_read_mysql =
    ARGUS_STORE_READ_DRIVER("mysql", myread, mysql_read, mysql_stmt_);
