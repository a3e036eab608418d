// serpentc fmt: over every real recipe, the synthetic corpus and re-spaced variants of both, formatting is
// idempotent and keeps the AST (positions aside) and the comments; stages/ compiles to the same build graph
// formatted; and the specific layouts the language's constructs get, comments, bodies and long lists included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { prng, synthesize } from '../bench/synth.js';
import { comments } from '../grammar/comments.js';
import { parse } from '../grammar/index.js';
import * as T from '../grammar/tokens.js';
import { compile, compileSources } from '../compiler/index.js';
import { format, PRINT_WIDTH, shape } from '../compiler/fmt/index.js';
import { CLI_BIN, REPO_ROOT, SPEC_DIR } from './helpers/paths.js';

function recipesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...recipesBelow(path));
    else if (name.endsWith('.recipe')) out.push(path);
  }
  return out;
}

const STAGES = join(REPO_ROOT, 'stages');
const E2E = join(SPEC_DIR, 'e2e', 'stages');
const CONSTRUCTS = join(SPEC_DIR, 'cases', 'constructs');

/** Every real recipe: stages/, the e2e stages, and the construct cases with their shared base. */
function realRecipes(): string[] {
  return [
    ...recipesBelow(STAGES),
    ...recipesBelow(E2E),
    ...recipesBelow(CONSTRUCTS),
    join(SPEC_DIR, 'cases', 'base.recipe'),
  ];
}

async function formatted(text: string, file = 'test.recipe'): Promise<string> {
  const r = await format(text, file);
  if (r.formatted === null) throw new Error(`${file}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.formatted;
}

const commentTexts = (text: string): string[] => comments(text).map((c) => c.text.trimEnd());

/** The properties every formatted text has: same AST shape, same comments, and formatting it again is a no-op. */
async function assertProperties(text: string, file: string): Promise<string> {
  const once = await formatted(text, file);
  const before = parse(file, text);
  const after = parse(file, once);
  assert.equal(
    after.diagnostics.filter((d) => d.severity === 'error'),
    [],
    `${file}: formatted text has errors`,
  );
  assert.is(shape(after.ast), shape(before.ast), `${file}: AST changed`);
  assert.equal(commentTexts(once), commentTexts(text), `${file}: comments changed`);
  assert.is(await formatted(once, file), once, `${file}: not idempotent`);
  return once;
}

/**
 * The same tokens, spaced at random: newlines where spaces were and back, indentation of any depth, a comment
 * always ending its line. Shell bodies whose text starts on the opening line mean something else when moved,
 * so the variant is compared with itself, never with the original.
 */
function respace(text: string, seed: number): string {
  const rand = prng(seed);
  const lexed = T.lexer.tokenize(text);
  const all = [...lexed.tokens, ...(lexed.groups[T.COMMENTS] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  let out = '';
  for (const t of all) {
    if (out !== '') {
      const r = rand();
      out += r < 0.5 ? ' ' : r < 0.8 ? `\n${' '.repeat(Math.floor(rand() * 9))}` : r < 0.9 ? '\n\n\n' : '   ';
    }
    out += t.image;
    if (t.tokenType === T.Comment) out += '\n';
  }
  return `${out}\n`;
}

test('every real recipe: idempotent, same AST and comments', async () => {
  for (const file of realRecipes()) await assertProperties(readFileSync(file, 'utf8'), relative(REPO_ROOT, file));
});

test('re-spaced real recipes: idempotent, same AST and comments', async () => {
  let seed = 1;
  for (const file of realRecipes()) {
    const text = respace(readFileSync(file, 'utf8'), seed++);
    if (parse(file, text).diagnostics.some((d) => d.severity === 'error')) continue; // a body moved into an error
    await assertProperties(text, `${relative(REPO_ROOT, file)} (respaced ${seed - 1})`);
  }
});

test('the synthetic corpus and its re-spaced variant: idempotent, same AST and comments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-synth-'));
  try {
    synthesize(dir, 120, 7);
    const files = recipesBelow(dir);
    assert.ok(files.length > 3, 'synthesize wrote recipes');
    let seed = 100;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      await assertProperties(text, relative(dir, file));
      await assertProperties(respace(text, seed++), `${relative(dir, file)} (respaced)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stages/ formatted compiles to the same build graph', async () => {
  const files = recipesBelow(STAGES);
  const original = await compile(STAGES);
  assert.ok(original.graph, 'stages/ compiles');
  const sources = await Promise.all(
    files.map(async (f) => ({ rel: relative(STAGES, f), text: await formatted(readFileSync(f, 'utf8'), f) })),
  );
  // compileSources names files by `rel`; compile names them by path: compare graphs from the same kind of call
  const plain = await compileSources(
    files.map((f) => ({ rel: relative(STAGES, f), text: readFileSync(f, 'utf8') })),
    { stagesDir: STAGES },
  );
  const after = await compileSources(sources, { stagesDir: STAGES });
  assert.equal(after.diagnostics, plain.diagnostics);
  assert.ok(after.graph && plain.graph);
  assert.is(JSON.stringify(after.graph), JSON.stringify(plain.graph));
});

