// The front end (grammar/): tokens, every construct, locations, dedent, escapes, interpolation, recovery, never-throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, MAX_NESTING, type ParseResult } from '../grammar/index.js';
import { lexer } from '../grammar/tokens.js';
import { messageProvider, describeToken, setMessageTokens } from '../grammar/messages.js';
import { EOF, createTokenInstance } from '../grammar/chevrotain.js';
import type {
  Decl,
  FileNode,
  Ident,
  Item,
  Loc,
  Param,
  ShellLit,
  StrPart,
  SyntaxDiagnostic,
  Value,
} from '../grammar/syntax.js';

const FILE = 'stages/t.recipe';
const IDENT = /^[A-Za-z_][A-Za-z0-9_+.-]*$/;

type Node = Decl | Item | Value | Param;
type Kind = Node['kind'];
type NodeOf<K extends Kind> = Extract<Node, { readonly kind: K }>;

function isKind<K extends Kind>(node: Node | null | undefined, kind: K): node is NodeOf<K> {
  return node?.kind === kind;
}

/** `node`, which must be of `kind` (the test fails otherwise), typed as that kind. */
function narrow<K extends Kind>(node: Node | null | undefined, kind: K): NodeOf<K> {
  if (!isKind(node, kind)) throw new Error(`expected a ${kind} node, found ${node === null ? 'null' : node?.kind}`);
  return node;
}

/** The loc of a `${name}` part of a string (the test fails for a literal part). */
function refLoc(part: StrPart): Loc {
  if (!('ref' in part)) throw new Error(`expected a ref part, found ${JSON.stringify(part)}`);
  return part.loc;
}

/** The value of a string, integer or boolean (undefined for the other kinds). */
function scalar(v: Value): string | number | boolean | undefined {
  return 'value' in v ? v.value : undefined;
}

/** Deliberately wrong input, to check that parse() never throws: the cast is the point. */
const untyped = <T>(value: unknown): T => value as T;

function p(text: string): ParseResult {
  const r = parse(FILE, text);
  wellFormed(r.ast, r.diagnostics, text);
  return r;
}

/** Parses text that must have no diagnostics; returns the declarations. */
function ok(text: string): readonly Decl[] {
  const r = p(text);
  assert.equal(r.diagnostics, [], `unexpected diagnostics for ${JSON.stringify(text)}`);
  return r.ast.decls;
}

/** The items of the one declaration in text. */
function items(body: string): readonly Item[] {
  const decls = ok(`package p in s {\n${body}\n}\n`);
  assert.is(decls.length, 1);
  return decls[0].items;
}

function at(text: string, loc: { readonly offset: number; readonly endOffset: number }): string {
  return text.slice(loc.offset, loc.endOffset + 1);
}

const lineCache: { text: string; starts: number[] } = { text: '', starts: [0] };

/** 1-based line/col of an offset, computed independently of the parser. */
function pos(text: string, offset: number): { line: number; col: number } {
  if (lineCache.text !== text) {
    lineCache.text = text;
    lineCache.starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineCache.starts.push(i + 1);
  }
  const { starts } = lineCache;
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
  return { line: line + 1, col: offset - starts[line] + 1 };
}

const LOC_NUMBERS = ['line', 'col', 'endLine', 'endCol', 'offset', 'endOffset'] as const;

function checkLoc(loc: Loc, text: string, where: string, mayBeEof = false): void {
  assert.ok(loc && typeof loc === 'object', `${where}: loc missing`);
  assert.is(loc.file, FILE, `${where}: loc.file`);
  for (const k of LOC_NUMBERS) {
    assert.ok(Number.isInteger(loc[k]), `${where}: loc.${k} = ${loc[k]}`);
  }
  const limit = mayBeEof ? text.length : text.length - 1;
  assert.ok(
    loc.offset >= 0 && loc.offset <= loc.endOffset && loc.endOffset <= limit,
    `${where}: offsets ${loc.offset}..${loc.endOffset} of ${text.length}`,
  );
  assert.equal([loc.line, loc.col], Object.values(pos(text, loc.offset)), `${where}: start line/col`);
  assert.equal([loc.endLine, loc.endCol], Object.values(pos(text, loc.endOffset)), `${where}: end line/col`);
}

/**
 * Checks an AST against grammar/syntax.ts: kinds, field types, every loc valid and inside its parent's,
 * identifiers equal to their source text, shell bodies mapping back to the file.
 */
