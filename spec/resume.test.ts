// Exact resume after a fault, for real (as root): the resume fixture (host compile steps with an inner make,
// chroot steps) is killed with SIGKILL at seeded random moments inside a chosen step — the whole build at once (a
// pid namespace dies) or one random process of it — and each kill is followed by a plain make whose stage roots
// must equal those of an uninterrupted build file by file (type, mode, sha256, link target). Also: a tmpfs build
// directory that fills (the step fails saying "no space left on device", even one whose tool exits 0 after the
// failed write, and is not stamped), then grows and resumes identically; the free-space check before a step; and
// clean racing a bind mount (same file system) that appears and disappears below the build directory.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { stagesDir } from './fixtures/make/fixture.js';
import { makeEnv, mountsBelow, removeTempDirs, run, sleep, tempDir, waitFor } from './fixtures/make/harness.js';
import type { RunResult } from './fixtures/make/harness.js';
import { resumeGraph, treeListing } from './fixtures/make/resume.js';

const enabled = requires('resume after faults', {
  root: true,
  tools: ['make', 'cc', 'busybox', 'dash', 'unshare', 'chroot', 'mount', 'flock', 'setsid'],
});

/**
 * The steps a kill aims at, host compile steps and chroot steps, in turn; each round starts from a copy of the
 * reference build's directory taken before that stage (`cp -a`: stamps keep their mtimes) and makes that stage.
 */
const TARGETS = [
  { step: 'host/cprog/build', stage: 'host', from: 'before-cprog' },
  { step: 'target/data/build', stage: 'target', from: 'before-target' },
  { step: 'host/cprog/build', stage: 'host', from: 'before-cprog' },
  { step: 'target/data/install', stage: 'target', from: 'before-target' },
] as const;
const KILLS = Number(process.env.SERPENT_RESUME_KILLS ?? '22');
const SEED = Number(process.env.SERPENT_RESUME_SEED ?? String(Date.now() % 2 ** 31));

const ctx = { root: '', out: '', dash: '', n: 0, reference: [] as string[], took: new Map<string, number>() };

/** mulberry32: a small seeded generator, so that a failing sequence of kills can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const freshBuild = (): string => join(ctx.root, `build${ctx.n++}`);

function make(build: string, args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  return run('make', ['-j2', `BUILD_DIR=${build}`, 'MIN_FREE_MB=1', ...args], {
    cwd: ctx.out,
    env: makeEnv({ SERPENT_SH: ctx.dash, ...env }),
  });
}

/** Both stage roots, listed. */
const roots = (build: string): string[] =>
  ['host', 'target']
    .filter((stage) => existsSync(join(build, stage, 'root')))
    .flatMap((stage) => treeListing(join(build, stage, 'root')).map((l) => `${stage}/${l}`));

/** The first line that differs, for the message. */
function firstDifference(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `expected ${a[i] ?? '(nothing)'}, got ${b[i] ?? '(nothing)'}`;
  return 'none';
}

/** The pids below `pid` (children, grandchildren…), from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of parent.get(todo.pop() ?? 0) ?? []) {
      todo.push(c);
      out.push(c);
    }
  }
  return out.sort((x, y) => x - y);
}

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
};

const session = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return -1;
  }
};

/** make in a pid namespace of its own (its death kills every process of the build, as a power cut would). */
function startBuild(build: string, targets: string[] = []): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--kill-child', 'make', '-j2', `BUILD_DIR=${build}`, 'MIN_FREE_MB=1', ...targets],
    { cwd: ctx.out, env: makeEnv({ SERPENT_SH: ctx.dash }), stdio: 'ignore' },
  );
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done };
}

