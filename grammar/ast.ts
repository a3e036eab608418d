// CST → AST (syntax.ts): every node gets a Loc; nodes broken by a syntax error are dropped, never half-built.
import type { IToken } from 'chevrotain';
import { tokenMatcher } from './chevrotain.js';
import * as T from './tokens.js';
import type {
  ArgCst,
  BodyCst,
  ChangeDeclCst,
  DeclCst,
  FileCst,
  ItemCst,
  KeyedItemCst,
  LayerDeclCst,
  ListCst,
  ParamCst,
  PlacementCst,
  StepItemCst,
  UseItemCst,
  ValueCst,
} from './cst.js';
import { intLit, shellLit, stringLit } from './literals.js';
import { lastOf, real, span, tokenLoc } from './loc.js';
import { report, type Ctx, type SyntaxErrorData } from './messages.js';
import type { Decl, Field, FileNode, Ident, Item, ListLit, Loc, Param, Value } from './syntax.js';

// ---------------------------------------------------------------------------------------------------------
// CST access: recovery leaves children missing, so every access may come back empty.
// ---------------------------------------------------------------------------------------------------------

const NONE: never[] = [];

/** Token i of a child list, if the source really holds it. */
function tok(list: readonly IToken[] | undefined, i = 0): IToken | undefined {
  const t = list?.[i];
  return real(t) ? t : undefined;
}

function ident(ctx: Ctx, t: IToken | undefined): Ident | null {
  if (!t || !real(t)) return null;
  return { kind: 'Ident', name: t.image, loc: tokenLoc(ctx.file, t) };
}

// ---------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------

/** A `value` or `label` node; null when recovery left it empty. */
function value(ctx: Ctx, node: ValueCst | undefined): Value | null {
  if (!node) return null;
  // one child: the token or list of the alternative taken; probed by how common each is
  const c = node.children;
  let t: IToken | undefined;
  if ((t = c.StringLit?.[0])) return real(t) ? stringLit(ctx, t) : null;
  if ((t = c.Identifier?.[0])) return ident(ctx, t);
  if (c.list) return list(ctx, c.list[0]);
  if ((t = c.Shell?.[0])) return real(t) ? shellLit(ctx, t) : null;
  if ((t = c.Integer?.[0])) return real(t) ? intLit(ctx, t) : null;
  if ((t = c.True?.[0] ?? c.False?.[0]) && real(t))
    return { kind: 'Bool', value: t.tokenType === T.True, loc: tokenLoc(ctx.file, t) };
  return null;
}

type Between = Extract<SyntaxErrorData, { kind: 'missing-comma' }>['between'];

/**
 * Reports each two neighbouring elements with no comma between them (the grammar lets that parse so one
 * missing comma is one error). `commas` are in source order.
 */
function checkCommas(
  ctx: Ctx,
  elements: readonly { readonly loc: Loc }[],
  commas: readonly IToken[] = NONE,
  between: Between,
): void {
  let c = 0;
  for (let i = 0; i + 1 < elements.length; i++) {
    const end = elements[i].loc.endOffset;
    const next = elements[i + 1].loc;
    while (c < commas.length && !(commas[c].startOffset > end)) c++;
    if (c < commas.length && commas[c].startOffset < next.offset) c++;
    else report(ctx, 'syntax-error', next, { kind: 'missing-comma', between });
  }
}

function list(ctx: Ctx, node: ListCst): ListLit | null {
  const items = (node.children.value ?? NONE).map((v) => value(ctx, v)).filter((v) => v !== null);
  checkCommas(ctx, items, node.children.Comma, 'list items');
  const open = tok(node.children.LBracket);
  const end = lastOf(open, items, tok(node.children.RBracket));
  return open && end ? { kind: 'List', items, loc: span(ctx.file, open, end) } : null;
}

// ---------------------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------------------

function body(ctx: Ctx, node: BodyCst | undefined): Item[] {
  const items: Item[] = [];
  for (const it of node?.children.item ?? NONE) {
    const built = item(ctx, it);
    if (built) items.push(built);
  }
  return items;
}

/** Where a body ends: its `}` or, after an error, its last item or `{`. */
function bodyEnd(node: BodyCst | undefined, items: readonly Item[]): Loc | IToken | undefined {
  return lastOf(tok(node?.children.LCurly), items, tok(node?.children.RCurly));
}

