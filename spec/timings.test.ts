// The timing record, for real: make runs a generated tree of tiny host steps and every run is checked against
// BUILD_DIR/timings.log parsed strictly (spec/helpers/timings.ts): one start and one end per step that ran, no
// torn line under -j4, nothing appended by a no-op or dry run, rc of a failure, `stop` on INT/TERM, a start
// without end after SIGKILL that `make status` calls interrupted, the "last" estimate, and `make report`'s sums.
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { lastEvents, parseTimings } from './helpers/timings.js';
import type { TimingEvent } from './helpers/timings.js';
import { buildGraph } from './fixtures/make/graph.js';
import { stagesDir, stepIds } from './fixtures/make/fixture.js';
import {
  killGroup,
  killGroups,
  makeEnv,
  ranSteps,
  removeTempDirs,
  run,
  startGroup,
  tempDir,
  waitFor,
} from './fixtures/make/harness.js';
import type { Group } from './fixtures/make/harness.js';

const enabled = requires('make: timing record', { tools: ['make', 'bmake', 'dash', 'awk'] });

// `held` waits while BUILD_DIR/one/work/hold exists; `flaky` fails with 3 while BUILD_DIR/one/work/fail exists.
const graph = buildGraph({
  stages: [{ name: 'one' }, { name: 'two' }],
  packages: [
    ...['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name) => ({
      name,
      stage: 'one',
      steps: [{ name: 'extract' }, { name: 'build', body: 'echo built > out.txt' }, { name: 'install', body: 'true' }],
    })),
    {
      name: 'held',
      stage: 'one',
      steps: [
        { name: 'extract' },
        {
          name: 'build',
          body: ': > "${workdir}/started"\nwhile [ -e "${workdir}/../hold" ]; do\n  sleep 0.1\ndone',
        },
      ],
    },
    {
      name: 'flaky',
      stage: 'one',
      steps: [{ name: 'extract' }, { name: 'build', body: 'if [ -e "${workdir}/../fail" ]; then\n  exit 3\nfi' }],
    },
    { name: 'q', stage: 'two', steps: [{ name: 'extract' }, { name: 'build', body: 'echo q' }] },
  ],
  hostTools: ['sh'],
});

const ctx = { root: '', out: '', build: '', dash: '' };

const recordFile = (build = ctx.build): string => join(build, 'timings.log');
const record = (build = ctx.build): string =>
  existsSync(recordFile(build)) ? readFileSync(recordFile(build), 'utf8') : '';
const events = (build = ctx.build): TimingEvent[] => parseTimings(record(build));

function make(args: string[], opts: { build?: string; make?: string; env?: Record<string, string> } = {}) {
  return run(opts.make ?? 'make', [`BUILD_DIR=${opts.build ?? ctx.build}`, ...args], {
    cwd: ctx.out,
    env: makeEnv({ SERPENT_SH: ctx.dash, ...(opts.env ?? {}) }),
  });
}

/** Checks the events of one build: each step of `ids` has one start (with `jobs` unless null), then one end, rc 0. */
function assertOneRunEach(evs: readonly TimingEvent[], ids: readonly string[], jobs: number | null): void {
  assert.equal([...new Set(evs.map((e) => e.step))].sort(), [...ids].sort());
  for (const id of ids) {
    const mine = evs.filter((e) => e.step === id);
    assert.is(mine.length, 2, `${id}: ${JSON.stringify(mine)}`);
    const [start, end] = mine;
    if (start.kind !== 'start' || end.kind !== 'end') throw new Error(`${id}: not start then end`);
    assert.is(start.placement, 'host');
    if (jobs !== null) assert.is(start.jobs, jobs);
    assert.is(end.rc, 0);
    assert.is(end.seconds, end.epoch - start.epoch, `${id}: seconds = end - start`);
  }
}

