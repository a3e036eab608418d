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
  /** @type {string[]} */
  let paths = [];
  try {
    paths = walk(dir, sink);
  } catch (e) {
    sink.error('io-error', null, `cannot read recipe directory \`${dir}\`: ${/** @type {NodeJS.ErrnoException} */ (e).code ?? 'error'}`);
    return { files: [], texts: new Map(), relOf: new Map() };
  }
  if (paths.length === 0) {
    sink.error('no-recipes', null, `no *.recipe files found in \`${dir}\``);
  }
  /** @type {Array<{ display: string, rel: string, text: string }>} */
  const sources = [];
  for (const path of paths) {
    try {
      sources.push({ display: path, rel: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
    } catch (e) {
      sink.error('io-error', null, `cannot read \`${path}\`: ${/** @type {Error} */ (e).message}`);
    }
  }
  return parseAll(sources, sink);
}

/**
 * Parses recipe texts. `display` is the path shown in diagnostics, `rel` the path relative to the stages dir.
 * @param {Array<{ display: string, rel: string, text: string }>} sources
 * @param {Sink} sink
 */
export function parseAll(sources, sink) {
  /** @type {FileNode[]} */
  const files = [];
  const texts = new Map();
  const relOf = new Map();
  for (const { display, rel, text } of sources) {
    texts.set(display, text);
    relOf.set(display, rel);
    const { ast, diagnostics } = parse(display, text);
    sink.addAll(diagnostics);
    files.push(ast);
  }
  return { files, texts, relOf };
}

/**
 * Recipe files below `dir`; an entry that cannot be read is reported and skipped, the rest is still read.
 * @param {string} dir @param {Sink} sink @returns {string[]}
 */
function walk(dir, sink) {
  /** @type {string[]} */
  const out = [];
  // sort for determinism: declaration order across files follows path order
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = entry.name;
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      // only links need a stat (to follow them); a dangling one is reported and skipped
      try {
        isDir = statSync(path).isDirectory();
      } catch (e) {
        sink.error('io-error', null, `cannot read \`${path}\`: ${/** @type {NodeJS.ErrnoException} */ (e).code ?? 'error'}`);
        continue;
      }
    }
    if (isDir) out.push(...walk(path, sink));
    else if (name.endsWith('.recipe')) out.push(path);
  }
  return out;
}
