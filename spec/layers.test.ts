// Recipe layers end to end: a layered compile's plan and generated scripts (amend, replace, substitute, stage
// env), scripts the layers do not change staying byte-identical to the base's, the base unchanged by a layer
// directory inside it, `make status` and the extract step's log naming substituted sources, the formatter's
// layout of the new declarations, and the real stages/layers/host-llvm profile.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { format } from '../compiler/fmt/index.js';
import type { BuildGraph } from '../compiler/graph.js';
import { compile } from '../compiler/index.js';
import { caseDir, caseDirs, caseOf, removeCaseDirs } from './helpers/cases.js';
import { fileTree, makeEnv, removeTempDirs, run, tempDir } from './fixtures/make/harness.js';
import { REPO_ROOT } from './helpers/paths.js';

const CASE = caseOf('constructs', 'layer');

test.after(() => {
  removeCaseDirs();
  removeTempDirs();
});

async function generate(dirs: readonly string[]): Promise<{ graph: BuildGraph; out: string }> {
  const res = await compile(dirs);
  assert.equal(res.diagnostics, [], 'compiles clean');
  if (!res.graph) throw new Error('no graph');
  const out = tempDir('serpentc-layers-out-');
  const r = await emit(res.graph, { outDir: out, check: false, stagesDir: dirs[0] });
  assert.equal(r.diagnostics, []);
  return { graph: res.graph, out };
}

const text = (tree: Map<string, Buffer>, path: string): string => {
  const b = tree.get(path);
  if (!b) throw new Error(`${path} not generated`);
  return b.toString('utf8');
};

test('a layered compile records the layers, amends, replaces, substitutes and extends the stage env', async () => {
  const { graph, out } = await generate(caseDirs(CASE));
  assert.equal(graph.layers, [{ name: 'host', description: 'use what the host has' }]);
  const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as {
    layers: unknown;
    stages: Array<{ name: string; layers?: string[]; env: Array<{ name: string }> }>;
    packages: Array<{ id: string; layers?: string[]; depends: string[]; steps: string[]; sources: unknown[] }>;
  };
  assert.equal(plan.layers, graph.layers);
  const stage1 = plan.stages.find((s) => s.name === 'stage1');
  assert.equal(stage1?.layers, ['host']);
  assert.equal(
    stage1?.env.map((e) => e.name),
    ['HOSTCC'],
  );
  assert.is(plan.stages.find((s) => s.name === 'stage2')?.layers, undefined);
  const pkg = (id: string) => plan.packages.find((p) => p.id === id);
  // amend: the build step replaced, a step added, a patch appended, the source substituted
  assert.equal(pkg('stage1/lib')?.layers, ['host']);
  assert.equal(pkg('stage1/lib')?.steps, ['extract', 'patch', 'configure', 'build', 'verify']);
  assert.equal(pkg('stage1/lib')?.sources, [
    {
      kind: 'url',
      url: 'file:///srv/mirror/lib_1.0.orig.tar.gz',
      sha256: '2'.repeat(64),
      filename: 'lib_1.0.orig.tar.gz',
      strip: 1,
      substitutes: {
        url: 'https://example.org/lib-1.0.tar.gz',
        sha256: '1'.repeat(64),
        layer: 'host',
        reason: "the upstream tarball is not on the mirror; Debian's orig tarball is repacked",
      },
    },
  ]);
  // replace: a whole new definition, the dependency dropped on purpose
  assert.equal(pkg('stage1/cc')?.steps, ['install']);
  assert.equal(pkg('stage1/cc')?.depends, ['tools']);
  assert.is(pkg('stage1/untouched')?.layers, undefined);

  const tree = fileTree(out);
  const lib = text(tree, 'stage1/lib.sh');
  assert.is(lib.split('\n')[2], '# layers: host');
  const section = (name: string): string => lib.split('\n# serpent-step ').find((s) => s.startsWith(`${name}\n`)) ?? '';
  assert.match(section('build'), 'make -j1');
  assert.match(section('patch'), 'fix.patch');
  assert.match(section('verify'), '\n');
  const extract = section('extract');
  assert.match(
    extract,
    "serpent_say 'lib_1.0.orig.tar.gz: substitutes https://example.org/lib-1.0.tar.gz (layer host: the upstream tarball is not on the mirror; Debian'\\''s orig tarball is repacked)'",
  );
  assert.match(text(tree, 'lib/sources.sh'), '# substitutes https://example.org/lib-1.0.tar.gz (layer host:');
  assert.is(
    text(tree, 'lib/substitutions.txt'),
    "stage1/lib: lib_1.0.orig.tar.gz substitutes https://example.org/lib-1.0.tar.gz (layer host: the upstream tarball is not on the mirror; Debian's orig tarball is repacked)\n",
  );
  // the stage's env changed: its environment file says so and holds the new variable; the untouched package's
  // own script stays as the base has it
  const env = text(tree, 'lib/env/stage1.host.sh');
  assert.is(env.split('\n')[2], '# layers: host');
  assert.match(env, "export HOSTCC='cc'");
  assert.not.match(text(tree, 'stage1/untouched.sh'), '# layers');
});

