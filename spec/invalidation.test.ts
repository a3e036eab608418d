// Exact invalidation (issue 11), for real: a step reruns when, and only when, something that can change its result
// changed. The make fixture (a host stage, a chroot stage on busybox) is built once with GNU make; then each kind
// of runtime edit is applied as a serpentc upgrade applies it (lib/serpent.sh, and each lib/sig/* file only when
// its content changed), and make runs again: the steps that ran are exactly those whose setup code changed and the
// steps that need them; code that reports, checks the host, locks, cleans or fetches verified bytes reruns none.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sink } from '../compiler/diagnostics/diagnostic.js';
import { emit } from '../compiler/emit/index.js';
import { inputPaths } from '../compiler/emit/layout.js';
import { render } from '../compiler/emit/render.js';
import { writeOutput } from '../compiler/emit/write.js';
import {
  EXECUTION_PIECES,
  NON_EXECUTION_FUNCTIONS,
  pieceText,
  runtimeFunctions,
  runtimeLibrary,
  signatureFile,
} from '../compiler/emit/runtime.js';
import type { ExecKind } from '../compiler/emit/runtime.js';
import type { BuildGraph } from '../compiler/graph.js';
import { requires } from './helpers/env.js';
import { fixtureGraph, makeSources, stagesDir } from './fixtures/make/fixture.js';
import type { Sources } from './fixtures/make/fixture.js';
import type { GraphDesc } from './fixtures/make/graph.js';
import {
  afterStampSecond,
  makeEnv,
  mountsBelow,
  ranSteps,
  removeTempDirs,
  run,
  serve,
  tempDir,
  waitFor,
} from './fixtures/make/harness.js';
import type { Server } from './fixtures/make/harness.js';

const KINDS: readonly ExecKind[] = ['host', 'chroot', 'unpack'];

/** `library` with `line` inserted as the first line of function `fn`'s body (fails if there is no such function). */
function insertInto(library: string, fn: string, line: string): string {
  const head = `\n${fn}() {\n`;
  assert.ok(library.includes(head), `test bug: no function ${fn}`);
  return library.replace(head, `${head}  ${line}\n`);
}

/** `library` with `from` replaced once (fails if it is not there). */
function replaceOnce(library: string, from: string, to: string): string {
  assert.ok(library.includes(from), `test bug: no ${JSON.stringify(from)}`);
  return library.replace(from, to);
}

/** The signature files of a library, by kind. */
const signatures = (library: string): Map<ExecKind, string> =>
  new Map(KINDS.map((k) => [k, signatureFile(k, library)]));

/** Which signatures differ between two libraries. */
function changedKinds(before: string, after: string): ExecKind[] {
  const a = signatures(before);
  const b = signatures(after);
  return KINDS.filter((k) => a.get(k) !== b.get(k));
}

test('every function of the runtime is either execution setup or reruns nothing, never both', () => {
  const fns = runtimeFunctions(runtimeLibrary());
  assert.ok(fns.size > 60, `found only ${fns.size} functions`);
  const pieceFns = new Set(Object.values(EXECUTION_PIECES).flatMap((ps) => ps.map((p) => p.split(' ')[0])));
  for (const name of fns.keys()) {
    const setup = pieceFns.has(name);
    const none = NON_EXECUTION_FUNCTIONS.has(name);
    // serpent_main and serpent_step mix setup (an arm, a line) with reporting: they count as setup pieces
    assert.ok(setup || none, `${name} is not classified: add it to EXECUTION_PIECES or NON_EXECUTION_FUNCTIONS`);
    assert.ok(!(setup && none), `${name} is classified twice`);
  }
  for (const name of NON_EXECUTION_FUNCTIONS) assert.ok(fns.has(name), `${name} is not in the runtime`);
  for (const piece of Object.values(EXECUTION_PIECES).flat())
    assert.ok(pieceText(fns, piece) !== null, `${piece} is not in the runtime`);
});

