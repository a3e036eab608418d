// Golden cases (spec/helpers/cases.ts): `expected.txt` holds the exact rendered diagnostics of a case,
// `graph.json` the build graph of a clean one. UPDATE_SNAPSHOTS=1 npm test rewrites them. A diagnostics case
// is named after its code, or `<code>--<variant>` when one code has several cases (one per class of mistake).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compiler/index.js';
import { summaries } from '../compiler/diagnostics/catalogue.js';
import { formatDiagnostic } from '../compiler/diagnostics/render.js';
import { CASES_DIR, caseDir, caseDirs, caseTarget, listCases, removeCaseDirs, type Case } from './helpers/cases.js';

const update = process.env.UPDATE_SNAPSHOTS === '1';

async function run(c: Case) {
  const input = caseDir(c);
  const res = await compile(caseDirs(c), caseTarget(c));
  const text = res.diagnostics
    .map((d) => formatDiagnostic(d, (f) => res.texts.get(f)))
    .join('\n')
    .split(`${input}/`)
    .join('')
    .split(input)
    .join('input');
  return { res, text: text ? `${text}\n` : '' };
}

function snapshot(file: string, actual: string, what: string): void {
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    return;
  }
  assert.fixture(actual, readFileSync(file, 'utf8'), what);
}

for (const c of listCases()) {
  test(`${c.area}/${c.name}`, async () => {
    const { res, text } = await run(c);
    if (c.area === 'diagnostics') {
      // The case must produce its own code, and exactly the expected diagnostics.
      const code = c.name.split('--')[0];
      assert.ok(
        res.diagnostics.some((d) => d.code === code),
        `expected a diagnostic with code ${code}, got:\n${text}`,
      );
      const errors = res.diagnostics.some((d) => d.severity === 'error');
      assert.is(res.graph === null, errors, 'a graph exactly when there are no errors');
      snapshot(join(c.dir, 'expected.txt'), text, 'diagnostics');
    } else {
      assert.is(text, '', `a construct case must be clean, got:\n${text}`);
      snapshot(join(c.dir, 'graph.json'), `${JSON.stringify(res.graph, null, 2)}\n`, 'graph');
    }
  });
}

// internal-error reports a bug in serpentc itself; by construction no input reaches it (fuzzing checks that).
const UNREACHABLE = new Set(['internal-error']);
// codes that compiling never reports, with the test that covers them
const ELSEWHERE = new Map([['bare-cr', 'spec/fmt.test.ts: only `serpentc fmt` reports it, and leaves the file']]);

test('every diagnostic code has a golden case', () => {
  const have = new Set(readdirSync(join(CASES_DIR, 'diagnostics')).map((name) => name.split('--')[0]));
  const missing = summaries()
    .map(([code]) => code)
    .filter((c) => !have.has(c) && !UNREACHABLE.has(c) && !ELSEWHERE.has(c));
  assert.equal(missing, [], `codes without a case: ${missing.join(', ')}`);
});

test.after(removeCaseDirs);

test.run();
