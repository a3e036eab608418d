// The code generator without running a build: quoting, determinism, formatting, shellcheck, incremental writes,
// --check, stale files, and the Makefile as GNU make and bmake read it (dry run on an empty build directory).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import * as shPlugin from 'prettier-plugin-sh';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GValue } from '../compiler/graph.js';
import { emit, MANIFEST, render } from '../compiler/emit/index.js';
import { formatBodies, formatShell } from '../compiler/emit/format.js';
import { Output } from '../compiler/emit/write.js';
import { Sink } from '../compiler/diagnostics/diagnostic.js';
import { byCodeUnit } from '../compiler/util.js';
import { planFromText, planJson, planView } from '../compiler/emit/view/plan.js';
import { graphText } from '../compiler/emit/cache.js';
import { syntheticGraph } from '../bench/graph.js';
import { LAUNCHER, REPO_ROOT } from './helpers/paths.js';
import { commentText, makeWord, shName, shQuote, shValue } from '../compiler/emit/quote.js';
import { compile } from '../compiler/index.js';
import { CASES_DIR } from './helpers/cases.js';
import { requires } from './helpers/env.js';
import { PRINTER_TEXTS } from './helpers/shell-texts.js';
import { buildGraph, lit } from './fixtures/make/graph.js';
import { fakeSources, fixtureGraph, HOSTILE, stagesDir } from './fixtures/make/fixture.js';
import { fileTree, ranSteps, removeTempDirs, run, tempDir } from './fixtures/make/harness.js';

/** Deliberately wrong input, to check the emitter's internal errors: the cast is the point. */
const untyped = <T>(value: unknown): T => value as T;

const graph = () => fixtureGraph(fakeSources(), { port: 8080 });

test.after(() => removeTempDirs());

const NASTY = [
  HOSTILE,
  '',
  ' ',
  "'",
  "''",
  '\\',
  'a\\',
  "\\'",
  '$',
  '${x}',
  '$(id)',
  '`id`',
  '"',
  '\n',
  'tab\there',
  '~root',
  '~',
  '~/foo',
  '~~/x',
  '*',
  '-n',
  'x=y',
  'é ü 漢字',
  '!history',
];

