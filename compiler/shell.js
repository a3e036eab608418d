// Checks step bodies as POSIX sh (mvdan/sh through sh-syntax) and lists the commands they run and the variables they read and set; never throws.
//
// Two parts:
//  1. Validation. sh-syntax wraps mvdan/sh compiled to WebAssembly (TinyGo). Its public `parse()` builds a new
//     instance per call (15-50 ms), and its `wasmAlloc` returns the address of a Go slice header, not of the
//     buffer, so the input is copied over the heap behind a 12-byte header: inputs past ~100 KB crash with
//     "memory access out of bounds". We therefore drive the same main.wasm through its exports with a buffer
//     from `malloc`, reuse one instance (~0.3 ms a call), and fall back to the public `parse()` when the module
//     does not look as expected. Many bodies are checked in one parse, separated by sentinel statements whose
//     exact positions prove that no body leaked into its neighbour; anything doubtful is re-parsed on its own,
//     so every body gets exactly its own result.
//  2. Extraction. A small POSIX shell scanner (mvdan's JSON AST carries no words) that walks quotes,
//     expansions, here-documents and the command grammar just far enough to know which word is a command.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as publicParse, LangVariant } from 'sh-syntax';

/**
 * @typedef {{ message: string, line: number, col: number }} ShellError
 * @typedef {{ name: string, line: number, col: number }} ShellName
 * @typedef {{ error: ShellError | null, commands: ShellName[], refs: ShellName[], assigns: string[] }} ShellInfo
 * @typedef {{ engine?: 'auto' | 'wasm' | 'public', batchBytes?: number }} ShellOptions
 *   `engine` and `batchBytes` exist for tests and measurements; the defaults are what the compiler uses.
 */

/**
 * POSIX special and regular built-ins, the common built-ins of dash and bash, and the reserved words: names
 * that run without a PATH lookup.
 * @type {ReadonlySet<string>}
 */
export const SHELL_BUILTINS = new Set([
  // special built-ins
  'break', ':', 'continue', '.', 'eval', 'exec', 'exit', 'export', 'readonly', 'return', 'set', 'shift', 'times',
  'trap', 'unset',
  // regular built-ins (intrinsic utilities and the ones every shell builds in)
  'alias', 'bg', 'cd', 'command', 'false', 'fg', 'getopts', 'hash', 'jobs', 'kill', 'pwd', 'read', 'true', 'type',
  'ulimit', 'umask', 'unalias', 'wait', 'echo', 'printf', 'test', '[', 'local',
  // reserved words (and `time`, a keyword in bash and ksh)
  'if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done', 'while', 'until', 'case', 'esac', '{', '}', '!',
  'time',
]);

// ---------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------

const POSIX = LangVariant.LangPOSIX;
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
/** Placed between bodies in a batch; each must come back as a top-level statement at its exact offset. */
const SENTINEL = '\n:\n';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What one parser call says about a text. `offset` is a byte offset when mvdan gave one; `line`/`col` are
 * 1-based with `col` counted in bytes (0 when unknown).
 * @typedef {{ kind: 'ok', stmts: Array<[number, number]> }
 *   | { kind: 'error', message: string, offset: number | null, line: number, col: number }
 *   | { kind: 'crash', message: string }} Outcome
 * @typedef {{ name: string, batchBytes: number, parse: (text: string) => Promise<Outcome> }} Engine
 */

/** mvdan's JSON result (processor.Result of sh-syntax) → Outcome. @param {any} result @returns {Outcome} */
function interpret(result) {
  const pe = result?.parseError;
  if (pe && pe.Pos) {
    return { kind: 'error', message: String(pe.Text), offset: pe.Pos.Offset, line: pe.Pos.Line, col: pe.Pos.Col };
  }
  if (result?.message) return messageError(String(result.message));
  const stmts = result?.file?.Stmts ?? result?.file?.Stmt;
  if (!Array.isArray(stmts)) return { kind: 'crash', message: 'unexpected parser output' };
  return { kind: 'ok', stmts: stmts.map((s) => [s.Pos.Offset, s.End.Offset]) };
}

/** Errors that are not ParseErrors (e.g. "1:3: arrays are a bash/mksh/zsh feature") carry the position in the text. */
function messageError(/** @type {string} */ message) {
  const m = /^(?:[^\n]*?:)??(\d+):(\d+): ([\s\S]*)$/.exec(message);
  if (!m) return /** @type {Outcome} */ ({ kind: 'error', message, offset: null, line: 0, col: 0 });
  return /** @type {Outcome} */ ({ kind: 'error', message: m[3], offset: null, line: Number(m[1]), col: Number(m[2]) });
}

/** @type {Promise<WebAssembly.Module> | null} */
let modulePromise = null;
/** @type {Map<string, Promise<Engine>>} */
const engines = new Map();

/** Starts compiling the parser module; V8 compiles on background threads, so this overlaps later sync work. */
function compileModule() {
  modulePromise ??= WebAssembly.compile(readFileSync(createRequire(import.meta.url).resolve('sh-syntax/main.wasm')));
  return modulePromise;
}

