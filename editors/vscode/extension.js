// The extension's code: folding on braces and parentheses (VS Code folds by indentation unless a
// language provides ranges), and the schemac language server (`schemac lsp`, over stdio) for
// diagnostics, hover, definition, references, completion, outline, formatting, rename and quick
// fixes. Colours stay with the TextMate grammar (package.json).
'use strict';

const vscode = require('vscode');
const { foldingRanges } = require('./folding');

let client;

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

  const config = vscode.workspace.getConfiguration('schemac');
  if (!config.get('lsp.enabled', true)) {
    return undefined;
  }
  // Loaded here so that folding works even where the client cannot start.
  const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
  const command = config.get('path', 'schemac') || 'schemac';
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('schemac', 'schemac', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'schema' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.schema') },
  });
  return client.start().catch((error) => {
    vscode.window.showWarningMessage(
      `schemac: could not start \`${command} lsp\` (set "schemac.path"): ${error.message || error}`,
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
