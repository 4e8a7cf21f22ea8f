#!/usr/bin/env bash
# The MariaDB storage backend end to end (part of the mysql layer; sourced by tests/mysql/run.sh
# with a private MariaDB running): argus-server with ARGUS_DB=mysql://... receives the OpenTelemetry
# JS SDK captures of tests/fixtures over OTLP/HTTP (protobuf and JSON), and every stored row --
# spans, log records, resources, trace summaries, rollups with their sketches -- must equal, field
# by field, what the SQLite backend stores for the same requests (argus_store() in sqlite3).
# Also: a retried request is stored once, a restart continues the ids, a bad request is refused
# with 400 and stores nothing, MariaDB down at start gives a clear error and /readyz not ready.
#   MARIADB_PORT=... MARIADB_SOCK=... tests/mysql/backend.sh build   # as tests/mysql/run.sh does
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. tests/lib.sh
. tests/mysql/mariadb.sh
PORT=${MARIADB_PORT:?a private MariaDB must be running (tests/mysql/mariadb.sh)}
: "${MARIADB_SOCK:?}"
WORK=$(mktemp -d /tmp/argus-backend.XXXXXX)
SERVER_PID=

SERVER=${ARGUS_SERVER:-$BUILD/argus-server} # ARGUS_SERVER: e.g. an ASan build of it
start_server() { # db url [more flags]; sets OTLP, API (new ports when one was taken meanwhile)
    local try url=$1
    shift
    for try in 1 2 3; do
        OTLP=$(mariadb_free_port)
        API=$(mariadb_free_port)
        GRPC=$(mariadb_free_port)
        : >"$WORK/start.log"
        "$SERVER" --db "$url" --grpc-listen "127.0.0.1:$GRPC" --otlp-http-listen "127.0.0.1:$OTLP" \
            --http-listen "127.0.0.1:$API" --insight-worker off --retention off \
            --batch-latency-ms 5 "$@" >>"$WORK/start.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 100); do
            if curl -s -o /dev/null "http://127.0.0.1:$API/healthz" 2>/dev/null; then
                cat "$WORK/start.log" >>"$WORK/server.log"
                return 0
            fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        stop_server
        cat "$WORK/start.log" >>"$WORK/server.log"
        grep -q "cannot listen" "$WORK/start.log" || return 1
    done
    return 1
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
post() { # path, content type, file -> HTTP status
    curl -s -o "$WORK/answer" -w '%{http_code}' -X POST -H "Content-Type: $2" \
        --data-binary @"$3" "http://127.0.0.1:$OTLP$1"
}
# One request over HTTP or gRPC: "200" when all of it was stored, else what was answered.
send() { # http|grpc, path (http) or signal (grpc), content type, file
    local code
    if [ "$1" = grpc ]; then
        code=$(node tests/mysql/otlp_limits.mjs grpc "127.0.0.1:$GRPC" "$2" "$4")
        [ "$code" = "0 " ] && echo 200 || echo "grpc:${code:0:200}"
        return
    fi
    code=$(post "$2" "$3" "$4")
    if [ "$code" = 200 ] && [ "$3" = application/json ] && [ "$(cat "$WORK/answer")" != "{}" ]; then
        code="200:$(head -c 200 "$WORK/answer")"
    fi
    echo "$code"
}
trap 'stop_server; rm -rf "$WORK"' EXIT

URL="mysql://root@127.0.0.1:$PORT/argus_backend"
if ! start_server "$URL"; then
    fail mysql/backend/start "argus-server did not start on MariaDB: $(tail -3 "$WORK/server.log")"
    exit 0
fi
pass mysql/backend/start

# Long values: a 500-character service name, a 70,000-character span name (OTLP/JSON).
node -e '
const svc = "svc-" + "x".repeat(496), name = "op " + "n".repeat(69997);
const span = { traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174",
  name, kind: 2, startTimeUnixNano: "1714564800000000000", endTimeUnixNano: "1714564800100000000" };
process.stdout.write(JSON.stringify({ resourceSpans: [{ resource: { attributes: [
  { key: "service.name", value: { stringValue: svc } }] }, scopeSpans: [{ spans: [span] }] }] }));
' >"$WORK/long.json"

# Values at OTLP's edges (tests/mysql/otlp_limits.mjs): service names of 5,000 and 70,000
# characters, a 200 KB span name, a 20 KB attribute key, a 300 KB value, unknown enums, uint32
# maxima -- stored whole over OTLP/HTTP and gRPC, as SQLite stores them.
node tests/mysql/otlp_limits.mjs write "$WORK"

# The same requests into both backends.
REQS="http /v1/traces application/json $WORK/long.json
http /v1/traces application/x-protobuf tests/fixtures/traces.pb
http /v1/logs application/json tests/fixtures/logs.json
http /v1/traces application/x-protobuf tests/fixtures/hand/spans_split_a.pb
http /v1/traces application/x-protobuf tests/fixtures/hand/spans_split_b.pb
http /v1/logs application/x-protobuf tests/fixtures/hand/logs_basic.pb
http /v1/traces application/json tests/fixtures/traces.json
http /v1/traces application/json $WORK/limits_traces.json
grpc traces application/x-protobuf $WORK/limits_traces.pb
http /v1/logs application/json $WORK/limits_logs.json
grpc logs application/x-protobuf $WORK/limits_logs.pb"
codes=""
store_sql=""
while read -r via path type file; do
    codes="$codes $(send "$via" "$path" "$type" "$file")"
    store_sql="$store_sql SELECT argus_store(readfile('$file'));"
done <<<"$REQS"
if [ "$codes" = "$(printf ' 200%.0s' $(seq 11))" ]; then pass mysql/backend/ingest; else
    fail mysql/backend/ingest "expected eleven 200 answers with nothing rejected, got$codes"
fi
rm -f "$WORK/ref.db"
sqlite3 "$WORK/ref.db" -cmd ".load $BUILD/argus" -cmd ".output /dev/null" \
    "SELECT argus_migrate(); $store_sql" >/dev/null 2>&1

# Row by row: text as hex, so both clients print the same bytes.
declare -A Q=(
    [spans]="SELECT id, trace_id, span_id, coalesce(parent_span_id, 'NULL'), hex(coalesce(trace_state, 'NULL')),
        flags, hex(name), kind, start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
        hex(coalesce(status_message, 'NULL')), hex(service_name), hex(attributes), hex(events),
        hex(links), resource_id, hex(coalesce(scope_name, 'NULL')), hex(coalesce(scope_version, 'NULL')),
        dropped_attributes_count, dropped_events_count, dropped_links_count FROM span_records ORDER BY id"
    [logs]="SELECT id, time_unix_nano, observed_time_unix_nano, severity_number,
        hex(coalesce(severity_text, 'NULL')), hex(coalesce(body, 'NULL')), coalesce(body_type, 'NULL'),
        hex(attributes), coalesce(trace_id, 'NULL'), coalesce(span_id, 'NULL'), flags,
        hex(coalesce(event_name, 'NULL')), hex(service_name), resource_id,
        hex(coalesce(scope_name, 'NULL')), hex(coalesce(scope_version, 'NULL')),
        dropped_attributes_count FROM log_records ORDER BY id"
    [resources]="SELECT id, hex(service_name), hex(attributes), hex(coalesce(schema_url, 'NULL'))
        FROM resources ORDER BY id"
    [traces]="SELECT trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns,
        hex(coalesce(root_service_name, 'NULL')), hex(coalesce(root_name, 'NULL')), has_root,
        span_count, error_count, hex(services) FROM traces ORDER BY trace_id"
    [rollups]="SELECT hex(service_name), minute_ns, requests, errors, hex(duration_sketch)
        FROM span_rollups ORDER BY service_name, minute_ns"
    [log_rollups]="SELECT hex(service_name), minute_ns, severity, count FROM log_rollups
        ORDER BY service_name, minute_ns, severity"
)
for t in spans logs resources traces rollups log_rollups; do
    sqlite3 -separator '	' "$WORK/ref.db" "${Q[$t]}" >"$WORK/$t.sqlite" 2>&1
    mdb -N -B argus_backend -e "${Q[$t]}" >"$WORK/$t.mariadb" 2>&1
    rows=$(wc -l <"$WORK/$t.sqlite")
    if [ "$rows" -gt 0 ] && cmp -s "$WORK/$t.sqlite" "$WORK/$t.mariadb"; then
        pass "mysql/backend/same-$t ($rows rows)"
    else
        fail "mysql/backend/same-$t" "expected the SQLite backend's $rows rows, got: $(diff "$WORK/$t.sqlite" "$WORK/$t.mariadb" | head -4 | cut -c1-300)"
    fi
done

# A database that cannot take the request now (a lock held past innodb_lock_wait_timeout, 1 s
# here) is not the data's fault: 503 + Retry-After (clients retry), never 500 or 400; the same
# request is stored once the lock is gone.
stop_server
start_server "$URL" --sqlite-busy-timeout-ms 1000 || fail mysql/backend/restart "argus-server did not start again"
sed 's/eee19b7ec3c1b174/eee19b7ec3c1b175/' "$WORK/long.json" >"$WORK/locked.json"
mdb argus_backend -e "START TRANSACTION; SELECT trace_id FROM traces WHERE trace_id = '5b8efff798038103d269b633813fc60c' FOR UPDATE; SELECT SLEEP(4); COMMIT" >/dev/null &
locker=$!
sleep 0.5
locked=$(curl -s -D "$WORK/headers" -o "$WORK/answer" -w '%{http_code}' -X POST \
    -H "Content-Type: application/json" --data-binary @"$WORK/locked.json" "http://127.0.0.1:$OTLP/v1/traces")
wait "$locker"
again=$(post /v1/traces application/json "$WORK/locked.json")
n=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records WHERE span_id = 'eee19b7ec3c1b175'")
if [ "$locked" = 503 ] && grep -qi "^retry-after: [1-9]" "$WORK/headers" && [ "$again" = 200 ] && [ "$n" = 1 ]; then
    pass mysql/backend/lock-timeout-is-503-retry-after
else
    fail mysql/backend/lock-timeout-is-503-retry-after "expected 503 with Retry-After, then 200 and the span stored once; got $locked ($(grep -i retry-after "$WORK/headers" | tr -d '\r')), $again, $n: $(head -c 200 "$WORK/answer")"
fi

# A retried request (same bytes) is stored once.
before=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
code=$(post /v1/traces application/x-protobuf tests/fixtures/traces.pb)
after=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
if [ "$code" = 200 ] && [ "$before" = "$after" ]; then pass mysql/backend/retry-stored-once; else
    fail mysql/backend/retry-stored-once "expected 200 and $before spans, got $code and $after"
fi

# The same request sent twelve times at once: a copy the writer takes into the transaction that
# holds the first is found among that transaction's request keys (written with its COMMIT), a
# later one among the stored keys. Every copy is answered 200, the span stored once.
sed 's/eee19b7ec3c1b174/eee19b7ec3c1b176/' "$WORK/long.json" >"$WORK/twice.json"
pids=""
for i in $(seq 12); do
    curl -s -o /dev/null -w '%{http_code}' -X POST -H "Content-Type: application/json" \
        --data-binary @"$WORK/twice.json" "http://127.0.0.1:$OTLP/v1/traces" >"$WORK/copy.$i" &
    pids="$pids $!"
done
wait $pids
codes=$(cat "$WORK"/copy.* | tr -d '\n')
n=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records WHERE span_id = 'eee19b7ec3c1b176'")
if [ "$codes" = "$(printf '200%.0s' $(seq 12))" ] && [ "$n" = 1 ]; then
    pass mysql/backend/copies-at-once-stored-once
else
    fail mysql/backend/copies-at-once-stored-once "expected twelve 200 answers and the span stored once, got '$codes' and $n"
fi

# A different resource stored under the id of the request's resource (a forged row: the id is a
# 63-bit hash, so a real collision cannot be made on purpose): refused with 400 / INVALID_ARGUMENT
# naming the collision over both transports, nothing of the request stored, never merged.
node tests/mysql/otlp_limits.mjs collide "$WORK"
rid=$(sqlite3 :memory: -cmd ".load $BUILD/argus" \
    "SELECT resource_id FROM otlp_span_resources(readfile('$WORK/collide.json'))")
mdb argus_backend -e "INSERT INTO resources (id, service_name, attributes) VALUES ($rid, 'forged', '{\"forged\":true}')"
before=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
code=$(post /v1/traces application/json "$WORK/collide.json")
grpc=$(node tests/mysql/otlp_limits.mjs grpc "127.0.0.1:$GRPC" traces "$WORK/collide.pb")
after=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
stored=$(mdb -N -B argus_backend -e "SELECT service_name, attributes FROM resources WHERE id = $rid")
if [ "$code" = 400 ] && grep -q "different resource is stored under this resource_id ($rid)" "$WORK/answer" &&
    [[ "$grpc" == "3 "*"different resource is stored under this resource_id ($rid)"* ]] &&
    [ "$before" = "$after" ] && [ "$stored" = 'forged	{"forged":true}' ]; then
    pass mysql/backend/resource-id-collision-refused
else
    fail mysql/backend/resource-id-collision-refused "expected 400 and gRPC 3 naming resource_id $rid, $before spans, the forged row kept; got $code '$(head -c 200 "$WORK/answer")', '$grpc', $after spans, '$stored'"
fi
mdb argus_backend -e "DELETE FROM resources WHERE id = $rid"
code=$(post /v1/traces application/json "$WORK/collide.json")
stored=$(mdb -N -B argus_backend -e "SELECT service_name FROM resources WHERE id = $rid")
if [ "$code" = 200 ] && [ "$stored" = collide ]; then pass mysql/backend/resource-stored-after-collision; else
    fail mysql/backend/resource-stored-after-collision "expected 200 and the request's resource stored, got $code and '$stored'"
fi

# The SQLite backend answers the same collision the same way (its trigger refuses it): 400.
stop_server
if start_server "sqlite:$WORK/collide.db"; then
    sqlite3 "$WORK/collide.db" "INSERT INTO resources (id, service_name, attributes) VALUES ($rid, 'forged', '{\"forged\":true}')"
    code=$(post /v1/traces application/json "$WORK/collide.json")
    if [ "$code" = 400 ] && grep -q "different resource is stored under this resource_id" "$WORK/answer"; then
        pass mysql/backend/sqlite-collision-refused-400
    else
        fail mysql/backend/sqlite-collision-refused-400 "expected 400 naming the collision, got $code '$(head -c 200 "$WORK/answer")'"
    fi
    stop_server
else
    fail mysql/backend/sqlite-collision-refused-400 "argus-server did not start on SQLite"
fi
start_server "$URL" || fail mysql/backend/restart "argus-server did not start again"

# Undecodable input: 400, nothing stored.
after=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
printf '\x0a\xff\xff' >"$WORK/bad.pb"
code=$(post /v1/traces application/x-protobuf "$WORK/bad.pb")
after2=$(mdb -N -B argus_backend -e "SELECT count(*) FROM span_records")
if [ "$code" = 400 ] && [ "$after2" = "$after" ]; then pass mysql/backend/bad-request; else
    fail mysql/backend/bad-request "expected 400 and $after spans, got $code and $after2"
fi

# /readyz is ready on a reachable MariaDB.
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/readyz")
if [ "$ready" = 200 ]; then pass mysql/backend/readyz; else
    fail mysql/backend/readyz "expected 200, got $ready: $(curl -s "http://127.0.0.1:$API/readyz")"
fi

# The API reads the same MariaDB (tests/api runs whole on MariaDB too, ARGUS_TEST_MYSQL_URL): the
# traces of the captures in April and May 2024, as many as the traces table holds.
want=$(mdb -N -B argus_backend -e "SELECT count(*) FROM traces WHERE start_time_unix_nano
    >= 1711929600000000000 AND start_time_unix_nano < 1717200000000000000")
api=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$API/api/traces?start=2024-04-01T00:00:00Z&end=2024-06-01T00:00:00Z&limit=1")
case "$api" in
*"\"total\": $want,"*" 200") pass mysql/backend/api-reads-mariadb ;;
*) fail mysql/backend/api-reads-mariadb "expected 200 with total $want, got '$api'" ;;
esac