// ---------------------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------------------

test('canonical input is left as it is: every construct', async () => {
  const text = `# leading comment

target x86_64 {
  default = true
  triplet = "x86_64-serpent-linux-musl" # trailing comment
}

stage stage3 {
  after = stage2
  env {}
  chroot {
    path = ["/usr/bin", "/serpent/usr/bin"]
    mount "/serpent" { from = stage2  readonly = true }
  }
}

template t(a: string = "x", n: int = 0, l: list = [], b: bool = false) {
  build """
    make
  """
}

package p in stage3 {
  version = "1.0"
  source "https://example.org/p-\${version}.tar.gz" {
    sha256 = "ab\\"\\$c"
  }
  depends += [zlib]
  use t(a = 1, b = "x")
  step verify after install on host """
    true
  """
  # a comment at the end of a block
}

pass p-2 of p in stage3 {
  depends += [systemd]
}
# a comment at the end of the file
`;
  assert.is(await formatted(text), text);
});

test('indentation, spacing and blank lines: 2 spaces, key = value, at most one blank line kept', async () => {
  const text =
    'package p in s {\n\n\n      version="1"     depends   +=[a,b ,]\n\n\n\n  build """\n    make\n  """\n}\ntarget x {}\n';
  const out = await formatted(text);
  assert.is(
    out,
    'package p in s {\n  version = "1"\n  depends += [a, b]\n\n  build """\n    make\n  """\n}\ntarget x {}\n',
  );
});

test('comments stay where they were: own line before items, end of line, end of block and file, empty block', async () => {
  const text = [
    '# file',
    'stage s {  # after the brace',
    '  # before a',
    '  a = 1   # after a',
    '  env {',
    '    # only this',
    '  }',
    '  l = [x, # after x',
    '    y]',
    '  # end of block',
    '}',
    '# end of file',
    '',
  ].join('\n');
  const out = await formatted(text);
  const lines = out.split('\n');
  assert.ok(lines.includes('stage s { # after the brace'), out);
  assert.ok(lines.indexOf('  # before a') + 1 === lines.indexOf('  a = 1 # after a'), out);
  assert.ok(lines.indexOf('    # only this') === lines.indexOf('  env {') + 1, out);
  assert.ok(lines.includes('    x, # after x'), out);
  assert.ok(lines.indexOf('  # end of block') === lines.indexOf('}') - 1, out);
  assert.is(lines[lines.length - 2], '# end of file');
});

test("comments among a template's parameters stay there: before its `)`, before the first, after the `{`", async () => {
  const text = [
    'template t(a: string = "x", # on a',
    '  # between',
    '  b: string = "y" # on b',
    '  # last',
    ') { # brace',
    '  # first item',
    '  build """',
    '    echo ${a} ${b}',
    '  """',
    '}',
    'template u(',
    '  # only',
    '  a: string = "x") {',
    '  build """',
    '    echo ${a}',
    '  """',
    '}',
    '',
  ].join('\n');
  // the same AST and comments, idempotent
  const out = await assertProperties(text, 'params.recipe');
  const lines = out.split('\n');
  assert.ok(lines.indexOf('  # last') === lines.indexOf(') { # brace') - 1, out);
  assert.ok(lines.indexOf('  # first item') === lines.indexOf(') { # brace') + 1, out);
  assert.ok(lines.indexOf('  # only') === lines.indexOf('template u(') + 1, out);
});