test('scripts the layers do not change are byte-identical to the base output', async () => {
  const base = fileTree((await generate([caseDir(CASE)])).out);
  const layered = fileTree((await generate(caseDirs(CASE))).out);
  assert.not.ok(base.has('lib/substitutions.txt'), 'no substitutions without a layer');
  const differ = [...layered.keys()].filter((k) => !base.get(k)?.equals(layered.get(k) ?? Buffer.alloc(0)));
  for (const k of differ) assert.ok(!k.startsWith('stage2/'), `${k} differs, but no layer changes stage2`);
  assert.equal(
    [...base.keys()].filter((k) => k.startsWith('stage2/')).sort(),
    ['stage2/app.sh'],
    'the stage2 scripts compared',
  );
  for (const k of differ)
    if (k.endsWith('.sh') && k.startsWith('stage1/')) assert.match(text(layered, k), '# layers: host');
});

test('a layer that changes only a weight changes the banner of the script and no signature: nothing reruns', async () => {
  const copy = tempDir('serpentc-layers-weight-');
  cpSync(caseDir(CASE), copy, { recursive: true });
  writeFileSync(join(copy, 'layers/host/weights.recipe'), 'amend package app in stage2 {\n  weight = 9\n}\n');
  const base = fileTree((await generate(caseDirs(CASE))).out);
  const weighted = fileTree((await generate([copy, join(copy, 'layers/host')])).out);
  const before = text(base, 'stage2/app.sh');
  const after = text(weighted, 'stage2/app.sh');
  assert.is.not(after, before, 'the banner names the layer');
  assert.match(after, '# layers: host');
  // only the leading comment lines differ
  const body = (t: string): string => t.slice(t.indexOf('\nset -e\n'));
  assert.is(body(after), body(before));
  const rules = (tree: Map<string, Buffer>): string[] => text(tree, 'lib/prereqs.txt').split('\n');
  assert.equal(rules(weighted), rules(base), 'every signature and rule as without the weight');
  // the control: a change below the banner does change the signature (the comparison can fail)
  writeFileSync(join(copy, 'layers/host/weights.recipe'), 'amend package app in stage2 {\n  version = "4.1"\n}\n');
  const versioned = fileTree((await generate([copy, join(copy, 'layers/host')])).out);
  assert.not.equal(rules(versioned), rules(base));
});

test('the base is unchanged by a layer directory inside it', async () => {
  const copy = tempDir('serpentc-layers-base-');
  cpSync(caseDir(CASE), copy, { recursive: true });
  rmSync(join(copy, 'layers'), { recursive: true, force: true });
  const withLayerDir = await compile(caseDir(CASE));
  const without = await compile(copy);
  assert.ok(withLayerDir.graph);
  assert.equal(JSON.stringify(withLayerDir.graph), JSON.stringify(without.graph));
  assert.is(withLayerDir.graph?.layers, undefined);
});

