// The compiler's entry points, one per pass: load+parse → resolve → shell facts and planning decisions → check
// → plan. Errors are returned as diagnostics, never thrown; the graph exists exactly when there is no error.
import { analyzeBodies } from './bodies.js';
import { check } from './check.js';
import type { Span } from '../grammar/index.js';
import type { FileNode, LayerDecl, Loc } from '../grammar/syntax.js';
import { isSyntaxCode, WHOLE_SET_CODES } from './diagnostics/catalogue.js';
import { foldRepeats, Sink, type Diagnostic } from './diagnostics/diagnostic.js';
import type { BuildGraph } from './graph.js';
import { loadSet, parseAll, type Loaded, type LoadedLayer, type ParseMemo, type RecipeText } from './load.js';
import { decide, plan } from './plan/index.js';
import { resolve, type Model } from './resolve/index.js';
import { prepareShell } from './shell/index.js';

export interface Result {
  readonly graph: BuildGraph | null;
  readonly diagnostics: readonly Diagnostic[];
  /** display path → source text, for rendering diagnostics */
  readonly texts: ReadonlyMap<string, string>;
  /** The parsed files and the resolved model, valid or not: what editor features (serpentc lsp) navigate. */
  readonly files: readonly FileNode[];
  readonly model: Model;
}

export interface CompileOptions {
  /** The target profile; default: the target marked default. */
  readonly target?: string;
  /**
   * Start compiling the shell parser before the recipes are read (default true), so that it is ready when the
   * bodies are analysed. False when the bodies' analyses are expected to be known already (a memo,
   * emit/shell-memo.ts): the parser is then compiled only if one is not.
   */
  readonly startShell?: boolean;
  /** Parse results of earlier runs, used for recipe texts it knows, given the new ones (emit/parse-memo.ts). */
  readonly parseMemo?: ParseMemo;
}

/**
 * Compiles a recipe directory into a build graph; several directories are a base and the layers built on it,
 * bottom first (docs/language.md, Layers).
 */
export async function compile(dirs: string | readonly string[], opts: CompileOptions = {}): Promise<Result> {
  if (opts.startShell !== false) prepareShell(); // it compiles in the background while recipes are read and parsed
  const sink = new Sink();
  const list = typeof dirs === 'string' ? [dirs] : dirs;
  const loaded = await loadSet(list, sink, opts.parseMemo);
  if (loaded.baseIsLayer) {
    // a layer read as the base: its changes have nothing below them, and what a base lacks (a target, the
    // stages) would only repeat that one mistake
    const model = resolve([], new Sink(), opts);
    return { graph: null, diagnostics: sink.sorted(), texts: loaded.texts, files: loaded.files, model };
  }
  return finish({ ...loaded, files: loaded.base }, sink, { ...opts, stagesDir: list[0] ?? '.' }, loaded.layers);
}

/**
 * Compiles recipe texts held in memory (tests, fuzzing, the editor). `rel` is the path relative to `stagesDir`,
 * which is still where patches and files are looked up. As load() reads a directory, the files of layers below
 * it are left out, unless `layer` names one of those layer directories (relative to `stagesDir`): then the set
 * is the base with that layer on it, as `serpentc check STAGES STAGES/LAYER` compiles it.
 */
export async function compileSources(
  sources: ReadonlyArray<RecipeText & { readonly rel: string }>,
  opts: CompileOptions & { readonly stagesDir: string; readonly layer?: string },
): Promise<Result> {
  const sink = new Sink();
  const loaded = await parseAll(
    sources.map((s) => ({ ...s, display: s.rel })),
    sink,
  );
  const roots = new Map<string, LayerDecl>();
  for (const f of loaded.files) {
    for (const d of f.decls) if (d.kind === 'Layer' && !roots.has(dirOf(f.file))) roots.set(dirOf(f.file), d);
  }
  /** the layer directory a file belongs to: the deepest layer root above it, or null for the base */
  const layerOf = (file: string): string | null =>
    [...roots.keys()].filter((r) => r !== '' && file.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0] ??
    null;
  const base = loaded.files.filter((f) => layerOf(f.file) === null);
  const decl = opts.layer === undefined ? undefined : roots.get(opts.layer);
  const layers = decl ? [{ decl, files: loaded.files.filter((f) => layerOf(f.file) === opts.layer) }] : [];
  return finish({ ...loaded, files: base }, sink, opts, layers);
}

const dirOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

/**
 * The diagnostics that are not consequences of a syntax error (or of a file not UTF-8): none about a damaged
 * span (at its location or a note's), and none that needs every declaration complete (WHOLE_SET_CODES) while
 * any file is damaged.
 * Syntax diagnostics were filtered by the parser already (grammar/recovery.ts).
 */
function withoutConsequences(
  diagnostics: readonly Diagnostic[],
  damaged: ReadonlyMap<string, readonly Span[]>,
): Diagnostic[] {
  if (damaged.size === 0) return [...diagnostics];
  const inDamage = (loc: Loc | null | undefined) =>
    loc != null && (damaged.get(loc.file) ?? []).some((s) => loc.offset >= s.from && loc.offset < s.to);
  return diagnostics.filter(
    (d) =>
      // the causes stay: syntax errors, and a file not read for its encoding (all of it counts as damaged)
      isSyntaxCode(d.code) ||
      d.code === 'bad-encoding' ||
      !(WHOLE_SET_CODES.has(d.code) || inDamage(d.loc) || d.notes.some((n) => inDamage(n.loc))),
  );
}

async function finish(
  loaded: Loaded,
  sink: Sink,
  opts: CompileOptions & { readonly stagesDir: string },
  layers: readonly LoadedLayer[] = [],
): Promise<Result> {
  const { texts, relOf } = loaded;
  const model = resolve(loaded.files, sink, { ...opts, layers });
  const files = [...loaded.files, ...layers.flatMap((l) => l.files)];
  const analysis = analyzeBodies(model); // the shell parser may still be compiling: decide meanwhile
  const decisions = decide(model);
  const shell = await analysis;
  sink.addAll(check(model, decisions, shell, { stagesDir: opts.stagesDir, relOf }));
  const diagnostics = foldRepeats(withoutConsequences(sink.sorted(), loaded.damaged));
  if (sink.hasErrors) return { graph: null, diagnostics, texts, files, model };
  return { graph: plan(model, decisions, shell, relOf), diagnostics, texts, files, model };
}