test('a comment between a head and its `{` moves after the `{`, before the comments written there', async () => {
  const text = [
    'package foo in stage1 # on the head',
    '{ # on the brace',
    '  source "https://example.org/a.tar.gz" # on the label',
    '  # below the label',
    '  { # on its brace',
    '    sha256 = "0000000000000000000000000000000000000000000000000000000000000000"',
    '  }',
    '  env # on env',
    '  {',
    '  }',
    '}',
    '',
  ].join('\n');
  // the same AST and comments, idempotent (this input was an internal error: "different comments")
  const out = await assertProperties(text, 'brace.recipe');
  const lines = out.split('\n');
  assert.is(lines[0], 'package foo in stage1 { # on the head');
  assert.is(lines[1], '  # on the brace');
  assert.is(lines[2], '  source "https://example.org/a.tar.gz" { # on the label');
  assert.equal(lines.slice(3, 5), ['    # below the label', '    # on its brace']);
  assert.equal(lines.slice(7, 10), ['  env {', '    # on env', '  }']);
});

test('shell bodies are kept byte for byte, wherever the block around them moves', async () => {
  const body = '"""\n\tcat > x <<EOF\n  keep   this  \nEOF\n        odd """';
  const text = `package p in s {\n        build on host ${body}\n}\n`;
  const out = await formatted(text);
  assert.ok(out.includes(`  build on host ${body}\n`), out);
});

test('a body with text on its opening line keeps its dedented text when its column moves', async () => {
  const text = 'package p in s {\n      build """make\n        install"""\n}\n';
  const out = await assertProperties(text, 'opening.recipe');
  const bodyOf = (t: string) => {
    const d = parse('x', t).ast.decls[0];
    const it = d.items[0];
    return it.kind === 'Step' ? it.body.text : null;
  };
  assert.is(bodyOf(out), bodyOf(text));
});

test('bodies with text on the opening line: blank, whitespace-only and trailing-space lines, heredocs, any column', async () => {
  const rand = prng(3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let i = 0; i < 400; i++) {
    const at = ' '.repeat(Math.floor(rand() * 8));
    const lines = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
      pick(['make', '', ' ', '   ', '\t', 'cat <<EOF', '  x  ', 'EOF', '\t\tmake']),
    );
    const body = lines.map((l) => pick([at, `${at}  `, '']) + l).join('\n');
    const text = `package a in s {\n${at}build """${pick(['make', ' x', 'make  '])}\n${body}\n${pick([at, '', '  '])}"""\n}\n`;
    await assertProperties(text, `opening-${i}.recipe`);
  }
});

test('long lists are filled to the print width, aligned after the bracket', async () => {
  const names = Array.from({ length: 60 }, (_, i) => `tool${i}`);
  const text = `package p in s {\n  provides {\n    commands = [${names.join(', ')}]\n  }\n}\n`;
  const out = await formatted(text);
  const lines = out.split('\n');
  const first = lines.findIndex((l) => l.startsWith('    commands = ['));
  const column = '    commands = ['.length;
  const rest = lines.slice(first + 1, lines.indexOf('  }'));
  assert.ok(rest.length >= 2, out);
  for (const l of [lines[first], ...rest]) assert.ok(l.length <= PRINT_WIDTH, `too long: ${l}`);
  for (const l of rest) assert.ok(l.startsWith(' '.repeat(column)) && l[column] !== ' ', `not aligned: ${l}`);
  // filled, not one item a line: each line but the last has room for no further item
  for (let i = first; i < first + rest.length; i++) {
    const next = (lines[i + 1].trim().split(',')[0] ?? '').replace(/]$/, '');
    assert.ok(lines[i].length + 1 + next.length + 1 > PRINT_WIDTH, `could hold ${next}: ${lines[i]}`);
  }
});

test('long template parameters and use arguments break one a line; one argument hugs its parentheses', async () => {
  const long = 'x'.repeat(100);
  const text = `template t(a: string = "${long}", b: int = 1) {}\npackage p in s {\n  use t(a = "${long}")\n  use t(a = "${long}", b = 2)\n}\n`;
  const out = await formatted(text);
  assert.ok(out.startsWith(`template t(\n  a: string = "${long}",\n  b: int = 1,\n) {}\n`), out);
  assert.ok(out.includes(`  use t(a = "${long}")\n`), out);
  assert.ok(out.includes(`  use t(\n    a = "${long}",\n    b = 2,\n  )\n`), out);
});

