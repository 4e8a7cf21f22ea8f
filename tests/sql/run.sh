#!/usr/bin/env bash
# SQL-script tests: every tests/sql/*.sql runs in a fresh in-memory database with the extension
# of build dir $1 loaded and the schema applied; every output row must be "<case-id>|1".
#   tests/sql/run.sh build
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
build=${1:-build}
for f in tests/sql/*.sql; do
    name=sql/$(basename "$f" .sql)
    out=$(argus_sqlite "$build" :memory: <"$f" 2>&1)
    rc=$?
    n=0
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        case "$line" in
        *"|1") pass "$name/${line%|1}"; n=$((n + 1)) ;;
        *) fail "$name" "expected '<case-id>|1', got: $line" ;;
        esac
    done <<<"$out"
    if [ $rc -ne 0 ]; then fail "$name" "sqlite3 exited with $rc"; fi
    if [ $n -eq 0 ]; then fail "$name" "no test cases ran"; fi
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