/** Resolves true once the record of `build` shows `start <step>` (polled), false if the build ended first. */
async function waitForStart(build: string, step: string, done: () => boolean): Promise<boolean> {
  const record = join(build, 'timings.log');
  for (;;) {
    if (existsSync(record) && readFileSync(record, 'utf8').includes(` start ${step} `)) return true;
    if (done()) return false;
    await sleep(10);
  }
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('resume');
    ctx.out = join(ctx.root, 'out');
    ctx.dash = execFileSync('sh', ['-c', 'command -v dash']).toString().trim();
    const busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim();
    await emit(resumeGraph(busybox), { outDir: ctx.out, stagesDir });
  });

  test.after(() => {
    for (const mp of mountsBelow(ctx.root).reverse()) execFileSync('umount', ['-l', mp]);
    removeTempDirs();
  });

  test('an uninterrupted build (the reference), timed per step', async () => {
    const build = freshBuild();
    const started = Date.now();
    const first = await make(build, ['host-busybox']);
    assert.is(first.code, 0, first.out);
    execFileSync('cp', ['-a', build, join(ctx.root, 'before-cprog')]);
    const job = startBuild(build);
    let ended = false;
    void job.done.then(() => (ended = true));
    // each target step's duration, in ms, as seen from here; the copy before the chroot stage
    for (const step of ['host/cprog/build', 'target/data/build', 'target/data/install']) {
      const seen = await waitForStart(build, step, () => ended);
      assert.ok(seen, `${step} never started`);
      const from = Date.now();
      const stamp = join(build, 'stamps', step);
      await waitFor(() => existsSync(stamp) || ended, 120_000);
      ctx.took.set(step, Date.now() - from);
    }
    assert.is(await job.done, 0);
    ctx.reference = roots(build);
    const beforeTarget = join(ctx.root, 'before-target');
    execFileSync('cp', ['-a', build, beforeTarget]);
    // (and the record: a round waits for the start of its step in it)
    for (const dir of ['target', 'stamps/target', 'logs/target', 'locks/target', 'timings.log'])
      execFileSync('rm', ['-rf', join(beforeTarget, dir)]);
    assert.ok(ctx.reference.some((l) => l.startsWith('host/usr/bin/prog file 0755 ')));
    assert.ok(ctx.reference.some((l) => l.startsWith('target/usr/share/data/all.txt file 0640 ')));
    assert.ok(ctx.reference.includes('target/usr/share/data/current link all.txt'));
    console.log(
      `resume: reference build ${Date.now() - started} ms; ${[...ctx.took].map(([s, ms]) => `${s} ${ms} ms`).join(', ')}`,
    );
    // a second uninterrupted build gives the same roots: the comparison below means something
    const again = freshBuild();
    const r = await make(again);
    assert.is(r.code, 0, r.out);
    assert.equal(roots(again), ctx.reference);
  });

  test(`SIGKILL at ${KILLS} seeded random moments in host compile and chroot steps; each resume equals the reference`, async () => {
    const random = rng(SEED);
    console.log(`resume: seed ${SEED} (SERPENT_RESUME_SEED=${SEED} replays these kills)`);
    const started = Date.now();
    let identical = 0;
    let redone = 0;
    let hit = 0;
    for (let k = 0; k < KILLS; k++) {
      const build = freshBuild();
      const { step, stage, from } = TARGETS[k % TARGETS.length];
      execFileSync('cp', ['-a', join(ctx.root, from), build]);
      const whole = random() < 0.5;
      const delay = Math.floor(random() * (ctx.took.get(step) ?? 500));
      const pick = random();
      const job = startBuild(build, [stage]);
      let ended = false;
      void job.done.then(() => (ended = true));
      assert.ok(await waitForStart(build, step, () => ended), `kill ${k}: ${step} never started`);
      await sleep(delay);
      let victim = 'the whole build';
      if (whole) {
        job.child.kill('SIGKILL');
      } else {
        // one process of the running step (its own session): a compiler, the inner make, a shell, awk, chroot…
        // (between two of its processes there may be none for a moment: looked for again, up to a second)
        const outer = session(job.child.pid ?? 0);
        let pids: number[] = [];
        for (let tries = 0; tries < 50 && pids.length === 0 && !ended; tries++) {
          pids = descendants(job.child.pid ?? 0).filter((p) => session(p) !== outer && comm(p) !== 'sleep');
          if (pids.length === 0) await sleep(20);
        }
        const pid = pids[Math.floor(pick * pids.length)];
        if (pid !== undefined) {
          victim = `pid ${pid} (${comm(pid)})`;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            victim += ', already gone';
          }
        } else victim = 'nothing (no process left)';
      }
      await job.done;
      job.child.kill('SIGKILL');
      await waitFor(() => mountsBelow(build).length === 0, 10_000);
      const unfinished = readdirSync(join(build), { recursive: true }).filter((f) => String(f).endsWith('/unfinished'));
      if (unfinished.length) hit++;
      console.log(
        `resume: kill ${k + 1}/${KILLS}: ${step} after ${delay} ms: SIGKILL to ${victim}; unfinished: ${unfinished.join(' ') || 'none'}`,
      );
      const r = await make(build, [stage]);
      assert.is(r.code, 0, `kill ${k + 1}: the resume failed\n${r.out}`);
      if (r.out.includes('left unfinished')) redone++;
      // the stage after host is not built in host rounds: compare what the reference has of the stages built
      const got = roots(build);
      const want = stage === 'host' ? ctx.reference.filter((l) => l.startsWith('host/')) : ctx.reference;
      assert.equal(got.length, want.length, `kill ${k + 1}: ${firstDifference(want, got)}`);
      assert.ok(
        got.every((l, i) => l === want[i]),
        `kill ${k + 1}: ${firstDifference(want, got)}`,
      );
      identical++;
      assert.equal(mountsBelow(build), []);
    }
    console.log(
      `resume: ${KILLS} kills (${hit} left a work tree unfinished), ${identical} resumes identical to the reference, ${redone} redid a package from a fresh work tree, ${Date.now() - started} ms`,
    );
    assert.ok(redone > 0, 'no kill left a work tree unfinished: the kills missed the steps');
  });

  test('a tmpfs build directory fills: the step fails saying so and is not stamped; grown, the build resumes identically', async () => {
    const build = freshBuild();
    mkdirSync(build);
    // the whole build needs about 9 MB (busybox, objects, parts, the 3 MB blob twice): 7 MB fills during data
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=7m', 'tmpfs', build]);
    try {
      const r = await make(build, [], { MIN_FREE_MB: '0' });
      assert.is.not(r.code, 0, r.out);
      assert.match(r.stderr, /no space left on device: \d+ KiB free on the file system of /);
      assert.match(r.stderr, /not stamped: free some space and run make again/);
      const failed = /\[\s*\d+\/\d+\] (\S+) (\S+) (\S+) \((?:host|chroot)\) FAILED/.exec(r.stderr);
      assert.ok(failed, r.stderr);
      const id = `${failed[1]}/${failed[2]}/${failed[3]}`;
      assert.not.ok(existsSync(join(build, 'stamps', id)), `${id} is stamped`);
      console.log(`resume: tmpfs of 7 MB filled in ${id}`);
      // the check before a step: with less free than MIN_FREE_MB, no step starts, and the message says why (the
      // package is redone from its first step: the failed one left its work tree unfinished)
      const refused = await make(build, ['MIN_FREE_MB=64']);
      assert.is.not(refused.code, 0, refused.out);
      assert.not.match(refused.out, /^\[/m, 'a step started');
      assert.match(
        refused.stderr,
        new RegExp(
          `serpent: error: ${failed[1]}/${failed[2]}/\\w+: only \\d+ MiB \\(\\d+ KiB\\) free on the file system of ${build}/\\w+; a step starts with at least MIN_FREE_MB=64 MiB free`,
        ),
      );
      execFileSync('mount', ['-o', 'remount,size=64m', build]);
      const again = await make(build);
      assert.is(again.code, 0, again.out);
      assert.match(again.out, /left unfinished by its \w+ step/);
      assert.equal(roots(build), ctx.reference);
      // and the resumed build is complete: one more make runs nothing
      const noop = await make(build);
      assert.is(noop.code, 0, noop.out);
      assert.not.match(noop.out, /^\[/m);
    } finally {
      execFileSync('umount', ['-l', build]);
    }
  });

  test('clean never deletes through a bind mount of the same file system that comes and goes while it runs', async () => {
    const victim = join(ctx.root, 'victim');
    mkdirSync(victim);
    for (let i = 0; i < 200; i++) writeFileSync(join(victim, `keep${i}`), 'keep');
    let cleaned = 0;
    let refused = 0;
    for (let k = 0; k < 12; k++) {
      const build = freshBuild();
      const at = join(build, 'target/root/mnt');
      mkdirSync(at, { recursive: true });
      for (let i = 0; i < 300; i++) writeFileSync(join(build, 'target/root', `f${i}`), 'x');
      // mounts and unmounts as fast as it can, so some clean starts before and ends after a mount appears; it
      // stops at the end of a round once `stop` exists (a kill could leave a mount(8) running that mounts after
      // the test has unmounted everything, and a mount below a temp dir keeps it from being removed)
      const stop = join(ctx.root, `stop-flapping-${k}`);
      const flapper = spawn(
        'sh',
        [
          '-c',
          'while [ ! -e "$3" ]; do mount --bind "$1" "$2" 2> /dev/null; umount "$2" 2> /dev/null; done',
          'x',
          victim,
          at,
          stop,
        ],
        { stdio: 'ignore' },
      );
      const gone = new Promise((resolve) => flapper.on('close', resolve));
      await sleep(50);
      const r = await make(build, ['clean']);
      if (r.code === 0) cleaned++;
      else {
        assert.match(r.stderr, /refusing to delete: mounted below/);
        refused++;
      }
      writeFileSync(stop, '');
      await gone;
      for (const mp of mountsBelow(build).reverse()) await run('umount', ['-l', mp]);
      assert.is(readdirSync(victim).length, 200, `clean ${k + 1} deleted through the mount`);
    }
    console.log(`resume: clean against a flapping bind mount: ${cleaned} cleaned, ${refused} refused, sentinel intact`);
    assert.ok(cleaned > 0, 'clean never ran past its check');
  });
} else {
  test('resume after faults (skipped)', () => {});
}

test.run();
