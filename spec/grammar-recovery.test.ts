// The front end on bad input: error diagnostics, recovery, messages, and never throwing (fuzzing).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, MAX_NESTING, type ParseResult } from '../grammar/index.js';
import { messageProvider, describeToken, setMessageTokens } from '../grammar/messages.js';
import { EOF, createTokenInstance } from '../grammar/chevrotain.js';
import { FILE, codes, narrow, p, scalar, untyped, wellFormed } from './helpers/grammar.js';

// ---------------------------------------------------------------------------------------------------------
// Errors and recovery
// ---------------------------------------------------------------------------------------------------------

test('errors: unterminated string, recovery goes on at the next line', () => {
  const r = p('package a in s {\n  x = "abc\n  y = 2\n}\n');
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.loc?.line, d.loc?.col]),
    [['unterminated-string', 2, 7]],
  );
  const its = r.ast.decls[0].items.map((i) => narrow(i, 'Field'));
  assert.equal(
    its.map((i) => [i.key.name, scalar(i.value)]),
    [
      ['x', 'abc'],
      ['y', 2],
    ],
  );
  assert.equal(codes('t { x = "a\\'), ['syntax-error', 'unterminated-string']);
});

test('errors: unterminated shell body is one error at its opening quotes', () => {
  const r = p('package a in s {\n  build """\n  make\n}\n');
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.loc?.line, d.loc?.col, d.loc?.endCol]),
    [['unterminated-shell', 2, 9, 11]],
  );
  const [step] = r.ast.decls[0].items;
  assert.is(narrow(step, 'Step').body.text, '  make\n}\n');
});

test('errors: unexpected characters', () => {
  const r = p('target t { a = 1 @@ b = 2 } ~');
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.message, d.loc?.col, d.loc?.endCol]),
    [
      ['syntax-error', "unexpected characters '@@'", 18, 19],
      ['syntax-error', "unexpected character '~'", 29, 29],
    ],
  );
  assert.equal(r.ast.decls[0].items.length, 2);
});

test('recovery: several errors in one file are all reported, later declarations survive', () => {
  const text = [
    'package musl in stage3 {', // 1
    '  version = "1.2.5"', // 2
    '  depends = [a b]', // 3: missing comma
    '  provides { libraries = }', // 4: missing value
    '  build """make"""', // 5
    '}',
    'package zlib in stage3 {', // 7
    '  version "1.3"', // 8: missing =
    '  use autotools(flags = "x" prefix = "/usr")', // 9: missing comma
    '  step check afterr install """make check"""', // 10: misspelt after
    '}',
    'garbage here', // 12
    'target x86 { default = true', // 13: missing }
    'package last in stage3 { version = "2" }', // 14
    '',
  ].join('\n');
  const r = p(text);
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.loc?.line, d.message]),
    [
      ['syntax-error', 3, "expected ',' between list items"],
      ['syntax-error', 4, "expected a value after '=', found '}'"],
      ['syntax-error', 8, "expected '=' between 'version' and its value (or '{' after it to open a block)"],
      ['syntax-error', 9, "expected ',' between arguments"],
      ['syntax-error', 10, "expected 'after', found 'afterr'"],
      ['syntax-error', 12, "expected a declaration (target, stage, template, package or pass), found 'garbage'"],
      ['syntax-error', 14, "expected '}' to close target 'x86', found 'package'"],
    ],
  );
  assert.equal(
    r.ast.decls.map((d) => d.name.name),
    ['musl', 'zlib', 'x86', 'last'],
  );
  const musl = r.ast.decls[0];
  assert.equal(
    musl.items.map((i) => i.kind),
    ['Field', 'Field', 'Block', 'Step'],
  );
  assert.equal(
    narrow(narrow(musl.items[1], 'Field').value, 'List').items.map((i) => narrow(i, 'Ident').name),
    ['a', 'b'],
  );
  const zlib = r.ast.decls[1];
  assert.equal(
    zlib.items.map((i) => i.kind),
    ['Use', 'Step'],
  ); // the broken `version` is dropped
  assert.equal(
    narrow(zlib.items[0], 'Use').args.map((a) => a.key.name),
    ['flags', 'prefix'],
  );
});

