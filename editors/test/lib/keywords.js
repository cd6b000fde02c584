// Whether each keyword is highlighted by the TextMate grammar and by the vim syntax.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { tokenize } = require('./textmate');
const { runVim, VIM_DIR } = require('./vim');

/** Scope prefixes that themes colour as keywords, types or constants. */
const HIGHLIGHT = ['keyword.', 'storage.', 'support.type', 'support.constant', 'constant.language'];

/**
 * The keywords, of `words`, that the TextMate grammar leaves without a highlight, each alone in a
 * file (together, `tenancy` would open a block that the following words are read inside).
 */
async function textmateMissing(words) {
  const missing = [];
  for (const word of words) {
    const { lines } = await tokenize(word);
    const token = lines[0].find((t) => t.text === word);
    if (!token || !token.scopes.some((s) => HIGHLIGHT.some((h) => s.startsWith(h)))) missing.push(word);
  }
  return missing;
}

/** Every word in a `syn keyword` line of syntax/schema.vim. */
function vimKeywordWords() {
  const text = fs.readFileSync(path.join(VIM_DIR, 'syntax', 'schema.vim'), 'utf8');
  const words = new Set();
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*syn(?:tax)?\s+keyword\s+\w+\s+(.*)$/);
    if (!m) continue;
    for (const w of m[1].split(/\s+/)) {
      if (w && !w.includes('=') && !['contained', 'skipwhite', 'skipnl', 'skipempty', 'transparent'].includes(w)) {
        words.add(w);
      }
    }
  }
  return words;
}

/** Syntax groups that vim must give a keyword (linked to Statement, Keyword, Type, Constant ...). */
const VIM_KEYWORD_GROUPS = /^schema(Statement|Structure|Modifier|Keyword|Attribute|Constant|IndexMethod|Type)$/;

/**
 * The keywords, of `words`, that real vim does not highlight with a keyword group when each stands
 * alone on a line of a `.schema` file; `[]` when all are.
 */
function vimMissing(words) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemac-kw-'));
  try {
    const file = path.join(dir, 'keywords.schema');
    // Blank lines between the words: after `table`, the next word on the next line is the table's
    // name, as it should be.
    fs.writeFileSync(file, `${words.join('\n\n')}\n`);
    const out = runVim(file, [
      "call writefile(map(range(1, line('$'), 2), {_, l -> synIDattr(synID(l, 1, 1), 'name')}), g:out)",
    ]);
    const groups = out.split('\n');
    return words.filter((_, i) => !VIM_KEYWORD_GROUPS.test(groups[i] || ''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { textmateMissing, vimKeywordWords, vimMissing, HIGHLIGHT };
