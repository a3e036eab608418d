// Runs the generated Makefile for real, as root: a host stage that installs a static busybox, a chroot stage
// that uses it read-only at /serpent, sources from a file:// mirror, an HTTP mirror, an HTTP upstream and git.
// The tests share one build directory and run in order (hence one file, over 400 lines): first build, no-op,
// dry run, edits, failure, resume…
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildGraph } from '../compiler/graph.js';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import {
  fakeSources,
  fixtureGraph,
  HOSTILE,
  makeSources,
  sha256File,
  stagesDir,
  stepIds,
} from './fixtures/make/fixture.js';
import type { Sources } from './fixtures/make/fixture.js';
import type { GraphDesc } from './fixtures/make/graph.js';
import {
  afterStampSecond,
  killGroup,
  killGroups,
  makeEnv,
  mountsBelow,
  ranSteps,
  removeTempDirs,
  run,
  serve,
  stamps,
  startGroup,
  tempDir,
  waitFor,
} from './fixtures/make/harness.js';
import type { Group, RunResult, Server } from './fixtures/make/harness.js';

const TOOLS = [
  'make',
  'bmake',
  'busybox',
  'dash',
  'unshare',
  'chroot',
  'mount',
  'git',
  'curl',
  'tar',
  'gzip',
  'xz',
  'bzip2',
  'patch',
  'sha256sum',
];
const enabled = requires('make: real builds', { root: true, tools: TOOLS });

/** What the tests share; test.before fills it in (the placeholders are never used). */
interface Ctx {
  root: string;
  src: Sources;
  server: Server;
  busybox: string;
  dash: string;
  out: string;
  build: string;
  sources: string;
  mirrors: string;
  graph: BuildGraph | null;
}

const ctx: Ctx = {
  root: '',
  src: fakeSources(),
  server: { port: 0, requests: [], close: async () => {} },
  busybox: '',
  dash: '',
  out: '',
  build: '',
  sources: '',
  mirrors: '',
  graph: null,
};

/** The graph of the first build (set by test.before). */
function firstGraph(): BuildGraph {
  if (!ctx.graph) throw new Error('test bug: no graph before test.before ran');
  return ctx.graph;
}

/** Where `id` ran in `position`, or -1 (which fails every "ran before" check). */
const ranAt = (position: ReadonlyMap<string, number>, id: string): number => position.get(id) ?? -1;

function graphWith(...edits: ((d: GraphDesc) => void)[]): BuildGraph {
  return fixtureGraph(ctx.src, {
    port: ctx.server.port,
    busybox: ctx.busybox,
    edit: (d) => edits.forEach((e) => e(d)),
  });
}

const editBody =
  (pkg: string, step: string, body: string) =>
  (d: GraphDesc): void => {
    const s = d.packages.find((p) => p.name === pkg)?.steps.find((x) => x.name === step);
    if (!s) throw new Error(`test bug: no step ${pkg}/${step}`);
    s.body = body;
  };

/** Runs make (or bmake) in the generated directory against the shared build and source directories. */
function make(
  args: string[],
  opts: { make?: string; build?: string; env?: Record<string, string>; out?: string } = {},
): Promise<RunResult> {
  return run(
    opts.make ?? 'make',
    [`BUILD_DIR=${opts.build ?? ctx.build}`, `SOURCES_DIR=${ctx.sources}`, `MIRRORS=${ctx.mirrors}`, ...args],
    {
      cwd: opts.out ?? ctx.out,
      env: makeEnv({ SERPENT_SH: ctx.dash, ...(opts.env ?? {}) }),
    },
  );
}

