// Values of the build: target fields, package variables and template parameters are substituted into strings
// (runtime variables stay references for the emitter), sources get their URL and cache file name, recipe files
// their path in the stages directory. What cannot be resolved is returned, for check to report.
import { posix } from 'node:path';
import type { Loc, StringLit } from '../../grammar/syntax.js';
import type { GPart, GSource, GValue } from '../graph.js';
import { RESERVED_VAR_PREFIX } from '../emit/layout.js';
import type { BoundParam, Model, RPackage, RSource, RTarget, TargetValues } from '../resolve/index.js';

/** Variables defined in every step script at run time, as seen where the step runs. */
export const RUNTIME_VARS: readonly string[] = Object.freeze([
  'destdir',
  'filesdir',
  'jobs',
  'root',
  'srcdir',
  'workdir',
]);
/** Runtime variables that only host steps see (host paths). */
export const HOST_ONLY_VARS: readonly string[] = Object.freeze(['sources']);
/** Static variables of every package besides the target's. */
export const PACKAGE_VARS: readonly string[] = Object.freeze(['name', 'stage', 'version']);
/** Variables every shell has, which a step body may read without defining them. */
export const SHELL_VARS: readonly string[] = Object.freeze([
  'IFS',
  'LINENO',
  'OLDPWD',
  'OPTARG',
  'OPTIND',
  'PATH',
  'PPID',
  'PS1',
  'PS2',
  'PS4',
  'PWD',
  'SHELL',
]);
/**
 * Besides PATH and the stage's `env`, what the runtime hands a step's clean environment where it runs
 * (templates/runtime/step.sh `serpent_run_host`, chroot.sh `serpent_chroot_inner`): a chroot step gets no HOME
 * or TERM unless its stage's `env` sets them.
 */
export const STEP_ENV_VARS: { readonly [P in 'host' | 'chroot']: readonly string[] } = Object.freeze({
  host: Object.freeze(['HOME', 'LC_ALL', 'TERM', 'TMPDIR']),
  chroot: Object.freeze(['LC_ALL']),
});
/** Besides SHELL_VARS, variables that change how the shell itself works when assigned (POSIX), or the terminal. */
const SHELL_SPECIAL: readonly string[] = Object.freeze([
  'CDPATH',
  'ENV',
  'FCEDIT',
  'HOME',
  'HISTFILE',
  'HISTSIZE',
  'LANG',
  'LC_ALL',
  'LC_COLLATE',
  'LC_CTYPE',
  'LC_MESSAGES',
  'LC_NUMERIC',
  'LC_TIME',
  'MAIL',
  'MAILCHECK',
  'MAILPATH',
  'NLSPATH',
  'TERM',
]);
/** Static variables of every package, taken from the selected target. */
const TARGET_VARS: readonly (keyof TargetValues)[] = Object.freeze([
  'arch',
  'cflags',
  'cxxflags',
  'ldflags',
  'llvm_backend',
  'triplet',
]);

/** A shell variable name: what a template parameter and an env name become in every step script. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why `name` cannot be a variable a recipe defines for every step (a template parameter: a shell variable; an
 * env entry: an exported one), or null when it can: `shell-name` it is no shell variable name; `step` a
 * variable every step script defines (runtime paths, package and target values, `<stage>_root`, the
 * scripts' own `serpent_*`), which it would replace; `shell` a variable the shell itself gives a meaning.
 * `shellToo`: also refuse the shell's own variables (env entries may set HOME, LANG and the like on purpose).
 */
export function reservedVar(
  name: string,
  stages: Iterable<string>,
  shellToo: boolean,
): 'shell-name' | 'step' | 'shell' | null {
  if (!SHELL_NAME.test(name)) return 'shell-name';
  if (
    name.startsWith(RESERVED_VAR_PREFIX) ||
    [...RUNTIME_VARS, ...HOST_ONLY_VARS, ...PACKAGE_VARS, ...TARGET_VARS].includes(name) ||
    [...stages].some((s) => name === `${s}_root`)
  )
    return 'step';
  if (shellToo && (SHELL_VARS.includes(name) || SHELL_SPECIAL.includes(name))) return 'shell';
  return null;
}

