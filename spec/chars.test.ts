// Invisible characters (grammar/chars.ts): named in messages, never printed; a byte order mark at the start of a
// recipe is accepted with the columns an editor shows; a file that is not UTF-8 is reported, not decoded away.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codePoint, hasInvisible, isInvisible, nameChar, visible } from '../grammar/chars.js';
import { parse } from '../grammar/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSources } from '../compiler/index.js';
import { Sink } from '../compiler/diagnostics/diagnostic.js';
import { readRecipe, reportInvalid } from '../compiler/load.js';
import { caseOf, caseSources } from './helpers/cases.js';

test('chars: invisible characters are named, visible ones quoted', () => {
  assert.is(nameChar('\u200b', "'"), 'U+200B ZERO WIDTH SPACE');
  assert.is(nameChar('\u00a0', "'"), 'U+00A0 NO-BREAK SPACE');
  assert.is(nameChar('\u0000', "'"), 'U+0000 NULL');
  assert.is(nameChar('\u001b', "'"), 'U+001B ESCAPE');
  assert.is(nameChar('\u007f', "'"), 'U+007F DELETE');
  assert.is(nameChar('\u202e', "'"), 'U+202E RIGHT-TO-LEFT OVERRIDE');
  assert.is(nameChar('\ufe0f', "'"), 'U+FE0F VARIATION SELECTOR-16');
  assert.is(nameChar('\u{e0041}', "'"), 'U+E0041 TAG CHARACTER');
  assert.is(nameChar('\ufffd', "'"), 'U+FFFD REPLACEMENT CHARACTER (the file is not valid UTF-8 there)');
  assert.is(nameChar('g', '`'), '`g`');
  assert.is(nameChar('é', "'"), "'é'");
  assert.is(codePoint('\u{1f600}'), 'U+1F600');
  assert.ok(isInvisible('\ufeff'));
  assert.ok(!isInvisible(' '));
  assert.ok(!isInvisible('a'));
  assert.ok(!isInvisible('\u{1f600}'));
});

test('chars: visible() writes invisible characters as <U+XXXX>, keeps tabs, newlines and the rest', () => {
  assert.is(visible('a\u200bb\tc\nd\u00a0e'), 'a<U+200B>b\tc\nd<U+00A0>e');
  assert.is(visible('plain ascii, é and 😀'), 'plain ascii, é and 😀');
  assert.ok(hasInvisible('x\u2060'));
  assert.ok(!hasInvisible('x\ty\n'));
});

/** The messages of parsing `text`. */
const messages = (text: string) => parse('t.recipe', text).diagnostics.map((d) => d.message);

test('lexer: an invisible character is named with what to do; smart quotes ask for plain ones', () => {
  assert.equal(messages('stage s {\u200b}'), [
    'unexpected character U+200B ZERO WIDTH SPACE: it is invisible; delete it',
  ]);
  assert.equal(messages('stage s\u00a0{ }'), [
    'unexpected character U+00A0 NO-BREAK SPACE: write a plain space instead',
  ]);
  assert.equal(messages('stage s {\u3000}'), [
    'unexpected character U+3000 IDEOGRAPHIC SPACE: write a plain space instead',
  ]);
  assert.equal(messages('stage s { }\u0000'), ['unexpected character U+0000 NULL: it is invisible; delete it']);
  assert.equal(messages('stage s { after = \u2018x\u2019 }').slice(0, 1), [
    "unexpected character '\u2018' (U+2018): write a plain '",
  ]);
  // a run of characters no token matches: invisible ones written out
  assert.equal(messages('stage s { }\u200b\u200b'), ["unexpected characters '<U+200B><U+200B>'"]);
  assert.equal(messages('stage s { } @'), ["unexpected character '@'"]);
  // no syntax message holds an invisible character, whatever the input
  for (const text of ['stage \u200bs { }', 'stage s { x "\u200b" }', 'stage s { step a b\u2060 """\n"""}']) {
    for (const m of messages(text)) assert.ok(!hasInvisible(m), JSON.stringify(m));
  }
});

