// Critical-path-first scheduling: the Makefile lists prerequisites longest estimated chain first (from the
// packages' `weight`), and a real `make -j2` therefore starts the long chain before short ones that sort first
// by name or that have more steps.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { schedule } from '../compiler/emit/view/schedule.js';
import type { BuildGraph } from '../compiler/graph.js';
import { requires } from './helpers/env.js';
import { buildGraph } from './fixtures/make/graph.js';
import type { GraphDesc } from './fixtures/make/graph.js';
import { stagesDir } from './fixtures/make/fixture.js';
import { PACKAGE_ROOT } from '../compiler/paths.js';
import { makeEnv, removeTempDirs, run, tempDir } from './fixtures/make/harness.js';

/**
 * Stage one: two chains of three short packages (a1 needs a2 needs a3; b1 … b3), which sort first by name and
 * have the most steps in a row; `top` needs a1 and b1; one long package `zlong` (weight 30) needs nothing. Stage two:
 * `next`. Every package has one step, `build`, which sleeps (so a job finishes long after the next one starts).
 */
function desc(weights: boolean): GraphDesc {
  const body = 'sleep 0.5';
  const pkg = (name: string, depends: string[], weight: number) => ({
    name,
    stage: 'one',
    depends,
    weight: weights ? weight : 1,
    steps: [{ name: 'build', body }],
  });
  return {
    stages: [{ name: 'one' }, { name: 'two' }],
    packages: [
      pkg('a3', [], 1),
      pkg('a2', ['a3'], 1),
      pkg('a1', ['a2'], 1),
      pkg('b3', [], 1),
      pkg('b2', ['b3'], 1),
      pkg('b1', ['b2'], 1),
      pkg('zlong', [], 30),
      pkg('top', ['a1', 'b1'], 1),
      { name: 'next', stage: 'two', steps: [{ name: 'build', body }] },
    ],
    hostTools: ['sleep'],
  };
}

const weighted: BuildGraph = buildGraph(desc(true));
const unweighted: BuildGraph = buildGraph(desc(false));

