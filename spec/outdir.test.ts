// The output directory is protected and its failures are errors, not crashes: `/`, a file, the recipe directory
// (or inside it) and a non-empty directory serpentc did not generate are refused (exit 2; --force only for the
// last); a directory that cannot be written is one io-error (exit 1) — as root (read-only mount, immutable
// directory, a directory where a file goes) and as the unprivileged `nobody`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { MANIFEST } from '../compiler/emit/index.js';
import { requires, skipped } from './helpers/env.js';
import { removeTree, serpentc, shippingTree, type Tree } from './helpers/sandbox.js';

const run = runCli;

const trees: Tree[] = [];
function tree(): Tree {
  const t = shippingTree();
  trees.push(t);
  return t;
}

/** The user's own Makefile, which serpentc must never overwrite unasked. */
const USERS = 'all:\n\t@echo my own build\n';

test('-o / is refused, with --check and --force too, and --check suggests nothing', async () => {
  const { stages } = tree();
  for (const extra of [[], ['--check'], ['--force'], ['--check', '--force']]) {
    for (const out of ['/', '//', '/tmp/..']) {
      const r = await run([stages, '-o', out, ...extra]);
      assert.is(r.code, 2, `-o ${out} ${extra.join(' ')}: ${r.err}`);
      assert.match(r.err, 'refusing to generate into');
      assert.match(r.err, 'the root directory');
      assert.not.match(r.err, 'run `serpentc');
    }
  }
});

test('-o naming an existing file is a usage error and the file is untouched', async () => {
  const { root, stages } = tree();
  const file = join(root, 'notes.txt');
  writeFileSync(file, 'mine\n');
  const r = await run([stages, '-o', file]);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, 'exists and is not a directory');
  assert.is(readFileSync(file, 'utf8'), 'mine\n');
});

test('-o equal to or inside the recipe directory is refused, also through a symbolic link', async () => {
  const { root, stages } = tree();
  symlinkSync(stages, join(root, 'alias'));
  const before = readdirSync(stages).sort();
  for (const out of [stages, join(stages, 'out'), join(stages, 'patches'), join(root, 'alias', 'out'), `${stages}/.`]) {
    for (const extra of [[], ['--force'], ['--check']]) {
      const r = await run([stages, '-o', out, ...extra]);
      assert.is(r.code, 2, `-o ${out}: ${r.err}`);
      assert.match(r.err, 'inside the recipe directory');
    }
  }
  assert.equal(readdirSync(stages).sort(), before, 'nothing written into the recipes');
  // beside the recipe directory is fine
  assert.is((await run([stages, '-o', join(root, 'out')])).code, 0);
});

test('-o naming a symbolic link to nothing is refused, saying where it leads, with --check and --force too', async () => {
  const { root, stages } = tree();
  const link = join(root, 'out-link');
  symlinkSync('not-yet', link);
  for (const extra of [[], ['--check'], ['--force']]) {
    const r = await run([stages, '-o', link, ...extra]);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, `\`${link}\` is a symbolic link to \`not-yet\`, which does not exist`);
    assert.not.match(r.err, 'run `serpentc');
  }
  // once the directory it leads to exists, the link is a fine output directory
  mkdirSync(join(root, 'not-yet'));
  assert.is((await run([stages, '-o', link])).code, 0);
  assert.ok(existsSync(join(root, 'not-yet', MANIFEST)));
});

test('-o inside a layer directory is refused as inside the base is, even with --force', async () => {
  const { root, stages } = tree();
  const layer = join(root, 'extra');
  mkdirSync(layer);
  writeFileSync(join(layer, 'layer.recipe'), 'layer extra {\n  description = "a layer outside the base"\n}\n');
  for (const out of [layer, join(layer, 'out')]) {
    for (const extra of [[], ['--force'], ['--check']]) {
      const r = await run([stages, layer, '-o', out, ...extra]);
      assert.is(r.code, 2, `-o ${out}: ${r.err}`);
      assert.match(r.err, `inside the recipe directory \`${layer}\``);
    }
  }
  assert.equal(readdirSync(layer), ['layer.recipe'], 'nothing written into the layer');
  assert.is((await run([stages, layer, '-o', join(root, 'out')])).code, 0);
});

