#!/usr/bin/env bash
# Chaos layer (tests/chaos/*.mjs): argus-loadgen and the OpenTelemetry JS SDK exporters through
# faults (a TCP proxy cutting connections, vanishing clients, a locked, deleted, full or read-only database,
# kill -9 during commits), run like the server suites (tests/server/run.sh: TAP out, "1..N" last).
#   tests/chaos/run.sh build
cd "$(dirname "$0")/../.." || exit 1
build=${1:-build}
shift || true
ARGUS_SUITE_DIR=tests/chaos exec tests/server/run.sh "$build" ${*:-chaos dbfaults}
