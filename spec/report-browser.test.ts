// The report in a real browser: headless Chromium renders a stages/-sized report (one SVG bar per step in its DOM,
// no console error, a screenshot with the bars painted) and a hostile one without running anything from it.
// Locally it skips without chromium; under CI=true it fails instead (.ci/run installs Debian's chromium).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsRecord, type SimPlan } from '../bench/report.js';
import { writeReport } from '../compiler/report/index.js';
import { CHROMIUM, dumpDom, reportRendersInBrowser } from './helpers/browser.js';
import { requires } from './helpers/env.js';
import { REPO_ROOT } from './helpers/paths.js';

const enabled = requires('report in Chromium', { tools: [CHROMIUM] });

if (!enabled) {
  test('report in Chromium (skipped)', () => {});
} else {
  test('Chromium renders the stages/-sized report: one bar per step, no console error, bars painted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serpent-report-'));
    try {
      const out = join(REPO_ROOT, 'out');
      const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as SimPlan;
      docsRecord(dir, out, plan);
      const r = reportRendersInBrowser(dir, join(out, 'plan.json'));
      assert.is(r.bars, r.steps);
      assert.ok(r.steps > 250, `${r.steps} steps`);
      assert.ok(r.hostPixels > 1000 && r.chrootPixels > 1000, JSON.stringify(r));
      console.log(`report in chromium: ${JSON.stringify(r)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hostile step output stays text in the rendered DOM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serpent-report-'));
    try {
      const id = 'stage1/pkg/build';
      writeFileSync(join(dir, 'timings.log'), `100 start ${id} host 1 5000001\n160 end ${id} 1 60\n`);
      mkdirSync(join(dir, 'logs/stage1/pkg'), { recursive: true });
      writeFileSync(
        join(dir, 'logs', `${id}.log`),
        `<script>console.error("ran")</script>\n</pre><img src=x onerror="console.error('ran')">\n`,
      );
      const { file } = writeReport(dir);
      const { dom, errors } = dumpDom(file);
      assert.equal(errors, []);
      assert.not.match(dom, '<script');
      assert.not.match(dom, '<img');
      assert.match(dom, '&lt;script&gt;console.error("ran")&lt;/script&gt;');
      assert.is([...dom.matchAll(/<rect\s[^>]*data-step=/g)].length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
