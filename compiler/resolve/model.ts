// The resolved model: one effective description per target, stage, template and package (templates and passes
// merged in). resolve() builds it; check and plan only read it. Values keep their AST nodes for locations.
import type {
  ChangeDecl,
  LayerDecl,
  Loc,
  PackageDecl,
  PassDecl,
  StageDecl,
  StepItem,
  StringLit,
  TargetDecl,
  TemplateDecl,
} from '../../grammar/syntax.js';
import type { MountSource, Named, ParamTypeName } from '../schema.js';
import type { Body } from './body.js';

/** A target's fields as plain values; a required field that is missing is null (and already reported). */
export interface TargetValues {
  readonly default: boolean;
  readonly triplet: string | null;
  readonly arch: string | null;
  readonly llvm_backend: string | null;
  readonly cflags: string;
  readonly cxxflags: string;
  readonly ldflags: string;
  readonly qemu: string | null;
}

export interface RTarget {
  readonly name: string;
  readonly decl: TargetDecl;
  readonly values: TargetValues;
}

export interface RMount {
  readonly target: string;
  readonly targetLoc: Loc;
  readonly from: MountSource;
  readonly readonly: boolean;
}

export interface RChroot {
  readonly shell: string;
  /** Where `shell` is written (the block's name when it is not). */
  readonly shellLoc: Loc;
  readonly path: readonly string[];
  /** `path` as written, each entry with its place. */
  readonly pathEntries: ReadonlyArray<{ readonly path: string; readonly loc: Loc }>;
  readonly workdir: string;
  readonly pseudo: readonly string[];
  /** `workdir` and `pseudo` as written (defaults are not listed): mount points, with where they were written. */
  readonly points: ReadonlyArray<{ readonly path: string; readonly loc: Loc; readonly what: 'workdir' | 'pseudo' }>;
  readonly mounts: readonly RMount[];
  readonly loc: Loc;
}

export interface REnvVar {
  readonly name: string;
  readonly value: StringLit;
  readonly loc: Loc;
}

export interface RStage {
  readonly name: string;
  readonly decl: StageDecl;
  /** null when not written, or when it names no stage (reported). */
  readonly after: Named | null;
  readonly path: readonly StringLit[];
  readonly env: readonly REnvVar[];
  readonly chroot: RChroot | null;
  readonly description: string;
  /** The layers that amended the stage, bottom first; empty for a stage as its base declares it. */
  readonly layers: readonly string[];
}

/** A template parameter's value, typed by the parameter's declared type. */
export type ParamValue =
  | { readonly type: 'string'; readonly value: StringLit }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'list'; readonly value: readonly StringLit[] };

/** A parameter value bound to a package: by a `use` argument (its location) or the declared default. */
export type BoundParam = ParamValue & { readonly loc: Loc };

export interface RParam {
  readonly name: string;
  readonly type: ParamTypeName;
  readonly default: BoundParam | null;
  readonly loc: Loc;
  /** Its type or default is wrong (reported): arguments for it are taken unchecked, and it binds nothing. */
  readonly broken?: true;
}

export interface RTemplate {
  readonly name: string;
  readonly decl: TemplateDecl;
  readonly params: ReadonlyMap<string, RParam>;
  readonly body: Body;
}

export interface RSource {
  readonly kind: 'url' | 'git';
  readonly url: StringLit;
  readonly sha256: StringLit | null;
  /** A git source's commit; null for a url source (or when not written, which is reported). */
  readonly commit: StringLit | null;
  readonly strip: number;
  /** `paths`: only these paths of the archive are extracted (empty: all); a git source has none. */
  readonly paths: readonly StringLit[];
  readonly insecure: boolean;
  readonly loc: Loc;
  /** The file a layer substitutes for it, or null. */
  readonly substitute: RSubstitute | null;
}

/** A layer's `substitute "<url>" { by sha256 reason }`: another file in place of a source, checked the same way. */
export interface RSubstitute {
  readonly by: StringLit;
  readonly sha256: StringLit | null;
  readonly reason: string;
  readonly strip: number | null;
  readonly insecure: boolean;
  readonly layer: string;
  readonly loc: Loc;
}

/** A layer of the recipe set: its declaration and its description. */
export interface RLayer {
  readonly name: string;
  readonly decl: LayerDecl;
  readonly description: string;
}

/** A path written in `patches` or `files`, relative to the recipe that wrote it. */
export interface RPath {
  readonly path: string;
  readonly loc: Loc;
  /** The display path of the recipe the path is relative to when it is not the package's own (a layer's). */
  readonly from?: string;
}

export interface RPackage {
  /** `<stage>/<name>`. */
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  readonly decl: PackageDecl | PassDecl | ChangeDecl;
  /** The display path of the recipe that declares it. */
  readonly file: string;
  /** For a pass, the package it rebuilds. */
  readonly passOf: string | null;
  readonly version: StringLit | null;
  readonly sources: readonly RSource[];
  readonly patches: readonly RPath[];
  readonly files: readonly RPath[];
  readonly depends: readonly Named[];
  /** `weight` as written (null: the field's default); see PACKAGE.fields.weight. */
  readonly weight: number | null;
  readonly provides: { readonly commands: readonly Named[]; readonly libraries: readonly Named[] };
  /** Bound template parameters, in binding order (a later one may interpolate an earlier one). */
  readonly params: ReadonlyMap<string, BoundParam>;
  /**
   * Parameters a `use` failed to bind (a missing or wrong-typed argument, already reported at the call): their
   * uses in the template body are consequences, not mistakes of their own.
   */
  readonly unbound: ReadonlySet<string>;
  readonly steps: ReadonlyMap<string, StepItem>;
  /**
   * A `use` named no template (reported): what the template would have given is missing, so checks do not
   * also report what the package lacks (steps, fields, variables, commands).
   */
  readonly incomplete: boolean;
  /** The layers that amended or replaced the package (or, for a pass, its base), bottom first. */
  readonly layers: readonly string[];
}

export interface Model {
  readonly targets: ReadonlyMap<string, RTarget>;
  readonly stages: ReadonlyMap<string, RStage>;
  readonly templates: ReadonlyMap<string, RTemplate>;
  /** In declaration order: packages first, then passes. */
  readonly packages: ReadonlyMap<string, RPackage>;
  /** The selected target: `--target`, else the default one; null when neither exists (reported). */
  readonly target: RTarget | null;
  /**
   * Names of packages and passes declared in a stage that does not exist (reported): they are not in
   * `packages`, but a reference to one is not also an undefined package.
   */
  readonly unplaced: ReadonlySet<string>;
  /** The layers built on the base, in order (empty without layers). */
  readonly layers: readonly RLayer[];
}
