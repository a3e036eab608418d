// One effective description per package: a pass starts from its package's, then each `use` binds template
// parameters and applies the template body, then the package's own body applies on top.
import type {
  ChangeDecl,
  Loc,
  PackageDecl,
  PassDecl,
  StepItem,
  TemplateDecl,
  UseItem,
  Value,
} from '../../grammar/syntax.js';
import { NOTES } from '../diagnostics/catalogue.js';
import type { Sink } from '../diagnostics/diagnostic.js';
import { didYouMean, suggestion } from '../diagnostics/suggest.js';
import {
  GIT,
  PACKAGE,
  PARAM_TYPES,
  PROVIDES,
  SOURCE,
  isParamType,
  type FieldSpec,
  type Named,
  type ParamTypeName,
} from '../schema.js';
import { reservedVar } from '../plan/values.js';
import { bug } from '../util.js';
import type { Body, BodyBlock } from './body.js';
import type { BoundParam, ParamValue, RParam, RPackage, RPath, RSource, RTemplate } from './model.js';

/** A package while bodies are applied to it; resolve() hands it on as a read-only RPackage. */
export interface PackageDraft {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  readonly decl: PackageDecl | PassDecl | ChangeDecl;
  readonly file: string;
  readonly passOf: string | null;
  layers: readonly string[];
  version: RPackage['version'];
  sources: readonly RSource[];
  patches: readonly RPath[];
  files: readonly RPath[];
  depends: readonly Named[];
  weight: number | null;
  provides: { commands: readonly Named[]; libraries: readonly Named[] };
  readonly params: Map<string, BoundParam>;
  readonly unbound: Set<string>;
  readonly steps: Map<string, StepItem>;
  /** Fields written by any applied body, even with a wrong value: those are not also reported missing. */
  readonly written: Set<FieldSpec>;
  incomplete: boolean;
}

export function emptyPackage(
  decl: PackageDecl | PassDecl | ChangeDecl,
  stage: string,
  passOf: string | null,
): PackageDraft {
  return {
    id: `${stage}/${decl.name.name}`,
    name: decl.name.name,
    stage,
    decl,
    file: decl.loc.file,
    passOf,
    layers: [],
    version: null,
    sources: [],
    patches: [],
    files: [],
    depends: [],
    weight: null,
    provides: { commands: [], libraries: [] },
    params: new Map(),
    unbound: new Set(),
    steps: new Map(),
    written: new Set(),
    incomplete: false,
  };
}

/** A pass (and a layer's amendment, keeping `passOf`) starts as a copy of its package's effective description. */
export function inherit(base: RPackage, decl: PassDecl | ChangeDecl, passOf: string | null = base.name): PackageDraft {
  const pkg = emptyPackage(decl, base.stage, passOf);
  pkg.version = base.version;
  pkg.sources = [...base.sources];
  pkg.patches = [...base.patches];
  pkg.files = [...base.files];
  pkg.depends = [...base.depends];
  pkg.weight = base.weight;
  pkg.provides = { commands: [...base.provides.commands], libraries: [...base.provides.libraries] };
  for (const [k, v] of base.params) pkg.params.set(k, v);
  for (const k of base.unbound) pkg.unbound.add(k);
  for (const [k, v] of base.steps) pkg.steps.set(k, v);
  pkg.incomplete = base.incomplete;
  pkg.layers = base.layers;
  return pkg;
}

/** A value of a parameter's declared type, or undefined when it has another type. */
export function bindParam(type: ParamTypeName, v: Value): ParamValue | undefined {
  if (!PARAM_TYPES[type].matches(v)) return undefined;
  switch (type) {
    case 'string': {
      const value = PARAM_TYPES.string.decode(v);
      return value === undefined ? undefined : { type, value };
    }
    case 'int': {
      const value = PARAM_TYPES.int.decode(v);
      return value === undefined ? undefined : { type, value };
    }
    case 'bool': {
      const value = PARAM_TYPES.bool.decode(v);
      return value === undefined ? undefined : { type, value };
    }
    case 'list': {
      const value = PARAM_TYPES.list.decode(v);
      return value === undefined ? undefined : { type, value };
    }
  }
}

/** What a bound value is, to tell two bindings apart (places aside). */
function paramKey(p: ParamValue): string {
  if (p.type === 'string') return `s:${p.value.value}`;
  if (p.type === 'list') return `l:${JSON.stringify(p.value.map((v) => v.value))}`;
  return `${p.type}:${String(p.value)}`;
}

