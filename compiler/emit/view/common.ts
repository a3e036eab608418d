// What every view-model builder shares: the graph's steps in global order, stages in run order, the names a
// package and a patch get in out/ and in the work tree. Pure, and cached per (immutable) graph.
import type { BuildGraph, GLoc, GPackage, GStage, GStep, GValue } from '../../graph.js';
import { bug, byCodeUnit } from '../../util.js';
import { commentText, makeWord } from '../quote.js';

/** A one-part literal value. */
export const lit = (text: string): GValue => [{ lit: text }];

/** A reference to a runtime shell variable, optionally followed by literal text. */
export const ref = (name: string, rest = ''): GValue => (rest ? [{ ref: name }, { lit: rest }] : [{ ref: name }]);

const pkgDirCache = new WeakMap<GPackage, string>();

/** The last path segment of a package id (`stage3/util-linux-2` → `util-linux-2`): its directory in out/. */
/** Where a package's steps run, each place once, in the order its steps first run there. */
export function placementsOf(pkg: GPackage): ('host' | 'chroot')[] {
  // (a loop per package rather than a path per step: 51,000 steps at 10,000 packages)
  const places: ('host' | 'chroot')[] = [];
  for (const step of pkg.steps) {
    const placement = step.placement === 'chroot' ? 'chroot' : 'host';
    if (!places.includes(placement)) places.push(placement);
  }
  return places;
}

export function pkgDir(pkg: GPackage): string {
  const cached = pkgDirCache.get(pkg);
  if (cached) return cached;
  const [stage, name, ...rest] = pkg.id.split('/');
  if (stage !== pkg.stage || !name || rest.length)
    throw bug(`package id ${JSON.stringify(pkg.id)} is not <stage>/<name>`);
  pkgDirCache.set(pkg, makeWord(name));
  return name;
}

/** The file name a patch gets in the work tree: its position keeps the order. */
export function patchName(rel: string, i: number, count: number): string {
  const width = String(count).length;
  return `${String(i + 1).padStart(width, '0')}-${rel.slice(rel.lastIndexOf('/') + 1)}`;
}

/**
 * The steps that change a package's source tree after its extract: every step after `extract` and before the
 * first `install` (every step after `extract` when there is no install), none without an extract step. They
 * cannot rerun in the tree they already changed (a patch applied twice, objects compiled against a dependency's
 * old headers, a Makefile regenerated halfway): the extract step's signature and rule cover theirs, so whatever
 * reruns one of them reruns the extract, and the package starts again from a fresh tree. Steps from `install`
 * on rerun in the tree the build left.
 */
export function treeSteps(pkg: GPackage): readonly GStep[] {
  // (plain loops: this runs for every package, more than once per generation)
  const steps = pkg.steps;
  let from = 0;
  while (from < steps.length && steps[from].name !== 'extract') from++;
  if (from === steps.length) return [];
  let end = from + 1;
  while (end < steps.length && steps[end].name !== 'install') end++;
  return steps.slice(from + 1, end);
}

/** Stages in run order (by index, then name for determinism). */
export function orderedStages(graph: BuildGraph): GStage[] {
  return [...graph.stages].sort((a, b) => a.index - b.index || byCodeUnit(a.name, b.name)); // sort for determinism
}

/** One step of the plan with its 1-based global index and its id `<stage>/<package>/<step>`. */
export interface GlobalStep {
  readonly pkg: GPackage;
  readonly step: GStep;
  readonly index: number;
  readonly id: string;
}

/** graphs are immutable */
const globalStepsCache = new WeakMap<BuildGraph, readonly GlobalStep[]>();

/** Every step of the plan in global order. */
export function globalSteps(graph: BuildGraph): readonly GlobalStep[] {
  const cached = globalStepsCache.get(graph);
  if (cached) return cached;
  const out: GlobalStep[] = [];
  let index = 0;
  for (const pkg of graph.packages) {
    for (const step of pkg.steps) {
      index += 1;
      out.push({ pkg, step, index, id: `${pkg.id}/${makeWord(step.name)}` });
    }
  }
  globalStepsCache.set(graph, out);
  return out;
}

/** A recipe location for a comment. */
export function locText(loc: GLoc): string {
  return commentText(loc.file);
}