test('labelled blocks: written on one line they stay on one line while they fit, else one item a line', async () => {
  const text = `stage s {\n  chroot {\n    mount "/x" {from=a readonly=true}\n    mount "/y" {\n      from = b\n    }\n  }\n}\npackage p in s {\n  source "https://example.org/${'p'.repeat(100)}.tar.gz" { sha256 = "00" }\n}\n`;
  const out = await formatted(text);
  assert.ok(out.includes('    mount "/x" { from = a  readonly = true }\n'), out);
  assert.ok(out.includes('    mount "/y" {\n      from = b\n    }\n'), out);
  assert.ok(out.includes('.tar.gz" {\n    sha256 = "00"\n  }\n'), out);
});

test('strings, integers and placements keep their spelling', async () => {
  const text = 'package p in s {\n  a = "\\t\\$x\\\\"\n  n = 007\n  build in host """\n    make\n  """\n}\n';
  const out = await formatted(text);
  assert.is(out, text);
});

test('a file with syntax errors is not formatted: its errors come back', async () => {
  const r = await format('package p in s {\n  x = [a\n}\n', 'broken.recipe');
  assert.is(r.formatted, null);
  assert.ok(r.diagnostics.length > 0 && r.diagnostics.every((d) => d.severity === 'error'));
});

// ---------------------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------------------

const serpentc = (...args: string[]) => spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8' });

