#!/usr/bin/env bash
# Benchmark of `schemac apply --targets` on a fleet of small databases: a typical change (a new
# nullable column and its index, on 3 tables with a few hundred rows each) applied to DATABASES
# databases with `--parallel 1, 4, 16`; wall time and peak memory (RSS) of each run. See
# bench/README.md.
#
#   bench/fleet.sh [DATABASES] [PARALLEL...]        (defaults: 200, then 1 4 16)
#
# Environment: SCHEMAC_BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), a
# maintenance database on the server to use. The databases are named schemac_fleet_<pid>_NNNN and
# dropped at the end, whatever happens. Needs psql and GNU time (/usr/bin/time; `apt-get install
# time`). Builds the release binary first.
set -euo pipefail

DATABASES=${1:-200}
shift || true
PARALLEL=("$@")
[ ${#PARALLEL[@]} -gt 0 ] || PARALLEL=(1 4 16)
ADMIN_URL=${SCHEMAC_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PREFIX="schemac_fleet_$$"
TEMPLATE="${PREFIX}_template"
SERVER_URL="${ADMIN_URL%/*}"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCHEMAC="$ROOT/target/release/schemac"
TIME=/usr/bin/time

command -v psql >/dev/null || { echo "error: psql is not installed" >&2; exit 1; }
[ -x "$TIME" ] || { echo "error: GNU time is not installed (apt-get install time)" >&2; exit 1; }

WORK=$(mktemp -d)
# Drops the databases LIKE $1, 16 at a time: DROP DATABASE asks for a checkpoint, and concurrent
# requests share one where 200 sequential drops would wait for 200.
drop_like() {
    psql "$ADMIN_URL" -qXAt -c "SELECT quote_ident(datname) FROM pg_database WHERE datname LIKE '$1'" |
        xargs -r -P 16 -I{} psql "$ADMIN_URL" -qX -c "DROP DATABASE IF EXISTS {} WITH (FORCE)" >/dev/null
}
drop_all() {
    drop_like "${PREFIX}%"
}
cleanup() {
    drop_all || echo "warning: could not drop the ${PREFIX}_* databases" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building the release binary..." >&2
(cd "$ROOT" && cargo build --quiet --release -p schemac)

# One template database at the schema before the change, with rows; the fleet is copied from it.
psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$TEMPLATE\" TEMPLATE template0" >/dev/null
"$SCHEMAC" apply "$ROOT/bench/fleet/before.schema" --database-url "$SERVER_URL/$TEMPLATE" --yes \
    >/dev/null 2>"$WORK/stderr" || { echo "error: the template could not be made:" >&2; cat "$WORK/stderr" >&2; exit 1; }
psql "$SERVER_URL/$TEMPLATE" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 20) g;
INSERT INTO projects (account_id, name) SELECT id, 'project' FROM accounts, generate_series(1, 10);
INSERT INTO tasks (project_id, title) SELECT id, 'task' FROM projects, generate_series(1, 3);
SQL

# A fresh fleet per run, ${PREFIX}_<run>_NNNN, and a targets file whose server pattern matches it;
# every fleet is dropped at the end (drops between runs would wait on checkpoints, not measure).
make_fleet() {
    local run=$1
    seq -w 1 "$DATABASES" | xargs -P 8 -I{} psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE \"${PREFIX}_${run}_{}\" TEMPLATE \"$TEMPLATE\"" >/dev/null
    cat > "$WORK/targets.toml" <<TOML
[[server]]
name      = "bench"
url       = "$ADMIN_URL"
databases = "${PREFIX}\\\\_${run}\\\\_%"
TOML
}

printf '%-10s %-10s %-14s %s\n' parallel databases "wall (s)" "peak RSS (MB)"
for parallel in "${PARALLEL[@]}"; do
    make_fleet "p$parallel"
    "$TIME" -f '%e %M' -o "$WORK/time" "$SCHEMAC" apply "$ROOT/bench/fleet/after.schema" \
        --targets "$WORK/targets.toml" --parallel "$parallel" --per-server "$parallel" --yes \
        --format json >"$WORK/summary.json" 2>"$WORK/stderr" || {
        echo "error: apply --targets failed (parallel $parallel):" >&2
        tail -20 "$WORK/stderr" >&2
        head -c 2000 "$WORK/summary.json" >&2
        exit 1
    }
    grep -q "\"applied\": $DATABASES" "$WORK/summary.json" || {
        echo "error: not every database was applied:" >&2
        grep -A8 '"summary"' "$WORK/summary.json" >&2
        exit 1
    }
    read -r wall rss <"$WORK/time"
    printf '%-10s %-10s %-14s %s\n' "$parallel" "$DATABASES" "$wall" "$((rss / 1024))"
done
