/* Internal interface of the MySQL/MariaDB UDF glue (argus_udf.so): argument access that reads
 * values the way the SQLite glue does (so both give the same results), per-statement result
 * buffers, the one place where core errors become server errors, and the function catalogue.
 *   argus_udf_value v = argus_udf_numeric(argus_udf_arg(args, 0));
 *   if (v.type != ARGUS_UV_INT && v.type != ARGUS_UV_REAL) return argus_udf_fail(error, ...); */
#ifndef ARGUS_UDF_H
#define ARGUS_UDF_H

#include "argus_udf_abi.h"

#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* Symbols the server looks up with dlsym(): exported, everything else stays hidden. */
#define ARGUS_UDF_EXPORT __attribute__((visibility("default")))

/* ---- values ------------------------------------------------------------------------------- */

/* SQLite's storage classes; MySQL passes no difference between text and binary strings, so a
 * string argument is TEXT here (sketch blobs included). */
typedef enum argus_uv_type {
    ARGUS_UV_NULL,
    ARGUS_UV_INT,
    ARGUS_UV_REAL,
    ARGUS_UV_TEXT
} argus_uv_type;

typedef struct argus_udf_value {
    argus_uv_type type;
    int64_t i;
    double r;
    const char *s; /* borrowed from the server's argument buffer */
    size_t n;
} argus_udf_value;

/* Argument i of the current row: NULL, INT, REAL, TEXT; a DECIMAL becomes INT when it is a whole
 * number that fits 64 bits, else REAL (SQLite has no decimals: 0.95 is a REAL there). */
argus_udf_value argus_udf_arg(const argus_udf_args *a, unsigned i);
/* sqlite3_value_numeric_type(): TEXT that is a number (blanks around allowed) becomes INT or
 * REAL; anything else is returned unchanged. */
argus_udf_value argus_udf_numeric(argus_udf_value v);
/* sqlite3_value_int64(): REAL truncated and clamped, TEXT by its leading integer, NULL 0. */
int64_t argus_udf_int64(argus_udf_value v);
/* sqlite3_value_double() for INT/REAL, 0 otherwise. */
double argus_udf_double(argus_udf_value v);
/* sqlite3_value_text(): the text of a value, numbers formatted as SQLite formats them (into buf);
 * NULL for NULL. */
const char *argus_udf_text(argus_udf_value v, char buf[40], size_t *n);

/* ---- results and errors ------------------------------------------------------------------- */

/* Reports a per-row error: the statement fails with "ERROR 1105: <message>" (through the server's
 * my_printf_error(), which every server that loads plugins exports) and the row's value is NULL.
 * Where the server has no such symbol, the value is NULL and *error is set (the server then
 * returns NULL for this row and the rest of the statement). Returns NULL for `return`. */
void *argus_udf_fail(char *error, const argus_error *err);
void *argus_udf_failf(char *error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "<fmt...>" into the _init message buffer and returns 1 (refuses the statement). */
char argus_udf_refuse(char *message, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks args->arg_count against the catalogue entry of name; 0, or 1 with the message set. */
char argus_udf_check_arity(const argus_udf_args *args, const char *name, char *message);

/* A per-statement result buffer (initid->ptr of the scalar string functions). */
typedef struct argus_udf_buf {
    argus_buf out;
    argus_buf scratch;
} argus_udf_buf;

/* Allocates an argus_udf_buf into initid->ptr with the usual settings for a function returning
 * text (maybe NULL, long results); 0, or 1 with the message set. */
char argus_udf_buf_init(argus_udf_init *initid, char *message);
void argus_udf_buf_deinit(argus_udf_init *initid);
/* Hands b's bytes to the server as the result, or reports ENOMEM when b failed. */
char *argus_udf_result(argus_buf *b, unsigned long *length, char *is_null, char *error);

/* The longest string result we announce (LONGBLOB); the real limit is max_allowed_packet. */
#define ARGUS_UDF_MAX_LENGTH 4294967295UL
/* NOT_FIXED_DEC: REAL results are shown with all their digits. */
#define ARGUS_UDF_DECIMALS 31

/* ---- catalogue ---------------------------------------------------------------------------- */

typedef enum argus_udf_returns {
    ARGUS_UDF_RETURNS_STRING,
    ARGUS_UDF_RETURNS_INTEGER,
    ARGUS_UDF_RETURNS_REAL
} argus_udf_returns;

/* What the function catalogue (ext/core argus_catalogue.h: names, arities, kinds) does not say
 * about a UDF: its SQL name when it differs, its result type, extra arguments. Every catalogue
 * function without ARGUS_FN_SQLITE_ONLY has a row; sql/mysql/install.sql creates exactly these
 * (tests/mysql/udf_harness checks both). */
typedef struct argus_udf_function {
    const char *name;     /* the catalogue's name */
    const char *sql_name; /* the UDF's name (= C symbol prefix); NULL: the same */
    argus_udf_returns returns;
    int extra_args; /* arguments beyond the catalogue's max_args (ai_insight's rules) */
} argus_udf_function;

extern const argus_udf_function argus_udf_functions[];
extern const size_t argus_udf_function_count;

/* The UDF's SQL name. */
const char *argus_udf_sql_name(const argus_udf_function *f);

#endif
