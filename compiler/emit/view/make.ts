// The view-models of the Makefile, the help text and the step list: one make node per package (the runtime
// decides which of its steps run, from lib/prereqs.txt), convenience targets where their names are free, stage
// nodes instead of packages × packages prerequisites. Pure.
import type { BuildGraph, GPackage, GStep } from '../../graph.js';
import { bug, byCodeUnit } from '../../util.js';
import {
  barrierStamp,
  execSignature,
  MAKE_TARGETS,
  OUT_DIRS,
  packageCheck,
  packageScript,
  stageCheck,
  stageEnv,
  stageScript,
  stepStamp,
} from '../layout.js';
import { linesBytes, Utf8Chunks } from '../bytes.js';
import { commentText, makeWord } from '../quote.js';
import { globalSteps, locText, orderedStages, pkgDir, treeSteps } from './common.js';
import type { GlobalStep } from './common.js';
import { schedule } from './schedule.js';

/** One package's rules in the Makefile: its node, and its target where the name is free. */
export interface PackageRules {
  readonly id: string;
  readonly loc: string;
  /** `<stage>-<package>`, null when another target has the name */
  readonly target: string | null;
  /** its node, `$(S)/<stage>/<package>/.checked`; null for a package without steps (nothing to run) */
  readonly node: string | null;
  /** the node's prerequisites: the package script, the files its steps' stamps depend on, then the nodes it needs */
  readonly prereqs: readonly string[];
  /** the nodes of the packages and stages it needs, longest chain first (schedule.ts) */
  readonly deps: readonly string[];
  readonly stage: string;
  readonly package: string;
}

export interface StageLine {
  readonly name: string;
  /** The stage's `description`, one line of plain text (control characters and backslashes shown as `\xNN`). */
  readonly description: string;
  readonly target: string | null;
  readonly clean: string | null;
  readonly packages: readonly string[];
  readonly where: string;
  readonly pad: string;
}

/** templates/Makefile.hbs */
export interface MakefileView {
  readonly header: string;
  readonly target: string;
  readonly stageCount: number;
  readonly packageCount: number;
  readonly stepCount: number;
  /** The stages no other stage comes after, which `all` builds (with all they come after), in stage order. */
  readonly finalStages: string;
  readonly all: readonly string[];
  readonly stages: readonly StageLine[];
  readonly packages: readonly PackageRules[];
  /** stage nodes `$(S)/<stage>/.checked`, where a step needs a whole stage: after every package node of it */
  readonly barriers: readonly { readonly stage: string; readonly node: string; readonly members: readonly string[] }[];
  readonly phonyLines: readonly string[];
}

/** templates/help.txt.hbs */
export interface HelpView {
  readonly header: string;
  readonly title: string;
  /** The stages no other stage comes after, which `all` builds (with all they come after), in stage order. */
  readonly finalStages: string;
  readonly stages: readonly {
    readonly pad: string;
    readonly where: string;
    readonly description: string;
    readonly indent: string;
  }[];
  readonly examplePackage: string;
  readonly exampleStep: string;
  readonly skipped: readonly string[];
}

export interface MakeView {
  readonly makefile: MakefileView;
  readonly help: HelpView;
  /** lib/steps.txt, one line per step (as UTF-8: 51,000 lines at 10,000 packages, no array of them kept) */
  readonly steps: Buffer;
  /**
   * lib/prereqs.txt: one line per step stamp (and stage barrier stamp), `<stamp> <signature> <prerequisite>...`:
   * stamps as `stamps/<id>` (relative to BUILD_DIR; no stage may be called `stamps`), files relative to out/, the
   * signature of what the step runs (`-` for a barrier). The runtime decides from it whether a step of a package
   * runs, and `make explain` says why. As UTF-8, like `steps`.
   */
  readonly prereqs: Buffer;
}

