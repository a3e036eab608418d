// Bounded downloads and fixed step settings, run for real with make: an HTTP server on 127.0.0.1 whose first
// mirror accepts and never answers and whose second drips a byte every few seconds; `make source` must give
// up on both within the small timeouts set here and fetch from the third, with curl and with wget (each alone
// on PATH). Partial files of dead runs are removed; a wrong checksum leaves nothing in the cache. Steps run
// with umask 022 and LC_ALL=C whatever the caller's umask.
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { runtimeLibrary } from '../compiler/emit/runtime.js';
import { requires } from './helpers/env.js';
import { makeTarball, sha256File, stagesDir } from './fixtures/make/fixture.js';
import { buildGraph } from './fixtures/make/graph.js';
import type { PackageDesc } from './fixtures/make/graph.js';
import { killGroup, makeEnv, removeTempDirs, run, startGroup, tempDir, waitFor } from './fixtures/make/harness.js';

const enabled = requires('fetch: bounded downloads', {
  tools: ['make', 'curl', 'wget', 'timeout', 'tar', 'gzip', 'sha256sum'],
});

interface Ctx {
  root: string;
  good: string;
  sum: string;
  server: Server | null;
  port: number;
  sockets: Set<Socket>;
  timers: Set<NodeJS.Timeout>;
  requests: string[];
}
const ctx: Ctx = {
  root: '',
  good: '',
  sum: '',
  server: null,
  port: 0,
  sockets: new Set(),
  timers: new Set(),
  requests: [],
};

/** /hang/…: accepted, never answered; /drip/…: one byte every 3 s; /good/…: the file; anything else: 404. */
function startServer(): Promise<void> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    ctx.requests.push(url);
    if (url.startsWith('/hang/')) return;
    if (url.startsWith('/drip/')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
      const drip = (): void => {
        if (res.destroyed) return;
        res.write('x');
        const t = setTimeout(drip, 3000);
        ctx.timers.add(t);
      };
      drip();
      return;
    }
    if (url === '/good/pkg-1.0.tar.gz') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(readFileSync(ctx.good));
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  server.on('connection', (s: Socket) => {
    ctx.sockets.add(s);
    s.on('close', () => ctx.sockets.delete(s));
  });
  ctx.server = server;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      ctx.port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve();
    }),
  );
}

const base = (): string => `http://127.0.0.1:${ctx.port}`;

/**
 * The command lines of live processes that work for a build (from /proc): those running in its generated tree
 * (make's runners) or naming its sources directory (a download). Zombies have ended already.
 */
function buildProcesses(out: string, sources: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline.includes(sources) || readlinkSync(`/proc/${pid}/cwd`) === out) found.push(cmdline);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A one-package host stage; its install step writes a directory and files into the stage root. */
function writeTree(out: string, sha256: string): Promise<unknown> {
  const pkg: PackageDesc = {
    name: 'pkg',
    stage: 'host',
    sources: [{ kind: 'url', url: `${base()}/up/pkg-1.0.tar.gz`, sha256, filename: 'pkg-1.0.tar.gz', strip: 1 }],
    steps: [
      { name: 'extract' },
      {
        name: 'install',
        body: 'mkdir -p "$destdir/usr/share/x" && echo x > "$destdir/usr/share/x/f"\necho "$LC_ALL" > "$destdir/usr/share/x/locale"\nmkdir "$destdir/d" && : > "$destdir/d/e" && chmod 0640 "$destdir/d/e"',
      },
    ],
  };
  return emit(buildGraph({ stages: [{ name: 'host' }], packages: [pkg] }), { outDir: out, stagesDir });
}

