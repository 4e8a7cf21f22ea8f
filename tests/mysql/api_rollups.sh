#!/usr/bin/env bash
# The API's rollups on MariaDB (part of the mysql layer; sourced by tests/mysql/run.sh with a
# private MariaDB running): argus-server with ARGUS_DB=mysql://... receives the JS SDK captures and
# the hand-made split trace; span_operation_rollups must equal, row by row, what the SQLite
# backend stores for the same requests (argus_store() in sqlite3), and the log_pattern_rollups
# triggers must follow pattern_id as it is set, changed and cleared. Purge keeps them consistent.
#   MARIADB_PORT=... MARIADB_SOCK=... tests/mysql/api_rollups.sh build
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. tests/lib.sh
. tests/mysql/mariadb.sh
PORT=${MARIADB_PORT:?a private MariaDB must be running (tests/mysql/mariadb.sh)}
: "${MARIADB_SOCK:?}"
WORK=$(mktemp -d /tmp/argus-api-rollups.XXXXXX)
SERVER_PID=
DB=argus_api_rollups
cleanup() {
    [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # [more flags]; sets OTLP, API, SERVER_PID (empty when it did not start)
    local try
    for try in 1 2 3; do
        OTLP=$(mariadb_free_port)
        API=$(mariadb_free_port)
        "${ARGUS_SERVER:-$BUILD/argus-server}" --db "mysql://root@127.0.0.1:$PORT/$DB" \
            --grpc-listen off --otlp-http-listen "127.0.0.1:$OTLP" --http-listen "127.0.0.1:$API" \
            --insight-worker off --retention off --batch-latency-ms 5 "$@" >>"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 200); do
            curl -s -o /dev/null "http://127.0.0.1:$API/healthz" 2>/dev/null && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    done
}
start_server
if [ -z "$SERVER_PID" ]; then
    fail mysql/api-rollups/start "argus-server did not start: $(tail -3 "$WORK/server.log")"
    exit 0
fi

post() { # path content-type file
    curl -s -o /dev/null -w '%{http_code}' -X POST -H "Content-Type: $2" --data-binary "@$3" \
        "http://127.0.0.1:$OTLP$1"
}
ok=1
for f in tests/fixtures/traces.pb tests/fixtures/hand/spans_split_a.pb \
    tests/fixtures/hand/spans_split_b.pb; do
    code=$(post /v1/traces application/x-protobuf "$f")
    [ "$code" = 200 ] || { ok=0; fail mysql/api-rollups/ingest "expected 200 for $f, got $code"; }
done
[ $ok = 1 ] && pass mysql/api-rollups/ingest

# The same requests through the SQLite backend, then both tables in one canonical form.
ROWS="SELECT service_name, minute_ns, name, spans, errors, requests, request_errors
      FROM span_operation_rollups ORDER BY service_name, minute_ns, name"
sqlite_rows=$(argus_sqlite "$BUILD" :memory: 2>&1 <<SQL
.output /dev/null
SELECT argus_store(readfile('tests/fixtures/traces.pb'));
SELECT argus_store(readfile('tests/fixtures/hand/spans_split_a.pb'));
SELECT argus_store(readfile('tests/fixtures/hand/spans_split_b.pb'));
.output stdout
.mode tabs
$ROWS;
SQL
)
mysql_rows=$(mdb --default-character-set=utf8mb4 -N -B "$DB" -e "$ROWS" 2>&1)
if [ -n "$sqlite_rows" ] && [ "$sqlite_rows" = "$mysql_rows" ]; then
    pass mysql/api-rollups/operations-equal-sqlite
else
    fail mysql/api-rollups/operations-equal-sqlite "expected (SQLite) '$sqlite_rows', got '$mysql_rows'"
fi
expect_sql() { # name expected sql
    local got
    got=$(mdb -N -B "$DB" -e "$3" 2>&1 | tail -n 1)
    if [ "$got" = "$2" ]; then pass "mysql/api-rollups/$1"; else
        fail "mysql/api-rollups/$1" "expected '$2', got '$got'"
    fi
}
expect_sql operations-cover-spans 1 \
    "SELECT (SELECT sum(spans) FROM span_operation_rollups) = (SELECT count(*) FROM span_records)"

# Pattern rollups follow pattern_id, which the insight worker's UPDATE sets (argus-server never
# stores a record with one: migration 007 dropped the insert trigger).
code=$(post /v1/logs application/x-protobuf tests/fixtures/logs.pb)
[ "$code" = 200 ] && pass mysql/api-rollups/logs || fail mysql/api-rollups/logs "expected 200, got $code"
for _ in $(seq 100); do
    [ "$(mdb -N -B "$DB" -e 'SELECT count(*) > 2 FROM log_records' 2>/dev/null)" = 1 ] && break
    sleep 0.05
done
mdb "$DB" -e "UPDATE log_records SET pattern_id = 'aaaaaaaaaaaaaaaa' WHERE id <= 3;
              UPDATE log_records SET pattern_id = 'bbbbbbbbbbbbbbbb' WHERE id = 3;
              UPDATE log_records SET pattern_id = 'bbbbbbbbbbbbbbbb' WHERE id = 3;" 2>>"$WORK/server.log"
expect_sql patterns-tagged "aaaaaaaaaaaaaaaa 2 bbbbbbbbbbbbbbbb 1" \
    "SELECT group_concat(concat_ws(' ', pattern_id, n) ORDER BY pattern_id SEPARATOR ' ')
     FROM (SELECT pattern_id, sum(count) AS n FROM log_pattern_rollups
           GROUP BY pattern_id HAVING sum(count) > 0) p"
mdb "$DB" -e "UPDATE log_records SET pattern_id = NULL WHERE id = 1" 2>>"$WORK/server.log"
expect_sql patterns-match-records 1 \
    "SELECT NOT EXISTS (SELECT pattern_id, sum(count) FROM log_pattern_rollups GROUP BY pattern_id
                        HAVING sum(count) <> (SELECT count(*) FROM log_records l
                                               WHERE l.pattern_id = log_pattern_rollups.pattern_id))"

# Retention (the purge through the writer) removes the old minutes of both: the fixtures are
# from 2023-2024, a day's retention deletes them all.
kill -TERM "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
start_server --retention 1d
for _ in $(seq 200); do
    [ "$(mdb -N -B "$DB" -e 'SELECT count(*) FROM span_operation_rollups' 2>/dev/null)" = 0 ] && break
    sleep 0.05
done
expect_sql retention-empties-rollups "0 0 0" \
    "SELECT concat_ws(' ', (SELECT count(*) FROM span_records), (SELECT count(*) FROM span_operation_rollups),
                      (SELECT count(*) FROM log_pattern_rollups))"
kill -TERM "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
