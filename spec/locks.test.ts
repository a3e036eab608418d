// Locks and signals, for real: make runs a generated tree of small host steps. Two makes on one BUILD_DIR run every
// step once (the second says who builds a step and waits); stale locks of each kind (flock file of a killed holder,
// fallback lock directories without pid, with a dead pid, with a live pid that is not the runtime) never block;
// SIGTERM to make alone stops the running step's whole tree, the log and record say so, and a new make runs it once.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { buildGraph } from './fixtures/make/graph.js';
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

const enabled = requires('make: locks and signals', { tools: ['make', 'bmake', 'dash', 'flock', 'setsid'] });

const MARKER = 'serpentc-locks-marker-5d2e';

// Every build step appends its id to BUILD_DIR/one/work/count; `held` loops while BUILD_DIR/one/work/hold exists.
const graph = buildGraph({
  stages: [{ name: 'one' }],
  packages: [
    ...['a', 'b', 'c', 'd'].map((name) => ({
      name,
      stage: 'one',
      steps: [{ name: 'extract' }, { name: 'build', body: `sleep 2\necho ${name} >> "\${workdir}/../count"` }],
    })),
    {
      name: 'held',
      stage: 'one',
      steps: [
        { name: 'extract' },
        {
          name: 'build',
          body: `echo held >> "\${workdir}/../count"\n: > "\${workdir}/started"\nsh -c 'while [ -e "$1" ]; do sleep 0.1; done' ${MARKER} "\${workdir}/../hold"`,
        },
      ],
    },
    {
      // fills its work tree with files named after its shell's pid, for a while
      name: 'writer',
      stage: 'one',
      steps: [
        { name: 'extract' },
        {
          name: 'build',
          body: ': > "${workdir}/started"\ni=0\nwhile [ "$i" -lt 3000 ]; do\n  : > "${workdir}/w$$-$i"\n  i=$((i + 1))\ndone',
        },
      ],
    },
  ],
  hostTools: ['sh'],
});

const ctx = { root: '', out: '', dash: '', n: 0 };

const freshBuild = (): string => {
  const build = join(ctx.root, `build${ctx.n++}`);
  mkdirSync(join(build, 'one/work'), { recursive: true });
  return build;
};
const counts = (build: string): string[] => {
  const f = join(build, 'one/work/count');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).sort() : [];
};
/** pids whose command line has the marker (the held step's inner loop). */
const markerPids = (): number[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(MARKER);
      } catch {
        return false;
      }
    })
    .map(Number);

