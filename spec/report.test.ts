// serpentc report on synthetic records: the record parser (garbage and torn lines counted), the model (builds told
// apart, lanes that never overlap, a critical path that is a real chain of needs, totals, the comparison) and the
// page (one bar per step, every value escaped, nothing external, the same bytes for the same record), and the CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docsRecord, simulate, type SimPlan } from '../bench/report.js';
import { runCli } from './helpers/cli.js';
import { escapeHtml, html } from '../compiler/report/escape.js';
import { writeReport } from '../compiler/report/index.js';
import {
  assignLanes,
  planInfo,
  reportModel,
  runsOf,
  type BuildModel,
  type Machine,
  type PlanInfo,
  type Run,
} from '../compiler/report/model.js';
import { parseRecord } from '../compiler/report/record.js';
import { renderReport } from '../compiler/report/render.js';
import { REPO_ROOT } from './helpers/paths.js';

/** A small plan: two stages, a stage need, a pass. */
const PLAN = {
  stages: [{ name: 'stage1' }, { name: 'stage2' }],
  packages: [
    { id: 'stage1/a', passOf: null },
    { id: 'stage1/b', passOf: null },
    { id: 'stage1/c', passOf: null },
    { id: 'stage2/d', passOf: null },
    { id: 'stage2/d-2', passOf: 'd' },
  ],
  steps: [
    { id: 'stage1/a/extract', placement: 'host', needs: [] },
    { id: 'stage1/a/build', placement: 'host', needs: ['stage1/a/extract'] },
    { id: 'stage1/b/extract', placement: 'host', needs: [] },
    { id: 'stage1/b/build', placement: 'host', needs: ['stage1/b/extract'] },
    { id: 'stage1/c/build', placement: 'host', needs: ['stage1/a/build', 'stage1/b/build'] },
    { id: 'stage2/d/build', placement: 'chroot', needs: ['stage1'] },
    { id: 'stage2/d-2/build', placement: 'chroot', needs: ['stage2/d/build'] },
  ],
};
const plan: PlanInfo = planInfo(PLAN);

/** A machine where no pid is alive and logs are given by id. */
const machine = (logs: Record<string, string> = {}, alive: readonly number[] = []): Machine => ({
  pidAlive: (pid) => alive.includes(pid),
  lastOutput: () => null,
  logText: (id) => logs[id] ?? null,
});

const T = 1_700_000_000;
/** Record lines from [offset, rest] pairs. */
const rec = (...lines: string[]): string => lines.map((l) => `${l}\n`).join('');
const at = (s: number, rest: string): string => `${T + s} ${rest}`;

/** Build 1: everything ok, two jobs. Build 2 (a day later): a/build slower, b/build faster, c fails, d ran by
 * itself is interrupted by a signal, d-2 killed (start without end). */
const TWO_BUILDS =
  rec(
    at(0, 'start stage1/a/extract host 2 101'),
    at(0, 'start stage1/b/extract host 2 102'),
    at(2, 'end stage1/a/extract 0 2'),
    at(2, 'start stage1/a/build host 2 103'),
    at(3, 'end stage1/b/extract 0 3'),
    at(3, 'start stage1/b/build host 2 104'),
    at(20, 'end stage1/a/build 0 18'),
    at(40, 'end stage1/b/build 0 37'),
    at(40, 'start stage1/c/build host 2 105'),
    at(50, 'end stage1/c/build 0 10'),
    at(50, 'start stage2/d/build chroot 2 106'),
    at(60, 'end stage2/d/build 0 10'),
    // build 2
    at(86400, 'start stage1/a/extract host 2 201'),
    at(86400, 'start stage1/b/extract host 2 202'),
    'this is not an event',
    at(86402, 'end stage1/a/extract 0 2'),
    at(86402, 'start stage1/a/build host 2 203'),
    at(86403, 'end stage1/b/extract 0 3'),
    at(86403, 'start stage1/b/build host 2 204'),
    at(86423, 'end stage1/b/build 0 20'),
    at(86440, 'end stage1/a/build 0 38'),
    at(86440, 'start stage1/c/build host 2 205'),
    at(86445, 'end stage1/c/build 2 5'),
    `${T + 86446} end stage1/c/build`, // missing fields
    at(86446, 'start stage2/d/build chroot 2 206'),
    at(86450, 'stop stage2/d/build INT'),
    at(86450, 'end stage2/d/build 130 4'), // the step's own end after its trap's stop: not a second event
    at(86451, 'start stage2/d-2/build chroot 2 207'),
  ) + `${T + 86452} start stage2/x/y host 2`; // torn: no newline

