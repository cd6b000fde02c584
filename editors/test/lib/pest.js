// The keywords of the compiler's pest grammar: every double-quoted lower-case word literal.
'use strict';

const fs = require('fs');
const path = require('path');
const { REPO } = require('./textmate');

const PEST_PATH = path.join(REPO, 'compiler', 'src', 'syntax', 'schema.pest');

/**
 * Sorted unique words `w` written as `"w"` (or `^"w"`) in the grammar, outside `//` comments.
 * Throws when the grammar file is missing: the check must not pass by having nothing to check.
 */
function pestKeywords(file = PEST_PATH) {
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(REPO, file)} is missing: the keyword check needs the compiler's pest grammar`);
  }
  const text = fs.readFileSync(file, 'utf8');
  const words = new Set();
  for (const rawLine of text.split('\n')) {
    const line = stripComment(rawLine);
    for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      if (/^[a-z][a-z0-9_]*$/.test(m[1])) words.add(m[1]);
    }
  }
  return [...words].sort();
}

/** The line without a trailing `//` comment (a `//` inside a string literal is kept). */
function stripComment(line) {
  let inString = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

module.exports = { pestKeywords, stripComment, PEST_PATH };