/** Processes whose root directory is `dir` (chrooted there). */
function chrootedIn(dir: string): string[] {
  const pids: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/root`) === dir) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Processes whose command line (arguments joined by NUL) is `cmdline`. */
function processesRunning(cmdline: string): string[] {
  const pids: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '') === cmdline) pids.push(pid);
    } catch {
      // gone
    }
  }
  return pids;
}

/** Names of the variables in an `env` dump (values may span lines). */
function envNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(l)?.[1])
    .filter((n): n is string => Boolean(n))
    .filter((n) => n !== 'second'); // the hostile value's second line does not start a variable
}

/** The edit of gamma's build step that the tests from "make -n after an edit" on build with. */
const gammaEdit = editBody('gamma', 'build', 'cp gamma.sh gamma\nchmod 755 gamma\necho edited > edited.txt');

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('make');
    ctx.src = makeSources(join(ctx.root, 'src'));
    ctx.server = await serve(ctx.src.httpRoot);
    ctx.busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim();
    ctx.dash = execFileSync('sh', ['-c', 'command -v dash']).toString().trim();
    ctx.out = join(ctx.root, 'out');
    ctx.build = join(ctx.root, 'build');
    ctx.sources = join(ctx.root, 'sources');
    ctx.mirrors = `file://${ctx.src.mirror} http://127.0.0.1:${ctx.server.port}/mirror`;
    ctx.graph = graphWith();
    await emit(ctx.graph, { outDir: ctx.out, stagesDir });
  });

  test.after(async () => {
    killGroups();
    // what a failed run of the background-process test left
    for (const pid of processesRunning('sleep\u00004242')) process.kill(Number(pid), 'SIGKILL');
    rmSync(join(ctx.build, 'target/work/hold'), { force: true });
    await ctx.server.close();
    for (const mp of mountsBelow(ctx.root).reverse()) execFileSync('umount', ['-l', mp]);
    await waitFor(() => mountsBelow(ctx.root).length === 0, 10_000).catch(() => {});
    removeTempDirs();
  });

  test('first build runs every step once, each after the steps it needs', async () => {
    const r = await make(['-j2']);
    assert.is(r.code, 0, r.out);
    const ran = ranSteps(r.stdout);
    assert.equal([...ran].sort(), [...stepIds(firstGraph())].sort());
    const position = new Map(ran.map((id, i) => [id, i]));
    for (const pkg of firstGraph().packages) {
      for (const step of pkg.steps) {
        const at = ranAt(position, `${pkg.id}/${step.name}`);
        // a bare stage name: every step of that stage ran before
        const before = step.needs.flatMap((n) => (n.includes('/') ? [n] : ran.filter((r) => r.startsWith(`${n}/`))));
        for (const need of before) assert.ok(ranAt(position, need) < at, `${need} before ${pkg.id}/${step.name}`);
      }
    }
    assert.is(stamps(ctx.build).size, ran.length);
    // what the steps built
    assert.is(
      readFileSync(join(ctx.build, 'host/root/usr/share/alpha'), 'utf8'),
      'alpha built, patched\nconf: colour = "blue"\nsecond patch\n',
    );
    assert.match(readFileSync(join(ctx.build, 'host/root/usr/share/beta'), 'utf8'), /^beta 2\.0\nalpha built/);
    assert.is(readFileSync(join(ctx.build, 'target/root/usr/share/delta'), 'utf8'), 'gamma 3.0\ndelta from upstream\n');
    assert.is(readFileSync(join(ctx.build, 'target/root/usr/share/wild'), 'utf8'), 'wild thing\n');
    assert.ok(existsSync(join(ctx.build, 'target/root/usr/bin/gamma')));
    // sources: from the file:// mirror, the HTTP mirror, the HTTP upstream and git; all verified, no partial file
    const cached: [string, keyof Sources['sums']][] = [
      ['alpha-1.0.tar.gz', 'alpha'],
      ['beta-2.0.tar.xz', 'beta'],
      ['gamma-3.0.tar.bz2', 'gamma'],
      ['delta-1.0.tar.gz', 'delta'],
      [ctx.src.wildFile, 'wild'],
    ];
    for (const [file, sum] of cached) {
      assert.is(sha256File(join(ctx.sources, file)), ctx.src.sums[sum], file);
    }
    assert.equal(
      readdirSync(ctx.sources).filter((f) => f.includes('.partial') || f.includes('.git.')),
      [],
    );
    assert.ok(ctx.server.requests.includes('/mirror/gamma-3.0.tar.bz2'));
    assert.ok(ctx.server.requests.includes('/up/delta-1.0.tar.gz'));
    assert.not.ok(
      ctx.server.requests.some((p) => p.startsWith('/up/') && !p.includes('delta')),
      'upstream asked for a mirrored file',
    );
    // one log per step with start and end
    const log = readFileSync(join(ctx.build, 'logs/target/gamma/probe.log'), 'utf8');
    assert.match(log, /^serpent: \[\d+\/27\] target gamma probe \(chroot\)\n/);
    assert.match(log, /\nserpent: started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\n/);
    assert.match(log, /\nserpent: finished \d{4}-\d\d-\d\d .* after \d+s\n$/);
    assert.equal(mountsBelow(ctx.root), []);
  });

  test('chroot steps: /serpent is read-only, only declared variables, pseudo file systems, cwd in /build', () => {
    const work = join(ctx.build, 'target/work/gamma');
    assert.is(readFileSync(join(work, 'ro.txt'), 'utf8'), 'readonly\n');
    assert.not.ok(existsSync(join(ctx.build, 'host/root/probe')), 'a chroot step wrote into the read-only bind source');
    const names = envNames(readFileSync(join(work, 'env.txt'), 'utf8'));
    for (const n of ['PATH', 'GREETING', 'HOSTILE']) assert.ok(names.includes(n), `${n} missing`);
    const allowed = new Set(['PATH', 'LC_ALL', 'GREETING', 'HOSTILE', 'PWD', 'OLDPWD', 'SHLVL', 'MAKEFLAGS']);
    assert.equal(
      names.filter((n) => !allowed.has(n)),
      [],
      'host variables leaked into the chroot',
    );
    assert.match(readFileSync(join(work, 'env.txt'), 'utf8'), /^PATH=\/usr\/bin:\/serpent\/usr\/bin$/m);
    assert.match(readFileSync(join(work, 'env.txt'), 'utf8'), /^LC_ALL=C$/m);
    assert.is(readFileSync(join(work, 'flags.out'), 'utf8'), HOSTILE);
    assert.is(readFileSync(join(work, 'env.out'), 'utf8'), HOSTILE);
    assert.is(readFileSync(join(work, 'gamma.out'), 'utf8'), 'gamma 3.0\n');
    assert.is(readFileSync(join(work, 'pwd.out'), 'utf8'), '/build/gamma/src\n');
  });

  test('host steps: clean environment, stage PATH first, hostile strings stay literal', () => {
    const work = join(ctx.build, 'host/work/hostile');
    const env = readFileSync(join(work, 'env.txt'), 'utf8');
    const names = envNames(env);
    assert.match(env, /^LC_ALL=C$/m);
    const allowed = new Set([
      'HOME',
      'TERM',
      'LC_ALL',
      'PATH',
      'GREETING',
      'HOSTILE',
      'PWD',
      'OLDPWD',
      'SHLVL',
      'MAKEFLAGS',
      'TMPDIR',
      '_',
    ]);
    assert.equal(
      names.filter((n) => !allowed.has(n)),
      [],
    );
    assert.not.match(env, /SERPENT_/);
    // TMPDIR: the step's own directory under BUILD_DIR, removed when the step ended (nothing left in /tmp)
    const tmp = join(ctx.build, 'tmp/host/hostile/build');
    assert.ok(env.split('\n').includes(`TMPDIR=${tmp}`), `TMPDIR is not ${tmp}`);
    assert.not.ok(existsSync(tmp), `${tmp} outlived its step`);
    assert.ok(
      readFileSync(join(work, 'path.out'), 'utf8').startsWith(`${ctx.build}/host/root/usr/bin:/opt/with space/bin:`),
    );
    assert.is(readFileSync(join(work, 'flags.out'), 'utf8'), HOSTILE);
    assert.is(readFileSync(join(work, 'env.out'), 'utf8'), HOSTILE);
    assert.is(readFileSync(join(work, 'greeting.out'), 'utf8'), `hello from ${ctx.build}/host/root`);
    assert.is(readFileSync(join(work, 'jobs.out'), 'utf8'), '2\n', 'jobs follows make -j2');
    const pwned = execFileSync('find', [ctx.root, '-name', 'pwned*']).toString();
    assert.is(pwned, '', 'a hostile string was executed');
  });

  test('no-op rebuild runs nothing (GNU make and bmake)', async () => {
    const before = stamps(ctx.build);
    const r = await make([]);
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.out), []);
    const b = await make([], { make: 'bmake' });
    assert.is(b.code, 0, b.out);
    assert.equal(ranSteps(b.out), []);
    assert.equal(stamps(ctx.build), before);
  });

  test('make -n after an edit prints what would run and runs nothing', async () => {
    await afterStampSecond(ctx.build);
    await emit(graphWith(gammaEdit), { outDir: ctx.out, stagesDir });
    const before = stamps(ctx.build);
    const logBefore = readFileSync(join(ctx.build, 'logs/target/gamma/build.log'), 'utf8');
    for (const m of ['make', 'bmake']) {
      const r = await make(['-n'], { make: m });
      assert.is(r.code, 0, r.out);
      assert.match(r.out, /\] target gamma build \(chroot\): would run\n/);
      assert.equal(ranSteps(r.out), []);
    }
    assert.equal(stamps(ctx.build), before);
    assert.is(readFileSync(join(ctx.build, 'logs/target/gamma/build.log'), 'utf8'), logBefore);
    assert.not.ok(existsSync(join(ctx.build, 'target/work/gamma/src/edited.txt')));
  });

  test('editing one step reruns exactly its package from a fresh extract, and the packages that depend on it', async () => {
    const r = await make(['-j2']);
    assert.is(r.code, 0, r.out);
    // gamma's build changes its source tree, so gamma starts again from its extract; delta needs gamma's install
    // in its build, which must not rerun in the tree it already built: delta starts from its extract too
    assert.equal(ranSteps(r.out).sort(), [
      'target/delta/build',
      'target/delta/extract',
      'target/delta/install',
      'target/delta/patch',
      'target/gamma/build',
      'target/gamma/extract',
      'target/gamma/install',
      'target/gamma/patch',
      'target/gamma/probe',
    ]);
    assert.ok(existsSync(join(ctx.build, 'target/work/gamma/src/edited.txt')));
  });

  test('a failing step stops make with the end of its log; the next run resumes at that step', async () => {
    await afterStampSecond(ctx.build);
    await emit(graphWith(gammaEdit, editBody('delta', 'build', 'echo about to fail\nexit 3')), {
      outDir: ctx.out,
      stagesDir,
    });
    const r = await make(['-j2']);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /\[\d+\/27\] target delta build \(chroot\) FAILED \(exit 3\)/);
    assert.match(r.stderr, /---- last lines of .*\/logs\/target\/delta\/build\.log ----\n(.*\n)*about to fail\n/);
    assert.match(r.stderr, /---- full log: .*logs\/target\/delta\/build\.log ----/);
    assert.match(readFileSync(join(ctx.build, 'logs/target/delta/build.log'), 'utf8'), /serpent: failed \(exit 3\)/);
    assert.not.ok(existsSync(join(ctx.build, 'stamps/target/delta/build')), 'a failed step has no stamp');
    assert.ok(existsSync(join(ctx.build, 'stamps/target/delta/patch')));
    const status = await make(['status']);
    assert.match(status.stdout, /failed:\n {2}\[\d+\] target delta build \(chroot\): failed \(exit 3\) \d+s ago: /);
    assert.match(status.stdout, /^host {9}13\/13 steps done$/m);
    assert.match(readFileSync(join(ctx.build, 'target/work/.serpent/delta/unfinished'), 'utf8'), /^build \d+ /);
    // fixed: the failed step left its work tree unfinished, so the package is redone from a fresh extract (its
    // earlier steps first), then the failed step and the one after it run; nothing else
    await afterStampSecond(ctx.build);
    await emit(graphWith(gammaEdit), { outDir: ctx.out, stagesDir });
    const again = await make(['-j2']);
    assert.is(again.code, 0, again.out);
    assert.equal(ranSteps(again.out), [
      'target/delta/extract',
      'target/delta/patch',
      'target/delta/build',
      'target/delta/install',
    ]);
    assert.match(
      again.out,
      /serpent: target\/delta: its work tree was left unfinished by its build step \(killed, failed or out of space\): it is not trusted; redoing the package from a fresh work tree, every step/,
    );
    assert.not.ok(existsSync(join(ctx.build, 'target/work/.serpent/delta/unfinished')), 'the mark is cleared');
  });

  test('a wrong checksum fails with the URL, both hashes, and removes the download', async () => {
    const out = join(ctx.root, 'out-badsum');
    const bad = '0'.repeat(64);
    await emit(
      graphWith((d) => {
        const alpha = d.packages.find((p) => p.name === 'alpha');
        if (!alpha?.sources) throw new Error('test bug: alpha has no sources');
        alpha.sources[0] = { ...alpha.sources[0], sha256: bad };
      }),
      { outDir: out, stagesDir },
    );
    const sources = join(ctx.root, 'sources-badsum');
    const r = await run(
      'make',
      [
        `BUILD_DIR=${ctx.root}/build-badsum`,
        `SOURCES_DIR=${sources}`,
        `MIRRORS=file://${ctx.src.mirror}`,
        'host-alpha',
        'UPTO=extract',
      ],
      { cwd: out, env: makeEnv() },
    );
    assert.is.not(r.code, 0);
    const url = `file://${ctx.src.mirror}/alpha-1.0.tar.gz`;
    assert.ok(
      r.stderr.includes(
        `sha256 mismatch for ${url}\n  expected: ${bad}\n  actual:   ${ctx.src.sums.alpha}\n  removed the bad file`,
      ),
      r.stderr,
    );
    assert.equal(readdirSync(sources), []);
  });

  test('make source re-verifies the cache: a corrupted file is replaced; MIRROR_ONLY never goes upstream', async () => {
    writeFileSync(join(ctx.sources, 'alpha-1.0.tar.gz'), 'corrupted');
    const r = await make(['source']);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /sha256 mismatch for cached .*alpha-1\.0\.tar\.gz/);
    assert.is(sha256File(join(ctx.sources, 'alpha-1.0.tar.gz')), ctx.src.sums.alpha);
    const empty = join(ctx.root, 'sources-offline');
    const asked = ctx.server.requests.length;
    const offline = await run(
      'make',
      [`BUILD_DIR=${ctx.build}`, `SOURCES_DIR=${empty}`, 'MIRRORS=', 'MIRROR_ONLY=1', 'source'],
      { cwd: ctx.out, env: makeEnv() },
    );
    assert.is.not(offline.code, 0);
    assert.match(
      offline.stderr,
      /delta-1\.0\.tar\.gz is on no mirror and MIRROR_ONLY=1 forbids http:\/\/127\.0\.0\.1:\d+\/up\/delta-1\.0\.tar\.gz/,
    );
    assert.is(ctx.server.requests.length, asked, 'MIRROR_ONLY=1 contacted a server');
  });

  /** Starts `make target-slow-build` held inside its chroot step; resolves once the step is running. */
  async function startHeldChrootStep(env: Record<string, string>): Promise<Group> {
    const work = join(ctx.build, 'target/work');
    writeFileSync(join(work, 'hold'), '');
    rmSync(join(work, 'slow/started'), { force: true });
    rmSync(join(ctx.build, 'stamps/target/slow/build'), { force: true });
    const job = startGroup(
      'make',
      [`BUILD_DIR=${ctx.build}`, `SOURCES_DIR=${ctx.sources}`, 'target-slow', 'UPTO=build'],
      {
        cwd: ctx.out,
        env: makeEnv(env),
      },
    );
    await waitFor(() => existsSync(join(work, 'slow/started')));
    return job;
  }

  test('SIGKILL during a chroot step leaves no mount on the host; the next run completes', async () => {
    const root = join(ctx.build, 'target/root');
    const job = await startHeldChrootStep({});
    // the step really runs chrooted with its mounts, in a namespace the host does not see
    const inside = chrootedIn(root);
    assert.ok(inside.length > 0, 'no process chrooted in the stage root');
    const theirs = readFileSync(`/proc/${inside[0]}/mountinfo`, 'utf8');
    assert.match(theirs, / \/serpent ro,/);
    assert.equal(mountsBelow(ctx.build), []);
    killGroup(job.child);
    await job.done;
    await waitFor(() => chrootedIn(root).length === 0, 10_000);
    assert.equal(mountsBelow(ctx.build), []);
    const findmnt = await run('findmnt', ['-rn', '-o', 'TARGET']);
    assert.not.ok(findmnt.stdout.includes(ctx.build), findmnt.stdout);
    rmSync(join(ctx.build, 'target/work/hold'));
    const r = await make(['target-slow', 'UPTO=build']);
    assert.is(r.code, 0, r.out);
    // the killed step's work tree is not trusted: extract runs again first
    assert.equal(ranSteps(r.out), ['target/slow/extract', 'target/slow/build']);
    assert.ok(existsSync(join(ctx.build, 'target/work/slow/done')));
  });

  test('without unshare (trap fallback): clean refuses while killed mounts remain, the next run unmounts them', async () => {
    const job = await startHeldChrootStep({ SERPENT_NO_UNSHARE: '1' });
    assert.ok(
      mountsBelow(ctx.build).some((m) => m.endsWith('/target/root/serpent')),
      'fallback mounts are on the host',
    );
    killGroup(job.child);
    await job.done;
    // the step runs in a session of its own: its guard kills it (SIGKILL too) within a second, releasing its lock
    const lock = join(ctx.build, 'locks/target/slow/build');
    for (let i = 0; (await run('flock', ['-n', lock, 'true'])).code !== 0; i++) {
      if (i > 50) throw new Error('the killed step still holds its lock');
      await new Promise((r) => setTimeout(r, 100));
    }
    // SIGKILL cannot be trapped: the fallback leaves its mounts, and everything that deletes refuses
    assert.ok(mountsBelow(ctx.build).length > 0);
    const clean = await make(['clean-target']);
    assert.is.not(clean.code, 0);
    assert.match(clean.stderr, /refusing to delete: mounted below/);
    const distclean = await make(['distclean']);
    assert.is.not(distclean.code, 0);
    assert.ok(existsSync(join(ctx.build, 'host/root/usr/bin/busybox')), 'the bind source was touched');
    assert.ok(existsSync(join(ctx.build, 'target/root/usr/bin/gamma')));
    rmSync(join(ctx.build, 'target/work/hold'));
    const r = await make(['target-slow', 'UPTO=build'], { env: { SERPENT_NO_UNSHARE: '1' } });
    assert.is(r.code, 0, r.out);
    assert.equal(mountsBelow(ctx.build), []);
    assert.match(
      readFileSync(join(ctx.build, 'logs/target/slow/build.log'), 'utf8'),
      /unmounting stale .*\/target\/root\/serpent/,
    );
  });

  test('without unshare, an interrupt or a TERM of make unmounts the chroot step before make exits', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const job = await startHeldChrootStep({ SERPENT_NO_UNSHARE: '1' });
      assert.ok(mountsBelow(ctx.build).length > 0, 'fallback mounts are on the host');
      process.kill(-(job.child.pid as number), signal);
      const end = await job.done;
      assert.is.not(end.code, 0, end.out);
      // make has exited: the step's unmount trap ran before anything killed it
      assert.equal(mountsBelow(ctx.build), [], `${signal} left mounts: ${end.out}`);
      assert.equal(chrootedIn(join(ctx.build, 'target/root')), []);
    }
    rmSync(join(ctx.build, 'target/work/hold'));
  });

  test('clean during an active chroot step leaves the bind source intact', async () => {
    const job = await startHeldChrootStep({});
    const clean = await make(['clean-target']);
    assert.is(clean.code, 0, clean.out);
    assert.not.ok(existsSync(join(ctx.build, 'target/root/usr')));
    assert.ok(
      existsSync(join(ctx.build, 'host/root/usr/bin/busybox')),
      'clean went through /serpent into the host stage root',
    );
    assert.ok(existsSync(join(ctx.build, 'host/root/usr/share/alpha')));
    // clean deleted the hold file too: the step ends by itself (successfully or not, its tree is gone)
    await job.done;
    // a mount on the host below the build directory: clean refuses and does not cross into it
    const victim = join(ctx.root, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'keep');
    const at = join(ctx.build, 'target/root/mnt');
    mkdirSync(at, { recursive: true });
    execFileSync('mount', ['--bind', victim, at]);
    try {
      const refused = await make(['clean']);
      assert.is.not(refused.code, 0);
      assert.match(refused.stderr, new RegExp(`refusing to delete: mounted below ${ctx.build}:\\n${at}`));
    } finally {
      execFileSync('umount', [at]);
    }
    assert.ok(existsSync(join(victim, 'keep')));
  });

  test('bmake builds the whole plan too, and a second bmake runs nothing', async () => {
    const build = join(ctx.root, 'build-bmake');
    const r = await make(['-j2'], { make: 'bmake', build });
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.out).sort(), [...stepIds(graphWith())].sort());
    assert.is(readFileSync(join(build, 'target/root/usr/share/delta'), 'utf8'), 'gamma 3.0\ndelta from upstream\n');
    const again = await make([], { make: 'bmake', build });
    assert.is(again.code, 0, again.out);
    assert.equal(ranSteps(again.out), []);
    assert.is(readFileSync(join(build, 'host/work/hostile/jobs.out'), 'utf8'), '2\n', 'jobs follows bmake -j2');
  });

  test('busybox sh runs the runtime and the host steps', async () => {
    const bin = join(ctx.root, 'bin');
    mkdirSync(bin);
    symlinkSync(ctx.busybox, join(bin, 'sh'));
    const build = join(ctx.root, 'build-busybox');
    const r = await make(['-j2', 'target-gamma', `SERPENT_SH=${join(bin, 'sh')}`], { build });
    assert.is(r.code, 0, r.out);
    assert.ok(ranSteps(r.out).includes('target/gamma/probe'));
    assert.is(readFileSync(join(build, 'host/work/hostile/flags.out'), 'utf8'), HOSTILE);
    assert.is(readFileSync(join(build, 'target/work/gamma/ro.txt'), 'utf8'), 'readonly\n');
  });

  test('editing a patch re-extracts its package (its checksum is in the extract step)', async () => {
    const stages = join(ctx.root, 'stages-copy');
    execFileSync('cp', ['-a', stagesDir, stages]);
    writeFileSync(join(stages, 'host/alpha/alpha.conf'), 'colour = "green"\n');
    await afterStampSecond(ctx.build);
    await emit(graphWith(gammaEdit), { outDir: ctx.out, stagesDir: stages });
    const r = await make(['host']);
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.out).sort(), [
      'host/alpha/build',
      'host/alpha/extract',
      'host/alpha/install',
      'host/alpha/patch',
      'host/beta/build',
      'host/beta/extract',
      'host/beta/install',
      'host/beta/patch',
    ]);
    assert.match(readFileSync(join(ctx.build, 'host/root/usr/share/alpha'), 'utf8'), /green/);
  });

  test("a host step's TMPDIR starts empty and is removed when the step ends, failed or killed before", async () => {
    const tmp = join(ctx.build, 'tmp/host/hostile/build');
    const body = (end: string): string =>
      [
        '[ -d "${TMPDIR}" ] || exit 4',
        '[ -z "$(ls -A "${TMPDIR}")" ] || exit 5',
        'echo x > "${TMPDIR}/left"',
        end,
      ].join('\n');
    // a failed step: its TMPDIR goes too
    await emit(graphWith(gammaEdit, editBody('hostile', 'build', body('exit 3'))), { outDir: ctx.out, stagesDir });
    const failed = await make(['host-hostile']);
    assert.is.not(failed.code, 0);
    assert.match(failed.stderr, /host hostile build \(host\) FAILED \(exit 3\)/);
    assert.not.ok(existsSync(tmp), 'a failed step left its TMPDIR');
    assert.not.ok(existsSync(join(ctx.build, 'tmp')), 'a failed step left BUILD_DIR/tmp behind');
    // what a SIGKILL of the whole build would leave: the next run empties it before the step starts
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'left'), 'from a killed run\n');
    await emit(graphWith(gammaEdit, editBody('hostile', 'build', body('true'))), { outDir: ctx.out, stagesDir });
    const again = await make(['host-hostile']);
    assert.is(again.code, 0, again.out);
    assert.ok(ranSteps(again.out).includes('host/hostile/build'));
    assert.not.ok(existsSync(tmp), 'a step left its TMPDIR');
    // nor its empty parents: nothing of the build's temporary directories outlives the steps
    assert.not.ok(existsSync(join(ctx.build, 'tmp')), 'the steps left BUILD_DIR/tmp behind');
  });

  test('nothing of a host step outlives it: its background processes and its TMPDIR, however it ends', async () => {
    const tmp = join(ctx.build, 'tmp/host/hostile/build');
    const hold = join(ctx.root, 'hold-hostile');
    // a daemon left running holds the step's lock and log: the step's end kills it, whatever its exit status
    for (const end of ['true', 'exit 3']) {
      await emit(graphWith(gammaEdit, editBody('hostile', 'build', `sleep 4242 > /dev/null 2>&1 &\n${end}`)), {
        outDir: ctx.out,
        stagesDir,
      });
      const r = await make(['host-hostile']);
      assert.is(r.code === 0, end === 'true', r.out);
      assert.ok(ranSteps(r.out).includes('host/hostile/build'), r.out);
      await waitFor(() => processesRunning('sleep\u00004242').length === 0, 3000).catch(() => {});
      assert.equal(processesRunning('sleep\u00004242'), [], `${end}: the background process outlived its step`);
    }
    // stopped by a signal: the step's TMPDIR goes, and its empty parents with it
    const held = [`: > "\${TMPDIR}/started"`, `while [ -e '${hold}' ]; do`, '  sleep 0.1', 'done'].join('\n');
    await emit(graphWith(gammaEdit, editBody('hostile', 'build', held)), { outDir: ctx.out, stagesDir });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      writeFileSync(hold, '');
      const job = startGroup('make', [`BUILD_DIR=${ctx.build}`, `SOURCES_DIR=${ctx.sources}`, 'host-hostile'], {
        cwd: ctx.out,
        env: makeEnv({ SERPENT_SH: ctx.dash }),
      });
      await waitFor(() => existsSync(join(tmp, 'started')));
      process.kill(-(job.child.pid as number), signal);
      const end = await job.done;
      assert.is.not(end.code, 0, end.out);
      assert.not.ok(existsSync(join(ctx.build, 'tmp')), `${signal}: BUILD_DIR/tmp outlived the step`);
    }
    rmSync(hold);
  });

  test('distclean deletes the build directory and keeps the source cache', async () => {
    const r = await make(['distclean']);
    assert.is(r.code, 0, r.out);
    assert.not.ok(existsSync(ctx.build));
    assert.ok(existsSync(join(ctx.sources, 'alpha-1.0.tar.gz')));
  });
} else {
  test('make: real builds (skipped)', () => {});
}

test.run();
