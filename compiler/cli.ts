// Command-line behaviour as a function of (argv, io) → exit code, so tests can run it in-process.
// Exit codes: 0 clean, 1 errors in the recipes or I/O errors (or drift with --check), 2 usage errors (an unknown
// or misplaced option, a refused output directory, a package or stage the graph does not have); 3 (a serpentc bug) is the binary's, for whatever escapes
// this function.
import { existsSync } from 'node:fs';
import type { parseArgs } from 'node:util';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { formatDiagnostic } from './diagnostics/render.js';
import { didYouMean } from './diagnostics/suggest.js';
import { guardOutDir, type Refusal } from './emit/guard.js';
import { MANIFEST } from './emit/layout.js';
import { shQuote } from './emit/quote.js';
import type { GPackage } from './graph.js';
import { directDeps, findPackage, findStage, relations, select, subgraph } from './graph/select.js';
import type { Result } from './index.js';

export interface IO {
  readonly version: string;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly color: boolean;
  readonly parseArgs: typeof parseArgs;
}

const HELP = `serpentc — compile Serpent OS bootstrap recipes into Makefiles and POSIX sh

Usage:
  serpentc <stages-dir> [<layer-dir>...] -o <out-dir> [--check] [--force] [--target NAME]
      Generate out-dir (a Makefile, one script per step, lib/, patches, plan.json); layer
      directories (each declares \`layer NAME\`) apply on top of stages-dir, in order.
      --check writes nothing, lists the files that differ and exits 1 if any do.
      out-dir may not be /, nor inside stages-dir; an existing non-empty directory that
      serpentc did not generate (it has no .serpentc-manifest) is refused unless --force.
  serpentc check <stages-dir> [<layer-dir>...] [--target NAME] [--host-tools]
      Parse and check; --host-tools lists the commands host steps need.
  serpentc query deps <package> [--transitive] [--dir DIR]... [--target NAME]
  serpentc query rdeps <package> [--transitive] [--dir DIR]... [--target NAME]
  serpentc query order <stage> [--dir DIR]... [--target NAME]
      Ask the build graph (DIR defaults to stages; a second --dir names a layer on it, and
      so on). A package may be written stage/name.
  serpentc graph <stages-dir> [<layer-dir>...] [--target NAME] [--format json|dot|svg] [--stage NAME]
                 [--package NAME [--deps] [--rdeps] [--depth N]]
      Print the build graph: JSON (the default), Graphviz DOT, or SVG (rendered by Graphviz's
      \`dot\`, which must be installed). --stage shows one stage; --package one package (name or
      stage/name) with its dependencies (--deps), its dependents (--rdeps) or, with neither,
      both, at most N edges away with --depth N.
  serpentc fmt [--check] <path>...
      Rewrite recipe files in the canonical layout (a directory: every *.recipe below it);
      only files that change are written. --check writes nothing, lists the files that are
      not formatted and exits 1 if any are. A file with syntax errors, or that is not UTF-8,
      is reported and left as is.
  serpentc lsp [--stdio]
      Serve the Language Server Protocol on stdin/stdout (diagnostics as you type, go to
      definition, hover, completion) for editors; --stdio is accepted for clients that pass it.
  serpentc report <build-dir> [-o FILE] [--plan PLAN]
      Write one self-contained HTML page on the latest build in <build-dir>/timings.log: the
      steps over time, the critical path, totals, parallel efficiency, failed steps with the
      end of their logs, the comparison with earlier builds. FILE defaults to
      <build-dir>/report.html, PLAN to plan.json in the out/ directory <build-dir>/out names.

Options:
  -o, --out DIR      output directory (report: the page to write)
  --plan FILE        report: the plan.json of the build
  -t, --target NAME  target profile (default: the target marked default)
  --force            generate into a non-empty directory serpentc did not generate
  -h, --help         this help
  -V, --version      the version

Exit status: 0 clean, 1 errors in the recipes or I/O errors (or drift with --check), 2 usage error
(including a refused out-dir or an unknown package or stage), 3 internal error (a serpentc bug).
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  target: { type: 'string', short: 't' },
  check: { type: 'boolean' },
  force: { type: 'boolean' },
  'host-tools': { type: 'boolean' },
  transitive: { type: 'boolean' },
  dir: { type: 'string', multiple: true },
  stdio: { type: 'boolean' },
  format: { type: 'string' },
  stage: { type: 'string' },
  package: { type: 'string' },
  deps: { type: 'boolean' },
  rdeps: { type: 'boolean' },
  depth: { type: 'string' },
  plan: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** The options as parsed. */
interface Options {
  readonly out?: string;
  readonly target?: string;
  readonly check?: boolean;
  readonly force?: boolean;
  readonly 'host-tools'?: boolean;
  readonly transitive?: boolean;
  readonly dir?: string[];
  readonly stdio?: boolean;
  readonly format?: string;
  readonly stage?: string;
  readonly package?: string;
  readonly deps?: boolean;
  readonly rdeps?: boolean;
  readonly depth?: string;
  readonly plan?: string;
  readonly help?: boolean;
  readonly version?: boolean;
}

type Option = keyof typeof OPTIONS;

/** The subcommands; anything else in the first position is a recipe directory to generate from. */
const COMMANDS = ['check', 'graph', 'query', 'fmt', 'lsp', 'report'] as const;
type Command = (typeof COMMANDS)[number] | 'generate';

/** The options each command reads (besides --help and --version): any other is refused, never ignored. */
const COMMAND_OPTIONS: { readonly [C in Command]: readonly Option[] } = {
  generate: ['out', 'target', 'check', 'force'],
  check: ['target', 'host-tools'],
  graph: ['target', 'format', 'stage', 'package', 'deps', 'rdeps', 'depth'],
  query: ['dir', 'target', 'transitive'],
  fmt: ['check'],
  lsp: ['stdio'],
  report: ['out', 'plan'],
};

/** How messages name a command. */
const COMMAND_LABEL: { readonly [C in Command]: string } = {
  generate: 'generation (`serpentc <stages-dir> -o <out-dir>`)',
  check: '`check`',
  graph: '`graph`',
  query: '`query`',
  fmt: '`fmt`',
  lsp: '`lsp`',
  report: '`report`',
};

export async function cli(argv: readonly string[], io: IO): Promise<number> {
  const unknown = unknownOption(argv, io);
  if (unknown !== null) return usage(io, unknown);
  let o: Options;
  let pos: string[];
  try {
    ({ values: o, positionals: pos } = io.parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS }));
  } catch (e) {
    return usage(io, e instanceof Error ? e.message : String(e));
  }
  if (o.help) {
    io.stdout(HELP);
    return 0;
  }
  if (o.version) {
    io.stdout(`serpentc ${io.version}\n`);
    return 0;
  }
  const [cmd, ...rest] = pos;
  if (cmd === undefined) return usage(io, 'no recipe directory given');
  const command: Command = (COMMANDS as readonly string[]).includes(cmd) ? (cmd as Command) : 'generate';
  const misplaced = misplacedOption(command, o);
  if (misplaced !== null) return usage(io, misplaced);
  if (command === 'generate' && !existsSync(cmd)) {
    // `serpentc chekc stages`: a misspelt command reads as a recipe directory that does not exist
    const meant = didYouMean(cmd, COMMANDS);
    if (meant !== null) return usage(io, `unknown command \`${cmd}\`; did you mean \`${meant}\`?`);
  }

  if (cmd === 'check') {
    if (rest.length === 0) return usage(io, '`check` takes a recipe directory (and the layers on it)');
    const noLayer = missingLayer(rest.slice(1));
    if (noLayer !== null) return usage(io, noLayer);
    const res = await compileAndReport(rest, o.target, io);
    if (!res.graph) return 1;
    if (o['host-tools']) for (const t of res.graph.hostTools) io.stdout(`${t}\n`);
    else
      io.stderr(
        `${rest.join(' + ')}: ok — ${res.graph.stages.length} stages, ${res.graph.packages.length} packages, ${res.graph.packages.reduce((n, p) => n + p.steps.length, 0)} steps\n`,
      );
    return 0;
  }
  if (cmd === 'graph') return graph(rest, o, io);
  if (cmd === 'query') return query(rest, o, io);
  if (cmd === 'fmt') return fmt(rest, Boolean(o.check), io);
  if (cmd === 'report') return reportCommand(rest, o, io);
  if (cmd === 'lsp') {
    if (rest.length > 0) return usage(io, `\`lsp\` takes no arguments (it speaks LSP on stdin and stdout)`);
    // loaded here: the server and its protocol library are only needed by editors. It owns stdin and stdout
    // from now on, and the protocol ends the process (exit 0 after a shutdown request).
    const { serve } = await import('./lsp/server.js');
    return serve(process.stdin, process.stdout, io.version);
  }

  // Generation: serpentc <dir> [<layer>...] -o <out>
  const noLayer = missingLayer(rest);
  if (noLayer !== null) return usage(io, noLayer);
  if (!o.out) return usage(io, 'generation needs an output directory: serpentc <stages-dir> -o <out-dir>');
  // Refused before anything is compiled or written, and with --check too: --check must not suggest a run that
  // would be refused.
  const refusal = guardOutDir(o.out, [cmd, ...rest], Boolean(o.force));
  if (refusal !== null) return usage(io, refusalMessage(refusal, o.out));
  const summary = (files: number, written: number, removed: number): void =>
    io.stderr(`serpentc: ${o.out}: ${files} files, ${written} written, ${removed} removed\n`);
  // --check always compiles and compares: it is what CI's drift check trusts
  const { snapshotRun, unchangedRun } = await import('./emit/run-cache.js');
  const snap = o.check ? null : snapshotRun([cmd, ...rest], o.target);
  const same = snap && unchangedRun(o.out, snap);
  if (same) {
    summary(same.length, 0, 0);
    return 0;
  }
  // Loaded here, not at the top: the emitter and its templates are only needed for generation. Started before
  // compiling, so that loading them overlaps the compiler's waits (the shell parser's compilation); a failure to
  // load surfaces at the await below.
  const emitter = import('./emit/index.js');
  emitter.catch(() => {}); // not awaited when the recipes have errors
  const res = await compileAndReport([cmd, ...rest], o.target, io, { keepMemos: true });
  const compiled = res.graph;
  const outDir = o.out;
  const result = compiled
    ? await emitter.then(({ emit }) =>
        emit(compiled, {
          outDir,
          check: Boolean(o.check),
          stagesDir: cmd,
          ...(snap && res.diagnostics.length === 0 ? { run: snap } : {}),
        }),
      )
    : null;
  res.memos.save(); // after emit, which formats the bodies: the printed texts are answers too
  if (!result) return 1;
  if (result.diagnostics.length) return report(result.diagnostics, res.texts, io);
  if (o.check) {
    const drift = [...result.changed, ...result.removed];
    for (const f of drift) io.stdout(`${f}\n`);
    if (drift.length) {
      io.stderr(
        `serpentc: ${drift.length} file(s) in ${o.out} differ from what ${[cmd, ...rest].join(' + ')} generates; run \`${commandLine(['serpentc', cmd, ...rest, '-o', o.out ?? '', ...(o.target === undefined ? [] : ['--target', o.target]), ...(o.force ? ['--force'] : [])])}\`\n`,
      );
      return 1;
    }
    return 0;
  }
  summary(result.files.length, result.changed.length, result.removed.length);
  return 0;
}