function wellFormed(ast: FileNode, diagnostics: readonly SyntaxDiagnostic[], text: string): void {
  assert.is(ast.kind, 'File');
  assert.is(ast.file, FILE);
  assert.is(ast.text, text);
  assert.ok(Array.isArray(ast.decls));
  const lines = text.split('\n');

  function located(node: { readonly loc: Loc }, where: string, parent: Loc | null): void {
    checkLoc(node.loc, text, where);
    if (parent) {
      assert.ok(
        node.loc.offset >= parent.offset && node.loc.endOffset <= parent.endOffset,
        `${where}: outside its parent`,
      );
    }
  }
  function ident(id: Ident, where: string, parent: Loc): void {
    assert.is(id?.kind, 'Ident', `${where}: not an Ident`);
    assert.ok(typeof id.name === 'string' && IDENT.test(id.name), `${where}: bad name ${id.name}`);
    located(id, where, parent);
    assert.is(at(text, id.loc), id.name, `${where}: name differs from source`);
  }
  function value(v: Value, where: string, parent: Loc): void {
    assert.ok(v && typeof v === 'object', `${where}: value missing`);
    if (v.kind === 'Ident') {
      ident(v, where, parent);
      return;
    }
    located(v, where, parent);
    const src = at(text, v.loc);
    const kind: string = v.kind;
    switch (v.kind) {
      case 'String':
        assert.type(v.value, 'string');
        assert.ok(src.startsWith('"'), `${where}: string source`);
        for (const part of v.parts) {
          if ('ref' in part) {
            assert.ok(/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.ref), `${where}: ref name`);
            located(part, `${where}.ref`, v.loc);
            assert.is(at(text, part.loc), `\${${part.ref}}`);
          } else {
            assert.ok(typeof part.lit === 'string' && part.lit.length > 0, `${where}: empty lit part`);
          }
        }
        break;
      case 'Int':
        assert.type(v.value, 'number');
        assert.ok(/^[0-9]+$/.test(src), `${where}: int source`);
        break;
      case 'Bool':
        assert.is(src, String(v.value));
        break;
      case 'List':
        assert.ok(src.startsWith('['), `${where}: list source`);
        v.items.forEach((x, i) => value(x, `${where}[${i}]`, v.loc));
        break;
      case 'Shell':
        shell(v, where);
        break;
      default:
        assert.unreachable(`${where}: unknown value kind ${kind}`);
    }
  }
  /** Text line i, col c sits at file line firstLine + i, col c + indent. */
  function shell(s: ShellLit, where: string): void {
    assert.ok(at(text, s.loc).startsWith('"""'), `${where}: shell source`);
    assert.type(s.text, 'string');
    assert.ok(s.text === '' || s.text.endsWith('\n'), `${where}: text must end with a newline`);
    assert.ok(
      Number.isInteger(s.firstLine) && Number.isInteger(s.indent) && s.indent >= 0,
      `${where}: firstLine/indent`,
    );
    const body = s.text.split('\n').slice(0, -1);
    body.forEach((line, i) => {
      const fileLine = lines[s.firstLine + i - 1] ?? '';
      for (let c = 0; c < line.length; c++) {
        if (line[c] === ' ') continue; // may be padding for text on the opening line
        assert.is(fileLine[c + s.indent], line[c], `${where}: text line ${i} col ${c + 1} maps wrong`);
      }
    });
  }
  function item(it: Item, where: string, parent: Loc): void {
    located(it, where, parent);
    const kind: string = it.kind;
    switch (it.kind) {
      case 'Field':
        ident(it.key, `${where}.key`, it.loc);
        assert.ok(it.op === '=' || it.op === '+=', `${where}: op`);
        value(it.value, `${where}.value`, it.loc);
        assert.is(it.loc.offset, it.key.loc.offset);
        break;
      case 'Block':
        ident(it.key, `${where}.key`, it.loc);
        if (it.label !== null) value(it.label, `${where}.label`, it.loc);
        it.items.forEach((x, i) => item(x, `${where}.items[${i}]`, it.loc));
        break;
      case 'Step':
        ident(it.name, `${where}.name`, it.loc);
        assert.type(it.custom, 'boolean');
        if (it.after !== null) ident(it.after, `${where}.after`, it.loc);
        if (it.placement !== null) ident(it.placement, `${where}.placement`, it.loc);
        assert.is(it.body.kind, 'Shell');
        value(it.body, `${where}.body`, it.loc);
        break;
      case 'Use':
        ident(it.template, `${where}.template`, it.loc);
        it.args.forEach((a, i) => {
          assert.is(a.kind, 'Field');
          assert.is(a.op, '=');
          item(a, `${where}.args[${i}]`, it.loc);
        });
        break;
      default:
        assert.unreachable(`${where}: unknown item kind ${kind}`);
    }
  }
  ast.decls.forEach((d: Decl, i: number) => {
    const where = `decls[${i}]`;
    located(d, where, null);
    assert.ok(at(text, d.loc).startsWith(d.kind.toLowerCase()), `${where}: starts with its keyword`);
    ident(d.name, `${where}.name`, d.loc);
    if (d.kind === 'Package') ident(d.stage, `${where}.stage`, d.loc);
    else if (d.kind === 'Pass') ident(d.of, `${where}.of`, d.loc);
    else if (d.kind === 'Template') {
      d.params.forEach((prm, j) => {
        assert.is(prm.kind, 'Param');
        located(prm, `${where}.params[${j}]`, d.loc);
        ident(prm.name, `${where}.params[${j}].name`, prm.loc);
        ident(prm.type, `${where}.params[${j}].type`, prm.loc);
        if (prm.default !== null) value(prm.default, `${where}.params[${j}].default`, prm.loc);
      });
    } else assert.ok(d.kind === 'Target' || d.kind === 'Stage', `${where}: kind ${d.kind}`);
    d.items.forEach((x, j) => item(x, `${where}.items[${j}]`, d.loc));
  });
  for (const d of diagnostics) {
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.ok(/^[a-z]+(-[a-z]+)*$/.test(d.code), `code ${d.code}`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
    assert.ok(Array.isArray(d.notes));
    assert.is.not(d.code, 'internal-error', d.message);
    if (d.loc !== null) checkLoc(d.loc, text, `diagnostic ${d.message}`, true);
  }
}

