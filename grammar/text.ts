// Text helpers grammar/ shares (it imports nothing from compiler/, so it keeps its own): defined once here.

/** Shortens `s` to at most `max` characters, marking the cut with `…`. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
