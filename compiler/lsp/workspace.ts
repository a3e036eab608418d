// Which recipe set an editor file belongs to, and that set compiled with the editor's unsaved texts: one compile
// at a time per set, changes debounced, every snapshot made from exactly the texts it records. Never throws.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileNode } from '../../grammar/syntax.js';
import { Sink, type Diagnostic } from '../diagnostics/diagnostic.js';
import { compileSources, type Result } from '../index.js';
import { readRecipe, recipePaths, type RecipeText } from '../load.js';
import { byCodeUnit, isInside } from '../util.js';

/**
 * The stages root of a recipe file: starting at the file's directory, the topmost directory of the unbroken
 * chain of ancestors that each directly hold a `*.recipe` file, never above the workspace folder that contains
 * the file (nor above the file system root). For `stages/stage2/zlib.recipe` that is `stages/` (stage2/ and
 * stages/ hold recipes, the repository root does not); for a golden case's `input/x.recipe` it is `input/`,
 * because the case directory above it holds none. A stages root whose stage directories hold no recipe at the
 * top (only below) would be cut short; no recipe set is laid out that way, and `serpentc check` takes the
 * directory on the command line anyway.
 */
export function stagesRootOf(file: string, folders: readonly string[]): string {
  const start = dirname(file);
  // the innermost workspace folder holding the file bounds the walk
  const folder = folders.filter((f) => isInside(start, f)).sort((a, b) => b.length - a.length)[0];
  let root = start;
  for (let dir = start; ;) {
    if (dir !== start && !holdsRecipe(dir)) break;
    root = dir;
    const parent = dirname(dir);
    if (dir === folder || parent === dir) break;
    dir = parent;
  }
  return root;
}

function holdsRecipe(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) => !e.isDirectory() && e.name.endsWith('.recipe'));
  } catch {
    return false; // an unreadable directory ends the chain
  }
}

/**
 * When `root` is a layer directory (a recipe directly in it declares `layer NAME`), the stages root of the
 * directories it is built on: the nearest ancestor holding recipes, taken to its own stages root (for
 * `stages/layers/host-llvm/` that is `stages/`); else null. A layer is compiled on that base, as
 * `serpentc check stages stages/layers/host-llvm` compiles it.
 */
export function layerBaseOf(root: string, folders: readonly string[]): string | null {
  if (!declaresLayer(root)) return null;
  const folder = folders.filter((f) => isInside(root, f)).sort((a, b) => b.length - a.length)[0];
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    if (folder !== undefined && !isInside(dir, folder)) return null;
    if (holdsRecipe(dir)) return stagesRootOf(join(dir, 'x.recipe'), folders);
    if (dirname(dir) === dir) return null;
  }
}

function declaresLayer(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some(
      (e) =>
        !e.isDirectory() &&
        e.name.endsWith('.recipe') &&
        /^[ \t]*layer[ \t]/m.test(readFileSync(join(dir, e.name), 'utf8')),
    );
  } catch {
    return false;
  }
}

