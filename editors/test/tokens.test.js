// TextMate grammar: token snapshots of every example, the reference schema and the edge cases,
// and assertions on what must hold whatever the snapshots say.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { tokenize, isTopLevel, renderTokens, REPO } = require('./lib/textmate');
const { schemaFiles } = require('./lib/inputs');
const { matchSnapshot, obsoleteSnapshots } = require('./lib/snapshot');

const files = schemaFiles();

test('there are examples, reference schema files and edge cases to tokenize', () => {
  assert.ok(files.some((f) => f.startsWith('examples/')), 'no .schema file under examples/');
  assert.ok(files.some((f) => f.startsWith('schema/')), 'no .schema file under schema/');
  assert.ok(files.includes('editors/test/fixtures/edge-cases.schema'));
});

for (const file of files) {
  test(`tokens of ${file} match the snapshot`, async () => {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    const { lines, endState } = await tokenize(text);
    assert.ok(isTopLevel(endState), `${file}: tokenizing ended inside an unclosed block or expression`);
    matchSnapshot('textmate', `${file}.tokens`, renderTokens(text, lines));
  });
}

test('no obsolete TextMate snapshots', () => {
  const obsolete = obsoleteSnapshots('textmate', files.map((f) => `${f}.tokens`));
  assert.deepEqual(obsolete, [], 'snapshots without a .schema file (UPDATE_SNAPSHOTS=1 removes them)');
});

// ---------------------------------------------------------------------------------------------
// Properties every file must have

/** Every token of a line with its scopes, as `[text, scopes]`. */
async function tokensOf(text) {
  const { lines } = await tokenize(text);
  return lines.flat();
}

/** The scopes of the first token whose text is `word` (after `skip` earlier ones). */
async function scopesOf(text, word, skip = 0) {
  const tokens = (await tokensOf(text)).filter((t) => t.text.trim() === word);
  assert.ok(tokens.length > skip, `no token ${JSON.stringify(word)} in ${JSON.stringify(text)}`);
  return tokens[skip].scopes;
}

const has = (scopes, prefix) => scopes.some((s) => s === prefix || s.startsWith(`${prefix}.`));

test('every keyword, name, type and attribute in the inputs gets a scope', async () => {
  // A word outside comments, strings and SQL that has no scope besides meta.* means the grammar
  // lost its place.
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    const { lines } = await tokenize(text);
    lines.forEach((tokens, i) => {
      for (const t of tokens) {
        if (!/[A-Za-z_]/.test(t.text)) continue;
        const plain = t.scopes.every((s) => s === 'source.schema' || s.startsWith('meta.'))
          && !t.scopes.includes('meta.embedded.expression.sql');
        assert.ok(!plain, `${file}:${i + 1}: ${JSON.stringify(t.text)} has no scope (${t.scopes.join(' ')})`);
      }
    });
  }
});

test('expressions end where the parser ends them', async () => {
  const line = "  a text default('x)//y' || (\"q)\" || f(g(1)))) check (a <> '') // note";
  const text = `table t {\n${line}\n}`;
  // The `check` after the default is an attribute again, not SQL.
  const check = await scopesOf(text, 'check');
  assert.ok(has(check, 'storage.modifier.attribute'), check.join(' '));
  assert.ok(!check.includes('meta.embedded.expression.sql'), check.join(' '));
  // `//` inside the string is part of the string; the one after the expression is a comment.
  const tokens = await tokensOf(text);
  const inString = tokens.find((t) => t.text.includes('x)//y'));
  assert.ok(inString && has(inString.scopes, 'string.quoted.single'), JSON.stringify(inString));
  const comment = tokens.find((t) => t.text.includes('note'));
  assert.ok(has(comment.scopes, 'comment.line.double-slash'), comment.scopes.join(' '));
  // The quoted identifier keeps its `)`.
  const quoted = tokens.find((t) => t.text === 'q)');
  assert.ok(quoted && has(quoted.scopes, 'string.quoted.double.sql'), JSON.stringify(quoted));
});

test('SQL inside expressions is embedded source.sql content', async () => {
  const text = 'table t {\n  n int check (n between 1 and 10)\n}';
  const between = await scopesOf(text, 'between');
  assert.ok(between.includes('meta.embedded.expression.sql'), between.join(' '));
  assert.ok(between.some((s) => s.endsWith('.sql') && !s.startsWith('meta.')), `no SQL scope: ${between.join(' ')}`);
});

test('a column named like a keyword is a column', async () => {
  for (const word of ['role', 'index', 'check', 'table', 'global', 'primary', 'policy', 'backfill', 'unique']) {
    const scopes = await scopesOf(`table t {\n  ${word} text\n}`, word, word === 'table' ? 1 : 0);
    assert.ok(has(scopes, 'variable.other.column'), `${word}: ${scopes.join(' ')}`);
  }
});

test('table-level entries are not columns', async () => {
  const cases = [
    ['index (a)', 'index', 'keyword.control'],
    ['index a_idx (a) using gin', 'a_idx', 'entity.name.function.constraint'],
    ['unique (a, b)', 'unique', 'keyword.control'],
    ['check c_check (a > 0)', 'c_check', 'entity.name.function.constraint'],
    ['primary key (a)', 'key', 'keyword.control'],
    ['foreign key (a) references u (b)', 'u', 'entity.name.type.table'],
    ['policy p for select using (true)', 'p', 'entity.name.function.policy'],
    ['backfill a from b', 'from', 'keyword.control'],
    ['backfill a (1)', 'a', 'variable.other.column'],
    ['row level security forced', 'forced', 'keyword.control'],
  ];
  for (const [entry, word, scope] of cases) {
    const scopes = await scopesOf(`table t {\n  ${entry}\n}`, word);
    assert.ok(has(scopes, scope), `${entry}: ${word} is ${scopes.join(' ')}`);
    assert.ok(!scopes.includes('meta.column.schema'), `${entry}: read as a column`);
  }
});

test('types: built-in, quoted, parameterised, arrays, enums, nullable', async () => {
  const text = 'table t {\n  a "double precision"\n  b varchar(20)?\n  c numeric(6,2)[]\n  d ns.mood?\n}';
  assert.ok(has(await scopesOf(text, '"double precision"'), 'support.type'));
  assert.ok(has(await scopesOf(text, 'varchar'), 'support.type.builtin'));
  assert.ok(has(await scopesOf(text, '20'), 'constant.numeric'));
  assert.ok(has(await scopesOf(text, '[]'), 'storage.modifier.array'));
  assert.ok(has(await scopesOf(text, 'mood'), 'entity.name.type.enum'));
  assert.ok(has(await scopesOf(text, '?'), 'keyword.operator.nullable'));
});

test('doc comments and comments are told apart', async () => {
  const text = '/// doc\n// plain\n//// rule';
  const tokens = await tokensOf(text);
  assert.ok(has(tokens.find((t) => t.text === ' doc').scopes, 'comment.line.documentation'));
  assert.ok(has(tokens.find((t) => t.text === ' plain').scopes, 'comment.line.double-slash'));
  assert.ok(has(tokens.find((t) => t.text.includes('rule')).scopes, 'comment.line.double-slash'));
});

test('an unclosed grant ends at the next item', async () => {
  const text = 'grant select on t\ntable u {\n  id int\n}';
  const table = await scopesOf(text, 'table');
  assert.ok(has(table, 'storage.type.table'), table.join(' '));
});
