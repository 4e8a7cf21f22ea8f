#!/usr/bin/env bash
# The `mysql` test layer: a private MariaDB server (tests/mysql/mariadb.sh) with argus_udf.so
# from build dir $1 in its plugin directory; install / reinstall / upgrade in place / uninstall
# of the UDFs, errors that fail a statement without hurting the server, SQLite-MariaDB parity
# (tests/mysql/parity), the standalone entry-point harness, the examples of docs/mysql.md, and
# argus-server on MariaDB: rows vs SQLite, MariaDB killed under load, MariaDB down at start.
#   tests/mysql/run.sh build            # results to $ARGUS_RESULTS ("ok ..." / "not ok ...")
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${1:-build}
. tests/lib.sh
. tests/mysql/mariadb.sh

for need in "$BUILD/argus_udf.so" "$BUILD/tests/mysql/parity" "$BUILD/tests/mysql/udf_harness"; do
    if [ ! -e "$need" ]; then
        fail mysql/build "$need was not built (libmariadb-dev missing?)"
        exit 0
    fi
done
for tool in mariadbd mariadb-install-db mariadb; do
    if ! command -v $tool >/dev/null; then
        fail mysql/server "$tool not found: install the Debian packages mariadb-server mariadb-client"
        exit 0
    fi
done

# The entry points called directly (no server): symbols of install.sql, lifecycle, garbage.
"$BUILD/tests/mysql/udf_harness" "$BUILD/argus_udf.so" sql/mysql/install.sql "$ROOT" 200 \
    2>>"$BUILD/mysql.log" | record_tap mysql/harness

# The plugin directory is ours (a copy of the library), so that the upgrade test can replace it.
PLUGINS=$(mktemp -d /tmp/argus-plugins.XXXXXX)
install -m 755 "$BUILD/argus_udf.so" "$PLUGINS/argus_udf.so"
if ! mariadb_start "$PLUGINS" 2>>"$BUILD/mysql.log"; then
    fail mysql/server "the private MariaDB did not start; see $BUILD/mysql.log"
    rm -rf "$PLUGINS"
    exit 0
fi
trap 'mariadb_stop; rm -rf "$PLUGINS"' EXIT

expect() { # name, expected output (the last line printed), sql
    local got
    got=$(mdb -N -B -e "$3" 2>&1 | tail -n 1)
    if [ "$got" = "$2" ]; then pass "mysql/$1"; else
        fail "mysql/$1" "expected '$2', got '$got'"
    fi
}
NFUNCS=$(grep -c '^CREATE ' sql/mysql/install.sql)

# Install, twice.
if mdb <sql/mysql/install.sql 2>>"$BUILD/mysql.log"; then pass mysql/install; else
    fail mysql/install "mariadb < sql/mysql/install.sql failed; see $BUILD/mysql.log"
fi
if mdb <sql/mysql/install.sql 2>>"$BUILD/mysql.log"; then pass mysql/install-twice; else
    fail mysql/install-twice "a second install.sql failed; see $BUILD/mysql.log"
fi
expect functions-installed "$NFUNCS" "SELECT count(*) FROM mysql.func WHERE dl = 'argus_udf.so'"
expect aggregates-installed "percentile,sketch_of,sketch_merge,waterfall_json,arg_min,json_group_set" \
    "SELECT group_concat(name ORDER BY FIELD(name, 'percentile', 'sketch_of', 'sketch_merge',
     'waterfall_json', 'arg_min', 'json_group_set')) FROM mysql.func WHERE type = 'aggregate'"
expect time-bucket "1699999980000000000" "SELECT time_bucket(1700000012345678901, 60000000000)"

# Errors: a clear message, the statement fails, the server lives on.
expect error-message "ERROR 1105 (HY000) at line 1: time_bucket: ts_ns must be an integer" \
    "SELECT time_bucket('soon', 60000000000)"
expect error-in-aggregate "ERROR 1105 (HY000) at line 1: percentile: p must be a number between 0 and 1" \
    "SELECT percentile(x, NULL) FROM (SELECT 1 AS x UNION ALL SELECT 2) t"
