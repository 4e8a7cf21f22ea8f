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
# What query answers (tab-separated) once the SQLite backend stored the files (argus_store()).
sqlite_stored() { # query file...
    local query=$1 f stores=
    shift
    for f in "$@"; do stores+="SELECT argus_store(readfile('$f'));"$'\n'; done
    argus_sqlite "$BUILD" :memory: 2>&1 <<SQL
.output /dev/null
$stores.output stdout
.mode tabs
$query;
SQL
}
sqlite_rows=$(sqlite_stored "$ROWS" tests/fixtures/traces.pb tests/fixtures/hand/spans_split_a.pb \
    tests/fixtures/hand/spans_split_b.pb)
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

# Wide requests: thousands of services, resources, traces, rollup minutes and log groups in
# one request, and one trace that spans all of them (services listed once, sorted). The store
# indexes what it gathers (a list searched per span made such a request cost seconds); the rows
# must equal SQLite's. The second request merges with the stored rows of the first.
wide_traces() { # first last: services svc-first..svc-last, each a span of trace T and its own trace
    local i sep=
    printf '{"resourceSpans":['
    for ((i = $1; i <= $2; i++)); do
        printf '%s{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc-%d"}}]},' "$sep" "$i"
        printf '"scopeSpans":[{"spans":[{"traceId":"77777777777777777777777777777777","spanId":"%016x","kind":2,' "$((i + 1))"
        printf '"name":"op-%d","startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{"code":%d}},' \
            "$((i % 7))" "$((1700000000000000000 + i * 7000000000))" "$((1700000000000000000 + i * 7000000000 + i))" "$((i % 5 == 0 ? 2 : 0))"
        printf '{"traceId":"%032x","spanId":"%016x","name":"solo","startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}' \
            "$((i + 1))" "$((i + 100001))" "$((1700000000000000000 + i))" "$((1700000000000000000 + 2 * i))"
        sep=,
    done
    printf ']}'
}
wide_logs() { # services svc-0..svc-N-1, three severities each
    local i sep=
    printf '{"resourceLogs":['
    for ((i = 0; i < $1; i++)); do
        printf '%s{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc-%d"}}]},"scopeLogs":[{"logRecords":[' "$sep" "$i"
        printf '{"timeUnixNano":"%d","severityNumber":%d,"body":{"stringValue":"a"}},' "$((1700000000000000000 + i * 1000000000))" "$((i % 24 + 1))"
        printf '{"timeUnixNano":"%d","severityNumber":9,"body":{"stringValue":"b"}},' "$((1700000000000000000 + i * 1000000000))"
        printf '{"timeUnixNano":"%d","severityNumber":17,"body":{"stringValue":"c"}}]}]}' "$((1700000000000000000 + i * 1000000000 + 1))"
        sep=,
    done
    printf ']}'
}
wide_traces 0 2999 >"$WORK/wide1.json"
wide_traces 1500 4499 >"$WORK/wide2.json"
wide_logs 3000 >"$WORK/wide_logs.json"
ok=1
for f in wide1 wide2; do
    code=$(post /v1/traces application/json "$WORK/$f.json")
    [ "$code" = 200 ] || { ok=0; fail mysql/api-rollups/wide-ingest "expected 200 for $f, got $code"; }
done
code=$(post /v1/logs application/json "$WORK/wide_logs.json")
[ "$code" = 200 ] || { ok=0; fail mysql/api-rollups/wide-ingest "expected 200 for the logs, got $code"; }
[ $ok = 1 ] && pass mysql/api-rollups/wide-ingest
WIDE_TRACES="SELECT trace_id, start_time_unix_nano, end_time_unix_nano, root_service_name, root_name,
             has_root, span_count, error_count, services FROM traces
             WHERE trace_id = '77777777777777777777777777777777' OR trace_id LIKE '00000000000000000000000000000%'
             ORDER BY trace_id"
WIDE_ROLLUPS="SELECT service_name, minute_ns, requests, errors, hex(duration_sketch) FROM span_rollups
              WHERE service_name LIKE 'svc-%' ORDER BY service_name, minute_ns"
WIDE_LOGS="SELECT service_name, minute_ns, severity, count FROM log_rollups
           WHERE service_name LIKE 'svc-%' ORDER BY service_name, minute_ns, severity"
wide_sqlite=$(sqlite_stored "$WIDE_TRACES; $WIDE_ROLLUPS; $WIDE_LOGS" "$WORK/wide1.json" \
    "$WORK/wide2.json" "$WORK/wide_logs.json")
wide_mysql=$(mdb --default-character-set=utf8mb4 -N -B "$DB" -e "$WIDE_TRACES; $WIDE_ROLLUPS; $WIDE_LOGS" 2>&1)
if [ "$(printf '%s\n' "$wide_sqlite" | wc -l)" -gt 10000 ] && [ "$wide_sqlite" = "$wide_mysql" ]; then
    pass mysql/api-rollups/wide-equal-sqlite
else
    diff <(printf '%s\n' "$wide_sqlite") <(printf '%s\n' "$wide_mysql") | head -5 >"$WORK/wide.diff"
    fail mysql/api-rollups/wide-equal-sqlite "$(printf '%s\n' "$wide_sqlite" | wc -l) SQLite rows; first differences: $(cat "$WORK/wide.diff")"
fi
expect_sql wide-services 4500 \
    "SELECT json_length(services) FROM traces WHERE trace_id = '77777777777777777777777777777777'"

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