const HOSTILE_LOG = `ok line\n<script>alert("x")</script>\n</pre><img src=x onerror=alert(1)> & done\n`;

function model(text = TWO_BUILDS, logs: Record<string, string> = { 'stage1/c/build': HOSTILE_LOG }) {
  return reportModel(parseRecord(text), plan, machine(logs));
}

function build(text?: string): BuildModel {
  const b = model(text).build;
  assert.ok(b);
  return b;
}

/** Lanes hold no two runs at once. */
function assertLanesDisjoint(bars: readonly (Run & { lane: number })[]): void {
  const byLane = new Map<number, (Run & { lane: number })[]>();
  for (const r of bars) byLane.set(r.lane, [...(byLane.get(r.lane) ?? []), r]);
  for (const list of byLane.values()) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < list.length; i++)
      assert.ok(list[i - 1].end <= list[i].start, `${list[i - 1].id} and ${list[i].id} overlap in one lane`);
  }
}

/** Each step of the path needs the one before it (a stage need counts for its steps), ended before it started, and
 * the path ends with the step that ended last. */
function assertRealChain(b: BuildModel, p: PlanInfo): void {
  const byId = new Map(b.bars.map((r) => [r.id, r]));
  assert.ok(b.critical.length > 0);
  for (let i = 1; i < b.critical.length; i++) {
    const prev = byId.get(b.critical[i - 1]);
    const cur = byId.get(b.critical[i]);
    assert.ok(prev && cur);
    const needs = p.steps.get(cur.id)?.needs ?? [];
    assert.ok(needs.includes(prev.id) || needs.includes(prev.stage), `${cur.id} does not need ${prev.id}`);
    assert.ok(prev.end <= cur.start);
  }
  const last = byId.get(b.critical.at(-1) ?? '');
  assert.ok(last);
  assert.is(last.end, Math.max(...b.bars.map((r) => r.end)));
  // the chain cannot be extended: no need of its first step ran in this build before it
  const first = byId.get(b.critical[0]);
  assert.ok(first);
  for (const n of p.steps.get(first.id)?.needs ?? []) {
    const r = byId.get(n);
    assert.ok(!r || r.end > first.start, `the path stops short of ${n}`);
  }
}

test('the record parser keeps well-formed events and counts the rest, torn last line included', () => {
  const r = parseRecord(TWO_BUILDS);
  assert.is(r.events.length, 26);
  assert.equal(
    r.ignored.map((i) => i.reason),
    ['not an epoch', 'end takes 5 fields', 'torn: the last line has no newline'],
  );
  assert.is(r.ignored[0].line, 15);
  const odd = parseRecord(
    rec(
      'x start a/b/c host 1 1',
      '1 start a/b host 1 1',
      '1 start a/b/c vm 1 1',
      '1 start a/b/c host one 1',
      '1 stop a/b/c KILL',
      '1 end a/b/c 0 1.5 extra',
      '1  start a/b/c host 1 1',
      '1 end a/b/c 0 1.5',
      '',
    ),
  );
  assert.is(odd.events.length, 1);
  assert.is(odd.ignored.length, 7);
});

test('builds are told apart; the latest one is reported, with failures, interrupts and kills classified', () => {
  const m = model();
  assert.is(m.builds, 2);
  // three ignored lines and the trailing end after a stop is not counted
  assert.is(m.ignored.length, 3);
  const b = build();
  assert.is(b.index, 1);
  assert.is(b.bars.length, 7);
  const status = Object.fromEntries(b.bars.map((r) => [r.id, r.status]));
  assert.equal(status, {
    'stage1/a/extract': 'ok',
    'stage1/b/extract': 'ok',
    'stage1/a/build': 'ok',
    'stage1/b/build': 'ok',
    'stage1/c/build': 'failed',
    'stage2/d/build': 'interrupted',
    'stage2/d-2/build': 'interrupted',
  });
  assert.equal(b.counts, { ok: 4, failed: 1, interrupted: 2, running: 0 });
  const d = b.bars.find((r) => r.id === 'stage2/d/build');
  assert.is(d?.signal, 'INT');
  assert.is(d?.end, T + 86450);
  // killed: no end; it lasts until the build's last event
  const d2 = b.bars.find((r) => r.id === 'stage2/d-2/build');
  assert.is(d2?.start, T + 86451);
  assert.is(d2?.end, T + 86451);
  assert.ok(d2?.pass);
  assert.is(b.jobs, 2);
  assert.is(b.lanes, 2);
  assert.is(b.span, 51);
});

