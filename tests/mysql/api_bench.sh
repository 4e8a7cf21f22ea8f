#!/usr/bin/env bash
# The REST API on MariaDB (prints figures, asserts nothing): a private MariaDB (tests/mysql/mariadb.sh,
# 512 MiB buffer pool) with the UDFs installed, then tests/bench/api_bench.mjs against it: loads
# SPANS spans and as many logs with argus-loadgen plus a 10k-span trace, and prints p50/p95 and
# CPU per request (argus-server's and mariadbd's) of the main routes over 15m / 1h / 24h, and
# wrk -c32 req/s.
#   tests/mysql/api_bench.sh build [spans]         # default 1,000,000
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SPANS=${2:-1000000}
. tests/mysql/mariadb.sh
PLUGINS=$(mktemp -d /tmp/argus-plugins.XXXXXX)
install -m 755 "$BUILD/argus_udf.so" "$PLUGINS/argus_udf.so"
trap 'mariadb_stop; rm -rf "$PLUGINS"' EXIT
ARGUS_MARIADB_BUFFER_POOL=${ARGUS_MARIADB_BUFFER_POOL:-512M} mariadb_start "$PLUGINS" || exit 1
mdb <sql/mysql/install.sql || exit 1
echo "MariaDB $(mdb -N -e 'SELECT VERSION()'), buffer pool ${ARGUS_MARIADB_BUFFER_POOL:-512M}"
ARGUS_TEST_MYSQL_URL="mysql://root@127.0.0.1:$MARIADB_PORT" ARGUS_TEST_MYSQL_SOCKET=$MARIADB_SOCK \
    ARGUS_BENCH_DB_PID=$MARIADB_PID node tests/bench/api_bench.mjs "$BUILD" "$SPANS"
