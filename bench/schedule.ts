// Scheduling bench (issue 11, item 3): the real stages/ graph, generated into a real Makefile and run for real by
// GNU make (and bmake) at -j2, -j8 and -j32, with the runtime replaced by a stub: a package's job (its make node)
// sleeps each of its steps' reference duration (its share of the package's `weight`, scaled) and writes the
// stamps. Prints the makespan against the lower bound max(critical path, total work / N) of those jobs (a package
// starts when what it needs is done, as in the Makefile), for the prerequisite order by name (every weight 0: the
// order before critical-path-first) and for the order by estimated chain (the weights of stages/).
// Usage, after `npm run build`: node dist/bench/schedule.js [--seconds=S] [--jobs=2,8,32] [--makes=make]
//   [--noise=F] [--simulate-only] [--stages=DIR] [--layers=DIR,...]
// --seconds: what the critical path sleeps in all (default 20); --makes: make, bmake or both (default make:
// both makes at three job counts take over 5 minutes); --noise=F: each step really takes its estimate times a
// factor in [1-F, 1+F] (seeded), so the order works from estimates that are off (default 0); --simulate-only:
// only the simulated GNU make walk (below), no real runs.
// Starting a step costs a process (make's shell, which execs the stub), which on a loaded machine is tens of
// milliseconds; so each run also gives its ratio to the bound of the durations its steps really took, which
// shows what the order costs rather than the machine.
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
/** Only the simulation of GNU make's walk (seconds instead of minutes): `--simulate-only`. */
const simulateOnly = process.argv.includes('--simulate-only');
/** Another recipe directory (e.g. a copy of stages/ with other weights): `--stages=DIR`. */
const stagesArg = arg('stages', 'stages');
/** Layers on it, e.g. the host-LLVM profile: `--layers=stages/layers/host-llvm` (comma-separated, bottom first). */
const layersArg = arg('layers', '').split(',').filter(Boolean);

interface Step {
  readonly id: string;
  readonly estimate: number;
  /** What the stub really sleeps, in seconds. */
  readonly sleep: number;
}

/** Every step with its estimate and the seconds it sleeps; `scale` seconds per weight unit. */
function steps(graph: BuildGraph, scale: number): Step[] {
  const rnd = prng(11);
  return graph.packages.flatMap((pkg) =>
    pkg.steps.map((step) => {
      const estimate = stepCost(pkg, step);
      const factor = noise ? 1 - noise + 2 * noise * rnd() : 1;
      return { id: `${pkg.id}/${step.name}`, estimate, sleep: estimate * scale * factor };
    }),
  );
}

/** A Makefile's rules: target → its prerequisites and whether it has a recipe (a job). */
type Rules = ReadonlyMap<string, { readonly prereqs: readonly string[]; readonly recipe: boolean }>;

