/* The UDF calling convention of the MariaDB 10.11 / MySQL 8 server, declared here so that
 * argus_udf.so needs no MariaDB headers or libraries to build. The layouts are the server's
 * (include/mysql_com.h of the server source: UDF_ARGS 64 bytes, UDF_INIT 40 bytes on LP64); the
 * mysql.h of the client connector (libmariadb-dev) declares older, smaller ones that the server
 * does not use. Used by every *_udf.c of ext/mysql:
 *   long long time_bucket(argus_udf_init *initid, argus_udf_args *args, char *is_null, char *err);
 */
#ifndef ARGUS_UDF_ABI_H
#define ARGUS_UDF_ABI_H

/* enum Item_result: the type of an argument as the server passes it. */
typedef enum argus_udf_type {
    ARGUS_UDF_STRING = 0,  /* char *, lengths[i] bytes, not NUL-terminated */
    ARGUS_UDF_REAL = 1,    /* double * */
    ARGUS_UDF_INT = 2,     /* long long * */
    ARGUS_UDF_ROW = 3,     /* never passed to a UDF */
    ARGUS_UDF_DECIMAL = 4, /* char *: the decimal as text, e.g. "0.95" */
} argus_udf_type;

/* struct st_udf_args */
typedef struct argus_udf_args {
    unsigned int arg_count;
    argus_udf_type *arg_type; /* may be changed in _init to ask the server for a conversion */
    char **args;              /* in _init: non-NULL only for constant arguments; per row: NULL
                                 for SQL NULL */
    unsigned long *lengths;
    char *maybe_null;
    const char **attributes; /* the argument expressions as written (or their AS names) */
    unsigned long *attribute_lengths;
    void *extension;
} argus_udf_args;

/* struct st_udf_init */
typedef struct argus_udf_init {
    char maybe_null;          /* my_bool: the result may be NULL */
    unsigned int decimals;    /* for REAL results */
    unsigned long max_length; /* for STRING results: the longest result */
    char *ptr;                /* ours: per-statement state, set in _init, freed in _deinit */
    char const_item;          /* my_bool: same result on every row */
    void *extension;
} argus_udf_init;

/* Size of the message buffer given to _init (MYSQL_ERRMSG_SIZE) and of the result buffer given
 * to string functions (results up to this size may be written there; longer ones must live in
 * memory we own). */
#define ARGUS_UDF_MESSAGE_SIZE 512
#define ARGUS_UDF_RESULT_SIZE 255

_Static_assert(sizeof(void *) != 8 || sizeof(argus_udf_args) == 64, "UDF_ARGS layout");
_Static_assert(sizeof(void *) != 8 || sizeof(argus_udf_init) == 40, "UDF_INIT layout");

#endif
