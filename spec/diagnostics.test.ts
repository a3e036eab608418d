// Diagnostic rendering, sorting, did-you-mean, messages built from the catalogue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Loc } from '../grammar/syntax.js';
import { compileSources } from '../compiler/index.js';
import { Sink, sortDiagnostics, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { formatDiagnostic } from '../compiler/diagnostics/render.js';
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
