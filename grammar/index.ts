// parse(file, text) → { ast, diagnostics }: the whole front end; every problem is a diagnostic, nothing throws.
import { EOF } from './chevrotain.js';
import * as T from './tokens.js';
import { parser } from './parser.js';
import type { FileCst } from './cst.js';
import { buildFile } from './ast.js';
import { spans, tokenLoc } from './loc.js';
import { setMessageTokens, syntaxDiagnostic, type Ctx } from './messages.js';
import type { FileNode, SyntaxDiagnostic } from './syntax.js';

// Brackets nest the parser's recursion; deeper input is refused before it can exhaust the stack.
export const MAX_NESTING = 100;

export interface ParseResult {
  readonly ast: FileNode;
  /** Sorted by position, then message. */
  readonly diagnostics: readonly SyntaxDiagnostic[];
}

/**
 * Parses one recipe file. `file` is the display path, copied into every Loc; `text` is the file's contents.
 * A non-string argument (from untyped callers) is converted, and a failure in the front end itself is an
 * internal-error diagnostic, so this never throws.
 */
export function parse(file: string, text: string): ParseResult {
  const diagnostics: SyntaxDiagnostic[] = [];
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
    const reason = e instanceof Error ? e.message : String(e);
    diagnostics.push(syntaxDiagnostic('internal-error', null, { reason }));
    return { ast: { kind: 'File', file: name, text: source, decls: [] }, diagnostics };
  } finally {
    setMessageTokens([]); // drop the references to this file's tokens
  }
}

function run(file: string, text: string, diagnostics: SyntaxDiagnostic[]): FileNode {
  const ctx: Ctx = { file, diagnostics };
  const spanLoc = spans(file, text);
  const lexed = T.lexer.tokenize(text);

  for (const e of lexed.errors) {
    const bad = text.slice(e.offset, e.offset + e.length);
    const loc = spanLoc(e.offset, e.offset + e.length - 1);
    diagnostics.push(syntaxDiagnostic('syntax-error', loc, { kind: 'unexpected-text', text: bad }));
  }

  let unterminatedShell = false;
  let depth = 0;
  for (const t of lexed.tokens) {
    if (t.tokenType === T.UnterminatedString) {
      diagnostics.push(syntaxDiagnostic('unterminated-string', tokenLoc(file, t), null));
    } else if (t.tokenType === T.UnterminatedShell) {
      unterminatedShell = true;
      const opening = {
        ...tokenLoc(file, t),
        endLine: t.startLine ?? 0,
        endCol: (t.startColumn ?? 0) + 2,
        endOffset: t.startOffset + 2,
      };
      diagnostics.push(syntaxDiagnostic('unterminated-shell', opening, null));
    } else if (t.tokenType === T.LCurly || t.tokenType === T.LBracket) {
      depth += 1;
      if (depth > MAX_NESTING) {
        diagnostics.push(syntaxDiagnostic('syntax-error', tokenLoc(file, t), { kind: 'too-deep', max: MAX_NESTING }));
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
    diagnostics.push(syntaxDiagnostic('syntax-error', loc, { kind: 'parse', message: e.message }));
  }

  return buildFile(ctx, cst, text);
}
