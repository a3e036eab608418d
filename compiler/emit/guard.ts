// Which output directory generation may write into, decided before anything is read or written: never `/`,
// never an existing file, never the recipe directory or a directory inside it (generation would write into its
// own sources), and never a non-empty directory serpentc did not generate (it has no manifest: it may hold a
// user's own Makefile) unless the user forces it. Reads only; write.ts is still the only writer.
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { byCodeUnit, isInside } from '../util.js';
import { MANIFEST } from './layout.js';

/** Why an output directory is refused; `entry`: one of the foreign directory's entries, to name in the message. */
export type Refusal =
  | { readonly kind: 'root' }
  | { readonly kind: 'not-a-directory' }
  /** `target`: where the link leads, as it is written. */
  | { readonly kind: 'dangling-link'; readonly target: string }
  /** `dir`: the recipe directory (the base or a layer) it is in, as given. */
  | { readonly kind: 'in-recipes'; readonly dir: string }
  | { readonly kind: 'foreign'; readonly entry: string };

/**
 * Null when generation may write into `outDir`. `force` allows only a non-empty directory without a manifest;
 * `/` and the recipe directories (the base and its layers) stay refused.
 */
export function guardOutDir(outDir: string, recipeDirs: readonly string[], force: boolean): Refusal | null {
  const out = realish(outDir);
  if (out === '/') return { kind: 'root' };
  // the base and every layer: a layer outside the base is as much the recipes as the base
  for (const dir of recipeDirs) {
    const real = realOrNull(dir);
    if (real !== null && isInside(out, real)) return { kind: 'in-recipes', dir };
  }
  // a symbolic link to nothing: writing would climb past it and report the wrong directory; say what it is
  const dangling = danglingTarget(outDir);
  if (dangling !== null) return { kind: 'dangling-link', target: dangling };
  let isDir: boolean;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    return null; // missing (it will be made), or unreadable: writing reports what is wrong with it
  }
  if (!isDir) return { kind: 'not-a-directory' };
  if (force) return null;
  let entries: string[];
  try {
    entries = readdirSync(out).sort(byCodeUnit); // sort for determinism: the entry the message names
  } catch {
    return null; // unreadable: writing reports it
  }
  if (entries.length === 0 || entries.includes(MANIFEST)) return null;
  return { kind: 'foreign', entry: entries[0] };
}

/** Where `path` leads when it is a symbolic link whose target does not exist, else null. */
function danglingTarget(path: string): string | null {
  try {
    if (!lstatSync(path).isSymbolicLink()) return null;
  } catch {
    return null;
  }
  try {
    statSync(path);
    return null;
  } catch {
    return readlinkSync(path);
  }
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The real path of `path`, or for a path that does not exist yet, its nearest existing ancestor's plus the rest. */
function realish(path: string): string {
  const abs = resolve(path);
  const real = realOrNull(abs);
  if (real !== null) return real;
  const parent = dirname(abs);
  return parent === abs ? abs : join(realish(parent), basename(abs));
}
