// Diagnostic rendering, sorting, did-you-mean, messages built from the catalogue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Loc } from '../grammar/syntax.js';
import { compileSources } from '../compiler/index.js';
import { Sink, sortDiagnostics, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { formatDiagnostic, frame, MAX_LINE_WIDTH } from '../compiler/diagnostics/render.js';
import { didYouMean, distance } from '../compiler/diagnostics/suggest.js';
import { caseOf, caseSources } from './helpers/cases.js';

const loc = (file: string, line: number, col: number, endCol: number): Loc => ({
  file,
  line,
  col,
  endLine: line,
  endCol,
  offset: 0,
  endOffset: 0,
});

test('format: location, code, source line, caret under the span, notes with their own excerpt', () => {
  const text = 'package a in stage2 {\n  depnds = [tools]\n}\n';
  const d: Diagnostic = {
    severity: 'error',
    code: 'unknown-field',
    message: 'no field `depnds`',
    loc: loc('a.recipe', 2, 3, 8),
    notes: [{ message: 'did you mean `depends`?' }, { message: 'declared here', loc: loc('a.recipe', 1, 9, 9) }],
  };
  const out = formatDiagnostic(d, () => text);
  assert.is(
    out,
    [
      'a.recipe:2:3: error[unknown-field]: no field `depnds`',
      '  |',
      '2 |   depnds = [tools]',
      '  |   ^^^^^^',
      '  note: did you mean `depends`?',
      '  note: a.recipe:1:9: declared here',
      '    |',
      '  1 | package a in stage2 {',
      '    |         ^',
    ].join('\n'),
  );
});

test('format: colour only when asked; no location renders as serpentc:', () => {
  const d: Diagnostic = { severity: 'error', code: 'no-recipes', message: 'none', loc: null, notes: [] };
  assert.is(
    formatDiagnostic(d, () => undefined),
    'serpentc: error[no-recipes]: none',
  );
  assert.match(
    formatDiagnostic(d, () => undefined, { color: true }),
    '\x1b[1;31merror[no-recipes]',
  );
});

test('sink: sorted by file, line, column; exact duplicates dropped', () => {
  const s = new Sink();
  s.error('undefined-stage', loc('b.recipe', 1, 1, 1), { stage: 'x' });
  s.error('undefined-stage', loc('a.recipe', 10, 1, 1), { stage: 'y' });
  s.error('undefined-stage', loc('a.recipe', 2, 5, 5), { stage: 'z' });
  s.error('undefined-stage', loc('a.recipe', 2, 5, 5), { stage: 'z' });
  s.error('no-recipes', null, { dir: 'w' });
  assert.ok(s.hasErrors);
  assert.equal(
    s.sorted().map((d) => d.message),
    [
      'no *.recipe files found in `w`',
      'stage `z` is not defined',
      'stage `y` is not defined',
      'stage `x` is not defined',
    ],
  );
  assert.is(sortDiagnostics([]).length, 0);
});

test('did-you-mean: close names only', () => {
  assert.is(distance('kitten', 'sitting'), 3);
  assert.is(didYouMean('depnds', ['depends', 'patches', 'files']), 'depends');
  assert.is(didYouMean('xyz', ['depends', 'patches']), null);
  assert.is(didYouMean('Version', ['version']), 'version');
});

/** The shown line and the text above the caret, from a rendered excerpt. */
function underCaret(line: string, col: number, endCol: number): { shown: string; marked: string } {
  const f = frame(line, loc('a.recipe', 1, col, endCol));
  return { shown: f.shown, marked: f.shown.slice(f.caretFrom, f.caretTo) };
}

test('frame: a long line shows a window around the caret with … marks, the caret still under its text', () => {
  // 300 characters, every one different from its neighbours so the caret's text shows where it is
  const line = Array.from({ length: 300 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
  // [col, endCol, cut on the left, cut on the right]
  const cases: Array<[number, number, boolean, boolean]> = [
    [150, 155, true, true],
    [1, 3, false, true],
    [298, 300, true, false],
    [301, 301, true, false], // just after the end, where an error at the end of the line points
    [40, 60, true, true],
    [20, 30, false, true],
    [100, 100, true, true],
    [200, 290, true, true],
  ];
  for (const [col, endCol, left, right] of cases) {
    const { shown, marked } = underCaret(line, col, endCol);
    assert.ok(shown.length <= MAX_LINE_WIDTH, `${col}: ${shown.length} columns`);
    assert.is(shown.startsWith('…'), left, `${col}: left mark`);
    assert.is(shown.endsWith('…'), right, `${col}: right mark`);
    assert.is(marked, col > line.length ? '' : line.slice(col - 1, endCol), `${col}-${endCol}`);
  }
  // a caret wider than the window starts near its left edge and runs to the cut
  const wide = underCaret(line, 20, 280);
  assert.ok(wide.shown.startsWith('…') && wide.shown.endsWith('…'));
  assert.is(wide.marked, wide.shown.slice(wide.shown.indexOf(line.slice(19, 30)), -1));
  // a short line is left as it is
  assert.equal(frame('  depends = [x]', loc('a.recipe', 1, 14, 14)), {
    shown: '  depends = [x]',
    caretFrom: 13,
    caretTo: 14,
  });
});

test('frame: the whole excerpt of a long line, caret aligned in the rendered text', () => {
  const line = `  depends = [${Array.from({ length: 40 }, (_, i) => `pkg${i}`).join(', ')}, zlbi]`;
  const col = line.indexOf('zlbi') + 1;
  const d: Diagnostic = {
    severity: 'error',
    code: 'undefined-package',
    message: 'package `zlbi` is not defined in stage `stage2`',
    loc: loc('a.recipe', 3, col, col + 3),
    notes: [],
  };
  const [, , source, caret] = formatDiagnostic(d, () => `a\nb\n${line}\n`).split('\n');
  assert.ok(source.startsWith('3 | …'), source);
  assert.ok(source.endsWith('zlbi]'), source);
  assert.is(caret.indexOf('^'), source.indexOf('zlbi'));
  assert.ok(caret.endsWith('^^^^') && !caret.endsWith('^^^^^'), caret);
});

test('frame: tabs are one column; invisible characters show as <U+XXXX>, the caret widened under them', () => {
  assert.equal(underCaret('\tversion = 1', 2, 8), { shown: ' version = 1', marked: 'version' });
  const zw = underCaret('  version = "1"\u200b', 16, 16);
  assert.equal(zw, { shown: '  version = "1"<U+200B>', marked: '<U+200B>' });
  // after an invisible character, the caret still lands under its text
  assert.is(underCaret('a\u200bb = c', 3, 3).marked, 'b');
  assert.is(underCaret('a\u0007bc', 2, 3).marked, '<U+0007>b');
  // an invisible character in a long line, before the window, and in it
  const long = `${'x'.repeat(150)}\u00a0${'y'.repeat(150)}`;
  assert.is(underCaret(long, 151, 151).marked, '<U+00A0>');
  assert.is(underCaret(long, 290, 290).marked, 'y');
});
test('names of Object.prototype properties are unknown fields and parameter types, not a crash', async () => {
  const c = caseOf('constructs', 'minimal');
  const text =
    'package x in stage1 {\n  version = "1"\n  toString = "x"\n  constructor { }\n}\ntemplate t(a: toString) { }\n';
  const res = await compileSources([...caseSources(c), { rel: 'x.recipe', text }], { stagesDir: c.input });
  assert.equal(
    res.diagnostics.map((d) => `${d.code}: ${d.message}`),
    [
      'unknown-field: package `x` has no field `toString`',
      'unknown-field: package `x` has no block `constructor`',
      'wrong-type: unknown parameter type `toString`; expected one of string, int, bool, list',
    ],
  );
});

test.run();
