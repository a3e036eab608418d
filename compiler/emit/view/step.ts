// The view-models of the package scripts: each package's variable block, then per step its prologue (fetch,
// unpack, install the recipe's files, enter the work tree) and its formatted body; every value quoted. Pure.
import type { BuildGraph, GPackage, GPart, GStage, GStep, GValue, Placement } from '../../graph.js';
import { bug, byCodeUnit } from '../../util.js';
import { checkRelPath, inputCopy, OUT_FILES, stageEnv, stageRoot, stageWork } from '../layout.js';
import { commentText, makeWord, shName, shQuote, shValue } from '../quote.js';
import { locText, patchName, pkgDir, placementsOf, ref } from './common.js';
import { substitutionText } from './lib.js';

/** What every step view needs from the whole graph, computed once per render. */
export interface StepContext {
  readonly graph: BuildGraph;
  /** sha256 of every patch and file, by path relative to the stages directory */
  readonly digests: ReadonlyMap<string, string>;
  /** step body as written → formatted */
  readonly bodies: ReadonlyMap<string, string>;
  readonly stages: ReadonlyMap<string, GStage>;
  readonly stageNames: readonly string[];
}

export function stepContext(
  graph: BuildGraph,
  digests: ReadonlyMap<string, string>,
  bodies: ReadonlyMap<string, string>,
): StepContext {
  return {
    graph,
    digests,
    bodies,
    stages: new Map(graph.stages.map((s) => [s.name, s])),
    stageNames: graph.stages.map((s) => s.name).sort(byCodeUnit), // sort for determinism
  };
}

/** A shell assignment or export: `name` checked, `value` already quoted. */
export interface ShellVar {
  readonly name: string;
  readonly value: string;
}

/** templates/step-env.sh.hbs */
export interface EnvView {
  readonly header: string;
  readonly title: string;
  readonly vars: readonly ShellVar[];
  readonly exports: readonly ShellVar[];
}

/** One step's section of templates/package.sh.hbs. */
export interface StepView {
  readonly name: string;
  readonly title: string;
  readonly prologue: readonly string[];
  readonly body: string;
}

/** templates/package.sh.hbs */
export interface PackageView {
  readonly header: string;
  readonly title: string;
  /** lib/env/<stage>.<placement>.sh of its steps, which define serpent_env */
  readonly envFiles: string;
  /** `make show STEP=…` of its first step */
  readonly example: string;
  readonly vars: readonly ShellVar[];
  readonly steps: readonly StepView[];
}

/** `/<path>` below the build directory, as a value. */
const inBuild = (path: string): GValue => ref('serpent_build', `/${path}`);

/**
 * View-model of a stage's environment file for the steps of one placement (lib/env/<stage>.<placement>.sh): the
 * function `serpent_env` that every such step calls after its own variables, setting the runtime inputs, the
 * runtime paths (a package's work tree from its `serpent_pkg`), then the stage's environment and PATH. One file
 * per stage and placement, so a stage-wide change is one file in a review diff; the runtime puts it before the
 * step's script when it runs the step (`make show` prints the result).
 */
export function envView(ctx: StepContext, stage: GStage, placement: Placement): EnvView {
  const chroot = placement === 'chroot' ? stage.chroot : null;
  if (placement === 'chroot' && !chroot) throw bug(`chroot steps in stage ${stage.name}, which has no chroot`);
  const vars: ShellVar[] = [];
  const add = (name: string, value: string): void => {
    vars.push({ name: shName(name), value });
  };

  if (chroot) {
    add('jobs', '$1');
  } else {
    add('serpent_build', '$1');
    add('sources', '$2');
    add('jobs', '$3');
    add('serpent_out', '$4');
    add('serpent_mirrors', '$5');
    add('serpent_mirror_only', '$6');
    add('serpent_fetch_connect', '$7');
    add('serpent_fetch_stall', '$8');
    add('serpent_fetch_max', '$9');
  }
  if (chroot) {
    const workdir = chroot.workdir.endsWith('/') ? chroot.workdir.slice(0, -1) : chroot.workdir;
    add('workdir', shValue([{ lit: `${workdir}/` }, { ref: 'serpent_pkg' }]));
    add('destdir', shQuote('/'));
    add('root', shQuote('/'));
  } else {
    for (const s of ctx.stageNames) add(`${s}_root`, shValue(inBuild(stageRoot(makeWord(s)))));
    add('workdir', shValue([...inBuild(`${stageWork(makeWord(stage.name))}/`), { ref: 'serpent_pkg' }]));
    add('destdir', shValue(inBuild(stageRoot(makeWord(stage.name)))));
    add('root', shValue(ref('destdir')));
  }
  add('srcdir', shValue(ref('workdir', '/src')));
  add('filesdir', shValue(ref('workdir', '/files')));

  const exports: ShellVar[] = [];
  for (const e of stage.env) exports.push({ name: shName(e.name), value: shValue(e.value) });
  if (chroot) {
    exports.push({ name: 'PATH', value: shQuote(chroot.path.join(':')) });
  } else if (stage.path.length) {
    const parts: GPart[] = [];
    for (const p of stage.path) parts.push(...p, { lit: ':' });
    parts.push({ ref: 'PATH' });
    exports.push({ name: 'PATH', value: shValue(parts) });
  }
  // A stage the layers changed says which in its environment file, where its settings are; the header is one
  // `# ` line in the template, so the second line brings its own `# `.
  const layerLine = stage.layers?.length ? `\n# layers: ${commentText(stage.layers.join(', '))}` : '';
  return {
    header: `generated by serpentc — do not edit${layerLine}`,
    title: commentText(`the environment of every ${placement} step of stage ${stage.name}`),
    vars,
    exports,
  };
}

