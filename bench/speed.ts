// The speed goals of issue 11 (item 4), printed by one run, each with its goal: generating stages/ through the
// launcher a user runs (Node start-up included), 10,000 synthetic packages into an empty directory and again with
// nothing to write, no-op make and bmake at 100 and 10,000 packages, and the no-op at 10,000 against Ninja on the
// same nodes and edges (build.ninja written from the Makefile's node rules verbatim).
// Usage, after `npm run build`: node dist/bench/speed.js [--runs=N]   (one line per figure; medians of N runs)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { emit } from '../compiler/emit/index.js';
import { MANIFEST } from '../compiler/emit/layout.js';
import { PACKAGE_ROOT } from '../compiler/paths.js';
import { noop, syntheticGraph, touchAllStamps } from './graph.js';

const runsArg = process.argv.find((a) => a.startsWith('--runs='));
const RUNS = runsArg ? Number(runsArg.slice(7)) : 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const line = (what: string, value: number, goal: number): void =>
  console.log(`${what.padEnd(52)} ${ms(value).padStart(9)}   goal < ${ms(goal)}${value < goal ? '' : '   MISSED'}`);

function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

/** serpentc's cache directory for this run's CLI calls (the user's is left alone), or 'off'. */
let cache = 'off';

/** What a user runs: the package's launcher (package.json "bin"), with the `node` on PATH. */
const LAUNCHER = join(PACKAGE_ROOT, 'bin/serpentc');

function cli(args: string[]): void {
  const r = spawnSync(LAUNCHER, args, {
    encoding: 'utf8',
    env: { ...process.env, SERPENTC_CACHE_DIR: cache },
  });
  if (r.status !== 0) throw new Error(`serpentc ${args.join(' ')}: ${r.stderr}`);
}

