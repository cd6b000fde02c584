// Folding ranges for `.schema` text, without VS Code (so it can be tested in plain Node).
//
// A range is `{ start, end, kind }` with zero-based line numbers; `end` is the last line hidden,
// so the line with the closing `}` or `)` stays visible. Ranges come from `{ ... }` and `( ... )`
// spanning several lines (blocks, long expressions) and from runs of two or more `//` comment
// lines. Braces and parentheses inside strings ("..." and '...') and comments do not count;
// inside parentheses (SQL expressions) `//` is not a comment, as for the compiler.
'use strict';

/**
 * @param {string} text
 * @returns {{ start: number, end: number, kind?: 'comment' }[]} sorted by start line
 */
function foldingRanges(text) {
  const ranges = [];
  const stack = []; // { char, line }
  const lines = text.split(/\r?\n/);
  let quote = null; // '"' or "'" while inside a string; strings may span lines inside parentheses
  let commentRun = null; // { start, end } of consecutive comment-only lines

  const closeCommentRun = () => {
    if (commentRun && commentRun.end > commentRun.start) {
      ranges.push({ start: commentRun.start, end: commentRun.end, kind: 'comment' });
    }
    commentRun = null;
  };

  lines.forEach((line, lineNo) => {
    const inParens = stack.some((s) => s.char === '(');
    if (!quote && !inParens && /^\s*\/\//.test(line)) {
      if (commentRun && commentRun.end === lineNo - 1) commentRun.end = lineNo;
      else {
        closeCommentRun();
        commentRun = { start: lineNo, end: lineNo };
      }
      return;
    }
    closeCommentRun();
    for (let i = 0; i < line.length; i += 1) {
      const c = line[i];
      if (quote) {
        if (c === quote) {
          if (line[i + 1] === quote) i += 1; // '' or "" inside a string
          else quote = null;
        }
        continue;
      }
      const parens = stack.length > 0 && stack[stack.length - 1].char === '(';
      if (c === '/' && line[i + 1] === '/' && !parens) break; // rest of line is a comment
      if (c === '"' || (c === "'" && parens)) {
        quote = c;
      } else if (c === '{' || c === '(') {
        stack.push({ char: c, line: lineNo });
      } else if (c === '}' || c === ')') {
        const want = c === '}' ? '{' : '(';
        // An unbalanced closer (a syntax error) pops nothing rather than everything.
        const at = stack.map((s) => s.char).lastIndexOf(want);
        if (at >= 0) {
          const open = stack[at];
          stack.length = at;
          if (lineNo - 1 > open.line) ranges.push({ start: open.line, end: lineNo - 1 });
        }
      }
    }
    // A `"..."` string of the schema language ends on its line.
    if (quote === '"' && !stack.some((s) => s.char === '(')) quote = null;
  });
  closeCommentRun();
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  return ranges;
}

module.exports = { foldingRanges };
