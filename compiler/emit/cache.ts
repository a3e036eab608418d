// A generation with nothing to do costs a stat per file: after writing out/, emit records the key of what it
// rendered (the graph, the inputs' sha256, and the code and templates that render) and each file's identity
// (size, inode, ctime); the next run with the same key, while every file still has that identity, renders and
// reads nothing. Any doubt — another key, a file changed, chmod'ed, replaced or gone, no record, a record that
// cannot be read — means the full render and compare, so the cache can only skip work, never change a result.
//
// The record is not in out/ (out/ is committed; identities are machine-local): it is in the user's cache
// directory, $SERPENTC_CACHE_DIR, else $XDG_CACHE_HOME/serpentc, else ~/.cache/serpentc, one file per output
// directory (named by the sha256 of its real path); records not used for 30 days are removed when another is
// written. SERPENTC_CACHE_DIR=off turns it off. ctime, not mtime: no tool (touch -r, tar, cp -p) can set it back,
// and it changes on chmod too.
import { createHash } from 'node:crypto';
import {
  type BigIntStats,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildGraph } from '../graph.js';
import { PACKAGE_ROOT, TEMPLATES_DIR } from '../paths.js';
import { byCodeUnit } from '../util.js';

/** One generated file's identity: size, inode, ctime in ns (decimal strings: bigints do not go into JSON). */
export type Identity = readonly [size: string, ino: string, ctimeNs: string];

/** The identity in a file's (bigint) stat. */
export function identityOf(st: BigIntStats): Identity {
  return [String(st.size), String(st.ino), String(st.ctimeNs)];
}

interface Record {
  readonly version: 1;
  readonly key: string;
  /** path relative to out/ → identity, for every file of the manifest (and the manifest) */
  readonly files: { readonly [path: string]: Identity };
}

/** The directory of this module's compiled siblings: the code that renders. */
const EMIT_DIR = dirname(fileURLToPath(import.meta.url));

/** Files under `dir`, recursively, relative paths sorted; [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort(byCodeUnit); // sort for determinism
  } catch {
    return [];
  }
}

let renderer: string | null = null;

/**
 * sha256 of everything besides the graph and its inputs that decides what emit writes: the emit code (its
 * compiled .js, precompiled templates included), the templates and runtime library, and the dependencies'
 * versions (package-lock.json, else package.json). Computed once per process.
 */
function rendererKey(): string {
  if (renderer !== null) return renderer;
  const hash = createHash('sha256');
  // (an installed serpentc has no package-lock.json: it is hashed as missing, and package.json still counts)
  const files = [
    ...filesUnder(EMIT_DIR).filter((f) => f.endsWith('.js')),
    ...filesUnder(TEMPLATES_DIR),
    join(PACKAGE_ROOT, 'package-lock.json'),
    join(PACKAGE_ROOT, 'package.json'),
  ];
  for (const f of files) {
    hash.update(`${f.slice(PACKAGE_ROOT.length)}\0`);
    try {
      hash.update(readFileSync(f));
    } catch {
      hash.update('\0missing\0');
    }
  }
  renderer = hash.digest('hex');
  return renderer;
}

/** graphs are immutable: each one's JSON text, made once */
const graphTexts = new WeakMap<BuildGraph, string>();

/**
 * The graph's JSON text, made once per graph: the generation key hashes it, and a writing thread renders
 * plan.json from it (write.ts's putPlan; 18 MB at 10,000 packages).
 */
export function graphText(graph: BuildGraph): string {
  let text = graphTexts.get(graph);
  if (text === undefined) graphTexts.set(graph, (text = JSON.stringify(graph)));
  return text;
}

/** The key of one generation: the renderer, the graph, and the sha256 of each input (patch or file). */
export function generationKey(graph: BuildGraph, inputs: ReadonlyMap<string, Buffer>): string {
  // (a JSON text holds no NUL: the separators keep the parts apart)
  const hash = createHash('sha256').update(rendererKey()).update('\0').update(graphText(graph));
  for (const [rel, content] of [...inputs].sort(([a], [b]) => byCodeUnit(a, b))) {
    // sort for determinism
    hash.update(`\0${rel}\0`).update(createHash('sha256').update(content).digest('hex'));
  }
  return hash.digest('hex');
}

