// Prints the wall time of formatting every recipe of stages/ (or the directories given): in-process through
// format() (best of 5, after one warm-up), and through `serpentc fmt --check` as a process (best of 3). Writes
// nothing. Run after `npm run build`: node dist/bench/fmt.js [dirs…]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from '../compiler/fmt/index.js';
import { recipePaths } from '../compiler/load.js';
import { Sink } from '../compiler/diagnostics/diagnostic.js';
import { CLI_BIN, REPO_ROOT } from '../spec/helpers/paths.js';

const dirs = process.argv.slice(2).length ? process.argv.slice(2) : [join(REPO_ROOT, 'stages')];
const sink = new Sink();
const files = dirs.flatMap((d) => recipePaths(d, sink));
const texts = files.map((f) => ({ f, text: readFileSync(f, 'utf8') }));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t.text), 0);

async function once(): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (const { f, text } of texts) await format(text, f);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

await once(); // warm-up: prettier's and the parser's first-use costs are the CLI row's business
const runs: number[] = [];
for (let i = 0; i < 5; i++) runs.push(await once()); // one after another: concurrent runs would share the time
const inProcess = Math.min(...runs);
const cli: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI_BIN, 'fmt', '--check', ...dirs], { encoding: 'utf8' });
  cli.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0 && r.status !== 1) throw new Error(`serpentc fmt failed: ${r.stderr}`);
}
console.log(`${files.length} recipe files, ${(bytes / 1024).toFixed(0)} KiB`);
console.log(`in-process format(): ${inProcess.toFixed(0)} ms (${(inProcess / files.length).toFixed(1)} ms/file)`);
console.log(`serpentc fmt --check (process): ${Math.min(...cli).toFixed(0)} ms`);
