// Completion from the tokens before the cursor, so it works in the half-typed text the parser cannot build an
// AST of: field, block and step names valid in the enclosing declaration or block (from the schema), package
// names in a `depends` list, stage names after `in`, `after =` and `from =`, template names after `use`, and a
// template's parameters inside `use t(…)`. Inside strings, shell bodies and comments it offers nothing.
import type { IToken, TokenType } from 'chevrotain';
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import * as T from '../../grammar/tokens.js';
import type { Model } from '../resolve/model.js';
import { BUILTIN_STEPS, ownBlock, ownField, SCHEMA, type DeclSpec } from '../schema.js';
import { blockDoc, fieldDoc } from './hover.js';

/** The names completion offers, from the set's last compile (it may be a keystroke old; names rarely change). */
export interface Names {
  readonly packages: ReadonlyArray<{ readonly name: string; readonly stage: string; readonly version: string | null }>;
  readonly stages: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  readonly templates: ReadonlyMap<string, readonly string[]>;
}

export function namesOf(model: Model | null): Names {
  if (model === null) return { packages: [], stages: [], templates: new Map() };
  return {
    packages: [...model.packages.values()].map((p) => ({
      name: p.name,
      stage: p.stage,
      version: p.version?.value ?? null,
    })),
    stages: [...model.stages.values()].map((s) => ({ name: s.name, description: s.description })),
    templates: new Map([...model.templates.values()].map((t) => [t.name, [...t.params.keys()]])),
  };
}

/** An open `{`, `[` or `(` before the cursor, and what it opened. */
type Frame =
  | {
      readonly type: 'brace';
      /** the schema of the body, 'env' for free variables, null when not recognised */
      readonly spec: DeclSpec | 'env' | null;
      /** the stage packages in it belong to; null in a template (any stage) or when unknown */
      readonly stage: string | null;
      /** the declared name (a package does not depend on itself) */
      readonly self: string | null;
    }
  | { readonly type: 'list'; readonly key: string | null; readonly start: number }
  | { readonly type: 'paren'; readonly template: string | null };

/** Tokens of text the cursor can be inside: strings and shell bodies, terminated or not. */
const TEXTS = [T.StringLit, T.UnterminatedString, T.Shell, T.UnterminatedShell];

const is = (t: IToken | undefined, ...types: TokenType[]) => t !== undefined && types.includes(t.tokenType);

/** The completions at `offset` of `text` (the document as the editor holds it). */
export function complete(text: string, offset: number, names: Names): CompletionItem[] {
  if (inComment(text, offset)) return [];
  const all = T.lexer.tokenize(text).tokens;
  const before: IToken[] = [];
  for (const t of all) {
    const end = (t.endOffset ?? t.startOffset) + 1;
    if (t.startOffset >= offset) break;
    // inside a string or body (an unterminated one runs on to the cursor at its end)
    if (is(t, ...TEXTS) && (offset < end || (offset === end && is(t, T.UnterminatedString, T.UnterminatedShell))))
      return [];
    // the word being typed is what completion replaces, not context
    if (offset <= end && is(t, T.Identifier) && offset > t.startOffset) break;
    before.push(t);
  }
  const stack = frames(before, names);
  const top = stack[stack.length - 1];
  const brace = [...stack].reverse().find((f) => f.type === 'brace');
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];

  if (top?.type === 'list') {
    if (brace?.spec == null || brace.spec === 'env' || top.key === null) return [];
    const field = ownField(brace.spec, top.key);
    if (field?.type.name !== 'list:ref:package') return [];
    const listed = new Set(
      before
        .slice(top.start)
        .filter((t) => is(t, T.Identifier))
        .map((t) => t.image),
    );
    return packageItems(names, brace.stage, (n) => !listed.has(n) && n !== brace.self);
  }
  if (top?.type === 'paren') {
    if (top.template === null || is(prev, T.Equals)) return [];
    return (names.templates.get(top.template) ?? []).map((p) => ({
      label: p,
      kind: CompletionItemKind.Variable,
      detail: `parameter of ${top.template ?? ''}`,
      insertText: `${p} = `,
    }));
  }
  if (is(prev, T.Equals, T.PlusEquals)) {
    if (brace?.spec == null || brace.spec === 'env' || !is(prev2, T.Identifier) || prev2 === undefined) return [];
    const type = ownField(brace.spec, prev2.image)?.type.name;
    if (type === 'ref:stage' || type === 'mount-source') return stageItems(names);
    if (type === 'bool') return ['true', 'false'].map((label) => ({ label, kind: CompletionItemKind.Keyword }));
    return [];
  }
  if (is(prev, T.Use)) return templateItems(names);
  if (brace === undefined) {
    // top level: `package NAME in |`, `pass NAME of |`, a layer's `amend|replace package |` (a package below)
    // and `amend stage |`, `amend |`, or a new declaration
    if (is(prev, T.In)) return stageItems(names);
    if (is(prev, T.Of)) return packageItems(names, null, () => true);
    if (is(prev, T.Package) && is(prev2, T.Amend, T.Replace)) return packageItems(names, null, () => true);
    if (is(prev, T.Stage) && is(prev2, T.Amend)) return stageItems(names);
    if (is(prev, T.Amend, T.Replace)) {
      const what = is(prev, T.Amend) ? ['package', 'stage'] : ['package'];
      return what.map((label) => ({ label, kind: CompletionItemKind.Keyword }));
    }
    if (!itemBoundary(before)) return [];
    return ['target', 'stage', 'template', 'package', 'pass', 'layer', 'amend', 'replace'].map((label) => ({
      label,
      kind: CompletionItemKind.Keyword,
    }));
  }
  if (brace.spec === null || brace.spec === 'env' || !itemBoundary(before)) return [];
  return itemCompletions(brace.spec);
}

