// Resolves names and checks every item against the schema; merges templates and passes into one effective
// description per package. Reports schema and name errors into the sink and never throws for a user mistake.
import type {
  ChangeDecl,
  Decl,
  FileNode,
  LayerDecl,
  Loc,
  PackageDecl,
  PassDecl,
  StageDecl,
  TargetDecl,
  TemplateDecl,
} from '../../grammar/syntax.js';
import { NOTES } from '../diagnostics/catalogue.js';
import type { Sink } from '../diagnostics/diagnostic.js';
import { suggestion } from '../diagnostics/suggest.js';
import { RESERVED_STAGE_NAMES } from '../emit/layout.js';
import { reservedVar, SHELL_VARS } from '../plan/values.js';
import { CHROOT, DECL_KEYWORDS, LAYER, MOUNT, PACKAGE, PASS, STAGE, TARGET, TEMPLATE } from '../schema.js';
import { bug } from '../util.js';
import { readBody, type Body } from './body.js';
import { applyPackageChanges, applyStageChanges, changeHead, type LayerChange } from './layers.js';
import type { Model, RChroot, RLayer, RMount, RPackage, RStage, RTarget, RTemplate } from './model.js';
import { applyBody, applyUses, emptyPackage, inherit, readParams } from './package.js';

export type * from './model.js';

const STAGE_NAME = /^[a-z][a-z0-9_]*$/;

/** A layer's recipe files and its declaration (load.ts found it and checked there is one). */
export interface LayerFiles {
  readonly decl: LayerDecl;
  readonly files: readonly FileNode[];
}

export interface ResolveOptions {
  readonly target?: string;
  /** The layers built on `files`, bottom first. */
  readonly layers?: readonly LayerFiles[];
}