function sh(shell: string, script: string): string {
  const [cmd, ...pre] = shell.split(' ');
  const r = spawnSync(cmd, [...pre, '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${shell} failed: ${r.stderr}`);
  return r.stdout;
}

test('shQuote: every string comes back literally from dash, busybox sh and bash', () => {
  const shells = ['dash', 'busybox sh', 'bash'].filter((s) =>
    requires(`quote under ${s}`, { tools: [s.split(' ')[0]] }),
  );
  // One shell per interpreter: each value assigned, then printed as a variable and as an argument, \001-separated.
  const script = NASTY.map((v) => `x=${shQuote(v)}; printf '%s\\001%s\\001' "$x" ${shQuote(v)}`).join('\n');
  const expected = NASTY.flatMap((v) => [v, v]);
  for (const shell of shells) {
    const got = sh(shell, script).split('\u0001').slice(0, -1);
    assert.equal(got, expected, shell);
  }
  assert.throws(() => shQuote('a\0b'), /NUL/);
  assert.throws(() => shQuote(untyped<string>(3)), /shQuote/);
});

test('shValue: literals and references concatenate into one word', () => {
  const script = (word: string): string => `root='/r o/o'; x=${word}; printf '%s' "$x"`;
  const cases: [GValue, string][] = [
    [[{ ref: 'root' }, { lit: '/usr/bin' }], '/r o/o/usr/bin'],
    [[{ lit: HOSTILE }, { ref: 'root' }, { lit: '$(id)' }], `${HOSTILE}/r o/o$(id)`],
    [[{ lit: 'a' }, { lit: '' }, { lit: 'b' }], 'ab'],
    [[], ''],
    [[{ ref: 'root' }, { ref: 'root' }], '/r o/o/r o/o'],
  ];
  for (const [parts, expected] of cases) {
    assert.is(sh('dash', script(shValue(parts))), expected, JSON.stringify(parts));
  }
  assert.is(shValue([{ ref: 'workdir' }, { lit: '/src' }]), '"${workdir}/src"');
  assert.throws(() => shValue([{ ref: 'not a name' }]), /variable name/);
  assert.throws(() => shValue(untyped<GValue>([{ other: 1 }])), /malformed/);
  assert.throws(() => shName('1x'), /variable name/);
  assert.throws(() => makeWord('a b'), /Makefile/);
  assert.is(commentText('a\nb\\c'), 'a\\x0ab\\x5cc');
});

test('render: deterministic, pure, no absolute machine path, graph untouched', async () => {
  const g = graph();
  const before = JSON.stringify(g);
  const inputs = new Map([...fileTree(stagesDir)].map(([k, v]) => [k, v]));
  const a = await render(g, inputs);
  const b = await render(g, inputs);
  assert.equal([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.ok(Buffer.from(v).equals(Buffer.from(b.get(k) ?? '')), k);
  assert.is(JSON.stringify(g), before);
  for (const [k, v] of a) {
    const text = Buffer.from(v).toString('utf8');
    assert.not.ok(text.includes(process.cwd()), `${k} mentions the working directory`);
    assert.not.ok(text.includes(stagesDir), `${k} mentions the stages directory`);
  }
  let threw = false;
  try {
    await render(g);
  } catch (e) {
    threw = /needs the content/.test(String(e));
  }
  assert.ok(threw, 'render() without the patch contents is an internal error');
});

test('byte-identical output from two processes in different directories and time zones', async () => {
  const root = tempDir('det');
  const child = fileURLToPath(new URL('./fixtures/make/emit-child.js', import.meta.url));
  const one = join(root, 'one', 'out');
  const two = join(root, 'elsewhere', 'deeper', 'out');
  mkdirSync(join(root, 'one'), { recursive: true });
  mkdirSync(join(root, 'elsewhere', 'deeper'), { recursive: true });
  const r1 = await run(process.execPath, [child, one], {
    cwd: join(root, 'one'),
    env: { ...process.env, TZ: 'UTC', LANG: 'C', LC_ALL: 'C' },
  });
  const r2 = await run(process.execPath, [child, two], {
    cwd: '/',
    env: { ...process.env, TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8', LC_ALL: 'tr_TR.UTF-8' },
  });
  assert.is(r1.code, 0, r1.stderr);
  assert.is(r2.code, 0, r2.stderr);
  const t1 = fileTree(one);
  const t2 = fileTree(two);
  assert.equal([...t1.keys()], [...t2.keys()]);
  for (const [k, v] of t1) assert.ok(v.equals(t2.get(k) ?? Buffer.alloc(0)), `${k} differs`);
  for (const [k, v] of t1) assert.not.ok(v.toString().includes(root), `${k} holds a machine path`);
  // modes are part of the output too (git records the executable bit)
  for (const k of t1.keys()) assert.is(statSync(join(one, k)).mode & 0o777, statSync(join(two, k)).mode & 0o777, k);
  assert.is(statSync(join(one, 'host/alpha.sh')).mode & 0o777, 0o755);
  assert.is(statSync(join(one, 'lib/files/host/alpha/0001-fix.patch')).mode & 0o777, 0o644);
});

test("unchanged files are not rewritten (mtime kept); an edit rewrites exactly its package script and two signature lines (the step's and its extract's)", async () => {
  const out = join(tempDir('mtime'), 'out');
  const first = await emit(graph(), { outDir: out, stagesDir });
  assert.equal(first.changed, first.files);
  const old = new Date('2001-02-03T04:05:06Z');
  for (const f of first.files) utimesSync(join(out, f), old, old);
  const again = await emit(graph(), { outDir: out, stagesDir });
  assert.equal(again.changed, []);
  assert.equal(again.removed, []);
  for (const f of first.files) assert.is(statSync(join(out, f)).mtimeMs, old.getTime(), `${f} was touched`);

  const edited = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) => {
      const step = d.packages.find((p) => p.name === 'beta')?.steps.find((s) => s.name === 'build');
      if (step) step.body = `${step.body ?? ''}\necho edited`;
    },
  });
  const prereqsBefore = readFileSync(join(out, 'lib/prereqs.txt'), 'utf8').split('\n');
  const third = await emit(edited, { outDir: out, stagesDir });
  assert.equal(third.changed, ['host/beta.sh', 'lib/prereqs.txt']);
  for (const f of first.files.filter((f) => !third.changed.includes(f)))
    assert.is(statSync(join(out, f)).mtimeMs, old.getTime(), f);
  assert.match(readFileSync(join(out, 'host/beta.sh'), 'utf8'), /\necho edited\n(\n# serpent-step |$)/);
  // in lib/prereqs.txt only the edited step's signature changed, and its extract's, which covers the steps that
  // change the source tree (so the rerun starts from a fresh extract)
  const prereqsAfter = readFileSync(join(out, 'lib/prereqs.txt'), 'utf8').split('\n');
  assert.equal(
    prereqsAfter.filter((l, i) => l !== prereqsBefore[i]).map((l) => l.split(' ')[0]),
    ['stamps/host/beta/extract', 'stamps/host/beta/build'],
  );
});

test('adding a package elsewhere changes no existing package script (numbers live only in the Makefile)', async () => {
  const base = await render(graph(), new Map([...fileTree(stagesDir)]));
  const more = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) =>
      d.packages.unshift({
        name: 'aardvark',
        stage: 'host',
        steps: [{ name: 'extract' }, { name: 'build', body: 'true' }],
      }),
  });
  const after = await render(more, new Map([...fileTree(stagesDir)]));
  const changedScripts = [...base.keys()].filter(
    (k) => k.endsWith('.sh') && !k.startsWith('lib/') && String(base.get(k)) !== String(after.get(k)),
  );
  assert.equal(changedScripts, []);
  assert.ok(after.has('host/aardvark.sh'));
  assert.not.equal(String(base.get('Makefile')), String(after.get('Makefile')));
});

test("adding a step changes two lines of the Makefile (the step count), not every package's rule", async () => {
  const inputs = new Map([...fileTree(stagesDir)]);
  const lines = async (g: ReturnType<typeof graph>): Promise<string[]> =>
    String((await render(g, inputs)).get('Makefile')).split('\n');
  const before = await lines(graph());
  const after = await lines(
    fixtureGraph(fakeSources(), {
      port: 8080,
      edit: (d) => d.packages.find((p) => p.name === 'beta')?.steps.push({ name: 'check', body: 'true' }),
    }),
  );
  assert.is(after.length, before.length);
  const changed = after.filter((l, i) => l !== before[i]);
  assert.is(changed.length, 2, changed.join('\n'));
  assert.match(changed[0], /^# Target .* steps\./);
  assert.match(changed[1], /^STEP_COUNT = \d+$/);
  assert.is(
    Number(changed[1].split(' = ')[1]),
    Number(before.find((l) => l.startsWith('STEP_COUNT = '))?.slice(13)) + 1,
  );
});

test('a stage as a whole: bare stage needs and "every final step" needs give the same Makefile (one barrier)', async () => {
  const desc = (stageNeeds: 'bare' | 'finals') =>
    buildGraph({
      stageNeeds,
      stages: [{ name: 'one' }, { name: 'two' }],
      packages: [
        { name: 'a', stage: 'one', steps: [{ name: 'extract' }, { name: 'build', body: 'true' }] },
        { name: 'b', stage: 'one', steps: [{ name: 'extract' }, { name: 'build', body: 'true' }] },
        { name: 'c', stage: 'two', steps: [{ name: 'extract' }, { name: 'patch' }, { name: 'build', body: 'true' }] },
      ],
    });
  const bare = String((await render(desc('bare'))).get('Makefile'));
  const finals = String((await render(desc('finals'))).get('Makefile'));
  assert.is(bare, finals);
  assert.match(
    bare,
    /^\$\(S\)\/one\/\.checked: \$\(S\)\/one\/a\/\.checked \$\(S\)\/one\/b\/\.checked\n\t@\$\(RUN\) barrier one$/m,
  );
  assert.match(
    bare,
    /^\$\(S\)\/two\/c\/\.checked: two\/c\.sh lib\/env\/two\.host\.sh lib\/sig\/host lib\/sig\/unpack \$\(S\)\/one\/\.checked$/m,
  );
});

test("a patch step changes the tree it starts from: its edit changes the extract step's signature, not the others'", async () => {
  const files = (patch: string) =>
    render(
      buildGraph({
        stages: [{ name: 'one' }],
        packages: [
          {
            name: 'c',
            stage: 'one',
            steps: [{ name: 'extract' }, { name: 'patch', body: patch }, { name: 'build', body: 'true' }],
          },
        ],
      }),
    );
  const sigs = async (patch: string) =>
    new Map(
      String((await files(patch)).get('lib/prereqs.txt'))
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0], l.split(' ')[1]]),
    );
  const a = await sigs('echo one');
  const b = await sigs('echo two');
  assert.is.not(a.get('stamps/one/c/extract'), b.get('stamps/one/c/extract'));
  assert.is.not(a.get('stamps/one/c/patch'), b.get('stamps/one/c/patch'));
  assert.is(a.get('stamps/one/c/build'), b.get('stamps/one/c/build'));
});