/** A process's parent pid, or null once it is gone. */
function parentOf(pid: number): number | null {
  try {
    // /proc/PID/stat: `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after the last `)`
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/**
 * The running copies of the marker loop: its processes whose parent is not one of them. The loop's shell forks for
 * each `sleep`, and until that child execs it shows the same command line, the marker included.
 */
const markerCopies = (): number[] => {
  const pids = markerPids();
  // (a process gone since it was listed, such a child that exec'd `sleep` and ended, is no copy either)
  return pids.filter((pid) => {
    const parent = parentOf(pid);
    return parent !== null && !pids.includes(parent);
  });
};

function make(build: string, args: string[], opts: { make?: string; env?: Record<string, string> } = {}) {
  return run(opts.make ?? 'make', [`BUILD_DIR=${build}`, ...args], {
    cwd: ctx.out,
    env: makeEnv({ SERPENT_SH: ctx.dash, ...(opts.env ?? {}) }),
  });
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('locks');
    ctx.out = join(ctx.root, 'out');
    ctx.dash = (await run('sh', ['-c', 'command -v dash'])).stdout.trim();
    await emit(graph, { outDir: ctx.out, stagesDir });
  });

  test.after(() => {
    killGroups();
    for (const pid of markerPids()) process.kill(pid, 'SIGKILL');
    removeTempDirs();
  });

  for (const [first, second] of [
    ['make', 'make'],
    ['bmake', 'make'],
  ] as const) {
    test(`two makes (${first} -j2, ${second} -j2) on one BUILD_DIR: each step runs once, both exit 0, the waiting one says who holds the package`, async () => {
      const build = freshBuild();
      const targets = ['one-a', 'one-b', 'one-c', 'one-d'];
      const started = Date.now();
      const [r1, r2] = await Promise.all([
        make(build, ['-j2', ...targets], { make: first }),
        sleep(300).then(() => make(build, ['-j2', ...targets], { make: second })),
      ]);
      const took = Date.now() - started;
      assert.is(r1.code, 0, r1.out);
      assert.is(r2.code, 0, r2.out);
      assert.equal(counts(build), ['a', 'b', 'c', 'd']);
      const ran = [...ranSteps(r1.stdout), ...ranSteps(r2.stdout)].sort();
      assert.equal(ran, ['a', 'b', 'c', 'd'].flatMap((p) => [`one/${p}/build`, `one/${p}/extract`]).sort());
      const both = r1.out + r2.out;
      assert.match(
        both,
        /serpent: one\/\w+ is being built by pid \d+ \(since \d{4}-\d\d-\d\d [\d:]+ [+-]\d{4}\); waiting/,
      );
      assert.match(both, /serpent: one\/\w+ was built meanwhile by pid \d+: nothing to do/);
      // 4 sleeps of 2 s shared by two makes of 2 jobs each: no step ran twice (4 s with sharing, 8 s alone at most)
      assert.ok(took < 15_000, `took ${took} ms`);
    });
  }

  test('flock: a lock file left by a killed holder and a stale `running` line do not block', async () => {
    const build = freshBuild();
    const lock = join(build, 'locks/one/a/build');
    mkdirSync(join(build, 'locks/one/a'), { recursive: true });
    // a holder that takes the lock and is killed with it held
    const killed = await run('sh', [
      '-c',
      'exec 9>>"$1"; flock 9; echo "running $$ 2020-01-01 00:00:00 +0000" >&9; kill -9 $$',
      'x',
      lock,
    ]);
    assert.is(killed.signal, 'SIGKILL');
    const started = Date.now();
    const r = await make(build, ['one-a'], { env: {} });
    assert.is(r.code, 0, r.out);
    assert.ok(Date.now() - started < 10_000);
    assert.not.match(r.out, /waiting/);
    assert.equal(counts(build), ['a']);
    assert.match(readFileSync(lock, 'utf8'), /^done \d+ /);
  });

  test('fallback without flock: lock directories with no pid, a dead pid or a live non-runtime pid are removed', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const dead = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim());
      const build = freshBuild();
      const cases: Record<string, string | null> = { a: null, b: String(dead), c: String(sleeper.pid) };
      for (const [pkg, pid] of Object.entries(cases)) {
        const dir = join(build, `locks/one/${pkg}/build.d`);
        mkdirSync(dir, { recursive: true });
        if (pid !== null) writeFileSync(join(dir, 'pid'), `${pid}\n`);
      }
      const started = Date.now();
      const r = await make(build, ['-j3', 'one-a', 'one-b', 'one-c'], { env: { SERPENT_NO_FLOCK: '1' } });
      assert.is(r.code, 0, r.out);
      assert.ok(Date.now() - started < 20_000);
      assert.equal(counts(build), ['a', 'b', 'c']);
      assert.match(r.out, /removing the stale lock \S+\/locks\/one\/a\/build\.d \(no pid in it\)/);
      assert.match(
        r.out,
        new RegExp(`removing the stale lock \\S+/locks/one/b/build\\.d \\(pid ${dead} is not running`),
      );
      assert.match(
        r.out,
        new RegExp(`removing the stale lock \\S+/locks/one/c/build\\.d \\(pid ${sleeper.pid} is not running`),
      );
      for (const pkg of ['a', 'b', 'c']) assert.not.ok(existsSync(join(build, `locks/one/${pkg}/build.d`)), pkg);
      // and two makes without flock still run each step once
      const build2 = freshBuild();
      const env = { SERPENT_NO_FLOCK: '1' };
      const [r1, r2] = await Promise.all([
        make(build2, ['-j2', 'one-a', 'one-b'], { env }),
        sleep(300).then(() => make(build2, ['-j2', 'one-a', 'one-b'], { env })),
      ]);
      assert.is(r1.code, 0, r1.out);
      assert.is(r2.code, 0, r2.out);
      assert.equal(counts(build2), ['a', 'b']);
      assert.match(r1.out + r2.out, /is being built by pid \d+ \(since [^)]+\); waiting/);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test("a step killed with SIGKILL: the next make empties its work tree only when the step's processes are gone", async () => {
    const build = freshBuild();
    const work = join(build, 'one/work/writer');
    const first = make(build, ['one-writer']);
    await waitFor(() => existsSync(join(work, 'started')));
    // the step process alone (as the OOM killer would): its process group goes on until its guard sees it gone
    const step = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .find((n) => {
        try {
          const argv = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0');
          return argv.includes('step') && argv.includes('writer') && argv.includes('build');
        } catch {
          return false;
        }
      });
    assert.ok(step, 'the step process');
    process.kill(Number(step), 'SIGKILL');
    const killed = await first;
    assert.is.not(killed.code, 0, killed.out);
    const again = await make(build, ['one-writer']);
    assert.is(again.code, 0, again.out);
    assert.match(again.out, /its work tree was left unfinished by its build step/);
    // one run's files only: nothing of the killed run got into (or stopped the emptying of) the fresh tree
    const written = readdirSync(work).filter((n) => n.startsWith('w'));
    const runs = new Set(written.map((n) => n.slice(0, n.indexOf('-'))));
    assert.is(runs.size, 1, [...runs].join(' '));
    assert.is(written.length, 3000);
  });

  // bmake without -j (compat mode) does not pass TERM on: it waits for its job, then exits; with -j it does.
  for (const [tool, jobs] of [
    ['make', '-j1'],
    ['bmake', '-j2'],
  ]) {
    test(`${tool} ${jobs}: SIGTERM to make alone stops the step's whole tree; the log says terminated; a new make runs it once`, async () => {
      const build = freshBuild();
      const work = join(build, 'one/work');
      writeFileSync(join(work, 'hold'), '');
      const job = startGroup(tool, [jobs, `BUILD_DIR=${build}`, 'one-held', 'UPTO=build'], {
        cwd: ctx.out,
        env: makeEnv({ SERPENT_SH: ctx.dash }),
      });
      await waitFor(() => existsSync(join(work, 'held/started')) && markerPids().length > 0);
      if (job.child.pid) process.kill(job.child.pid, 'SIGTERM');
      const done = await job.done;
      assert.ok(done.code !== 0 || done.signal !== null, done.out);
      await waitFor(() => markerPids().length === 0, 5_000).catch(() => {});
      assert.equal(markerPids(), [], 'no process of the step is left');
      const how = ['terminated', 'TERM'];
      await waitFor(
        () => readFileSync(join(build, 'logs/one/held/build.log'), 'utf8').includes(`serpent: ${how[0]} `),
        5_000,
      );
      assert.match(
        readFileSync(join(build, 'logs/one/held/build.log'), 'utf8'),
        new RegExp(`\nserpent: ${how[0]} \\d{4}-`),
      );
      assert.match(readFileSync(join(build, 'timings.log'), 'utf8'), new RegExp(` stop one/held/build ${how[1]}\n`));
      assert.match(readFileSync(join(build, 'locks/one/held/build'), 'utf8'), /^stopped /);
      // again, to its end: one more run, alone
      rmSync(join(work, 'held/started'));
      const again = startGroup(tool, [jobs, `BUILD_DIR=${build}`, 'one-held', 'UPTO=build'], {
        cwd: ctx.out,
        env: makeEnv({ SERPENT_SH: ctx.dash }),
      });
      // (the step writes `started` just before it starts its loop)
      await waitFor(() => existsSync(join(work, 'held/started')) && markerPids().length > 0);
      await sleep(300);
      assert.is(markerCopies().length, 1, 'one copy of the step runs');
      rmSync(join(work, 'hold'));
      const r = await again.done;
      assert.is(r.code, 0, r.out);
      assert.not.match(r.out, /waiting/);
      assert.equal(counts(build), ['held', 'held']);
      assert.ok(existsSync(join(build, 'stamps/one/held/build')));
    });
  }
} else {
  test('make: locks and signals (skipped)', () => {});
}

test.run();
