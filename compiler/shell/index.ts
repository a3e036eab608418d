// Checks step bodies as POSIX sh (mvdan/sh through sh-syntax) and lists the commands they run and the variables
// they read and set; never throws.
//
// Two parts: validation (engine.ts drives the parser, validate.ts batches bodies and gives each its own error)
// and extraction (lexer.ts and scan.ts: a small POSIX shell scanner, since mvdan's JSON AST carries no words,
// that walks quotes, expansions, here-documents and the command grammar just far enough to know which word is
// a command). wasm.ts loads the parser module, once for the whole process.
import { errorText, getEngine } from './engine.js';
import { asText, scanShell } from './scan.js';
import type { ShellError, ShellInfo, ShellOptions } from './types.js';
import { COULD_NOT_RUN, validate } from './validate.js';

export { SHELL_BUILTINS } from './builtins.js';
export { scanShell } from './scan.js';
export { isParserFailure } from './validate.js';
export { prepareShell } from './wasm.js';
export type { ShellError, ShellInfo, ShellName, ShellOptions } from './types.js';

/** Deep-freezes a result shared by every occurrence of the same body (and by runs: emit/shell-memo.ts). */
export function freezeInfo(info: ShellInfo): ShellInfo {
  for (const list of [info.commands, info.refs]) for (const x of list) Object.freeze(x);
  Object.freeze(info.commands);
  Object.freeze(info.refs);
  Object.freeze(info.assigns);
  if (info.error) Object.freeze(info.error);
  return Object.freeze(info);
}

/**
 * Validates and analyses step bodies. The result has the same order and length as `bodies`; identical bodies
 * share one frozen result. Never throws, not even on a value that is not an array of strings.
 */
export async function analyzeShell(
  bodies: readonly string[],
  options: ShellOptions = {},
): Promise<readonly ShellInfo[]> {
  const texts = Array.isArray(bodies) ? bodies.map(asText) : [];
  const index = new Map<string, number>();
  const unique: string[] = [];
  const slot = texts.map((t) => {
    let i = index.get(t);
    if (i === undefined) {
      i = unique.length;
      index.set(t, i);
      unique.push(t);
    }
    return i;
  });
  let errors: readonly (ShellError | null)[];
  try {
    const engine = await getEngine(options.engine ?? 'auto');
    const size = options.batchBytes;
    errors = await validate(unique, engine, typeof size === 'number' && size > 0 ? size : engine.batchBytes);
  } catch (err) {
    const message = `${COULD_NOT_RUN} (${errorText(err)})`;
    errors = unique.map(() => ({ message, line: 1, col: 1 }));
  }
  const infos = unique.map((body, i) => {
    const error = errors[i];
    return freezeInfo(error ? { error, commands: [], refs: [], assigns: [] } : scanShell(body));
  });
  return slot.map((i) => infos[i]);
}
