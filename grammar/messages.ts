// Every message the front end writes: syntax diagnostics from a code and data, and parse-error messages; never throws.
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { EOF, tokenMatcher } from './chevrotain.js';
import * as T from './tokens.js';
import { codePoint, isInvisible, nameChar, visible } from './chars.js';
import { clip } from './text.js';
import type { Loc, SyntaxCode, SyntaxDiagnostic } from './syntax.js';

// ---------------------------------------------------------------------------------------------------------
// Syntax diagnostics: a call site passes a code and data; the sentence is built here.
// ---------------------------------------------------------------------------------------------------------

/** The kinds of syntax-error besides chevrotain's own parse errors. */
export type SyntaxErrorData =
  /** A parse error; its message comes from `messageProvider` below. */
  | { readonly kind: 'parse'; readonly message: string }
  /** Text no token matches. */
  | { readonly kind: 'unexpected-text'; readonly text: string }
  | { readonly kind: 'too-deep'; readonly max: number }
  | { readonly kind: 'integer-too-large'; readonly image: string }
  /** Two neighbouring elements with no comma between them (the grammar lets that parse). */
  | { readonly kind: 'missing-comma'; readonly between: 'list items' | 'arguments' | 'parameters' }
  /** `key value` with neither `=` nor a block after the value. */
  | { readonly kind: 'missing-equals'; readonly key: string }
  /** `step NAME WORD X`: WORD is not `after`. */
  | { readonly kind: 'not-after'; readonly found: string }
  /** A delimiter never closed (found by indentation, grammar/recovery.ts). */
  | { readonly kind: 'unclosed'; readonly open: string; readonly close: string }
  /** A closing delimiter with nothing open to close. */
  | { readonly kind: 'unmatched'; readonly close: string }
  /** A `"""` alone on its line (where bodies end) that opens a body: one too many. */
  | { readonly kind: 'extra-shell-quote'; readonly previousLine: number | null }
  /** A multi-line body that ends at a `"""` with text before it on its line. */
  | { readonly kind: 'shell-runs-on'; readonly line: number }
  /** A keyword where a name stands; `names`: what the name would name ("a package", "a field"), if known. */
  | { readonly kind: 'keyword-name'; readonly keyword: string; readonly names: string | null };

/** The data each code's message is built from (null: the message is fixed). */
export interface SyntaxData {
  'syntax-error': SyntaxErrorData;
  'unterminated-string': null;
  'unterminated-shell': null;
  /** `name` is what stands between `${` and `}`; null when there is no `}`; `bare`: `$name` without braces. */
  'bad-interpolation': { readonly name: string | null; readonly bare?: true };
  /** The character after the backslash. */
  'bad-escape': { readonly char: string };
  /** Where the NUL byte stands. */
  'nul-byte': { readonly in: 'string' | 'shell body' };
  'placement-preposition': { readonly write: 'on host' | 'in chroot' };
  'internal-error': { readonly reason: string };
}

interface Entry<C extends SyntaxCode> {
  readonly severity: 'error' | 'warning';
  readonly message: (data: SyntaxData[C]) => string;
}

/** Quotation marks word processors substitute for the plain ones, and the one to write instead. */
const SMART_QUOTES: ReadonlyMap<string, string> = new Map([
  ['\u201c', '"'],
  ['\u201d', '"'],
  ['\u201e', '"'],
  ['\u2033', '"'],
  ['\u2018', "'"],
  ['\u2019', "'"],
]);

/** Text no token matches: an invisible character by its Unicode name, with what to do about it. */
function unexpectedText(text: string): string {
  const chars = Array.from(text);
  if (chars.length > 1) return `unexpected characters '${visible(clip(text, 30))}'`;
  const ch = chars[0] ?? '';
  const quote = SMART_QUOTES.get(ch);
  if (quote !== undefined)
    return `unexpected character ${nameChar(ch, "'")} (${codePoint(ch)}): write a plain ${quote}`;
  if (!isInvisible(ch)) return `unexpected character ${nameChar(ch, "'")}`;
  // a space-like character (no-break space, em space, …) is most likely meant as a space
  const spaceLike = /SPACE|QUAD/.test(nameChar(ch, '')) && !/ZERO WIDTH/.test(nameChar(ch, ''));
  return `unexpected character ${nameChar(ch, "'")}: ${spaceLike ? 'write a plain space instead' : 'it is invisible; delete it'}`;
}