test('recovery: missing closing brace names the declaration and its opening', () => {
  const r = p('package musl in stage3 {\n  version = "1"\n  configure """x"""\n\npackage b in s { }\n');
  assert.equal(
    r.diagnostics.map((d) => [d.loc?.line, d.loc?.col, d.message]),
    [[5, 1, "expected '}' to close package 'musl', found 'package'"]],
  );
  assert.equal(
    r.ast.decls.map((d) => d.name.name),
    ['musl', 'b'],
  );
  for (const [text, what] of [
    ['stage s { chroot { x = 1 ', "block 'chroot'"],
    ['stage s { mount "/x" { x = 1 ', "block 'mount'"],
    ['template t(a: int) { ', "template 't'"],
    ['pass p of q { ', "pass 'p'"],
    ['stage s { ', "stage 's'"],
  ]) {
    const d = p(text).diagnostics;
    assert.equal(
      d.map((x) => x.message),
      [`expected '}' to close ${what}, found end of file`],
      text,
    );
    assert.equal(d[0].loc?.offset, text.length); // at the end of the input
  }
});

test('recovery: other messages', () => {
  const first = (text: string): string | undefined => p(text).diagnostics[0]?.message;
  assert.is(first('target t {}}'), "unexpected '}': no block is open here");
  const stray = p('target t {}}\npackage b in s { x = 1 }');
  assert.equal(
    stray.diagnostics.map((d) => d.message),
    ["unexpected '}': no block is open here"],
  );
  assert.equal(
    stray.ast.decls.map((d) => d.name.name),
    ['t', 'b'],
  ); // parsing goes on after it
  assert.is(first('package a s {}'), "expected 'in' after 'a', found 's'");
  assert.is(first('target {}'), "expected a name after 'target', found '{'");
  assert.is(
    first('target t { x }'),
    "expected '=', '+=', 'on', 'in', a shell body, a value or '{' after 'x', found '}'",
  );
  assert.is(first('target t { x = [a }'), "expected ']' to close the list, found '}'");
  assert.is(first('target t { use u(a = 1 }'), "expected ')' to close the arguments, found '}'");
  assert.is(first('template t(a: int { }'), "expected ')' to close the parameters, found '{'");
  assert.is(first('template t(a: int b: int) { }'), "expected ',' between parameters");
  assert.is(
    first('target t { step x y """a""" }'),
    "expected 'after', 'on', 'in' or a shell body after 'x', found 'y'",
  );
  assert.is(
    first('target t { step s on host "b" }'),
    'expected a shell body ("""…""") after \'host\', found string "b"',
  );
  assert.is(
    first('target t { step s after x "b" }'),
    "expected 'on', 'in' or a shell body after 'x', found string \"b\"",
  );
  assert.is(
    first('target t { build on host "b" }'),
    'expected a shell body ("""…""") after \'host\', found string "b"',
  );
  assert.is(first('target t { 1 = 2 }'), "expected '}' to close target 't', found '1'");
  assert.is(first('x'), "expected a declaration (target, stage, template, package or pass), found 'x'");
  assert.is(first('"""\n'), 'expected a declaration (target, stage, template, package or pass), found a shell body');
});

test('recovery: a placement with the wrong preposition is a warning', () => {
  const r = p('target t { build in host """x"""  install on chroot """y""" check on host """z""" }');
  assert.equal(
    r.diagnostics.map((d) => [d.severity, d.code, d.message]),
    [
      ['warning', 'placement-preposition', "write 'on host'"],
      ['warning', 'placement-preposition', "write 'in chroot'"],
    ],
  );
  assert.equal(
    r.ast.decls[0].items.map((i) => narrow(i, 'Step').placement?.name),
    ['host', 'chroot', 'host'],
  );
});

test('recovery: virtual tokens inserted by recovery never reach the AST', () => {
  // `package in s` misses the name: the declaration is dropped, the next one survives
  const r = p('package in s { a = 1 }\npackage b in s { step x after """y""" }\ntemplate t(a: = 1, b: int) {}');
  assert.ok(r.diagnostics.length >= 3);
  assert.equal(
    r.ast.decls.map((d) => d.name.name),
    ['b', 't'],
  );
  const step = narrow(r.ast.decls[0].items[0], 'Step');
  assert.is(step.after, null);
  assert.equal(
    narrow(r.ast.decls[1], 'Template').params.map((x) => x.name.name),
    ['b'],
  );
});

test('errors: too deep nesting is refused before it can exhaust the stack', () => {
  const deep = `target t { x = ${'['.repeat(MAX_NESTING + 5)} }`;
  const r = p(deep);
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ['syntax-error'],
  );
  assert.match(r.diagnostics[0].message, /nesting deeper than/);
  assert.equal(r.ast.decls, []);
  const fine = `target t { x = ${'['.repeat(MAX_NESTING - 2)}${']'.repeat(MAX_NESTING - 2)} }`;
  assert.equal(p(fine).diagnostics, []);
});

