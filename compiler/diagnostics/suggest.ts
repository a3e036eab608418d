// Did-you-mean suggestions, in the order rustc tries them: a name differing only in case; the closest name within
// an edit distance that scales with the word (a transposition is one edit); the same words in another order; the
// one name the word is a whole part of. Ties between equally close names go to the likelier typo (see `rank`).
import type { Note } from './diagnostic.js';
import { NOTES } from './catalogue.js';

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein without editing a substring twice): insertions,
 * deletions, substitutions and transpositions of two neighbouring characters each count one. Compares UTF-16
 * code units, as every other column in serpentc does.
 */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** The most edits a suggestion may be away: a third of the word, at least one (rustc's limit). */
export function limitFor(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}

/** Characters two strings share at their start, and at their end (not overlapping the shorter one's start). */
function sharedEnds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p < n && a[p] === b[p]) p++;
  let s = 0;
  while (s < n - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return p + s;
}

interface Scored {
  readonly name: string;
  readonly lower: string;
  readonly d: number;
}

/**
 * Orders candidates at the same distance by how likely the word is a typo of each: first the one keeping more of
 * the word's start and end in place (typos fall inside a word: `patchs` keeps `patch…s` of `patches` but only
 * `patch` of `patch`), then the one the word reaches by dropping a letter rather than adding one (omissions are
 * the commonest typo), then by name.
 */
function rank(word: string): (a: Scored, b: Scored) => number {
  return (a, b) =>
    a.d - b.d ||
    sharedEnds(word, b.lower) - sharedEnds(word, a.lower) ||
    Number(b.lower.length > word.length) - Number(a.lower.length > word.length) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The words of a name: split at `-`, `_` and `.`, lowercased and sorted. */
function words(name: string): string {
  return name
    .toLowerCase()
    .split(/[-_.]+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}

/** The best suggestion for `word` among `candidates`, or null when none is close enough. */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  // sort for determinism: every rule below picks the first of equals
  const names = [...new Set(candidates)].filter((c) => c !== word).sort();
  const lower = word.toLowerCase();
  if (lower === '' || names.length === 0) return null;

  // 1. the same name in another case
  const sameCase = names.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;

  // 2. the closest within the limit; a candidate must share something with the word (`a` is no typo of `b`)
  const limit = limitFor(word);
  const close = names
    .map((name) => ({ name, lower: name.toLowerCase(), d: distance(lower, name.toLowerCase()) }))
    .filter((s) => s.d <= limit && s.d < Math.max(lower.length, s.lower.length))
    .sort(rank(lower));
  if (close.length) return close[0].name;

  // 3. the same words in another order: `headers-linux` for `linux-headers`
  const sorted = words(word);
  const reordered = names.find((c) => words(c) === sorted);
  if (reordered !== undefined) return reordered;

  // 4. the one candidate the word is a whole part of: `linux-headers` for `headers` (never a guess between several)
  const containing =
    lower.length >= 3
      ? names.filter((c) =>
          c
            .toLowerCase()
            .split(/[-_.]+/)
            .includes(lower),
        )
      : [];
  return containing.length === 1 ? containing[0] : null;
}

/** A did-you-mean note when a candidate is close enough, else no note. */
export function suggestion(word: string, candidates: Iterable<string>): Note[] {
  const s = didYouMean(word, candidates);
  return s ? [NOTES.didYouMean(s)] : [];
}
