#!/usr/bin/env bash
# Mutation check, outside CI: plants each one-line bug of tests/mutate/mutants.txt, one at a time,
# in a scratch copy of the committed tree (the worktree is never touched), rebuilds, runs the fast
# layers (unit, sql, docs) and reports which bugs the suite catches.
#   tests/mutate/run.sh                                      # every mutant
#   tests/mutate/run.sh crit-path-touching weak-insight-warn # some of them
#   ARGUS_MUTATE_DIR=/tmp/m tests/mutate/run.sh              # reuse a scratch copy's build
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
list=$src/tests/mutate/mutants.txt
work=${ARGUS_MUTATE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/argus-mutate.XXXXXX")}
mkdir -p "$work"
git archive HEAD | tar -x -C "$work" || { echo "mutate: cannot export HEAD"; exit 2; }
cd "$work" || exit 2
JOBS=$(nproc 2>/dev/null || echo 2)

build() {
    cmake -S . -B build -DARGUS_WEB=OFF >>build.log 2>&1 && cmake --build build -j"$JOBS" >>build.log 2>&1
}

# 0 when every unit test, SQL case and docs example passes; prints the first failure otherwise.
suite() {
    local t out
    for t in build/tests/unit/test_*; do
        [ -x "$t" ] || continue
        out=$("$t" 2>&1) || { echo "unit/$(basename "$t"): $(grep -m1 -E 'ERROR|FAILED|error' <<<"$out")"; return 1; }
    done
    : >results.txt
    ARGUS_RESULTS=$work/results.txt tests/sql/run.sh build 2>/dev/null
    if grep -q '^not ok' results.txt; then grep -m1 '^not ok' results.txt; return 1; fi
    if ! grep -q '^ok' results.txt; then echo "sql: no case ran"; return 1; fi
    out=$(node tests/docs/run_examples.mjs build docs/*.md README.md 2>/dev/null)
    if grep -q '^not ok' <<<"$out"; then grep -m1 '^not ok' <<<"$out"; return 1; fi
    return 0
}

# Replaces the first occurrence of $2 in file $1 by $3; fails when $2 is not there.
plant() {
    perl -0777 -i -e '
        my ($from, $to) = (shift, shift); local $/; my $s = <>;
        my $i = index($s, $from); die "not found\n" if $i < 0;
        substr($s, $i, length $from) = $to; print $s;' "$2" "$3" "$1"
}

echo "mutate: building the unmodified tree in $work"
build || { echo "mutate: the unmodified tree does not build; see $work/build.log"; exit 2; }
if ! why=$(suite); then
    echo "mutate: the suite fails without any mutant ($why); fix that first"
    exit 2
fi

total=0 caught=0 missed=""
while IFS= read -r line <&3; do
    case "$line" in '#'* | '') continue ;; esac
    id=${line%% ||| *}
    rest=${line#* ||| }
    file=${rest%% ||| *}
    rest=${rest#* ||| }
    from=${rest%% ||| *}
    to=${rest#* ||| }
    if [ $# -gt 0 ] && [[ " $* " != *" $id "* ]]; then continue; fi
    total=$((total + 1))
    cp -p "$file" "$file.orig"
    if ! plant "$file" "$from" "$to" 2>/dev/null; then
        echo "MISSING $id: '$from' is no longer in $file (update mutants.txt)"
        rm -f "$file.orig"
        missed="$missed $id"
        continue
    fi
    if ! build; then
        echo "CAUGHT  $id: does not build"
        caught=$((caught + 1))
    elif why=$(suite); then
        echo "MISSED  $id ($file)"
        missed="$missed $id"
    else
        echo "CAUGHT  $id: $why"
        caught=$((caught + 1))
    fi
    cp "$file.orig" "$file" && rm -f "$file.orig" # a fresh mtime, so the next build redoes it
done 3<"$list"
build >/dev/null 2>&1
echo "mutate: caught $caught of $total${missed:+; missed:$missed}"
[ "$caught" -eq "$total" ]
