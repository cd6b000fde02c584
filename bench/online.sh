#!/usr/bin/env bash
# Online-migration benchmark (issue 4; harness: ONLINE-SAFETY.md section 5).
#
# A table of 2,000,000 events gains a tenant column through a depth-2 chain
# (accounts ← users ← sessions ← events) while pgbench drives a fixed rate of point updates and
# reads on events and sessions. Each scenario runs on a fresh copy of the same database:
#   schemac-default     schemac apply with default settings (batch 1000, lock timeout 2s)
#   schemac-batch-N     schemac apply --batch-size N (fewer, larger batches: unthrottled rows/s)
#   naive               bench/naive.sql: one transaction, ADD COLUMN; UPDATE ... FROM; SET NOT NULL;
#                       CREATE INDEX, for both tables
# Meanwhile bench/sample.sql samples pg_locks / pg_stat_activity every ~10 ms. bench/report.py
# prints writers' p50/p99/max latency and failures, the longest wait of a writer behind the
# migration's locks, the longest ACCESS EXCLUSIVE hold of the migration's backend, and backfill
# rows/s. Scratch databases are dropped at the end (also on failure or Ctrl-C).
#
# Usage: bench/online.sh            (about 6-10 minutes on 2 cores)
# Environment (defaults in brackets):
#   BENCH_ADMIN_URL  maintenance database URL [postgres://postgres@127.0.0.1:5432/postgres]
#   BENCH_EVENTS [2000000]  BENCH_SESSIONS [200000]  BENCH_USERS [20000]  BENCH_ACCOUNTS [2000]
#   BENCH_RATE   offered writer transactions per second [200]   BENCH_CLIENTS [4]
#   BENCH_BIG_BATCH  batch size of the second schemac run [20000]
#   BENCH_SCENARIOS  [schemac-default schemac-big naive]
#   BENCH_KEEP=1     keep the run directory (logs) and print where it is
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench=bench

admin_url=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
events=${BENCH_EVENTS:-2000000}
sessions=${BENCH_SESSIONS:-200000}
users=${BENCH_USERS:-20000}
accounts=${BENCH_ACCOUNTS:-2000}
rate=${BENCH_RATE:-200}
clients=${BENCH_CLIENTS:-4}
big_batch=${BENCH_BIG_BATCH:-20000}
scenarios=${BENCH_SCENARIOS:-schemac-default schemac-big naive}
base_db=schemac_bench_base
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
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $base_db WITH (FORCE)" || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building the release binary"
cargo build --release -p schemac --quiet
schemac=$PWD/target/release/schemac

echo "== creating $base_db: $accounts accounts, $users users, $sessions sessions, $events events"
started=$SECONDS
# A shared server can run out of lock table space for a moment ("out of shared memory") while
# other sessions hold many locks: try the load again rather than give up.
for attempt in 1 2 3; do
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $base_db WITH (FORCE)" \
        -c "CREATE DATABASE $base_db" &&
        psql -X -q -v ON_ERROR_STOP=1 -v accounts="$accounts" -v users="$users" -v sessions="$sessions" \
            -v events="$events" -f "$bench/before.sql" "$(db_url "$base_db")" && break
    [ "$attempt" = 3 ] && { echo "loading $base_db failed" >&2; exit 1; }
    echo "   load failed; trying again" >&2
    sleep 5
done
echo "   loaded in $((SECONDS - started)) s"

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
        exec pgbench -n -c "$clients" -j 2 -R "$rate" -T 3600 -D events="$events" -D sessions="$sessions" \
            -f "$OLDPWD/$bench/pgbench/update_event.sql@4" -f "$OLDPWD/$bench/pgbench/read_event.sql@2" \
            -f "$OLDPWD/$bench/pgbench/update_session.sql@2" -f "$OLDPWD/$bench/pgbench/read_session.sql@2" \
            -l --log-prefix=pgbench_log "$(db_url "$run_db")" >pgbench.out 2>&1
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

run_scenario() { # $1 = name
    local name=$1 dir="$work/$1" app
    mkdir -p "$dir"
    echo "== $name"
    admin -c "DROP DATABASE IF EXISTS $run_db WITH (FORCE)" -c "CREATE DATABASE $run_db TEMPLATE $base_db"
    echo "$sessions $events" >"$dir/rows"
    case $name in
        naive) app=naive ;;
        *) app=schemac ;;
    esac
    start_sampler "$dir" "$app"
    start_writers "$dir"
    local t_baseline t_start t_end status=0
    sleep 2 # connections up, caches warm
    t_baseline=$(now)
    sleep 8 # the baseline window: writers alone
    t_start=$(now)
    case $name in
        schemac-default)
            "$schemac" apply "$bench/schema" --database-url "$(db_url "$run_db")" --yes \
                2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$dir/progress.txt") \
                >"$dir/apply.out" || status=$?
            ;;
        schemac-big)
            "$schemac" apply "$bench/schema" --database-url "$(db_url "$run_db")" --yes --batch-size "$big_batch" \
                2> >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$dir/progress.txt") \
                >"$dir/apply.out" || status=$?
            ;;
        naive)
            PGAPPNAME=naive psql -X -v ON_ERROR_STOP=1 -c '\timing on' -f "$bench/naive.sql" \
                "$(db_url "$run_db")" >"$dir/timing.txt" 2>&1 || status=$?
            ;;
        *)
            echo "unknown scenario $name" >&2
            status=1
            ;;
    esac
    t_end=$(now)
    sleep 3 # grace: see stop_writers
    stop_writers
    stop_sampler
    echo "$t_baseline $t_start $t_end" >"$dir/window"
    if [ "$status" != 0 ]; then
        echo "   the migration failed (exit $status):" >&2
        tail -n 20 "$dir/progress.txt" "$dir/timing.txt" "$dir/apply.out" 2>/dev/null >&2 || true
        return 1
    fi
    # The end state is what was asked for, or the figures mean nothing.
    local nulls
    nulls=$(psql -X -At "$(db_url "$run_db")" -c "SELECT (SELECT count(*) FROM sessions WHERE account_id IS NULL) + (SELECT count(*) FROM events WHERE account_id IS NULL)")
    [ "$nulls" = 0 ] || { echo "   $nulls rows without account_id after $name" >&2; return 1; }
    if [ "$app" = schemac ]; then
        "$schemac" drift "$bench/schema" --database-url "$(db_url "$run_db")" >/dev/null 2>&1 || { echo "   drift after $name" >&2; return 1; }
    fi
    printf '   %.1f s\n' "$(python3 -c "print($t_end - $t_start)")"
    # A big batch run is named after its size in the report.
    if [ "$name" = schemac-big ]; then
        mv "$dir" "$work/schemac-batch-$big_batch"
        runs+=("$work/schemac-batch-$big_batch")
    else
        runs+=("$dir")
    fi
}

runs=()
for scenario in $scenarios; do
    run_scenario "$scenario"
done

echo
echo "== results: $events events, $sessions sessions; writers: $clients clients at $rate tps (-R)," \
    "point updates and reads on events and sessions; $(nproc) CPUs"
python3 "$bench/report.py" "${runs[@]}"