# Deleting everything also empties the writer's cache of known resources: a resource seen before
# the delete is stored again with the next request that has it (else its records would point at
# no resource).
sed 's/eee19b7ec3c1b174/eee19b7ec3c1b177/' "$WORK/long.json" >"$WORK/before_delete.json"
sed 's/eee19b7ec3c1b174/eee19b7ec3c1b176/' "$WORK/long.json" >"$WORK/after_delete.json"
before=$(post /v1/traces application/json "$WORK/before_delete.json")
del=$(curl -s -o "$WORK/answer" -w '%{http_code}' -X DELETE "http://127.0.0.1:$API/api/data?confirm=delete-all-data")
code=$(post /v1/traces application/json "$WORK/after_delete.json")
orphans=$(mdb -N -B argus_backend -e "SELECT count(*), sum(resource_attributes IS NULL) FROM spans")
if [ "$before" = 200 ] && [ "$del" = 200 ] && [ "$code" = 200 ] && [ "$orphans" = "1	0" ]; then
    pass mysql/backend/resource-stored-again-after-delete
else
    fail mysql/backend/resource-stored-again-after-delete "expected 200, 200, 200 and one span with its resource, got $before, $del, $code, '$orphans': $(head -c 200 "$WORK/answer")"
fi

# A restart continues the ids where they were.
stop_server
start_server "$URL" || fail mysql/backend/restart "argus-server did not start again"
code=$(post /v1/logs application/x-protobuf tests/fixtures/logs.pb)
ids=$(mdb -N -B argus_backend -e "SELECT count(*) = max(id), count(DISTINCT id) = count(*) FROM log_records")
if [ "$code" = 200 ] && [ "$ids" = "1	1" ]; then pass mysql/backend/restart-continues-ids; else
    fail mysql/backend/restart-continues-ids "expected 200 and ids 1..n, got $code and '$ids'"
