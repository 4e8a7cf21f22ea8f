#!/usr/bin/env bash
# Benchmark (prints, asserts nothing): log_template / log_pattern_id / ai_insight lines per
# second in SQLite and as MariaDB UDFs, on a private MariaDB server (tests/mysql/mariadb.sh).
#   tests/mysql/bench.sh build [rows]
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. tests/mysql/mariadb.sh
mariadb_start "$BUILD" || exit 1
trap mariadb_stop EXIT
mdb <sql/mysql/install.sql || exit 1
"$BUILD/tests/mysql/bench_udf" "$MARIADB_SOCK" "${2:-200000}" "$PWD"