test('--check writes nothing and lists modified, missing and stale files', async () => {
  const out = join(tempDir('check'), 'out');
  const older = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) =>
      d.packages.push({ name: 'old', stage: 'host', steps: [{ name: 'extract' }, { name: 'build', body: 'true' }] }),
  });
  await emit(older, { outDir: out, stagesDir });
  assert.ok(existsSync(join(out, 'host/old.sh')));
  const clean = await emit(older, { outDir: out, stagesDir, check: true });
  assert.equal(clean.changed, []);
  assert.equal(clean.removed, []);

  writeFileSync(join(out, 'host/alpha.sh'), 'tampered\n');
  unlinkSync(join(out, 'lib/help.txt'));
  writeFileSync(join(out, 'user-notes.txt'), 'mine\n');
  const drift = await emit(graph(), { outDir: out, stagesDir, check: true });
  assert.ok(drift.changed.includes('host/alpha.sh'));
  assert.ok(drift.changed.includes('lib/help.txt'));
  assert.ok(drift.changed.includes(MANIFEST));
  assert.equal(drift.removed, ['host/old.sh']);
  // nothing written
  assert.is(readFileSync(join(out, 'host/alpha.sh'), 'utf8'), 'tampered\n');
  assert.not.ok(existsSync(join(out, 'lib/help.txt')));
  assert.ok(existsSync(join(out, 'host/old.sh')));

  const fixed = await emit(graph(), { outDir: out, stagesDir });
  assert.equal(fixed.removed, ['host/old.sh']);
  assert.not.ok(existsSync(join(out, 'host/old.sh')));
  assert.ok(existsSync(join(out, 'user-notes.txt')), 'a file serpentc did not generate stays');
  assert.equal((await emit(graph(), { outDir: out, stagesDir, check: true })).changed, []);
  // a mode change alone is drift too, and is repaired without rewriting
  execFileSync('chmod', ['644', join(out, 'host/alpha.sh')]);
  assert.equal((await emit(graph(), { outDir: out, stagesDir, check: true })).changed, ['host/alpha.sh']);
  assert.equal((await emit(graph(), { outDir: out, stagesDir })).changed, ['host/alpha.sh']);
  assert.is(statSync(join(out, 'host/alpha.sh')).mode & 0o777, 0o755);
});

