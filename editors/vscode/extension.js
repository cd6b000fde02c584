// The extension's only code: folding on braces and parentheses (VS Code folds by indentation
// unless a language provides ranges). Everything else is declarative (package.json).
'use strict';

const vscode = require('vscode');
const { foldingRanges } = require('./folding');

/** Called by VS Code when a `.schema` file is opened. */
function activate(context) {
  const provider = {
    provideFoldingRanges(document) {
      return foldingRanges(document.getText()).map((r) => new vscode.FoldingRange(
        r.start,
        r.end,
        r.kind === 'comment' ? vscode.FoldingRangeKind.Comment : undefined,
      ));
    },
  };
  context.subscriptions.push(vscode.languages.registerFoldingRangeProvider({ language: 'schema' }, provider));
}

function deactivate() {}

module.exports = { activate, deactivate };
