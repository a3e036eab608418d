// The typed fields of every declaration, declared once: this table drives checking, messages and docs/fields.md.

/**
 * Field types:
 *   string        a string literal (may interpolate `${name}`)
 *   int, bool     literals
 *   name          an identifier or a string (command names, library names)
 *   ref:stage     an identifier naming a stage
 *   ref:package   an identifier naming a package of the same stage
 *   mount-source  an identifier (a stage, whose root is mounted) or a string (a path relative to the build dir)
 *   list:T        a list of T
 * @typedef {'string' | 'int' | 'bool' | 'name' | 'ref:stage' | 'ref:package' | 'mount-source'
 *   | 'list:string' | 'list:name' | 'list:ref:package'} FieldType
 * @typedef {{ type: FieldType, required?: boolean, default?: unknown, doc: string }} FieldSpec
 * @typedef {{ label: null | 'string', repeat: boolean, spec: DeclSpec | 'env', doc: string }} BlockSpec
 * @typedef {{ doc: string, fields: Record<string, FieldSpec>, blocks: Record<string, BlockSpec>,
 *   steps: boolean, use: boolean }} DeclSpec
 */

/** Built-in steps in their fixed order. */
export const BUILTIN_STEPS = Object.freeze(['extract', 'patch', 'configure', 'build', 'install', 'check']);

/** Steps that run on the host unless a placement says otherwise; the rest default to where the stage runs. */
export const HOST_DEFAULT_STEPS = Object.freeze(['extract', 'patch']);

export const PLACEMENTS = Object.freeze({ host: 'on', chroot: 'in' });

/** Parameter types a template may declare. */
export const PARAM_TYPES = Object.freeze({ string: 'string', int: 'int', bool: 'bool', list: 'list:string' });

/** @type {DeclSpec} */
const SOURCE = {
  doc: 'A release tarball.',
  fields: {
    sha256: { type: 'string', required: true, doc: 'SHA-256 of the file, 64 hex digits.' },
    strip: { type: 'int', default: 1, doc: 'Leading path components to drop when extracting.' },
    insecure: { type: 'bool', default: false, doc: 'Allow a non-https URL (http, ftp).' },
  },
  blocks: {},
  steps: false,
  use: false,
};

/** @type {DeclSpec} */
const GIT = {
  doc: 'A git repository pinned to a commit; the cached artifact is `git archive` of that commit.',
  fields: {
    commit: { type: 'string', required: true, doc: 'The full commit id, 40 hex digits.' },
    sha256: { type: 'string', required: true, doc: 'SHA-256 of `git archive --format=tar --prefix=<package>-<commit[0:12]>/ <commit>`.' },
    strip: { type: 'int', default: 1, doc: 'Leading path components to drop when extracting.' },
    insecure: { type: 'bool', default: false, doc: 'Allow a non-https URL.' },
  },
  blocks: {},
  steps: false,
  use: false,
};

/** @type {DeclSpec} */
const PROVIDES = {
  doc: 'What the package installs, for the tool checks of chroot steps and for queries.',
  fields: {
    commands: { type: 'list:name', default: [], doc: 'Commands installed into the PATH.' },
    libraries: { type: 'list:name', default: [], doc: 'Libraries installed (e.g. `"libc.so"`).' },
  },
  blocks: {},
  steps: false,
  use: false,
};

/** @type {DeclSpec} */
const MOUNT = {
  doc: 'A bind mount inside the chroot; the label is the mount point.',
  fields: {
    from: { type: 'mount-source', required: true, doc: 'A stage (its root is mounted) or a path relative to the build directory.' },
    readonly: { type: 'bool', default: false, doc: 'Mount read-only (really: bind, then remount read-only).' },
  },
  blocks: {},
  steps: false,
  use: false,
};

/** @type {DeclSpec} */
const CHROOT = {
  doc: 'Where and how chroot steps of the stage run.',
  fields: {
    shell: { type: 'string', required: true, doc: 'The shell inside the chroot that runs step scripts, e.g. `/serpent/usr/bin/bash`.' },
    path: { type: 'list:string', required: true, doc: 'PATH inside the chroot, stage-local directories first.' },
    workdir: { type: 'string', default: '/build', doc: "Mount point of the stage's work tree." },
    pseudo: { type: 'list:string', default: ['/dev', '/dev/pts', '/proc', '/sys'], doc: 'Pseudo filesystems mounted from the host.' },
  },
  blocks: {
    mount: { label: 'string', repeat: true, spec: MOUNT, doc: 'A bind mount (`mount "/serpent" { from = stage2 readonly = true }`).' },
  },
  steps: false,
  use: false,
};