test('the writing thread (large outputs) writes what the main thread writes, with the same results and failures', async () => {
  const outs = { main: join(tempDir('writer-main'), 'out'), thread: join(tempDir('writer-thread'), 'out') };
  /** every file below `dir` with its mode and content */
  const snapshot = (dir: string): [string, number, string][] =>
    [...fileTree(dir)].map(([rel, bytes]) => [rel, statSync(join(dir, rel)).mode & 0o777, bytes.toString('base64')]);
  const withOld = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) =>
      d.packages.push({ name: 'old', stage: 'host', steps: [{ name: 'extract' }, { name: 'build', body: 'true' }] }),
  });
  const edited = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) => {
      const step = d.packages.find((p) => p.name === 'beta')?.steps.find((s) => s.name === 'build');
      if (step) step.body = `${step.body ?? ''}\necho edited`;
    },
  });
  // a first run, an unchanged one, one with a step edited and a package gone (a rewrite and a removal)
  for (const g of [withOld, withOld, edited]) {
    const main = await emit(g, { outDir: outs.main, stagesDir, thread: false });
    const thread = await emit(g, { outDir: outs.thread, stagesDir, thread: true });
    assert.equal(main.diagnostics, []);
    assert.equal(thread, main);
    assert.equal(snapshot(outs.thread), snapshot(outs.main));
  }
  assert.not.ok(existsSync(join(outs.thread, 'host/old.sh')));

  // A directory where the Makefile goes: one io-error naming it, no stale file removed and the old manifest kept
  // (it still lists what the next run removes), in both.
  for (const [mode, out] of Object.entries(outs)) {
    unlinkSync(join(out, 'Makefile'));
    mkdirSync(join(out, 'Makefile'));
    writeFileSync(join(out, 'lib/stale.txt'), 'generated before\n');
    writeFileSync(join(out, MANIFEST), `${readFileSync(join(out, MANIFEST), 'utf8')}lib/stale.txt\n`);
    const manifest = readFileSync(join(out, MANIFEST), 'utf8');
    const r = await emit(withOld, { outDir: out, stagesDir, thread: mode === 'thread' });
    assert.equal(
      r.diagnostics.map((d) => [d.code, d.message]),
      [['io-error', `cannot write \`${join(out, 'Makefile')}\`: EISDIR: illegal operation on a directory`]],
      mode,
    );
    assert.is(readFileSync(join(out, MANIFEST), 'utf8'), manifest, mode);
    assert.ok(existsSync(join(out, 'lib/stale.txt')), mode);
    assert.ok(existsSync(join(out, 'host/old.sh')), `${mode}: files before the failure are written`);
  }
});

