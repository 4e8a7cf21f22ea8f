# Shared helpers for the test layers (sourced). Results go to $ARGUS_RESULTS, one line each:
# "ok <name>" or "not ok <name>: <what was expected and what was got>".
: "${ARGUS_RESULTS:=/dev/null}"
shopt -s extglob

pass() { echo "ok $1" >>"$ARGUS_RESULTS"; [ -n "${ARGUS_VERBOSE:-}" ] && echo "ok $1" >&2; return 0; }
fail() { echo "not ok $1: $2" >>"$ARGUS_RESULTS"; echo "FAIL $1: $2" >&2; return 0; }

# Records TAP lines ("ok N - name", "not ok - name: why", ...) read from stdin under a prefix.
record_tap() {
    local prefix=$1 line name
    while IFS= read -r line; do
        case "$line" in
        "not ok"* | "ok"*) ;;
        *) continue ;;
        esac
        name=${line#not ok}
        name=${name#ok}
        name=${name# }
        name=${name##[0-9]*([0-9])}
        name=${name# }
        name=${name#- }
        case "$line" in
        "not ok"*) fail "$prefix/$name" "failed (details above)" ;;
        *) pass "$prefix/$name" ;;
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
