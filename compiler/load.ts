// Reads a recipe directory: every `*.recipe` file below it, in sorted path order, parsed into ASTs; a file that
// is not UTF-8 is reported at its first invalid byte and not parsed.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve as resolvePath, sep } from 'node:path';
import { BOM } from '../grammar/chars.js';
import type { ParseResult, Span } from '../grammar/index.js';
import { spans } from '../grammar/loc.js';
import type { FileNode, LayerDecl } from '../grammar/syntax.js';
import { NOTES } from './diagnostics/catalogue.js';
import type { Sink } from './diagnostics/diagnostic.js';
import { bug, ioReason } from './util.js';
import { walk } from './walk.js';

export { recipePaths } from './walk.js';

/** Where a file stops being UTF-8: the first such byte, and its offset in the text as decoded. */
export interface InvalidUtf8 {
  readonly offset: number;
  readonly byte: number;
}

/**
 * A recipe text: `display` is the path diagnostics show, `rel` its path relative to the stages directory.
 * `invalid`: the file was not UTF-8 (readRecipe); such a text is reported, never parsed.
 */
export interface RecipeSource extends RecipeText {
  readonly display: string;
  readonly rel: string;
}

/** A recipe file's text, with where it stops being UTF-8 when it does (readRecipe). */
export interface RecipeText {
  readonly text: string;
  readonly invalid?: InvalidUtf8;
}

/**
 * Reads a recipe file as UTF-8 text; throws what readFileSync throws. A file with bytes that are no part of a
 * UTF-8 character (a Latin-1 `é`, say) comes with `invalid`: decoding would put U+FFFD in their place, which
 * would then pass into generated scripts, or be written back by `serpentc fmt`, and the user's bytes be lost.
 */
export function readRecipe(path: string): RecipeText {
  const bytes = readFileSync(path);
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return { text };
  const at = firstInvalidByte(bytes);
  return { text, invalid: { offset: bytes.toString('utf8', 0, at).length, byte: bytes[at] } };
}

/** bad-encoding at the first invalid byte of `text` (a file's text as readRecipe gave it, byte order mark and all). */
export function reportInvalid(sink: Sink, display: string, text: string, invalid: InvalidUtf8): void {
  const bom = text.startsWith(BOM) ? BOM.length : 0; // the diagnostics' texts and offsets are without it
  const offset = invalid.offset - bom;
  sink.error(
    'bad-encoding',
    spans(display, text.slice(bom))(offset, offset),
    { byte: invalid.byte },
    invalid.byte >= 0xa0 ? [NOTES.latin1(invalid.byte)] : [],
  );
}

/**
 * The offset of the first byte of `bytes` that does not start a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or of the lead byte of a sequence cut short.
 * Only called on bytes isUtf8 rejected.
 */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // the number of continuation bytes, and the range the first of them must fall in (the lead byte's rules)
    const [n, lo, hi] =
      b >= 0xc2 && b <= 0xdf
        ? [1, 0x80, 0xbf]
        : b >= 0xe0 && b <= 0xef
          ? [2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf]
          : b >= 0xf0 && b <= 0xf4
            ? [3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf]
            : [-1, 0, 0];
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length; // not reached for bytes isUtf8 rejected
}

/**
 * Parse results kept from earlier runs (emit/parse-memo.ts): `get` gives the result of parsing `text` as
 * `display` when it is known, `set` offers one that was just made.
 */
export interface ParseMemo {
  get(display: string, text: string): ParseResult | undefined;
  set(display: string, text: string, result: ParseResult): void;
}

export interface Loaded {
  readonly files: readonly FileNode[];
  /** display path → spans a syntax error damaged (grammar/recovery.ts); only files that have any */
  readonly damaged: ReadonlyMap<string, readonly Span[]>;
  /** display path → source text (for diagnostics) */
  readonly texts: ReadonlyMap<string, string>;
  /** display path → path relative to the stages directory */
  readonly relOf: ReadonlyMap<string, string>;
}

/** A layer as loaded: its declaration and its recipe files. */
export interface LoadedLayer {
  readonly decl: LayerDecl;
  readonly files: readonly FileNode[];
}

/** A base directory with the layers built on it. */
export interface LoadedSet extends Loaded {
  /** The base's files; `files` holds every file of the set. */
  readonly base: readonly FileNode[];
  readonly layers: readonly LoadedLayer[];
  /** The base directory is itself a layer (reported). */
  readonly baseIsLayer: boolean;
}

/**
 * Loads a base recipe directory and the layer directories built on it, in order. A directory holding a file
 * that declares `layer NAME` is a layer: loading a directory leaves out the layers below it (so `stages/` does
 * not pick up `stages/layers/host-llvm/`); the base must be no layer, each further directory must be one.
 * Paths relative to the stages directory (patches, files, plan locations) are relative to the base.
 */
