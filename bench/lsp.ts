// Prints how fast `serpentc lsp` answers on the real stages/: the time from spawning the server to the first
// diagnostics of an opened recipe (initialize included), and from a didChange to its publishDiagnostics over
// 20 edits (median and worst), which includes the debounce delay. Run after `npm run build`:
//   node dist/bench/lsp.js [edits]
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sink } from '../compiler/diagnostics/diagnostic.js';
import { recipePaths } from '../compiler/load.js';
import { DEBOUNCE_MS } from '../compiler/lsp/workspace.js';
import { LspClient } from '../spec/helpers/lsp.js';
import { REPO_ROOT } from '../spec/helpers/paths.js';

const edits = Number(process.argv[2] ?? 20);
// a copy, so the edits can never reach the real recipes
const tmp = mkdtempSync(join(tmpdir(), 'serpentc-lsp-bench-'));
const stages = join(tmp, 'stages');
cpSync(join(REPO_ROOT, 'stages'), stages, { recursive: true });
const file = join(stages, 'stage2', 'toolchain.recipe');
const uri = pathToFileURL(file).href;
const text = readFileSync(file, 'utf8');

const t0 = performance.now();
const client = LspClient.start(['lsp'], tmp);
try {
  await client.request('initialize', {
    processId: process.pid,
    capabilities: {},
    workspaceFolders: [{ uri: pathToFileURL(tmp).href, name: 'bench' }],
  });
  client.notify('initialized', {});
  const first = client.diagnostics(uri, 1);
  client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'recipe', version: 1, text } });
  await first;
  const startup = performance.now() - t0;

  const times: number[] = [];
  for (let v = 2; v < edits + 2; v++) {
    // alternately an error (an undefined dependency) and the clean text: both are compiled and published
    const edited = v % 2 === 0 ? text.replace('depends = [', 'depends = [nosuch, ') : text;
    const published = client.diagnostics(uri, v);
    const t = performance.now();
    client.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text: edited }] });
    await published;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`edited: stages/stage2/toolchain.recipe, in a set of ${recipeCount(stages)} recipe files`);
  console.log(`spawn + initialize → first diagnostics: ${ms(startup)}`);
  console.log(
    `didChange → publishDiagnostics over ${edits} edits: median ${ms(times[Math.floor(times.length / 2)])}, ` +
      `min ${ms(times[0])}, max ${ms(times[times.length - 1])} (of which ${DEBOUNCE_MS} ms is the debounce)`,
  );
  await client.close();
} finally {
  client.kill();
  rmSync(tmp, { recursive: true, force: true });
}

function recipeCount(dir: string): number {
  return recipePaths(dir, new Sink()).length;
}