fi
stop_server

# Retention: every row is older than a second (the captures are from 2024), so everything goes,
# in chunks: spans with their traces, logs, rollups, request keys, then the resources.
counts="SELECT (SELECT count(*) FROM span_records) + (SELECT count(*) FROM log_records) +
    (SELECT count(*) FROM traces) + (SELECT count(*) FROM span_rollups) +
    (SELECT count(*) FROM resources) + (SELECT count(*) FROM log_rollups)"
start_server "$URL" --retention 1s || fail mysql/backend/retention "argus-server did not start"
left=x
for _ in $(seq 100); do
    left=$(mdb -N -B argus_backend -e "$counts")
    [ "$left" = 0 ] && break
    sleep 0.1
done
if [ "$left" = 0 ] && grep -q "purge finished kind=retention" "$WORK/server.log" "$WORK/start.log"; then
    pass mysql/backend/retention-purges-everything-old
else
    fail mysql/backend/retention-purges-everything-old "expected no rows left and a purge logged, got $left rows: $(grep -h purge "$WORK/start.log" | tail -2)"
fi
stop_server

# The insight worker on MariaDB (sql/mysql/jobs, with the UDFs run.sh installed): after ingest,
# every log record is tagged with its insight and pattern and log_patterns holds the patterns --
# the same values, row for row, as the worker gives on SQLite for the same requests, a user rule
# of insight_rules included.
RULE="INSERT INTO insight_rules (id, pattern, category, tags, summary, priority) VALUES
    (9001, 'card declined', 'payment', '[\"payment\",\"stripe\"]', 'A card was declined', 0),
    (9002, 'disk quota exceeded', 'quota-$(printf 'q%.0s' $(seq 200))', NULL, 'long category', 100)"