function parseRules(makefile: string): Rules {
  const rules = new Map<string, { prereqs: string[]; recipe: boolean }>();
  const lines = makefile.split('\n');
  lines.forEach((line, i) => {
    const m = /^([^\s#.][^:=]*):(?!=)(.*)$/.exec(line);
    if (!m || line.includes('?=')) return;
    rules.set(m[1], { prereqs: m[2].split(' ').filter(Boolean), recipe: (lines[i + 1] ?? '').startsWith('\t') });
  });
  return rules;
}

/**
 * What each job of the Makefile takes: a package node (`$(S)/<stage>/<package>/.checked`) runs its package's
 * steps one after the other, so it takes their sum; a stage barrier takes nothing.
 */
function nodeSeconds(list: readonly Step[], secondsOf: (s: Step) => number): Map<string, number> {
  const nodes = new Map<string, number>();
  for (const s of list) {
    const node = `$(S)/${s.id.slice(0, s.id.lastIndexOf('/'))}/.checked`;
    nodes.set(node, (nodes.get(node) ?? 0) + secondsOf(s));
  }
  return nodes;
}

/**
 * The lower bound of a build of `all` with these job durations: max(the longest chain of jobs, all work / N).
 * The chain is the Makefile's own (a package starts when the packages and stages it needs are done).
 */
function bound(rules: Rules, seconds: ReadonlyMap<string, number>, jobs: number): number {
  const memo = new Map<string, number>();
  const finish = (target: string): number => {
    const known = memo.get(target);
    if (known !== undefined) return known;
    const rule = rules.get(target);
    const start = Math.max(0, ...(rule?.prereqs ?? []).map(finish));
    const end = start + (seconds.get(target) ?? 0);
    memo.set(target, end);
    return end;
  };
  const work = [...seconds.values()].reduce((a, b) => a + b, 0);
  return Math.max(finish('all'), work / jobs);
}

/**
 * The stub runtime, in place of `$(SERPENT_SH) lib/serpent.sh package <total> <stage> <package>` (a package
 * node: each of its steps sleeps its reference duration and writes its stamp, then the node's stamp) and of
 * `… barrier <stage>` (the stage node's stamp). bash for $EPOCHREALTIME and a sleep without a process (`read -t`
 * on a FIFO nobody writes): one process per job, the shell make starts, so the bench measures the order rather
 * than process start-up.
 */
function stub(list: readonly Step[], log: string, fifo: string): string {
  const byPackage = new Map<string, Step[]>();
  for (const s of list) {
    const pkg = s.id.slice(0, s.id.lastIndexOf('/'));
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), s]);
  }
  const cases = [...byPackage].map(
    ([pkg, steps]) =>
      `  ${shQuote(pkg)}) set -- ${steps.map((s) => `${shQuote(s.id.slice(pkg.length + 1))} ${s.sleep.toFixed(3)}`).join(' ')} ;;`,
  );
  return [
    '#!/bin/bash',
    '# bench/schedule.ts: a package node sleeps each step its reference duration and writes its stamps',
    'stamps=$SERPENT_BUILD_DIR/stamps',
    'case $2 in',
    '  barrier) : > "$stamps/$3/.checked"; exit 0 ;;',
    '  package) pkg=$4/$5 ;;',
    '  *) echo "stub: unexpected $*" >&2; exit 1 ;;',
    'esac',
    'case $pkg in',
    ...cases,
    '  *) set -- ;;',
    'esac',
    'while [ $# -gt 0 ]; do',
    '  t0=$EPOCHREALTIME',
    `  [ "$2" = 0.000 ] || read -rt "$2" <> ${shQuote(fifo)}`,
    '  : > "$stamps/$pkg/$1"',
    `  printf '%s %s %s\\n' "$pkg/$1" "$t0" "$EPOCHREALTIME" >> ${shQuote(log)}`,
    '  shift 2',
    'done',
    ': > "$stamps/$pkg/.checked"',
    '',
  ].join('\n');
}

/** One clean build with `make -jN` and one order's Makefile: wall time, and each step's start and end (epoch s). */
function run(
  make: string,
  jobs: number,
  dir: string,
  build: string,
  log: string,
  runner: string,
): { took: number; t0: number; ran: Map<string, [number, number]> } {
  rmSync(build, { recursive: true, force: true });
  // the stamp directories exist beforehand: a mkdir per step would be overhead of the bench, not of the order
  for (const line of readFileSync(join(dir, 'lib/steps.txt'), 'utf8').split('\n').filter(Boolean)) {
    const [, stage, pkg] = line.split(' ');
    mkdirSync(join(build, 'stamps', stage, pkg), { recursive: true });
  }
  writeFileSync(log, '');
  const t0 = Date.now() / 1000;
  const start = process.hrtime.bigint();
  const done = spawnSync(make, ['-C', dir, `-j${jobs}`, `BUILD_DIR=${build}`, `SERPENT_SH=${runner}`, 'all'], {
    encoding: 'utf8',
  });
  const took = Number(process.hrtime.bigint() - start) / 1e9;
  if (done.status !== 0) throw new Error(`${make} failed: ${done.stderr}`);
  const ran = new Map<string, [number, number]>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [id, a, b] = line.split(' ');
    ran.set(id, [Number(a), Number(b)]);
  }
  return { took, t0, ran };
}

/**
 * GNU make's walk, simulated without any process cost, on the generated Makefile's rules: each pass walks from
 * `all` depth first in the listed order, visits a target once, and starts every target whose prerequisites
 * are made, waiting for a free slot before each start (so a step that becomes ready during a pass waits for
 * the next pass); between passes make waits for a job to end. Shows what the order itself costs.
 */