/**
 * A layer directory argument that does not exist, as a usage message, or null: a stray word after the recipe
 * directory reads as a layer, and one that is not there is a mistyped command line, not a recipe error.
 */
function missingLayer(layers: readonly string[]): string | null {
  const missing = layers.find((d) => !existsSync(d));
  return missing === undefined ? null : `unexpected argument \`${missing}\`: no such layer directory`;
}

function usage(io: IO, message: string): number {
  io.stderr(`serpentc: ${message}\nTry 'serpentc --help'.\n`);
  return 2;
}

/**
 * A package or stage name that the compiled graph does not have: still a bad argument (exit 2), but without the
 * pointer to --help, which cannot list the recipes' names; the message carries the did-you-mean or the choices.
 */
function unknownName(io: IO, message: string): number {
  io.stderr(`serpentc: ${message}\n`);
  return 2;
}

/**
 * An option the program does not know, as a usage message with a did-you-mean, or null. Read with a lenient
 * parse first, because the strict one's message for it is about positionals, not the misspelling.
 */
function unknownOption(argv: readonly string[], io: IO): string | null {
  const { tokens } = io.parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: OPTIONS,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name in OPTIONS) continue;
    const meant = didYouMean(t.name, Object.keys(OPTIONS));
    return `unknown option \`${t.rawName}\`${meant === null ? '' : `; did you mean \`--${meant}\`?`}`;
  }
  return null;
}

/** A command a user can paste back into a shell: plain words as they are, anything else quoted. */
function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : shQuote(w))).join(' ');
}

/** An option the command would not read (e.g. `check -o out`), as a usage message, or null. */
function misplacedOption(command: Command, o: Options): string | null {
  for (const name of Object.keys(o) as Option[]) {
    if (name === 'help' || name === 'version' || COMMAND_OPTIONS[command].includes(name)) continue;
    const owners = (Object.keys(COMMAND_OPTIONS) as Command[]).filter((c) => COMMAND_OPTIONS[c].includes(name));
    const writesNothing = name === 'out' && command !== 'generate' ? ', which writes nothing' : '';
    return `\`--${name}\` is not an option of ${COMMAND_LABEL[command]}${writesNothing}; it belongs to ${owners.map((c) => COMMAND_LABEL[c]).join(' and ')}`;
  }
  return null;
}