tagged() { # the query of the database (mdb or sqlite) -> 1 once every record is tagged
    "$@" "SELECT (SELECT last_id FROM argus_jobs WHERE name = 'insights') = (SELECT max(id) FROM log_records)" 2>/dev/null
}
insight_rows() { # mdb or sqlite command: the tags and the patterns, text as hex
    "$@" "SELECT id, coalesce(pattern_id, 'NULL'), hex(coalesce(insight, 'NULL')) FROM log_records ORDER BY id"
    "$@" "SELECT pattern_id, hex(template), count, first_seen_ns, last_seen_ns, hex(services),
        coalesce(category, 'NULL') FROM log_patterns ORDER BY pattern_id"
}
INS_REQS="/v1/logs application/json tests/fixtures/logs.json
/v1/logs application/x-protobuf tests/fixtures/hand/logs_basic.pb
/v1/logs application/x-protobuf tests/fixtures/logs.pb"
for backend in mariadb sqlite; do
    if [ $backend = mariadb ]; then
        url="mysql://root@127.0.0.1:$PORT/argus_insights" db=(mdb -N -B argus_insights -e)
    else
        url="sqlite:$WORK/insights.db" db=(sqlite3 -separator '	' "$WORK/insights.db")
    fi
    start_server "$url" --insight-worker on --insight-interval-ms 50 ||
        fail mysql/backend/insights-$backend "argus-server did not start"
    "${db[@]}" "$RULE"
    codes=""
    while read -r path type file; do codes="$codes $(post "$path" "$type" "$file")"; done <<<"$INS_REQS"
    for _ in $(seq 200); do
        [ "$(tagged "${db[@]}")" = 1 ] && break
        sleep 0.1
    done
    stop_server
    insight_rows "${db[@]}" >"$WORK/insights.$backend" 2>&1
    echo "$codes" >>"$WORK/insights.$backend"
