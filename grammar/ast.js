// CST → AST (compiler/model.js): every node gets a Loc; nodes broken by a syntax error are dropped, never half-built.
import { tokenMatcher } from './chevrotain.js';
import * as T from './tokens.js';

/** @typedef {import('chevrotain').IToken} IToken */
/** @typedef {import('chevrotain').CstNode} CstNode */
/** @typedef {import('../compiler/model.js').Loc} Loc */
/** @typedef {import('../compiler/model.js').Ident} Ident */
/** @typedef {import('../compiler/model.js').Value} Value */
/** @typedef {import('../compiler/model.js').StringLit} StringLit */
/** @typedef {import('../compiler/model.js').StrPart} StrPart */
/** @typedef {import('../compiler/model.js').ShellLit} ShellLit */
/** @typedef {import('../compiler/model.js').Item} Item */
/** @typedef {import('../compiler/model.js').Field} Field */
/** @typedef {import('../compiler/model.js').Param} Param */
/** @typedef {import('../compiler/model.js').Decl} Decl */
/** @typedef {import('../compiler/model.js').FileNode} FileNode */
/** @typedef {import('../compiler/model.js').Diagnostic} Diagnostic */
/** @typedef {{ file: string, diagnostics: Diagnostic[] }} Ctx */

// ---------------------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------------------

/**
 * A token the source really holds (recovery inserts virtual tokens with NaN positions).
 * @param {IToken | undefined} tok
 */
