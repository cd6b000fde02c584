#!/usr/bin/env bash
# Online-migration benchmark (issues 4 and 13; harness: ONLINE-SAFETY.md section 5).
#
# A table of 2,000,000 events gains a tenant column through a depth-2 chain
# (accounts ← users ← sessions ← events) while pgbench drives a fixed rate of point updates,
# reads and inserts on events and sessions; the inserts (20%) never set the tenant column. Each
# scenario runs on a fresh copy of the same database:
#   schemac-default     schemac apply with default settings
#   schemac-big         schemac apply --batch-size N (BENCH_BIG_BATCH)
#   hand                bench/hand.sql: ONLINE-SAFETY.md recipe A written by hand (fill trigger,
#                       DO loop over 1,000-key ranges with a COMMIT per batch, validated check,
#                       index built concurrently)
#   naive               bench/naive.sql: one transaction, ADD COLUMN; UPDATE ... FROM; SET NOT NULL;
#                       CREATE INDEX, for both tables
#   schemac-bigint      events.hits int → bigint (the online type change) with schemac apply, on a
#                       copy of the database with the tenant column already added by schemac
# Meanwhile bench/sample.sql samples pg_locks / pg_stat_activity every ~10 ms. The writers keep
# running BENCH_AFTER seconds after the migration ends, so errors after it are counted too.
# bench/report.py prints writers' latency, application errors during and after the migration,
# the longest wait of a writer behind the migration's locks, the longest ACCESS EXCLUSIVE hold of
# the migration's backend, backfill rows/s and the machine's load average. Scratch databases are
# dropped at the end (also on failure or Ctrl-C).
#
# Usage: bench/online.sh            (about 4 minutes per scenario on 2 cores)
# Environment (defaults in brackets):
#   BENCH_ADMIN_URL  maintenance database URL [postgres://postgres@127.0.0.1:5432/postgres]
#   BENCH_EVENTS [2000000]  BENCH_SESSIONS [200000]  BENCH_USERS [20000]  BENCH_ACCOUNTS [2000]
#   BENCH_RATE   offered writer transactions per second [400]   BENCH_CLIENTS [4]
#   BENCH_AFTER  seconds the writers keep running after the migration [5]
#   BENCH_BIG_BATCH  batch size of schemac-big [20000]
#   BENCH_SCENARIOS  [schemac-default hand schemac-bigint]
#   BENCH_ROUNDS     how many times the scenarios run, interleaved (a, b, c, a, b, c) [1]
#   BENCH_SCHEMAC    a schemac binary to run instead of building the release one (a quick check)
#   BENCH_KEEP=1     keep the run directory (logs) and print where it is
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench=bench

admin_url=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
events=${BENCH_EVENTS:-2000000}
sessions=${BENCH_SESSIONS:-200000}
users=${BENCH_USERS:-20000}
accounts=${BENCH_ACCOUNTS:-2000}
rate=${BENCH_RATE:-400}
clients=${BENCH_CLIENTS:-4}
after=${BENCH_AFTER:-5}
big_batch=${BENCH_BIG_BATCH:-20000}
scenarios=${BENCH_SCENARIOS:-schemac-default hand schemac-bigint}
rounds=${BENCH_ROUNDS:-1}
base_db=schemac_bench_base
tenant_db=schemac_bench_tenant
run_db=schemac_bench_run

# pgbench and psql from PATH, else from the newest installed PostgreSQL.
pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)
for tool in psql pgbench; do
    if ! command -v "$tool" >/dev/null; then
        if [ -n "$pg_bin" ] && [ -x "$pg_bin/$tool" ]; then
            PATH="$pg_bin:$PATH"
        else
            echo "$tool not found: install the PostgreSQL client (e.g. apt-get install postgresql-client)" >&2
            exit 1
        fi
    fi
done
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }

