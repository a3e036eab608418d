// Shared by the grammar tests: parse helpers, node narrowing, and the AST well-formedness walker.
import * as assert from 'uvu/assert';
import { parse, type ParseResult } from '../../grammar/index.js';
import type {
  Decl,
  FileNode,
  Ident,
  Item,
  Loc,
  Param,
  ShellLit,
  StrPart,
  SyntaxDiagnostic,
  Value,
} from '../../grammar/syntax.js';

export const FILE = 'stages/t.recipe';
const IDENT = /^[A-Za-z_][A-Za-z0-9_+.-]*$/;

export type Node = Decl | Item | Value | Param;
export type Kind = Node['kind'];
export type NodeOf<K extends Kind> = Extract<Node, { readonly kind: K }>;

export function isKind<K extends Kind>(node: Node | null | undefined, kind: K): node is NodeOf<K> {
  return node?.kind === kind;
}

/** `node`, which must be of `kind` (the test fails otherwise), typed as that kind. */
export function narrow<K extends Kind>(node: Node | null | undefined, kind: K): NodeOf<K> {
  if (!isKind(node, kind)) throw new Error(`expected a ${kind} node, found ${node === null ? 'null' : node?.kind}`);
  return node;
}

/** The loc of a `${name}` part of a string (the test fails for a literal part). */
export function refLoc(part: StrPart): Loc {
  if (!('ref' in part)) throw new Error(`expected a ref part, found ${JSON.stringify(part)}`);
  return part.loc;
}

/** The value of a string, integer or boolean (undefined for the other kinds). */
export function scalar(v: Value): string | number | boolean | undefined {
  return 'value' in v ? v.value : undefined;
}

/** Deliberately wrong input, to check that parse() never throws: the cast is the point. */
export const untyped = <T>(value: unknown): T => value as T;

export function p(text: string): ParseResult {
  const r = parse(FILE, text);
  wellFormed(r.ast, r.diagnostics, text);
  return r;
}

/** Parses text that must have no diagnostics; returns the declarations. */
export function ok(text: string): readonly Decl[] {
  const r = p(text);
  assert.equal(r.diagnostics, [], `unexpected diagnostics for ${JSON.stringify(text)}`);
  return r.ast.decls;
}

/** The items of the one declaration in text. */
export function items(body: string): readonly Item[] {
  const decls = ok(`package p in s {\n${body}\n}\n`);
  assert.is(decls.length, 1);
  return decls[0].items;
}

export function at(text: string, loc: { readonly offset: number; readonly endOffset: number }): string {
  return text.slice(loc.offset, loc.endOffset + 1);
}

const lineCache: { text: string; starts: number[] } = { text: '', starts: [0] };

/** 1-based line/col of an offset, computed independently of the parser. */
function pos(text: string, offset: number): { line: number; col: number } {
  if (lineCache.text !== text) {
    lineCache.text = text;
    lineCache.starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineCache.starts.push(i + 1);
  }
  const { starts } = lineCache;
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
  return { line: line + 1, col: offset - starts[line] + 1 };
}

const LOC_NUMBERS = ['line', 'col', 'endLine', 'endCol', 'offset', 'endOffset'] as const;

function checkLoc(loc: Loc, text: string, where: string, mayBeEof = false): void {
  assert.ok(loc && typeof loc === 'object', `${where}: loc missing`);
  assert.is(loc.file, FILE, `${where}: loc.file`);
  for (const k of LOC_NUMBERS) {
    assert.ok(Number.isInteger(loc[k]), `${where}: loc.${k} = ${loc[k]}`);
  }
  const limit = mayBeEof ? text.length : text.length - 1;
  assert.ok(
    loc.offset >= 0 && loc.offset <= loc.endOffset && loc.endOffset <= limit,
    `${where}: offsets ${loc.offset}..${loc.endOffset} of ${text.length}`,
  );
  assert.equal([loc.line, loc.col], Object.values(pos(text, loc.offset)), `${where}: start line/col`);
  assert.equal([loc.endLine, loc.endCol], Object.values(pos(text, loc.endOffset)), `${where}: end line/col`);
}

/**
 * Checks an AST against grammar/syntax.ts: kinds, field types, every loc valid and inside its parent's,
 * identifiers equal to their source text, shell bodies mapping back to the file.
 */
