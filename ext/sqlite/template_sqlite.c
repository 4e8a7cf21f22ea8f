/* log_template(body) and log_pattern_id(body): group log lines into patterns (core:
 * log_template.c).
 *   SELECT log_pattern_id(body) AS id, log_template(body), count(*) FROM logs GROUP BY id;
 * NULL in, NULL out; numbers and blobs are read as their text. Each connection keeps one scratch
 * buffer, so a call allocates nothing but SQLite's copy of the result. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_log_template.h"

#include <stdlib.h>

static void scratch_free(void *p)
{
    argus_buf *b = p;
    argus_buf_free(b);
    free(b);
}

/* log_template(body) (the masked text) and log_pattern_id(body) (its 16-hex-digit id): NULL for
 * NULL; the function's scratch buffer is its user data. */
static void template_common(sqlite3_context *ctx, sqlite3_value *arg, int want_id)
{
    if (sqlite3_value_type(arg) == SQLITE_NULL)
        return;
    const char *s = (const char *)sqlite3_value_text(arg);
    size_t n = (size_t)sqlite3_value_bytes(arg);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    argus_buf *b = sqlite3_user_data(ctx);
    argus_error err;
    char id[17];
    argus_buf_reset(b);
    int rc = want_id ? argus_log_template_id(s, n, b, id, &err)
                     : argus_log_template_render(s, n, b, &err);
    if (rc)
        argus_sqlite_result_error(ctx, &err);
    else if (want_id)
        sqlite3_result_text(ctx, id, 16, SQLITE_TRANSIENT);
    else
        sqlite3_result_text(ctx, b->data, (int)b->len, SQLITE_TRANSIENT);
}

static void template_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    template_common(ctx, argv[0], 0);
}

static void pattern_id_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    template_common(ctx, argv[0], 1);
}

int argus_register_template(sqlite3 *db, char **pzErrMsg)
{
    /* each function keeps its own scratch buffer, freed by SQLite with the function */
    argus_buf *b[2] = {malloc(sizeof(argus_buf)), malloc(sizeof(argus_buf))};
    if (!b[0] || !b[1]) {
        free(b[0]);
        free(b[1]);
        return SQLITE_NOMEM;
    }
    argus_buf_init(b[0]);
    argus_buf_init(b[1]);
    const argus_sqlite_glue glue[] = {
        {.name = "log_template", .func = template_fn, .data = b[0], .free_data = scratch_free},
        {.name = "log_pattern_id", .func = pattern_id_fn, .data = b[1], .free_data = scratch_free},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
