// Small helpers the compiler shares, each defined once: code-unit ordering, clipping, and serpentc-bug errors.

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
