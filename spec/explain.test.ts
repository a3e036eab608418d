// make explain, for real: a recipe tree of two host stages with tiny steps (a template, dependencies, a pass,
// stage variables) is generated with serpentc and built with GNU make. After each everyday edit of the recipes
// (a version, a template argument, a stage variable, a template body), regenerated, explain's verdict for every
// step equals what make then does — bmake -n, and the real GNU make run that follows (which stamps change) —
// and each reason's root cause is a file the regeneration rewrote.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit } from '../compiler/emit/index.js';
import { compile } from '../compiler/index.js';
import { byCodeUnit } from '../compiler/util.js';
import { requires } from './helpers/env.js';
import { REPO_ROOT } from './helpers/paths.js';
import { afterStampSecond, makeEnv, ranSteps, removeTempDirs, run, stamps, tempDir } from './fixtures/make/harness.js';

const enabled = requires('make explain: real builds', { tools: ['make', 'bmake', 'dash', 'awk'] });

const RECIPE = `target x86_64 {
  default = true
  triplet = "x86_64-serpent-linux-musl"
  arch = "x86_64"
  llvm_backend = "X86"
}

stage one {
  env {
    GREETING = "hello"
  }
}

stage two {
  after = one
  env {
    FLAVOUR = "plain"
  }
}

template tool(flags: string = "") {
  configure """
    echo \${flags} > configured
  """
  build """
    echo built > built
  """
  install """
    echo installed > installed
  """
}

package a in one {
  version = "1.0"
  use tool(flags = "--fast")
}

package b in one {
  version = "2.0"
  depends = [a]
  use tool()
}

package c in one {
  version = "1"
  build """
    echo "$GREETING" > greeting
  """
}

package d in two {
  version = "1"
  use tool(flags = "--small")
}

package e in two {
  version = "1"
  depends = [d]
  build """
    echo "$FLAVOUR" > flavour
  """
}

pass d-2 of d {
  depends += [e]
}
`;

const ctx = { root: '', stages: '', out: '', build: '', dash: '' };

/** Every step id, in build order. */
function stepIds(): string[] {
  return readFileSync(join(ctx.out, 'lib/steps.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(1, 4).join('/'));
}

/** Regenerates out/ from the recipes as they are now; the files that changed. */
async function regenerate(): Promise<string[]> {
  const res = await compile(ctx.stages);
  if (!res.graph) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const result = await emit(res.graph, { outDir: ctx.out, stagesDir: ctx.stages });
  assert.equal(result.diagnostics, []);
  return [...result.changed];
}

function make(m: string, args: string[]) {
  return run(m, [`BUILD_DIR=${ctx.build}`, ...args], { cwd: ctx.out, env: makeEnv({ SERPENT_SH: ctx.dash }) });
}

/** explain's output for every step, by id. */
async function explainEach(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of stepIds()) {
    const r = await make('make', ['-s', 'explain', `STEP=${id}`]);
    assert.is(r.code, 0, r.out);
    out.set(id, r.stdout);
  }
  return out;
}

/** The steps a dry run would run (the runtime prints `[ i/N] stage package step (host): would run`). */
async function dryRun(m: string): Promise<string[]> {
  const r = await make(m, ['-n']);
  assert.is(r.code, 0, r.out);
  const ids: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const hit = /^\[\s*\d+\/\d+\] (\S+) (\S+) (\S+) \((?:host|chroot)\): would run$/.exec(line);
    if (hit) ids.push(`${hit[1]}/${hit[2]}/${hit[3]}`);
  }
  return ids;
}

/**
 * The file a reason blames, the root cause in `(because <step>: …)` first: `<file> changed since the step ran`, or
 * for `what it runs changed` the step's package script.
 */
function rootFile(first: string): string | null {
  const m = /\(because ([^:]+): (.+)\)$/.exec(first) ?? /^would run: ()(.+)$/.exec(first);
  if (!m) return null;
  const newer = /^(\S+) changed since the step ran$/.exec(m[2]);
  if (newer) return newer[1];
  const runs = /^what it runs changed \(make show STEP=(\S+) prints it now\)$/.exec(m[2]);
  return runs ? `${runs[1].split('/').slice(0, 2).join('/')}.sh` : null;
}

