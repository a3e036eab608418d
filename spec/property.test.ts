// Property: whenever check finds no error, generation succeeds — emit() neither throws nor reports, whatever
// the recipes. Inputs: synthetic recipe sets (bench/synth.ts) and their mutants, mutants of the real stages/
// (spec/helpers/mutate.ts), and small edge sets (declarations missing whole kinds), all deterministic for the
// seed. Each family regenerates into one output directory, so stale removal and rewrites are exercised too.
// PROPERTY_N scales the counts; PROPERTY_SEED changes the seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng, synthesize } from '../bench/synth.js';
import { formatDiagnostic } from '../compiler/diagnostics/render.js';
import { emit } from '../compiler/emit/index.js';
import { compile, compileSources, type Result } from '../compiler/index.js';
import { mutant, readRecipes, type Source } from './helpers/mutate.js';
import { REPO_ROOT } from './helpers/paths.js';

const SCALE = Number(process.env.PROPERTY_N ?? 1);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261201);
const work = mkdtempSync(join(tmpdir(), 'serpentc-property-'));

/** Counts of runs per family, so a test that never reaches emit() cannot pass silently. */
const tally = { checked: 0, generated: 0 };

/** Check, then (when clean) generate into `out`; fails the test with the input's description otherwise. */
async function holds(what: string, res: Result, stagesDir: string, out: string): Promise<void> {
  tally.checked++;
  if (res.graph === null) {
    assert.ok(
      res.diagnostics.some((d) => d.severity === 'error'),
      `${what}: no graph and no error`,
    );
    return;
  }
  let result;
  try {
    result = await emit(res.graph, { outDir: out, stagesDir });
  } catch (e) {
    assert.unreachable(`${what}: check was clean, but emit() threw: ${e instanceof Error ? e.stack : String(e)}`);
    return;
  }
  const said = result.diagnostics.map((d) => formatDiagnostic(d, () => undefined)).join('\n');
  assert.is(said, '', `${what}: check was clean, but generation reported`);
  assert.ok(result.files.length > 0, `${what}: generation wrote nothing`);
  tally.generated++;
}

test('synthetic recipe sets and their mutants: clean check ⇒ generation succeeds', async () => {
  const rand = prng(SEED);
  const out = join(work, 'synth-out');
  for (let i = 0; i < 6 * SCALE; i++) {
    const n = 5 + Math.floor(rand() * 40);
    const dir = synthesize(join(work, 'synth'), n, SEED + i);
    await holds(`synthesize(n=${n}, seed=${SEED + i})`, await compile(dir), dir, out);
    const base = readRecipes(dir);
    for (let j = 0; j < 30 * SCALE; j++) {
      const m = mutant(rand, base);
      const what = `synthesize(n=${n}, seed=${SEED + i}) with ${m.op} in ${m.rel}@${m.offset}`;
      await holds(what, await compileSources(m.files, { stagesDir: dir }), dir, out);
    }
  }
});

test('mutants of stages/: clean check ⇒ generation succeeds', async () => {
  const stagesDir = join(REPO_ROOT, 'stages');
  const base = readRecipes(stagesDir);
  const rand = prng(SEED + 1);
  const out = join(work, 'stages-out');
  for (let i = 0; i < 120 * SCALE; i++) {
    const m = mutant(rand, base);
    await holds(
      `stages/ with ${m.op} in ${m.rel}@${m.offset}`,
      await compileSources(m.files, { stagesDir }),
      stagesDir,
      out,
    );
  }
});

const TARGET =
  'target x86_64 {\n  default = true\n  triplet = "x86_64-serpent-linux-musl"\n  arch = "x86_64"\n  llvm_backend = "X86"\n}\n';

/** Sets missing whole kinds of declaration: where an emitter that assumes "at least one" would crash. */
const EDGES: ReadonlyArray<readonly [string, readonly Source[]]> = [
  ['comments only', [{ rel: 'a.recipe', text: '# nothing yet\n' }]],
  ['empty file', [{ rel: 'a.recipe', text: '' }]],
  ['a target only', [{ rel: 'a.recipe', text: TARGET }]],
  ['a stage without a target', [{ rel: 'a.recipe', text: 'stage stage1 {\n}\n' }]],
  ['a target and an empty stage', [{ rel: 'a.recipe', text: `${TARGET}stage stage1 {\n}\n` }]],
  [
    'a package without steps',
    [{ rel: 'a.recipe', text: `${TARGET}stage stage1 {\n}\npackage p in stage1 {\n  version = "1"\n}\n` }],
  ],
];

test('edge sets: clean check ⇒ generation succeeds; nothing declared is an error, not a crash', async () => {
  const dir = join(work, 'edges');
  for (const [name, files] of EDGES) {
    const res = await compileSources(files, { stagesDir: dir });
    if (name === 'comments only' || name === 'empty file')
      assert.equal(
        res.diagnostics.map((d) => d.code),
        ['no-default-target'],
        name,
      );
    await holds(name, res, dir, join(work, 'edges-out', name.replace(/\W+/g, '-')));
  }
});

test('the families reached generation', () => {
  // Most mutants fail check; the property means little unless many clean ones were generated.
  assert.ok(tally.generated >= 40 * SCALE, `only ${tally.generated} of ${tally.checked} runs reached emit()`);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
