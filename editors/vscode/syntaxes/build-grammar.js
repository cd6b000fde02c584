#!/usr/bin/env node
// Builds schema.tmLanguage.json (the file VS Code loads) from this readable source.
//
// Edit this file, then run `node editors/vscode/syntaxes/build-grammar.js`; the editor tests fail
// when the checked-in JSON differs from what this script produces.
//
// Why a generator: the regexes share fragments (identifiers, type names, keyword lists) and
// writing them out by hand in JSON, doubly escaped, is how grammars rot.
//
// How the grammar reads a `.schema` file (see /work/shared/LANGUAGE.md for the language):
// - Items (`tenancy`, `enum`, `table`, `role`, `grant`) are begin/end rules at the top level.
// - Inside a table body, a line is a table-level entry when it starts with an entry keyword in the
//   shape of an entry (`index (`, `check name (`, `policy p for` ...), and otherwise a column
//   `name type ...` when it has that shape. Keywords are not reserved in the language, so a column
//   called `role`, `index` or `check` is still a column: shape decides, not the word.
// - SQL expressions (`default(...)`, `check (...)`, `using (...)`, `where (...)`, `generated (...)`,
//   `backfill (...)`, `with check (...)`, index expressions) are embedded as `source.sql`. Like the
//   compiler's parser, this grammar balances parentheses and respects '...' and "..." inside them,
//   and nothing else: our own rules for strings, parentheses, function calls and the characters
//   that VS Code's SQL grammar would treat as the start of a comment or regex (`#`, `/`, `%`, `[`)
//   are listed before `source.sql`, so they win where both match at the same position.
'use strict';

const fs = require('fs');
const path = require('path');

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const QNAME = `${IDENT}(?:\\.${IDENT})?`;
const words = (list) => list.join('|');

/** Built-in column types (LANGUAGE.md "Types", plus the aliases the compiler accepts). */
const TYPES = [
  'uuid', 'text', 'varchar', 'char', 'character', 'varying', 'smallint', 'int', 'integer', 'bigint',
  'int2', 'int4', 'int8', 'smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8',
  'bool', 'boolean', 'real', 'float', 'float4', 'float8', 'double', 'precision', 'numeric',
  'decimal', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'json', 'jsonb',
  'bytea', 'inet', 'cidr', 'macaddr', 'citext', 'money', 'tsvector', 'xml', 'oid', 'bpchar',
];
/** Types that take `(n)` or `(p,s)`: a word before `(` that is one of these is a type, not a name. */
const PARAM_TYPES = ['varchar', 'char', 'character', 'numeric', 'decimal', 'time', 'timestamp',
  'timestamptz', 'interval', 'float', 'bit', 'varbit'];
/** Index access methods after `using`. */
const INDEX_METHODS = ['btree', 'hash', 'gist', 'gin', 'brin', 'spgist', 'bloom'];
/** After an index key (`at desc nulls last`), and an index's `include (...)` / `nulls not distinct`. */
const INDEX_KEYWORDS = ['asc', 'desc', 'nulls', 'first', 'last', 'include', 'not', 'distinct', 'virtual'];
/** Grant privileges. */
const PRIVILEGES = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger', 'all', 'privileges'];
/** Referential actions after `on delete` / `on update`. */
const FK_ACTIONS = ['cascade', 'restrict'];
/**
 * Every other keyword of the language. The top-level fallback rule highlights these wherever no
 * more specific rule applied, so a keyword the compiler's grammar knows is never left plain (the
 * editor tests check this list against compiler/src/syntax/schema.pest).
 */
