// The pure part of the generator: a build graph (and the content of the recipes' patches and files) in, every
// output file and its content out. Byte-identical for the same input; reads only serpentc's own templates.
// (crypto.hash: one call, no Hash object, for the 51,000 steps of 10,000 packages; Node 20.12 and later)
import { createHash, hash } from 'node:crypto';
import type { BuildGraph, GPackage } from '../graph.js';
import { bug, byCodeUnit } from '../util.js';
import { formatBodies } from './format.js';
import {
  execSignature,
  inputCopy,
  inputPaths,
  MANIFEST,
  OUT_FILES,
  packageScript,
  stageEnv,
  stageScript,
  STEP_MARKER,
} from './layout.js';
import { runtimeLibrary, signatureFile } from './runtime.js';
import { templates, type TemplateLookup } from './templates.js';
import { orderedStages, placementsOf, treeSteps } from './view/common.js';
import { hostToolsView, sourcesView, stageView, substitutionsView } from './view/lib.js';
import { makeView } from './view/make.js';
import { planJson, planView } from './view/plan.js';
import { envView, packageView, stepContext } from './view/step.js';

/** A generated file's content: text, or the bytes of a copied patch or file. */
export type FileContent = string | Buffer;

/**
 * Every output file and its content.
 * `inputs` holds the content of every patch and file (paths relative to the stages directory); they are copied
 * to lib/files/ and their sha256 is written into the extract steps, so that editing a patch reruns its package.
 * `opts.templates` stands in for serpentc's templates (tests render with and without the build's precompilation),
 * `opts.library` for its runtime library (tests render an edited one, as a serpentc upgrade would write it).
 */
export async function render(
  graph: BuildGraph,
  inputs: ReadonlyMap<string, FileContent> = new Map(),
  opts: RenderOptions = {},
): Promise<Map<string, FileContent>> {
  const files = new Map<string, FileContent>();
  await renderEach(graph, inputs, opts, (rel, content) => {
    if (files.has(rel)) throw bug(`${rel} generated twice`);
    files.set(rel, content);
  });
  const announced = outputPaths(graph);
  if (announced.length !== files.size || announced.some((rel) => !files.has(rel)))
    throw bug('outputPaths() and render() disagree on the files of out/');
  return files;
}

export interface RenderOptions {
  readonly templates?: TemplateLookup;
  readonly library?: string;
  /** plan.json is rendered elsewhere (a writing thread: write.ts's putPlan), not here; renderEach only */
  readonly planElsewhere?: boolean;
}

/**
 * Every path render() produces, sorted, known before anything is rendered: a writer that receives the files one
 * by one (write.ts) writes the manifest first on a first run, and knows which old files go.
 */
export function outputPaths(graph: BuildGraph): string[] {
  const paths = new Set<string>([...Object.values(OUT_FILES), ...EXEC_KINDS.map(execSignature)]);
  if (!substitutionsView(graph).length) paths.delete(OUT_FILES.substitutions);
  for (const rel of inputPaths(graph)) paths.add(inputCopy(rel));
  for (const pkg of graph.packages) {
    paths.add(packageScript(pkg.id));
    for (const placement of placementsOf(pkg)) paths.add(stageEnv(pkg.stage, placement));
  }
  for (const stage of graph.stages) if (stage.chroot) paths.add(stageScript(stage.name));
  if (paths.has(MANIFEST)) throw bug(`${MANIFEST} generated`);
  return [...paths].sort(byCodeUnit); // sort for determinism
}

const EXEC_KINDS = ['host', 'chroot', 'unpack'] as const;

/**
 * render()'s work, handing each file to `put` as soon as it is complete (each path once, in an order fixed by
 * the graph), so that a writer can write it while the rest is rendered. The copies of the recipes' patches and
 * files come first (nothing to render: a writing thread starts on them at once), then plan.json, the largest file
 * (unless `opts.planElsewhere`: then every file but plan.json).
 */
