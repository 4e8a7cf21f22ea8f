#!/usr/bin/env bash
# End-to-end ingest benchmark on MariaDB (prints figures, asserts nothing): a private MariaDB
# (tests/mysql/mariadb.sh), argus-server with ARGUS_DB=mysql://... on it, argus-loadgen over
# OTLP/gRPC (traces, then logs); spans/s and log records/s stored, then the raw array-binding
# insert of the same rows (bench_mysql_insert) and the ratio end-to-end / raw. Also the CPU
# seconds argus-server, mariadbd and argus-loadgen used in each phase, per 1000 items (on a
# shared machine CPU per item is steadier than the rates).
#   tests/mysql/ingest_bench.sh [build-dir=build]   (ARGUS_BENCH_SECONDS=20 ARGUS_BENCH_CONCURRENT=16)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SECS=${ARGUS_BENCH_SECONDS:-20}
CONC=${ARGUS_BENCH_CONCURRENT:-16}
. tests/mysql/mariadb.sh
for exe in argus-server argus-loadgen tests/mysql/bench_mysql_insert; do
    [ -x "$BUILD/$exe" ] || { echo "ingest_bench: $BUILD/$exe is missing (build first)" >&2; exit 2; }
done
export ARGUS_MARIADB_BUFFER_POOL=${ARGUS_MARIADB_BUFFER_POOL:-512M}
mariadb_start "$BUILD" || exit 1
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; mariadb_stop' EXIT
GRPC=$(mariadb_free_port)
LOG=$MARIADB_DIR/argus.log
"$BUILD/argus-server" --db "mysql://root@127.0.0.1:$MARIADB_PORT/argus" \
    --grpc-listen "127.0.0.1:$GRPC" --otlp-http-listen off --http-listen off \
    --insight-worker off --retention off >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$GRPC") 2>/dev/null && break
    sleep 0.1
done
echo "== MariaDB $(mariadbd --version | awk '{print $3}'), innodb_buffer_pool $ARGUS_MARIADB_BUFFER_POOL, flush_log_at_trx_commit=2"
echo "== $(nproc) CPUs shared by MariaDB, argus-server and argus-loadgen"
# CPU seconds (user + system) process $1 has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
cpu_per_k() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1000000 / n; else print 0 }'; }
result() { grep '^result:' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
phase() { # name, loadgen args
    local name=$1 s0 m0 s1 m1 n
    shift
    s0=$(cpu_seconds "$SERVER_PID") m0=$(cpu_seconds "$MARIADB_PID")
    local TIMEFORMAT='%U %S' lg
    lg=$({ time "$BUILD/argus-loadgen" --endpoint "127.0.0.1:$GRPC" --concurrent "$CONC" \
        --duration "$SECS" --retry "$@" >"$MARIADB_DIR/$name.out" 2>&1; } 2>&1)
    lg=$(echo "$lg" | awk '{ printf "%.2f", $1 + $2 }')
    s1=$(cpu_seconds "$SERVER_PID") m1=$(cpu_seconds "$MARIADB_PID")
    echo "== $name: argus-loadgen --concurrent $CONC --duration $SECS $*"
    sed 's/^/   /' "$MARIADB_DIR/$name.out" | grep -v '^   result:'
    n=$(($(result "$MARIADB_DIR/$name.out" spans) + $(result "$MARIADB_DIR/$name.out" logs)))
    echo "   CPU: argus-server $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }') s" \
        "($(cpu_per_k "$s0" "$s1" "$n") ms per 1000 items), mariadbd" \
        "$(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.2f", b - a }') s ($(cpu_per_k "$m0" "$m1" "$n") ms per 1000 items)," \
        "argus-loadgen $lg s ($(cpu_per_k 0 "$lg" "$n") ms per 1000 items)"
}
phase traces --spans-per-request 1000 --logs-per-request 0
phase logs --spans-per-request 0 --logs-per-request 1000
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=
SPANS=$(mdb -N -B argus -e "SELECT count(*) FROM span_records")
LOGS=$(mdb -N -B argus -e "SELECT count(*) FROM log_records")
TE=$(result "$MARIADB_DIR/traces.out" elapsed_s)
LE=$(result "$MARIADB_DIR/logs.out" elapsed_s)
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print 0 }'; }
E2E_S=$(rate "$SPANS" "$TE")
E2E_L=$(rate "$LOGS" "$LE")
echo "== stored: $SPANS spans in ${TE}s = $E2E_S spans/s; $LOGS log records in ${LE}s = $E2E_L logs/s"
echo "   row sizes: $(mdb -N -B argus -e "SELECT concat(round(avg(length(attributes) + length(events) + length(links) + length(name))), ' B of span text, ') FROM span_records")$(mdb -N -B argus -e "SELECT concat(round(avg(length(attributes) + length(body))), ' B of log text') FROM log_records")"
raw() { # table: the raw insert's line, with mariadbd's CPU while the rows went in
    local out
    out=$("$BUILD/tests/mysql/bench_mysql_insert" "$MARIADB_SOCK" argus "$1" "$MARIADB_PID")
    RAW=$(echo "$out" | head -1)
    echo "== without the server: $RAW"
    echo "$out" | sed -n 's/^cpu: .* s of process [0-9]*, \(.*\)/   CPU: mariadbd \1/p'
}
raw span_records
RAW_S=$RAW
raw log_records
RAW_L=$RAW
rs=$(echo "$RAW_S" | awk '{print $(NF-1)}')
rl=$(echo "$RAW_L" | awk '{print $(NF-1)}')
echo "== ratio end-to-end / raw: spans $(awk -v a="$E2E_S" -v b="$rs" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'), logs $(awk -v a="$E2E_L" -v b="$rl" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
