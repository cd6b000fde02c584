// Vim: syntax-group snapshots of every input file (real vim, headless), file type detection and
// the filetype plugin.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { REPO } = require('./lib/textmate');
const { schemaFiles } = require('./lib/inputs');
const { matchSnapshot, obsoleteSnapshots } = require('./lib/snapshot');
const { runVim, vimGroups, vimAvailable } = require('./lib/vim');

const files = schemaFiles();

test('vim is installed', () => {
  assert.ok(vimAvailable(), 'vim is not installed (editors/run-tests.sh installs it)');
});

for (const file of files) {
  test(`vim syntax groups of ${file} match the snapshot`, { skip: !vimAvailable() && 'no vim' }, () => {
    matchSnapshot('vim', `${file}.groups`, vimGroups(path.join(REPO, file)));
  });
}

test('no obsolete vim snapshots', () => {
  assert.deepEqual(obsoleteSnapshots('vim', files.map((f) => `${f}.groups`)), []);
});

/** The dump of `text` as a `.schema` file, as `{ word: group }` for the line numbered `lnum`. */
function groupsOfLine(text, lnum) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemac-vimtest-'));
  try {
    const file = path.join(dir, 'case.schema');
    fs.writeFileSync(file, text);
    const dump = vimGroups(file).split('\n');
    const start = dump.findIndex((l) => l.startsWith(`${String(lnum).padStart(4)} |`));
    const out = [];
    for (let i = start + 1; i < dump.length && !/^\s*\d+ \|/.test(dump[i]); i += 1) {
      const m = dump[i].match(/^\s+'(.*)' (\S+)$/);
      if (m) out.push([m[1].replace(/''/g, "'"), m[2]]);
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const groupOf = (pairs, text) => (pairs.find(([t]) => t.trim() === text) || [])[1];

test('vim: a column named like a keyword is a column; the expression ends at its own parenthesis', { skip: !vimAvailable() && 'no vim' }, () => {
  const pairs = groupsOfLine("table t {\n  role text default('a)b' || f(1)) check (role <> '')\n}\n", 2);
  assert.equal(groupOf(pairs, 'role'), 'schemaColumnName');
  assert.equal(groupOf(pairs, "'a)b'"), 'schemaSqlString');
  assert.equal(groupOf(pairs, 'check'), 'schemaAttribute');
});

test('vim: table-level entries are not columns', { skip: !vimAvailable() && 'no vim' }, () => {
  const pairs = groupsOfLine('table t {\n  index t_idx (a) using gin where (a is not null)\n}\n', 2);
  assert.equal(groupOf(pairs, 'index'), 'schemaAttribute');
  assert.equal(groupOf(pairs, 'gin'), 'schemaIndexMethod');
  assert.equal(groupOf(pairs, 'is'), 'schemaSqlKeyword');
});

test('vim: doc comments, comments and // inside strings', { skip: !vimAvailable() && 'no vim' }, () => {
  const text = '/// doc\n// plain\ntenancy { setting "a//b" }\n';
  assert.equal(groupOf(groupsOfLine(text, 1), '/// doc'), 'schemaDocComment');
  assert.equal(groupOf(groupsOfLine(text, 2), '// plain'), 'schemaComment');
  assert.equal(groupOf(groupsOfLine(text, 3), '"a//b"'), 'schemaString');
});

test('vim detects .schema files and sets the comment format', { skip: !vimAvailable() && 'no vim' }, () => {
  const out = runVim(path.join(REPO, 'schema', 'accounts.schema'), [
    "call writefile([&filetype, &commentstring, b:current_syntax], g:out)",
  ]);
  assert.deepEqual(out.trim().split('\n'), ['schema', '// %s', 'schema']);
});