/** A directory with a symlink to every command on PATH except `without`. */
function binWithout(without: string): string {
  const bin = tempDir(`bin-no-${without}`);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === without || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

const SMALL = ['FETCH_CONNECT_TIMEOUT=2', 'FETCH_STALL_TIMEOUT=2', 'FETCH_MAX_TIME=30'];

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('fetch');
    mkdirSync(join(ctx.root, 'src'));
    ctx.good = join(ctx.root, 'src', 'pkg-1.0.tar.gz');
    ctx.sum = makeTarball(ctx.good, 'pkg-1.0', { README: 'pkg\n' });
    await startServer();
    await writeTree(join(ctx.root, 'out'), ctx.sum);
  });

  test.after(async () => {
    for (const t of ctx.timers) clearTimeout(t);
    for (const s of ctx.sockets) s.destroy();
    await new Promise<void>((r) => (ctx.server ? ctx.server.close(() => r()) : r()));
    removeTempDirs();
  });

  for (const tool of ['curl', 'wget']) {
    const other = tool === 'curl' ? 'wget' : 'curl';
    test(`${tool} alone: a silent and a dripping mirror are abandoned in bounded time, the good one used; dead partials removed`, async () => {
      const sources = join(ctx.root, `sources-${tool}`);
      mkdirSync(sources);
      const dead = deadPid();
      const stale = join(sources, `pkg-1.0.tar.gz.partial.${dead}`);
      const staleGit = join(sources, `pkg-1.0.tar.gz.git.${dead}`);
      const live = join(sources, `other.tar.gz.partial.${process.pid}`);
      writeFileSync(stale, 'half');
      mkdirSync(staleGit);
      writeFileSync(live, 'in progress');
      // partials named by PID namespace and pid: ours judged by the pid, another namespace's by their age
      const ns = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
      const ourDead = join(sources, `pkg-1.0.tar.gz.partial.${ns}-${dead}.tar`);
      const ourLive = join(sources, `pkg-1.0.tar.gz.git.${ns}-${process.pid}`);
      const theirsFresh = join(sources, `pkg-1.0.tar.gz.partial.1-${dead}`);
      const theirsOld = join(sources, `pkg-1.0.tar.gz.git.1-${process.pid}`);
      writeFileSync(ourDead, 'half');
      mkdirSync(ourLive);
      writeFileSync(theirsFresh, 'in progress in a container');
      mkdirSync(theirsOld);
      const twoDaysAgo = Date.now() / 1000 - 2 * 86_400;
      utimesSync(theirsOld, twoDaysAgo, twoDaysAgo);
      const asked = ctx.requests.length;
      const mirrors = `${base()}/hang ${base()}/drip ${base()}/good`;
      const started = Date.now();
      const r = await run(
        'make',
        [`BUILD_DIR=${ctx.root}/build-${tool}`, `SOURCES_DIR=${sources}`, `MIRRORS=${mirrors}`, ...SMALL, 'source'],
        { cwd: join(ctx.root, 'out'), env: makeEnv({ PATH: binWithout(other) }), timeout: 60_000 },
      );
      const took = (Date.now() - started) / 1000;
      assert.is(r.code, 0, r.out);
      // two stalls of 2 s (3 s at most each with the drip's period), then the good mirror
      assert.ok(took >= 3.5 && took < 12, `took ${took}s`);
      assert.equal(ctx.requests.slice(asked), ['/hang/pkg-1.0.tar.gz', '/drip/pkg-1.0.tar.gz', '/good/pkg-1.0.tar.gz']);
      assert.is(sha256File(join(sources, 'pkg-1.0.tar.gz')), ctx.sum);
      assert.not.ok(existsSync(stale), 'the partial of a dead run is still there');
      assert.not.ok(existsSync(staleGit), 'the git directory of a dead run is still there');
      assert.ok(existsSync(live), 'the partial of a live process was removed');
      assert.match(r.out, new RegExp(`removing pkg-1\\.0\\.tar\\.gz\\.partial\\.${dead} \\(left by a dead run\\)`));
      assert.not.ok(existsSync(ourDead), 'the partial of a dead run of this namespace is still there');
      assert.not.ok(existsSync(theirsOld), 'an old partial of another namespace is still there');
      assert.match(
        r.out,
        `removing pkg-1.0.tar.gz.git.1-${process.pid} (left by a run in another PID namespace, untouched for 1440 minutes)`,
      );
      assert.equal(readdirSync(sources).sort(), [
        `other.tar.gz.partial.${process.pid}`,
        'pkg-1.0.tar.gz',
        `pkg-1.0.tar.gz.git.${ns}-${process.pid}`,
        `pkg-1.0.tar.gz.partial.1-${dead}`,
      ]);
      console.log(`  ${tool}: fetched past a silent and a dripping mirror in ${took.toFixed(1)}s`);
    });
  }

  test('the step scripts get the limits: extract fetches with them; a stalled upstream fails in bounded time', async () => {
    const sources = join(ctx.root, 'sources-step');
    const started = Date.now();
    const r = await run(
      'make',
      [
        `BUILD_DIR=${ctx.root}/build-step`,
        `SOURCES_DIR=${sources}`,
        `MIRRORS=${base()}/drip`,
        ...SMALL,
        'host-pkg',
        'UPTO=extract',
      ],
      { cwd: join(ctx.root, 'out'), env: makeEnv(), timeout: 60_000 },
    );
    const took = (Date.now() - started) / 1000;
    assert.is.not(r.code, 0);
    assert.ok(took < 12, `took ${took}s`);
    const log = readFileSync(join(ctx.root, 'build-step/logs/host/pkg/extract.log'), 'utf8');
    assert.match(log, /could not fetch http:\/\/127\.0\.0\.1:\d+\/drip\/pkg-1\.0\.tar\.gz/);
    assert.match(log, /could not fetch http:\/\/127\.0\.0\.1:\d+\/up\/pkg-1\.0\.tar\.gz/);
    assert.equal(readdirSync(sources), [], 'a failed download left a file in the cache');
  });

  test('TERM to make alone during `make source` stops the download too: no process and no partial file left', async () => {
    const sources = join(ctx.root, 'sources-term');
    mkdirSync(sources);
    const asked = ctx.requests.length;
    // a mirror that never answers, with limits far beyond the test: only the signal can end the fetch
    const g = startGroup(
      'make',
      [
        `BUILD_DIR=${ctx.root}/build-term`,
        `SOURCES_DIR=${sources}`,
        `MIRRORS=${base()}/hang`,
        'FETCH_CONNECT_TIMEOUT=300',
        'FETCH_STALL_TIMEOUT=300',
        'FETCH_MAX_TIME=600',
        'source',
      ],
      { cwd: join(ctx.root, 'out'), env: makeEnv(), timeout: 60_000 },
    );
    await waitFor(() => ctx.requests.slice(asked).includes('/hang/pkg-1.0.tar.gz'));
    const makePid = g.child.pid ?? 0;
    // make's own exit, not the end of its output, which a process left running would keep open
    const exited = new Promise<number | null>((resolve) => g.child.on('exit', (code) => resolve(code)));
    process.kill(makePid, 'SIGTERM'); // make's own pid, not its group: what a supervisor or `kill PID` does
    assert.is.not(await exited, 0);
    // what make started has gone with it (the runtime ends its download when its signal arrives)
    const out = join(ctx.root, 'out');
    await waitFor(() => buildProcesses(out, sources).length === 0, 10_000).catch(() => {
      const left = buildProcesses(out, sources);
      killGroup(g.child);
      throw new Error(`left running after make: ${left.join(', ')}`);
    });
    await g.done;
    assert.equal(readdirSync(sources), [], 'the interrupted download left a file');
  });

  test('a wrong checksum over HTTP leaves nothing in the cache', async () => {
    const out = join(ctx.root, 'out-bad');
    await writeTree(out, '0'.repeat(64));
    const sources = join(ctx.root, 'sources-bad');
    const r = await run(
      'make',
      [`BUILD_DIR=${ctx.root}/build-bad`, `SOURCES_DIR=${sources}`, `MIRRORS=${base()}/good`, ...SMALL, 'source'],
      { cwd: out, env: makeEnv(), timeout: 60_000 },
    );
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/good\/pkg-1\.0\.tar\.gz/);
    assert.equal(readdirSync(sources), []);
  });

  test('steps run with umask 022 and LC_ALL=C: the stage root is the same under umask 077, 000 and 022', async () => {
    /** type and permission bits of every entry of the stage root, the root included */
    const modes = (root: string): Record<string, string> => {
      const out: Record<string, string> = {};
      const walk = (rel: string): void => {
        const st = lstatSync(join(root, rel));
        out[rel || '.'] = st.mode.toString(8);
        if (st.isDirectory()) for (const n of readdirSync(join(root, rel)).sort()) walk(rel ? `${rel}/${n}` : n);
      };
      walk('');
      return out;
    };
    const built: Record<string, Record<string, string>> = {};
    for (const mask of ['077', '000', '022']) {
      const build = join(ctx.root, `build-umask-${mask}`);
      const r = await run(
        'sh',
        [
          '-c',
          `umask ${mask} && exec make "$@"`,
          'sh',
          `BUILD_DIR=${build}`,
          `SOURCES_DIR=${ctx.root}/sources-curl`,
          `MIRRORS=${base()}/good`,
          'host',
        ],
        { cwd: join(ctx.root, 'out'), env: makeEnv({ LC_ALL: 'en_US.UTF-8', LANG: 'en_US.UTF-8' }), timeout: 60_000 },
      );
      assert.is(r.code, 0, r.out);
      built[mask] = modes(join(build, 'host/root'));
      assert.is(readFileSync(join(build, 'host/root/usr/share/x/locale'), 'utf8'), 'C\n');
    }
    assert.equal(built['077'], built['022']);
    assert.equal(built['000'], built['022']);
    assert.is(built['022']['usr/share/x'], '40755');
    assert.is(built['022']['usr/share/x/f'], '100644');
    assert.is(built['022']['d/e'], '100640');
    assert.ok(statSync(join(ctx.root, 'build-umask-077/host/root')).isDirectory());
  });
}

