// The VS Code side of `serpentc lsp`: starts the language server for recipe files over stdio. Plain CommonJS,
// as VS Code loads it; the highlighting needs none of this (it is the TextMate grammar in syntaxes/).
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/** Starts the server: `serpentc.command` (default `serpentc`) with `lsp`, one per window. */
function activate(context) {
  const config = vscode.workspace.getConfiguration('serpentc');
  const [command, ...args] = config.get('command', ['serpentc']);
  const server = { command, args: [...args, 'lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'serpentc',
    'serpentc',
    { run: server, debug: server },
    { documentSelector: [{ scheme: 'file', language: 'serpent-recipe' }] },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