expect error-arity "ERROR 1123 (HY000) at line 1: Can't initialize function 'time_bucket'; time_bucket: expects 2 arguments, got 1" \
    "SELECT time_bucket(1)"
expect garbage-payload "ERROR 1105 (HY000) at line 1: otlp_spans_json: protobuf: truncated length-delimited field 1 of TracesData at offset 0" \
    "SELECT otlp_spans_json(x'0aff')"
if mariadb_alive; then pass mysql/server-alive-after-errors; else
    fail mysql/server-alive-after-errors "mariadbd stopped answering after the error tests"
fi

# Parity with SQLite: fixtures, SDK captures, thousands of generated inputs.
"$BUILD/tests/mysql/parity" "$MARIADB_SOCK" "$ROOT" 2>>"$BUILD/mysql.log" | record_tap mysql/parity
if mariadb_alive; then pass mysql/server-alive-after-parity; else
    fail mysql/server-alive-after-parity "mariadbd died during the parity run; see $MARIADB_DIR/error.log"
fi

# The storage backend: argus-server on this MariaDB, rows compared with the SQLite backend's.
if [ -x "$BUILD/argus-server" ]; then
    MARIADB_PORT=$MARIADB_PORT MARIADB_SOCK=$MARIADB_SOCK tests/mysql/backend.sh "$BUILD"
else
    fail mysql/backend "$BUILD/argus-server was not built"
fi
# The API's operation and pattern rollups (perf; sql/mysql/004_api_rollups.sql).
[ -x "$BUILD/argus-server" ] &&
    MARIADB_PORT=$MARIADB_PORT MARIADB_SOCK=$MARIADB_SOCK tests/mysql/api_rollups.sh "$BUILD"

# MariaDB killed and restarted under load (its own private server).
tests/mysql/faults.sh "$BUILD"

# argus-server started while MariaDB is down, then MariaDB started (its own private server).
tests/mysql/start_down.sh "$BUILD"

# docs/mysql.md: every ```mysql example, its ```output compared.
mdb -e "CREATE DATABASE IF NOT EXISTS argus_docs" &&
    node tests/mysql/run_docs.mjs docs/mysql.md "$MARIADB_SOCK" "$ROOT/tests/fixtures/" |
    record_tap mysql/docs

# Upgrade in place: a new file (new inode) under the same name; install.sql drops every function
# first, so the server unloads the old library and loads the new one.
maps_inodes() { awk '/argus_udf\.so/ {print $5 ($7 == "(deleted)" ? "-deleted" : "")}' \
    "/proc/$MARIADB_PID/maps" | sort -u | tr '\n' ' '; }
old=$(stat -c %i "$PLUGINS/argus_udf.so")
cp "$BUILD/argus_udf.so" "$PLUGINS/argus_udf.so.new" && mv "$PLUGINS/argus_udf.so.new" "$PLUGINS/argus_udf.so"
new=$(stat -c %i "$PLUGINS/argus_udf.so")
mdb <sql/mysql/install.sql 2>>"$BUILD/mysql.log"
mapped=$(maps_inodes)
if [ "$old" != "$new" ] && [ "$mapped" = "$new " ]; then pass mysql/upgrade-in-place; else
    fail mysql/upgrade-in-place "expected only inode $new mapped after install.sql (old $old), got '$mapped'"
fi
expect after-upgrade "$(sqlite3 :memory: -cmd ".load $BUILD/argus" "SELECT log_pattern_id('user 42 logged in')")" \
    "SELECT log_pattern_id('user 42 logged in')"

# Uninstall: no function left, the library unloaded.
mdb <sql/mysql/uninstall.sql 2>>"$BUILD/mysql.log"
expect uninstall "0" "SELECT count(*) FROM mysql.func WHERE dl = 'argus_udf.so'"
if [ -z "$(maps_inodes)" ]; then pass mysql/uninstall-unloads; else
    fail mysql/uninstall-unloads "argus_udf.so still mapped after uninstall.sql: $(maps_inodes)"
fi
mdb <sql/mysql/uninstall.sql 2>>"$BUILD/mysql.log" && pass mysql/uninstall-twice ||
    fail mysql/uninstall-twice "a second uninstall.sql failed"
