// The content of plan.json: the graph as the generated tree runs it (stages, packages, host tools) and every
// step with its script, stamp and log paths, serialized one array element per line. Pure.
import type { BuildGraph } from '../../graph.js';
import { byCodeUnit } from '../../util.js';
import { packageScript, stepLog, stepStamp } from '../layout.js';
import { globalSteps, orderedStages } from './common.js';

export function planView(graph: BuildGraph): Record<string, unknown> {
  return {
    serpentc: 1,
    target: graph.target,
    stages: orderedStages(graph),
    // packages without their steps: those follow, in build order, with their scripts (which hold the bodies)
    packages: graph.packages.map(({ steps, ...pkg }) => ({ ...pkg, steps: steps.map((s) => s.name) })),
    hostTools: graph.hostTools,
    ...(graph.layers ? { layers: graph.layers } : {}),
    steps: globalSteps(graph).map(({ pkg, step, index, id }) => ({
      index,
      id,
      package: pkg.id,
      step: step.name,
      placement: step.placement,
      loc: step.loc,
      script: packageScript(pkg.id),
      stamp: stepStamp(id),
      log: stepLog(id),
      needs: step.needs,
      commands: step.commands,
    })),
  };
}

/**
 * plan.json: one line per element of the top-level arrays (a reviewable diff). Key order is the graph's
 * construction order, which plan() fixes: deterministic without sorting.
 */
export function planJson(value: Record<string, unknown>): string {
  const keys = Object.keys(value).sort(byCodeUnit); // sort for determinism
  const lines = ['{'];
  keys.forEach((k, i) => {
    const v = value[k];
    const comma = i < keys.length - 1 ? ',' : '';
    if (Array.isArray(v) && v.length) {
      lines.push(`  ${JSON.stringify(k)}: [`);
      v.forEach((item, j) => lines.push(`    ${JSON.stringify(item)}${j < v.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
