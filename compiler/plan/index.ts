// Planning: every decision about a resolved model is made once per compile, valid model or not (decide): build
// order, static values, each package's step sequence and sources, what packages provide. Check reports what is
// wrong with those decisions (a cycle, an anchor that fell back, two sources under one cache name); plan()
// writes them into the build graph when nothing is: plain, sorted, deep-frozen data the emitter reads alone.
import type { Loc } from '../../grammar/syntax.js';
import { shellInfo, type ShellFacts } from '../bodies.js';
import {
  deepFreeze,
  type BuildGraph,
  type GLoc,
  type GPackage,
  type GStage,
  type GStep,
  type GTarget,
  type Placement,
} from '../graph.js';
import { stageRoot } from '../emit/layout.js';
import type { Model, RPackage, RStage, RTarget } from '../resolve/index.js';
import { PACKAGE, PREP_STEPS } from '../schema.js';
import { SHELL_BUILTINS } from '../shell/index.js';
import { bug, byKey } from '../util.js';
import {
  packageDeps,
  packageOrder,
  stageOrder,
  stepSequence,
  type MissingAnchor,
  type PlannedStep,
  type StageCycle,
} from './order.js';
import {
  graphSource,
  mountSourcePath,
  interpolate,
  packageStatics,
  planSource,
  prefixedCacheName,
  stageRoots,
  stageRuntime,
  stagesPath,
  targetStatics,
  type Interpolated,
  type PackageStatics,
  type PlannedSource,
} from './values.js';

export interface StagePlan {
  readonly stage: RStage;
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: Interpolated }>;
  readonly path: readonly Interpolated[];
}

export interface PackagePlan {
  readonly pkg: RPackage;
  readonly stage: RStage;
  /** Dependency ids, sorted (see packageDeps). */
  readonly deps: readonly string[];
  readonly statics: PackageStatics;
  readonly sources: readonly PlannedSource[];
  readonly steps: readonly PlannedStep[];
  readonly missingAnchors: readonly MissingAnchor[];
}

export interface Decisions {
  /** Every stage, each after the stage it names; `stageCycles` is what kept that from holding. */
  readonly stageOrder: readonly RStage[];
  readonly stageCycles: readonly StageCycle[];
  /** By stage name, in model order. */
  readonly stages: ReadonlyMap<string, StagePlan>;
  /** stage → package ids in build order; `stuck`: the packages a dependency cycle kept out, sorted. */
  readonly packageOrder: ReadonlyMap<string, readonly string[]>;
  readonly stuck: readonly string[];
  readonly deps: ReadonlyMap<string, readonly string[]>;
  /** By package id, in model order. */
  readonly packages: ReadonlyMap<string, PackagePlan>;
  readonly tools: ToolIndex;
  /** `<stage>_root` for every stage. */
  readonly roots: readonly string[];
}

export function decide(model: Model): Decisions {
  const targetVals = targetStatics(model.target);
  // Stage env and path: target values are substituted, runtime variables stay references.
  const runtime = stageRuntime(model);
  const stages = new Map<string, StagePlan>();
  for (const stage of model.stages.values()) {
    stages.set(stage.name, {
      stage,
      env: stage.env.map((e) => ({ name: e.name, value: interpolate(e.value, targetVals, runtime) })),
      path: stage.path.map((p) => interpolate(p, targetVals, runtime)),
    });
  }
  const deps = packageDeps(model);
  const packages = new Map<string, PackagePlan>();
  for (const pkg of model.packages.values()) {
    const stage = model.stages.get(pkg.stage);
    if (!stage) throw bug(`package ${pkg.id} is in no stage`);
    const statics = packageStatics(pkg, targetVals);
    const { steps, missing } = stepSequence(pkg, stage);
    packages.set(pkg.id, {
      pkg,
      stage,
      deps: deps.get(pkg.id) ?? [],
      statics,
      sources: pkg.sources.map((s) => planSource(pkg, s, statics.vars)),
      steps,
      missingAnchors: missing,
    });
  }
  distinctCacheNames(packages);
  const { order: stageList, cycles } = stageOrder(model);
  const { order, stuck } = packageOrder(model, deps);
  return {
    stageOrder: stageList,
    stageCycles: cycles,
    stages,
    packageOrder: order,
    stuck,
    deps,
    packages,
    tools: toolIndex(model, deps),
    roots: stageRoots(model),
  };
}

/**
 * Two different files under one cache name (python's and python-docs' `Python-3.12.tar.xz`: a name that starts with
 * a package's first word keeps no prefix) would overwrite each other in `SOURCES_DIR`: each such source is cached
 * under its package's whole name as prefix instead. What still clashes (one name, one package) check reports.
 */
