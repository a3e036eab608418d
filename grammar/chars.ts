// Characters a terminal does not show: control characters, zero-width and bidirectional formatting characters,
// spaces other than the ASCII one. Messages name them ("U+200B ZERO WIDTH SPACE") instead of printing them, and
// code frames show them as `<U+200B>`, so no message ever holds a character the reader cannot see.

/** The byte order mark; accepted (and dropped) at the very start of a recipe file only. */
export const BOM = '\uFEFF';

const C0 = [
  'NULL',
  'START OF HEADING',
  'START OF TEXT',
  'END OF TEXT',
  'END OF TRANSMISSION',
  'ENQUIRY',
  'ACKNOWLEDGE',
  'BELL',
  'BACKSPACE',
  'CHARACTER TABULATION',
  'LINE FEED',
  'LINE TABULATION',
  'FORM FEED',
  'CARRIAGE RETURN',
  'SHIFT OUT',
  'SHIFT IN',
  'DATA LINK ESCAPE',
  'DEVICE CONTROL ONE',
  'DEVICE CONTROL TWO',
  'DEVICE CONTROL THREE',
  'DEVICE CONTROL FOUR',
  'NEGATIVE ACKNOWLEDGE',
  'SYNCHRONOUS IDLE',
  'END OF TRANSMISSION BLOCK',
  'CANCEL',
  'END OF MEDIUM',
  'SUBSTITUTE',
  'ESCAPE',
  'INFORMATION SEPARATOR FOUR',
  'INFORMATION SEPARATOR THREE',
  'INFORMATION SEPARATOR TWO',
  'INFORMATION SEPARATOR ONE',
];

/** Unicode names of the invisible characters beyond C0 that text pasted from the web or a word processor brings. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0x7f, 'DELETE'],
  [0x85, 'NEXT LINE'],
  [0xa0, 'NO-BREAK SPACE'],
  [0xad, 'SOFT HYPHEN'],
  [0x34f, 'COMBINING GRAPHEME JOINER'],
  [0x61c, 'ARABIC LETTER MARK'],
  [0x115f, 'HANGUL CHOSEONG FILLER'],
  [0x1160, 'HANGUL JUNGSEONG FILLER'],
  [0x1680, 'OGHAM SPACE MARK'],
  [0x17b4, 'KHMER VOWEL INHERENT AQ'],
  [0x17b5, 'KHMER VOWEL INHERENT AA'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x2000, 'EN QUAD'],
  [0x2001, 'EM QUAD'],
  [0x2002, 'EN SPACE'],
  [0x2003, 'EM SPACE'],
  [0x2004, 'THREE-PER-EM SPACE'],
  [0x2005, 'FOUR-PER-EM SPACE'],
  [0x2006, 'SIX-PER-EM SPACE'],
  [0x2007, 'FIGURE SPACE'],
  [0x2008, 'PUNCTUATION SPACE'],
  [0x2009, 'THIN SPACE'],
  [0x200a, 'HAIR SPACE'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x2028, 'LINE SEPARATOR'],
  [0x2029, 'PARAGRAPH SEPARATOR'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x202f, 'NARROW NO-BREAK SPACE'],
  [0x205f, 'MEDIUM MATHEMATICAL SPACE'],
  [0x2060, 'WORD JOINER'],
  [0x2061, 'FUNCTION APPLICATION'],
  [0x2062, 'INVISIBLE TIMES'],
  [0x2063, 'INVISIBLE SEPARATOR'],
  [0x2064, 'INVISIBLE PLUS'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0x206a, 'INHIBIT SYMMETRIC SWAPPING'],
  [0x206b, 'ACTIVATE SYMMETRIC SWAPPING'],
  [0x206c, 'INHIBIT ARABIC FORM SHAPING'],
  [0x206d, 'ACTIVATE ARABIC FORM SHAPING'],
  [0x206e, 'NATIONAL DIGIT SHAPES'],
  [0x206f, 'NOMINAL DIGIT SHAPES'],
  [0x3000, 'IDEOGRAPHIC SPACE'],
  [0x3164, 'HANGUL FILLER'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE (byte order mark)'],
  [0xffa0, 'HALFWIDTH HANGUL FILLER'],
  [0xfff9, 'INTERLINEAR ANNOTATION ANCHOR'],
  [0xfffa, 'INTERLINEAR ANNOTATION SEPARATOR'],
  [0xfffb, 'INTERLINEAR ANNOTATION TERMINATOR'],
]);

/** The Unicode name of an invisible code point, or null for one a terminal shows. */
function invisibleName(cp: number): string | null {
  if (cp < 0x20) return C0[cp];
  if (cp >= 0x80 && cp < 0xa0) return cp === 0x85 ? 'NEXT LINE' : 'C1 CONTROL';
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `VARIATION SELECTOR-${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `VARIATION SELECTOR-${cp - 0xe0100 + 17}`;
  if (cp === 0xe0001) return 'LANGUAGE TAG';
  if (cp >= 0xe0020 && cp <= 0xe007f) return 'TAG CHARACTER';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'LONE SURROGATE';
  return NAMES.get(cp) ?? null;
}

/** `U+200B`: a code point as Unicode writes it. */
export function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Whether the character (one code point) is one a terminal does not show, or shows as blank space. */
export function isInvisible(ch: string): boolean {
  return invisibleName(ch.codePointAt(0) ?? 0) !== null;
}

/**
 * How a message names one character: `U+200B ZERO WIDTH SPACE` for an invisible one, else the character in the
 * given quotes. U+FFFD is named too: it stands where the file was not valid UTF-8.
 */
export function nameChar(ch: string, quote: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const name = invisibleName(cp);
  if (name !== null) return `${codePoint(ch)} ${name}`;
  if (cp === 0xfffd) return `${codePoint(ch)} REPLACEMENT CHARACTER (the file is not valid UTF-8 there)`;
  return `${quote}${ch}${quote}`;
}

/** `s` with every invisible character written as `<U+200B>` (tabs, newlines and spaces stay as they are). */
export function visible(s: string): string {
  let out = '';
  for (const ch of s) out += ch !== '\t' && ch !== '\n' && isInvisible(ch) ? `<${codePoint(ch)}>` : ch;
  return out;
}

/** Whether `s` holds a character `visible` would rewrite. */
export function hasInvisible(s: string): boolean {
  for (const ch of s) if (ch !== '\t' && ch !== '\n' && isInvisible(ch)) return true;
  return false;
}