function item(ctx: Ctx, node: ItemCst): Item | null {
  const c = node.children;
  const step = c.stepItem?.[0];
  if (step) return stepItem(ctx, step);
  const use = c.useItem?.[0];
  if (use) return useItem(ctx, use);
  const keyed = c.keyedItem?.[0];
  if (keyed) return keyedItem(ctx, keyed);
  return null;
}

function placement(ctx: Ctx, node: PlacementCst | undefined): Ident | null {
  if (!node) return null;
  const where = ident(ctx, tok(node.children.Identifier));
  const on = tok(node.children.On);
  if (where && ((on && where.name === 'chroot') || (!on && where.name === 'host'))) {
    const write = where.name === 'host' ? 'on host' : 'in chroot';
    const loc = span(ctx.file, on ?? tok(node.children.In) ?? where.loc, where.loc);
    report(ctx, 'placement-preposition', loc, { write });
  }
  return where;
}

function keyedItem(ctx: Ctx, node: KeyedItemCst): Item | null {
  const c = node.children;
  const key = ident(ctx, tok(c.Identifier));
  if (!key) return null;
  const op = tok(c.Equals) ?? tok(c.PlusEquals);
  if (op) {
    const v = value(ctx, c.value?.[0]);
    if (!v) return null;
    const loc = span(ctx.file, key.loc, v.loc);
    return { kind: 'Field', key, op: op.tokenType === T.Equals ? '=' : '+=', value: v, loc };
  }
  const shell = tok(c.Shell);
  const bodyNode = c.body?.[0];
  if (shell && !bodyNode) {
    const body = shellLit(ctx, shell);
    const loc = span(ctx.file, key.loc, body.loc);
    const where = placement(ctx, c.placement?.[0]);
    return { kind: 'Step', name: key, custom: false, after: null, placement: where, body, loc };
  }
  const labelNode = c.label?.[0];
  if (labelNode && !bodyNode) {
    const label = value(ctx, labelNode);
    if (label) report(ctx, 'syntax-error', label.loc, { kind: 'missing-equals', key: key.name });
    return null;
  }
  if (bodyNode) {
    const label = shell ? shellLit(ctx, shell) : value(ctx, labelNode);
    const items = body(ctx, bodyNode);
    const loc = span(ctx.file, key.loc, bodyEnd(bodyNode, items) ?? label?.loc ?? key.loc);
    return { kind: 'Block', key, label, items, loc };
  }
  return null;
}

function stepItem(ctx: Ctx, node: StepItemCst): Item | null {
  const c = node.children;
  const name = ident(ctx, tok(c.Identifier, 0));
  const shell = tok(c.Shell);
  if (!name || !shell) return null;
  const afterWord = tok(c.Identifier, 1);
  if (afterWord && afterWord.image !== 'after') {
    report(ctx, 'syntax-error', tokenLoc(ctx.file, afterWord), { kind: 'not-after', found: afterWord.image });
  }
  const after = afterWord ? ident(ctx, tok(c.Identifier, 2)) : null;
  const body = shellLit(ctx, shell);
  const loc = span(ctx.file, tok(c.Step) ?? name.loc, body.loc);
  const where = placement(ctx, c.placement?.[0]);
  return { kind: 'Step', name, custom: true, after, placement: where, body, loc };
}

function arg(ctx: Ctx, node: ArgCst): Field | null {
  const key = ident(ctx, tok(node.children.Identifier));
  const v = value(ctx, node.children.value?.[0]);
  if (!key || !v) return null;
  return { kind: 'Field', key, op: '=', value: v, loc: span(ctx.file, key.loc, v.loc) };
}

function useItem(ctx: Ctx, node: UseItemCst): Item | null {
  const c = node.children;
  const template = ident(ctx, tok(c.Identifier));
  if (!template) return null;
  const args = (c.arg ?? NONE).map((a) => arg(ctx, a)).filter((a) => a !== null);
  checkCommas(ctx, args, c.Comma, 'arguments');
  const end = lastOf(template.loc, args, tok(c.RParen)) ?? template.loc;
  const loc = span(ctx.file, tok(c.Use) ?? template.loc, end);
  return { kind: 'Use', template, args, loc };
}

// ---------------------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------------------

