// The only part of the generator that touches out/: writes what differs (temporary file + rename), keeps
// unchanged files untouched (mtime and all), records the manifest last (first on a first run), and removes what
// it generated before and no longer generates. A large output is written by a worker thread (write-thread.ts)
// with the same FileWriter, file by file as they are rendered. With `check`, writes nothing and only reports. A
// file-system failure (permissions, a read-only or full disk, a directory where a file goes) is one `io-error`
// diagnostic, never thrown.
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId, Worker } from 'node:worker_threads';
import type { Diagnostic, Sink } from '../diagnostics/diagnostic.js';
import { bug, byCodeUnit, ioReason, isSystemError } from '../util.js';
import { identityOf, type Identity } from './cache.js';
import { checkRelPath, fileMode, MANIFEST, OUT_FILES } from './layout.js';
import type { FileContent } from './render.js';

/**
 * `files`: every generated path; `changed`: paths written (or that would be); `removed`: stale generated paths
 * deleted (or that would be). All relative to the output directory, sorted. `diagnostics`: why generation
 * stopped (an `io-error`), empty when it did not.
 */
export interface EmitResult {
  readonly files: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly diagnostics: readonly Diagnostic[];
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * What is at `path` compared with `bytes`: null when no file is there (nothing, or a directory), else whether its
 * content is the same, its permission bits and its identity (cache.ts). One open: the size, mode and identity
 * come from the open file, and a file of another size is not read.
 */
function compareFile(
  path: string,
  bytes: Buffer,
): { readonly same: boolean; readonly mode: number; readonly identity: Identity } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) return null;
    const mode = Number(st.mode & 0o777n);
    const identity = identityOf(st);
    if (st.size !== BigInt(bytes.length)) return { same: false, mode, identity };
    const existing = Buffer.allocUnsafe(bytes.length);
    let got = 0;
    while (got < existing.length) {
      const n = readSync(fd, existing, got, existing.length - got, got);
      if (n === 0) return { same: false, mode, identity }; // shrank while read
      got += n;
    }
    return { same: existing.equals(bytes), mode, identity };
  } catch {
    return null; // unreadable: written anew, where the write reports what refuses it
  } finally {
    closeSync(fd);
  }
}

/**
 * The names in each directory, listed once, or null when the directory does not exist: a file that is not
 * listed is new, and is not opened first (in an empty output directory, that was a failed open per file).
 */
function directoryLister(): (dir: string) => ReadonlySet<string> | null {
  const listings = new Map<string, ReadonlySet<string> | null>();
  return (dir) => {
    let names = listings.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(dir));
      } catch (e) {
        // only a missing directory (or a file in its place) means "nothing there"; any other refusal to list
        // leaves the decision to opening the file itself
        names = isSystemError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR') ? null : UNLISTED;
      }
      listings.set(dir, names);
    }
    return names;
  };
}

/** A directory that exists but could not be listed: every file in it is compared by opening it. */
const UNLISTED: ReadonlySet<string> = new Set();

