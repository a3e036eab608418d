// The compiler's entry points, one per pass: load+parse → resolve → check → plan. Errors are returned, not thrown.
import { Sink } from './diagnostics.js';
import { load, parseAll } from './load.js';
import { resolve } from './resolve.js';
import { check } from './check.js';
import { plan } from './plan.js';
import { prepareShell } from './shell.js';

/** @typedef {import('./model.js').BuildGraph} BuildGraph */
/** @typedef {import('./model.js').Diagnostic} Diagnostic */
/** @typedef {{ graph: BuildGraph | null, diagnostics: Diagnostic[], texts: Map<string, string> }} Result */

/**
 * Compiles a recipe directory into a build graph; graph is null when there are errors.
 * @param {string} dir
 * @param {{ target?: string }} [opts]
 * @returns {Promise<Result>}
 */
export async function compile(dir, opts = {}) {
  prepareShell(); // the shell parser compiles in the background while recipes are read and parsed
  const sink = new Sink();
  const { files, texts, relOf } = load(dir, sink);
  return finish(files, texts, relOf, sink, { ...opts, stagesDir: dir });
}

/**
 * Compiles recipe texts held in memory (tests, fuzzing). `rel` is the path relative to `stagesDir`, which is
 * still where patches and files are looked up.
 * @param {Array<{ rel: string, text: string }>} sources
 * @param {{ target?: string, stagesDir: string }} opts
 * @returns {Promise<Result>}
 */
export async function compileSources(sources, opts) {
  const sink = new Sink();
  const { files, texts, relOf } = parseAll(sources.map((s) => ({ display: s.rel, rel: s.rel, text: s.text })), sink);
  return finish(files, texts, relOf, sink, opts);
}

/**
 * @param {import('./model.js').FileNode[]} files @param {Map<string, string>} texts @param {Map<string, string>} relOf
 * @param {Sink} sink @param {{ target?: string, stagesDir: string }} opts @returns {Promise<Result>}
 */
async function finish(files, texts, relOf, sink, opts) {
  const model = resolve(files, sink, opts);
  for (const pkg of model.packages.values()) pkg.relFile = relOf.get(pkg.file);
  const checked = await check(model, sink, { stagesDir: opts.stagesDir });
  const diagnostics = sink.sorted();
  if (sink.hasErrors) return { graph: null, diagnostics, texts };
  return { graph: plan(model, checked, relOf), diagnostics, texts };
}
