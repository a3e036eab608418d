// Formats shell step bodies exactly as prettier + prettier-plugin-sh would, fast: deduplicated, cached, batched.
//
// prettier-plugin-sh hands the text to sh-syntax (mvdan/sh compiled to WASM) and prints it with the same
// options; each call starts a fresh Go runtime (~20 ms). Formatting each unique body separately would cost
// minutes for a large plan, so unique bodies are joined with a marker comment line, formatted in one call and
// split again. A batch that does not split back cleanly is formatted body by body; a body that does not
// parse is kept as written (the checker reports shell syntax errors before the emitter runs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getProcessor } from 'sh-syntax';

const MARKER = '# serpentc:format-split:4b1d';
const BATCH_BODIES = 2000;
const BATCH_CHARS = 1_000_000;

/** @type {Map<string, string>} body as written → formatted body; shared by every render in this process */
const cache = new Map();

/** @type {((text: string, options: { print: true }) => Promise<string>) | null} */
let processor = null;

function getFormatter() {
  if (processor) return processor;
  const require = createRequire(import.meta.url);
  // Compile the WASM module once; each call still needs its own instance (the Go runtime exits after a call).
  const module = new WebAssembly.Module(readFileSync(require.resolve('sh-syntax/main.wasm')));
  const make = getProcessor((imports) => WebAssembly.instantiate(module, imports));
  processor = /** @type {any} */ (make);
  return /** @type {any} */ (make);
}

/**
 * A body's text without trailing blank lines, ending in one newline ('' stays '').
 * @param {string} text
 */
function normalize(text) {
  const trimmed = text.replace(/\s+$/, '');
  return trimmed === '' ? '' : `${trimmed.replace(/^\n+/, '')}\n`;
}

/** @param {string} text @returns {Promise<string>} */
async function formatOne(text) {
  try {
    return normalize(await getFormatter()(text, { print: true }));
  } catch {
    return normalize(text);
  }
}

/**
 * @param {string[]} bodies normalized, non-empty, without the marker
 * @returns {Promise<string[]>}
 */
async function formatBatch(bodies) {
  if (bodies.length === 1) return [await formatOne(bodies[0])];
  try {
    const out = await getFormatter()(bodies.join(`\n${MARKER}\n`), { print: true });
    const pieces = out.split(new RegExp(`^${MARKER}$`, 'm'));
    if (pieces.length === bodies.length) return pieces.map(normalize);
  } catch {
    // one body does not parse: fall through to one call per body
  }
  const result = [];
  for (const body of bodies) result.push(await formatOne(body));
  return result;
}

/**
 * Formats every body (prettier-plugin-sh's defaults) and returns body → formatted text.
 * @param {Iterable<string>} bodies
 * @returns {Promise<Map<string, string>>}
 */
export async function formatBodies(bodies) {
  /** @type {Map<string, string>} */
  const result = new Map();
  /** @type {Map<string, string[]>} normalized text → original bodies waiting for it */
  const todo = new Map();
  for (const body of bodies) {
    if (result.has(body)) continue;
    const cached = cache.get(body);
    if (cached !== undefined) {
      result.set(body, cached);
      continue;
    }
    const text = normalize(body);
    if (text === '') {
      result.set(body, '');
      continue;
    }
    const waiting = todo.get(text);
    if (waiting) waiting.push(body);
    else todo.set(text, [body]);
  }
  const texts = [...todo.keys()];
  /** @type {string[][]} */
  const batches = [];
  /** @type {string[]} */
  let current = [];
  let size = 0;
  for (const text of texts) {
    if (text.includes(MARKER)) {
      batches.push([text]);
      continue;
    }
    if (current.length >= BATCH_BODIES || size + text.length > BATCH_CHARS) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(text);
    size += text.length;
  }
  if (current.length) batches.push(current);
  const formatted = await Promise.all(batches.map((batch) => formatBatch(batch)));
  batches.forEach((batch, b) => {
    batch.forEach((text, i) => {
      for (const body of todo.get(text) ?? []) {
        cache.set(body, formatted[b][i]);
        result.set(body, formatted[b][i]);
      }
    });
  });
  return result;
}

/**
 * Formats one whole file with the same formatter (used by tests and for the generated files' checks).
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function formatShell(text) {
  return getFormatter()(text, { print: true });
}
