// Validates many bodies in few parser calls and gives each body exactly the error it has on its own (or null).
//
// Bodies are checked in batches, separated by sentinel statements whose exact positions prove that no body
// leaked into its neighbour; anything doubtful is re-parsed on its own, so every body gets exactly its own result.
import type { Engine, Outcome } from './engine.js';
import type { ShellError } from './types.js';

/** Placed between bodies in a batch; each must come back as a top-level statement at its exact offset. */
const SENTINEL = '\n:\n';

/**
 * UTF-8 bytes of the character at s[i]: 4 for a surrogate pair (which spans two UTF-16 units), 3 for a lone
 * surrogate (encoded as U+FFFD, like TextEncoder does).
 */
function utf8Bytes(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) return 4;
  return 3;
}

/** UTF-8 length of a string. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const b = utf8Bytes(s, i);
    n += b;
    if (b === 4) i++;
  }
  return n;
}

/** The string index at UTF-8 byte offset `off` of `s`. */
function indexAtByte(s: string, off: number): number {
  let n = 0;
  let i = 0;
  for (; i < s.length && n < off; i++) {
    const b = utf8Bytes(s, i);
    n += b;
    if (b === 4) i++;
  }
  return i;
}

/** 1-based line and column (in UTF-16 units) of string index `idx`. */
function lineColAt(s: string, idx: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < idx; i = s.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: idx - start + 1 };
}

/** How the errors that are the parser's failure, not the body's, begin (a crash here, analyzeShell's "could not run"). */
export const GAVE_UP = 'the shell parser gave up on this body';
export const COULD_NOT_RUN = 'the shell parser could not run';

/**
 * Whether `error` says the parser failed rather than that the body is wrong: a crash or a parser that did not
 * start may not happen again, so such a result is no answer to keep for another run (emit/shell-memo.ts).
 */
export function isParserFailure(error: ShellError): boolean {
  return error.message.startsWith(GAVE_UP) || error.message.startsWith(COULD_NOT_RUN);
}

/** The error of a body parsed on its own, positioned in the body (columns in UTF-16 units, not mvdan's bytes). */
function ownResult(body: string, out: Outcome): ShellError | null {
  if (out.kind === 'ok') return null;
  if (out.kind === 'crash')
    return {
      // a trap is what a body can cause (its nesting deeper than the parser's stack); any other failure (no
      // WebAssembly, an engine that would not load) is the parser's alone, and the hint would mislead
      message: `${GAVE_UP} (${out.message})${out.trap ? '; is it nested too deeply?' : ''}`,
      line: 1,
      col: 1,
    };
  if (out.offset !== null) {
    const idx = indexAtByte(body, Math.max(0, out.offset));
    return { message: out.message, ...lineColAt(body, idx) };
  }
  const lines = body.split('\n');
  if (out.line < 1 || out.line > lines.length) return { message: out.message, line: 1, col: 1 };
  const text = lines[out.line - 1];
  return { message: out.message, line: out.line, col: indexAtByte(text, Math.max(0, out.col - 1)) + 1 };
}

/** Validates `bodies` (already unique) and returns each one's own error or null. */
export async function validate(
  bodies: readonly string[],
  engine: Engine,
  batchBytes: number,
): Promise<(ShellError | null)[]> {
  const results: (ShellError | null)[] = new Array<ShellError | null>(bodies.length).fill(null);
  const bytes = bodies.map(utf8Length);
  const lines = bodies.map((b) => {
    let n = 0;
    for (let i = b.indexOf('\n'); i >= 0; i = b.indexOf('\n', i + 1)) n++;
    return n;
  });

  /** One body alone: its exact result. */
  const single = async (i: number): Promise<void> => {
    results[i] = /^[ \t\n]*$/.test(bodies[i]) ? null : ownResult(bodies[i], await engine.parse(bodies[i]));
  };

  /** Halves a doubtful group so that repeated failures cost O(n log n), not O(n²). */
  const split = async (ids: readonly number[]): Promise<void> => {
    if (ids.length <= 1) return check(ids);
    const mid = ids.length >> 1;
    await check(ids.slice(0, mid));
    await check(ids.slice(mid));
  };

  const check = async (ids: readonly number[]): Promise<void> => {
    if (ids.length === 0) return;
    if (ids.length === 1) return single(ids[0]);
    // Layout: body0 SENTINEL body1 SENTINEL … bodyN. starts[k]/lineStarts[k]: where body k begins.
    const starts: number[] = [];
    const lineStarts: number[] = [];
    let off = 0;
    let line = 1;
    for (const i of ids) {
      starts.push(off);
      lineStarts.push(line);
      off += bytes[i] + 3;
      line += lines[i] + 2;
    }
    const out = await engine.parse(ids.map((i) => bodies[i]).join(SENTINEL));
    if (out.kind === 'ok') {
      // Body k is proven to parse on its own when the sentinels on both sides are top-level statements
      // exactly where we put them: then the parser entered body k in a fresh state and left it complete.
      const at = new Set(out.stmts.map(([a, b]) => `${a}:${b}`));
      const missing = ids.findIndex(
        (i, k) => k < ids.length - 1 && !at.has(`${starts[k] + bytes[i] + 1}:${starts[k] + bytes[i] + 2}`),
      );
      if (missing < 0) return; // all null already
      await single(ids[missing]);
      await split(ids.slice(missing + 1));
      return;
    }
    if (out.kind === 'crash') return split(ids);
    // The parser stops at the first error; it is almost always inside the body at fault. Decide that body
    // alone, then re-check the ones before it (not yet proven) and after it (not yet parsed).
    const k = ids.findIndex((i, j) =>
      out.offset !== null
        ? out.offset >= starts[j] && out.offset <= starts[j] + bytes[i]
        : out.line >= lineStarts[j] && out.line <= lineStarts[j] + lines[i],
    );
    if (k < 0) return split(ids);
    await single(ids[k]);
    // If body k fails alone, it is the culprit and the bodies before it most likely parse: one check. If not,
    // an earlier body leaked into it (an unclosed quote pairs with quotes further on, …): bisect, so that a
    // chain of such misattributions costs O(n log n) parses, not O(n²).
    if (results[ids[k]]) await check(ids.slice(0, k));
    else await split(ids.slice(0, k));
    await split(ids.slice(k + 1));
  };

  // Group bodies in input order into batches of about batchBytes.
  let group: number[] = [];
  let size = 0;
  for (let i = 0; i < bodies.length; i++) {
    if (group.length > 0 && size + bytes[i] > batchBytes) {
      await check(group);
      group = [];
      size = 0;
    }
    group.push(i);
    size += bytes[i] + 3;
  }
  await check(group);
  return results;
}
