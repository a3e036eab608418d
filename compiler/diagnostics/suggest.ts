// Did-you-mean suggestions: the closest known name within an edit distance that scales with the word.
import type { Note } from './diagnostic.js';
import { NOTES } from './catalogue.js';

/** Levenshtein distance. */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a distance that scales with the word, or null. */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  // sort for determinism: ties resolve to the alphabetically first candidate
  for (const c of [...candidates].sort()) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== null && bestD <= limit ? best : null;
}

/** A did-you-mean note when a candidate is close enough, else no note. */
export function suggestion(word: string, candidates: Iterable<string>): Note[] {
  const s = didYouMean(word, candidates);
  return s ? [NOTES.didYouMean(s)] : [];
}