const KEYWORDS = [
  'tenancy', 'root', 'column', 'setting', 'bypass', 'rls', 'fill', 'enum', 'renamed', 'from', 'table',
  'tenant', 'global', 'primary', 'unique', 'index', 'default', 'references', 'on', 'delete',
  'update', 'set', 'no', 'action', 'check', 'using', 'backfill', 'generated', 'key', 'foreign',
  'where', 'policy', 'for', 'select', 'insert', 'all', 'to', 'with', 'role', 'grant', 'tables',
  'row', 'level', 'security', 'forced', 'always', 'as', 'stored', 'nologin', 'login', 'truncate',
  'trigger', 'privileges', 'permissive', 'restrictive', 'only', 'zone', 'without', 'array',
  'identity', 'name', 'extension', 'schema', 'sequence', 'start', 'increment', 'minvalue',
  'maxvalue', 'cache', 'cycle',
  ...INDEX_KEYWORDS,
  'partition', 'partitions', 'unmanaged', 'by', 'range', 'list',
  'hash', 'in', 'modulus', 'remainder',
  'view', 'materialized',
  'function', 'procedure', 'domain', 'before', 'after',
  'instead', 'of', 'or', 'each', 'statement', 'when', 'execute',
];

/**
 * Words that may sit before `(` in SQL but are not function calls: keywords, and type names whose
 * `(n)` VS Code's SQL grammar already consumes whole.
 */
const SQL_NOT_FUNCTIONS = [
  'in', 'and', 'or', 'not', 'exists', 'any', 'all', 'some', 'values', 'over', 'filter', 'within',
  'as', 'on', 'is', 'when', 'then', 'else', 'case', 'like', 'ilike', 'similar', 'between', 'select',
  'from', 'where', 'array', 'row', 'with', 'using', 'distinct', 'by', 'numeric', 'decimal',
  'varchar', 'char', 'character', 'varying', 'bit', 'timestamp', 'time', 'interval', 'float',
  'double', 'precision', 'int', 'integer', 'bigint', 'smallint', 'text',
];

const lineStart = '(?:^|\\G)\\s*';
const notParamType = `(?!(?:${words(PARAM_TYPES)})\\b)`;

const sc = (name) => `${name}.schema`;

/** `a` or `a, b, c`: roles after `role` and `to`. */
const IDENT_LIST = `${IDENT}(?:\\s*,\\s*${IDENT})*`;
const roleList = {
  patterns: [
    { match: IDENT, name: sc('variable.other.constant.role') },
    { match: ',', name: sc('punctuation.separator.comma') },
  ],
};

// ---------------------------------------------------------------------------------------------
// SQL expressions

/** A `(`-delimited embedded SQL expression whose `(` is the last group of `begin`. */
function sqlExpression(begin, beginCaptures) {
  return {
    begin,
    beginCaptures,
    end: '\\)',
    endCaptures: { 0: { name: sc('punctuation.section.parens.end') } },
    contentName: 'meta.embedded.expression.sql',
    patterns: [{ include: '#sql' }],
  };
}