export function resolve(files: readonly FileNode[], sink: Sink, opts: ResolveOptions = {}): Model {
  // 1. Collect declarations by kind; duplicates point at the first definition. A layer's own declarations
  // join the base's (a layer may add packages); its changes are applied below, layer by layer.
  const seen = new Map<string, Decl>();
  const targetDecls: TargetDecl[] = [];
  const stageDecls: StageDecl[] = [];
  const templateDecls: TemplateDecl[] = [];
  const packageDecls: PackageDecl[] = [];
  const passDecls: PassDecl[] = [];
  const changes: LayerChange[] = [];
  /** declarations a layer added → its name */
  const addedBy = new Map<Decl, string>();
  const layers: RLayer[] = [];
  const sets = [{ layer: null as string | null, files }];
  for (const l of opts.layers ?? []) {
    const name = l.decl.name.name;
    const body = readBody(l.decl.items, LAYER, sink, { decl: 'layer', name }, l.decl.name.loc);
    layers.push({ name, decl: l.decl, description: body.plain(LAYER.fields.description) ?? '' });
    sets.push({ layer: name, files: l.files });
  }
  for (const { layer, files: set } of sets) {
    for (const file of set) {
      for (const decl of file.decls) {
        if (decl.kind === 'Layer') continue; // load.ts placed it (one per layer directory)
        if (isChange(decl)) {
          if (layer === null)
            sink.error('layer-mismatch', decl.name.loc, { kind: 'change-in-base', change: changeHead(decl) });
          else changes.push({ layer, decl });
          continue;
        }
        if (layer !== null) addedBy.set(decl, layer);
        collect(decl);
      }
    }
  }
  function collect(decl: TargetDecl | StageDecl | TemplateDecl | PackageDecl | PassDecl): void {
    const key = declKey(decl);
    const first = seen.get(key);
    if (first) {
      sink.error(
        'duplicate-definition',
        decl.name.loc,
        { kind: 'decl', decl: DECL_KEYWORDS[decl.kind], name: decl.name.name },
        [NOTES.firstDefined(first.name.loc)],
      );
      return;
    }
    seen.set(key, decl);
    if (decl.kind === 'Target') targetDecls.push(decl);
    else if (decl.kind === 'Stage') stageDecls.push(decl);
    else if (decl.kind === 'Template') templateDecls.push(decl);
    else if (decl.kind === 'Package') packageDecls.push(decl);
    else passDecls.push(decl);
  }

  // 2. Targets. With no declaration at all and errors already reported, `no-recipes`, an I/O or a syntax error
  // says what is wrong; without such an error (files of comments only) nothing else would, and generation has
  // no target to generate for.
  const targets = new Map<string, RTarget>();
  for (const decl of targetDecls) targets.set(decl.name.name, readTarget(decl, sink));
  const declared = files.some((f) => f.decls.length > 0) ? 'something' : sink.hasErrors ? 'unsaid' : 'nothing';
  const target = pickTarget(targets, targetDecls, sink, opts.target, declared);

  // 3. Stages; `after` and mounts may name any of them.
  const stages = new Map<string, RStage>();
  /** Whether `ref` names a declared stage; reports `undefined-stage` (with the nearest name) when not. */
  const knownStage = (ref: { readonly name: string; readonly loc: Loc }): boolean => {
    if (stages.has(ref.name)) return true;
    sink.error('undefined-stage', ref.loc, { stage: ref.name }, suggestion(ref.name, stages.keys()));
    return false;
  };
  for (const decl of stageDecls) {
    const stage = readStage(decl, sink);
    stages.set(stage.name, addedBy.has(decl) ? { ...stage, layers: [addedBy.get(decl) ?? ''] } : stage);
  }
  applyStageChanges(changes, stages, (body) => readChroot(body), sink);
  for (const stage of stages.values()) {
    if (stage.after && !knownStage(stage.after)) stages.set(stage.name, { ...stage, after: null });
    for (const e of stage.env) {
      if (reservedVar(e.name, stages.keys(), false) === 'step')
        sink.error('bad-name', e.loc, { kind: 'env-reserved', name: e.name });
      // PATH is the stage's `path` (host) and the chroot's; the others are the shell's own bookkeeping
      else if (SHELL_VARS.includes(e.name) && e.name !== 'SHELL')
        sink.error(
          'bad-name',
          e.loc,
          { kind: 'env-shell', name: e.name },
          e.name === 'PATH' ? [NOTES.pathField()] : [],
        );
    }
    for (const m of stage.chroot?.mounts ?? []) if (m.from.kind === 'stage') knownStage(m.from);
  }

  // 4. Templates. Their fields are checked where they are used: none is required in a template.
  const templates = new Map<string, RTemplate>();
  for (const decl of templateDecls) {
    const params = readParams(decl, [...stages.keys()], sink);
    const body = readBody(decl.items, TEMPLATE, sink, { decl: 'template', name: decl.name.name }, null);
    templates.set(decl.name.name, { name: decl.name.name, decl, params, body });
  }

  // 5. Packages, then passes (a pass inherits its package's effective description).
  const packages = new Map<string, RPackage>();
  const unplaced = new Set<string>();
  for (const decl of packageDecls) {
    if (!knownStage(decl.stage)) {
      unplaced.add(decl.name.name);
      continue;
    }
    const owner = { decl: 'package', name: decl.name.name } as const;
    const body = readBody(decl.items, PACKAGE, sink, owner, null);
    const pkg = emptyPackage(decl, decl.stage.name, null);
    applyUses(pkg, body.uses, templates, sink);
    applyBody(pkg, body);
    const layer = addedBy.get(decl);
    if (layer !== undefined) pkg.layers = [layer];
    // Required fields may come from a template, so they are checked on the merged package.
    for (const [field, spec] of Object.entries(PACKAGE.fields)) {
      if (spec.required && !pkg.written.has(spec) && !pkg.incomplete)
        sink.error('missing-field', decl.name.loc, { kind: 'field', owner, field, doc: spec.doc });
    }
    packages.set(pkg.id, pkg);
  }
  applyPackageChanges(
    changes,
    packages,
    stages,
    templates,
    sink,
    new Map(passDecls.map((d) => [d.name.name, d.of.name])),
  );
  /** package name → its stage, for pass lookup (names unique per stage) */
  const byName = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const pkg of packages.values()) {
    if (byName.has(pkg.name)) ambiguous.add(pkg.name);
    byName.set(pkg.name, pkg.stage);
  }
  for (const decl of passDecls) {
    let baseStage = byName.get(decl.of.name);
    if (decl.stage) {
      if (!knownStage(decl.stage)) {
        unplaced.add(decl.name.name);
        continue;
      }
      baseStage = packages.has(`${decl.stage.name}/${decl.of.name}`) ? decl.stage.name : undefined;
    }
    if (!baseStage) {
      // its base's stage is the one mistake, reported (`pass p of p` is not: p is its own missing base)
      const reported = decl.of.name !== decl.name.name && unplaced.has(decl.of.name);
      unplaced.add(decl.name.name);
      if (reported) continue;
      const data = {
        kind: 'pass-base',
        pass: decl.name.name,
        base: decl.of.name,
        stage: decl.stage?.name ?? null,
      } as const;
      // a pass of a pass (`pass p-3 of p-2`): say what to write rather than guess at a spelling
      const pass = passDecls.find((p) => p.name.name === decl.of.name && p !== decl);
      const notes = pass
        ? [NOTES.passOfPass(decl.name.name, pass.name.name, pass.of.name)]
        : suggestion(decl.of.name, byName.keys());
      sink.error('undefined-package', decl.of.loc, data, notes);
      continue;
    }
    if (!decl.stage && ambiguous.has(decl.of.name)) {
      const inStages = [...packages.values()].filter((p) => p.name === decl.of.name).map((p) => p.stage);
      sink.error('undefined-package', decl.of.loc, { kind: 'ambiguous-base', base: decl.of.name }, [
        NOTES.nameTheStage(decl.name.name, decl.of.name, inStages[inStages.length - 1]),
      ]);
      continue;
    }
    const id = `${baseStage}/${decl.name.name}`;
    const other = packages.get(id);
    if (other) {
      sink.error('duplicate-definition', decl.name.loc, { kind: 'pass-name', name: decl.name.name, stage: baseStage }, [
        NOTES.firstDefined(other.decl.name.loc),
      ]);
      continue;
    }
    const base = packages.get(`${baseStage}/${decl.of.name}`);
    if (!base) throw bug(`pass ${decl.name.name}: its base ${baseStage}/${decl.of.name} was found, then lost`);
    const body = readBody(decl.items, PASS, sink, { decl: 'pass', name: decl.name.name }, null);
    const pkg = inherit(base, decl);
    applyUses(pkg, body.uses, templates, sink);
    applyBody(pkg, body);
    const layer = addedBy.get(decl);
    if (layer !== undefined) pkg.layers = [...pkg.layers.filter((l) => l !== layer), layer];
    packages.set(id, pkg);
  }
  return { targets, stages, templates, packages, target, unplaced, layers };
}

