// The editor grammars against the compiler's grammar: every keyword of
// compiler/src/syntax/schema.pest must be highlighted by the TextMate grammar and the vim syntax,
// so the three cannot drift apart.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pestKeywords, PEST_PATH } = require('./lib/pest');
const { textmateMissing, vimKeywordWords, vimMissing } = require('./lib/keywords');
const { vimAvailable } = require('./lib/vim');

test('keyword extraction reads double-quoted lower-case words, not comments or symbols', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemac-pest-'));
  try {
    const file = path.join(dir, 'g.pest');
    fs.writeFileSync(file, [
      '// "commented" words do not count',
      'item = { "table" ~ ident ~ "{" ~ ^"enum" ~ "int8" }  // "trailing"',
      'str = @{ "\\"" ~ (!"\\"" ~ ANY)* ~ "\\"" }',
      'sep = { "//" ~ "not_a_comment" ~ "Upper" ~ "two words" ~ "table" }',
    ].join('\n'));
    assert.deepEqual(pestKeywords(file), ['enum', 'int8', 'not_a_comment', 'table']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the compiler grammar exists and has keywords', () => {
  // Fails clearly rather than passing with nothing to compare.
  const words = pestKeywords();
  assert.ok(words.length >= 20, `only ${words.length} keywords found in ${PEST_PATH}`);
});

test('every keyword of the compiler grammar is highlighted by the TextMate grammar', async () => {
  const missing = await textmateMissing(pestKeywords());
  assert.deepEqual(missing, [], 'add these to KEYWORDS or TYPES in editors/vscode/syntaxes/build-grammar.js');
});

test('every keyword of the compiler grammar is a keyword in the vim syntax', () => {
  const vim = vimKeywordWords();
  const missing = pestKeywords().filter((w) => !vim.has(w));
  assert.deepEqual(missing, [], 'add these to a `syn keyword` line of editors/vim/syntax/schema.vim');
});

test('vim highlights every keyword of the compiler grammar', () => {
  assert.ok(vimAvailable(), 'vim is not installed (editors/run-tests.sh installs it)');
  assert.deepEqual(vimMissing(pestKeywords()), []);
});

test('the checks can fail: a word no grammar knows is reported', async () => {
  assert.deepEqual(await textmateMissing(['table', 'frobnicate']), ['frobnicate']);
  assert.ok(!vimKeywordWords().has('frobnicate'));
  if (vimAvailable()) assert.deepEqual(vimMissing(['enum', 'frobnicate']), ['frobnicate']);
});
