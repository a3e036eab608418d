// Small helpers the compiler shares, each defined once: code-unit ordering, clipping, serpentc-bug errors, the
// reason a file-system call failed, and path containment.
import { sep } from 'node:path';

/** Orders strings by UTF-16 code unit, as `Array.prototype.sort` does, independent of locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator by a string key, by code unit: `list.sort(byKey((x) => x.name))`. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => byCodeUnit(key(a), key(b));
}

/** Shortens `s` to at most `max` characters, marking the cut with `…`. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * An error for a broken internal invariant: something check() should have refused reached a later pass.
 * The CLI reports it as a serpentc bug (exit 3), never as a user mistake.
 */
export function bug(message: string): Error {
  return new Error(`serpentc bug: ${message}`);
}

/** A file-system error as an `io-error` reason: `EACCES: permission denied`, without the path Node repeats. */
export function ioReason(e: unknown): string {
  if (!isSystemError(e)) return e instanceof Error ? e.message : String(e);
  const m = /^([A-Z0-9]+): ([^,]*)/.exec(e.message);
  return m ? `${m[1]}: ${m[2]}` : e.code;
}

/** An error from the operating system (it has an errno code such as ENOENT), as opposed to a serpentc bug. */
export function isSystemError(e: unknown): e is Error & { readonly code: string } {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code);
}

/** `path` is `dir` or below it; both absolute and already resolved (real paths), so `..` and links cannot fool it. */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}
