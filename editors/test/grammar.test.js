// The VS Code extension's static parts: the generated grammar is up to date, the manifest points
// at files that exist, and the language configuration and snippets are what the issue asks for.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { tokenize, isTopLevel, EDITORS, GRAMMAR_PATH } = require('./lib/textmate');

const VSCODE = path.join(EDITORS, 'vscode');
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(VSCODE, file), 'utf8'));

test('schema.tmLanguage.json is what build-grammar.js produces', () => {
  const { render } = require(path.join(VSCODE, 'syntaxes', 'build-grammar.js'));
  assert.equal(fs.readFileSync(GRAMMAR_PATH, 'utf8'), render(),
    'run `node editors/vscode/syntaxes/build-grammar.js` and commit the result');
});

test('the extension manifest contributes the language, grammar and snippets', () => {
  const pkg = readJson('package.json');
  const [lang] = pkg.contributes.languages;
  assert.equal(lang.id, 'schema');
  assert.deepEqual(lang.extensions, ['.schema']);
  const [grammar] = pkg.contributes.grammars;
  assert.equal(grammar.scopeName, 'source.schema');
  assert.equal(readJson(grammar.path).scopeName, 'source.schema');
  assert.equal(grammar.embeddedLanguages['meta.embedded.expression.sql'], 'sql');
  for (const file of [lang.configuration, grammar.path, pkg.contributes.snippets[0].path, pkg.main]) {
    assert.ok(fs.existsSync(path.join(VSCODE, file)), `${file} does not exist`);
  }
});

test('the language configuration has comments, brackets, auto-closing pairs and folding', () => {
  const conf = readJson('language-configuration.json');
  assert.equal(conf.comments.lineComment, '//');
  for (const pair of [['{', '}'], ['(', ')']]) {
    assert.ok(conf.brackets.some((b) => b[0] === pair[0] && b[1] === pair[1]), `bracket ${pair}`);
    assert.ok(conf.autoClosingPairs.some((p) => p.open === pair[0] && p.close === pair[1]), `auto-close ${pair}`);
  }
  assert.ok(conf.autoClosingPairs.some((p) => p.open === '"'), 'auto-close "');
  assert.ok(conf.folding.markers.start && conf.folding.markers.end);
});

/** A snippet body with every placeholder replaced by its default (the first choice). */
function expand(body) {
  let text = body.join('\n');
  for (let i = 0; i < 10; i += 1) {
    const before = text;
    text = text
      .replace(/\$\{\d+\|([^,|}]*)[^}]*\|\}/g, '$1')
      .replace(/\$\{\d+:([^${}]*)\}/g, '$1')
      .replace(/\$\d+/g, '');
    if (text === before) break;
  }
  assert.ok(!text.includes('$'), `placeholder left in ${text}`);
  return text;
}

test('snippets exist for every item and entry the issue lists, and expand to valid-looking source', async () => {
  const snippets = readJson('snippets/schema.json');
  const prefixes = Object.values(snippets).flatMap((s) => [].concat(s.prefix));
  for (const p of ['tenancy', 'table', 'tenant table', 'global table', 'enum', 'index', 'policy', 'grant']) {
    assert.ok(prefixes.includes(p), `no snippet with prefix ${p}`);
  }
  for (const [name, snippet] of Object.entries(snippets)) {
    let text = expand(snippet.body);
    // Table-level entries are written inside a table.
    if (['index', 'policy'].includes(name)) text = `table t {\n  ${text.replace(/\n/g, '\n  ')}\n}`;
    const { lines, endState } = await tokenize(text);
    assert.ok(isTopLevel(endState), `${name}: left a block open`);
    const first = lines.flat().find((t) => t.text.trim());
    assert.ok(first.scopes.some((s) => /^(keyword|storage|comment)\./.test(s)), `${name}: starts with ${first.scopes}`);
  }
});