/** A package's static variables, sorted by name, and its directory name `serpent_pkg` (the same in every step). */
export function packageVars(pkg: GPackage): ShellVar[] {
  const statics = [...pkg.vars].sort((a, b) => byCodeUnit(a.name, b.name)); // sort for determinism
  return [
    ...statics.map((v) => ({ name: shName(v.name), value: shQuote(v.value) })),
    { name: 'serpent_pkg', value: shQuote(pkgDir(pkg)) },
  ];
}

function digestOf(digests: ReadonlyMap<string, string>, rel: string): string {
  const d = digests.get(rel);
  if (!d) throw bug(`no content for ${rel}: emit() reads every patch and file before render()`);
  return d;
}

/**
 * View-model of one package script: its variables once, then each step's section. A step the layers changed (its
 * package) says which; the others stay byte-identical to the base's. A layer's stage settings are in the stage's
 * environment file, which says so itself (envView).
 */
export function packageView(ctx: StepContext, pkg: GPackage): PackageView {
  const layers = pkg.layers ?? [];
  const layerLine = layers.length ? `\n# layers: ${commentText(layers.join(', '))}` : '';
  const placements = placementsOf(pkg).sort(byCodeUnit); // sort for determinism
  const first = pkg.steps.at(0);
  return {
    header: `generated by serpentc from ${locText(pkg.loc)} — do not edit${layerLine}`,
    title: commentText(`${pkg.id}: ${pkg.steps.length} step${pkg.steps.length === 1 ? '' : 's'}`),
    envFiles: placements.map((p) => stageEnv(pkg.stage, p)).join(', '),
    example: commentText(`${pkg.id}/${first ? first.name : '<step>'}`),
    vars: packageVars(pkg),
    steps: pkg.steps.map((step) => stepView(ctx, pkg, step)),
  };
}

/** The runtime's paths as words of a step's prologue, quoted once: every step of every package writes them. */
const WORKDIR = shValue(ref('workdir'));
const SRCDIR = shValue(ref('srcdir'));
const FILESDIR = shValue(ref('filesdir'));
const DESTDIR = shValue(ref('destdir'));
const RUNTIME = shValue(ref('serpent_out', `/${OUT_FILES.runtime}`));

