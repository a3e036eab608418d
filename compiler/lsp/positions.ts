// Between the compiler's Locs (1-based lines and columns, end inclusive, in the text without a byte order mark)
// and LSP ranges (0-based, end exclusive, UTF-16 code units — the units of a JavaScript string, as Locs are).
import type { Position, Range } from 'vscode-languageserver';
import { BOM } from '../../grammar/chars.js';
import type { Loc } from '../../grammar/syntax.js';

export function rangeOf(loc: Loc): Range {
  const line = Math.max(0, loc.line - 1);
  const character = Math.max(0, loc.col - 1);
  const endLine = Math.max(line, loc.endLine - 1);
  // a Loc always covers at least the character it starts at (an end-of-file Loc included)
  const endCharacter = endLine === line ? Math.max(character + 1, loc.endCol) : Math.max(0, loc.endCol);
  return { start: { line, character }, end: { line: endLine, character: endCharacter } };
}

/**
 * A range of the compiled text (no byte order mark) as a document that starts with one counts it: on the first
 * line one unit later (`offsetAt` is the other direction). Unchanged for any other text, or none.
 */
export function inDocument(range: Range, text: string | undefined): Range {
  if (text === undefined || !text.startsWith(BOM)) return range;
  const shift = (p: Position): Position => (p.line === 0 ? { line: 0, character: p.character + BOM.length } : p);
  return { start: shift(range.start), end: shift(range.end) };
}

/** The start of a file, for diagnostics that have no location. */
export const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * The offset into the compiled text (a leading byte order mark dropped, as load does) of an editor position
 * in `text`, the document as the editor holds it.
 */
export function offsetAt(text: string, pos: Position): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length - (text.startsWith(BOM) ? BOM.length : 0);
    offset = nl + 1;
  }
  const eol = text.indexOf('\n', offset);
  offset = Math.min(offset + Math.max(0, pos.character), eol < 0 ? text.length : eol);
  return text.startsWith(BOM) ? Math.max(0, offset - BOM.length) : offset;
}

/** The text as the compiler reads it: without a leading byte order mark. */
export function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}