/** The Makefile, the help text and the step list; `signatures`: each step's, by package id and step name (render.ts). */
export function makeView(graph: BuildGraph, signatures: ReadonlyMap<string, ReadonlyMap<string, string>>): MakeView {
  const stages = orderedStages(graph);
  const steps = globalSteps(graph);
  const total = steps.length;
  // `all` is every stage: those no stage comes after, and so, through their barriers, the rest (with branches,
  // the last stage alone would leave the other branches out)
  const finalStages = stages.filter((s) => !stages.some((o) => o.after === s.name)).map((s) => s.name);
  const taken = new Set<string>(MAKE_TARGETS);
  const skipped: string[] = [];
  const claim = (name: string): string | null => {
    if (taken.has(name)) {
      skipped.push(name);
      return null;
    }
    taken.add(name);
    return name;
  };
  const stageTargets = new Map<string, { target: string | null; clean: string | null }>();
  for (const s of stages) {
    if (OUT_DIRS.has(s.name)) throw bug(`stage name ${s.name} is reserved (out/${s.name}/ holds the runtime)`);
    makeWord(s.name);
    stageTargets.set(s.name, { target: claim(s.name), clean: claim(`clean-${s.name}`) });
  }
  const sched = schedule(graph);
  const chrootStages = new Set(stages.filter((s) => s.chroot).map((s) => s.name));
  const barriers = stageBarriers(graph, sched.order);
  /** a package node → the id whose chain orders it (its last step), or a stage node → its barrier stamp */
  const chainOf = new Map<string, string>();
  const pkgNode = (pkgId: string): string => `$(S)/${packageCheck(pkgId)}`;
  const stageNode = (stage: string): string => `$(S)/${stageCheck(stage)}`;
  const byChain = (nodes: readonly string[]): string[] => sched.order(nodes, (n) => chainOf.get(n) ?? n);
  for (const pkg of graph.packages) {
    const last = pkg.steps.at(-1);
    if (last) chainOf.set(pkgNode(pkg.id), `${pkg.id}/${makeWord(last.name)}`);
  }
  for (const s of stages) chainOf.set(stageNode(s.name), barrierStamp(s.name));
  // This loop runs for every step of the plan (51,000 at 10,000 packages): what many steps share is worked out
  // once (the node of a need, the file lists of a kind of step and their unions), and each line is built as one
  // string rather than from intermediate arrays.
  /** a need (a step id, or a barrier stamp `<stage>/.complete`) → the node that makes it */
  const nodes = new Map<string, string>();
  const nodeOf = (need: string): string => {
    let node = nodes.get(need);
    if (node === undefined) {
      const parts = need.split('/');
      if (parts.length === 2 && parts[1] === '.complete') node = stageNode(parts[0]);
      else if (parts.length === 3) node = pkgNode(`${parts[0]}/${parts[1]}`);
      else throw bug(`need ${need} is neither a step nor a stage barrier`);
      nodes.set(need, node);
    }
    return node;
  };
  /** stage → kind of step → fileInputs(): the same few lists for every step, made once */
  const inputLists = new Map<string, Map<string, readonly string[]>>();
  const inputsOf = (pkg: GPackage, step: GStep): readonly string[] => {
    const kind = step.placement === 'chroot' ? 'chroot' : unpacks(step) ? 'unpack' : 'host';
    let lists = inputLists.get(pkg.stage);
    if (!lists) inputLists.set(pkg.stage, (lists = new Map<string, readonly string[]>()));
    let list = lists.get(kind);
    if (!list) lists.set(kind, (list = fileInputs(pkg, step, chrootStages.has(pkg.stage))));
    return list;
  };
  /** unions of those lists, by the lists' identities: in first-seen order, and sorted */
  const listIds = new Map<readonly string[], number>();
  const unions = new Map<string, { readonly seen: readonly string[]; readonly sorted: readonly string[] }>();
  const unionOf = (lists: readonly (readonly string[])[]): { seen: readonly string[]; sorted: readonly string[] } => {
    let key = '';
    for (const list of lists) {
      let id = listIds.get(list);
      if (id === undefined) listIds.set(list, (id = listIds.size));
      key += `${id},`;
    }
    let union = unions.get(key);
    if (!union) {
      const seen = [...new Set(lists.flat())];
      union = { seen, sorted: [...seen].sort(byCodeUnit) }; // sort for determinism
      unions.set(key, union);
    }
    return union;
  };
  // The needed stamps by name, not in chain order: explain reports the first reason in this order, and its
  // answer should not change when a `weight` estimate does.
  const byName = (ids: readonly string[]): string[] =>
    (ids.length > 1 ? [...ids].sort(byCodeUnit) : ids).map((id) => stepStamp(makeWord(id))); // sort for determinism
  const packages: PackageRules[] = [];
  // the two per-step files, encoded line by line: the lines die young (no array of 51,000 strings to keep)
  const prereqs = new Utf8Chunks();
  const stepLines = new Utf8Chunks();
  let stepCount = 0;
  /** stage → its packages' nodes (or targets, for packages without steps) */
  const stageMembers = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  for (const pkg of graph.packages) {
    const dir = pkgDir(pkg);
    const target = claim(`${pkg.stage}-${dir}`);
    const node = pkg.steps.length ? pkgNode(pkg.id) : null;
    /** the file lists its steps' stamps depend on, each once */
    const fileLists: (readonly string[])[] = [];
    const deps = new Set<string>();
    const tree = treeSteps(pkg);
    const signed = signatures.get(pkg.id);
    const own = `${pkg.id}/`;
    for (const step of pkg.steps) {
      const name = makeWord(step.name);
      const id = own + name;
      const sig = signed?.get(step.name);
      if (!sig) throw bug(`no signature for step ${id}`);
      // an extract's rule is also its tree steps' (what they need from outside the package, and their files):
      // whatever reruns one of them reruns the extract first, so none reruns in a tree it already changed
      let extra = inputsOf(pkg, step);
      let outside = step.needs;
      if (step.name === 'extract' && tree.length) {
        extra = unionOf([extra, ...tree.map((s) => inputsOf(pkg, s))]).seen;
        const all = [...step.needs];
        for (const s of tree) for (const n of s.needs) if (!n.startsWith(own)) all.push(n);
        outside = all;
      }
      if (!fileLists.includes(extra)) fileLists.push(extra);
      const needs = barriers.rewrite(outside);
      let line = `${stepStamp(id)} ${sig}`;
      for (const f of extra) line += ` ${f}`;
      for (const stamp of byName(needs)) line += ` ${stamp}`;
      prereqs.add(`${line}\n`);
      for (const n of needs) if (!n.startsWith(own)) deps.add(nodeOf(n));
      // lib/steps.txt: this loop meets the steps in globalSteps()'s order, so its index is the line's number
      stepCount++;
      stepLines.add(
        `${stepCount} ${pkg.stage} ${dir} ${step.name} ${step.placement === 'chroot' ? 'chroot' : 'host'}\n`,
      );
    }
    const depList = byChain([...deps]);
    packages.push({
      id: pkg.id,
      loc: locText(pkg.loc),
      target,
      node,
      prereqs: [packageScript(pkg.id), ...unionOf(fileLists).sorted, ...depList],
      deps: depList,
      stage: pkg.stage,
      package: dir,
    });
    const member = node ?? target;
    if (member) stageMembers.get(pkg.stage)?.push(member);
  }
  if (stepCount !== total) throw bug('makeView() and globalSteps() count the steps differently');
  // longest chain first, so that make starts the critical path before anything else (schedule.ts); packages
  // without steps (no chain) last, by name
  const chainFirst = (members: readonly string[]): string[] => [
    ...byChain(members.filter((m) => chainOf.has(m))),
    ...members.filter((m) => !chainOf.has(m)).sort(byCodeUnit), // sort for determinism
  ];
  const stagePackages = new Map<string, string[]>(
    [...stageMembers].map(([stage, members]) => [stage, chainFirst(members)]),
  );
  const header = 'generated by serpentc — do not edit';
  const width = Math.max(24, ...stages.map((s) => s.name.length + 2));
  const stageLines = stages.map((s): StageLine => {
    const count = graph.packages.filter((p) => p.stage === s.name).length;
    const where = s.chroot ? `in a chroot, shell ${commentText(s.chroot.shell)}` : 'on the host';
    const names = stageTargets.get(s.name) ?? { target: null, clean: null };
    return {
      name: s.name,
      description: commentText(s.description),
      target: names.target,
      clean: names.clean,
      packages: stagePackages.get(s.name) ?? [],
      where: `stage ${s.name}: ${count} package${count === 1 ? '' : 's'}, ${where}`,
      pad: s.name.padEnd(width),
    };
  });
  const usedBarriers = barriers.used();
  const barrierLines = usedBarriers.map((b) => [stepStamp(barrierStamp(b.stage)), '-', ...byName(b.finals)].join(' '));
  const first: GlobalStep | undefined = steps.find((s) => s.step.placement === 'chroot') ?? steps.at(0);
  return {
    makefile: {
      header,
      target: graph.target.name,
      stageCount: stages.length,
      packageCount: graph.packages.length,
      stepCount: total,
      finalStages: finalStages.join(', '),
      // `all` needs the final stages' packages themselves: a stage's name could be taken by another target;
      // longest chain first across them
      all: chainFirst(finalStages.flatMap((s) => stageMembers.get(s) ?? [])),
      stages: stageLines,
      packages,
      barriers: usedBarriers.map((b) => ({
        stage: b.stage,
        node: stageNode(b.stage),
        members: (stagePackages.get(b.stage) ?? []).filter((m) => chainOf.has(m)),
      })),
      phonyLines: phonyLines([
        ...MAKE_TARGETS,
        ...stageLines.flatMap((s) => [s.target, s.clean].filter((n) => n !== null)),
        ...packages.flatMap((p) => (p.target ? [p.target] : [])),
      ]),
    },
    help: {
      header,
      title: `serpentc build for target ${commentText(graph.target.name)} (${commentText(graph.target.triplet)})`,
      finalStages: finalStages.join(', '),
      stages: stageLines.map((s) => ({
        pad: s.pad,
        where: s.where.replace(/^stage \S+: /, ''),
        description: s.description,
        indent: ' '.repeat(s.pad.length),
      })),
      examplePackage: first ? `${first.pkg.stage}-${pkgDir(first.pkg)}` : '<stage>-<package>',
      exampleStep: first ? first.step.name : '<step>',
      skipped: skipped.sort(byCodeUnit), // sort for determinism
    },
    prereqs: Buffer.concat([linesBytes(barrierLines), prereqs.bytes()]),
    steps: stepLines.bytes(),
  };
}

