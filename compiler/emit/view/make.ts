// The view-models of the Makefile, the help text and the step list: one rule per step stamp, convenience
// targets where their names are free, stage barriers instead of packages × packages prerequisites. Pure.
import type { BuildGraph, GPackage, GStep, Placement } from '../../graph.js';
import { bug, byCodeUnit } from '../../util.js';
import {
  barrierStamp,
  execSignature,
  MAKE_TARGETS,
  OUT_DIRS,
  stageEnv,
  stageScript,
  stepScript,
  stepStamp,
} from '../layout.js';
import { commentText, makeWord } from '../quote.js';
import { globalSteps, locText, orderedStages, pkgDir } from './common.js';
import type { GlobalStep } from './common.js';
import { schedule } from './schedule.js';

/** One step's rule in the Makefile. */
export interface StepRule {
  readonly id: string;
  readonly target: string | null;
  readonly script: string;
  readonly extra: readonly string[];
  readonly needs: readonly string[];
  readonly index: number;
  readonly total: number;
  readonly stage: string;
  readonly package: string;
  readonly name: string;
  readonly placement: Placement;
}

/** One package's targets in the Makefile (`target` null: its name is taken by another target). */
export interface PackageRules {
  readonly id: string;
  readonly loc: string;
  readonly target: string | null;
  readonly phony: string[];
  readonly steps: StepRule[];
  /** The package target's prerequisites (step ids), longest chain first (schedule.ts); steps stay in step order. */
  readonly order: string[];
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
  readonly lastStage: string;
  readonly all: readonly string[];
  readonly stages: readonly StageLine[];
  readonly packages: readonly PackageRules[];
  readonly barriers: readonly { readonly stage: string; readonly finals: readonly string[] }[];
  readonly phonyLines: readonly string[];
}

/** templates/help.txt.hbs */
export interface HelpView {
  readonly header: string;
  readonly title: string;
  readonly lastStage: string;
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
  /** lib/steps.txt, one line per step */
  readonly steps: readonly string[];
  /**
   * lib/prereqs.txt: one line per stamp rule of the Makefile, in the Makefile's order, `<stamp> <prerequisite>...`
   * exactly as the rule names them: stamps as `stamps/<id>` (relative to BUILD_DIR; no stage may be called
   * `stamps`), files relative to out/. `make explain` reads it to say what make would do.
   */
  readonly prereqs: readonly string[];
}

