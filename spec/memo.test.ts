// The memos carry answers from one run to the next (docs/output.md): the shell memo
// (compiler/emit/shell-memo.ts) the shell engine's, the parse memo (compiler/emit/parse-memo.ts) the recipe
// parser's. A run whose step bodies are all known compiles no shell parser, one whose recipe files are all known
// loads no grammar, and both still write exactly what a run without any cache writes; an edited body or file is
// analysed or parsed again; a memo of other code, or a damaged one, is not trusted; a parser that could not
// start leaves no answer behind; the shell memo keeps at most MEMO_MAX answers of each kind, this run's among
// them. Each run is a child process with a preloaded module that counts its WebAssembly compilations and can
// refuse to load the grammar, so "no parser" is observed, not inferred.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PARSE_MEMO_FILE } from '../compiler/emit/parse-memo.js';
import { MEMO_FILE, MEMO_MAX } from '../compiler/emit/shell-memo.js';
import { REPO_ROOT } from './helpers/paths.js';
import { tree } from './helpers/tree.js';

const root = join(tmpdir(), `serpentc-memo-${process.pid}`);
const cacheDir = join(root, 'cache');
const memoPath = join(cacheDir, MEMO_FILE);
const parseMemoPath = join(cacheDir, PARSE_MEMO_FILE);
const preload = join(root, 'count-wasm.mjs');

/**
 * Counts the WebAssembly modules the process compiles (the shell parser's, by either path) and prints it last;
 * with FAIL_WASM=1, every compilation fails, as on a machine where the parser cannot start. With NO_GRAMMAR=1,
 * importing the recipe grammar (chevrotain or grammar/'s parser modules) fails.
 */
const COUNTER = `
import { register } from 'node:module';
if (process.env.NO_GRAMMAR === '1') {
  const hook = 'export async function resolve(s, c, next) {' +
    ' if (/chevrotain|grammar.(index|parser|tokens).js$/.test(s)) throw new Error("grammar loaded: " + s);' +
    ' return next(s, c); }';
  register('data:text/javascript,' + encodeURIComponent(hook));
}
let n = 0;
for (const name of ['compile', 'instantiate']) {
  const f = WebAssembly[name];
  WebAssembly[name] = function (source, ...rest) {
    if (!(source instanceof WebAssembly.Module)) n++;
    if (process.env.FAIL_WASM === '1') return Promise.reject(new Error('no WebAssembly here'));
    return f.call(this, source, ...rest);
  };
}
process.on('exit', () => process.stderr.write('wasm-compiles ' + n + '\\n'));
`;

interface Run {
  readonly code: number;
  readonly err: string;
  /** WebAssembly modules compiled by the run */
  readonly compiles: number;
}

/** `serpentc args…` in a child process with the test's cache directory (or `cache`, e.g. 'off'). */
function serpentc(args: readonly string[], cache: string = cacheDir, env: NodeJS.ProcessEnv = {}, cwd = root): Run {
  const r = spawnSync(process.execPath, ['--import', preload, join(REPO_ROOT, 'dist/bin/serpentc.js'), ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, SERPENTC_CACHE_DIR: cache, NO_COLOR: '1', ...env },
  });
  const m = /^wasm-compiles (\d+)$/m.exec(r.stderr);
  assert.ok(m, `no count in:\n${r.stderr}`);
  return { code: r.status ?? -1, err: r.stderr.replace(/^wasm-compiles \d+\n/m, ''), compiles: Number(m[1]) };
}

/** A fresh copy of the e2e recipes (patches and files included). */
function recipes(name: string): string {
  const dir = join(root, name);
  cpSync(join(REPO_ROOT, 'spec/e2e/stages'), dir, { recursive: true });
  return dir;
}

