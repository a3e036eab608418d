// The report model as one self-contained HTML page, a pure function of the model: inline CSS and SVG only (no
// script, no external reference), every value escaped by `html`, no clock or machine path, so the same record
// gives the same bytes.
import { Html, html } from './escape.js';
import type { Bar, BuildModel, Change, ReportModel, Total } from './model.js';

/** Width of the time axis in the charts, in px. */
const PLOT = 1180;
const LEFT = 44;
const LANE = 18;
const BAR = 14;
const AXIS = 22;

/** `45s`, `3m 05s`, `2h 04m`. */
export function duration(s: number): string {
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m ${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h ${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

/** An epoch as `YYYY-MM-DD HH:MM:SS UTC` (UTC: the same in every time zone). */
export function utc(epoch: number): string {
  return `${new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** Coordinates with at most one decimal, so the output does not depend on float printing noise. */
const px = (x: number): string => String(Math.round(x * 10) / 10);

/** A tick interval that gives at most about 12 ticks over `span` seconds. */
function tickStep(span: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return steps.find((s) => span / s <= 12) ?? Math.ceil(span / 12 / 86400) * 86400;
}

function axis(b: BuildModel, x: (t: number) => number, top: number, height: number): Html {
  const step = tickStep(Math.max(b.span, 1));
  const ticks: Html[] = [];
  for (let s = 0; s <= b.span; s += step) {
    ticks.push(
      html`<line
          class="grid"
          x1="${px(x(b.start + s))}"
          x2="${px(x(b.start + s))}"
          y1="${top}"
          y2="${top + height}"
        /><text class="tick" x="${px(x(b.start + s))}" y="${top + height + 14}">${duration(s)}</text>`,
    );
  }
  return html`${ticks}`;
}

function barClass(r: Bar): string {
  return ['bar', r.placement, r.status, r.pass ? 'pass' : '', r.critical ? 'crit' : ''].filter(Boolean).join(' ');
}

function gantt(b: BuildModel): Html {
  const scale = PLOT / Math.max(b.span, 1);
  const x = (t: number) => LEFT + (t - b.start) * scale;
  const y = (lane: number) => 4 + lane * LANE;
  const height = 4 + b.lanes * LANE;
  const lanes: Html[] = [];
  for (let l = 0; l < b.lanes; l++)
    lanes.push(html`<text class="lane" x="${LEFT - 6}" y="${y(l) + BAR - 3}">${l + 1}</text>`);
  const bars = b.bars.map((r) => {
    const w = Math.max((r.end - r.start) * scale, 1);
    const name = r.id.split('/').slice(1).join(' ');
    const tip = `${r.id} — ${r.placement}${r.pass ? ', pass' : ''} — ${duration(r.end - r.start)} — ${r.status}${
      r.rc !== null && r.rc !== 0 ? ` (exit ${r.rc})` : ''
    }${r.signal !== null ? ` (SIG${r.signal})` : ''}${r.critical ? ' — critical path' : ''}`;
    const label =
      w > name.length * 6.2 + 6
        ? html`<text class="label" x="${px(x(r.start) + 3)}" y="${y(r.lane) + BAR - 3.5}">${name}</text>`
        : null;
    return html`<rect
        class="${barClass(r)}"
        data-step="${r.id}"
        data-lane="${r.lane}"
        data-start="${r.start}"
        data-end="${r.end}"
        data-status="${r.status}"
        x="${px(x(r.start))}"
        y="${y(r.lane)}"
        width="${px(w)}"
        height="${BAR}"
        ><title>${tip}</title></rect
      >${label}`;
  });
  // the critical path: an underline under each of its bars, joined from each step to the next
  const byId = new Map(b.bars.map((r) => [r.id, r]));
  const path = b.critical.map((id) => byId.get(id)).filter((r): r is Bar => r !== undefined);
  const crit = path.map(
    (r, i) =>
      html`<line
          class="critline"
          x1="${px(x(r.start))}"
          x2="${px(x(r.start) + Math.max((r.end - r.start) * scale, 1))}"
          y1="${y(r.lane) + BAR + 1.5}"
          y2="${y(r.lane) + BAR + 1.5}"
        />${
          i > 0
            ? html`<path
                class="critlink"
                d="M${px(x(path[i - 1].end))} ${y(path[i - 1].lane) + BAR + 1.5} L${px(x(r.start))} ${y(r.lane) + BAR + 1.5}"
              />`
            : null
        }`,
  );
  const total = height + AXIS;
  return html`<svg
    class="gantt"
    width="${LEFT + PLOT + 20}"
    height="${total}"
    viewBox="0 0 ${LEFT + PLOT + 20} ${total}"
    role="img"
    aria-label="steps over time, one lane per concurrent job"
  >
    ${axis(b, x, 0, height)}${lanes}${bars}${crit}
  </svg>`;
}

function busyChart(b: BuildModel): Html {
  const top = Math.max(b.lanes, b.jobs, 1);
  const h = 90;
  const scale = PLOT / Math.max(b.span, 1);
  const x = (t: number) => LEFT + (t - b.start) * scale;
  const y = (n: number) => 4 + h - (n / top) * h;
  let d = `M${px(x(b.start))} ${px(y(0))}`;
  for (const p of b.busyCurve) d += ` H${px(x(p.t))} V${px(y(p.n))}`;
  d += ` H${px(x(b.end))} V${px(y(0))} Z`;
  const levels: Html[] = [];
  for (let n = 1; n <= top; n++)
    levels.push(
      html`<line
          class="${n === b.jobs ? 'jobs' : 'grid'}"
          x1="${LEFT}"
          x2="${LEFT + PLOT}"
          y1="${px(y(n))}"
          y2="${px(y(n))}"
        /><text class="lane" x="${LEFT - 6}" y="${px(y(n) + 4)}">${n}</text>`,
    );
  const total = h + 4 + AXIS;
  return html`<svg
    class="busy"
    width="${LEFT + PLOT + 20}"
    height="${total}"
    viewBox="0 0 ${LEFT + PLOT + 20} ${total}"
    role="img"
    aria-label="steps running over time"
  >
    ${axis(b, x, 4, h)}${levels}
    <path class="area" d="${d}" />
  </svg>`;
}

function totalsTable(title: string, rows: readonly Total[], b: BuildModel): Html {
  return html`<table>
    <thead>
      <tr>
        <th>${title}</th>
        <th class="n">steps</th>
        <th class="n">busy</th>
        <th class="n">share</th>
        <th class="n">wall</th>
        <th>problems</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (t) =>
          html`<tr>
            <td>${t.name}${t.pass ? html` <span class="tag">pass</span>` : null}</td>
            <td class="n">${t.steps}</td>
            <td class="n">${duration(t.busy)}</td>
            <td class="n">${b.busy > 0 ? percent(t.busy / b.busy) : '–'}</td>
            <td class="n">${duration(t.wall)}</td>
            <td>
              ${[t.failed ? `${t.failed} failed` : '', t.interrupted ? `${t.interrupted} interrupted` : '']
                .filter(Boolean)
                .join(', ')}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function changeRows(list: readonly Change[]): Html {
  return html`${list.slice(0, 20).map((c) => {
    const d = c.now - c.before;
    return html`<tr>
      <td>${c.id}</td>
      <td class="n">${duration(c.before)}</td>
      <td class="n">${duration(c.now)}</td>
      <td class="n">${d > 0 ? '+' : '−'}${duration(Math.abs(d))}</td>
      <td class="n">${c.before > 0 ? `${d > 0 ? '+' : '−'}${percent(Math.abs(d) / c.before)}` : 'new time'}</td>
    </tr>`;
  })}`;
}

function comparison(b: BuildModel): Html {
  const c = b.comparison;
  if (c === null) return html`<p>This is the first build in the record: there is nothing to compare with.</p>`;
  const d = c.totalNow - c.totalBefore;
  const head = html`<thead>
    <tr>
      <th>step</th>
      <th class="n">before</th>
      <th class="n">now</th>
      <th class="n">change</th>
      <th class="n">%</th>
    </tr>
  </thead>`;
  return html`<p>
      The previous build in the record (build ${c.previous.index + 1}, started ${utc(c.previous.start)}) ran
      ${c.previous.steps} steps over ${duration(c.previous.span)}. For the ${c.matched.length} steps of this build that
      completed both now and in an earlier build (each compared with its previous completed run):
      <strong>${duration(c.totalBefore)} → ${duration(c.totalNow)}</strong>
      (${d >= 0 ? '+' : '−'}${duration(Math.abs(d))}${c.totalBefore > 0 ? `, ${d >= 0 ? '+' : '−'}${percent(Math.abs(d) / c.totalBefore)}` : ''}).
      ${c.newSteps > 0 ? `${c.newSteps} completed step(s) had no earlier completed run.` : ''} Notable: a change of at
      least 2 s and 10%.
    </p>
    <h3>Slower (${c.slower.length})</h3>
    ${
      c.slower.length
        ? html`<table>
            ${head}
            <tbody>
              ${changeRows(c.slower)}
            </tbody>
          </table>`
        : html`<p>none</p>`
    }
    <h3>Faster (${c.faster.length})</h3>
    ${
      c.faster.length
        ? html`<table>
            ${head}
            <tbody>
              ${changeRows(c.faster)}
            </tbody>
          </table>`
        : html`<p>none</p>`
    }`;
}

function problems(b: BuildModel): Html {
  if (b.problems.length === 0) return html`<p>No step failed or was interrupted.</p>`;
  return html`${b.problems.map(
    (p) =>
      html`<div class="problem" data-problem="${p.run.id}">
        <h3>
          <span class="status ${p.run.status}">${p.run.status}</span> ${p.run.id}
          <small
            >(${p.run.placement},
            ${duration(p.run.end - p.run.start)}${p.run.rc !== null && p.run.rc !== 0 ? `, exit ${p.run.rc}` : ''}${p.run.signal !== null ? `, SIG${p.run.signal}` : ''})</small
          >
        </h3>
        ${
          p.tail === null
            ? html`<p>No log at <code>${p.log}</code>.</p>`
            : html`<p>Last ${p.tail.length} lines of <code>${p.log}</code>:</p>
                <pre class="log">${p.tail.join('\n')}</pre>`
        }
      </div>`,
  )}`;
}

function criticalTable(b: BuildModel): Html {
  const byId = new Map(b.bars.map((r) => [r.id, r]));
  const rows = b.critical.map((id) => byId.get(id)).filter((r): r is Bar => r !== undefined);
  const on = rows.reduce((s, r) => s + (r.end - r.start), 0);
  return html`<p>
      ${rows.length} steps, ${duration(on)} of running time over a span of ${duration(b.span)}: the chain of needed
      steps that ended last; the rest of the span is time these steps waited for a free job slot.
    </p>
    <table>
      <thead>
        <tr>
          <th>step</th>
          <th>placement</th>
          <th class="n">starts at</th>
          <th class="n">duration</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              <td>${r.id}</td>
              <td>${r.placement}</td>
              <td class="n">${duration(r.start - b.start)}</td>
              <td class="n">${duration(r.end - r.start)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

// The legend's swatches are one unit bluer than the bars, invisibly, so a screenshot's exact bar colours are bars.
const CSS = `
body{font:14px/1.45 "DejaVu Sans",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:16px 0 6px}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0}dl.summary dt{color:#666}dl.summary dd{margin:0}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:22px;height:11px;vertical-align:middle;margin-right:5px;box-sizing:border-box}
.sw.host{background:#4e79a8}.sw.chroot{background:#59a150}.sw.pass{background:#dbe7f3;border:2px solid #4e79a8}
.sw.failed{background:#4e79a8;border:3px solid #d62728}.sw.interrupted{background:#4e79a8;border:3px dashed #d62728}.sw.crit{height:4px;background:#f28e2b}
.chart{overflow-x:auto;border:1px solid #eee;padding:4px 0}
svg text{font:11px "DejaVu Sans",sans-serif}
.bar.host{fill:#4e79a7}.bar.chroot{fill:#59a14f}
.bar.pass.host{fill:#dbe7f3;stroke:#4e79a7;stroke-width:1.5}.bar.pass.chroot{fill:#d9ecd6;stroke:#59a14f;stroke-width:1.5}
.bar.failed{stroke:#d62728;stroke-width:3}.bar.interrupted{stroke:#d62728;stroke-width:2.5;stroke-dasharray:4 2}
.bar.running{stroke:#9467bd;stroke-width:2.5;stroke-dasharray:2 2}.bar:hover{opacity:.75}
.label{fill:#fff;pointer-events:none}.critline{stroke:#f28e2b;stroke-width:3}.critlink{stroke:#f28e2b;stroke-width:1.2;stroke-dasharray:3 3;fill:none}
.grid{stroke:#eee}.jobs{stroke:#d62728;stroke-dasharray:5 3}.tick{fill:#666;text-anchor:middle}.lane{fill:#888;text-anchor:end}
.area{fill:#a0cbe8;stroke:#4e79a7;stroke-width:1}
table{border-collapse:collapse;margin:4px 0 8px}th,td{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{font-size:11px;border:1px solid #4e79a7;border-radius:3px;padding:0 3px;color:#4e79a7}
.status{font-size:12px;padding:1px 5px;border-radius:3px;color:#fff;background:#d62728}.status.interrupted{background:#b07aa1}
pre.log{background:#f6f6f6;border:1px solid #ddd;padding:8px;overflow-x:auto;font:12px/1.35 "DejaVu Sans Mono",monospace;white-space:pre}
.note{color:#666}
`;

/** The report page. */
export function renderReport(m: ReportModel): string {
  const b = m.build;
  const ignored =
    m.ignored.length > 0
      ? html`<p class="note">
          ${m.ignored.length} line(s) of the record were ignored (torn, garbage or unmatched):
          ${[...new Set(m.ignored.map((i) => i.reason))].slice(0, 5).join('; ')}.
        </p>`
      : null;
  const noPlan = m.havePlan
    ? null
    : html`<p class="note">No plan.json was found: the critical path and passes are not shown.</p>`;
  const body =
    b === null
      ? html`<p>The record holds no step yet: run a build (<code>make -C out</code>) first.</p>
          ${ignored}`
      : html`<dl class="summary">
            <dt>build</dt>
            <dd>${b.index + 1} of ${m.builds} in the record (the latest)</dd>
            <dt>started</dt>
            <dd>${utc(b.start)}</dd>
            <dt>span</dt>
            <dd>${duration(b.span)}</dd>
            <dt>steps</dt>
            <dd>
              ${b.bars.length}: ${b.counts.ok} ok, ${b.counts.failed} failed, ${b.counts.interrupted} interrupted,
              ${b.counts.running} running
            </dd>
            <dt>busy time</dt>
            <dd>${duration(b.busy)}</dd>
            <dt>lanes</dt>
            <dd>${b.lanes} (most steps at once; make ran with -j${b.jobs})</dd>
            <dt>parallel efficiency</dt>
            <dd>${b.efficiency === null ? '–' : percent(b.efficiency)} (busy time / (lanes × span))</dd>
          </dl>
          ${ignored}${noPlan}${b.unplanned > 0 ? html`<p class="note">${b.unplanned} step(s) are not in plan.json (it changed since this build).</p>` : null}
          <h2>Steps over time</h2>
          <p class="legend">
            <span><i class="sw host"></i>host step</span><span><i class="sw chroot"></i>chroot step</span
            ><span><i class="sw pass"></i>pass (outlined)</span><span><i class="sw failed"></i>failed</span
            ><span><i class="sw interrupted"></i>interrupted</span><span><i class="sw crit"></i>critical path</span>
          </p>
          <div class="chart">${gantt(b)}</div>
          <h2>Steps running at once</h2>
          <p>Busy lanes over time; the dashed line is make's <code>-j${b.jobs}</code>.</p>
          <div class="chart">${busyChart(b)}</div>
          <h2>Critical path</h2>
          ${criticalTable(b)}
          <h2>Failed and interrupted steps</h2>
          ${problems(b)}
          <h2>Compared with earlier builds</h2>
          ${comparison(b)}
          <h2>Per stage</h2>
          ${totalsTable('stage', b.stages, b)}
          <h2>Per package</h2>
          ${totalsTable('package', b.packages, b)}`;
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>serpentc build report</title>
        <style>
          ${new Html(CSS)}
        </style>
      </head>
      <body>
        <h1>Build report</h1>
        ${body}
      </body>
    </html> `.text;
}
