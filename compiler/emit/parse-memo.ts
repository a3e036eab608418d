// Recipe parse results carried from one run to the next, so that a run whose recipe files are all unchanged
// loads no grammar at all (chevrotain, the lexer and the parser: about 0.1 s to load and build) and parses
// nothing. A result depends on nothing but the file's display path (copied into every location), its text and
// serpentc's code: it is kept in serpentc's cache directory under the run cache's code key, for clean parses
// only (no diagnostic, nothing damaged). The file is a header line (version, key, and the sha256 of the rest)
// and the entries as one JSON text: a memo that is missing, of another key, cut short or altered in any byte is
// an empty one. It can only skip work; a write that fails is dropped.
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseResult } from '../../grammar/index.js';
import type { FileNode } from '../../grammar/syntax.js';
import type { ParseMemo } from '../load.js';
import { cacheDir, writeText } from './cache.js';
import { codeKey } from './run-cache.js';

/** The memo's file in the cache directory: one per user, shared by every recipe directory. */
export const PARSE_MEMO_FILE = 'parse-memo.json';
/** The most recently used files a memo keeps: stages/ and its layer have 41; this bounds the file. */
export const PARSE_MEMO_MAX = 2000;

/** [display path, sha256 of the text, the file's declarations]; no diagnostic, nothing damaged. */
type Entry = readonly [display: string, sha256: string, decls: FileNode['decls']];

interface Header {
  readonly version: 1;
  readonly key: string;
  /** sha256 of the entries' JSON text, the rest of the file */
  readonly digest: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The parse memo of one process: read at start, offered every new clean result, saved at the end. */
export interface OpenParseMemo extends ParseMemo {
  /** Writes the most recently used results when this run parsed a file the memo lacked; never throws. */
  save(): void;
}

/** The memo of this serpentc's code, read now; null when the cache is off or has no home. */
export function openParseMemo(): OpenParseMemo | null {
  const dir = cacheDir();
  if (dir === null) return null;
  const path = join(dir, PARSE_MEMO_FILE);
  const key = codeKey();
  /** `${display}\0${sha256}` → entry, least recently used first */
  const entries = new Map<string, Entry>();
  let learnt = false;
  try {
    const text = readFileSync(path, 'utf8');
    const nl = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, nl)) as Partial<Header> | null;
    const body = text.slice(nl + 1);
    if (nl > 0 && header?.version === 1 && header.key === key && header.digest === sha256(body)) {
      for (const e of JSON.parse(body) as Entry[]) entries.set(`${e[0]}\0${e[1]}`, e);
      const now = new Date();
      utimesSync(path, now, now); // used: kept by cache.ts's pruning of records unused for 30 days
    }
  } catch {
    // no memo, or not this one: every file is parsed
  }
  return {
    get(display, text) {
      const id = `${display}\0${sha256(text)}`;
      const e = entries.get(id);
      if (!e) return undefined;
      entries.delete(id); // used now: to the end of the order
      entries.set(id, e);
      const ast: FileNode = { kind: 'File', file: display, text, decls: e[2] };
      return { ast, diagnostics: [], damaged: [] } satisfies ParseResult;
    },
    set(display, text, result) {
      if (result.diagnostics.length || result.damaged.length) return; // only a clean parse is an answer
      const sum = sha256(text);
      entries.set(`${display}\0${sum}`, [display, sum, result.ast.decls]);
      learnt = true;
    },
    save() {
      if (!learnt) return;
      const body = JSON.stringify([...entries.values()].slice(-PARSE_MEMO_MAX));
      const header: Header = { version: 1, key, digest: sha256(body) };
      writeText(path, `${JSON.stringify(header)}\n${body}`);
    },
  };
}