function refusalMessage(r: Refusal, out: string): string {
  switch (r.kind) {
    case 'root':
      return `refusing to generate into \`${out}\`, the root directory: name a directory of its own, e.g. \`-o out\``;
    case 'dangling-link':
      return `\`${out}\` is a symbolic link to \`${r.target}\`, which does not exist: create that directory, or name another with -o`;
    case 'not-a-directory':
      return `\`${out}\` exists and is not a directory; -o names the output directory`;
    case 'in-recipes':
      return `refusing to generate into \`${out}\`: it is inside the recipe directory \`${r.dir}\`, so generation would write among its own sources`;
    case 'foreign':
      return `refusing to generate into \`${out}\`: it is not empty (it holds \`${r.entry}\`) and serpentc did not generate it (no ${MANIFEST}); name a new or empty directory, or pass --force to generate into it anyway`;
  }
}

async function fmt(paths: readonly string[], check: boolean, io: IO): Promise<number> {
  if (paths.length === 0) return usage(io, '`fmt` takes one or more recipe files or directories');
  // loaded here, not at the top: prettier is only needed for formatting
  const { fmtPaths } = await import('./fmt/files.js');
  const result = await fmtPaths(paths, check);
  const failed = report(result.diagnostics, result.texts, io);
  for (const f of result.changed) io.stdout(`${f}\n`); // rewritten, or with --check the ones that would be
  if (check) {
    if (result.changed.length) {
      io.stderr(
        `serpentc: ${result.changed.length} of ${result.files.length} recipe file(s) not formatted; run \`${commandLine(['serpentc', 'fmt', ...paths])}\`\n`,
      );
      return 1;
    }
    return failed;
  }
  io.stderr(`serpentc: fmt: ${result.files.length} files, ${result.changed.length} reformatted\n`);
  return failed;
}