function param(ctx: Ctx, node: ParamCst): Param | null {
  const c = node.children;
  const name = ident(ctx, tok(c.Identifier, 0));
  const type = ident(ctx, tok(c.Identifier, 1));
  if (!name || !type) return null;
  const hasDefault = tok(c.Equals) !== undefined;
  const dflt = hasDefault ? value(ctx, c.value?.[0]) : null;
  if (hasDefault && !dflt) return null;
  const loc = span(ctx.file, name.loc, dflt?.loc ?? type.loc);
  return { kind: 'Param', name, type, default: dflt, loc };
}

function layerDecl(ctx: Ctx, node: LayerDeclCst): Decl | null {
  const c = node.children;
  const bodyNode = c.body?.[0];
  const name = ident(ctx, tok(c.Identifier));
  const keyword = tok(c.Layer);
  if (!name || !bodyNode || !keyword) return null;
  const items = body(ctx, bodyNode);
  return { kind: 'Layer', name, items, loc: span(ctx.file, keyword, bodyEnd(bodyNode, items) ?? name.loc) };
}

function changeDecl(ctx: Ctx, node: ChangeDeclCst): Decl | null {
  const c = node.children;
  const bodyNode = c.body?.[0];
  const keyword = tok(c.Amend) ?? tok(c.Replace);
  const name = ident(ctx, tok(c.Identifier, 0));
  if (!name || !bodyNode || !keyword) return null;
  const subject = tok(c.Package) ? 'package' : 'stage';
  const stage = subject === 'package' ? ident(ctx, tok(c.Identifier, 1)) : null;
  if (subject === 'package' && !stage) return null;
  const items = body(ctx, bodyNode);
  const kind = tokenMatcher(keyword, T.Amend) ? 'Amend' : 'Replace';
  if (kind === 'Replace' && subject === 'stage') {
    // a stage is amended, never replaced: packages, roots and mounts hang on it
    const message = 'a stage is amended, never replaced: write `amend stage NAME { … }`';
    report(ctx, 'syntax-error', span(ctx.file, keyword, name.loc), { kind: 'parse', message });
    return null;
  }
  const loc = span(ctx.file, keyword, bodyEnd(bodyNode, items) ?? stage?.loc ?? name.loc);
  return { kind, subject, name, stage, items, loc };
}

function decl(ctx: Ctx, node: DeclCst): Decl | null {
  const c = node.children;
  const layer = c.layerDecl?.[0];
  if (layer) return layerDecl(ctx, layer);
  const change = c.changeDecl?.[0];
  if (change) return changeDecl(ctx, change);
  const bodyNode = c.body?.[0];
  const name = ident(ctx, tok(c.Identifier, 0));
  if (!name || !bodyNode) return null;
  const items = body(ctx, bodyNode);
  const keyword = tok(c.Target) ?? tok(c.Stage) ?? tok(c.Template) ?? tok(c.Package) ?? tok(c.Pass);
  if (!keyword) return null;
  const loc = (headEnd: Loc | IToken): Loc => span(ctx.file, keyword, bodyEnd(bodyNode, items) ?? headEnd);
  if (tokenMatcher(keyword, T.Target)) return { kind: 'Target', name, items, loc: loc(name.loc) };
  if (tokenMatcher(keyword, T.Stage)) return { kind: 'Stage', name, items, loc: loc(name.loc) };
  if (tokenMatcher(keyword, T.Template)) {
    const params = (c.param ?? NONE).map((p) => param(ctx, p)).filter((p) => p !== null);
    checkCommas(ctx, params, c.Comma, 'parameters');
    const headEnd = lastOf(tok(c.LParen) ?? name.loc, params, tok(c.RParen)) ?? name.loc;
    return { kind: 'Template', name, params, items, loc: loc(headEnd) };
  }
  const other = ident(ctx, tok(c.Identifier, 1));
  if (!other) return null;
  if (tokenMatcher(keyword, T.Package)) return { kind: 'Package', name, stage: other, items, loc: loc(other.loc) };
  const stageTok = tok(c.Identifier, 2);
  const stage = stageTok ? ident(ctx, stageTok) : null;
  return { kind: 'Pass', name, of: other, stage, items, loc: loc(stage?.loc ?? other.loc) };
}

/** Builds the FileNode from a `file` CST; diagnostics found on the way go to ctx.diagnostics. */
export function buildFile(ctx: Ctx, cst: FileCst | undefined, text: string): FileNode {
  const decls: Decl[] = [];
  for (const d of cst?.children.decl ?? NONE) {
    const built = decl(ctx, d);
    if (built) decls.push(built);
  }
  return { kind: 'File', file: ctx.file, text, decls };
}
