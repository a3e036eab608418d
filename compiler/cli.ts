// Command-line behaviour as a function of (argv, io) → exit code, so tests can run it in-process.
// Exit codes: 0 clean, 1 errors in the recipes (or drift with --check), 2 usage errors; 3 (a serpentc bug) is
// the binary's, for whatever escapes this function.
import type { parseArgs } from 'node:util';
import { formatDiagnostic } from './diagnostics/render.js';
import type { GPackage } from './graph.js';
import { compile, type Result } from './index.js';

export interface IO {
  readonly version: string;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly color: boolean;
  readonly parseArgs: typeof parseArgs;
}

const HELP = `serpentc — compile Serpent OS bootstrap recipes into Makefiles and POSIX sh

Usage:
  serpentc <stages-dir> -o <out-dir> [--check] [--target NAME]
      Generate out-dir (a Makefile, one script per step, lib/, patches, plan.json).
      --check writes nothing, lists the files that differ and exits 1 if any do.
  serpentc check <stages-dir> [--target NAME] [--host-tools]
      Parse and check; --host-tools lists the commands host steps need.
  serpentc query deps <package> [--transitive] [--dir DIR]
  serpentc query rdeps <package> [--transitive] [--dir DIR]
  serpentc query order <stage> [--dir DIR]
      Ask the build graph (DIR defaults to stages). A package may be written stage/name.
  serpentc graph <stages-dir> [--target NAME]
      Print the build graph as JSON.

Options:
  -o, --out DIR      output directory
  -t, --target NAME  target profile (default: the target marked default)
  -h, --help         this help
  -V, --version      the version

Exit status: 0 clean, 1 errors (or drift with --check), 2 usage error, 3 internal error.
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  target: { type: 'string', short: 't' },
  check: { type: 'boolean' },
  'host-tools': { type: 'boolean' },
  transitive: { type: 'boolean' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** The options as parsed. */
interface Options {
  readonly out?: string;
  readonly target?: string;
  readonly check?: boolean;
  readonly 'host-tools'?: boolean;
  readonly transitive?: boolean;
  readonly dir?: string;
  readonly help?: boolean;
  readonly version?: boolean;
}

export async function cli(argv: readonly string[], io: IO): Promise<number> {
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

  if (cmd === 'check') {
    if (rest.length !== 1) return usage(io, '`check` takes one recipe directory');
    const res = await compileAndReport(rest[0], o.target, io);
    if (!res.graph) return 1;
    if (o['host-tools']) for (const t of res.graph.hostTools) io.stdout(`${t}\n`);
    else
      io.stderr(
        `${rest[0]}: ok — ${res.graph.stages.length} stages, ${res.graph.packages.length} packages, ${res.graph.packages.reduce((n, p) => n + p.steps.length, 0)} steps\n`,
      );
    return 0;
  }
  if (cmd === 'graph') {
    if (rest.length !== 1) return usage(io, '`graph` takes one recipe directory');
    const res = await compileAndReport(rest[0], o.target, io);
    if (!res.graph) return 1;
    io.stdout(`${JSON.stringify(res.graph, null, 2)}\n`);
    return 0;
  }
  if (cmd === 'query') return query(rest, o, io);

  // Generation: serpentc <dir> -o <out>
  if (rest.length > 0) return usage(io, `unexpected argument \`${rest[0]}\``);
  if (!o.out) return usage(io, 'generation needs an output directory: serpentc <stages-dir> -o <out-dir>');
  const res = await compileAndReport(cmd, o.target, io);
  if (!res.graph) return 1;
  // loaded here, not at the top: the emitter's templates are only needed for generation
  const { emit } = await import('./emit/index.js');
  const result = await emit(res.graph, { outDir: o.out, check: Boolean(o.check), stagesDir: cmd });
  if (o.check) {
    const drift = [...result.changed, ...result.removed];
    for (const f of drift) io.stdout(`${f}\n`);
    if (drift.length) {
      io.stderr(
        `serpentc: ${drift.length} file(s) in ${o.out} differ from what ${cmd} generates; run \`serpentc ${cmd} -o ${o.out}\`\n`,
      );
      return 1;
    }
    return 0;
  }
  io.stderr(
    `serpentc: ${o.out}: ${result.files.length} files, ${result.changed.length} written, ${result.removed.length} removed\n`,
  );
  return 0;
}

function usage(io: IO, message: string): number {
  io.stderr(`serpentc: ${message}\nTry 'serpentc --help'.\n`);
  return 2;
}

async function compileAndReport(dir: string, target: string | undefined, io: IO): Promise<Result> {
  const res = await compile(dir, target === undefined ? {} : { target });
  const sourceOf = (f: string) => res.texts.get(f);
  for (const d of res.diagnostics) io.stderr(`${formatDiagnostic(d, sourceOf, { color: io.color })}\n`);
  const errors = res.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors) io.stderr(`serpentc: ${errors} error${errors === 1 ? '' : 's'}\n`);
  return res;
}

async function query(args: readonly string[], o: Options, io: IO): Promise<number> {
  const [what, name, ...extra] = args;
  if (what !== 'deps' && what !== 'rdeps' && what !== 'order') return usage(io, '`query` takes deps, rdeps or order');
  if (!name || extra.length)
    return usage(io, `\`query ${what}\` takes one ${what === 'order' ? 'stage' : 'package'} name`);
  const res = await compileAndReport(o.dir ?? 'stages', o.target, io);
  if (!res.graph) return 1;
  const g = res.graph;
  if (what === 'order') {
    const stage = g.stages.find((s) => s.name === name);
    if (!stage) return usage(io, `no stage \`${name}\` (stages: ${g.stages.map((s) => s.name).join(', ')})`);
    const width = String(stage.packages.length).length;
    stage.packages.forEach((id, i) => io.stdout(`${String(i + 1).padStart(width)} ${id.split('/')[1]}\n`));
    return 0;
  }
  const matches = g.packages.filter((p) => p.id === name || p.name === name);
  if (matches.length === 0) return usage(io, `no package \`${name}\``);
  if (matches.length > 1)
    return usage(io, `\`${name}\` is in several stages; write one of ${matches.map((p) => p.id).join(', ')}`);
  const pkg = matches[0];
  const byId = new Map(g.packages.map((p) => [p.id, p]));
  const direct: (p: GPackage) => string[] =
    what === 'deps'
      ? (p) => [...p.depends.map((d) => `${p.stage}/${d}`), ...(p.passOf ? [`${p.stage}/${p.passOf}`] : [])]
      : (p) =>
          g.packages
            .filter((q) => q.stage === p.stage && (q.depends.includes(p.name) || q.passOf === p.name))
            .map((q) => q.id);
  const found = new Set<string>();
  const walk = (p: GPackage) => {
    for (const id of direct(p)) {
      if (found.has(id)) continue;
      found.add(id);
      const q = byId.get(id);
      if (o.transitive && q) walk(q);
    }
  };
  walk(pkg);
  // Build order is the natural order to list packages in.
  for (const p of g.packages) if (found.has(p.id)) io.stdout(`${p.name}\n`);
  return 0;
}