done
n=$(mdb -N -B argus_insights -e "SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL")
p=$(mdb -N -B argus_insights -e "SELECT count(*), sum(category = 'payment') FROM log_patterns")
if cmp -s "$WORK/insights.mariadb" "$WORK/insights.sqlite" && [ "$n" -gt 0 ] && [ "${p%%	*}" -gt 0 ] &&
    [ "${p##*	}" -ge 1 ] && grep -q "^ 200 200 200$" "$WORK/insights.mariadb" &&
    grep -q "	quota-qqqq" "$WORK/insights.mariadb"; then
    pass "mysql/backend/insight-worker-same-as-sqlite ($n records tagged, ${p%%	*} patterns)"
else
    fail mysql/backend/insight-worker-same-as-sqlite "expected the SQLite worker's tags and patterns (with a 'payment' pattern and a 206-character category from the user rules), got $n tagged, patterns '$p': $(diff "$WORK/insights.sqlite" "$WORK/insights.mariadb" | head -4 | cut -c1-300)"
fi

# A small max_allowed_packet (1 MiB): a 1.2 MB request goes in slices; a single row bigger than
# half the packet is refused with a clear message instead of losing the connection.
mdb -e "SET GLOBAL max_allowed_packet = 1048576"
node -e '
const big = (n, len, seed) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [
  { key: "service.name", value: { stringValue: "big" } }] }, scopeSpans: [{ spans:
  Array.from({ length: n }, (_, i) => ({ traceId: seed + "000000000000000000000000",
    spanId: (i + 1).toString(16).padStart(16, "0"), name: "n".repeat(len), kind: 2,
    startTimeUnixNano: "1714564800000000000", endTimeUnixNano: "1714564800100000000" })) }] }] });