test('load: a byte order mark at the start is dropped, the first line keeps the columns an editor shows', async () => {
  const c = caseOf('constructs', 'minimal');
  const text =
    '\ufeffpackage x in stage1 {\n  version = "1"\n  dpends = []\n}\npackage y in stage1 { verison = "1" }\n';
  const res = await compileSources([...caseSources(c), { rel: 'x.recipe', text }], { stagesDir: c.input });
  assert.equal(
    res.diagnostics.map((d) => `${d.loc?.line}:${d.loc?.col} ${d.code}`),
    ['3:3 unknown-field', '5:23 unknown-field'], // a misspelt required field is not also missing
  );
  assert.is(res.texts.get('x.recipe'), text.slice(1));
  // one anywhere else is an error naming it
  const later = await compileSources([...caseSources(c), { rel: 'x.recipe', text: `# x\n${text}` }], {
    stagesDir: c.input,
  });
  assert.equal(
    later.diagnostics[0].message,
    'unexpected character U+FEFF ZERO WIDTH NO-BREAK SPACE (byte order mark): it is invisible; delete it',
  );
  assert.equal([later.diagnostics[0].loc?.line, later.diagnostics[0].loc?.col], [2, 1]);
});

test('load: a file that is not UTF-8 is read to its first invalid byte, which is placed where an editor shows it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpentc-utf8-'));
  try {
    const read = (bytes: readonly number[]) => {
      const path = join(dir, 'x.recipe');
      writeFileSync(path, Uint8Array.from(bytes));
      const r = readRecipe(path);
      // the same verdict as a strict decoder's
      let strict = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
      } catch {
        strict = false;
      }
      assert.is(r.invalid === undefined, strict, `verdict on ${bytes.map((b) => b.toString(16)).join(' ')}`);
      return r.invalid && [r.invalid.offset, r.invalid.byte];
    };
    const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];
    assert.is(read(utf8('caf\u00e9 \ufffd \u{1f600}\n')), undefined); // U+FFFD and astral characters are text
    assert.equal(read([...utf8('ab'), 0xe9, ...utf8('cd')]), [2, 0xe9]); // Latin-1 é
    assert.equal(read([0x61, 0xc0, 0x80]), [1, 0xc0]); // an overlong NUL
    assert.equal(read([0x78, 0xed, 0xa0, 0x80]), [1, 0xed]); // a UTF-16 surrogate
    assert.equal(read([0xf4, 0x90, 0x80, 0x80]), [0, 0xf4]); // past U+10FFFF
    assert.equal(read([...utf8('\u00e9'), 0xe2, 0x82]), [1, 0xe2]); // cut short at the end
    assert.equal(read([0xe2, 0x82, 0x41]), [0, 0xe2]); // cut short by an ASCII byte
    assert.equal(read([0x80]), [0, 0x80]); // a continuation byte alone
    // offsets count the decoded text's UTF-16 units: U+FFFD is one, the emoji two
    assert.equal(read([...utf8('\ufffd\u{1f600}'), 0x80]), [3, 0x80]);
    assert.equal(read([...utf8('\ufeffa'), 0xff]), [2, 0xff]); // a byte order mark counts here; reportInvalid drops it

    const sink = new Sink();
    const text = '\ufeffpackage x in s {\n  # caf\ufffd\n}\n';
    reportInvalid(sink, 'x.recipe', text, { offset: 25, byte: 0xe9 });
    const [d] = sink.sorted();
    assert.equal([d.code, d.loc?.line, d.loc?.col, d.loc?.offset], ['bad-encoding', 2, 8, 24]);
    assert.is(d.message, 'not valid UTF-8: byte 0xe9 is no part of a UTF-8 character; recipe files are UTF-8 text');
    assert.equal(
      d.notes.map((n) => n.message),
      ['in ISO 8859-1 (Latin-1), 0xe9 is `é`; if the file is Latin-1, `iconv -f ISO-8859-1 -t UTF-8` converts it'],
    );
    const c1 = new Sink();
    reportInvalid(c1, 'x.recipe', 'a\ufffd', { offset: 1, byte: 0x85 }); // 0x80-0x9f: no character in Latin-1
    assert.equal(c1.sorted()[0].notes, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compiler messages write source values with invisible characters as <U+XXXX>', async () => {
  const c = caseOf('constructs', 'minimal');
  const text = 'package x in stage1 {\n  version = "1.0\u200b"\n  depends = []\n}\n';
  const res = await compileSources([...caseSources(c), { rel: 'x.recipe', text }], { stagesDir: c.input });
  assert.equal(
    res.diagnostics.map((d) => d.message),
    ['version `1.0<U+200B>` must start with a letter or digit and contain only letters, digits and . _ + ~ -'],
  );
});

test.run();
