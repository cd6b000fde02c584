// The `.schema` files the editor tests run over: every file under examples/ and schema/ (as they
// are when the tests run) plus the edge cases in editors/test/fixtures/.
'use strict';

const fs = require('fs');
const path = require('path');
const { REPO } = require('./textmate');

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.name.endsWith('.schema')) out.push(full);
  }
  return out;
}

/** Paths relative to the repository root, `/`-separated, sorted. */
function schemaFiles() {
  const dirs = ['examples', 'schema', path.join('editors', 'test', 'fixtures')];
  return dirs
    .flatMap((d) => walk(path.join(REPO, d)))
    .map((f) => path.relative(REPO, f).split(path.sep).join('/'))
    .sort();
}

module.exports = { schemaFiles, walk };
