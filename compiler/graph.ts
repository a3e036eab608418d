// The build graph: the output of plan() and the emitter's only input. Plain JSON-compatible data, deep-frozen
// by plan(), sorted wherever order is not meaningful. Paths are relative; the emitter decides where they live.

/**
 * A string value as the emitter must write it: literal text and references to runtime shell variables
 * (`builddir`-relative paths, `jobs`, `<stage>_root`, …). Static interpolations are already substituted.
 */
export type GPart = { readonly lit: string } | { readonly ref: string };
export type GValue = readonly GPart[];

/**
 * Where in the recipes something is declared: the file, relative to the stages directory. Not the line: the
 * output must not change when an edit moves a declaration (that would rerun an unrelated package, and make
 * formatting a recipe change out/).
 */
export interface GLoc {
  readonly file: string;
}

export interface GTarget {
  readonly name: string;
  readonly triplet: string;
  readonly arch: string;
  readonly llvmBackend: string;
  readonly cflags: string;
  readonly cxxflags: string;
  readonly ldflags: string;
  readonly qemu: string | null;
  readonly isDefault: boolean;
}

/** Mount source: another stage's root, or a directory relative to the build directory. */
export type GMountSource =
  { readonly kind: 'stage'; readonly stage: string } | { readonly kind: 'path'; readonly path: string };

export interface GMount {
  readonly target: string;
  readonly source: GMountSource;
  readonly readonly: boolean;
}

export interface GChroot {
  readonly shell: string;
  readonly path: readonly string[];
  readonly workdir: string;
  readonly pseudo: readonly string[];
  readonly mounts: readonly GMount[];
}

export interface GEnvVar {
  readonly name: string;
  readonly value: GValue;
}

export interface GStage {
  readonly name: string;
  readonly loc: GLoc;
  readonly after: string | null;
  readonly index: number;
  /** The stage root relative to the build directory: always `<stage>/root`. */
  readonly root: string;
  readonly description: string;
  readonly path: readonly GValue[];
  readonly env: readonly GEnvVar[];
  readonly chroot: GChroot | null;
  /** Package ids in build order (a valid topological order, ties broken by id). */
  readonly packages: readonly string[];
  /** The layers that amended the stage, bottom first; absent when none did (so a base's plan is unchanged). */
  readonly layers?: readonly string[];
}

/** What a layer's `substitute` replaced: the source as the package below declares it, and why. */
export interface GSubstitution {
  readonly url: string;
  readonly sha256: string;
  readonly layer: string;
  readonly reason: string;
}

/** `filename`: the cache file name, unique per content (e.g. `musl-1.2.5.tar.gz`, `libwildebeest-<commit12>.tar`). */
export type GSource =
  | {
      readonly kind: 'url';
      readonly url: string;
      readonly sha256: string;
      readonly filename: string;
      readonly strip: number;
      /** Present when only these paths of the archive (below `strip` components) are extracted. */
      readonly paths?: readonly string[];
      /** Present when a layer substituted this file (url, sha256, filename are the substitute's). */
      readonly substitutes?: GSubstitution;
    }
  | {
      readonly kind: 'git';
      readonly url: string;
      readonly commit: string;
      readonly sha256: string;
      readonly filename: string;
      readonly strip: number;
      readonly substitutes?: GSubstitution;
    };

export type Placement = 'host' | 'chroot';

export interface GStep {
  readonly name: string;
  readonly placement: Placement;
  /** null: the emitter's built-in implementation (extract / patch). */
  readonly body: string | null;
  readonly loc: GLoc;
  /**
   * What this step waits for, sorted: step ids `<stage>/<package>/<step>` (the previous step of the package;
   * the final steps of its dependencies) and bare stage names (that whole stage is complete). Dependency and
   * stage needs sit on the package's first step after extract/patch, so sources can be unpacked early.
   */
  readonly needs: readonly string[];
  /** Commands the body runs (sorted), for the emitter's preflight. */
  readonly commands: readonly string[];
}

export interface GVar {
  readonly name: string;
  readonly value: string;
}

export interface GPackage {
  /** `<stage>/<name>`; a step id is `<stage>/<name>/<step>`. */
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  readonly passOf: string | null;
  readonly version: string;
  readonly loc: GLoc;
  readonly sources: readonly GSource[];
  /** Paths relative to the stages directory. */
  readonly patches: readonly string[];
  readonly files: readonly string[];
  readonly depends: readonly string[];
  /**
   * Estimated build time relative to other packages (`weight`, default 1): the Makefile lists prerequisites
   * longest remaining chain first from it (compiler/emit/view/schedule.ts). Orders only; never reruns anything.
   */
  readonly weight: number;
  readonly provides: { readonly commands: readonly string[]; readonly libraries: readonly string[] };
  /** Static shell variables of every step (name, version, stage, target fields, template parameters), by name. */
  readonly vars: readonly GVar[];
  readonly steps: readonly GStep[];
  /** The layers that amended or replaced the package, bottom first; absent when none did. */
  readonly layers?: readonly string[];
}

export interface GLayer {
  readonly name: string;
  readonly description: string;
}

export interface BuildGraph {
  readonly target: GTarget;
  readonly targets: readonly GTarget[];
  readonly stages: readonly GStage[];
  /** In global build order: stage order, then each stage's `packages` order. */
  readonly packages: readonly GPackage[];
  /** Every command a host step runs plus what built-in steps need, sorted. */
  readonly hostTools: readonly string[];
  /** The layers built on the base, bottom first; absent without layers. */
  readonly layers?: readonly GLayer[];
}

/** Freezes a value and everything reachable from it: the graph is immutable once planned. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
