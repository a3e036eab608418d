// Turns a build graph into the logic-free view-models of the templates: every value quoted, every list sorted.
// Pure: no file system, no clock, no environment; the same graph always gives the same view-models.
import { createHash } from 'node:crypto';
import { commentText, makeWord, shName, shQuote, shValue } from './quote.js';

/** @typedef {import('./model.js').BuildGraph} BuildGraph */
/** @typedef {import('./model.js').GPackage} GPackage */
/** @typedef {import('./model.js').GStage} GStage */
/** @typedef {import('./model.js').GStep} GStep */
/** @typedef {import('./model.js').GValue} GValue */

/** Top-level entries of out/ that a stage directory must not shadow. */
export const RESERVED_STAGE_NAMES = ['lib'];

/** @param {string} message */
function bug(message) {
  return new Error(`serpentc bug (emitter): ${message}`);
}

/**
 * Compares strings by code unit, independent of locale.
 * @param {string} a @param {string} b
 */
export function byCodeUnit(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @param {string} text */
export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A path inside the stages directory, as it is copied to out/lib/files/.
 * @param {string} rel
 */
export function checkRelPath(rel) {
  if (typeof rel !== 'string' || rel === '' || rel.startsWith('/') || rel.split('/').some((s) => s === '..' || s === '.' || s === '') || /[\0\n\r]/.test(rel)) {
    throw bug(`not a clean relative path: ${JSON.stringify(rel)}`);
  }
  return rel;
}

/** @param {string} text @returns {GValue} */
const lit = (text) => [{ lit: text }];

/**
 * @param {string} ref @param {string} [rest]
 * @returns {GValue}
 */
const ref = (ref, rest = '') => (rest ? [{ ref }, { lit: rest }] : [{ ref }]);

/**
 * The last path segment of a package id (`stage3/util-linux-2` → `util-linux-2`).
 * @param {GPackage} pkg
 */
function pkgDir(pkg) {
  const cached = pkgDirCache.get(pkg);
  if (cached) return cached;
  const [stage, name, ...rest] = pkg.id.split('/');
  if (stage !== pkg.stage || !name || rest.length) throw bug(`package id ${JSON.stringify(pkg.id)} is not <stage>/<name>`);
  pkgDirCache.set(pkg, makeWord(name));
  return name;
}

/** @type {WeakMap<GPackage, string>} */
const pkgDirCache = new WeakMap();

/**
 * The file name a patch gets in the work tree: its position keeps the order.
 * @param {string} rel @param {number} i @param {number} count
 */
function patchName(rel, i, count) {
  const width = String(count).length;
  return `${String(i + 1).padStart(width, '0')}-${rel.slice(rel.lastIndexOf('/') + 1)}`;
}

/**
 * @param {BuildGraph} graph
 * @returns {Map<string, GStage>}
 */
function stagesByName(graph) {
  return new Map(graph.stages.map((s) => [s.name, s]));
}

/**
 * Stages in run order (by index, then name for determinism).
 * @param {BuildGraph} graph
 */
export function orderedStages(graph) {
  return [...graph.stages].sort((a, b) => a.index - b.index || byCodeUnit(a.name, b.name)); // sort for determinism
}

/**
 * Every step of the plan in global order with its 1-based index.
 * @param {BuildGraph} graph
 * @returns {Array<{ pkg: GPackage, step: GStep, index: number, id: string }>}
 */
export function globalSteps(graph) {
  const cached = globalStepsCache.get(graph);
  if (cached) return cached;
  const out = [];
  let index = 0;
  for (const pkg of graph.packages) {
    for (const step of pkg.steps) {
      index += 1;
      out.push({ pkg, step, index, id: `${pkg.id}/${makeWord(step.name)}` });
    }
  }
  globalStepsCache.set(graph, out);
  return out;
}

/** @type {WeakMap<BuildGraph, Array<{ pkg: GPackage, step: GStep, index: number, id: string }>>} graphs are immutable */
const globalStepsCache = new WeakMap();

/**
 * @param {{ file: string, line: number }} loc
 */
function locText(loc) {
  return commentText(`${loc.file}:${loc.line}`);
}

/**
 * What every step view needs from the whole graph, computed once per render.
 * @param {BuildGraph} graph
 * @param {Map<string, string>} digests sha256 of every patch and file, by path relative to the stages directory
 * @param {Map<string, string>} bodies step body as written → formatted
 */
export function stepContext(graph, digests, bodies) {
  return {
    graph,
    digests,
    bodies,
    stages: stagesByName(graph),
    stageNames: graph.stages.map((s) => s.name).sort(byCodeUnit), // sort for determinism
  };
}

/** @typedef {ReturnType<typeof stepContext>} StepContext */

/**
 * @param {StepContext} ctx @param {GPackage} pkg
 */
function stageOf(ctx, pkg) {
  const stage = ctx.stages.get(pkg.stage);
  if (!stage) throw bug(`package ${pkg.id} is in an unknown stage ${pkg.stage}`);
  return stage;
}

/**
 * View-model of the variables and exports every step of a package defines where it runs (the same for all
 * steps of the package with that placement): the runtime inputs, the static variables sorted by name, the
 * runtime paths, then the stage's environment and PATH.
 * @param {StepContext} ctx
 * @param {GPackage} pkg
 * @param {'host' | 'chroot'} placement
 */
export function envView(ctx, pkg, placement) {
  const stage = stageOf(ctx, pkg);
  const dir = pkgDir(pkg);
  const chroot = placement === 'chroot';
  if (chroot && !stage.chroot) throw bug(`chroot step of ${pkg.id} in a stage without a chroot`);
  /** @type {Array<{ name: string, value: string }>} */
  const vars = [];
  /** @param {string} name @param {string} value */
  const add = (name, value) => vars.push({ name: shName(name), value });

  if (chroot) {
    add('jobs', '$1');
  } else {
    add('serpent_build', '$1');
    add('sources', '$2');
    add('jobs', '$3');
    add('serpent_out', '$4');
    add('serpent_mirrors', '$5');
    add('serpent_mirror_only', '$6');
  }
  const statics = [...pkg.vars].sort((a, b) => byCodeUnit(a.name, b.name)); // sort for determinism
  for (const v of statics) add(v.name, shQuote(v.value));
  if (chroot) {
    const c = /** @type {import('./model.js').GChroot} */ (stage.chroot);
    const workdir = c.workdir.endsWith('/') ? c.workdir.slice(0, -1) : c.workdir;
    add('workdir', shQuote(`${workdir}/${dir}`));
    add('destdir', shQuote('/'));
    add('root', shQuote('/'));
  } else {
    for (const s of ctx.stageNames) add(`${s}_root`, shValue(ref('serpent_build', `/${makeWord(s)}/root`)));
    add('workdir', shValue(ref('serpent_build', `/${makeWord(pkg.stage)}/work/${dir}`)));
    add('destdir', shValue(ref('serpent_build', `/${makeWord(pkg.stage)}/root`)));
    add('root', shValue(ref('destdir')));
  }
  add('srcdir', shValue(ref('workdir', '/src')));
  add('filesdir', shValue(ref('workdir', '/files')));

  /** @type {Array<{ name: string, value: string }>} */
  const exports = [];
  for (const e of stage.env) exports.push({ name: shName(e.name), value: shValue(e.value) });
  if (chroot) {
    const c = /** @type {import('./model.js').GChroot} */ (stage.chroot);
    exports.push({ name: 'PATH', value: shQuote(c.path.join(':')) });
  } else if (stage.path.length) {
    /** @type {GValue} */
    const parts = [];
    for (const p of stage.path) parts.push(...p, { lit: ':' });
    parts.push({ ref: 'PATH' });
    exports.push({ name: 'PATH', value: shValue(parts) });
  }
  return { vars, exports };
}

/**
 * View-model of one step script; `env` is the rendered envView block of its package and placement.
 * @param {StepContext} ctx
 * @param {GPackage} pkg
 * @param {GStep} step
 * @param {string} env
 */
export function stepView(ctx, pkg, step, env) {
  const { digests, bodies } = ctx;
  const chroot = step.placement === 'chroot';
  const builtin = step.body === null;
  /** @type {string[]} */
  const prologue = [];
  const isExtract = step.name === 'extract';
  const isPatch = step.name === 'patch';
  const usesLib = !chroot && (isExtract || (isPatch && builtin));
  if (usesLib) {
    prologue.push('', '# shellcheck source=/dev/null', `. ${shValue(ref('serpent_out', '/lib/serpent.sh'))}`);
  }
  if (!chroot && isExtract) {
    prologue.push(`serpent_fresh_dir ${shValue(ref('workdir'))}`, `mkdir -p ${shValue(ref('srcdir'))} ${shValue(ref('filesdir'))}`);
    for (const src of pkg.sources) {
      const file = src.filename;
      if (!file || file.includes('/') || file === '.' || file === '..') throw bug(`bad source file name ${JSON.stringify(file)}`);
      const args = [src.kind === 'git' ? 'git' : 'url', shQuote(src.url), shQuote(src.sha256), shQuote(file)];
      if (src.kind === 'git') args.push(shQuote(src.commit));
      prologue.push(`serpent_fetch ${args.join(' ')}`);
      if (builtin) {
        const strip = Number.isInteger(src.strip) && src.strip >= 0 ? src.strip : 1;
        prologue.push(`serpent_unpack ${shValue(ref('sources', `/${file}`))} ${shValue(ref('srcdir'))} ${strip}`);
      }
    }
    for (const rel of pkg.files) {
      const name = checkRelPath(rel).slice(rel.lastIndexOf('/') + 1);
      prologue.push(`serpent_install_file ${shValue(ref('serpent_out', `/lib/files/${rel}`))} ${digestOf(digests, rel)} ${shValue(ref('filesdir', `/${name}`))}`);
    }
    pkg.patches.forEach((rel, i) => {
      checkRelPath(rel);
      const name = patchName(rel, i, pkg.patches.length);
      prologue.push(`serpent_install_file ${shValue(ref('serpent_out', `/lib/files/${rel}`))} ${digestOf(digests, rel)} ${shValue(ref('workdir', `/patches/${name}`))}`);
    });
  }
  // The stage root is where host steps install: it exists before the first one runs, whatever the order.
  if (!chroot) prologue.push(`mkdir -p ${shValue(ref('destdir'))}`);
  // A package without an extract step (no sources, no files) still gets a source directory to work in.
  if (!isExtract && !pkg.steps.some((s) => s.name === 'extract')) prologue.push(`mkdir -p ${shValue(ref('srcdir'))}`);
  prologue.push(`cd ${shValue(ref(isExtract ? 'workdir' : 'srcdir'))}`);
  if (isPatch && builtin && !chroot) {
    pkg.patches.forEach((rel, i) => {
      prologue.push(`serpent_apply_patch ${shValue(ref('workdir', `/patches/${patchName(rel, i, pkg.patches.length)}`))}`);
    });
  }
  if (builtin && !isExtract && !isPatch) throw bug(`step ${pkg.id}/${step.name} has no body`);
  if (builtin && chroot) throw bug(`built-in step ${pkg.id}/${step.name} placed in the chroot`);

  const body = step.body === null ? '' : (bodies.get(step.body) ?? step.body);
  const where = chroot ? `in the chroot of ${pkg.stage}` : 'on the host';
  return {
    header: `generated by serpentc from ${locText(step.loc)} — do not edit`,
    title: commentText(`${pkg.id}/${step.name}: runs ${where}${builtin ? ' (built-in)' : ''}`),
    env,
    prologue,
    body: body.replace(/\n$/, ''),
  };
}

/**
 * @param {Map<string, string>} digests @param {string} rel
 */
function digestOf(digests, rel) {
  const d = digests.get(rel);
  if (!d) throw bug(`no content for ${rel}: emit() reads every patch and file before render()`);
  return d;
}

/**
 * View-model of a chroot stage's configuration file.
 * @param {BuildGraph} graph
 * @param {GStage} stage
 */
export function stageView(graph, stage) {
  const c = stage.chroot;
  if (!c) throw bug(`stage ${stage.name} has no chroot`);
  const workdir = c.workdir.endsWith('/') && c.workdir !== '/' ? c.workdir.slice(0, -1) : c.workdir;
  /** @type {Array<{ target: string, line: string }>} */
  const mounts = [];
  for (const p of c.pseudo) mounts.push({ target: p, line: `serpent_mount_pseudo ${shQuote(p)}` });
  for (const m of c.mounts) {
    const from = m.source.kind === 'stage' ? `/${makeWord(m.source.stage)}/root` : `/${checkRelPath(m.source.path)}`;
    mounts.push({ target: m.target, line: `serpent_mount_bind ${shValue(ref('serpent_build', from))} ${shQuote(m.target)} ${m.readonly ? 'ro' : 'rw'}` });
  }
  mounts.push({ target: workdir, line: `serpent_mount_bind ${shValue(ref('serpent_build', `/${makeWord(stage.name)}/work`))} ${shQuote(workdir)} rw` });
  mounts.sort((a, b) => byCodeUnit(a.target, b.target) || byCodeUnit(a.line, b.line)); // sort for determinism (parents first)
  return {
    header: `generated by serpentc from ${locText(stage.loc)} — do not edit`,
    stage: stage.name,
    shell: shQuote(c.shell),
    workdir: shQuote(workdir),
    arch: shQuote(graph.target.arch),
    qemu: shQuote(graph.target.qemu ?? ''),
    mounts: mounts.map((m) => m.line),
  };
}

/**
 * Tool names for check-host: what host steps run, and what the runtime library runs for this plan.
 * @param {BuildGraph} graph
 */
export function hostToolsView(graph) {
  const recipe = [...new Set(graph.hostTools.filter((t) => t && !t.includes('/')))].sort(byCodeUnit); // sort for determinism
  const files = graph.packages.flatMap((p) => p.sources.map((s) => s.filename));
  const needs = new Set(['cat', 'chmod', 'cp', 'date', 'env', 'grep', 'mkdir', 'mv', 'rm', 'sed', 'sha256sum', 'tail', 'tar']);
  if (files.some((f) => /\.(tar\.gz|tgz)$/.test(f))) needs.add('gzip');
  if (files.some((f) => /\.(tar\.xz|txz)$/.test(f))) needs.add('xz');
  if (files.some((f) => /\.(tar\.bz2|tbz2?)$/.test(f))) needs.add('bzip2');
  if (files.some((f) => /\.tar\.zst$/.test(f))) needs.add('zstd');
  if (graph.packages.some((p) => p.patches.length)) needs.add('patch');
  const git = graph.packages.some((p) => p.sources.some((s) => s.kind === 'git'));
  if (git) needs.add('git');
  const chroot = graph.stages.some((s) => s.chroot);
  if (chroot) for (const t of ['chroot', 'mount', 'umount']) needs.add(t);
  // Each tool once: what recipes already need is not listed again for the runtime.
  const runtime = [...needs].filter((t) => !recipe.includes(t)).sort(byCodeUnit).map((t) => `serpent_need ${shQuote(t)}`); // sort for determinism
  if (files.length) runtime.push('serpent_need_one curl wget');
  if (chroot) runtime.push('serpent_want unshare');
  return {
    recipeTools: recipe.map(shQuote),
    runtimeTools: runtime,
  };
}

/**
 * `make source`: one line per cache file.
 * @param {BuildGraph} graph
 */
export function sourcesView(graph) {
  /** @type {Map<string, string>} */
  const lines = new Map();
  for (const pkg of graph.packages) {
    for (const src of pkg.sources) {
      const args = [src.kind === 'git' ? 'git' : 'url', shQuote(src.url), shQuote(src.sha256), shQuote(src.filename)];
      if (src.kind === 'git') args.push(shQuote(src.commit));
      const line = args.join(' ');
      lines.set(`${src.filename}\0${line}`, line);
    }
  }
  return { sources: [...lines.keys()].sort(byCodeUnit).map((k) => /** @type {string} */ (lines.get(k))) }; // sort for determinism
}

/**
 * The Makefile, the help text and the step list.
 * @param {BuildGraph} graph
 */
export function makeView(graph) {
  const stages = orderedStages(graph);
  const steps = globalSteps(graph);
  const total = steps.length;
  const lastStage = stages.length ? stages[stages.length - 1].name : '';
  /** @type {Set<string>} */
  const taken = new Set(['all', 'help', 'source', 'check-host', 'status', 'clean', 'distclean']);
  /** @type {string[]} */
  const skipped = [];
  /** @param {string} name */
  const claim = (name) => {
    if (taken.has(name)) {
      skipped.push(name);
      return null;
    }
    taken.add(name);
    return name;
  };
  /** @type {Map<string, { target: string | null, clean: string | null }>} */
  const stageTargets = new Map();
  for (const s of stages) {
    if (RESERVED_STAGE_NAMES.includes(s.name)) throw bug(`stage name ${s.name} is reserved (out/${s.name}/ holds the runtime)`);
    makeWord(s.name);
    stageTargets.set(s.name, { target: claim(s.name), clean: claim(`clean-${s.name}`) });
  }
  /** @type {Map<string, string[]>} */
  const stagePackages = new Map(stages.map((s) => [s.name, []]));
  /** @type {Map<string, { id: string, loc: string, target: string | null, phony: string[], steps: any[] }>} */
  const packages = new Map();
  for (const pkg of graph.packages) {
    const dir = pkgDir(pkg);
    const target = claim(`${pkg.stage}-${dir}`);
    const entry = { id: pkg.id, loc: locText(pkg.loc), target, phony: target ? [target] : [], steps: /** @type {any[]} */ ([]) };
    packages.set(pkg.id, entry);
    // a package whose target name is taken is still part of its stage: through its step stamps
    const members = target ? [target] : pkg.steps.map((s) => `$(S)/${pkg.id}/${makeWord(s.name)}`);
    stagePackages.get(pkg.stage)?.push(...members);
  }
  const chrootStages = new Set(stages.filter((s) => s.chroot).map((s) => s.name));
  const barriers = stageBarriers(graph);
  for (const { pkg, step, index, id } of steps) {
    const entry = /** @type {NonNullable<ReturnType<typeof packages.get>>} */ (packages.get(pkg.id));
    const target = claim(`${pkg.stage}-${pkgDir(pkg)}-${step.name}`);
    if (target) entry.phony.push(target);
    const extra = step.placement === 'chroot' && chrootStages.has(pkg.stage) ? [`lib/stages/${pkg.stage}.sh`] : [];
    entry.steps.push({
      id,
      target,
      script: `${id}.sh`,
      extra,
      needs: barriers.rewrite(step.needs).map((n) => makeWord(n)).sort(byCodeUnit), // sort for determinism
      index,
      total,
      stage: pkg.stage,
      package: pkgDir(pkg),
      name: step.name,
      placement: step.placement === 'chroot' ? 'chroot' : 'host',
    });
  }
  const header = 'generated by serpentc — do not edit';
  const width = Math.max(24, ...stages.map((s) => s.name.length + 2));
  const stageLines = stages.map((s) => {
    const count = graph.packages.filter((p) => p.stage === s.name).length;
    const where = s.chroot ? `in a chroot, shell ${commentText(s.chroot.shell)}` : 'on the host';
    const names = /** @type {{ target: string | null, clean: string | null }} */ (stageTargets.get(s.name));
    return { name: s.name, target: names.target, clean: names.clean, packages: stagePackages.get(s.name) ?? [], where: `stage ${s.name}: ${count} package${count === 1 ? '' : 's'}, ${where}`, pad: s.name.padEnd(width) };
  });
  const first = steps.find((s) => s.step.placement === 'chroot') ?? steps[0];
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
      barriers: barriers.used(),
      phonyLines: phonyLines([
        ...['all', 'help', 'source', 'check-host', 'status', 'clean', 'distclean'],
        ...stageLines.flatMap((s) => [s.target, s.clean].filter((n) => n !== null)),
        ...[...packages.values()].flatMap((p) => p.phony),
      ]),
    },
    help: {
      header,
      title: `serpentc build for target ${commentText(graph.target.name)} (${commentText(graph.target.triplet)})`,
      lastStage,
      stages: stageLines.map((s) => ({ pad: s.pad, where: s.where.replace(/^stage \S+: /, '') })),
      examplePackage: first ? `${first.pkg.stage}-${pkgDir(first.pkg)}` : '<stage>-<package>',
      exampleStep: first ? `${first.pkg.stage}-${pkgDir(first.pkg)}-${first.step.name}` : '<stage>-<package>-<step>',
      skipped: skipped.sort(byCodeUnit), // sort for determinism
    },
    steps: steps.map(({ pkg, step, index }) => `${index} ${pkg.stage} ${pkgDir(pkg)} ${step.name} ${step.placement === 'chroot' ? 'chroot' : 'host'}`),
  };
}

