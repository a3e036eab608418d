// What runs before what: stages after the stage they name, packages after their dependencies (ties broken by
// id), and each package's step sequence with the placement of every step. What stops an order (a cycle) or falls
// back to a default (a bad placement, a missing anchor) is returned with it, for check to report.
import type { Ident, Loc, StepItem } from '../../grammar/syntax.js';
import type { Placement } from '../graph.js';
import type { Model, RPackage, RStage } from '../resolve/index.js';
import { BUILTIN_STEPS, PREP_STEPS } from '../schema.js';

export interface StageCycle {
  /** The stage where the cycle was found. */
  readonly stage: RStage;
  /** The stage names around the cycle, the first repeated at the end. */
  readonly path: readonly string[];
}

/** Stages in `after` order; each cycle is returned once, with its path, and the order still holds every stage. */
export function stageOrder(model: Model): {
  readonly order: readonly RStage[];
  readonly cycles: readonly StageCycle[];
} {
  const order: RStage[] = [];
  const cycles: StageCycle[] = [];
  const state = new Map<string, 'active' | 'done'>();
  const visit = (stage: RStage, path: readonly string[]) => {
    const name = stage.name;
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') {
      cycles.push({ stage, path: [...path.slice(path.indexOf(name)), name] });
      return;
    }
    state.set(name, 'active');
    const after = stage.after ? model.stages.get(stage.after.name) : undefined;
    if (after) visit(after, [...path, name]);
    state.set(name, 'done');
    order.push(stage);
  };
  // sort for determinism
  for (const name of [...model.stages.keys()].sort()) {
    const stage = model.stages.get(name);
    if (stage) visit(stage, []);
  }
  return { order, cycles };
}

/**
 * Each package's dependencies as ids: its `depends` that name a package of its own stage, and for a pass the
 * package it rebuilds; sorted. A name that is no package of the stage is left out (check reports it).
 */
export function packageDeps(model: Model): ReadonlyMap<string, readonly string[]> {
  const deps = new Map<string, readonly string[]>();
  for (const pkg of model.packages.values()) {
    const list = new Set<string>();
    for (const d of pkg.depends) {
      if (model.packages.has(`${pkg.stage}/${d.name}`)) list.add(`${pkg.stage}/${d.name}`);
    }
    if (pkg.passOf) list.add(`${pkg.stage}/${pkg.passOf}`);
    // sort for determinism
    deps.set(pkg.id, [...list].sort());
  }
  return deps;
}

/**
 * Build order per stage (Kahn; among ready packages the smallest id goes first). `stuck`: the packages a
 * cycle keeps from being ordered, sorted.
 */
export function packageOrder(
  model: Model,
  deps: ReadonlyMap<string, readonly string[]>,
): { readonly order: ReadonlyMap<string, readonly string[]>; readonly stuck: readonly string[] } {
  const order = new Map<string, string[]>();
  for (const stage of model.stages.keys()) order.set(stage, []);
  // sort for determinism
  const ids = [...model.packages.keys()].sort();
  const indeg = new Map(ids.map((id) => [id, 0]));
  const users = new Map(ids.map((id) => [id, [] as string[]]));
  for (const id of ids) {
    for (const d of deps.get(id) ?? []) {
      indeg.set(id, (indeg.get(id) ?? 0) + 1);
      users.get(d)?.push(id);
    }
  }
  // sort for determinism: among ready packages, the smallest id goes first (a heap keeps this O(n log n))
  const ready = new MinHeap(ids.filter((id) => indeg.get(id) === 0));
  const done = new Set<string>();
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    done.add(id);
    const pkg: RPackage | undefined = model.packages.get(id);
    if (pkg) order.get(pkg.stage)?.push(id);
    for (const u of users.get(id) ?? []) {
      const n = (indeg.get(u) ?? 0) - 1;
      indeg.set(u, n);
      if (n === 0) ready.push(u);
    }
  }
  return { order, stuck: ids.filter((id) => !done.has(id)) };
}

/** A binary min-heap of strings, by code unit. */
class MinHeap {
  readonly #a: string[] = [];

  constructor(items: readonly string[]) {
    for (const x of items) this.push(x);
  }

