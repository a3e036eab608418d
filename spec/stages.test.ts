// The real stages/: clean check for every target, committed out/ current, the intended order, a dry run over all
// three stages, shellcheck, a truthful check-host, and the parts that run here without LLVM: stage3's root
// layout for real, and recipes whose real upstream tarball Debian carries unchanged, fetched and extracted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { compile } from '../compiler/index.js';
import { emit } from '../compiler/emit/index.js';
import { buildGraph } from './fixtures/make/graph.js';
import { requires } from './helpers/env.js';
import { CLI_BIN, REPO_ROOT } from './helpers/paths.js';

const stages = join(REPO_ROOT, 'stages');
const out = join(REPO_ROOT, 'out');

/** `make step STEP=<step>` in `tree`, sources from `mirror` alone (MIRROR_ONLY=1), build and sources below `work`. */
function extractFromMirror(tree: string, step: string, work: string, mirror: string): SpawnSyncReturns<string> {
  return spawnSync(
    'make',
    [
      '-C',
      tree,
      'step',
      `STEP=${step}`,
      `BUILD_DIR=${work}/b`,
      `SOURCES_DIR=${work}/s`,
      `MIRRORS=file://${mirror}`,
      'MIRROR_ONLY=1',
    ],
    { encoding: 'utf8' },
  );
}

const serpentc = (...args: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

test('serpentc check stages/ is clean for every target', async () => {
  for (const target of ['x86_64', 'aarch64']) {
    const res = await compile(stages, { target });
    assert.equal(
      res.diagnostics.map((d) => `${d.code}: ${d.message}`),
      [],
      target,
    );
    assert.ok(res.graph);
    assert.is(res.graph.stages.map((s) => s.name).join(' '), 'stage1 stage2 stage3');
  }
});

test('every source in stages/ has a real sha256: no placeholder (one digit repeated), git sources too', async () => {
  const res = await compile(stages, {});
  assert.ok(res.graph);
  const placeholders = res.graph.packages.flatMap((p) =>
    p.sources.filter((s) => /^(.)\1{63}$/.test(s.sha256)).map((s) => `${p.id}: ${s.url}`),
  );
  assert.equal(placeholders, []);
  assert.ok(
    res.graph.packages.some((p) => p.sources.some((s) => s.kind === 'git')),
    'the git sources are checked',
  );
});

test('out/ is what stages/ generates now', () => {
  const r = serpentc('stages', '-o', 'out', '--check');
  assert.is(r.status, 0, `drift:\n${r.stdout}${r.stderr}`);
});

test('query order stage3: root, headers and the intermediate musl first; passes after their packages; toolchain last', () => {
  const r = serpentc('query', 'order', 'stage3');
  assert.is(r.status, 0, r.stderr);
  const order = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[1]);
  assert.equal(order.slice(0, 3), ['root', 'headers', 'musl']);
  assert.is(order[order.length - 1], 'toolchain');
  for (const [pass, base, after] of [
    ['util-linux-2', 'util-linux', 'systemd'],
    ['systemd-2', 'systemd', 'util-linux-2'],
    ['dbus-broker-2', 'dbus-broker', 'systemd-2'],
  ]) {
    assert.ok(order.indexOf(pass) > order.indexOf(base), `${pass} after ${base}`);
    assert.ok(order.indexOf(pass) > order.indexOf(after), `${pass} after ${after}`);
  }
});

test('query rdeps libwildebeest lists exactly the packages that declare it', async () => {
  const res = await compile(stages);
  const declared = (res.graph?.packages ?? []).filter((p) => p.depends.includes('libwildebeest')).map((p) => p.name);
  const r = serpentc('query', 'rdeps', 'libwildebeest');
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n').filter(Boolean), declared);
});

test('make -n stage3 walks all three stages and runs nothing', () => {
  const build = mkdtempSync(join(tmpdir(), 'serpent-dry-'));
  try {
    const r = spawnSync('make', ['-C', out, '-n', 'stage3', `BUILD_DIR=${build}/b`, `SOURCES_DIR=${build}/s`], {
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    const steps = r.stdout.split('\n').filter((l) => l.includes('would run'));
    const total = Number(/\/\s*(\d+)\]/.exec(steps[0] ?? '')?.[1]);
    assert.is(steps.length, total, 'every step of the plan');
    for (const s of ['stage1', 'stage2', 'stage3'])
      assert.ok(
        steps.some((l) => l.includes(`] ${s} `)),
        s,
      );
    assert.not.ok(existsSync(join(build, 'b', 'stamps')), 'no stamp written');
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
});

test('every generated script passes shellcheck', () => {
  if (!requires('shellcheck of out/', { tools: ['shellcheck'] })) return;
  const scripts: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.sh')) scripts.push(p);
    }
  };
  walk(out);
  assert.ok(scripts.length > 90, `found ${scripts.length} scripts`);
  const r = spawnSync('shellcheck', ['-s', 'sh', ...scripts], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout.slice(0, 4000));
});

