// Every code serpentc reports: its one-line summary (docs/diagnostics.md) and the one function that builds its
// message from data. Call sites pass data, so each sentence is spelled once. Syntax codes are built by grammar/.
// Longer than 400 lines on purpose: it is one table, and every sentence serpentc says about a recipe is in it.
import { nameChar, visible } from '../../grammar/chars.js';
import type { Loc, SyntaxCode, Value } from '../../grammar/syntax.js';
import { BUILTIN_STEPS, describeType, describeValue, type TypeName } from '../schema.js';
import type { Note } from './diagnostic.js';

/** The body a field, block or step was written in, as messages name it: "package `musl`", "`chroot` block". */
export type Owner =
  | { readonly decl: 'target' | 'stage' | 'package' | 'template' | 'pass' | 'layer'; readonly name: string }
  | { readonly block: string };

function owner(o: Owner): string {
  return 'block' in o ? `\`${o.block}\` block` : `${o.decl} \`${o.name}\``;
}

/** A value of the wrong type: what was expected, what the recipe wrote. */
interface Mismatch {
  readonly expected: TypeName;
  readonly found: Value['kind'];
}

/** The data each compiler code's message is built from; a union when the code has several messages. */
export interface MessageData {
  // schema
  'unknown-field':
    | {
        readonly kind: 'field-is-block' | 'no-field' | 'block-is-field' | 'no-block';
        readonly key: string;
        readonly owner: Owner;
      }
    | { readonly kind: 'no-steps'; readonly step: string; readonly owner: Owner }
    | { readonly kind: 'not-a-step'; readonly step: string }
    | { readonly kind: 'no-use'; readonly owner: Owner }
    | { readonly kind: 'env-item' }
    | { readonly kind: 'no-param'; readonly template: string; readonly param: string };
  'wrong-type':
    | ({ readonly kind: 'field'; readonly field: string; readonly item: boolean } & Mismatch)
    | ({ readonly kind: 'argument'; readonly param: string; readonly template: string } & Mismatch)
    | ({ readonly kind: 'param-default'; readonly param: string } & Mismatch)
    | { readonly kind: 'param-type'; readonly type: string; readonly known: readonly string[] }
    | { readonly kind: 'append'; readonly field: string; readonly type: TypeName }
    | { readonly kind: 'label-needed' | 'no-label'; readonly block: string }
    | { readonly kind: 'env-value'; readonly name: string };
  'missing-field':
    | { readonly kind: 'field'; readonly owner: Owner; readonly field: string; readonly doc: string }
    | { readonly kind: 'argument'; readonly template: string; readonly param: string; readonly type: TypeName }
    | { readonly kind: 'patch-source'; readonly pkg: string };
  'bad-name':
    | { readonly kind: 'stage-pattern' | 'stage-reserved'; readonly stage: string }
    | { readonly kind: 'builtin-step'; readonly step: string }
    | { readonly kind: 'env-name'; readonly name: string }
    | { readonly kind: 'param-shell-name'; readonly param: string }
    | { readonly kind: 'param-reserved'; readonly param: string; readonly what: 'step' | 'shell' }
    | { readonly kind: 'env-reserved'; readonly name: string }
    | { readonly kind: 'param-env'; readonly param: string; readonly stage: string }
    | { readonly kind: 'env-shell'; readonly name: string };
  'bad-value':
    | { readonly kind: 'version'; readonly version: string }
    | { readonly kind: 'chroot-shell'; readonly shell: string }
    | { readonly kind: 'chroot-path' }
    | { readonly kind: 'no-interpolation'; readonly field: string; readonly name: string }
    | { readonly kind: 'path-entry'; readonly path: string; readonly where: 'host' | 'chroot' }
    | { readonly kind: 'target-word'; readonly field: string; readonly value: string }
    | { readonly kind: 'provides-name'; readonly what: 'command' | 'library'; readonly name: string }
    | { readonly kind: 'description' }
    | { readonly kind: 'mount-path'; readonly path: string }
    | { readonly kind: 'step-marker'; readonly step: string }
    | { readonly kind: 'value-step-marker'; readonly name: string }
    | { readonly kind: 'file-name'; readonly path: string }
    /** `filename`: what the built-in extract would unpack; `suffixes`: the endings it knows. */
    | { readonly kind: 'archive-name'; readonly filename: string; readonly suffixes: readonly string[] };
  // resolution
  'duplicate-definition':
    | {
        readonly kind: 'decl';
        readonly decl: 'target' | 'stage' | 'template' | 'package' | 'pass' | 'layer';
        readonly name: string;
      }
    /** `change`: the change's head as written (`amend package llvm in stage1`). */
    | { readonly kind: 'change'; readonly change: string; readonly layer: string }
    | { readonly kind: 'param' | 'argument'; readonly param: string }
    | { readonly kind: 'pass-name'; readonly name: string; readonly stage: string }
    | { readonly kind: 'field' | 'block' | 'step'; readonly key: string; readonly owner: Owner }
    | { readonly kind: 'env'; readonly name: string }
    | { readonly kind: 'mount'; readonly target: string }
    | { readonly kind: 'cache-name'; readonly filename: string }
    | { readonly kind: 'patch'; readonly path: string }
    | { readonly kind: 'layer-dir'; readonly dir: string; readonly layer: string }
    /** `first`: the template whose `use` bound `param` first; `template`: the one that binds it again. */
    | { readonly kind: 'param-use'; readonly param: string; readonly first: string; readonly template: string }
    /** `name`: the name in `${filesdir}`; `first`: the file listed first under it. */
    | { readonly kind: 'file'; readonly path: string; readonly name: string; readonly first: string };
  'undefined-package':
    | { readonly kind: 'pass-base'; readonly pass: string; readonly base: string; readonly stage: string | null }
    | { readonly kind: 'ambiguous-base'; readonly base: string }
    | { readonly kind: 'dependency'; readonly name: string; readonly stage: string }
    | { readonly kind: 'drop'; readonly name: string; readonly pkg: string };
  'undefined-source': { readonly pkg: string; readonly url: string };
  // layers
  'layer-mismatch':
    | { readonly kind: 'layer-as-base'; readonly dir: string; readonly layer: string }
    | { readonly kind: 'base-as-layer'; readonly dir: string }
    | { readonly kind: 'change-in-base'; readonly change: string };
  'dropped-dependency': { readonly layer: string; readonly pkg: string; readonly dep: string };
  'undefined-stage': { readonly stage: string };
  /** `known`: every target name, sorted. */
  'undefined-target': { readonly target: string; readonly known: readonly string[] };
  'undefined-template': { readonly template: string };
  'undefined-variable':
    | { readonly kind: 'interpolation' | 'shell'; readonly name: string }
    | { readonly kind: 'host-only'; readonly name: string; readonly step: string };
  'undefined-step': { readonly pkg: string; readonly anchor: string; readonly step: string };
  'no-default-target': { readonly kind: 'none-marked' | 'none-defined' };
  'multiple-default-targets': { readonly first: string; readonly second: string };
  /** `path`: the names around the cycle, the first one repeated at the end; `self`: a name that needs itself. */
  'dependency-cycle':
    | { readonly kind: 'stages' | 'packages'; readonly path: readonly string[] }
    | { readonly kind: 'self-stage' | 'self-package'; readonly name: string }
    | { readonly kind: 'steps'; readonly pkg: string; readonly path: readonly string[] };
  /** `what`: a chroot `mount` or a host `path` entry; `later`: `used` comes after `stage` (else they are unordered). */
  'stage-order': {
    readonly what: 'mount' | 'path';
    readonly stage: string;
    readonly used: string;
    readonly later: boolean;
  };
  // steps and tools
  'bad-placement':
    | { readonly kind: 'unknown'; readonly placement: string }
    | { readonly kind: 'no-chroot'; readonly step: string; readonly pkg: string; readonly stage: string };
  'shell-syntax': { readonly step: string; readonly error: string };
  'command-unavailable': { readonly pkg: string; readonly command: string; readonly step: string };
  // sources and files
  /**
   * `kind`: which digest; `found`: how many characters it has; `at` (1-based) and `char` (as a message names it):
   * its first character that is no hex digit.
   */
  'bad-checksum':
    | { readonly kind: 'sha256' | 'commit'; readonly problem: 'length'; readonly found: number }
    | { readonly kind: 'sha256' | 'commit'; readonly problem: 'uppercase' }
    | { readonly kind: 'sha256' | 'commit'; readonly problem: 'not-hex'; readonly char: string; readonly at: number }
    | { readonly kind: 'commit'; readonly problem: 'ref'; readonly ref: string };
  'insecure-url': { readonly kind: 'not-a-url' | 'not-https'; readonly url: string };
  'missing-file': { readonly path: string; readonly rel: string };
  'bad-archive-path': {
    readonly path: string;
    readonly problem: 'empty' | 'absolute' | 'option' | 'dots' | 'pattern';
  };
  'path-escape':
    | { readonly kind: 'mount-source' | 'absolute-file' | 'file'; readonly path: string }
    | { readonly kind: 'mount-point'; readonly target: string }
    /** `real`: where the link really leads (the resolved path). */
    | { readonly kind: 'link'; readonly path: string; readonly real: string };
  // safety
  'mount-contains-root':
    | { readonly kind: 'own-root'; readonly stage: string }
    | { readonly kind: 'host-root' }
    | { readonly kind: 'over-root'; readonly target: string }
    | { readonly kind: 'source'; readonly source: string; readonly root: string };
  // input
  'no-recipes': { readonly dir: string };
  /** `byte`: the first byte that is no part of a UTF-8 character. */
  'bad-encoding': { readonly byte: number };
  'bare-cr': Record<string, never>;
  'io-error':
    | { readonly kind: 'dir' | 'file' | 'write'; readonly path: string; readonly reason: string }
    /** `again`: the path a directory was first read under; `path` leads to it again. */
    | { readonly kind: 'loop'; readonly path: string; readonly again: string };
}