/** @type {Record<'target' | 'stage' | 'package' | 'template' | 'pass', DeclSpec>} */
export const SCHEMA = {
  target: {
    doc: 'An architecture profile.',
    fields: {
      default: { type: 'bool', default: false, doc: 'The target used without `--target`; exactly one target has it.' },
      triplet: { type: 'string', required: true, doc: 'The target triplet, e.g. `x86_64-serpent-linux-musl`.' },
      arch: { type: 'string', required: true, doc: 'The architecture name, e.g. `x86_64`.' },
      llvm_backend: { type: 'string', required: true, doc: 'LLVM target backend, e.g. `X86`.' },
      cflags: { type: 'string', default: '', doc: 'C compiler flags.' },
      cxxflags: { type: 'string', default: '', doc: 'C++ compiler flags.' },
      ldflags: { type: 'string', default: '', doc: 'Linker flags.' },
      qemu: { type: 'string', default: null, doc: 'qemu-user binary copied into chroots when the host is another architecture.' },
    },
    blocks: {},
    steps: false,
    use: false,
  },
  stage: {
    doc: 'A bootstrap stage.',
    fields: {
      after: { type: 'ref:stage', default: null, doc: 'The stage that must be complete before this one starts.' },
      root: { type: 'string', default: null, doc: 'The stage root relative to the build directory (default `<stage>/root`).' },
      path: { type: 'list:string', default: [], doc: 'Directories prepended to PATH for host steps.' },
      description: { type: 'string', default: '', doc: 'One line shown by `make help`.' },
    },
    blocks: {
      env: { label: null, repeat: false, spec: 'env', doc: 'Environment variables exported to every step of the stage.' },
      chroot: { label: null, repeat: false, spec: CHROOT, doc: 'Run steps in a chroot of the stage root.' },
    },
    steps: false,
    use: false,
  },
  package: {
    doc: 'A package built in a stage.',
    fields: {
      version: { type: 'string', required: true, doc: 'The upstream version.' },
      patches: { type: 'list:string', default: [], doc: 'Patch files beside the recipe, applied in order with `-p1`.' },
      files: { type: 'list:string', default: [], doc: 'Files beside the recipe, copied to `${filesdir}`.' },
      depends: { type: 'list:ref:package', default: [], doc: 'Packages of the same stage that must be installed first.' },
    },
    blocks: {
      source: { label: 'string', repeat: true, spec: SOURCE, doc: 'A release tarball: `source "https://…" { sha256 = "…" }`.' },
      git: { label: 'string', repeat: true, spec: GIT, doc: 'A pinned git source: `git "https://…" { commit = "…" sha256 = "…" }`.' },
      provides: { label: null, repeat: false, spec: PROVIDES, doc: 'Commands and libraries the package installs.' },
    },
    steps: true,
    use: true,
  },
  template: {
    doc: 'Reusable package items with typed parameters.',
    fields: {},
    blocks: {},
    steps: true,
    use: false,
  },
  pass: {
    doc: 'The same package built again later in its stage.',
    fields: {},
    blocks: {},
    steps: true,
    use: true,
  },
};
// A template and a pass accept every package field and block; none is required there.
SCHEMA.template.fields = Object.fromEntries(Object.entries(SCHEMA.package.fields).map(([k, v]) => [k, { ...v, required: false }]));
SCHEMA.template.blocks = SCHEMA.package.blocks;
SCHEMA.pass.fields = SCHEMA.template.fields;
SCHEMA.pass.blocks = SCHEMA.package.blocks;

/** Human names of types for messages. @param {string} type */
export function describeType(type) {
  if (type.startsWith('list:')) return `a list of ${describeType(type.slice(5)).replace(/^an? /, '')}s`;
  return (
    {
      string: 'a string',
      int: 'an integer',
      bool: 'a boolean',
      name: 'a name',
      'ref:stage': 'a stage name',
      'ref:package': 'a package name',
      'mount-source': 'a stage name or a path string',
    }[type] ?? type
  );
}

/** @param {import('./model.js').Value} v */
export function describeValue(v) {
  return { String: 'a string', Int: 'an integer', Bool: 'a boolean', Ident: 'a name', List: 'a list', Shell: 'a shell body' }[v.kind];
}
