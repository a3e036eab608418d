// What the name under the cursor is, read from the AST with the schema giving items their meaning: a reference
// to (or the declaration of) a package, stage, template or template parameter, or a field or block key.
// Definition and hover both start here; unknown or damaged input yields null, never an exception.
import type { Decl, FileNode, Ident, Item, Loc, Value } from '../../grammar/syntax.js';
import type { Model } from '../resolve/model.js';
import { DECL_KEYWORDS, ownBlock, ownField, SCHEMA, type BlockSpec, type DeclSpec, type FieldSpec } from '../schema.js';

export type Sym =
  /** `stage` is null where a package reference may name any stage's package (a template's depends). */
  | { readonly kind: 'package'; readonly name: string; readonly stage: string | null; readonly loc: Loc }
  | { readonly kind: 'stage'; readonly name: string; readonly loc: Loc }
  | { readonly kind: 'template'; readonly name: string; readonly loc: Loc }
  | { readonly kind: 'param'; readonly name: string; readonly template: string; readonly loc: Loc }
  | { readonly kind: 'field'; readonly key: string; readonly spec: FieldSpec; readonly loc: Loc }
  | { readonly kind: 'block'; readonly key: string; readonly spec: BlockSpec; readonly loc: Loc };

/** The declaration context items are read in. */
interface Ctx {
  readonly stage: string | null;
  /** the template whose body this is; its parameters are what `${name}` refers to */
  readonly template: string | null;
  readonly file: FileNode;
  readonly model: Model;
}

const within = (loc: Loc | null | undefined, offset: number): loc is Loc =>
  loc != null && offset >= loc.offset && offset <= loc.endOffset;

/** The stage a package or pass declaration ends up in (a pass without `in` takes its base's). */
export function stageOfDecl(decl: Decl, model: Model): string | null {
  if (decl.kind === 'Package') return decl.stage.name;
  if (decl.kind === 'Amend' || decl.kind === 'Replace') return decl.stage?.name ?? null;
  if (decl.kind !== 'Pass') return null;
  if (decl.stage) return decl.stage.name;
  for (const p of model.packages.values()) if (p.decl === decl) return p.stage;
  for (const p of model.packages.values()) if (p.name === decl.of.name && p.decl.kind === 'Package') return p.stage;
  return null;
}

/** The symbol at `offset` (into the compiled text of `file`), or null. */
export function symbolAt(file: FileNode, offset: number, model: Model): Sym | null {
  for (const decl of file.decls) {
    if (!within(decl.loc, offset)) continue;
    const stage = stageOfDecl(decl, model);
    const ctx: Ctx = { stage, template: decl.kind === 'Template' ? decl.name.name : null, file, model };
    if (within(decl.name.loc, offset)) return declName(decl, stage);
    if (decl.kind === 'Package' && within(decl.stage.loc, offset)) return ident('stage', decl.stage);
    if ((decl.kind === 'Amend' || decl.kind === 'Replace') && decl.stage && within(decl.stage.loc, offset))
      return ident('stage', decl.stage);
    if (decl.kind === 'Pass') {
      if (within(decl.of.loc, offset)) return { kind: 'package', name: decl.of.name, stage, loc: decl.of.loc };
      if (decl.stage && within(decl.stage.loc, offset)) return ident('stage', decl.stage);
    }
    if (decl.kind === 'Template') {
      for (const p of decl.params) {
        if (within(p.name.loc, offset))
          return { kind: 'param', name: p.name.name, template: decl.name.name, loc: p.name.loc };
      }
    }
    const spec: DeclSpec = SCHEMA[specKey(decl)];
    return inItems(decl.items, spec, offset, ctx);
  }
  return null;
}

/** The schema entry a declaration's body is read with. */
export function specKey(decl: Decl): keyof typeof SCHEMA {
  if (decl.kind === 'Amend') return decl.subject === 'stage' ? 'amend stage' : 'amend package';
  if (decl.kind === 'Replace') return 'replace package';
  return DECL_KEYWORDS[decl.kind];
}