/**
 * The files a step's stamp depends on besides its signature: its stage's environment, the signature of the
 * runtime code that sets it up (host or chroot; built-in extract and patch steps also source the unpack
 * functions) and a chroot step's stage configuration.
 */
function fileInputs(pkg: GPackage, step: GStep, chrootStage: boolean): string[] {
  if (step.placement === 'chroot') {
    const env = stageEnv(pkg.stage, 'chroot');
    return chrootStage ? [env, execSignature('chroot'), stageScript(pkg.stage)] : [env, execSignature('chroot')];
  }
  const inputs = [stageEnv(pkg.stage, 'host'), execSignature('host')];
  if (unpacks(step)) inputs.push(execSignature('unpack'));
  return inputs;
}

/** Built-in extract and patch steps source the unpack functions of the runtime. */
function unpacks(step: GStep): boolean {
  return step.name === 'extract' || (step.name === 'patch' && step.body === null);
}

/**
 * Stage barriers. A step that needs the final step of every package of a stage (the first step of each package
 * of the next stage, typically) depends on one aggregate stamp `<stage>/.complete` instead: the same order and
 * the same reruns, with a Makefile linear in size rather than packages × packages.
 */
function stageBarriers(
  graph: BuildGraph,
  order: <T>(items: readonly T[], id: (item: T) => string) => T[],
): {
  rewrite(needs: readonly string[]): string[];
  used(): { stage: string; finals: string[] }[];
} {
  /** final step id → its stage */
  const finalStage = new Map<string, string>();
  /** stage → final step ids */
  const finals = new Map<string, string[]>();
  for (const pkg of graph.packages) {
    const last = pkg.steps.at(-1);
    if (!last) continue;
    const id = `${pkg.id}/${last.name}`;
    finalStage.set(id, pkg.stage);
    const list = finals.get(pkg.stage);
    if (list) list.push(id);
    else finals.set(pkg.stage, [id]);
  }
  const used = new Set<string>();
  /** the fewest final steps a stage has that can be needed whole (more than one): fewer needs cannot make one */
  const fewestFinals = Math.min(...[...finals.values()].map((ids) => (ids.length > 1 ? ids.length : Infinity)));
  return {
    rewrite(needs) {
      // This runs for every step: one pass sorts the needs into steps (each once) and bare stage names, and the
      // aggregation below runs only when enough steps are needed to cover a stage.
      const unique: string[] = [];
      /** A bare stage name in `needs` means "that whole stage is complete" (see GStep.needs in compiler/graph.ts). */
      const bare: string[] = [];
      for (const n of needs) {
        if (n.includes('/')) {
          if (!unique.includes(n)) unique.push(n);
        } else if (finals.has(n)) bare.push(n);
      }
      for (const stage of bare) used.add(stage);
      if (unique.length < fewestFinals) return bare.length ? [...unique, ...bare.map(barrierStamp)] : unique;
      const counts = new Map<string, number>();
      for (const n of unique) {
        const stage = finalStage.get(n);
        if (stage) counts.set(stage, (counts.get(stage) ?? 0) + 1);
      }
      const whole = new Set(
        [...counts].filter(([stage, n]) => n > 1 && n === finals.get(stage)?.length).map(([stage]) => stage),
      );
      for (const stage of whole) used.add(stage);
      const wholeStamps = [...whole].filter((stage) => !bare.includes(stage)).map(barrierStamp);
      return [...unique.filter((n) => !whole.has(finalStage.get(n) ?? '')), ...wholeStamps, ...bare.map(barrierStamp)];
    },
    used() {
      return (
        [...used]
          .sort(byCodeUnit)
          // finals longest chain first (schedule.ts), ties by code unit: deterministic
          .map((stage) => ({ stage, finals: order(finals.get(stage) ?? [], (id) => id) }))
      );
    },
  };
}

/** Names for one `.PHONY:` rule, eight per line, each line but the last continued with a backslash. */
function phonyLines(names: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 8) lines.push(names.slice(i, i + 8).join(' '));
  return lines.map((line, i) => (i < lines.length - 1 ? `${line} \\` : line));
}
