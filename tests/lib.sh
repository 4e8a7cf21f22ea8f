# Shared helpers for the test layers (sourced). Results go to $ARGUS_RESULTS, one line each:
# "ok <name>" or "not ok <name>: <what was expected and what was got>".
# A new layer in scripts/test:   if has mylayer; then run_layer mylayer tests/mylayer/run.sh; fi
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

# Number of results recorded so far under NAME (NAME itself or NAME/...); failures only with
# a second argument "failed".
count_results() {
    local name=$1 re="^(not )?ok "
    [ "${2:-}" = failed ] && re="^not ok "
    [ -f "$ARGUS_RESULTS" ] || { echo 0; return; }
    grep -cE "$re$name(/|:| |\$)" "$ARGUS_RESULTS" || true
}

# run_layer NAME CMD...: runs CMD, which prints TAP on stdout (diagnostics on stderr), and records
# its results under NAME. NAME fails too when CMD reported no test at all, or exited non-zero
# without reporting a failing test, or was killed by a signal (a crash, a missing tool, a broken
# build): a layer can never pass by running nothing. Returns CMD's exit status.
run_layer() {
    local name=$1 before failed_before rc
    shift
    before=$(count_results "$name")
    failed_before=$(count_results "$name" failed)
    "$@" | record_tap "$name"
    rc=${PIPESTATUS[0]}
    if [ -f "$ARGUS_RESULTS" ]; then
        if [ "$(count_results "$name")" -eq "$before" ]; then
            fail "$name" "expected at least one test result from '$*', got none (exit $rc)"
        elif [ "$rc" -gt 125 ] ||
            { [ "$rc" -ne 0 ] && [ "$(count_results "$name" failed)" -eq "$failed_before" ]; }; then
            fail "$name" "expected '$*' to exit 0 or report its failures, got exit $rc"
        fi
    fi
    return "$rc"
}

# expect_results NAME WHAT: fails NAME when nothing was recorded under it (for layers that record
# with pass/fail directly rather than through run_layer).
expect_results() {
    [ -f "$ARGUS_RESULTS" ] || return 0
    [ "$(count_results "$1")" -gt 0 ] || fail "$1" "expected at least one $2, got none"
}

# The sqlite3 shell with the extension of build dir $1 loaded and the schema applied.
argus_sqlite() {
    local build=$1
    shift
    sqlite3 -batch -bail -cmd ".load $build/argus" -cmd ".output /dev/null" \
        -cmd "SELECT argus_migrate();" -cmd ".output stdout" "$@"
}