  push(x: string): void {
    const a = this.#a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }

  /** The smallest item, removed; undefined when empty. */
  pop(): string | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------

export interface PlannedStep {
  readonly name: string;
  readonly placement: Placement;
  /** null: a built-in step the package does not write (extract or patch, implied by sources and patches). */
  readonly item: StepItem | null;
  readonly loc: Loc;
}

/**
 * A custom step placed `after` a step the sequence never gets; it goes last instead. `cycle` holds the steps
 * that wait on each other (the step itself first, repeated at the end) when that is why, else null.
 */
export interface MissingAnchor {
  readonly item: StepItem;
  readonly after: Ident;
  /** The steps placed before it, for did-you-mean. */
  readonly known: readonly string[];
  readonly cycle: readonly string[] | null;
}

/** Where a step runs: its own valid placement, else the host for prep steps, else where the stage runs. */
export function placementOf(item: StepItem | null, name: string, stage: RStage): Placement {
  const fallback = PREP_STEPS.has(name) ? 'host' : stage.chroot ? 'chroot' : 'host';
  const p = item?.placement?.name;
  if (p !== 'host' && p !== 'chroot') return fallback;
  return p === 'chroot' && !stage.chroot ? 'host' : p;
}

export function stepSequence(
  pkg: RPackage,
  stage: RStage,
): { readonly steps: readonly PlannedStep[]; readonly missing: readonly MissingAnchor[] } {
  const seq: PlannedStep[] = [];
  const missing: MissingAnchor[] = [];
  for (const name of BUILTIN_STEPS) {
    const item = pkg.steps.get(name) ?? null;
    // extract also places `files` into ${filesdir}, so a package with files but no sources still has one
    const implicit =
      (name === 'extract' && (pkg.sources.length > 0 || pkg.files.length > 0)) ||
      (name === 'patch' && pkg.patches.length > 0);
    if (!item && !implicit) continue;
    seq.push({ name, placement: placementOf(item, name, stage), item, loc: item?.body.loc ?? pkg.decl.name.loc });
  }
  const customs = [...pkg.steps.values()].filter((s) => s.custom);
  const place = (item: StepItem, at: number) => {
    // After the anchor and after customs already placed behind it, in declaration order.
    const placedEarlier = (s: PlannedStep) =>
      s.item !== null && s.item.custom && customs.indexOf(s.item) < customs.indexOf(item);
    let pos = at + 1;
    while (pos < seq.length && placedEarlier(seq[pos])) pos++;
    seq.splice(pos, 0, {
      name: item.name.name,
      placement: placementOf(item, item.name.name, stage),
      item,
      loc: item.body.loc,
    });
  };
  // A step `after` a custom step declared later waits for it: rounds in declaration order until none is placed.
  let pending = customs;
  for (let placed = true; placed && pending.length > 0;) {
    placed = false;
    const waiting: StepItem[] = [];
    for (const item of pending) {
      const anchor = item.after?.name ?? seq[seq.length - 1]?.name ?? null;
      const at = anchor === null ? -1 : seq.findIndex((s) => s.name === anchor);
      if (at < 0 && item.after) {
        waiting.push(item);
        continue;
      }
      place(item, at);
      placed = true;
    }
    pending = waiting;
  }
  // What still waits names a step nothing declares, or steps that wait on each other: each goes last.
  const byName = new Map(pending.map((item) => [item.name.name, item]));
  const cycles = new Set<string>();
  for (const item of pending) {
    const after = item.after as Ident;
    const cycle = [item.name.name];
    for (let next = byName.get(after.name); next && !cycle.includes(next.name.name);) {
      cycle.push(next.name.name);
      next = next.after ? byName.get(next.after.name) : undefined;
    }
    const inCycle = byName.has(after.name) && byName.get(cycle[cycle.length - 1])?.after?.name === item.name.name;
    const key = [...cycle].sort().join(' ');
    // a cycle is one mistake, reported at its first step; a step that waits on one is its consequence
    if (inCycle ? !cycles.has(key) : !byName.has(after.name))
      missing.push({ item, after, known: seq.map((s) => s.name), cycle: inCycle ? [...cycle, item.name.name] : null });
    if (inCycle) cycles.add(key);
    place(item, seq.length - 1);
  }
  return { steps: seq, missing };
}
