// The typed fields of every declaration, declared once: this table drives checking, messages and docs/fields.md,
// and each field's value type in TypeScript is derived from it (a `list:string` field reads as StringLit[]).
import type { Decl, Loc, StringLit, Value } from '../grammar/syntax.js';

/**
 * Field type names, as docs and messages spell them:
 *   string        a string literal (may interpolate `${name}`)
 *   int, bool     literals
 *   name          an identifier or a string (command names, library names)
 *   ref:stage     an identifier naming a stage
 *   ref:package   an identifier naming a package of the same stage
 *   mount-source  an identifier (a stage, whose root is mounted) or a string (a path relative to the build dir)
 *   list:T        a list of T
 */
export type ScalarName = 'string' | 'int' | 'bool' | 'name' | 'ref:stage' | 'ref:package' | 'mount-source';
export type TypeName = ScalarName | `list:${ScalarName}`;

/** A name written in a recipe (a command, a library, a stage or package reference) and where. */
export interface Named {
  readonly name: string;
  readonly loc: Loc;
}

/** A bind-mount source: a stage (its root is mounted) or a path relative to the build directory. */
export type MountSource =
  | { readonly kind: 'stage'; readonly name: string; readonly loc: Loc }
  | { readonly kind: 'path'; readonly path: string; readonly loc: Loc };

/**
 * A field type: how an AST value becomes the field's typed value V, and V's plain form P (a string field's
 * value is its StringLit, which keeps interpolations and the location; its plain form is the decoded text).
 */
export interface FieldType<V, P> {
  readonly name: TypeName;
  /** For a list type, its item type (a mismatch is reported item by item); null for a scalar type. */
  readonly item: FieldType<unknown, unknown> | null;
  /** Whether the value has this type as a whole (every item, for a list). */
  matches(v: Value): boolean;
  /** The typed value; undefined when `v` does not match. A list keeps the items that match. */
  decode(v: Value): V | undefined;
  plain(v: V): P;
}

/** A field type that is not a list. */
export interface ScalarType<V, P> extends FieldType<V, P> {
  readonly name: ScalarName;
  readonly item: null;
}

function scalar<V, P>(name: ScalarName, decode: (v: Value) => V | undefined, plain: (v: V) => P): ScalarType<V, P> {
  return { name, item: null, matches: (v) => decode(v) !== undefined, decode, plain };
}

function list<V, P>(item: ScalarType<V, P>): FieldType<readonly V[], readonly P[]> {
  return {
    name: `list:${item.name}`,
    item,
    matches: (v) => v.kind === 'List' && v.items.every((i) => item.matches(i)),
    decode: (v) => (v.kind === 'List' ? v.items.flatMap((i) => decodeAll(item, i)) : undefined),
    plain: (vs) => vs.map((x) => item.plain(x)),
  };
}

function decodeAll<V>(type: FieldType<V, unknown>, v: Value): V[] {
  const d = type.decode(v);
  return d === undefined ? [] : [d];
}

const named = (v: Named): string => v.name;
const ref = (v: Value): Named | undefined => (v.kind === 'Ident' ? { name: v.name, loc: v.loc } : undefined);
/** A name is an identifier, or a string without interpolation. */
const nameOf = (v: Value): Named | undefined =>
  // a `${…}` in it is reported as no substitution there (resolve/body.ts), not as a wrong type
  v.kind === 'Ident' || v.kind === 'String' ? { name: v.kind === 'Ident' ? v.name : v.value, loc: v.loc } : undefined;

export const STRING = scalar(
  'string',
  (v): StringLit | undefined => (v.kind === 'String' ? v : undefined),
  (v) => v.value,
);
export const INT = scalar(
  'int',
  (v) => (v.kind === 'Int' ? v.value : undefined),
  (v: number) => v,
);
export const BOOL = scalar(
  'bool',
  (v) => (v.kind === 'Bool' ? v.value : undefined),
  (v: boolean) => v,
);
export const NAME = scalar('name', nameOf, named);
export const STAGE_REF = scalar('ref:stage', ref, named);
export const PACKAGE_REF = scalar('ref:package', ref, named);
export const MOUNT_SOURCE = scalar(
  'mount-source',
  (v): MountSource | undefined =>
    v.kind === 'Ident'
      ? { kind: 'stage', name: v.name, loc: v.loc }
      : v.kind === 'String'
        ? { kind: 'path', path: v.value, loc: v.loc }
        : undefined,
  (v: MountSource) => v,
);
export const STRINGS = list(STRING);
export const NAMES = list(NAME);
export const PACKAGE_REFS = list(PACKAGE_REF);

