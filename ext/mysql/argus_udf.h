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

/* ---- entry points ------------------------------------------------------------------------- */

/* What a UDF keeps per statement besides its result buffer: `size` bytes, zeroed at _init (the
 * cores' states are ready when zeroed); `reset` (NULL: nothing to release) frees what they hold
 * and leaves them zeroed again, at _clear (an aggregate's next group) and at _deinit. */
typedef struct argus_udf_state {
    size_t size;
    void (*reset)(void *state);
} argus_udf_state;

/* initid->ptr of every UDF: the result buffer, scratch space for a call, the state. */
typedef struct argus_udf_ctx {
    argus_buf out;
    argus_buf scratch;
    const argus_udf_state *state;
    max_align_t data[]; /* state->size bytes */
} argus_udf_ctx;

/* _init of the UDF sql_name: the argument count checked against the catalogue, the context and
 * its state allocated, the result settings of its row of argus_udf_functions (maybe NULL, length,
 * decimals). 0, or 1 with the message set (the statement is refused). state may be NULL. */
char argus_udf_setup(argus_udf_init *initid, const argus_udf_args *args, char *message,
                     const char *sql_name, const argus_udf_state *state);
/* _deinit: the state reset, the context freed. */
void argus_udf_teardown(argus_udf_init *initid);
/* _clear: the state reset for the next group. */
void argus_udf_reset(argus_udf_init *initid);

static inline argus_udf_ctx *argus_udf_ctx_of(argus_udf_init *initid)
{
    return (argus_udf_ctx *)(void *)initid->ptr;
}
static inline void *argus_udf_state_of(argus_udf_init *initid)
{
    return argus_udf_ctx_of(initid)->data;
}

/* The glue every UDF NAME needs besides NAME itself (and NAME_add, NAME_remove): the entry
 * points the server looks up, the same for every UDF but for the name and the state.
 *   ARGUS_UDF_SCALAR(NAME): NAME_init and NAME_deinit (above), no state;
 *   ARGUS_UDF_SCALAR_STATE(NAME, TYPE, RESET): the same with a TYPE state, released by
 *     void RESET(TYPE *) (which leaves it zeroed: the cores' *_free do);
 *   ARGUS_UDF_AGGREGATE(NAME, TYPE, RESET): also NAME_clear, RESET at each group.
 *   ARGUS_UDF_AGGREGATE(percentile, argus_percentile, argus_percentile_free)
 * ARGUS_UDF_STRING_VIA(NAME, IMPL, ARG) and ARGUS_UDF_ADD_VIA(NAME, IMPL, ARG) define the
 * function NAME / its row step NAME_add as a call of a shared implementation with an argument
 * telling the variant: IMPL(initid, args, length, is_null, error, ARG) / IMPL(initid, args,
 * error, ARG). */
#define ARGUS_UDF_ENTRY(NAME, STATE)                                                               \
    ARGUS_UDF_EXPORT char NAME##_init(argus_udf_init *initid, argus_udf_args *args, char *msg)     \
    {                                                                                              \
        return argus_udf_setup(initid, args, msg, #NAME, STATE);                                   \
    }                                                                                              \
    ARGUS_UDF_EXPORT void NAME##_deinit(argus_udf_init *initid)                                    \
    {                                                                                              \
        argus_udf_teardown(initid);                                                                \
    }
#define ARGUS_UDF_SCALAR(NAME) ARGUS_UDF_ENTRY(NAME, NULL)
#define ARGUS_UDF_SCALAR_STATE(NAME, TYPE, RESET)                                                  \
    static void NAME##_reset(void *state)                                                          \
    {                                                                                              \
        RESET((TYPE *)state);                                                                      \
    }                                                                                              \
    static const argus_udf_state NAME##_state = {sizeof(TYPE), NAME##_reset};                      \
    ARGUS_UDF_ENTRY(NAME, &NAME##_state)
#define ARGUS_UDF_AGGREGATE(NAME, TYPE, RESET)                                                     \
    ARGUS_UDF_SCALAR_STATE(NAME, TYPE, RESET)                                                      \
    ARGUS_UDF_EXPORT void NAME##_clear(argus_udf_init *initid, char *is_null, char *error)         \
    {                                                                                              \
        (void)is_null;                                                                             \
        (void)error;                                                                               \
        argus_udf_reset(initid);                                                                   \
    }
#define ARGUS_UDF_STRING_VIA(NAME, IMPL, ARG)                                                      \
    ARGUS_UDF_EXPORT char *NAME(argus_udf_init *initid, argus_udf_args *args, char *result,        \
                                unsigned long *length, char *is_null, char *error)                 \
    {                                                                                              \
        (void)result;                                                                              \
        return IMPL(initid, args, length, is_null, error, ARG);                                    \
    }
#define ARGUS_UDF_ADD_VIA(NAME, IMPL, ARG)                                                         \
    ARGUS_UDF_EXPORT void NAME##_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,  \
                                     char *error)                                                  \
    {                                                                                              \
        (void)is_null;                                                                             \
        IMPL(initid, args, error, ARG);                                                            \
    }

/* ---- results ------------------------------------------------------------------------------ */

/* Argument i as text (argus_udf_text of argus_udf_arg): NULL for SQL NULL or a missing argument. */
static inline const char *argus_udf_text_arg(const argus_udf_args *a, unsigned i, char buf[40],
                                             size_t *n)
{
    if (i >= a->arg_count) {
        *n = 0;
        return NULL;
    }
    return argus_udf_text(argus_udf_arg(a, i), buf, n);
}

/* Hands b's bytes to the server as the result, or reports ENOMEM when b failed. */
char *argus_udf_result(argus_buf *b, unsigned long *length, char *is_null, char *error);
/* The end of a string function that wrote its result into the context's `out`: rc 0 gives that
 * result; otherwise err is reported and the value is NULL. */
char *argus_udf_answer(argus_udf_init *initid, int rc, const argus_error *err,
                       unsigned long *length, char *is_null, char *error);

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
    int extra_args;           /* arguments beyond the catalogue's max_args (ai_insight's rules) */
    unsigned long max_length; /* the longest STRING result; 0: ARGUS_UDF_MAX_LENGTH */
    int never_null;           /* the result is never NULL (initid->maybe_null = 0) */
} argus_udf_function;

extern const argus_udf_function argus_udf_functions[];
extern const size_t argus_udf_function_count;

/* The row whose UDF is named sql_name, or NULL. */
const argus_udf_function *argus_udf_find(const char *sql_name);

/* The UDF's SQL name. */
const char *argus_udf_sql_name(const argus_udf_function *f);

#endif
