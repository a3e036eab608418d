// Reads a recipe directory: every `*.recipe` file below it, in sorted path order, parsed into ASTs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from '../grammar/index.js';

/** @typedef {import('./model.js').FileNode} FileNode */
/** @typedef {import('./diagnostics.js').Sink} Sink */

/**
 * @param {string} dir the recipe directory as the user wrote it (used for display paths)
 * @param {Sink} sink
 * @returns {{ files: FileNode[], texts: Map<string, string>, relOf: Map<string, string> }}
 *   texts: display path → source text (for diagnostics); relOf: display path → path relative to `dir`
 */
export function load(dir, sink) {
  /** @type {FileNode[]} */
  const files = [];
  const texts = new Map();
  const relOf = new Map();
  /** @type {string[]} */
  let paths = [];
  try {
    paths = walk(dir);
  } catch (e) {
    sink.error('io-error', null, `cannot read recipe directory \`${dir}\`: ${/** @type {Error} */ (e).message}`);
    return { files, texts, relOf };
  }
  if (paths.length === 0) {
    sink.error('no-recipes', null, `no *.recipe files found in \`${dir}\``);
  }
  for (const path of paths) {
    const display = path;
    const rel = relative(dir, path).split(sep).join('/');
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      sink.error('io-error', null, `cannot read \`${display}\`: ${/** @type {Error} */ (e).message}`);
      continue;
    }
    texts.set(display, text);
    relOf.set(display, rel);
    const { ast, diagnostics } = parse(display, text);
    sink.addAll(diagnostics);
    files.push(ast);
  }
  return { files, texts, relOf };
}

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  /** @type {string[]} */
  const out = [];
  // sort for determinism: declaration order across files follows path order
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.recipe')) out.push(path);
  }
  return out;
}
