// Literal tokens → values: string escapes and `${name}` parts, dedented shell bodies, integers; problems reported.
import type { IToken } from 'chevrotain';
import * as T from './tokens.js';
import { subLoc, tokenLoc } from './loc.js';
import { report, type Ctx } from './messages.js';
import type { IntLit, ShellLit, StringLit, StrPart } from './syntax.js';

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', $: '$' };
const REF_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Decodes a string token: escapes, and `${name}` split out into ref parts. Problems become diagnostics
 * (bad-escape, bad-interpolation) and the offending text is kept literally.
 */
export function stringLit(ctx: Ctx, t: IToken): StringLit {
  const raw = t.image;
  const nul = reportNul(ctx, t, 'string');
  const end = t.tokenType === T.StringLit ? raw.length - 1 : raw.length; // an unterminated string has no closing quote
  if (raw.indexOf('\\') < 0 && raw.indexOf('$') < 0) {
    const text = nul ? raw.slice(1, end).replaceAll('\0', '') : raw.slice(1, end); // nothing to decode: the common case
    return { kind: 'String', value: text, parts: text ? [{ lit: text }] : [], loc: tokenLoc(ctx.file, t) };
  }
  let value = '';
  let lit = '';
  const parts: StrPart[] = [];
  let i = 1;
  while (i < end) {
    const c = raw[i];
    if (c === '\\' && i + 1 < end) {
      const e: string | undefined = ESCAPES[raw[i + 1]];
      if (e === undefined) {
        report(ctx, 'bad-escape', subLoc(ctx.file, t, i, i + 1), { char: raw[i + 1] });
        lit += raw.slice(i, i + 2);
        value += raw.slice(i, i + 2);
      } else {
        lit += e;
        value += e;
      }
      i += 2;
    } else if (c === '$' && raw[i + 1] === '{') {
      const close = raw.indexOf('}', i + 2);
      const name = close >= 0 && close < end ? raw.slice(i + 2, close) : null;
      if (name !== null && REF_NAME.test(name)) {
        if (lit) parts.push({ lit });
        lit = '';
        parts.push({ ref: name, loc: subLoc(ctx.file, t, i, close) });
        value += `\${${name}}`;
        i = close + 1;
      } else {
        report(ctx, 'bad-interpolation', subLoc(ctx.file, t, i, name === null ? end - 1 : close), { name });
        lit += c; // the rest of the malformed form stays literal text
        value += c;
        i += 1;
      }
    } else if (c === '$' && /[A-Za-z_]/.test(raw[i + 1] ?? '')) {
      // `$version` looks like a substitution and would stay literal text (a URL with `$version` in it)
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i + 1, end))?.[0] ?? '';
      report(ctx, 'bad-interpolation', subLoc(ctx.file, t, i, i + name.length), { name, bare: true });
      lit += c;
      value += c;
      i += 1;
    } else {
      if (c !== '\0') {
        lit += c;
        value += c;
      }
      i += 1;
    }
  }
  if (lit) parts.push({ lit });
  return { kind: 'String', value, parts, loc: tokenLoc(ctx.file, t) };
}

/**
 * Reports the first NUL byte of a string or shell body: nothing downstream can hold one (a shell variable, an
 * argument, a script). Callers drop NULs from the value, so it reports nothing else. Says whether there was one.
 */
function reportNul(ctx: Ctx, t: IToken, what: 'string' | 'shell body'): boolean {
  const image = t.image;
  const at = image.indexOf('\0');
  if (at < 0) return false;
  const before = image.lastIndexOf('\n', at);
  const line = (t.startLine ?? 0) + image.slice(0, at).split('\n').length - 1;
  const col = before < 0 ? (t.startColumn ?? 0) + at : at - before;
  const offset = t.startOffset + at;
  const loc = { file: ctx.file, line, col, endLine: line, endCol: col, offset, endOffset: offset };
  report(ctx, 'nul-byte', loc, { in: what });
  return true;
}

const BLANK = /^[ \t\r\f\v]*$/;

/**
 * A `"""` body: the blank first line and a whitespace-only last line are dropped and the common indentation
 * removed, so text line i, col c sits at file line firstLine + i, col c + indent. Content on the opening
 * line counts as indented by the columns before it (those columns become spaces if others are indented less).
 */
export function shellLit(ctx: Ctx, t: IToken): ShellLit {
  // a NUL is dropped (columns after it on its line shift by one; the body is an error anyway)
  const image = reportNul(ctx, t, 'shell body') ? t.image.replaceAll('\0', '') : t.image;
  const inner = image.slice(3, t.tokenType === T.Shell ? image.length - 3 : image.length);
  const lines = inner.split('\n');
  let firstLine = t.startLine ?? 0;
  let from = 0; // lines kept: [from, to)
  let to = lines.length;
  if (to > 1 && BLANK.test(lines[0])) {
    from = 1;
    firstLine += 1;
  } else if (lines[0] !== '') {
    // text right after the opening quotes: pad with the columns before it so every line maps alike
    lines[0] = ' '.repeat((t.startColumn ?? 1) + 2) + lines[0];
  }
  if (to > from && BLANK.test(lines[to - 1])) to -= 1;
  const loc = tokenLoc(ctx.file, t);
  if (from >= to) return { kind: 'Shell', text: '', loc, firstLine, indent: 0 };

  let prefix = ''; // the first non-blank line; its first `indent` characters are the common indentation
  let indent = -1;
  for (let i = from; i < to; i++) {
    let line = lines[i];
    if (line.endsWith('\r')) lines[i] = line = line.slice(0, -1); // CRLF files
    if (BLANK.test(line)) continue;
    let n = 0;
    while (line[n] === ' ' || line[n] === '\t') n++;
    if (indent < 0) {
      prefix = line;
      indent = n;
    } else {
      let k = 0;
      while (k < indent && k < n && line.charCodeAt(k) === prefix.charCodeAt(k)) k++;
      indent = k;
    }
  }
  if (indent < 0) return { kind: 'Shell', text: '', loc, firstLine, indent: 0 }; // only blank lines
  const common = prefix.slice(0, indent);
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const line = lines[i];
    // non-blank lines all start with the common indentation; a blank line without it becomes empty
    out.push(line.startsWith(common) ? line.slice(indent) : '');
  }
  return { kind: 'Shell', text: `${out.join('\n')}\n`, loc, firstLine, indent };
}

export function intLit(ctx: Ctx, t: IToken): IntLit {
  const value = Number(t.image);
  if (!Number.isSafeInteger(value)) {
    report(ctx, 'syntax-error', tokenLoc(ctx.file, t), { kind: 'integer-too-large', image: t.image });
  }
  return { kind: 'Int', value, loc: tokenLoc(ctx.file, t) };
}