function distinctCacheNames(packages: Map<string, PackagePlan>): void {
  const shas = new Map<string, Set<string>>();
  for (const p of packages.values())
    for (const s of p.sources) {
      const set = shas.get(s.filename) ?? new Set<string>();
      shas.set(s.filename, set.add((s.source.substitute ?? s.source).sha256?.value ?? ''));
    }
  for (const [id, p] of packages) {
    if (!p.sources.some((s) => (shas.get(s.filename)?.size ?? 0) > 1)) continue;
    packages.set(id, {
      ...p,
      sources: p.sources.map((s) =>
        (shas.get(s.filename)?.size ?? 0) > 1 ? { ...s, filename: prefixedCacheName(p.pkg, s.filename) } : s,
      ),
    });
  }
}

/** @param relOf display path → path relative to the stages directory */
export function plan(
  model: Model,
  decisions: Decisions,
  shell: ShellFacts,
  relOf: ReadonlyMap<string, string>,
): BuildGraph {
  const gloc = (loc: Loc): GLoc => ({ file: relOf.get(loc.file) ?? loc.file });
  const targets = [...model.targets.values()].map(graphTarget).sort(byKey((t) => t.name)); // sort for determinism
  const target = targets.find((t) => t.name === model.target?.name) ?? targets[0];

  const stages = decisions.stageOrder.map((s, index): GStage => {
    const values = decisions.stages.get(s.name);
    return {
      name: s.name,
      loc: gloc(s.decl.name.loc),
      after: s.after?.name ?? null,
      index,
      root: stageRoot(s.name),
      description: s.description,
      path: (values?.path ?? []).map((p) => p.value),
      // sort for determinism
      env: (values?.env ?? []).map((e) => ({ name: e.name, value: e.value.value })).sort(byKey((e) => e.name)),
      chroot: s.chroot
        ? {
            shell: s.chroot.shell,
            path: s.chroot.path,
            workdir: s.chroot.workdir,
            pseudo: s.chroot.pseudo,
            mounts: s.chroot.mounts.map((m) => ({
              target: m.target,
              source:
                m.from.kind === 'stage'
                  ? { kind: 'stage', stage: m.from.name }
                  : { kind: 'path', path: mountSourcePath(m.from.path) },
              readonly: m.readonly,
            })),
          }
        : null,
      packages: decisions.packageOrder.get(s.name) ?? [],
      ...(s.layers.length ? { layers: s.layers } : {}),
    };
  });

  // Each package's step sequence with the commands its bodies run.
  const steps = new Map<string, Array<PlannedStep & { readonly commands: readonly string[] }>>();
  for (const p of decisions.packages.values()) {
    steps.set(
      p.pkg.id,
      p.steps.map((s) => ({
        ...s,
        // sort for determinism
        commands: s.item ? [...new Set(shellInfo(shell, s.item).commands.map((c) => c.name))].sort() : [],
      })),
    );
  }

  const packages: GPackage[] = [];
  for (const stage of stages) {
    for (const id of stage.packages) {
      const p = decisions.packages.get(id);
      const seq = steps.get(id);
      if (!p || !seq) continue;
      const pkg = p.pkg;
      const vars = [...p.statics.vars].map(([name, value]) => ({ name, value })).sort(byKey((v) => v.name)); // sort for determinism
      const finalOf = (dep: string): string | null => {
        const last = steps.get(dep)?.at(-1);
        return last ? `${dep}/${last.name}` : null;
      };
      const external = [
        ...p.deps.map(finalOf).filter((x): x is string => x !== null),
        ...(stage.after ? [stage.after] : []),
      ];
      // Dependency and stage needs sit on the first step after extract/patch, so sources can be unpacked early.
      const gate = seq.findIndex((s) => !PREP_STEPS.has(s.name));
      const gateAt = gate < 0 ? seq.length - 1 : gate;
      const gsteps = seq.map((s, i): GStep => ({
        name: s.name,
        placement: s.placement,
        body: s.item ? s.item.body.text : null,
        loc: gloc(s.loc),
        // sort for determinism
        needs: [...new Set([...(i > 0 ? [`${id}/${seq[i - 1].name}`] : []), ...(i === gateAt ? external : [])])].sort(),
        commands: s.commands,
      }));
      const recipe = relOf.get(pkg.file) ?? '';
      packages.push({
        id,
        name: pkg.name,
        stage: pkg.stage,
        passOf: pkg.passOf,
        version: vars.find((v) => v.name === 'version')?.value ?? '',
        loc: gloc(pkg.decl.name.loc),
        sources: p.sources.map(graphSource),
        patches: pkg.patches.map((f) => stagesPath(f.from === undefined ? recipe : (relOf.get(f.from) ?? ''), f.path)),
        files: pkg.files.map((f) => stagesPath(f.from === undefined ? recipe : (relOf.get(f.from) ?? ''), f.path)),
        depends: p.deps.map((d) => d.split('/')[1]),
        weight: pkg.weight ?? PACKAGE.fields.weight.default,
        // sort for determinism
        provides: {
          commands: [...new Set(pkg.provides.commands.map((c) => c.name))].sort(),
          libraries: [...new Set(pkg.provides.libraries.map((c) => c.name))].sort(),
        },
        vars,
        steps: gsteps,
        ...(pkg.layers.length ? { layers: pkg.layers } : {}),
      });
    }
  }
  const tools = hostTools(model, steps, decisions.tools);
  const layers = model.layers.map((l) => ({ name: l.name, description: l.description }));
  return deepFreeze({ target, targets, stages, packages, hostTools: tools, ...(layers.length ? { layers } : {}) });
}