export type CompilerCode = keyof MessageData;
export type Code = SyntaxCode | CompilerCode;

interface Entry<C extends CompilerCode> {
  readonly summary: string;
  readonly message: (data: MessageData[C]) => string;
}

/** The codes grammar/ reports, with the messages it builds itself (grammar imports nothing from compiler/). */
const SYNTAX: { readonly [C in SyntaxCode]: string } = {
  'syntax-error':
    'The text does not match the grammar; reported where the mistake is, not where the parser noticed it (see above).',
  'unterminated-string': 'A string literal runs to the end of its line without a closing quote.',
  'unterminated-shell': 'A `"""` shell body has no closing `"""`.',
  'bad-interpolation': 'A `${` in a string is not followed by a name and `}`.',
  'bad-escape': 'An unknown backslash escape in a string (kept literally).',
  'nul-byte': 'A NUL byte inside a string or shell body: nothing in a shell can hold one.',
  'placement-preposition': 'Warning: `in host` or `on chroot`; write `on host` and `in chroot`.',
  'internal-error': 'The front end itself failed on an input: a serpentc bug, reported instead of a crash.',
};

/** Recipe text inside a one-line message: line breaks and tabs written as `\n` and `\t`, invisible characters named. */
const oneLine = (text: string) => visible(text).replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));

