/* The read side's calls (store_read.h), dispatched to the backend's argus_store_read_driver:
 * the one the store driver of ARGUS_DB references (driver->read). */
#include "store_read.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The i-th statement of rd's cache. */
static argus_read_entry *cache_entry(argus_read *rd, unsigned i)
{
    return (argus_read_entry *)((char *)rd->cache + i * rd->driver->stmt_size);
}

/* Frees what e holds (its driver's part and its text), leaving e itself. */
static void entry_release(argus_read *rd, argus_read_entry *e)
{
    rd->driver->release(&e->base);
    free(e->sql);
}

/* Marks e as handed out and used now. */
static void take(argus_read *rd, argus_read_entry *e)
{
    e->in_use = 1;
    e->used = ++rd->clock;
}

/* A free cached statement of this text (taken), or NULL with *lru the slot to prepare it into:
 * an empty one or the least recently used free one (NULL when all are in use). */
static argus_read_entry *cache_find(argus_read *rd, const char *sql, int len,
                                    argus_read_entry **lru)
{
    *lru = NULL;
    for (unsigned i = 0; i < rd->limits.cache; i++) {
        argus_read_entry *c = cache_entry(rd, i);
        if (c->in_use)
            continue;
        if (c->sql && c->len == len && memcmp(c->sql, sql, (size_t)len) == 0) {
            take(rd, c);
            return c;
        }
        if (!*lru || !c->sql || ((*lru)->sql && c->used < (*lru)->used))
            *lru = c;
    }
    return NULL;
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
    argus_read *rd = calloc(1, d->read->size);
    if (rd) {
        rd->driver = d->read;
        rd->limits = *limits;
        if (rd->limits.cache == 0)
            rd->limits.cache = 1;
        rd->cache = calloc(rd->limits.cache, d->read->stmt_size);
    }
    if (!rd || !rd->cache) {
        free(rd);
        snprintf(msg, msglen, "read: out of memory");
        return ARGUS_READ_NOMEM;
    }
    int rc = d->read->open(rd, cfg, msg, msglen);
    if (rc != ARGUS_READ_OK) {
        argus_read_close(rd);
        return rc;
    }
    *out = rd;
    return ARGUS_READ_OK;
}

void argus_read_close(argus_read *rd)
{
    if (!rd)
        return;
    for (unsigned i = 0; i < rd->limits.cache; i++)
        entry_release(rd, cache_entry(rd, i));
    free(rd->cache);
    rd->driver->close(rd);
    free(rd);
}

int argus_read_prepare(argus_read *rd, const char *sql, int len, argus_read_stmt **out)
{
    if (len < 0)
        len = (int)strlen(sql);
    rd->err[0] = 0;
    argus_read_entry *lru;
    argus_read_entry *e = cache_find(rd, sql, len, &lru);
    if (e) {
        *out = &e->base;
        return ARGUS_READ_OK;
    }
    *out = NULL;
    /* prepared apart, so that a failure leaves the slot's old statement where it was */
    e = calloc(1, rd->driver->stmt_size);
    char *copy = lru ? malloc((size_t)len + 1) : NULL;
    if (!e || (lru && !copy)) {
        free(e);
        free(copy);
        snprintf(rd->err, sizeof rd->err, "out of memory");
        return ARGUS_READ_NOMEM;
    }
    e->base.rd = rd;
    int rc = rd->driver->prepare(&e->base, sql, len, lru != NULL);
    if (rc != ARGUS_READ_OK) {
        entry_release(rd, e);
        free(e);
        free(copy);
        return rc;
    }
    if (lru) {
        entry_release(rd, lru);
        memcpy(lru, e, rd->driver->stmt_size);
        free(e);
        e = lru;
        memcpy(copy, sql, (size_t)len);
        copy[len] = 0;
        e->sql = copy;
        e->len = len;
        e->cached = 1;
    }
    take(rd, e);
    *out = &e->base;
    return ARGUS_READ_OK;
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
    if (!st)
        return;
    argus_read *rd = st->rd;
    argus_read_entry *e = (argus_read_entry *)st;
    rd->driver->reset(st);
    if (e->cached) {
        e->in_use = 0;
        return;
    }
    entry_release(rd, e);
    free(e);
}

const char *argus_read_error(const argus_read *rd)
{
    return rd->err;
}

const char *argus_read_backend(const argus_read *rd)
{
    return rd->driver->name;
}