/** View-model of one step's section: its prologue and its body. */
function stepView(ctx: StepContext, pkg: GPackage, step: GStep): StepView {
  const { digests, bodies } = ctx;
  const chroot = step.placement === 'chroot';
  const builtin = step.body === null;
  const prologue: string[] = [];
  const isExtract = step.name === 'extract';
  const isPatch = step.name === 'patch';
  const usesLib = !chroot && (isExtract || (isPatch && builtin));
  if (usesLib) {
    prologue.push('', '# shellcheck source=/dev/null', `. ${RUNTIME}`);
  }
  if (!chroot && isExtract) {
    prologue.push(`serpent_fresh_dir ${WORKDIR}`, `mkdir -p ${SRCDIR} ${FILESDIR}`);
    for (const src of pkg.sources) {
      const file = src.filename;
      if (!file || file.includes('/') || file === '.' || file === '..')
        throw bug(`bad source file name ${JSON.stringify(file)}`);
      // said in the step's log: which file stands in for the recipe's source, and why
      if (src.substitutes) prologue.push(`serpent_say ${shQuote(`${file}: ${substitutionText(src.substitutes)}`)}`);
      const args = [src.kind === 'git' ? 'git' : 'url', shQuote(src.url), shQuote(src.sha256), shQuote(file)];
      if (src.kind === 'git') args.push(shQuote(src.commit));
      prologue.push(`serpent_fetch ${args.join(' ')}`);
      if (builtin) {
        const strip = Number.isInteger(src.strip) && src.strip >= 0 ? src.strip : 1;
        // only the `paths` the recipe names, when it names any
        const only = (src.kind === 'url' ? (src.paths ?? []) : []).map((p) => ` ${shQuote(p)}`).join('');
        prologue.push(`serpent_unpack ${shValue(ref('sources', `/${file}`))} ${SRCDIR} ${strip}${only}`);
      }
    }
    for (const rel of pkg.files) {
      const name = checkRelPath(rel).slice(rel.lastIndexOf('/') + 1);
      prologue.push(
        `serpent_install_file ${shValue(ref('serpent_out', `/${inputCopy(rel)}`))} ${digestOf(digests, rel)} ${shValue(ref('filesdir', `/${name}`))}`,
      );
    }
    pkg.patches.forEach((rel, i) => {
      checkRelPath(rel);
      const name = patchName(rel, i, pkg.patches.length);
      prologue.push(
        `serpent_install_file ${shValue(ref('serpent_out', `/${inputCopy(rel)}`))} ${digestOf(digests, rel)} ${shValue(ref('workdir', `/patches/${name}`))}`,
      );
    });
  }
  // The stage root is where host steps install: it exists before the first one runs, whatever the order.
  if (!chroot) prologue.push(`mkdir -p ${DESTDIR}`);
  // A package without an extract step (no sources, no files) still gets a source directory to work in.
  if (!isExtract && !pkg.steps.some((s) => s.name === 'extract')) prologue.push(`mkdir -p ${SRCDIR}`);
  prologue.push(`cd ${isExtract ? WORKDIR : SRCDIR}`);
  if (isPatch && builtin && !chroot) {
    pkg.patches.forEach((rel, i) => {
      prologue.push(
        `serpent_apply_patch ${shValue(ref('workdir', `/patches/${patchName(rel, i, pkg.patches.length)}`))}`,
      );
    });
  }
  if (builtin && !isExtract && !isPatch) throw bug(`step ${pkg.id}/${step.name} has no body`);
  if (builtin && chroot) throw bug(`built-in step ${pkg.id}/${step.name} placed in the chroot`);

  const body = step.body === null ? '' : (bodies.get(step.body) ?? step.body);
  // after the package's last step, so custom steps after `install` (compatibility links) count too
  const last = pkg.steps[pkg.steps.length - 1];
  const assertion =
    step === last && pkg.steps.some((s) => s.name === 'install') ? providesCheck(pkg, ctx.graph.target.triplet) : '';
  const where = chroot ? `in the chroot of ${pkg.stage}` : 'on the host';
  return {
    name: makeWord(step.name),
    title: commentText(`${pkg.id}/${step.name}: runs ${where}${builtin ? ' (built-in)' : ''}`),
    prologue,
    body: body.replace(/\n$/, '') + assertion,
  };
}

/**
 * Where, below the root it installs into, a provided command or library may be: the PATH directories; the
 * library directories, the target's per-target runtime directory (`usr/lib/<triplet>`, where a cross clang
 * looks beside itself) and a cross sysroot's (`sysroot/`, stage1's default sysroot).
 */
function providesDirs(triplet: string): { commands: string; libraries: string } {
  return {
    commands: 'usr/bin bin usr/sbin sbin',
    libraries: `usr/lib lib usr/lib/${triplet} sysroot/usr/lib sysroot/lib`,
  };
}

/**
 * Shell that fails a package's last step (install, or a custom step after it) when something the package's
 * `provides` promises is not in the root it installs into (commands in a PATH directory, libraries in a
 * library directory: providesDirs). A promise nobody checks hides a build that silently dropped it (zlib without libz.so, util-linux without findmnt,
 * libcap's tools in /usr/usr/bin) until a later package fails far away. A symbolic link counts even when it
 * dangles: a host stage's links point at where their target lives inside its own root. Empty when nothing
 * is promised.
 */
function providesCheck(pkg: GPackage, triplet: string): string {
  const { commands, libraries } = pkg.provides;
  const dirs = providesDirs(triplet);
  if (!commands.length && !libraries.length) return '';
  const call = (dirs: string, names: readonly string[]): string[] =>
    names.length
      ? [
          `serpent_provided ${shQuote(dirs)} \\`,
          ...names.map((n, i) => `  ${shQuote(n)}${i < names.length - 1 ? ' \\' : ''}`),
        ]
      : [];
  const lines = [
    '',
    '',
    '# every command and library `provides` promises must now exist in the root',
    "serpent_missing=''",
    'serpent_provided() {',
    '  serpent_dirs=$1',
    '  shift',
    '  for serpent_name do',
    "    serpent_found=''",
    '    for serpent_dir in ${serpent_dirs}; do',
    '      serpent_path="${destdir%/}/${serpent_dir}/${serpent_name}"',
    '      if [ -e "${serpent_path}" ] || [ -L "${serpent_path}" ]; then serpent_found=1; fi',
    '    done',
    '    if [ -z "${serpent_found}" ]; then serpent_missing="${serpent_missing} ${serpent_name}"; fi',
    '  done',
    '}',
    ...call(dirs.commands, [...commands].sort(byCodeUnit)), // sort for determinism
    ...call(dirs.libraries, [...libraries].sort(byCodeUnit)),
    'if [ -n "${serpent_missing}" ]; then',
    `  printf 'serpent: %s: provides what its install did not put in %s (commands in %s, libraries in %s):%s\\n' ${shQuote(pkg.id)} "\${destdir}" ${shQuote(dirs.commands)} ${shQuote(dirs.libraries)} "\${serpent_missing}" >&2`,
    '  exit 1',
    'fi',
  ];
  return lines.join('\n');
}
