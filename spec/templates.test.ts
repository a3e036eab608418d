// The templates precompiled at build time render byte for byte what compiling their text renders, and a template
// whose text changed after the build is compiled from its new text, never rendered from the stale precompilation.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inputPaths, render } from '../compiler/emit/index.js';
import { precompiledModule } from '../compiler/emit/precompile.js';
import { loadPrecompiled, lookupTemplates, templateKey, type Precompiled } from '../compiler/emit/templates.js';
import { compile } from '../compiler/index.js';
import { PACKAGE_ROOT, TEMPLATES_DIR } from '../compiler/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'serpentc-templates-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

let modules = 0;
/** What the build step writes for the templates of `dir`, loaded as generation loads it. */
async function precompiledFrom(dir: string): Promise<ReadonlyMap<string, Precompiled>> {
  const file = join(scratch, `precompiled-${String(modules++)}.js`);
  writeFileSync(file, precompiledModule(dir));
  return loadPrecompiled(file);
}

const hbs = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.hbs'))
    .sort();

test('precompiled and compiled templates render stages/ byte for byte alike', async () => {
  const stages = join(PACKAGE_ROOT, 'stages');
  const res = await compile(stages);
  const graph = res.graph;
  if (graph === null) throw new Error(`stages/ does not compile: ${JSON.stringify(res.diagnostics)}`);
  const inputs = new Map(inputPaths(graph).map((rel) => [rel, readFileSync(join(stages, rel))]));
  const precompiled = await lookupTemplates(await precompiledFrom(TEMPLATES_DIR));
  assert.equal([...precompiled.precompiled].sort(), hbs(TEMPLATES_DIR), 'every template served precompiled');
  const compiled = await lookupTemplates(new Map());
  assert.is(compiled.precompiled.size, 0);
  const a = await render(graph, inputs, { templates: precompiled });
  const b = await render(graph, inputs, { templates: compiled });
  assert.equal([...a.keys()], [...b.keys()]);
  for (const [path, content] of a) assert.ok(Buffer.from(content).equals(Buffer.from(b.get(path) ?? '')), path);
});

test('a template edited after the build is compiled from its new text; the others stay precompiled', async () => {
  const dir = join(scratch, 'templates');
  mkdirSync(dir);
  for (const name of hbs(TEMPLATES_DIR)) writeFileSync(join(dir, name), readFileSync(join(TEMPLATES_DIR, name)));
  const built = await precompiledFrom(dir);
  writeFileSync(join(dir, 'gitignore.hbs'), `${readFileSync(join(dir, 'gitignore.hbs'), 'utf8')}edited-after-build\n`);
  const lookup = await lookupTemplates(built, dir);
  assert.not.ok(lookup.precompiled.has('gitignore.hbs'));
  assert.equal(
    [...lookup.precompiled].sort(),
    hbs(dir).filter((n) => n !== 'gitignore.hbs'),
  );
  assert.ok(lookup('gitignore.hbs')({ header: 'h' }).endsWith('edited-after-build\n'));
});

test('a precompilation from another handlebars version or without the file is not used', async () => {
  const text = readFileSync(join(TEMPLATES_DIR, 'gitignore.hbs'), 'utf8');
  assert.is.not(templateKey(text, '0.0.0'), templateKey(text));
  assert.is((await loadPrecompiled(join(scratch, 'absent.js'))).size, 0);
  const stale = new Map(
    [...(await precompiledFrom(TEMPLATES_DIR))].map(([n, p]) => [n, { ...p, key: templateKey(text, '0.0.0') }]),
  );
  assert.is((await lookupTemplates(stale)).precompiled.size, 0);
});

test.run();
