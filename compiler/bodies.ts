// What the shell analysis says about every step body of the model, each distinct text analysed once. Both check
// (syntax, variables, tools) and plan (commands, host tools) read these facts; neither analyses again.
import type { StepItem } from '../grammar/syntax.js';
import type { Model } from './resolve/index.js';
import { analyzeShell, type ShellInfo } from './shell/index.js';
import { bug } from './util.js';

/** Shell analysis by body text. */
export type ShellFacts = ReadonlyMap<string, ShellInfo>;

/** Results by body text: a body shared by many packages or runs (templates, watch, fuzz) is parsed once. */
const cache = new Map<string, ShellInfo>();
const CACHE_MAX = 100000;

export async function analyzeBodies(model: Model): Promise<ShellFacts> {
  const texts = new Set<string>();
  for (const pkg of model.packages.values()) for (const step of pkg.steps.values()) texts.add(step.body.text);
  const missing = [...texts].filter((t) => !cache.has(t));
  if (missing.length) {
    if (cache.size + missing.length > CACHE_MAX) cache.clear();
    const infos = await analyzeShell(missing);
    missing.forEach((t, i) => cache.set(t, infos[i]));
  }
  const facts = new Map<string, ShellInfo>();
  for (const t of texts) {
    const info = cache.get(t);
    if (info) facts.set(t, info);
  }
  return facts;
}

/** The facts about one step's body; every body of the model was analysed. */
export function shellInfo(facts: ShellFacts, item: StepItem): ShellInfo {
  const info = facts.get(item.body.text);
  if (!info) throw bug(`step ${item.name.name} at ${item.body.loc.file}:${item.body.loc.line} was never analysed`);
  return info;
}
