// The mutation corpus of issue 10: single slips (spec/helpers/mutate.ts) in the real stages/, compiled
// in-process. Goals: no run throws (an exit 3), and of the runs that fail, at least 80 % report exactly one
// error (one mistake, one error). Prints the figures; MUTATIONS_N and MUTATIONS_SEED override count and seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';
import { formatCorpus, runCorpus } from './helpers/mutate.js';

const N = Number(process.env.MUTATIONS_N ?? 2000);
const SEED = Number(process.env.MUTATIONS_SEED ?? 20261201);

test(`${N} single slips in stages/: never a crash, one error for at least 80 % of the failing runs`, async () => {
  const r = await runCorpus(join(REPO_ROOT, 'stages'), N, SEED);
  console.log(`\n${formatCorpus(r, SEED)}`);
  const crashes = r.report.filter((l) => l.includes(' threw: '));
  assert.equal(crashes, [], 'runs that threw');
  // the corpus must exercise failures at all, or the share proves nothing
  assert.ok(r.total.failing > N * 0.25, `too few failing runs: ${r.total.failing} of ${N}`);
  const share = r.total.single / r.total.failing;
  assert.ok(
    share >= 0.8,
    `one-error share ${(100 * share).toFixed(1)} % < 80 %; multi-error runs:\n${r.report.slice(0, 20).join('\n')}`,
  );
  // and no class of slip lags far behind
  for (const [op, t] of r.byOp)
    assert.ok(
      t.failing === 0 || t.single / t.failing >= 0.7,
      `${op}: ${t.single} of ${t.failing} failing runs report one error`,
    );
});

test.run();
