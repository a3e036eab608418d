// Synthetic timing records shaped like a real build of a plan.json: make -jN simulated over the plan's `needs`
// (a step starts when all it needs ended and a job slot is free) with plausible durations from a seeded PRNG, so
// the same arguments give the same record. `node dist/bench/report.js [DIR]` writes a two-build record for
// stages/ (the second failing late) into DIR and renders docs/report.png from it with headless Chromium.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './synth.js';

/** The part of plan.json the simulation reads. */
export interface SimPlan {
  readonly steps: readonly {
    readonly id: string;
    readonly placement: string;
    readonly needs: readonly string[];
  }[];
}

export interface SimOptions {
  readonly jobs: number;
  readonly seed: number;
  /** Epoch of the first start. */
  readonly start: number;
  /** This step fails (rc 2); make then starts nothing new and waits for the running steps. */
  readonly fail?: string;
  /** This step is interrupted by SIGINT: it and every running step write `stop`, nothing else runs. */
  readonly interrupt?: string;
  /** First pid (pids count up from here; above Linux's pid_max, so no live process has them). */
  readonly pid?: number;
  /** Scales every duration (a slower or faster machine). */
  readonly factor?: number;
}

export interface SimResult {
  readonly lines: string[];
  /** Epoch of the last event. */
  readonly end: number;
  /** Steps that ran, by id: [start, end]. */
  readonly ran: ReadonlyMap<string, readonly [number, number]>;
}

/** Typical seconds of a step, by its name; big packages take longer. */
function typical(id: string): number {
  const [, pkg, step] = id.split('/');
  const base: Readonly<Record<string, number>> = {
    extract: 4,
    patch: 1,
    configure: 25,
    build: 120,
    check: 60,
    install: 10,
  };
  const heavy = /llvm|gcc|glibc|systemd|rust|python|perl|binutils|runtimes|compiler-rt|util-linux|openssl/.test(pkg)
    ? pkg.includes('llvm')
      ? 12
      : 3
    : 1;
  return (base[step] ?? 15) * (step === 'extract' || step === 'patch' ? 1 : heavy);
}

/** One simulated make run over the plan. */
export function simulate(plan: SimPlan, o: SimOptions): SimResult {
  const rand = prng(o.seed);
  const byStage = new Map<string, string[]>();
  for (const s of plan.steps) {
    const stage = s.id.split('/')[0];
    byStage.set(stage, [...(byStage.get(stage) ?? []), s.id]);
  }
  const dur = new Map(
    plan.steps.map((s) => {
      // log-normal-ish spread around the typical time
      const spread = Math.exp((rand() + rand() + rand() - 1.5) * 0.9);
      return [s.id, Math.max(0, Math.round(typical(s.id) * spread * (o.factor ?? 1)))];
    }),
  );
  const needs = new Map(
    plan.steps.map((s) => [s.id, s.needs.flatMap((n) => (n.includes('/') ? [n] : (byStage.get(n) ?? [])))]),
  );
  const done = new Map<string, number>();
  const running = new Map<string, { start: number; end: number; pid: number }>();
  const events: { t: number; order: number; line: string }[] = [];
  let order = 0;
  const emit = (t: number, line: string) => events.push({ t, order: order++, line: `${t} ${line}` });
  let pid = o.pid ?? 5_000_000;
  let t = o.start;
  let stopped = false;
  const pending = plan.steps.map((s) => s.id);
  const placement = new Map(plan.steps.map((s) => [s.id, s.placement]));
  const ran = new Map<string, [number, number]>();
  for (;;) {
    if (!stopped) {
      for (const id of [...pending]) {
        if (running.size >= o.jobs) break;
        if (!(needs.get(id) ?? []).every((n) => done.has(n))) continue;
        pending.splice(pending.indexOf(id), 1);
        const p = pid++;
        running.set(id, { start: t, end: t + (dur.get(id) ?? 0), pid: p });
        emit(t, `start ${id} ${placement.get(id) ?? 'host'} ${o.jobs} ${p}`);
      }
    }
    if (running.size === 0) break;
    // the next step to end (ties by id, so the order is stable)
    const [id, r] = [...running].sort((a, b) => a[1].end - b[1].end || (a[0] < b[0] ? -1 : 1))[0];
    t = r.end;
    running.delete(id);
    ran.set(id, [r.start, t]);
    if (id === o.interrupt) {
      // Ctrl-C: every running step's trap writes stop at once; nothing more starts
      emit(t, `stop ${id} INT`);
      for (const [other, q] of running) {
        emit(t, `stop ${other} INT`);
        ran.set(other, [q.start, t]);
      }
      running.clear();
      break;
    }
    const rc = id === o.fail ? 2 : 0;
    emit(t, `end ${id} ${rc} ${t - r.start}`);
    if (rc !== 0) stopped = true;
    else done.set(id, t);
  }
  events.sort((a, b) => a.t - b.t || a.order - b.order);
  return { lines: events.map((e) => e.line), end: t, ran };
}

/** Writes the docs' record into `dir` (timings.log, out, logs of failed steps) and returns the build directory. */
export function docsRecord(dir: string, outDir: string, plan: SimPlan): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const start = 1_767_225_600; // 2026-01-01 00:00:00 UTC
  const first = simulate(plan, { jobs: 4, seed: 12, start });
  const failing = 'stage3/systemd/build';
  const second = simulate(plan, { jobs: 4, seed: 13, start: first.end + 86_400, fail: failing, factor: 0.9 });
  writeFileSync(join(dir, 'timings.log'), [...first.lines, ...second.lines].map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'out'), `${resolve(outDir)}\n`);
  const log = join(dir, 'logs', `${failing}.log`);
  mkdirSync(join(log, '..'), { recursive: true });
  const lines = [`== ${failing} (chroot)`];
  for (let i = 1; i <= 40; i++) lines.push(`[${i * 2}/412] Compiling C object src/shared/libshared.a.p/unit-${i}.c.o`);
  lines.push(
    "../src/shared/mount-util.c:118:9: error: implicit declaration of function 'mount_setattr' [-Werror=implicit-function-declaration]",
    'ninja: build stopped: subcommand failed.',
    '== failed after 1204s: exit 2',
  );
  writeFileSync(log, `${lines.join('\n')}\n`);
  return dir;
}

const main = async (): Promise<void> => {
  const { readFileSync } = await import('node:fs');
  const { writeReport } = await import('../compiler/report/index.js');
  const { PACKAGE_ROOT } = await import('../compiler/paths.js');
  const { screenshot } = await import('../spec/helpers/browser.js');
  const dir = resolve(process.argv[2] ?? join(PACKAGE_ROOT, 'dist', 'report-docs'));
  const outDir = join(PACKAGE_ROOT, 'out');
  const plan = JSON.parse(readFileSync(join(outDir, 'plan.json'), 'utf8')) as SimPlan;
  docsRecord(dir, outDir, plan);
  const { file } = writeReport(dir);
  const png = join(PACKAGE_ROOT, 'docs', 'report.png');
  screenshot(file, png, { width: 1400, height: 1000 });
  console.log(`${file}\n${png}`);
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
