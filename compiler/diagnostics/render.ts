// Renders a diagnostic for a terminal: `path:line:col: error[code]: message`, the source line, a caret, notes.
import type { Loc } from '../../grammar/syntax.js';
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

/** The source line of `loc` with a caret under its span (to the end of the line when the span goes on). */
function excerpt(loc: Loc, sourceOf: SourceOf, c: Colors): string[] {
  const text = sourceOf(loc.file);
  if (text === undefined) return [];
  const line = text.split('\n')[loc.line - 1];
  if (line === undefined) return [];
  const shown = line.replace(/\t/g, ' ').replace(/\r$/, '');
  const width =
    loc.endLine === loc.line
      ? Math.max(1, Math.min(loc.endCol, shown.length) - loc.col + 1)
      : Math.max(1, shown.length - loc.col + 1);
  const gutter = String(loc.line);
  const pad = ' '.repeat(gutter.length);
  return [
    `${pad} |`,
    `${gutter} | ${shown}`,
    `${pad} | ${' '.repeat(Math.max(0, loc.col - 1))}${c.red('^'.repeat(width))}`,
  ];
}

function colors(on: boolean): Colors {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('1;31'), yellow: wrap('1;33'), cyan: wrap('1;36'), bold: wrap('1') };
}