test('a start without an end is running while its process lives, and only in the latest build', () => {
  const text = rec(at(0, 'start stage1/a/extract host 1 10'), at(500, 'start stage1/a/extract host 1 11'));
  const { runs } = runsOf(parseRecord(text), machine({}, [10, 11]));
  assert.equal(
    runs.map((r) => [r.build, r.status]),
    [
      [0, 'interrupted'],
      [1, 'running'],
    ],
  );
  // the log's last write tells how long the killed one ran, when it came before the next build
  const { runs: again } = runsOf(parseRecord(text), { ...machine(), lastOutput: () => T + 42 });
  assert.is(again[0].end, T + 42);
});

test('a repeated step opens a new build even without a pause; a pause with a step running does not', () => {
  const text = rec(
    at(0, 'start stage1/a/build host 2 1'),
    at(1, 'start stage1/b/build host 2 2'),
    at(2, 'end stage1/b/build 0 1'),
    at(500, 'end stage1/a/build 0 500'), // a long step: the 498 s without events is no new build
    at(500, 'start stage1/c/build host 2 3'),
    at(501, 'end stage1/c/build 1 1'),
    at(502, 'start stage1/c/build host 2 4'), // make again at once: the failed step reruns
    at(503, 'end stage1/c/build 0 1'),
    at(700, 'start stage2/d/build chroot 2 5'), // 197 s idle: a new build
    at(701, 'end stage2/d/build 0 1'),
  );
  const { runs } = runsOf(parseRecord(text), machine());
  assert.equal(
    runs.map((r) => r.build),
    [0, 0, 0, 1, 2],
  );
});

test('lanes never overlap and are as few as the most steps at once (interval partitioning)', () => {
  const b = build();
  assertLanesDisjoint(b.bars);
  // a real-sized record: the stages/ plan simulated at -j4 and -j7
  const stagesPlan = JSON.parse(readFileSync(join(REPO_ROOT, 'out/plan.json'), 'utf8')) as SimPlan;
  for (const jobs of [4, 7]) {
    const sim = simulate(stagesPlan, { jobs, seed: jobs, start: T });
    const big = reportModel(parseRecord(rec(...sim.lines)), planInfo(stagesPlan), machine()).build;
    assert.ok(big);
    assert.is(big.bars.length, stagesPlan.steps.length);
    assertLanesDisjoint(big.bars);
    const most = Math.max(...big.busyCurve.map((p) => p.n));
    assert.is(big.lanes, most);
    assert.ok(big.lanes <= jobs);
    assertRealChain(big, planInfo(stagesPlan));
    assert.is(big.busyCurve.at(-1)?.n, 0);
  }
  // hand-made overlaps: [0,10) [5,15) [10,20) [10,12) -> lanes 0 1 2 0 (at 10, the shorter one goes first)
  const mk = (id: string, start: number, end: number): Run => ({
    id,
    stage: 's',
    pkg: 's/p',
    step: id,
    placement: 'host',
    jobs: 3,
    pid: 1,
    start,
    end,
    status: 'ok',
    rc: 0,
    signal: null,
    build: 0,
  });
  assert.equal(assignLanes([mk('a', 0, 10), mk('b', 5, 15), mk('c', 10, 20), mk('d', 10, 12)]), [0, 1, 2, 0]);
});

