// Checked-in snapshots: compared by default, rewritten with UPDATE_SNAPSHOTS=1.
'use strict';

const fs = require('fs');
const path = require('path');

const SNAPSHOTS = path.resolve(__dirname, '..', 'snapshots');
const updating = process.env.UPDATE_SNAPSHOTS === '1';

/** The first lines where `actual` and `expected` differ, for a readable failure. */
function firstDifference(expected, actual) {
  const e = expected.split('\n');
  const a = actual.split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i += 1) {
    if (e[i] !== a[i]) {
      return `first difference at snapshot line ${i + 1}:\n  expected: ${e[i]}\n  actual:   ${a[i]}`;
    }
  }
  return 'no difference';
}

/**
 * Compares `actual` with the snapshot `kind/name` (or writes it when updating). Throws with the
 * first differing line, or when the snapshot is missing.
 */
function matchSnapshot(kind, name, actual) {
  const file = path.join(SNAPSHOTS, kind, name);
  if (updating) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== actual) fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(`missing snapshot ${path.relative(process.cwd(), file)}: run UPDATE_SNAPSHOTS=1 editors/run-tests.sh and review it`);
  }
  const expected = fs.readFileSync(file, 'utf8');
  if (expected !== actual) {
    throw new Error(`${kind}/${name} differs from its snapshot (UPDATE_SNAPSHOTS=1 to accept)\n${firstDifference(expected, actual)}`);
  }
}

/**
 * Snapshot files of `kind` that no test wrote or read (`expected` names): deleted when updating,
 * returned otherwise so the test can fail on them.
 */
function obsoleteSnapshots(kind, expected) {
  const dir = path.join(SNAPSHOTS, kind);
  const want = new Set(expected);
  const found = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else found.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  walk(dir);
  const obsolete = found.filter((f) => !want.has(f));
  if (updating) {
    for (const f of obsolete) fs.unlinkSync(path.join(dir, f));
    return [];
  }
  return obsolete;
}

module.exports = { matchSnapshot, obsoleteSnapshots, updating };
