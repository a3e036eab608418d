// Runs every compiled test (dist/spec/**/*.test.js) under one uvu process and ends with the line
// `N passed, N failed` (`, N skipped` when some skipped). `node dist/spec/run.js emit` runs only the test
// files whose path under dist/spec/ contains "emit" (the path of the checkout itself does not count).
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'uvu/run';
import { skipped } from './helpers/env.js';
import { SPEC_DIR } from './helpers/paths.js';

/** dist/spec/: this module's own directory, where the compiled tests are. */
const root = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);

function find(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    // sort for determinism
    if (name === 'node_modules' || name === 'cases' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

/**
 * tsc never deletes from dist/: a compiled test whose source (.ts, or .js while allowJs lasts) is gone is a
 * leftover of a renamed or removed test, not a test to run.
 */
function hasSource(file: string): boolean {
  const rel = relative(root, file).slice(0, -'.js'.length);
  return existsSync(join(SPEC_DIR, `${rel}.ts`)) || existsSync(join(SPEC_DIR, `${rel}.js`));
}

const files = find(root).filter(
  (f) => hasSource(f) && (filters.length === 0 || filters.some((p) => relative(root, f).includes(p))),
);
const suites = files.map((file) => ({ name: relative(root, file), file: resolve(file) }));

// uvu prints "Total:" and "Passed:"; capture them to print the one closing line CI reads.
let total = 0;
let passed = 0;

type WriteCallback = (err?: Error | null) => void;
const write = process.stdout.write.bind(process.stdout);
/** Both overloads of stream.write: (chunk, cb?) and (chunk, encoding?, cb?), passed on unchanged. */
function capture(chunk: Uint8Array | string, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
  // eslint-disable-next-line no-control-regex -- colour codes start with ESC; the counts are read without them
  const text = (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()).replace(/\x1b\[[0-9;]*m/g, '');
  const t = /Total:\s+(\d+)/.exec(text);
  const p = /Passed:\s+(\d+)/.exec(text);
  if (t) total = Number(t[1]);
  if (p) passed = Number(p[1]);
  return typeof encoding === 'function' ? write(chunk, encoding) : write(chunk, encoding, cb);
}
process.stdout.write = capture;

// serpentc's generation cache (compiler/emit/cache.ts) records every temporary out/ the tests make: in a
// directory of this run's own, removed at the end, never the user's ~/.cache (inherited by spawned CLIs too)
// (also when a suite throws, or the run is interrupted: the signal is raised again once it is removed)
const cacheDir = mkdtempSync(join(tmpdir(), 'serpentc-spec-cache-'));
process.env.SERPENTC_CACHE_DIR ??= cacheDir;
const removeCache = (): void => rmSync(cacheDir, { recursive: true, force: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    removeCache();
    process.kill(process.pid, signal);
  });
}
try {
  await run(suites);
} finally {
  removeCache();
}
process.stdout.write = write;
const failed = total - passed;
if (skipped.length) {
  for (const s of skipped) console.log(`skipped: ${s}`);
}
console.log(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
if (failed > 0) process.exitCode = 1;
