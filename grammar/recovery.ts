// One mistake, one error: which of a file's syntax diagnostics to report, and which spans of the file are
// damaged (parsed from text the parser had to guess about), so later passes neither trust nor complain about them.
//
// Two mechanisms, both only consulted when the file already has a syntax error:
// - Delimiters by indentation. When the file's `{}`, `[]` or `()` do not balance, the parser notices only where
//   the structure finally breaks, often many lines later ("expected '}', found 'package'"). Recipes are
//   indented, so, as rustc does for unclosed delimiters, the indentation tells which delimiter is missing or
//   extra: a line at or left of a `{`'s own line that is not its `}` means the `{` was never closed; a `}` that
//   lines up with no open `{` is a stray. That delimiter is reported where it is, with where it was noticed
//   as a note.
// - Resynchronisation. After an error, every further syntax error up to the next declaration keyword at the
//   start of a line (`package`, `stage`, …, column 1) is a consequence of it and is dropped; errors in later
//   declarations are reported as usual. The declarations from the error's to that point are damaged.
import type { IToken, TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { spans, tokenLoc } from './loc.js';
import { syntaxDiagnostic } from './messages.js';
import type { Loc, SyntaxDiagnostic } from './syntax.js';

/** A half-open range of offsets `[from, to)` of a file. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

const DECLARATIONS: ReadonlySet<TokenType> = new Set([T.Target, T.Stage, T.Template, T.Package, T.Pass]);
const OPENERS = new Map<TokenType, TokenType>([
  [T.LCurly, T.RCurly],
  [T.LBracket, T.RBracket],
  [T.LParen, T.RParen],
]);
const CLOSERS = new Map<TokenType, TokenType>([...OPENERS].map(([o, c]) => [c, o]));

/** A delimiter the indentation says is missing or extra, and the token where that became visible. */
interface Culprit {
  readonly diagnostic: SyntaxDiagnostic;
  /** offset of the culprit itself and of the point where it was noticed */
  readonly at: number;
  readonly noticed: number;
}

/**
 * The syntax diagnostics to report and the damaged spans, from every syntax diagnostic of a file (sorted by
 * position) and its tokens. `kinds.desync` holds the diagnostics after which the parser had to guess (its own errors,
 * an unterminated string or body); the others (a bad escape, a missing comma the grammar tolerates,
 * stray characters the lexer skipped) leave the parse of what follows intact; `kinds.lexical` holds the stray
 * characters outside printable ASCII, each a slip of its own.
 */
export function recover(
  file: string,
  text: string,
  tokens: readonly IToken[],
  diagnostics: readonly SyntaxDiagnostic[],
  kinds: { readonly desync: ReadonlySet<SyntaxDiagnostic>; readonly lexical: ReadonlySet<SyntaxDiagnostic> },
): { diagnostics: SyntaxDiagnostic[]; damaged: Span[] } {
  const { desync, lexical } = kinds;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return { diagnostics: [...diagnostics], damaged: [] };
  // declaration keywords at the start of a line: where parsing starts afresh
  const resync = tokens.filter((t) => DECLARATIONS.has(t.tokenType) && t.startColumn === 1).map((t) => t.startOffset);
  // an error at a declaration keyword is about the declaration before it, which did not close
  const declStart = (offset: number) => resync.filter((r) => r < offset).pop() ?? 0;
  const nextResync = (offset: number) => resync.find((r) => r > offset) ?? Infinity;

  const firstError = errors[0].loc?.offset ?? 0;
  // An unterminated string or body is reported where it opens and swallows what follows, delimiters included:
  // then delimiters are no evidence. A `"""` too many or too few turns code into body and back (and may leave
  // the last body unterminated): it explains everything after it, so it is looked for first.
  const swallowed = errors.some((d) => d.code === 'unterminated-string' || d.code === 'unterminated-shell');
  const stringCut = errors.some((d) => d.code === 'unterminated-string');
  const shell = stringCut ? null : shellCulprit(file, tokens, firstError);
  const culprits = shell ? [] : swallowed ? [] : delimiterCulprits(file, text, tokens);

  const kept: SyntaxDiagnostic[] = [];
  const damaged: Span[] = [];
  // errors before `until` are consequences of the last desynchronising one; so are errors at `noticed`
  let until = -1;
  let noticed = -1;
  let [lastLine, lastAt, lastLexical] = [-1, -1, false];
  const desynchronised = (from: number, concernEnd: number) => {
    until = nextResync(concernEnd);
    noticed = concernEnd;
    damaged.push({ from: declStart(from), to: until });
  };
  if (shell) {
    kept.push(shell.diagnostic);
    desynchronised(shell.at, shell.noticed);
  }
  for (const d of diagnostics) {
    const at = d.loc?.offset ?? Infinity;
    // the first error in a declaration whose delimiters the indentation explains: report the delimiter instead
    const c = culprits.find((x) => x.at <= at && at <= nextResync(x.at));
    if (c && d.severity === 'error' && at >= until && at !== noticed) {
      culprits.splice(culprits.indexOf(c), 1);
      kept.push(c.diagnostic);
      if (d.loc) [lastLine, lastAt, lastLexical] = [d.loc.line, at, false];
      desynchronised(c.at, Math.max(c.noticed, at));
      continue;
    }
    if (d.severity !== 'error') {
      if (at >= until) kept.push(d); // warnings inside a damaged span are as unreliable as errors
      continue;
    }
    // at the keyword that ends a damaged span the damaged declaration did not close: not news
    if (at < until || at === noticed || at === until) continue;
    // One error per line, as Go's compilers do, and one per run of lines that all have errors: a second error
    // on a line, or on the next line, stumbles on the first (text that is not recipe code, like a shell body
    // whose opening was lost, errs on every line). It still counts as a place where the parser had to guess.
    // A declaration keyword in between starts afresh, and a stray character the lexer skipped leaves the next
    // line's parse alone.
    const follows = d.loc !== null && (d.loc.line === lastLine || (d.loc.line === lastLine + 1 && !lastLexical));
    if (!follows || nextResync(lastAt) <= at) kept.push(d);
    if (d.loc) [lastLine, lastAt, lastLexical] = [d.loc.line, at, lexical.has(d)];
    if (desync.has(d)) desynchronised(at, at);
    else damaged.push({ from: declStart(at + 1), to: nextResync(at) });
  }
  return { diagnostics: kept, damaged: mergeSpans(damaged) };
}

function mergeSpans(spans: Span[]): Span[] {
  // sort for determinism, then merge overlapping spans
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && s.from <= last.to) out[out.length - 1] = { from: last.from, to: Math.max(last.to, s.to) };
    else out.push(s);
  }
  return out;
}

