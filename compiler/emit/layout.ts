// The one place that knows the out/ layout: where each generated file lives, which files are executable, the
// build directory paths the generated code names, and which names the generated tree and build directory
// reserve (so a stage may not be called that). templates/ and the runtime library spell the same paths.
import type { BuildGraph } from '../graph.js';
import { bug, byCodeUnit } from '../util.js';

/** Names a stage may not take: Makefile targets, directories of out/, entries of the build directory (`out`). */
export const RESERVED_STAGE_NAMES: ReadonlySet<string> = new Set([
  'all',
  'check',
  'clean',
  'distclean',
  'explain',
  'help',
  'lib',
  'locks',
  'logs',
  'out',
  'report',
  'show',
  'source',
  'sources',
  'stamps',
  'status',
  'step',
  'tmp',
]);

/** The prefix of the shell variables the generated scripts and the runtime define for themselves. */
export const RESERVED_VAR_PREFIX = 'serpent_';

/** Top-level directories of out/ besides the stages' script directories: a stage of that name would shadow one. */
export const OUT_DIRS: ReadonlySet<string> = new Set(['lib']);

/** The targets every Makefile defines, in the order of its `.PHONY` rule; no stage or package target may take them. */
export const MAKE_TARGETS: readonly string[] = [
  'all',
  'help',
  'source',
  'check-host',
  'status',
  'report',
  'explain',
  'step',
  'show',
  'clean',
  'distclean',
];

/** The list of files serpentc wrote into out/, so a later run removes what it no longer generates. */
export const MANIFEST = '.serpentc-manifest';

/** The fixed files of out/. */
export const OUT_FILES = {
  makefile: 'Makefile',
  gitignore: '.gitignore',
  plan: 'plan.json',
  /** The runtime library: every Makefile rule runs it, and extract steps source it. */
  runtime: 'lib/serpent.sh',
  sources: 'lib/sources.sh',
  hostTools: 'lib/host-tools.sh',
  help: 'lib/help.txt',
  steps: 'lib/steps.txt',
  /** Every stamp rule of the Makefile as `<stamp> <prerequisite>...` (see makeView), for `make explain`. */
  prereqs: 'lib/prereqs.txt',
  /** Written only when a layer substitutes sources: one line per substituted source, for `make status`. */
  substitutions: 'lib/substitutions.txt',
} as const;

/** The signature of the runtime code a kind of step depends on (see compiler/emit/runtime.ts). */
export function execSignature(kind: 'host' | 'chroot' | 'unpack'): string {
  return `lib/sig/${kind}`;
}

/** The environment of the steps of one placement of a stage: the runtime runs it before each step's script. */
export function stageEnv(stage: string, placement: 'host' | 'chroot'): string {
  return `lib/env/${stage}.${placement}.sh`;
}

/**
 * The script file of package `<stage>/<package>`: its variables, then one section per step, each starting with a
 * STEP_MARKER line. A step runs as its stage's environment, the lines before the first marker and its section.
 */
export function packageScript(pkgId: string): string {
  return `${pkgId}.sh`;
}

/** The line that starts a step's section in a package script, followed by the step's name. */
export const STEP_MARKER = '# serpent-step ';

/** The chroot configuration of a stage, sourced by the runtime inside each chroot step. */
export function stageScript(stage: string): string {
  return `lib/stages/${stage}.sh`;
}

/** Where a patch or file of the recipes (path relative to the stages directory) is copied. */
export function inputCopy(rel: string): string {
  return `lib/files/${rel}`;
}

/** Scripts are executable (git records the bit); data, including a copied `.sh` file of a recipe, is not. */
export function fileMode(path: string): number {
  return path.endsWith('.sh') && !path.startsWith('lib/files/') ? 0o755 : 0o644;
}

// The build directory (BUILD_DIR), as the generated scripts and plan.json name it.

/** A step's stamp, relative to the build directory. */
export function stepStamp(stepId: string): string {
  return `stamps/${stepId}`;
}

/** A step's log, relative to the build directory. */
export function stepLog(stepId: string): string {
  return `logs/${stepId}.log`;
}

/**
 * A package's make node (relative to the stamps directory): touched each time the runtime found or made every
 * step of the package current. Make compares only these; the steps' stamps are compared by the runtime.
 */
export function packageCheck(pkgId: string): string {
  return `${pkgId}/.checked`;
}

/** A stage's make node (relative to the stamps directory): every package of the stage checked. */
export function stageCheck(stage: string): string {
  return `${stage}/.checked`;
}

/** A stage's barrier stamp (every package of the stage done), relative to the stamps directory. */
export function barrierStamp(stage: string): string {
  return `${stage}/.complete`;
}

/** A stage's root (where its packages install), relative to the build directory. */
export function stageRoot(stage: string): string {
  return `${stage}/root`;
}

/** A stage's work trees (one directory per package), relative to the build directory. */
export function stageWork(stage: string): string {
  return `${stage}/work`;
}

/** Every patch and file the graph names, by path relative to the stages directory. */
export function inputPaths(graph: BuildGraph): readonly string[] {
  // made once per (immutable) graph: emit reads the inputs, lists its outputs and renders from this list
  const cached = inputPathsCache.get(graph);
  if (cached) return cached;
  const set = new Set<string>();
  for (const pkg of graph.packages) {
    for (const rel of pkg.patches) set.add(checkRelPath(rel));
    for (const rel of pkg.files) set.add(checkRelPath(rel));
  }
  const paths = [...set].sort(byCodeUnit); // sort for determinism
  inputPathsCache.set(graph, paths);
  return paths;
}

const inputPathsCache = new WeakMap<BuildGraph, readonly string[]>();

/** A path inside the stages directory (or inside out/), as it may be joined below another directory. */
export function checkRelPath(rel: string): string {
  if (
    typeof rel !== 'string' ||
    rel === '' ||
    rel.startsWith('/') ||
    rel.split('/').some((s) => s === '..' || s === '.' || s === '') ||
    /[\0\n\r]/.test(rel)
  ) {
    throw bug(`not a clean relative path: ${JSON.stringify(rel)}`);
  }
  return rel;
}