const namespaces = requires('fetch: partial names per PID namespace', { root: true, tools: ['unshare', 'dash'] });
if (namespaces) {
  test('the same pid in two PID namespaces (containers sharing SOURCES_DIR) names two different partial files', () => {
    const lib = join(tempDir('partial-tag'), 'serpent-lib.sh');
    writeFileSync(lib, runtimeLibrary());
    const tag = (...pre: string[]): string => {
      const r = spawnSync(
        pre[0],
        [...pre.slice(1), 'dash', '-c', '. "$1"; serpent_partial_tag; echo "$serpent_ptag"', 'x', lib],
        {
          encoding: 'utf8',
        },
      );
      assert.is(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    // the first process of a new PID namespace is pid 1 in both; the two namespaces live at the same time, as
    // two containers do (a namespace that has ended may leave its inode number to the next one)
    const both = spawnSync(
      'sh',
      [
        '-c',
        'tag=\'. "$1"; serpent_partial_tag; echo "$serpent_ptag"\'; ' +
          'unshare --pid --fork dash -c "$tag; sleep 3" x "$1" & sleep 1; ' +
          'unshare --pid --fork dash -c "$tag" x "$1"; wait',
        'x',
        lib,
      ],
      { encoding: 'utf8' },
    );
    assert.is(both.status, 0, both.stderr);
    const [first, second] = both.stdout.trim().split('\n');
    assert.match(first, /^\d+-1$/);
    assert.match(second, /^\d+-1$/);
    assert.is.not(first, second);
    assert.match(tag('env'), /^\d+-\d+$/);
  });
  test.after(() => removeTempDirs());
} else {
  test('fetch: partial names per PID namespace (skipped)', () => {});
}

test.run();