/** The directory of the records, or null when the cache is off or has no home. */
export function cacheDir(): string | null {
  const configured = process.env.SERPENTC_CACHE_DIR;
  if (configured === 'off') return null;
  if (configured) return configured;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg) return join(xdg, 'serpentc');
  let home: string;
  try {
    home = homedir();
  } catch {
    return null;
  }
  return home ? join(home, '.cache', 'serpentc') : null;
}

/**
 * The record file of `kind` for `outDir` (`out`: this module's; `run`: run-cache.ts's), or null when the cache is
 * off or has no home, or `outDir` does not exist.
 */
export function recordPath(outDir: string, kind: 'out' | 'run' = 'out'): string | null {
  const dir = cacheDir();
  if (dir === null) return null;
  let real: string;
  try {
    real = realpathSync(outDir);
  } catch {
    return null;
  }
  return join(dir, `${kind}-${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
}

function identity(path: string): Identity | null {
  try {
    const st = statSync(path, { bigint: true });
    return st.isFile() ? identityOf(st) : null;
  } catch {
    return null;
  }
}

/**
 * The files of the last generation into `outDir`, when it had key `key` and every file it wrote still has the
 * identity recorded; otherwise null (render and compare). A function for `key` is called only when there is a
 * record to compare with: a first generation does not wait for the key (emit computes it later, while writing).
 */
export function unchangedSince(outDir: string, key: string | (() => string)): string[] | null {
  const at = recordPath(outDir);
  if (at === null) return null;
  let record: Record;
  try {
    record = JSON.parse(readFileSync(at, 'utf8')) as Record;
  } catch {
    return null;
  }
  if (
    record?.version !== 1 ||
    record.key !== (typeof key === 'string' ? key : key()) ||
    typeof record.files !== 'object' ||
    record.files === null
  )
    return null;
  const paths = Object.keys(record.files);
  for (const rel of paths) {
    const was: unknown = record.files[rel];
    const now = identity(join(outDir, rel));
    if (now === null || !Array.isArray(was) || now[0] !== was[0] || now[1] !== was[1] || now[2] !== was[2]) return null;
  }
  try {
    const now = new Date();
    utimesSync(at, now, now); // used: kept by prune()
  } catch {
    // a read-only cache still answers
  }
  return paths.sort(byCodeUnit); // sort for determinism
}

/** Forgets `outDir`'s record (before writing into it: a generation that stops half way leaves none). */
export function forget(outDir: string): void {
  const at = recordPath(outDir);
  if (at === null) return;
  try {
    rmSync(at, { force: true });
  } catch {
    // a cache that cannot be changed is not used: its record no longer matches what is written now (ctime)
  }
}

/**
 * Records generation `key` of `files` (relative paths) into `outDir`; a cache that cannot be written is skipped.
 * True when the record was written. `known`: identities the writer took as it finished each file (write.ts), so
 * that 10,000 files are not stat'ed again here; a file it has none for is stat'ed.
 */
export function remember(
  outDir: string,
  key: string,
  files: readonly string[],
  known: ReadonlyMap<string, Identity> = new Map(),
): boolean {
  const at = recordPath(outDir);
  if (at === null) return false;
  const record: { version: 1; key: string; files: { [path: string]: Identity } } = { version: 1, key, files: {} };
  for (const rel of files) {
    const id = known.get(rel) ?? identity(join(outDir, rel));
    if (id === null) return false; // gone already: no record, the next run compares
    record.files[rel] = id;
  }
  if (!writeRecord(at, record)) return false; // only a cache: the next run renders and compares
  prune(dirname(at));
  return true;
}

/** Writes `record` as JSON to `at` through a temporary file and a rename; false when the cache refuses it. */
export function writeRecord(at: string, record: unknown): boolean {
  return writeText(at, JSON.stringify(record));
}

/** Writes `text` to `at` through a temporary file and a rename; false when the cache refuses it. */
export function writeText(at: string, text: string): boolean {
  try {
    mkdirSync(dirname(at), { recursive: true });
    const temp = `${at}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, at);
    return true;
  } catch {
    return false;
  }
}

/** Removes records (and leftover temporary files) not written or used for 30 days: out/ dirs come and go. */
function prune(dir: string): void {
  const before = Date.now() - 30 * 24 * 3600 * 1000;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!['out-', 'run-', 'shell-', 'parse-'].some((prefix) => name.startsWith(prefix))) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
    } catch {
      // raced with another serpentc: nothing to do
    }
  }
}
