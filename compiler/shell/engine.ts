// Parses one text with mvdan/sh in POSIX mode and says what happened (ok with the top-level statements' byte
// ranges, a positioned error, or a crash); never throws once an engine is running.
//
// sh-syntax wraps mvdan/sh compiled to WebAssembly (TinyGo). Its public `parse()` builds a new instance per
// call (15-50 ms), and its `wasmAlloc` returns the address of a Go slice header, not of the buffer, so the input
// is copied over the heap behind a 12-byte header: inputs past ~100 KB crash with "memory access out of
// bounds". We therefore drive the same main.wasm through its exports with a buffer from `malloc`, reuse one
// instance (~0.3 ms a call), and fall back to the public `parse()` when the module does not look as expected.
import { parse as publicParse, LangVariant } from 'sh-syntax';
import type { IParseError } from 'sh-syntax';
import { shellModule } from './wasm.js';

const POSIX = LangVariant.LangPOSIX;
/** The processor's default variant, which prettier-plugin-sh prints with. */
const BASH = LangVariant.LangBash;
/**
 * Bodies are joined into parses of about this many bytes. Measured (5,000 bodies, 820 KB): 1-4 KB batches
 * parse fastest (~190 ms); from 16 KB on, TinyGo's heap grows and its allocator slows everything down.
 */
const BATCH_BYTES = 4 * 1024;
/** The public parse() corrupts its heap on large inputs; keep its batches small. */
const PUBLIC_BATCH_BYTES = 16 * 1024;
/**
 * WebAssembly memory never shrinks, and TinyGo allocates slower in a bigger heap: an instance that grew past
 * its initial 10 MB (only a very large body does that) is dropped and the next call starts a fresh one (~10 ms).
 */
const RECYCLE_MEMORY = 16 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What one parser call says about a text. `offset` is a byte offset when mvdan gave one; `line`/`col` are
 * 1-based with `col` counted in bytes (0 when unknown). `stmts`: byte ranges of the top-level statements.
 */
export type Outcome =
  | { readonly kind: 'ok'; readonly stmts: readonly (readonly [number, number])[] }
  | {
      readonly kind: 'error';
      readonly message: string;
      readonly offset: number | null;
      readonly line: number;
      readonly col: number;
    }
  /** `trap`: the WebAssembly code trapped on this text (a body nested deeper than its stack, say) */
  | { readonly kind: 'crash'; readonly message: string; readonly trap: boolean };

export type EngineKind = 'auto' | 'wasm' | 'public';

export interface Engine {
  readonly name: string;
  /** The batch size this engine parses fastest (or safely) by default. */
  readonly batchBytes: number;
  parse(text: string): Promise<Outcome>;
  /**
   * Prints `text` as sh-syntax's processor does with `{ print: true }` and its defaults (what prettier-plugin-sh
   * runs), on this engine's instance; throws on a text that does not parse. Only the wasm engine has it.
   */
  readonly print?: (text: string) => string;
}

interface RawPos {
  readonly Offset: number;
  readonly Line: number;
  readonly Col: number;
}

interface RawStmt {
  readonly Pos: RawPos;
  readonly End: RawPos;
}

/** mvdan's JSON result (processor.Result of sh-syntax), as far as we read it; each field is checked before use. */
interface RawResult {
  readonly file?: { readonly Stmts?: readonly RawStmt[]; readonly Stmt?: readonly RawStmt[] } | null;
  readonly parseError?: { readonly Text?: unknown; readonly Pos?: RawPos | null } | null;
  readonly message?: string;
  readonly text?: unknown;
}

/** The exports of main.wasm that we call. */
interface ShExports {
  readonly memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  process(...args: number[]): number;
}