/** An old manifest entry we may delete: relative, inside outDir. */
function safeOldPath(rel: string): boolean {
  try {
    checkRelPath(rel);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the rendered files into `outDir` (or with `check`, writes nothing) and says what differs. Stops at the
 * first file-system failure and reports it into `sink`: one mistake (an unwritable directory) is one error.
 */
export function writeOutput(
  outDir: string,
  rendered: ReadonlyMap<string, FileContent>,
  check: boolean,
  sink: Sink,
): EmitResult {
  const output = new Output(outDir, [...rendered.keys()], { check, thread: false });
  for (const rel of output.paths) {
    const content = rendered.get(rel);
    if (content !== undefined) output.put(rel, content); // (every path is a key of `rendered`)
  }
  return output.finishHere(sink);
}

/** Output with this many files or more is written by a thread of its own (Output's `thread`). */
export const THREAD_MIN_FILES = 1000;

/** What stopped writing: the path being written and the file system's reason. */
interface Failure {
  readonly path: string;
  readonly reason: string;
}

/** plan.json to render from the graph's JSON text (Output's putPlan). */
export interface ThreadPlan {
  readonly planFrom: string;
}

/**
 * Files for the writing thread, several in one message: their paths, and their contents one after another in
 * `bytes` (file i ends at `ends[i]`), a buffer the thread takes over.
 */
export interface ThreadBatch {
  readonly rels: readonly string[];
  readonly ends: readonly number[];
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** What the writing thread answers at the end (write-thread.ts). */
export interface ThreadReport {
  readonly changed: readonly string[];
  readonly identities: ReadonlyMap<string, Identity>;
  readonly failure: Failure | null;
  /** a serpentc bug in the thread: its stack */
  readonly bug: string | null;
}

/**
 * One generation's writing into `outDir`, file by file as they are rendered: `paths` (every file it will be given)
 * are known at the start, so a first run writes the manifest first and a later one knows which old files go.
 * Files are written (or with `check`, compared) in the order `put` receives them. With `thread`, a worker thread
 * writes them (write-thread.ts) while the caller renders the next: for a large output the file system's time
 * then overlaps the rendering's. Writing stops at the first failure, which `finish` reports as one io-error.
 */
export class Output {
  /** every path, sorted */
  readonly paths: readonly string[];
  private readonly expected: Set<string>;
  private readonly given = new Set<string>();
  private readonly previous: Buffer | null;
  private readonly manifest: string;
  private readonly writer: FileWriter;
  private readonly worker: Worker | null;
  /** the files put since the last message to the thread: their contents encoded into `chunk` up to `used` */
  private batch: { rels: string[]; ends: number[]; chunk: Uint8Array<ArrayBuffer>; used: number } | null = null;
  private failure: Failure | null = null;

  constructor(
    private readonly outDir: string,
    paths: readonly string[],
    private readonly opts: { readonly check: boolean; readonly thread: boolean },
  ) {
    this.paths = [...paths].sort(byCodeUnit); // sort for determinism
    this.expected = new Set(this.paths);
    if (this.expected.has(MANIFEST) || this.expected.size !== this.paths.length)
      throw bug('the files of out/ are listed twice, or include the manifest');
    this.manifest = `${this.paths.join('\n')}\n`;
    this.previous = readOrNull(join(outDir, MANIFEST));
    this.writer = new FileWriter(outDir, opts.check);
    // The manifest last: should generation stop half way, the old manifest still lists what to remove. With no
    // old manifest (a first run), first: a run stopped half way leaves a directory that is still recognisably
    // serpentc's (guard.ts refuses a non-empty directory without one), and lists what the next run replaces.
    if (this.previous === null) this.writeHere(MANIFEST, this.manifest);
    this.worker =
      opts.thread && !opts.check && this.failure === null
        ? new Worker(new URL('./write-thread.js', import.meta.url), { workerData: { outDir } })
        : null;
  }

  /** Writes (or compares) one of the announced files; after a failure, nothing more is written. */
  put(rel: string, content: FileContent): void {
    this.claim(rel);
    if (this.failure !== null) return;
    if (this.worker === null) {
      this.writeHere(rel, content);
      return;
    }
    // Encoded here, into a chunk of memory that the thread takes over with the other files of its batch: for
    // 10,000 packages, one message per BATCH_BYTES rather than per file, and no buffer of its own per file for
    // either thread's garbage collector to track. (Encoding here costs the two threads together less than copying
    // the string over and encoding it there: 3.2 s against 3.5 s for 10,000 packages, measured.)
    const size = typeof content === 'string' ? content.length * 3 : content.length; // (at most 3 bytes per unit)
    if (this.batch !== null && this.batch.used + size > this.batch.chunk.length) this.post();
    if (size > BATCH_BYTES) {
      // a large file (plan.json, the Makefile) in a message of its own, in a buffer of its own
      const bytes = typeof content === 'string' ? ENCODER.encode(content) : new Uint8Array(content);
      this.send({ rels: [rel], ends: [bytes.length], bytes });
      return;
    }
    const batch = (this.batch ??= { rels: [], ends: [], chunk: new Uint8Array(BATCH_BYTES), used: 0 });
    batch.used +=
      typeof content === 'string'
        ? ENCODER.encodeInto(content, batch.chunk.subarray(batch.used)).written
        : (batch.chunk.set(content, batch.used), content.length);
    batch.rels.push(rel);
    batch.ends.push(batch.used);
  }

  /** Counts `rel` as given: each announced path once. */
  private claim(rel: string): void {
    if (!this.expected.has(rel) || this.given.has(rel)) throw bug(`${rel} is not announced, or given twice`);
    this.given.add(rel);
  }

  /** Hands the batch to the thread. */
  private post(): void {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    this.send({ rels: batch.rels, ends: batch.ends, bytes: batch.chunk.subarray(0, batch.used) });
  }

  /** Posts files to the thread, which takes over their buffer (it is the message's alone). */
  private send(message: ThreadBatch): void {
    this.worker?.postMessage(message, [message.bytes.buffer]);
  }

  /**
   * plan.json, rendered by the writing thread from the graph's JSON text (cache.ts's graphText) while this thread
   * renders the rest: for 10,000 packages, 0.4 s of rendering off the thread that renders everything else. Only
   * with a thread (without one, render.ts renders plan.json from the graph).
   */
  putPlan(graphText: string): void {
    if (this.worker === null) throw bug('putPlan() without a writing thread');
    this.claim(OUT_FILES.plan);
    if (this.failure !== null) return;
    this.post();
    this.worker.postMessage({ planFrom: graphText });
  }

  /** Each file's identity as it was finished (complete after `finish`), for cache.ts's record. */
  get identities(): ReadonlyMap<string, Identity> {
    return this.writer.identities;
  }

  /** Stops the thread without waiting for it, when rendering failed (a serpentc bug): the process may then exit. */
  async abandon(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Waits for the thread's writes, then finishes as finishHere does. */
  async finish(sink: Sink): Promise<EmitResult> {
    const worker = this.worker;
    if (worker !== null) {
      this.post();
      const report = await new Promise<ThreadReport>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage(null);
      }).finally(() => worker.terminate());
      if (report.bug !== null) throw bug(`writing out/: ${report.bug}`);
      this.writer.changed.push(...report.changed);
      for (const [rel, identity] of report.identities) this.writer.identities.set(rel, identity);
      this.failure ??= report.failure;
    }
    return this.finishHere(sink);
  }

  /** The manifest (unless written first), the removal of stale files, and the result (no thread). */
  finishHere(sink: Sink): EmitResult {
    if (this.given.size !== this.expected.size) throw bug('fewer files rendered than announced');
    const before = this.previous ? this.previous.toString('utf8').split('\n').filter(Boolean) : [];
    const removed = before
      .filter(
        (p) => p !== MANIFEST && !this.expected.has(p) && safeOldPath(p) && readOrNull(join(this.outDir, p)) !== null,
      )
      .sort(byCodeUnit); // sort for determinism
    if (this.previous !== null) this.writeHere(MANIFEST, this.manifest);
    if (this.failure === null && !this.opts.check) {
      try {
        for (const rel of removed) {
          this.writer.at = join(this.outDir, rel);
          unlinkSync(this.writer.at);
        }
        pruneEmptyDirs(this.outDir, removed);
      } catch (e) {
        if (!isSystemError(e)) throw e;
        this.failure = { path: this.writer.at, reason: ioReason(e) };
      }
    }
    if (this.failure !== null) sink.error('io-error', null, { kind: 'write', ...this.failure });
    return {
      files: [...this.paths, MANIFEST].sort(byCodeUnit), // sort for determinism
      changed: this.writer.changed.sort(byCodeUnit), // sort for determinism
      removed,
      diagnostics: sink.sorted(),
    };
  }

  private writeHere(rel: string, content: FileContent): void {
    if (this.failure !== null) return;
    this.failure = this.writer.tryWrite(rel, content);
  }
}

const ENCODER = new TextEncoder();

/** 1 MiB: for 10,000 packages, ~70 messages to the writing thread instead of 11,000. */
const BATCH_BYTES = 1 << 20;

/**
 * Writes files into `outDir` one at a time (or with `check`, only compares): what differs is replaced through a
 * temporary file and a rename, a new file written directly, an unchanged one left alone (mtime and all). The
 * same code on the main thread and in write-thread.ts.
 */
export class FileWriter {
  /** paths written (or that would be), in the order written */
  readonly changed: string[] = [];
  /** the path being written, named by the diagnostic if writing fails */
  at: string;
  private readonly listing = directoryLister();
  /** each file's identity when it was finished (written, or found unchanged), for cache.ts's record */
  readonly identities = new Map<string, Identity>();
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly outDir: string,
    private readonly check: boolean,
  ) {
    this.at = outDir;
  }

  /** Writes one file; a file-system failure is returned (nothing half-written stays), anything else thrown. */
  tryWrite(rel: string, content: FileContent | Uint8Array): Failure | null {
    let temp: string | null = null;
    try {
      const bytes =
        typeof content === 'string'
          ? Buffer.from(content, 'utf8')
          : Buffer.from(content.buffer, content.byteOffset, content.byteLength); // a view, no copy
      const path = join(this.outDir, rel);
      this.at = path;
      const mode = fileMode(rel);
      const names = this.listing(dirname(path));
      const existing =
        names === null || (names !== UNLISTED && !names.has(basename(path))) ? null : compareFile(path, bytes);
      const sameContent = existing !== null && existing.same;
      const sameMode = sameContent && existing.mode === mode;
      if (sameContent && sameMode) {
        this.identities.set(rel, existing.identity);
        return null;
      }
      this.changed.push(rel);
      if (this.check) return null;
      if (sameContent) {
        chmodSync(path, mode);
        this.identities.set(rel, identityOf(statSync(path, { bigint: true })));
        return null;
      }
      const dir = dirname(path);
      if (names === null && !this.madeDirs.has(dir)) {
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          this.at = nearestExisting(dir); // what refuses a new directory: a file in the way, or a directory not writable
          throw e;
        }
        this.madeDirs.add(dir);
      }
      if (existing === null) {
        // A new file: nothing can read a half-written version of it that make would trust (no stamp is newer).
        // Written through its descriptor, which then gives its final identity (after any chmod: ctime) as well.
        const fd = openSync(path, 'w', mode);
        try {
          for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
          let st = fstatSync(fd, { bigint: true });
          // the umask may have removed bits
          if (Number(st.mode & 0o777n) !== mode) {
            fchmodSync(fd, mode);
            st = fstatSync(fd, { bigint: true });
          }
          this.identities.set(rel, identityOf(st));
        } finally {
          closeSync(fd);
        }
        return null;
      }
      // Replace through a temporary file and a rename: a reader never sees half a file.
      temp = join(dir, `.${rel.slice(rel.lastIndexOf('/') + 1)}.serpentc-tmp-${process.pid}-${threadId}`);
      writeFileSync(temp, bytes);
      chmodSync(temp, mode);
      renameSync(temp, path);
      this.identities.set(rel, identityOf(statSync(path, { bigint: true }))); // (a rename changes the ctime)
      return null;
    } catch (e) {
      if (!isSystemError(e)) throw e; // anything else is a serpentc bug, not a property of the disk
      if (temp !== null) removeQuietly(temp);
      return { path: this.at, reason: ioReason(e) };
    }
  }
}

/** `path` itself or its nearest ancestor that exists. */
function nearestExisting(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      statSync(p);
      return p;
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

/** Removes a half-written temporary file after a failure; a failure to do so changes nothing for the user. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the directory refuses: the failure already reported is the one that matters
  }
}

/** Removes the directories of removed files that became empty (deepest first), never outDir itself. */
function pruneEmptyDirs(outDir: string, removed: readonly string[]): void {
  const dirs = new Set<string>();
  for (const rel of removed) {
    const parts = rel.split('/');
    for (let i = parts.length - 1; i > 0; i--) dirs.add(parts.slice(0, i).join('/'));
  }
  const deepestFirst = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || byCodeUnit(a, b)); // sort for determinism
  for (const rel of deepestFirst) {
    const path = join(outDir, rel);
    try {
      if (readdirSync(path).length === 0) rmdirSync(path);
    } catch {
      // already gone or not a directory: nothing to prune
    }
  }
}