test('a layered profile generated inside the base output survives regenerating and checking the base', async () => {
  const out = tempDir('serpentc-layers-nested-');
  const base = await compile(caseDir(CASE));
  const layered = await compile(caseDirs(CASE));
  if (!base.graph || !layered.graph) throw new Error('no graph');
  const opts = { check: false, stagesDir: caseDir(CASE) };
  await emit(base.graph, { ...opts, outDir: out });
  await emit(layered.graph, { ...opts, outDir: join(out, 'host') });
  const nested = fileTree(join(out, 'host'));
  const again = await emit(base.graph, { ...opts, outDir: out });
  assert.equal([again.changed, again.removed], [[], []], 'the base output neither rewritten nor pruned');
  const checked = await emit(base.graph, { ...opts, check: true, outDir: out });
  assert.equal([checked.changed, checked.removed], [[], []], '--check sees no drift');
  assert.equal(fileTree(join(out, 'host')), nested, 'the nested output is untouched');
});

test('make status lists the substituted sources; a base without layers lists none', async () => {
  const { out } = await generate(caseDirs(CASE));
  const build = tempDir('serpentc-layers-build-');
  const r = await run('make', ['-C', out, 'status', `BUILD_DIR=${build}`], { env: makeEnv() });
  assert.is(r.code, 0, r.out);
  assert.match(
    r.stdout,
    'substituted sources:\n  stage1/lib: lib_1.0.orig.tar.gz substitutes https://example.org/lib-1.0.tar.gz (layer host:',
  );
  const base = await generate([caseDir(CASE)]);
  const b = await run('make', ['-C', base.out, 'status', `BUILD_DIR=${build}`], { env: makeEnv() });
  assert.is(b.code, 0, b.out);
  assert.not.match(b.stdout, 'substituted');
});

test('the extract step fetches the substitute, checks its sha256 and says so in its log', async () => {
  const dir = tempDir('serpentc-layers-run-');
  const recipes = join(dir, 'stages');
  mkdirSync(join(recipes, 'layers', 'local'), { recursive: true });
  // the substitute: a real tarball, by file://
  const payload = join(dir, 'payload', 'x-1');
  mkdirSync(payload, { recursive: true });
  writeFileSync(join(payload, 'hello.txt'), 'from the substitute\n');
  const tarball = join(dir, 'x_1.orig.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', join(dir, 'payload'), 'x-1']);
  const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  writeFileSync(join(recipes, 'base.recipe'), readFileSync(join(REPO_ROOT, 'spec', 'cases', 'base.recipe')));
  writeFileSync(
    join(recipes, 'x.recipe'),
    `package x in stage1 {
  version = "1"
  source "https://example.invalid/x-\${version}.tar.gz" {
    sha256 = "${'3'.repeat(64)}"
  }
  build """
    cat hello.txt
  """
}
`,
  );
  writeFileSync(
    join(recipes, 'layers', 'local', 'layer.recipe'),
    `layer local {
  description = "offline"
}

amend package x in stage1 {
  substitute "https://example.invalid/x-\${version}.tar.gz" {
    by = "file://${tarball}"
    sha256 = "${sha}"
    reason = "no network in tests"
  }
}
`,
  );
  const { out } = await generate([recipes, join(recipes, 'layers', 'local')]);
  const build = join(dir, 'build');
  const r = await run(
    'make',
    [
      '-C',
      out,
      'stage1-x',
      'UPTO=extract',
      `BUILD_DIR=${build}`,
      `SOURCES_DIR=${join(dir, 'sources')}`,
      'MIRROR_ONLY=0',
    ],
    { env: makeEnv() },
  );
  assert.is(r.code, 0, r.out);
  const log = readFileSync(join(build, 'logs', 'stage1', 'x', 'extract.log'), 'utf8');
  assert.match(
    log,
    'serpent: x_1.orig.tar.gz: substitutes https://example.invalid/x-1.tar.gz (layer local: no network in tests)',
  );
  assert.is(readFileSync(join(build, 'stage1', 'work', 'x', 'src', 'hello.txt'), 'utf8'), 'from the substitute\n');
});