/** The fields, blocks and steps a body of `spec` may hold. */
function itemCompletions(spec: DeclSpec): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const [key, f] of Object.entries(spec.fields)) {
    out.push({
      label: key,
      kind: CompletionItemKind.Field,
      detail: f.required ? 'required' : undefined,
      documentation: { kind: 'markdown', value: fieldDoc(key, f) },
      insertText: `${key} = `,
    });
  }
  for (const [key, b] of Object.entries(spec.blocks)) {
    out.push({
      label: key,
      kind: CompletionItemKind.Struct,
      documentation: { kind: 'markdown', value: blockDoc(key, b) },
      insertText: b.label ? `${key} "$1" {\n\t$0\n}` : `${key} {\n\t$0\n}`,
      insertTextFormat: InsertTextFormat.Snippet,
    });
  }
  if (spec.steps) {
    for (const step of BUILTIN_STEPS)
      out.push({
        label: step,
        kind: CompletionItemKind.Function,
        detail: 'built-in step',
        insertText: `${step} """\n\t$0\n"""`,
        insertTextFormat: InsertTextFormat.Snippet,
      });
    out.push({ label: 'step', kind: CompletionItemKind.Keyword, detail: 'a custom step: step NAME after STEP' });
  }
  if (spec.use) out.push({ label: 'use', kind: CompletionItemKind.Keyword, detail: 'apply a template' });
  return out;
}

function packageItems(names: Names, stage: string | null, keep: (name: string) => boolean): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const p of names.packages) {
    if ((stage !== null && p.stage !== stage) || seen.has(p.name) || !keep(p.name)) continue;
    seen.add(p.name);
    out.push({
      label: p.name,
      kind: CompletionItemKind.Module,
      detail: `package in ${p.stage}${p.version === null ? '' : ` — ${p.version}`}`,
    });
  }
  return out;
}

function stageItems(names: Names): CompletionItem[] {
  return names.stages.map((s) => ({
    label: s.name,
    kind: CompletionItemKind.Folder,
    detail: s.description || 'stage',
  }));
}

function templateItems(names: Names): CompletionItem[] {
  return [...names.templates].map(([name, params]) => ({
    label: name,
    kind: CompletionItemKind.Function,
    detail: `template (${params.join(', ')})`,
    insertText: `${name}($0)`,
    insertTextFormat: InsertTextFormat.Snippet,
  }));
}

/**
 * The cursor stands where an item (or, at the top level, a declaration) starts: after an opening `{`, after a
 * complete item's last token (a value, `}`, `]`, `)`), or at the start of the file.
 */
function itemBoundary(before: readonly IToken[]): boolean {
  const prev = before[before.length - 1];
  if (prev === undefined) return true;
  if (is(prev, T.LCurly, T.RCurly, T.RBracket, T.RParen, T.StringLit, T.Integer, T.True, T.False, T.Shell)) return true;
  // an identifier value: `after = stage1 |`
  return is(prev, T.Identifier) && is(before[before.length - 2], T.Equals, T.PlusEquals);
}

