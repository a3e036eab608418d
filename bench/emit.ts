// Benchmark of the code generator: generation time for synthetic plans of 1,000 and 10,000 packages, and the
// time of a no-op `make` (every stamp present) on generated directories of 100 and 10,000 packages.
// Goals (issue 3): generation < 3 s at 10k; no-op make < 50 ms at 100 and < 1 s at 10k.
// Usage, after `npm run build`: node dist/bench/emit.js [--keep] [--sizes=100,1000,10000] [--render-only]
// (one line per measurement)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, inputPaths, render } from '../compiler/emit/index.js';
import { noop, syntheticGraph, touchAllStamps } from './graph.js';

const fmt = (ms: number): string => `${ms.toFixed(0).padStart(6)} ms`;

const keep = process.argv.includes('--keep');
const renderOnly = process.argv.includes('--render-only');
const root = mkdtempSync(join(tmpdir(), 'serpentc-bench-'));
try {
  const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
  const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : [100, 1000, 10000];
  for (const n of sizes) {
    const stagesDir = join(root, `stages-${n}`);
    mkdirSync(stagesDir, { recursive: true });
    const graph = syntheticGraph(n, stagesDir);
    const steps = graph.packages.reduce((k, p) => k + p.steps.length, 0);
    const out = join(root, `out-${n}`);
    let t = performance.now();
    await render(graph, new Map(inputPaths(graph).map((rel) => [rel, readFileSync(join(stagesDir, rel))])));
    const pure = performance.now() - t;
    if (renderOnly) {
      console.log(`render ${n} packages: ${fmt(pure)}`);
      continue;
    }
    t = performance.now();
    const first = await emit(graph, { outDir: out, stagesDir });
    const cold = performance.now() - t;
    t = performance.now();
    const second = await emit(graph, { outDir: out, stagesDir });
    const warm = performance.now() - t;
    if (second.changed.length) throw new Error('second generation changed files');
    const size = Number(execFileSync('du', ['-sk', out]).toString().split('\t')[0]);
    console.log(
      `generate ${String(n).padStart(5)} packages (${steps} steps, ${first.files.length} files, ${(size / 1024).toFixed(1)} MiB on disk): render ${fmt(pure)}; emit into an empty directory ${fmt(cold)}, again (nothing to write) ${fmt(warm)}`,
    );
    if (n === 100 || n === 10000) {
      const build = join(root, `build-${n}`);
      touchAllStamps(graph, build);
      for (const make of ['make', 'bmake']) {
        const have = spawnSync('sh', ['-c', `command -v ${make}`]).status === 0;
        if (!have) continue;
        console.log(
          `no-op ${make.padEnd(5)} ${String(n).padStart(5)} packages: ${fmt(noop(make, out, build, n === 100 ? 9 : 3))} (median)`,
        );
      }
    }
  }
} finally {
  if (keep) console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
