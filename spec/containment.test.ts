// What a recipe ships stays inside the recipe directory, and the directory walk ends: real symbolic links on
// disk. A patch or file that is a link leading outside is a path-escape naming the real path (and never copied
// into out/); a link back to a directory being read is one io-error, not an endless descent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from './helpers/env.js';
import { removeTree, serpentc, shippingTree, recipeTree, type Tree } from './helpers/sandbox.js';

const trees: Tree[] = [];
function keep(t: Tree): Tree {
  trees.push(t);
  return t;
}

test('a patch linked to a file outside the recipe directory: check refuses it, generation copies nothing', () => {
  const { root, stages } = keep(shippingTree());
  const secret = join(root, 'secret.txt');
  writeFileSync(secret, 'not for out/\n');
  renameSync(join(stages, 'patches', 'fix.patch'), join(stages, 'patches', 'old.patch'));
  symlinkSync(secret, join(stages, 'patches', 'fix.patch'));
  const c = serpentc(['check', stages]);
  assert.is(c.status, 1, c.stderr);
  assert.match(
    c.stderr,
    `${join(stages, 'ships.recipe')}:3:14: error[path-escape]: \`patches/fix.patch\` is a symbolic link to \`${secret}\`, outside the stages directory`,
  );
  assert.match(c.stderr, 'serpentc: 1 error\n');
  const out = join(root, 'out');
  const g = serpentc([stages, '-o', out]);
  assert.is(g.status, 1, g.stderr);
  assert.not.ok(existsSync(out), 'nothing generated, so nothing published');
});

test('a relative link climbing out, and a linked directory outside, are refused the same way', () => {
  const { root, stages } = keep(shippingTree());
  mkdirSync(join(root, 'elsewhere'));
  writeFileSync(join(root, 'elsewhere', 'config.site'), 'x\n');
  renameSync(join(stages, 'files'), join(stages, 'files.old'));
  symlinkSync('../elsewhere', join(stages, 'files')); // files/config.site is elsewhere/config.site
  const c = serpentc(['check', stages]);
  assert.is(c.status, 1, c.stderr);
  assert.match(
    c.stderr,
    `error[path-escape]: \`files/config.site\` is a symbolic link to \`${join(root, 'elsewhere', 'config.site')}\``,
  );
});

test('a link that stays inside the recipe directory is fine and ships the target’s content', () => {
  const { root, stages } = keep(shippingTree());
  writeFileSync(join(stages, 'patches', 'real.patch'), '--- a/real\n+++ b/real\n');
  renameSync(join(stages, 'patches', 'fix.patch'), join(stages, 'patches', 'old.patch'));
  symlinkSync('real.patch', join(stages, 'patches', 'fix.patch'));
  const out = join(root, 'out');
  const g = serpentc([stages, '-o', out]);
  assert.is(g.status, 0, g.stderr);
  assert.is(readFileSync(join(out, 'lib', 'files', 'patches', 'fix.patch'), 'utf8'), '--- a/real\n+++ b/real\n');
});

test('a recipe directory reached through a link of its own is not "outside"', () => {
  const { root, stages } = keep(shippingTree());
  symlinkSync(stages, join(root, 'via-link'));
  const c = serpentc(['check', join(root, 'via-link')]);
  assert.is(c.status, 0, c.stderr);
});

test('a symbolic link loop in the recipe directory is one io-error, quickly', () => {
  const t = keep(recipeTree({ 'stage1/a.recipe': 'package a in stage1 {\n  version = "1"\n}\n' }));
  symlinkSync('.', join(t.stages, 'loop'));
  symlinkSync('..', join(t.stages, 'stage1', 'up'));
  const started = Date.now();
  const c = serpentc(['check', t.stages]);
  assert.ok(Date.now() - started < 20000, 'ends without walking the loop');
  assert.is(c.status, 1, c.stderr);
  const errors = c.stderr.match(/error\[[^\]]+\][^\n]*/g) ?? [];
  assert.equal(errors, [
    `error[io-error]: \`${join(t.stages, 'loop')}\` leads to \`${t.stages}\` again through a symbolic link (a loop, or a second way in); a directory is read once`,
    `error[io-error]: \`${join(t.stages, 'stage1', 'up')}\` leads to \`${t.stages}\` again through a symbolic link (a loop, or a second way in); a directory is read once`,
  ]);
  assert.match(c.stderr, 'serpentc: 2 errors\n');
});

test('a second way into a directory is reported once and its recipes are read once (no duplicate definitions)', () => {
  const t = keep(recipeTree({ 'stage1/a.recipe': 'package a in stage1 {\n  version = "1"\n}\n' }));
  symlinkSync('stage1', join(t.stages, 'zz-again'));
  const c = serpentc(['check', t.stages]);
  assert.is(c.status, 1, c.stderr);
  assert.not.match(c.stderr, 'duplicate-definition');
  assert.match(c.stderr, `\`${join(t.stages, 'zz-again')}\` leads to \`${join(t.stages, 'stage1')}\` again`);
  assert.match(c.stderr, 'serpentc: 1 error\n');
});

test('as nobody: an unreadable subdirectory is one io-error; the rest of the recipes are still read', () => {
  if (!requires('unreadable recipe subdirectory as nobody', { root: true, tools: ['setpriv'] })) return;
  const t = keep(
    recipeTree({
      'private/p.recipe': 'package p in stage1 {\n  version = "1"\n}\n',
      'stage1/a.recipe': 'package a in stage1 {\n  version = "1"\n  depends = [nope]\n}\n',
    }),
  );
  chmodSync(join(t.stages, 'private'), 0o700);
  const c = serpentc(['check', t.stages], { nobody: true });
  assert.is(c.status, 1, c.stderr);
  const errors = c.stderr.match(/error\[[^\]]+\][^\n]*/g) ?? [];
  assert.equal(errors, [
    `error[io-error]: cannot read recipe directory \`${join(t.stages, 'private')}\`: EACCES: permission denied`,
    'error[undefined-package]: package `nope` is not defined in stage `stage1`',
  ]);
});

test.after(() => {
  for (const t of trees) removeTree(t);
});

test.run();