/** explain's line for a step whose own section (or its package's variables) changed. */
const changedLine = (id: string): string => `would run: what it runs changed (make show STEP=${id} prints it now)`;

/**
 * Applies `edit` to the recipe text, regenerates, and checks explain against make for every step; returns the
 * steps that ran and explain's first lines, for the edit's own expectations.
 */
async function editAndCompare(
  edit: (text: string) => string,
): Promise<{ ran: string[]; first: Map<string, string>; full: Map<string, string>; changed: string[] }> {
  await afterStampSecond(ctx.build);
  const file = join(ctx.stages, 'base.recipe');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  assert.is.not(after, before, 'test bug: the edit changed nothing');
  writeFileSync(file, after);
  const changed = await regenerate();
  const explained = await explainEach();
  const first = new Map([...explained].map(([id, text]) => [id, text.split('\n')[0]]));
  const wouldRun = [...first].filter(([, l]) => l.startsWith('would run: ')).map(([id]) => id);
  for (const [id, line] of first) {
    assert.ok(line === 'up to date' || line.startsWith('would run: '), `${id}: ${line}`);
    if (line === 'up to date') continue;
    // the root cause is a file the regeneration rewrote; a step whose own script changed names that script
    const root = rootFile(line);
    assert.ok(root !== null && changed.includes(root), `${id}: ${line} (changed: ${changed.join(' ')})`);
    // (its stage's environment file comes next in the rule, then the stamps it needs)
    const env = `lib/env/${id.split('/')[0]}.host.sh`;
    if (line === changedLine(id)) assert.ok(changed.includes(rootFile(line) ?? ''), line);
    else if (changed.includes(env)) assert.is(line, `would run: ${env} changed since the step ran`);
    else assert.match(line, /^would run: needs \S+, which would (run|be remade) \(because /, id);
  }
  // explain without STEP lists the same steps with the same lines
  const all = await make('make', ['-s', 'explain']);
  assert.is(all.code, 0, all.out);
  const listed = all.stdout.split('\n').filter((l) => / would run: /.test(l));
  assert.equal(
    listed,
    wouldRun.map((id) => `${id}: ${first.get(id) ?? ''}`),
  );
  assert.match(all.stdout, `${wouldRun.length} of ${first.size} steps would run\n`);
  const bAll = await make('bmake', ['explain']);
  assert.is(bAll.stdout, all.stdout, 'bmake explain');
  // what make then does
  const sorted = [...wouldRun].sort();
  // make -n runs the packages' `+` lines (the runtime's dry-run mode): each runner lists the steps of its package
  // that are stale themselves and those after them in the package, not the ones of other packages that would
  // run because of them (no stamp changes under -n)
  const stale = wouldRun.filter((id) => !/^would run: needs /.test(first.get(id) ?? ''));
  for (const m of ['make', 'bmake']) {
    const dry = await dryRun(m);
    for (const id of dry) assert.ok(wouldRun.includes(id), `${m} -n lists ${id}`);
    for (const id of stale) assert.ok(dry.includes(id), `${m} -n misses ${id}`);
  }
  const stampsBefore = stamps(ctx.build);
  const r = await make('make', []);
  assert.is(r.code, 0, r.out);
  assert.equal(ranSteps(r.stdout).sort(), sorted, 'GNU make');
  const stampsAfter = stamps(ctx.build);
  assert.equal(
    stepIds().filter((id) => stampsAfter.get(id) !== stampsBefore.get(id)),
    wouldRun,
    'stamps rewritten',
  );
  // and afterwards every step is up to date
  for (const [id, text] of await explainEach()) assert.is(text, 'up to date\n', id);
  return { ran: wouldRun, first, full: explained, changed };
}

const ONE = ['one/a/configure', 'one/a/build', 'one/a/install', 'one/b/configure', 'one/b/build', 'one/b/install'];
const TWO = [
  'two/d/configure',
  'two/d/build',
  'two/d/install',
  'two/e/build',
  'two/d-2/configure',
  'two/d-2/build',
  'two/d-2/install',
];

test("lib/prereqs.txt and the Makefile agree, for stages/: each package's node depends on its script, its steps' files and the nodes of what its steps need", () => {
  const makefile = readFileSync(join(REPO_ROOT, 'out/Makefile'), 'utf8');
  const nodes = new Map(
    makefile
      .split('\n')
      .filter((l) => /^\$\(S\)\/[^/]+\/[^/]+\/\.checked:/.test(l))
      .map((l) => {
        const [target, rest] = l.split(':');
        return [target.slice('$(S)/'.length, -'/.checked'.length), rest.trim().split(' ')];
      }),
  );
  const prereqs = readFileSync(join(REPO_ROOT, 'out/lib/prereqs.txt'), 'utf8').trim().split('\n');
  const expected = new Map<string, Set<string>>();
  for (const line of prereqs) {
    const [stamp, sig, ...rest] = line.split(' ');
    const id = stamp.slice('stamps/'.length);
    if (id.endsWith('/.complete')) {
      assert.is(sig, '-', line);
      continue;
    }
    assert.match(sig, /^[0-9a-f]{64}$/, line);
    const pkg = id.split('/').slice(0, 2).join('/');
    const want = expected.get(pkg) ?? new Set([`${pkg}.sh`]);
    expected.set(pkg, want);
    const needs = rest.filter((w) => w.startsWith('stamps/')).map((w) => w.slice('stamps/'.length));
    assert.equal(needs, [...needs].sort(byCodeUnit), `needed stamps by name: ${line}`);
    for (const w of rest.filter((w) => !w.startsWith('stamps/'))) want.add(w);
    for (const n of needs) {
      const parts = n.split('/');
      const node = parts[1] === '.complete' ? `$(S)/${parts[0]}/.checked` : `$(S)/${parts[0]}/${parts[1]}/.checked`;
      if (!n.startsWith(`${pkg}/`)) want.add(node);
    }
  }
  assert.equal([...nodes.keys()].sort(byCodeUnit), [...expected.keys()].sort(byCodeUnit));
  for (const [pkg, want] of expected) assert.equal(new Set(nodes.get(pkg)), want, pkg);
  assert.ok(prereqs.length > 320, 'every step and barrier');
  assert.ok(prereqs.some((l) => l.startsWith('stamps/stage3/') && l.includes(' lib/stages/stage3.sh ')));
});

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('explain');
    ctx.stages = join(ctx.root, 'stages');
    ctx.out = join(ctx.root, 'out');
    ctx.build = join(ctx.root, 'build');
    ctx.dash = (await run('sh', ['-c', 'command -v dash'])).stdout.trim();
    mkdirSync(ctx.stages);
    writeFileSync(join(ctx.stages, 'base.recipe'), RECIPE);
    await regenerate();
  });

  test.after(() => removeTempDirs());

  test('before the first build every step would run: stamp missing; after it every step is up to date', async () => {
    for (const [id, text] of await explainEach()) assert.is(text, 'would run: stamp missing\n', id);
    const chained = await make('make', ['-s', 'explain', 'STEP=two/d-2/install']);
    assert.is(chained.stdout, 'would run: stamp missing\n');
    const r = await make('make', []);
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.stdout).sort(), stepIds().sort());
    for (const [id, text] of await explainEach()) assert.is(text, 'up to date\n', id);
    const all = await make('make', ['-s', 'explain']);
    assert.is(all.stdout, `0 of ${stepIds().length} steps would run\n`);
  });

  test('a version bump: the package and everything after it, blamed on its scripts', async () => {
    const { ran, first, full } = await editAndCompare((t) => t.replace('version = "1.0"', 'version = "1.1"'));
    assert.equal(ran, [...ONE, ...TWO]);
    assert.is(first.get('one/c/build'), 'up to date');
    assert.is(
      first.get('two/d/configure'),
      `would run: needs one/.complete, which would be remade (because one/a/install: ${changedLine('one/a/install').slice(11)})`,
    );
    // the chain, step by step, down to the root cause
    assert.is(
      full.get('two/d-2/build'),
      [
        `would run: needs two/d-2/configure, which would run (because one/a/install: ${changedLine('one/a/install').slice(11)})`,
        '  two/d-2/build needs two/d-2/configure',
        '  two/d-2/configure needs one/.complete',
        '  one/.complete needs one/a/install',
        `  one/a/install: ${changedLine('one/a/install').slice(11)}`,
        '',
      ].join('\n'),
    );
  });

  test('a template argument: the package that passes it (a variable of each of its steps, so of its pass too) and what follows', async () => {
    const { ran, first, changed } = await editAndCompare((t) => t.replace('"--small"', '"--tiny"'));
    assert.equal(changed.filter((f) => f.endsWith('.sh')).sort(), ['two/d-2.sh', 'two/d.sh']);
    assert.equal(ran, TWO);
    assert.is(first.get('two/d/configure'), changedLine('two/d/configure'));
    assert.is(
      first.get('two/e/build'),
      `would run: needs two/d/install, which would run (because two/d/install: ${changedLine('two/d/install').slice(11)})`,
    );
  });

  test('a stage variable: the steps of that stage only', async () => {
    const { ran, first, changed } = await editAndCompare((t) => t.replace('"plain"', '"spicy"'));
    // one generated file changes, the stage's environment (besides plan.json, the machine-readable graph)
    assert.equal(changed, ['lib/env/two.host.sh', 'plan.json']);
    assert.equal(ran, TWO);
    for (const id of TWO) assert.is(first.get(id), 'would run: lib/env/two.host.sh changed since the step ran', id);
    for (const id of [...ONE, 'one/c/build']) assert.is(first.get(id), 'up to date', id);
  });

  test('a template body: every build step of the template and what follows', async () => {
    const { ran, first } = await editAndCompare((t) => t.replace('echo built > built', 'echo rebuilt > built'));
    assert.equal(ran, [...ONE.slice(1), ...TWO]);
    assert.is(first.get('one/a/configure'), 'up to date');
    assert.is(
      first.get('one/b/configure'),
      `would run: needs one/a/install, which would run (because one/a/build: ${changedLine('one/a/build').slice(11)})`,
    );
    assert.is(first.get('one/b/build'), changedLine('one/b/build'));
  });

  test('one step rerun by hand: the step after it would run because the stamp it needs is newer', async () => {
    await afterStampSecond(ctx.build);
    rmSync(join(ctx.build, 'stamps/one/c/build'));
    const missing = await make('make', ['-s', 'explain', 'STEP=two/e/build']);
    assert.is(
      missing.stdout,
      [
        'would run: needs one/.complete, which would be remade (because one/c/build: stamp missing)',
        '  two/e/build needs one/.complete',
        '  one/.complete needs one/c/build',
        '  one/c/build: stamp missing',
        '',
      ].join('\n'),
    );
    // only that step's own target: the barrier and what needs it are left behind, older than its stamp
    const r = await make('make', ['one-c', 'UPTO=build']);
    assert.is(r.code, 0, r.out);
    assert.equal(ranSteps(r.stdout), ['one/c/build']);
    const barrier = await make('make', ['-s', 'explain', 'STEP=two/d/configure']);
    assert.is(
      barrier.stdout.split('\n')[0],
      'would run: needs one/.complete, which would be remade (because one/.complete: stamps/one/c/build is newer than its stamp)',
    );
    const wouldRun = [...(await explainEach())].filter(([, t]) => t !== 'up to date\n').map(([id]) => id);
    assert.equal(wouldRun, TWO);
    // make -n: the packages that need the stale barrier themselves, and their later steps
    const dry = await dryRun('bmake');
    assert.ok(dry.includes('two/d/configure') && dry.includes('two/e/build'), dry.join(' '));
    for (const id of dry) assert.ok(TWO.includes(id), id);
    const again = await make('make', []);
    assert.equal(ranSteps(again.stdout).sort(), [...TWO].sort());
  });

  test('unknown or malformed STEP: an error naming the steps of that package; make -n runs nothing', async () => {
    const typo = await make('make', ['-s', 'explain', 'STEP=one/a/biuld']);
    assert.is.not(typo.code, 0);
    assert.match(typo.stderr, 'serpent: error: no step one/a/biuld; the steps of one/a are: configure build install');
    const bad = await make('make', ['-s', 'explain', 'STEP=a']);
    assert.is.not(bad.code, 0);
    assert.match(bad.stderr, 'STEP is <stage>/<package>/<step>');
    const dry = await make('make', ['-n', 'explain', 'STEP=one/a/build']);
    assert.is(dry.code, 0);
    assert.match(dry.stdout, "lib/serpent.sh explain 'one/a/build'");
    assert.not.match(dry.stdout, 'up to date');
  });
} else {
  test('make explain: real builds (skipped)', () => {});
}

test.run();
