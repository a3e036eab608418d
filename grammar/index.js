// parse(file, text) → { ast, diagnostics }: the whole front end; every problem is a diagnostic, nothing throws.
import { EOF } from './chevrotain.js';
import * as T from './tokens.js';
import { parser } from './parser.js';
import { setMessageTokens } from './messages.js';
import { buildFile, tokenLoc } from './ast.js';

/** @typedef {import('chevrotain').IToken} IToken */
/** @typedef {import('../compiler/model.js').Loc} Loc */
/** @typedef {import('../compiler/model.js').FileNode} FileNode */
/** @typedef {import('../compiler/model.js').Diagnostic} Diagnostic */

// Brackets nest the parser's recursion; deeper input is refused before it can exhaust the stack.
export const MAX_NESTING = 100;

/** Maps offsets to 1-based line/col (only `\n` ends a line, as in the lexer). @param {string} text */
function lineIndex(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  /** @param {number} offset */
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

/**
 * A function giving the loc of characters [from, to] of text (inclusive); the line table is built once.
 * @param {string} file @param {string} text @returns {(from: number, to: number) => Loc}
 */
function spans(file, text) {
  /** @type {((offset: number) => { line: number, col: number }) | null} */
  let at = null;
  return (from, to) => {
    at ??= lineIndex(text);
    const a = at(from);
    const b = at(to);
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: from, endOffset: to };
  };
}

/** @param {string} code @param {string} message @param {Loc | null} loc @returns {Diagnostic} */
function error(code, message, loc) {
  return { severity: 'error', code, message, loc, notes: [] };
}

/** @param {string} s @param {number} max */
function clip(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Parses one recipe file.
 * @param {string} file the display path, copied into every Loc
 * @param {string} text the file's contents
 * @returns {{ ast: FileNode, diagnostics: Diagnostic[] }}
 */
export function parse(file, text) {
  /** @type {Diagnostic[]} */
  const diagnostics = [];
  let name = '';
  let source = '';
  try {
    name = typeof file === 'string' ? file : String(file ?? '');
    source = typeof text === 'string' ? text : String(text ?? '');
    const ast = run(name, source, diagnostics);
    // sort for determinism: by position, then message (diagnostics come from several passes)
    diagnostics.sort(
      (a, b) =>
        (a.loc?.offset ?? Infinity) - (b.loc?.offset ?? Infinity) ||
        (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
    );
    return { ast, diagnostics };
  } catch (e) {
    // A bug in the front end, not in the input: reported as a value so the caller still gets a result.
    const message = e instanceof Error ? e.message : String(e);
    diagnostics.push(error('internal-error', `internal error in the parser: ${message}`, null));
    return { ast: { kind: 'File', file: name, text: source, decls: [] }, diagnostics };
  } finally {
    setMessageTokens([]); // drop the references to this file's tokens
  }
}

/** @param {string} file @param {string} text @param {Diagnostic[]} diagnostics @returns {FileNode} */
function run(file, text, diagnostics) {
  const ctx = { file, diagnostics };
  const spanLoc = spans(file, text);
  const lexed = T.lexer.tokenize(text);

  for (const e of lexed.errors) {
    const bad = text.slice(e.offset, e.offset + e.length);
    const what = [...bad].length === 1 ? `character '${bad}'` : `characters '${clip(bad, 30)}'`;
    diagnostics.push(error('syntax-error', `unexpected ${what}`, spanLoc(e.offset, e.offset + e.length - 1)));
  }

  let unterminatedShell = false;
  let depth = 0;
  for (const t of lexed.tokens) {
    if (t.tokenType === T.UnterminatedString) {
      diagnostics.push(
        error(
          'unterminated-string',
          'unterminated string: a string must end with " on the same line',
          tokenLoc(ctx, t),
        ),
      );
    } else if (t.tokenType === T.UnterminatedShell) {
      unterminatedShell = true;
      const opening = {
        ...tokenLoc(ctx, t),
        endLine: t.startLine ?? 0,
        endCol: (t.startColumn ?? 0) + 2,
        endOffset: t.startOffset + 2,
      };
      diagnostics.push(
        error('unterminated-shell', 'unterminated shell body: no closing """ before the end of the file', opening),
      );
    } else if (t.tokenType === T.LCurly || t.tokenType === T.LBracket) {
      depth += 1;
      if (depth > MAX_NESTING) {
        diagnostics.push(error('syntax-error', `nesting deeper than ${MAX_NESTING} levels`, tokenLoc(ctx, t)));
        return { kind: 'File', file, text, decls: [] };
      }
    } else if ((t.tokenType === T.RCurly || t.tokenType === T.RBracket) && depth > 0) {
      depth -= 1;
    }
  }

  setMessageTokens(lexed.tokens);
  parser.input = lexed.tokens;
  // Recovery makes chevrotain build an Error per syntax error; capturing their stacks (never read) would
  // take most of the time of parsing a broken file.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let cst;
  try {
    cst = parser.file();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  const seen = new Set();
  for (const e of parser.errors) {
    const t = e.token;
    const atEnd = !t || t.tokenType === EOF || !Number.isFinite(t.startOffset);
    // after an unterminated shell body the rest of the file is inside it; "missing '}'" would be noise
    if (atEnd && unterminatedShell) continue;
    const loc = atEnd ? spanLoc(text.length, text.length) : tokenLoc(ctx, t);
    const key = `${loc.offset}\0${e.message}`;
    if (seen.has(key)) continue; // recovery may report the same error twice
    seen.add(key);
    diagnostics.push(error('syntax-error', e.message, loc));
  }

  return buildFile(ctx, cst, text);
}