function syntaxError(d: SyntaxErrorData): string {
  switch (d.kind) {
    case 'parse':
      return d.message;
    case 'unexpected-text':
      return unexpectedText(d.text);
    case 'too-deep':
      return `nesting deeper than ${d.max} levels`;
    case 'integer-too-large':
      return `integer ${d.image.slice(0, 30)} is too large`;
    case 'missing-comma':
      return `expected ',' between ${d.between}`;
    case 'missing-equals':
      return `expected '=' between '${clip(d.key, 40)}' and its value (or '{' after it to open a block)`;
    case 'not-after':
      return `expected 'after', found '${clip(d.found, 30)}'`;
    case 'unclosed':
      return `this '${d.open}' is never closed`;
    case 'unmatched':
      return `unexpected '${d.close}': no ${d.close === '}' ? 'block' : d.close === ']' ? 'list' : 'argument list'} is open here`;
    case 'extra-shell-quote':
      return `this '"""' stands alone on its line, where a shell body ends, but it opens one: it is one too many${d.previousLine === null ? '' : ` (the body above ended on line ${d.previousLine})`}`;
    case 'shell-runs-on':
      return `this '"""' ends the shell body opened on line ${d.line}, but bodies end on a line of their own: that body lacks its closing '"""', or this one is too many`;
    case 'keyword-name':
      if (d.names === 'a field') {
        return `\`${d.keyword}\` is a keyword and cannot name a field (no declaration has a field \`${d.keyword}\`)`;
      }
      if (d.names === 'a parameter type' || d.names === 'a placement') {
        const valid = d.names === 'a placement' ? ': write `on host` or `in chroot`' : '';
        return `\`${d.keyword}\` is a keyword, not ${d.names}${valid}`;
      }
      return `\`${d.keyword}\` is a keyword and cannot ${d.names === null ? 'be a name here' : `name ${d.names}`}; choose another name (a longer one such as \`${longer(d.keyword, d.names)}\` is fine)`;
  }
}

const CATALOGUE: { readonly [C in SyntaxCode]: Entry<C> } = {
  'syntax-error': { severity: 'error', message: syntaxError },
  'unterminated-string': {
    severity: 'error',
    message: () => 'unterminated string: a string must end with " on the same line',
  },
  'unterminated-shell': {
    severity: 'error',
    message: () => 'unterminated shell body: no closing """ before the end of the file',
  },
  'bad-interpolation': {
    severity: 'error',
    message: ({ name, bare }) =>
      bare
        ? `'$${name}' is not substituted in a recipe string: write '\${${name}}', or \\$ for a literal '$'`
        : name === null
          ? "unclosed '${' in string (write \\$ for a literal '$')"
          : `bad interpolation '\${${name}}': a name is [A-Za-z_][A-Za-z0-9_]* (write \\$ for a literal '$')`,
  },
  'bad-escape': {
    severity: 'error',
    message: ({ char }) => `unknown escape '\\${char}' (known: \\" \\\\ \\n \\t \\$)`,
  },
  'nul-byte': {
    severity: 'error',
    message: (d) => `a NUL byte in a ${d.in}: no shell variable or script can hold one (remove it)`,
  },
  'placement-preposition': { severity: 'warning', message: ({ write }) => `write '${write}'` },
  'internal-error': { severity: 'error', message: ({ reason }) => `internal error in the parser: ${reason}` },
};

/** The diagnostic for `code` at `loc`, its message built from `data`. */
export function syntaxDiagnostic<C extends SyntaxCode>(
  code: C,
  loc: Loc | null,
  data: SyntaxData[C],
): SyntaxDiagnostic {
  const entry = CATALOGUE[code];
  // source text in a message never shows as an invisible character
  return { severity: entry.severity, code, message: visible(entry.message(data)), loc, notes: [] };
}

