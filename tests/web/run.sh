#!/usr/bin/env bash
# Browser tests of the web UI (tests/web/browser.mjs): prints TAP ("ok N - name", "not ok N -
# name: ...") on stdout; diagnostics on stderr; screenshots in <build>/screenshots/.
#   tests/web/run.sh build
set -uo pipefail
build=$(cd "${1:-build}" 2>/dev/null && pwd) || build=${1:-build}
cd "$(dirname "$0")/../.."
if [ ! -x "$build/argus-server" ]; then
    echo "not ok 1 - browser/setup: expected $build/argus-server (build first), got nothing"
    exit 1
fi
if [ ! -x "${ARGUS_CHROMIUM:-/usr/bin/chromium}" ] || [ ! -d tests/js/node_modules/playwright-core ]; then
    echo "not ok 1 - browser/setup: expected /usr/bin/chromium and tests/js/node_modules/playwright-core (scripts/setup), got nothing"
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/argus-web-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT
TMPDIR=$work setsid timeout 420 node tests/web/browser.mjs "$build" | awk '/^(not )?ok /{n++; sub(/^(not )?ok/, "& " n); print; next} {print > "/dev/stderr"}'
