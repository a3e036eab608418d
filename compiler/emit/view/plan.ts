// The content of plan.json: the graph as the generated tree runs it (stages, packages, host tools) and every
// step in build order, serialized one array element per line. Pure. A step's entry holds what is its own (where it
// runs, its recipe location, what it needs, the commands it runs); what follows from its id is left out
// (docs/output.md: its package, name, script, stamp and log), and its position is its number in lib/steps.txt.
import type { BuildGraph } from '../../graph.js';
import { byCodeUnit } from '../../util.js';
import { Utf8Chunks } from '../bytes.js';
import { globalSteps, orderedStages } from './common.js';

/** plan.json's format; raised when an entry loses or changes a field (docs/output.md). */
export const PLAN_FORMAT = 2;

export function planView(graph: BuildGraph): Record<string, unknown> {
  return {
    serpentc: PLAN_FORMAT,
    target: graph.target,
    stages: orderedStages(graph),
    // packages without their steps: those follow, in build order, with their scripts (which hold the bodies)
    packages: graph.packages.map(({ steps, ...pkg }) => ({ ...pkg, steps: steps.map((s) => s.name) })),
    hostTools: graph.hostTools,
    ...(graph.layers ? { layers: graph.layers } : {}),
    steps: globalSteps(graph).map(({ step, id }) => ({
      id,
      placement: step.placement,
      loc: step.loc,
      needs: step.needs,
      commands: step.commands,
    })),
  };
}

/**
 * plan.json: one line per element of the top-level arrays (a reviewable diff). Key order is the graph's
 * construction order, which plan() fixes: deterministic without sorting. Returned as UTF-8 bytes, written line by
 * line: no array of lines nor one string as large as the file (17.5 MB at 10,000 packages) stays in the heap.
 */
export function planJson(value: Record<string, unknown>): Buffer {
  const out = new Utf8Chunks();
  const keys = Object.keys(value).sort(byCodeUnit); // sort for determinism
  out.add('{\n');
  keys.forEach((k, i) => {
    const v = value[k];
    const comma = i < keys.length - 1 ? ',' : '';
    if (Array.isArray(v) && v.length) {
      out.add(`  ${JSON.stringify(k)}: [\n`);
      v.forEach((item, j) => out.add(`    ${JSON.stringify(item)}${j < v.length - 1 ? ',' : ''}\n`));
      out.add(`  ]${comma}\n`);
    } else {
      out.add(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}\n`);
    }
  });
  out.add('}\n');
  return out.bytes();
}

/**
 * plan.json from the graph's JSON text (cache.ts's graphText), for a writing thread, which has no graph of its
 * own: byte-identical to planJson(planView(graph)), since a JSON text keeps every value plan.json holds (it is
 * JSON itself) and every object's key order.
 */
export function planFromText(text: string): Buffer {
  return planJson(planView(JSON.parse(text) as BuildGraph));
}
