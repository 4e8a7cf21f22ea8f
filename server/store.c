/* The storage driver registry: which backend serves ARGUS_DB; see store.h.
 *   ARGUS_DB=sqlite:./data/argus.db argus-server     -> the SQLite driver (store_sqlite.c)
 *   ARGUS_DB=mysql://u:p@127.0.0.1:3306/argus ...    -> store_mysql.c (built in with the
 *                                                       MariaDB client library), else "mysql
 *                                                       backend not built"
 * A new backend adds one argus_store_driver and one line to `drivers`. */
#include "store.h"

#include <stdio.h>
#include <string.h>

static const argus_store_driver *const drivers[] = {
    &argus_store_sqlite,
#ifdef ARGUS_HAVE_MYSQL
    &argus_store_mysql,
    &argus_store_mariadb,
#endif
};

/* Drivers added at run time (tests wrap a real driver to inject faults). */
#define MAX_ADDED 8
static const argus_store_driver *added[MAX_ADDED];
static size_t n_added;

int argus_store_driver_add(const argus_store_driver *d)
{
    if (n_added == MAX_ADDED)
        return -1;
    added[n_added++] = d;
    return 0;
}

static int scheme_is(const char *scheme, const char *url, size_t n)
{
    return n && strlen(scheme) == n && strncmp(scheme, url, n) == 0;
}

/* Schemes known to Argus whose driver may be missing from this build. */
static const char *const known_schemes[] = {"sqlite", "mysql", "mariadb"};

const argus_store_driver *argus_store_driver_for(const char *db_url, char *msg, size_t msglen)
{
    const char *colon = strchr(db_url, ':');
    size_t n = colon ? (size_t)(colon - db_url) : 0;
    for (size_t i = 0; i < n_added; i++)
        if (scheme_is(added[i]->scheme, db_url, n))
            return added[i];
    for (size_t i = 0; i < sizeof drivers / sizeof *drivers; i++)
        if (scheme_is(drivers[i]->scheme, db_url, n))
            return drivers[i];
    for (size_t i = 0; i < sizeof known_schemes / sizeof *known_schemes; i++)
        if (scheme_is(known_schemes[i], db_url, n)) {
            snprintf(msg, msglen,
                     "store: the %s backend is not built in this binary (ARGUS_DB=%.*s:...); "
                     "use sqlite:<path>",
                     known_schemes[i], (int)n, db_url);
            return NULL;
        }
    snprintf(msg, msglen,
             "store: ARGUS_DB names no known database (expected sqlite:<path>), got '%.200s'",
             db_url);
    return NULL;
}

int argus_store_open(argus_store **out, const argus_config *cfg, char *msg, size_t msglen)
{
    *out = NULL;
    const argus_store_driver *d = argus_store_driver_for(cfg->db_url, msg, msglen);
    if (!d)
        return ARGUS_STORE_REJECT;
    return d->open(out, cfg, msg, msglen);
}

int argus_store_probe(argus_store *st, char *msg, size_t msglen)
{
    const argus_store_driver *d = st->driver;
    int res = d->begin(st, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = d->exec(st, d->probe_sql, msg, msglen);
    if (res == ARGUS_STORE_OK)
        res = d->commit(st, msg, msglen);
    if (res != ARGUS_STORE_OK)
        d->rollback(st);
    return res;
}