function simulateGnuMake(rules: Rules, seconds: ReadonlyMap<string, number>, jobs: number): number {
  const done = new Set<string>();
  const running = new Map<string, number>(); // target → end time
  let now = 0;
  const reapOne = (): void => {
    const [target, end] = [...running].reduce((x, y) => (y[1] < x[1] ? y : x));
    running.delete(target);
    now = Math.max(now, end);
    done.add(target);
  };
  const walk = (target: string, seen: Set<string>): void => {
    if (done.has(target) || running.has(target) || seen.has(target)) return;
    seen.add(target);
    const rule = rules.get(target);
    if (!rule) {
      done.add(target); // a file that exists: a script, the runtime
      return;
    }
    for (const p of rule.prereqs) walk(p, seen);
    if (!rule.prereqs.every((p) => done.has(p))) return;
    if (!rule.recipe) {
      done.add(target);
      return;
    }
    while (running.size >= jobs) reapOne();
    running.set(target, now + (seconds.get(target) ?? 0));
  };
  for (;;) {
    walk('all', new Set());
    if (done.has('all')) return now;
    if (!running.size) throw new Error('simulation stuck');
    reapOne();
  }
}

async function main(): Promise<void> {
  const result = await compile([stagesArg, ...layersArg]);
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
  const slept = nodeSeconds(list, (s) => s.sleep);
  const root = mkdtempSync(join(tmpdir(), 'serpent-schedule-'));
  try {
    const orders = [
      ['by name', byName],
      ['by chain', graph],
    ] as const;
    const dirs = new Map<string, string>();
    for (const [name, g] of orders) {
      const out = join(root, name.replace(' ', '-'));
      const res = await emit(g, { outDir: out, stagesDir: stagesArg });
      if (res.diagnostics.length) throw new Error(`emit failed: ${JSON.stringify(res.diagnostics)}`);
      dirs.set(name, out);
    }
    const rulesOf = new Map(
      [...dirs].map(([name, dir]) => [name, parseRules(readFileSync(join(dir, 'Makefile'), 'utf8'))]),
    );
    // both orders have the same nodes and edges: one critical path
    const cp = bound(rulesOf.get('by chain') ?? new Map(), slept, Infinity);
    const log = join(root, 'steps.log');
    const runner = join(root, 'runner.sh');
    const build = join(root, 'build');
    const fifo = join(root, 'never-written');
    spawnSync('mkfifo', [fifo]);
    writeFileSync(runner, stub(list, log, fifo));
    chmodSync(runner, 0o755);
    console.log(
      `stages/: ${graph.packages.length} packages, ${list.length} steps; total work ${work.toFixed(1)}s, ` +
        `critical path ${cp.toFixed(1)}s of package jobs (${scale.toFixed(4)}s per weight unit${noise ? `, noise ±${noise * 100}%` : ''})`,
    );
    console.log(
      'per run: makespan; its ratio to the bound max(critical path, work / N) of the slept durations, and to the ' +
        'same bound of the durations the steps took as run (start-up and a loaded machine included); ' +
        'when stage1/llvm started',
    );
    for (const make of makes) {
      for (const jobs of jobsList) {
        const lower = bound(rulesOf.get('by chain') ?? new Map(), slept, jobs);
        const cells: string[] = [];
        for (const [name] of orders) {
          if (simulateOnly) break;
          const r = run(make, jobs, dirs.get(name) ?? '', build, log, runner);
          if (r.ran.size !== list.length) throw new Error(`${make} ran ${r.ran.size} of ${list.length} steps`);
          const asRun = nodeSeconds(list, (s) => {
            const t = r.ran.get(s.id);
            return t ? t[1] - t[0] : 0;
          });
          const boundRun = bound(rulesOf.get(name) ?? new Map(), asRun, jobs);
          // its first step (the host-LLVM profile's llvm has no build step)
          const llvm = [...r.ran]
            .filter(([id]) => id.startsWith('stage1/llvm/'))
            .map(([, t]) => t)
            .sort((a, b) => a[0] - b[0])[0];
          cells.push(
            `${name} ${r.took.toFixed(1)}s = ${(r.took / lower).toFixed(3)} / ${(r.took / boundRun).toFixed(3)} ` +
              `(llvm at ${llvm ? (llvm[0] - r.t0).toFixed(1) : '?'}s)`,
          );
        }
        console.log(`${make.padEnd(5)} -j${String(jobs).padEnd(2)}  bound ${lower.toFixed(1)}s   ${cells.join('   ')}`);
        if (make === 'make') {
          const sim = orders.map(([name]) => {
            const took = simulateGnuMake(rulesOf.get(name) ?? new Map(), slept, jobs);
            return `${name} ${took.toFixed(1)}s = ${(took / lower).toFixed(3)}`;
          });
          console.log(`      GNU make's walk simulated, no process costs: ${sim.join('   ')}`);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
