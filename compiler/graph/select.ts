// Which packages a view of the build graph shows (a stage, a package with its dependencies and/or dependents to a
// depth) and the sub-graph holding exactly them. Pure; the one definition of a package's direct dependencies
// (its `depends` and, for a pass, its base package) that `serpentc query` and `serpentc graph` share.
import type { BuildGraph, GPackage, GStage } from '../graph.js';
import { didYouMean } from '../diagnostics/suggest.js';

/** The package ids a package needs directly: its `depends` (same stage) and, for a pass, the package it passes. */
export function directDeps(p: GPackage): string[] {
  return [...p.depends.map((d) => `${p.stage}/${d}`), ...(p.passOf === null ? [] : [`${p.stage}/${p.passOf}`])];
}

/** Both directions of the dependency relation, by package id; lists in the graph's package order. */
export interface Relations {
  readonly deps: ReadonlyMap<string, readonly string[]>;
  readonly rdeps: ReadonlyMap<string, readonly string[]>;
}

export function relations(graph: BuildGraph): Relations {
  const ids = new Set(graph.packages.map((p) => p.id));
  const deps = new Map<string, string[]>();
  const rdeps = new Map<string, string[]>(graph.packages.map((p) => [p.id, []]));
  for (const p of graph.packages) {
    const direct = [...new Set(directDeps(p).filter((d) => ids.has(d)))];
    deps.set(p.id, direct);
    for (const d of direct) rdeps.get(d)?.push(p.id);
  }
  return { deps, rdeps };
}

/** A package named `name` or `stage/name` (within `stage` when given), or why there is none: a message. */
export function findPackage(
  graph: BuildGraph,
  name: string,
  stage?: string,
): { readonly pkg: GPackage } | { readonly error: string } {
  const pool = stage === undefined ? graph.packages : graph.packages.filter((p) => p.stage === stage);
  const matches = pool.filter((p) => p.id === name || p.name === name);
  if (matches.length === 1) return { pkg: matches[0] };
  if (matches.length > 1)
    return { error: `\`${name}\` is in several stages; write one of ${matches.map((p) => p.id).join(', ')}` };
  const meant = didYouMean(name, [...pool.map((p) => p.name), ...pool.map((p) => p.id)]);
  const where = stage === undefined ? '' : ` in stage \`${stage}\``;
  const hint =
    meant === null ? `; \`serpentc query order STAGE\` lists a stage's packages` : `; did you mean \`${meant}\`?`;
  return { error: `no package \`${name}\`${where}${hint}` };
}

/** A stage of that name, or a message naming the stages (with a did-you-mean). */
export function findStage(graph: BuildGraph, name: string): { readonly stage: GStage } | { readonly error: string } {
  const stage = graph.stages.find((s) => s.name === name);
  if (stage) return { stage };
  const names = graph.stages.map((s) => s.name);
  const meant = didYouMean(name, names);
  return {
    error: `no stage \`${name}\` (stages: ${names.join(', ')})${meant === null ? '' : `; did you mean \`${meant}\`?`}`,
  };
}

/**
 * The ids reachable from `start` through `step`, `start` itself excluded, at most `depth` edges away (undefined:
 * no limit). Breadth first, so a package two ways away counts at its nearest distance.
 */
export function reach(
  start: string,
  step: ReadonlyMap<string, readonly string[]>,
  depth: number | undefined,
): Set<string> {
  const found = new Set<string>();
  let frontier = [start];
  for (let level = 0; frontier.length > 0 && (depth === undefined || level < depth); level++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const d of step.get(id) ?? []) {
        if (d === start || found.has(d)) continue;
        found.add(d);
        next.push(d);
      }
    }
    frontier = next;
  }
  return found;
}

/** What `serpentc graph` was asked to show. */
export interface Selection {
  readonly stage?: string;
  /** A package id; with neither `deps` nor `rdeps`, the package with both its dependencies and dependents. */
  readonly package?: string;
  readonly deps?: boolean;
  readonly rdeps?: boolean;
  /** Edges away from `package` (undefined: no limit). */
  readonly depth?: number;
}

/** The package ids a selection shows (names already resolved to ids: an unknown one shows nothing). */
export function select(graph: BuildGraph, sel: Selection): Set<string> {
  const inStage = (id: string) =>
    sel.stage === undefined || graph.packages.some((p) => p.id === id && p.stage === sel.stage);
  if (sel.package === undefined) return new Set(graph.packages.filter((p) => inStage(p.id)).map((p) => p.id));
  const rel = relations(graph);
  const both = !sel.deps && !sel.rdeps;
  const ids = new Set([sel.package]);
  if (sel.deps || both) for (const id of reach(sel.package, rel.deps, sel.depth)) ids.add(id);
  if (sel.rdeps || both) for (const id of reach(sel.package, rel.rdeps, sel.depth)) ids.add(id);
  return new Set([...ids].filter(inStage));
}

/**
 * The graph with only the packages `ids` (in their order), the stages holding any of them (their `packages`
 * lists cut to match; with `keepStage`, that stage even when empty), target and host tools as they are.
 */
export function subgraph(graph: BuildGraph, ids: ReadonlySet<string>, keepStage?: string): BuildGraph {
  return {
    ...graph,
    stages: graph.stages
      .map((s) => ({ ...s, packages: s.packages.filter((id) => ids.has(id)) }))
      .filter((s) => s.packages.length > 0 || s.name === keepStage),
    packages: graph.packages.filter((p) => ids.has(p.id)),
  };
}
