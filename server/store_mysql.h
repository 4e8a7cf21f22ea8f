/* What the MariaDB/MySQL read side (store_read_mysql.c) shares with the write side
 * (store_mysql.c): one way to connect to ARGUS_DB's server.
 *   unsigned err; MYSQL *db = argus_mysql_connect(cfg, &err, msg, sizeof msg);
 */
#ifndef ARGUS_STORE_MYSQL_H
#define ARGUS_STORE_MYSQL_H

#include "config.h"

#include <mysql.h>
#include <stddef.h>

/* A connection to cfg's server and existing database, utf8mb4, connect/read/write timeouts set;
 * never another host. NULL with msg and *err (the server's or client's error number). */
MYSQL *argus_mysql_connect(const argus_config *cfg, unsigned *err, char *msg, size_t msglen);

#endif