test('a signature changes exactly when one of its pieces does', () => {
  const lib = runtimeLibrary();
  const cases: [string, string, ExecKind[]][] = [
    ['make status', insertInto(lib, 'serpent_status', ': edited'), []],
    ['make report', insertInto(lib, 'serpent_report', ': edited'), []],
    ['make explain', insertInto(lib, 'serpent_explain', ': edited'), []],
    ['check-host', insertInto(lib, 'serpent_check_host', ': edited'), []],
    ['clean', insertInto(lib, 'serpent_clean', ': edited'), []],
    ['fetching verified bytes', insertInto(lib, 'serpent_download', ': edited'), []],
    ['the step banner and log', insertInto(lib, 'serpent_step', ': edited'), []],
    ['the step lock', insertInto(lib, 'serpent_step_lock', ': edited'), []],
    ['the progress estimate', insertInto(lib, 'serpent_last_time', ': edited'), []],
    [
      'the `source` command',
      replaceOnce(lib, '    source) serpent_source ;;', '    source) serpent_source "$@" ;;'),
      [],
    ],
    ['the host environment', insertInto(lib, 'serpent_run_host', ': edited'), ['host']],
    ['the umask', replaceOnce(lib, '  umask 022\n', '  umask 0022\n'), ['host', 'chroot']],
    [
      'how run-step starts a script',
      replaceOnce(
        lib,
        '      serpent_init_jobs\n      # The step',
        '      serpent_init_jobs\n      : edited\n      # The step',
      ),
      ['host', 'chroot'],
    ],
    ['the paths', insertInto(lib, 'serpent_init', ': edited'), ['host', 'chroot']],
    ['the mounts', insertInto(lib, 'serpent_mount_bind', ': edited'), ['chroot']],
    ['the chroot', insertInto(lib, 'serpent_chroot_inner', ': edited'), ['chroot']],
    ['unpacking', insertInto(lib, 'serpent_unpack', ': edited'), ['unpack']],
    ['applying patches', insertInto(lib, 'serpent_apply_patch', ': edited'), ['unpack']],
    ['top-level code', `${lib}: edited\n`, ['host', 'chroot', 'unpack']],
  ];
  for (const [what, edited, kinds] of cases) {
    assert.is.not(edited, lib, `test bug: ${what}`);
    assert.equal(changedKinds(lib, edited), kinds, what);
  }
});

const TOOLS = ['make', 'busybox', 'dash', 'unshare', 'chroot', 'mount', 'git', 'curl', 'tar', 'gzip', 'xz', 'bzip2'];
const enabled = requires('invalidation: real builds', { root: true, tools: [...TOOLS, 'patch', 'sha256sum'] });

const ctx = { root: '', out: '', build: '', sources: '', mirrors: '', dash: '', busybox: '' };
let src: Sources | null = null;
const chrootIds = new Set<string>();
let server: Server | null = null;

function graph(edit?: (d: GraphDesc) => void): BuildGraph {
  if (!src || !server) throw new Error('test bug: no sources before test.before ran');
  return fixtureGraph(src, { port: server.port, busybox: ctx.busybox, edit });
}

async function make(): Promise<string[]> {
  const r = await run(
    'make',
    [`BUILD_DIR=${ctx.build}`, `SOURCES_DIR=${ctx.sources}`, `MIRRORS=${ctx.mirrors}`, '-j2'],
    { cwd: ctx.out, env: makeEnv({ SERPENT_SH: ctx.dash }) },
  );
  assert.is(r.code, 0, r.out);
  return ranSteps(r.stdout).sort();
}

/** lib/prereqs.txt as rules: stamp → its prerequisites. */
function rules(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(join(ctx.out, 'lib/prereqs.txt'), 'utf8').trim().split('\n')) {
    const [target, ...prereqs] = line.split(' ');
    out.set(target, prereqs);
  }
  return out;
}

