// The one quoting module of the code generator: every value written into shell or make text goes through here and stays literal.
import type { GValue } from '../graph.js';
import { bug } from '../util.js';

/** A shell variable name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Inside double quotes these keep a special meaning; a literal without them can share the quotes of a reference. */
const DQ_SPECIAL = /[$`"\\\n!]/;

/** Characters written as a backslash escape outside quotes, so no quoted text holds `$`, a backtick or `\\`. */
const ESCAPED = /([$`\\'])/;

/**
 * Quotes one string as a single POSIX sh word whose value is exactly `value`, in single-quote style:
 * `'text'`, with `'`, `$`, backticks and backslashes written outside the quotes as `\'`, `\$`, … so that
 * shellcheck sees no expansion inside single quotes (SC2016, SC1003) and no command name as a bare word (SC2209).
 * A leading `~` is written `\~` for the same reason: quoted, shellcheck takes it for a tilde meant to expand (SC2088).
 * Throws (a serpentc bug) on what no checked graph holds: a non-string, a NUL byte.
 */
export function shQuote(value: string): string {
  if (typeof value !== 'string') throw bug(`shQuote of a ${typeof value}`);
  if (value.includes('\0')) throw bug('a NUL byte cannot be passed to a shell');
  if (value === '') return "''";
  if (value.startsWith('~')) return value === '~' ? '\\~' : `\\~${shQuote(value.slice(1))}`;
  // most values need no escape: one new string instead of the arrays of the general case (this runs for every
  // variable of every package script)
  if (!ESCAPED.test(value)) return `'${value}'`;
  return value
    .split(ESCAPED)
    .filter((chunk) => chunk !== '')
    .map((chunk) => (ESCAPED.test(chunk) && chunk.length === 1 ? `\\${chunk}` : `'${chunk}'`))
    .join('');
}

/** Checks a shell variable name used in generated code (`${name}`, `name=…`, `export name`). */
export function shName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw bug(`not a shell variable name: ${JSON.stringify(name)}`);
  return name;
}

type Part = { lit: string } | { ref: string };

/**
 * Renders a graph value (literal text and runtime references) as one shell word.
 * When no literal needs it, the whole word shares one pair of double quotes (`"${workdir}/src"`);
 * otherwise it is a concatenation of single-quoted literals and `"${ref}"`.
 */
export function shValue(parts: GValue): string {
  const merged: Part[] = [];
  for (const part of parts) {
    if ('ref' in part) {
      shName(part.ref);
      merged.push({ ref: part.ref });
    } else if (typeof part.lit === 'string') {
      if (part.lit === '') continue;
      const last = merged.at(-1);
      if (last && 'lit' in last) merged[merged.length - 1] = { lit: last.lit + part.lit };
      else merged.push({ lit: part.lit });
    } else {
      throw bug(`malformed value part ${JSON.stringify(part)}`);
    }
  }
  if (merged.length === 0) return "''";
  const only = merged[0];
  if (merged.length === 1 && 'lit' in only) return shQuote(only.lit);
  // a word starting with a quoted `~` reads as a tilde meant to expand (SC2088): shQuote writes it `\~`
  const tilde = 'lit' in only && only.lit.startsWith('~');
  const plain = !tilde && merged.every((p) => 'ref' in p || (!DQ_SPECIAL.test(p.lit) && !p.lit.includes('\0')));
  if (plain) {
    return `"${merged.map((p) => ('ref' in p ? `\${${p.ref}}` : p.lit)).join('')}"`;
  }
  return merged.map((p) => ('ref' in p ? `"\${${p.ref}}"` : shQuote(p.lit))).join('');
}

/** Characters allowed in a make target or prerequisite we generate (names are identifiers of the language). */
const MAKE_SAFE = /^[A-Za-z0-9_+.,/@-]+$/;

/** Checks a path segment or target name written into make syntax, where quoting does not exist. */
export function makeWord(word: string): string {
  if (typeof word !== 'string' || !MAKE_SAFE.test(word))
    throw bug(`cannot write ${JSON.stringify(word)} into a Makefile`);
  return word;
}

/** The characters commentText() shows as `\xNN`: tested for once, then replaced everywhere. */
// eslint-disable-next-line no-control-regex
const COMMENT_UNSAFE = /[\x00-\x1f\x7f\\]/;
const COMMENT_UNSAFE_ALL = new RegExp(COMMENT_UNSAFE.source, 'g');

/**
 * Makes arbitrary text safe for one line of a `#` comment in sh or make: control characters and backslashes
 * (a trailing one would continue a make comment onto the next line) are shown as `\xNN`.
 */
export function commentText(text: string): string {
  // (tested first: most texts have nothing to show, and a test is half the cost of a replace that changes nothing)
  if (!COMMENT_UNSAFE.test(text)) return text;
  return text.replace(COMMENT_UNSAFE_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
