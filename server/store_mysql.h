/* What the MariaDB/MySQL read side (store_read_mysql.c) shares with the write side
 * (store_mysql.c): one way to connect to ARGUS_DB's server, one way to number placeholders.
 *   unsigned err; MYSQL *db = argus_mysql_connect(cfg, &err, msg, sizeof msg);
 *   argus_mysql_placeholders(sql, len, out, map, &nmap, &nparams, msg, sizeof msg);
 */
#ifndef ARGUS_STORE_MYSQL_H
#define ARGUS_STORE_MYSQL_H

#include "config.h"

#include <mysql.h>
#include <stddef.h>

/* A connection to cfg's server and existing database, utf8mb4, connect/read/write timeouts set;
 * never another host. NULL with msg and *err (the server's or client's error number). */
MYSQL *argus_mysql_connect(const argus_config *cfg, unsigned *err, char *msg, size_t msglen);

/* SQLite's placeholders as MariaDB's: "?NNN" is parameter NNN (1 to 65535), a bare '?' the one
 * after the highest so far; quoted text and comments are copied as they are, trailing blanks and
 * ';' go, a ';' before the end is refused. Writes the statement to out (len + 1 bytes) and, for
 * the k-th '?' of out, the 0-based parameter it stands for to map[k] (len + 1 entries); *nmap is
 * the number of '?', *nparams the highest parameter. 0, or -1 with msg. */
int argus_mysql_placeholders(const char *sql, int len, char *out, int *map, int *nmap, int *nparams,
                             char *msg, size_t msglen);

#endif