const sqlRepository = {
  sql: {
    patterns: [
      // Leading whitespace: VS Code's SQL grammar starts its `--` comment rule at the line start
      // (whitespace included), which would win over our comment rule below.
      { match: '^[ \\t]+' },
      { include: '#sql-comment' },
      { include: '#sql-string' },
      { include: '#sql-quoted-identifier' },
      { include: '#sql-function-call' },
      { include: '#sql-parens' },
      { include: '#sql-operators' },
      { include: 'source.sql' },
    ],
  },
  // The compiler does not know SQL comments: a parenthesis or quote inside one still counts. So a
  // comment ends before any of them, and what follows is highlighted as the parser reads it.
  'sql-comment': {
    patterns: [
      { match: '--[^()\'"\\n]*', name: 'comment.line.double-dash.sql' },
      { match: '/\\*(?:[^*()\'"\\n]|\\*(?!/))*(?:\\*/)?', name: 'comment.block.sql' },
    ],
  },
  'sql-string': {
    begin: "'",
    beginCaptures: { 0: { name: 'punctuation.definition.string.begin.sql' } },
    end: "'(?!')",
    endCaptures: { 0: { name: 'punctuation.definition.string.end.sql' } },
    name: 'string.quoted.single.sql',
    patterns: [{ match: "''", name: 'constant.character.escape.sql' }],
  },
  'sql-quoted-identifier': {
    begin: '"',
    beginCaptures: { 0: { name: 'punctuation.definition.string.begin.sql' } },
    end: '"(?!")',
    endCaptures: { 0: { name: 'punctuation.definition.string.end.sql' } },
    name: 'string.quoted.double.sql',
    patterns: [{ match: '""', name: 'constant.character.escape.sql' }],
  },
  'sql-function-call': {
    begin: `\\b(?!(?:${words(SQL_NOT_FUNCTIONS)})\\b)([A-Za-z_][A-Za-z0-9_$]*)\\s*(\\()`,
    beginCaptures: {
      1: { name: 'support.function.sql' },
      2: { name: 'punctuation.section.parens.begin.sql' },
    },
    end: '\\)',
    endCaptures: { 0: { name: 'punctuation.section.parens.end.sql' } },
    name: 'meta.function-call.sql',
    patterns: [{ include: '#sql' }],
  },
  'sql-parens': {
    begin: '\\(',
    beginCaptures: { 0: { name: 'punctuation.section.parens.begin.sql' } },
    end: '\\)',
    endCaptures: { 0: { name: 'punctuation.section.parens.end.sql' } },
    patterns: [{ include: '#sql' }],
  },
  'sql-operators': {
    patterns: [
      // `#`, `/`, `%{` and `[` open comments, regexes and bracketed names in VS Code's SQL grammar
      // (it serves several dialects); in PostgreSQL they are operators and array subscripts.
      { match: '[#/%]', name: 'keyword.operator.sql' },
      { match: '[\\[\\]]', name: 'punctuation.section.brackets.sql' },
    ],
  },
};

// ---------------------------------------------------------------------------------------------
// Names, types, comments, strings

const typeCapture = {
  patterns: [
    { match: '"(?:[^"]|"")*"', name: sc('support.type.quoted') },
    { match: 'character\\s+varying', name: sc('support.type.builtin') },
    { match: `\\b(?:${words(TYPES)})\\b(?!\\.)`, name: sc('support.type.builtin') },
    { match: QNAME, name: sc('entity.name.type.enum'), captures: { 0: { patterns: [{ include: '#qualified-type-name' }] } } },
  ],
};

