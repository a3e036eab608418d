// The recipe language's tokens, in lexer priority order, and the one lexer built from them (never throws on input).
import type { ITokenConfig, TokenType } from 'chevrotain';
import { createToken as chevrotainToken, Lexer } from './chevrotain.js';

/**
 * A token that states whether it can span lines: only `\n` ends one (see makeLexer), and only WhiteSpace and the
 * shell bodies contain it, so every other token says `false`. Why: a token that leaves it unsaid has its pattern
 * analysed by chevrotain at every start (~10 ms of a cold start); a test compares these statements with that
 * analysis (grammar-tokens).
 */
const createToken = (config: ITokenConfig): TokenType => chevrotainToken({ line_breaks: false, ...config });

// Identifiers first: keywords name it as their `longer_alt`, so `install` or `package-x` stay identifiers.
// A `+` directly followed by `=` is not part of an identifier, so `depends+=[x]` lexes as `depends` `+=`.
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_](?:[A-Za-z0-9_.-]|\+(?!=))*/,
  label: 'a name',
});

function keyword(word: string): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `'${word}'`,
  });
}

// Shell bodies and strings: the parser consumes the category tokens `Shell` and `StringLit`; the
// unterminated variants belong to those categories so parsing goes on, and parse() reports them.
export const Shell = createToken({
  name: 'Shell',
  pattern: /"""[\s\S]*?"""/, // up to the first closing `"""`; a body cannot contain `"""`
  line_breaks: true,
  label: 'a shell body ("""…""")',
});
export const UnterminatedShell = createToken({
  name: 'UnterminatedShell',
  pattern: /"""[\s\S]*/, // runs to the end of the file: there is no closing `"""` anywhere after it
  line_breaks: true,
  categories: [Shell],
  label: 'an unterminated shell body',
});
export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\n]|\\.)*"/,
  label: 'a string',
});
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n]|\\.)*\\?/, // up to the end of the line; a dangling `\` belongs to it too
  categories: [StringLit],
  label: 'an unterminated string',
});

/** The lexer group comments go to: out of the token stream the parser reads, kept for the formatter (comments.ts). */
export const COMMENTS = 'comments';
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: COMMENTS });
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Integer = createToken({ name: 'Integer', pattern: /[0-9]+/, label: 'an integer' });

export const True = keyword('true');
export const False = keyword('false');
export const Target = keyword('target');
export const Stage = keyword('stage');
export const Template = keyword('template');
export const Package = keyword('package');
export const Pass = keyword('pass');
export const In = keyword('in');
export const Of = keyword('of');
export const On = keyword('on');
export const Use = keyword('use');
export const Step = keyword('step');
export const Layer = keyword('layer');
export const Amend = keyword('amend');
export const Replace = keyword('replace');

export const LCurly = createToken({ name: 'LCurly', pattern: /{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const PlusEquals = createToken({ name: 'PlusEquals', pattern: /\+=/, label: "'+='" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });

/**
 * Every token, in the order the lexer tries them (the first match wins unless a longer_alt is longer).
 * Typed mutable only because chevrotain's Lexer and parser constructors take a `TokenType[]`; nothing changes it.
 */
export const allTokens: TokenType[] = [
  WhiteSpace, // skipped; newlines are not significant
  Comment, // `#` to the end of the line; in the COMMENTS group, which the parser never sees
  Shell, // `"""` … `"""`: before strings, or `"""` would lex as the empty string `""` and a stray `"`
  UnterminatedShell, // `"""` with no closing `"""`: reported as unterminated-shell
  StringLit, // one line, escapes \" \\ \n \t \$
  UnterminatedString, // a string cut by the end of the line: reported as unterminated-string
  Integer,
  // keywords before Identifier; each falls back to Identifier when a longer identifier matches
  True,
  False,
  Target,
  Stage,
  Template,
  Package,
  Pass,
  In,
  Of,
  On,
  Use,
  Step,
  Layer,
  Amend,
  Replace,
  Identifier,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  LParen,
  RParen,
  PlusEquals, // before Equals for readability; `+` alone is no token
  Equals,
  Comma,
  Colon,
];

/**
 * A lexer over allTokens. Only `\n` ends a line, so a CRLF file counts lines like an LF file and `\r` is plain
 * whitespace. `validate` runs chevrotain's checks of the token definitions, which throw on a bad one: they can
 * only fail when this file changes, so a test runs them (grammar-tokens) and the lexer every start uses skips
 * them (~15 ms of the ~0.5 s generation budget).
 */
export function makeLexer(validate: boolean): InstanceType<typeof Lexer> {
  return new Lexer(allTokens, {
    positionTracking: 'full',
    ensureOptimizations: true,
    lineTerminatorsPattern: /\n/g,
    lineTerminatorCharacters: ['\n'],
    skipValidations: !validate,
  });
}

export const lexer = makeLexer(false);