/** The generation of `dir` into a new out/ without any cache: what every run with a memo must write. */
function uncached(dir: string): Map<string, string> {
  const out = join(root, `uncached-${Math.random().toString(36).slice(2)}`);
  const r = serpentc([dir, '-o', out], 'off');
  assert.is(r.code, 0, r.err);
  assert.ok(r.compiles > 0, 'without a cache the shell parser is compiled');
  return tree(out);
}

interface Memo {
  version: number;
  key: string;
  analyses: [string, unknown][];
  formats: [string, string][];
}
const readMemo = (): Memo => JSON.parse(readFileSync(memoPath, 'utf8')) as Memo;

test.before.each(() => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(preload, COUNTER);
});

test.after.each(() => {
  rmSync(root, { recursive: true, force: true });
});

test('a run whose bodies are all known compiles no shell parser and writes what an uncached run writes', () => {
  const dir = recipes('stages');
  const first = serpentc([dir, '-o', join(root, 'out1')]);
  assert.is(first.code, 0, first.err);
  assert.ok(first.compiles > 0, 'the first run needs the parser');
  const memo = readMemo();
  assert.ok(memo.analyses.length > 0 && memo.formats.length > 0, 'the first run wrote its answers');
  const second = serpentc([dir, '-o', join(root, 'out2')]); // a new out/: neither output cache applies
  assert.is(second.code, 0, second.err);
  assert.is(second.compiles, 0, 'every answer came from the memo');
  assert.equal(tree(join(root, 'out2')), uncached(dir));
  // and `check` reads the same memo
  const check = serpentc(['check', dir]);
  assert.is(check.code, 0, check.err);
  assert.is(check.compiles, 0);
  // with the cache off, no memo is read or written
  rmSync(memoPath);
  assert.is(serpentc([dir, '-o', join(root, 'out3')], 'off').code, 0);
  assert.throws(() => statSync(memoPath));
});

test('an edited body is analysed and formatted again, the others still come from the memo', () => {
  const dir = recipes('stages');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const file = join(dir, 'stage1/musl.recipe');
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.trim() === 'make install') + 1;
  assert.ok(line > 0);
  // a syntax error in one body: reported at its place, although the memo knows the body as it was
  writeFileSync(file, text.replace('    make install\n', '    make install\n    if true; then\n'));
  const broken = serpentc(['check', dir]);
  assert.is(broken.code, 1);
  assert.match(broken.err, `musl.recipe:${line + 1}:5: error[shell-syntax]`);
  assert.ok(broken.compiles > 0, 'the new body needed the parser');
  // a valid edit with a layout to normalise: the generated script is the uncached one
  writeFileSync(file, text.replace('    make install\n', '    make install\n    if true;   then  :; fi\n'));
  const edited = serpentc([dir, '-o', join(root, 'out2')]);
  assert.is(edited.code, 0, edited.err);
  assert.ok(edited.compiles > 0);
  const out = tree(join(root, 'out2'));
  assert.equal(out, uncached(dir));
  assert.ok(
    [...out.values()].some((s) => s.includes('if true; then :; fi')),
    'the edited body, formatted',
  );
  // back to the original: every body is known again (the memo keeps the old and the new answers)
  writeFileSync(file, text);
  const back = serpentc(['check', dir]);
  assert.is(back.code, 0, back.err);
  assert.is(back.compiles, 0);
});