test('parse: the one parser instance carries nothing from one file to the next', () => {
  const broken = p('package a in s { x = }');
  assert.ok(broken.diagnostics.length > 0);
  const clean = p('package a in s { x = 1 }');
  assert.equal(clean.diagnostics, []);
  assert.is(clean.ast.decls.length, 1);
});

test('parse: a non-string input is a diagnostic, not an exception', () => {
  const r = parse(
    FILE,
    untyped<string>({
      toString: () => {
        throw new Error('boom');
      },
    }),
  );
  assert.equal(
    r.diagnostics.map((d) => d.code),
    ['internal-error'],
  );
  assert.equal(r.ast.decls, []);
  assert.equal(parse(FILE, untyped<string>(undefined)).diagnostics, []);
});

test('messages: every provider method gives a readable message', () => {
  const tok = createTokenInstance(EOF, '', NaN, NaN, NaN, NaN, NaN, NaN);
  setMessageTokens([]);
  assert.is(describeToken(tok), 'end of file');
  assert.is(describeToken(undefined), 'end of file');
  assert.is(
    messageProvider.buildEarlyExitMessage({ expectedIterationPaths: [], actual: [tok], previous: tok, ruleName: 'x' }),
    'expected at least one something else, found end of file',
  );
  assert.is(
    messageProvider.buildNoViableAltMessage({
      expectedPathsPerAlt: [[[EOF]], [[EOF]]],
      actual: [tok],
      previous: tok,
      ruleName: 'x',
    }),
    'expected end of file, found end of file',
  );
});

// ---------------------------------------------------------------------------------------------------------
// Never throws
// ---------------------------------------------------------------------------------------------------------

test('fuzz: 10,000 random and mutated inputs never throw and always give a well-formed AST', () => {
  const seedText = [
    'target x86_64 { default = true triplet = "x86_64-serpent-linux-musl" }',
    'stage stage3 { after = stage2 chroot { path = ["/usr/bin"] mount "/serpent" { from = stage2 readonly = true } } }',
    'template autotools(flags: string = "", jobs: int = 0) {',
    '  configure """',
    '    ./configure --prefix="${prefix}" ${flags}',
    '  """',
    '}',
    'package musl in stage3 {',
    '  version = "1.2.5"',
    '  source "https://musl.libc.org/releases/musl-${version}.tar.gz" { sha256 = "a9" }',
    '  depends += [headers, libc++]',
    '  use autotools(flags = "--x", jobs = 2)',
    '  step verify after install in chroot """',
    '    ldd --version',
    '  """',
    '}',
    'pass musl-2 of musl { build on host """make""" }',
  ].join('\n');
  const vocab = [
    'package',
    'pass',
    'stage',
    'target',
    'template',
    'in',
    'of',
    'on',
    'use',
    'step',
    'after',
    'true',
    'x',
    'libc++',
    '{',
    '}',
    '[',
    ']',
    '(',
    ')',
    '=',
    '+=',
    ',',
    ':',
    '"s"',
    '"${a}"',
    '"\\q"',
    '"${',
    '"',
    '"""\n a\n"""',
    '"""',
    '12',
    '99999999999999999999',
    '#c\n',
    '\n',
    '@',
    '\\',
    '$',
    '\r\n',
    '\t',
    'é',
    '😀',
  ];
  let seed = 20250101;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const pick = (a: readonly string[]): string => a[Math.floor(rnd() * a.length)];
  for (let i = 0; i < 10000; i++) {
    let s = '';
    if (i % 3 === 0) {
      for (let k = Math.floor(rnd() * 40); k > 0; k--) s += pick(vocab) + (rnd() < 0.5 ? ' ' : '');
    } else if (i % 3 === 1) {
      s = seedText;
      for (let k = 1 + Math.floor(rnd() * 6); k > 0; k--) {
        const cut = Math.floor(rnd() * s.length);
        const r = rnd();
        if (r < 0.4) s = s.slice(0, cut) + s.slice(cut + 1 + Math.floor(rnd() * 10));
        else if (r < 0.9) s = s.slice(0, cut) + pick(vocab) + s.slice(cut);
        else s = s.slice(0, cut);
      }
    } else {
      for (let k = Math.floor(rnd() * 80); k > 0; k--) s += String.fromCharCode(Math.floor(rnd() * 128));
    }
    let r: ParseResult;
    try {
      r = parse(FILE, s);
    } catch (e) {
      assert.unreachable(`parse threw for ${JSON.stringify(s)}: ${String(e)}`);
      throw e; // (assert.unreachable has thrown already)
    }
    try {
      wellFormed(r.ast, r.diagnostics, s);
    } catch (e) {
      throw new Error(`input ${JSON.stringify(s)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
});

test.run();