/** The Go runtime class of sh-syntax's vendors/wasm_exec.cjs. */
interface GoRuntime {
  readonly importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

declare global {
  /** Defined by sh-syntax's vendors/wasm_exec.cjs, which its index module loads. */
  var Go: (new () => GoRuntime) | undefined;
}

/** mvdan's JSON result → Outcome. */
function interpret(result: RawResult | null | undefined): Outcome {
  const pe = result?.parseError;
  if (pe && pe.Pos) {
    return { kind: 'error', message: String(pe.Text), offset: pe.Pos.Offset, line: pe.Pos.Line, col: pe.Pos.Col };
  }
  if (result?.message) return messageError(result.message);
  const stmts = result?.file?.Stmts ?? result?.file?.Stmt;
  if (!Array.isArray(stmts)) return { kind: 'crash', message: 'unexpected parser output', trap: false };
  return { kind: 'ok', stmts: stmts.map((s: RawStmt) => [s.Pos.Offset, s.End.Offset] as const) };
}

/** Errors that are not ParseErrors (e.g. "1:3: arrays are a bash/mksh/zsh feature") carry the position in the text. */
function messageError(message: string): Outcome {
  const m = /^(?:[^\n]*?:)??(\d+):(\d+): ([\s\S]*)$/.exec(message);
  if (!m) return { kind: 'error', message, offset: null, line: 0, col: 0 };
  return { kind: 'error', message: m[3], offset: null, line: Number(m[1]), col: Number(m[2]) };
}

/** A thrown sh-syntax ParseError (or an object shaped like one). */
function isParseError(e: unknown): e is IParseError {
  return (
    typeof e === 'object' && e !== null && 'Pos' in e && Boolean(e.Pos) && 'Text' in e && typeof e.Text === 'string'
  );
}

/** The text of whatever was thrown. */
export function errorText(e: unknown): string {
  return String((typeof e === 'object' && e !== null && 'message' in e ? e.message : undefined) ?? e);
}

const engines = new Map<EngineKind, Promise<Engine>>();

/** The engine of that kind, made once per process; 'auto' is the wasm engine, or the public API when it fails. */
export function getEngine(kind: EngineKind): Promise<Engine> {
  let e = engines.get(kind);
  if (!e) {
    e = makeEngine(kind);
    engines.set(kind, e);
  }
  return e;
}

async function makeEngine(kind: EngineKind): Promise<Engine> {
  if (kind !== 'public') {
    try {
      return await wasmEngine();
    } catch (err) {
      if (kind === 'wasm') throw err;
    }
  }
  return { name: 'public', batchBytes: PUBLIC_BATCH_BYTES, parse: parseWithPublicApi };
}

/** The public API: one WebAssembly instance per call. */
async function parseWithPublicApi(text: string): Promise<Outcome> {
  try {
    const file = await publicParse(text, { variant: POSIX, keepComments: false });
    return interpret({ file });
  } catch (e) {
    if (isParseError(e)) return interpret({ parseError: e });
    if (e instanceof SyntaxError) return messageError(e.message);
    return crash(e);
  }
}

/** The outcome of a parse that threw. */
function crash(err: unknown): Outcome {
  return {
    kind: 'crash',
    message: errorText(err),
    trap: err instanceof Error && err.name === 'RuntimeError' /* WebAssembly.RuntimeError: a trap */,
  };
}

/** Whether an instance's exports are the ones we call (the names were checked on the module already). */
function isShExports(exports: WebAssembly.Exports): exports is WebAssembly.Exports & ShExports {
  return (
    exports.memory instanceof WebAssembly.Memory &&
    typeof exports.malloc === 'function' &&
    typeof exports.free === 'function' &&
    typeof exports.process === 'function'
  );
}

/**
 * Drives sh-syntax's main.wasm directly: one instance reused across calls, input in a `malloc`ed buffer.
 * Throws (so the caller falls back) unless the module has the exports we call and answers a probe correctly.
 */
async function wasmEngine(): Promise<Engine> {
  const Go = globalThis.Go;
  if (typeof Go !== 'function') throw new Error('sh-syntax did not define Go');
  const module = await shellModule();
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const n of ['memory', 'malloc', 'free', 'process']) if (!names.has(n)) throw new Error(`main.wasm lacks ${n}`);

  let exports: ShExports | null = null;
  const instance = (): ShExports => {
    if (!exports) {
      const go = new Go();
      const inst = new WebAssembly.Instance(module, go.importObject);
      go.run(inst).catch(() => {}); // runs main() (empty) synchronously; the exports stay usable afterwards
      const ex = inst.exports;
      if (!isShExports(ex)) throw new Error('unexpected main.wasm exports');
      if (ex.process.length !== 22) throw new Error('unexpected process() signature');
      exports = ex;
    }
    return exports;
  };
  /** One call of main.wasm's process(); throws on a trap (after dropping the instance, which may be corrupt). */
  const call = (text: string, print: boolean): RawResult | null => {
    try {
      const ex = instance();
      const bytes = encoder.encode(text);
      const ptr = bytes.length > 0 ? ex.malloc(bytes.length) : 0;
      if (bytes.length > 0 && !ptr) throw new Error('malloc failed');
      new Uint8Array(ex.memory.buffer).set(bytes, ptr);
      // process(filepath[3], text[3], print, keepComments, variant, stopAt[3], recoverErrors, simplify, indent,
      //         binaryNextLine, switchCaseIndent, spaceRedirects, keepPadding, minify, singleLine, functionNextLine)
      // Parsing: POSIX, comments dropped, nothing printed. Printing: the processor's defaults (bash, comments
      // kept, indent 2, binary operators and case bodies on the next line/indented, spaces around redirects).
      const p = print ? 1 : 0;
      const out = ex.process(
        0,
        0,
        0,
        ptr,
        bytes.length,
        bytes.length,
        p,
        p,
        print ? BASH : POSIX,
        0,
        0,
        0,
        0,
        0,
        print ? 2 : 0,
        p,
        p,
        p,
        0,
        0,
        0,
        0,
      );
      if (ptr) ex.free(ptr);
      const mem = new Uint8Array(ex.memory.buffer);
      const end = mem.indexOf(0, out);
      const json = decoder.decode(mem.subarray(out, end < 0 ? mem.length : end));
      if (ex.memory.buffer.byteLength > RECYCLE_MEMORY) exports = null;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- JSON.parse gives any; callers check what they read
      return JSON.parse(json);
    } catch (err) {
      exports = null; // a trapped instance may be corrupt: the next call starts a fresh one
      throw err;
    }
  };
  const parseSync = (text: string): Outcome => {
    try {
      return interpret(call(text, false));
    } catch (err) {
      return crash(err);
    }
  };
  const print = (text: string): string => {
    const result = call(text, true);
    if (result?.parseError || result?.message || typeof result?.text !== 'string') {
      throw new Error(`cannot print: ${errorText(result?.parseError?.Text ?? result?.message ?? 'no text')}`);
    }
    return result.text;
  };
  const ok = parseSync(':');
  const bad = parseSync('"');
  if (!(
    ok.kind === 'ok' &&
    ok.stmts.length === 1 &&
    ok.stmts[0][1] === 1 &&
    bad.kind === 'error' &&
    bad.offset === 0
  )) {
    throw new Error('main.wasm did not answer the probe as expected');
  }
  return { name: 'wasm', batchBytes: BATCH_BYTES, parse: (text) => Promise.resolve(parseSync(text)), print };
}
