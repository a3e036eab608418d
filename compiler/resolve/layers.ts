// Applies each layer's changes to the model below it, in layer order: `amend stage`, then `amend package` and
// `replace package` (before passes are resolved, so a pass rebuilds the changed package). Every change names
// something that exists below (else a did-you-mean), is written once per layer, and keeps every dependency of
// the package below unless a `drop { depends = […] reason = "…" }` removes it.
import type { ChangeDecl, Loc } from '../../grammar/syntax.js';
import { NOTES } from '../diagnostics/catalogue.js';
import type { Sink } from '../diagnostics/diagnostic.js';
import { suggestion } from '../diagnostics/suggest.js';
import {
  AMEND_PACKAGE,
  AMEND_STAGE,
  DROP,
  PACKAGE,
  REPLACE_PACKAGE,
  STAGE,
  SUBSTITUTE,
  type BlockSpec,
} from '../schema.js';
import { readBody, type Body } from './body.js';
import type { RPackage, RPath, RStage, RSubstitute, RTemplate } from './model.js';
import { applyBody, applyUses, emptyPackage, inherit, type PackageDraft } from './package.js';

/** A change declaration and the layer that wrote it. */
export interface LayerChange {
  readonly layer: string;
  readonly decl: ChangeDecl;
}

/** How a change's head reads in messages: `amend package llvm in stage1`. */
export function changeHead(d: ChangeDecl): string {
  const verb = d.kind === 'Amend' ? 'amend' : 'replace';
  return d.stage ? `${verb} package ${d.name.name} in ${d.stage.name}` : `${verb} stage ${d.name.name}`;
}

/** Reports a second change of the same thing in one layer; true when `c` is the first. */
function firstInLayer(c: LayerChange, seen: Map<string, Loc>, sink: Sink): boolean {
  const key = `${c.layer}\0${c.decl.subject}\0${c.decl.stage?.name ?? ''}\0${c.decl.name.name}`;
  const first = seen.get(key);
  if (first) {
    sink.error(
      'duplicate-definition',
      c.decl.name.loc,
      { kind: 'change', change: changeHead(c.decl), layer: c.layer },
      [NOTES.firstDefined(first)],
    );
    return false;
  }
  seen.set(key, c.decl.name.loc);
  return true;
}

/**
 * `amend stage NAME { … }`: fields given replace those below (`path +=` extends), `env` entries replace the
 * variable of that name or add one, a `chroot` block replaces the one below. `readChroot` reads a chroot block
 * as readStage does.
 */
export function applyStageChanges(
  changes: readonly LayerChange[],
  stages: Map<string, RStage>,
  readChroot: (body: Body) => RStage['chroot'],
  sink: Sink,
): void {
  const seen = new Map<string, Loc>();
  for (const c of changes) {
    if (c.decl.subject !== 'stage') continue;
    if (!firstInLayer(c, seen, sink)) continue;
    const name = c.decl.name.name;
    const below = stages.get(name);
    if (!below) {
      sink.error('undefined-stage', c.decl.name.loc, { stage: name }, suggestion(name, stages.keys()));
      continue;
    }
    const body = readBody(c.decl.items, AMEND_STAGE, sink, { decl: 'stage', name }, null);
    const f = STAGE.fields;
    const after = body.get(f.after);
    const path = body.get(f.path);
    const description = body.get(f.description);
    const envGiven = body.env(STAGE.blocks.env);
    let env = below.env;
    if (envGiven) {
      const names = new Set(envGiven.map((e) => e.name));
      env = [...below.env.filter((e) => !names.has(e.name)), ...envGiven];
    }
    const chrootBlock = body.firstBlock(STAGE.blocks.chroot);
    stages.set(name, {
      ...below,
      after: after ?? below.after,
      path: path === undefined ? below.path : body.entry(f.path)?.op === '+=' ? [...below.path, ...path] : path,
      description: description?.value ?? below.description,
      env,
      chroot: chrootBlock ? readChroot(body) : below.chroot,
      layers: [...below.layers, c.layer],
    });
  }
}

/**
 * `amend package` and `replace package`, layer by layer. `packages` holds the packages (no passes yet) and is
 * updated in place; a package added by a layer's own `package` declaration can be amended by a later layer.
 */
