// serpentc graph: the DOT of a compiled recipe tree read back by Graphviz itself (every package one node in its
// stage's cluster, every dependency one edge, passes dashed, fill by placement), the filters (exact sets for
// --stage, --package with --deps/--rdeps/--depth), escaping of hostile names, SVG of stages/, the CLI's errors.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './helpers/cli.js';
import { dotQuote, FILL, toDot } from '../compiler/graph/dot.js';
import { select, subgraph } from '../compiler/graph/select.js';
import type { BuildGraph } from '../compiler/graph.js';
import { compile } from '../compiler/index.js';
import { requires } from './helpers/env.js';
import { CLI_BIN, REPO_ROOT } from './helpers/paths.js';
import { recipeTree, removeTree } from './helpers/sandbox.js';
import type { Tree } from './helpers/sandbox.js';
import { buildGraph } from './fixtures/make/graph.js';

const haveDot = requires('graph: Graphviz dot', { tools: ['dot'] });

const run = runCli;

/** base.recipe (stage1 host, stage2 chroot) plus a template, dependencies and a pass. */
const RECIPES = {
  'more.recipe': `template auto(flags: string = "") {
  configure """
    ./configure \${flags}
  """
  install """
    make install
  """
}

package util-linux in stage2 {
  version = "2.40"
  provides { commands = [mount] }
  use auto(flags = "--without-systemd")
}

package systemd in stage2 {
  version = "256"
  depends = [util-linux]
  use auto()
}

pass util-linux-2 of util-linux {
  depends += [systemd]
}

package zlib in stage1 {
  version = "1.3"
  build """
    make
  """
}
`,
};

/** What Graphviz reads from a DOT text: nodes by name with their attributes, edges, clusters with their nodes. */
interface Parsed {
  nodes: Map<string, Record<string, string>>;
  edges: { tail: string; head: string; attrs: Record<string, string> }[];
  clusters: Map<string, string[]>;
}

interface JsonObject {
  _gvid: number;
  name: string;
  nodes?: number[];
  [attr: string]: unknown;
}