/**
 * The first shell body, before the first error, whose `"""` stand where no body's do: every body of a
 * well-formed file opens at the end of a line (`build """`) and closes at the start of one. A body opened by a
 * `"""` alone on its line took a closing `"""` for an opening one; a multi-line body closed by a `"""` with
 * text before it ran on into the next body's opening.
 */
function shellCulprit(file: string, tokens: readonly IToken[], firstError: number): Culprit | null {
  for (let i = 0; i < tokens.length && tokens[i].startOffset <= firstError; i++) {
    const t = tokens[i];
    if (t.tokenType !== T.Shell) continue;
    const prev = tokens.at(i - 1);
    const alone = i === 0 || prev === undefined || prev.endLine !== t.startLine;
    const lastLine = t.image.slice(t.image.lastIndexOf('\n') + 1);
    const loc = tokenLoc(file, t);
    const opening = { ...loc, endLine: loc.line, endCol: loc.col + 2, endOffset: loc.offset + 2 };
    if (alone) {
      const previousLine =
        prev?.tokenType === T.Shell || prev?.tokenType === T.UnterminatedShell ? (prev.endLine ?? null) : null;
      return {
        diagnostic: syntaxDiagnostic('syntax-error', opening, { kind: 'extra-shell-quote', previousLine }),
        at: t.startOffset,
        noticed: Math.max(t.startOffset, firstError),
      };
    }
    if (t.image.includes('\n') && lastLine.trim() !== '"""') {
      const end = t.endOffset ?? t.startOffset;
      const closing = { ...loc, line: loc.endLine, col: loc.endCol - 2, offset: end - 2 };
      return {
        diagnostic: {
          ...syntaxDiagnostic('syntax-error', closing, { kind: 'shell-runs-on', line: loc.line }),
          notes: [{ message: 'the body opened here', loc: opening }],
        },
        at: t.startOffset,
        noticed: Math.max(end, firstError),
      };
    }
  }
  return null;
}

/** The indentation of the line a token starts: the column of that line's first token, less one. */
function indentOf(tokens: readonly IToken[]): (i: number) => number {
  const first: number[] = [];
  let lineFirst = 0;
  tokens.forEach((t, i) => {
    if (i === 0 || t.startLine !== tokens[i - 1].endLine) lineFirst = i;
    first.push(lineFirst);
  });
  return (i) => (tokens[first[i]].startColumn ?? 1) - 1;
}

/**
 * Per declaration (the tokens from one declaration keyword at column 1 to the next), the first delimiter that
 * is unclosed or stray, judged by indentation, when the declaration's delimiters do not balance (when they do,
 * indentation is no evidence of anything).
 */
function delimiterCulprits(file: string, text: string, tokens: readonly IToken[]): Culprit[] {
  const indent = indentOf(tokens);
  const starts = tokens.flatMap((t, i) => (i > 0 && DECLARATIONS.has(t.tokenType) && t.startColumn === 1 ? [i] : []));
  const bounds = [0, ...starts, tokens.length];
  return bounds.slice(1).flatMap((hi, k) => delimiterCulprit(file, text, tokens, indent, bounds[k], hi) ?? []);
}

