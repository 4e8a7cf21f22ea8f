#!/usr/bin/env bash
# argus-server started while its MariaDB is down (part of the mysql layer; issue 12 point 6): its
# own private MariaDB (tests/mysql/mariadb.sh), stopped before argus-server starts. Expected: the
# server stays up, /healthz 200, /readyz 503 with the reason, exports answered 503 with
# Retry-After, one error line per connection attempt naming host:port with a growing back-off;
# once MariaDB runs, /readyz 200 without a restart (migrations applied) and every acknowledged
# item stored once. A MariaDB that refuses the credentials is a configuration error: exit 1.
#   tests/mysql/start_down.sh build        # results to $ARGUS_RESULTS
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
. tests/lib.sh
. tests/mysql/mariadb.sh
mariadb_suite_start start-down "$BUILD" argus-server argus-loadgen || exit 0
SERVER_PID=
stop_all() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    mariadb_stop
}
trap stop_all EXIT
W=$MARIADB_DIR

# Wrong credentials: the server answers "no", waiting will not fix it.
timeout 20 "$BUILD/argus-server" --db "mysql://nobody@127.0.0.1:$MARIADB_PORT/argus_down" \
    --grpc-listen off --otlp-http-listen off --http-listen off --insight-worker off \
    --retention off >"$W/denied.log" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'cannot open the database.*Access denied' "$W/denied.log"; then
    pass mysql/start-down/access-denied-exits
else
    fail mysql/start-down/access-denied-exits "expected exit 1 with 'cannot open the database ... Access denied', got exit $rc: $(tail -2 "$W/denied.log")"
fi

mariadb_kill
# SIGTERM while waiting for the database: a prompt clean exit (nothing queued, nothing to drain).
"$BUILD/argus-server" --db "mysql://root@127.0.0.1:$MARIADB_PORT/argus_down" --grpc-listen off \
    --otlp-http-listen off --http-listen off --insight-worker off --retention off >"$W/term.log" 2>&1 &
SERVER_PID=$!
sleep 1.5
kill "$SERVER_PID"
T0=$(date +%s%N)
wait "$SERVER_PID"
rc=$?
MS=$((($(date +%s%N) - T0) / 1000000))
SERVER_PID=
if [ "$rc" = 0 ] && [ "$MS" -lt 3000 ] && grep -q 'cannot connect to the database, retrying' "$W/term.log"; then
    pass "mysql/start-down/sigterm-while-waiting (${MS} ms)"
else
    fail mysql/start-down/sigterm-while-waiting "expected exit 0 within 3 s after retry lines, got exit $rc after $MS ms: $(tail -2 "$W/term.log")"
fi
GRPC=$(mariadb_free_port)
OTLP=$(mariadb_free_port)
API=$(mariadb_free_port)
"$BUILD/argus-server" --db "mysql://root@127.0.0.1:$MARIADB_PORT/argus_down" \
    --grpc-listen "127.0.0.1:$GRPC" --otlp-http-listen "127.0.0.1:$OTLP" \
    --http-listen "127.0.0.1:$API" --insight-worker off --retention off >"$W/server.log" 2>&1 &
SERVER_PID=$!
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/$1"; }
for _ in $(seq 100); do
    [ "$(code healthz)" = 200 ] && break
    sleep 0.05
done
if [ "$(code healthz)" = 200 ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    pass mysql/start-down/server-up
else
    fail mysql/start-down/server-up "expected argus-server running with /healthz 200, got $(code healthz): $(tail -3 "$W/server.log")"
    exit 0
fi
READY=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$API/readyz")
case "$READY" in
*"database not reachable yet"*"127.0.0.1:$MARIADB_PORT"*503) pass mysql/start-down/not-ready ;;
*) fail mysql/start-down/not-ready "expected /readyz 503 naming 127.0.0.1:$MARIADB_PORT, got: $READY" ;;
esac
EXPORT=$(curl -s -D - -o "$W/export.body" -H 'Content-Type: application/json' \
    --data-binary @tests/fixtures/logs.json "http://127.0.0.1:$OTLP/v1/logs")
if printf '%s' "$EXPORT" | grep -q '^HTTP/1.1 503' && printf '%s' "$EXPORT" | grep -qi '^Retry-After: [1-9]'; then
    pass mysql/start-down/export-retry-later
