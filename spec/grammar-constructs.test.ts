// The front end's constructs: every declaration, field, block, step and use, and the locs on every node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecipeParser } from '../grammar/parser.js';
import { FILE, at, items, narrow, ok, refLoc } from './helpers/grammar.js';

// ---------------------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------------------

test("grammar: passes chevrotain's checks (ambiguity, left recursion, …), which the parser of every start skips", () => {
  // with validate, performSelfAnalysis throws on a faulty grammar ("Parser Definition Errors detected")
  assert.not.throws(() => new RecipeParser(true));
});

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

test.run();
