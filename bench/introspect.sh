#!/usr/bin/env bash
# Benchmark of `schemac introspect` and `schemac plan` on a generated hand-made database, beside
# `pg_dump --schema-only` on the same database. See bench/README.md.
#
#   bench/introspect.sh [TABLES] [RUNS]        (defaults: 2000 tables, 5 rounds)
#
# Environment: SCHEMAC_BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), a
# maintenance database on the server to use; the scratch database is created beside it and
# dropped at the end, whatever happens. Needs psql, pg_dump and GNU time (/usr/bin/time;
# `apt-get install time`). Builds the release binaries first.
set -euo pipefail

TABLES=${1:-2000}
RUNS=${2:-5}
ADMIN_URL=${SCHEMAC_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB="schemac_bench_$$"
# The database URL: the admin URL with its database name replaced.
DB_URL="${ADMIN_URL%/*}/$DB"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCHEMAC="$ROOT/target/release/schemac"
GENERATE="$ROOT/target/release/schemac-bench-gen"
TIME=/usr/bin/time

for tool in psql pg_dump; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done
[ -x "$TIME" ] || { echo "error: GNU time is not installed (apt-get install time)" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
    # Drop the scratch database even after a failure or ^C; FORCE ends leftover connections.
    psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
        >/dev/null 2>&1 || echo "warning: could not drop database $DB" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building release binaries..." >&2
(cd "$ROOT" && cargo build --quiet --release -p schemac -p schemac-bench)

generated=$("$GENERATE" --tables "$TABLES" --out "$WORK/gen")
echo "$generated" >&2

psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB\" TEMPLATE template0" >/dev/null
echo "loading $TABLES tables into $DB..." >&2
load_start=$(date +%s.%N)
# One statement at a time, not one transaction: 2,000 tables with their indexes and keys in one
# transaction exhaust the lock table with default settings, and no one builds a database that way.
psql "$DB_URL" -qX -v ON_ERROR_STOP=1 -f "$WORK/gen/database.sql" >/dev/null
load_end=$(date +%s.%N)

# median VALUES...: the middle value (mean of the two middle ones for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minimum() {
    printf '%s\n' "$@" | sort -g | head -n1 | awk '{ printf "%.2f", $1 }'
}
maximum() {
    printf '%s\n' "$@" | sort -g | tail -n1 | awk '{ printf "%.1f", $1 }'
}

# Dead rows in the scratch database's system catalogs.
dead_catalog_rows() {
    psql "$DB_URL" -qAtX -v ON_ERROR_STOP=1 -c \
        "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog'"
}

# `plan` creates and rolls back every desired table in scratch schemas, which leaves ~80 dead
# catalog rows per table behind; with autovacuum slow or off, each run would be slower than the
# one before. The catalogs are vacuumed before every measured run so that runs are comparable
# (the drift without vacuum is measured on its own at the end).
vacuum_catalog() {
    psql "$DB_URL" -qAtX -v ON_ERROR_STOP=1 -c \
        "SELECT 'VACUUM ' || string_agg(format('pg_catalog.%I', relname), ', ') || ';'
         FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog' AND n_dead_tup > 0" \
        >"$WORK/vacuum.sql"
    if grep -q VACUUM "$WORK/vacuum.sql"; then
        psql "$DB_URL" -qX -v ON_ERROR_STOP=1 -f "$WORK/vacuum.sql" >/dev/null
    fi
}

# The commands measured, by label; each round runs every one once, in this order, so that a
# slower or faster stretch of a shared machine falls on all of them alike, and each command's
# time is also taken as a ratio to `pg_dump`'s in the same round.
LABELS=(
    "pg_dump --schema-only"
    "schemac introspect"
    "schemac check (no database)"
    "schemac plan --from-empty (no db)"
    "schemac plan, same schema"
    "schemac plan, a few changes"
    "schemac plan, introspected source"
)
# command_of INDEX: sets CMD to the command of LABELS[INDEX].
command_of() {
    case $1 in
    0) CMD=(pg_dump --schema-only -d "$DB_URL" -f "$WORK/dump.sql") ;;
    1) CMD=("$SCHEMAC" introspect --database-url "$DB_URL" -o "$WORK/introspected") ;;
    2) CMD=("$SCHEMAC" check "$WORK/gen/schema") ;;
    3) CMD=("$SCHEMAC" plan "$WORK/gen/schema" --from-empty --format json) ;;
    4) CMD=("$SCHEMAC" plan "$WORK/gen/schema" --database-url "$DB_URL" --format json) ;;
    5) CMD=("$SCHEMAC" plan "$WORK/gen/changed" --database-url "$DB_URL" --format json) ;;
    # Needs round 1's `introspect` output, which the order above gives it.
    6) CMD=("$SCHEMAC" plan "$WORK/introspected" --database-url "$DB_URL" --format json) ;;
    esac
}