export function applyPackageChanges(
  changes: readonly LayerChange[],
  packages: Map<string, RPackage>,
  stages: ReadonlyMap<string, RStage>,
  templates: ReadonlyMap<string, RTemplate>,
  sink: Sink,
  /** pass name → the package it rebuilds, as written */
  passes: ReadonlyMap<string, string> = new Map(),
): void {
  const seen = new Map<string, Loc>();
  for (const c of changes) {
    const d = c.decl;
    if (d.subject !== 'package' || !d.stage) continue;
    if (!firstInLayer(c, seen, sink)) continue;
    const stage = d.stage.name;
    if (!stages.has(stage)) {
      sink.error('undefined-stage', d.stage.loc, { stage }, suggestion(stage, stages.keys()));
      continue;
    }
    const id = `${stage}/${d.name.name}`;
    const below = packages.get(id);
    if (!below) {
      const names = [...packages.values()].filter((p) => p.stage === stage).map((p) => p.name);
      sink.error(
        'undefined-package',
        d.name.loc,
        { kind: 'dependency', name: d.name.name, stage },
        passes.has(d.name.name)
          ? [NOTES.changePass(d.name.name, passes.get(d.name.name) ?? '')]
          : suggestion(d.name.name, names),
      );
      continue;
    }
    const owner = { decl: 'package', name: d.name.name } as const;
    const replace = d.kind === 'Replace';
    const body = readBody(d.items, replace ? REPLACE_PACKAGE : AMEND_PACKAGE, sink, owner, null);
    // an amendment starts from the package below, as a pass does; a replacement from nothing
    const pkg: PackageDraft = replace ? emptyPackage(d, stage, below.passOf) : inherit(below, d, below.passOf);
    applyUses(pkg, body.uses, templates, sink);
    const before = { patches: pkg.patches, files: pkg.files };
    applyBody(pkg, body);
    pkg.patches = fromLayer(pkg.patches, before.patches, below.file, d.loc.file);
    pkg.files = fromLayer(pkg.files, before.files, below.file, d.loc.file);
    if (replace) {
      for (const [field, spec] of Object.entries(PACKAGE.fields)) {
        if (spec.required && !pkg.written.has(spec) && !pkg.incomplete)
          sink.error('missing-field', d.name.loc, { kind: 'field', owner, field, doc: spec.doc });
      }
    }
    const dropped = applyDrops(pkg, below, body, AMEND_PACKAGE.blocks.drop, sink);
    keepDependencies(c.layer, below, pkg, dropped, body, d, sink);
    if (!replace) applySubstitutes(pkg, body, c.layer, sink);
    pkg.layers = [...below.layers, c.layer];
    packages.set(id, pkg);
  }
}

/**
 * The changed package's recipe is the layer's: paths it inherited stay relative to the recipe below (`had`, from
 * `belowFile`), paths the layer wrote are relative to the layer's recipe.
 */
function fromLayer(
  paths: readonly RPath[],
  had: readonly RPath[],
  belowFile: string,
  recipe: string,
): readonly RPath[] {
  const old = new Set(had);
  return paths.map((p) => (old.has(p) ? { ...p, from: p.from ?? belowFile } : { ...p, from: recipe }));
}

/**
 * Removes the dependencies `drop` blocks name (a replacement starts without any: its drops name those of the
 * package below it left out on purpose); returns them. A name that was no dependency below is reported.
 */
function applyDrops(pkg: PackageDraft, below: RPackage, body: Body, spec: BlockSpec, sink: Sink): Set<string> {
  const dropped = new Set<string>();
  for (const block of body.blocks(spec)) {
    for (const dep of block.body.get(DROP.fields.depends) ?? []) {
      if (!below.depends.some((x) => x.name === dep.name)) {
        const names = below.depends.map((x) => x.name);
        sink.error(
          'undefined-package',
          dep.loc,
          { kind: 'drop', name: dep.name, pkg: pkg.id },
          suggestion(dep.name, names),
        );
        continue;
      }
      dropped.add(dep.name);
    }
  }
  pkg.depends = pkg.depends.filter((x) => !dropped.has(x.name));
  return dropped;
}

/** Every dependency of the package below is still one, or dropped on purpose. */
function keepDependencies(
  layer: string,
  below: RPackage,
  pkg: PackageDraft,
  dropped: ReadonlySet<string>,
  body: Body,
  decl: ChangeDecl,
  sink: Sink,
): void {
  const now = new Set(pkg.depends.map((x) => x.name));
  const at = body.entry(PACKAGE.fields.depends)?.node.loc ?? decl.name.loc;
  for (const dep of below.depends) {
    if (now.has(dep.name) || dropped.has(dep.name)) continue;
    sink.error('dropped-dependency', at, { layer, pkg: pkg.id, dep: dep.name }, [NOTES.dropWithReason(dep.name)]);
  }
}

/** `substitute "<url as written>" { by sha256 reason }`: the source with that URL gets another file. */
function applySubstitutes(pkg: PackageDraft, body: Body, layer: string, sink: Sink): void {
  const f = SUBSTITUTE.fields;
  for (const block of body.blocks(AMEND_PACKAGE.blocks.substitute)) {
    const label = block.label;
    const by = block.body.get(f.by);
    const reason = block.body.plain(f.reason);
    if (!label || !by || reason === undefined) continue; // reported by readBody
    const i = pkg.sources.findIndex((s) => s.url.value === label.value);
    if (i < 0) {
      sink.error(
        'undefined-source',
        label.loc,
        { pkg: pkg.id, url: label.value },
        suggestion(
          label.value,
          pkg.sources.map((s) => s.url.value),
        ),
      );
      continue;
    }
    const substitute: RSubstitute = {
      by,
      sha256: block.body.get(f.sha256) ?? null,
      reason,
      strip: block.body.plain(f.strip) ?? null,
      insecure: block.body.plainOr(f.insecure),
      layer,
      loc: block.node.loc,
    };
    pkg.sources = pkg.sources.map((s, j) => (j === i ? { ...s, substitute } : s));
  }
}
