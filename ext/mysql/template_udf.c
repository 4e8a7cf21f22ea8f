/* log_template(body) and log_pattern_id(body) as UDFs (core: log_template.c):
 *   SELECT log_pattern_id(body) AS id, log_template(body), count(*) FROM logs GROUP BY id;
 * NULL in, NULL out; numbers are read as their text, as in SQLite. The statement's result
 * buffer is reused from row to row. */
#include "argus_udf.h"

#include "argus_log_template.h"

ARGUS_UDF_SCALAR(log_template)
ARGUS_UDF_SCALAR(log_pattern_id)

/* The template (id == 0) or the pattern id (16 hex digits) of the body argument. */
static char *template_of(argus_udf_init *initid, argus_udf_args *args, unsigned long *length,
                         char *is_null, char *error, int id)
{
    argus_udf_ctx *c = argus_udf_ctx_of(initid);
    char num[40], hex[17];
    size_t n = 0;
    const char *s = argus_udf_text_arg(args, 0, num, &n);
    *is_null = 1;
    if (!s)
        return NULL;
    argus_error err;
    argus_buf_reset(&c->out);
    int rc = id ? argus_log_template_id(s, n, &c->scratch, hex, &err)
                : argus_log_template_render(s, n, &c->out, &err);
    if (id && rc == 0)
        argus_buf_append(&c->out, hex, 16);
    return argus_udf_answer(initid, rc, &err, length, is_null, error);
}

ARGUS_UDF_STRING_VIA(log_template, template_of, 0)
ARGUS_UDF_STRING_VIA(log_pattern_id, template_of, 1)
