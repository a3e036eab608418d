// The compiler's entry points, one per pass: load+parse → resolve → shell facts and planning decisions → check
// → plan. Errors are returned as diagnostics, never thrown; the graph exists exactly when there is no error.
import { analyzeBodies } from './bodies.js';
import { check } from './check.js';
import { Sink, type Diagnostic } from './diagnostics/diagnostic.js';
import type { BuildGraph } from './graph.js';
import { load, parseAll, type Loaded } from './load.js';
import { decide, plan } from './plan/index.js';
import { resolve } from './resolve/index.js';
import { prepareShell } from './shell/index.js';

export interface Result {
  readonly graph: BuildGraph | null;
  readonly diagnostics: readonly Diagnostic[];
  /** display path → source text, for rendering diagnostics */
  readonly texts: ReadonlyMap<string, string>;
}

export interface CompileOptions {
  /** The target profile; default: the target marked default. */
  readonly target?: string;
}

/** Compiles a recipe directory into a build graph. */
export async function compile(dir: string, opts: CompileOptions = {}): Promise<Result> {
  prepareShell(); // the shell parser compiles in the background while recipes are read and parsed
  const sink = new Sink();
  return finish(load(dir, sink), sink, { ...opts, stagesDir: dir });
}

/**
 * Compiles recipe texts held in memory (tests, fuzzing). `rel` is the path relative to `stagesDir`, which is
 * still where patches and files are looked up.
 */
export async function compileSources(
  sources: ReadonlyArray<{ readonly rel: string; readonly text: string }>,
  opts: CompileOptions & { readonly stagesDir: string },
): Promise<Result> {
  const sink = new Sink();
  return finish(
    parseAll(
      sources.map((s) => ({ display: s.rel, rel: s.rel, text: s.text })),
      sink,
    ),
    sink,
    opts,
  );
}

async function finish(
  loaded: Loaded,
  sink: Sink,
  opts: CompileOptions & { readonly stagesDir: string },
): Promise<Result> {
  const { files, texts, relOf } = loaded;
  const model = resolve(files, sink, opts);
  const analysis = analyzeBodies(model); // the shell parser may still be compiling: decide meanwhile
  const decisions = decide(model);
  const shell = await analysis;
  sink.addAll(check(model, decisions, shell, { stagesDir: opts.stagesDir, relOf }));
  const diagnostics = sink.sorted();
  if (sink.hasErrors) return { graph: null, diagnostics, texts };
  return { graph: plan(model, decisions, shell, relOf), diagnostics, texts };
}