async function reportCommand(args: readonly string[], o: Options, io: IO): Promise<number> {
  if (args.length !== 1) return usage(io, '`report` takes one build directory');
  // loaded here, not at the top: only the report needs it
  const { writeReport } = await import('./report/index.js');
  try {
    const r = writeReport(args[0], {
      ...(o.out === undefined ? {} : { out: o.out }),
      ...(o.plan === undefined ? {} : { plan: o.plan }),
    });
    const b = r.model.build;
    if (r.plan === null) io.stderr(`serpentc: report: no plan.json found (pass --plan): no critical path or passes\n`);
    if (r.model.ignored.length)
      io.stderr(`serpentc: report: ${r.model.ignored.length} line(s) of the record ignored\n`);
    io.stderr(
      `serpentc: report: ${r.file}: ${b === null ? 'no build in the record' : `build ${b.index + 1} of ${r.model.builds}, ${b.bars.length} steps`}\n`,
    );
    return 0;
  } catch (e) {
    io.stderr(`serpentc: report: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** The memos of earlier runs that a compile reads (emit/parse-memo.ts, emit/shell-memo.ts), saved together. */
interface Memos {
  /** Writes what this run learnt into each memo (none when the cache is off); never throws. */
  save(): void;
}

/**
 * Compiles `dirs` and prints the diagnostics. The memos of earlier runs are read first and saved after the
 * compile; with `keepMemos`, by the caller instead (`memos.save()`), when it has more to learn (a generation:
 * emit formats the bodies).
 */
async function compileAndReport(
  dirs: readonly string[],
  target: string | undefined,
  io: IO,
  opts: { readonly keepMemos?: boolean } = {},
): Promise<Result & { readonly memos: Memos }> {
  // Loaded here, not at the top: a generation with nothing to do never needs the compiler (emit/run-cache.ts).
  const shellMemo = (await import('./emit/shell-memo.js')).openShellMemo();
  // Without known answers, the shell parser starts compiling now, so that the compiler's modules load meanwhile;
  // with them, most likely no body needs it, and one that does waits for its compilation then.
  const startShell = !shellMemo || shellMemo.analyses === 0;
  if (startShell) (await import('./shell/wasm.js')).prepareShell();
  const parseMemo = (await import('./emit/parse-memo.js')).openParseMemo();
  const { compile } = await import('./index.js');
  const res = await compile(dirs, {
    ...(target === undefined ? {} : { target }),
    startShell,
    ...(parseMemo ? { parseMemo } : {}),
  });
  report(res.diagnostics, res.texts, io);
  const memos: Memos = {
    save() {
      parseMemo?.save();
      shellMemo?.save();
    },
  };
  if (!opts.keepMemos) memos.save();
  return { ...res, memos };
}

/** Prints diagnostics and the error count; 1 when any is an error, else 0. */
function report(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>, io: IO): number {
  const sourceOf = (f: string) => texts.get(f);
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d, sourceOf, { color: io.color })}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors) io.stderr(`serpentc: ${errors} error${errors === 1 ? '' : 's'}\n`);
  return errors ? 1 : 0;
}

async function query(args: readonly string[], o: Options, io: IO): Promise<number> {
  const [what, name, ...extra] = args;
  if (what !== 'deps' && what !== 'rdeps' && what !== 'order') {
    const meant = what === undefined ? null : didYouMean(what, ['deps', 'rdeps', 'order']);
    return usage(io, `\`query\` takes deps, rdeps or order${meant === null ? '' : `; did you mean \`${meant}\`?`}`);
  }
  if (!name || extra.length)
    return usage(io, `\`query ${what}\` takes one ${what === 'order' ? 'stage' : 'package'} name`);
  // refused, never ignored: `order` lists a stage's packages, which have no transitive form
  if (what === 'order' && o.transitive)
    return usage(io, '`--transitive` is an option of `query deps` and `query rdeps`, not of `query order`');
  const res = await compileAndReport(o.dir ?? ['stages'], o.target, io);
  if (!res.graph) return 1;
  const g = res.graph;
  if (what === 'order') {
    const found = findStage(g, name);
    if ('error' in found) return unknownName(io, found.error);
    const stage = found.stage;
    const width = String(stage.packages.length).length;
    stage.packages.forEach((id, i) => io.stdout(`${String(i + 1).padStart(width)} ${id.split('/')[1]}\n`));
    return 0;
  }
  const found = findPackage(g, name);
  if ('error' in found) return unknownName(io, found.error);
  const pkg = found.pkg;
  const byId = new Map(g.packages.map((p) => [p.id, p]));
  const rel = relations(g);
  const direct: (p: GPackage) => readonly string[] = what === 'deps' ? directDeps : (p) => rel.rdeps.get(p.id) ?? [];
  const seen = new Set<string>();
  // a work list, not recursion: a chain of thousands of packages must not overflow the call stack
  const todo: GPackage[] = [pkg];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    for (const id of direct(p)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const q = byId.get(id);
      if (o.transitive && q) todo.push(q);
    }
  }
  // Build order is the natural order to list packages in.
  for (const p of g.packages) if (seen.has(p.id)) io.stdout(`${p.name}\n`);
  return 0;
}