test('check-host reports truthfully what is present and what is missing', () => {
  // The tools the generated preflight checks, each named once.
  // `serpent_need_one curl wget` is one need, reported as `curl-or-wget`.
  const needed = [
    ...readFileSync(join(out, 'lib', 'host-tools.sh'), 'utf8').matchAll(/^serpent_need(_one)? (.+)$/gm),
  ].map((m) => m[2].replace(/'/g, '').split(' ').join('-or-'));
  assert.ok(needed.includes('tar') && needed.includes('cmake'), 'runtime and recipe tools are both checked');
  assert.is(new Set(needed).size, needed.length, 'no tool listed twice');
  const reported = (text: string): string[] =>
    (/missing host tools:(.*)/.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).sort();
  const present = (t: string, path: string): boolean =>
    t
      .split('-or-')
      .some((one) => spawnSync('sh', ['-c', `command -v "$1"`, 'sh', one], { env: { PATH: path } }).status === 0);

  // This machine's PATH: exactly the tools command -v cannot find are reported, and the exit status says so.
  const full = spawnSync('make', ['-C', out, 'check-host'], { encoding: 'utf8' });
  const absent = needed.filter((t) => !present(t, process.env.PATH ?? '')).sort();
  assert.equal(reported(full.stdout + full.stderr), absent);
  // a CPU without what -march needs fails it too (spec/host-cpu.test.ts checks that part)
  const cpuLacks = /this CPU lacks/.test(full.stdout + full.stderr);
  assert.is(full.status === 0, absent.length === 0 && !cpuLacks, full.stdout + full.stderr);

  // A PATH holding only make and sh: every other needed tool is reported missing, and the target fails.
  const dir = mkdtempSync(join(tmpdir(), 'serpent-path-'));
  try {
    for (const t of ['make', 'sh'])
      symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), join(dir, t));
    const bare = spawnSync(join(dir, 'make'), ['-C', out, 'check-host'], { encoding: 'utf8', env: { PATH: dir } });
    assert.is.not(bare.status, 0, 'missing tools fail the target');
    assert.equal(reported(bare.stdout + bare.stderr), needed.filter((t) => t !== 'make' && t !== 'sh').sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stage3's root package builds the /usr-merged layout with device nodes for real", () => {
  if (!requires('stage3 root layout', { root: true, tools: ['mknod'] })) return;
  const build = mkdtempSync(join(tmpdir(), 'serpent-root-'));
  try {
    const env = {
      ...process.env,
      SERPENT_BUILD_DIR: join(build, 'b'),
      SERPENT_SOURCES_DIR: join(build, 's'),
      SERPENT_MIRRORS: '',
      SERPENT_MIRROR_ONLY: '1',
      SERPENT_JOBS: '1',
      SERPENT_SH: '/bin/sh',
    };
    // The runtime's command for each step of the package, as its runner gives it (its gate on stage2 is what
    // this skips).
    const steps = readFileSync(join(out, 'lib/steps.txt'), 'utf8').trim().split('\n');
    const rules = steps
      .map((l) => l.split(' '))
      .filter(([, stage, pkg]) => stage === 'stage3' && pkg === 'root')
      .map(([i, stage, pkg, step, where]) => `step ${i} ${steps.length} ${stage} ${pkg} ${step} ${where}`);
    assert.ok(rules.length >= 2, 'root has extract and install steps');
    for (const rule of rules) {
      const r = spawnSync('/bin/sh', ['lib/serpent.sh', ...rule.split(' ')], { cwd: out, env, encoding: 'utf8' });
      assert.is(r.status, 0, `${rule}\n${r.stdout}${r.stderr}`);
    }
    const root = join(build, 'b', 'stage3', 'root');
    for (const [link, to] of [
      ['bin', 'usr/bin'],
      ['lib', 'usr/lib'],
      ['sbin', 'usr/sbin'],
      ['usr/bin/sh', '/serpent/usr/bin/dash'],
    ]) {
      assert.is(readlinkSync(join(root, link)), to, link);
    }
    assert.ok(lstatSync(join(root, 'dev/null')).isCharacterDevice(), '/dev/null is a character device');
    assert.is(lstatSync(join(root, 'tmp')).mode & 0o7777, 0o1777, '/tmp is sticky');
    assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    assert.ok(existsSync(join(root, 'usr/share/serpent/config.site')), 'config.site installed from files');
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
});

test("fetch-debian-sources.sh: byte-identical origs under the recipes' names, a substitute only under its own, system apt untouched", () => {
  if (!requires('real tarballs from Debian', { tools: ['apt-get', 'make', 'tar', 'xz'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'serpent-real-'));
  const aptSources = (): string =>
    ['/etc/apt/sources.list', '/etc/apt/sources.list.d']
      .flatMap((p) => (!existsSync(p) ? [] : statSync(p).isDirectory() ? readdirSync(p).map((f) => join(p, f)) : [p]))
      .map((p) => `${p}\n${readFileSync(p, 'utf8')}`)
      .join('\n');
  const before = aptSources();
  try {
    const mirror = join(work, 'mirror');
    // sed and m4: Debian's orig is upstream's tarball; zlib: Debian's is a repack, offered as a substitute only
    const files = ['sed-4.9.tar.xz', 'm4-1.4.19.tar.xz', 'zlib-1.3.2.tar.gz'];
    const f = spawnSync('sh', [join(stages, 'fetch-debian-sources.sh'), '-o', out, mirror, ...files], {
      encoding: 'utf8',
    });
    assert.is(f.status, 0, f.stderr);
    assert.is(aptSources(), before, "the system's apt sources are not edited");
    const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
    const sources = readFileSync(join(out, 'lib', 'sources.sh'), 'utf8');
    for (const file of ['sed-4.9.tar.xz', 'm4-1.4.19.tar.xz']) {
      const want = new RegExp(` '([0-9a-f]{64})' '${file.replace(/\./g, '\\.')}'$`, 'm').exec(sources)?.[1];
      assert.is(sha(join(mirror, file)), want, `${file} is the recipe's tarball`);
    }
    assert.not.ok(existsSync(join(mirror, 'zlib-1.3.2.tar.gz')), 'never a substitute under the recipe name');
    const subs = readFileSync(join(mirror, 'SUBSTITUTIONS'), 'utf8').trim().split('\n');
    assert.is(subs.length, 1, subs.join('\n'));
    const [name, , debFile, debSha] = subs[0].split('\t');
    assert.is(name, 'zlib-1.3.2.tar.gz');
    assert.is(sha(join(mirror, debFile)), debSha, 'the substitute is there, with the recorded sha256');
    // a later run for other files keeps that record
    const again = spawnSync('sh', [join(stages, 'fetch-debian-sources.sh'), '-o', out, mirror, 'sed-4.9.tar.xz'], {
      encoding: 'utf8',
    });
    assert.is(again.status, 0, again.stderr);
    assert.match(again.stderr, /have sed-4\.9\.tar\.xz/);
    assert.equal(readFileSync(join(mirror, 'SUBSTITUTIONS'), 'utf8').trim().split('\n'), subs);

    for (const name of ['sed', 'm4']) {
      const r = extractFromMirror(out, `stage3/${name}/extract`, work, mirror);
      assert.is(r.status, 0, r.stdout + r.stderr);
      assert.ok(existsSync(join(work, 'b', 'stage3', 'work', name, 'src', 'configure')), `${name} extracted`);
      assert.ok(existsSync(join(work, 'b', 'stamps', 'stage3', name, 'extract')), `${name} stamped`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('fetch-debian-sources.sh -o out/host-llvm: a layer substitute placed under its cache name, and extracted from the mirror alone', () => {
  if (!requires('real tarballs from Debian', { tools: ['apt-get', 'make', 'tar', 'gzip'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'serpent-real-'));
  const layered = join(out, 'host-llvm');
  try {
    const mirror = join(work, 'mirror');
    // the layer substitutes Debian's gnu-which 2.21 for which 2.23: its cache name is not Debian's file name
    const file = 'which-gnu-which_2.21+dfsg.orig.tar.gz';
    const f = spawnSync('sh', [join(stages, 'fetch-debian-sources.sh'), '-o', layered, mirror, file], {
      encoding: 'utf8',
    });
    assert.is(f.status, 0, f.stderr);
    const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    const sources = readFileSync(join(layered, 'lib', 'sources.sh'), 'utf8');
    const want = / '([0-9a-f]{64})' 'which-gnu-which_2\.21\+dfsg\.orig\.tar\.gz'/.exec(sources)?.[1];
    assert.ok(want, 'the layered tree lists the substitute under its cache name');
    assert.is(sha(join(mirror, file)), want, 'the mirror holds the substitute under the cache name');
    assert.not.ok(existsSync(join(mirror, 'which-2.23.tar.gz')), 'never under the recipe name');
    const r = extractFromMirror(layered, 'stage2/which/extract', work, mirror);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(work, 'b', 'stage2', 'work', 'which', 'src', 'which.c')), 'which extracted');
    assert.match(
      readFileSync(join(work, 'b', 'logs', 'stage2', 'which', 'extract.log'), 'utf8'),
      /substitutes https:\/\/ftp\.gnu\.org\/gnu\/which\/which-2\.23\.tar\.gz \(layer host-llvm:/,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('fetch-debian-sources.sh -g: a git source archived from a bundle as the runtime archives a clone, and extracted from the mirror alone', async () => {
  if (!requires('git sources from bundles', { tools: ['git', 'gzip', 'make', 'tar', 'sha256sum', 'apt-get'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'serpent-bundle-'));
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, {
        cwd: join(work, 'repo'),
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z' },
      }).trim();
    mkdirSync(join(work, 'repo'));
    git('init', '-q', '-b', 'main');
    writeFileSync(join(work, 'repo', 'hello.c'), 'int main(void) { return 0; }\n');
    git('add', 'hello.c');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'one');
    const commit = git('rev-parse', 'HEAD');
    // a later commit on main: the pinned one is not the bundle's head
    writeFileSync(join(work, 'repo', 'later.txt'), 'later\n');
    git('add', 'later.txt');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'two');
    mkdirSync(join(work, 'bundles'));
    git('bundle', 'create', '-q', join(work, 'bundles', 'tiny.bundle'), '--all');
    const filename = `tiny-${commit.slice(0, 12)}.tar.gz`;
    const tar = execFileSync('git', ['archive', '--format=tar', `--prefix=tiny-${commit.slice(0, 12)}/`, commit], {
      cwd: join(work, 'repo'),
    });
    const sha256 = createHash('sha256')
      .update(execFileSync('gzip', ['-n', '-9', '-c'], { input: tar })) // as the runtime compresses a .gz archive
      .digest('hex');
    const graph = buildGraph({
      stages: [{ name: 'one' }],
      packages: [
        {
          name: 'tiny',
          stage: 'one',
          sources: [{ kind: 'git', url: 'https://git.invalid/someone/tiny.git', commit, sha256, filename, strip: 1 }],
          steps: [{ name: 'extract' }],
        },
      ],
    });
    const tree = join(work, 'out');
    await emit(graph, { outDir: tree, stagesDir: join(work, 'repo') });
    const fetch = (...args: string[]): SpawnSyncReturns<string> =>
      spawnSync('sh', [join(stages, 'fetch-debian-sources.sh'), '-o', tree, ...args], { encoding: 'utf8' });
    const without = fetch(join(work, 'm0'));
    assert.is(without.status, 0, without.stderr);
    assert.match(without.stderr, `NOT placed ${filename}: a git source`);
    assert.not.ok(existsSync(join(work, 'm0', filename)));

    const mirror = join(work, 'mirror');
    const f = fetch('-g', join(work, 'bundles'), mirror);
    assert.is(f.status, 0, f.stderr);
    assert.match(f.stderr, `placed ${filename} (git archive of ${commit}`);
    assert.is(
      createHash('sha256')
        .update(readFileSync(join(mirror, filename)))
        .digest('hex'),
      sha256,
    );
    const r = extractFromMirror(tree, 'one/tiny/extract', work, mirror);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(work, 'b/one/work/tiny/src/hello.c')), 'the pinned commit is extracted');
    assert.not.ok(existsSync(join(work, 'b/one/work/tiny/src/later.txt')), 'not the bundle head');

    // a bundle whose pinned commit gives other bytes than the recipe pins is refused
    const other = buildGraph({
      stages: [{ name: 'one' }],
      packages: [
        {
          name: 'tiny',
          stage: 'one',
          sources: [
            {
              kind: 'git',
              url: 'https://git.invalid/someone/tiny.git',
              commit,
              sha256: '0'.repeat(64),
              filename,
              strip: 1,
            },
          ],
          steps: [{ name: 'extract' }],
        },
      ],
    });
    await emit(other, { outDir: tree, stagesDir: join(work, 'repo') });
    const bad = fetch('-g', join(work, 'bundles'), join(work, 'm2'));
    assert.is(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, `sha256 mismatch for ${join(work, 'bundles', 'tiny.bundle')} at ${commit}`);
    assert.match(bad.stderr, 'is not what the recipe pins');
    assert.not.ok(existsSync(join(work, 'm2', filename)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