export async function loadSet(dirs: readonly string[], sink: Sink, memo?: ParseMemo): Promise<LoadedSet> {
  const base = dirs[0] ?? '.';
  const files: FileNode[] = [];
  const texts = new Map<string, string>();
  const relOf = new Map<string, string>();
  const damaged = new Map<string, readonly Span[]>();
  const sets: FileNode[][] = [];
  const layers: LoadedLayer[] = [];
  let baseIsLayer = false;
  const all = await Promise.all(dirs.map((dir) => load(dir, sink, memo)));
  dirs.forEach((dir, i) => {
    const loaded = all[i];
    const own = resolvePath(dir);
    /** directories of the layers declared below `dir` (and `dir` itself, when it is one) */
    const roots = new Map<string, LayerDecl>();
    for (const f of loaded.files) {
      for (const d of f.decls) {
        const root = resolvePath(dirname(f.file));
        if (d.kind === 'Layer' && !roots.has(root)) roots.set(root, d);
      }
    }
    const nested = [...roots.keys()].filter((r) => r !== own);
    const kept = loaded.files.filter((f) => !nested.some((r) => isBelow(resolvePath(f.file), r)));
    for (const f of kept) {
      files.push(f);
      texts.set(f.file, loaded.texts.get(f.file) ?? '');
      relOf.set(f.file, relative(base, f.file).split(sep).join('/'));
      const d = loaded.damaged.get(f.file);
      if (d) damaged.set(f.file, d);
    }
    const decl = roots.get(own);
    // two layer declarations in one directory are two definitions of a layer: resolve-style duplicate
    const declared = kept.flatMap((f) => f.decls.filter((d): d is LayerDecl => d.kind === 'Layer'));
    for (const extra of declared.filter((d) => d !== decl)) {
      if (decl && resolvePath(dirname(extra.loc.file)) === own)
        sink.error('duplicate-definition', extra.name.loc, { kind: 'decl', decl: 'layer', name: extra.name.name }, [
          NOTES.firstDefined(decl.name.loc),
        ]);
    }
    if (i === 0) {
      if (decl) {
        sink.error('layer-mismatch', decl.name.loc, { kind: 'layer-as-base', dir, layer: decl.name.name });
        baseIsLayer = true;
      }
      sets.push(kept);
    } else if (!decl) {
      if (loaded.files.length) sink.error('layer-mismatch', null, { kind: 'base-as-layer', dir });
    } else {
      // changes are told apart by their layer's name (one change per thing per layer), and a directory given
      // twice would apply its changes twice
      const first = layers.find((l) => l.decl.name.name === decl.name.name);
      if (first?.decl.loc.file === decl.loc.file)
        sink.error('duplicate-definition', decl.name.loc, { kind: 'layer-dir', dir, layer: decl.name.name });
      else if (first)
        sink.error('duplicate-definition', decl.name.loc, { kind: 'decl', decl: 'layer', name: decl.name.name }, [
          NOTES.firstDefined(first.decl.name.loc),
        ]);
      else layers.push({ decl, files: kept });
    }
  });
  return { files, texts, relOf, damaged, base: sets[0] ?? [], layers, baseIsLayer };
}

const isBelow = (path: string, dir: string): boolean => path.startsWith(`${dir}${sep}`);

/** @param dir the recipe directory as the user wrote it (used for display paths) */
export async function load(dir: string, sink: Sink, memo?: ParseMemo): Promise<Loaded> {
  let paths: string[];
  try {
    paths = walk(dir, sink, new Map());
  } catch (e) {
    sink.error('io-error', null, { kind: 'dir', path: dir, reason: ioReason(e) });
    return { files: [], texts: new Map(), relOf: new Map(), damaged: new Map() };
  }
  if (paths.length === 0) {
    sink.error('no-recipes', null, { dir });
  }
  const sources: RecipeSource[] = [];
  for (const path of paths) {
    try {
      sources.push({ display: path, rel: relative(dir, path).split(sep).join('/'), ...readRecipe(path) });
    } catch (e) {
      sink.error('io-error', null, { kind: 'file', path, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return parseAll(sources, sink, memo);
}

/**
 * Parses recipe texts (a leading byte order mark dropped). The grammar (chevrotain, the lexer and the parser:
 * about 0.1 s to load and build) is loaded only when `memo` does not know every text.
 */
export async function parseAll(sources: readonly RecipeSource[], sink: Sink, memo?: ParseMemo): Promise<Loaded> {
  const files: FileNode[] = [];
  const texts = new Map<string, string>();
  const relOf = new Map<string, string>();
  const damaged = new Map<string, readonly Span[]>();
  // A byte order mark (editors on Windows write one) is no part of the recipe: dropped, so the first line's
  // columns are those an editor shows, and the excerpts are made from the same text.
  const bom = (source: RecipeSource): number => (source.text.startsWith(BOM) ? BOM.length : 0);
  const textOf = (source: RecipeSource): string => source.text.slice(bom(source));
  const known = sources.map((source) => (source.invalid ? null : memo?.get(source.display, textOf(source))));
  const grammar = known.every((r) => r !== undefined) ? null : await import('../grammar/index.js');
  sources.forEach((source, i) => {
    const { display, rel, invalid } = source;
    const text = textOf(source);
    texts.set(display, text);
    relOf.set(display, rel);
    if (invalid) {
      // Not parsed: what it declares is unknown, so the whole file counts as damaged (nothing that needs every
      // declaration is reported), as after a syntax error.
      reportInvalid(sink, display, source.text, invalid);
      damaged.set(display, [{ from: 0, to: text.length + 1 }]);
      files.push({ kind: 'File', file: display, text, decls: [] });
      return;
    }
    let parsed = known[i];
    if (parsed === null) throw bug(`no parse for ${display}`);
    if (parsed === undefined) {
      if (!grammar) throw bug(`no parser for ${display}`);
      parsed = grammar.parse(display, text);
      memo?.set(display, text, parsed);
    }
    sink.addAll(parsed.diagnostics);
    if (parsed.damaged.length) damaged.set(display, parsed.damaged);
    files.push(parsed.ast);
  });
  return { files, texts, relOf, damaged };
}