/** build.ninja with the Makefile's node rules: the same nodes and edges, the nodes in `build`. */
function writeNinja(out: string, build: string): void {
  const path = (p: string): string => p.replace('$(S)/', `${build}/stamps/`).replace(/[ :$]/g, '$$$&');
  const rules = readFileSync(join(out, 'Makefile'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('$(S)/') && l.includes('/.checked:'));
  const text = [
    // generator: no command-line record needed, so a first run with every node present is a no-op too
    'rule stamp\n  command = touch $out\n  generator = 1\n',
    ...rules.map((r) => {
      const [target, prereqs] = r.split(': ');
      return `build ${path(target)}: stamp ${prereqs.split(' ').map(path).join(' ')}`;
    }),
    '',
  ].join('\n');
  writeFileSync(join(out, 'build.ninja'), text);
}

/** A full garbage collection (V8's `gc`, made reachable for this process only). */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * What writing a generated out/ costs by itself on this file system (mkdir, writeFileSync and chmod per file, as
 * write.ts does for a new file), with nothing compiled, rendered or compared: the floor of an empty-dir figure.
 * `timed` writes a copy of `out` into a new directory and says how long that took.
 */
function writingAlone(out: string): { readonly files: number; readonly timed: (copy: string) => number } {
  const files = readFileSync(join(out, MANIFEST), 'utf8').split('\n').filter(Boolean);
  const contents = files.map((rel) => [rel, readFileSync(join(out, rel))] as const);
  return {
    files: files.length,
    timed: (copy) => {
      const t = performance.now();
      const made = new Set<string>();
      for (const [rel, bytes] of contents) {
        const dir = dirname(join(copy, rel));
        if (!made.has(dir)) mkdirSync(dir, { recursive: true });
        made.add(dir);
        writeFileSync(join(copy, rel), bytes, { mode: 0o644 });
        chmodSync(join(copy, rel), 0o644);
      }
      return performance.now() - t;
    },
  };
}

const floorLine = (files: number, value: number): void =>
  console.log(
    `${`  of which writing its ${files} files alone`.padEnd(52)} ${ms(value).padStart(9)}   (the file system's share)`,
  );

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

const root = mkdtempSync(join(tmpdir(), 'serpentc-speed-'));
try {
  // stages/ through the CLI: a new process each time, as a user runs it. First without any cache (serpentc's
  // first run on a machine); then with a cache directory of the bench's own, primed by one run into another
  // directory, so that each empty out/ gets what a user's later runs get: the memos (no grammar to load and no
  // shell parser to start when the recipe files and step bodies are known), but neither output record (they
  // are per out/ directory).
  // Each run is followed by a copy of its output written alone, in the same state of the file system, so that a
  // slow figure says whether the file system was slow then (files removed shortly before: see below).
  const first: number[] = [];
  const firstFloor: number[] = [];
  let floor: ReturnType<typeof writingAlone> | null = null;
  for (let i = 0; i < RUNS; i++) {
    const out = join(root, `first-${i}`);
    first.push(timed(() => cli([join(PACKAGE_ROOT, 'stages'), '-o', out])));
    floor ??= writingAlone(out);
    firstFloor.push(floor.timed(join(root, `first-floor-${i}`)));
  }
  cache = join(root, 'cache');
  cli([join(PACKAGE_ROOT, 'stages'), '-o', join(root, 'stages-prime')]);
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = join(root, `stages-out-${i}`);
    cold.push(timed(() => cli([join(PACKAGE_ROOT, 'stages'), '-o', out])));
    warm.push(timed(() => cli([join(PACKAGE_ROOT, 'stages'), '-o', out])));
  }
  line('generate stages/ (CLI, empty dir, no cache at all)', median(first), 500);
  if (floor) floorLine(floor.files, median(firstFloor));
  line('generate stages/ (CLI, empty dir)', median(cold), 500);
  line('generate stages/ (CLI, unchanged)', median(warm), 500);
  // Node's own start, inside each figure above: as the launcher starts it, and with this environment as it is
  const nodeStart = (env: NodeJS.ProcessEnv): number =>
    median(Array.from({ length: RUNS }, () => timed(() => spawnSync('node', ['-e', '0'], { env }))));
  const { NODE_EXTRA_CA_CERTS: extraCerts, ...launched } = process.env;
  console.log(`${'  of which Node starting (node -e 0)'.padEnd(52)} ${ms(nodeStart(launched)).padStart(9)}`);
  if (extraCerts !== undefined)
    console.log(
      `${'  Node starting with NODE_EXTRA_CA_CERTS as set here'.padEnd(52)} ${ms(nodeStart(process.env)).padStart(9)}   (the launcher drops it)`,
    );

  for (const n of [100, 10000]) {
    const stagesDir = join(root, `stages-${n}`);
    mkdirSync(stagesDir, { recursive: true });
    const graph = syntheticGraph(n, stagesDir);
    // (for 10,000 packages, the directory of the first timed run below)
    const out = join(root, n === 10000 ? `out-${n}-0` : `out-${n}`);
    if (n === 10000) {
      const emitCold: number[] = [];
      const emitWarm: number[] = [];
      // A new directory for each run, and nothing removed until every figure is taken: on an ext4 without a
      // journal (this machine's root), creating an inode within a minute or more of removing thousands walks
      // past each recently deleted one (the kernel's recently_deleted(): 80 % of a file creation's time in
      // `perf`). Removing the previous run's out/ first measured that scan: writing the files alone took 6.2 s
      // instead of 0.8 s.
      // A graph of its own for each timed emit, as each serpentc run compiles one: nothing the emitter keeps per
      // graph (its JSON text, its step list) carries over from one timed run to the next. The previous run's
      // graph is collected before the clock starts, as a new process would not have it.
      for (let i = 0; i < RUNS; i++) {
        const fresh = i === 0 ? out : join(root, `out-${n}-${i}`);
        const first = syntheticGraph(n, stagesDir);
        collectGarbage();
        let t = performance.now();
        await emit(first, { outDir: fresh, stagesDir });
        emitCold.push(performance.now() - t);
        const second = syntheticGraph(n, stagesDir);
        collectGarbage();
        t = performance.now();
        const again = await emit(second, { outDir: fresh, stagesDir });
        emitWarm.push(performance.now() - t);
        if (again.changed.length) throw new Error('second generation changed files');
      }
      line(`generate ${n} packages (empty dir)`, median(emitCold), 3000);
      line(`generate ${n} packages (unchanged)`, median(emitWarm), 1000);
      const floor = writingAlone(out);
      const times = Array.from({ length: RUNS }, (_, i) => floor.timed(join(root, `floor-${i}`)));
      floorLine(floor.files, median(times));
    } else {
      await emit(graph, { outDir: out, stagesDir });
    }
    const build = join(root, `build-${n}`);
    touchAllStamps(graph, build);
    const makeTimes = new Map<string, number>();
    for (const make of ['make', 'bmake']) {
      if (!have(make)) continue;
      const t = noop(make, out, build, n === 100 ? 9 : RUNS);
      makeTimes.set(make, t);
      line(`no-op ${make} ${n} packages`, t, n === 100 ? 50 : 1000);
      if (n === 100) {
        // the make's own start-up, on a Makefile of one empty rule: Debian's bmake reads /usr/share/mk/sys.mk
        // first, which runs commands (uname) before our Makefile is read
        const empty = join(root, 'empty-makefile');
        mkdirSync(empty, { recursive: true });
        writeFileSync(join(empty, 'Makefile'), 'all:\n\t@:\n');
        const times: number[] = [];
        for (let i = 0; i < 9; i++) {
          const t0 = performance.now();
          spawnSync(make, [], { cwd: empty, env: { ...process.env, MAKEFLAGS: '' } });
          times.push(performance.now() - t0);
        }
        console.log(
          `${`  of which ${make} starting (a one-rule Makefile)`.padEnd(52)} ${ms(median(times)).padStart(9)}`,
        );
      }
    }
    if (n === 10000 && have('ninja')) {
      writeNinja(out, build);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const r = spawnSync('ninja', ['-C', out], { encoding: 'utf8' });
        times.push(performance.now() - t);
        if (r.status !== 0 || !/no work to do/.test(r.stdout)) throw new Error(`ninja was not a no-op:\n${r.stdout}`);
      }
      const ninja = median(times);
      const make = makeTimes.get('make') ?? NaN;
      console.log(
        `${`no-op ninja ${n} packages (same graph)`.padEnd(52)} ${ms(ninja).padStart(9)}   make/ninja = ${(make / ninja).toFixed(2)}`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
