// Readable parse-error messages ("expected '}' to close package 'musl', found 'configure'"); never throws.
import { EOF, tokenMatcher } from './chevrotain.js';
import * as T from './tokens.js';

/** @typedef {import('chevrotain').IToken} IToken */
/** @typedef {import('chevrotain').TokenType} TokenType */

// The token vector of the parse in progress, so a message can name the `{` an error fails to close.
// The parser is synchronous and single-instance; parse() sets this before each run.
/** @type {{ tokens: IToken[], parents: Int32Array | null }} */
const current = { tokens: [], parents: null };

/** @param {IToken[]} tokens */
export function setMessageTokens(tokens) {
  current.tokens = tokens;
  current.parents = null;
}

/** @param {string} s @param {number} max */
function clip(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** How a found token reads in a message. @param {IToken | undefined} tok @returns {string} */
export function describeToken(tok) {
  if (!tok || tok.tokenType === EOF) return 'end of file';
  if (tokenMatcher(tok, T.Shell)) return 'a shell body';
  if (tokenMatcher(tok, T.StringLit)) return `string ${clip(tok.image.split('\n')[0], 30)}`;
  return `'${clip(tok.image, 30)}'`;
}

/** How an expected token type reads in a message. @param {TokenType} type @returns {string} */
function describeType(type) {
  if (type === EOF) return 'end of file';
  return type.LABEL ?? type.name;
}

/** @param {string[]} words @returns {string} "a", "a or b", "a, b or c" */
function oneOf(words) {
  const unique = [...new Set(words)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

/** Index of a token in the current vector (the vector's length for EOF or an unknown token). @param {IToken} tok */
function indexOf(tok) {
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
function parents() {
  if (current.parents) return current.parents;
  const { tokens } = current;
  const out = new Int32Array(tokens.length + 1);
  /** @type {number[]} */
  const stack = [];
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

/** The innermost open bracket of `type` before token index i, or -1. @param {number} i @param {TokenType} type */
function enclosing(i, type) {
  const p = parents();
  const { tokens } = current;
  let j = p[i];
  while (j >= 0 && tokens[j].tokenType !== type) j = p[j];
  return j;
}

/** @param {number} i @param {TokenType} type */
function isAt(i, type) {
  const tok = current.tokens[i];
  return tok !== undefined && tok.tokenType === type;
}

/** What the `{` at index j opens: "package 'musl'", "block 'source'", …. @param {number} j @returns {string} */
function describeCurly(j) {
  const { tokens } = current;
  const name = (/** @type {number} */ i) => `'${clip(tokens[i].image, 40)}'`;
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
 * recovery has skipped input). @param {IToken | undefined} tok
 */
function after(tok) {
  const i = tok ? indexOf(tok) : -1;
  return i > 0 ? ` after ${describeToken(current.tokens[i - 1])}` : '';
}

/** What may follow in `step NAME [after X] [on|in WHERE] """…"""` where `tok` was found. @param {IToken} tok */
function stepWants(tok) {
  const i = indexOf(tok);
  if (isAt(i - 2, T.Step)) return "'after', 'on', 'in' or a shell body";
  if (current.tokens[i - 2]?.image === 'after') return "'on', 'in' or a shell body";
  return describeType(T.Shell);
}

/** @type {import('chevrotain').IParserErrorMessageProvider} */
export const messageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
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
    const wanted =
      customUserDescription ?? oneOf(expectedPathsPerAlt.flatMap((paths) => paths.map((p) => describeType(p[0]))));
    return `expected ${wanted}${after(actual[0])}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const wanted = customUserDescription ?? oneOf(expectedIterationPaths.map((p) => describeType(p[0])));
    return `expected at least one ${wanted}, found ${describeToken(actual[0])}`;
  },
};
