// Checks the items of one declaration body against its schema entry and keeps what is well-typed. A body is
// read with the schema's own field specs as keys, so each value comes back with the type its field declares.
import type { Block, Field, Item, Loc, StepItem, StringLit, UseItem, Value } from '../../grammar/syntax.js';
import { NOTES, type Owner } from '../diagnostics/catalogue.js';
import type { Sink } from '../diagnostics/diagnostic.js';
import { didYouMean, suggestion } from '../diagnostics/suggest.js';
import {
  BUILTIN_STEPS,
  ownBlock,
  ownField,
  type BlockSpec,
  type DeclSpec,
  type FieldSpec,
  type FieldType,
} from '../schema.js';
import type { REnvVar } from './model.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A field as written: `=` or `+=` (the first write's), its first item, and its value (appends merged). */
export interface FieldEntry {
  readonly op: '=' | '+=';
  readonly node: Field;
  readonly value: Value;
}

/** A nested block: a body of its own, or the variables of an `env` block. */
export type BlockEntry =
  | { readonly kind: 'body'; readonly label: StringLit | null; readonly node: Block; readonly body: Body }
  | { readonly kind: 'env'; readonly node: Block; readonly vars: readonly REnvVar[] };
export type BodyBlock = Extract<BlockEntry, { readonly kind: 'body' }>;

/** The well-typed items of one body; wrong ones were reported and left out. */
export class Body {
  readonly steps: StepItem[] = [];
  readonly uses: UseItem[] = [];
  /** Fields written at all, even with a wrong value: a wrong value is one error, not also a missing field. */
  readonly present = new Set<FieldSpec>();
  readonly #fields = new Map<FieldSpec, FieldEntry>();
  readonly #blocks = new Map<BlockSpec, BlockEntry[]>();

  entry(spec: FieldSpec): FieldEntry | undefined {
    return this.#fields.get(spec);
  }

  /** The field's typed value; undefined when it is not written (or was wrong). */
  get<V, P>(spec: FieldSpec<V, P>): V | undefined {
    const e = this.#fields.get(spec);
    return e === undefined ? undefined : spec.type.decode(e.value);
  }

  /** The field's plain value (a string's text, a name's name). */
  plain<V, P>(spec: FieldSpec<V, P>): P | undefined {
    const v = this.get(spec);
    return v === undefined ? undefined : spec.type.plain(v);
  }

  /** The field's plain value, or the schema's default when it is not written. */
  plainOr<V, P, D>(spec: FieldSpec<V, P> & { readonly default: D }): P | D {
    const v = this.plain(spec);
    return v === undefined ? spec.default : v;
  }

