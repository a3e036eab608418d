// Which recipe files a directory holds, in the order they are read: every `*.recipe` below it, hidden entries
// (a leading dot) left out, symbolic links followed, a link loop reported once. No parsing here, so the run
// cache (emit/run-cache.ts) can list a set without loading the grammar.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Sink } from './diagnostics/diagnostic.js';
import { byKey, ioReason } from './util.js';

/**
 * The recipe files below `dir` in the order load() reads them; unreadable entries are reported into `sink` and
 * skipped (serpentc lsp lists a set this way, then reads open documents from the editor instead of the disk;
 * serpentc fmt finds the files of a directory this way).
 */
export function recipePaths(dir: string, sink: Sink): string[] {
  return walkBelow(dir, sink, new Map());
}

/**
 * Recipe files below `dir`; an entry that cannot be read is reported and skipped, the rest is still read.
 * `seen` maps each directory read so far (by device and inode, so a symbolic link to it is recognised) to the
 * path it was read under: a link back to one of them (`ln -s . loop`) is one error, not an endless descent.
 * Throws when `dir` itself cannot be read.
 */
export function walk(dir: string, sink: Sink, seen: Map<string, string>): string[] {
  const st = statSync(dir);
  const key = `${st.dev}:${st.ino}`;
  const again = seen.get(key);
  if (again !== undefined) {
    sink.error('io-error', null, { kind: 'loop', path: dir, again });
    return [];
  }
  seen.set(key, dir);
  const out: string[] = [];
  // sort for determinism: declaration order across files follows path order
  const entries = readdirSync(dir, { withFileTypes: true }).sort(byKey((e) => e.name));
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
        sink.error('io-error', null, { kind: 'file', path, reason: ioReason(e) });
        continue;
      }
    }
    if (isDir) out.push(...walkBelow(path, sink, seen));
    else if (name.endsWith('.recipe')) out.push(path);
  }
  return out;
}

/** walk() of a subdirectory: one that cannot be read is reported and skipped, its siblings are still read. */
function walkBelow(dir: string, sink: Sink, seen: Map<string, string>): string[] {
  try {
    return walk(dir, sink, seen);
  } catch (e) {
    sink.error('io-error', null, { kind: 'dir', path: dir, reason: ioReason(e) });
    return [];
  }
}