function graphTarget(t: RTarget): GTarget {
  const v = t.values;
  return {
    name: t.name,
    triplet: v.triplet ?? '',
    arch: v.arch ?? '',
    llvmBackend: v.llvm_backend ?? '',
    cflags: v.cflags,
    cxxflags: v.cxxflags,
    ldflags: v.ldflags,
    qemu: v.qemu,
    isDefault: v.default,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tools: what packages provide, indexed once (which stage offers which command, who provides a command, whether
// a package's dependencies do), for check's chroot tool checks and for the host tool list.
// ---------------------------------------------------------------------------------------------------------

export interface ToolIndex {
  /** stage → the commands its packages provide */
  readonly byStage: ReadonlyMap<string, ReadonlySet<string>>;
  /** command → the packages that provide it (for messages) */
  readonly providers: ReadonlyMap<string, readonly RPackage[]>;
  /** Does a transitive dependency of package `id` provide `cmd`? */
  depProvides(id: string, cmd: string): boolean;
}

function toolIndex(model: Model, deps: ReadonlyMap<string, readonly string[]>): ToolIndex {
  const byStage = new Map<string, Set<string>>();
  const providers = new Map<string, RPackage[]>();
  /** command → ids of the packages that provide it */
  const providerIds = new Map<string, Set<string>>();
  for (const p of model.packages.values()) {
    const stageSet = byStage.get(p.stage) ?? new Set<string>();
    byStage.set(p.stage, stageSet);
    for (const c of p.provides.commands) {
      stageSet.add(c.name);
      let list = providers.get(c.name);
      let ids = providerIds.get(c.name);
      if (!list || !ids) {
        list = [];
        ids = new Set();
        providers.set(c.name, list);
        providerIds.set(c.name, ids);
      }
      list.push(p);
      ids.add(p.id);
    }
  }
  /**
   * A depth-first walk that stops at the first provider; most commands are answered before this by the
   * mounted stage, so full closures are never materialised.
   */
  const depProvides = (id: string, cmd: string): boolean => {
    const want = providerIds.get(cmd);
    if (!want) return false;
    const seen = new Set([id]);
    const stack = [...(deps.get(id) ?? [])];
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      if (seen.has(d)) continue;
      seen.add(d);
      if (want.has(d)) return true;
      for (const x of deps.get(d) ?? []) if (!seen.has(x)) stack.push(x);
    }
    return false;
  };
  return { byStage, providers, depProvides };
}

/** A step as the host tool list needs it. */
interface ToolStep {
  readonly placement: Placement;
  readonly commands: readonly string[];
}

/**
 * Commands host steps need from the host: all they run, except shell built-ins and what a stage whose root is on
 * the stage's `path` (`${stage1_root}/usr/bin`) provides — the build makes those. What a dependency provides
 * counts only that way: stage2's m4 is built for the target into a root that is not on stage2's PATH, so
 * stage2's autoconf build runs the host's m4.
 */
function hostTools(model: Model, steps: ReadonlyMap<string, readonly ToolStep[]>, tools: ToolIndex): string[] {
  const onPath = new Map<string, Set<string>>();
  for (const stage of model.stages.values()) {
    const set = new Set<string>();
    for (const p of stage.path) {
      for (const part of p.parts) {
        const m = 'ref' in part ? /^(.*)_root$/.exec(part.ref) : null;
        if (m) for (const c of tools.byStage.get(m[1]) ?? []) set.add(c);
      }
    }
    onPath.set(stage.name, set);
  }
  const found = new Set<string>();
  for (const pkg of model.packages.values()) {
    const path = onPath.get(pkg.stage) ?? new Set<string>();
    for (const step of steps.get(pkg.id) ?? []) {
      if (step.placement !== 'host') continue;
      for (const c of step.commands) {
        if (found.has(c) || path.has(c) || SHELL_BUILTINS.has(c)) continue;
        found.add(c);
      }
    }
  }
  return [...found].sort(); // sort for determinism
}
