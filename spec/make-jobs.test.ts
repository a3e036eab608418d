// Parallel builds: `make -jN` runs packages at once, and an inner `make` in a step body joins the outer GNU
// make's jobserver, so the number of jobs running at once (measured with a lock-dir counter) stays ≤ N.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { buildGraph } from './fixtures/make/graph.js';
import { stagesDir } from './fixtures/make/fixture.js';
import { makeEnv, ranSteps, removeTempDirs, run, tempDir } from './fixtures/make/harness.js';
import type { RunResult } from './fixtures/make/harness.js';

const enabled = requires('make: jobserver', { tools: ['make', 'bmake'] });

// Each leaf job of an inner make counts itself in, holds for a moment, counts itself out; `max` keeps the peak.
const COUNTER = `d=$1
lock() {
  until mkdir "$d/lock" 2> /dev/null; do
    sleep 0.01
  done
}
unlock() {
  rmdir "$d/lock"
}
lock
n=$(($(cat "$d/n" 2> /dev/null || echo 0) + 1))
echo "$n" > "$d/n"
if [ "$n" -gt "$(cat "$d/max" 2> /dev/null || echo 0)" ]; then
  echo "$n" > "$d/max"
fi
unlock
sleep 0.25
lock
echo $(($(cat "$d/n") - 1)) > "$d/n"
unlock
`;

// The inner Makefile: four independent leaf jobs. Plain `make`, no -j: parallelism can only come from the jobserver.
const BODY = [
  "cat > count.sh << 'EOF'",
  COUNTER.trimEnd(),
  'EOF',
  "cat > inner.mk << 'EOF'",
  'all: t1 t2 t3 t4',
  't1 t2 t3 t4:',
  '\t@sh ./count.sh "$(CONC)"',
  'EOF',
  'mkdir -p "${workdir}/../conc"',
  'make -f inner.mk CONC="${workdir}/../conc"',
  'printf \'%s\\n\' "${jobs}" > "${workdir}/jobs.out"',
].join('\n');

const graph = buildGraph({
  stages: [{ name: 'one' }],
  packages: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name) => ({
    name,
    stage: 'one',
    steps: [{ name: 'extract' }, { name: 'build', body: BODY }],
  })),
  hostTools: ['cat', 'make', 'mkdir', 'printf', 'sh'],
});

const ctx: { out: string; root: string } = { out: '', root: '' };

/** Runs a fresh build of `targets` and returns the peak concurrency. */
async function peak(makeCmd: string, args: string[]): Promise<{ max: number; r: RunResult; build: string }> {
  const build = join(ctx.root, 'build');
  rmSync(build, { recursive: true, force: true });
  const r = await run(makeCmd, [`BUILD_DIR=${build}`, ...args], { cwd: ctx.out, env: makeEnv() });
  assert.is(r.code, 0, r.out);
  const max = Number(readFileSync(join(build, 'one/work/conc/max'), 'utf8'));
  assert.is(Number(readFileSync(join(build, 'one/work/conc/n'), 'utf8')), 0, 'a job did not count itself out');
  return { max, r, build };
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('jobs');
    ctx.out = join(ctx.root, 'out');
    await emit(graph, { outDir: ctx.out, stagesDir });
  });

  test.after(() => removeTempDirs());

  test('an inner make joins the jobserver: one package with -j4 runs its leaf jobs in parallel', async () => {
    const { max, r, build } = await peak('make', ['-j4', 'one-p1']);
    assert.equal(ranSteps(r.out), ['one/p1/extract', 'one/p1/build']);
    assert.ok(max >= 2, `peak ${max}: the inner make did not get the jobserver`);
    assert.ok(max <= 4, `peak ${max} > 4`);
    assert.is(readFileSync(join(build, 'one/work/p1/jobs.out'), 'utf8'), '4\n');
  });

  test('-j4 over six packages with nested makes never runs more than 4 jobs', async () => {
    const { max, r } = await peak('make', ['-j4', 'one']);
    assert.is(ranSteps(r.out).length, 12);
    assert.ok(max <= 4, `peak ${max} > 4`);
    assert.ok(max >= 3, `peak ${max}: packages did not run in parallel`);
  });

  test('-j2 caps at 2, JOBS overrides ${jobs}', async () => {
    const { max, build } = await peak('make', ['-j2', 'JOBS=7', 'one-p2', 'one-p3']);
    assert.ok(max <= 2, `peak ${max} > 2`);
    assert.is(readFileSync(join(build, 'one/work/p3/jobs.out'), 'utf8'), '7\n');
  });

  test('bmake -j4: its own job limit holds (an inner GNU make cannot join a bmake jobserver and runs serially)', async () => {
    const { max, r } = await peak('bmake', ['-j4', 'one']);
    assert.is(ranSteps(r.out).length, 12);
    assert.ok(max <= 4, `peak ${max} > 4`);
    assert.ok(existsSync(join(ctx.root, 'build/stamps/one/p6/build')));
  });
} else {
  test('make: jobserver (skipped)', () => {});
}

test.run();
