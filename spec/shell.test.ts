// compiler/shell/: POSIX validation of step bodies (batched through mvdan/sh) and command/variable extraction.
// One file (over 400 lines) on purpose: its last test re-validates every body the extraction tests scanned.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getProcessor } from 'sh-syntax';
import { test } from 'uvu';
import { prng as rng } from '../bench/synth.js'; // deterministic, so random tests are reproducible
import * as assert from 'uvu/assert';
import { analyzeShell, scanShell, SHELL_BUILTINS } from '../compiler/shell/index.js';
import type { ShellError, ShellInfo, ShellOptions } from '../compiler/shell/index.js';
import { getEngine } from '../compiler/shell/engine.js';
import { shellInstance } from '../compiler/shell/wasm.js';
import { PACKAGE_ROOT } from '../compiler/paths.js';
import { PRINTER_TEXTS } from './helpers/shell-texts.js';

const one = async (body: string, options?: ShellOptions): Promise<ShellInfo> =>
  (await analyzeShell([body], options))[0];
const names = (list: readonly { name: string }[]): string[] => list.map((x) => x.name);

/** Deliberately wrong input, to check that analyzeShell and scanShell never throw: the cast is the point. */
const untyped = <T>(value: unknown): T => value as T;

/** The error a result must have: fails the test when there is none. */
function errorOf(info: ShellInfo, what: string): ShellError {
  assert.ok(info.error, what);
  return info.error;
}

/** 1-based line/col of the `nth` occurrence of `needle` in `text` (plus `shift` characters). */
function where(text: string, needle: string, nth = 0, shift = 0): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`test bug: ${JSON.stringify(needle)} #${nth} not in ${JSON.stringify(text)}`);
  }
  i += shift;
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return { line, col: i - before.lastIndexOf('\n') };
}

const FRAGMENTS = [
  'echo hi',
  'make -j"$jobs"',
  '"',
  "'",
  '`',
  '$(',
  ')',
  '(',
  '{',
  '}',
  ' ; ',
  '\n',
  ' && ',
  ' | ',
  '&',
  'if x; then',
  'fi',
  'for i in a b; do',
  'done',
  'case $x in',
  'a)',
  ';;',
  'esac',
  'cat <<EOF',
  'EOF',
  "<<'Q'",
  'Q',
  '<<-T',
  '\tT',
  '${x:-',
  '${',
  '$((1+',
  '))',
  '\\',
  '#',
  'é',
  '日本',
  '😀',
  '\u0000',
  '\r',
  'x=(1 2)',
  '[[ a ]]',
  '>&2',
  'f() {',
  '$x',
  '\\\n',
  ':',
  'function g {',
];

/** Random shell-ish text: mostly fragments that break or re-balance structure, sometimes raw characters. */
function garbage(rand: () => number, maxParts = 8): string {
  let s = '';
  const parts = Math.floor(rand() * maxParts);
  for (let i = 0; i < parts; i++) {
    if (rand() < 0.8) s += FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)];
    else s += String.fromCharCode(Math.floor(rand() * 0x3000));
    if (rand() < 0.5) s += rand() < 0.5 ? ' ' : '\n';
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// API shape
// ---------------------------------------------------------------------------------------------------------

test('the wasm engine failing to start gives every body an error instead of throwing', async () => {
  const Go = globalThis.Go;
  Reflect.deleteProperty(globalThis, 'Go');
  try {
    const r = await analyzeShell(['echo a', 'echo b'], { engine: 'wasm' });
    assert.is(r.length, 2);
    for (const x of r) {
      assert.ok(x.error);
      assert.match(x.error.message, /could not run/);
    }
  } finally {
    globalThis.Go = Go;
  }
});

test('results have the input order and length; nothing in means nothing out', async () => {
  const r = await analyzeShell(['make', 'echo "x', 'ninja', '']);
  assert.is(r.length, 4);
  assert.equal(names(r[0].commands), ['make']);
  assert.ok(r[1].error);
  assert.equal(names(r[2].commands), ['ninja']);
  assert.equal(r[3], { error: null, commands: [], refs: [], assigns: [] });
  assert.equal(await analyzeShell([]), []);
  assert.equal(await analyzeShell(untyped<string[]>(null)), []);
});

