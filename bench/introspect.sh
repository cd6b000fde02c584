#!/usr/bin/env bash
# Benchmark of `schemac introspect` and `schemac plan` on a generated hand-made database, beside
# `pg_dump --schema-only` on the same database. See bench/README.md.
#
#   bench/introspect.sh [TABLES] [RUNS]        (defaults: 2000 tables, 5 runs)
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

ROWS=()
# measure LABEL COMMAND...: runs the command RUNS times under GNU time; stdout of the last run is
# kept in $WORK/out for checks. Fails the benchmark if the command fails.
measure() {
    local label=$1
    shift
    local walls=() rss=() cpus=() i
    for ((i = 1; i <= RUNS; i++)); do
        vacuum_catalog
        if ! "$TIME" -f '%e %M %U %S' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"; then
            echo "error: '$label' failed:" >&2
            cat "$WORK/err" >&2
            exit 1
        fi
        read -r wall kb user sys <"$WORK/time"
        walls+=("$wall")
        cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
        rss+=("$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')")
    done
    ROWS+=("$(printf '%-36s %8s %8s %8s %11s' "$label" "$(median "${walls[@]}")" \
        "$(minimum "${walls[@]}")" "$(median "${cpus[@]}")" "$(median "${rss[@]}")")")
    echo "  $label: done" >&2
}

steps() {
    grep -c '"kind":' "$WORK/out" || true
}

echo "measuring, $RUNS runs each..." >&2
measure "pg_dump --schema-only" pg_dump --schema-only -d "$DB_URL" -f "$WORK/dump.sql"

measure "schemac introspect" "$SCHEMAC" introspect --database-url "$DB_URL" -o "$WORK/introspected"

measure "schemac check (no database)" "$SCHEMAC" check "$WORK/gen/schema"

measure "schemac plan --from-empty (no db)" "$SCHEMAC" plan "$WORK/gen/schema" --from-empty --format json

measure "schemac plan, same schema" "$SCHEMAC" plan "$WORK/gen/schema" --database-url "$DB_URL" --format json
empty_steps=$(steps)
if [ "$empty_steps" != 0 ]; then
    echo "error: the generated schema does not plan empty ($empty_steps steps):" >&2
    head -c 4000 "$WORK/out" >&2
    exit 1
fi

measure "schemac plan, a few changes" "$SCHEMAC" plan "$WORK/gen/changed" --database-url "$DB_URL" --format json
changed_steps=$(steps)
[ "$changed_steps" -gt 0 ] || { echo "error: the changed schema planned empty" >&2; exit 1; }

measure "schemac plan, introspected source" "$SCHEMAC" plan "$WORK/introspected" --database-url "$DB_URL" --format json
[ "$(steps)" = 0 ] || { echo "error: the introspected source does not plan empty" >&2; exit 1; }

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
echo "schemac introspect/plan benchmark, median of $RUNS runs: ${generated%% in *}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), PostgreSQL $(psql "$DB_URL" -AtqX -c "show server_version" | cut -d" " -f1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wall s: median and minimum; cpu s: median user + system time of the measured process"
echo "database load (psql -f, not measured below): $(awk -v a="$load_start" -v b="$load_end" 'BEGIN { printf "%.1f", b - a }') s; plan with changes: $changed_steps steps"
echo
printf '%-36s %8s %8s %8s %11s\n' "command" "wall s" "min s" "cpu s" "max RSS MB"
printf '%s\n' "${ROWS[@]}"
echo
echo "plan, same schema, $RUNS runs in a row without VACUUM: ${REPEATED[*]} s;" \
    "dead catalog rows after them: $dead_after"