/**
 * Call early (before parsing recipes): the parser module then compiles while the main thread does other work.
 * Failures surface later, from analyzeShell, which falls back to the public API.
 */
export function prepareShell() {
  compileModule().catch(() => {});
}

/** @param {'auto' | 'wasm' | 'public'} kind @returns {Promise<Engine>} */
function getEngine(kind) {
  let e = engines.get(kind);
  if (!e) {
    e = makeEngine(kind);
    engines.set(kind, e);
  }
  return e;
}

/** @param {'auto' | 'wasm' | 'public'} kind @returns {Promise<Engine>} */
async function makeEngine(kind) {
  if (kind !== 'public') {
    try {
      return await wasmEngine();
    } catch (err) {
      if (kind === 'wasm') throw err;
    }
  }
  return { name: 'public', batchBytes: PUBLIC_BATCH_BYTES, parse: parseWithPublicApi };
}

/** The public API: one WebAssembly instance per call. @param {string} text @returns {Promise<Outcome>} */
async function parseWithPublicApi(text) {
  try {
    const file = await publicParse(text, { variant: POSIX, keepComments: false });
    return interpret({ file });
  } catch (err) {
    const e = /** @type {any} */ (err);
    if (e && e.Pos && typeof e.Text === 'string') return interpret({ parseError: e });
    if (e instanceof SyntaxError) return messageError(e.message);
    return { kind: 'crash', message: String(e?.message ?? e) };
  }
}

/**
 * Drives sh-syntax's main.wasm directly: one instance reused across calls, input in a `malloc`ed buffer.
 * Throws (so the caller falls back) unless the module has the exports we call and answers a probe correctly.
 * @returns {Promise<Engine>}
 */
async function wasmEngine() {
  const Go = /** @type {any} */ (globalThis).Go; // defined by sh-syntax's vendors/wasm_exec.cjs, loaded by its index
  if (typeof Go !== 'function') throw new Error('sh-syntax did not define Go');
  const module = await compileModule();
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const n of ['memory', 'malloc', 'free', 'process']) if (!names.has(n)) throw new Error(`main.wasm lacks ${n}`);

  /** @type {any} */
  let exports = null;
  const instance = () => {
    if (!exports) {
      const go = new Go();
      const inst = new WebAssembly.Instance(module, go.importObject);
      go.run(inst).catch(() => {}); // runs main() (empty) synchronously; the exports stay usable afterwards
      exports = inst.exports;
      if (exports.process.length !== 22) throw new Error('unexpected process() signature');
    }
    return exports;
  };
  /** @param {string} text @returns {Outcome} */
  const parseSync = (text) => {
    try {
      const ex = instance();
      const bytes = encoder.encode(text);
      const ptr = bytes.length > 0 ? ex.malloc(bytes.length) : 0;
      if (bytes.length > 0 && !ptr) throw new Error('malloc failed');
      new Uint8Array(ex.memory.buffer).set(bytes, ptr);
      // process(filepath[3], text[3], print, keepComments, variant, stopAt[3], recoverErrors, simplify, indent,
      //         binaryNextLine, switchCaseIndent, spaceRedirects, keepPadding, minify, singleLine, functionNextLine)
      const out = ex.process(0, 0, 0, ptr, bytes.length, bytes.length, 0, 0, POSIX, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      if (ptr) ex.free(ptr);
      const mem = new Uint8Array(ex.memory.buffer);
      const end = mem.indexOf(0, out);
      const json = decoder.decode(mem.subarray(out, end < 0 ? mem.length : end));
      if (ex.memory.buffer.byteLength > RECYCLE_MEMORY) exports = null;
      return interpret(JSON.parse(json));
    } catch (err) {
      exports = null; // a trapped instance may be corrupt: the next call starts a fresh one
      return { kind: 'crash', message: String(/** @type {any} */ (err)?.message ?? err) };
    }
  };
  const ok = parseSync(':');
  const bad = parseSync('"');
  if (!(ok.kind === 'ok' && ok.stmts.length === 1 && ok.stmts[0][1] === 1 && bad.kind === 'error' && bad.offset === 0)) {
    throw new Error('main.wasm did not answer the probe as expected');
  }
  return { name: 'wasm', batchBytes: BATCH_BYTES, parse: async (text) => parseSync(text) };
}

/**
 * UTF-8 bytes of the character at s[i]: 4 for a surrogate pair (which spans two UTF-16 units), 3 for a lone
 * surrogate (encoded as U+FFFD, like TextEncoder does).
 * @param {string} s @param {number} i
 */
function utf8Bytes(s, i) {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) return 4;
  return 3;
}

/** UTF-8 length of a string. @param {string} s */
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const b = utf8Bytes(s, i);
    n += b;
    if (b === 4) i++;
  }
  return n;
}

