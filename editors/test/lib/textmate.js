// Loads the schema TextMate grammar into vscode-textmate, as VS Code does, and tokenizes text.
//
// `source.sql` (embedded in expressions) is VS Code's own SQL grammar, as shipped in the
// `tm-grammars` npm package: the embedding is tested against the grammar users will have.
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const EDITORS = path.resolve(__dirname, '..', '..');
const REPO = path.resolve(EDITORS, '..');
const GRAMMAR_PATH = path.join(EDITORS, 'vscode', 'syntaxes', 'schema.tmLanguage.json');
const SQL_GRAMMAR_PATH = require.resolve('tm-grammars/grammars/sql.json');

let registryPromise = null;

function registry() {
  if (!registryPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
    const onigLib = oniguruma.loadWASM(wasm).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const files = { 'source.schema': GRAMMAR_PATH, 'source.sql': SQL_GRAMMAR_PATH };
    registryPromise = Promise.resolve(new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) => {
        const file = files[scopeName];
        if (!file) return null;
        return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
      },
    }));
  }
  return registryPromise;
}

let grammarPromise = null;

/** The `source.schema` grammar (loaded once). */
function schemaGrammar() {
  if (!grammarPromise) {
    grammarPromise = registry().then((r) => r.loadGrammar('source.schema')).then((g) => {
      if (!g) throw new Error(`could not load ${GRAMMAR_PATH}`);
      return g;
    });
  }
  return grammarPromise;
}

/**
 * Tokenizes `text` line by line. Returns `{ lines, endState }`: `lines[i]` is a list of
 * `{ text, scopes }` (scopes outermost first), `endState` the rule stack after the last line.
 */
async function tokenize(text) {
  const grammar = await schemaGrammar();
  let state = vsctm.INITIAL;
  const lines = [];
  for (const line of text.split(/\r?\n/)) {
    const result = grammar.tokenizeLine(line, state);
    lines.push(result.tokens.map((t, i) => {
      const end = i + 1 < result.tokens.length ? result.tokens[i + 1].startIndex : line.length;
      return { text: line.slice(t.startIndex, end), start: t.startIndex, scopes: t.scopes };
    }));
    state = result.ruleStack;
  }
  return { lines, endState: state };
}

/** True when tokenizing ended back at the top level (no item, block or expression left open). */
function isTopLevel(state) {
  return state.equals(vsctm.INITIAL) || state.depth === 1;
}

/**
 * The snapshot text: every source line, then one line per non-blank token with its scopes (the
 * root `source.schema` left out).
 */
function renderTokens(text, lines) {
  const src = text.split(/\r?\n/);
  const out = [];
  lines.forEach((tokens, i) => {
    out.push(`${String(i + 1).padStart(4)} | ${src[i]}`);
    for (const t of tokens) {
      if (!t.text.trim()) continue;
      const scopes = t.scopes.filter((s) => s !== 'source.schema').join(' ') || '-';
      out.push(`       ${JSON.stringify(t.text)} ${scopes}`);
    }
  });
  return `${out.join('\n')}\n`;
}

module.exports = { tokenize, isTopLevel, renderTokens, schemaGrammar, REPO, EDITORS, GRAMMAR_PATH };