require("fs").writeFileSync(process.argv[1] + "/sliced.json", big(12, 100000, "aaaaaaaa"));
require("fs").writeFileSync(process.argv[1] + "/toobig.json", big(1, 700000, "bbbbbbbb"));
// three rows that go in (a slice each), then one too big: refused after part of it went in
const partial = JSON.parse(big(4, 300000, "dddddddd"));
partial.resourceSpans[0].scopeSpans[0].spans[3].name = "n".repeat(700000);
require("fs").writeFileSync(process.argv[1] + "/partial.json", JSON.stringify(partial));
// one trace over 8 services of 80,000 bytes: each row fits, its services list (640 KB) does not
require("fs").writeFileSync(process.argv[1] + "/wide.json", JSON.stringify({ resourceSpans:
  Array.from({ length: 8 }, (_, i) => ({ resource: { attributes: [{ key: "service.name",
    value: { stringValue: String.fromCharCode(97 + i).repeat(80000) } }] }, scopeSpans: [{ spans: [{
    traceId: "cccccccc000000000000000000000000", spanId: (i + 1).toString(16).padStart(16, "0"),
    name: "wide", kind: 2, startTimeUnixNano: "1714564800000000000",
    endTimeUnixNano: "1714564800100000000" }] }] })) }));
' "$WORK"
start_server "mysql://root@127.0.0.1:$PORT/argus_packet" || fail mysql/backend/packet "argus-server did not start"
code=$(post /v1/traces application/json "$WORK/sliced.json")
n=$(mdb -N -B argus_packet -e "SELECT count(*), sum(length(name)) FROM span_records")
if [ "$code" = 200 ] && [ "$n" = "12	1200000" ]; then pass mysql/backend/big-request-in-slices; else
    fail mysql/backend/big-request-in-slices "expected 200 and 12 spans of 100000 bytes, got $code and '$n'"