test('serpentc fmt: --check lists, writing rewrites only what changes, broken files are reported and kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-cli-'));
  try {
    const ugly = 'package p in s {\nversion="1"\n}\n';
    const clean = 'package q in s {\n  version = "1"\n}\n';
    const broken = 'package r in s {\n  x = [a\n}\n';
    writeFileSync(join(dir, 'a.recipe'), ugly);
    writeFileSync(join(dir, 'b.recipe'), clean);
    writeFileSync(join(dir, 'notes.txt'), ugly);
    const check = serpentc('fmt', '--check', dir);
    assert.is(check.status, 1);
    assert.is(check.stdout, `${join(dir, 'a.recipe')}\n`);
    assert.is(readFileSync(join(dir, 'a.recipe'), 'utf8'), ugly, '--check writes nothing');

    const before = statSync(join(dir, 'b.recipe')).mtimeMs;
    const write = serpentc('fmt', dir);
    assert.is(write.status, 0, write.stderr);
    assert.is(readFileSync(join(dir, 'a.recipe'), 'utf8'), 'package p in s {\n  version = "1"\n}\n');
    assert.is(statSync(join(dir, 'b.recipe')).mtimeMs, before, 'unchanged file not rewritten');
    assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), ugly, 'only *.recipe below a directory');
    assert.equal(readdirSync(dir).sort(), ['a.recipe', 'b.recipe', 'notes.txt'], 'no temporary file left');
    assert.is(serpentc('fmt', '--check', dir).status, 0);

    writeFileSync(join(dir, 'c.recipe'), broken);
    const bad = serpentc('fmt', join(dir, 'c.recipe'));
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /error\[syntax-error\]/);
    assert.is(readFileSync(join(dir, 'c.recipe'), 'utf8'), broken);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serpentc fmt formats the file a symbolic link leads to, and the link stays a link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-link-'));
  try {
    const ugly = 'package p in s {\nversion="1"\n}\n';
    mkdirSync(join(dir, 'shared'));
    mkdirSync(join(dir, 'stages'));
    writeFileSync(join(dir, 'shared', 'p.recipe'), ugly, { mode: 0o640 });
    symlinkSync('../shared/p.recipe', join(dir, 'stages', 'p.recipe'));
    const r = serpentc('fmt', join(dir, 'stages'));
    assert.is(r.status, 0, r.stderr);
    assert.ok(lstatSync(join(dir, 'stages', 'p.recipe')).isSymbolicLink(), 'still a link');
    assert.is(readlinkSync(join(dir, 'stages', 'p.recipe')), '../shared/p.recipe');
    assert.is(readFileSync(join(dir, 'shared', 'p.recipe'), 'utf8'), 'package p in s {\n  version = "1"\n}\n');
    assert.is(statSync(join(dir, 'shared', 'p.recipe')).mode & 0o777, 0o640, 'its permissions kept');
    assert.equal(readdirSync(join(dir, 'shared')), ['p.recipe'], 'no temporary file left beside it');
    assert.equal(readdirSync(join(dir, 'stages')), ['p.recipe'], 'nor beside the link');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serpentc fmt rewrites a hard-linked recipe in place: every name of it gets the new layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-hardlink-'));
  try {
    mkdirSync(join(dir, 'stages'));
    writeFileSync(join(dir, 'keep.recipe'), 'package p in s {\nversion="1"\n}\n', { mode: 0o640 });
    linkSync(join(dir, 'keep.recipe'), join(dir, 'stages', 'p.recipe'));
    const before = statSync(join(dir, 'keep.recipe')).ino;
    const r = serpentc('fmt', join(dir, 'stages'));
    assert.is(r.status, 0, r.stderr);
    for (const name of ['keep.recipe', 'stages/p.recipe']) {
      assert.is(readFileSync(join(dir, name), 'utf8'), 'package p in s {\n  version = "1"\n}\n', name);
      assert.is(statSync(join(dir, name)).ino, before, `${name} is still the same file`);
    }
    assert.is(statSync(join(dir, 'keep.recipe')).mode & 0o777, 0o640, 'its permissions kept');
    assert.equal(readdirSync(join(dir, 'stages')), ['p.recipe'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serpentc fmt leaves a file that is not UTF-8 byte for byte as it was, and says where it stops being UTF-8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-latin1-'));
  try {
    // badly laid out, so a formatter that read it would rewrite it: with U+FFFD where the Latin-1 bytes were
    const latin1 = Buffer.from('package p in s {\nversion="1"\n  # caf\xe9\n}\n', 'latin1');
    const utf8 = 'package q in s {\nversion="1"\n  # café\n}\n';
    writeFileSync(join(dir, 'a.recipe'), latin1);
    writeFileSync(join(dir, 'b.recipe'), utf8);
    const r = serpentc('fmt', dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, `${join(dir, 'a.recipe')}:3:8: error[bad-encoding]: not valid UTF-8: byte 0xe9`);
    assert.match(r.stderr, 'in ISO 8859-1 (Latin-1), 0xe9 is `é`');
    assert.ok(readFileSync(join(dir, 'a.recipe')).equals(latin1), 'the Latin-1 file is untouched');
    assert.is(readFileSync(join(dir, 'b.recipe'), 'utf8'), 'package q in s {\n  version = "1"\n  # café\n}\n');
    assert.equal(readdirSync(dir).sort(), ['a.recipe', 'b.recipe'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serpentc fmt leaves a file with a carriage return that ends no line as it was, and says where it is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-fmt-cr-'));
  try {
    // in a body, in a comment (where prettier's line break would turn the rest into code), between tokens;
    // CR LF line ends are fine and normalised
    const texts = {
      'body.recipe': 'package a in s {\n  version = "1"\n  build """\n    make\r    echo x\n  """\n}\n',
      'comment.recipe': 'package b in s { # x\ry\n  version = "1"\n}\n',
      'space.recipe': 'package c in s {\r  version = "1"\n}\n',
      'crlf.recipe': 'package d in s {\r\nversion = "1"\r\n}\r\n',
    };
    for (const [name, text] of Object.entries(texts)) writeFileSync(join(dir, name), text);
    const r = serpentc('fmt', dir);
    assert.is(r.status, 1, r.stderr);
    assert.not.match(r.stderr, /internal error/);
    assert.match(r.stderr, `${join(dir, 'body.recipe')}:4:9: error[bare-cr]: a carriage return that ends no line`);
    assert.match(r.stderr, `${join(dir, 'comment.recipe')}:1:21: error[bare-cr]`);
    assert.match(r.stderr, `${join(dir, 'space.recipe')}:1:17: error[bare-cr]`);
    for (const name of ['body.recipe', 'comment.recipe', 'space.recipe'])
      assert.is(readFileSync(join(dir, name), 'utf8'), texts[name as keyof typeof texts], `${name} was rewritten`);
    assert.is(readFileSync(join(dir, 'crlf.recipe'), 'utf8'), 'package d in s {\n  version = "1"\n}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
