#!/usr/bin/env bash
# Times `schemac verify` on `schema/` with 100,000 rows in every tenant table (bench/verify-seed.sql).
# Usage: bench/verify.sh [ADMIN_URL]   (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
admin="${1:-postgres://postgres@127.0.0.1:5432/postgres}"
db="schemac_bench_verify"
url="${admin%/*}/$db"
psql -q "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
cargo build -q --release -p schemac
target/release/schemac apply schema --database-url "$url" --yes >/dev/null
psql -q "$url" -f bench/verify-seed.sql
/usr/bin/time -f "verify: %e s wall" target/release/schemac verify schema --database-url "$url" | tail -n1
psql -q "$admin" -c "DROP DATABASE $db"
