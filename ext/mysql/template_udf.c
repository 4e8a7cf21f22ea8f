/* log_template(body) and log_pattern_id(body) as UDFs (core: log_template.c):
 *   SELECT log_pattern_id(body) AS id, log_template(body), count(*) FROM logs GROUP BY id;
 * NULL in, NULL out; numbers are read as their text, as in SQLite. The statement's result
 * buffer is reused from row to row. */
#include "argus_udf.h"

#include "argus_log_template.h"

#include <string.h>

ARGUS_UDF_EXPORT char log_template_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "log_template", message))
        return 1;
    return argus_udf_buf_init(initid, message);
}

ARGUS_UDF_EXPORT void log_template_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

ARGUS_UDF_EXPORT char *log_template(argus_udf_init *initid, argus_udf_args *args, char *result,
                                    unsigned long *length, char *is_null, char *error)
{
    (void)result;
    argus_udf_buf *b = (argus_udf_buf *)(void *)initid->ptr;
    char num[40];
    size_t n = 0;
    const char *s = argus_udf_text(argus_udf_arg(args, 0), num, &n);
    *is_null = 1;
    if (!s)
        return NULL;
    argus_error err;
    argus_buf_reset(&b->out);
    if (argus_log_template_render(s, n, &b->out, &err))
        return argus_udf_fail(error, &err);
    return argus_udf_result(&b->out, length, is_null, error);
}

ARGUS_UDF_EXPORT char log_pattern_id_init(argus_udf_init *initid, argus_udf_args *args,
                                          char *message)
{
    if (argus_udf_check_arity(args, "log_pattern_id", message))
        return 1;
    if (argus_udf_buf_init(initid, message))
        return 1;
    initid->max_length = 16;
    return 0;
}

ARGUS_UDF_EXPORT void log_pattern_id_deinit(argus_udf_init *initid)
{
    argus_udf_buf_deinit(initid);
}

ARGUS_UDF_EXPORT char *log_pattern_id(argus_udf_init *initid, argus_udf_args *args, char *result,
                                      unsigned long *length, char *is_null, char *error)
{
    argus_udf_buf *b = (argus_udf_buf *)(void *)initid->ptr;
    char num[40];
    size_t n = 0;
    const char *s = argus_udf_text(argus_udf_arg(args, 0), num, &n);
    *is_null = 1;
    if (!s)
        return NULL;
    char id[17];
    argus_error err;
    if (argus_log_template_id(s, n, &b->scratch, id, &err))
        return argus_udf_fail(error, &err);
    memcpy(result, id, 16);
    *length = 16;
    *is_null = 0;
    return result;
}