/** A file: URI as a path, or null for another scheme (an untitled buffer). */
export function pathOfUri(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

/** One compile of a set: the result and exactly the inputs it was made from. */
export interface Snapshot {
  readonly root: string;
  readonly result: Result;
  /** Diagnostics about listing and reading the set (the compiler's `io-error`), reported with the others. */
  readonly listing: readonly Diagnostic[];
  /** path relative to the root (the display path of every Loc) → the text compiled */
  readonly texts: ReadonlyMap<string, string>;
  /** rel → the URI to publish under (the editor's own spelling for open documents) */
  readonly uris: ReadonlyMap<string, string>;
  /** rel → the version of the open document compiled, for the ones that were open */
  readonly versions: ReadonlyMap<string, number>;
}

/** The parsed file of `rel` in a snapshot. */
export function fileOf(snap: Snapshot, rel: string): FileNode | undefined {
  return snap.result.files.find((f) => f.file === rel);
}

/** What a set needs from the server: the open documents, and somewhere to hand finished snapshots. */
export interface Host {
  readonly documents: () => readonly TextDocument[];
  readonly publish: (snap: Snapshot) => void;
  readonly log: (message: string) => void;
}

/** Delay after a change before compiling: typing a word compiles once, and still feels immediate. */
export const DEBOUNCE_MS = 150;

/** A recipe set: compiles on demand, never two at a time, always ending with the latest texts. */
export class RecipeSet {
  private timer: NodeJS.Timeout | null = null;
  /** the pending timer is an urgent one (a newly opened set): later changes do not postpone it */
  private urgent = false;
  private running: Promise<void> | null = null;
  /** a change arrived while compiling: compile again when done */
  private dirty = false;
  latest: Snapshot | null = null;

  constructor(
    readonly root: string,
    private readonly host: Host,
    /** A layer directory relative to `root` compiled on it; undefined for the base alone. */
    readonly layer?: string,
  ) {}

  /** Compiles after `delay` ms of quiet (a later call postpones it, unless an urgent compile is pending). */
  schedule(delay: number): void {
    if (this.timer !== null) {
      if (this.urgent) return;
      clearTimeout(this.timer);
    }
    this.urgent = delay === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, delay);
  }

  /** The snapshot of the texts as they are now: pending changes are compiled at once, and awaited. */
  async settled(): Promise<Snapshot> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.start();
    }
    if (this.latest === null && this.running === null) this.start();
    // a compile that finds itself dirty starts the next one before its promise settles
    while (this.running !== null) await this.running;
    if (this.latest === null) throw new Error(`recipe set ${this.root} produced no snapshot`);
    return this.latest;
  }

  private start(): void {
    if (this.running !== null) {
      this.dirty = true;
      return;
    }
    this.running = this.compileOnce().finally(() => {
      this.running = null;
      if (this.dirty) {
        this.dirty = false;
        this.start();
      }
    });
  }

  private async compileOnce(): Promise<void> {
    try {
      const snap = await compileSet(this.root, this.host.documents(), this.layer);
      this.latest = snap;
      this.host.publish(snap);
    } catch (e) {
      // a compiler bug must not end the server: the editor keeps the last diagnostics, the log says why
      this.host.log(
        `serpentc lsp: compiling ${this.root} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    }
  }
}

/**
 * Compiles the set at `root`: every `*.recipe` below it as load() lists them, an open document's text in place
 * of its file, and open recipe documents not yet on disk added in path order. Patches and files are looked up
 * beside the recipes on disk, as `serpentc check root` does.
 */
export async function compileSet(root: string, open: readonly TextDocument[], layer?: string): Promise<Snapshot> {
  const sink = new Sink();
  const docs = new Map<string, TextDocument>();
  for (const d of open) {
    const path = pathOfUri(d.uri);
    if (path !== null && path.endsWith('.recipe') && isInside(path, root) && path !== root) docs.set(path, d);
  }
  const paths = recipePaths(root, sink);
  const listed = new Set(paths);
  // sort for determinism: unsaved files join in path order, as load() would read them once saved
  const extra = [...docs.keys()].filter((p) => !listed.has(p) && !hidden(relative(root, p))).sort(byCodeUnit);
  const sources: (RecipeText & { readonly rel: string })[] = [];
  const uris = new Map<string, string>();
  const versions = new Map<string, number>();
  for (const path of [...paths, ...extra]) {
    const rel = relative(root, path).split(sep).join('/');
    const doc = docs.get(path);
    let read: RecipeText;
    if (doc) {
      read = { text: doc.getText() };
      versions.set(rel, doc.version);
    } else {
      try {
        read = readRecipe(path);
      } catch (e) {
        // removed since it was listed, or unreadable: what `serpentc check` would say about it
        sink.error('io-error', null, { kind: 'file', path, reason: e instanceof Error ? e.message : String(e) });
        continue;
      }
    }
    sources.push({ rel, ...read });
    uris.set(rel, doc?.uri ?? pathToFileURL(path).href);
  }
  const result = await compileSources(sources, layer === undefined ? { stagesDir: root } : { stagesDir: root, layer });
  // Only the files this set compiled are its to publish: a layer's files below the base are read, then left to
  // the layer's own set (an empty list from here would wipe that set's errors from the editor).
  const compiled = new Set(result.files.map((f) => f.file));
  const own = <V>(m: Map<string, V>) => new Map([...m].filter(([rel]) => compiled.has(rel)));
  return {
    root,
    result,
    listing: sink.sorted(),
    texts: new Map(sources.map((s) => [s.rel, s.text])),
    uris: own(uris),
    versions: own(versions),
  };
}

/** load() skips entries whose name starts with a dot at any depth. */
function hidden(rel: string): boolean {
  return rel.split(sep).some((part) => part.startsWith('.'));
}

/** The recipe sets of the editor session, by stages root. */
export class Workspace {
  private readonly sets = new Map<string, RecipeSet>();
  folders: readonly string[] = [];

  constructor(private readonly host: Host) {}

  /** The set a document belongs to; an untitled buffer is no set (null). */
  setOf(uri: string): RecipeSet | null {
    const path = pathOfUri(uri);
    if (path === null) return null;
    const own = stagesRootOf(path, this.folders);
    const base = layerBaseOf(own, this.folders);
    const root = base ?? own;
    const layer = base === null ? undefined : relative(base, own).split(sep).join('/');
    const key = layer === undefined ? root : `${root}\0${layer}`;
    let set = this.sets.get(key);
    if (!set) {
      set = new RecipeSet(root, this.host, layer);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Every set compiled so far (a file changed on disk may belong to any). */
  all(): readonly RecipeSet[] {
    return [...this.sets.values()];
  }

  /** The set whose root holds `path`, if one is known. */
  owning(path: string): RecipeSet | undefined {
    return [...this.sets.values()]
      .filter((s) => isInside(path, s.root))
      .sort((a, b) => b.root.length - a.root.length)[0];
  }
}