/** A byte as the tools a user would inspect it with show it (`od -t x1`, `xxd`): `0xe9`. */
const hexByte = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;

const mismatch = (m: Mismatch) => `${describeType(m.expected)}, found ${describeValue(m.found)}`;

/** Keep in this order (docs/diagnostics.md lists codes as written); every code has a golden case. */
const CATALOGUE: { readonly [C in CompilerCode]: Entry<C> } = {
  // schema
  'unknown-field': {
    summary: 'A field, block or step name the declaration does not accept (with did-you-mean).',
    message: (d) => {
      switch (d.kind) {
        case 'field-is-block':
          return `\`${d.key}\` is a block in ${owner(d.owner)}: write \`${d.key} { … }\``;
        case 'no-field':
          return `${owner(d.owner)} has no field \`${d.key}\``;
        case 'block-is-field':
          return `\`${d.key}\` is a field in ${owner(d.owner)}: write \`${d.key} = …\``;
        case 'no-block':
          return `${owner(d.owner)} has no block \`${d.key}\``;
        case 'no-steps':
          return `${owner(d.owner)} has no steps; \`${d.step}\` is not one of its fields`;
        case 'not-a-step':
          return `\`${d.step}\` is not a built-in step (${BUILTIN_STEPS.join(', ')}); write \`step ${d.step} """…"""\` for a custom step`;
        case 'no-use':
          return `${owner(d.owner)} cannot \`use\` templates`;
        case 'env-item':
          return 'an `env` block holds only `NAME = "value"` assignments';
        case 'no-param':
          return `template \`${d.template}\` has no parameter \`${d.param}\``;
      }
    },
  },
  'wrong-type': {
    summary: 'A value of the wrong type for its field or parameter.',
    message: (d) => {
      switch (d.kind) {
        case 'field':
          return `${d.item ? 'each item of ' : ''}field \`${d.field}\` expects ${mismatch(d)}`;
        case 'argument':
          return `parameter \`${d.param}\` of template \`${d.template}\` expects ${mismatch(d)}`;
        case 'param-default':
          return `default of parameter \`${d.param}\` must be ${mismatch(d)}`;
        case 'param-type':
          return `unknown parameter type \`${d.type}\`; expected one of ${d.known.join(', ')}`;
        case 'append':
          return `\`+=\` appends to lists, but \`${d.field}\` is ${describeType(d.type)}`;
        case 'label-needed':
          return `block \`${d.block}\` needs a string label, e.g. \`${d.block} "…" { … }\``;
        case 'no-label':
          return `block \`${d.block}\` takes no label`;
        case 'env-value':
          return `env value \`${d.name}\` must be a string assigned with \`=\``;
      }
    },
  },
  'missing-field': {
    summary: 'A required field or template parameter is not given, or patches without a source to apply them to.',
    message: (d) => {
      switch (d.kind) {
        case 'field':
          return `${owner(d.owner)} needs a \`${d.field}\` field (${d.doc})`;
        case 'argument':
          return `template \`${d.template}\` needs parameter \`${d.param}\` (${describeType(d.type)})`;
        case 'patch-source':
          return `\`${d.pkg}\` has patches but no \`source\` or \`git\` block: the patch step would find nothing to patch`;
      }
    },
  },
  'bad-name': {
    summary: 'A name that cannot be used where it stands (e.g. a stage name that is not a shell identifier).',
    message: (d) => {
      switch (d.kind) {
        case 'stage-pattern':
          return `stage name \`${d.stage}\` must match [a-z][a-z0-9_]* (it becomes the shell variable \`${d.stage.replace(/\W/g, '_')}_root\`)`;
        case 'stage-reserved':
          return `stage name \`${d.stage}\` is reserved: the generated Makefile or build directory already uses it`;
        case 'builtin-step':
          return `\`${d.step}\` is a built-in step; write it without \`step\``;
        case 'env-name':
          return `\`${d.name}\` is not a valid environment variable name`;
        case 'param-shell-name':
          return `parameter \`${d.param}\` becomes a shell variable in every step, but \`${d.param}\` is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)`;
        case 'param-reserved':
          return `parameter \`${d.param}\` would replace ${d.what === 'step' ? "serpentc's step variable" : 'the shell variable'} \`${d.param}\` in every step`;
        case 'env-reserved':
          return `env entry \`${d.name}\` would replace serpentc's step variable \`${d.name}\` in every step of the stage`;
        case 'env-shell':
          return `env entry \`${d.name}\` would replace the shell's own \`${d.name}\` in every step of the stage`;
        case 'param-env':
          return `parameter \`${d.param}\` is also an env variable of stage \`${d.stage}\`, which would replace it in every step`;
      }
    },
  },
  'bad-value': {
    summary: 'A value of the right type that is not acceptable (e.g. an empty list where one entry is required).',
    message: (d) => {
      switch (d.kind) {
        case 'version':
          return `version \`${d.version}\` must start with a letter or digit and contain only letters, digits and . _ + ~ -`;
        case 'chroot-shell':
          return `chroot shell \`${d.shell}\` must be one absolute path inside the chroot, without arguments`;
        case 'no-interpolation':
          return `\`\${${d.name}}\` is not substituted in \`${d.field}\`: write the value itself (\\$ for a literal \`$\`)`;
        case 'chroot-path':
          return 'chroot `path` needs at least one directory, each an absolute path inside the chroot';
        case 'path-entry':
          return `${d.where === 'host' ? '' : 'chroot '}\`path\` entry \`${d.path}\` must be one absolute directory (no \`:\`)`;
        case 'target-word':
          return `target \`${d.field}\` \`${d.value}\` must be one word of letters, digits and . _ + -${d.field === 'triplet' ? ', its parts joined by -' : ''}`;
        case 'provides-name':
          return `provided ${d.what} \`${d.name}\` must be a file name: no \`/\`, space or control character, not \`.\` or \`..\``;
        case 'mount-path':
          return `mount path \`${oneLine(d.path)}\` may hold only letters, digits and _ @ % + = : , . / - (the runtime finds its mounts in /proc/self/mountinfo)`;
        case 'archive-name':
          return `this source is saved as \`${d.filename}\`, which the built-in extract cannot unpack: it knows archives by their names, ending in ${d.suffixes.join(', ')}`;
        case 'step-marker':
          return `a line of step \`${d.step}\` starts with \`# serpent-step\`, which starts a step in the generated package script: write the comment another way`;
        case 'value-step-marker':
          return `a line of \`${d.name}\`'s value starts with \`# serpent-step\`, which starts a step in the generated package script`;
        case 'file-name':
          return `file name \`${oneLine(d.path)}\` holds a line break or another control character`;
        case 'description':
          return 'a description is one line of `make help`: no line breaks or other control characters';
      }
    },
  },
  // resolution
  'duplicate-definition': {
    summary: 'A name defined twice; the note points at the first definition.',
    message: (d) => {
      switch (d.kind) {
        case 'decl':
          return `${d.decl} \`${d.name}\` is defined twice`;
        case 'param':
          return `parameter \`${d.param}\` is defined twice`;
        case 'argument':
          return `parameter \`${d.param}\` is given twice`;
        case 'pass-name':
          return `\`${d.name}\` is already a package of stage \`${d.stage}\``;
        case 'field':
          return `field \`${d.key}\` is set twice in ${owner(d.owner)}`;
        case 'block':
          return `block \`${d.key}\` appears twice in ${owner(d.owner)}`;
        case 'step':
          return `step \`${d.key}\` is defined twice in ${owner(d.owner)}`;
        case 'env':
          return `\`${d.name}\` is set twice in the env block`;
        case 'mount':
          return `\`${d.target}\` is mounted twice`;
        case 'cache-name':
          return `two different sources would be cached as \`${d.filename}\``;
        case 'param-use':
          return `parameter \`${d.param}\` of \`${d.template}\` is also bound by \`use ${d.first}\`, to another value: a package has one value for it in every step`;
        case 'layer-dir':
          return `layer directory \`${d.dir}\` (layer \`${d.layer}\`) is given twice`;
        case 'patch':
          return `patch \`${d.path}\` is listed twice: the second would be applied to a tree it has already changed`;
        case 'file':
          return d.path === d.first
            ? `file \`${d.path}\` is listed twice`
            : `\`${d.path}\` and \`${d.first}\` would both be copied to \`\${filesdir}/${d.name}\``;
        case 'change':
          return `\`${d.change}\` changes what layer \`${d.layer}\` already changes: a layer changes each package or stage once`;
      }
    },
  },
  'undefined-package': {
    summary: 'A dependency or pass base that names no package of the stage.',
    message: (d) => {
      switch (d.kind) {
        case 'pass-base':
          return `pass \`${d.pass}\` rebuilds \`${d.base}\`, which is not a package${d.stage !== null ? ` of \`${d.stage}\`` : ''}`;
        case 'ambiguous-base':
          return `\`${d.base}\` names packages in several stages; a pass cannot tell which to rebuild`;
        case 'dependency':
          return `package \`${d.name}\` is not defined in stage \`${d.stage}\``;
        case 'drop':
          return `\`${d.name}\` is not a dependency of \`${d.pkg}\`, so there is nothing to drop`;
      }
    },
  },
  'undefined-source': {
    summary: 'A `substitute` naming no source of the package (by its URL as the recipe writes it).',
    message: (d) => `package \`${d.pkg}\` has no source \`${d.url}\``,
  },
  'layer-mismatch': {
    summary: 'A layer directory given as the base, a base given as a layer, or a layer-only declaration in a base.',
    message: (d) => {
      switch (d.kind) {
        case 'layer-as-base':
          return `\`${d.dir}\` is the layer \`${d.layer}\`, not a base: name the directory it builds on first (\`serpentc BASE ${d.dir} …\`)`;
        case 'base-as-layer':
          return `\`${d.dir}\` is given as a layer but declares none: a layer directory holds \`layer NAME { description = "…" }\``;
        case 'change-in-base':
          return `\`${d.change}\` changes a layer below, but this recipe directory is a base (it declares no \`layer\`)`;
      }
    },
  },
  'dropped-dependency': {
    summary: 'A layer whose amendment or replacement leaves out a dependency without `drop { … reason = "…" }`.',
    message: (d) => `layer \`${d.layer}\` leaves \`${d.dep}\` out of the dependencies of \`${d.pkg}\``,
  },
  'undefined-stage': {
    summary: 'A reference to a stage that does not exist.',
    message: (d) => `stage \`${d.stage}\` is not defined`,
  },
  'undefined-target': {
    summary: 'A `--target` that names no target.',
    message: (d) => `target \`${d.target}\` is not defined (targets: ${d.known.join(', ') || 'none'})`,
  },
  'undefined-template': {
    summary: 'A `use` of a template that does not exist.',
    message: (d) => `template \`${d.template}\` is not defined`,
  },
  'undefined-variable': {
    summary: 'A variable read in a step body or string that nothing defines.',
    message: (d) => {
      switch (d.kind) {
        case 'interpolation':
          return `\`\${${d.name}}\` is not defined here`;
        case 'shell':
          return `variable \`${d.name}\` is not defined`;
        case 'host-only':
          return `\`${d.name}\` is a host path, not visible in the chroot step \`${d.step}\``;
      }
    },
  },
  'undefined-step': {
    summary: 'A custom step placed `after` a step the package does not have.',
    message: (d) => `\`${d.pkg}\` has no step \`${d.anchor}\` to run \`${d.step}\` after`,
  },
  'no-default-target': {
    summary: 'No target, or none marked `default = true`.',
    message: (d) =>
      d.kind === 'none-marked'
        ? 'no target is marked `default = true`'
        : 'no target is defined; declare one with `target NAME { … default = true }`',
  },
  'multiple-default-targets': {
    summary: 'More than one target marked `default = true`.',
    message: (d) => `targets \`${d.first}\` and \`${d.second}\` are both marked default`,
  },
  'dependency-cycle': {
    summary:
      "Packages (or stages, or a package's steps placed `after` each other) that depend on each other; break the cycle with a pass.",
    message: (d) => {
      switch (d.kind) {
        case 'stages':
          return `stages depend on each other: ${d.path.join(' → ')}`;
        case 'packages':
          return `dependency cycle: ${d.path.join(' → ')}`;
        case 'self-stage':
          return `stage \`${d.name}\` comes after itself`;
        case 'self-package':
          return `package \`${d.name}\` depends on itself`;
        case 'steps':
          return d.path.length === 2
            ? `step \`${d.path[0]}\` of \`${d.pkg}\` is placed after itself`
            : `steps of \`${d.pkg}\` are placed after each other: ${d.path.join(' → ')}`;
      }
    },
  },
  'stage-order': {
    summary: "A stage that mounts another stage's root, or puts it on its `path`, without coming after it.",
    message: (d) =>
      `stage \`${d.stage}\` ${d.what === 'mount' ? 'mounts the root' : 'runs tools from the root'} of \`${d.used}\`, which is not built before it`,
  },
  // steps and tools
  'bad-placement': {
    summary: 'A step placement other than `on host` or `in chroot`, or a chroot step in a stage without a chroot.',
    message: (d) =>
      d.kind === 'unknown'
        ? `placement must be \`on host\` or \`in chroot\`, found \`${d.placement}\``
        : `step \`${d.step}\` of \`${d.pkg}\` runs in a chroot, but stage \`${d.stage}\` has no \`chroot\` block`,
  },
  'shell-syntax': {
    summary: 'A step body that is not valid POSIX shell.',
    message: (d) => `step \`${d.step}\` is not valid POSIX shell: ${d.error}`,
  },
  'command-unavailable': {
    summary: 'A chroot step runs a command that neither the mounted stage nor a dependency provides.',
    message: (d) =>
      `\`${d.pkg}\` runs \`${d.command}\` in the chroot (step \`${d.step}\`), but nothing makes it available there`,
  },
  // sources and files
  'bad-checksum': {
    summary:
      'A sha256 that is not 64 lowercase hex digits, or a git commit that is not 40 (says which rule it breaks).',
    message: (d) => {
      const what = d.kind === 'sha256' ? 'a sha256' : 'a commit id';
      const digits = d.kind === 'sha256' ? 64 : 40;
      switch (d.problem) {
        case 'length':
          return d.found === 0
            ? `${what} is ${digits} hex digits, found an empty string`
            : `${what} is ${digits} hex digits, found ${d.found} digit${d.found === 1 ? '' : 's'}`;
        case 'uppercase':
          return `${what} is written in lowercase hex, found uppercase digits`;
        case 'not-hex':
          return `${what} is ${digits} hex digits (0-9, a-f), but character ${d.at} is ${d.char}`;
        case 'ref':
          return `\`${d.ref}\` is not a commit id: a git source must be pinned to a full 40-hex-digit commit`;
      }
    },
  },
  'insecure-url': {
    summary: 'A source URL that is not https (allow it with `insecure = true`), or not a URL at all.',
    message: (d) => `\`${d.url}\` is not ${d.kind === 'not-a-url' ? 'a URL' : 'https'}`,
  },
  'bad-archive-path': {
    summary:
      'A source `paths` entry that cannot name a path inside the archive literally: empty, absolute, starting with `-`, with an empty, `.` or `..` component, or with a pattern character.',
    message: (d) => {
      switch (d.problem) {
        case 'empty':
          return 'an archive path is empty (leave `paths` out to extract everything)';
        case 'absolute':
          return `archive path \`${d.path}\` is absolute; paths name what is below the archive's \`strip\` leading components`;
        case 'option':
          return `archive path \`${d.path}\` starts with \`-\`, which tar would take for an option; name its directory instead`;
        case 'dots':
          return `archive path \`${d.path}\` has an empty, \`.\` or \`..\` component`;
        case 'pattern':
          return `archive path \`${d.path}\` has a pattern character (\`*\`, \`?\`, \`[\` or \`\\\`); paths are literal`;
      }
    },
  },
  'missing-file': {
    summary: 'A patch or file that does not exist beside the recipe.',
    message: (d) => `\`${d.path}\` does not exist beside the recipe (\`${d.rel}\` in the stages directory)`,
  },
  'path-escape': {
    summary: 'A path that is absolute, leaves its directory with `..`, or is a symbolic link leading outside it.',
    message: (d) => {
      switch (d.kind) {
        case 'mount-source':
          return `mount source \`${d.path}\` leaves the build directory`;
        case 'mount-point':
          return `mount point \`${d.target}\` must be an absolute path inside the chroot without \`.\` or \`..\``;
        case 'absolute-file':
          return `\`${d.path}\` is absolute; patches and files are paths beside the recipe`;
        case 'file':
          return `\`${d.path}\` leaves the stages directory`;
        case 'link':
          return `\`${d.path}\` is a symbolic link to \`${d.real}\`, outside the stages directory`;
      }
    },
  },
  // safety
  'mount-contains-root': {
    summary: 'A bind mount whose source contains the chroot root itself, or that is mounted over it.',
    message: (d) => {
      switch (d.kind) {
        case 'own-root':
          return `stage \`${d.stage}\` cannot mount its own root inside itself`;
        case 'host-root':
          return 'mounting `/` would expose the whole host, including the chroot root itself';
        case 'over-root':
          return `\`${d.target}\` is the chroot root itself: a mount there would hide the root being built`;
        case 'source':
          return `mount source \`${d.source}\` contains the chroot root \`${d.root}\``;
      }
    },
  },
  // input
  'no-recipes': {
    summary: 'The recipe directory holds no `*.recipe` file.',
    message: (d) => `no *.recipe files found in \`${d.dir}\``,
  },
  'bad-encoding': {
    summary:
      'A recipe file that is not UTF-8 text (Latin-1, say): it is read no further, and `serpentc fmt` leaves it as it is.',
    message: (d) =>
      `not valid UTF-8: byte ${hexByte(d.byte)} is no part of a UTF-8 character; recipe files are UTF-8 text`,
  },
  'bare-cr': {
    summary:
      'A carriage return that ends no line (not followed by a line feed): `serpentc fmt` leaves the file as it is, since the formatter would read it as a line break and change what the file means.',
    message: () =>
      'a carriage return that ends no line: fmt would turn it into a line break; remove it (or end the line with CR LF)',
  },
  'io-error': {
    summary:
      'A recipe file or directory could not be read (or is a symbolic link loop), or the output could not be written.',
    message: (d) => {
      switch (d.kind) {
        case 'dir':
          return `cannot read recipe directory \`${d.path}\`: ${d.reason}`;
        case 'file':
          return `cannot read \`${d.path}\`: ${d.reason}`;
        case 'write':
          return `cannot write \`${d.path}\`: ${d.reason}`;
        case 'loop':
          return `\`${d.path}\` leads to \`${d.again}\` again through a symbolic link (a loop, or a second way in); a directory is read once`;
      }
    },
  },
};