/** `dot -Tjson0` (no layout) of the text: Graphviz's own reading of it. */
function parseWithDot(dot: string): Parsed {
  const r = spawnSync('dot', ['-Tjson0'], { input: dot, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as {
    objects?: JsonObject[];
    edges?: { tail: number; head: number; [attr: string]: unknown }[];
  };
  const objects = json.objects ?? [];
  const byGvid = new Map<number, string>();
  const nodes = new Map<string, Record<string, string>>();
  const clusters = new Map<string, string[]>();
  const attrsOf = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
  for (const o of objects) if (o.nodes === undefined) byGvid.set(o._gvid, o.name);
  for (const o of objects) {
    if (o.nodes === undefined) nodes.set(o.name, attrsOf(o));
    else clusters.set(o.name, o.nodes.map((n) => byGvid.get(n) ?? '?').sort());
  }
  const edges = (json.edges ?? []).map((e) => ({
    tail: byGvid.get(e.tail) ?? '?',
    head: byGvid.get(e.head) ?? '?',
    attrs: attrsOf(e),
  }));
  return { nodes, edges, clusters };
}

let tree: Tree | null = null;
let golden: BuildGraph | null = null;

test.before(async () => {
  tree = recipeTree(RECIPES);
  const res = await compile(tree.stages);
  assert.ok(res.graph, res.diagnostics.map((d) => d.message).join('\n'));
  golden = res.graph;
});

test.after(() => {
  if (tree) removeTree(tree);
});

function goldenGraph(): BuildGraph {
  if (!golden) throw new Error('test bug: no graph before test.before ran');
  return golden;
}

test('DOT: one node per package in its stage cluster, one edge per dependency, passes dashed, fill by placement', () => {
  const g = goldenGraph();
  const dot = toDot(g);
  assert.is(toDot(g), dot, 'deterministic');
  // the same graph with its packages in another order gives the same text
  assert.is(toDot({ ...g, packages: [...g.packages].reverse(), stages: [...g.stages].reverse() }), dot);
  if (!haveDot) return;
  const p = parseWithDot(dot);
  assert.equal([...p.nodes.keys()].sort(), g.packages.map((x) => x.id).sort());
  for (const s of g.stages) assert.equal(p.clusters.get(`cluster_${s.name}`), [...s.packages].sort(), s.name);
  const expected = [
    'stage2/systemd -> stage2/util-linux',
    'stage2/util-linux-2 -> stage2/systemd',
    'stage2/util-linux-2 -> stage2/util-linux',
  ];
  assert.equal(p.edges.map((e) => `${e.tail} -> ${e.head}`).sort(), expected);
  const passEdge = p.edges.find((e) => e.tail === 'stage2/util-linux-2' && e.head === 'stage2/util-linux');
  assert.is(passEdge?.attrs.style, 'dashed');
  assert.is(p.edges.find((e) => e.head === 'stage2/systemd')?.attrs.style, undefined);
  const pass = p.nodes.get('stage2/util-linux-2') ?? {};
  assert.is(pass.label, 'util-linux-2 2.40\\npass of util-linux');
  assert.match(pass.style, 'dashed');
  assert.is(p.nodes.get('stage2/systemd')?.label, 'systemd 256');
  assert.not.match(p.nodes.get('stage2/systemd')?.style ?? '', 'dashed');
  // stage1 is a host stage; stage2's configure/install run in its chroot (and nothing else there)
  assert.is(p.nodes.get('stage1/zlib')?.fillcolor, FILL.host.colour);
  assert.is(p.nodes.get('stage2/systemd')?.fillcolor, FILL.chroot.colour);
});

test('DOT: a package with steps on the host and in the chroot is filled as both', () => {
  const g = buildGraph({
    stages: [{ name: 's' }],
    packages: [
      { name: 'mixed', stage: 's', steps: [{ name: 'extract' }, { name: 'build', placement: 'chroot' }] },
      { name: 'inside', stage: 's', steps: [{ name: 'build', placement: 'chroot' }] },
    ],
  });
  const dot = toDot(g);
  assert.match(dot, `"s/mixed" [label="mixed 1.0", style="filled", fillcolor="${FILL.both.colour}"`);
  assert.match(dot, `"s/inside" [label="inside 1.0", style="filled", fillcolor="${FILL.chroot.colour}"`);
});

/** a ← b ← c ← d (each needs the one before), e needs b, f alone; g in a second stage needs h. */
const chain = buildGraph({
  stages: [{ name: 'one' }, { name: 'two' }],
  packages: [
    { name: 'a', stage: 'one', steps: [{ name: 'build' }] },
    { name: 'b', stage: 'one', depends: ['a'], steps: [{ name: 'build' }] },
    { name: 'c', stage: 'one', depends: ['b'], steps: [{ name: 'build' }] },
    { name: 'd', stage: 'one', depends: ['c'], steps: [{ name: 'build' }] },
    { name: 'e', stage: 'one', depends: ['b'], steps: [{ name: 'build' }] },
    { name: 'f', stage: 'one', steps: [{ name: 'build' }] },
    { name: 'h', stage: 'two', steps: [{ name: 'build' }] },
    { name: 'g', stage: 'two', depends: ['h'], steps: [{ name: 'build' }] },
  ],
});

const ids = (s: Set<string>) => [...s].sort();

test('filters keep exactly the right packages: deps, rdeps, both, depth, stage', () => {
  const c = 'one/c';
  assert.equal(ids(select(chain, { package: c, deps: true })), ['one/a', 'one/b', 'one/c']);
  assert.equal(ids(select(chain, { package: c, deps: true, depth: 1 })), ['one/b', 'one/c']);
  assert.equal(ids(select(chain, { package: c, deps: true, depth: 0 })), ['one/c']);
  assert.equal(ids(select(chain, { package: 'one/b', rdeps: true })), ['one/b', 'one/c', 'one/d', 'one/e']);
  assert.equal(ids(select(chain, { package: 'one/b', rdeps: true, depth: 1 })), ['one/b', 'one/c', 'one/e']);
  assert.equal(ids(select(chain, { package: c })), ['one/a', 'one/b', 'one/c', 'one/d']);
  assert.equal(ids(select(chain, { package: c, deps: true, rdeps: true, depth: 1 })), ['one/b', 'one/c', 'one/d']);
  assert.equal(ids(select(chain, { stage: 'two' })), ['two/g', 'two/h']);
  assert.equal(ids(select(chain, { stage: 'two', package: 'one/b' })), []);
  // the sub-graph: only those packages and the stages holding them, edges only between them
  const sub = subgraph(chain, select(chain, { package: c, deps: true, depth: 1 }));
  assert.equal(
    sub.stages.map((s) => [s.name, s.packages]),
    [['one', ['one/b', 'one/c']]],
  );
  const dot = toDot(sub);
  assert.match(dot, '"one/c" -> "one/b";');
  assert.not.match(dot, '"one/a"');
  assert.is(dot.split('\n').filter((l) => l.includes('->')).length, 1);
});

test('serpentc graph filters by stage and package in every format', async () => {
  const dir = tree?.stages ?? '';
  const json = await run(['graph', dir, '--package', 'systemd', '--deps']);
  assert.is(json.code, 0, json.err);
  const g = JSON.parse(json.out) as BuildGraph;
  assert.equal(
    g.packages.map((p) => p.id),
    ['stage2/util-linux', 'stage2/systemd'],
  );
  const dot = await run(['graph', dir, '--format', 'dot', '--package', 'stage2/util-linux', '--rdeps', '--depth', '1']);
  assert.is(dot.code, 0, dot.err);
  const nodes = dot.out.split('\n').filter((l) => /^ {4}"/.test(l));
  assert.equal(
    nodes.map((l) => l.trim().split(' ')[0]),
    ['"stage2/systemd"', '"stage2/util-linux"', '"stage2/util-linux-2"'],
  );
  const stage = await run(['graph', dir, '--format', 'dot', '--stage', 'stage1']);
  assert.is(stage.code, 0, stage.err);
  assert.match(stage.out, '"stage1/zlib"');
  assert.not.match(stage.out, 'stage2');
});

test('escaping: quotes, backslashes, newlines and DOT syntax in names and versions stay text', () => {
  assert.is(dotQuote('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
  assert.is(dotQuote('\\'), '"\\\\"');
  assert.is(dotQuote('bell\x07'), '"bell\\\\x07"');
  const odd = buildGraph({
    stages: [{ name: 's"1' }],
    packages: [
      { name: 'we"ird', stage: 's"1', version: '1" ]; "x" -> "y"; //', steps: [{ name: 'build' }] },
      { name: 'back\\slash', stage: 's"1', version: 'a\nb\\', depends: ['we"ird'], steps: [{ name: 'build' }] },
    ],
  });
  const dot = toDot(odd);
  if (!haveDot) return;
  const p = parseWithDot(dot);
  assert.equal([...p.nodes.keys()].sort(), ['s"1/back\\\\slash', 's"1/we"ird']);
  assert.equal(
    p.edges.map((e) => `${e.tail} -> ${e.head}`),
    ['s"1/back\\\\slash -> s"1/we"ird'],
  );
  // labels are escString: Graphviz keeps the escapes, which it renders as the original text
  assert.is(p.nodes.get('s"1/we"ird')?.label, 'we"ird 1" ]; "x" -> "y"; //');
  assert.is(p.nodes.get('s"1/back\\\\slash')?.label, 'back\\\\slash a\\nb\\\\');
  assert.equal([...p.clusters.keys()], ['cluster_s"1']);
});

test('dot -Tsvg renders the graph of stages/ (through serpentc graph --format svg)', async () => {
  if (!haveDot) return;
  const r = await run(['graph', join(REPO_ROOT, 'stages'), '--format', 'svg']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^<\?xml/);
  assert.match(r.out, /<svg /);
  assert.match(r.out, '<title>stage3/util&#45;linux&#45;2</title>');
  assert.match(r.out, /<\/svg>\n$/);
});

test('CLI errors: unknown package or stage with did-you-mean, bad format and loose filters are usage errors', async () => {
  const dir = tree?.stages ?? '';
  const unknown = await run(['graph', dir, '--package', 'sytemd']);
  assert.is(unknown.code, 2);
  assert.match(unknown.err, 'no package `sytemd`; did you mean `systemd`?');
  const stage = await run(['graph', dir, '--stage', 'stage3']);
  assert.is(stage.code, 2);
  assert.match(stage.err, 'no stage `stage3` (stages: stage1, stage2); did you mean `stage1`?');
  const notThere = await run(['graph', dir, '--stage', 'stage1', '--package', 'systemd']);
  assert.is(notThere.code, 2);
  assert.match(notThere.err, 'no package `systemd` in stage `stage1`');
  const format = await run(['graph', dir, '--format', 'png']);
  assert.is(format.code, 2);
  assert.match(format.err, '`--format` takes json, dot or svg, not `png`');
  assert.match(format.err, "Try 'serpentc --help'.");
  const typo = await run(['graph', dir, '--format', 'dott']);
  assert.match(typo.err, 'did you mean `dot`?');
  const loose = await run(['graph', dir, '--rdeps']);
  assert.is(loose.code, 2);
  assert.match(loose.err, '`--rdeps` needs `--package NAME`');
  const depth = await run(['graph', dir, '--package', 'systemd', '--depth', 'two']);
  assert.is(depth.code, 2);
  assert.match(depth.err, '`--depth` takes a number');
  const misplaced = await run(['check', dir, '--format', 'dot']);
  assert.is(misplaced.code, 2);
  assert.match(misplaced.err, '`--format` is not an option of `check`');
});

test('--format svg without Graphviz: exit 1, telling to install graphviz', () => {
  const r = spawnSync(process.execPath, [CLI_BIN, 'graph', tree?.stages ?? '', '--format', 'svg'], {
    encoding: 'utf8',
    env: { ...process.env, PATH: '/nonexistent' },
  });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, 'install graphviz');
  assert.is(r.stdout, '');
});

test.run();