test('the writing thread gets the files in batches: contents across batch boundaries arrive whole', async () => {
  // Files of every size around the thread's 1 MiB batches: many small ones (batches fill and are posted), text
  // of 2-, 3- and 4-byte UTF-8 characters (the batch reserves 3 bytes per UTF-16 unit), bytes that are not
  // text, and files larger than a batch (posted on their own) between them.
  const files = new Map<string, string | Buffer>();
  for (let i = 0; i < 300; i++) {
    const dir = `d${i % 7}`;
    files.set(`${dir}/text-${String(i).padStart(3, '0')}.sh`, `# ${i} é — 😀\n${'x'.repeat((i * 7919) % 9000)}\n`);
    files.set(`${dir}/bytes-${String(i).padStart(3, '0')}`, Buffer.alloc((i * 104_729) % 12_000, i % 256));
    if (i % 100 === 50) {
      files.set(`big/text-${i}`, `${'—'.repeat(400_000)}${i}`);
      files.set(`big/bytes-${i}`, Buffer.alloc(1_500_000 + i, 0xfe));
    }
  }
  const paths = [...files.keys()];
  const outs = { main: join(tempDir('batch-main'), 'out'), thread: join(tempDir('batch-thread'), 'out') };
  for (const [mode, out] of Object.entries(outs)) {
    const output = new Output(out, paths, { check: false, thread: mode === 'thread' });
    for (const [rel, content] of files) output.put(rel, content);
    const sink = new Sink();
    const result = mode === 'thread' ? await output.finish(sink) : output.finishHere(sink);
    assert.equal(result.diagnostics, [], mode);
    assert.equal(result.changed, [...paths, MANIFEST].sort(byCodeUnit), mode); // (a first run: the manifest too)
  }
  const written = fileTree(outs.thread);
  written.delete(MANIFEST);
  assert.is(written.size, files.size);
  for (const [rel, content] of files)
    assert.ok(written.get(rel)?.equals(typeof content === 'string' ? Buffer.from(content) : content), rel);
  assert.equal([...fileTree(outs.main)].sort(), [...fileTree(outs.thread)].sort());
});

test("plan.json rendered from the graph's JSON text (the writing thread) is the one rendered from the graph", async () => {
  // The writing thread has no graph: it renders plan.json from the JSON text the generation key hashes. That
  // must give the same bytes for any graph: the real stages with a layer (layers, substitutions, chroot stages),
  // the fixture's hostile names and values, a synthetic graph.
  const layered = await compile([join(REPO_ROOT, 'stages'), join(REPO_ROOT, 'stages', 'layers', 'host-llvm')]);
  assert.equal(layered.diagnostics, []);
  const graphs = [
    layered.graph,
    fixtureGraph(fakeSources(), { port: 8080 }),
    syntheticGraph(300, tempDir('plan-text')),
  ];
  for (const graph of graphs) {
    if (!graph) throw new Error('no graph');
    const fromGraph = planJson(planView(graph));
    assert.ok(fromGraph.length > 1000);
    assert.ok(planFromText(graphText(graph)).equals(fromGraph));
  }
});