/**
 * Codes whose truth depends on every declaration being complete: a reference to something that may be in a
 * declaration a syntax error damaged, or a fact about the whole set. They are not reported while any file has
 * a syntax error (compiler/index.ts); the rest are, outside the damaged spans.
 */
export const WHOLE_SET_CODES: ReadonlySet<CompilerCode> = new Set<CompilerCode>([
  'undefined-package',
  'undefined-source',
  'dropped-dependency',
  'undefined-stage',
  'undefined-template',
  'undefined-variable',
  'undefined-step',
  'missing-field',
  'no-default-target',
  'multiple-default-targets',
  'dependency-cycle',
  'bad-placement',
  'command-unavailable',
]);

/**
 * Codes about one name: the same message again (the same undefined name used in several places) is the same
 * mistake, reported once at its first place with the others in a note (compiler/index.ts).
 */
export const ONCE_PER_NAME_CODES: ReadonlySet<CompilerCode> = new Set<CompilerCode>([
  'undefined-package',
  'undefined-source',
  'undefined-stage',
  'undefined-template',
  'undefined-variable',
  'undefined-step',
  'duplicate-definition',
]);

/** Whether a code is one grammar/ reports. */
export function isSyntaxCode(code: Code): code is SyntaxCode {
  return Object.hasOwn(SYNTAX, code);
}

