#!/usr/bin/env bash
# REST API tests (tests/api/*.mjs), run like the server suites (tests/server/run.sh: each suite
# starts its own argus-server on free loopback ports; TAP out, "1..N" last).
#   tests/api/run.sh build                  # every suite
#   tests/api/run.sh build-asan routes sse  # some suites
cd "$(dirname "$0")/../.." || exit 1
build=${1:-build}
shift || true
ARGUS_SUITE_DIR=tests/api exec tests/server/run.sh "$build" ${*:-routes loadgen traces_total sandbox sse purge docs names insight_lag}
