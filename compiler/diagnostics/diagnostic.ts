// A diagnostic is a value: passes report into a Sink (or return a list) and never throw for a user mistake.
// The Sink builds each message from the catalogue, so a call site passes a code and data, never a sentence.
import { hasInvisible, visible } from '../../grammar/chars.js';
import type { Loc } from '../../grammar/syntax.js';
import { byKey } from '../util.js';
import {
  isSyntaxCode,
  messageOf,
  NOTES,
  ONCE_PER_NAME_CODES,
  type Code,
  type CompilerCode,
  type MessageData,
} from './catalogue.js';

const isCompilerCode = (code: Code): code is CompilerCode => !isSyntaxCode(code);

export type { Code } from './catalogue.js';

/** A second location or a hint attached to a diagnostic. */
export interface Note {
  readonly message: string;
  readonly loc?: Loc;
}

/** The same shape as grammar's SyntaxDiagnostic (whose codes are a subset), so syntax diagnostics pass as they are. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: Code;
  readonly message: string;
  readonly loc: Loc | null;
  readonly notes: readonly Note[];
}

/** Collects diagnostics from every pass; the CLI sorts and prints them at the end. */
export class Sink {
  readonly items: Diagnostic[] = [];

  /** Reports an error; its message is the catalogue's sentence for `code` built from `data`. */
  error<C extends CompilerCode>(code: C, loc: Loc | null, data: MessageData[C], notes: readonly Note[] = []): void {
    const shown = notes.map((n) => (hasInvisible(n.message) ? { ...n, message: visible(n.message) } : n));
    this.items.push({ severity: 'error', code, message: messageOf(code, data), loc, notes: shown });
  }

  addAll(list: readonly Diagnostic[]): void {
    for (const d of list) this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Sorted by file, line, column, code, message; exact duplicates dropped. */
  sorted(): Diagnostic[] {
    return sortDiagnostics(this.items);
  }
}

/**
 * Repeats of one mistake folded into its first report: diagnostics of a code in ONCE_PER_NAME_CODES with the
 * same message (one undefined name used in several places) become one, with the other places in a note.
 * Expects sorted input and keeps its order.
 */
export function foldRepeats(sorted: readonly Diagnostic[]): Diagnostic[] {
  const first = new Map<string, { index: number; also: Loc[] }>();
  const out: Diagnostic[] = [];
  for (const d of sorted) {
    if (!isCompilerCode(d.code) || !ONCE_PER_NAME_CODES.has(d.code) || d.loc === null) {
      out.push(d);
      continue;
    }
    const key = `${d.code}\0${d.message}`;
    const seen = first.get(key);
    if (seen) seen.also.push(d.loc);
    else {
      first.set(key, { index: out.length, also: [] });
      out.push(d);
    }
  }
  for (const { index, also } of first.values())
    if (also.length) out[index] = { ...out[index], notes: [...out[index].notes, NOTES.alsoAt(also)] };
  return out;
}

/** Sorted by file, line, column, code, message; exact duplicates (notes included) dropped. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const keyed = list.map((d) => ({
    d,
    key: [
      d.loc?.file ?? '',
      String(d.loc?.line ?? 0).padStart(9, '0'),
      String(d.loc?.col ?? 0).padStart(9, '0'),
      d.code,
      d.message,
    ].join('\u0000'),
  }));
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  // sort for determinism: diagnostics are collected per pass, reported per file and line
  for (const { d, key } of keyed.sort(byKey((x) => x.key))) {
    const k = key + JSON.stringify(d.notes);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}