function declName(decl: Decl, stage: string | null): Sym | null {
  const n = decl.name;
  switch (decl.kind) {
    case 'Package':
    case 'Pass':
      return { kind: 'package', name: n.name, stage, loc: n.loc };
    case 'Stage':
      return ident('stage', n);
    case 'Template':
      return ident('template', n);
    case 'Amend':
    case 'Replace':
      return decl.subject === 'stage' ? ident('stage', n) : { kind: 'package', name: n.name, stage, loc: n.loc };
    case 'Target':
    case 'Layer':
      return null;
  }
}

function ident(kind: 'stage' | 'template', id: Ident): Sym {
  return { kind, name: id.name, loc: id.loc };
}

function inItems(items: readonly Item[], spec: DeclSpec | 'env', offset: number, ctx: Ctx): Sym | null {
  for (const item of items) {
    if (!within(item.loc, offset)) continue;
    switch (item.kind) {
      case 'Field': {
        const field = spec === 'env' ? undefined : ownField(spec, item.key.name);
        if (within(item.key.loc, offset))
          return field ? { kind: 'field', key: item.key.name, spec: field, loc: item.key.loc } : null;
        return inValue(item.value, field, offset, ctx);
      }
      case 'Block': {
        const block = spec === 'env' ? undefined : ownBlock(spec, item.key.name);
        if (within(item.key.loc, offset))
          return block ? { kind: 'block', key: item.key.name, spec: block, loc: item.key.loc } : null;
        if (item.label && within(item.label.loc, offset)) return inValue(item.label, undefined, offset, ctx);
        return block ? inItems(item.items, block.spec, offset, ctx) : null;
      }
      case 'Use': {
        const t = item.template;
        if (within(t.loc, offset)) return ident('template', t);
        for (const arg of item.args) {
          if (within(arg.key.loc, offset))
            return { kind: 'param', name: arg.key.name, template: t.name, loc: arg.key.loc };
          if (within(arg.value.loc, offset)) return inValue(arg.value, undefined, offset, ctx);
        }
        return null;
      }
      case 'Step':
        return within(item.body.loc, offset) ? inValue(item.body, undefined, offset, ctx) : null;
    }
  }
  return null;
}

function inValue(v: Value, field: FieldSpec | undefined, offset: number, ctx: Ctx): Sym | null {
  if (!within(v.loc, offset)) return null;
  switch (v.kind) {
    case 'List':
      for (const i of v.items)
        if (within(i.loc, offset))
          return inValue(i, field?.type.item ? { ...field, type: field.type.item } : undefined, offset, ctx);
      return null;
    case 'Ident': {
      const type = field?.type.name;
      if (type === 'ref:package' || type === 'list:ref:package')
        return { kind: 'package', name: v.name, stage: ctx.stage, loc: v.loc };
      if (type === 'ref:stage' || type === 'mount-source') return ident('stage', v);
      return null;
    }
    case 'String':
      for (const p of v.parts) if ('ref' in p && within(p.loc, offset)) return paramRef(p.ref, p.loc, ctx);
      return null;
    case 'Shell':
      return shellRef(v.loc, offset, ctx);
    case 'Int':
    case 'Bool':
      return null;
  }
}

/** `${name}` in a template body names a parameter when the template declares one of that name. */
function paramRef(name: string, loc: Loc, ctx: Ctx): Sym | null {
  if (ctx.template === null) return null;
  return ctx.model.templates.get(ctx.template)?.params.has(name)
    ? { kind: 'param', name, template: ctx.template, loc }
    : null;
}

/** `${name}` or `$name` around `offset` inside a shell body (read from the source text, which keeps positions). */
function shellRef(body: Loc, offset: number, ctx: Ctx): Sym | null {
  const text = ctx.file.text;
  const isWord = (i: number) => i >= body.offset && i <= body.endOffset && /[A-Za-z0-9_]/.test(text[i] ?? '');
  let from = offset;
  while (isWord(from - 1)) from--;
  let to = offset;
  while (isWord(to)) to++;
  if (from === to) return null;
  const braced = text[from - 1] === '{' && text[from - 2] === '$';
  if (!braced && text[from - 1] !== '$') return null;
  const name = text.slice(from, to);
  const line = lineCol(text, from);
  const loc: Loc = {
    file: body.file,
    line: line.line,
    col: line.col,
    endLine: line.line,
    endCol: line.col + (to - from) - 1,
    offset: from,
    endOffset: to - 1,
  };
  return paramRef(name, loc, ctx);
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
