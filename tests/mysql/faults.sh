#!/usr/bin/env bash
# MariaDB crashing under argus-server during ingest (part of the mysql layer): its own private
# MariaDB (tests/mysql/mariadb.sh), argus-server on it, argus-loadgen sending traces and logs over
# OTLP/gRPC with retries; mariadbd is killed (-9) and started again mid-run. Expected: /readyz
# says not ready while it is down, the server stays up and reconnects by itself, every request it
# acknowledged is stored, and none twice.
#   tests/mysql/faults.sh build        # results to $ARGUS_RESULTS
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. tests/lib.sh
. tests/mysql/mariadb.sh
mariadb_suite_start faults "$BUILD" argus-server argus-loadgen || exit 0
SERVER_PID=
LOADGEN_PID=
stop_all() {
    local p
    for p in $LOADGEN_PID $SERVER_PID; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    mariadb_stop
}
trap stop_all EXIT
W=$MARIADB_DIR
GRPC=$(mariadb_free_port)
API=$(mariadb_free_port)
"$BUILD/argus-server" --db "mysql://root@127.0.0.1:$MARIADB_PORT/argus_faults" \
    --grpc-listen "127.0.0.1:$GRPC" --otlp-http-listen off --http-listen "127.0.0.1:$API" \
    --insight-worker off --retention off >"$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$API/healthz" && break
    sleep 0.05
done
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/readyz"; }
wait_ready() { # expected code, tries of 0.1 s
    local code
    for _ in $(seq "$2"); do
        code=$(readyz)
        [ "$code" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
if wait_ready 200 50; then pass mysql/faults/ready-before; else
    fail mysql/faults/ready-before "expected /readyz 200, got $(readyz)"
fi

"$BUILD/argus-loadgen" --endpoint "127.0.0.1:$GRPC" --concurrent 4 --duration 8 \
    --spans-per-request 200 --logs-per-request 200 --retry 40 --timeout 60 >"$W/loadgen.out" 2>&1 &
LOADGEN_PID=$!
sleep 2.5
mariadb_kill
if wait_ready 503 50; then pass mysql/faults/not-ready-while-down; else
    fail mysql/faults/not-ready-while-down "expected /readyz 503 with MariaDB down, got $(readyz)"
fi
sleep 1.5
if ! mariadb_run; then
    fail mysql/faults/mariadb-restart "mariadbd did not start again"
    exit 0
fi
wait "$LOADGEN_PID"
LOADGEN_PID=
if kill -0 "$SERVER_PID" 2>/dev/null; then pass mysql/faults/server-stays-up; else
    fail mysql/faults/server-stays-up "argus-server exited: $(tail -3 "$W/server.log")"
    exit 0
fi
if wait_ready 200 100; then pass mysql/faults/ready-after-restart; else
    fail mysql/faults/ready-after-restart "expected /readyz 200 after MariaDB came back, got $(readyz): $(curl -s "http://127.0.0.1:$API/readyz")"
fi

result() { grep '^result:' "$W/loadgen.out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ACK_SPANS=$(result spans)
ACK_LOGS=$(result logs)
FAILED=$(result failed)
sleep 1 # the last batch's commit
q() { mdb -N -B argus_faults -e "$1"; }
SPANS=$(q "SELECT count(*) FROM span_records")
DUP_SPANS=$(q "SELECT count(*) - count(DISTINCT trace_id, span_id) FROM span_records")
LOGS=$(q "SELECT count(*) FROM log_records")
SUMMED=$(q "SELECT coalesce(sum(span_count), 0) FROM traces")
if [ -n "$ACK_SPANS" ] && [ "$ACK_SPANS" -gt 0 ] && [ "$SPANS" -ge "$ACK_SPANS" ] &&
    [ "$LOGS" -ge "$ACK_LOGS" ]; then
    pass "mysql/faults/nothing-acknowledged-lost ($ACK_SPANS spans, $ACK_LOGS logs acknowledged; $FAILED requests failed)"
else
    fail mysql/faults/nothing-acknowledged-lost "expected at least $ACK_SPANS spans and $ACK_LOGS logs stored, got $SPANS and $LOGS"
fi
if [ "$DUP_SPANS" = 0 ] && [ "$SUMMED" = "$SPANS" ] &&
    [ "$LOGS" -le $((ACK_LOGS + ${FAILED:-0} * 200)) ]; then
    pass mysql/faults/nothing-stored-twice
else
    fail mysql/faults/nothing-stored-twice "expected no duplicate spans, traces summing to $SPANS spans and at most $((ACK_LOGS + ${FAILED:-0} * 200)) logs, got $DUP_SPANS duplicates, $SUMMED summed, $LOGS logs"
fi

# The store reads the stored rows a request merges with on a second connection (the reader),
# while the writer inserts. Its connection is killed mid-ingest, again and again (every
# connection of the database but the one in a transaction -- the writer, most of the time --
# and this one): the batch it was reading for is retried, nothing acknowledged is lost, nothing
# is stored twice.
SPANS0=$SPANS LOGS0=$LOGS
"$BUILD/argus-loadgen" --endpoint "127.0.0.1:$GRPC" --concurrent 4 --duration 4 \
    --spans-per-request 200 --logs-per-request 200 --retry 40 --timeout 60 >"$W/loadgen.out" 2>&1 &
LOADGEN_PID=$!
for _ in $(seq 12); do
    sleep 0.3
    q "SELECT id FROM information_schema.processlist WHERE db = 'argus_faults'
        AND id <> connection_id()
        AND id NOT IN (SELECT trx_mysql_thread_id FROM information_schema.innodb_trx)" |
        while read -r id; do mdb -e "KILL CONNECTION $id" </dev/null 2>/dev/null; done
done
wait "$LOADGEN_PID"
LOADGEN_PID=
sleep 1
ACK_SPANS=$(result spans)
ACK_LOGS=$(result logs)
FAILED=$(result failed)
SPANS=$(q "SELECT count(*) FROM span_records")
DUP_SPANS=$(q "SELECT count(*) - count(DISTINCT trace_id, span_id) FROM span_records")
LOGS=$(q "SELECT count(*) FROM log_records")
SUMMED=$(q "SELECT coalesce(sum(span_count), 0) FROM traces")
if grep -q 'batch failed.*reading stored rows' "$W/server.log" && kill -0 "$SERVER_PID"; then
    pass mysql/faults/reader-killed-retried
else
    fail mysql/faults/reader-killed-retried "expected a batch failed by the reader's lost connection, and the server up: $(grep 'batch failed' "$W/server.log" | tail -2)"
fi
if [ -n "$ACK_SPANS" ] && [ "$ACK_SPANS" -gt 0 ] && [ "$SPANS" -ge $((SPANS0 + ACK_SPANS)) ] &&
    [ "$LOGS" -ge $((LOGS0 + ACK_LOGS)) ] && [ "$DUP_SPANS" = 0 ] && [ "$SUMMED" = "$SPANS" ]; then
    pass "mysql/faults/reader-killed-nothing-lost-or-doubled ($ACK_SPANS spans acknowledged; $FAILED requests failed)"
else
    fail mysql/faults/reader-killed-nothing-lost-or-doubled "expected at least $((SPANS0 + ACK_SPANS)) spans and $((LOGS0 + ACK_LOGS)) logs, no duplicate, traces summing to the spans; got $SPANS, $LOGS, $DUP_SPANS duplicates, $SUMMED summed"
fi
kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=

