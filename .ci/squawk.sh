#!/usr/bin/env bash
# Lints the SQL of every plan in the test suite with squawk (the PostgreSQL migration linter):
# each change pair's snapshot, tests/fixtures/changes/<case>/plan.snap, is the SQL script
# `schemac plan --format sql` printed. Rules a statement breaks on purpose are named next to it with `-- squawk-ignore` and the
# reason, as the recipe that wrote it decided (plan/deliberate.rs `Deliberate`). Usage: .ci/squawk.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v squawk >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check 'squawk-cli==2.70.0'
fi
squawk --version
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for snap in tests/fixtures/changes/*/plan.snap; do
    [ -e "$snap" ] || continue
    # An insta snapshot: a YAML header between `---` lines, then the text.
    case=$(basename "$(dirname "$snap")")
    awk 'n >= 2 { print } /^---$/ { n++ }' "$snap" > "$work/$case.sql"
    count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
    echo "no plan snapshots found" >&2
    exit 1
fi
NO_COLOR=1 squawk "$work"/*.sql
echo "squawk: $count plan(s), no violations"