const repository = {
  ...sqlRepository,

  comments: {
    patterns: [
      {
        match: '(///)(?!/)(.*)$',
        name: sc('comment.line.documentation'),
        captures: { 1: { name: sc('punctuation.definition.comment') } },
      },
      {
        match: '(//).*$',
        name: sc('comment.line.double-slash'),
        captures: { 1: { name: sc('punctuation.definition.comment') } },
      },
    ],
  },

  // `""` inside a string is a `"`.
  string: {
    match: '(")(?:[^"]|"")*(")',
    name: sc('string.quoted.double'),
    captures: {
      1: { name: sc('punctuation.definition.string.begin') },
      2: { name: sc('punctuation.definition.string.end') },
    },
  },

  number: { match: '\\b\\d+(?:\\.\\d+)?\\b', name: sc('constant.numeric') },

  comma: { match: ',', name: sc('punctuation.separator.comma') },

  // `ns.name`: the `ns.` part; the rest keeps the scope of the capture it is in.
  'qualified-type-name': {
    patterns: [
      {
        match: `(${IDENT})(\\.)(?=${IDENT})`,
        captures: {
          1: { name: sc('entity.name.namespace') },
          2: { name: sc('punctuation.accessor') },
        },
      },
    ],
  },

  'table-name': { match: QNAME, name: sc('entity.name.type.table'), captures: { 0: { patterns: [{ include: '#qualified-type-name' }] } } },

  // The fallback: any keyword or type name that no rule above gave a meaning in its place.
  keywords: {
    patterns: [
      { match: `\\b(?:${words(['on', 'off', 'null', 'true', 'false'])})\\b`, name: sc('constant.language') },
      { match: `\\b(?:${words(FK_ACTIONS)})\\b`, name: sc('constant.language.referential-action') },
      { match: `\\b(?:${words(INDEX_METHODS)})\\b`, name: sc('support.constant.index-method') },
      { match: `\\b(?:table|enum|role)\\b`, name: sc('storage.type') },
      { match: `\\b(?:tenant|global)\\b`, name: sc('storage.modifier') },
      { match: `\\b(?:${words(KEYWORDS)})\\b`, name: sc('keyword.control') },
      { match: `\\b(?:${words(TYPES)})\\b`, name: sc('support.type.builtin') },
    ],
  },

  // -------------------------------------------------------------------------------------------
  // Items

  tenancy: {
    begin: '\\b(tenancy)\\b',
    beginCaptures: { 1: { name: sc('keyword.control.tenancy') } },
    end: '(?<=\\})',
    name: sc('meta.tenancy'),
    patterns: [
      { include: '#comments' },
      {
        begin: '\\{',
        beginCaptures: { 0: { name: sc('punctuation.section.block.begin') } },
        end: '\\}',
        endCaptures: { 0: { name: sc('punctuation.section.block.end') } },
        name: sc('meta.block.tenancy'),
        patterns: [
          { include: '#comments' },
          {
            match: `\\b(root)\\b(?:\\s+(${QNAME}))?`,
            captures: {
              1: { name: sc('keyword.control.root') },
              2: { name: sc('entity.name.type.table'), patterns: [{ include: '#qualified-type-name' }] },
            },
          },
          {
            match: `\\b(column)\\b(?:\\s+(${IDENT}))?`,
            captures: { 1: { name: sc('keyword.control.column') }, 2: { name: sc('variable.other.column') } },
          },
          { match: '\\b(setting)\\b', captures: { 1: { name: sc('keyword.control.setting') } } },
          {
            match: `\\b(bypass)\\b(?:\\s+(${IDENT}))?`,
            captures: { 1: { name: sc('keyword.control.bypass') }, 2: { name: sc('variable.other.constant.role') } },
          },
          {
            match: '\\b(rls)\\b(?:\\s+(on|off)\\b)?',
            captures: { 1: { name: sc('keyword.control.rls') }, 2: { name: sc('constant.language') } },
          },
          { include: '#string' },
          { include: '#keywords' },
        ],
      },
    ],
  },

  enum: {
    begin: `\\b(enum)\\b(?:\\s+(${QNAME}))?`,
    beginCaptures: {
      1: { name: sc('storage.type.enum') },
      2: { name: sc('entity.name.type.enum'), patterns: [{ include: '#qualified-type-name' }] },
    },
    end: '(?<=\\})',
    name: sc('meta.enum'),
    patterns: [
      { include: '#comments' },
      {
        match: `\\b(renamed)\\s+(from)\\b(?:\\s+(${QNAME}))?`,
        captures: {
          1: { name: sc('keyword.control.renamed') },
          2: { name: sc('keyword.control.from') },
          3: { name: sc('entity.name.type.enum'), patterns: [{ include: '#qualified-type-name' }] },
        },
      },
      { match: QNAME, name: sc('entity.name.type.enum'), captures: { 0: { patterns: [{ include: '#qualified-type-name' }] } } },
      {
        begin: '\\{',
        beginCaptures: { 0: { name: sc('punctuation.section.block.begin') } },
        end: '\\}',
        endCaptures: { 0: { name: sc('punctuation.section.block.end') } },
        name: sc('meta.block.enum'),
        patterns: [
          { include: '#comments' },
          { include: '#string' },
          { match: IDENT, name: sc('variable.other.enummember') },
          { include: '#comma' },
        ],
      },
    ],
  },

  table: {
    begin: `\\b(?:(tenant|global)\\s+)?(table)\\b(?:\\s+(${QNAME}))?`,
    beginCaptures: {
      1: { name: sc('storage.modifier.table-kind') },
      2: { name: sc('storage.type.table') },
      3: { name: sc('entity.name.type.table'), patterns: [{ include: '#qualified-type-name' }] },
    },
    end: '(?<=\\})',
    name: sc('meta.table'),
    patterns: [
      { include: '#comments' },
      {
        match: `\\b(renamed)\\s+(from)\\b(?:\\s+(${QNAME}))?`,
        captures: {
          1: { name: sc('keyword.control.renamed') },
          2: { name: sc('keyword.control.from') },
          3: { name: sc('entity.name.type.table'), patterns: [{ include: '#qualified-type-name' }] },
        },
      },
      { include: '#table-name' },
      {
        begin: '\\{',
        beginCaptures: { 0: { name: sc('punctuation.section.block.begin') } },
        end: '\\}',
        endCaptures: { 0: { name: sc('punctuation.section.block.end') } },
        name: sc('meta.block.table'),
        patterns: [
          { include: '#comments' },
          { include: '#table-entry' },
          { include: '#column' },
          { include: '#table-body-rest' },
        ],
      },
    ],
  },

  role: {
    match: `\\b(role)\\b(?:\\s+(${IDENT_LIST}))?`,
    captures: { 1: { name: sc('storage.type.role') }, 2: roleList },
  },

  grant: {
    begin: '\\b(grant)\\b',
    beginCaptures: { 1: { name: sc('keyword.control.grant') } },
    // A grant ends with `to role`. Should `to` be missing, the next item ends it instead of the
    // rest of the file being read as grant targets.
    end: `\\b(to)\\b(?:\\s+(${IDENT_LIST}))?|(?=^\\s*(?:grant|role|enum|tenancy|(?:tenant\\s+|global\\s+)?table)\\b)`,
    endCaptures: { 1: { name: sc('keyword.control.to') }, 2: roleList },
    name: sc('meta.grant'),
    patterns: [
      { include: '#comments' },
      {
        begin: '\\b(on)\\b',
        beginCaptures: { 1: { name: sc('keyword.control.on') } },
        end: '(?=\\bto\\b)|(?=^\\s*(?:grant|role|enum|tenancy|(?:tenant\\s+|global\\s+)?table)\\b)',
        patterns: [
          { include: '#comments' },
          {
            match: '\\b(tenant|global|all)\\s+(tables)\\b',
            captures: { 1: { name: sc('storage.modifier.table-kind') }, 2: { name: sc('keyword.control.tables') } },
          },
          { include: '#table-name' },
          { include: '#comma' },
        ],
      },
      { match: `\\b(?:${words(PRIVILEGES)})\\b`, name: sc('keyword.control.privilege') },
      { include: '#comma' },
    ],
  },

  // -------------------------------------------------------------------------------------------
  // Table bodies

  'table-entry': {
    patterns: [
      {
        match: `${lineStart}\\b(primary|foreign)\\s+(key)\\b(?:\\s+(${IDENT}))?(?=\\s*\\()`,
        captures: {
          1: { name: sc('keyword.control.$1') },
          2: { name: sc('keyword.control.key') },
          3: { name: sc('entity.name.function.constraint') },
        },
      },
      {
        match: `${lineStart}\\b(unique)\\s+(index)\\b(?:\\s+${notParamType}(${IDENT}))?(?=\\s*\\()`,
        captures: {
          1: { name: sc('keyword.control.unique') },
          2: { name: sc('keyword.control.index') },
          3: { name: sc('entity.name.function.constraint') },
        },
      },      {
        match: `${lineStart}\\b(unique|index)\\b(?:\\s+${notParamType}(${IDENT}))?(?=\\s*\\()`,
        captures: { 1: { name: sc('keyword.control.$1') }, 2: { name: sc('entity.name.function.constraint') } },
      },
      sqlExpression(`${lineStart}\\b(check)\\b(?:\\s+${notParamType}(${IDENT}))?\\s*(\\()`, {
        1: { name: sc('keyword.control.check') },
        2: { name: sc('entity.name.function.constraint') },
        3: { name: sc('punctuation.section.parens.begin') },
      }),
      {
        match: `${lineStart}\\b(backfill)\\s+(${IDENT})\\s+(from)\\s+(${IDENT})\\b`,
        captures: {
          1: { name: sc('keyword.control.backfill') },
          2: { name: sc('variable.other.column') },
          3: { name: sc('keyword.control.from') },
          4: { name: sc('variable.other.column') },
        },
      },
      sqlExpression(`${lineStart}\\b(backfill)\\s+${notParamType}(${IDENT})\\s*(\\()`, {
        1: { name: sc('keyword.control.backfill') },
        2: { name: sc('variable.other.column') },
        3: { name: sc('punctuation.section.parens.begin') },
      }),
      {
        match: `${lineStart}\\b(row)\\s+(level)\\s+(security)\\b(?:\\s+(forced)\\b)?`,
        captures: {
          1: { name: sc('keyword.control.row') },
          2: { name: sc('keyword.control.level') },
          3: { name: sc('keyword.control.security') },
          4: { name: sc('keyword.control.forced') },
        },
      },
      { include: '#policy' },
      { include: '#trigger' },
    ],
  },

  // `trigger name before update of a or insert for each row [when (e)] execute f('x')`.
  trigger: {
    begin: `${lineStart}\\b(trigger)\\s+(${IDENT})(?=\\s+(?:before|after|instead)\\b)`,
    beginCaptures: { 1: { name: sc('keyword.control.trigger') }, 2: { name: sc('entity.name.function.trigger') } },
    end: '$|(?=\\})',
    name: sc('meta.trigger'),
    patterns: [
      { include: '#comments' },
      { include: '#expression-after-keyword' },
      {
        match: `\\b(execute)\\s+(${QNAME})`,
        captures: {
          1: { name: sc('keyword.control.execute') },
          2: { name: sc('entity.name.function'), patterns: [{ include: '#qualified-type-name' }] },
        },
      },
      { include: '#sql-string' },
      { include: '#keywords' },
      { match: IDENT, name: sc('variable.other.column') },
      { match: '\\d+', name: sc('constant.numeric') },
      { include: '#comma' },
    ],
  },

  policy: {
    begin: `${lineStart}\\b(policy)\\s+(${IDENT})(?=\\s+for\\b)`,
    beginCaptures: { 1: { name: sc('keyword.control.policy') }, 2: { name: sc('entity.name.function.policy') } },
    // After `using (...)`, unless `with check (...)` follows on the same line.
    end: '(?<=\\))(?!\\s*with\\b)|(?=\\})',
    name: sc('meta.policy'),
    patterns: [
      { include: '#comments' },
      {
        match: '\\b(for)\\s+(select|insert|update|delete|all)\\b',
        captures: { 1: { name: sc('keyword.control.for') }, 2: { name: sc('keyword.control.command') } },
      },
      { match: '\\b(to)\\b', name: sc('keyword.control.to') },
      { include: '#expression-after-keyword' },
      { match: IDENT, name: sc('variable.other.constant.role') },
      { include: '#comma' },
    ],
  },

  column: {
    // `name type[(n[,m])][[]...][?]`; lines that continue an entry (`with check (`, `on delete`,
    // `for select`) have the same shape and are left to the rules after this one.
    begin: `${lineStart}(?!(?:with\\s+check|on\\s+(?:delete|update)|for\\s+(?:${words(PRIVILEGES)}))\\b)`
      + `\\b(${IDENT})\\s+("(?:[^"]|"")*"|character\\s+varying\\b|${QNAME})`
      + '(?:\\s*(\\()\\s*(\\d+)\\s*(?:(,)\\s*(\\d+)\\s*)?(\\)))?((?:\\[\\])*)(\\?)?',
    beginCaptures: {
      1: { name: sc('variable.other.column') },
      2: typeCapture,
      3: { name: sc('punctuation.section.parens.begin') },
      4: { name: sc('constant.numeric') },
      5: { name: sc('punctuation.separator.comma') },
      6: { name: sc('constant.numeric') },
      7: { name: sc('punctuation.section.parens.end') },
      8: { name: sc('storage.modifier.array') },
      9: { name: sc('keyword.operator.nullable') },
    },
    end: '$|(?=\\})',
    name: sc('meta.column'),
    patterns: [
      { include: '#comments' },
      { match: '\\b(primary|unique|index)\\b', name: sc('storage.modifier.attribute') },
      sqlExpression('\\b(default|check|using|backfill|generated)\\s*(\\()', {
        1: { name: sc('storage.modifier.attribute') },
        2: { name: sc('punctuation.section.parens.begin') },
      }),
      {
        match: `\\b(renamed)\\s+(from)\\b(?:\\s+(${IDENT}))?`,
        captures: {
          1: { name: sc('storage.modifier.attribute') },
          2: { name: sc('storage.modifier.attribute') },
          3: { name: sc('variable.other.column') },
        },
      },
      { include: '#references' },
      { include: '#column-list' },
      { include: '#keywords' },
    ],
  },

  // The body of a `function` or `procedure`, verbatim between dollar quotes (`$$`, `$fn$`): SQL or
  // PL/pgSQL that the language does not read, so nothing inside is a comment or a keyword of ours.
  'dollar-body': {
    begin: '\\$([A-Za-z_][A-Za-z0-9_]*)?\\$',
    beginCaptures: { 0: { name: sc('punctuation.definition.string.begin') } },
    end: '\\$\\1\\$',
    endCaptures: { 0: { name: sc('punctuation.definition.string.end') } },
    name: sc('string.unquoted.dollar-quoted'),
  },

  // `domain name type [default (e)] [not null] [check [name] (e)]...`, on its line.
  domain: {
    begin: `\\b(domain)\\s+(${QNAME})(?:\\s+(${QNAME}))?`,
    beginCaptures: {
      1: { name: sc('storage.type.domain') },
      2: { name: sc('entity.name.type.domain'), patterns: [{ include: '#qualified-type-name' }] },
      3: { name: sc('support.type') },
    },
    end: '$',
    name: sc('meta.domain'),
    patterns: [
      { include: '#comments' },
      { include: '#expression-after-keyword' },
      { include: '#keywords' },
      { match: IDENT, name: sc('entity.name.constraint') },
    ],
  },

  // `function name(args) returns t language l ...` up to its dollar-quoted body: PostgreSQL's own
  // syntax, which the language keeps as written.
  routine: {
    begin: `\\b(function|procedure)\\s+(${QNAME})`,
    beginCaptures: {
      1: { name: sc('storage.type.function') },
      2: { name: sc('entity.name.function'), patterns: [{ include: '#qualified-type-name' }] },
    },
    end: '(?=\\$)',
    contentName: 'meta.embedded.signature.sql',
    patterns: [{ include: '#routine-signature' }],
  },

  'routine-signature': {
    patterns: [
      {
        match: `\\b(returns|language)\\s+(?:(setof)\\s+)?(${QNAME})`,
        captures: {
          1: { name: 'keyword.other.sql' },
          2: { name: 'keyword.other.sql' },
          3: { name: 'support.type.sql' },
        },
      },
      {
        begin: '\\(',
        beginCaptures: { 0: { name: 'punctuation.section.parens.begin.sql' } },
        end: '\\)',
        endCaptures: { 0: { name: 'punctuation.section.parens.end.sql' } },
        patterns: [{ include: '#routine-signature' }],
      },
      { include: '#sql-string' },
      { include: '#sql' },
      { match: IDENT, name: 'variable.parameter.sql' },
    ],
  },

  references: {
    patterns: [
      {
        match: `\\b(references)\\b(?:\\s+(${QNAME}))?`,
        captures: {
          1: { name: sc('storage.modifier.attribute') },
          2: { name: sc('entity.name.type.table'), patterns: [{ include: '#qualified-type-name' }] },
        },
      },
      {
        match: '\\b(on)\\s+(delete|update)\\b',
        captures: { 1: { name: sc('keyword.control.on') }, 2: { name: sc('keyword.control.$2') } },
      },
      {
        match: '\\b(?:set\\s+(?:null|default)|no\\s+action|cascade|restrict)\\b',
        name: sc('constant.language.referential-action'),
      },
    ],
  },

  // `default(`, `check (`, `using (`, `where (`, `generated (`, `backfill (`, `with check (`.
  'expression-after-keyword': {
    patterns: [
      sqlExpression('\\b(with)\\s+(check)\\s*(\\()', {
        1: { name: sc('keyword.control.with') },
        2: { name: sc('keyword.control.check') },
        3: { name: sc('punctuation.section.parens.begin') },
      }),
      sqlExpression('\\b(using|where|check|default|generated|backfill|when)\\s*(\\()', {
        1: { name: sc('keyword.control.$1') },
        2: { name: sc('punctuation.section.parens.begin') },
      }),
    ],
  },

  // A parenthesised list of columns: `(a, b)`. An index key may be an expression: `(lower(email))`.
  'column-list': {
    begin: '\\(',
    beginCaptures: { 0: { name: sc('punctuation.section.parens.begin') } },
    end: '\\)',
    endCaptures: { 0: { name: sc('punctuation.section.parens.end') } },
    name: sc('meta.column-list'),
    patterns: [
      { include: '#comments' },
      sqlExpression(`\\b(${IDENT})\\s*(\\()`, {
        1: { name: 'support.function.sql' },
        2: { name: sc('punctuation.section.parens.begin') },
      }),
      sqlExpression('(\\()', { 1: { name: sc('punctuation.section.parens.begin') } }),
      // After a key: its order and operator class (`name gin_trgm_ops`, `at desc nulls last`).
      { match: '\\b(?:asc|desc|nulls|first|last|collate)\\b', name: sc('keyword.control.order') },
      { include: '#string' },
      {
        match: '(?<=[A-Za-z0-9_)])\\s+([A-Za-z_][A-Za-z0-9_.]*_ops)\\b',
        captures: { 1: { name: sc('support.constant.operator-class') } },
      },
      { match: IDENT, name: sc('variable.other.column') },
      { include: '#comma' },
    ],
  },

  // The rest of an entry after its first words, and lines that continue one.
  'table-body-rest': {
    patterns: [
      { include: '#expression-after-keyword' },
      {
        match: `\\b(using)\\s+(${IDENT})\\b`,
        captures: { 1: { name: sc('keyword.control.using') }, 2: { name: sc('support.constant.index-method') } },
      },
      {
        match: '\\b(include)\\b|\\b(nulls)\\s+(not)\\s+(distinct)\\b',
        captures: {
          1: { name: sc('keyword.control.include') },
          2: { name: sc('keyword.control.nulls') },
          3: { name: sc('keyword.control.not') },
          4: { name: sc('keyword.control.distinct') },
        },
      },
      { include: '#references' },
      {
        match: '\\b(for)\\s+(select|insert|update|delete|all)\\b',
        captures: { 1: { name: sc('keyword.control.for') }, 2: { name: sc('keyword.control.command') } },
      },
      { include: '#column-list' },
      { include: '#string' },
      { include: '#keywords' },
      { include: '#comma' },
    ],
  },
};

const grammar = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'schemac schema',
  scopeName: 'source.schema',
  fileTypes: ['schema'],
  comment: 'GENERATED by build-grammar.js in this directory; edit that file, not this one.',
  patterns: [
    { include: '#dollar-body' },
    { include: '#comments' },
    { include: '#routine' },
    { include: '#domain' },
    { include: '#tenancy' },
    { include: '#enum' },
    { include: '#table' },
    { include: '#role' },
    { include: '#grant' },
    { include: '#string' },
    { include: '#keywords' },
  ],
  repository,
};

/** The grammar as the JSON text that is checked in. */
function render() {
  return `${JSON.stringify(grammar, null, 2)}\n`;
}

module.exports = { render, grammar, TYPES, KEYWORDS, INDEX_METHODS, PRIVILEGES };

if (require.main === module) {
  const out = path.join(__dirname, 'schema.tmLanguage.json');
  fs.writeFileSync(out, render());
  process.stdout.write(`wrote ${out}\n`);
}
