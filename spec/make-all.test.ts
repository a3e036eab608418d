// `make all` (the default goal) builds every stage: with stages that branch (two stages after one), each branch,
// under GNU make and bmake; a stage target builds its own branch only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { emit } from '../compiler/emit/index.js';
import { requires } from './helpers/env.js';
import { buildGraph } from './fixtures/make/graph.js';
import { stagesDir } from './fixtures/make/fixture.js';
import { makeEnv, ranSteps, removeTempDirs, run, tempDir } from './fixtures/make/harness.js';

const enabled = requires('make: all with branching stages', { tools: ['make', 'bmake'] });

const build = (name: string) => ({ name, stage: '', steps: [{ name: 'build', body: `echo ${name}` }] });
// base → left, base → right → top: `left` and `top` are the stages nothing comes after
const graph = buildGraph({
  stages: [
    { name: 'base' },
    { name: 'left', after: 'base' },
    { name: 'right', after: 'base' },
    { name: 'top', after: 'right' },
  ],
  packages: [
    { ...build('a'), stage: 'base' },
    { ...build('l'), stage: 'left' },
    { ...build('r'), stage: 'right' },
    { ...build('t'), stage: 'top' },
  ],
  hostTools: ['echo'],
});

const ctx = { root: '', out: '' };

async function ran(makeCmd: string, args: string[]): Promise<string[]> {
  const dir = join(ctx.root, 'build');
  rmSync(dir, { recursive: true, force: true });
  const r = await run(makeCmd, [`BUILD_DIR=${dir}`, ...args], { cwd: ctx.out, env: makeEnv() });
  assert.is(r.code, 0, r.out);
  return ranSteps(r.out).sort(); // sort for determinism: independent branches
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('all');
    ctx.out = join(ctx.root, 'out');
    await emit(graph, { outDir: ctx.out, stagesDir });
  });

  test.after(() => removeTempDirs());

  const every = ['base/a/build', 'left/l/build', 'right/r/build', 'top/t/build'];
  for (const makeCmd of ['make', 'bmake']) {
    test(`${makeCmd} all and ${makeCmd} alone build every branch of the stages`, async () => {
      assert.equal(await ran(makeCmd, ['all']), every);
      assert.equal(await ran(makeCmd, []), every);
    });

    test(`${makeCmd} <stage> builds that stage and the stages before it only`, async () => {
      assert.equal(await ran(makeCmd, ['left']), ['base/a/build', 'left/l/build']);
      assert.equal(await ran(makeCmd, ['top']), ['base/a/build', 'right/r/build', 'top/t/build']);
    });
  }
}

test.run();