/** The culprit of one declaration, tokens[lo, hi); tokens[hi] is the next declaration's keyword, if any. */
function delimiterCulprit(
  file: string,
  text: string,
  tokens: readonly IToken[],
  indent: (i: number) => number,
  lo: number,
  hi: number,
): Culprit | null {
  const excess = new Map<TokenType, number>(); // per opener kind: openers minus closers
  for (const t of tokens.slice(lo, hi)) {
    const o = OPENERS.has(t.tokenType) ? t.tokenType : CLOSERS.get(t.tokenType);
    if (o) excess.set(o, (excess.get(o) ?? 0) + (o === t.tokenType ? 1 : -1));
  }
  if ([...excess.values()].every((n) => n === 0)) return null;

  const startsLine = (i: number) => i === 0 || tokens[i].startLine !== tokens[i - 1].endLine;
  const stack: number[] = []; // token indexes of open delimiters
  /**
   * The open delimiter `o` was never closed; `at`: the token where that shows (a line indented no deeper than
   * the delimiter's, or a closer or `{` that cannot stand inside it), or null for the end of the file.
   */
  const unclosed = (o: number, at: number | null, why: 'indent' | 'token'): Culprit => {
    const close = closerImage(tokens[o].tokenType);
    const where = at === null ? endOfFile(file, text) : tokenLoc(file, tokens[at]);
    const message =
      at === null
        ? `expected '${close}' before the end of the file`
        : why === 'indent'
          ? `expected '${close}' before this line, which is indented no deeper than the '${tokens[o].image}'`
          : `expected '${close}' before this '${tokens[at].image}'`;
    return {
      diagnostic: {
        ...syntaxDiagnostic('syntax-error', tokenLoc(file, tokens[o]), {
          kind: 'unclosed',
          open: tokens[o].image,
          close,
        }),
        notes: [{ message, loc: where }],
      },
      at: tokens[o].startOffset,
      noticed: where.offset,
    };
  };
  for (let i = lo; i < hi; i++) {
    const t = tokens[i];
    const type = t.tokenType;
    const top = stack.at(-1);
    // a line that starts at or left of the open delimiter's own line, and is not its closer: it was never closed
    if (
      top !== undefined &&
      startsLine(i) &&
      indent(i) <= indent(top) &&
      CLOSERS.get(type) !== tokens[top].tokenType &&
      (excess.get(tokens[top].tokenType) ?? 0) > 0
    )
      return unclosed(top, i, 'indent');
    if (OPENERS.has(type)) {
      // blocks stand only in blocks: a `{` inside a list or an argument list means that one was not closed
      if (
        type === T.LCurly &&
        top !== undefined &&
        tokens[top].tokenType !== T.LCurly &&
        (excess.get(tokens[top].tokenType) ?? 0) > 0
      )
        return unclosed(top, i, 'token');
      stack.push(i);
      continue;
    }
    const opener = CLOSERS.get(type);
    if (!opener) continue;
    const fits =
      top !== undefined &&
      tokens[top].tokenType === opener &&
      (startsLine(i) ? indent(i) === indent(top) : t.startLine === tokens[top].startLine || !continues(tokens, i));
    if (fits) {
      stack.pop();
      continue;
    }
    if ((excess.get(opener) ?? 0) < 0 || top === undefined) {
      return {
        diagnostic: syntaxDiagnostic('syntax-error', tokenLoc(file, t), {
          kind: 'unmatched',
          close: t.image,
        }),
        at: t.startOffset,
        noticed: t.startOffset,
      };
    }
    if ((excess.get(tokens[top].tokenType) ?? 0) > 0) return unclosed(top, i, 'token');
    stack.pop(); // a closer that fits badly, in a file whose counts say it belongs: take it
  }
  const top = stack.at(-1);
  if (top === undefined || (excess.get(tokens[top].tokenType) ?? 0) <= 0) return null;
  return hi < tokens.length ? unclosed(top, hi, 'indent') : unclosed(top, null, 'token');
}

/** Whether more tokens follow a closer on its own line (`u}se x`): then the closer is not the end of a block. */
function continues(tokens: readonly IToken[], i: number): boolean {
  const next = tokens.at(i + 1);
  return next !== undefined && next.startLine === tokens[i].endLine && !CLOSERS.has(next.tokenType);
}

function closerImage(opener: TokenType): string {
  return opener === T.LCurly ? '}' : opener === T.LBracket ? ']' : ')';
}

/** The empty span at the end of the text, where "found end of file" errors point. */
function endOfFile(file: string, text: string): Loc {
  return spans(file, text)(text.length, text.length);
}