/** What the CST → AST pass works in: the file's display path, and where its diagnostics go. */
export interface Ctx {
  readonly file: string;
  readonly diagnostics: SyntaxDiagnostic[];
}

export function report<C extends SyntaxCode>(ctx: Ctx, code: C, loc: Loc | null, data: SyntaxData[C]): void {
  ctx.diagnostics.push(syntaxDiagnostic(code, loc, data));
}

// ---------------------------------------------------------------------------------------------------------
// Parse-error messages for chevrotain's errorMessageProvider, readable and naming what an error fails to close:
// "expected '}' to close package 'musl', found 'configure'".
// ---------------------------------------------------------------------------------------------------------

// The token vector of the parse in progress, so a message can name the `{` an error fails to close.
// The parser is synchronous and single-instance; parse() sets this before each run.
const current: { tokens: readonly IToken[]; parents: Int32Array | null } = { tokens: [], parents: null };

export function setMessageTokens(tokens: readonly IToken[]): void {
  current.tokens = tokens;
  current.parents = null;
}

/** How a found token reads in a message. */
export function describeToken(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return 'end of file';
  if (tokenMatcher(tok, T.Shell)) return 'a shell body';
  if (tokenMatcher(tok, T.StringLit)) return `string ${clip(tok.image.split('\n')[0], 30)}`;
  return `'${clip(tok.image, 30)}'`;
}

/** How an expected token type reads in a message. */
function describeType(type: TokenType): string {
  if (type === EOF) return 'end of file';
  return type.LABEL ?? type.name;
}