test('a memo of other code, or a damaged one, is not trusted: the answers are made again', () => {
  const dir = recipes('stages');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const memo = readMemo();
  const body = memo.analyses[0][0];
  const forged = { error: { message: 'forged', line: 1, col: 1 }, commands: [], refs: [], assigns: [] };
  const expected = uncached(dir);
  const damaged: Array<[string, string]> = [
    ['another code key', JSON.stringify({ ...memo, key: 'x', analyses: [[body, forged]] })],
    ['another version', JSON.stringify({ ...memo, version: 2, analyses: [[body, forged]] })],
    ['cut short', JSON.stringify(memo).slice(0, 1000)],
    ['not JSON', 'garbage'],
    [
      'answers of the wrong shape',
      JSON.stringify({
        ...memo,
        analyses: memo.analyses.map(([b], i) => [b, [null, 'x', { error: 'no' }, { ...forged, commands: [1] }][i % 4]]),
        formats: memo.formats.map(([b]) => [b, 42]),
      }),
    ],
  ];
  for (const [what, content] of damaged) {
    writeFileSync(memoPath, content);
    const out = join(root, `out-${what.replace(/ /g, '-')}`);
    const r = serpentc([dir, '-o', out]);
    assert.is(r.code, 0, `${what}: ${r.err}`);
    assert.not.match(r.err, 'forged', what);
    assert.ok(r.compiles > 0, `${what}: the parser made the answers`);
    assert.equal(tree(out), expected, what);
    assert.is(readMemo().key, memo.key, `${what}: replaced by this code's memo`);
  }
});

test("a parser that cannot start is not an answer: the next run's parser makes them", () => {
  const dir = recipes('stages');
  const failed = serpentc(['check', dir], cacheDir, { FAIL_WASM: '1' });
  assert.is(failed.code, 1);
  assert.match(failed.err, /the shell parser (could not run|gave up)/);
  assert.not.match(failed.err, /nested too deeply/, 'the hint is for a body that trapped the parser, not this');
  const memo = ((): string => {
    try {
      return readFileSync(memoPath, 'utf8');
    } catch {
      return '';
    }
  })();
  assert.not.match(memo, /the shell parser (could not run|gave up)/);
  const next = serpentc([dir, '-o', join(root, 'out')]);
  assert.is(next.code, 0, next.err);
  assert.ok(next.compiles > 0);
  assert.equal(tree(join(root, 'out')), uncached(dir));
});

test('a body the printer could not print is not an answer either: the next run formats it', () => {
  const dir = recipes('stages');
  assert.is(serpentc(['check', dir]).code, 0); // the memo knows every analysis, no formatted body
  // the analyses come from the memo, but the printer cannot start: the bodies are kept as written
  const failed = serpentc([dir, '-o', join(root, 'out1')], cacheDir, { FAIL_WASM: '1' });
  assert.is(failed.code, 0, failed.err);
  assert.ok(failed.compiles > 0);
  const expected = uncached(dir);
  assert.not.equal(tree(join(root, 'out1')), expected, 'the printer really failed');
  const next = serpentc([dir, '-o', join(root, 'out2')]);
  assert.is(next.code, 0, next.err);
  assert.ok(next.compiles > 0, 'the bodies were printed again');
  assert.equal(tree(join(root, 'out2')), expected);
});

test(`the memo keeps this run's answers and at most ${MEMO_MAX} of each kind, the least recently used dropped`, () => {
  const dir = recipes('stages');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const memo = readMemo();
  const info = { error: null, commands: [], refs: [], assigns: [] };
  const ours = new Set(memo.analyses.map(([b]) => b));
  // One of this run's bodies is unknown, so that the run learns something and saves. The others are the memo's
  // least recently used answers, followed by bodies no recipe has, up to MEMO_MAX: this run's use of its bodies
  // must make them the most recent, or saving would drop one of them.
  const [unknown] = ours;
  const known = memo.analyses.filter(([b]) => b !== unknown);
  const old = Array.from({ length: MEMO_MAX - known.length }, (_, i): [string, unknown] => [`: old ${i}\n`, info]);
  writeFileSync(memoPath, JSON.stringify({ ...memo, analyses: [...known, ...old] }));
  const r = serpentc(['check', dir]);
  assert.is(r.code, 0, r.err);
  assert.ok(r.compiles > 0, 'the unknown body needed the parser');
  const saved = readMemo().analyses.map(([b]) => b);
  assert.is(saved.length, MEMO_MAX);
  for (const b of ours) assert.ok(saved.includes(b), `this run's body kept: ${b.slice(0, 40)}`);
  assert.not.ok(saved.includes(': old 0\n'), 'the least recently used answer dropped');
  assert.ok(saved.includes(': old 1\n'), 'the next one kept');
});