/** Starts `make one-held-build` with the hold file in place; resolves once the step body runs. */
async function startHeld(): Promise<Group> {
  const work = join(ctx.build, 'one/work');
  writeFileSync(join(work, 'hold'), '');
  rmSync(join(work, 'held/started'), { force: true });
  rmSync(join(ctx.build, 'stamps/one/held/build'), { force: true });
  const job = startGroup('make', [`BUILD_DIR=${ctx.build}`, 'one-held', 'UPTO=build'], {
    cwd: ctx.out,
    env: makeEnv({ SERPENT_SH: ctx.dash }),
  });
  await waitFor(() => existsSync(join(work, 'held/started')));
  return job;
}

/** How `make report` prints a duration (seconds): 45s, 31m02s, 2h05m09s. */
function dur(t: number): string {
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${two(m)}m${two(s)}s` : m > 0 ? `${m}m${two(s)}s` : `${s}s`;
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('timings');
    ctx.out = join(ctx.root, 'out');
    ctx.build = join(ctx.root, 'build');
    ctx.dash = (await run('sh', ['-c', 'command -v dash'])).stdout.trim();
    await emit(graph, { outDir: ctx.out, stagesDir });
  });

  test.after(() => {
    killGroups();
    removeTempDirs();
  });

  test('make -j4: one start and one end (rc 0) per step, every line whole; BUILD_DIR/out names out/', async () => {
    const r = await make(['-j4']);
    assert.is(r.code, 0, r.out);
    const ids = stepIds(graph);
    assert.equal(ranSteps(r.stdout).sort(), [...ids].sort());
    assertOneRunEach(events(), ids, 4);
    // a step ends after the steps it needs ended
    const evs = events();
    const at = (kind: string, id: string): number => evs.findIndex((e) => e.kind === kind && e.step === id);
    for (const pkg of graph.packages) {
      for (const step of pkg.steps) {
        for (const need of step.needs.filter((n) => n.includes('/'))) {
          assert.ok(at('end', need) < at('start', `${pkg.id}/${step.name}`), `${need} before ${pkg.id}/${step.name}`);
        }
      }
    }
    assert.is(readFileSync(join(ctx.build, 'out'), 'utf8'), `${ctx.out}\n`);
  });

  test('a no-op make and make -n append nothing', async () => {
    const before = record();
    const r = await make(['-j4']);
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.out), []);
    // p1's build is out of date: its stamp is older than its stage's environment (an hour: a loaded machine may
    // take more than seconds from the generation to here), and its package's node is gone, so make asks
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(join(ctx.build, 'stamps/one/p1/build'), past, past);
    rmSync(join(ctx.build, 'stamps/one/p1/.checked'));
    for (const m of ['make', 'bmake']) {
      const dry = await make(['-n'], { make: m });
      assert.is(dry.code, 0, dry.out);
      assert.match(dry.out, /one p1 build \(host\): would run/);
    }
    assert.is(record(), before);
  });

  test('a step run before shows how long it took last time; its new run is recorded', async () => {
    const before = events().length;
    const r = await make(['one-p1']);
    assert.is(r.code, 0, r.out);
    assert.match(r.stdout, /^\[\s*\d+\/\d+\] one p1 build \(host\) — ETA \d+s \(as long as the last run\)$/m);
    assert.match(r.stdout, /^\[\s*\d+\/\d+\] one p1 install \(host\) — ETA \d+s \(as long as the last run\)$/m);
    assert.equal(ranSteps(r.stdout), ['one/p1/build', 'one/p1/install']);
    assertOneRunEach(events().slice(before), ['one/p1/build', 'one/p1/install'], null);
  });

  test('a failing step records its rc; status and report list it with its log', async () => {
    writeFileSync(join(ctx.build, 'one/work/fail'), '');
    rmSync(join(ctx.build, 'stamps/one/flaky/build'));
    const r = await make(['one-flaky']);
    assert.is.not(r.code, 0);
    const last = events().at(-1);
    assert.equal(last && { kind: last.kind, step: last.step }, { kind: 'end', step: 'one/flaky/build' });
    assert.is(last?.kind === 'end' && last.rc, 3);
    const status = await make(['status']);
    assert.match(
      status.stdout,
      new RegExp(
        `failed:\\n {2}\\[\\d+\\] one flaky build \\(host\\): failed \\(exit 3\\) \\d+s ago: ${ctx.build}/logs/one/flaky/build\\.log\n`,
      ),
    );
    const report = await make(['report']);
    assert.is(report.code, 0, report.out);
    assert.ok(
      report.stdout.includes(`\nfailed:\n  one/flaky/build: exit 3, log ${ctx.build}/logs/one/flaky/build.log\n`),
      report.stdout,
    );
    rmSync(join(ctx.build, 'one/work/fail'));
    const again = await make(['one-flaky']);
    assert.is(again.code, 0, again.out);
    assert.not.match((await make(['status'])).stdout, /failed/);
  });

  test('SIGKILL of a running step: a start without end, running while alive, interrupted after', async () => {
    const job = await startHeld();
    const open = lastEvents(events()).get('one/held/build');
    if (open?.kind !== 'start') throw new Error(`no open start: ${JSON.stringify(open)}`);
    const running = await make(['status']);
    assert.match(
      running.stdout,
      new RegExp(`running:\\n {2}\\[\\d+\\] one held build \\(host\\): running for \\d+s \\(pid ${open.pid}\\)\n`),
    );
    killGroup(job.child);
    await job.done;
    rmSync(join(ctx.build, 'one/work/hold'));
    assert.equal(lastEvents(events()).get('one/held/build'), open, 'nothing after the start');
    const status = await make(['status']);
    assert.match(
      status.stdout,
      /interrupted:\n {2}\[\d+\] one held build \(host\): interrupted \d+s ago \(killed: started, never ended\): .*\/logs\/one\/held\/build\.log\n/,
    );
    assert.not.match(status.stdout, /running:|log without stamp/);
    const report = await make(['report']);
    assert.match(
      report.stdout,
      /\ninterrupted:\n {2}one\/held\/build: killed \(started, never ended\), log .*\/build\.log\n/,
    );
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to the build records stop ${signal.slice(3)}; status says interrupted`, async () => {
      const job = await startHeld();
      if (job.child.pid) process.kill(-job.child.pid, signal);
      await job.done;
      rmSync(join(ctx.build, 'one/work/hold'));
      const last = lastEvents(events()).get('one/held/build');
      assert.equal(last && { kind: last.kind, signal: last.kind === 'stop' && last.signal }, {
        kind: 'stop',
        signal: signal.slice(3),
      });
      const status = await make(['status']);
      assert.match(
        status.stdout,
        new RegExp(`interrupted:\\n {2}\\[\\d+\\] one held build \\(host\\): interrupted \\d+s ago \\(${signal}\\)`),
      );
      const report = await make(['report']);
      assert.match(report.stdout, new RegExp(`\\ninterrupted:\\n {2}one/held/build: ${signal}, log `));
    });
  }

  test('make report: totals per stage and package, slowest steps, sum vs span, from the latest runs', async () => {
    const r = await make(['-j2']);
    assert.is(r.code, 0, r.out);
    const evs = events();
    const latest = new Map<string, { seconds: number; epoch: number }>();
    for (const e of evs) if (e.kind === 'end') latest.set(e.step, e);
    const report = await make(['report']);
    assert.is(report.code, 0, report.out);
    const out = report.stdout;
    assert.ok(out.startsWith(`timing record ${recordFile()}: ${evs.length} events\n`), out);
    const sum = [...latest.values()].reduce((a, e) => a + e.seconds, 0);
    const span =
      Math.max(...[...latest.values()].map((e) => e.epoch)) -
      Math.min(...[...latest.values()].map((e) => e.epoch - e.seconds));
    assert.ok(out.includes(`steps timed:        ${latest.size} (`), out);
    assert.ok(out.includes(`sum of step times:  ${dur(sum)} (${sum}s)\n`), out);
    assert.ok(out.includes(`wall-clock span:    ${dur(span)} (${span}s,`), out);
    for (const stage of ['one', 'two']) {
      const mine = [...latest].filter(([id]) => id.startsWith(`${stage}/`));
      const total = mine.reduce((a, [, e]) => a + e.seconds, 0);
      assert.match(out, new RegExp(`\\n {2}${stage} +${mine.length} steps {2}${dur(total)}\\n`));
    }
    for (const pkg of graph.packages) {
      const mine = [...latest].filter(([id]) => id.startsWith(`${pkg.id}/`));
      const total = mine.reduce((a, [, e]) => a + e.seconds, 0);
      assert.match(out, new RegExp(`\\n {2}${pkg.id} +${mine.length} steps {2}${dur(total)}\\n`));
    }
    assert.is((out.split('slowest steps:\n')[1] ?? '').split('\n').filter((l) => /^ +\d+[hms]/.test(l)).length, 10);
    assert.not.match(out, /failed:|interrupted:|running:/);
  });

  test('make report on a hand-written record: hours, ordering, efficiency, bad lines skipped', async () => {
    const build = join(ctx.root, 'build-report');
    mkdirSync(build);
    const lines = [
      '1000 start one/p1/build host 4 11',
      '1000 start one/p2/build host 4 12',
      '4600 end one/p1/build 0 3600', // 1h00m00s
      '2000 end one/p2/build 0 1000',
      '5000 start one/p1/build host 4 13',
      '5125 end one/p1/build 2 125', // latest run of p1/build: failed, 2m05s
      '5200 start two/q/build host 4 14',
      'torn line',
      '12400 end two/q/build 0 7200', // 2h00m00s
    ];
    writeFileSync(recordFile(build), `${lines.join('\n')}\n`);
    const r = await make(['report'], { build });
    assert.is(r.code, 0, r.out);
    const out = r.stdout;
    assert.ok(
      out.startsWith(`timing record ${recordFile(build)}: 9 events, 1 lines skipped (not in the format)\n`),
      out,
    );
    assert.ok(out.includes('sum of step times:  2h18m45s (8325s)\n'), out);
    assert.ok(out.includes('wall-clock span:    3h10m00s (11400s,'), out);
    assert.ok(
      out.includes('parallel efficiency: 0.73 steps at once on average (jobs 4: 18% of the slots busy)\n'),
      out,
    );
    assert.match(out, /\n {2}one +2 steps {2}18m45s\n {2}two +1 steps {2}2h00m00s\n/);
    assert.match(
      out,
      /\n {2}one\/p1 +1 steps {2}2m05s\n {2}one\/p2 +1 steps {2}16m40s\n {2}two\/q +1 steps {2}2h00m00s\n/,
    );
    assert.match(
      out,
      /slowest steps:\n +2h00m00s {2}two\/q\/build\n +16m40s {2}one\/p2\/build\n +2m05s {2}one\/p1\/build\n/,
    );
    assert.ok(out.includes(`\nfailed:\n  one/p1/build: exit 2, log ${build}/logs/one/p1/build.log\n`), out);
  });

  test('an unwritable record warns and never changes a step’s result', async () => {
    const build = join(ctx.root, 'build-unwritable');
    mkdirSync(join(build, 'timings.log'), { recursive: true }); // a directory: appending fails even as root
    const r = await make(['one-p3'], { build });
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.stdout), ['one/p3/extract', 'one/p3/build', 'one/p3/install']);
    assert.is(r.stderr.match(/serpent: warning: cannot append to .*timings\.log: this step is not timed/g)?.length, 3);
    assert.ok(existsSync(join(build, 'stamps/one/p3/install')));
    const status = await make(['status'], { build });
    assert.is(status.code, 0, status.out);
  });

  test('bmake -j4 over a fresh build directory: the same record', async () => {
    const build = join(ctx.root, 'build-bmake');
    const r = await make(['-j4'], { build, make: 'bmake' });
    assert.is(r.code, 0, r.out);
    assertOneRunEach(events(build), stepIds(graph), 4);
  });
} else {
  test('make: timing record (skipped)', () => {});
}

test.run();
