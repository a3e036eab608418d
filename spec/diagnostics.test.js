// Diagnostic rendering, sorting, did-you-mean.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sink, formatDiagnostic, didYouMean, distance, sortDiagnostics } from '../compiler/diagnostics.js';

const loc = (/** @type {string} */ file, /** @type {number} */ line, /** @type {number} */ col, /** @type {number} */ endCol) => ({ file, line, col, endLine: line, endCol, offset: 0, endOffset: 0 });

test('format: location, code, source line, caret under the span, notes with their own excerpt', () => {
  const text = 'package a in stage2 {\n  depnds = [tools]\n}\n';
  const d = { severity: /** @type {const} */ ('error'), code: 'unknown-field', message: 'no field `depnds`', loc: loc('a.recipe', 2, 3, 8), notes: [{ message: 'did you mean `depends`?' }, { message: 'declared here', loc: loc('a.recipe', 1, 9, 9) }] };
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
  const d = { severity: /** @type {const} */ ('error'), code: 'no-recipes', message: 'none', loc: null, notes: [] };
  assert.is(formatDiagnostic(d, () => undefined), 'serpentc: error[no-recipes]: none');
  assert.match(formatDiagnostic(d, () => undefined, { color: true }), '\x1b[1;31merror[no-recipes]');
});

test('sink: sorted by file, line, column; exact duplicates dropped', () => {
  const s = new Sink();
  s.error('wrong-type', loc('b.recipe', 1, 1, 1), 'x');
  s.error('wrong-type', loc('a.recipe', 10, 1, 1), 'y');
  s.error('wrong-type', loc('a.recipe', 2, 5, 5), 'z');
  s.error('wrong-type', loc('a.recipe', 2, 5, 5), 'z');
  s.error('no-recipes', null, 'w');
  assert.ok(s.hasErrors);
  assert.equal(
    s.sorted().map((d) => d.message),
    ['w', 'z', 'y', 'x'],
  );
  assert.is(sortDiagnostics([]).length, 0);
});

test('did-you-mean: close names only', () => {
  assert.is(distance('kitten', 'sitting'), 3);
  assert.is(didYouMean('depnds', ['depends', 'patches', 'files']), 'depends');
  assert.is(didYouMean('xyz', ['depends', 'patches']), null);
  assert.is(didYouMean('Version', ['version']), 'version');
});

test.run();
