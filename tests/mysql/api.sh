#!/usr/bin/env bash
# The `mysql-api` test layer: the REST API suites (tests/api) or the browser tests (tests/web)
# against a private MariaDB (tests/mysql/mariadb.sh) with the Argus functions installed, every
# argus-server of the suites storing in a database of its own there (tests/server/lib.mjs's
# MariaDB mode: ARGUS_TEST_MYSQL_URL, ARGUS_TEST_MYSQL_SOCKET). Prints the suites' TAP.
#   tests/mysql/api.sh build api [suites...]   # tests/api/run.sh's suites (default: all)
#   tests/mysql/api.sh build browser           # tests/web/run.sh; screenshots in build/screenshots-mysql
#   ARGUS_UDF_BUILD=build tests/mysql/api.sh build-asan api   # an ASan server (MariaDB loads build/'s UDFs)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WHAT=${2:-api}
shift 2 || shift $#
. tests/mysql/mariadb.sh
for tool in mariadbd mariadb-install-db mariadb; do
    if ! command -v $tool >/dev/null; then
        echo "not ok 1 - mysql-api/setup: expected $tool (Debian: mariadb-server mariadb-client), got nothing"
        exit 1
    fi
done
UDF=${ARGUS_UDF_BUILD:-$BUILD}/argus_udf.so
if [ ! -e "$UDF" ]; then
    echo "not ok 1 - mysql-api/setup: expected $UDF to be built, got nothing"
    exit 1
fi
PLUGINS=$(mktemp -d /tmp/argus-plugins.XXXXXX)
install -m 755 "$UDF" "$PLUGINS/argus_udf.so"
trap 'mariadb_stop; rm -rf "$PLUGINS"' EXIT
if ! mariadb_start "$PLUGINS" >&2 || ! mdb <sql/mysql/install.sql >&2; then
    echo "not ok 1 - mysql-api/mariadb: expected a private MariaDB with sql/mysql/install.sql, got none"
    exit 1
fi
export ARGUS_TEST_MYSQL_URL="mysql://root@127.0.0.1:$MARIADB_PORT" ARGUS_TEST_MYSQL_SOCKET=$MARIADB_SOCK
case "$WHAT" in
api) tests/api/run.sh "$BUILD" "$@" ;;
browser) tests/web/run.sh "$BUILD" ;;
*)
    echo "not ok 1 - mysql-api/usage: expected api or browser, got '$WHAT'"
    exit 1
    ;;
esac
