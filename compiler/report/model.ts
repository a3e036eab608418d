// From the parsed record and plan.json to the report's model, with no I/O (the machine's state comes in as
// functions): runs paired with their end, builds told apart, lanes that never overlap, a critical path that is a
// real chain of `needs`, totals, parallel efficiency and the comparison with each step's previous completed run.
import type { Placement } from '../graph.js';
import type { IgnoredLine, ParsedRecord, Signal } from './record.js';

/** Idle seconds (no step running) after which a new `start` opens a new build. */
export const BUILD_GAP = 60;
/** Log lines shown for a failed or interrupted step. */
export const TAIL_LINES = 25;
/** A step is notably slower or faster when it changed by at least this many seconds and this fraction. */
export const NOTABLE_SECONDS = 2;
export const NOTABLE_FRACTION = 0.1;

/** What the report reads from plan.json. */
export interface PlanInfo {
  /** By step id. */
  readonly steps: ReadonlyMap<string, { readonly needs: readonly string[]; readonly placement: Placement }>;
  /** Package ids whose plan entry has `passOf`. */
  readonly passes: ReadonlySet<string>;
  /** Stage names in build order. */
  readonly stages: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** plan.json's parsed JSON as the report needs it; entries out of shape are left out, never guessed. */
export function planInfo(json: unknown): PlanInfo {
  const steps = new Map<string, { needs: readonly string[]; placement: Placement }>();
  const passes = new Set<string>();
  const stages: string[] = [];
  if (isObject(json)) {
    for (const s of Array.isArray(json.steps) ? json.steps : []) {
      if (!isObject(s) || typeof s.id !== 'string') continue;
      steps.set(s.id, { needs: strings(s.needs), placement: s.placement === 'chroot' ? 'chroot' : 'host' });
    }
    for (const p of Array.isArray(json.packages) ? json.packages : []) {
      if (isObject(p) && typeof p.id === 'string' && typeof p.passOf === 'string') passes.add(p.id);
    }
    for (const s of Array.isArray(json.stages) ? json.stages : []) {
      if (isObject(s) && typeof s.name === 'string') stages.push(s.name);
    }
  }
  return { steps, passes, stages };
}

export type Status = 'ok' | 'failed' | 'interrupted' | 'running';

/** One execution of a step: a `start` and what closed it. Times are epoch seconds. */
export interface Run {
  readonly id: string;
  readonly stage: string;
  readonly pkg: string;
  readonly step: string;
  readonly placement: Placement;
  readonly jobs: number;
  readonly pid: number;
  readonly start: number;
  readonly end: number;
  readonly status: Status;
  readonly rc: number | null;
  readonly signal: Signal | null;
  /** 0-based index of the build (one make invocation, as far as the record tells) it belongs to. */
  readonly build: number;
}

export interface Bar extends Run {
  readonly lane: number;
  readonly pass: boolean;
  readonly critical: boolean;
}

export interface Total {
  readonly name: string;
  readonly steps: number;
  /** Sum of the steps' durations. */
  readonly busy: number;
  /** First start to last end. */
  readonly wall: number;
  readonly failed: number;
  readonly interrupted: number;
  readonly pass: boolean;
}

export interface Problem {
  readonly run: Run;
  readonly log: string;
  /** The log's last lines, or null when there is no log. */
  readonly tail: readonly string[] | null;
}

export interface Change {
  readonly id: string;
  readonly now: number;
  readonly before: number;
  /** Build index of the previous run. */
  readonly beforeBuild: number;
}

export interface Comparison {
  /** Steps of this build that completed now and in an earlier build. */
  readonly matched: readonly Change[];
  readonly totalNow: number;
  readonly totalBefore: number;
  /** Notable changes, largest first. */
  readonly slower: readonly Change[];
  readonly faster: readonly Change[];
  /** Completed steps of this build without an earlier completed run. */
  readonly newSteps: number;
  readonly previous: { readonly index: number; readonly start: number; readonly span: number; readonly steps: number };
}

export interface BuildModel {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly span: number;
  /** The largest `-j` the build's steps recorded. */
  readonly jobs: number;
  readonly lanes: number;
  readonly busy: number;
  /** busy / (lanes × span), or null for an empty span. */
  readonly efficiency: number | null;
  /** Sorted by start, then id. */
  readonly bars: readonly Bar[];
  /** Busy lanes over time: from each `t` on, `n` steps run (a step function, last point n = 0). */
  readonly busyCurve: readonly { readonly t: number; readonly n: number }[];
  /** Step ids from the chain's first step to the one that ended last. */
  readonly critical: readonly string[];
  readonly stages: readonly Total[];
  readonly packages: readonly Total[];
  readonly problems: readonly Problem[];
  readonly comparison: Comparison | null;
  readonly counts: { readonly [S in Status]: number };
  /** Steps of the build that plan.json does not list. */
  readonly unplanned: number;
}

export interface ReportModel {
  readonly builds: number;
  readonly ignored: readonly IgnoredLine[];
  readonly havePlan: boolean;
  /** The latest build, or null when the record holds none. */
  readonly build: BuildModel | null;
}

/** The machine's state the model needs; tests pass stand-ins. */
export interface Machine {
  /** Is this process alive? (a `start` without an end is running if so, else it was killed) */
  readonly pidAlive: (pid: number) => boolean;
  /** When the step's log was last written (epoch seconds), or null. */
  readonly lastOutput: (id: string) => number | null;
  /** The step's log text, or null. */
  readonly logText: (id: string) => string | null;
}

/** `logs/<stage>/<package>/<step>.log`, relative to the build directory. */
export const logPath = (id: string): string => `logs/${id}.log`;

interface Mutable {
  id: string;
  placement: Placement;
  jobs: number;
  pid: number;
  start: number;
  end: number | null;
  status: Status | null;
  rc: number | null;
  signal: Signal | null;
  /** Index of the closing event in the record, or null. */
  closedAt: number | null;
  /** Index of the start event. */
  startedAt: number;
  build: number;
}

/** Pairs starts with their end or stop, tells builds apart, and classifies the unclosed. */
export function runsOf(record: ParsedRecord, machine: Machine): { runs: Run[]; unmatched: IgnoredLine[] } {
  const runs: Mutable[] = [];
  const open = new Map<string, Mutable>();
  const lastRun = new Map<string, Mutable>();
  const unmatched: IgnoredLine[] = [];
  record.events.forEach((e, i) => {
    const o = open.get(e.step);
    if (e.kind === 'start') {
      // a second start with the first still open: the first never closed (its process was killed)
      const r: Mutable = {
        id: e.step,
        placement: e.placement,
        jobs: e.jobs,
        pid: e.pid,
        start: e.epoch,
        end: null,
        status: null,
        rc: null,
        signal: null,
        closedAt: null,
        startedAt: i,
        build: 0,
      };
      runs.push(r);
      open.set(e.step, r);
      lastRun.set(e.step, r);
      return;
    }
    if (!o) {
      // a trap's `stop` may be followed by the step's own failing `end`: that end adds nothing
      const prev = lastRun.get(e.step);
      if (!(e.kind === 'end' && prev?.signal != null && prev.end !== null && prev.end <= e.epoch))
        unmatched.push({ line: -1, reason: `${e.kind} of ${e.step} without a start` });
      return;
    }
    open.delete(e.step);
    o.end = Math.max(o.start, e.epoch);
    o.closedAt = i;
    if (e.kind === 'end') {
      o.rc = e.rc;
      o.status = e.rc === 0 ? 'ok' : 'failed';
    } else {
      o.signal = e.signal;
      o.status = 'interrupted';
    }
  });

  // Builds: a start opens a new one when its step already ran in the current one (make runs a step once), or when
  // nothing was running and the record had been idle for more than BUILD_GAP seconds.
  let build = 0;
  let current: Mutable[] = [];
  let lastEpoch = -Infinity;
  const firstOf: number[] = [];
  const lastOf: number[] = [];
  const starts = new Map<number, Mutable>(runs.map((r) => [r.startedAt, r]));
  record.events.forEach((e, i) => {
    const r = starts.get(i);
    if (r) {
      const active = current.some((c) => c.closedAt !== null && c.closedAt > i);
      if (current.length > 0 && (current.some((c) => c.id === r.id) || (!active && e.epoch - lastEpoch > BUILD_GAP))) {
        build++;
        current = [];
      }
      r.build = build;
      current.push(r);
      firstOf[build] ??= e.epoch;
    }
    lastEpoch = Math.max(lastEpoch, e.epoch);
    if (runs.length > 0) lastOf[build] = Math.max(lastOf[build] ?? -Infinity, e.epoch);
  });

  const latest = build;
  const out: Run[] = runs.map((r) => {
    let { status, end } = r;
    if (status === null) {
      // never closed: still running (only the latest build can be), else killed. Its end is the best evidence of
      // activity: the build's last event, or the log's last write when that came before the next build.
      status = r.build === latest && machine.pidAlive(r.pid) ? 'running' : 'interrupted';
      const written = machine.lastOutput(r.id);
      const next = firstOf[r.build + 1];
      const evidence = written !== null && (next === undefined || written <= next) ? written : -Infinity;
      end = Math.max(r.start, lastOf[r.build] ?? r.start, evidence);
    }
    const [stage, pkg, step] = r.id.split('/');
    return {
      id: r.id,
      stage,
      pkg: `${stage}/${pkg}`,
      step,
      placement: r.placement,
      jobs: r.jobs,
      pid: r.pid,
      start: r.start,
      end: end ?? r.start,
      status,
      rc: r.rc,
      signal: r.signal,
      build: r.build,
    };
  });
  return { runs: out, unmatched };
}

/** Lane per run, by interval partitioning: in start order, each run takes the lowest lane free at its start. */
export function assignLanes(runs: readonly Run[]): number[] {
  const order = runs.map((_, i) => i).sort((a, b) => byStart(runs[a], runs[b]));
  const laneEnd: number[] = [];
  const lanes = new Array<number>(runs.length).fill(0);
  for (const i of order) {
    const r = runs[i];
    let lane = laneEnd.findIndex((e) => e <= r.start);
    if (lane === -1) lane = laneEnd.length;
    laneEnd[lane] = r.end;
    lanes[i] = lane;
  }
  return lanes;
}

const byStart = (a: Run, b: Run): number => a.start - b.start || a.end - b.end || cmp(a.id, b.id);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The chain of needs that ends latest: from the run that ended last, repeatedly the needed run of the same build
 * that ended last (and no later than the step started). A need that is a stage name stands for every step of it.
 */
export function criticalPath(runs: readonly Run[], plan: PlanInfo): string[] {
  if (runs.length === 0) return [];
  const byId = new Map(runs.map((r) => [r.id, r]));
  const last = (list: readonly Run[]): Run | undefined =>
    [...list].sort((a, b) => b.end - a.end || b.start - a.start || cmp(a.id, b.id))[0];
  let cur = last(runs);
  const chain: string[] = [];
  const seen = new Set<string>();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    chain.push(cur.id);
    const start = cur.start;
    const needs = (plan.steps.get(cur.id)?.needs ?? []).flatMap((n) =>
      n.includes('/') ? [byId.get(n)].filter((r) => r !== undefined) : runs.filter((r) => r.stage === n),
    );
    cur = last(needs.filter((r) => r.end <= start && !seen.has(r.id)));
  }
  return chain.reverse();
}

