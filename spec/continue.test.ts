// Continuation (templates/runtime/continue.sh): under `make -j2 <stage>` a package's job that is done goes on in
// its job slot with the package it made ready that comes first in chain order, where make's own walk would have
// started packages that were ready earlier. Steps still run once each, make's later job for the continued
// package finds it done, and the continuation stays out of package goals, `make -n`, held locks, packages
// that are not ready yet and failures (left to the package's own job).
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { buildGraph, type PackageDesc } from './fixtures/make/graph.js';
import { stagesDir } from './fixtures/make/fixture.js';
import {
  killGroups,
  makeEnv,
  ranSteps,
  removeTempDirs,
  run,
  sleep,
  startGroup,
  tempDir,
  waitFor,
} from './fixtures/make/harness.js';

const enabled = requires('make: continuation', { tools: ['make', 'bmake', 'flock'] });

const pkg = (name: string, body: string, extra: Partial<PackageDesc> = {}): PackageDesc => ({
  name,
  stage: 'one',
  steps: [{ name: 'build', body }],
  ...extra,
});

// Under -j2 make's walk starts `a` and `s` (what `join`, the heaviest chain, needs), then commits to f1 (ready)
// while both slots are busy; `long` (the next heaviest chain, ready once `a` is done after 2 s) would start only
// after f1. `join` also needs `s` (4 s): it is not ready when `a` is done.
const packages = (longBody: string): PackageDesc[] => [
  pkg('f1', 'sleep 1.2'),
  pkg('f2', 'sleep 1.2'),
  pkg('s', 'sleep 4'),
  pkg('a', 'sleep 2', { weight: 10 }),
  pkg('long', longBody, { depends: ['a'], weight: 50 }),
  pkg('tail', 'sleep 0.2', { depends: ['long'], weight: 5 }),
  pkg('join', 'sleep 0.2', { depends: ['a', 's'], weight: 100 }),
];

const ctx = { root: '', out: '', failing: '', slow: '' };

async function generate(name: string, longBody: string): Promise<string> {
  const out = join(ctx.root, name);
  const graph = buildGraph({ stages: [{ name: 'one' }], packages: packages(longBody), hostTools: ['sleep'] });
  await emit(graph, { outDir: out, stagesDir });
  return out;
}

let builds = 0;
/** make (or bmake) with `args` in `out` on a fresh build directory. */
async function build(out: string, args: string[], cmd = 'make') {
  const dir = join(ctx.root, `build-${++builds}`);
  const r = await run(cmd, [`BUILD_DIR=${dir}`, ...args], { cwd: out, env: makeEnv() });
  return { r, dir, ran: ranSteps(r.out) };
}