/**
 * Stage barriers. A step that needs the final step of every package of a stage (the first step of each package
 * of the next stage, typically) depends on one aggregate stamp `<stage>/.complete` instead: the same order and
 * the same reruns, with a Makefile linear in size rather than packages × packages.
 * @param {BuildGraph} graph
 */
function stageBarriers(graph) {
  /** @type {Map<string, string>} final step id → its stage */
  const finalStage = new Map();
  /** @type {Map<string, string[]>} stage → final step ids */
  const finals = new Map();
  for (const pkg of graph.packages) {
    const last = pkg.steps[pkg.steps.length - 1];
    if (!last) continue;
    const id = `${pkg.id}/${last.name}`;
    finalStage.set(id, pkg.stage);
    const list = finals.get(pkg.stage);
    if (list) list.push(id);
    else finals.set(pkg.stage, [id]);
  }
  /** @type {Set<string>} */
  const used = new Set();
  return {
    /** @param {ReadonlyArray<string>} needs */
    rewrite(needs) {
      /** @type {Map<string, number>} */
      const counts = new Map();
      // A bare stage name in `needs` means "that whole stage is complete" (see compiler/model.js).
      const bare = needs.filter((n) => !n.includes('/') && finals.has(n));
      for (const stage of bare) used.add(stage);
      const unique = [...new Set(needs.filter((n) => n.includes('/')))];
      const stageStamps = bare.map((stage) => `${stage}/.complete`);
      for (const n of unique) {
        const stage = finalStage.get(n);
        if (stage) counts.set(stage, (counts.get(stage) ?? 0) + 1);
      }
      const whole = new Set([...counts].filter(([stage, n]) => n > 1 && n === finals.get(stage)?.length).map(([stage]) => stage));
      for (const stage of whole) used.add(stage);
      const wholeStamps = [...whole].filter((stage) => !bare.includes(stage)).map((stage) => `${stage}/.complete`);
      return [...unique.filter((n) => !whole.has(/** @type {string} */ (finalStage.get(n)))), ...wholeStamps, ...stageStamps];
    },
    used() {
      return [...used].sort(byCodeUnit).map((stage) => ({ stage, finals: [...(finals.get(stage) ?? [])].sort(byCodeUnit) })); // sort for determinism
    },
  };
}

/**
 * Names for one `.PHONY:` rule, eight per line, each line but the last continued with a backslash.
 * @param {string[]} names
 */
function phonyLines(names) {
  const lines = [];
  for (let i = 0; i < names.length; i += 8) lines.push(names.slice(i, i + 8).join(' '));
  return lines.map((line, i) => (i < lines.length - 1 ? `${line} \\` : line));
}
