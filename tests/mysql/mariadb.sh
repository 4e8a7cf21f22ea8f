# A private MariaDB server for the tests (sourced): a fresh data directory in a temporary
# directory, loopback only, a free port, the plugin directory at the build directory so that
# CREATE FUNCTION ... SONAME 'argus_udf.so' finds our library. No systemd, no root password.
#   . tests/mysql/mariadb.sh; mariadb_start build; mdb -e 'SELECT 1'; mariadb_stop
# Sets MARIADB_DIR, MARIADB_PORT, MARIADB_SOCK. mdb runs the client as root on the socket.

mariadb_free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# mariadb_start PLUGIN_DIR: init + start; 0 when the server answers, 1 (with the log) if not.
mariadb_start() {
    local plugins
    plugins=$(cd "$1" && pwd)
    MARIADB_DIR=$(mktemp -d /tmp/argus-mariadb.XXXXXX)
    mkdir -p "$MARIADB_DIR/tmp" # its temporary tables: nothing else cleans them up under it
    MARIADB_SOCK=$MARIADB_DIR/sock
    if ! mariadb-install-db --no-defaults --datadir="$MARIADB_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$MARIADB_DIR/install.log" 2>&1; then
        echo "mariadb-install-db failed:" >&2
        tail -5 "$MARIADB_DIR/install.log" >&2
        return 1
    fi
    local try
    for try in 1 2 3; do
        MARIADB_PORT=$(mariadb_free_port) || return 1
        MARIADB_PLUGINS=$plugins
        mariadb_run && return 0
    done
    echo "mariadbd did not start:" >&2
    tail -5 "$MARIADB_DIR/error.log" >&2
    return 1
}

# The start of a test suite with a private server of its own (needs tests/lib.sh): the programs
# it runs are built in BUILD and the server started, or a failure is recorded under
# mysql/SUITE/build or mysql/SUITE/mariadb and 1 returned (the suite then ends: `|| exit 0`).
#   mariadb_suite_start faults "$BUILD" argus-server argus-loadgen || exit 0
mariadb_suite_start() { # suite build program...
    local suite=$1 build=$2 exe
    shift 2
    for exe in "$@"; do
        [ -x "$build/$exe" ] || { fail "mysql/$suite/build" "$build/$exe was not built"; return 1; }
    done
    if ! mariadb_start "$build" 2>/dev/null; then
        fail "mysql/$suite/mariadb" "the private MariaDB did not start"
        return 1
    fi
}

# Starts mariadbd on the existing data directory and MARIADB_PORT; 0 once it answers.
mariadb_run() {
    mariadbd --no-defaults --user="$(id -un)" --datadir="$MARIADB_DIR/data" \
        --socket="$MARIADB_SOCK" --pid-file="$MARIADB_DIR/pid" --port="$MARIADB_PORT" \
        --bind-address=127.0.0.1 --skip-name-resolve --plugin-dir="$MARIADB_PLUGINS" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size="${ARGUS_MARIADB_BUFFER_POOL:-64M}" \
        --max-allowed-packet=256M --log-error="$MARIADB_DIR/error.log" --tmpdir="$MARIADB_DIR/tmp" \
        2>>"$MARIADB_DIR/stderr.log" &
    MARIADB_PID=$!
    local i
    for i in $(seq 300); do
        if mariadb-admin --no-defaults -uroot -S "$MARIADB_SOCK" ping >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$MARIADB_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill "$MARIADB_PID" 2>/dev/null
    wait "$MARIADB_PID" 2>/dev/null
    return 1
}

# kill -9 of the server (a crash), keeping its data; mariadb_run starts it again.
mariadb_kill() {
    kill -KILL "$MARIADB_PID" 2>/dev/null
    wait "$MARIADB_PID" 2>/dev/null
    MARIADB_PID=
}

# The client as root over the socket, batch mode, no defaults files.
mdb() {
    mariadb --no-defaults -uroot -S "$MARIADB_SOCK" "$@"
}

# True while the server answers.
mariadb_alive() {
    mariadb-admin --no-defaults -uroot -S "$MARIADB_SOCK" ping >/dev/null 2>&1
}

mariadb_stop() {
    [ -n "${MARIADB_PID:-}" ] || return 0
    kill "$MARIADB_PID" 2>/dev/null
    wait "$MARIADB_PID" 2>/dev/null
    MARIADB_PID=
    [ -n "${ARGUS_KEEP_MARIADB:-}" ] || rm -rf "$MARIADB_DIR"
}