test('plan.json, written as UTF-8 chunk by chunk, is the one-line-per-element JSON text, whatever its lines hold', () => {
  // lines that cross the 1 MiB chunks, one larger than a chunk, and characters of 2, 3 and 4 UTF-8 bytes
  const value = {
    steps: Array.from({ length: 40_000 }, (_, i) => ({ id: `s/p${i}/build`, note: i % 7 ? 'é—' : '😀' })),
    big: ['x'.repeat(500_000), 'ü'.repeat(400_000), '—'.repeat(700_000)],
    empty: [],
    serpentc: 2,
  };
  const lines = ['{'];
  const keys = Object.keys(value).sort();
  keys.forEach((k, i) => {
    const v = (value as Record<string, unknown>)[k];
    const comma = i < keys.length - 1 ? ',' : '';
    if (Array.isArray(v) && v.length) {
      lines.push(
        `  ${JSON.stringify(k)}: [`,
        ...v.map((e, j) => `    ${JSON.stringify(e)}${j < v.length - 1 ? ',' : ''}`),
      );
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
  });
  lines.push('}');
  const bytes = planJson(value);
  assert.ok(bytes.length > 3 << 20, 'several chunks');
  assert.ok(bytes.equals(Buffer.from(`${lines.join('\n')}\n`, 'utf8')));
  assert.equal(JSON.parse(bytes.toString('utf8')), value);
});

test('a patch that cannot be read is an io-error diagnostic from emit(), and nothing is written', async () => {
  const g = fixtureGraph(fakeSources(), {
    port: 8080,
    edit: (d) => d.packages.find((p) => p.name === 'alpha')?.patches?.push('host/alpha/missing.patch'),
  });
  const out = join(tempDir('missing'), 'out');
  const result = await emit(g, { outDir: out, stagesDir });
  assert.equal(
    result.diagnostics.map((d) => [d.code, d.message]),
    [['io-error', `cannot read \`${join(stagesDir, 'host/alpha/missing.patch')}\`: ENOENT: no such file or directory`]],
  );
  assert.equal(result.changed, []);
  assert.not.ok(existsSync(out), 'nothing written');
});

test('every generated shell file is already formatted by prettier + prettier-plugin-sh', async () => {
  const files = await render(graph(), new Map([...fileTree(stagesDir)]));
  let checked = 0;
  for (const [path, content] of files) {
    if (!path.endsWith('.sh') || path.startsWith('lib/files/')) continue;
    const text = String(content);
    const formatted = await prettier.format(text, { parser: 'sh', plugins: [shPlugin] });
    assert.is(formatted, text, `${path} is not prettier-formatted`);
    checked += 1;
  }
  assert.ok(checked > 10, `checked ${checked} files`);
});

test('batched body formatting gives exactly what formatting each body alone gives', async () => {
  const bodies = [...PRINTER_TEXTS, 'echo # serpentc:format-split:4b1d'];
  const batched = await formatBodies(bodies.map((b) => `${b}\n`));
  for (const body of bodies) {
    let alone;
    try {
      alone = await formatShell(`${body}\n`);
    } catch {
      alone = `${body}\n`; // does not parse: kept as written
    }
    const normalized = alone.replace(/\s+$/, '') === '' ? '' : `${alone.replace(/\s+$/, '')}\n`;
    assert.is(batched.get(`${body}\n`), normalized, JSON.stringify(body));
  }
});

test('shellcheck finds nothing in any generated script, the runtime or the launcher', async () => {
  if (!requires('shellcheck on generated scripts', { tools: ['shellcheck'] })) return;
  const out = join(tempDir('shellcheck'), 'out');
  const result = await emit(graph(), { outDir: out, stagesDir });
  const scripts = result.files.filter((f) => f.endsWith('.sh') && !f.startsWith('lib/files/'));
  const r = await run('shellcheck', ['-s', 'sh', '-S', 'style', ...scripts], { cwd: out });
  assert.is(r.code, 0, r.out);
  const launcher = await run('shellcheck', ['-S', 'style', LAUNCHER]);
  assert.is(launcher.code, 0, launcher.out);
});

test('stage roots are <build>/<stage>/root and a mount source path is written normalized', async () => {
  const dir = tempDir('roots');
  writeFileSync(join(dir, 'base.recipe'), readFileSync(join(CASES_DIR, 'base.recipe')));
  writeFileSync(
    join(dir, 'more.recipe'),
    [
      'stage stage3 {',
      '  after = stage2',
      '  chroot {',
      '    shell = "/serpent/bin/sh"',
      '    path = ["/serpent/bin"]',
      '    mount "/cache" { from = "cache/./ccache/" readonly = true }',
      '    mount "/serpent" { from = stage2 }',
      '  }',
      '}',
      'package p in stage3 {',
      '  version = "1"',
      '  build in chroot """',
      '    true',
      '  """',
      '}',
      '',
    ].join('\n'),
  );
  const res = await compile(dir);
  assert.equal(res.diagnostics, []);
  if (!res.graph) return;
  assert.equal(
    res.graph.stages.map((s) => s.root),
    ['stage1/root', 'stage2/root', 'stage3/root'],
  );
  const files = await render(res.graph);
  const stage = String(files.get('lib/stages/stage3.sh'));
  assert.match(stage, /serpent_mount_bind "\$\{serpent_build\}\/cache\/ccache" '\/cache' ro$/m);
  assert.match(stage, /serpent_mount_bind "\$\{serpent_build\}\/stage2\/root" '\/serpent' rw$/m);
  const env = String(files.get('lib/env/stage3.chroot.sh'));
  assert.match(env, /^ {2}root='\/'$/m);
  assert.match(String(files.get('stage3/p.sh')), /^serpent_env "\$@"$/m);
});

test('values starting with ~ stay literal and leave shellcheck nothing to say (SC2088)', async () => {
  if (!requires('shellcheck of ~ values', { tools: ['shellcheck', 'dash'] })) return;
  const g = buildGraph({
    stages: [{ name: 'one', env: { T: lit('~/x'), U: [{ lit: '~/' }, { ref: 'root' }] }, path: [lit('~/bin')] }],
    packages: [
      {
        name: 'p',
        stage: 'one',
        params: { flags: '~/foo', home: '~' },
        steps: [{ name: 'extract' }, { name: 'build', body: 'printf \'%s|\' "${flags}" "${home}" "$T" "$U" "$PATH"' }],
      },
    ],
  });
  const out = join(tempDir('tilde'), 'out');
  const result = await emit(g, { outDir: out, stagesDir });
  const scripts = result.files.filter((f) => f.endsWith('.sh') && !f.startsWith('lib/files/'));
  const r = await run('shellcheck', ['-s', 'sh', '-S', 'style', ...scripts], { cwd: out });
  assert.is(r.code, 0, r.out);
  // the stage's environment and the step's variable block, as the runtime runs them, by dash: every ~ literal
  const build = readFileSync(join(out, 'lib/env/one.host.sh'), 'utf8') + readFileSync(join(out, 'one/p.sh'), 'utf8');
  const head = build.slice(0, build.indexOf('# serpent-step '));
  const got = sh(
    'dash',
    `set -- /b /s 1 /o '' 0\n${head.replace(/^set -e$/m, '')}\nprintf '%s|' "$flags" "$home" "$T" "$U" "$PATH"`,
  );
  const fields = got.split('|');
  assert.equal(fields.slice(0, 4), ['~/foo', '~', '~/x', '~//b/one/root']);
  assert.ok(fields[4].startsWith('~/bin:'), got);
});

test('every generated script parses under dash and busybox sh', async () => {
  const shells = ['dash', 'busybox'].filter((s) => requires(`syntax under ${s}`, { tools: [s] }));
  const out = join(tempDir('syntax'), 'out');
  const result = await emit(graph(), { outDir: out, stagesDir });
  const scripts = result.files.filter((f) => f.endsWith('.sh') && !f.startsWith('lib/files/'));
  for (const shell of shells) {
    for (const s of scripts) {
      const r = spawnSync(shell, shell === 'busybox' ? ['sh', '-n', s] : ['-n', s], { cwd: out, encoding: 'utf8' });
      assert.is(r.status, 0, `${shell}: ${s}: ${r.stderr}`);
    }
  }
});

for (const make of ['make', 'bmake']) {
  test(`${make} -n on an empty build directory prints every step in order and creates nothing`, async () => {
    if (!requires(`${make} -n`, { tools: [make] })) return;
    const root = tempDir(`dry-${make}`);
    const out = join(root, 'out');
    await emit(graph(), { outDir: out, stagesDir });
    const total = graph().packages.reduce((n, p) => n + p.steps.length, 0);
    const r = await run(make, ['-n', `BUILD_DIR=${root}/build`, `SOURCES_DIR=${root}/sources`], {
      cwd: out,
      env: { ...process.env, MAKEFLAGS: '' },
    });
    assert.is(r.code, 0, r.out);
    const lines = r.stdout.split('\n').filter((l) => /would run/.test(l));
    assert.is(lines.length, total, r.out);
    for (const l of lines) assert.match(l, /^\[\s*\d+\/\d+\] \S+ \S+ \S+ \((host|chroot)\): would run$/);
    assert.not.ok(existsSync(join(root, 'build')), 'make -n created the build directory');
    assert.not.ok(existsSync(join(root, 'sources')), 'make -n created the source cache');
    assert.is(ranSteps(r.stdout).length, 0);
    // make help and check-host work without a build
    const help = await run(make, ['help'], { cwd: out });
    assert.match(help.stdout, /check-host/);
    assert.match(help.stdout, /make target-gamma UPTO=[a-z]+\n/);
  });
}

test('make check-host lists a missing host tool and fails', async () => {
  const g = buildGraph({
    stages: [{ name: 'one' }],
    packages: [
      { name: 'p', stage: 'one', steps: [{ name: 'extract' }, { name: 'build', body: 'no-such-tool-serpentc-test' }] },
    ],
    hostTools: ['no-such-tool-serpentc-test', 'sh', './configure'],
  });
  const out = join(tempDir('hosttools'), 'out');
  await emit(g, { outDir: out, stagesDir });
  const r = await run('make', ['check-host'], { cwd: out });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /missing host tools: no-such-tool-serpentc-test/);
  assert.not.match(r.out, /configure/);
  const ok = buildGraph({
    stages: [{ name: 'one' }],
    packages: [{ name: 'p', stage: 'one', steps: [{ name: 'extract' }] }],
    hostTools: ['sh'],
  });
  await emit(ok, { outDir: out, stagesDir });
  const r2 = await run('make', ['check-host'], { cwd: out });
  assert.is(r2.code, 0, r2.out);
});

