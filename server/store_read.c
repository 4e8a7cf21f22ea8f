/* The read side's calls (store_read.h), dispatched to the backend's argus_store_read_driver:
 * the one the store driver of ARGUS_DB references (driver->read). */
#include "store_read.h"

#include "store.h"

#include <stdio.h>
#include <string.h>

argus_read_stmt *argus_read_cache_find(void *cache, size_t n, size_t size, uint64_t *clock,
                                       const char *sql, int len, argus_read_entry **lru)
{
    *lru = NULL;
    for (size_t i = 0; i < n; i++) {
        argus_read_entry *c = (argus_read_entry *)((char *)cache + i * size);
        if (c->in_use)
            continue;
        if (c->sql && c->len == len && memcmp(c->sql, sql, (size_t)len) == 0) {
            argus_read_cache_take(c, clock);
            return &c->base;
        }
        if (!*lru || !c->sql || ((*lru)->sql && c->used < (*lru)->used))
            *lru = c;
    }
    return NULL;
}

void argus_read_cache_take(argus_read_entry *e, uint64_t *clock)
{
    e->in_use = 1;
    e->used = ++*clock;
}

int argus_read_open(argus_read **out, const argus_config *cfg, const argus_read_limits *limits,
                    char *msg, size_t msglen)
{
    *out = NULL;
    const argus_store_driver *d = argus_store_driver_for(cfg->db_url, msg, msglen);
    if (!d)
        return ARGUS_READ_ERROR;
    if (!d->read) {
        snprintf(msg, msglen, "read: the %s backend has no read side", d->name);
        return ARGUS_READ_ERROR;
    }
    return d->read->open(out, cfg, limits, msg, msglen);
}

void argus_read_close(argus_read *rd)
{
    if (rd)
        rd->driver->close(rd);
}

int argus_read_prepare(argus_read *rd, const char *sql, int len, argus_read_stmt **out)
{
    return rd->driver->prepare(rd, sql, len < 0 ? (int)strlen(sql) : len, out);
}

int argus_read_bind_null(argus_read_stmt *st, int i)
{
    return st->rd->driver->bind_null(st, i);
}

int argus_read_bind_int64(argus_read_stmt *st, int i, int64_t v)
{
    return st->rd->driver->bind_int64(st, i, v);
}

int argus_read_bind_double(argus_read_stmt *st, int i, double v)
{
    return st->rd->driver->bind_double(st, i, v);
}

int argus_read_bind_text(argus_read_stmt *st, int i, const char *s, int len)
{
    return st->rd->driver->bind_text(st, i, s, len);
}

int argus_read_bind_blob(argus_read_stmt *st, int i, const void *p, int len)
{
    return st->rd->driver->bind_blob(st, i, p, len);
}

int argus_read_param_count(argus_read_stmt *st)
{
    return st->rd->driver->param_count(st);
}

int argus_read_step(argus_read_stmt *st)
{
    return st->rd->driver->step(st);
}

int argus_read_column_count(argus_read_stmt *st)
{
    return st->rd->driver->column_count(st);
}

const char *argus_read_column_name(argus_read_stmt *st, int i)
{
    return st->rd->driver->column_name(st, i);
}

argus_read_type argus_read_column_type(argus_read_stmt *st, int i)
{
    return st->rd->driver->column_type(st, i);
}

int64_t argus_read_int64(argus_read_stmt *st, int i)
{
    return st->rd->driver->int64(st, i);
}

double argus_read_double(argus_read_stmt *st, int i)
{
    return st->rd->driver->double_(st, i);
}

const char *argus_read_text(argus_read_stmt *st, int i, size_t *len)
{
    return st->rd->driver->text(st, i, len);
}

const void *argus_read_blob(argus_read_stmt *st, int i, size_t *len)
{
    return st->rd->driver->blob(st, i, len);
}

void argus_read_done(argus_read_stmt *st)
{
    if (st)
        st->rd->driver->done(st);
}

const char *argus_read_error(const argus_read *rd)
{
    return rd->driver->error(rd);
}

const char *argus_read_backend(const argus_read *rd)
{
    return rd->driver->name;
}