test('a non-empty directory without a manifest is refused; --force generates into it, then it is ours', async () => {
  const { root, stages } = tree();
  const out = join(root, 'mine');
  mkdirSync(out);
  writeFileSync(join(out, 'Makefile'), USERS);
  for (const extra of [[], ['--check']]) {
    const r = await run([stages, '-o', out, ...extra]);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, 'it holds `Makefile`');
    assert.match(r.err, '--force');
  }
  assert.equal(readdirSync(out), ['Makefile'], 'nothing added');
  assert.is(readFileSync(join(out, 'Makefile'), 'utf8'), USERS, 'the user’s Makefile is untouched');

  // --check --force says what would change, and suggests the run with --force
  const drift = await run([stages, '-o', out, '--check', '--force']);
  assert.is(drift.code, 1);
  assert.match(drift.err, `run \`serpentc ${stages} -o ${out} --force\``);

  const forced = await run([stages, '-o', out, '--force']);
  assert.is(forced.code, 0, forced.err);
  assert.ok(existsSync(join(out, MANIFEST)));
  assert.is.not(readFileSync(join(out, 'Makefile'), 'utf8'), USERS);
  // from now on the directory is serpentc's: no --force needed
  const again = await run([stages, '-o', out]);
  assert.is(again.code, 0, again.err);
  assert.match(again.err, '0 written');
});

test('an empty existing directory and a missing one are generated into', async () => {
  const { root, stages } = tree();
  mkdirSync(join(root, 'empty'));
  for (const out of [join(root, 'empty'), join(root, 'new', 'deeper')]) {
    const r = await run([stages, '-o', out]);
    assert.is(r.code, 0, r.err);
    assert.ok(existsSync(join(out, 'lib', 'files', 'patches', 'fix.patch')));
  }
});

test('a failed first run leaves a directory the next run accepts without --force', async () => {
  const { root, stages } = tree();
  const out = join(root, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'lib'), 'a file where a directory goes\n');
  const r = await run([stages, '-o', out, '--force']);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /error\[io-error\]: cannot write `[^`]*\/lib`: E(NOTDIR|EXIST)/);
  assert.match(r.err, 'serpentc: 1 error\n');
  assert.ok(existsSync(join(out, MANIFEST)), 'a first run records its manifest before anything else');
  unlinkSync(join(out, 'lib'));
  const again = await run([stages, '-o', out]);
  assert.is(again.code, 0, again.err);
});

test('write failures as root are one io-error each, exit 1: a directory where a file goes, below a file', async () => {
  const { root, stages } = tree();
  const out = join(root, 'out');
  assert.is((await run([stages, '-o', out])).code, 0);
  // a directory where the Makefile goes; the recipe changed, so the Makefile is due
  unlinkSync(join(out, 'Makefile'));
  mkdirSync(join(out, 'Makefile'));
  const r = await run([stages, '-o', out]);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, `error[io-error]: cannot write \`${join(out, 'Makefile')}\`: EISDIR`);
  assert.is(r.err.match(/error\[/g)?.length, 1, r.err);
  rmSync(join(out, 'Makefile'), { recursive: true });

  writeFileSync(join(root, 'plain'), '');
  const below = await run([stages, '-o', join(root, 'plain', 'out')]);
  assert.is(below.code, 1, below.err);
  assert.match(below.err, 'ENOTDIR');
});

/** Runs `body` with `dir` read-only through a bind mount; false when this machine does not allow mounting. */
function withReadOnlyMount(dir: string, body: () => void): boolean {
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', dir], { stdio: 'ignore' });
    body();
  } finally {
    execFileSync('umount', [dir]);
  }
  return true;
}

/** Reason to skip a test this machine cannot run (a container without mount, a file system without chattr). */
function cannot(what: string, why: string): void {
  if (process.env.CI) throw new Error(`not allowed to skip in CI: ${what}: ${why}`);
  skipped.push(`${what}: ${why}`);
}