test('a stage description reaches make help and the Makefile as one literal line (GNU make and bmake)', async () => {
  const description = `it's "$(touch pwned)" $HOME \${x} # not a comment \\ a\\\nsecond line\\`;
  const g = buildGraph({
    stages: [{ name: 'one', description }, { name: 'two' }],
    packages: [
      { name: 'p', stage: 'one', steps: [{ name: 'extract' }] },
      { name: 'q', stage: 'two', steps: [{ name: 'extract' }] },
    ],
  });
  const root = tempDir('describe');
  const out = join(root, 'out');
  await emit(g, { outDir: out, stagesDir });
  const shown = commentText(description);
  assert.ok(!shown.includes('\n'), 'one line');
  const makefile = readFileSync(join(out, 'Makefile'), 'utf8');
  assert.ok(makefile.includes(`\n# ${shown}\n`), 'the Makefile names the description in a comment');
  for (const make of ['make', 'bmake']) {
    if (!requires(`${make} help with a description`, { tools: [make] })) continue;
    const help = await run(make, ['help'], { cwd: out, env: { ...process.env, MAKEFLAGS: '' } });
    assert.is(help.code, 0, help.out);
    const lines = help.stdout.split('\n');
    const at = lines.findIndex((l) => /^ {2}one {2,}1 package, on the host$/.test(l));
    assert.ok(at >= 0, help.stdout);
    assert.is(lines[at + 1], ` ${' '.repeat(25)}${shown}`);
    assert.match(lines[at + 2], /^ {2}two {2,}1 package, on the host$/, 'no description, no line');
    // the comment did not swallow or break a rule: the plan still runs dry
    const dry = await run(make, ['-n', `BUILD_DIR=${root}/build`, `SOURCES_DIR=${root}/sources`], {
      cwd: out,
      env: { ...process.env, MAKEFLAGS: '' },
    });
    assert.is(dry.code, 0, dry.out);
    assert.is(dry.stdout.split('\n').filter((l) => /would run/.test(l)).length, 2, dry.out);
  }
  assert.not.ok(existsSync(join(out, 'pwned')) || existsSync('pwned'));
});