const FORMATS = ['json', 'dot', 'svg'] as const;

/** `serpentc graph <dir>`: the (selected part of the) build graph as JSON, DOT or SVG. */
async function graph(args: readonly string[], o: Options, io: IO): Promise<number> {
  if (args.length === 0) return usage(io, '`graph` takes a recipe directory (and the layers on it)');
  const noLayer = missingLayer(args.slice(1));
  if (noLayer !== null) return usage(io, noLayer);
  const format = o.format ?? 'json';
  if (!(FORMATS as readonly string[]).includes(format)) {
    const meant = didYouMean(format, FORMATS);
    return usage(
      io,
      `\`--format\` takes json, dot or svg, not \`${format}\`${meant === null ? '' : `; did you mean \`${meant}\`?`}`,
    );
  }
  let depth: number | undefined;
  if (o.depth !== undefined) {
    if (!/^[0-9]+$/.test(o.depth))
      return usage(io, `\`--depth\` takes a number of edges (0 or more), not \`${o.depth}\``);
    depth = Number(o.depth);
  }
  if (o.package === undefined) {
    const loose = (['deps', 'rdeps', 'depth'] as const).find((k) => o[k] !== undefined);
    if (loose !== undefined) return usage(io, `\`--${loose}\` needs \`--package NAME\`: whose dependencies?`);
  }
  const res = await compileAndReport(args, o.target, io);
  if (!res.graph) return 1;
  const g = res.graph;
  if (o.stage !== undefined) {
    const found = findStage(g, o.stage);
    if ('error' in found) return unknownName(io, found.error);
  }
  let pkg: string | undefined;
  if (o.package !== undefined) {
    const found = findPackage(g, o.package, o.stage);
    if ('error' in found) return unknownName(io, found.error);
    pkg = found.pkg.id;
  }
  const filtered =
    o.stage === undefined && pkg === undefined
      ? g
      : subgraph(g, select(g, { stage: o.stage, package: pkg, deps: o.deps, rdeps: o.rdeps, depth }), o.stage);
  if (format === 'json') {
    io.stdout(`${JSON.stringify(filtered, null, 2)}\n`);
    return 0;
  }
  // loaded here: only the DOT formats need it
  const { toDot } = await import('./graph/dot.js');
  const dot = toDot(filtered);
  if (format === 'dot') {
    io.stdout(dot);
    return 0;
  }
  const { renderSvg } = await import('./graph/svg.js');
  const svg = renderSvg(dot);
  if ('error' in svg) {
    io.stderr(`serpentc: ${svg.error}\n`);
    return 1;
  }
  io.stdout(svg.svg);
  return 0;
}