/** "a", "a or b", "a, b or c" */
function oneOf(words: readonly string[]): string {
  const unique = [...new Set(words)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

/** Index of a token in the current vector (the vector's length for EOF or an unknown token). */
function indexOf(tok: IToken): number {
  const { tokens } = current;
  const offset = tok.startOffset;
  if (tok.tokenType === EOF || !Number.isFinite(offset)) return tokens.length;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const openers = [T.LCurly, T.LBracket, T.LParen];
const closers = [T.RCurly, T.RBracket, T.RParen];

// parents[i] = index of the innermost bracket still open before token i (-1: none); parents[opener]
// continues the chain outwards. Built once per parse, on the first message that needs it.
function parents(): Int32Array {
  if (current.parents) return current.parents;
  const { tokens } = current;
  const out = new Int32Array(tokens.length + 1);
  const stack: number[] = [];
  for (let i = 0; i <= tokens.length; i++) {
    out[i] = stack.length ? stack[stack.length - 1] : -1;
    if (i === tokens.length) break;
    const type = tokens[i].tokenType;
    if (openers.includes(type)) stack.push(i);
    const c = closers.indexOf(type);
    if (c >= 0) {
      // pop to the matching opener if there is one; a stray closer changes nothing
      const at = stack.map((j) => tokens[j].tokenType).lastIndexOf(openers[c]);
      if (at >= 0) stack.length = at;
    }
  }
  current.parents = out;
  return out;
}

/** The innermost open bracket of `type` before token index i, or -1. */
function enclosing(i: number, type: TokenType): number {
  const p = parents();
  const { tokens } = current;
  let j = p[i];
  while (j >= 0 && tokens[j].tokenType !== type) j = p[j];
  return j;
}

function isAt(i: number, type: TokenType): boolean {
  const tok: IToken | undefined = current.tokens[i];
  return tok !== undefined && tok.tokenType === type;
}

/** What the `{` at index j opens: "package 'musl'", "block 'source'", …. */
function describeCurly(j: number): string {
  const { tokens } = current;
  const name = (i: number): string => `'${clip(tokens[i].image, 40)}'`;
  if (isAt(j - 1, T.RParen)) {
    const open = enclosing(j - 1, T.LParen);
    if (open >= 2 && isAt(open - 1, T.Identifier) && isAt(open - 2, T.Template)) return `template ${name(open - 1)}`;
  }
  if (isAt(j - 1, T.Identifier) && isAt(j - 2, T.Target)) return `target ${name(j - 1)}`;
  if (isAt(j - 1, T.Identifier) && isAt(j - 2, T.Stage)) return `stage ${name(j - 1)}`;
  if (isAt(j - 3, T.Identifier) && isAt(j - 4, T.Package)) return `package ${name(j - 3)}`;
  if (isAt(j - 3, T.Identifier) && isAt(j - 4, T.Pass)) return `pass ${name(j - 3)}`;
  if (isAt(j - 1, T.Identifier) && !isAt(j - 2, T.Identifier)) return `block ${name(j - 1)}`;
  if (isAt(j - 2, T.Identifier)) return `block ${name(j - 2)}`;
  return 'the block';
}

const DECLARATION = 'a declaration (target, stage, template, package or pass)';
const NO_BLOCK = "unexpected '}': no block is open here";

/**
 * " after X" naming the token before `tok` in the source (chevrotain's `previous` is not that token after a
 * recovery has skipped input).
 */
function after(tok: IToken | undefined): string {
  let i = tok ? indexOf(tok) : -1;
  // the end of the text (an end-of-file token recovery placed there) is nothing to be after
  while (i > 0 && current.tokens[i - 1].tokenType === EOF) i--;
  return i > 0 ? ` after ${describeToken(current.tokens[i - 1])}` : '';
}

/** What may follow in `step NAME [after X] [on|in WHERE] """…"""` where `tok` was found. */
function stepWants(tok: IToken): string {
  const i = indexOf(tok);
  if (isAt(i - 2, T.Step)) return "'after', 'on', 'in' or a shell body";
  if (current.tokens[i - 2]?.image === 'after') return "'on', 'in' or a shell body";
  return describeType(T.Shell);
}

/** The keywords: a token of one of these types where a name was expected is a keyword used as a name. */
const KEYWORDS: readonly TokenType[] = [
  T.True,
  T.False,
  T.Target,
  T.Stage,
  T.Template,
  T.Package,
  T.Pass,
  T.In,
  T.Of,
  T.On,
  T.Use,
  T.Step,
  T.Layer,
  T.Amend,
  T.Replace,
];

/** What a name after the token at index i names: `package NAME`, `use NAME`, `(NAME: …`, …. */
function namedAfter(i: number): string | null {
  const prev = current.tokens[i - 1]?.tokenType;
  if (prev === T.Package || prev === T.Of) return 'a package';
  if (prev === T.Pass) return 'a pass';
  if (prev === T.Template || prev === T.Use) return 'a template';
  if (prev === T.In || prev === T.On) {
    // `package a in X` and `pass a-2 of a in X` name a stage; a step's `on X` / `in X` is its placement
    const decl = current.tokens[i - 3]?.tokenType;
    return prev === T.In && (decl === T.Package || decl === T.Of) ? 'a stage' : 'a placement';
  }
  if (prev === T.Stage) return 'a stage';
  if (prev === T.Target) return 'a target';
  if (prev === T.Layer) return 'a layer';
  if (prev === T.Step) return 'a step';
  if (prev === T.LParen || prev === T.Comma) return 'a parameter';
  if (prev === T.Colon) return 'a parameter type';
  if (current.tokens[i - 1]?.image === 'after') return 'a step'; // `step x after NAME`
  return null;
}

/**
 * A name to suggest instead of keyword `kw`, valid for what it names: stage and parameter names become shell
 * variable names (`<stage>_root`, the parameter itself), where `-` cannot stand; `_` can in every name.
 */
function longer(kw: string, names: string | null): string {
  const variable = ['a stage', 'a parameter', 'an environment variable', null].includes(names);
  return variable ? `my_${kw}` : `my-${kw}`;
}

/** What the names in a field's value name, for the fields whose values are names; the rest: null. */
const FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ['depends', 'a package'],
  ['after', 'a stage'],
  ['from', 'a stage'],
]);

/**
 * What a keyword standing as a value at token index i would name (`depends = [a, stage]`, `after = stage`): from
 * the field it is the value of, directly or as a list item. Null when the field is unknown or takes no names.
 */
function valueNames(i: number): string | null {
  const { tokens } = current;
  const assigns = (k: number): boolean => isAt(k, T.Equals) || isAt(k, T.PlusEquals);
  const j = isAt(i - 1, T.Equals) || isAt(i - 1, T.PlusEquals) ? i : enclosing(i, T.LBracket);
  return j > 1 && assigns(j - 1) ? (FIELD_NAMES.get(tokens[j - 2].image) ?? null) : null;
}

/**
 * The message for a keyword standing where a name must (`package stage in stage3`), or for an item that starts
 * with a keyword followed by `=` or `+=` (a field named `package` or `use`); null when `actual` is no keyword, or one
 * followed by a name (then it is most likely used as the keyword it is).
 */
function keywordAsName(expected: TokenType, actual: IToken): string | null {
  const i = indexOf(actual);
  // `use = …` or `step = …`: the keyword started an item, and the name it wants is missing
  const prev = current.tokens[i - 1];
  const assigns = actual.tokenType === T.Equals || actual.tokenType === T.PlusEquals;
  if (expected === T.Identifier && assigns && prev !== undefined && [T.Use, T.Step].includes(prev.tokenType)) {
    return syntaxError({ kind: 'keyword-name', keyword: prev.image, names: 'a field' });
  }
  if (!KEYWORDS.includes(actual.tokenType)) return null;
  const next = current.tokens[i + 1]?.tokenType;
  // a keyword followed by a name is a keyword used as one (`stage in stage2` after a recovery), not a name
  if (expected === T.Identifier && next !== T.Identifier) {
    return syntaxError({ kind: 'keyword-name', keyword: actual.image, names: namedAfter(i) });
  }
  if (expected === T.RParen && (next === T.Colon || next === T.Equals)) {
    return syntaxError({ kind: 'keyword-name', keyword: actual.image, names: 'a parameter' });
  }
  if (expected === T.RCurly && (next === T.Equals || next === T.PlusEquals)) {
    // in `env { … }` the keys are environment variables, elsewhere fields
    const j = enclosing(i, T.LCurly);
    const env = j > 0 && current.tokens[j - 1].image === 'env';
    return syntaxError({
      kind: 'keyword-name',
      keyword: actual.image,
      names: env ? 'an environment variable' : 'a field',
    });
  }
  // a list item (`depends = [a, stage]`): the list wanted its `]` or another value
  if (expected === T.RBracket) {
    return syntaxError({ kind: 'keyword-name', keyword: actual.image, names: valueNames(i) });
  }
  return null;
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const keyword = keywordAsName(expected, actual);
    if (keyword !== null) return keyword;
    const found = describeToken(actual);
    if (expected === EOF) {
      return actual.tokenType === T.RCurly ? NO_BLOCK : `expected ${DECLARATION}, found ${found}`;
    }
    if (expected === T.RCurly) {
      const j = enclosing(indexOf(actual), T.LCurly);
      return `expected '}' to close ${j >= 0 ? describeCurly(j) : 'the block'}, found ${found}`;
    }
    if (expected === T.RBracket) return `expected ']' to close the list, found ${found}`;
    if (expected === T.RParen) {
      const what = ruleName === 'useItem' ? 'arguments' : 'parameters';
      return `expected ')' to close the ${what}, found ${found}`;
    }
    const wanted = expected === T.Shell && ruleName === 'stepItem' ? stepWants(actual) : describeType(expected);
    return `expected ${wanted}${after(actual)}, found ${found}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    if (firstRedundant.tokenType === T.RCurly) return NO_BLOCK;
    return `expected ${DECLARATION}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    // a keyword as a field's value (`after = stage`); `true` and `false` are values, so never get here
    if (customUserDescription === 'a value' && KEYWORDS.includes(actual[0].tokenType)) {
      const names = valueNames(indexOf(actual[0]));
      return syntaxError({ kind: 'keyword-name', keyword: actual[0].image, names });
    }
    const wanted =
      customUserDescription ?? oneOf(expectedPathsPerAlt.flatMap((paths) => paths.map((p) => describeType(p[0]))));
    return `expected ${wanted}${after(actual[0])}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const wanted = customUserDescription ?? oneOf(expectedIterationPaths.map((p) => describeType(p[0])));
    return `expected at least one ${wanted}, found ${describeToken(actual[0])}`;
  },
};
