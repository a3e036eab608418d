// The compiler's entry points, one per pass: load+parse → resolve → check → plan. Errors are returned, not thrown.
import { Sink } from './diagnostics.js';
import { load } from './load.js';
import { resolve } from './resolve.js';
import { check } from './check.js';
import { plan } from './plan.js';

/** @typedef {import('./model.js').BuildGraph} BuildGraph */
/** @typedef {import('./model.js').Diagnostic} Diagnostic */

/**
 * Compiles a recipe directory into a build graph.
 * @param {string} dir
 * @param {{ target?: string }} [opts]
 * @returns {Promise<{ graph: BuildGraph | null, diagnostics: Diagnostic[], texts: Map<string, string>, model: import('./resolve.js').Model | null }>}
 *   graph is null when there are errors.
 */
export async function compile(dir, opts = {}) {
  const sink = new Sink();
  const { files, texts, relOf } = load(dir, sink);
  const model = resolve(files, sink, opts);
  for (const pkg of model.packages.values()) pkg.relFile = relOf.get(pkg.file);
  const checked = await check(model, sink, { stagesDir: dir });
  const diagnostics = sink.sorted();
  if (sink.hasErrors) return { graph: null, diagnostics, texts, model };
  return { graph: plan(model, checked, relOf), diagnostics, texts, model };
}
