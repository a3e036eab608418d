// Prints the figures of the mutation corpus (spec/helpers/mutate.ts) over the real stages/: of the runs a
// mutation made fail, the share that report exactly one error, and how many threw (an exit 3). Per operator
// too, so a regression points at its class of mistake. Run after `npm run build`:
//   node dist/bench/mutations.js [runs] [seed]      (MUTATIONS_VERBOSE=1 prints each multi-error run)
import { join } from 'node:path';
import { compileSources } from '../compiler/index.js';
import { formatDiagnostic } from '../compiler/diagnostics/render.js';
import { REPO_ROOT } from '../spec/helpers/paths.js';
import { mutant, readRecipes } from '../spec/helpers/mutate.js';
import { prng } from './synth.js';

const runs = Number(process.argv[2] ?? 2000);
const seed = Number(process.argv[3] ?? 20261201);
const stagesDir = join(REPO_ROOT, 'stages');
const base = readRecipes(stagesDir);
const rand = prng(seed);

interface Tally {
  runs: number;
  failing: number;
  single: number;
  crashed: number;
}
const blank = (): Tally => ({ runs: 0, failing: 0, single: 0, crashed: 0 });
const total = blank();
const byOp = new Map<string, Tally>();
const t0 = process.hrtime.bigint();
for (let i = 0; i < runs; i++) {
  const m = mutant(rand, base);
  const t = byOp.get(m.op) ?? blank();
  byOp.set(m.op, t);
  for (const x of [t, total]) x.runs++;
  try {
    const res = await compileSources(m.files, { stagesDir });
    const errors = res.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0) continue;
    for (const x of [t, total]) x.failing++;
    if (errors.length === 1) for (const x of [t, total]) x.single++;
    else if (process.env.MUTATIONS_VERBOSE)
      console.log(
        `--- #${i} ${m.op} ${m.rel}@${m.offset}: ${errors.length} errors\n${errors
          .slice(0, 6)
          .map((d) => formatDiagnostic(d, (f) => res.texts.get(f)))
          .join('\n')}`,
      );
  } catch (e) {
    for (const x of [t, total]) x.crashed++;
    console.log(`#${i} ${m.op} ${m.rel}@${m.offset} threw: ${e instanceof Error ? e.stack : String(e)}`);
  }
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '-').padStart(6);
console.log('operator          runs  failing  one-error-%  crashed');
// sort for determinism
for (const [op, t] of [...byOp].sort(([a], [b]) => (a < b ? -1 : 1)).concat([['all', total]]))
  console.log(
    `${op.padEnd(16)} ${String(t.runs).padStart(5)}  ${String(t.failing).padStart(7)}  ${pct(t.single, t.failing)}%     ${String(t.crashed).padStart(4)}`,
  );
console.log(`seed ${seed}, ${runs} runs in ${secs.toFixed(1)} s (${((1000 * secs) / runs).toFixed(0)} ms/run)`);