const before = (ran: readonly string[], x: string, y: string): boolean => {
  assert.ok(ran.includes(x) && ran.includes(y), `${x} and ${y} should both run: ${ran.join(' ')}`);
  return ran.indexOf(x) < ran.indexOf(y);
};

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('continue');
    ctx.out = await generate('out', 'sleep 0.5');
    ctx.failing = await generate('failing', 'sleep 0.5\nexit 3');
    ctx.slow = await generate('slow', 'sleep 30');
  });

  test.after(() => {
    killGroups();
    removeTempDirs();
  });

  test('make -j2 <stage>: the done job goes on with the chain, before what make had lined up', async () => {
    const { r, dir, ran } = await build(ctx.out, ['-j2', 'one']);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, 'serpent: one/a done; this job goes on with one/long, the next of its chain that is ready');
    assert.match(r.out, 'serpent: one/long done; this job goes on with one/tail');
    assert.ok(before(ran, 'one/long/build', 'one/f1/build'), ran.join(' '));
    // `join` weighs most but was not ready when `a` was done (`s` was still running): `s`'s job took it
    assert.not.match(r.out, 'one/a done; this job goes on with one/join');
    assert.match(r.out, 'serpent: one/s done; this job goes on with one/join');
    // every step once; make's own jobs for long, tail and join found them done
    assert.is(new Set(ran).size, ran.length, ran.join(' '));
    assert.is(ran.length, 7);
    for (const p of ['a', 'long', 'tail', 'join', 'f1', 'f2', 's'])
      assert.ok(existsSync(join(dir, `stamps/one/${p}/.checked`)), p);
    const again = await run('make', [`BUILD_DIR=${dir}`, '-j2', 'one'], { cwd: ctx.out, env: makeEnv() });
    assert.is(again.code, 0, again.out);
    assert.equal(ranSteps(again.out), []);
  });

  test('CONTINUE=0: make alone starts long after packages that were ready before it (what continuation fixes)', async () => {
    const { r, ran } = await build(ctx.out, ['-j2', 'one', 'CONTINUE=0']);
    assert.is(r.code, 0, r.out);
    assert.not.match(r.out, 'goes on with');
    assert.ok(before(ran, 'one/f1/build', 'one/long/build'), ran.join(' '));
  });

  test('a package goal, or make -n: no continuation', async () => {
    const one = await build(ctx.out, ['-j2', 'one-a']);
    assert.is(one.r.code, 0, one.r.out);
    assert.equal(one.ran, ['one/a/build']);
    assert.not.match(one.r.out, 'goes on with');
    const dry = await run('make', [`BUILD_DIR=${one.dir}`, '-n', '-j2', 'one'], { cwd: ctx.out, env: makeEnv() });
    assert.is(dry.code, 0, dry.out);
    assert.not.match(dry.out, 'goes on with');
    assert.match(dry.out, /one long build \(host\): would run/);
    assert.not.ok(existsSync(join(one.dir, 'stamps/one/long/build')), 'make -n ran a step');
  });

  test('bmake -j2 <stage> (goals from .TARGETS) continues too', async () => {
    const { r, ran } = await build(ctx.out, ['-j2', 'one'], 'bmake');
    assert.is(r.code, 0, r.out);
    assert.match(r.out, 'serpent: one/a done; this job goes on with one/long');
    assert.is(ran.length, 7);
    assert.is(new Set(ran).size, 7);
  });

  test('a package another runner holds is not taken', async () => {
    const dir = join(ctx.root, 'build-held');
    const lock = join(dir, 'locks/one/long/.package');
    // long's lock held for 3 s from the start: `a` is done after 2 s and must not wait for it or take it
    const holder = startGroup(
      'sh',
      ['-c', `mkdir -p "${join(dir, 'locks/one/long')}" && exec flock "${lock}" sleep 3`],
      {},
    );
    await waitFor(() => existsSync(lock));
    const r = await run('make', [`BUILD_DIR=${dir}`, '-j2', 'one'], { cwd: ctx.out, env: makeEnv() });
    await holder.done;
    assert.is(r.code, 0, r.out);
    assert.not.match(r.out, 'goes on with one/long');
    assert.is(ranSteps(r.out).length, 7);
  });

  test('a continued package that fails is redone and reported by its own job', async () => {
    const { r, dir, ran } = await build(ctx.failing, ['-j2', 'one']);
    assert.is(r.code, 2, r.out);
    assert.match(r.out, 'serpent: one/long failed in the job of one/a; make runs it again as its own job');
    assert.match(r.out, /Error 1/);
    assert.ok(existsSync(join(dir, 'stamps/one/a/.checked')), 'a is done');
    assert.not.ok(existsSync(join(dir, 'stamps/one/long/.checked')));
    assert.is(ran.filter((s) => s === 'one/long/build').length, 2, ran.join(' '));
    assert.not.ok(ran.includes('one/tail/build'));
  });

  test('SIGTERM while a continued package runs: nothing of the build is left running', async () => {
    const dir = join(ctx.root, 'build-term');
    const g = startGroup('make', [`BUILD_DIR=${dir}`, '-j2', 'one'], { cwd: ctx.slow, env: makeEnv() });
    await waitFor(() => g.output().includes('one long build (host)'));
    await sleep(300);
    process.kill(-(g.child.pid ?? 0), 'SIGTERM');
    await g.done;
    await sleep(1500); // the step guards' second
    const left = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(ctx.slow) ||
            readlinkSync(`/proc/${p}/cwd`).startsWith(dir)
          );
        } catch {
          return false; // gone meanwhile
        }
      });
    assert.equal(left, [], 'processes of the build still running');
    assert.ok(existsSync(join(dir, 'one/work/.serpent/long/unfinished')), 'long is marked unfinished');
    assert.ok(existsSync(join(dir, 'stamps/one/a/build')), 'a stays done');
  });
} else {
  test('make: continuation (skipped)', () => {});
}

test.run();
