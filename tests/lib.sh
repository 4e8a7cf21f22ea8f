# Shared helpers for the test layers (sourced). Results go to $ARGUS_RESULTS, one line each:
# "ok <name>" or "not ok <name>: <what was expected and what was got>".
: "${ARGUS_RESULTS:=/dev/null}"

pass() { echo "ok $1" >>"$ARGUS_RESULTS"; [ -n "${ARGUS_VERBOSE:-}" ] && echo "ok $1" >&2; return 0; }
fail() { echo "not ok $1: $2" >>"$ARGUS_RESULTS"; echo "FAIL $1: $2" >&2; return 0; }

# Records TAP lines ("ok N - name" / "not ok N - name") read from stdin under a prefix.
record_tap() {
    local prefix=$1 line
    while IFS= read -r line; do
        case "$line" in
        "not ok "*) fail "$prefix/${line#not ok * - }" "failed (see output above)" ;;
        "ok "*) pass "$prefix/${line#ok * - }" ;;
        esac
    done
}

# The sqlite3 shell with the extension of build dir $1 loaded and the schema applied.
argus_sqlite() {
    local build=$1
    shift
    sqlite3 -batch -bail -cmd ".load $build/argus" -cmd ".output /dev/null" \
        -cmd "SELECT argus_migrate();" -cmd ".output stdout" "$@"
}