fi
# Refused after three of its slices went in (its resource already stored, so it had no savepoint
# of its own): what went in is taken back, nothing of it is stored.
code=$(post /v1/traces application/json "$WORK/partial.json")
n=$(mdb -N -B argus_packet -e "SELECT (SELECT count(*) FROM span_records WHERE trace_id LIKE 'dddddddd%'),
    (SELECT count(*) FROM traces WHERE trace_id LIKE 'dddddddd%')")
if [ "$code" = 400 ] && grep -q "max_allowed_packet" "$WORK/answer" && [ "$n" = "0	0" ]; then
    pass mysql/backend/refused-after-slices-nothing-stored
else
    fail mysql/backend/refused-after-slices-nothing-stored "expected 400 naming max_allowed_packet, nothing of trace dddddddd stored; got $code, '$n': $(head -c 300 "$WORK/answer")"
fi
code=$(post /v1/traces application/json "$WORK/toobig.json")
if [ "$code" = 400 ] && grep -q "max_allowed_packet" "$WORK/answer" && kill -0 "$SERVER_PID"; then
    pass mysql/backend/row-too-big-refused-clearly
else
    fail mysql/backend/row-too-big-refused-clearly "expected a 400 naming max_allowed_packet, got $code: $(head -c 300 "$WORK/answer")"
fi
# The merged rows of a transaction go out at its commit: one the database refuses (the traces
# summary's services list is bigger than half the packet) retries the whole transaction (503),
# and the retry, written request by request, refuses that request alone (400). Nothing of it is
# stored; other requests are.
first=$(post /v1/traces application/json "$WORK/wide.json")
second=$(post /v1/traces application/json "$WORK/wide.json")
grep -q "max_allowed_packet" "$WORK/answer" && named=1 || named=0
third=$(post /v1/traces application/json tests/fixtures/traces.json)
n=$(mdb -N -B argus_packet -e "SELECT (SELECT count(*) FROM span_records WHERE trace_id LIKE 'cccccccc%'),
    (SELECT count(*) FROM traces WHERE trace_id LIKE 'cccccccc%'),
    (SELECT count(*) > 0 FROM span_records WHERE trace_id NOT LIKE 'aaaaaaaa%')")
if [ "$first $second $named $third" = "503 400 1 200" ] && [ "$n" = "0	0	1" ]; then
    pass mysql/backend/merged-row-refused-alone
else
    fail mysql/backend/merged-row-refused-alone "expected 503 then 400 naming max_allowed_packet, then 200 for another request, nothing of the trace stored; got $first $second $named $third, stored '$n'"
fi

# What a request merges with is read while the writer inserts (a second connection that sees
# only what is committed); what the open transaction itself wrote must still count. Requests
# sent together so that they share one transaction (batch latency 400 ms):
one_span() { # service trace-id span-id -> OTLP/JSON
    printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"%s"}}]},"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","name":"op","kind":2,"startTimeUnixNano":"1714564800000000000","endTimeUnixNano":"1714564800100000000"}]}]}]}' "$1" "$2" "$3"
}
together() { # files...: posted 50 ms apart, all at once in flight; their codes in order
    local f i=0
    for f in "$@"; do
        curl -s -o /dev/null -w '%{http_code}' -X POST -H "Content-Type: application/json" \
            --data-binary @"$f" "http://127.0.0.1:$OTLP/v1/traces" >"$WORK/together.$i" &
        i=$((i + 1))
        sleep 0.05
    done
    wait
    for ((i = 0; i < $#; i++)); do printf '%s ' "$(cat "$WORK/together.$i")"; done
}
stop_server
start_server "mysql://root@127.0.0.1:$PORT/argus_txn" --batch-latency-ms 400 ||
    fail mysql/backend/txn-start "argus-server did not start"
# A request refused in the middle (a resource collision) must not make the transaction forget
# the resource an earlier request of it stored: a later request of that service is stored, the
# resource once.
one_span txn-new eeeeeeee000000000000000000000001 0000000000000001 >"$WORK/txn_a.json"
one_span txn-victim eeeeeeee000000000000000000000002 0000000000000002 >"$WORK/txn_b.json"
one_span txn-new eeeeeeee000000000000000000000003 0000000000000003 >"$WORK/txn_c.json"
rid=$(sqlite3 :memory: -cmd ".load $BUILD/argus" \
    "SELECT resource_id FROM otlp_span_resources(readfile('$WORK/txn_b.json'))")
mdb argus_txn -e "INSERT INTO resources (id, service_name, attributes) VALUES ($rid, 'forged', '{\"forged\":true}')"
codes=$(together "$WORK/txn_a.json" "$WORK/txn_b.json" "$WORK/txn_c.json")
n=$(mdb -N -B argus_txn -e "SELECT (SELECT group_concat(right(trace_id, 1) ORDER BY trace_id) FROM span_records),
    (SELECT count(*) FROM resources WHERE service_name = 'txn-new')")
if [ "$codes" = "200 400 200 " ] && [ "$n" = "1,3	1" ]; then
    pass mysql/backend/refused-request-keeps-transaction-resources
else
    fail mysql/backend/refused-request-keeps-transaction-resources "expected 200 400 200, traces 1 and 3 stored, the resource once; got '$codes', '$n'"
fi
# After a merged row was refused (writing each request's merged rows itself for a minute), two
# requests of one trace in one transaction: the traces summary counts both.
first=$(post /v1/traces application/json "$WORK/wide.json")
one_span txn-each ffffffff000000000000000000000001 0000000000000001 >"$WORK/txn_d.json"
one_span txn-each ffffffff000000000000000000000001 0000000000000002 >"$WORK/txn_e.json"
codes=$(together "$WORK/txn_d.json" "$WORK/txn_e.json")
n=$(mdb -N -B argus_txn -e "SELECT span_count FROM traces WHERE trace_id = 'ffffffff000000000000000000000001'")
if [ "$first" = 503 ] && [ "$codes" = "200 200 " ] && [ "$n" = 2 ]; then
    pass mysql/backend/each-mode-merges-transaction-rows
else
    fail mysql/backend/each-mode-merges-transaction-rows "expected 503, then 200 200 and a summary of 2 spans; got $first, '$codes', '$n'"
fi
stop_server
mdb -e "SET GLOBAL max_allowed_packet = 268435456"

# No MariaDB there: a clear error, no fallback anywhere else.
dead=$(mariadb_free_port)
"$BUILD/argus-server" --db "mysql://root@127.0.0.1:$dead/argus" --grpc-listen off \
    --otlp-http-listen off --http-listen off >"$WORK/dead.log" 2>&1 &
pid=$!
sleep 1.5
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if grep -q "connecting to 127.0.0.1:$dead" "$WORK/dead.log"; then
    pass mysql/backend/unreachable-clear-error
else
    fail mysql/backend/unreachable-clear-error "expected an error naming 127.0.0.1, got: $(head -3 "$WORK/dead.log")"
fi