test('the critical path is a real chain of needs, through a stage need, ending latest', () => {
  const first = reportModel(parseRecord(TWO_BUILDS.split('\n').slice(0, 12).join('\n') + '\n'), plan, machine()).build;
  assert.ok(first);
  // d needs the whole stage1; of stage1, c ended last; c needs a/build and b/build, of which b ended last
  assert.equal(first.critical, ['stage1/b/extract', 'stage1/b/build', 'stage1/c/build', 'stage2/d/build']);
  assertRealChain(first, plan);
  assert.ok(first.bars.filter((r) => r.critical).length === 4);
  assertRealChain(build(), plan);
});

test('totals per stage and package add up to the busy time; efficiency is busy / (lanes × span)', () => {
  const b = build();
  const sum = (xs: readonly { busy: number }[]) => xs.reduce((s, x) => s + x.busy, 0);
  assert.is(
    b.busy,
    b.bars.reduce((s, r) => s + r.end - r.start, 0),
  );
  assert.is(sum(b.stages), b.busy);
  assert.is(sum(b.packages), b.busy);
  assert.equal(
    b.stages.map((s) => [s.name, s.steps, s.failed, s.interrupted]),
    [
      ['stage1', 5, 1, 0],
      ['stage2', 2, 0, 2],
    ],
  );
  assert.is(b.packages[0].name, 'stage1/a'); // the busiest first
  assert.is(b.packages.find((p) => p.name === 'stage2/d-2')?.pass, true);
  assert.is(b.efficiency, b.busy / (b.lanes * b.span));
});

test('failed and interrupted steps carry the last 25 lines of their log', () => {
  const long = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const m = reportModel(parseRecord(TWO_BUILDS), plan, machine({ 'stage1/c/build': long }));
  const p = m.build?.problems ?? [];
  assert.equal(
    p.map((x) => x.run.id),
    ['stage1/c/build', 'stage2/d/build', 'stage2/d-2/build'],
  );
  assert.is(p[0].tail?.length, 25);
  assert.is(p[0].tail?.[0], 'line 16');
  assert.is(p[0].tail?.[24], 'line 40');
  assert.is(p[0].log, 'logs/stage1/c/build.log');
  assert.is(p[1].tail, null);
});

test('the comparison takes each step’s previous completed run and lists notable changes', () => {
  const c = build().comparison;
  assert.ok(c);
  // ok now and before: both extracts and both builds (c failed now, d interrupted)
  assert.equal(c.matched.map((x) => x.id).sort(), [
    'stage1/a/build',
    'stage1/a/extract',
    'stage1/b/build',
    'stage1/b/extract',
  ]);
  assert.is(c.totalBefore, 2 + 3 + 18 + 37);
  assert.is(c.totalNow, 2 + 3 + 38 + 20);
  assert.equal(
    c.slower.map((x) => [x.id, x.before, x.now]),
    [['stage1/a/build', 18, 38]],
  );
  assert.equal(
    c.faster.map((x) => [x.id, x.before, x.now]),
    [['stage1/b/build', 37, 20]],
  );
  assert.equal(c.previous, { index: 0, start: T, span: 60, steps: 6 });
  // a single build has nothing to compare with
  assert.is(build(TWO_BUILDS.split('\n').slice(0, 12).join('\n') + '\n').comparison, null);
});

test('html escapes every interpolated value, including attributes, and inserts only its own markup', () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const evil = '"><script>x</script>';
  assert.is(
    html`<p title="${evil}">${evil}${[html`<b>${1}</b>`, null, 2]}</p>`.text,
    '<p title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&quot;&gt;&lt;script&gt;x&lt;/script&gt;<b>1</b>2</p>',
  );
});

