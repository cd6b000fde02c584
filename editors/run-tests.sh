#!/usr/bin/env bash
# Editor support checks: installs the test tools from the npm registry (npm ci), runs the TextMate
# token snapshots, the vim syntax snapshots, the keyword check against the compiler's pest
# grammar, the folding and manifest tests, and packages the VS Code extension with vsce.
#
#   editors/run-tests.sh                      # check
#   UPDATE_SNAPSHOTS=1 editors/run-tests.sh   # rewrite the snapshots (review the diff!)
#
# Leaves the packaged extension at editors/vscode/schemac-schema.vsix (ignored by git).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v vim >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "editors: installing vim (the vim syntax is tested with the real vim)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq vim >/dev/null
  else
    echo "editors: vim is needed for the vim syntax tests; install it (apt-get install vim)" >&2
    exit 1
  fi
fi

cd "$here/test"
# --ignore-scripts: nothing here needs an install script (keytar and vsce-sign are only for
# publishing and signing), and some would try to download prebuilt binaries.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node --test grammar.test.js tokens.test.js keywords.test.js vim.test.js folding.test.js

cd "$here/vscode"
# The extension's one runtime dependency (vscode-languageclient, for `schemac lsp`) is packaged
# into the .vsix.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -f schemac-schema.vsix
../test/node_modules/.bin/vsce package --allow-missing-repository --out schemac-schema.vsix
test -s schemac-schema.vsix
echo "editors: packaged $here/vscode/schemac-schema.vsix"
