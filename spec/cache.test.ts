// The generation cache (compiler/emit/cache.ts) only ever skips work: a second generation with the same graph
// and an untouched out/ is answered from its record, and every kind of change — the graph, a patch, a file of
// out/ edited (even to the same size), chmod'ed, deleted or replaced, a damaged record — gets the full render and
// compare, with the same result as without a cache. --check never uses it; SERPENTC_CACHE_DIR=off writes none.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticGraph } from '../bench/graph.js';
import { generationKey, recordPath, remember, unchangedSince } from '../compiler/emit/cache.js';
import { emit, inputPaths } from '../compiler/emit/index.js';
import type { BuildGraph } from '../compiler/graph.js';

const root = join(tmpdir(), `serpentc-cache-${process.pid}`);
const stagesDir = join(root, 'stages');
const cacheDir = join(root, 'cache');
let saved: string | undefined;

function inputs(graph: BuildGraph): Map<string, Buffer> {
  return new Map(inputPaths(graph).map((rel) => [rel, readFileSync(join(stagesDir, rel))]));
}

/** A fresh out/ generated once from `graph`, with its record. */
async function generated(name: string, graph: BuildGraph): Promise<string> {
  const out = join(root, name);
  const first = await emit(graph, { outDir: out, stagesDir });
  assert.equal(first.diagnostics, []);
  assert.ok(first.changed.length > 20, 'every file written');
  return out;
}

test.before(() => {
  saved = process.env.SERPENTC_CACHE_DIR;
  process.env.SERPENTC_CACHE_DIR = cacheDir;
  mkdirSync(stagesDir, { recursive: true });
});

test.after(() => {
  if (saved === undefined) delete process.env.SERPENTC_CACHE_DIR;
  else process.env.SERPENTC_CACHE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

test('an unchanged out/ is answered from the record, with the same files and nothing written', async () => {
  const graph = syntheticGraph(100, stagesDir);
  const out = await generated('same', graph);
  const key = generationKey(graph, inputs(graph));
  const listed = unchangedSince(out, key);
  assert.ok(listed !== null, 'the record answers');
  const again = await emit(graph, { outDir: out, stagesDir });
  assert.equal(again.changed, []);
  assert.equal(again.removed, []);
  assert.equal(again.files, listed);
  assert.ok(again.files.includes('Makefile') && again.files.includes('.serpentc-manifest'), again.files.join(' '));
  // another graph, or another patch, is another key
  assert.is(unchangedSince(out, generationKey(syntheticGraph(101, stagesDir), inputs(graph))), null);
  assert.ok(inputs(graph).size > 0, 'test bug: the graph has patches');
  const patched = new Map([...inputs(graph)].map(([rel, bytes], i) => [rel, i === 0 ? Buffer.from('x') : bytes]));
  assert.is(unchangedSince(out, generationKey(graph, patched)), null);
});

test('a file of out/ edited to the same size, chmod-ed or deleted is generated again', async () => {
  const graph = syntheticGraph(100, stagesDir);
  const out = await generated('edits', graph);
  const makefile = join(out, 'Makefile');
  const text = readFileSync(makefile, 'utf8');
  const edits: [string, () => void, (again: Awaited<ReturnType<typeof emit>>) => void][] = [
    [
      'same size',
      () => writeFileSync(makefile, `${text[0] === '#' ? 'X' : '#'}${text.slice(1)}`),
      () => assert.is(readFileSync(makefile, 'utf8'), text),
    ],
    ['chmod', () => chmodSync(makefile, 0o600), () => assert.is(statSync(makefile).mode & 0o777, 0o644)],
    ['deleted', () => rmSync(makefile), () => assert.is(readFileSync(makefile, 'utf8'), text)],
  ];
  for (const [what, edit, check] of edits) {
    edit();
    const again = await emit(graph, { outDir: out, stagesDir });
    assert.equal(again.diagnostics, [], what);
    assert.equal(again.changed, ['Makefile'], what);
    check(again);
    assert.equal((await emit(graph, { outDir: out, stagesDir })).changed, [], `${what}: then unchanged`);
  }
});

test('the record holds each file as the writer left it, from either thread: the next run is answered', async () => {
  // The writer takes each file's identity as it finishes it (write.ts), instead of a stat of every file
  // afterwards: a new file (its ctime after a chmod the umask made necessary), one rewritten through a rename,
  // one only chmod-ed, one found unchanged. Each must equal what a stat says afterwards, or the next run renders.
  const graph = syntheticGraph(100, stagesDir);
  const umask = process.umask(0o077); // new files lose bits the generator must put back
  try {
    for (const thread of [false, true]) {
      const out = join(root, `identities-${thread ? 'thread' : 'main'}`);
      const makefile = join(out, 'Makefile');
      const edits: [string, () => void][] = [
        ['a first run', () => {}],
        ['a rewrite', () => writeFileSync(makefile, 'edited\n')],
        ['a chmod', () => chmodSync(makefile, 0o600)],
      ];
      for (const [what, edit] of edits) {
        edit();
        const r = await emit(graph, { outDir: out, stagesDir, thread });
        assert.equal(r.diagnostics, [], what);
        assert.ok(r.changed.length > 0, `${what}: something written`);
        const at = recordPath(out);
        const record = JSON.parse(readFileSync(at ?? '', 'utf8')) as { files: Record<string, string[]> };
        assert.equal(Object.keys(record.files).sort(), [...r.files].sort(), what);
        for (const rel of r.files) {
          const st = statSync(join(out, rel), { bigint: true });
          assert.equal(record.files[rel], [String(st.size), String(st.ino), String(st.ctimeNs)], `${what}: ${rel}`);
        }
        assert.ok(unchangedSince(out, generationKey(graph, inputs(graph))) !== null, `${what}: the record answers`);
        assert.is(statSync(makefile).mode & 0o777, 0o644, what);
      }
    }
  } finally {
    process.umask(umask);
  }
});

test('a damaged record, --check and SERPENTC_CACHE_DIR=off: the full compare', async () => {
  const graph = syntheticGraph(100, stagesDir);
  const out = await generated('damaged', graph);
  for (const name of readdirSync(cacheDir)) writeFileSync(join(cacheDir, name), '{"version":1,"key":');
  assert.equal((await emit(graph, { outDir: out, stagesDir })).changed, []);
  // --check compares for real even when the record answers: here a record taken after a hand edit (which only
  // a record written by hand can hold), so that the cached answer and the real one differ
  writeFileSync(join(out, 'lib/steps.txt'), 'x\n');
  const key = generationKey(graph, inputs(graph));
  remember(out, key, (await emit(graph, { outDir: out, stagesDir, check: true })).files);
  assert.ok(unchangedSince(out, key) !== null, 'the hand-made record answers');
  const check = await emit(graph, { outDir: out, stagesDir, check: true });
  assert.equal(check.changed, ['lib/steps.txt']);
  rmSync(cacheDir, { recursive: true, force: true });
  process.env.SERPENTC_CACHE_DIR = 'off';
  try {
    await emit(graph, { outDir: join(root, 'off'), stagesDir });
    assert.equal((await emit(graph, { outDir: join(root, 'off'), stagesDir })).changed, []);
    assert.not.ok(readdirSync(root).includes('cache'), 'no record written');
  } finally {
    process.env.SERPENTC_CACHE_DIR = cacheDir;
  }
});

test.run();
