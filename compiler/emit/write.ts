// The only part of the generator that touches out/: writes what differs (temporary file + rename), keeps
// unchanged files untouched (mtime and all), records the manifest last, and removes what it generated before
// and no longer generates. With `check`, writes nothing and only reports. A file-system failure (permissions, a
// read-only or full disk, a directory where a file goes) is one `io-error` diagnostic, never thrown.
import {
  chmodSync,
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Diagnostic, Sink } from '../diagnostics/diagnostic.js';
import { byCodeUnit, ioReason, isSystemError } from '../util.js';
import { checkRelPath, fileMode, MANIFEST } from './layout.js';
import type { FileContent } from './render.js';

/**
 * `files`: every generated path; `changed`: paths written (or that would be); `removed`: stale generated paths
 * deleted (or that would be). All relative to the output directory, sorted. `diagnostics`: why generation
 * stopped (an `io-error`), empty when it did not.
 */
export interface EmitResult {
  readonly files: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly diagnostics: readonly Diagnostic[];
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * What is at `path` compared with `bytes`: null when no file is there (nothing, or a directory), else whether its
 * content is the same and its permission bits. One open: the size and mode come from the open file, and a file
 * of another size is not read.
 */
function compareFile(path: string, bytes: Buffer): { readonly same: boolean; readonly mode: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const mode = st.mode & 0o777;
    if (st.size !== bytes.length) return { same: false, mode };
    const existing = Buffer.allocUnsafe(bytes.length);
    let got = 0;
    while (got < existing.length) {
      const n = readSync(fd, existing, got, existing.length - got, got);
      if (n === 0) return { same: false, mode }; // shrank while read
      got += n;
    }
    return { same: existing.equals(bytes), mode };
  } catch {
    return null; // unreadable: written anew, where the write reports what refuses it
  } finally {
    closeSync(fd);
  }
}

/**
 * The names in each directory, listed once, or null when the directory does not exist: a file that is not
 * listed is new, and is not opened first (in an empty output directory, that was a failed open per file).
 */
function directoryLister(): (dir: string) => ReadonlySet<string> | null {
  const listings = new Map<string, ReadonlySet<string> | null>();
  return (dir) => {
    let names = listings.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(dir));
      } catch (e) {
        // only a missing directory (or a file in its place) means "nothing there"; any other refusal to list
        // leaves the decision to opening the file itself
        names = isSystemError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR') ? null : UNLISTED;
      }
      listings.set(dir, names);
    }
    return names;
  };
}

/** A directory that exists but could not be listed: every file in it is compared by opening it. */
const UNLISTED: ReadonlySet<string> = new Set();

/** An old manifest entry we may delete: relative, inside outDir. */
function safeOldPath(rel: string): boolean {
  try {
    checkRelPath(rel);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the rendered files into `outDir` (or with `check`, writes nothing) and says what differs. Stops at the
 * first file-system failure and reports it into `sink`: one mistake (an unwritable directory) is one error.
 */
export function writeOutput(
  outDir: string,
  rendered: ReadonlyMap<string, FileContent>,
  check: boolean,
  sink: Sink,
): EmitResult {
  const paths = [...rendered.keys()].sort(byCodeUnit); // sort for determinism
  const manifest = `${paths.join('\n')}\n`;
  const all = [...paths, MANIFEST].sort(byCodeUnit); // sort for determinism

  const previous = readOrNull(join(outDir, MANIFEST));
  const before = previous ? previous.toString('utf8').split('\n').filter(Boolean) : [];
  const removed = before
    .filter((p) => p !== MANIFEST && !rendered.has(p) && safeOldPath(p) && readOrNull(join(outDir, p)) !== null)
    .sort(byCodeUnit); // sort for determinism

  const changed: string[] = [];
  /** the path being written, named by the diagnostic if writing fails */
  let at = outDir;
  let temp: string | null = null;
  try {
    write();
    changed.sort(byCodeUnit); // sort for determinism
    if (!check) {
      for (const rel of removed) {
        at = join(outDir, rel);
        unlinkSync(at);
      }
      pruneEmptyDirs(outDir, removed);
    }
  } catch (e) {
    if (!isSystemError(e)) throw e; // anything else is a serpentc bug, not a property of the disk
    sink.error('io-error', null, { kind: 'write', path: at, reason: ioReason(e) });
    if (temp !== null) removeQuietly(temp);
    changed.sort(byCodeUnit); // sort for determinism
  }
  return { files: all, changed, removed, diagnostics: sink.sorted() };

  function write(): void {
    const madeDirs = new Set<string>();
    // The manifest last: should generation stop half way, the old manifest still lists what to remove. With no
    // old manifest (a first run), first: a run stopped half way leaves a directory that is still recognisably
    // serpentc's (guard.ts refuses a non-empty directory without one), and lists what the next run replaces.
    const order = previous === null ? [MANIFEST, ...paths] : [...paths, MANIFEST];
    const listing = directoryLister();
    for (const rel of order) {
      const content = rel === MANIFEST ? manifest : rendered.get(rel);
      if (content === undefined) continue; // (every path is a key of `rendered`)
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      const path = join(outDir, rel);
      at = path;
      const mode = fileMode(rel);
      const names = listing(dirname(path));
      const existing =
        names === null || (names !== UNLISTED && !names.has(basename(path))) ? null : compareFile(path, bytes);
      const sameContent = existing !== null && existing.same;
      const sameMode = sameContent && existing.mode === mode;
      if (sameContent && sameMode) continue;
      changed.push(rel);
      if (check) continue;
      if (sameContent) {
        chmodSync(path, mode);
        continue;
      }
      const dir = dirname(path);
      if (names === null && !madeDirs.has(dir)) {
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          at = nearestExisting(dir); // what refuses a new directory: a file in the way, or a directory not writable
          throw e;
        }
        madeDirs.add(dir);
      }
      if (existing === null) {
        // A new file: nothing can read a half-written version of it that make would trust (no stamp is newer).
        writeFileSync(path, bytes, { mode });
        chmodSync(path, mode); // the umask may have removed bits
        continue;
      }
      // Replace through a temporary file and a rename: a reader never sees half a file.
      temp = join(dir, `.${rel.slice(rel.lastIndexOf('/') + 1)}.serpentc-tmp-${process.pid}`);
      writeFileSync(temp, bytes);
      chmodSync(temp, mode);
      renameSync(temp, path);
      temp = null;
    }
  }
}

/** `path` itself or its nearest ancestor that exists. */
function nearestExisting(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      statSync(p);
      return p;
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

/** Removes a half-written temporary file after a failure; a failure to do so changes nothing for the user. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the directory refuses: the failure already reported is the one that matters
  }
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