/** The string index at UTF-8 byte offset `off` of `s`. @param {string} s @param {number} off */
function indexAtByte(s, off) {
  let n = 0;
  let i = 0;
  for (; i < s.length && n < off; i++) {
    const b = utf8Bytes(s, i);
    n += b;
    if (b === 4) i++;
  }
  return i;
}

/** 1-based line and column (in UTF-16 units) of string index `idx`. @param {string} s @param {number} idx */
function lineColAt(s, idx) {
  let line = 1;
  let start = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < idx; i = s.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: idx - start + 1 };
}

/**
 * The error of a body parsed on its own, positioned in the body (columns in UTF-16 units, not mvdan's bytes).
 * @param {string} body @param {Outcome} out @returns {ShellError | null}
 */
function ownResult(body, out) {
  if (out.kind === 'ok') return null;
  if (out.kind === 'crash') return { message: `the shell parser gave up on this body (${out.message}); is it nested too deeply?`, line: 1, col: 1 };
  if (out.offset !== null) {
    const idx = indexAtByte(body, Math.max(0, out.offset));
    return { message: out.message, ...lineColAt(body, idx) };
  }
  const lines = body.split('\n');
  if (out.line < 1 || out.line > lines.length) return { message: out.message, line: 1, col: 1 };
  const text = lines[out.line - 1];
  return { message: out.message, line: out.line, col: indexAtByte(text, Math.max(0, out.col - 1)) + 1 };
}

/**
 * Validates `bodies` (already unique) and returns each one's own error or null.
 * @param {string[]} bodies @param {Engine} engine @param {number} batchBytes
 * @returns {Promise<Array<ShellError | null>>}
 */