function totals(runs: readonly Run[], key: (r: Run) => string, pass: (name: string) => boolean): Total[] {
  const groups = new Map<string, Run[]>();
  for (const r of runs) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups].map(([name, g]) => ({
    name,
    steps: g.length,
    busy: g.reduce((s, r) => s + (r.end - r.start), 0),
    wall: Math.max(...g.map((r) => r.end)) - Math.min(...g.map((r) => r.start)),
    failed: g.filter((r) => r.status === 'failed').length,
    interrupted: g.filter((r) => r.status === 'interrupted').length,
    pass: pass(name),
  }));
}

function tailOf(text: string | null): string[] | null {
  if (text === null) return null;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-TAIL_LINES);
}

function compare(now: readonly Run[], all: readonly Run[], index: number): Comparison | null {
  if (index === 0) return null;
  const previousOk = new Map<string, Run>();
  for (const r of all) if (r.build < index && r.status === 'ok') previousOk.set(r.id, r); // later runs overwrite
  const matched: Change[] = [];
  let newSteps = 0;
  for (const r of now) {
    if (r.status !== 'ok') continue;
    const p = previousOk.get(r.id);
    if (!p) {
      newSteps++;
      continue;
    }
    matched.push({ id: r.id, now: r.end - r.start, before: p.end - p.start, beforeBuild: p.build });
  }
  const notable = (c: Change) =>
    Math.abs(c.now - c.before) >= NOTABLE_SECONDS && Math.abs(c.now - c.before) >= NOTABLE_FRACTION * c.before;
  const delta = (c: Change) => c.now - c.before;
  const prev = all.filter((r) => r.build === index - 1);
  const pStart = Math.min(...prev.map((r) => r.start));
  return {
    matched,
    totalNow: matched.reduce((s, c) => s + c.now, 0),
    totalBefore: matched.reduce((s, c) => s + c.before, 0),
    slower: matched.filter((c) => notable(c) && delta(c) > 0).sort((a, b) => delta(b) - delta(a) || cmp(a.id, b.id)),
    faster: matched.filter((c) => notable(c) && delta(c) < 0).sort((a, b) => delta(a) - delta(b) || cmp(a.id, b.id)),
    newSteps,
    previous: {
      index: index - 1,
      start: pStart,
      span: Math.max(...prev.map((r) => r.end)) - pStart,
      steps: prev.length,
    },
  };
}

