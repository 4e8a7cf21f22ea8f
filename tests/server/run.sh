#!/usr/bin/env bash
# argus-server tests: starts real servers on free loopback ports with temporary data directories
# and drives them with the official OpenTelemetry JS exporters, raw HTTP/gRPC and the sqlite3
# shell. Prints TAP on stdout ("ok N - <suite>/<name>", "not ok N - <suite>/<name>: expected X,
# got Y", then "1..N") and nothing else; diagnostics go to stderr.
#   tests/server/run.sh build            # all suites
#   tests/server/run.sh build e2e crash  # some suites
set -uo pipefail
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build=${1:-build}
shift || true
cd "$(dirname "$0")/../.."
# ARGUS_SUITE_DIR runs the suites of another directory (tests/api/run.sh uses it).
suite_dir=${ARGUS_SUITE_DIR:-tests/server}
suites="${*:-config e2e bad_input http_routes hostile_http backpressure shutdown crash dbfail diskfull insight migrate wal retry encoding drain breaker memory rename logpipe hostile_grpc}"
n=0
failures=0
tap() { # status name [why]
    n=$((n + 1))
    if [ "$1" = ok ]; then echo "ok $n - $2"; else
        failures=$((failures + 1))
        echo "not ok $n - $2${3:+: $3}"
    fi
}

if [ ! -x "$build/argus-server" ]; then
    tap fail setup "expected $build/argus-server to exist (build first), got nothing"
    echo "1..$n"
    exit 1
fi
if [ ! -d tests/js/node_modules/@opentelemetry/exporter-trace-otlp-grpc ]; then
    tap fail setup "expected tests/js/node_modules (run scripts/setup), got nothing"
    echo "1..$n"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/argus-server-tests.XXXXXX")
pgid=""
cleanup() {
    # Each suite runs in its own session: kill whatever it left behind (servers, lock holders).
    [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null
    # The disk-full suite mounts a tmpfs under $work; never delete through a mount.
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts 2>/dev/null |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for suite in $suites; do
    out=$work/$suite.out
    err=$work/$suite.err
    export TMPDIR=$work
    setsid timeout 300 node "$suite_dir/$suite.mjs" "$build" >"$out" 2>"$err" &
    pgid=$!
    wait "$pgid"
    rc=$?
    kill -KILL -- "-$pgid" 2>/dev/null
    pgid=""
    bad=0
    seen=0
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) tap ok "${line#ok - }"; seen=$((seen + 1)) ;;
        "not ok - "*)
            rest=${line#not ok - }
            tap fail "${rest%%: *}" "${rest#*: }"
            seen=$((seen + 1))
            bad=1
            ;;
        esac
    done <"$out"
    if [ "$seen" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
        tap fail "$suite" "expected the suite to run and exit 0, got exit $rc: $(tail -c 400 "$err" | tr '\n' ' ')"
        bad=1
    fi
    if [ "$bad" -ne 0 ]; then
        echo "--- $suite stderr (last 40 lines) ---" >&2
        tail -n 40 "$err" >&2
        for log in "$work"/argus-*/server-*.log; do
            [ -e "$log" ] || continue
            echo "--- $log (last 20 lines) ---" >&2
            tail -n 20 "$log" >&2
        done
    fi
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts 2>/dev/null |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"/argus-*
done
echo "1..$n"
[ "$failures" -eq 0 ]
