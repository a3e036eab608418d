// The run cache (compiler/emit/run-cache.ts) skips the compiler only when nothing a generation is made of
// changed: a second `serpentc DIR -o OUT` answers from its record, and a recipe edited (same size), added or
// removed, a patch edited, an out/ file edited, other arguments, or a warning to print again each compile for
// real, with the same out/ as a generation without any cache. Whether a run compiled is read from the run
// record: every compiling run writes it, a skipped run only reads it.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/paths.js';
import { tree } from './helpers/tree.js';

const root = join(tmpdir(), `serpentc-run-cache-${process.pid}`);
const cacheDir = join(root, 'cache');
let saved: string | undefined;

/** A fresh copy of the e2e recipes (patches and files included). */
function recipes(name: string): string {
  const dir = join(root, name);
  cpSync(join(REPO_ROOT, 'spec/e2e/stages'), dir, { recursive: true });
  return dir;
}

/** ctime of the run record (there is one out/ per test, so one run record), or null when there is none. */
function runRecordTime(): bigint | null {
  const names = readdirSync(cacheDir).filter((n) => n.startsWith('run-') && n.endsWith('.json'));
  return names.length === 1 ? statSync(join(cacheDir, names[0]), { bigint: true }).ctimeNs : null;
}

/** `serpentc args…`; whether it compiled (it wrote the run record, or had no record to write). */
async function run(args: readonly string[]): Promise<{ code: number; err: string; compiled: boolean }> {
  const before = runRecordTime();
  // the record's ctime has nanoseconds, but a coarse clock can repeat it: wait for the next tick
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < 20_000_000n);
  const r = await runCli(args);
  const after = runRecordTime();
  return { code: r.code, err: r.err, compiled: after === null || after !== before };
}

/** The same generation without any cache: what every cached run must have produced. */
async function uncached(dir: string, extra: readonly string[] = []): Promise<Map<string, string>> {
  const out = join(root, `uncached-${Math.random().toString(36).slice(2)}`);
  process.env.SERPENTC_CACHE_DIR = 'off';
  try {
    const r = await runCli([dir, ...extra, '-o', out]);
    assert.is(r.code, 0, r.err);
    return tree(out);
  } finally {
    process.env.SERPENTC_CACHE_DIR = cacheDir;
    rmSync(out, { recursive: true, force: true });
  }
}

test.before.each(() => {
  saved = process.env.SERPENTC_CACHE_DIR;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  process.env.SERPENTC_CACHE_DIR = cacheDir;
});

test.after.each(() => {
  if (saved === undefined) delete process.env.SERPENTC_CACHE_DIR;
  else process.env.SERPENTC_CACHE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

test('an unchanged generation skips the compiler and says what a full one says', async () => {
  const dir = recipes('stages');
  const out = join(root, 'out');
  const first = await run([dir, '-o', out]);
  assert.is(first.code, 0, first.err);
  assert.ok(first.compiled);
  assert.ok(runRecordTime() !== null, 'a clean generation is recorded');
  const second = await run([dir, '-o', out]);
  assert.is(second.code, 0, second.err);
  assert.not.ok(second.compiled, 'the second run compiled');
  const files = tree(out).size;
  assert.is(second.err, `serpentc: ${out}: ${files} files, 0 written, 0 removed\n`);
  assert.equal(tree(out), await uncached(dir));
});

test('a recipe edited to the same size, added or removed: compiled, and out/ follows', async () => {
  const dir = recipes('stages');
  const out = join(root, 'out');
  assert.is((await run([dir, '-o', out])).code, 0);
  const recipe = join(dir, 'stage2/make.recipe');
  const text = readFileSync(recipe, 'utf8');
  assert.ok(text.includes('version = "4.3"'), 'test bug: the version to edit');
  writeFileSync(recipe, text.replace('version = "4.3"', 'version = "4.4"'));
  const edited = await run([dir, '-o', out]);
  assert.ok(edited.compiled, 'an edited recipe was not compiled');
  assert.match(edited.err, /[1-9]\d* written/);
  assert.equal(tree(out), await uncached(dir));
  assert.not.ok((await run([dir, '-o', out])).compiled, 'unchanged again');

  // a new recipe file (a package of its own)
  writeFileSync(
    join(dir, 'stage3/extra.recipe'),
    'package extra in stage3 {\n  version = "1"\n  depends = [zlib]\n  build in chroot """\n    true\n  """\n}\n',
  );
  const added = await run([dir, '-o', out]);
  assert.is(added.code, 0, added.err);
  assert.ok(added.compiled, 'an added recipe was not compiled');
  assert.equal(tree(out), await uncached(dir));
  unlinkSync(join(dir, 'stage3/extra.recipe'));
  const removed = await run([dir, '-o', out]);
  assert.ok(removed.compiled, 'a removed recipe was not compiled');
  assert.match(removed.err, /[1-9]\d* removed/);
  assert.equal(tree(out), await uncached(dir));
});

test('a patch or a copied file edited, or a generated file edited: compiled, and out/ follows', async () => {
  const dir = recipes('stages');
  const out = join(root, 'out');
  assert.is((await run([dir, '-o', out])).code, 0);
  const patch = join(dir, 'stage2/patches/make/0001-add-a-config.h-for-linux-musl.patch');
  writeFileSync(patch, `${readFileSync(patch, 'utf8')}\n`);
  const patched = await run([dir, '-o', out]);
  assert.ok(patched.compiled, 'an edited patch was not compiled');
  assert.equal(tree(out), await uncached(dir));

  const [file] = readdirSync(join(dir, 'stage3/files/mawk'));
  writeFileSync(join(dir, 'stage3/files/mawk', file), 'edited\n');
  assert.ok((await run([dir, '-o', out])).compiled, 'an edited file was not compiled');
  assert.equal(tree(out), await uncached(dir));

  writeFileSync(join(out, 'Makefile'), 'edited by hand\n');
  const restored = await run([dir, '-o', out]);
  assert.ok(restored.compiled, 'an edited out/ was not generated again');
  assert.match(restored.err, /1 written/);
  assert.equal(tree(out), await uncached(dir));
});

test('other arguments, a warning to print, or --check: compiled every time', async () => {
  const dir = recipes('stages');
  const out = join(root, 'out');
  assert.is((await run([dir, '-o', out])).code, 0);
  // the same directory named another way is another run (display paths follow the arguments)
  assert.ok((await run([`${dir}/`, '-o', out])).compiled, 'another spelling of the directory was not compiled');
  assert.ok((await run([dir, '-o', out, '--target', 'x86_64'])).compiled, 'another target was not compiled');

  // --check compares for real: a file edited by hand is drift
  assert.is((await run([dir, '-o', out])).code, 0);
  assert.is((await run([dir, '-o', out, '--check'])).code, 0);
  writeFileSync(join(out, 'Makefile'), 'edited by hand\n');
  const drift = await runCli([dir, '-o', out, '--check']);
  assert.is(drift.code, 1, drift.err);
  assert.is(drift.out, 'Makefile\n');

  // a warning is printed by every run, so a run with one is never recorded
  const recipe = join(dir, 'stage3/musl.recipe');
  writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('build on host', 'build in host'));
  for (let i = 0; i < 2; i++) {
    const warned = await run([dir, '-o', out]);
    assert.is(warned.code, 0, warned.err);
    assert.match(warned.err, /warning\[placement-preposition\]/);
  }
});

test.run();
