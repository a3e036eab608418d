// What the shell analysis says about every step body of the model, each distinct text analysed once. Both check
// (syntax, variables, tools) and plan (commands, host tools) read these facts; neither analyses again.
import type { StepItem } from '../grammar/syntax.js';
import type { Model } from './resolve/index.js';
import { analyzeShell, type ShellInfo } from './shell/index.js';
import { bug } from './util.js';

/** Shell analysis by body text. */
export type ShellFacts = ReadonlyMap<string, ShellInfo>;

/**
 * Results by body text: a body shared by many packages or runs (templates, watch, fuzz) is parsed once. In order
 * of last use, so that the memo of the next run (emit/shell-memo.ts) keeps the most recent ones.
 */
const cache = new Map<string, ShellInfo>();
const CACHE_MAX = 100000;

export async function analyzeBodies(model: Model): Promise<ShellFacts> {
  const texts = new Set<string>();
  for (const pkg of model.packages.values()) for (const step of pkg.steps.values()) texts.add(step.body.text);
  const facts = new Map<string, ShellInfo>();
  const missing: string[] = [];
  for (const t of texts) {
    const info = cache.get(t);
    if (info === undefined) {
      missing.push(t);
      continue;
    }
    cache.delete(t); // used now: to the end of the order
    cache.set(t, info);
    facts.set(t, info);
  }
  if (missing.length) {
    if (cache.size + missing.length > CACHE_MAX) cache.clear();
    const infos = await analyzeShell(missing);
    missing.forEach((t, i) => {
      cache.set(t, infos[i]);
      facts.set(t, infos[i]);
    });
  }
  return facts;
}

/** The analyses this process holds, least recently used first. */
export function knownAnalyses(): ReadonlyMap<string, ShellInfo> {
  return cache;
}

/** Adds analyses made by an earlier run of the same serpentc (emit/shell-memo.ts), as if made in this one. */
export function learnAnalyses(entries: Iterable<readonly [string, ShellInfo]>): void {
  for (const [text, info] of entries) if (!cache.has(text) && cache.size < CACHE_MAX) cache.set(text, info);
}

/** The facts about one step's body; every body of the model was analysed. */
export function shellInfo(facts: ShellFacts, item: StepItem): ShellInfo {
  const info = facts.get(item.body.text);
  if (!info) throw bug(`step ${item.name.name} at ${item.body.loc.file}:${item.body.loc.line} was never analysed`);
  return info;
}