test('as root: a read-only output directory is one io-error (EROFS), exit 1, and nothing changes', () => {
  const what = 'read-only output directory';
  if (!requires(what, { root: true, tools: ['mount', 'umount'] })) return;
  const { root, stages } = tree();
  const out = join(root, 'out');
  assert.is(serpentc([stages, '-o', out]).status, 0);
  writeFileSync(join(stages, 'patches', 'fix.patch'), '--- a/y\n+++ b/y\n');
  const manifest = readFileSync(join(out, MANIFEST), 'utf8');
  const mounted = withReadOnlyMount(out, () => {
    const r = serpentc([stages, '-o', out]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /error\[io-error\]: cannot write `[^`]+`: EROFS: read-only file system/);
    assert.is(r.stderr.match(/error\[/g)?.length, 1, r.stderr);
    assert.not.match(r.stderr, '    at ');
  });
  if (!mounted) {
    cannot(what, 'mount --bind is not permitted here');
    return;
  }
  assert.is(readFileSync(join(out, MANIFEST), 'utf8'), manifest);
  assert.is(serpentc([stages, '-o', out]).status, 0, 'writable again, generation succeeds');
});

test('as root: an immutable output directory (chattr +i) is one io-error, exit 1', () => {
  const what = 'immutable output directory';
  if (!requires(what, { root: true, tools: ['chattr'] })) return;
  const { root, stages } = tree();
  const out = join(root, 'out');
  mkdirSync(out);
  if (spawnSync('chattr', ['+i', out]).status !== 0) {
    cannot(what, 'chattr +i is not supported here');
    return;
  }
  try {
    const r = serpentc([stages, '-o', out]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /error\[io-error\]: cannot write `[^`]+`: EPERM/);
    assert.is(r.stderr.match(/error\[/g)?.length, 1, r.stderr);
  } finally {
    execFileSync('chattr', ['-i', out]);
  }
});

test('as nobody: an unwritable output directory is one io-error, -o / a usage error, never exit 3', () => {
  if (!requires('output directory as nobody', { root: true, tools: ['setpriv'] })) return;
  const { root, stages } = tree();
  const out = join(root, 'root-owned');
  mkdirSync(out, { mode: 0o755 });
  for (const target of [out, join(out, 'sub', 'out')]) {
    const r = serpentc([stages, '-o', target], { nobody: true });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /error\[io-error\]: cannot write `[^`]+`: EACCES: permission denied/);
    assert.is(r.stderr.match(/error\[/g)?.length, 1, r.stderr);
    assert.not.match(r.stderr, '    at ');
  }
  assert.equal(readdirSync(out), []);
  const slash = serpentc([stages, '-o', '/'], { nobody: true });
  assert.is(slash.status, 2, slash.stderr);
  assert.match(slash.stderr, 'refusing to generate into `/`');
  // and a writable directory of its own works as nobody
  const mine = join(root, 'nobodys');
  mkdirSync(mine);
  chmodSync(mine, 0o777);
  const ok = serpentc([stages, '-o', join(mine, 'out')], { nobody: true });
  assert.is(ok.status, 0, ok.stderr);
});

test('as nobody: a patch it cannot read passes check but generation reports it (exit 1), writing nothing', () => {
  if (!requires('unreadable patch as nobody', { root: true, tools: ['setpriv'] })) return;
  const { root, stages } = tree();
  chmodSync(join(stages, 'patches', 'fix.patch'), 0o600);
  const mine = join(root, 'nobodys');
  mkdirSync(mine);
  chmodSync(mine, 0o777);
  const r = serpentc([stages, '-o', join(mine, 'out')], { nobody: true });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, `error[io-error]: cannot read \`${join(stages, 'patches', 'fix.patch')}\`: EACCES`);
  assert.not.ok(existsSync(join(mine, 'out')), 'nothing written');
});

test.after(() => {
  for (const t of trees) removeTree(t);
});

test.run();
