// The timing record ($BUILD_DIR/timings.log) read strictly: every well-formed line becomes one event, in file order;
// anything else (garbage, a torn last line without its newline, a field out of shape) is counted, never guessed at.
import type { Placement } from '../graph.js';

export type Signal = 'INT' | 'TERM' | 'HUP';

export type RecordEvent =
  | {
      readonly kind: 'start';
      readonly epoch: number;
      readonly step: string;
      readonly placement: Placement;
      readonly jobs: number;
      readonly pid: number;
    }
  | {
      readonly kind: 'end';
      readonly epoch: number;
      readonly step: string;
      readonly rc: number;
      readonly seconds: number;
    }
  | { readonly kind: 'stop'; readonly epoch: number; readonly step: string; readonly signal: Signal };

export interface IgnoredLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
}

export interface ParsedRecord {
  readonly events: readonly RecordEvent[];
  readonly ignored: readonly IgnoredLine[];
}

const INT = /^(0|[1-9][0-9]*)$/;
const SECONDS = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** `<stage>/<package>/<step>`: three non-empty parts without slashes. */
const STEP_ID = /^[^/\s]+\/[^/\s]+\/[^/\s]+$/;

/** The events of a timings.log text and the lines that were not events. */
export function parseRecord(text: string): ParsedRecord {
  const events: RecordEvent[] = [];
  const ignored: IgnoredLine[] = [];
  const lines = text.split('\n');
  // The text after the last newline: empty when the file ends with one, else a line whose writer never finished.
  const last = lines.pop() ?? '';
  lines.forEach((l, i) => {
    if (l === '') return; // a blank line carries nothing; not an error
    const e = parseLine(l);
    if (typeof e === 'string') ignored.push({ line: i + 1, reason: e });
    else events.push(e);
  });
  if (last !== '') ignored.push({ line: lines.length + 1, reason: 'torn: the last line has no newline' });
  return { events, ignored };
}

/** One line as an event, or why it is not one. */
function parseLine(line: string): RecordEvent | string {
  const f = line.split(' ');
  const [epochText, kind, step] = f;
  if (!INT.test(epochText ?? '')) return 'not an epoch';
  if (!STEP_ID.test(step ?? '')) return 'not a step id';
  const epoch = Number(epochText);
  switch (kind) {
    case 'start': {
      if (f.length !== 6) return 'start takes 6 fields';
      const [, , , placement, jobs, pid] = f;
      if (placement !== 'host' && placement !== 'chroot') return 'placement is neither host nor chroot';
      if (!INT.test(jobs) || !INT.test(pid)) return 'jobs or pid is not a number';
      return { kind, epoch, step, placement, jobs: Number(jobs), pid: Number(pid) };
    }
    case 'end': {
      if (f.length !== 5) return 'end takes 5 fields';
      const [, , , rc, seconds] = f;
      if (!INT.test(rc) || !SECONDS.test(seconds)) return 'rc or seconds is not a number';
      return { kind, epoch, step, rc: Number(rc), seconds: Number(seconds) };
    }
    case 'stop': {
      if (f.length !== 4) return 'stop takes 4 fields';
      const signal = f[3];
      if (signal !== 'INT' && signal !== 'TERM' && signal !== 'HUP') return 'unknown signal';
      return { kind, epoch, step, signal };
    }
    default:
      return 'unknown event';
  }
}