else
    fail mysql/start-down/export-retry-later "expected 503 with Retry-After, got: $(printf '%s' "$EXPORT" | tr -d '\r' | head -5 | tr '\n' ' ') $(cat "$W/export.body")"
fi
"$BUILD/argus-loadgen" --endpoint "127.0.0.1:$GRPC" --concurrent 1 --iterations 2 \
    --spans-per-request 10 --logs-per-request 10 --timeout 10 >"$W/down.out" 2>&1
if grep -q '^result: .* ok=0 failed=4 ' "$W/down.out" && grep -q 'failed .*UNAVAILABLE x2: .*database not reachable yet' "$W/down.out"; then
    pass mysql/start-down/grpc-unavailable
else
    fail mysql/start-down/grpc-unavailable "expected all 4 gRPC exports UNAVAILABLE 'database not reachable yet', got: $(grep -E '^result|failed' "$W/down.out" | tr '\n' ' ')"
fi
sleep 3.5 # attempts at 0, 1 s and 3 s
LINES=$(grep 'cannot connect to the database, retrying' "$W/server.log")
N=$(printf '%s\n' "$LINES" | grep -c "127.0.0.1:$MARIADB_PORT")
DELAYS=$(printf '%s\n' "$LINES" | sed -n 's/.*retry_in_ms=\([0-9]*\).*/\1/p' | tr '\n' ' ')
case "$DELAYS" in
"1000 2000 4000 "*) ok=1 ;;
*) ok=0 ;;
esac
if [ "$N" -ge 3 ] && [ "$ok" = 1 ]; then
    pass "mysql/start-down/log-per-attempt ($N lines, back-off $DELAYS)"
else
    fail mysql/start-down/log-per-attempt "expected >= 3 lines naming 127.0.0.1:$MARIADB_PORT with retry_in_ms 1000 2000 4000..., got $N lines, delays '$DELAYS'"
fi

if ! mariadb_run; then
    fail mysql/start-down/mariadb-start "mariadbd did not start"
    exit 0
fi
# the next attempt is at most 4 s away (the back-off after the third attempt), plus a connect
for _ in $(seq 100); do
    [ "$(code readyz)" = 200 ] && break
    sleep 0.1
done
if [ "$(code readyz)" = 200 ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    pass mysql/start-down/ready-after-start
else
    fail mysql/start-down/ready-after-start "expected /readyz 200 within 10 s of MariaDB starting, got $(curl -s "http://127.0.0.1:$API/readyz")"
    exit 0
fi
"$BUILD/argus-loadgen" --endpoint "127.0.0.1:$GRPC" --concurrent 2 --duration 2 \
    --spans-per-request 50 --logs-per-request 50 --retry 5 --timeout 30 >"$W/loadgen.out" 2>&1
result() { grep '^result:' "$W/loadgen.out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ACK_SPANS=$(result spans)
ACK_LOGS=$(result logs)
FAILED=$(result failed)
q() { mdb -N -B argus_down -e "$1" 2>&1; }
SPANS=$(q "SELECT count(*) FROM span_records")
DUPS=$(q "SELECT count(*) - count(DISTINCT trace_id, span_id) FROM span_records")
LOGS=$(q "SELECT count(*) FROM log_records")
if [ -n "$ACK_SPANS" ] && [ "$ACK_SPANS" -gt 0 ] && [ "$FAILED" = 0 ] && [ "$SPANS" = "$ACK_SPANS" ] &&
    [ "$LOGS" = "$ACK_LOGS" ] && [ "$DUPS" = 0 ]; then
    pass "mysql/start-down/acknowledged-stored-once ($SPANS spans, $LOGS logs)"
else
    fail mysql/start-down/acknowledged-stored-once "expected $ACK_SPANS spans and $ACK_LOGS logs stored ($FAILED failed requests, 0 duplicates), got $SPANS spans, $LOGS logs, $DUPS duplicates"
fi
kill "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
if [ "$rc" = 0 ]; then pass mysql/start-down/clean-exit; else
    fail mysql/start-down/clean-exit "expected exit 0 on SIGTERM, got $rc"
fi
