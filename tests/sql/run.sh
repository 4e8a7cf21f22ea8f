#!/usr/bin/env bash
# SQL-script tests: every tests/sql/*.sql runs in a fresh in-memory database with the extension
# of build dir $1 loaded and the schema applied; every output row must be "<case-id>|1".
# Every other tests/sql/*.sh (e.g. migrate_v4.sh) runs as `bash <script> <build dir>` and prints
# such rows too.
#   tests/sql/run.sh build
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
build=${1:-build}
check_rows() { # name, output, exit code, what ran
    local name=$1 out=$2 rc=$3 n=0 line
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        case "$line" in
        *"|1") pass "$name/${line%|1}"; n=$((n + 1)) ;;
        *) fail "$name" "expected '<case-id>|1', got: $line" ;;
        esac
    done <<<"$out"
    if [ "$rc" -ne 0 ]; then fail "$name" "$4 exited with $rc"; fi
    if [ $n -eq 0 ]; then fail "$name" "no test cases ran"; fi
}
for f in tests/sql/*.sql; do
    out=$(argus_sqlite "$build" :memory: <"$f" 2>&1)
    check_rows "sql/$(basename "$f" .sql)" "$out" $? sqlite3
done
# The ASan layer preloads the ASan runtime; a script passes it on to the sqlite3 it starts
# (ARGUS_SQLITE_PRELOAD), not to bash and the tools it runs, whose own leaks are not ours.
for f in tests/sql/*.sh; do
    [ "$f" = tests/sql/run.sh ] && continue
    out=$(ARGUS_SQLITE_PRELOAD=${LD_PRELOAD:-} env -u LD_PRELOAD bash "$f" "$build" 2>&1)
    check_rows "sql/$(basename "$f" .sh)" "$out" $? "$f"
done
# tests/sql/*.errors: "<statement><TAB><expected error text>" per line; the statement must fail
# with a message containing the expected text.
for f in tests/sql/*.errors; do
    [ -e "$f" ] || continue
    name=sql/$(basename "$f" .errors)
    i=0
    while IFS=$'\t' read -r stmt want; do
        [ -z "$stmt" ] && continue
        i=$((i + 1))
        out=$(argus_sqlite "$build" :memory: "$stmt" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]]; then
            pass "$name/error-$i"
        else
            fail "$name/error-$i" "expected '$stmt' to fail with '$want', got (exit $rc): $out"
        fi
    done <"$f"
done