db_url() { # the URL of database $1 on the same server as $admin_url
    python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin_url" "$1"
}
admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$admin_url" "$@"; }
now() { printf '%s\n' "$EPOCHREALTIME"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/schemac-bench.XXXXXX")
sampler_pid=""
pgbench_pid=""
cleanup() {
    [ -n "$sampler_pid" ] && { touch "$work/stop-sampler"; wait "$sampler_pid" 2>/dev/null || true; }
    [ -n "$pgbench_pid" ] && { kill -TERM "$pgbench_pid" 2>/dev/null || true; wait "$pgbench_pid" 2>/dev/null || true; }
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $tenant_db WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $base_db WITH (FORCE)" || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_SCHEMAC:-}" ]; then
    schemac=$(realpath "$BENCH_SCHEMAC")
else
    echo "== building the release binary"
    cargo build --release -p schemac --quiet
    schemac=$PWD/target/release/schemac
fi

echo "== creating $base_db: $accounts accounts, $users users, $sessions sessions, $events events"
started=$SECONDS
# A shared server can run out of lock table space for a moment ("out of shared memory") while
# other sessions hold many locks: try the load again rather than give up.
for attempt in 1 2 3; do
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $tenant_db WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $base_db WITH (FORCE)" -c "CREATE DATABASE $base_db" &&
        psql -X -q -v ON_ERROR_STOP=1 -v accounts="$accounts" -v users="$users" -v sessions="$sessions" \
            -v events="$events" -f "$bench/before.sql" "$(db_url "$base_db")" && break
    [ "$attempt" = 3 ] && { echo "loading $base_db failed" >&2; exit 1; }
    echo "   load failed; trying again" >&2
    sleep 5
done
echo "   loaded in $((SECONDS - started)) s"

# The type change's starting point: the same database with the tenant column already added by
# schemac (no load), vacuumed; and its target, the schema with `events.hits` as bigint.
bigint_schema="$work/schema-bigint"
make_tenant_base() {
    [ -n "${tenant_made:-}" ] && return 0
    echo "== creating $tenant_db: $base_db with the tenant column (schemac apply, no load)"
    started=$SECONDS
    admin -c "CREATE DATABASE $tenant_db TEMPLATE $base_db"
    "$schemac" apply "$bench/schema" --database-url "$(db_url "$tenant_db")" --yes >/dev/null 2>"$work/tenant-apply.txt" ||
        { tail -n 20 "$work/tenant-apply.txt" >&2; return 1; }
    psql -X -q -v ON_ERROR_STOP=1 -c "VACUUM (FULL, ANALYZE)" "$(db_url "$tenant_db")"
    mkdir -p "$bigint_schema"
    sed -E 's/^(  hits +)integer$/\1bigint/' "$bench/schema/chain.schema" >"$bigint_schema/chain.schema"
    grep -qE '^  hits +bigint$' "$bigint_schema/chain.schema" || { echo "schema-bigint: no hits column" >&2; return 1; }
    echo "   made in $((SECONDS - started)) s"
    tenant_made=1
}

start_sampler() { # $1 = run dir, $2 = application_name of the migration's backend
    rm -f "$work/stop-sampler"
    local query
    query=$(cat "$bench/sample.sql")
    (
        while [ ! -e "$work/stop-sampler" ]; do
            printf '%s\n' "$query"
            sleep 0.01
        done | psql -X -q -At -F '|' -v app="$2" "$(db_url "$run_db")" >"$1/samples.txt" 2>"$1/sampler.err"
    ) &
    sampler_pid=$!
}

stop_sampler() {
    touch "$work/stop-sampler"
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
}

start_writers() { # $1 = run dir
    (
        cd "$1"
        # Weights out of 20: 4 are inserts (20%) that do not set account_id. pgbench 15 ends a
        # client at its first error other than a serialization failure or deadlock; its stderr is
        # kept with a time stamp per line so that report.py can tell during from after.
        exec pgbench -n -c "$clients" -j 2 -R "$rate" -T 3600 --failures-detailed \
            -D events="$events" -D sessions="$sessions" -D users="$users" \
            -f "$OLDPWD/$bench/pgbench/update_event.sql@6" -f "$OLDPWD/$bench/pgbench/read_event.sql@4" \
            -f "$OLDPWD/$bench/pgbench/update_session.sql@3" -f "$OLDPWD/$bench/pgbench/read_session.sql@3" \
            -f "$OLDPWD/$bench/pgbench/insert_event.sql@3" -f "$OLDPWD/$bench/pgbench/insert_session.sql@1" \
            -l --log-prefix=pgbench_log "$(db_url "$run_db")" >pgbench.out \
            2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >pgbench.err)
    ) &
    pgbench_pid=$!
}

stop_writers() {
    # pgbench writes its per-transaction log through stdio buffers: the grace period before this
    # keeps what a kill may lose outside the migration window. (SIGTERM: a background job of a
    # non-interactive shell ignores SIGINT.)
    kill -TERM "$pgbench_pid" 2>/dev/null || true
    wait "$pgbench_pid" 2>/dev/null || true
    pgbench_pid=""
}