async function validate(bodies, engine, batchBytes) {
  /** @type {Array<ShellError | null>} */
  const results = new Array(bodies.length).fill(null);
  const bytes = bodies.map(utf8Length);
  const lines = bodies.map((b) => {
    let n = 0;
    for (let i = b.indexOf('\n'); i >= 0; i = b.indexOf('\n', i + 1)) n++;
    return n;
  });

  /** One body alone: its exact result. @param {number} i */
  const single = async (i) => {
    results[i] = /^[ \t\n]*$/.test(bodies[i]) ? null : ownResult(bodies[i], await engine.parse(bodies[i]));
  };

  /** Halves a doubtful group so that repeated failures cost O(n log n), not O(n²). @param {number[]} ids */
  const split = async (ids) => {
    if (ids.length <= 1) return check(ids);
    const mid = ids.length >> 1;
    await check(ids.slice(0, mid));
    await check(ids.slice(mid));
  };

  /** @param {number[]} ids */
  const check = async (ids) => {
    if (ids.length === 0) return;
    if (ids.length === 1) return single(ids[0]);
    // Layout: body0 SENTINEL body1 SENTINEL … bodyN. starts[k]/lineStarts[k]: where body k begins.
    const starts = [];
    const lineStarts = [];
    let off = 0;
    let line = 1;
    for (const i of ids) {
      starts.push(off);
      lineStarts.push(line);
      off += bytes[i] + 3;
      line += lines[i] + 2;
    }
    const out = await engine.parse(ids.map((i) => bodies[i]).join(SENTINEL));
    if (out.kind === 'ok') {
      // Body k is proven to parse on its own when the sentinels on both sides are top-level statements
      // exactly where we put them: then the parser entered body k in a fresh state and left it complete.
      const at = new Set(out.stmts.map(([a, b]) => `${a}:${b}`));
      const missing = ids.findIndex((i, k) => k < ids.length - 1 && !at.has(`${starts[k] + bytes[i] + 1}:${starts[k] + bytes[i] + 2}`));
      if (missing < 0) return; // all null already
      await single(ids[missing]);
      await split(ids.slice(missing + 1));
      return;
    }
    if (out.kind === 'crash') return split(ids);
    // The parser stops at the first error; it is almost always inside the body at fault. Decide that body
    // alone, then re-check the ones before it (not yet proven) and after it (not yet parsed).
    const k = ids.findIndex((i, j) =>
      out.offset !== null
        ? out.offset >= starts[j] && out.offset <= starts[j] + bytes[i]
        : out.line >= lineStarts[j] && out.line <= lineStarts[j] + lines[i],
    );
    if (k < 0) return split(ids);
    await single(ids[k]);
    // If body k fails alone, it is the culprit and the bodies before it most likely parse: one check. If not,
    // an earlier body leaked into it (an unclosed quote pairs with quotes further on, …): bisect, so that a
    // chain of such misattributions costs O(n log n) parses, not O(n²).
    if (results[ids[k]]) await check(ids.slice(0, k));
    else await split(ids.slice(0, k));
    await split(ids.slice(k + 1));
  };

  // Group bodies in input order into batches of about batchBytes.
  /** @type {number[]} */
  let group = [];
  let size = 0;
  for (let i = 0; i < bodies.length; i++) {
    if (group.length > 0 && size + bytes[i] > batchBytes) {
      await check(group);
      group = [];
      size = 0;
    }
    group.push(i);
    size += bytes[i] + 3;
  }
  await check(group);
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------------------------------

/**
 * A word as the command grammar sees it. `lit` is the text after quote removal with every expansion replaced
 * by \0; `plain` means no quoting and no expansion (only plain words can be reserved words);
 * `assign` is NAME when the word starts with an unquoted `NAME=`.
 * @typedef {{ t: 'word', lit: string, start: number, end: number, quoted: boolean, expanded: boolean, plain: boolean, assign: string | null }} Word
 * @typedef {{ t: 'op', v: string } | { t: 'redir', v: string } | { t: 'eof' }} Op
 * @typedef {Word | Op} Token
 * @typedef {{ delim: string, strip: boolean, quoted: boolean }} Heredoc
 * @typedef {{ commands: Array<{ name: string, at: number, direct: boolean }>, refs: Array<{ name: string, at: number }>,
 *   assigns: Set<string>, functions: Set<string>, depth: number }} Sink
 *   `direct`: run through `command`, `exec`, `env`, … which skip shell functions.
 * @typedef {{ kind: string, argc: number, skip: number, fn: string | null }} Cmd
 *   `fn`: the name, when `NAME ( )` would make this a function definition.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Runs of characters with no special meaning, skipped in one step (the scanner's hot paths).
const BLANKS = /(?:[ \t\r]|\\\n)*/y;
const WORD_RUN = /[^ \t\r\n;&|()<>\\'"$`]+/y;
const DQ_RUN = /[^"\\$`]+/y;
const HEREDOC_RUN = /[^\\$`]+/y;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=/;
/** Nesting of $( ), ` `, ${ } and $(( )) beyond this is not scanned (keeps the JS stack safe on absurd input). */
const MAX_DEPTH = 150;

/** Words that open or continue a compound command; at a command start they are not commands. */
const TRANSPARENT = new Set(['if', 'then', 'elif', 'else', 'fi', 'do', 'done', 'while', 'until', '{', '}', '!', 'in']);

/**
 * How the arguments of some commands are read; for every other command they are just data.
 * @type {Record<string, string>}
 */
const KINDS = {
  export: 'declare', readonly: 'declare', local: 'declare',
  read: 'read', unset: 'unset', getopts: 'getopts',
  command: 'command', exec: 'exec', env: 'env', nice: 'nice', nohup: 'nohup', time: 'time',
};

const isNameStart = (/** @type {string} */ c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (/** @type {string} */ c) => isNameStart(c) || (c >= '0' && c <= '9');
const isDigit = (/** @type {string} */ c) => c >= '0' && c <= '9';

// Parser states of the command grammar.
const START = 0; // a command may begin
const ARGS = 1; // inside a simple command, after its name
const FOR_NAME = 2;
const FOR_AFTER_NAME = 3;
const FOR_WORDS = 4;
const CASE_WORD = 5;
const CASE_IN = 6;
const PATTERN = 7; // case patterns, up to `)`

class Scanner {
  /**
   * @param {string} src
   * @param {Sink} sink shared by the scanners of one body
   * @param {(i: number) => number} origin maps an index of `src` to an offset in the body
   */
  constructor(src, sink, origin) {
    this.src = src;
    this.pos = 0;
    this.sink = sink;
    this.origin = origin;
    /** @type {Heredoc[]} */
    this.heredocs = [];
    /** @type {Token | null} */
    this.peeked = null;
  }

  /** @param {number} i */
  at(i) {
    return this.origin(Math.min(i, this.src.length));
  }

  // ---- lexer ------------------------------------------------------------------------------------------

  /** @returns {Token} */
  next() {
    if (this.peeked) {
      const t = this.peeked;
      this.peeked = null;
      return t;
    }
    const s = this.src;
    for (;;) {
      if (this.pos >= s.length) return { t: 'eof' };
      // (a sticky regex that fails resets lastIndex to 0: only run it inside the text, where it always matches)
      BLANKS.lastIndex = this.pos;
      if (BLANKS.test(s)) this.pos = BLANKS.lastIndex;
      if (this.pos >= s.length) return { t: 'eof' };
      if (s[this.pos] !== '#') break;
      const nl = s.indexOf('\n', this.pos);
      this.pos = nl < 0 ? s.length : nl;
    }
    const c = s[this.pos];
    const two = s.slice(this.pos, this.pos + 2);
    if (c === '\n') {
      this.pos++;
      this.readHeredocs();
      return { t: 'op', v: '\n' };
    }
    if (two === ';;' || two === '&&' || two === '||') {
      this.pos += 2;
      return { t: 'op', v: two };
    }
    if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      this.pos++;
      return { t: 'op', v: c };
    }
    let p = this.pos;
    while (isDigit(s[p] ?? '')) p++;
    if (s[p] === '<' || s[p] === '>') {
      // [n]<, <<, <<-, <&, <>, >, >>, >&, >|
      const three = s.slice(p, p + 3);
      const op = three === '<<-' ? three : ['<<', '<&', '<>', '>>', '>&', '>|'].includes(s.slice(p, p + 2)) ? s.slice(p, p + 2) : s[p];
      this.pos = p + op.length;
      return { t: 'redir', v: op };
    }
    return this.word();
  }

  /** @returns {Word} */
  word() {
    const s = this.src;
    const start = this.pos;
    let lit = '';
    let quoted = false;
    let expanded = false;
    let plainLen = -1; // length of `lit` before the first quote, escape or expansion
    const mark = () => {
      if (plainLen < 0) plainLen = lit.length;
    };
    while (this.pos < s.length) {
      WORD_RUN.lastIndex = this.pos;
      if (WORD_RUN.test(s)) {
        lit += s.slice(this.pos, WORD_RUN.lastIndex);
        this.pos = WORD_RUN.lastIndex;
        continue;
      }
      const c = s[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '<' || c === '>') break;
      if (c === '\\') {
        if (s[this.pos + 1] === '\n') {
          this.pos += 2;
          continue;
        }
        mark();
        quoted = true;
        lit += s[this.pos + 1] ?? '\\';
        this.pos = Math.min(this.pos + 2, s.length);
      } else if (c === "'") {
        mark();
        quoted = true;
        const close = s.indexOf("'", this.pos + 1);
        const end = close < 0 ? s.length : close;
        lit += s.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else if (c === '"') {
        mark();
        quoted = true;
        this.pos++;
        const inner = this.dq('"');
        if (inner.includes('\0')) expanded = true;
        lit += inner;
      } else if (c === '`' || (c === '$' && this.isExpansion())) {
        mark();
        expanded = true;
        lit += '\0';
        if (c === '`') this.backtick(false);
        else this.dollar(false);
      } else {
        lit += c;
        this.pos++;
      }
    }
    if (plainLen < 0) plainLen = lit.length;
    const m = ASSIGN.exec(lit.slice(0, plainLen));
    return { t: 'word', lit, start, end: this.pos, quoted, expanded, plain: !quoted && !expanded, assign: m ? m[1] : null };
  }

  /**
   * Double-quoted text up to `term` (consumed), or to the end when `term` is '' (here-document bodies, where
   * `"` is an ordinary character). Returns the literal text with \0 for each expansion.
   * @param {string} term
   */
  dq(term) {
    const s = this.src;
    let lit = '';
    const run = term ? DQ_RUN : HEREDOC_RUN;
    while (this.pos < s.length) {
      run.lastIndex = this.pos;
      if (run.test(s)) {
        lit += s.slice(this.pos, run.lastIndex);
        this.pos = run.lastIndex;
        continue;
      }
      const c = s[this.pos];
      if (term && c === term) {
        this.pos++;
        return lit;
      }
      if (c === '\\') {
        const n = s[this.pos + 1];
        if (n === '$' || n === '`' || n === '\\' || (term && n === term)) {
          lit += n;
          this.pos += 2;
          continue;
        }
        if (n === '\n') {
          this.pos += 2;
          continue;
        }
        lit += c;
        this.pos++;
      } else if (c === '`' || (c === '$' && this.isExpansion())) {
        lit += '\0';
        if (c === '`') this.backtick(term === '"');
        else this.dollar(true);
      } else {
        lit += c;
        this.pos++;
      }
    }
    return lit;
  }

  /** At `$`: whether an expansion starts here (else the `$` is literal). */
  isExpansion() {
    const n = this.src[this.pos + 1] ?? '';
    return n !== '' && (n === '(' || n === '{' || isNameChar(n) || '@*#?-$!'.includes(n));
  }

  /**
   * At `$`: scans an expansion, or consumes a literal `$`.
   * @param {boolean} inDq
   */
  dollar(inDq) {
    const s = this.src;
    const dollarAt = this.pos;
    const n = s[this.pos + 1] ?? '';
    if (n === '(' || n === '{') {
      if (this.sink.depth >= MAX_DEPTH) {
        this.pos = s.length;
        return;
      }
      this.sink.depth++;
      if (n === '(' && s[this.pos + 2] === '(') {
        this.pos += 3;
        this.arith();
      } else if (n === '(') {
        this.pos += 2;
        this.commands(')');
      } else {
        this.pos += 2;
        this.param(inDq);
      }
      this.sink.depth--;
      return;
    }
    if (isNameStart(n)) {
      let p = dollarAt + 2;
      while (p < s.length && isNameChar(s[p])) p++;
      this.ref(s.slice(dollarAt + 1, p), dollarAt + 1);
      this.pos = p;
      return;
    }
    if (n !== '' && (isDigit(n) || '@*#?-$!'.includes(n))) {
      this.pos += 2; // special parameters are always set
      return;
    }
    this.pos++; // a literal `$`
  }

  /** @param {string} name @param {number} i */
  ref(name, i) {
    this.sink.refs.push({ name, at: this.at(i) });
  }

  /** After `${`: the parameter, its operator and its word, up to the closing `}`. @param {boolean} inDq */
  param(inDq) {
    const s = this.src;
    let name = '';
    let nameAt = this.pos;
    if (s[this.pos] === '#' && s[this.pos + 1] !== '}' && isNameStart(s[this.pos + 1] ?? '')) this.pos++; // ${#name}
    nameAt = this.pos;
    const c = s[this.pos] ?? '';
    if (isNameStart(c)) {
      let p = this.pos;
      while (p < s.length && isNameChar(s[p])) p++;
      name = s.slice(this.pos, p);
      this.pos = p;
    } else if (isDigit(c)) {
      while (isDigit(s[this.pos] ?? '')) this.pos++;
    } else if (c !== '' && '@*#?-$!'.includes(c)) {
      this.pos++;
    }
    let op = s[this.pos] ?? '';
    const n2 = s[this.pos + 1] ?? '';
    if (op === ':' && n2 !== '' && '-=+?'.includes(n2)) op += n2;
    else if ((op === '%' || op === '#') && s[this.pos + 1] === op) op += op;
    if (name) {
      const bare = op.replace(':', '');
      if (bare === '=') this.sink.assigns.add(name); // ${name=word} assigns when unset
      else if (bare !== '-' && bare !== '+') this.ref(name, nameAt); // `}`, `?`, `%`, `#` … read the value
    }
    if (op !== '}') this.pos += op.length;
    this.paramWord(inDq);
  }

  /** The word of `${name op word}` up to the first unquoted `}` (consumed). @param {boolean} inDq */
  paramWord(inDq) {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c === '\\') this.pos += 2;
      else if (c === "'" && !inDq) {
        const close = s.indexOf("'", this.pos + 1);
        this.pos = close < 0 ? s.length : close + 1;
      } else if (c === '"') {
        this.pos++;
        this.dq('"');
      } else if (c === '$') this.dollar(inDq);
      else if (c === '`') this.backtick(inDq);
      else this.pos++;
    }
  }

  /** After `$((`: names are variables; up to the matching `))`. */
  arith() {
    const s = this.src;
    let depth = 0;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '(') {
        depth++;
        this.pos++;
      } else if (c === ')') {
        if (depth === 0) {
          this.pos += s[this.pos + 1] === ')' ? 2 : 1;
          return;
        }
        depth--;
        this.pos++;
      } else if (c === '$') this.dollar(false);
      else if (c === '`') this.backtick(false);
      else if (c === '"') {
        this.pos++;
        this.dq('"');
      } else if (c === '\\') this.pos += 2;
      else if (isNameStart(c)) {
        const start = this.pos;
        while (this.pos < s.length && isNameChar(s[this.pos])) this.pos++;
        const name = s.slice(start, this.pos);
        let p = this.pos;
        while (s[p] === ' ' || s[p] === '\t') p++;
        const after = s.slice(p, p + 3);
        const before = s.slice(Math.max(0, start - 2), start);
        const plainAssign = after[0] === '=' && after[1] !== '=';
        const compound = /^(?:[-+*/%&|^]=|<<=|>>=|\+\+|--)/.test(after) || before === '++' || before === '--';
        if (plainAssign || compound) this.sink.assigns.add(name);
        if (!plainAssign) this.ref(name, start);
      } else if (isDigit(c)) {
        while (this.pos < s.length && (isNameChar(s[this.pos]) || s[this.pos] === '#')) this.pos++; // 42, 0x1f, 8#17
      } else this.pos++;
    }
  }

  /** At a backquote: the command inside, with its backslash escapes undone, scanned as commands. @param {boolean} inDq */
  backtick(inDq) {
    const s = this.src;
    this.pos++;
    let inner = '';
    /** @type {number[]} */
    const map = [];
    while (this.pos < s.length && s[this.pos] !== '`') {
      const n = s[this.pos + 1];
      if (s[this.pos] === '\\' && (n === '$' || n === '`' || n === '\\' || (inDq && n === '"'))) {
        inner += n;
        map.push(this.at(this.pos + 1));
        this.pos += 2;
        continue;
      }
      inner += s[this.pos];
      map.push(this.at(this.pos));
      this.pos++;
    }
    map.push(this.at(this.pos));
    this.pos++;
    if (this.sink.depth >= MAX_DEPTH) return;
    this.sink.depth++;
    new Scanner(inner, this.sink, (i) => map[Math.min(i, map.length - 1)]).commands(null);
    this.sink.depth--;
  }

  /** After the newline that ends a line with `<<` redirections: their bodies, in order. */
  readHeredocs() {
    const s = this.src;
    while (this.heredocs.length > 0) {
      const h = /** @type {Heredoc} */ (this.heredocs.shift());
      const bodyStart = this.pos;
      let bodyEnd = s.length;
      this.pos = s.length;
      for (let p = bodyStart; p < s.length; ) {
        const nl = s.indexOf('\n', p);
        const e = nl < 0 ? s.length : nl;
        const line = h.strip ? s.slice(p, e).replace(/^\t+/, '') : s.slice(p, e);
        if (line === h.delim) {
          bodyEnd = p;
          this.pos = nl < 0 ? s.length : nl + 1;
          break;
        }
        p = e + 1;
      }
      if (!h.quoted && bodyEnd > bodyStart) {
        const sub = new Scanner(s.slice(bodyStart, bodyEnd), this.sink, (i) => this.at(bodyStart + i));
        sub.dq('');
      }
    }
  }

  // ---- command grammar ------------------------------------------------------------------------------------

  /**
   * A list of commands up to the end of the text, or up to the `)` closing a `$(` when `closer` is ')'.
   * Every iteration consumes a token, and the lexer always advances or reports eof, so this terminates.
   * @param {')' | null} closer
   */
  commands(closer) {
    let state = START;
    /** @type {Array<'paren' | 'case'>} */
    const frames = [];
    /** @type {Cmd | null} */
    let cmd = null;
    const inCase = () => frames[frames.length - 1] === 'case';
    for (;;) {
      const tok = this.next();
      if (tok.t === 'eof') return;
      if (tok.t === 'redir') {
        const target = this.next(); // a file, fd or here-document delimiter: never a command
        if (target.t !== 'word') this.peeked = target;
        else if (tok.v === '<<' || tok.v === '<<-') this.heredocs.push(this.heredoc(target, tok.v === '<<-'));
        continue;
      }
      if (tok.t === 'op') {
        const v = tok.v;
        if (v === '(') {
          if (state === ARGS && cmd && cmd.argc === 0 && cmd.fn) {
            // NAME ( ) compound-command: a function definition
            this.sink.functions.add(cmd.fn);
            const close = this.next();
            if (!(close.t === 'op' && close.v === ')')) this.peeked = close;
            state = START;
            cmd = null;
          } else if (state === START) frames.push('paren');
          continue;
        }
        if (v === ')') {
          if (state === PATTERN) state = START;
          else if (frames[frames.length - 1] === 'paren') {
            frames.pop();
            state = START;
          } else if (closer === ')') return;
          cmd = null;
          continue;
        }
        if (v === ';;') {
          state = inCase() ? PATTERN : START;
          cmd = null;
          continue;
        }
        if (v === '|' && state === PATTERN) continue;
        if ((v === '\n' || v === ';') && (state === FOR_AFTER_NAME || state === CASE_IN || state === PATTERN || state === CASE_WORD)) continue;
        state = START;
        cmd = null;
        continue;
      }
      // a word
      const kw = tok.plain ? tok.lit : null;
      switch (state) {
        case START:
          if (kw === 'for') state = FOR_NAME;
          else if (kw === 'case') state = CASE_WORD;
          else if (kw === 'esac') {
            if (inCase()) frames.pop();
          } else if (kw !== null && TRANSPARENT.has(kw)) {
            // stays START
          } else if (tok.assign) this.sink.assigns.add(tok.assign);
          else {
            cmd = this.command(tok, false);
            state = ARGS;
          }
          break;
        case ARGS:
          cmd = this.argument(/** @type {Cmd} */ (cmd), tok);
          break;
        case FOR_NAME:
          if (NAME.test(tok.lit) && !tok.expanded) this.sink.assigns.add(tok.lit);
          state = FOR_AFTER_NAME;
          break;
        case FOR_AFTER_NAME:
          state = kw === 'in' ? FOR_WORDS : START;
          break;
        case FOR_WORDS:
          break; // the loop's values: expansions already scanned, no commands
        case CASE_WORD:
          state = CASE_IN;
          break;
        case CASE_IN:
          frames.push('case');
          state = PATTERN;
          break;
        default: // PATTERN
          if (kw === 'esac') {
            if (inCase()) frames.pop();
            state = START;
          }
      }
    }
  }

  /**
   * `<<WORD`: the delimiter is the word after quote removal; any quoting turns expansion off.
   * @param {Word} w @param {boolean} strip
   * @returns {Heredoc}
   */
  heredoc(w, strip) {
    const delim = w.expanded ? this.src.slice(w.start, w.end).replace(/["'\\]/g, '') : w.lit;
    return { delim, strip, quoted: w.quoted };
  }

  /**
   * The name word of a simple command: records it when it is a PATH lookup.
   * @param {Word} w @param {boolean} direct run by a wrapper that bypasses shell functions
   * @returns {Cmd}
   */
  command(w, direct) {
    const name = w.lit;
    const fixed = !w.expanded && name !== '' && !name.includes('/');
    if (!fixed) return { kind: 'plain', argc: 0, skip: 0, fn: null };
    if (!SHELL_BUILTINS.has(name)) this.sink.commands.push({ name, at: this.at(w.start), direct });
    return { kind: KINDS[name] ?? 'plain', argc: 0, skip: 0, fn: direct ? null : name };
  }

  /**
   * One argument word of the current simple command; returns the command that continues (a wrapper such as
   * `env` hands over to the command it runs).
   * @param {Cmd} cmd @param {Word} w
   * @returns {Cmd}
   */
  argument(cmd, w) {
    cmd.argc++;
    if (cmd.skip > 0) {
      cmd.skip--;
      return cmd;
    }
    const lit = w.plain ? w.lit : null;
    const option = lit !== null && lit.startsWith('-') && lit !== '-';
    switch (cmd.kind) {
      case 'declare': // export / readonly / local NAME[=value]
        if (w.assign) this.sink.assigns.add(w.assign);
        else if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'read':
        if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'unset':
        if (lit === '-f') cmd.kind = 'plain'; // functions, not variables
        else if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'getopts':
        if (cmd.argc === 2 && lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        if (cmd.argc === 2) this.sink.assigns.add('OPTARG');
        return cmd;
      case 'command':
        if (option && /[vV]/.test(lit)) cmd.kind = 'plain'; // command -v x: a lookup, x does not run
        if (option) return cmd;
        return this.command(w, true);
      case 'exec':
      case 'nohup':
        if (lit === '--') return cmd;
        return this.command(w, true);
      case 'time':
        if (lit === '-p') return cmd;
        return this.command(w, false);
      case 'env':
        if (lit === '-u') cmd.skip = 1;
        if (option || w.assign) return cmd; // env's NAME=value is the child's environment, not ours
        return this.command(w, true);
      case 'nice':
        if (lit === '-n') cmd.skip = 1;
        if (option) return cmd;
        return this.command(w, true);
      default:
        return cmd;
    }
  }
}

/**
 * Commands, variable references and assignments of one body that parsed.
 * @param {string} body @returns {ShellInfo}
 */
function extract(body) {
  /** @type {Sink} */
  const sink = { commands: [], refs: [], assigns: new Set(), functions: new Set(), depth: 0 };
  const scanner = new Scanner(body, sink, (i) => i);
  try {
    scanner.commands(null);
  } catch {
    // Not expected for any input; what was found so far is still right, and nothing may throw.
  }
  // Names defined as functions anywhere in the body are not PATH lookups (unless run through `command` & co.).
  const lineStarts = [0];
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const pos = (/** @type {number} */ off) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: off - lineStarts[lo] + 1 };
  };
  return {
    error: null,
    commands: sink.commands.filter((c) => c.direct || !sink.functions.has(c.name)).sort((a, b) => a.at - b.at).map((c) => ({ name: c.name, ...pos(c.at) })),
    refs: sink.refs.filter((r) => !sink.assigns.has(r.name)).sort((a, b) => a.at - b.at).map((r) => ({ name: r.name, ...pos(r.at) })),
    assigns: [...sink.assigns].sort(), // sort for determinism
  };
}

