// The code generator: a build graph in, a directory out (Makefile, one POSIX sh script per step, the runtime
// library, plan.json, the recipes' patches and files). Byte-identical for the same graph; unchanged files are
// not rewritten; files it generated before and no longer generates are removed (listed in the manifest).
//
// layout.ts knows where everything lives, view/ turns the graph into the templates' view-models, render.ts
// produces every file's content (pure), write.ts is the only code that writes into out/ (for a large output from
// a thread of its own, write-thread.ts, while render.ts renders the next files), cache.ts lets a run with nothing
// to do skip rendering (its record lives outside out/). render.ts, its views and templates are
// loaded only when a run renders: a run with nothing to do never needs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sink } from '../diagnostics/diagnostic.js';
import type { BuildGraph } from '../graph.js';
import { ioReason } from '../util.js';
import { forget, generationKey, graphText, remember, unchangedSince } from './cache.js';
import { inputPaths } from './layout.js';
import type { FileContent } from './render.js';
import { rememberRun, type RunSnapshot } from './run-cache.js';
import { Output, THREAD_MIN_FILES, writeOutput } from './write.js';
import type { EmitResult } from './write.js';

export { inputPaths, MANIFEST } from './layout.js';
export type { FileContent } from './render.js';
export type { EmitResult } from './write.js';

/** render.ts's render(), loaded on first use. */
export async function render(
  ...args: Parameters<typeof import('./render.js').render>
): Promise<Map<string, FileContent>> {
  const { render: renderFiles } = await import('./render.js');
  return renderFiles(...args);
}

export interface EmitOptions {
  /** The generated directory. */
  readonly outDir: string;
  /** Write nothing; only report what differs. */
  readonly check?: boolean;
  /** Where the recipes' patches and files are read from. */
  readonly stagesDir: string;
  /**
   * What the graph was compiled from (run-cache.ts), for a compile without diagnostics: recorded with this
   * generation, so that the next run with the same inputs skips compiling.
   */
  readonly run?: RunSnapshot;
  /**
   * Write the files from a thread of their own while the rest renders (write.ts's Output); by default, for an
   * output of THREAD_MIN_FILES files or more. Tests set it either way.
   */
  readonly thread?: boolean;
}

/**
 * Writes the generated directory (or with `check`, writes nothing) and says what differs. A patch or file that
 * cannot be read, or an output file that cannot be written, is an `io-error` diagnostic in the result, never
 * thrown: nothing is written when an input is unreadable, and writing stops at the first failure (the old
 * manifest then still lists what the next run removes).
 */
export async function emit(graph: BuildGraph, opts: EmitOptions): Promise<EmitResult> {
  const sink = new Sink();
  const inputs = new Map<string, Buffer>();
  for (const rel of inputPaths(graph)) {
    const path = join(opts.stagesDir, rel);
    try {
      inputs.set(rel, readFileSync(path));
    } catch (e) {
      sink.error('io-error', null, { kind: 'file', path, reason: ioReason(e) });
    }
  }
  if (sink.hasErrors) return { files: [], changed: [], removed: [], diagnostics: sink.sorted() };
  // --check always compares for real: it is what CI's drift check trusts
  if (opts.check) return writeOutput(opts.outDir, await render(graph, inputs), true, sink);
  let key: string | null = null;
  const keyOf = (): string => (key ??= generationKey(graph, inputs));
  const unchanged = unchangedSince(opts.outDir, keyOf);
  if (unchanged !== null) {
    if (opts.run) rememberRun(opts.outDir, opts.run, opts.stagesDir, inputs, keyOf());
    return { files: unchanged, changed: [], removed: [], diagnostics: [] };
  }
  forget(opts.outDir);
  const { outputPaths, renderEach } = await import('./render.js');
  const paths = outputPaths(graph);
  const thread = opts.thread ?? paths.length >= THREAD_MIN_FILES;
  const output = new Output(opts.outDir, paths, { check: false, thread });
  try {
    // with a writing thread, plan.json is rendered there, from the graph's JSON text (the key hashes it too)
    if (thread) output.putPlan(graphText(graph));
    await renderEach(graph, inputs, { planElsewhere: thread }, (rel, content) => output.put(rel, content));
  } catch (e) {
    await output.abandon();
    throw e;
  }
  keyOf(); // the record's key, computed while the writing thread may still be writing
  const result = await output.finish(sink);
  if (result.diagnostics.length === 0 && remember(opts.outDir, keyOf(), result.files, output.identities) && opts.run)
    rememberRun(opts.outDir, opts.run, opts.stagesDir, inputs, keyOf());
  return result;
}