const isChange = (d: Decl): d is ChangeDecl => d.kind === 'Amend' || d.kind === 'Replace';

/** Declarations that may not share a name: packages per stage, everything else globally per kind. */
function declKey(d: Decl): string {
  if (d.kind === 'Package') return `package:${d.stage.name}/${d.name.name}`;
  if (d.kind === 'Pass') return `pass:${d.name.name}`;
  return `${d.kind}:${d.name.name}`;
}

/** `--target`, else the one target marked default; reports a missing or doubled default. */
function pickTarget(
  targets: ReadonlyMap<string, RTarget>,
  decls: readonly TargetDecl[],
  sink: Sink,
  wanted: string | undefined,
  declared: 'something' | 'nothing' | 'unsaid',
): RTarget | null {
  const defaults = decls.filter((d) => targets.get(d.name.name)?.values.default === true);
  if (defaults.length > 1) {
    sink.error(
      'multiple-default-targets',
      defaults[1].name.loc,
      { first: defaults[0].name.name, second: defaults[1].name.name },
      [NOTES.firstDefault(defaults[0].name.loc)],
    );
  }
  if (wanted !== undefined) {
    const t = targets.get(wanted);
    // sort for determinism
    if (!t)
      sink.error(
        'undefined-target',
        null,
        { target: wanted, known: [...targets.keys()].sort() },
        suggestion(wanted, targets.keys()),
      );
    return t ?? null;
  }
  if (defaults.length === 0) {
    if (decls.length > 0 || declared !== 'unsaid') {
      sink.error(
        'no-default-target',
        decls[0]?.name.loc ?? null,
        { kind: decls.length ? 'none-marked' : 'none-defined' },
        declared === 'nothing' ? [NOTES.nothingDeclared()] : [],
      );
    }
    return null;
  }
  return targets.get(defaults[0].name.name) ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Targets and stages: plain target values; stage path, env and chroot. Names that refer to other stages
// are checked by resolve() once every stage is known.
// ---------------------------------------------------------------------------------------------------------

function readTarget(decl: TargetDecl, sink: Sink): RTarget {
  const body = readBody(decl.items, TARGET, sink, { decl: 'target', name: decl.name.name }, decl.name.loc);
  const f = TARGET.fields;
  return {
    name: decl.name.name,
    decl,
    values: {
      default: body.plainOr(f.default),
      triplet: body.plain(f.triplet) ?? null,
      arch: body.plain(f.arch) ?? null,
      llvm_backend: body.plain(f.llvm_backend) ?? null,
      cflags: body.plainOr(f.cflags),
      cxxflags: body.plainOr(f.cxxflags),
      ldflags: body.plainOr(f.ldflags),
      qemu: body.plainOr(f.qemu),
    },
  };
}

function readStage(decl: StageDecl, sink: Sink): RStage {
  const name = decl.name.name;
  if (!STAGE_NAME.test(name)) {
    sink.error('bad-name', decl.name.loc, { kind: 'stage-pattern', stage: name });
  } else if (RESERVED_STAGE_NAMES.has(name)) {
    sink.error('bad-name', decl.name.loc, { kind: 'stage-reserved', stage: name });
  }
  const body = readBody(decl.items, STAGE, sink, { decl: 'stage', name }, decl.name.loc);
  const description = body.get(STAGE.fields.description);
  // one line of `make help`; a NUL byte is the grammar's error already
  // eslint-disable-next-line no-control-regex
  if (description && /[\x01-\x08\x0a-\x1f\x7f]/.test(description.value))
    sink.error('bad-value', description.loc, { kind: 'description' });
  const chroot = readChroot(body);
  return {
    name,
    decl,
    after: body.get(STAGE.fields.after) ?? null,
    path: body.get(STAGE.fields.path) ?? [],
    env: body.env(STAGE.blocks.env) ?? [],
    chroot,
    description: description?.value ?? STAGE.fields.description.default,
    layers: [],
  };
}

/** A stage body's `chroot` block, or null. */
function readChroot(body: Body): RChroot | null {
  const ch = body.blocks(STAGE.blocks.chroot)[0];
  if (!ch) return null;
  const c = ch.body;
  const mounts: RMount[] = [];
  for (const m of c.blocks(CHROOT.blocks.mount)) {
    const from = m.body.get(MOUNT.fields.from);
    if (!from || !m.label) continue;
    mounts.push({
      target: m.label.value,
      targetLoc: m.label.loc,
      from,
      readonly: m.body.plainOr(MOUNT.fields.readonly),
    });
  }
  const workdir = c.get(CHROOT.fields.workdir);
  const pseudo = c.get(CHROOT.fields.pseudo);
  return {
    // a missing shell is reported; this stand-in only keeps later checks from piling up
    shell: c.plain(CHROOT.fields.shell) ?? '/bin/sh',
    shellLoc: c.get(CHROOT.fields.shell)?.loc ?? ch.node.key.loc,
    path: c.plain(CHROOT.fields.path) ?? [],
    pathEntries: (c.get(CHROOT.fields.path) ?? []).map((s) => ({ path: s.value, loc: s.loc })),
    workdir: c.plainOr(CHROOT.fields.workdir),
    pseudo: c.plainOr(CHROOT.fields.pseudo),
    points: [
      ...(workdir ? [{ path: workdir.value, loc: workdir.loc, what: 'workdir' as const }] : []),
      ...(pseudo ?? []).map((s) => ({ path: s.value, loc: s.loc, what: 'pseudo' as const })),
    ],
    mounts,
    loc: ch.node.key.loc,
  };
}