/**
 * Extraction alone, for a body known to parse (what `analyzeShell` reports for it). Never throws, whatever
 * the text.
 * @param {string} body @returns {ShellInfo}
 */
export function scanShell(body) {
  return extract(typeof body === 'string' ? body : String(body ?? ''));
}

/** Deep-freezes a result shared by every occurrence of the same body. @param {ShellInfo} info */
function freeze(info) {
  for (const list of [info.commands, info.refs]) for (const x of list) Object.freeze(x);
  Object.freeze(info.commands);
  Object.freeze(info.refs);
  Object.freeze(info.assigns);
  if (info.error) Object.freeze(info.error);
  return Object.freeze(info);
}

/**
 * Validates and analyses step bodies. The result has the same order and length as `bodies`; identical bodies
 * share one frozen result. Never throws.
 * @param {string[]} bodies
 * @param {ShellOptions} [options]
 * @returns {Promise<ShellInfo[]>}
 */
export async function analyzeShell(bodies, options = {}) {
  const texts = Array.isArray(bodies) ? bodies.map((b) => (typeof b === 'string' ? b : String(b ?? ''))) : [];
  /** @type {Map<string, number>} */
  const index = new Map();
  /** @type {string[]} */
  const unique = [];
  const slot = texts.map((t) => {
    let i = index.get(t);
    if (i === undefined) {
      i = unique.length;
      index.set(t, i);
      unique.push(t);
    }
    return i;
  });
  /** @type {Array<ShellError | null>} */
  let errors;
  try {
    const engine = await getEngine(options.engine ?? 'auto');
    const size = options.batchBytes;
    errors = await validate(unique, engine, typeof size === 'number' && size > 0 ? size : engine.batchBytes);
  } catch (err) {
    const message = `the shell parser could not run (${String(/** @type {any} */ (err)?.message ?? err)})`;
    errors = unique.map(() => ({ message, line: 1, col: 1 }));
  }
  const infos = unique.map((body, i) => {
    const error = errors[i];
    return freeze(error ? { error, commands: [], refs: [], assigns: [] } : extract(body));
  });
  return slot.map((i) => infos[i]);
}
