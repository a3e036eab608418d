// The only part of the generator that touches out/: writes what differs (temporary file + rename), keeps
// unchanged files untouched (mtime and all), records the manifest last, and removes what it generated before
// and no longer generates. With `check`, writes nothing and only reports.
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { byCodeUnit } from '../util.js';
import { checkRelPath, fileMode, MANIFEST } from './layout.js';
import type { FileContent } from './render.js';

/**
 * `files`: every generated path; `changed`: paths written (or that would be); `removed`: stale generated paths
 * deleted (or that would be). All relative to the output directory, sorted.
 */
export interface EmitResult {
  readonly files: string[];
  readonly changed: string[];
  readonly removed: string[];
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** An old manifest entry we may delete: relative, inside outDir. */
function safeOldPath(rel: string): boolean {
  try {
    checkRelPath(rel);
    return true;
  } catch {
    return false;
  }
}

/** Writes the rendered files into `outDir` (or with `check`, writes nothing) and says what differs. */
export function writeOutput(outDir: string, rendered: ReadonlyMap<string, FileContent>, check: boolean): EmitResult {
  const paths = [...rendered.keys()].sort(byCodeUnit); // sort for determinism
  const manifest = `${paths.join('\n')}\n`;
  const all = [...paths, MANIFEST].sort(byCodeUnit); // sort for determinism

  const previous = readOrNull(join(outDir, MANIFEST));
  const before = previous ? previous.toString('utf8').split('\n').filter(Boolean) : [];
  const removed = before
    .filter((p) => p !== MANIFEST && !rendered.has(p) && safeOldPath(p) && readOrNull(join(outDir, p)) !== null)
    .sort(byCodeUnit); // sort for determinism

  const changed: string[] = [];
  const madeDirs = new Set<string>();
  // The manifest last: should generation stop half way, the old manifest still lists what to remove.
  for (const rel of [...paths, MANIFEST]) {
    const content = rel === MANIFEST ? manifest : rendered.get(rel);
    if (content === undefined) continue; // (every path is a key of `rendered`)
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const path = join(outDir, rel);
    const mode = fileMode(rel);
    const existing = readOrNull(path);
    const sameContent = existing !== null && existing.equals(bytes);
    const sameMode = sameContent && (statSync(path).mode & 0o777) === mode;
    if (sameContent && sameMode) continue;
    changed.push(rel);
    if (check) continue;
    if (sameContent) {
      chmodSync(path, mode);
      continue;
    }
    const dir = dirname(path);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    if (existing === null) {
      // A new file: nothing can read a half-written version of it that make would trust (no stamp is newer).
      writeFileSync(path, bytes, { mode });
      chmodSync(path, mode); // the umask may have removed bits
      continue;
    }
    // Replace through a temporary file and a rename: a reader never sees half a file.
    const temp = join(dir, `.${rel.slice(rel.lastIndexOf('/') + 1)}.serpentc-tmp-${process.pid}`);
    writeFileSync(temp, bytes);
    chmodSync(temp, mode);
    renameSync(temp, path);
  }
  changed.sort(byCodeUnit); // sort for determinism
  if (!check) {
    for (const rel of removed) unlinkSync(join(outDir, rel));
    pruneEmptyDirs(outDir, removed);
  }
  return { files: all, changed, removed };
}

/** Removes the directories of removed files that became empty (deepest first), never outDir itself. */
function pruneEmptyDirs(outDir: string, removed: readonly string[]): void {
  const dirs = new Set<string>();
  for (const rel of removed) {
    const parts = rel.split('/');
    for (let i = parts.length - 1; i > 0; i--) dirs.add(parts.slice(0, i).join('/'));
  }
  const deepestFirst = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || byCodeUnit(a, b)); // sort for determinism
  for (const rel of deepestFirst) {
    const path = join(outDir, rel);
    try {
      if (readdirSync(path).length === 0) rmdirSync(path);
    } catch {
      // already gone or not a directory: nothing to prune
    }
  }
}
