// Folding ranges of the VS Code extension (editors/vscode/folding.js).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { EDITORS } = require('./lib/textmate');

const { foldingRanges } = require(path.join(EDITORS, 'vscode', 'folding.js'));

test('blocks fold from the opening line to the line before the closing brace', () => {
  const text = 'table t {\n  id int\n  name text\n}\n\nenum e { a, b }\n';
  assert.deepEqual(foldingRanges(text), [{ start: 0, end: 2 }]);
});

test('multi-line expressions fold; braces and parentheses in strings and comments do not count', () => {
  const text = [
    'table t {',                      // 0
    "  a text default('{(') // } )",  // 1
    '  b text check (',               // 2
    "    b <> '}'",                   // 3
    '    and b <> "(" -- // not a schema comment',
    '  )',                            // 5
    '}',                              // 6
    'enum e { "}", a }',              // 7
  ].join('\n');
  assert.deepEqual(foldingRanges(text), [{ start: 0, end: 5 }, { start: 2, end: 4 }]);
});

test('runs of comment lines fold as comments', () => {
  const text = '// one\n// two\n/// three\ntable t {\n  // single\n  id int\n}\n';
  assert.deepEqual(foldingRanges(text), [
    { start: 0, end: 2, kind: 'comment' },
    { start: 3, end: 5 },
  ]);
});

test('unbalanced input gives ranges for what is balanced and does not throw', () => {
  assert.deepEqual(foldingRanges('}\ntable t {\n  a int\n  b int\n}\n)\n'), [{ start: 1, end: 3 }]);
  assert.deepEqual(foldingRanges('table t {\n  a int\n'), []);
});
