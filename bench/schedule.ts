// Scheduling bench (issue 11, item 3): the real stages/ graph, generated into a real Makefile and run for real by
// GNU make (and bmake) at -j2, -j8 and -j32, with each step's runtime replaced by a stub that sleeps the step's
// reference duration (its share of the package's `weight`, scaled) and writes the stamp. Prints the makespan
// against the lower bound max(critical path, total work / N), for the prerequisite order by name (every weight
// 0: the order before critical-path-first) and for the order by estimated chain (the weights of stages/).
// Usage, after `npm run build`: node dist/bench/schedule.js [--seconds=S] [--jobs=2,8,32] [--makes=make]
//   [--noise=F]
// --seconds: what the critical path sleeps in all (default 20); --makes: make, bmake or both (default make:
// both makes at three job counts take over 5 minutes); --noise=F: each step really takes its estimate times a
// factor in [1-F, 1+F] (seeded), so the order works from estimates that are off (default 0).
// Starting a step costs processes (make's sh, the stub's sh, sleep), which on a loaded machine is tens of
// milliseconds per step; a calibration run (every sleep 0, -j1) measures that cost per step, and the second
// bound adds it to every step's duration, so the ratio to it shows what the order costs, not the machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/index.js';
import { emit } from '../compiler/emit/index.js';
import { schedule, stepCost } from '../compiler/emit/view/schedule.js';
import type { BuildGraph } from '../compiler/graph.js';
import { shQuote } from '../compiler/emit/quote.js';
import { prng } from './synth.js';