/** A template's declared parameters: each named once, of a known type, with a default of that type. */
export function readParams(decl: TemplateDecl, stages: readonly string[], sink: Sink): Map<string, RParam> {
  const params = new Map<string, RParam>();
  for (const p of decl.params) {
    const name = p.name.name;
    // reported, and kept: its arguments and its uses in the body are not also wrong
    checkParamName(decl.name.name, name, p.name.loc, stages, sink);
    const prev = params.get(name);
    if (prev) {
      sink.error('duplicate-definition', p.name.loc, { kind: 'param', param: name }, [NOTES.firstDefined(prev.loc)]);
      continue;
    }
    // a parameter whose declaration is wrong is kept, broken: its arguments and uses are not also errors
    const broken = { name, type: 'string', default: null, loc: p.name.loc, broken: true } as const;
    const type = p.type.name;
    if (!isParamType(type)) {
      const known = Object.keys(PARAM_TYPES);
      sink.error('wrong-type', p.type.loc, { kind: 'param-type', type, known }, suggestion(type, known));
      params.set(name, broken);
      continue;
    }
    let def: BoundParam | null = null;
    if (p.default) {
      const bound = bindParam(type, p.default);
      if (!bound) {
        sink.error('wrong-type', p.default.loc, {
          kind: 'param-default',
          param: name,
          expected: PARAM_TYPES[type].name,
          found: p.default.kind,
        });
        params.set(name, broken);
        continue;
      }
      def = { ...bound, loc: p.default.loc };
    }
    params.set(name, { name, type, default: def, loc: p.name.loc });
  }
  return params;
}

/** A parameter becomes a shell variable in every step: a shell name that replaces no other variable. */
function checkParamName(template: string, param: string, loc: Loc, stages: readonly string[], sink: Sink): void {
  const why = reservedVar(param, stages, true);
  if (why === null) return;
  const word = (s: string) => s.replace(/[^A-Za-z0-9_]+/g, '_');
  const better = why === 'shell-name' ? word(param) : `${word(template)}_${param.toLowerCase()}`;
  const notes = reservedVar(better, stages, true) === null ? [NOTES.renameParam(better)] : [];
  if (why === 'shell-name') sink.error('bad-name', loc, { kind: 'param-shell-name', param }, notes);
  else sink.error('bad-name', loc, { kind: 'param-reserved', param, what: why }, notes);
}

/** Applies `use` items in order: template parameters are bound, then the template body is applied. */
export function applyUses(
  pkg: PackageDraft,
  uses: readonly UseItem[],
  templates: ReadonlyMap<string, RTemplate>,
  sink: Sink,
): void {
  /**
   * Parameters are variables of the whole package script: a name two `use`s bind to different values has the last
   * one's value in every step, the first template's included. Only within one declaration: a pass's `use`
   * re-binding its package's parameters is what a pass is for.
   */
  const boundHere = new Map<string, { template: string; key: string; loc: Loc }>();
  const bind = (template: string, name: string, value: BoundParam, at: Loc) => {
    const key = paramKey(value);
    const first = boundHere.get(name);
    if (first && first.key !== key)
      sink.error('duplicate-definition', at, { kind: 'param-use', param: name, first: first.template, template }, [
        NOTES.firstBound(first.template, first.loc),
      ]);
    else if (!first) boundHere.set(name, { template, key, loc: at });
    pkg.params.set(name, value);
    pkg.unbound.delete(name);
  };
  for (const use of uses) {
    const t = templates.get(use.template.name);
    if (!t) {
      pkg.incomplete = true;
      sink.error(
        'undefined-template',
        use.template.loc,
        { template: use.template.name },
        suggestion(use.template.name, templates.keys()),
      );
      continue;
    }
    const given = new Set<string>();
    /** parameters an unknown argument was probably meant for: that error covers their absence too */
    const meant = new Set<string>();
    for (const arg of use.args) {
      const p = t.params.get(arg.key.name);
      if (!p) {
        const close = didYouMean(arg.key.name, t.params.keys());
        if (close !== null) meant.add(close);
        sink.error(
          'unknown-field',
          arg.key.loc,
          { kind: 'no-param', template: t.name, param: arg.key.name },
          close !== null ? [NOTES.didYouMean(close)] : [],
        );
        continue;
      }
      if (given.has(p.name)) {
        sink.error('duplicate-definition', arg.key.loc, { kind: 'argument', param: p.name });
        continue;
      }
      given.add(p.name);
      if (p.broken) {
        pkg.unbound.add(p.name);
        continue;
      }
      const bound = bindParam(p.type, arg.value);
      if (!bound) {
        pkg.unbound.add(p.name);
        const expected = PARAM_TYPES[p.type].name;
        sink.error('wrong-type', arg.value.loc, {
          kind: 'argument',
          param: p.name,
          template: t.name,
          expected,
          found: arg.value.kind,
        });
        continue;
      }
      bind(t.name, p.name, { ...bound, loc: arg.value.loc }, arg.key.loc);
    }
    for (const p of t.params.values()) {
      if (given.has(p.name)) continue;
      if (p.broken) {
        pkg.unbound.add(p.name);
        continue;
      }
      if (p.default) {
        bind(t.name, p.name, p.default, use.template.loc);
        continue;
      }
      pkg.unbound.add(p.name);
      if (meant.has(p.name)) continue;
      sink.error(
        'missing-field',
        use.template.loc,
        { kind: 'argument', template: t.name, param: p.name, type: PARAM_TYPES[p.type].name },
        [NOTES.paramDeclared(p.loc)],
      );
    }
    applyBody(pkg, t.body);
  }
}

