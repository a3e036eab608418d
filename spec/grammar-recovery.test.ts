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
  // `t` is no declaration: what follows it on the line is not parsed as anything, so not reported
  assert.equal(codes('t { x = "a\\'), ['syntax-error']);
  assert.equal(codes('target t { x = "a\\'), ['unterminated-string']);
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

test('errors: unexpected characters, one error per line', () => {
  const r = p('target t { a = 1 @@ b = 2 } ~');
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.message, d.loc?.col, d.loc?.endCol]),
    [['syntax-error', "unexpected characters '@@'", 18, 19]],
  );
  assert.equal(
    p('target t { a = 1 @@ b = 2 }\n\n~').diagnostics.map((d) => [d.message, d.loc?.line]),
    [
      ["unexpected characters '@@'", 1],
      ["unexpected character '~'", 3],
    ],
  );
  assert.equal(r.ast.decls[0].items.length, 2);
});

test('recovery: errors in separate places are all reported, one per run of lines; later declarations survive', () => {
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
      // 4: on the line after an error, so taken for a consequence of it
      ['syntax-error', 8, "expected '=' between 'version' and its value (or '{' after it to open a block)"],
      // 9, 10: the same
      ['syntax-error', 12, "expected a declaration (target, stage, template, package or pass), found 'garbage'"],
      ['syntax-error', 13, "this '{' is never closed"],
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

test('recovery: an unclosed brace is reported where it opens, with where it was noticed as a note', () => {
  const r = p('package musl in stage3 {\n  version = "1"\n  configure """x"""\n\npackage b in s { }\n');
  assert.equal(
    r.diagnostics.map((d) => [d.loc?.line, d.loc?.col, d.message, d.notes.map((n) => [n.loc?.line, n.message])]),
    [
      [
        1,
        24,
        "this '{' is never closed",
        [[5, "expected '}' before this line, which is indented no deeper than the '{'"]],
      ],
    ],
  );
  assert.equal(
    r.ast.decls.map((d) => d.name.name),
    ['musl', 'b'],
  );
  for (const [text, col] of [
    ['stage s { chroot { x = 1 ', 18],
    ['stage s { mount "/x" { x = 1 ', 22],
    ['template t(a: int) { ', 20],
    ['pass p of q { ', 13],
    ['stage s { ', 9],
  ] as const) {
    const d = p(text).diagnostics;
    assert.equal(
      d.map((x) => [x.message, x.loc?.col, x.notes.map((n) => [n.message, n.loc?.offset])]),
      [["this '{' is never closed", col, [["expected '}' before the end of the file", text.length]]]],
      text,
    );
  }
});

test('recovery: the indentation tells which delimiter is missing or extra', () => {
  const at = (text: string) =>
    p(text).diagnostics.map((d) => [d.loc?.line, d.loc?.col, d.message, ...d.notes.map((n) => n.loc?.line)]);
  // a block missing its `}`: the next line at its indentation shows it, not the end of the package
  const provides = [
    'package a in s {', // 1
    '  provides {', // 2
    '    commands = [a]', // 3
    '  use t()', // 4
    '  version = "1"', // 5
    '}', // 6
    'package b in s {', // 7
    '  version = "2"', // 8
    '}',
  ].join('\n');
  assert.equal(at(provides), [[2, 12, "this '{' is never closed", 4]]);
  // a list missing its `]`
  assert.equal(at('package a in s {\n  depends = [a, b\n  version = "1"\n}\n'), [
    [2, 13, "this '[' is never closed", 3],
  ]);
  // a stray `}` in the middle of a line, and one on a line of its own indented past its block
  assert.equal(at('package a in s {\n  u}se t()\n}\n'), [[2, 4, "unexpected '}': no block is open here"]]);
  assert.equal(at('package a in s {\n  version = "1"\n    }\n  use t()\n}\n'), [
    [3, 5, "unexpected '}': no block is open here"],
  ]);
  // balanced delimiters are no evidence: the parser's own message stands
  const balanced = at('package a in s {\n  version = = "1"\n}\n');
  assert.is(balanced.length, 1);
  assert.match(String(balanced[0][2]), /^expected a value/);
});

test('recovery: a """ too many or too few is blamed, not the code it turned into body and back', () => {
  const at = (text: string) =>
    p(text).diagnostics.map((d) => [
      d.loc?.line,
      d.loc?.col,
      d.message.slice(0, 30),
      ...d.notes.map((n) => n.loc?.line),
    ]);
  const steps = (mid: string) =>
    ['package a in s {', '  configure """', '    ./configure', mid, '  build """', '    make', '  """', '}', ''].join(
      '\n',
    );
  // a closing line doubled: the second opens a body
  assert.equal(at(steps('  """\n  """')), [[5, 3, `this '"""' stands alone on its`]]);
  // a closing line lost: the body runs on into the next one's opening
  assert.equal(at(steps('')), [[5, 9, `this '"""' ends the shell body`, 2]]);
});

test('recovery: ASCII the lexer cannot read on line after line is one mistake; pasted odd characters are not', () => {
  // a closing line too early: the rest of the body is read as recipe code, and errs on every line
  const early = [
    'package a in s {',
    '  configure """',
    '    cmake -S . \\',
    '  """',
    '      -DA=1 \\',
    '      -DB=2 \\',
  ];
  const text = [...early, '      -DC=3', '  """', '}', ''].join('\n');
  assert.equal(
    p(text).diagnostics.map((d) => [d.loc?.line, d.message]),
    [[5, "unexpected character '-'"]],
  );
  // an invisible character on each of two lines: two slips
  assert.equal(
    p('target t {\n  a = 1\u200b\n  b =\u00a0[]\n}\n').diagnostics.map((d) => d.loc?.line),
    [2, 3],
  );
});

test('recovery: errors after a desynchronising one are dropped up to the next declaration at column 1', () => {
  const r = p(
    [
      'package a in s {', // 1
      '  version = = "1"', // 2: the parser has to guess from here
      '  depends = [[b]', // 3: not reported
      '}', // 4
      'package b in s {', // 5
      '  version = = "2"', // 6: a declaration of its own: reported
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(
    r.diagnostics.map((d) => d.loc?.line),
    [2, 6],
  );
  // one damaged span covers both packages, from the first keyword to the end
  assert.equal(
    r.damaged.map((s) => [s.from, s.to]),
    [[0, Infinity]],
  );
  // errors the grammar tolerates (a missing comma) do not hide the next one, but still damage their declaration
  const local = p('package a in s {\n  depends = [a b]\n\n  version = = "1"\n}\npackage c in s { version = "3" }\n');
  assert.equal(
    local.diagnostics.map((d) => d.loc?.line),
    [2, 4],
  );
  assert.equal(
    local.damaged.map((s) => s.from),
    [0],
  );
  assert.ok(local.damaged[0].to < Infinity);
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
  assert.is(first('target t { x = [a }'), "this '[' is never closed");
  assert.is(first('target t { use u(a = 1 }'), "this '(' is never closed");
  assert.is(first('template t(a: int { }'), "this '(' is never closed");
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

test('messages: a declaration cut short by the end of the file names the last token it has', () => {
  const messages = (text: string) => p(text).diagnostics.map((d) => d.message);
  assert.equal(messages('package foo'), ["expected 'in' after 'foo', found end of file"]);
  assert.equal(messages('package foo\n\n'), ["expected 'in' after 'foo', found end of file"]);
  assert.equal(messages('pass p of'), ["expected a name after 'of', found end of file"]);
});

test.run();