/** The whole model of the report on the latest build in the record. */
export function reportModel(record: ParsedRecord, plan: PlanInfo | null, machine: Machine): ReportModel {
  const { runs, unmatched } = runsOf(record, machine);
  const ignored = [...record.ignored, ...unmatched];
  if (runs.length === 0) return { builds: 0, ignored, havePlan: plan !== null, build: null };
  const p: PlanInfo = plan ?? { steps: new Map(), passes: new Set(), stages: [] };
  const index = Math.max(...runs.map((r) => r.build));
  const now = runs.filter((r) => r.build === index).sort(byStart);
  const lanes = assignLanes(now);
  const critical = criticalPath(now, p);
  const onPath = new Set(critical);
  const bars: Bar[] = now.map((r, i) => ({
    ...r,
    lane: lanes[i],
    pass: p.passes.has(r.pkg),
    critical: onPath.has(r.id),
  }));
  const start = Math.min(...now.map((r) => r.start));
  const end = Math.max(...now.map((r) => r.end));
  const span = end - start;
  const busy = now.reduce((s, r) => s + (r.end - r.start), 0);
  const laneCount = Math.max(...lanes) + 1;

  // busy lanes over time: at equal times ends before starts, as the lanes count them
  const edges = now.flatMap((r) => [
    { t: r.start, d: 1 },
    { t: r.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  const busyCurve: { t: number; n: number }[] = [];
  let n = 0;
  for (const e of edges) {
    n += e.d;
    const lastPoint = busyCurve.at(-1);
    if (lastPoint?.t === e.t) lastPoint.n = n;
    else busyCurve.push({ t: e.t, n });
  }

  const stageRank = (s: string) => {
    const i = p.stages.indexOf(s);
    return i === -1 ? p.stages.length : i;
  };
  const stages = totals(
    now,
    (r) => r.stage,
    () => false,
  ).sort((a, b) => stageRank(a.name) - stageRank(b.name) || cmp(a.name, b.name));
  const packages = totals(
    now,
    (r) => r.pkg,
    (name) => p.passes.has(name),
  ).sort((a, b) => b.busy - a.busy || cmp(a.name, b.name));
  const problems = now
    .filter((r) => r.status === 'failed' || r.status === 'interrupted')
    .map((r) => ({ run: r, log: logPath(r.id), tail: tailOf(machine.logText(r.id)) }));
  const counts = { ok: 0, failed: 0, interrupted: 0, running: 0 };
  for (const r of now) counts[r.status]++;
  return {
    builds: index + 1,
    ignored,
    havePlan: plan !== null,
    build: {
      index,
      start,
      end,
      span,
      jobs: Math.max(...now.map((r) => r.jobs)),
      lanes: laneCount,
      busy,
      efficiency: span > 0 ? busy / (laneCount * span) : null,
      bars,
      busyCurve,
      critical,
      stages,
      packages,
      problems,
      comparison: compare(now, runs, index),
      counts,
      unplanned: plan === null ? 0 : now.filter((r) => !p.steps.has(r.id)).length,
    },
  };
}