/** The message of a compiler code, built from its data. */
export function messageOf<C extends CompilerCode>(code: C, data: MessageData[C]): string {
  // names and values from the source never show as an invisible character: `<U+200B>`
  return visible(CATALOGUE[code].message(data));
}

/** Every code with its summary, in catalogue order: syntax codes first, then the compiler's by area. */
export function summaries(): Array<readonly [code: string, summary: string]> {
  return [...Object.entries(SYNTAX), ...Object.entries(CATALOGUE).map(([code, e]) => [code, e.summary] as const)];
}

/** The notes diagnostics carry: a second location, or a hint built from data. */
export const NOTES = {
  firstDefined: (loc: Loc): Note => ({ message: 'first defined here', loc }),
  firstListed: (loc: Loc): Note => ({ message: 'first listed here', loc }),
  pathField: (): Note => ({
    message: "list the directories in the stage's `path` (host steps) or the chroot's `path` (chroot steps)",
  }),
  envHere: (loc: Loc): Note => ({ message: 'set here: rename the parameter, or pass the value through the env', loc }),
  firstBound: (template: string, loc: Loc): Note => ({ message: `bound here, by \`use ${template}\``, loc }),
  firstSet: (loc: Loc): Note => ({ message: 'first set here', loc }),
  firstBlock: (loc: Loc): Note => ({ message: 'first here', loc }),
  firstDefault: (loc: Loc): Note => ({ message: 'first default here', loc }),
  firstMounted: (loc: Loc): Note => ({ message: 'first mounted here', loc }),
  defaultMount: (path: string): Note => ({
    message: `\`${path}\` is mounted by default (the chroot's \`workdir\` or \`pseudo\` default): set that field to move it`,
  }),
  otherSource: (loc: Loc): Note => ({ message: 'the other source, with a different sha256', loc }),
  alsoFor: (pkgs: readonly string[]): Note => ({
    message: `the same for ${pkgs
      .slice(0, 5)
      .map((p) => `\`${p}\``)
      .join(', ')}${pkgs.length > 5 ? ` and ${pkgs.length - 5} more` : ''}, which use this body too`,
  }),
  alsoAt: (locs: readonly Loc[]): Note => ({
    message: `also at ${locs
      .slice(0, 5)
      .map((l) => `${l.file}:${l.line}:${l.col}`)
      .join(', ')}${locs.length > 5 ? ` and ${locs.length - 5} more` : ''}`,
  }),
  paramDeclared: (loc: Loc): Note => ({ message: 'parameter declared here', loc }),
  renameParam: (name: string): Note => ({ message: `rename the parameter, e.g. \`${name}\`` }),
  didYouMean: (name: string): Note => ({ message: `did you mean \`${name}\`?` }),
  /** After bad-encoding, for a byte that ISO 8859-1 prints (0xa0-0xff): the likely encoding and its conversion. */
  latin1: (byte: number): Note => ({
    message: `in ISO 8859-1 (Latin-1), ${hexByte(byte)} is ${nameChar(String.fromCharCode(byte), '`')}; if the file is Latin-1, \`iconv -f ISO-8859-1 -t UTF-8\` converts it`,
  }),
  nothingDeclared: (): Note => ({
    message: 'the recipe files declare nothing (only comments or blank lines): no target, stage or package',
  }),
  passOfPass: (pass: string, other: string, base: string): Note => ({
    message: `\`${other}\` is a pass of \`${base}\`: write \`pass ${pass} of ${base}\`, with \`depends += [${other}]\` to build it after that pass`,
  }),
  nameTheStage: (pass: string, base: string, stage: string): Note => ({
    message: `name the stage: \`pass ${pass} of ${base} in ${stage} { … }\``,
  }),
  otherStage: (name: string, stages: readonly string[]): Note => ({
    message: `\`${name}\` is a package of ${stages.map((s) => `\`${s}\``).join(', ')}; dependencies name packages of the same stage (stage order already covers earlier stages)`,
  }),
  breakCycle: (first: string, second: string): Note => ({
    message: `break it with a pass: drop \`${second}\` from \`${first}\`'s depends, then \`pass ${first}-2 of ${first} { depends += [${second}] }\` builds it again afterwards`,
  }),
  dependsHere: (from: string, to: string, loc: Loc): Note => ({
    message: `\`${from}\` depends on \`${to}\` here`,
    loc,
  }),
  rebuildsHere: (pass: string, base: string, loc: Loc): Note => ({
    message: `pass \`${pass}\` rebuilds \`${base}\` here, so it comes after it`,
    loc,
  }),
  stageOrder: (stage: string, used: string, later: boolean): Note => ({
    message: later
      ? `\`${used}\` comes after \`${stage}\`: a stage uses only the roots of the stages it comes after`
      : `stages are built in their \`after\` order alone: make \`${stage}\` come after \`${used}\` (\`after = ${used}\`, or after a stage that comes after it)`,
  }),
  afterHere: (stage: string, after: string, loc: Loc): Note => ({
    message: `stage \`${stage}\` comes after \`${after}\` here`,
    loc,
  }),
  dropSelf: (name: string): Note => ({
    message: `remove \`${name}\` from its own \`depends\``,
  }),
  dropSelfAfter: (name: string): Note => ({
    message: `\`after\` names the stage \`${name}\` builds on; remove it, or name an earlier stage`,
  }),
  archiveName: (): Note => ({
    message:
      "the name is the URL path's last part: use a URL that ends in the archive's own name (a direct mirror link, not a download page), or write the package's own `extract` step",
  }),
  allowInsecure: (): Note => ({
    message: 'if upstream offers nothing else, allow it with `insecure = true` (the sha256 still protects the content)',
  }),
  runOnHost: (): Note => ({ message: 'run the step `on host`, or pass what it needs through the stage `env`' }),
  envInChroot: (stage: string, name: string): Note => ({
    message: `the \`env\` of stage \`${stage}\` is set in its chroot steps too: give ${name} a path as the chroot sees it, or move what needs the host path into a step \`on host\``,
  }),
  chrootEnv: (name: string, stage: string): Note => ({
    message: `a chroot step's environment holds only LC_ALL, PATH and the stage's \`env\`: set ${name} in the \`env\` of stage \`${stage}\``,
  }),
  addDependency: (providers: readonly string[], stage: string, pkg: string, loc: Loc): Note => ({
    message: `provided by ${providers.map((p) => `\`${p}\``).join(', ')} of ${stage}: add it to \`depends\` of \`${pkg}\``,
    loc,
  }),
  ownBinsNotOnPath: (): Note => ({
    message:
      "this stage builds it into the chroot's own root, whose `/usr/bin` (or `/bin`, `/sbin`) the chroot's `path` leaves out",
  }),
  runtimeInStatic: (name: string): Note => ({
    message: `\`${name}\` is known only when a step runs: use it in the step body (where the value is used), not here`,
  }),
  changePass: (pass: string, base: string): Note => ({
    message: `\`${pass}\` is a pass of \`${base}\`: a layer changes packages, and a pass starts from its package as changed, so change \`${base}\``,
  }),
  ownCommandLater: (pkg: string): Note => ({
    message: `\`${pkg}\` provides it itself, from its \`install\` step on: run it in a step after \`install\``,
  }),
  binsNotOnPath: (stage: string, at: string): Note => ({
    message: `provided by stage \`${stage}\`, mounted at \`${at}\`: add its \`usr/bin\` (or \`bin\`, \`sbin\`) there to the chroot's \`path\``,
  }),
  notMounted: (providers: readonly string[]): Note => ({
    message: `provided by ${providers.map((p) => `\`${p}\``).join(', ')}, which ${providers.length > 1 ? 'are' : 'is'} not mounted in this chroot`,
  }),
  noProvider: (): Note => ({ message: 'no package declares it in `provides { commands = […] }`' }),
  writeLowercase: (value: string): Note => ({ message: `write it in lowercase: \`${value.toLowerCase()}\`` }),
  otherDigest: (name: string): Note => ({
    message: `that is the length of ${name}; \`sha256sum FILE\` prints the sha256 of the downloaded file`,
  }),
  digestLength: (found: number, digits: number): Note => ({
    message: `it also has ${found} character${found === 1 ? '' : 's'}, not ${digits}`,
  }),
  digestHowTo: (): Note => ({ message: '`sha256sum FILE` prints the sha256 of the downloaded file' }),
  shortCommit: (id: string): Note => ({
    message: `\`${id}\` looks abbreviated; \`git rev-parse ${id}\` in a clone prints the full id`,
  }),
  dropWithReason: (dep: string): Note => ({
    message: `a layer removes a dependency only on purpose: \`drop { depends = [${dep}] reason = "…" }\`, or keep it with \`depends += […]\``,
  }),
  layerDeclared: (loc: Loc): Note => ({ message: 'the layer is declared here', loc }),
  pinRef: (ref: string, url: string): Note => ({
    message: `a branch or tag can move; \`git ls-remote ${url} ${ref}\` prints the commit it names now`,
  }),
} as const;