/** The open brackets before the cursor, outermost first. */
function frames(tokens: readonly IToken[], names: Names): Frame[] {
  const stack: Frame[] = [];
  const pop = (type: Frame['type']) => {
    // a stray closer of the wrong kind is ignored rather than unbalancing everything after it
    if (stack[stack.length - 1]?.type === type) stack.pop();
  };
  tokens.forEach((t, i) => {
    if (is(t, T.LCurly)) stack.push(braceFrame(tokens, i, stack, names));
    else if (is(t, T.RCurly)) {
      // a `}` closes any list or call left open inside its block
      while (stack.length && stack[stack.length - 1].type !== 'brace') stack.pop();
      stack.pop();
    } else if (is(t, T.LBracket)) {
      const key =
        is(tokens[i - 1], T.Equals, T.PlusEquals) && is(tokens[i - 2], T.Identifier) ? tokens[i - 2].image : null;
      stack.push({ type: 'list', key, start: i + 1 });
    } else if (is(t, T.RBracket)) pop('list');
    else if (is(t, T.LParen)) {
      const template = is(tokens[i - 2], T.Use) && is(tokens[i - 1], T.Identifier) ? tokens[i - 1].image : null;
      stack.push({ type: 'paren', template });
    } else if (is(t, T.RParen)) pop('paren');
  });
  return stack;
}

/** What the `{` at `i` opens, from the tokens of its head. */
function braceFrame(tokens: readonly IToken[], i: number, stack: readonly Frame[], names: Names): Frame {
  const parent = [...stack].reverse().find((f) => f.type === 'brace');
  const at = (k: number) => tokens[i - k];
  if (parent === undefined) {
    const unknown: Frame = { type: 'brace', spec: null, stage: null, self: null };
    // a layer's `layer N {`, `amend stage N {`, `amend|replace package N in S {`
    if (is(at(2), T.Layer)) return { type: 'brace', spec: SCHEMA.layer, stage: null, self: at(1).image };
    if (is(at(3), T.Amend) && is(at(2), T.Stage))
      return { type: 'brace', spec: SCHEMA['amend stage'], stage: null, self: at(1).image };
    if (is(at(5), T.Amend, T.Replace) && is(at(4), T.Package) && is(at(2), T.In)) {
      const spec = is(at(5), T.Amend) ? SCHEMA['amend package'] : SCHEMA['replace package'];
      return { type: 'brace', spec, stage: at(1).image, self: at(3).image };
    }
    // `stage N {`, `target N {`
    if (is(at(2), T.Stage)) return { type: 'brace', spec: SCHEMA.stage, stage: null, self: at(1).image };
    if (is(at(2), T.Target)) return { type: 'brace', spec: SCHEMA.target, stage: null, self: at(1).image };
    // `package N in S {`
    if (is(at(4), T.Package) && is(at(2), T.In))
      return { type: 'brace', spec: SCHEMA.package, stage: at(1).image, self: at(3).image };
    // `pass N of P in S {`, `pass N of P {`
    if (is(at(6), T.Pass) && is(at(4), T.Of) && is(at(2), T.In))
      return { type: 'brace', spec: SCHEMA.pass, stage: at(1).image, self: at(5).image };
    if (is(at(4), T.Pass) && is(at(2), T.Of)) {
      const base = names.packages.find((p) => p.name === at(1).image);
      return { type: 'brace', spec: SCHEMA.pass, stage: base?.stage ?? null, self: at(3).image };
    }
    // `template N(…) {`
    if (is(at(1), T.RParen)) {
      let k = i - 1;
      while (k >= 0 && !is(tokens[k], T.LParen)) k--;
      if (is(tokens[k - 2], T.Template))
        return { type: 'brace', spec: SCHEMA.template, stage: null, self: tokens[k - 1]?.image ?? null };
    }
    return unknown;
  }
  // a block: `KEY {` or `KEY "label" {`
  const key = is(at(1), T.Identifier) ? at(1) : is(at(1), T.StringLit) && is(at(2), T.Identifier) ? at(2) : undefined;
  const block =
    key === undefined || parent.spec === null || parent.spec === 'env' ? undefined : ownBlock(parent.spec, key.image);
  return { type: 'brace', spec: block?.spec ?? null, stage: parent.stage, self: parent.self };
}

/** Whether `offset` is inside a `#` comment: a `#` earlier on its line, outside a string. */
function inComment(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let quoted = false;
  for (let i = start; i < offset; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return true;
  }
  return false;
}