function real(tok) {
  return tok !== undefined && !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

/** @param {Ctx} ctx @param {IToken} tok @returns {Loc} */
export function tokenLoc(ctx, tok) {
  const image = tok.image;
  if (image.charCodeAt(image.length - 1) === 10) {
    // only an unterminated shell body can end with a newline; chevrotain's end column is one short there
    const last = image.length - 1;
    const nl = image.lastIndexOf('\n', last - 1);
    let lines = 0;
    for (let i = image.indexOf('\n'); i >= 0 && i < last; i = image.indexOf('\n', i + 1)) lines++;
    const line = tok.startLine ?? 0;
    const col = tok.startColumn ?? 0;
    return {
      file: ctx.file,
      line,
      col,
      endLine: line + lines,
      endCol: nl < 0 ? col + last : last - nl,
      offset: tok.startOffset,
      endOffset: tok.startOffset + last,
    };
  }
  return {
    file: ctx.file,
    line: tok.startLine ?? 0,
    col: tok.startColumn ?? 0,
    endLine: tok.endLine ?? 0,
    endCol: tok.endColumn ?? 0,
    offset: tok.startOffset,
    endOffset: tok.endOffset ?? tok.startOffset,
  };
}

/**
 * Characters [from, to] (inclusive, both on the token's first line) of a single-line token.
 * @param {Ctx} ctx @param {IToken} tok @param {number} from @param {number} to @returns {Loc}
 */
function subLoc(ctx, tok, from, to) {
  const line = tok.startLine ?? 0;
  const col = tok.startColumn ?? 0;
  return {
    file: ctx.file,
    line,
    col: col + from,
    endLine: line,
    endCol: col + to,
    offset: tok.startOffset + from,
    endOffset: tok.startOffset + to,
  };
}

/**
 * The span from the start of `a` to the end of `b` (each a Loc or a real token).
 * @param {Ctx} ctx @param {Loc | IToken} a @param {Loc | IToken} b @returns {Loc}
 */
function span(ctx, a, b) {
  const from = 'file' in a ? a : tokenLoc(ctx, a);
  const to = 'file' in b ? b : tokenLoc(ctx, b);
  return {
    file: ctx.file,
    line: from.line,
    col: from.col,
    endLine: to.endLine,
    endCol: to.endCol,
    offset: from.offset,
    endOffset: to.endOffset,
  };
}

/**
 * The last real thing of a bracketed sequence: its closer, else (after an error) its last element, else its opener.
 * @template {{ loc: Loc }} E
 * @param {Loc | IToken | undefined} open @param {E[]} elements @param {IToken | undefined} close
 * @returns {Loc | IToken | undefined}
 */
function lastOf(open, elements, close) {
  return close ?? (elements.length ? elements[elements.length - 1].loc : open);
}

// ---------------------------------------------------------------------------------------------------------
// CST access: recovery leaves children missing, so every access may come back empty.
// ---------------------------------------------------------------------------------------------------------

/** @type {never[]} */
const NONE = [];

/** @param {CstNode | undefined} node @param {string} key @returns {IToken[]} */
function toks(node, key) {
  return /** @type {IToken[] | undefined} */ (node?.children[key]) ?? NONE;
}

/** @param {CstNode | undefined} node @param {string} key @returns {IToken | undefined} */
function tok(node, key, i = 0) {
  const t = toks(node, key)[i];
  return real(t) ? t : undefined;
}

/** @param {CstNode | undefined} node @param {string} key @returns {CstNode[]} */
function subs(node, key) {
  return /** @type {CstNode[] | undefined} */ (node?.children[key]) ?? NONE;
}

/**
 * @param {Ctx} ctx @param {string} code @param {string} message @param {Loc | null} loc
 * @param {'error' | 'warning'} [severity]
 */
function report(ctx, code, message, loc, severity = 'error') {
  ctx.diagnostics.push({ severity, code, message, loc, notes: [] });
}

// ---------------------------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------------------------

/** @param {string} s @param {number} max */
function clip(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** @param {Ctx} ctx @param {IToken | undefined} t @returns {Ident | null} */
function ident(ctx, t) {
  if (!t || !real(t)) return null;
  return { kind: 'Ident', name: t.image, loc: tokenLoc(ctx, t) };
}

/** @type {Record<string, string>} */
const ESCAPES = { '"': '"', '\\': '\\', n: '\n', t: '\t', $: '$' };
const REF_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Decodes a string token: escapes, and `${name}` split out into ref parts. Problems become diagnostics
 * (bad-escape, bad-interpolation) and the offending text is kept literally.
 * @param {Ctx} ctx @param {IToken} t @returns {StringLit}
 */
export function stringLit(ctx, t) {
  const raw = t.image;
  const end = t.tokenType === T.StringLit ? raw.length - 1 : raw.length; // an unterminated string has no closing quote
  if (raw.indexOf('\\') < 0 && raw.indexOf('$') < 0) {
    const text = raw.slice(1, end); // nothing to decode: the common case
    return { kind: 'String', value: text, parts: text ? [{ lit: text }] : [], loc: tokenLoc(ctx, t) };
  }
  let value = '';
  let lit = '';
  /** @type {StrPart[]} */
  const parts = [];
  let i = 1;
  while (i < end) {
    const c = raw[i];
    if (c === '\\' && i + 1 < end) {
      const e = ESCAPES[raw[i + 1]];
      if (e === undefined) {
        report(
          ctx,
          'bad-escape',
          `unknown escape '\\${raw[i + 1]}' (known: \\" \\\\ \\n \\t \\$)`,
          subLoc(ctx, t, i, i + 1),
        );
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
        parts.push({ ref: name, loc: subLoc(ctx, t, i, close) });
        value += `\${${name}}`;
        i = close + 1;
      } else {
        const message =
          name === null
            ? "unclosed '${' in string (write \\$ for a literal '$')"
            : `bad interpolation '\${${name}}': a name is [A-Za-z_][A-Za-z0-9_]* (write \\$ for a literal '$')`;
        report(ctx, 'bad-interpolation', message, subLoc(ctx, t, i, name === null ? end - 1 : close));
        lit += c; // the rest of the malformed form stays literal text
        value += c;
        i += 1;
      }
    } else {
      lit += c;
      value += c;
      i += 1;
    }
  }
  if (lit) parts.push({ lit });
  return { kind: 'String', value, parts, loc: tokenLoc(ctx, t) };
}

const BLANK = /^[ \t\r\f\v]*$/;

/**
 * A `"""` body: the blank first line and a whitespace-only last line are dropped and the common indentation
 * removed, so text line i, col c sits at file line firstLine + i, col c + indent. Content on the opening
 * line counts as indented by the columns before it (those columns become spaces if others are indented less).
 * @param {Ctx} ctx @param {IToken} t @returns {ShellLit}
 */
export function shellLit(ctx, t) {
  const image = t.image;
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
  const loc = tokenLoc(ctx, t);
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
  const out = [];
  for (let i = from; i < to; i++) {
    const line = lines[i];
    // non-blank lines all start with the common indentation; a blank line without it becomes empty
    out.push(line.startsWith(common) ? line.slice(indent) : '');
  }
  return { kind: 'Shell', text: `${out.join('\n')}\n`, loc, firstLine, indent };
}

/** @param {Ctx} ctx @param {IToken} t */
function intLit(ctx, t) {
  const value = Number(t.image);
  if (!Number.isSafeInteger(value)) {
    report(ctx, 'syntax-error', `integer ${t.image.slice(0, 30)} is too large`, tokenLoc(ctx, t));
  }
  return /** @type {const} */ ({ kind: 'Int', value, loc: tokenLoc(ctx, t) });
}

/**
 * A `value` or `label` node; null when recovery left it empty.
 * @param {Ctx} ctx @param {CstNode | undefined} node @returns {Value | null}
 */
function value(ctx, node) {
  if (!node) return null;
  // one child: the token or list of the alternative taken; probed by how common each is
  const c = /** @type {Record<string, IToken[] | undefined>} */ (node.children);
  let t;
  if ((t = c.StringLit?.[0])) return real(t) ? stringLit(ctx, t) : null;
  if ((t = c.Identifier?.[0])) return ident(ctx, t);
  if (c.list) return list(ctx, subs(node, 'list')[0]);
  if ((t = c.Shell?.[0])) return real(t) ? shellLit(ctx, t) : null;
  if ((t = c.Integer?.[0])) return real(t) ? intLit(ctx, t) : null;
  if ((t = c.True?.[0] ?? c.False?.[0]) && real(t))
    return { kind: 'Bool', value: t.tokenType === T.True, loc: tokenLoc(ctx, t) };
  return null;
}

/**
 * Reports each two neighbouring elements with no comma between them (the grammar lets that parse so one
 * missing comma is one error).
 * @param {Ctx} ctx @param {Array<{ loc: Loc }>} elements @param {IToken[]} commas in source order @param {string} what
 */
function checkCommas(ctx, elements, commas, what) {
  let c = 0;
  for (let i = 0; i + 1 < elements.length; i++) {
    const end = elements[i].loc.endOffset;
    const next = elements[i + 1].loc;
    while (c < commas.length && !(commas[c].startOffset > end)) c++;
    if (c < commas.length && commas[c].startOffset < next.offset) c++;
    else report(ctx, 'syntax-error', `expected ',' between ${what}`, next);
  }
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Value | null} */
function list(ctx, node) {
  const items = /** @type {Value[]} */ (
    subs(node, 'value')
      .map((v) => value(ctx, v))
      .filter((v) => v !== null)
  );
  checkCommas(ctx, items, toks(node, 'Comma'), 'list items');
  const open = tok(node, 'LBracket');
  const end = lastOf(open, items, tok(node, 'RBracket'));
  return open && end ? { kind: 'List', items, loc: span(ctx, open, end) } : null;
}

// ---------------------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------------------

/** @param {Ctx} ctx @param {CstNode | undefined} node @returns {Item[]} */
function body(ctx, node) {
  /** @type {Item[]} */
  const items = [];
  for (const it of subs(node, 'item')) {
    const built = item(ctx, it);
    if (built) items.push(built);
  }
  return items;
}

/**
 * Where a body ends: its `}` or, after an error, its last item or `{`.
 * @param {CstNode | undefined} node @param {Item[]} items
 */
function bodyEnd(node, items) {
  return lastOf(tok(node, 'LCurly'), items, tok(node, 'RCurly'));
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Item | null} */
function item(ctx, node) {
  const [step] = subs(node, 'stepItem');
  if (step) return stepItem(ctx, step);
  const [use] = subs(node, 'useItem');
  if (use) return useItem(ctx, use);
  const [keyed] = subs(node, 'keyedItem');
  if (keyed) return keyedItem(ctx, keyed);
  return null;
}

/** @param {Ctx} ctx @param {CstNode | undefined} node @returns {Ident | null} */
function placement(ctx, node) {
  if (!node) return null;
  const where = ident(ctx, tok(node, 'Identifier'));
  const on = tok(node, 'On');
  if (where && ((on && where.name === 'chroot') || (!on && where.name === 'host'))) {
    const right = where.name === 'host' ? 'on host' : 'in chroot';
    report(
      ctx,
      'placement-preposition',
      `write '${right}'`,
      span(ctx, on ?? tok(node, 'In') ?? where.loc, where.loc),
      'warning',
    );
  }
  return where;
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Item | null} */
function keyedItem(ctx, node) {
  const key = ident(ctx, tok(node, 'Identifier'));
  if (!key) return null;
  const op = tok(node, 'Equals') ?? tok(node, 'PlusEquals');
  if (op) {
    const v = value(ctx, subs(node, 'value')[0]);
    if (!v) return null;
    const loc = span(ctx, key.loc, v.loc);
    return { kind: 'Field', key, op: op.tokenType === T.Equals ? '=' : '+=', value: v, loc };
  }
  const shell = tok(node, 'Shell');
  const [bodyNode] = subs(node, 'body');
  if (shell && !bodyNode) {
    const [where] = subs(node, 'placement');
    const body = shellLit(ctx, shell);
    const loc = span(ctx, key.loc, body.loc);
    return { kind: 'Step', name: key, custom: false, after: null, placement: placement(ctx, where), body, loc };
  }
  const [labelNode] = subs(node, 'label');
  if (labelNode && !bodyNode) {
    const label = value(ctx, labelNode);
    if (label) {
      const message = `expected '=' between '${clip(key.name, 40)}' and its value (or '{' after it to open a block)`;
      report(ctx, 'syntax-error', message, label.loc);
    }
    return null;
  }
  if (bodyNode) {
    const label = shell ? shellLit(ctx, shell) : value(ctx, labelNode);
    const items = body(ctx, bodyNode);
    const loc = span(ctx, key.loc, bodyEnd(bodyNode, items) ?? label?.loc ?? key.loc);
    return { kind: 'Block', key, label, items, loc };
  }
  return null;
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Item | null} */
function stepItem(ctx, node) {
  const name = ident(ctx, tok(node, 'Identifier', 0));
  const shell = tok(node, 'Shell');
  if (!name || !shell) return null;
  const afterWord = tok(node, 'Identifier', 1);
  if (afterWord && afterWord.image !== 'after') {
    report(ctx, 'syntax-error', `expected 'after', found '${clip(afterWord.image, 30)}'`, tokenLoc(ctx, afterWord));
  }
  const after = afterWord ? ident(ctx, tok(node, 'Identifier', 2)) : null;
  const body = shellLit(ctx, shell);
  const loc = span(ctx, tok(node, 'Step') ?? name.loc, body.loc);
  const where = placement(ctx, subs(node, 'placement')[0]);
  return { kind: 'Step', name, custom: true, after, placement: where, body, loc };
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Field | null} */
function arg(ctx, node) {
  const key = ident(ctx, tok(node, 'Identifier'));
  const v = value(ctx, subs(node, 'value')[0]);
  if (!key || !v) return null;
  return { kind: 'Field', key, op: '=', value: v, loc: span(ctx, key.loc, v.loc) };
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Item | null} */
function useItem(ctx, node) {
  const template = ident(ctx, tok(node, 'Identifier'));
  if (!template) return null;
  const args = /** @type {Field[]} */ (
    subs(node, 'arg')
      .map((a) => arg(ctx, a))
      .filter((a) => a !== null)
  );
  checkCommas(ctx, args, toks(node, 'Comma'), 'arguments');
  const loc = span(
    ctx,
    tok(node, 'Use') ?? template.loc,
    lastOf(template.loc, args, tok(node, 'RParen')) ?? template.loc,
  );
  return { kind: 'Use', template, args, loc };
}

// ---------------------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------------------

/** @param {Ctx} ctx @param {CstNode} node @returns {Param | null} */
function param(ctx, node) {
  const name = ident(ctx, tok(node, 'Identifier', 0));
  const type = ident(ctx, tok(node, 'Identifier', 1));
  if (!name || !type) return null;
  const hasDefault = tok(node, 'Equals') !== undefined;
  const dflt = hasDefault ? value(ctx, subs(node, 'value')[0]) : null;
  if (hasDefault && !dflt) return null;
  const loc = span(ctx, name.loc, dflt?.loc ?? type.loc);
  return { kind: 'Param', name, type, default: dflt, loc };
}

/** @param {Ctx} ctx @param {CstNode} node @returns {Decl | null} */
function decl(ctx, node) {
  const [bodyNode] = subs(node, 'body');
  const name = ident(ctx, tok(node, 'Identifier', 0));
  if (!name || !bodyNode) return null;
  const items = body(ctx, bodyNode);
  const keyword =
    tok(node, 'Target') ?? tok(node, 'Stage') ?? tok(node, 'Template') ?? tok(node, 'Package') ?? tok(node, 'Pass');
  if (!keyword) return null;
  const loc = (/** @type {Loc | IToken} */ headEnd) => span(ctx, keyword, bodyEnd(bodyNode, items) ?? headEnd);
  if (tokenMatcher(keyword, T.Target)) return { kind: 'Target', name, items, loc: loc(name.loc) };
  if (tokenMatcher(keyword, T.Stage)) return { kind: 'Stage', name, items, loc: loc(name.loc) };
  if (tokenMatcher(keyword, T.Template)) {
    const params = /** @type {Param[]} */ (
      subs(node, 'param')
        .map((p) => param(ctx, p))
        .filter((p) => p !== null)
    );
    checkCommas(ctx, params, toks(node, 'Comma'), 'parameters');
    const headEnd = lastOf(tok(node, 'LParen') ?? name.loc, params, tok(node, 'RParen')) ?? name.loc;
    return { kind: 'Template', name, params, items, loc: loc(headEnd) };
  }
  const other = ident(ctx, tok(node, 'Identifier', 1));
  if (!other) return null;
  if (tokenMatcher(keyword, T.Package)) return { kind: 'Package', name, stage: other, items, loc: loc(other.loc) };
  const stageTok = tok(node, 'Identifier', 2);
  const stage = stageTok ? ident(ctx, stageTok) : null;
  return { kind: 'Pass', name, of: other, stage, items, loc: loc(stage?.loc ?? other.loc) };
}

/**
 * Builds the FileNode from a `file` CST; diagnostics found on the way go to ctx.diagnostics.
 * @param {Ctx} ctx @param {CstNode | undefined} cst @param {string} text @returns {FileNode}
 */
export function buildFile(ctx, cst, text) {
  /** @type {Decl[]} */
  const decls = [];
  for (const d of subs(cst, 'decl')) {
    const built = decl(ctx, d);
    if (built) decls.push(built);
  }
  return { kind: 'File', file: ctx.file, text, decls };
}
