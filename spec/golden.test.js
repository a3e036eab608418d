// Golden cases: spec/cases/<area>/<name>/input/ is a recipe directory; `expected.txt` holds the exact rendered
// diagnostics, `graph.json` the build graph of a clean case. UPDATE_SNAPSHOTS=1 npm test rewrites them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/index.js';
import { formatDiagnostic, CODES } from '../compiler/diagnostics.js';

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const update = process.env.UPDATE_SNAPSHOTS === '1';

/** @param {string} caseDir */
async function run(caseDir) {
  const input = join(caseDir, 'input');
  const res = await compile(input, readTarget(caseDir));
  const text = res.diagnostics
    .map((d) => formatDiagnostic(d, (f) => res.texts.get(f)))
    .join('\n')
    .split(`${input}/`)
    .join('')
    .split(input)
    .join('input');
  return { res, text: text ? `${text}\n` : '' };
}

/** @param {string} caseDir */
function readTarget(caseDir) {
  const f = join(caseDir, 'target');
  return existsSync(f) ? { target: readFileSync(f, 'utf8').trim() } : {};
}

/** @param {string} file @param {string} actual @param {string} what */
function snapshot(file, actual, what) {
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    return;
  }
  assert.fixture(actual, readFileSync(file, 'utf8'), what);
}

for (const area of readdirSync(casesDir).sort()) {
  for (const name of readdirSync(join(casesDir, area)).sort()) {
    const dir = join(casesDir, area, name);
    if (!existsSync(join(dir, 'input'))) continue;
    test(`${area}/${name}`, async () => {
      const { res, text } = await run(dir);
      if (area === 'diagnostics') {
        // The case must produce its own code, and exactly the expected diagnostics.
        assert.ok(res.diagnostics.some((d) => d.code === name), `expected a diagnostic with code ${name}, got:\n${text}`);
        const errors = res.diagnostics.some((d) => d.severity === 'error');
        assert.is(res.graph === null, errors, 'a graph exactly when there are no errors');
        snapshot(join(dir, 'expected.txt'), text, 'diagnostics');
      } else {
        assert.is(text, '', `a construct case must be clean, got:\n${text}`);
        snapshot(join(dir, 'graph.json'), `${JSON.stringify(res.graph, null, 2)}\n`, 'graph');
      }
    });
  }
}

// internal-error reports a bug in serpentc itself; by construction no input reaches it (fuzzing checks that).
const UNREACHABLE = new Set(['internal-error']);

test('every diagnostic code has a golden case', () => {
  const have = new Set(readdirSync(join(casesDir, 'diagnostics')));
  const missing = Object.keys(CODES).filter((c) => !have.has(c) && !UNREACHABLE.has(c));
  assert.equal(missing, [], `codes without a case: ${missing.join(', ')}`);
});

test.run();