# Per label (index into LABELS): wall, CPU and peak memory of every round, space-separated, and
# the wall time over `pg_dump`'s of the same round.
declare -A WALLS CPUS RSS RATIOS
echo "measuring, $RUNS rounds..." >&2
for ((round = 1; round <= RUNS; round++)); do
    for i in "${!LABELS[@]}"; do
        vacuum_catalog
        command_of "$i"
        if ! "$TIME" -f '%e %M %U %S' -o "$WORK/time" "${CMD[@]}" >"$WORK/out.$i" 2>"$WORK/err"; then
            echo "error: '${LABELS[$i]}' failed:" >&2
            cat "$WORK/err" >&2
            exit 1
        fi
        read -r wall kb user sys <"$WORK/time"
        WALLS[$i]+=" $wall"
        CPUS[$i]+=" $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
        RSS[$i]+=" $(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')"
        [ "$i" = 0 ] && dump_wall=$wall
        RATIOS[$i]+=" $(awk -v w="$wall" -v d="$dump_wall" 'BEGIN { printf "%.3f", w / d }')"
    done
    echo "  round $round: done" >&2
done

steps() {
    grep -c '"kind":' "$WORK/out.$1" || true
}
empty_steps=$(steps 4)
if [ "$empty_steps" != 0 ]; then
    echo "error: the generated schema does not plan empty ($empty_steps steps):" >&2
    head -c 4000 "$WORK/out.4" >&2
    exit 1
fi
changed_steps=$(steps 5)
[ "$changed_steps" -gt 0 ] || { echo "error: the changed schema planned empty" >&2; exit 1; }
[ "$(steps 6)" = 0 ] || { echo "error: the introspected source does not plan empty" >&2; exit 1; }

ROWS=()
for i in "${!LABELS[@]}"; do
    # shellcheck disable=SC2086 # the lists are space-separated on purpose
    ROWS+=("$(printf '%-36s %8s %8s %8s %11s %11s %9s' "${LABELS[$i]}" "$(median ${WALLS[$i]})" \
        "$(minimum ${WALLS[$i]})" "$(median ${CPUS[$i]})" "$(median ${RSS[$i]})" \
        "$(maximum ${RSS[$i]})" "$(median ${RATIOS[$i]})")")
done

# Repeated plans without VACUUM in between, as with autovacuum off or behind.
vacuum_catalog
REPEATED=()
for ((i = 1; i <= RUNS; i++)); do
    "$TIME" -f '%e' -o "$WORK/time" "$SCHEMAC" plan "$WORK/gen/schema" --database-url "$DB_URL" \
        --format json >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    REPEATED+=("$(cat "$WORK/time")")
done
dead_after=$(dead_catalog_rows)
echo "  repeated plans without vacuum: done" >&2

echo
echo "schemac introspect/plan benchmark, median of $RUNS rounds: ${generated%% in *}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), PostgreSQL $(psql "$DB_URL" -AtqX -c "show server_version" | cut -d" " -f1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wall s: median and minimum; cpu s: median user + system time of the measured process;"
echo "RSS: median and maximum peak; ratio: median over rounds of wall / pg_dump's wall in that round"
echo "database load (psql -f, not measured below): $(awk -v a="$load_start" -v b="$load_end" 'BEGIN { printf "%.1f", b - a }') s; plan with changes: $changed_steps steps"
echo
printf '%-36s %8s %8s %8s %11s %11s %9s\n' "command" "wall s" "min s" "cpu s" "RSS MB" "max RSS MB" "ratio"
printf '%s\n' "${ROWS[@]}"
echo
echo "plan, same schema, $RUNS runs in a row without VACUUM: ${REPEATED[*]} s;" \
    "dead catalog rows after them: $dead_after"
