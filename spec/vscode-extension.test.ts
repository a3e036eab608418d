// The VS Code extension's entry point (compiler/editor/vscode/extension.js) with stand-ins for the `vscode` and
// `vscode-languageclient` modules, which only exist inside VS Code: it starts `serpentc.command` + `lsp` over
// stdio for the language the grammar contributes, and stops the client on deactivate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

const EXT = join(REPO_ROOT, 'compiler', 'editor', 'vscode');

interface Started {
  id: string;
  server: { run: { command: string; args: string[]; transport: number } };
  client: { documentSelector: Array<{ scheme: string; language: string }> };
  stopped: boolean;
}

/** Loads extension.js with the two VS Code modules replaced; `command` is the user's `serpentc.command`. */
function load(command: string[] | undefined): {
  ext: { activate: (c: { subscriptions: unknown[] }) => unknown; deactivate: () => unknown };
  started: Started[];
} {
  const started: Started[] = [];
  const vscode = {
    workspace: { getConfiguration: () => ({ get: (_key: string, fallback: string[]) => command ?? fallback }) },
  };
  class LanguageClient {
    readonly record: Started;
    constructor(id: string, _name: string, server: Started['server'], client: Started['client']) {
      this.record = { id, server, client, stopped: false };
      started.push(this.record);
    }
    start(): Promise<void> {
      return Promise.resolve();
    }
    stop(): Promise<void> {
      this.record.stopped = true;
      return Promise.resolve();
    }
  }
  const fakes: Record<string, unknown> = {
    vscode,
    'vscode-languageclient/node': { LanguageClient, TransportKind: { stdio: 0 } },
  };
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = (request, ...rest) => (request in fakes ? fakes[request] : original(request, ...rest));
  try {
    // a fresh module per load: a cached one would hold the stand-ins of an earlier load
    const require = createRequire(join(EXT, 'extension.js'));
    const path = require.resolve('./extension.js');
    Reflect.deleteProperty(require.cache, path);
    return { ext: require('./extension.js') as ReturnType<typeof load>['ext'], started };
  } finally {
    loader._load = original;
  }
}

test('activate starts serpentc lsp over stdio for the language the grammar contributes', async () => {
  const manifest = JSON.parse(readFileSync(join(EXT, 'package.json'), 'utf8')) as {
    main: string;
    activationEvents: string[];
    contributes: { languages: Array<{ id: string }> };
  };
  const language = manifest.contributes.languages[0].id;
  assert.is(manifest.main, './extension.js');
  assert.equal(manifest.activationEvents, [`onLanguage:${language}`]);

  const { ext, started } = load(undefined);
  const context = { subscriptions: [] as unknown[] };
  await ext.activate(context);
  assert.is(started.length, 1);
  assert.equal(started[0].server.run, { command: 'serpentc', args: ['lsp'], transport: 0 });
  assert.equal(started[0].client.documentSelector, [{ scheme: 'file', language }]);
  assert.is(context.subscriptions.length, 1);
  await ext.deactivate();
  assert.ok(started[0].stopped, 'deactivate stops the client');
});

test('the serpentc.command setting runs another serpentc, with lsp appended', async () => {
  const { ext, started } = load(['node', '/opt/serpentc/dist/bin/serpentc.js']);
  await ext.activate({ subscriptions: [] });
  assert.equal(started[0].server.run.command, 'node');
  assert.equal(started[0].server.run.args, ['/opt/serpentc/dist/bin/serpentc.js', 'lsp']);
});

test.run();