/** The steps `direct` (ids) and every step that needs one of them, directly or through others (barriers too). */
function withDependents(direct: readonly string[]): string[] {
  const all = rules();
  const hit = new Set(direct.map((id) => `stamps/${id}`));
  for (let grew = true; grew;) {
    grew = false;
    for (const [target, prereqs] of all) {
      if (!hit.has(target) && prereqs.some((p) => hit.has(p))) {
        hit.add(target);
        grew = true;
      }
    }
  }
  return [...hit]
    .filter((s) => !s.endsWith('/.complete'))
    .map((s) => s.slice('stamps/'.length))
    .sort();
}

/**
 * The steps that rerun when the steps `direct` (ids) must: the same, except that a step between its package's
 * extract and install (patch, configure, build) never reruns in the tree it already changed, so its package
 * starts again from the extract; then every step that needs one of them (withDependents).
 */
function rerunFrom(direct: readonly string[]): string[] {
  const first = new Set<string>(direct);
  for (const pkg of graph().packages) {
    const names = pkg.steps.map((s) => s.name);
    const extract = names.indexOf('extract');
    const install = names.indexOf('install');
    if (extract < 0) continue;
    const tree = names.filter((_, i) => i > extract && (install < 0 || i < install));
    if (tree.some((n) => first.has(`${pkg.id}/${n}`))) first.add(`${pkg.id}/extract`);
  }
  return withDependents([...first]);
}

/** Step ids of the first graph whose step matches. */
function stepsWhere(match: (placement: string, name: string, builtin: boolean, stage: string) => boolean): string[] {
  return graph().packages.flatMap((p) =>
    p.steps.filter((s) => match(s.placement, s.name, s.body === null, p.stage)).map((s) => `${p.id}/${s.name}`),
  );
}

/** Generates out/ as a serpentc with runtime library `library` would: only changed files are written. */
async function install(library: string): Promise<void> {
  const g = graph();
  const inputs = new Map(inputPaths(g).map((rel) => [rel, readFileSync(join(stagesDir, rel))]));
  const sink = new Sink();
  writeOutput(ctx.out, await render(g, inputs, { library }), false, sink);
  assert.equal(sink.sorted(), [], 'the edited runtime was written');
}