test('reserved and colliding names: stage "lib" is refused, a clashing convenience target is skipped', async () => {
  const lib = buildGraph({
    stages: [{ name: 'lib' }],
    packages: [{ name: 'p', stage: 'lib', steps: [{ name: 'extract' }] }],
  });
  let message = '';
  try {
    await render(lib);
  } catch (e) {
    message = String(e);
  }
  assert.match(message, /stage name lib is reserved/);
  // a package named like a Makefile target of its own (`step`, `show`: no stage may take those names, but
  // `<stage>-<package>` never clashes with them) keeps its target
  const clash = buildGraph({
    stages: [{ name: 'one' }],
    packages: [
      { name: 'a', stage: 'one', steps: [{ name: 'extract' }] },
      { name: 'a-extract', stage: 'one', steps: [{ name: 'extract' }] },
    ],
  });
  const makefile = String((await render(clash)).get('Makefile'));
  for (const p of ['a', 'a-extract']) assert.match(makefile, `\none-${p}:\n\t+@$(RUN) package`);
  // stage "clean": its name and its package's target (clean-x, also the clean target of stage x) are taken;
  // `all` and the stage still reach the package through its node, and `make clean` stays the clean
  const stages = buildGraph({
    stages: [{ name: 'x' }, { name: 'clean' }],
    packages: [{ name: 'x', stage: 'clean', steps: [{ name: 'extract' }, { name: 'build', body: 'true' }] }],
  });
  const files = await render(stages);
  const mk = String(files.get('Makefile'));
  assert.match(mk, /^all: \$\(S\)\/clean\/x\/\.checked$/m);
  assert.match(String(files.get('lib/help.txt')), /taken by another target: clean clean-x/);
  assert.match(mk, /^clean:\n\t@\$\(RUN\) clean x clean$/m);
  assert.match(mk, /^clean-x:\n\t@\$\(RUN\) clean x$/m);
  assert.not.match(mk, /^clean-x: \$\(S\)/m);
});

test.run();
