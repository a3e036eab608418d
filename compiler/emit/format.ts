// Formats shell step bodies exactly as prettier + prettier-plugin-sh would, fast: deduplicated, cached, batched.
//
// prettier-plugin-sh hands the text to sh-syntax (mvdan/sh compiled to WASM) and prints it with the same
// options, starting a fresh Go runtime for each call (~20 ms); here the shell engine's one instance prints
// (getPrinter). A call still has a cost of its own, so unique bodies are joined with a marker comment line,
// formatted in one call and split again. A batch that does not split back cleanly is formatted body by body; a
// body that does not parse is kept as written (the checker reports shell syntax errors before the emitter runs).
import { getProcessor } from 'sh-syntax';
import { getEngine } from '../shell/engine.js';
import { shellInstance } from '../shell/wasm.js';

const MARKER = '# serpentc:format-split:4b1d';
const BATCH_BODIES = 2000;
const BATCH_CHARS = 1_000_000;

/**
 * body as written → formatted body; shared by every render in this process, in order of last use (the next
 * run's memo, shell-memo.ts, keeps the most recent ones)
 */
const cache = new Map<string, string>();
/** normalized texts the printer failed on, kept as written: right for this run, but no answer for the next */
const unprinted = new Set<string>();

type Printer = (text: string) => Promise<string>;

let printer: Promise<Printer> | null = null;

/**
 * The process's printer: the shell engine's one reused instance when it can print (no Go runtime to start and
 * no second 10 MB heap per call), else sh-syntax's processor, which needs a fresh instance per call (its Go
 * runtime exits after one). Both run the same main.wasm with the same options.
 */
function getPrinter(): Promise<Printer> {
  printer ??= getEngine('auto').then(
    (engine) => {
      const print = engine.print;
      if (print) return (text: string) => Promise.resolve(print(text));
      return publicPrinter();
    },
    () => publicPrinter(),
  );
  return printer;
}

function publicPrinter(): Printer {
  const processor = getProcessor((imports) => shellInstance(imports));
  return (text) => processor(text, { print: true });
}

/** A body's text without trailing blank lines, ending in one newline ('' stays ''). */
function normalize(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  return trimmed === '' ? '' : `${trimmed.replace(/^\n+/, '')}\n`;
}

async function formatOne(text: string): Promise<string> {
  try {
    return normalize(await (await getPrinter())(text));
  } catch {
    unprinted.add(text);
    return normalize(text);
  }
}

/** `bodies`: normalized, non-empty, without the marker. */
async function formatBatch(bodies: readonly string[]): Promise<string[]> {
  if (bodies.length === 1) return [await formatOne(bodies[0])];
  try {
    const out = await (await getPrinter())(bodies.join(`\n${MARKER}\n`));
    const pieces = out.split(new RegExp(`^${MARKER}$`, 'm'));
    if (pieces.length === bodies.length) return pieces.map(normalize);
  } catch {
    // one body does not parse: fall through to one call per body
  }
  const result: string[] = [];
  for (const body of bodies) result.push(await formatOne(body));
  return result;
}

/** Formats every body (prettier-plugin-sh's defaults) and returns body → formatted text. */
export async function formatBodies(bodies: Iterable<string>): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  /** normalized text → original bodies waiting for it */
  const todo = new Map<string, string[]>();
  for (const body of bodies) {
    if (result.has(body)) continue;
    const cached = cache.get(body);
    if (cached !== undefined) {
      cache.delete(body); // used now: to the end of the order
      cache.set(body, cached);
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
  const batches: string[][] = [];
  let current: string[] = [];
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

/** The bodies this process had printed, with their text, least recently used first. */
export function knownFormats(): [string, string][] {
  return [...cache].filter(([body]) => !unprinted.has(normalize(body)));
}

/** Adds formatted bodies made by an earlier run of the same serpentc (shell-memo.ts), as if made in this one. */
export function learnFormats(entries: Iterable<readonly [string, string]>): void {
  for (const [body, formatted] of entries) if (!cache.has(body)) cache.set(body, formatted);
}

/** Formats one whole file with the same formatter (used by tests and for the generated files' checks). */
export async function formatShell(text: string): Promise<string> {
  return (await getPrinter())(text);
}