/** `=` replaces what the package had, `+=` appends to it. */
function merged<T>(op: '=' | '+=' | undefined, had: readonly T[], value: readonly T[]): readonly T[] {
  return op === '+=' ? [...had, ...value] : value;
}

const toPath = (s: { readonly value: string; readonly loc: Loc }): RPath => ({ path: s.value, loc: s.loc });

/** Applies one body on top of the package: `=` replaces, `+=` appends, blocks and steps replace. */
export function applyBody(pkg: PackageDraft, body: Body): void {
  for (const spec of body.present) pkg.written.add(spec);
  const f = PACKAGE.fields;
  const version = body.get(f.version);
  if (version !== undefined) pkg.version = version;
  const patches = body.get(f.patches);
  if (patches !== undefined) pkg.patches = merged(body.entry(f.patches)?.op, pkg.patches, patches.map(toPath));
  const files = body.get(f.files);
  if (files !== undefined) pkg.files = merged(body.entry(f.files)?.op, pkg.files, files.map(toPath));
  const depends = body.get(f.depends);
  if (depends !== undefined) pkg.depends = merged(body.entry(f.depends)?.op, pkg.depends, depends);
  const weight = body.get(f.weight);
  if (weight !== undefined) pkg.weight = weight;

  const sources = body.blocks(PACKAGE.blocks.source);
  const gits = body.blocks(PACKAGE.blocks.git);
  if (sources.length || gits.length) {
    // A body that declares sources replaces the inherited ones; order: declaration order.
    pkg.sources = [...sources.map(urlSource), ...gits.map(gitSource)].sort((a, b) => a.loc.offset - b.loc.offset);
  }
  const provides = body.blocks(PACKAGE.blocks.provides)[0];
  if (provides) {
    const p = PROVIDES.fields;
    const commands = provides.body.get(p.commands);
    if (commands !== undefined)
      pkg.provides.commands = merged(provides.body.entry(p.commands)?.op, pkg.provides.commands, commands);
    const libraries = provides.body.get(p.libraries);
    if (libraries !== undefined)
      pkg.provides.libraries = merged(provides.body.entry(p.libraries)?.op, pkg.provides.libraries, libraries);
  }
  for (const step of body.steps) pkg.steps.set(step.name.name, step);
}

function urlSource(s: BodyBlock): RSource {
  const f = SOURCE.fields;
  return {
    kind: 'url',
    url: s.label ?? labelMissing(),
    sha256: s.body.get(f.sha256) ?? null,
    commit: null,
    strip: s.body.plainOr(f.strip),
    paths: s.body.get(f.paths) ?? [],
    insecure: s.body.plainOr(f.insecure),
    loc: s.node.loc,
    substitute: null,
  };
}

function gitSource(s: BodyBlock): RSource {
  const f = GIT.fields;
  return {
    kind: 'git',
    url: s.label ?? labelMissing(),
    sha256: s.body.get(f.sha256) ?? null,
    commit: s.body.get(f.commit) ?? null,
    strip: s.body.plainOr(f.strip),
    paths: [],
    insecure: s.body.plainOr(f.insecure),
    loc: s.node.loc,
    substitute: null,
  };
}

function labelMissing(): never {
  throw bug('a source block was kept without its label');
}
