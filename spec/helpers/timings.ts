// The timing record BUILD_DIR/timings.log (docs/output.md), parsed strictly: every line is one whole event or
// parseTimings throws naming the line, so a torn or interleaved line can never pass unnoticed.

/** One line of the record. `step` is `<stage>/<package>/<step>`; `epoch` is whole seconds. */
export type TimingEvent =
  | {
      readonly kind: 'start';
      readonly epoch: number;
      readonly step: string;
      readonly placement: 'host' | 'chroot';
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
  | { readonly kind: 'stop'; readonly epoch: number; readonly step: string; readonly signal: 'INT' | 'TERM' | 'HUP' };

const NUM = '(0|[1-9][0-9]*)';
const STEP = '([^/\\s]+/[^/\\s]+/[^/\\s]+)';
const START = new RegExp(`^${NUM} start ${STEP} (host|chroot) ${NUM} ${NUM}$`);
const END = new RegExp(`^${NUM} end ${STEP} ${NUM} ${NUM}$`);
const STOP = new RegExp(`^${NUM} stop ${STEP} (INT|TERM|HUP)$`);

/** Every event of the record, in file order. Throws on a line not in the format or a last line without `\n`. */
export function parseTimings(text: string): TimingEvent[] {
  if (text === '') return [];
  if (!text.endsWith('\n'))
    throw new Error(`timings.log: the last line is incomplete: ${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i): TimingEvent => {
      let m = START.exec(line);
      if (m) {
        const placement = m[3] === 'chroot' ? 'chroot' : 'host';
        return { kind: 'start', epoch: +m[1], step: m[2], placement, jobs: +m[4], pid: +m[5] };
      }
      m = END.exec(line);
      if (m) return { kind: 'end', epoch: +m[1], step: m[2], rc: +m[3], seconds: +m[4] };
      m = STOP.exec(line);
      if (m) return { kind: 'stop', epoch: +m[1], step: m[2], signal: m[3] as 'INT' | 'TERM' | 'HUP' };
      throw new Error(`timings.log line ${i + 1} is not an event: ${JSON.stringify(line)}`);
    });
}

/** The last event of each step, by step id. */
export function lastEvents(events: readonly TimingEvent[]): Map<string, TimingEvent> {
  return new Map(events.map((e) => [e.step, e]));
}