/** The prerequisites of the Makefile rule whose target is `target`. */
function prerequisites(makefile: string, target: string): string[] {
  const line = makefile.split('\n').find((l) => l.startsWith(`${target}:`));
  if (!line) throw new Error(`no rule for ${target}`);
  return line
    .slice(target.length + 1)
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

async function makefileOf(graph: BuildGraph): Promise<string> {
  const out = join(tempDir('schedule-emit'), 'out');
  await emit(graph, { outDir: out, stagesDir });
  return readFileSync(join(out, 'Makefile'), 'utf8');
}

test('chain lengths add up the weights along the longest chain, a stage barrier included', () => {
  const s = schedule(weighted);
  assert.is(s.chain('one/zlong/build'), 30);
  assert.is(s.chain('one/a1/build'), 3);
  assert.is(s.chain('one/top/build'), 4);
  assert.is(s.chain('one/.complete'), 30);
  assert.is(s.chain('two/next/build'), 31, 'the first step of stage two waits for the whole of stage one');
});

test('the emitted prerequisite lists follow the estimates: longest chain first, ties by name', async () => {
  const makefile = await makefileOf(weighted);
  const nodes = ['zlong', 'top', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3'].map((p) => `$(S)/one/${p}/.checked`);
  assert.equal(prerequisites(makefile, '$(S)/one/.checked'), nodes);
  assert.equal(prerequisites(makefile, 'one'), nodes);
  // without the weights the three-package chains are the longest: the order really comes from `weight`
  const plain = await makefileOf(unweighted);
  assert.equal(
    prerequisites(plain, 'one'),
    ['top', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'zlong'].map((p) => `$(S)/one/${p}/.checked`),
  );
});

test("a package's needed nodes: longest chain first in the Makefile; a step's stamps by name in lib/prereqs.txt", async () => {
  const makefile = await makefileOf(weighted);
  assert.equal(prerequisites(makefile, '$(S)/two/next/.checked').slice(-1), ['$(S)/one/.checked']);
  const heavy = buildGraph({
    ...desc(true),
    packages: desc(true).packages.map((p) => (p.name === 'top' ? { ...p, weight: 1, depends: ['a1', 'zlong'] } : p)),
  });
  const out = join(tempDir('schedule-emit'), 'out');
  await emit(heavy, { outDir: out, stagesDir });
  assert.equal(prerequisites(readFileSync(join(out, 'Makefile'), 'utf8'), '$(S)/one/top/.checked'), [
    'one/top.sh',
    'lib/env/one.host.sh',
    'lib/sig/host',
    '$(S)/one/zlong/.checked',
    '$(S)/one/a1/.checked',
  ]);
  const rule =
    readFileSync(join(out, 'lib/prereqs.txt'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('stamps/one/top/build ')) ?? '';
  assert.ok(rule.endsWith(' stamps/one/a1/build stamps/one/zlong/build'), rule);
});

const enabled = requires('make: critical path first', { tools: ['make', 'bmake', 'sleep'] });

/** The steps in the order the timing record saw them start. */
function starts(build: string): string[] {
  return readFileSync(join(build, 'timings.log'), 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[1] === 'start')
    .map((f) => f[2]);
}

if (enabled) {
  for (const make of ['make', 'bmake']) {
    test(`${make} -j2 starts the long package first; without weights it starts it third`, async () => {
      for (const [graph, expectFirst] of [
        [weighted, true],
        [unweighted, false],
      ] as const) {
        const root = tempDir('schedule');
        const out = join(root, 'out');
        await emit(graph, { outDir: out, stagesDir });
        const build = join(root, 'build');
        rmSync(build, { recursive: true, force: true });
        const r = await run(make, ['-j2', `BUILD_DIR=${build}`, 'all'], { cwd: out, env: makeEnv() });
        assert.is(r.code, 0, r.out);
        const order = starts(build);
        assert.is(order.length, 9, order.join(' '));
        // the first two start together (their record lines may swap); the third only once one of them is done
        const firstTwo = order.slice(0, 2);
        assert.is(firstTwo.includes('one/zlong/build'), expectFirst, `${make}: ${order.join(' ')}`);
        if (!expectFirst) assert.equal(firstTwo.sort(), ['one/a3/build', 'one/b3/build'], order.join(' '));
      }
    });
  }

  test('bench/schedule.js runs the generated Makefile with package jobs and prints makespans above the bound', async () => {
    // the bench stubs the runtime: a stub that no longer matches the Makefile's recipes fails here, not silently
    const r = await run(
      process.execPath,
      [join(PACKAGE_ROOT, 'dist/bench/schedule.js'), '--seconds=2', '--jobs=8', '--layers=stages/layers/host-llvm'],
      { cwd: PACKAGE_ROOT, env: makeEnv() },
    );
    assert.is(r.code, 0, r.out);
    const real =
      /^make +-j8 +bound ([\d.]+)s +by name ([\d.]+)s = ([\d.]+) \/ ([\d.]+) .* by chain ([\d.]+)s = ([\d.]+) \/ ([\d.]+) /m.exec(
        r.stdout,
      );
    assert.ok(real, r.stdout);
    const [lower, byName, , , byChain] = real.slice(1).map(Number);
    assert.ok(lower >= 2 - 1e-9, `bound ${lower}: the critical path sleeps 2 s`);
    for (const took of [byName, byChain]) assert.ok(took >= lower, `${took} s under the bound ${lower} s`);
    const sim = /simulated, no process costs: by name ([\d.]+)s = ([\d.]+) +by chain ([\d.]+)s = ([\d.]+)/.exec(
      r.stdout,
    );
    assert.ok(sim, r.stdout);
    for (const ratio of [Number(sim[2]), Number(sim[4])]) assert.ok(ratio >= 1 && ratio < 1.5, `ratio ${ratio}`);
  });
} else {
  test('make: critical path first (skipped)', () => {});
}

test.after(() => removeTempDirs());

test.run();