test('fmt lays out layer declarations canonically and keeps their meaning', async () => {
  const file = join(CASE.input, 'layers', 'host', 'layer.recipe');
  const canonical = readFileSync(file, 'utf8');
  const squashed = canonical
    .replace(/\n\n/g, '\n\n\n')
    .replace(/^ {2}([A-Za-z_]+ [={])/gm, '      $1') // items re-indented; shell bodies are kept byte for byte
    .replace(/amend package/g, 'amend   package')
    .replace(/replace package cc/, 'replace\n package  cc');
  assert.is.not(squashed, canonical);
  const r = await format(squashed, 'layer.recipe');
  assert.is(r.formatted, canonical);
  assert.is((await format(canonical, 'layer.recipe')).formatted, canonical);
  const stage = 'layer x {\n  description = "d"\n}\n\namend stage s {\n  env { A = "1" }\n}\n';
  assert.is((await format(stage, 's.recipe')).formatted, stage);
});

test('stages/layers/host-llvm: replaces stage1 llvm, stage2 toolchain and slibtool, substitutes Debian sources, measures stage2 weights, and leaves every other package as it is', async () => {
  const stages = join(REPO_ROOT, 'stages');
  const base = await compile(stages);
  const layered = await compile([stages, join(stages, 'layers', 'host-llvm')]);
  assert.equal(layered.diagnostics, []);
  assert.ok(base.graph && layered.graph);
  assert.equal(
    layered.graph.layers?.map((l) => l.name),
    ['host-llvm'],
  );
  const changed = layered.graph.packages.filter((p) => p.layers !== undefined);
  const replaced = ['stage1/llvm', 'stage2/slibtool', 'stage2/toolchain'];
  const byId = new Map(base.graph.packages.map((p) => [p.id, p]));
  // every other package the layer changes has a source substituted (and maybe a patch step for it and a
  // measured weight), or only its weight (weights.recipe)
  const hasSubstitute = (p: (typeof changed)[number]): boolean =>
    p.sources.some((src) => src.kind === 'url' && src.substitutes?.layer === 'host-llvm');
  const substituted = changed.filter((p) => !replaced.includes(p.id) && hasSubstitute(p));
  const weighted = changed.filter((p) => !replaced.includes(p.id) && !hasSubstitute(p));
  assert.equal(
    changed.filter((p) => replaced.includes(p.id)).map((p) => p.id),
    replaced,
  );
  assert.equal(weighted.map((p) => p.id).sort(), [
    'stage2/coreutils',
    'stage2/dash',
    'stage2/grep',
    'stage2/gzip',
    'stage2/less',
    'stage2/m4',
    'stage2/musl',
    'stage2/patch',
    'stage2/sed',
    'stage2/util-linux',
    'stage2/xz',
  ]);
  // what a package is, without where it is written (an amended package's recipe is the layer's) or its weight
  const shape = (p: object): string =>
    JSON.stringify(p, (key, value: unknown) => (['loc', 'file', 'layers', 'weight'].includes(key) ? undefined : value));
  for (const p of weighted) {
    const below = byId.get(p.id);
    assert.is(shape(p), shape(below ?? {}), `${p.id}: changed only in its weight`);
    assert.is.not(p.weight, below?.weight, p.id);
  }
  for (const p of substituted) {
    assert.ok(
      p.sources.some((src) => src.kind === 'url' && src.substitutes?.layer === 'host-llvm'),
      `${p.id}: changed only by a substitute`,
    );
  }
  assert.equal(substituted.map((p) => p.id).sort(), [
    'stage1/compiler-rt',
    'stage1/headers',
    'stage1/libffi',
    'stage1/pkgconf',
    'stage1/runtimes',
    'stage2/bash',
    'stage2/gawk',
    'stage2/headers',
    'stage2/make',
    'stage2/ncurses',
    'stage2/which',
    'stage2/zlib',
    'stage3/bash',
    'stage3/expat',
    'stage3/gawk',
    'stage3/headers',
    'stage3/libffi',
    'stage3/make',
    'stage3/meson',
    'stage3/ncurses',
    'stage3/pkgconf',
    'stage3/toolchain',
    'stage3/which',
    'stage3/zlib',
  ]);
  for (const p of layered.graph.packages) {
    if (p.layers === undefined) assert.equal(p, byId.get(p.id), `${p.id} is the base's`);
  }
  assert.is(base.graph.layers, undefined);
  assert.ok(base.graph.packages.every((p) => p.layers === undefined));
});

test.run();
