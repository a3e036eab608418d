// The command line: exit codes, help, version, check, query, graph, host tools — run in-process and as a process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { diagnosticsDoc, fieldsDoc } from '../compiler/docs.js';
import { caseDir, caseOf, removeCaseDirs } from './helpers/cases.js';
import { CLI_BIN, LAUNCHER, REPO_ROOT } from './helpers/paths.js';

const dirOf = (area: string, name: string) => caseDir(caseOf(area, name));

const run = runCli;

test('--help and --version exit 0', async () => {
  const h = await run(['--help']);
  assert.is(h.code, 0);
  assert.match(h.out, 'serpentc check <stages-dir>');
  const v = await run(['--version']);
  assert.is(v.code, 0);
  assert.is(v.out, 'serpentc 9.9.9\n');
});

test('the launcher runs serpentc through npm-style links, with its arguments and exit status, minus NODE_EXTRA_CA_CERTS', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'serpentc-launcher-'));
  try {
    // as npm installs a package: node_modules/<name> (here a link to this checkout) and a relative link in .bin
    mkdirSync(join(tmp, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(REPO_ROOT, join(tmp, 'node_modules', 'serpentc'));
    symlinkSync('../serpentc/bin/serpentc', join(tmp, 'node_modules', '.bin', 'serpentc'));
    const dir = join(tmp, 'recipes with spaces');
    cpSync(dirOf('constructs', 'minimal'), dir, { recursive: true });
    // Node warns at start about an extra-certificates file it cannot read: seen when Node gets the variable
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(tmp, 'missing.pem') };
    const launch = (argv: string[]) =>
      spawnSync(join(tmp, 'node_modules', '.bin', 'serpentc'), argv, { cwd: tmp, encoding: 'utf8', env });
    const ok = launch(['check', dir]);
    assert.is(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, `${dir}: ok`); // the summary goes to stderr
    assert.not.match(ok.stderr, 'extra certs');
    const usage = launch(['check', dir, '--bogus']);
    assert.is(usage.status, 2);
    assert.match(usage.stderr, "Try 'serpentc --help'");
    // run from its own directory: as ./serpentc, and by a shell given only its name (no `/` in $0)
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
      bin: { serpentc: string };
    };
    for (const [cmd, argv] of [
      ['./serpentc', ['--version']],
      ['sh', ['serpentc', '--version']],
    ] as const) {
      const r = spawnSync(cmd, argv, { cwd: join(REPO_ROOT, 'bin'), encoding: 'utf8', env });
      assert.equal([r.status, r.stdout, r.stderr], [0, `serpentc ${pkg.version}\n`, ''], cmd);
    }
    // the control: the same variable given to Node directly
    const direct = spawnSync(process.execPath, [CLI_BIN, '--version'], { encoding: 'utf8', env });
    assert.match(direct.stderr, 'extra certs');
    assert.is(LAUNCHER, join(REPO_ROOT, pkg.bin.serpentc));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('usage errors exit 2 with a hint', async () => {
  for (const argv of [
    [],
    ['--bogus'],
    ['check'],
    ['check', 'a', 'b'],
    ['some-dir'],
    ['query'],
    ['query', 'deps'],
    ['query', 'nope', 'x'],
    ['graph'],
    ['dir', 'extra', '-o', 'x'],
    ['check', 'dir', '-o', 'out'],
    ['check', 'dir', '--check'],
    ['graph', 'dir', '--force'],
    ['query', 'order', 'stage1', '-o', 'x'],
    ['dir', '-o', 'out', '--host-tools'],
    ['dir', '-o', 'out', '--dir', 'x'],
  ]) {
    const r = await run(argv);
    assert.is(r.code, 2, `argv ${JSON.stringify(argv)}`);
    assert.match(r.err, "Try 'serpentc --help'");
  }
});

test('an option a command would not read is refused, never silently ignored', async () => {
  const r = await run(['check', dirOf('constructs', 'minimal'), '-o', 'out']);
  assert.is(r.code, 2);
  assert.match(
    r.err,
    '`--out` is not an option of `check`, which writes nothing; it belongs to generation (`serpentc <stages-dir> -o <out-dir>`)',
  );
  const g = await run([dirOf('constructs', 'minimal'), '-o', 'out', '--transitive']);
  assert.match(g.err, '`--transitive` is not an option of generation');
  assert.match(g.err, 'it belongs to `query`');
  const q = await run(['query', 'order', 'stage1', '--transitive', '--dir', dirOf('constructs', 'minimal')]);
  assert.is(q.code, 2, q.err);
  assert.match(q.err, '`--transitive` is an option of `query deps` and `query rdeps`, not of `query order`');
});

test('did-you-mean for unknown options, misspelt commands, query kinds, packages and stages', async () => {
  const dir = dirOf('constructs', 'pass');
  const cases: Array<[string[], string]> = [
    [['--tagret', 'x', 'check', dir], 'unknown option `--tagret`; did you mean `--target`?'],
    [['check', dir, '--host-tool'], 'unknown option `--host-tool`; did you mean `--host-tools`?'],
    [['check', dir, '--frobnicate'], 'unknown option `--frobnicate`\n'],
    [['chek', dir], 'unknown command `chek`; did you mean `check`?'],
    [['gaph', 'x'], 'unknown command `gaph`; did you mean `graph`?'],
    [['query', 'dep', 'systemd', '--dir', dir], '`query` takes deps, rdeps or order; did you mean `deps`?'],
    [['query', 'deps', 'systemdd', '--dir', dir], 'no package `systemdd`; did you mean `systemd`?'],
    [
      ['query', 'order', 'stage22', '--dir', dir],
      'no stage `stage22` (stages: stage1, stage2); did you mean `stage2`?',
    ],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv);
    assert.is(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, message, argv.join(' '));
    // --help lists commands and options, not the recipes' packages and stages: only a usage error points at it
    const lookup = argv[0] === 'query' && argv[1] !== 'dep';
    assert.is(r.err.includes("Try 'serpentc --help'"), !lookup, argv.join(' '));
  }
  const none = await run(['query', 'deps', 'zzzzzz', '--dir', dir]);
  assert.is(none.code, 2);
  assert.is(none.err, "serpentc: no package `zzzzzz`; `serpentc query order STAGE` lists a stage's packages\n");
});