function codes(text: string): string[] {
  return p(text).diagnostics.map((d) => d.code);
}

// ---------------------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------------------

function lex(text: string): string[] {
  const r = lexer.tokenize(text);
  assert.equal(r.errors, []);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

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
// Declarations
// ---------------------------------------------------------------------------------------------------------

test('declarations: every kind, with names and locs', () => {
  const text = [
    'target x86_64 { default = true }',
    'stage stage2 { after = stage1 }',
    'template autotools(flags: string = "", jobs: int = 0, on_: bool, extra: list = [a, "b"],) { build """make""" }',
    'package util-linux in stage3 { version = "2.40.2" }',
    'pass util-linux-2 of util-linux { depends += [systemd] }',
    '',
  ].join('\n');
  const decls = ok(text);
  assert.equal(
    decls.map((d) => d.kind),
    ['Target', 'Stage', 'Template', 'Package', 'Pass'],
  );
  assert.equal(
    decls.map((d) => d.name.name),
    ['x86_64', 'stage2', 'autotools', 'util-linux', 'util-linux-2'],
  );
  assert.is(narrow(decls[3], 'Package').stage.name, 'stage3');
  assert.is(narrow(decls[4], 'Pass').of.name, 'util-linux');
  decls.forEach((d, i) => {
    assert.is(d.loc.line, i + 1);
    assert.is(d.loc.col, 1);
    assert.is(at(text, d.loc), text.split('\n')[i]);
  });
  const params = narrow(decls[2], 'Template').params;
  assert.equal(
    params.map((x) => [x.name.name, x.type.name]),
    [
      ['flags', 'string'],
      ['jobs', 'int'],
      ['on_', 'bool'],
      ['extra', 'list'],
    ],
  );
  assert.equal(narrow(params[0].default, 'String').value, '');
  assert.equal(narrow(params[1].default, 'Int').value, 0);
  assert.is(params[2].default, null);
  assert.equal(
    narrow(params[3].default, 'List').items.map((x) => x.kind),
    ['Ident', 'String'],
  );
  assert.is(at(text, params[0].loc), 'flags: string = ""');
  assert.is(at(text, params[2].loc), 'on_: bool');
});

test('declarations: empty file, comments only, empty bodies and parameter lists', () => {
  assert.equal(ok(''), []);
  assert.equal(ok('# nothing\n\n   # here\n'), []);
  const [t, s] = ok('template t() {}\nstage s {\n}');
  assert.equal(narrow(t, 'Template').params, []);
  assert.equal(t.items, []);
  assert.equal(s.items, []);
  assert.equal([s.loc.line, s.loc.endLine, s.loc.endCol], [2, 3, 1]);
});

// ---------------------------------------------------------------------------------------------------------
// Items and values
// ---------------------------------------------------------------------------------------------------------

test('fields: = and +=, every value kind', () => {
  const its = items(
    [
      'a = "s"',
      'b = 42',
      'c = true',
      'd = false',
      'e = stage1',
      'f = [x, "y", 3, [nested,], []]',
      'g += [more]',
      'h = """',
      '  raw ${x}',
      '"""',
    ].join('\n'),
  ).map((i) => narrow(i, 'Field'));
  assert.equal(
    its.map((i) => [i.kind, i.key.name, i.op, i.value.kind]),
    [
      ['Field', 'a', '=', 'String'],
      ['Field', 'b', '=', 'Int'],
      ['Field', 'c', '=', 'Bool'],
      ['Field', 'd', '=', 'Bool'],
      ['Field', 'e', '=', 'Ident'],
      ['Field', 'f', '=', 'List'],
      ['Field', 'g', '+=', 'List'],
      ['Field', 'h', '=', 'Shell'],
    ],
  );
  assert.is(narrow(its[1].value, 'Int').value, 42);
  assert.is(narrow(its[2].value, 'Bool').value, true);
  assert.is(narrow(its[3].value, 'Bool').value, false);
  assert.is(narrow(its[4].value, 'Ident').name, 'stage1');
  const list = narrow(its[5].value, 'List').items;
  assert.equal(
    list.map((x) => x.kind),
    ['Ident', 'String', 'Int', 'List', 'List'],
  );
  assert.equal(
    narrow(list[3], 'List').items.map((x) => narrow(x, 'Ident').name),
    ['nested'],
  );
  assert.equal(narrow(list[4], 'List').items, []);
  assert.is(narrow(its[7].value, 'Shell').text, 'raw ${x}\n');
});

test('blocks: plain, labelled by a string, a name or a shell body, nested', () => {
  const its = items(
    [
      'chroot {',
      '  mount "/serpent" { from = stage2  readonly = true }',
      '  pseudo = ["/dev"]',
      '}',
      'source "https://x/y-${version}.tar.gz" { sha256 = "00" }',
      'provides libc { }',
      'odd """x""" { }',
    ].join('\n'),
  ).map((i) => narrow(i, 'Block'));
  assert.equal(
    its.map((i) => [i.kind, i.key.name, i.label?.kind ?? null]),
    [
      ['Block', 'chroot', null],
      ['Block', 'source', 'String'],
      ['Block', 'provides', 'Ident'],
      ['Block', 'odd', 'Shell'],
    ],
  );
  const mount = narrow(its[0].items[0], 'Block');
  assert.is(mount.kind, 'Block');
  assert.is(narrow(mount.label, 'String').value, '/serpent');
  assert.equal(
    mount.items.map((i) => narrow(i, 'Field').key.name),
    ['from', 'readonly'],
  );
  const parts = narrow(its[1].label, 'String').parts;
  assert.equal(parts, [{ lit: 'https://x/y-' }, { ref: 'version', loc: refLoc(parts[1]) }, { lit: '.tar.gz' }]);
});

test('steps: built-in and custom, with and without after and placement', () => {
  const its = items(
    [
      'configure on host """',
      '  ./configure',
      '"""',
      'build """make"""',
      'install in chroot """make install"""',
      'step verify after install in chroot """ldd"""',
      'step a after verify """x"""',
      'step b on host """y"""',
      'step c """z"""',
    ].join('\n'),
  ).map((i) => narrow(i, 'Step'));
  assert.equal(
    its.map((i) => [i.kind, i.name.name, i.custom, i.after?.name ?? null, i.placement?.name ?? null, i.body.text]),
    [
      ['Step', 'configure', false, null, 'host', './configure\n'],
      ['Step', 'build', false, null, null, 'make\n'],
      ['Step', 'install', false, null, 'chroot', 'make install\n'],
      ['Step', 'verify', true, 'install', 'chroot', 'ldd\n'],
      ['Step', 'a', true, 'verify', null, 'x\n'],
      ['Step', 'b', true, null, 'host', 'y\n'],
      ['Step', 'c', true, null, null, 'z\n'],
    ],
  );
});

test('steps: a field named after is still a field', () => {
  const [s] = ok('stage stage2 { after = stage1 }');
  const f = narrow(s.items[0], 'Field');
  assert.equal([f.kind, f.key.name, narrow(f.value, 'Ident').name], ['Field', 'after', 'stage1']);
});

test('use: without arguments, empty, with arguments and a trailing comma', () => {
  const its = items('use plain\nuse empty()\nuse autotools(flags = "--x", jobs = 2, list = [a],)').map((i) =>
    narrow(i, 'Use'),
  );
  assert.equal(
    its.map((i) => [i.kind, i.template.name, i.args.length]),
    [
      ['Use', 'plain', 0],
      ['Use', 'empty', 0],
      ['Use', 'autotools', 3],
    ],
  );
  assert.equal(
    its[2].args.map((a) => [a.kind, a.key.name, a.op, a.value.kind]),
    [
      ['Field', 'flags', '=', 'String'],
      ['Field', 'jobs', '=', 'Int'],
      ['Field', 'list', '=', 'List'],
    ],
  );
});

test('the language document example parses cleanly', () => {
  const text = `# stages/stage3/util-linux.recipe
package util-linux in stage3 {
  version = "2.40.2"
  source "https://www.kernel.org/pub/linux/utils/util-linux/v2.40/util-linux-\${version}.tar.xz" {
    sha256 = "d78b37a66f5922d70edf3bdfb01a6b33d34ed3c3cafd6628203b2a2b67c8e8b3"
  }
  depends = [ncurses, zlib, file]
  provides {
    commands = [mount, umount, lsblk]
    libraries = ["libmount.so", "libblkid.so"]
  }
  use autotools(flags = "--disable-hardlink --without-systemd")
}
`;
  const [pkg] = ok(text);
  assert.equal(
    pkg.items.map((i) => i.kind),
    ['Field', 'Block', 'Field', 'Block', 'Use'],
  );
  assert.is(pkg.loc.line, 2);
  assert.is(pkg.loc.endLine, 13);
});

// ---------------------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------------------

test('locs: 1-based, end inclusive, offsets, on every node', () => {
  const text = 'package a in s {\n  x = "v"\n}';
  const [pkg] = ok(text);
  assert.equal(pkg.loc, { file: FILE, line: 1, col: 1, endLine: 3, endCol: 1, offset: 0, endOffset: text.length - 1 });
  assert.equal(pkg.name.loc, { file: FILE, line: 1, col: 9, endLine: 1, endCol: 9, offset: 8, endOffset: 8 });
  const field = narrow(pkg.items[0], 'Field');
  assert.equal(field.loc, { file: FILE, line: 2, col: 3, endLine: 2, endCol: 9, offset: 19, endOffset: 25 });
  assert.equal(field.value.loc, { file: FILE, line: 2, col: 7, endLine: 2, endCol: 9, offset: 23, endOffset: 25 });
});

test('locs: multi-line shell bodies and CRLF files', () => {
  const text = 'package a in s {\r\n  build """\r\n    make\r\n  """\r\n  v = "x"\r\n}\r\n';
  const [pkg] = ok(text);
  const [build, v] = pkg.items;
  const { body } = narrow(build, 'Step');
  assert.equal([build.loc.line, build.loc.endLine, build.loc.endCol], [2, 4, 5]);
  assert.equal([body.text, body.firstLine, body.indent], ['make\n', 3, 4]);
  assert.equal([v.loc.line, v.loc.col], [5, 3]);
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
  const text = 'target t { v = "a-${name}${v2}/$x \\${lit} $" }';
  const r = p(text);
  assert.equal(r.diagnostics, []);
  const v = narrow(narrow(r.ast.decls[0].items[0], 'Field').value, 'String');
  assert.is(v.value, 'a-${name}${v2}/$x ${lit} $');
  assert.equal(
    v.parts.map((x) => ('ref' in x ? { ref: x.ref } : x)),
    [{ lit: 'a-' }, { ref: 'name' }, { ref: 'v2' }, { lit: '/$x ${lit} $' }],
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
