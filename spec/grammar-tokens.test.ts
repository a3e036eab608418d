// The front end's lexing layer: tokens, shell bodies (dedent), strings (escapes, interpolation) and integers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenType } from 'chevrotain';
import { allTokens, lexer, makeLexer } from '../grammar/tokens.js';
import type { ShellLit, SyntaxDiagnostic, Value } from '../grammar/syntax.js';
import { at, narrow, ok, p, refLoc } from './helpers/grammar.js';
import { REPO_ROOT } from './helpers/paths.js';

// ---------------------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------------------

const STAGES = join(REPO_ROOT, 'stages');

function lex(text: string): string[] {
  const r = lexer.tokenize(text);
  assert.equal(r.errors, []);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

test("tokens: the definitions pass chevrotain's checks, which the lexer of every start skips", () => {
  // with validate, chevrotain throws on a bad token definition (an unreachable or empty-matching pattern, …)
  const checked = makeLexer(true);
  assert.equal(checked.lexerDefinitionErrors, []);
  const text = 'package x in stage3 {\n  version = "1"\n  build """\n    make\n  """\n}\n';
  const image = (l: typeof lexer) => l.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
  assert.equal(image(lexer), image(checked));
});

/** chevrotain's per-pattern facts of a lexer (not public API: a chevrotain upgrade that moves them fails here) */
function lineBreakFacts(l: typeof lexer): string[] {
  const configs = (l as unknown as { patternIdxToConfig: Record<string, unknown[]> }).patternIdxToConfig;
  const modes = Object.values(configs);
  assert.equal(modes.length, 1);
  return (modes[0] as Array<{ tokenType: TokenType; canLineTerminator: boolean }>).map(
    (c) => `${c.tokenType.name}:${String(c.canLineTerminator)}`,
  );
}

test('tokens: each says whether it can span lines as chevrotain would work it out, and lexes the same', () => {
  // the reference: the same tokens with their statements removed, so chevrotain analyses every pattern itself
  const stated = new Map(allTokens.map((t) => [t, t.LINE_BREAKS]));
  let analysed: typeof lexer;
  try {
    for (const t of allTokens) delete t.LINE_BREAKS;
    analysed = makeLexer(true);
  } finally {
    for (const [t, v] of stated) t.LINE_BREAKS = v;
  }
  assert.ok(
    allTokens.every((t) => typeof t.LINE_BREAKS === 'boolean'),
    'every token states it',
  );
  assert.equal(lineBreakFacts(lexer), lineBreakFacts(analysed));
  assert.ok(lineBreakFacts(lexer).includes('Shell:true') && lineBreakFacts(lexer).includes('Comment:false'));
  // and the positions of every token of every recipe of stages/ and of tricky lines are the same
  const texts = [
    ...readdirSync(STAGES, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.recipe'))
      .sort() // sort for determinism
      .map((f) => readFileSync(join(STAGES, f), 'utf8')),
    'a = "x\\"\nb = "unterminated\n  c = """\n  one\n  two"""\r\n# comment "\n"""never closed\nstill\n',
  ];
  const where = (l: typeof lexer, text: string) =>
    l
      .tokenize(text)
      .tokens.map((t) => `${t.tokenType.name}@${t.startLine}:${t.startColumn}-${t.endLine}:${t.endColumn}`);
  assert.ok(texts.length > 10);
  for (const text of texts) assert.equal(where(lexer, text), where(analysed, text));
});

test('tokens: identifiers, keywords and longer identifiers', () => {
  assert.equal(lex('util-linux libc++ x.y_z _a package-x install stage2 trueish in'), [
    'Identifier:util-linux',
    'Identifier:libc++',
    'Identifier:x.y_z',
    'Identifier:_a',
    'Identifier:package-x',
    'Identifier:install',
    'Identifier:stage2',
    'Identifier:trueish',
    'In:in',
  ]);
  assert.equal(
    lex('target stage template package pass in of on use step true false').map((t) => t.split(':')[0]),
    ['Target', 'Stage', 'Template', 'Package', 'Pass', 'In', 'Of', 'On', 'Use', 'Step', 'True', 'False'],
  );
  assert.equal(lex('after'), ['Identifier:after']); // not a keyword: a stage has a field named after
});

test('tokens: punctuation, += right after a name, comments and whitespace skipped', () => {
  assert.equal(lex('depends+=[a,b]'), [
    'Identifier:depends',
    'PlusEquals:+=',
    'LBracket:[',
    'Identifier:a',
    'Comma:,',
    'Identifier:b',
    'RBracket:]',
  ]);
  assert.equal(lex('{ } ( ) = : # comment } {\n\t12'), [
    'LCurly:{',
    'RCurly:}',
    'LParen:(',
    'RParen:)',
    'Equals:=',
    'Colon::',
    'Integer:12',
  ]);
  assert.equal(lex('"a # not a comment" """# nor this"""'), [
    'StringLit:"a # not a comment"',
    'Shell:"""# nor this"""',
  ]);
  assert.equal(lex('x = ""'), ['Identifier:x', 'Equals:=', 'StringLit:""']);
  assert.equal(lex('""""""'), ['Shell:""""""']);
});

// ---------------------------------------------------------------------------------------------------------
// Shell bodies
// ---------------------------------------------------------------------------------------------------------

/** `body` is what goes between the quotes. */
function shellOf(body: string, before = '  build '): ShellLit {
  const [pkg] = ok(`package a in s {\n${before}"""${body}"""\n}`);
  return narrow(pkg.items[0], 'Step').body;
}

test('shell: first and last line dropped, common indentation removed', () => {
  const s = shellOf('\n    ./configure \\\n      --prefix=/usr\n\n    make\n  ');
  assert.is(s.text, './configure \\\n  --prefix=/usr\n\nmake\n');
  assert.is(s.firstLine, 3);
  assert.is(s.indent, 4);
});

test('shell: text on the opening line, and the closing quotes after text', () => {
  const one = shellOf('make -j1');
  assert.equal([one.text, one.firstLine, one.indent], ['make -j1\n', 2, 11]); // `  build """` is 11 columns
  const two = shellOf('\n    make\n    make install');
  assert.equal([two.text, two.firstLine, two.indent], ['make\nmake install\n', 3, 4]);
  const three = shellOf('make\n  install\n', ' b ');
  assert.equal([three.text, three.indent], ['    make\ninstall\n', 2]); // the opening line is padded to its columns
});

test('shell: empty and blank bodies, blank lines inside, tabs', () => {
  assert.is(shellOf('').text, '');
  assert.is(shellOf('   ').text, '');
  assert.is(shellOf('\n\n').text, ''); // only blank lines
  assert.is(shellOf('\n  \n\t\n  ').text, '');
  assert.is(shellOf('\n  a\n\n   \n  b\n').text, 'a\n\n \nb\n');
  const tabs = shellOf('\n\t\tif x; then\n\t\t\ty\n\t\tfi\n\t');
  assert.equal([tabs.text, tabs.indent], ['if x; then\n\ty\nfi\n', 2]);
  const mixed = shellOf('\n  \ta\n  b\n');
  assert.equal([mixed.text, mixed.indent], ['\ta\nb\n', 2]);
});

test('shell: a body keeps quotes, backslashes and ${} verbatim', () => {
  const s = shellOf('\n  echo "${x:-y}" \\"\\n" \'$(z)\'\n');
  assert.is(s.text, 'echo "${x:-y}" \\"\\n" \'$(z)\'\n');
});

// ---------------------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------------------

/** `literal` is the source of a string literal, quotes included. */
function str(literal: string): { value: Value | undefined; diagnostics: readonly SyntaxDiagnostic[] } {
  const r = p(`target t { v = ${literal} }`);
  const it = r.ast.decls[0]?.items[0];
  return { value: it?.kind === 'Field' ? it.value : undefined, diagnostics: r.diagnostics };
}

test('strings: escapes', () => {
  const { value, diagnostics } = str('"q\\" b\\\\ n\\n t\\t d\\$"');
  assert.equal(diagnostics, []);
  const s = narrow(value, 'String');
  assert.is(s.value, 'q" b\\ n\n t\t d$');
  assert.equal(s.parts, [{ lit: 'q" b\\ n\n t\t d$' }]);
  assert.equal(narrow(str('""').value, 'String').parts, []);
});

test('strings: interpolation parts with locs', () => {
  const text = 'target t { v = "a-${name}${v2}/\\$x \\${lit} $ $1" }';
  const r = p(text);
  assert.equal(r.diagnostics, []);
  const v = narrow(narrow(r.ast.decls[0].items[0], 'Field').value, 'String');
  assert.is(v.value, 'a-${name}${v2}/$x ${lit} $ $1');
  assert.equal(
    v.parts.map((x) => ('ref' in x ? { ref: x.ref } : x)),
    [{ lit: 'a-' }, { ref: 'name' }, { ref: 'v2' }, { lit: '/$x ${lit} $ $1' }],
  );
  const loc = refLoc(v.parts[1]);
  assert.is(at(text, loc), '${name}');
  assert.equal([loc.col, loc.endCol], [19, 25]);
});

test('strings: bad escape and bad interpolations are diagnostics, text kept', () => {
  const bad = str('"a\\qb"');
  assert.equal(
    bad.diagnostics.map((d) => [d.code, d.loc?.col, d.loc?.endCol]),
    [['bad-escape', 18, 19]],
  );
  assert.is(narrow(bad.value, 'String').value, 'a\\qb');
  for (const [lit, col, endCol] of [
    ['"${}"', 17, 19],
    ['"${1x}"', 17, 21],
    ['"${a-b}"', 17, 22],
    ['"${x:-y}"', 17, 23],
    ['"x${open"', 18, 23],
    // a name after a bare `$` looks like a substitution, and is none
    ['"a-$version"', 19, 26],
  ] as const) {
    const r = str(lit);
    assert.equal(
      r.diagnostics.map((d) => [d.code, d.loc?.col, d.loc?.endCol]),
      [['bad-interpolation', col, endCol]],
      lit,
    );
    assert.ok(
      narrow(r.value, 'String').parts.every((x) => 'lit' in x),
      lit,
    );
  }
  const mixed = str('"${ok}${1}${ok2}"');
  assert.equal(
    narrow(mixed.value, 'String').parts.map((x) => ('ref' in x ? x.ref : x.lit)),
    ['ok', '${1}', 'ok2'],
  );
});

test('integers: values, and too large ones', () => {
  assert.is(narrow(str('007').value, 'Int').value, 7);
  const big = str('123456789012345678901234567890');
  assert.equal(
    big.diagnostics.map((d) => d.code),
    ['syntax-error'],
  );
  assert.match(big.diagnostics[0].message, /too large/);
});

test.run();