if (enabled) {
  test.before(async () => {
    ctx.root = tempDir('invalidation');
    src = makeSources(join(ctx.root, 'src'));
    server = await serve(src.httpRoot);
    ctx.busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim();
    ctx.dash = execFileSync('sh', ['-c', 'command -v dash']).toString().trim();
    ctx.out = join(ctx.root, 'out');
    ctx.build = join(ctx.root, 'build');
    ctx.sources = join(ctx.root, 'sources');
    ctx.mirrors = `file://${src.mirror} http://127.0.0.1:${server.port}/mirror`;
    await emit(graph(), { outDir: ctx.out, stagesDir });
    const first = await make();
    assert.ok(first.length > 20, 'the first build ran every step');
    for (const id of stepsWhere((placement) => placement === 'chroot')) chrootIds.add(id);
  });

  test.after(async () => {
    await server?.close();
    for (const mp of mountsBelow(ctx.root).reverse()) execFileSync('umount', ['-l', mp]);
    await waitFor(() => mountsBelow(ctx.root).length === 0, 10_000).catch(() => {});
    rmSync(ctx.root, { recursive: true, force: true });
    removeTempDirs();
  });

  test('make show prints the exact script each step ran', async () => {
    const env = makeEnv({ SERPENT_SH: ctx.dash });
    const ids = stepsWhere(() => true);
    for (const id of ids) {
      const [stage, pkg, step] = id.split('/');
      const shown = await run('make', ['-s', 'show', `STEP=${id}`, `BUILD_DIR=${ctx.build}`], { cwd: ctx.out, env });
      assert.is(shown.code, 0, shown.out);
      const ran = readFileSync(join(ctx.build, stage, 'work/.serpent', pkg, `${step}.run.sh`), 'utf8');
      assert.is(shown.stdout, ran, id);
      // the stage's environment, then its package script up to the first step, then the step's own section
      const envText = readFileSync(
        join(ctx.out, `lib/env/${stage}.${chrootIds.has(id) ? 'chroot' : 'host'}.sh`),
        'utf8',
      );
      const lines = readFileSync(join(ctx.out, `${stage}/${pkg}.sh`), 'utf8').split('\n');
      const marker = (l: string): boolean => l.startsWith('# serpent-step ');
      const first = lines.findIndex(marker);
      const own = lines.indexOf(`# serpent-step ${step}`);
      assert.ok(first > 0 && own >= first, id);
      const next = lines.findIndex((l, i) => i > own && marker(l));
      const section = lines.slice(own, next < 0 ? lines.length - 1 : next);
      assert.is(ran, envText + [...lines.slice(0, first), ...section].map((l) => `${l}\n`).join(''), id);
      // inside the chroot, the copy the chroot's shell ran
      if (chrootIds.has(id))
        assert.is(readFileSync(join(ctx.build, stage, 'work/.serpent', pkg, `${step}.sh`), 'utf8'), ran, id);
    }
    const wrong = await run('make', ['-s', 'show', 'STEP=host/alpha/nope'], { cwd: ctx.out, env });
    assert.is.not(wrong.code, 0);
    assert.match(wrong.stderr, 'show: no step host/alpha/nope; the steps of host/alpha are: host/alpha/extract');
  });

  test('a rerun patch step starts from a fresh extract', async () => {
    const patched = (text: string) => (d: GraphDesc) => {
      const step = d.packages.find((p) => p.name === 'beta')?.steps.find((s) => s.name === 'patch');
      if (!step) throw new Error('test bug: no beta/patch');
      step.body = `echo ${text} >> README`;
    };
    await afterStampSecond(ctx.build);
    await emit(graph(patched('one')), { outDir: ctx.out, stagesDir });
    await make();
    const readme = join(ctx.build, 'host/work/beta/src/README');
    assert.is(readFileSync(readme, 'utf8'), 'beta 2.0\none\n');
    await afterStampSecond(ctx.build);
    await emit(graph(patched('two')), { outDir: ctx.out, stagesDir });
    const ran = await make();
    assert.ok(ran.includes('host/beta/extract') && ran.includes('host/beta/patch'), ran.join(' '));
    assert.equal(ran, withDependents(['host/beta/extract']));
    // the old patch's change is gone: the new one ran on a fresh tree
    assert.is(readFileSync(readme, 'utf8'), 'beta 2.0\ntwo\n');
    // back to the first graph, for the runtime edits below
    await afterStampSecond(ctx.build);
    await emit(graph(), { outDir: ctx.out, stagesDir });
    await make();
  });

  test('a package rerun because a package it needs reran starts from a fresh extract, never its old tree', async () => {
    // what an earlier build left in beta's tree (objects compiled against alpha's old files, say)
    const stale = join(ctx.build, 'host/work/beta/src/stale.o');
    writeFileSync(stale, 'compiled against the old alpha\n');
    const rebuilt = (text: string) => (d: GraphDesc) => {
      const step = d.packages.find((p) => p.name === 'alpha')?.steps.find((s) => s.name === 'build');
      if (!step) throw new Error('test bug: no alpha/build');
      step.body = `${step.body ?? ''}\necho ${text} > /dev/null`;
    };
    await afterStampSecond(ctx.build);
    await emit(graph(rebuilt('one')), { outDir: ctx.out, stagesDir });
    const ran = await make();
    // alpha from its extract (its build changed), and beta, which needs alpha's install, from its extract too
    assert.ok(ran.includes('host/alpha/extract') && ran.includes('host/beta/extract'), ran.join(' '));
    assert.equal(ran, withDependents(['host/alpha/extract']));
    assert.not.ok(existsSync(stale), "beta's old tree was not reused");
    // back to the first graph, for the tests below
    await afterStampSecond(ctx.build);
    await emit(graph(), { outDir: ctx.out, stagesDir });
    await make();
  });

  test('a checkout or clone that rewrites every generated file unchanged reruns nothing; an edit of one still does', async () => {
    await afterStampSecond(ctx.build);
    const now = new Date();
    const files = readdirSync(ctx.out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(files.length > 10, 'test bug: out/ is empty');
    for (const e of files) utimesSync(join(e.parentPath, e.name), now, now);
    assert.equal(await make(), [], 'every file newer than every stamp, none changed');
    const explained = await run('make', ['-s', 'explain', `BUILD_DIR=${ctx.build}`], { cwd: ctx.out, env: makeEnv() });
    assert.match(explained.stdout, /^0 of \d+ steps would run$/m, explained.out);
    // the content still counts: the host environment of stage `host` gains a line (as a stage variable would)
    await afterStampSecond(ctx.build);
    const env = join(ctx.out, 'lib/env/host.host.sh');
    const text = readFileSync(env, 'utf8');
    writeFileSync(env, `${text}SERPENT_EDITED=1\n`);
    const changed = await run('make', ['-s', 'explain', 'STEP=host/alpha/extract', `BUILD_DIR=${ctx.build}`], {
      cwd: ctx.out,
      env: makeEnv(),
    });
    assert.is(changed.stdout, 'would run: lib/env/host.host.sh changed since the step ran\n', changed.out);
    const direct = withDependents(stepsWhere((placement, _n, _b, stage) => placement === 'host' && stage === 'host'));
    assert.ok(direct.length > 3, 'test bug: stage host has host steps');
    assert.equal(await make(), direct);
    await afterStampSecond(ctx.build);
    writeFileSync(env, text);
    assert.equal(await make(), direct, 'and back');
  });

  test('runtime edits rerun exactly the steps whose setup changed, and those that need them', async () => {
    let lib = runtimeLibrary();
    const host = stepsWhere((placement) => placement === 'host');
    const chroot = stepsWhere((placement) => placement === 'chroot');
    const unpack = stepsWhere(
      (p, name, builtin) => p === 'host' && (name === 'extract' || (name === 'patch' && builtin)),
    );
    assert.ok(host.length && chroot.length && unpack.length, 'test bug: the fixture has every kind of step');
    const edits: [string, (l: string) => string, string[]][] = [
      ['make status', (l) => insertInto(l, 'serpent_status', ': edited'), []],
      ['make report', (l) => insertInto(l, 'serpent_report', ': edited'), []],
      ['make explain', (l) => insertInto(l, 'serpent_explain', ': edited'), []],
      ['check-host', (l) => insertInto(l, 'serpent_check_host', ': edited'), []],
      ['clean', (l) => insertInto(l, 'serpent_clean', ': edited'), []],
      ['fetching', (l) => insertInto(l, 'serpent_download', ': edited'), []],
      ['the step banner and log', (l) => insertInto(l, 'serpent_step', ': edited'), []],
      ['the step lock', (l) => insertInto(l, 'serpent_step_lock', ': edited'), []],
      ['the mounts', (l) => insertInto(l, 'serpent_mount_bind', ': edited'), chroot],
      ['the host environment', (l) => insertInto(l, 'serpent_run_host', ': edited'), host],
      ['unpacking', (l) => insertInto(l, 'serpent_unpack', ': edited'), unpack],
    ];
    for (const [what, edit, direct] of edits) {
      await afterStampSecond(ctx.build);
      lib = edit(lib); // cumulative: an earlier edit stays, as in a real sequence of upgrades
      await install(lib);
      const ran = await make();
      assert.equal(ran, rerunFrom(direct), what);
      if (what === 'the mounts') {
        // a host step reruns only to give a chroot step a fresh tree: no package whose steps all run on the host
        const mixed = new Set(chroot.map((id) => id.split('/').slice(0, 2).join('/')));
        for (const id of host) {
          if (!mixed.has(id.split('/').slice(0, 2).join('/'))) assert.not.ok(ran.includes(id), `${what}: ${id} reran`);
        }
      }
    }
  });
}

test.run();