# schemac apply of schema dir $1 to the run database, its progress lines time-stamped in $2.
schemac_apply() {
    local schema=$1 dir=$2
    shift 2
    "$schemac" apply "$schema" --database-url "$(db_url "$run_db")" --yes "$@" \
        2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$dir/progress.txt") \
        >"$dir/apply.out"
}

run_scenario() { # $1 = name, $2 = label (the run directory's name)
    local name=$1 dir="$work/$2" app template=$base_db schema="$bench/schema"
    mkdir -p "$dir"
    echo "== $2 (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    case $name in
        naive | hand) app=$name ;;
        schemac-bigint) app=schemac template=$tenant_db schema=$bigint_schema ;;
        schemac-default | schemac-big) app=schemac ;;
        *)
            echo "unknown scenario $name" >&2
            return 1
            ;;
    esac
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "CREATE DATABASE $run_db TEMPLATE $template"
    echo "$sessions $events" >"$dir/rows"
    start_sampler "$dir" "$app"
    start_writers "$dir"
    local t_baseline t_start t_end t_after status=0 load_start
    sleep 2 # connections up, caches warm
    t_baseline=$(now)
    sleep 8 # the baseline window: writers alone
    load_start=$(cut -d' ' -f1 /proc/loadavg)
    t_start=$(now)
    case $name in
        schemac-default | schemac-bigint) schemac_apply "$schema" "$dir" || status=$? ;;
        schemac-big) schemac_apply "$schema" "$dir" --batch-size "$big_batch" || status=$? ;;
        naive | hand)
            PGAPPNAME=$name psql -X -v ON_ERROR_STOP=1 -c '\timing on' -f "$bench/$name.sql" \
                "$(db_url "$run_db")" >"$dir/timing.txt" 2>&1 || status=$?
            ;;
    esac
    t_end=$(now)
    sleep "$after" # the writers go on after the migration: errors here count as "after"
    t_after=$(now)
    echo "$load_start $(cut -d' ' -f1 /proc/loadavg)" >"$dir/load"
    sleep 3 # grace: see stop_writers
    stop_writers
    stop_sampler
    echo "$t_baseline $t_start $t_end $t_after" >"$dir/window"
    if [ "$status" != 0 ]; then
        echo "   the migration failed (exit $status):" >&2
        tail -n 20 "$dir/progress.txt" "$dir/timing.txt" "$dir/apply.out" 2>/dev/null >&2 || true
        return 1
    fi
    # The end state is what was asked for, or the figures mean nothing.
    local nulls
    nulls=$(psql -X -At "$(db_url "$run_db")" -c "SELECT (SELECT count(*) FROM sessions WHERE account_id IS NULL) + (SELECT count(*) FROM events WHERE account_id IS NULL)")
    [ "$nulls" = 0 ] || { echo "   $nulls rows without account_id after $name" >&2; return 1; }
    if [ "$name" = schemac-bigint ]; then
        local type
        type=$(psql -X -At "$(db_url "$run_db")" -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'hits'")
        [ "$type" = bigint ] || { echo "   events.hits is $type after $name" >&2; return 1; }
    fi
    if [ "$app" = schemac ]; then
        "$schemac" drift "$schema" --database-url "$(db_url "$run_db")" >/dev/null 2>&1 || { echo "   drift after $name" >&2; return 1; }
    fi
    printf '   %.1f s\n' "$(python3 -c "print($t_end - $t_start)")"
    runs+=("$dir")
}

runs=()
for round in $(seq 1 "$rounds"); do
    for scenario in $scenarios; do
        label=$scenario
        [ "$scenario" = schemac-big ] && label=schemac-batch-$big_batch
        [ "$rounds" = 1 ] || label="$label.$round"
        [ "$scenario" = schemac-bigint ] && make_tenant_base
        run_scenario "$scenario" "$label"
    done
done

echo
echo "== results: $events events, $sessions sessions; writers: $clients clients at $rate tps (-R)," \
    "point updates and reads on events and sessions, 20% inserts without account_id; $(nproc) CPUs;" \
    "$(psql -X -At "$admin_url" -c 'SHOW server_version' | cut -d' ' -f1)"
python3 "$bench/report.py" "${runs[@]}"