function arg(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const seconds = Number(arg('seconds', '20'));
const jobsList = arg('jobs', '2,8,32').split(',').map(Number);
const makes = arg('makes', 'make')
  .split(',')
  .filter((m) => spawnSync('sh', ['-c', `command -v ${m}`]).status === 0);
const noise = Number(arg('noise', '0'));

interface Step {
  readonly id: string;
  readonly estimate: number;
  /** What the stub really sleeps, in seconds. */
  readonly sleep: number;
  readonly needs: readonly string[];
}

/** Every step with its estimate and the seconds it sleeps; `scale` seconds per weight unit. */
function steps(graph: BuildGraph, scale: number): Step[] {
  const rnd = prng(11);
  return graph.packages.flatMap((pkg) =>
    pkg.steps.map((step) => {
      const estimate = stepCost(pkg, step);
      const factor = noise ? 1 - noise + 2 * noise * rnd() : 1;
      return { id: `${pkg.id}/${step.name}`, estimate, sleep: estimate * scale * factor, needs: step.needs };
    }),
  );
}

/** The critical path of the real (slept) durations plus `extra` per step: needs are step ids or whole stages. */
function criticalPath(list: readonly Step[], extra: number): number {
  const done = new Map<string, number>();
  const stageEnd = new Map<string, number>();
  for (const s of list) {
    const start = Math.max(0, ...s.needs.map((n) => (n.includes('/') ? (done.get(n) ?? 0) : (stageEnd.get(n) ?? 0))));
    const end = start + s.sleep + extra;
    done.set(s.id, end);
    const stage = s.id.split('/')[0];
    stageEnd.set(stage, Math.max(stageEnd.get(stage) ?? 0, end));
  }
  return Math.max(...done.values());
}

/** The stub runtime: `$(SERPENT_SH) lib/serpent.sh step <index> <total> <stage> <package> <step> <placement>`. */
function stub(list: readonly Step[], log: string): string {
  const cases = list.filter((s) => s.sleep > 0).map((s) => `  ${shQuote(s.id)}) sleep ${s.sleep.toFixed(3)} ;;`);
  return [
    '#!/bin/sh',
    '# bench/schedule.ts: sleeps the step its reference duration, then writes its stamp',
    'id="$5/$6/$7"',
    `printf '%s\\n' "$id" >> ${shQuote(log)}`,
    'case "$id" in',
    ...cases,
    'esac',
    'mkdir -p "$SERPENT_BUILD_DIR/stamps/$5/$6" && : > "$SERPENT_BUILD_DIR/stamps/$5/$6/$7"',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const result = await compile('stages');
  if (!result.graph) {
    process.stderr.write('stages/ does not compile\n');
    process.exit(1);
  }
  const graph = result.graph;
  const byName: BuildGraph = { ...graph, packages: graph.packages.map((p) => ({ ...p, weight: 0 })) };
  const chain = Math.max(...graph.packages.map((p) => schedule(graph).chain(`${p.id}/${p.steps.at(-1)?.name ?? ''}`)));
  const scale = seconds / chain;
  const list = steps(graph, scale);
  const work = list.reduce((a, s) => a + s.sleep, 0);
  const cp = criticalPath(list, 0);
  const root = mkdtempSync(join(tmpdir(), 'serpent-schedule-'));
  try {
    const orders = [
      ['by name', byName],
      ['by chain', graph],
    ] as const;
    const dirs = new Map<string, string>();
    for (const [name, g] of orders) {
      const out = join(root, name.replace(' ', '-'));
      const res = await emit(g, { outDir: out, stagesDir: 'stages' });
      if (res.diagnostics.length) throw new Error(`emit failed: ${JSON.stringify(res.diagnostics)}`);
      dirs.set(name, out);
    }
    const log = join(root, 'starts.log');
    const runner = join(root, 'runner.sh');
    const build = join(root, 'build');
    /** One clean build with `make -jN` and the order's Makefile: the seconds it took. */
    const run = (make: string, jobs: number, dir: string): number => {
      rmSync(build, { recursive: true, force: true });
      // the stamp directories exist beforehand: a mkdir per step would be overhead of the bench, not the order
      for (const s of list) mkdirSync(join(build, 'stamps', s.id.slice(0, s.id.lastIndexOf('/'))), { recursive: true });
      writeFileSync(log, '');
      const t0 = process.hrtime.bigint();
      const done = spawnSync(make, ['-C', dir, `-j${jobs}`, `BUILD_DIR=${build}`, `SERPENT_SH=${runner}`, 'all'], {
        encoding: 'utf8',
      });
      const took = Number(process.hrtime.bigint() - t0) / 1e9;
      if (done.status !== 0) throw new Error(`${make} failed: ${done.stderr}`);
      const ran = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
      if (ran !== list.length) throw new Error(`${make} ran ${ran} of ${list.length} steps`);
      return took;
    };
    writeFileSync(runner, stub(list.map((s) => ({ ...s, sleep: 0 })), log));
    chmodSync(runner, 0o755);
    const overhead = run(makes[0] ?? 'make', 1, dirs.get('by chain') ?? '') / list.length;
    writeFileSync(runner, stub(list, log));
    const cpo = criticalPath(list, overhead);
    const worko = work + overhead * list.length;
    console.log(
      `stages/: ${graph.packages.length} packages, ${list.length} steps; total work ${work.toFixed(1)}s, ` +
        `critical path ${cp.toFixed(1)}s (${scale.toFixed(4)}s per weight unit${noise ? `, noise ±${noise * 100}%` : ''}); ` +
        `starting a step costs ${(overhead * 1000).toFixed(0)} ms here (-j1, sleeps 0): with it, critical path ` +
        `${cpo.toFixed(1)}s, total ${worko.toFixed(1)}s`,
    );
    for (const make of makes) {
      for (const jobs of jobsList) {
        const bound = Math.max(cp, work / jobs);
        const boundo = Math.max(cpo, worko / jobs);
        const cells: string[] = [];
        for (const [name] of orders) {
          const took = run(make, jobs, dirs.get(name) ?? '');
          cells.push(`${name} ${took.toFixed(1)}s = ${(took / bound).toFixed(3)} / ${(took / boundo).toFixed(3)}`);
        }
        console.log(
          `${make.padEnd(5)} -j${String(jobs).padEnd(2)}  bound ${bound.toFixed(1)}s / with start cost ` +
            `${boundo.toFixed(1)}s   makespan and ratio to each bound: ${cells.join('   ')}`,
        );
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