test('the page: one bar per step, hostile log lines and step names escaped, nothing external, same bytes', () => {
  const hostile = TWO_BUILDS.replaceAll('stage1/b/', `stage1/b"><b>&amp;'/`);
  const m = reportModel(parseRecord(hostile), plan, machine({ 'stage1/c/build': HOSTILE_LOG }));
  const page = renderReport(m);
  const bars = [...page.matchAll(/<rect\s[^>]*data-step="([^"]*)"/g)].map((x) => x[1]);
  assert.is(bars.length, m.build?.bars.length);
  assert.ok(bars.includes('stage1/b&quot;&gt;&lt;b&gt;&amp;amp;&#39;/build'));
  assert.not.match(page, '"><b>');
  assert.not.match(page, '<script');
  assert.not.match(page, '<img');
  assert.match(page, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  assert.match(page, '&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt; &amp; done');
  for (const external of ['http', 'src=', '@import', 'url(', '<link', '<iframe'])
    assert.not.ok(page.replaceAll('src=x onerror', '').includes(external), `the page holds ${external}`);
  assert.is(renderReport(reportModel(parseRecord(hostile), plan, machine({ 'stage1/c/build': HOSTILE_LOG }))), page);
  // the failed bar, the pass and the critical path are marked
  assert.match(page, /<rect\s+class="bar host failed[^"]*"\s+data-step="stage1\/c\/build"/);
  assert.match(page, /<rect\s+class="bar chroot interrupted pass[^"]*"\s+data-step="stage2\/d-2\/build"/);
  assert.match(page, /class="critline"/);
  assert.match(page, /<title>stage1\/c\/build — host — 5s — failed \(exit 2\)/);
  // no build at all: a page that says so
  const empty = renderReport(reportModel(parseRecord('garbage\n'), null, machine()));
  assert.match(empty, 'The record holds no step yet');
  assert.match(empty, '1 line(s) of the record were ignored');
});

test('the docs record renders with every part: chart, busy chart, critical path, failure, comparison', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpent-report-'));
  try {
    const stagesPlan = JSON.parse(readFileSync(join(REPO_ROOT, 'out/plan.json'), 'utf8')) as SimPlan;
    docsRecord(dir, join(REPO_ROOT, 'out'), stagesPlan);
    const { model: m, file } = writeReport(dir);
    const page = readFileSync(file, 'utf8');
    const b = m.build;
    assert.ok(b);
    assert.is(m.builds, 2);
    assert.is(b.counts.failed, 1);
    assert.ok(b.comparison && b.comparison.matched.length > 100);
    assert.ok(b.bars.some((r) => r.pass));
    assert.is([...page.matchAll(/<rect\s[^>]*data-step=/g)].length, b.bars.length);
    for (const part of ['class="gantt"', 'class="busy"', 'Critical path', 'mount_setattr', 'Slower', 'Per package'])
      assert.match(page, part);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const run = runCli;

test('serpentc report: default page and plan, -o and --plan, a missing record, usage errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serpent-report-'));
  try {
    const outDir = join(dir, 'gen');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'plan.json'), JSON.stringify(PLAN));
    const bd = join(dir, 'build');
    mkdirSync(join(bd, 'logs/stage1/c'), { recursive: true });
    writeFileSync(join(bd, 'logs/stage1/c/build.log'), HOSTILE_LOG);
    writeFileSync(join(bd, 'timings.log'), TWO_BUILDS);
    // no `out` file yet: the page is written without a plan, and says so
    let r = await run(['report', bd]);
    assert.is(r.code, 0, r.err);
    assert.match(r.err, 'no plan.json found');
    assert.match(readFileSync(join(bd, 'report.html'), 'utf8'), 'No plan.json was found');
    writeFileSync(join(bd, 'out'), `${outDir}\n`);
    r = await run(['report', bd]);
    assert.is(r.code, 0, r.err);
    assert.match(r.err, 'build 2 of 2, 7 steps');
    assert.match(r.err, '3 line(s) of the record ignored');
    const page = readFileSync(join(bd, 'report.html'), 'utf8');
    assert.match(page, 'class="critline"');
    assert.match(page, '&lt;script&gt;');
    r = await run(['report', bd, '-o', join(dir, 'r.html'), '--plan', join(outDir, 'plan.json')]);
    assert.is(r.code, 0, r.err);
    assert.is(readFileSync(join(dir, 'r.html'), 'utf8'), page);
    r = await run(['report', bd, '--plan', join(dir, 'nope.json')]);
    assert.is(r.code, 1);
    assert.match(r.err, 'nope.json does not exist');
    r = await run(['report', join(dir, 'gen')]);
    assert.is(r.code, 1);
    assert.match(r.err, 'timings.log does not exist');
    assert.is((await run(['report'])).code, 2);
    assert.is((await run(['report', bd, '--force'])).code, 2);
    assert.match((await run(['--help'])).out, 'serpentc report <build-dir>');
    assert.ok(existsSync(join(bd, 'report.html')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