test('non-string items are treated as text and do not throw', async () => {
  const r = await analyzeShell(untyped<string[]>([undefined, 42, 'make']));
  assert.is(r.length, 3);
  assert.is(r[0].error, null);
  assert.equal(names(r[1].commands), ['42']);
  assert.equal(names(r[2].commands), ['make']);
});

test('identical bodies are analysed once and share one frozen result', async () => {
  const r = await analyzeShell(['make install', 'ninja', 'make install', 'echo "x', 'echo "x']);
  assert.ok(r[0] === r[2]);
  assert.ok(r[3] === r[4]);
  assert.ok(r[0] !== r[1]);
  assert.ok(Object.isFrozen(r[0]) && Object.isFrozen(r[0].commands) && Object.isFrozen(r[0].commands[0]));
  assert.ok(Object.isFrozen(r[3].error));
});

test('SHELL_BUILTINS holds POSIX built-ins and reserved words, not external tools or bash-isms', () => {
  for (const b of [
    'cd',
    'export',
    'set',
    'unset',
    'shift',
    'exit',
    'return',
    '.',
    ':',
    'true',
    'false',
    'test',
    '[',
    'echo',
    'printf',
    'read',
    'eval',
    'exec',
    'local',
    'trap',
    'wait',
    'command',
    'type',
    'ulimit',
    'umask',
    'alias',
    'unalias',
    'getopts',
    'hash',
    'readonly',
    'times',
    'break',
    'continue',
    'kill',
    'pwd',
    'jobs',
    'fg',
    'bg',
    'if',
    'then',
    'elif',
    'else',
    'fi',
    'for',
    'in',
    'do',
    'done',
    'while',
    'until',
    'case',
    'esac',
    '{',
    '}',
    '!',
    'time',
  ]) {
    assert.ok(SHELL_BUILTINS.has(b), b);
  }
  for (const x of ['make', 'env', 'nice', 'nohup', 'xargs', 'find', 'sed', '[[', 'source', 'declare', 'let']) {
    assert.not.ok(SHELL_BUILTINS.has(x), x);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------

test('syntax errors carry mvdan/sh messages and body-relative positions', async () => {
  const cases = [
    { body: 'echo ok\necho "unterminated', at: ['"', 0], msg: /without closing quote/ },
    { body: "echo 'a", at: ["'", 0], msg: /without closing quote/ },
    { body: 'true\nif true; then\n  make\n', at: ['if', 0], msg: /must end with `fi`/ },
    { body: 'cat <<EOF\nno end', at: ['<<', 0], msg: /unclosed here-document/ },
    { body: 'echo $(date', at: ['$(', 0], msg: /\$\(/ },
    { body: 'fi', at: ['fi', 0], msg: /fi/ },
    { body: 'done', at: ['done', 0], msg: /done/ },
    { body: '}', at: ['}', 0], msg: /close a block/ },
    { body: 'a && && b', at: ['&&', 0], msg: /&&/ },
  ];
  const r = await analyzeShell(cases.map((c) => c.body));
  cases.forEach((c, i) => {
    const e = r[i].error;
    assert.ok(e, c.body);
    assert.match(e.message, c.msg, c.body);
    assert.equal({ line: e.line, col: e.col }, where(c.body, String(c.at[0]), Number(c.at[1])), c.body);
    assert.equal([r[i].commands, r[i].refs, r[i].assigns], [[], [], []], 'no extraction for a broken body');
  });
});

test('bash-only syntax is rejected in POSIX mode; `[[` parses as a command and is reported as one', async () => {
  const bash: [string, RegExp][] = [
    ['a=(1 2)', /arrays/],
    ['echo ${a[1]}', /arrays/],
    ['function f { :; }', /function/],
    ['make &>/dev/null', /&>/],
    ['cat <<<word', /herestring/],
    ['echo ${x/a/b}', /search and replace/],
    ['echo ${x:1:2}', /slicing/],
    ['diff <(ls) x', /./],
    ['echo ${!x}', /./],
    ['echo ${x^^}', /./],
  ];
  const r = await analyzeShell(bash.map(([b]) => b));
  bash.forEach(([body, msg], i) => {
    const e = errorOf(r[i], body);
    assert.match(e.message, msg, body);
    assert.not.match(e.message, /^\d+:\d+:/, 'position prefix stripped from the message');
  });
  // messages that carry only "line:col" are positioned too
  const [e0, e1] = [errorOf(r[0], 'a=(1 2)'), errorOf(r[1], 'echo ${a[1]}')];
  assert.equal({ line: e0.line, col: e0.col }, where('a=(1 2)', '('));
  assert.equal({ line: e1.line, col: e1.col }, where('echo ${a[1]}', '['));
  const dbl = await one('[[ -f x ]] && make');
  assert.is(dbl.error, null);
  assert.equal(names(dbl.commands), ['[[', 'make']);
});

test('error columns count characters, not UTF-8 bytes', async () => {
  const body = 'echo "é日本😀"\necho é日本😀 "unclosed';
  const e = (await one(body)).error;
  assert.ok(e);
  assert.equal({ line: e.line, col: e.col }, where(body, '"', 2));
  const lang = 'echo é日本😀; a=(1)';
  const e2 = (await one(lang)).error;
  assert.ok(e2);
  assert.equal({ line: e2.line, col: e2.col }, where(lang, '('));
});

test('one broken body among many valid ones: exactly one error, at its own position', async () => {
  const bodies = Array.from(
    { length: 400 },
    (_, i) => `./configure --opt=${i}\nmake -j"\${jobs}" target${i}\nmake install`,
  );
  const bad = 'echo start\nfor x in a b; do\n  echo "$x\ndone';
  bodies[217] = bad;
  for (const batchBytes of [undefined, 1, 700, 1 << 20]) {
    const r = await analyzeShell(bodies, { batchBytes });
    const errs = r.map((x, i) => ({ i, e: x.error })).filter(({ e }) => e);
    assert.is(errs.length, 1, `batchBytes=${batchBytes}`);
    assert.is(errs[0].i, 217);
    const e = errorOf(r[217], bad);
    assert.equal({ line: e.line, col: e.col }, where(bad, '"'));
    assert.equal(names(r[216].commands), ['make', 'make']);
    assert.equal(names(r[218].commands), ['make', 'make']);
  }
});

test('bodies that leak out of their place in a batch still get their own result', async () => {
  const tricky = [
    'cat <<EOF', // unterminated here-document …
    'EOF', // … that the next body would terminate
    'cat <<:', // a delimiter equal to the separator between bodies
    'x\n} | {\ny', // closes and reopens whatever might wrap it
    '}\n{',
    ') | (',
    'echo a \\', // a line continuation into the next body
    'echo a &&',
    'echo a |',
    'if true; then',
    'fi',
    'case x in',
    'esac',
    'echo $(',
    ')',
    "echo '",
    "'",
    '#',
    'f()',
    '{ :; }',
    'echo "',
    '"',
    '',
    '   \n\t',
    'ok1',
  ];
  const alone = await analyzeShell(tricky, { batchBytes: 1 });
  for (const batchBytes of [undefined, 64, 1 << 20]) {
    const batched = await analyzeShell(tricky, { batchBytes });
    tricky.forEach((b, i) => assert.equal(batched[i], alone[i], `${JSON.stringify(b)} batchBytes=${batchBytes}`));
  }
  // sanity: the escapes are errors on their own, the harmless ones are not
  const err = (b: string): boolean => alone[tricky.indexOf(b)].error !== null;
  for (const b of ['cat <<EOF', 'cat <<:', 'x\n} | {\ny', '}\n{', 'echo a &&', 'if true; then', 'echo $(', 'f()'])
    assert.ok(err(b), b);
  for (const b of ['EOF', '#', '{ :; }', '', '   \n\t', 'ok1']) assert.not.ok(err(b), b);
});

test('random bodies: batched results equal the results of parsing each body alone', async () => {
  const rand = rng(12345);
  const bodies = Array.from({ length: 600 }, () => garbage(rand));
  const alone = await analyzeShell(bodies, { batchBytes: 1 });
  const batched = await analyzeShell(bodies);
  const big = await analyzeShell(bodies, { batchBytes: 1 << 20 });
  for (let i = 0; i < bodies.length; i++) {
    assert.equal(batched[i], alone[i], JSON.stringify(bodies[i]));
    assert.equal(big[i], alone[i], JSON.stringify(bodies[i]));
  }
  assert.ok(alone.some((x) => x.error) && alone.some((x) => !x.error), 'the corpus mixes valid and invalid bodies');
});

test('a parser crash (deep nesting) is an error for that body only; the parser recovers', async () => {
  const deep = '('.repeat(20000) + 'x' + ')'.repeat(20000);
  const r = await analyzeShell(['make', deep, 'echo "x', 'ninja']);
  assert.ok(r[1].error);
  assert.match(r[1].error.message, /gave up.*; is it nested too deeply\?$/);
  assert.equal([r[1].error.line, r[1].error.col], [1, 1]);
  assert.equal(names(r[0].commands), ['make']);
  assert.match(r[2].error?.message ?? '', /closing quote/);
  assert.equal(names(r[3].commands), ['ninja']);
  assert.equal(names((await one('cmake ..')).commands), ['cmake']);
});

test('a large body is parsed (no "memory access out of bounds" as with the public parse())', async () => {
  const body = 'echo hello "$x" | grep -q foo && make -j4 install\n'.repeat(6000); // ~300 KB
  const r = await one(body);
  assert.is(r.error, null);
  assert.is(r.commands.length, 12000); // grep and make; echo is a builtin
  const bad = await one(`${body}echo "tail`);
  assert.ok(bad.error);
  assert.equal({ line: bad.error.line, col: bad.error.col }, { line: 6001, col: 6 });
});

test('the public parse() engine gives the same answers', async () => {
  const rand = rng(777);
  const bodies = [
    'make',
    'echo "x',
    'a=(1)',
    'if x; then',
    'cat <<EOF\n$x\nEOF',
    'echo é"',
    ...Array.from({ length: 24 }, () => garbage(rand)),
  ];
  const wasm = await analyzeShell(bodies);
  const pub = await analyzeShell(bodies, { engine: 'public' });
  const pubSmall = await analyzeShell(bodies, { engine: 'public', batchBytes: 1 });
  bodies.forEach((b, i) => {
    assert.equal(pub[i], wasm[i], JSON.stringify(b));
    assert.equal(pubSmall[i], wasm[i], JSON.stringify(b));
  });
});

test("the wasm engine prints exactly what sh-syntax's processor prints, between parses on the same instance", async () => {
  const engine = await getEngine('auto'); // 'wasm' is cached failed by the first test, by design
  assert.is(engine.name, 'wasm');
  const print = engine.print;
  if (!print) throw new Error('the wasm engine has no printer');
  const processor = getProcessor((imports) => shellInstance(imports));
  const rand = rng(99);
  const outDir = join(PACKAGE_ROOT, 'out');
  const scripts = readdirSync(outDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sh'))
    .sort() // sort for determinism
    .slice(0, 40)
    .map((f) => readFileSync(join(outDir, f), 'utf8'));
  const texts = [
    ...PRINTER_TEXTS,
    'a && \\\n  b || c',
    'x=$(printf %s "a  b") >out 2>&1',
    'a=(1 2)', // bash, which the printer accepts
    'echo é  ü',
    ...scripts,
    ...Array.from({ length: 40 }, () => garbage(rand)),
  ];
  let printed = 0;
  for (const text of texts) {
    const expected = await processor(text, { print: true }).catch(() => null);
    let actual: string | null;
    try {
      actual = print(text);
    } catch {
      actual = null;
    }
    assert.is(actual, expected, JSON.stringify(text.slice(0, 200)));
    if (actual !== null) printed++;
    assert.is((await engine.parse('a; b')).kind, 'ok'); // printing leaves the instance fit for parsing
  }
  assert.ok(printed > 40, `printed ${printed}`);
});

test('never throws on a few thousand random strings', async () => {
  const rand = rng(4242);
  const bodies = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 3 === 0) bodies.push(garbage(rand, 20));
    else {
      let s = '';
      const n = Math.floor(rand() * 40);
      for (let k = 0; k < n; k++)
        s += String.fromCharCode(rand() < 0.7 ? 32 + Math.floor(rand() * 95) : Math.floor(rand() * 0xffff));
      bodies.push(s);
    }
  }
  const r = await analyzeShell(bodies);
  assert.is(r.length, bodies.length);
  for (const x of r) {
    assert.ok(x.error === null || (typeof x.error.message === 'string' && x.error.line >= 1 && x.error.col >= 1));
    assert.ok(Array.isArray(x.commands) && Array.isArray(x.refs) && Array.isArray(x.assigns));
  }
  // the scanner alone, on text that does not parse, must not throw either
  for (const b of bodies) {
    const s = scanShell(b);
    assert.ok(Array.isArray(s.commands));
  }
});

// ---------------------------------------------------------------------------------------------------------
// Extraction (scanShell is what analyzeShell reports for a body that parses)
// ---------------------------------------------------------------------------------------------------------

/** Every body scanned by the extraction tests (collected so the test above can validate them). */
const EXAMPLES: string[] = [];
function scan(body: string): ShellInfo {
  EXAMPLES.push(body);
  return scanShell(body);
}

test('commands: simple, with operators, with positions', () => {
  const body = 'make -j4 && make install\n\tninja || cmake ..; strip x & tar c | gzip\n(sub1; sub2)';
  const r = scan(body);
  assert.equal(names(r.commands), ['make', 'make', 'ninja', 'cmake', 'strip', 'tar', 'gzip', 'sub1', 'sub2']);
  assert.equal(r.commands[1], { name: 'make', ...where(body, 'make', 1) });
  assert.equal(r.commands[2], { name: 'ninja', ...where(body, 'ninja') });
  assert.equal(r.commands[8], { name: 'sub2', ...where(body, 'sub2') });
});

test('builtins and reserved words are not commands', () => {
  const r = scan(
    'cd x; export A=1; set -e; shift; . ./env; : ok; true; false; test -f x; [ -d y ]; echo; printf x; eval "$A"\n' +
      'if true; then :; elif false; then :; else :; fi; while false; do :; done; until true; do :; done\n' +
      '{ pwd; }; ! false; umask 022; ulimit -n 1; trap "" INT; wait; type x; hash -r; times; kill -0 1',
  );
  assert.equal(r.commands, []);
});

test('command words with a slash or an expansion are not PATH lookups; quoted or escaped names are', () => {
  const body =
    './configure; /usr/bin/x; "${srcdir}/configure"; $CC -c x.c; ${make}; a${b}; "make" all; \\gmake; ~/bin/t';
  const r = scan(body);
  assert.equal(names(r.commands), ['make', 'gmake']);
  assert.equal(r.commands[0], { name: 'make', ...where(body, '"make"') });
  assert.equal(names(r.refs), ['srcdir', 'CC', 'make', 'b']);
});

test('quotes and escapes: single quotes and \\$ are literal; double quotes expand', () => {
  const body = `echo '$a $(no)' "$b \\$c \`yes1\`" \\$d "\\\\$e" '\`no2\`'`;
  const r = scan(body);
  assert.equal(names(r.refs), ['b', 'e']);
  assert.equal(names(r.commands), ['yes1']);
  assert.equal(r.refs[0], { name: 'b', ...where(body, '$b', 0, 1) });
});

test('variable references point at the name; special parameters are not references', () => {
  const body = 'echo $a ${b} "${c}" $1 ${10} $@ $* $# $? $- $$ $! $0 ${#} ${@} x$e';
  const r = scan(body);
  assert.equal(names(r.refs), ['a', 'b', 'c', 'e']);
  assert.equal(r.refs[1], { name: 'b', ...where(body, '${b}', 0, 2) });
  assert.equal(r.refs[3], { name: 'e', ...where(body, '$e', 0, 1) });
});

test('${name op word}: guarded forms need no definition, but their words are scanned', () => {
  const body =
    'echo ${a:-$w1} ${b-x} ${c:+$(cmd1)} ${d+y} ${e:=1} ${f=2} ${g:?msg $w2} ${h?m} ${#i} ${j%.c} ${k%%.*} ${l#*/} ${m##*/}';
  const r = scan(body);
  assert.equal(names(r.refs), ['w1', 'g', 'w2', 'h', 'i', 'j', 'k', 'l', 'm']);
  assert.equal(names(r.commands), ['cmd1']);
  assert.equal(r.assigns, ['e', 'f'], ':= and = assign');
  assert.equal(r.refs[4], { name: 'i', ...where(body, '${#i}', 0, 3) });
});

test('${...} inside double quotes, with nested quotes and substitutions', () => {
  const r = scan(`echo "\${a:-"nested $b"}" "\${c:-'$d'}" "\${e:-\`cmd2\`}" \${f:-'$no'}`);
  assert.equal(names(r.refs), ['b', 'd']);
  assert.equal(names(r.commands), ['cmd2']);
});

test('$(...) and backticks are scanned as commands, nested and with escapes', () => {
  const body =
    'x=$(cmd1 | cmd2 "$(nested $v)")\ny=`bt1 \\`bt2 $w\\``\nz="$(in_dq) `bt3`"\necho $( (subsh) ) $(case a in a) inc;; esac)';
  const r = scan(body);
  assert.equal(names(r.commands), ['cmd1', 'cmd2', 'nested', 'bt1', 'bt2', 'in_dq', 'bt3', 'subsh', 'inc']);
  assert.equal(names(r.refs), ['v', 'w']);
  assert.equal(r.assigns, ['x', 'y', 'z']);
  assert.equal(r.commands[4], { name: 'bt2', ...where(body, 'bt2') });
  assert.equal(r.refs[1], { name: 'w', ...where(body, '$w', 0, 1) });
});

test('$((...)): bare names and $names are references, numbers are not, assignments assign', () => {
  const body = 'echo $((a + b * 2)) $(( c = 1 )) $(( d += x )) $((e++)) $((--f)) $((0x1f + 8#17 + 10 + $g)) $(( (h) ))';
  const r = scan(body);
  assert.equal(names(r.refs), ['a', 'b', 'x', 'g', 'h']);
  assert.equal(r.assigns, ['c', 'd', 'e', 'f']);
  assert.equal(r.refs[0], { name: 'a', ...where(body, 'a +') });
  assert.equal(names(scan('echo $(( $(count) + `n` ))').commands), ['count', 'n']);
});

test('here-documents: quoted delimiters switch expansion off; bodies are not commands', () => {
  const body = [
    'cat <<EOF >out',
    'notacmd $h1 `hcmd1` $(hcmd2) \\$no1 "$h2"',
    'EOF',
    "cat <<'EOF'",
    'notacmd $no2 $(no3)',
    'EOF',
    'cat <<"X" <<-Y; tr a b <<\\Z',
    '$no4',
    'X',
    '\t$h3',
    '\tY',
    '$no5',
    'Z',
    'cat <<E"O"F',
    '$no6',
    'EOF',
    'after',
  ].join('\n');
  const r = scan(body);
  assert.equal(names(r.commands), ['cat', 'hcmd1', 'hcmd2', 'cat', 'cat', 'tr', 'cat', 'after']);
  assert.equal(names(r.refs), ['h1', 'h2', 'h3']);
  assert.equal(r.refs[2], { name: 'h3', ...where(body, '$h3', 0, 1) });
  assert.equal(r.commands[1], { name: 'hcmd1', ...where(body, 'hcmd1') });
});

test('here-documents inside $(...) and an unterminated one do not confuse the scanner', () => {
  const r = scan('v=$(cat <<EOF\n$inner\nEOF\n)\nnext');
  assert.equal(names(r.commands), ['cat', 'next']);
  assert.equal(names(r.refs), ['inner']);
  const u = scanShell('cat <<EOF\n$x\nstill');
  assert.equal(names(u.refs), ['x']);
});

test('comments are skipped; # inside a word or ${#…} is not a comment', () => {
  const r = scan('# make $a\necho a#b "$b" # $c cmd\n  # indented $d\n${#e} $#');
  assert.equal(names(r.refs), ['b', 'e']);
  assert.equal(r.commands, []);
});

test('redirections: targets are not commands, with or without fd numbers', () => {
  const r = scan(
    'make 2>&1 >log; >out ninja; cat <in 3<>rw >|clob 2>>err; exec 3>&1 4<&-; 2>/dev/null cmake; tool >"$dest"',
  );
  assert.equal(names(r.commands), ['make', 'ninja', 'cat', 'cmake', 'tool']);
  assert.equal(names(r.refs), ['dest']);
});

test('case: patterns are not commands, bodies are; nested cases; esac as an argument', () => {
  const body =
    'case "$x" in\n  a|b) ca ;;\n  (c) cb; echo esac ;;\n  *.tar) case $y in z) inner;; esac ;;\n  *) cd2\nesac\nafter';
  const r = scan(body);
  assert.equal(names(r.commands), ['ca', 'cb', 'inner', 'cd2', 'after']);
  assert.equal(names(r.refs), ['x', 'y']);
  assert.equal(names(scan('case x\nin\n(p) q;;\nesac; r').commands), ['q', 'r']);
  assert.equal(names(scan('case x in esac; s').commands), ['s']);
});

test('for: the name is assigned, the words are not commands', () => {
  const r = scan(
    'for i in one two $(seq 3) "$list"; do body "$i"; done\nfor j; do x2 "$j"; done\nfor k\nin a b\ndo x3; done',
  );
  assert.equal(names(r.commands), ['seq', 'body', 'x2', 'x3']);
  assert.equal(r.assigns, ['i', 'j', 'k']);
  assert.equal(names(r.refs), ['list']);
});

test('function definitions: the name is not a command, but `command name` is', () => {
  const body = 'f() { inner; }\ng () ( sub )\nmake() { command make -j1 "$@"; }\nf; g; make; command f';
  const r = scan(body);
  assert.equal(names(r.commands), ['inner', 'sub', 'make', 'f']);
  assert.equal(r.commands[2], { name: 'make', ...where(body, 'make', 1) });
});

test('assignments: prefixes and bare ones assign; arguments of other commands do not', () => {
  const r = scan('A=b cmd "$A"; B=c; C=$(gen) D="$E"\nmake DESTDIR="$F" install\necho $A $B $C $D');
  assert.equal(r.assigns, ['A', 'B', 'C', 'D']);
  assert.equal(names(r.commands), ['cmd', 'gen', 'make']);
  assert.equal(names(r.refs), ['E', 'F']);
});

test('export, readonly, local, read, unset and getopts define names', () => {
  const r = scan(
    'export A=1 B; readonly C=2 -p; local D E=3\nread -r F G; unset H; unset -f fn; unset -v I\ngetopts ab: opt\n' +
      'echo $A $B $C $D $E $F $G $H $I $opt $OPTARG $fn $J',
  );
  assert.equal(r.assigns, ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'OPTARG', 'opt']);
  assert.equal(names(r.refs), ['fn', 'J']);
});

test('references to names the body assigns are dropped, wherever the assignment is', () => {
  const r = scan('echo "$late"\nlate=1\necho "$never"');
  assert.equal(names(r.refs), ['never']);
  assert.equal(r.assigns, ['late']);
});

test('command wrappers: what they run is a command, what they look up is not', () => {
  const body =
    'command -v foo >/dev/null; command -V foo2; command -pv foo3; command bar; command -p bar2; exec baz\n' +
    'env -i X=1 -u Y qux a b; env; nice -n 5 nn; nice -5 nn2; nohup nh & time tt; time -p tp; nohup -- nh2\n' +
    'xargs rm < list; find . -name x -exec rm {} \\;; env "$CC" -v; exec';
  const r = scan(body);
  assert.equal(names(r.commands), [
    'bar',
    'bar2',
    'baz',
    'env',
    'qux',
    'env',
    'nice',
    'nn',
    'nice',
    'nn2',
    'nohup',
    'nh',
    'tt',
    'tp',
    'nohup',
    'nh2',
    'xargs',
    'find',
    'env',
  ]);
  assert.equal(r.assigns, [], "env's NAME=value is not the body's");
  assert.equal(r.commands[4], { name: 'qux', ...where(body, 'qux') });
});

test('keywords only count at a command start', () => {
  const r = scan('echo if then fi done { }; printf "%s" for; x=1 y');
  assert.equal(names(r.commands), ['y']);
  assert.equal(r.assigns, ['x']);
});

test('line continuations join words and lines', () => {
  const body = './configure \\\n  --prefix=/usr \\\n  --host="$triplet"\nma\\\nke';
  const r = scan(body);
  assert.equal(names(r.refs), ['triplet']);
  assert.equal(names(r.commands), ['make']);
});

test('the scanner stops descending into absurdly deep nesting without throwing', () => {
  const deep = `${'$('.repeat(400)}echo x${')'.repeat(400)}; after`;
  const r = scanShell(deep);
  assert.ok(Array.isArray(r.commands));
  const ticks = `${'echo "$('.repeat(300)}true${')"'.repeat(300)}`;
  assert.ok(Array.isArray(scanShell(ticks).commands));
  const params = `${'${a:-'.repeat(300)}x${'}'.repeat(300)}`;
  assert.ok(Array.isArray(scanShell(params).refs));
  assert.equal(scanShell(untyped<string>(undefined)), { error: null, commands: [], refs: [], assigns: [] });
});

test('every accepted example is also valid for mvdan/sh', async () => {
  // The extraction tests above use scanShell for speed; check here that all their inputs are valid POSIX sh.
  const r = await analyzeShell(EXAMPLES);
  EXAMPLES.forEach((b, i) => assert.is(r[i].error, null, JSON.stringify(b)));
  EXAMPLES.forEach((b, i) => assert.equal(r[i], scanShell(b), JSON.stringify(b)));
});

test.run();
