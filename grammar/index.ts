// parse(file, text) → { ast, diagnostics }: the whole front end; every problem is a diagnostic, nothing throws.
import type { IToken } from 'chevrotain';
import { EOF } from './chevrotain.js';
import * as T from './tokens.js';
import { parser } from './parser.js';
import type { FileCst } from './cst.js';
import { buildFile } from './ast.js';
import { spans, tokenLoc } from './loc.js';
import { recover, type Span } from './recovery.js';
import { setMessageTokens, syntaxDiagnostic, type Ctx } from './messages.js';
import type { FileNode, SyntaxDiagnostic } from './syntax.js';

export type { Span } from './recovery.js';

// Brackets nest the parser's recursion; deeper input is refused before it can exhaust the stack.
export const MAX_NESTING = 100;

export interface ParseResult {
  readonly ast: FileNode;
  /** Sorted by position, then message; consequences of an earlier error dropped (grammar/recovery.ts). */
  readonly diagnostics: readonly SyntaxDiagnostic[];
  /** Spans of the file whose parse followed a syntax error: what they declare is incomplete or wrong. */
  readonly damaged: readonly Span[];
}

/**
 * Parses one recipe file. `file` is the display path, copied into every Loc; `text` is the file's contents.
 * A non-string argument (from untyped callers) is converted, and a failure in the front end itself is an
 * internal-error diagnostic, so this never throws.
 */
export function parse(file: string, text: string): ParseResult {
  const diagnostics: SyntaxDiagnostic[] = [];
  const desync = new Set<SyntaxDiagnostic>();
  const lexical = new Set<SyntaxDiagnostic>();
  let name = '';
  let source = '';
  try {
    name = typeof file === 'string' ? file : String(file ?? '');
    source = typeof text === 'string' ? text : String(text ?? '');
    const { ast, tokens } = run(name, source, diagnostics, desync, lexical);
    // sort for determinism: by position, then message (diagnostics come from several passes)
    diagnostics.sort(
      (a, b) =>
        (a.loc?.offset ?? Infinity) - (b.loc?.offset ?? Infinity) ||
        (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
    );
    const recovered = recover(name, source, tokens, diagnostics, { desync, lexical });
    return { ast, diagnostics: recovered.diagnostics, damaged: recovered.damaged };
  } catch (e) {
    // A bug in the front end, not in the input: reported as a value so the caller still gets a result.
    const reason = e instanceof Error ? e.message : String(e);
    diagnostics.push(syntaxDiagnostic('internal-error', null, { reason }));
    return {
      ast: { kind: 'File', file: name, text: source, decls: [] },
      diagnostics,
      damaged: [{ from: 0, to: Infinity }],
    };
  } finally {
    setMessageTokens([]); // drop the references to this file's tokens
  }
}

/**
 * Parses into `diagnostics`; the ones after which the parser had to guess (recovery) also go into `desync`,
 * stray characters outside printable ASCII that no token matches (which the parser never sees) into `lexical`.
 */
function run(
  file: string,
  text: string,
  diagnostics: SyntaxDiagnostic[],
  desync: Set<SyntaxDiagnostic>,
  lexical: Set<SyntaxDiagnostic>,
): { ast: FileNode; tokens: IToken[] } {
  const ctx: Ctx = { file, diagnostics };
  const spanLoc = spans(file, text);
  const lexed = T.lexer.tokenize(text);

  for (const e of lexed.errors) {
    const bad = text.slice(e.offset, e.offset + e.length);
    const loc = spanLoc(e.offset, e.offset + e.length - 1);
    const d = syntaxDiagnostic('syntax-error', loc, { kind: 'unexpected-text', text: bad });
    diagnostics.push(d);
    // A pasted character outside printable ASCII (an invisible one, a curly quote) is a slip of its own; ASCII
    // the lexer cannot read is usually text that is no recipe code (a shell line outside its body).
    if (/[^\x20-\x7e]/.test(bad)) lexical.add(d);
  }

  let unterminatedShell = false;
  let depth = 0;
  for (const t of lexed.tokens) {
    if (t.tokenType === T.UnterminatedString) {
      const at = tokenLoc(file, t);
      const eol = (t.endOffset ?? t.startOffset) + 1; // just past the string's last character
      const end = spanLoc(eol, eol);
      const d = {
        ...syntaxDiagnostic('unterminated-string', at, null),
        notes: [{ message: 'the line ends here', loc: end }],
      };
      diagnostics.push(d);
      desync.add(d); // the rest of its line, closing delimiters included, is inside it
    } else if (t.tokenType === T.UnterminatedShell) {
      unterminatedShell = true;
      const opening = {
        ...tokenLoc(file, t),
        endLine: t.startLine ?? 0,
        endCol: (t.startColumn ?? 0) + 2,
        endOffset: t.startOffset + 2,
      };
      const d = {
        ...syntaxDiagnostic('unterminated-shell', opening, null),
        notes: [{ message: 'the file ends here', loc: spanLoc(text.length, text.length) }],
      };
      diagnostics.push(d);
      desync.add(d); // the rest of the file is inside the body
    } else if (t.tokenType === T.LCurly || t.tokenType === T.LBracket) {
      depth += 1;
      if (depth > MAX_NESTING) {
        diagnostics.push(syntaxDiagnostic('syntax-error', tokenLoc(file, t), { kind: 'too-deep', max: MAX_NESTING }));
        return { ast: { kind: 'File', file, text, decls: [] }, tokens: [] };
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
  let cst: FileCst | undefined;
  try {
    // chevrotain types every rule's result as a plain CstNode; cst.ts describes what the `file` rule builds
    // (undefined when recovery gives up on the first rule, which chevrotain's type does not say).
    cst = parser.file() as FileCst | undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  const seen = new Set<string>();
  for (const e of parser.errors) {
    const t = e.token;
    const atEnd = !t || t.tokenType === EOF || !Number.isFinite(t.startOffset);
    // after an unterminated shell body the rest of the file is inside it; "missing '}'" would be noise
    if (atEnd && unterminatedShell) continue;
    const loc = atEnd ? spanLoc(text.length, text.length) : tokenLoc(file, t);
    const key = `${loc.offset}\0${e.message}`;
    if (seen.has(key)) continue; // recovery may report the same error twice
    seen.add(key);
    const d = syntaxDiagnostic('syntax-error', loc, { kind: 'parse', message: e.message });
    diagnostics.push(d);
    desync.add(d);
  }

  return { ast: buildFile(ctx, cst, text), tokens: lexed.tokens };
}