export async function renderEach(
  graph: BuildGraph,
  inputs: ReadonlyMap<string, FileContent>,
  opts: RenderOptions,
  put: (rel: string, content: FileContent) => void,
): Promise<void> {
  const template = opts.templates ?? (await templates());
  const digests = new Map<string, string>();
  for (const rel of inputPaths(graph)) {
    const content = inputs.get(rel);
    if (content === undefined) throw bug(`render() needs the content of ${rel}`);
    digests.set(rel, createHash('sha256').update(content).digest('hex'));
    put(inputCopy(rel), content);
  }
  if (!opts.planElsewhere) put(OUT_FILES.plan, planJson(planView(graph)));

  const bodies = await formatBodies(
    graph.packages.flatMap((p) => p.steps.map((s) => s.body).filter((b) => b !== null)),
  );
  const packageTemplate = template('package.sh.hbs');
  const envTemplate = template('step-env.sh.hbs');
  const ctx = stepContext(graph, digests, bodies);
  const stages = new Map(graph.stages.map((s) => [s.name, s]));
  const envFiles = new Set<string>();
  /** package id → step name → the signature of what it runs (lib/prereqs.txt; its stamp records it) */
  const signatures = new Map<string, ReadonlyMap<string, string>>();
  for (const pkg of graph.packages) {
    for (const placement of placementsOf(pkg)) {
      const envFile = stageEnv(pkg.stage, placement);
      if (!envFiles.has(envFile)) {
        const stage = stages.get(pkg.stage);
        if (!stage) throw bug(`package ${pkg.id} is in an unknown stage ${pkg.stage}`);
        envFiles.add(envFile);
        put(envFile, envTemplate(envView(ctx, stage, placement)));
      }
    }
    const text = packageTemplate(packageView(ctx, pkg));
    put(packageScript(pkg.id), text);
    signatures.set(pkg.id, stepSignatures(pkg, text));
  }
  for (const stage of orderedStages(graph)) {
    if (stage.chroot) put(stageScript(stage.name), template('stage.sh.hbs')(stageView(graph, stage)));
  }
  const header = 'generated by serpentc — do not edit';
  const library = opts.library ?? runtimeLibrary();
  put(OUT_FILES.runtime, library);
  for (const kind of EXEC_KINDS) put(execSignature(kind), signatureFile(kind, library));
  put(OUT_FILES.sources, template('sources.sh.hbs')({ header, ...sourcesView(graph) }));
  put(OUT_FILES.hostTools, template('host-tools.sh.hbs')({ header, ...hostToolsView(graph) }));
  const view = makeView(graph, signatures);
  put(OUT_FILES.makefile, template('Makefile.hbs')(view.makefile));
  put(OUT_FILES.help, template('help.txt.hbs')(view.help));
  put(OUT_FILES.steps, view.steps);
  put(OUT_FILES.prereqs, view.prereqs);
  put(OUT_FILES.gitignore, template('gitignore.hbs')({ header }));
  const substitutions = substitutionsView(graph);
  if (substitutions.length) put(OUT_FILES.substitutions, `${substitutions.join('\n')}\n`);
}

/**
 * The signature of each step of a package script, by step name: sha256 of what the step runs besides its
 * stage's environment (which its stamp depends on as a file): the lines before the first STEP_MARKER but the
 * banner comment, and its own section, as serpent_compose cuts them, without the section's trailing empty lines
 * (the next section's separator). An extract step's also covers the package's tree steps (patch, configure,
 * build: treeSteps), so when one of them changes the package starts again from a fresh extract.
 */
function stepSignatures(pkg: GPackage, text: string): Map<string, string> {
  // Offsets into the text rather than arrays of lines: this runs once per package, 10,000 times for a large graph.
  /** the start of each section (its STEP_MARKER line), in order */
  const starts: number[] = text.startsWith(STEP_MARKER) ? [0] : [];
  for (let at = text.indexOf(`\n${STEP_MARKER}`); at >= 0; at = text.indexOf(`\n${STEP_MARKER}`, at + 1))
    starts.push(at + 1);
  const preambleEnd = starts.length ? starts[0] : text.length;
  // The banner (the comment lines the script starts with: the recipe it comes from, the layers that changed it)
  // cannot change what runs: a package moved to another file, or amended only in its `weight`, reruns nothing.
  let signedStart = 0;
  while (signedStart < preambleEnd && text.charCodeAt(signedStart) === 0x23 /* # */) {
    const eol = text.indexOf('\n', signedStart);
    signedStart = eol < 0 ? preambleEnd : eol + 1; // never past preambleEnd: that is a line's start or the end
  }
  // What a step runs besides its section: the lines after the banner, up to the first section. Hashed with each
  // section as one text, the two joined by the newline that ends the preamble's last line.
  const signed = text.slice(signedStart, preambleEnd);
  const own = new Map<string, string>();
  starts.forEach((start, i) => {
    const lineEnd = text.indexOf('\n', start);
    const name = text.slice(start + STEP_MARKER.length, lineEnd < 0 ? text.length : lineEnd);
    if (own.has(name)) throw bug(`step ${pkg.id}/${name} twice in its package script`);
    // without its trailing empty lines (the next section's separator)
    let end = i + 1 < starts.length ? starts[i + 1] : text.length;
    while (end > start && text.charCodeAt(end - 1) === 0x0a /* \n */) end--;
    own.set(name, hash('sha256', signed + text.slice(start, end)));
  });
  for (const step of pkg.steps)
    if (!own.has(step.name)) throw bug(`step ${pkg.id}/${step.name} has no section in its package script`);
  if (own.size !== pkg.steps.length) throw bug(`a body of ${pkg.id} has a line starting with ${STEP_MARKER}`);
  const tree = treeSteps(pkg).map((s) => own.get(s.name) ?? '');
  const result = new Map<string, string>();
  for (const step of pkg.steps) {
    const sig = own.get(step.name) ?? '';
    result.set(step.name, step.name === 'extract' && tree.length ? hash('sha256', [sig, ...tree].join('\n')) : sig);
  }
  return result;
}