export function wellFormed(ast: FileNode, diagnostics: readonly SyntaxDiagnostic[], text: string): void {
  assert.is(ast.kind, 'File');
  assert.is(ast.file, FILE);
  assert.is(ast.text, text);
  assert.ok(Array.isArray(ast.decls));
  const lines = text.split('\n');

  function located(node: { readonly loc: Loc }, where: string, parent: Loc | null): void {
    checkLoc(node.loc, text, where);
    if (parent) {
      assert.ok(
        node.loc.offset >= parent.offset && node.loc.endOffset <= parent.endOffset,
        `${where}: outside its parent`,
      );
    }
  }
  function ident(id: Ident, where: string, parent: Loc): void {
    assert.is(id?.kind, 'Ident', `${where}: not an Ident`);
    assert.ok(typeof id.name === 'string' && IDENT.test(id.name), `${where}: bad name ${id.name}`);
    located(id, where, parent);
    assert.is(at(text, id.loc), id.name, `${where}: name differs from source`);
  }
  function value(v: Value, where: string, parent: Loc): void {
    assert.ok(v && typeof v === 'object', `${where}: value missing`);
    if (v.kind === 'Ident') {
      ident(v, where, parent);
      return;
    }
    located(v, where, parent);
    const src = at(text, v.loc);
    const kind: string = v.kind;
    switch (v.kind) {
      case 'String':
        assert.type(v.value, 'string');
        assert.ok(src.startsWith('"'), `${where}: string source`);
        for (const part of v.parts) {
          if ('ref' in part) {
            assert.ok(/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.ref), `${where}: ref name`);
            located(part, `${where}.ref`, v.loc);
            assert.is(at(text, part.loc), `\${${part.ref}}`);
          } else {
            assert.ok(typeof part.lit === 'string' && part.lit.length > 0, `${where}: empty lit part`);
          }
        }
        break;
      case 'Int':
        assert.type(v.value, 'number');
        assert.ok(/^[0-9]+$/.test(src), `${where}: int source`);
        break;
      case 'Bool':
        assert.is(src, String(v.value));
        break;
      case 'List':
        assert.ok(src.startsWith('['), `${where}: list source`);
        v.items.forEach((x, i) => value(x, `${where}[${i}]`, v.loc));
        break;
      case 'Shell':
        shell(v, where);
        break;
      default:
        assert.unreachable(`${where}: unknown value kind ${kind}`);
    }
  }
  /** Text line i, col c sits at file line firstLine + i, col c + indent. */
  function shell(s: ShellLit, where: string): void {
    assert.ok(at(text, s.loc).startsWith('"""'), `${where}: shell source`);
    assert.type(s.text, 'string');
    assert.ok(s.text === '' || s.text.endsWith('\n'), `${where}: text must end with a newline`);
    assert.ok(
      Number.isInteger(s.firstLine) && Number.isInteger(s.indent) && s.indent >= 0,
      `${where}: firstLine/indent`,
    );
    const body = s.text.split('\n').slice(0, -1);
    body.forEach((line, i) => {
      const fileLine = lines[s.firstLine + i - 1] ?? '';
      for (let c = 0; c < line.length; c++) {
        if (line[c] === ' ') continue; // may be padding for text on the opening line
        assert.is(fileLine[c + s.indent], line[c], `${where}: text line ${i} col ${c + 1} maps wrong`);
      }
    });
  }
  function item(it: Item, where: string, parent: Loc): void {
    located(it, where, parent);
    const kind: string = it.kind;
    switch (it.kind) {
      case 'Field':
        ident(it.key, `${where}.key`, it.loc);
        assert.ok(it.op === '=' || it.op === '+=', `${where}: op`);
        value(it.value, `${where}.value`, it.loc);
        assert.is(it.loc.offset, it.key.loc.offset);
        break;
      case 'Block':
        ident(it.key, `${where}.key`, it.loc);
        if (it.label !== null) value(it.label, `${where}.label`, it.loc);
        it.items.forEach((x, i) => item(x, `${where}.items[${i}]`, it.loc));
        break;
      case 'Step':
        ident(it.name, `${where}.name`, it.loc);
        assert.type(it.custom, 'boolean');
        if (it.after !== null) ident(it.after, `${where}.after`, it.loc);
        if (it.placement !== null) ident(it.placement, `${where}.placement`, it.loc);
        assert.is(it.body.kind, 'Shell');
        value(it.body, `${where}.body`, it.loc);
        break;
      case 'Use':
        ident(it.template, `${where}.template`, it.loc);
        it.args.forEach((a, i) => {
          assert.is(a.kind, 'Field');
          assert.is(a.op, '=');
          item(a, `${where}.args[${i}]`, it.loc);
        });
        break;
      default:
        assert.unreachable(`${where}: unknown item kind ${kind}`);
    }
  }
  ast.decls.forEach((d: Decl, i: number) => {
    const where = `decls[${i}]`;
    located(d, where, null);
    assert.ok(at(text, d.loc).startsWith(d.kind.toLowerCase()), `${where}: starts with its keyword`);
    ident(d.name, `${where}.name`, d.loc);
    if (d.kind === 'Package') ident(d.stage, `${where}.stage`, d.loc);
    else if (d.kind === 'Pass') ident(d.of, `${where}.of`, d.loc);
    else if (d.kind === 'Template') {
      d.params.forEach((prm, j) => {
        assert.is(prm.kind, 'Param');
        located(prm, `${where}.params[${j}]`, d.loc);
        ident(prm.name, `${where}.params[${j}].name`, prm.loc);
        ident(prm.type, `${where}.params[${j}].type`, prm.loc);
        if (prm.default !== null) value(prm.default, `${where}.params[${j}].default`, prm.loc);
      });
    } else assert.ok(d.kind === 'Target' || d.kind === 'Stage', `${where}: kind ${d.kind}`);
    d.items.forEach((x, j) => item(x, `${where}.items[${j}]`, d.loc));
  });
  for (const d of diagnostics) {
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.ok(/^[a-z]+(-[a-z]+)*$/.test(d.code), `code ${d.code}`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
    assert.ok(Array.isArray(d.notes));
    assert.is.not(d.code, 'internal-error', d.message);
    if (d.loc !== null) checkLoc(d.loc, text, `diagnostic ${d.message}`, true);
  }
}

export function codes(text: string): string[] {
  return p(text).diagnostics.map((d) => d.code);
}