/** One field of a declaration; the Body that holds it is read with the spec itself as the key. */
export interface FieldSpec<V = unknown, P = unknown> {
  readonly type: FieldType<V, P>;
  readonly required?: boolean;
  /** The value when the field is not written (shown in docs/fields.md). */
  readonly default?: P | null;
  readonly doc: string;
  /** `${name}` is substituted in its strings (docs/language.md, Values and interpolation); elsewhere it is an error. */
  readonly interpolated?: true;
}

/** A block inside a declaration: a nested declaration body, or `env` (free `NAME = "value"` items). */
export interface BlockSpec {
  readonly label: null | 'string';
  readonly repeat: boolean;
  readonly spec: DeclSpec | 'env';
  readonly doc: string;
}

export interface DeclSpec {
  readonly doc: string;
  readonly fields: { readonly [key: string]: FieldSpec };
  readonly blocks: { readonly [key: string]: BlockSpec };
  readonly steps: boolean;
  readonly use: boolean;
}

/** A field spec whose value type follows from its field type; its default keeps its own type. */
function field<
  V,
  P,
  R extends {
    readonly required?: true;
    readonly default?: P | null;
    readonly doc: string;
    readonly interpolated?: true;
  },
>(type: FieldType<V, P>, rest: R): FieldSpec<V, P> & R {
  return { type, ...rest };
}

/** The spec's own field or block named `key` (never an inherited property such as `constructor`). */
export function ownField(spec: DeclSpec, key: string): FieldSpec | undefined {
  return Object.hasOwn(spec.fields, key) ? spec.fields[key] : undefined;
}
export function ownBlock(spec: DeclSpec, key: string): BlockSpec | undefined {
  return Object.hasOwn(spec.blocks, key) ? spec.blocks[key] : undefined;
}

/** Built-in steps in their fixed order. */
export const BUILTIN_STEPS: readonly string[] = Object.freeze([
  'extract',
  'patch',
  'configure',
  'build',
  'install',
  'check',
]);

/**
 * Steps that prepare the source tree: they run on the host unless a placement says otherwise (the rest default
 * to where the stage runs), and they wait for nothing but the step before them.
 */
export const PREP_STEPS: ReadonlySet<string> = new Set(['extract', 'patch']);

/** Parameter types a template may declare, and the field type of each. */
export const PARAM_TYPES = { string: STRING, int: INT, bool: BOOL, list: STRINGS } as const;
export type ParamTypeName = keyof typeof PARAM_TYPES;

export function isParamType(name: string): name is ParamTypeName {
  return Object.hasOwn(PARAM_TYPES, name);
}