/** A `${name}` that is neither static nor a runtime variable where it stands; `known` is what is. */
export interface Unresolved {
  readonly ref: string;
  readonly loc: Loc;
  readonly known: readonly string[];
}

export interface Interpolated {
  readonly value: GValue;
  readonly unresolved: readonly Unresolved[];
}

/** Substitutes static `${name}` references; runtime ones stay references; anything else is unresolved. */
export function interpolate(
  str: StringLit,
  statics: ReadonlyMap<string, string>,
  runtime: ReadonlySet<string>,
): Interpolated {
  const out: GPart[] = [];
  const unresolved: Unresolved[] = [];
  let lit: string | null = null;
  const flush = () => {
    if (lit !== null) out.push({ lit });
    lit = null;
  };
  for (const part of str.parts) {
    if ('lit' in part) lit = (lit ?? '') + part.lit;
    else {
      const value = statics.get(part.ref);
      if (value !== undefined) lit = (lit ?? '') + value;
      else if (runtime.has(part.ref)) {
        flush();
        out.push({ ref: part.ref });
      } else unresolved.push({ ref: part.ref, loc: part.loc, known: [...statics.keys(), ...runtime] });
    }
  }
  flush();
  return { value: out, unresolved };
}

/** A value as one string, runtime references written `${name}`. */
function flat(v: GValue): string {
  return v.map((p) => ('lit' in p ? p.lit : `\${${p.ref}}`)).join('');
}

const NONE: ReadonlySet<string> = new Set();

/** A string with every reference static: its text, and what did not resolve. */
function staticText(str: StringLit, statics: ReadonlyMap<string, string>, unresolved: Unresolved[]): string {
  const r = interpolate(str, statics, NONE);
  unresolved.push(...r.unresolved);
  return flat(r.value);
}

/** The selected target's fields as static variables ('' for a missing one). */
export function targetStatics(target: RTarget | null): Map<string, string> {
  return new Map(TARGET_VARS.map((k) => [k, String(target?.values[k] ?? '')]));
}

/** The names every stage's env and path may read at run time: step variables, host paths, stage roots. */
export function stageRuntime(model: Model): ReadonlySet<string> {
  return new Set([...RUNTIME_VARS, ...HOST_ONLY_VARS, ...stageRoots(model)]);
}

/** `<stage>_root` for every stage: the shell variable holding that stage's root. */
export function stageRoots(model: Model): string[] {
  return [...model.stages.keys()].map((s) => `${s}_root`);
}

export interface PackageStatics {
  /** name, stage, version, target fields and bound parameters, in the order they were defined. */
  readonly vars: ReadonlyMap<string, string>;
  /** The version after `${name}` is substituted ('' when there is none). */
  readonly version: string;
  /** The version names a variable it cannot use: that is its one mistake, whatever the rest reads. */
  readonly versionUnresolved: boolean;
  readonly unresolved: readonly Unresolved[];
}

/** A package's static variables: a parameter may use the target fields, name, stage, version and earlier ones. */
export function packageStatics(pkg: RPackage, targetVals: ReadonlyMap<string, string>): PackageStatics {
  const unresolved: Unresolved[] = [];
  const statics = new Map(targetVals);
  statics.set('name', pkg.name);
  statics.set('stage', pkg.stage);
  const version = pkg.version ? staticText(pkg.version, new Map([['name', pkg.name]]), unresolved) : '';
  const versionUnresolved = unresolved.length > 0;
  statics.set('version', version);
  for (const [k, p] of pkg.params) statics.set(k, paramText(p, statics, unresolved));
  return { vars: statics, version, versionUnresolved, unresolved };
}