test('a run whose recipe files are all known loads no grammar and writes what an uncached run writes', () => {
  const dir = recipes('stages');
  const noGrammar = { NO_GRAMMAR: '1' };
  // the hook works: without a memo the grammar is needed, and refused
  const refused = serpentc(['check', dir], 'off', noGrammar);
  assert.is(refused.code, 3, refused.err);
  assert.match(refused.err, 'grammar loaded');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const second = serpentc([dir, '-o', join(root, 'out2')], cacheDir, noGrammar);
  assert.is(second.code, 0, second.err);
  assert.equal(tree(join(root, 'out2')), uncached(dir));
  // the display path is part of what a result is known by (every location carries it): another spelling of the
  // same directory is parsed again
  const relative = serpentc(['check', 'stages'], cacheDir, noGrammar, root);
  assert.is(relative.code, 3);
  assert.match(relative.err, 'grammar loaded');
  assert.is(serpentc(['check', 'stages'], cacheDir, {}, root).code, 0);
  assert.is(serpentc(['check', 'stages'], cacheDir, noGrammar, root).code, 0);
});

test('an edited recipe file is parsed again; a file with a syntax error is never an answer', () => {
  const dir = recipes('stages');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const file = join(dir, 'stage3/zlib.recipe');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /\n {2}version = "/);
  // a syntax error: reported, although the memo knows the file as it was
  writeFileSync(file, text.replace(/\n {2}version = "/, '\n  version = = "'));
  const broken = serpentc(['check', dir]);
  assert.is(broken.code, 1);
  assert.match(broken.err, /zlib\.recipe:\d+:\d+: error\[syntax-error\]/);
  // still reported on the next run: the broken parse was not kept
  assert.match(serpentc(['check', dir], cacheDir).err, 'error[syntax-error]');
  // a valid edit: the generation is the uncached one
  writeFileSync(file, text.replace(/\n {2}version = "([^"]*)"/, '\n  version = "$1.99"'));
  const edited = serpentc([dir, '-o', join(root, 'out2')]);
  assert.is(edited.code, 0, edited.err);
  const out = tree(join(root, 'out2'));
  assert.equal(out, uncached(dir));
  assert.ok([...out.values()].some((f) => f.includes('1.2.13.99')));
});

test('a parse memo of other code, cut short or altered in one byte is not trusted', () => {
  const dir = recipes('stages');
  assert.is(serpentc([dir, '-o', join(root, 'out1')]).code, 0);
  const good = readFileSync(parseMemoPath, 'utf8');
  const nl = good.indexOf('\n');
  const header = JSON.parse(good.slice(0, nl)) as { key: string };
  // an altered byte that is still valid JSON of the right shape: a line number in some location
  const altered = good.replace(/"line":(\d+)/, (_, n: string) => `"line":${Number(n) + 1}`);
  assert.is.not(altered, good);
  const expected = uncached(dir);
  const damaged: Array<[string, string]> = [
    ['another code key', good.replace(header.key, 'x'.repeat(header.key.length))],
    ['cut short', good.slice(0, good.length - 100)],
    ['altered', altered],
    ['no header', good.slice(nl + 1)],
  ];
  for (const [what, content] of damaged) {
    writeFileSync(parseMemoPath, content);
    assert.is(serpentc(['check', dir], cacheDir, { NO_GRAMMAR: '1' }).code, 3, `${what}: the grammar is needed`);
    writeFileSync(parseMemoPath, content);
    const out = join(root, `out-${what.replace(/ /g, '-')}`);
    const r = serpentc([dir, '-o', out]);
    assert.is(r.code, 0, `${what}: ${r.err}`);
    assert.equal(tree(out), expected, what);
    assert.is(readFileSync(parseMemoPath, 'utf8'), good, `${what}: replaced by this run's memo`);
  }
});

test.run();
