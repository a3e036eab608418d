// The build graph as Graphviz DOT: one node per package (name and version; a pass dashed and labelled "pass of
// X"; filled by where its steps run), one cluster per stage, one edge per dependency (and pass → base), sorted,
// so the same graph always gives the same text. Pure; every identifier and label goes through dotQuote.
import type { BuildGraph, GPackage } from '../graph.js';
import { byCodeUnit } from '../util.js';
import { directDeps } from './select.js';

/** Where a package's steps run. */
export type Where = 'host' | 'chroot' | 'both';

/** Fill colour by where a package's steps run, and its name in the graph's legend. */
export const FILL: { readonly [W in Where]: { readonly colour: string; readonly name: string } } = {
  host: { colour: '#fff2cc', name: 'yellow' },
  chroot: { colour: '#dae8fc', name: 'blue' },
  both: { colour: '#e1d5e7', name: 'purple' },
};

/**
 * A DOT quoted string for any text: `"` and `\` escaped, line breaks as `\n` (a new line in a label), so
 * no name, version or description can end the string or inject attributes. The same text always gives the same
 * identifier, which is all node identity needs.
 */
export function dotQuote(text: string): string {
  const body = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, '\\n')
    // other control characters would be taken literally by Graphviz but break a reader's terminal
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => `\\\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${body}"`;
}

/** Where the steps of a package run: all on the host, all in the stage's chroot, or some of each. */
export function placementOf(p: GPackage): Where {
  const kinds = new Set(p.steps.map((s) => s.placement));
  if (kinds.size > 1) return 'both';
  return kinds.has('chroot') ? 'chroot' : 'host';
}

function attrs(list: readonly (readonly [string, string])[]): string {
  return `[${list.map(([k, v]) => `${k}=${dotQuote(v)}`).join(', ')}]`;
}

/** The graph (or a sub-graph of it) as a DOT digraph; an edge points from a package to what it needs. */
export function toDot(graph: BuildGraph): string {
  const lines: string[] = [];
  const ids = new Set(graph.packages.map((p) => p.id));
  lines.push(`digraph ${dotQuote(`serpent ${graph.target.name}`)} {`);
  lines.push(
    `  graph ${attrs([
      ['rankdir', 'BT'],
      ['fontname', 'Helvetica'],
      ['labelloc', 't'],
      [
        'label',
        `target ${graph.target.name}: an arrow points at what a package needs\n` +
          `${FILL.host.name}: steps on the host, ${FILL.chroot.name}: steps in the chroot, ${FILL.both.name}: both; dashed: a pass`,
      ],
    ])};`,
  );
  lines.push(
    `  node ${attrs([
      ['shape', 'box'],
      ['style', 'filled'],
      ['fontname', 'Helvetica'],
    ])};`,
  );
  lines.push(
    `  edge ${attrs([
      ['color', '#555555'],
      ['fontname', 'Helvetica'],
    ])};`,
  );
  const stages = [...graph.stages].sort((a, b) => a.index - b.index || byCodeUnit(a.name, b.name)); // sort for determinism
  for (const s of stages) {
    const members = graph.packages.filter((p) => p.stage === s.name).sort((a, b) => byCodeUnit(a.id, b.id)); // sort for determinism
    const where = s.chroot ? `chroot, shell ${s.chroot.shell}` : 'host';
    const label = [`stage ${s.name} (${where})`, ...(s.after === null ? [] : [`after ${s.after}`])].join('\n');
    lines.push(`  subgraph ${dotQuote(`cluster_${s.name}`)} {`);
    lines.push(
      `    graph ${attrs([
        ['label', label],
        ['style', 'rounded'],
      ])};`,
    );
    for (const p of members) {
      const w = placementOf(p);
      const label = [`${p.name} ${p.version}`, ...(p.passOf === null ? [] : [`pass of ${p.passOf}`])].join('\n');
      const style = p.passOf === null ? 'filled' : 'filled,dashed';
      lines.push(
        `    ${dotQuote(p.id)} ${attrs([
          ['label', label],
          ['style', style],
          ['fillcolor', FILL[w].colour],
          ['tooltip', `${p.id} (${w})`],
        ])};`,
      );
    }
    lines.push('  }');
  }
  const edges: { from: string; to: string; pass: boolean }[] = [];
  for (const p of graph.packages) {
    for (const d of new Set(directDeps(p))) {
      if (ids.has(d)) edges.push({ from: p.id, to: d, pass: p.passOf !== null && d === `${p.stage}/${p.passOf}` });
    }
  }
  edges.sort((a, b) => byCodeUnit(a.from, b.from) || byCodeUnit(a.to, b.to)); // sort for determinism
  for (const e of edges) {
    const style = e.pass
      ? ` ${attrs([
          ['style', 'dashed'],
          ['label', 'pass of'],
        ])}`
      : '';
    lines.push(`  ${dotQuote(e.from)} -> ${dotQuote(e.to)}${style};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