/** A parameter as the shell sees it: strings interpolated, a list joined with spaces. */
function paramText(p: BoundParam, statics: ReadonlyMap<string, string>, unresolved: Unresolved[]): string {
  switch (p.type) {
    case 'string':
      return staticText(p.value, statics, unresolved);
    case 'list':
      return p.value.map((i) => staticText(i, statics, unresolved)).join(' ');
    case 'int':
    case 'bool':
      return String(p.value);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sources and recipe files
// ---------------------------------------------------------------------------------------------------------

/** A source with its URL interpolated and its cache file name chosen. */
export interface PlannedSource {
  readonly source: RSource;
  /** The URL and cache file name the build fetches: a layer's substitute's when there is one. */
  readonly url: string;
  readonly filename: string;
  /** The source's own URL when a layer substituted it, else null. */
  readonly original: string | null;
  /** `${name}`s in the URL that are no static value of the package. */
  readonly unresolved: readonly Unresolved[];
}

export function planSource(pkg: RPackage, source: RSource, statics: ReadonlyMap<string, string>): PlannedSource {
  const r = interpolate(source.url, statics, NONE);
  const url = flat(r.value);
  const sub = source.substitute;
  if (sub) {
    const s = interpolate(sub.by, statics, NONE);
    const by = flat(s.value);
    const filename = cacheFileName(pkg, { ...source, kind: 'url' }, by);
    return { source, url: by, filename, original: url, unresolved: [...r.unresolved, ...s.unresolved] };
  }
  return { source, url, filename: cacheFileName(pkg, source, url), original: null, unresolved: r.unresolved };
}

/**
 * The endings of the archive names the built-in extract unpacks: serpent_unpack (templates/runtime/sources.sh)
 * picks its decompressor by them, case and all. spec/paths unpacks an archive under each with serpent_unpack
 * itself, and sees names outside the list refused by it.
 */
export const ARCHIVE_SUFFIXES: readonly string[] = Object.freeze([
  '.tar.gz',
  '.tgz',
  '.tar.xz',
  '.txz',
  '.tar.bz2',
  '.tbz2',
  '.tbz',
  '.tar.zst',
  '.tar',
]);

/** The cache file name of a source, unique per content (e.g. `musl-1.2.5.tar.gz`, `libwildebeest-<commit12>.tar`). */
function cacheFileName(pkg: RPackage, source: RSource, url: string): string {
  const stem = pkg.passOf ?? pkg.name;
  // .tar, not .tar.gz: `git archive --format=tar` is reproducible, a gzip stream depends on the gzip build
  if (source.kind === 'git') return `${stem}-${(source.commit?.value ?? '').slice(0, 12)}.tar`;
  const base =
    url
      .replace(/[?#].*$/, '')
      .split('/')
      .pop() || 'source';
  return base.toLowerCase().startsWith(stem.toLowerCase().replace(/[^a-z0-9]+.*$/, '')) ? base : `${stem}-${base}`;
}

/** `filename` with the package's whole name in front (unless it starts with it already). */
export function prefixedCacheName(pkg: RPackage, filename: string): string {
  const stem = pkg.passOf ?? pkg.name;
  return filename.startsWith(`${stem}-`) ? filename : `${stem}-${filename}`;
}

/** A planned source as the graph holds it. */
export function graphSource({ source: s, url, filename, original }: PlannedSource): GSource {
  const sha256 = s.sha256?.value ?? '';
  const sub = s.substitute;
  if (sub && original !== null) {
    // the substitute is a plain file, whatever the source below was (a git archive becomes its tarball)
    const substitutes = { url: original, sha256, layer: sub.layer, reason: sub.reason };
    // the same tree in another file: the recipe's `paths` hold for it too
    return {
      kind: 'url',
      url,
      sha256: sub.sha256?.value ?? '',
      filename,
      strip: sub.strip ?? s.strip,
      ...pathsOf(s),
      substitutes,
    };
  }
  if (s.kind === 'git') return { kind: 'git', url, commit: s.commit?.value ?? '', sha256, filename, strip: s.strip };
  return { kind: 'url', url, sha256, filename, strip: s.strip, ...pathsOf(s) };
}

/** `{ paths }` when the source extracts only some paths; nothing otherwise (the graph stays as it was). */
function pathsOf(s: PlannedSource['source']): { paths?: readonly string[] } {
  return s.paths.length ? { paths: s.paths.map((p) => p.value) } : {};
}

/** A patch or file path written in a recipe, relative to the stages directory (`recipe`: the recipe's own path there). */
export function stagesPath(recipe: string, path: string): string {
  return posix.normalize(posix.join(posix.dirname(recipe), path));
}

/** A mount source path (relative to the build directory, checked) as the graph holds it: normalized, no trailing `/`. */
export function mountSourcePath(path: string): string {
  return posix.normalize(path).replace(/\/+$/, '');
}
