// The command line: exit codes, help, version, check, query, graph, host tools — run in-process and as a process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cli } from '../compiler/cli.js';
import { fieldsDoc, diagnosticsDoc } from '../compiler/docs.js';

const cases = fileURLToPath(new URL('./cases/', import.meta.url));
const bin = fileURLToPath(new URL('../bin/serpentc.js', import.meta.url));

/** @param {string[]} argv */
async function run(argv) {
  let out = '';
  let err = '';
  const code = await cli(argv, { version: '9.9.9', stdout: (s) => (out += s), stderr: (s) => (err += s), color: false, parseArgs });
  return { code, out, err };
}

test('--help and --version exit 0', async () => {
  const h = await run(['--help']);
  assert.is(h.code, 0);
  assert.match(h.out, 'serpentc check <stages-dir>');
  const v = await run(['--version']);
  assert.is(v.code, 0);
  assert.is(v.out, 'serpentc 9.9.9\n');
});

test('usage errors exit 2 with a hint', async () => {
  for (const argv of [[], ['--bogus'], ['check'], ['check', 'a', 'b'], ['some-dir'], ['query'], ['query', 'deps'], ['query', 'nope', 'x'], ['graph'], ['dir', 'extra', '-o', 'x']]) {
    const r = await run(argv);
    assert.is(r.code, 2, `argv ${JSON.stringify(argv)}`);
    assert.match(r.err, "Try 'serpentc --help'");
  }
});

test('check: clean directory exits 0, broken one exits 1 with rendered diagnostics', async () => {
  const ok = await run(['check', `${cases}constructs/pass/input`]);
  assert.is(ok.code, 0, ok.err);
  assert.match(ok.err, 'ok — 2 stages, 4 packages');
  const bad = await run(['check', `${cases}diagnostics/dependency-cycle/input`]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /pkg\.recipe:\d+:\d+: error\[dependency-cycle\]: dependency cycle: /);
  assert.match(bad.err, 'serpentc: 1 error\n');
});

test('check --host-tools lists the commands host steps run', async () => {
  const r = await run(['check', '--host-tools', `${cases}constructs/package-full/input`]);
  assert.is(r.code, 0, r.err);
  const tools = r.out.trim().split('\n');
  assert.ok(tools.includes('find'), `find is run by a host step: ${tools}`);
  assert.not.ok(tools.includes('minigzip'), 'chroot-only commands are not host tools');
});

test('query deps, rdeps (direct and transitive) and order', async () => {
  const dir = `${cases}constructs/pass/input`;
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

test('graph prints the build graph as JSON', async () => {
  const r = await run(['graph', `${cases}constructs/minimal/input`]);
  assert.is(r.code, 0, r.err);
  const g = JSON.parse(r.out);
  assert.equal(g.stages.map((/** @type {any} */ s) => s.name), ['stage1', 'stage2']);
  assert.is(g.target.name, 'x86_64');
});

test('--target selects another target; an unknown one is an error', async () => {
  const r = await run(['graph', '--target', 'aarch64', `${cases}constructs/targets/input`]);
  assert.is(r.code, 0, r.err);
  assert.is(JSON.parse(r.out).target.triplet, 'aarch64-serpent-linux-musl');
  const bad = await run(['check', '--target', 'mips', `${cases}constructs/targets/input`]);
  assert.is(bad.code, 1);
  assert.match(bad.err, 'error[undefined-target]');
});

test('the installed binary: colour only on a TTY, NO_COLOR respected, no stack trace for user errors', () => {
  const r = spawnSync(process.execPath, [bin, 'check', `${cases}diagnostics/unknown-field/input`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 1);
  assert.not.match(r.stderr, '\x1b[');
  assert.not.match(r.stderr, '    at ');
  assert.match(r.stderr, 'did you mean `depends`?');
  const missing = spawnSync(process.execPath, [bin, 'check', '/nonexistent/dir'], { encoding: 'utf8' });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, 'error[io-error]');
  assert.not.match(missing.stderr, '    at ');
});

test('docs/fields.md and docs/diagnostics.md are generated from the schema and are current', () => {
  assert.fixture(readFileSync(new URL('../docs/fields.md', import.meta.url), 'utf8'), fieldsDoc());
  assert.fixture(readFileSync(new URL('../docs/diagnostics.md', import.meta.url), 'utf8'), diagnosticsDoc());
});

test.run();
