// The syntax tree and the syntax diagnostics: the types grammar/ hands to the compiler. grammar/ owns them and
// imports nothing from compiler/, not even types. Every node carries a Loc; the tree is plain, readonly data.

/** A source span. Lines and columns are 1-based; `end*` is inclusive of the last character. */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly offset: number;
  readonly endOffset: number;
}

// ---------------------------------------------------------------------------------------------------------
// AST. The parser is generic: declaration bodies are lists of items; the compiler's schema gives them meaning.
// ---------------------------------------------------------------------------------------------------------

export interface Ident {
  readonly kind: 'Ident';
  readonly name: string;
  readonly loc: Loc;
}

/** One piece of a string literal: literal text, or a `${name}` interpolation. */
export type StrPart = { readonly lit: string } | { readonly ref: string; readonly loc: Loc };

/** A string literal; `parts` splits `${name}` interpolations out of the decoded text. */
export interface StringLit {
  readonly kind: 'String';
  readonly value: string;
  readonly parts: readonly StrPart[];
  readonly loc: Loc;
}

export interface IntLit {
  readonly kind: 'Int';
  readonly value: number;
  readonly loc: Loc;
}

export interface BoolLit {
  readonly kind: 'Bool';
  readonly value: boolean;
  readonly loc: Loc;
}

export interface ListLit {
  readonly kind: 'List';
  readonly items: readonly Value[];
  readonly loc: Loc;
}

/**
 * A `"""` shell body. `text` is dedented; `firstLine` is the file line of text line 0 and `indent` the
 * indentation removed from every line, so a position inside `text` maps back to the file.
 */
export interface ShellLit {
  readonly kind: 'Shell';
  readonly text: string;
  readonly loc: Loc;
  readonly firstLine: number;
  readonly indent: number;
}

export type Value = StringLit | IntLit | BoolLit | Ident | ListLit | ShellLit;

export interface Field {
  readonly kind: 'Field';
  readonly key: Ident;
  readonly op: '=' | '+=';
  readonly value: Value;
  readonly loc: Loc;
}

/** A labelled or plain block: `chroot { … }`, `mount "/serpent" { … }`, `source "url" { … }`. */
export interface Block {
  readonly kind: 'Block';
  readonly key: Ident;
  readonly label: Value | null;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

/** `configure in chroot """…"""` (custom: false) or `step NAME after X on host """…"""` (custom: true). */
export interface StepItem {
  readonly kind: 'Step';
  readonly name: Ident;
  readonly custom: boolean;
  readonly after: Ident | null;
  readonly placement: Ident | null;
  readonly body: ShellLit;
  readonly loc: Loc;
}

export interface UseItem {
  readonly kind: 'Use';
  readonly template: Ident;
  readonly args: readonly Field[];
  readonly loc: Loc;
}

export type Item = Field | Block | StepItem | UseItem;

export interface Param {
  readonly kind: 'Param';
  readonly name: Ident;
  readonly type: Ident;
  readonly default: Value | null;
  readonly loc: Loc;
}

export interface TargetDecl {
  readonly kind: 'Target';
  readonly name: Ident;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

export interface StageDecl {
  readonly kind: 'Stage';
  readonly name: Ident;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

export interface TemplateDecl {
  readonly kind: 'Template';
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly items: readonly Item[];
  readonly loc: Loc;
}

export interface PackageDecl {
  readonly kind: 'Package';
  readonly name: Ident;
  readonly stage: Ident;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

export interface PassDecl {
  readonly kind: 'Pass';
  readonly name: Ident;
  readonly of: Ident;
  readonly stage: Ident | null;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

/** `layer NAME { … }`: declares the directory holding it a layer (docs/language.md, Layers). */
export interface LayerDecl {
  readonly kind: 'Layer';
  readonly name: Ident;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

/**
 * A layer's change to a declaration below it: `amend package NAME in STAGE { … }` (items apply on top, as a
 * pass's do), `replace package NAME in STAGE { … }` (a whole new definition), `amend stage NAME { … }`.
 */
export interface ChangeDecl {
  readonly kind: 'Amend' | 'Replace';
  readonly subject: 'package' | 'stage';
  readonly name: Ident;
  /** The package's stage; null for a stage. */
  readonly stage: Ident | null;
  readonly items: readonly Item[];
  readonly loc: Loc;
}

export type Decl = TargetDecl | StageDecl | TemplateDecl | PackageDecl | PassDecl | LayerDecl | ChangeDecl;

export interface FileNode {
  readonly kind: 'File';
  readonly file: string;
  readonly text: string;
  readonly decls: readonly Decl[];
}

// ---------------------------------------------------------------------------------------------------------
// Syntax diagnostics: values, never exceptions. The compiler's Diagnostic has the same shape, so the
// compiler takes these as they are; the codes below are listed in the compiler's catalogue too.
// ---------------------------------------------------------------------------------------------------------

/** The codes the front end reports. */
export type SyntaxCode =
  | 'syntax-error'
  | 'unterminated-string'
  | 'unterminated-shell'
  | 'bad-interpolation'
  | 'bad-escape'
  | 'nul-byte'
  | 'placement-preposition'
  | 'internal-error';

export interface SyntaxNote {
  readonly message: string;
  readonly loc?: Loc;
}

export interface SyntaxDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: SyntaxCode;
  readonly message: string;
  readonly loc: Loc | null;
  readonly notes: readonly SyntaxNote[];
}
