// A generation whose every input is unchanged skips the compiler entirely: no parser, no shell checker, no plan,
// no render. cache.ts skips rendering once the graph is known; this goes one step earlier, from what the graph
// is made of: the recipe files the set's directories hold (paths and sha256, read before compiling), the patches
// and files the graph read (paths and sha256 of what emit read), serpentc's own code, the Node version, and the
// command's arguments. When all of these are what the last clean generation into the same out/ recorded, and
// cache.ts still vouches for every generated file (same key, same identities), the run has nothing to do.
//
// Only a run without any diagnostic is recorded (a warning must be printed again, so that run compiles), and
// --check never reads the record. Anything in doubt (another key, a file added, removed or edited, an
// unreadable file or record) means the full compile: this cache can only skip work, never change a result.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sink } from '../diagnostics/diagnostic.js';
import { PACKAGE_ROOT, TEMPLATES_DIR } from '../paths.js';
import { byCodeUnit } from '../util.js';
import { recipePaths } from '../walk.js';
import { cacheDir, filesUnder, recordPath, unchangedSince, writeRecord } from './cache.js';

/** [absolute path, sha256 of its content] */
type Digest = readonly [path: string, sha256: string];

/** What a run reads before it compiles: its key and the recipes' digests. */
export interface RunSnapshot {
  readonly key: string;
  readonly recipes: readonly Digest[];
}

interface RunRecord {
  readonly version: 1;
  readonly key: string;
  readonly recipes: readonly Digest[];
  /** the patches and files emit read */
  readonly inputs: readonly Digest[];
  /** cache.ts's key of the generation these inputs gave */
  readonly emitKey: string;
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** dist/: this module is dist/compiler/emit/run-cache.js */
const DIST = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

let code: string | null = null;

/**
 * A digest of serpentc's code that decides what a generation writes: every compiled module of the compiler, the
 * grammar and the binary, the templates and runtime library, the dependencies' versions and the Node version.
 * Each file counts by path, size, inode and ctime (as cache.ts identifies generated files): any edit, copy or
 * reinstall changes its ctime, and stat is a tenth of the cost of reading and hashing every module.
 */
export function codeKey(): string {
  if (code !== null) return code;
  const hash = createHash('sha256').update(`node ${process.version}\0`);
  const files = [
    ...['compiler', 'grammar', 'bin'].flatMap((d) => filesUnder(join(DIST, d)).filter((f) => f.endsWith('.js'))),
    ...filesUnder(TEMPLATES_DIR),
    join(PACKAGE_ROOT, 'package-lock.json'),
    join(PACKAGE_ROOT, 'package.json'),
  ];
  for (const f of files) {
    hash.update(`${f}\0`);
    try {
      const st = statSync(f, { bigint: true });
      hash.update(`${st.size} ${st.ino} ${st.ctimeNs}\0`);
    } catch {
      hash.update('\0missing\0');
    }
  }
  code = hash.digest('hex');
  return code;
}

/**
 * The key and recipe digests of generating `dirs` (base, then layers) with `target`, read now, before anything
 * is compiled: a recipe edited while the compiler runs then no longer matches the record. Null when a directory
 * or recipe cannot be read (the compiler reports it), or when the cache is off.
 */
export function snapshotRun(dirs: readonly string[], target: string | undefined): RunSnapshot | null {
  if (cacheDir() === null) return null; // no cache (off, or no home): nothing to record
  const sink = new Sink();
  const recipes: Digest[] = [];
  const real: string[] = [];
  try {
    for (const dir of dirs) {
      real.push(realpathSync(dir));
      for (const path of recipePaths(dir, sink)) recipes.push([resolve(path), sha256(readFileSync(path))]);
    }
  } catch {
    return null;
  }
  if (sink.hasErrors) return null;
  // the arguments as written and where they lead: display paths in generated files follow the former
  const key = sha256(
    JSON.stringify({ cwd: process.cwd(), dirs, real, target: target ?? null, code: codeKey(), format: 1 }),
  );
  return { key, recipes };
}

/**
 * The files of the last generation into `outDir` when `snap` matches what it was made from and every file it
 * wrote is still as written; otherwise null (compile).
 */
export function unchangedRun(outDir: string, snap: RunSnapshot): string[] | null {
  const at = recordPath(outDir, 'run');
  if (at === null) return null;
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(at, 'utf8')) as RunRecord;
  } catch {
    return null;
  }
  if (
    record?.version !== 1 ||
    record.key !== snap.key ||
    typeof record.emitKey !== 'string' ||
    !sameDigests(record.recipes, snap.recipes) ||
    !Array.isArray(record.inputs)
  )
    return null;
  for (const input of record.inputs) {
    if (!Array.isArray(input) || typeof input[0] !== 'string') return null;
    try {
      if (sha256(readFileSync(input[0])) !== input[1]) return null;
    } catch {
      return null;
    }
  }
  return unchangedSince(outDir, record.emitKey);
}

function sameDigests(was: unknown, now: readonly Digest[]): boolean {
  return (
    Array.isArray(was) &&
    was.length === now.length &&
    now.every((d, i) => {
      const w: unknown = was[i];
      return Array.isArray(w) && w[0] === d[0] && w[1] === d[1];
    })
  );
}

/**
 * Records that `snap`, with the patches and files `inputs` (path relative to `stagesDir` → content as emit read
 * it), generated what cache.ts recorded under `emitKey`.
 */
export function rememberRun(
  outDir: string,
  snap: RunSnapshot,
  stagesDir: string,
  inputs: ReadonlyMap<string, Buffer>,
  emitKey: string,
): void {
  const at = recordPath(outDir, 'run');
  if (at === null) return;
  const record: RunRecord = {
    version: 1,
    key: snap.key,
    recipes: snap.recipes,
    inputs: [...inputs]
      .map(([rel, content]): Digest => [resolve(stagesDir, rel), sha256(content)])
      .sort((a, b) => byCodeUnit(a[0], b[0])), // sort for determinism
    emitKey,
  };
  writeRecord(at, record);
}
