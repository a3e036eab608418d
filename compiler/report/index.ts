// `serpentc report`: reads a build directory's timing record, plan.json and step logs, and writes the report page.
// All I/O is here; parsing, the model and the page are pure (record.ts, model.ts, render.ts).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { logPath, planInfo, reportModel, type Machine, type PlanInfo, type ReportModel } from './model.js';
import { parseRecord } from './record.js';
import { renderReport } from './render.js';

export interface ReportOptions {
  /** The page to write; default `<build-dir>/report.html`. */
  readonly out?: string;
  /** plan.json; default the one in the directory `<build-dir>/out` names. */
  readonly plan?: string;
}

export interface ReportResult {
  readonly file: string;
  readonly model: ReportModel;
  /** plan.json as read, or null when there was none. */
  readonly plan: string | null;
}

/** The timing record's file name in a build directory. */
export const RECORD = 'timings.log';

/** The default plan.json: in the out/ directory the runtime wrote into `<build-dir>/out`, or null. */
export function defaultPlan(buildDir: string): string | null {
  const pointer = join(buildDir, 'out');
  if (!existsSync(pointer) || !statSync(pointer).isFile()) return null;
  const dir = readFileSync(pointer, 'utf8').split('\n')[0].trim();
  return dir === '' ? null : join(resolve(buildDir, dir), 'plan.json');
}

/** This machine, as the model asks about it. */
export function machineOf(buildDir: string): Machine {
  const file = (id: string) => join(buildDir, logPath(id));
  return {
    pidAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        // EPERM: alive, owned by someone else
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    lastOutput: (id) => {
      try {
        return Math.floor(statSync(file(id)).mtimeMs / 1000);
      } catch {
        return null;
      }
    },
    logText: (id) => {
      try {
        return readFileSync(file(id), 'utf8');
      } catch {
        return null;
      }
    },
  };
}

/**
 * Builds the report of `buildDir` and writes it. Throws an Error with a message for the user when the record is
 * missing or a plan named explicitly cannot be read.
 */
export function writeReport(buildDir: string, opts: ReportOptions = {}): ReportResult {
  const record = join(buildDir, RECORD);
  if (!existsSync(record))
    throw new Error(`${record} does not exist: no build has run with this BUILD_DIR (make -C out BUILD_DIR=…)`);
  const planFile = opts.plan ?? defaultPlan(buildDir);
  let plan: PlanInfo | null = null;
  if (planFile !== null) {
    if (existsSync(planFile)) plan = planInfo(JSON.parse(readFileSync(planFile, 'utf8')) as unknown);
    else if (opts.plan !== undefined) throw new Error(`${planFile} does not exist`);
  }
  const model = reportModel(parseRecord(readFileSync(record, 'utf8')), plan, machineOf(buildDir));
  const file = opts.out ?? join(buildDir, 'report.html');
  if (!existsSync(dirname(file))) throw new Error(`${dirname(file)} does not exist`);
  writeFileSync(file, renderReport(model));
  return { file, model, plan: plan === null ? null : planFile };
}
