// Runs every spec/**/*.test.js under one uvu process and ends with the line `N passed, N failed`.
// `node spec/run.js emit` runs only the test files whose path contains "emit".
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'uvu/run';
import { skipped } from './helpers/env.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);

/** @param {string} dir @returns {string[]} */
function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) { // sort for determinism
    if (name === 'node_modules' || name === 'cases' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = find(root).filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
const suites = files.map((file) => ({ name: relative(root, file), file: resolve(file) }));

// uvu prints "Total:" and "Passed:"; capture them to print the one closing line CI reads.
let total = 0;
let passed = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = /** @type {any} */ ((/** @type {any} */ chunk, /** @type {any[]} */ ...rest) => {
  const text = String(chunk).replace(/\x1b\[[0-9;]*m/g, '');
  const t = /Total:\s+(\d+)/.exec(text);
  const p = /Passed:\s+(\d+)/.exec(text);
  if (t) total = Number(t[1]);
  if (p) passed = Number(p[1]);
  return write(chunk, ...rest);
});

await run(suites);
process.stdout.write = write;
const failed = total - passed;
if (skipped.length) {
  for (const s of skipped) console.log(`skipped: ${s}`);
}
console.log(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
if (failed > 0) process.exitCode = 1;