/** The Makefile, the help text and the step list. */
export function makeView(graph: BuildGraph): MakeView {
  const stages = orderedStages(graph);
  const steps = globalSteps(graph);
  const total = steps.length;
  const lastStage = stages.length ? stages[stages.length - 1].name : '';
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
  /** stage → its packages' chain-ordering id (the last step) and their names as prerequisites */
  const stageMembers = new Map<string, { id: string; names: string[] }[]>(stages.map((s) => [s.name, []]));
  const packages = new Map<string, PackageRules>();
  for (const pkg of graph.packages) {
    const dir = pkgDir(pkg);
    const target = claim(`${pkg.stage}-${dir}`);
    const entry: PackageRules = {
      id: pkg.id,
      loc: locText(pkg.loc),
      target,
      phony: target ? [target] : [],
      steps: [],
      order: [],
    };
    packages.set(pkg.id, entry);
    // a package whose target name is taken is still part of its stage: through its step stamps
    const members = target ? [target] : pkg.steps.map((s) => `$(S)/${pkg.id}/${makeWord(s.name)}`);
    const last = pkg.steps.at(-1);
    // a package without steps has nothing to run: it goes last (by name, below)
    stageMembers.get(pkg.stage)?.push({ id: last ? `${pkg.id}/${makeWord(last.name)}` : '', names: members });
  }
  // longest chain first, so that make starts the critical path before anything else (schedule.ts)
  const stagePackages = new Map<string, string[]>(
    [...stageMembers].map(([stage, members]) => [
      stage,
      [
        ...sched.order(
          members.filter((m) => m.id),
          (m) => m.id,
        ),
        ...members.filter((m) => !m.id),
      ].flatMap((m) => m.names),
    ]),
  );
  const chrootStages = new Set(stages.filter((s) => s.chroot).map((s) => s.name));
  const barriers = stageBarriers(graph, sched.order);
  for (const { pkg, step, index, id } of steps) {
    const entry = packages.get(pkg.id);
    if (!entry) throw bug(`step ${id} of a package not in the graph`);
    const target = claim(`${pkg.stage}-${pkgDir(pkg)}-${step.name}`);
    if (target) entry.phony.push(target);
    const extra = fileInputs(pkg, step, chrootStages.has(pkg.stage));
    entry.steps.push({
      id,
      target,
      script: stepScript(id),
      extra,
      // longest chain first (schedule.ts), ties by code unit: deterministic
      needs: sched.order(
        barriers.rewrite(step.needs).map((n) => makeWord(n)),
        (n) => n,
      ),
      index,
      total,
      stage: pkg.stage,
      package: pkgDir(pkg),
      name: step.name,
      placement: step.placement === 'chroot' ? 'chroot' : 'host',
    });
  }
  for (const entry of packages.values()) entry.order.push(...sched.order(entry.steps, (s) => s.id).map((s) => s.id));
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
  // The needed stamps by name, not in the Makefile's chain order: explain reports the first reason in this
  // order, and its answer should not change when a `weight` estimate does.
  const byName = (ids: readonly string[]): string[] => [...ids].sort(byCodeUnit).map(stepStamp); // sort for determinism
  const prereqs = [
    ...usedBarriers.map((b) => [stepStamp(barrierStamp(b.stage)), ...byName(b.finals)].join(' ')),
    ...[...packages.values()].flatMap((p) =>
      p.steps.map((s) => [stepStamp(s.id), s.script, ...s.extra, ...byName(s.needs)].join(' ')),
    ),
  ];
  const first: GlobalStep | undefined = steps.find((s) => s.step.placement === 'chroot') ?? steps.at(0);
  return {
    makefile: {
      header,
      target: graph.target.name,
      stageCount: stages.length,
      packageCount: graph.packages.length,
      stepCount: total,
      lastStage,
      // `all` needs the last stage's packages themselves: its name could be taken by another target
      all: stagePackages.get(lastStage) ?? [],
      stages: stageLines,
      packages: [...packages.values()],
      barriers: usedBarriers,
      phonyLines: phonyLines([
        ...MAKE_TARGETS,
        ...stageLines.flatMap((s) => [s.target, s.clean].filter((n) => n !== null)),
        ...[...packages.values()].flatMap((p) => p.phony),
      ]),
    },
    help: {
      header,
      title: `serpentc build for target ${commentText(graph.target.name)} (${commentText(graph.target.triplet)})`,
      lastStage,
      stages: stageLines.map((s) => ({
        pad: s.pad,
        where: s.where.replace(/^stage \S+: /, ''),
        description: s.description,
        indent: ' '.repeat(s.pad.length),
      })),
      examplePackage: first ? `${first.pkg.stage}-${pkgDir(first.pkg)}` : '<stage>-<package>',
      exampleStep: first ? `${first.pkg.stage}-${pkgDir(first.pkg)}-${first.step.name}` : '<stage>-<package>-<step>',
      skipped: skipped.sort(byCodeUnit), // sort for determinism
    },
    prereqs,
    steps: steps.map(
      ({ pkg, step, index }) =>
        `${index} ${pkg.stage} ${pkgDir(pkg)} ${step.name} ${step.placement === 'chroot' ? 'chroot' : 'host'}`,
    ),
  };
}

/**
 * The files a step's stamp depends on besides its script: the signature of the runtime code that sets it up
 * (host or chroot; built-in extract and patch steps also source the unpack functions), a chroot step's stage
 * configuration, and for an extract step the scripts of its package's `patch` steps: a patch step changes the
 * source tree, so when it reruns it starts from a fresh extract.
 */
function fileInputs(pkg: GPackage, step: GStep, chrootStage: boolean): string[] {
  if (step.placement === 'chroot') {
    const env = stageEnv(pkg.stage, 'chroot');
    return chrootStage ? [env, execSignature('chroot'), stageScript(pkg.stage)] : [env, execSignature('chroot')];
  }
  const inputs = [stageEnv(pkg.stage, 'host'), execSignature('host')];
  if (step.name === 'extract' || (step.name === 'patch' && step.body === null)) inputs.push(execSignature('unpack'));
  if (step.name === 'extract') {
    for (const s of pkg.steps) if (s.name === 'patch') inputs.push(stepScript(`${pkg.id}/${makeWord(s.name)}`));
  }
  return inputs;
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
  return {
    rewrite(needs) {
      const counts = new Map<string, number>();
      // A bare stage name in `needs` means "that whole stage is complete" (see GStep.needs in compiler/graph.ts).
      const bare = needs.filter((n) => !n.includes('/') && finals.has(n));
      for (const stage of bare) used.add(stage);
      const unique = [...new Set(needs.filter((n) => n.includes('/')))];
      const stageStamps = bare.map(barrierStamp);
      for (const n of unique) {
        const stage = finalStage.get(n);
        if (stage) counts.set(stage, (counts.get(stage) ?? 0) + 1);
      }
      const whole = new Set(
        [...counts].filter(([stage, n]) => n > 1 && n === finals.get(stage)?.length).map(([stage]) => stage),
      );
      for (const stage of whole) used.add(stage);
      const wholeStamps = [...whole].filter((stage) => !bare.includes(stage)).map(barrierStamp);
      return [...unique.filter((n) => !whole.has(finalStage.get(n) ?? '')), ...wholeStamps, ...stageStamps];
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