test('a recipe set of comments only: check reports it (exit 1) and generation does not crash', async () => {
  const dir = dirOf('diagnostics', 'no-default-target--nothing-declared');
  const c = await run(['check', dir]);
  assert.is(c.code, 1, c.err);
  assert.match(c.err, 'error[no-default-target]: no target is defined');
  assert.match(c.err, 'note: the recipe files declare nothing');
  const tmp = mkdtempSync(join(tmpdir(), 'serpentc-cli-'));
  try {
    const out = join(tmp, 'out');
    const g = spawnSync(process.execPath, [CLI_BIN, dir, '-o', out], { encoding: 'utf8' });
    assert.is(g.status, 1, g.stderr);
    assert.not.match(g.stderr, 'internal error');
    assert.not.ok(existsSync(out));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--check says the command that brings the output back, target kept and paths quoted, and that command does', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'serpentc-cli-'));
  try {
    const recipes = join(tmp, 'st ü');
    mkdirSync(recipes);
    copyFileSync(join(REPO_ROOT, 'spec', 'cases', 'base.recipe'), join(recipes, 'base.recipe'));
    const out = join(tmp, 'sp ace', 'x');
    assert.is((await run([recipes, '-o', out, '-t', 'x86_64'])).code, 0);
    const base = readFileSync(join(recipes, 'base.recipe'), 'utf8');
    writeFileSync(join(recipes, 'base.recipe'), base.replace('cflags = "-O2 -pipe"', 'cflags = "-O3"'));
    const drift = await run([recipes, '-o', out, '-t', 'x86_64', '--check']);
    assert.is(drift.code, 1);
    const said = /run `(.*)`\n$/.exec(drift.err)?.[1] ?? '';
    assert.ok(said.includes(' --target x86_64') && said.includes("'"), drift.err);
    // the suggestion, run by a shell, is what --check asked for
    const again = spawnSync('sh', ['-c', said.replace(/^serpentc /, `"${process.execPath}" "${CLI_BIN}" `)], {
      encoding: 'utf8',
    });
    assert.is(again.status, 0, again.stderr);
    assert.is((await run([recipes, '-o', out, '-t', 'x86_64', '--check'])).code, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a reader that closes the pipe early ends the output quietly, for every command that prints', async () => {
  const stages = join(REPO_ROOT, 'stages');
  for (const argv of [
    ['graph', stages],
    ['query', 'order', 'stage3', '--dir', stages],
    ['check', '--host-tools', stages],
    ['--help'],
  ]) {
    // like `serpentc … | head -c 1`: read one chunk, close the pipe, let serpentc go on writing into it
    const child = spawn(process.execPath, [CLI_BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    assert.is(status, 0, `${argv.join(' ')}: ${err}`);
    assert.not.match(err, 'EPIPE', argv.join(' '));
    assert.not.match(err, '    at ', argv.join(' '));
  }
});

test('a standard output that cannot be written (a full disk) is one io-error, exit 1', () => {
  if (!existsSync('/dev/full')) return;
  const fd = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [CLI_BIN, 'graph', join(REPO_ROOT, 'stages')], {
      encoding: 'utf8',
      stdio: ['ignore', fd, 'pipe'],
    });
    assert.is(r.status, 1, r.stderr);
    assert.is(r.stderr, 'serpentc: error[io-error]: cannot write `standard output`: ENOSPC: no space left on device\n');
  } finally {
    closeSync(fd);
  }
});

test('check: clean directory exits 0, broken one exits 1 with rendered diagnostics', async () => {
  const ok = await run(['check', dirOf('constructs', 'pass')]);
  assert.is(ok.code, 0, ok.err);
  assert.match(ok.err, 'ok — 2 stages, 4 packages');
  const bad = await run(['check', dirOf('diagnostics', 'dependency-cycle')]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /pkg\.recipe:\d+:\d+: error\[dependency-cycle\]: dependency cycle: /);
  assert.match(bad.err, 'serpentc: 1 error\n');
});

test('check --host-tools lists the commands host steps run', async () => {
  const r = await run(['check', '--host-tools', dirOf('constructs', 'package-full')]);
  assert.is(r.code, 0, r.err);
  const tools = r.out.trim().split('\n');
  assert.ok(tools.includes('find'), `find is run by a host step: ${tools.join(' ')}`);
  assert.not.ok(tools.includes('minigzip'), 'chroot-only commands are not host tools');
});

test('query deps, rdeps (direct and transitive) and order', async () => {
  const dir = dirOf('constructs', 'pass');
  const deps = await run(['query', 'deps', 'util-linux-2', '--dir', dir]);
  assert.is(deps.code, 0, deps.err);
  assert.is(deps.out, 'util-linux\nsystemd\n');
  const rdeps = await run(['query', 'rdeps', 'util-linux', '--dir', dir]);
  assert.is(rdeps.out, 'systemd\nutil-linux-2\n');
  const trans = await run(['query', 'deps', 'util-linux-2', '--transitive', '--dir', dir]);
  assert.is(trans.out, 'util-linux\nsystemd\n');
  const order = await run(['query', 'order', 'stage2', '--dir', dir]);
  assert.is(order.out, '1 util-linux\n2 systemd\n3 util-linux-2\n');
  const missing = await run(['query', 'order', 'stage7', '--dir', dir]);
  assert.is(missing.code, 2);
  const nopkg = await run(['query', 'deps', 'nothing', '--dir', dir]);
  assert.is(nopkg.code, 2);
});

test('a chain of 10,000 packages: the cycle check and query --transitive walk it without overflowing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-chain-'));
  try {
    copyFileSync(join(REPO_ROOT, 'spec/cases/base.recipe'), join(dir, 'base.recipe'));
    const n = 10_000;
    const chain = (closed: boolean) =>
      Array.from({ length: n }, (_, i) => {
        const dep = i > 0 ? `p${i - 1}` : closed ? `p${n - 1}` : null;
        return `package p${i} in stage1 {\n  version = "1"${dep ? `\n  depends = [${dep}]` : ''}\n}\n`;
      }).join('');
    writeFileSync(join(dir, 'chain.recipe'), chain(false));
    const deps = await run(['query', 'deps', `p${n - 1}`, '--transitive', '--dir', dir]);
    assert.is(deps.code, 0, deps.err);
    assert.is(deps.out.split('\n').filter(Boolean).length, n - 1);
    const rdeps = await run(['query', 'rdeps', 'p0', '--transitive', '--dir', dir]);
    assert.is(rdeps.out.split('\n').filter(Boolean).length, n - 1);
    writeFileSync(join(dir, 'chain.recipe'), chain(true));
    const cycle = await run(['check', dir]);
    assert.is(cycle.code, 1, cycle.err);
    assert.match(cycle.err, /error\[dependency-cycle\]: /);
    assert.not.match(cycle.err, /RangeError|internal error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('graph prints the build graph as JSON', async () => {
  const r = await run(['graph', dirOf('constructs', 'minimal')]);
  assert.is(r.code, 0, r.err);
  const g = JSON.parse(r.out) as { stages: Array<{ name: string }>; target: { name: string } };
  assert.equal(
    g.stages.map((s) => s.name),
    ['stage1', 'stage2'],
  );
  assert.is(g.target.name, 'x86_64');
});

test('--target selects another target; an unknown one is an error', async () => {
  const r = await run(['graph', '--target', 'aarch64', dirOf('constructs', 'targets')]);
  assert.is(r.code, 0, r.err);
  const g = JSON.parse(r.out) as { target: { triplet: string } };
  assert.is(g.target.triplet, 'aarch64-serpent-linux-musl');
  const bad = await run(['check', '--target', 'mips', dirOf('constructs', 'targets')]);
  assert.is(bad.code, 1);
  assert.match(bad.err, 'error[undefined-target]');
});

test('the installed binary: colour only on a TTY, NO_COLOR respected, no stack trace for user errors', () => {
  const r = spawnSync(process.execPath, [CLI_BIN, 'check', dirOf('diagnostics', 'unknown-field')], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.is(r.status, 1);
  assert.not.match(r.stderr, '\x1b[');
  assert.not.match(r.stderr, '    at ');
  assert.match(r.stderr, 'did you mean `depends`?');
  const missing = spawnSync(process.execPath, [CLI_BIN, 'check', '/nonexistent/dir'], { encoding: 'utf8' });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, 'error[io-error]');
  assert.not.match(missing.stderr, '    at ');
});

test('docs/fields.md and docs/diagnostics.md are generated from the schema and are current', () => {
  assert.fixture(readFileSync(join(REPO_ROOT, 'docs', 'fields.md'), 'utf8'), fieldsDoc());
  assert.fixture(readFileSync(join(REPO_ROOT, 'docs', 'diagnostics.md'), 'utf8'), diagnosticsDoc());
});

test.after(removeCaseDirs);

test.run();
