// The two data contracts of serpentc: the AST (grammar/ → compiler/) and the build graph (compiler/ → emit).
// Both are plain JSON-compatible data. The graph is deep-frozen by plan(); the emitter reads only the graph.

/**
 * A source span. Lines and columns are 1-based; `end*` is inclusive of the last character.
 * @typedef {{ file: string, line: number, col: number, endLine: number, endCol: number, offset: number, endOffset: number }} Loc
 */

// ---------------------------------------------------------------------------------------------------------
// AST. The parser is generic: declaration bodies are lists of items; the schema (compiler/schema.js) gives
// them meaning. Every node carries `loc`.
// ---------------------------------------------------------------------------------------------------------

/** @typedef {{ kind: 'Ident', name: string, loc: Loc }} Ident */

/**
 * A string literal; `parts` splits `${name}` interpolations out of the decoded text.
 * @typedef {{ kind: 'String', value: string, parts: StrPart[], loc: Loc }} StringLit
 * @typedef {{ lit: string } | { ref: string, loc: Loc }} StrPart
 */
/** @typedef {{ kind: 'Int', value: number, loc: Loc }} IntLit */
/** @typedef {{ kind: 'Bool', value: boolean, loc: Loc }} BoolLit */
/** @typedef {{ kind: 'List', items: Value[], loc: Loc }} ListLit */
/**
 * A `"""` shell body. `text` is dedented; `line`/`col` of `textLoc` is where text[0] sits in the file and
 * `lineMap[i]` gives the file line of text line i (0-based), `colShift[i]` the removed indentation.
 * @typedef {{ kind: 'Shell', text: string, loc: Loc, firstLine: number, indent: number }} ShellLit
 */
/** @typedef {StringLit | IntLit | BoolLit | Ident | ListLit | ShellLit} Value */

/** @typedef {{ kind: 'Field', key: Ident, op: '=' | '+=', value: Value, loc: Loc }} Field */
/** A labelled or plain block: `chroot { … }`, `mount "/serpent" { … }`, `source "url" { … }`.
 * @typedef {{ kind: 'Block', key: Ident, label: Value | null, items: Item[], loc: Loc }} Block */
/** `configure in chroot """…"""` (custom: false) or `step NAME after X on host """…"""` (custom: true).
 * @typedef {{ kind: 'Step', name: Ident, custom: boolean, after: Ident | null, placement: Ident | null, body: ShellLit, loc: Loc }} StepItem */
/** @typedef {{ kind: 'Use', template: Ident, args: Field[], loc: Loc }} UseItem */
/** @typedef {Field | Block | StepItem | UseItem} Item */

/** @typedef {{ kind: 'Param', name: Ident, type: Ident, default: Value | null, loc: Loc }} Param */

/**
 * @typedef {{ kind: 'Target', name: Ident, items: Item[], loc: Loc }} TargetDecl
 * @typedef {{ kind: 'Stage', name: Ident, items: Item[], loc: Loc }} StageDecl
 * @typedef {{ kind: 'Template', name: Ident, params: Param[], items: Item[], loc: Loc }} TemplateDecl
 * @typedef {{ kind: 'Package', name: Ident, stage: Ident, items: Item[], loc: Loc }} PackageDecl
 * @typedef {{ kind: 'Pass', name: Ident, of: Ident, stage: Ident | null, items: Item[], loc: Loc }} PassDecl
 * @typedef {TargetDecl | StageDecl | TemplateDecl | PackageDecl | PassDecl} Decl
 * @typedef {{ kind: 'File', file: string, text: string, decls: Decl[] }} FileNode
 */

// ---------------------------------------------------------------------------------------------------------
// Diagnostics: values, never exceptions.
// ---------------------------------------------------------------------------------------------------------

/**
 * @typedef {{ message: string, loc?: Loc }} Note
 * @typedef {{ severity: 'error' | 'warning', code: string, message: string, loc: Loc | null, notes: Note[] }} Diagnostic
 */

// ---------------------------------------------------------------------------------------------------------
// Build graph (the output of plan()). Paths are relative; the emitter decides where they live at run time.
// ---------------------------------------------------------------------------------------------------------

/**
 * A string value as the emitter must write it: literal text and references to runtime shell variables
 * (`builddir`-relative paths, `jobs`, `<stage>_root`, …). Static interpolations are already substituted.
 * @typedef {Array<{ lit: string } | { ref: string }>} GValue
 */

/**
 * @typedef {{ file: string, line: number }} GLoc  where `file` is relative to the stages directory
 */

/**
 * @typedef {{ name: string, triplet: string, arch: string, llvmBackend: string, cflags: string,
 *   cxxflags: string, ldflags: string, qemu: string | null, isDefault: boolean }} GTarget
 */

/**
 * Mount source: another stage's root, or a directory relative to the build directory.
 * @typedef {{ kind: 'stage', stage: string } | { kind: 'path', path: string }} GMountSource
 * @typedef {{ target: string, source: GMountSource, readonly: boolean }} GMount
 * @typedef {{ shell: string, path: string[], workdir: string, pseudo: string[], mounts: GMount[] }} GChroot
 */

/**
 * @typedef {{ name: string, loc: GLoc, after: string | null, index: number, root: string, description: string,
 *   path: GValue[], env: Array<{ name: string, value: GValue }>, chroot: GChroot | null,
 *   packages: string[] }} GStage   `packages`: package ids in build order (a valid topological order,
 *   ties broken by id). `root`: the stage root relative to the build directory (or absolute).
 */

/**
 * @typedef {{ kind: 'url', url: string, sha256: string, filename: string, strip: number }
 *   | { kind: 'git', url: string, commit: string, sha256: string, filename: string, strip: number }} GSource
 *   `filename`: the cache file name, unique per content (e.g. `musl-1.2.5.tar.gz`, `libwildebeest-<commit12>.tar`)
 */

/**
 * @typedef {{ name: string, placement: 'host' | 'chroot', body: string | null, loc: GLoc,
 *   needs: string[], commands: string[] }} GStep
 *   `body` null means the emitter's built-in implementation (extract / patch).
 *   `needs`: what this step waits for, sorted: step ids `<stage>/<package>/<step>` (the previous step of the
 *   package; the final steps of its dependencies) and bare stage names (that whole stage is complete). The
 *   dependency and stage needs sit on the package's first step after extract/patch, so sources can be
 *   unpacked early.
 *   `commands`: commands the body runs (sorted), for the emitter's preflight.
 */

/**
 * @typedef {{ id: string, name: string, stage: string, passOf: string | null, version: string,
 *   loc: GLoc, sources: GSource[], patches: string[], files: string[], depends: string[],
 *   provides: { commands: string[], libraries: string[] },
 *   vars: Array<{ name: string, value: string }>, steps: GStep[] }} GPackage
 *   `id` is `<stage>/<name>`; a step id is `<stage>/<name>/<step>`.
 *   `patches` and `files`: paths relative to the stages directory.
 *   `vars`: static shell variables of every step (name, version, stage, target fields, template
 *   parameters), sorted by name.
 */

/**
 * @typedef {{ target: GTarget, targets: GTarget[], stages: GStage[], packages: GPackage[],
 *   hostTools: string[] }} BuildGraph
 *   `packages` in global build order: stage order, then each stage's `packages` order.
 *   `hostTools`: every command a host step runs plus what built-in steps need, sorted.
 */

export {};