export const SOURCE = {
  doc: 'A release tarball.',
  fields: {
    sha256: field(STRING, { required: true, doc: 'SHA-256 of the file, 64 hex digits.' }),
    strip: field(INT, { default: 1, doc: 'Leading path components to drop when extracting.' }),
    insecure: field(BOOL, { default: false, doc: 'Allow a non-https URL (http, ftp).' }),
    paths: field(STRINGS, {
      default: [],
      doc: 'Only these paths of the archive (below its `strip` leading components), each with everything below it, are extracted; default: all of it. A path missing from the archive fails the extract step.',
    }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const GIT = {
  doc: 'A git repository pinned to a commit; the cached artifact is `git archive` of that commit.',
  fields: {
    commit: field(STRING, { required: true, doc: 'The full commit id, 40 hex digits.' }),
    sha256: field(STRING, {
      required: true,
      doc: 'SHA-256 of `git archive --format=tar --prefix=<package>-<commit[0:12]>/ <commit>`.',
    }),
    strip: field(INT, { default: 1, doc: 'Leading path components to drop when extracting.' }),
    insecure: field(BOOL, { default: false, doc: 'Allow a non-https URL.' }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const PROVIDES = {
  doc: 'What the package installs, for the tool checks of chroot steps and for queries; checked after the install step.',
  fields: {
    commands: field(NAMES, {
      default: [],
      doc: 'Commands (file names) installed into the PATH (`usr/bin`, `bin`, `usr/sbin` or `sbin` of the root); the last step of the package (install or after) fails when one is missing.',
    }),
    libraries: field(NAMES, {
      default: [],
      doc: 'Libraries (file names, e.g. `"libc.so"`) installed into `usr/lib`, `lib`, `usr/lib/<triplet>` or `sysroot/usr/lib` of the root; the last step of the package (install or after) fails when one is missing.',
    }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const MOUNT = {
  doc: 'A bind mount inside the chroot; the label is the mount point.',
  fields: {
    from: field(MOUNT_SOURCE, {
      required: true,
      doc: 'A stage (its root is mounted) or a path relative to the build directory.',
    }),
    readonly: field(BOOL, { default: false, doc: 'Mount read-only (really: bind, then remount read-only).' }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const CHROOT = {
  doc: 'Where and how chroot steps of the stage run.',
  fields: {
    shell: field(STRING, {
      required: true,
      doc: 'The shell inside the chroot that runs step scripts, e.g. `/serpent/usr/bin/bash`.',
    }),
    path: field(STRINGS, {
      required: true,
      doc: 'PATH inside the chroot, stage-local directories first; each entry one absolute directory.',
    }),
    workdir: field(STRING, { default: '/build', doc: "Mount point of the stage's work tree." }),
    pseudo: field(STRINGS, {
      default: ['/dev', '/dev/pts', '/proc', '/sys'],
      doc: 'File systems mounted in each step: `/proc` and `/sys` anew, `/tmp`, `/run` and `/dev/shm` as a tmpfs of the step alone, any other path (`/dev`, `/dev/pts`) bound from the host.',
    }),
  },
  blocks: {
    mount: {
      label: 'string',
      repeat: true,
      spec: MOUNT,
      doc: 'A bind mount (`mount "/serpent" { from = stage2 readonly = true }`).',
    },
  },
  steps: false,
  use: false,
} satisfies DeclSpec;

export const TARGET = {
  doc: 'An architecture profile.',
  fields: {
    default: field(BOOL, { default: false, doc: 'The target used without `--target`; exactly one target has it.' }),
    triplet: field(STRING, {
      required: true,
      doc: 'The target triplet, e.g. `x86_64-serpent-linux-musl`: one word of letters, digits and `. _ + -`.',
    }),
    arch: field(STRING, { required: true, doc: 'The architecture name, e.g. `x86_64` (one word, as the triplet).' }),
    llvm_backend: field(STRING, { required: true, doc: 'LLVM target backend, e.g. `X86`.' }),
    cflags: field(STRING, { default: '', doc: 'C compiler flags.' }),
    cxxflags: field(STRING, { default: '', doc: 'C++ compiler flags.' }),
    ldflags: field(STRING, { default: '', doc: 'Linker flags.' }),
    qemu: field(STRING, {
      default: null,
      doc: 'qemu-user binary copied into chroots when the host is another architecture.',
    }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const STAGE = {
  doc: 'A bootstrap stage.',
  fields: {
    after: field(STAGE_REF, { default: null, doc: 'The stage that must be complete before this one starts.' }),
    path: field(STRINGS, {
      default: [],
      interpolated: true,
      doc: 'Directories prepended to PATH for host steps, each one absolute directory (or `${<stage>_root}/…`).',
    }),
    description: field(STRING, { default: '', doc: 'One line shown by `make help`.' }),
  },
  blocks: {
    env: { label: null, repeat: false, spec: 'env', doc: 'Environment variables exported to every step of the stage.' },
    chroot: { label: null, repeat: false, spec: CHROOT, doc: 'Run steps in a chroot of the stage root.' },
  },
  steps: false,
  use: false,
} satisfies DeclSpec;

export const PACKAGE = {
  doc: 'A package built in a stage.',
  fields: {
    version: field(STRING, { required: true, interpolated: true, doc: 'The upstream version; it may use `${name}`.' }),
    patches: field(STRINGS, {
      default: [],
      doc: 'Patch files beside the recipe, applied in order with `-p1`, each once.',
    }),
    files: field(STRINGS, {
      default: [],
      doc: 'Files beside the recipe, copied to `${filesdir}` under their own names (so no two may share one).',
    }),
    depends: field(PACKAGE_REFS, { default: [], doc: 'Packages of the same stage that must be installed first.' }),
    weight: field(INT, {
      default: 1,
      doc:
        'Estimated build time relative to other packages, in tenths of an LFS SBU (stages/SOURCES.md says where ' +
        "the values come from). Only orders make's prerequisites so the longest chains start first under `-jN`; " +
        'it never changes what is built or when a step reruns.',
    }),
  },
  blocks: {
    source: {
      label: 'string',
      repeat: true,
      spec: SOURCE,
      doc: 'A release tarball: `source "https://…" { sha256 = "…" }`.',
    },
    git: {
      label: 'string',
      repeat: true,
      spec: GIT,
      doc: 'A pinned git source: `git "https://…" { commit = "…" sha256 = "…" }`.',
    },
    provides: { label: null, repeat: false, spec: PROVIDES, doc: 'Commands and libraries the package installs.' },
  },
  steps: true,
  use: true,
} satisfies DeclSpec;

/**
 * A template and a pass accept every package field and block (the same specs, so a body reads the same way
 * whatever declared it). None is required there: resolve checks required fields on the merged package.
 */
export const TEMPLATE = {
  doc: 'Reusable package items with typed parameters.',
  fields: PACKAGE.fields,
  blocks: PACKAGE.blocks,
  steps: true,
  use: false,
} satisfies DeclSpec;

export const PASS = {
  doc: 'The same package built again later in its stage.',
  fields: PACKAGE.fields,
  blocks: PACKAGE.blocks,
  steps: true,
  use: true,
} satisfies DeclSpec;

export const LAYER = {
  doc: 'Declares the directory holding it a layer: recipes built on top of the directories named before it.',
  fields: {
    description: field(STRING, { required: true, doc: 'What the layer changes and why, in one line.' }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const SUBSTITUTE = {
  doc: "Another file for a source of the package below (labelled with that source's URL as written).",
  fields: {
    by: field(STRING, {
      required: true,
      interpolated: true,
      doc: 'The URL of the substitute file (`file://` for a local one).',
    }),
    sha256: field(STRING, { required: true, doc: 'SHA-256 of the substitute file, 64 hex digits.' }),
    reason: field(STRING, { required: true, doc: 'Why the source is substituted (shown in the build log).' }),
    strip: field(INT, { default: null, doc: "Leading path components to drop; default: the source's." }),
    insecure: field(BOOL, { default: false, doc: 'Allow a non-https URL (`http`, `ftp`); `file://` needs none.' }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

export const DROP = {
  doc: 'Dependencies of the package below that a layer removes, with the reason.',
  fields: {
    depends: field(PACKAGE_REFS, { required: true, doc: 'The dependencies removed.' }),
    reason: field(STRING, { required: true, doc: 'Why the package no longer needs them.' }),
  },
  blocks: {},
  steps: false,
  use: false,
} satisfies DeclSpec;

/**
 * `amend package`: every package item (applied on top of the package below, as a pass's items are), plus the
 * changes only a layer makes: substituting a source and dropping dependencies.
 */
export const AMEND_PACKAGE = {
  doc: "A layer's change to a package below it: fields given replace, `+=` extends, steps replace or add.",
  fields: PACKAGE.fields,
  blocks: {
    ...PACKAGE.blocks,
    substitute: {
      label: 'string',
      repeat: true,
      spec: SUBSTITUTE,
      doc: 'Another file for a source: `substitute "<url as written>" { by = "…" sha256 = "…" reason = "…" }`.',
    },
    drop: {
      label: null,
      repeat: true,
      spec: DROP,
      doc: 'Dependencies removed: `drop { depends = [x] reason = "…" }`.',
    },
  },
  steps: true,
  use: true,
} satisfies DeclSpec;

/** `replace package`: a whole new definition (a package's items, the required ones required). */
export const REPLACE_PACKAGE = {
  doc: "A layer's new definition of a package below it.",
  fields: PACKAGE.fields,
  blocks: { ...PACKAGE.blocks, drop: AMEND_PACKAGE.blocks.drop },
  steps: true,
  use: true,
} satisfies DeclSpec;

/** `amend stage`: stage fields given replace those below; `env` entries replace or add one by one. */
export const AMEND_STAGE = {
  doc: "A layer's change to a stage below it.",
  fields: STAGE.fields,
  blocks: STAGE.blocks,
  steps: false,
  use: false,
} satisfies DeclSpec;

export const SCHEMA = {
  target: TARGET,
  stage: STAGE,
  package: PACKAGE,
  template: TEMPLATE,
  pass: PASS,
  layer: LAYER,
  'amend package': AMEND_PACKAGE,
  'replace package': REPLACE_PACKAGE,
  'amend stage': AMEND_STAGE,
} as const;

/** The keyword that begins each declaration other than a layer's changes: also its entry in SCHEMA. */
export const DECL_KEYWORDS = {
  Target: 'target',
  Stage: 'stage',
  Template: 'template',
  Package: 'package',
  Pass: 'pass',
  Layer: 'layer',
} as const satisfies Record<Exclude<Decl['kind'], 'Amend' | 'Replace'>, keyof typeof SCHEMA>;

const TYPE_WORDS: { readonly [T in ScalarName]: string } = {
  string: 'a string',
  int: 'an integer',
  bool: 'a boolean',
  name: 'a name',
  'ref:stage': 'a stage name',
  'ref:package': 'a package name',
  'mount-source': 'a stage name or a path string',
};

function isScalar(name: string): name is ScalarName {
  return Object.hasOwn(TYPE_WORDS, name);
}

/** Human names of types for messages and docs. */
export function describeType(type: TypeName): string {
  if (isScalar(type)) return TYPE_WORDS[type];
  const item = type.slice('list:'.length);
  return isScalar(item) ? `a list of ${TYPE_WORDS[item].replace(/^an? /, '')}s` : type;
}

const VALUE_WORDS: { readonly [K in Value['kind']]: string } = {
  String: 'a string',
  Int: 'an integer',
  Bool: 'a boolean',
  Ident: 'a name',
  List: 'a list',
  Shell: 'a shell body',
};

/** Human names of what a recipe wrote, for messages: "found a list". */
export function describeValue(kind: Value['kind']): string {
  return VALUE_WORDS[kind];
}
