// Renders a diagnostic for a terminal: `path:line:col: error[code]: message`, the source line, a caret, notes.
import type { Loc } from '../../grammar/syntax.js';
import { isInvisible, visible } from '../../grammar/chars.js';
import type { Diagnostic } from './diagnostic.js';

/** A file's text by display path, for the source excerpt; undefined when it is not known. */
export type SourceOf = (file: string) => string | undefined;

interface Colors {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
}

/** Formats one diagnostic; colour only when asked. */
export function formatDiagnostic(d: Diagnostic, sourceOf: SourceOf, opts: { readonly color?: boolean } = {}): string {
  const c = colors(opts.color ?? false);
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : 'serpentc: ';
  const sev = d.severity === 'error' ? c.red(`${d.severity}[${d.code}]`) : c.yellow(`${d.severity}[${d.code}]`);
  const lines = [`${c.bold(where)}${sev}: ${c.bold(d.message)}`];
  if (d.loc) lines.push(...excerpt(d.loc, sourceOf, c));
  for (const n of d.notes) {
    if (n.loc) {
      lines.push(`  ${c.cyan('note')}: ${n.loc.file}:${n.loc.line}:${n.loc.col}: ${n.message}`);
      lines.push(...excerpt(n.loc, sourceOf, c).map((l) => `  ${l}`));
    } else {
      lines.push(`  ${c.cyan('note')}: ${n.message}`);
    }
  }
  return lines.join('\n');
}

/** Source lines wider than this are shown as a window of this many columns around the caret, cut with `…`. */
export const MAX_LINE_WIDTH = 100;

/**
 * The source line of `loc` with a caret under its span (to the end of the line when the span goes on). One column
 * per UTF-16 unit, a tab shown as one space; an invisible character shown as `<U+200B>`, the caret widened to
 * match; a line wider than MAX_LINE_WIDTH cut to a window around the caret.
 */
function excerpt(loc: Loc, sourceOf: SourceOf, c: Colors): string[] {
  const text = sourceOf(loc.file);
  if (text === undefined) return [];
  const line = text.split('\n')[loc.line - 1];
  if (line === undefined) return [];
  const { shown, caretFrom, caretTo } = frame(line.replace(/\r$/, ''), loc);
  const gutter = String(loc.line);
  const pad = ' '.repeat(gutter.length);
  return [
    `${pad} |`,
    `${gutter} | ${shown}`,
    `${pad} | ${' '.repeat(caretFrom)}${c.red('^'.repeat(caretTo - caretFrom))}`,
  ];
}

/** The line as shown, and the caret's columns [from, to) in it. */
/** What each UTF-16 unit of a line shows as, and the column each starts at (`starts[n]`: the line's width). */
interface LineLayout {
  readonly show: readonly string[];
  readonly starts: readonly number[];
}

/**
 * The last line laid out: diagnostics come sorted, so the many on one long line (a list of thousands of names
 * written on one line) lay it out once, not once each.
 */
let lastLayout: { readonly line: string; readonly layout: LineLayout } | null = null;

function layoutOf(line: string): LineLayout {
  if (lastLayout?.line === line) return lastLayout.layout;
  // what each UTF-16 unit of the line shows as, and the columns it takes (a pair's second unit shows nothing)
  const show: string[] = [];
  const w: number[] = [];
  for (const ch of line) {
    if (ch === '\t') {
      show.push(' ');
      w.push(1);
    } else if (isInvisible(ch)) {
      const marker = visible(ch);
      show.push(marker, ...(ch.length > 1 ? [''] : []));
      w.push(marker.length, ...(ch.length > 1 ? [0] : []));
    } else {
      // a surrogate pair keeps one column per unit, as columns count
      show.push(ch, ...(ch.length > 1 ? [''] : []));
      w.push(1, ...(ch.length > 1 ? [1] : []));
    }
  }
  const starts = [0];
  for (let i = 0; i < show.length; i++) starts.push(starts[i] + w[i]);
  const layout = { show, starts };
  lastLayout = { line, layout };
  return layout;
}

/** The first unit in 0..n for which `at` holds (`n` when none does); `at` must hold from some unit on. */
function firstUnit(starts: readonly number[], n: number, at: (unit: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function frame(line: string, loc: Loc): { shown: string; caretFrom: number; caretTo: number } {
  const { show, starts } = layoutOf(line);
  const n = show.length;
  const colOf = (unit: number) => starts[Math.max(0, Math.min(unit, n))];
  const from = colOf(loc.col - 1);
  const to = Math.max(from + 1, colOf(loc.endLine === loc.line ? loc.endCol : n));
  const width = starts[n];
  if (width <= MAX_LINE_WIDTH) return { shown: show.join(''), caretFrom: from, caretTo: to };

  // `room` columns of source between the `…` marks: the caret in the middle, or its start when it is wider
  const room = MAX_LINE_WIDTH - 2;
  const want = to - from <= room ? from - Math.floor((room - (to - from)) / 2) : from - 8;
  const start = Math.max(0, Math.min(want, width - room));
  // binary searches: the columns only grow, and a line may hold thousands of diagnostics
  const u0 = firstUnit(starts, n, (u) => starts[u] >= start);
  const u1 = Math.max(
    u0,
    firstUnit(starts, n, (u) => starts[u + 1] > start + room),
  );
  const left = u0 > 0;
  const right = u1 < n;
  const base = starts[u0] - (left ? 1 : 0);
  const clamp = (col: number) => Math.min(Math.max(col, starts[u0]), starts[u1]) - base;
  const caretFrom = clamp(from);
  return {
    shown: `${left ? '…' : ''}${show.slice(u0, u1).join('')}${right ? '…' : ''}`,
    caretFrom,
    caretTo: Math.max(caretFrom + 1, clamp(to)),
  };
}

function colors(on: boolean): Colors {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('1;31'), yellow: wrap('1;33'), cyan: wrap('1;36'), bold: wrap('1') };
}