  /** The blocks of a body-holding kind, in the order written. */
  blocks(spec: BlockSpec): readonly BodyBlock[] {
    return (this.#blocks.get(spec) ?? []).flatMap((b) => (b.kind === 'body' ? [b] : []));
  }

  /** The variables of an `env` block, if the body has one. */
  env(spec: BlockSpec): readonly REnvVar[] | undefined {
    const b = this.#blocks.get(spec)?.[0];
    return b?.kind === 'env' ? b.vars : undefined;
  }

  setField(spec: FieldSpec, entry: FieldEntry): void {
    this.#fields.set(spec, entry);
  }

  firstBlock(spec: BlockSpec): BlockEntry | undefined {
    return this.#blocks.get(spec)?.[0];
  }

  addBlock(spec: BlockSpec, entry: BlockEntry): void {
    const list = this.#blocks.get(spec) ?? [];
    list.push(entry);
    this.#blocks.set(spec, list);
  }
}

/**
 * Type-checks one declaration body against its spec.
 * @param owner what the body belongs to, for messages
 * @param requiredAt where to report missing required fields; null: the caller checks them
 */
export function readBody(
  items: readonly Item[],
  spec: DeclSpec,
  sink: Sink,
  owner: Owner,
  requiredAt: Loc | null,
): Body {
  const body = new Body();
  const known = [...Object.keys(spec.fields), ...Object.keys(spec.blocks), ...(spec.steps ? BUILTIN_STEPS : [])];
  const stepSeen = new Map<string, Loc>();
  for (const item of items) {
    switch (item.kind) {
      case 'Field':
        readField(body, item, spec, sink, owner, known);
        break;
      case 'Block':
        readBlock(body, item, spec, sink, owner, known);
        break;
      case 'Step': {
        const name = item.name.name;
        if (!spec.steps) {
          sink.error('unknown-field', item.name.loc, { kind: 'no-steps', step: name, owner }, suggestion(name, known));
          break;
        }
        const builtin = BUILTIN_STEPS.includes(name);
        if (!item.custom && !builtin) {
          sink.error('unknown-field', item.name.loc, { kind: 'not-a-step', step: name }, suggestion(name, known));
          break;
        }
        if (item.custom && builtin) {
          sink.error('bad-name', item.name.loc, { kind: 'builtin-step', step: name });
          break;
        }
        const first = stepSeen.get(name);
        if (first) {
          sink.error('duplicate-definition', item.name.loc, { kind: 'step', key: name, owner }, [
            NOTES.firstDefined(first),
          ]);
          break;
        }
        stepSeen.set(name, item.name.loc);
        body.steps.push(item);
        break;
      }
      case 'Use':
        if (!spec.use) sink.error('unknown-field', item.loc, { kind: 'no-use', owner });
        else body.uses.push(item);
        break;
    }
  }
  if (requiredAt) {
    for (const [key, fs] of Object.entries(spec.fields)) {
      if (fs.required && !body.present.has(fs))
        sink.error('missing-field', requiredAt, { kind: 'field', owner, field: key, doc: fs.doc });
    }
  }
  return body;
}

function readField(body: Body, item: Field, spec: DeclSpec, sink: Sink, owner: Owner, known: readonly string[]): void {
  const key = item.key.name;
  const fs = ownField(spec, key);
  if (!fs) {
    const isBlock = ownBlock(spec, key) !== undefined;
    const meant = isBlock ? null : didYouMean(key, known);
    sink.error(
      'unknown-field',
      item.key.loc,
      { kind: isBlock ? 'field-is-block' : 'no-field', key, owner },
      meant === null ? [] : [NOTES.didYouMean(meant)],
    );
    // a misspelt field is one mistake: the field it meant is not also reported missing
    const meantSpec = meant === null ? undefined : ownField(spec, meant);
    if (meantSpec) body.present.add(meantSpec);
    return;
  }
  const prev = body.entry(fs);
  if (prev && item.op === '=') {
    sink.error('duplicate-definition', item.key.loc, { kind: 'field', key, owner }, [
      NOTES.firstSet(prev.node.key.loc),
    ]);
    return;
  }
  if (item.op === '+=' && fs.type.item === null) {
    sink.error('wrong-type', item.key.loc, { kind: 'append', field: key, type: fs.type.name });
    return;
  }
  body.present.add(fs);
  if (!typeCheck(item.value, fs.type, key, sink)) return;
  if (!fs.interpolated) reportRefs(item.value, key, sink);
  body.setField(
    fs,
    prev
      ? { op: prev.op, node: prev.node, value: appended(prev.value, item.value) }
      : { op: item.op, node: item, value: item.value },
  );
}

/**
 * Reports a value of the wrong type (a list's items one by one) and says whether the field keeps a value: a
 * list keeps its well-typed items, a scalar of the wrong type is dropped.
 */
function typeCheck(v: Value, type: FieldType<unknown, unknown>, field: string, sink: Sink): boolean {
  if (type.item !== null && v.kind === 'List') {
    for (const i of v.items) {
      if (!type.item.matches(i))
        sink.error('wrong-type', i.loc, { kind: 'field', field, item: true, expected: type.item.name, found: i.kind });
    }
    return true;
  }
  if (type.item === null && type.matches(v)) return true;
  sink.error('wrong-type', v.loc, { kind: 'field', field, item: false, expected: type.name, found: v.kind });
  return false;
}

/**
 * A `${name}` where nothing substitutes it would reach the build as those very characters (a `cxxflags` of
 * `${cflags} -fno-rtti`, a `paths` entry that names no directory): an error at each, the value kept.
 */
function reportRefs(v: Value, field: string, sink: Sink): void {
  for (const s of v.kind === 'List' ? v.items : [v]) {
    if (s.kind !== 'String') continue;
    for (const part of s.parts) {
      if ('ref' in part) sink.error('bad-value', part.loc, { kind: 'no-interpolation', field, name: part.ref });
    }
  }
}

/** `+=` onto a list field: one list of both writes' items. */
function appended(prev: Value, next: Value): Value {
  if (prev.kind !== 'List' || next.kind !== 'List') return next;
  return { kind: 'List', items: [...prev.items, ...next.items], loc: prev.loc };
}

function readBlock(body: Body, item: Block, spec: DeclSpec, sink: Sink, owner: Owner, known: readonly string[]): void {
  const key = item.key.name;
  const bs = ownBlock(spec, key);
  if (!bs) {
    const isField = ownField(spec, key) !== undefined;
    sink.error(
      'unknown-field',
      item.key.loc,
      { kind: isField ? 'block-is-field' : 'no-block', key, owner },
      isField ? [] : suggestion(key, known),
    );
    return;
  }
  const first = body.firstBlock(bs);
  if (!bs.repeat && first) {
    sink.error('duplicate-definition', item.key.loc, { kind: 'block', key, owner }, [
      NOTES.firstBlock(first.node.key.loc),
    ]);
    return;
  }
  let label: StringLit | null = null;
  if (bs.label === 'string') {
    if (!item.label || item.label.kind !== 'String') {
      sink.error('wrong-type', item.label?.loc ?? item.key.loc, { kind: 'label-needed', block: key });
      return;
    }
    label = item.label;
  } else if (item.label) {
    sink.error('wrong-type', item.label.loc, { kind: 'no-label', block: key });
    return;
  }
  if (bs.spec === 'env') body.addBlock(bs, { kind: 'env', node: item, vars: readEnv(item.items, sink) });
  else
    body.addBlock(bs, {
      kind: 'body',
      label,
      node: item,
      body: readBody(item.items, bs.spec, sink, { block: key }, item.key.loc),
    });
}

/** An `env` block: `NAME = "value"` items only, each name once. */
function readEnv(items: readonly Item[], sink: Sink): REnvVar[] {
  const vars: REnvVar[] = [];
  const seen = new Map<string, Field>();
  for (const item of items) {
    if (item.kind !== 'Field') {
      sink.error('unknown-field', item.loc, { kind: 'env-item' });
      continue;
    }
    const key = item.key.name;
    if (!ENV_NAME.test(key)) {
      sink.error('bad-name', item.key.loc, { kind: 'env-name', name: key });
      continue;
    }
    const prev = seen.get(key);
    if (prev) {
      sink.error('duplicate-definition', item.key.loc, { kind: 'env', name: key }, [NOTES.firstSet(prev.key.loc)]);
      continue;
    }
    if (item.op !== '=' || item.value.kind !== 'String') {
      sink.error('wrong-type', item.value.loc, { kind: 'env-value', name: key });
      continue;
    }
    seen.set(key, item);
    vars.push({ name: key, value: item.value, loc: item.key.loc });
  }
  return vars;
}
