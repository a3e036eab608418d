// Locs of tokens and spans: 1-based line/col, end inclusive, offsets; only `\n` ends a line (as in the lexer).
import type { IToken } from 'chevrotain';
import type { Loc } from './syntax.js';

/** A token the source really holds (recovery inserts virtual tokens with NaN positions). */
export function real(tok: IToken | undefined): boolean {
  return tok !== undefined && !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

export function tokenLoc(file: string, tok: IToken): Loc {
  const image = tok.image;
  if (image.charCodeAt(image.length - 1) === 10) {
    // only an unterminated shell body can end with a newline; chevrotain's end column is one short there
    const last = image.length - 1;
    const nl = image.lastIndexOf('\n', last - 1);
    let lines = 0;
    for (let i = image.indexOf('\n'); i >= 0 && i < last; i = image.indexOf('\n', i + 1)) lines++;
    const line = tok.startLine ?? 0;
    const col = tok.startColumn ?? 0;
    return {
      file,
      line,
      col,
      endLine: line + lines,
      endCol: nl < 0 ? col + last : last - nl,
      offset: tok.startOffset,
      endOffset: tok.startOffset + last,
    };
  }
  return {
    file,
    line: tok.startLine ?? 0,
    col: tok.startColumn ?? 0,
    endLine: tok.endLine ?? 0,
    endCol: tok.endColumn ?? 0,
    offset: tok.startOffset,
    endOffset: tok.endOffset ?? tok.startOffset,
  };
}

/** Characters [from, to] (inclusive, both on the token's first line) of a single-line token. */
export function subLoc(file: string, tok: IToken, from: number, to: number): Loc {
  const line = tok.startLine ?? 0;
  const col = tok.startColumn ?? 0;
  return {
    file,
    line,
    col: col + from,
    endLine: line,
    endCol: col + to,
    offset: tok.startOffset + from,
    endOffset: tok.startOffset + to,
  };
}

/** The span from the start of `a` to the end of `b` (each a Loc or a real token). */
export function span(file: string, a: Loc | IToken, b: Loc | IToken): Loc {
  const from = 'file' in a ? a : tokenLoc(file, a);
  const to = 'file' in b ? b : tokenLoc(file, b);
  return {
    file,
    line: from.line,
    col: from.col,
    endLine: to.endLine,
    endCol: to.endCol,
    offset: from.offset,
    endOffset: to.endOffset,
  };
}

/** The last real thing of a bracketed sequence: its closer, else (after an error) its last element, else its opener. */
export function lastOf(
  open: Loc | IToken | undefined,
  elements: readonly { readonly loc: Loc }[],
  close: IToken | undefined,
): Loc | IToken | undefined {
  return close ?? (elements.length ? elements[elements.length - 1].loc : open);
}

/** Maps offsets to 1-based line/col (only `\n` ends a line, as in the lexer and in sh). */
export function lineIndex(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  };
}

/** A function giving the loc of characters [from, to] of text (inclusive); the line table is built once. */
export function spans(file: string, text: string): (from: number, to: number) => Loc {
  let at: ((offset: number) => { line: number; col: number }) | null = null;
  return (from, to) => {
    at ??= lineIndex(text);
    const a = at(from);
    const b = at(to);
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: from, endOffset: to };
  };
}
