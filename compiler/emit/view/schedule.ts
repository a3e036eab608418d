// Critical-path-first order for the Makefile's prerequisite lists, from the recipes' `weight` estimates alone
// (so out/ stays a function of stages/). Make starts ready jobs in the order it meets them walking the listed
// prerequisites depth first; listing the prerequisite with the longest chain of work below it first makes make
// reach the critical path's ready step before any other. Pure and deterministic: ties by code unit.
import type { BuildGraph, GPackage, GStep } from '../../graph.js';
import { PREP_STEPS } from '../../schema.js';
import { bug, byCodeUnit } from '../../util.js';
import { barrierStamp } from '../layout.js';
import { globalSteps } from './common.js';

/**
 * A step's share of its package's `weight`: spread evenly over the steps that are not extract/patch (those
 * count as nothing: unpacking is short next to compiling); a package of only such steps spreads it over all.
 */
export function stepCost(pkg: GPackage, step: GStep, work: number = workSteps(pkg)): number {
  if (!work) return pkg.weight / pkg.steps.length;
  return PREP_STEPS.has(step.name) ? 0 : pkg.weight / work;
}

/** How many of a package's steps are not extract/patch (stepCost's `work`, counted once per package). */
function workSteps(pkg: GPackage): number {
  let work = 0;
  for (const s of pkg.steps) if (!PREP_STEPS.has(s.name)) work++;
  return work;
}

export interface Schedule {
  /**
   * The longest chain of estimated work that must be done for `id` to be made, itself included: a step id
   * `<stage>/<package>/<step>`, a stage barrier `<stage>/.complete`, or a bare stage name (the same barrier).
   */
  readonly chain: (id: string) => number;
  /** Sorts prerequisites: longest chain first, then by code unit of the id (determinism). A plain function. */
  readonly order: <T>(items: readonly T[], id: (item: T) => string) => T[];
}

const cache = new WeakMap<BuildGraph, Schedule>();

/** The chain lengths of every step and stage barrier of the graph (steps are in a topological global order). */
export function schedule(graph: BuildGraph): Schedule {
  const cached = cache.get(graph);
  if (cached) return cached;
  const chains = new Map<string, number>();
  /** stage → the longest chain among its packages' final steps */
  const stageChain = new Map<string, number>();
  const chain = (id: string): number => {
    const known = chains.get(id);
    if (known !== undefined) return known;
    // a bare stage name: that whole stage (a stage without packages waits for nothing)
    if (!id.includes('/')) return stageChain.get(id) ?? 0;
    throw bug(`no chain for ${id}: the graph's global step order is not topological`);
  };
  // (loops, and each package's work counted once: this runs for every step, 51,000 at 10,000 packages)
  let pkgOf: GPackage | null = null;
  let work = 0;
  for (const { pkg, step, id } of globalSteps(graph)) {
    if (pkg !== pkgOf) {
      pkgOf = pkg;
      work = workSteps(pkg);
    }
    let below = 0;
    for (const need of step.needs) below = Math.max(below, chain(need));
    const total = below + stepCost(pkg, step, work);
    chains.set(id, total);
    if (step === pkg.steps[pkg.steps.length - 1])
      stageChain.set(pkg.stage, Math.max(stageChain.get(pkg.stage) ?? 0, total));
  }
  for (const [stage, total] of stageChain) chains.set(barrierStamp(stage), total);
  const result: Schedule = {
    chain,
    order: (items, id) => {
      if (items.length < 2) return [...items]; // (most packages need one other package, or none)
      return items
        .map((item) => {
          const key = id(item);
          return { item, key, chain: chain(key) };
        })
        .sort((a, b) => b.chain - a.chain || byCodeUnit(a.key, b.key)) // sort for determinism
        .map((x) => x.item);
    },
  };
  cache.set(graph, result);
  return result;
}
