// The shell engine's answers carried from one run to the next: each step body's analysis (its syntax error, or
// the commands it runs and the variables it reads and sets; compiler/bodies.ts) and its formatted text
// (format.ts), kept in serpentc's cache directory and trusted only under the same code key as the run cache
// (serpentc's compiled code, templates, dependency versions and Node version: any of them changed, and the memo
// is another one). A run whose bodies are all known starts no shell parser at all: the parser module is neither
// compiled nor instantiated. It can only skip work: both answers depend on nothing but the body's text and that
// code, and a missing, unreadable, corrupt or foreign memo is an empty one; a write that fails is dropped.
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { knownAnalyses, learnAnalyses } from '../bodies.js';
import { freezeInfo, isParserFailure } from '../shell/index.js';
import type { ShellInfo, ShellName } from '../shell/types.js';
import { cacheDir, writeRecord } from './cache.js';
import { knownFormats, learnFormats } from './format.js';
import { codeKey } from './run-cache.js';

/** The memo's file in the cache directory: one per user, shared by every recipe directory and output. */
export const MEMO_FILE = 'shell-memo.json';
/**
 * The most recently used answers of each kind that a memo keeps: stages/ has ~70 distinct bodies, 10,000
 * synthetic packages a few hundred; this bounds the file (and the time to read it) whatever runs came before.
 */
export const MEMO_MAX = 20000;

interface MemoRecord {
  readonly version: 1;
  readonly key: string;
  /** [body, analysis], least recently used first */
  readonly analyses: readonly (readonly [string, ShellInfo])[];
  /** [body, formatted body], least recently used first */
  readonly formats: readonly (readonly [string, string])[];
}

/** The shell memo of one process: read at start into the process's caches, saved at the end. */
export interface OpenShellMemo {
  /** How many answers of each kind the memo gave this process (none: the shell parser will be needed). */
  readonly analyses: number;
  readonly formats: number;
  /**
   * Writes this process's most recently used answers (temporary file and rename) when it learnt any the memo
   * lacked; never throws. A parser's failure (a crash, a parser that did not start, a body the printer could not
   * print) is left out: the next run asks again.
   */
  save(): void;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function isName(x: unknown): x is ShellName {
  if (typeof x !== 'object' || x === null) return false;
  const n = x as Record<string, unknown>;
  return typeof n.name === 'string' && isCount(n.line) && isCount(n.col);
}

/** What analyzeShell returns, shape for shape: a memo edited by hand must not reach the checker as anything else. */
function isInfo(x: unknown): x is ShellInfo {
  if (typeof x !== 'object' || x === null) return false;
  const i = x as Record<string, unknown>;
  const e = i.error as Record<string, unknown> | null;
  return (
    (e === null || (typeof e === 'object' && typeof e.message === 'string' && isCount(e.line) && isCount(e.col))) &&
    Array.isArray(i.commands) &&
    i.commands.every(isName) &&
    Array.isArray(i.refs) &&
    i.refs.every(isName) &&
    Array.isArray(i.assigns) &&
    i.assigns.every((a) => typeof a === 'string')
  );
}

const isPair = (x: unknown): x is readonly [string, unknown] =>
  Array.isArray(x) && x.length === 2 && typeof x[0] === 'string';

/**
 * Reads the memo into this process's caches (bodies.ts, format.ts), which are then expected to be empty. Null
 * when the cache is off or has no home; otherwise the memo to save after the run (with no answers when there was
 * nothing usable to read).
 */
export function openShellMemo(): OpenShellMemo | null {
  const dir = cacheDir();
  if (dir === null) return null;
  const path = join(dir, MEMO_FILE);
  const key = codeKey();
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return opened(path, key, { analyses: 0, formats: 0 });
  }
  const r = record as Partial<MemoRecord> | null;
  if (r?.version !== 1 || r.key !== key || !Array.isArray(r.analyses) || !Array.isArray(r.formats)) {
    return opened(path, key, { analyses: 0, formats: 0 });
  }
  const analyses: [string, ShellInfo][] = [];
  for (const e of r.analyses.slice(-MEMO_MAX) as unknown[]) {
    if (isPair(e) && isInfo(e[1])) analyses.push([e[0], freezeInfo(e[1])]);
  }
  const formats: [string, string][] = [];
  for (const e of r.formats.slice(-MEMO_MAX) as unknown[]) {
    if (isPair(e) && typeof e[1] === 'string') formats.push([e[0], e[1]]);
  }
  learnAnalyses(analyses);
  learnFormats(formats);
  try {
    const now = new Date();
    utimesSync(path, now, now); // used: kept by cache.ts's pruning of records unused for 30 days
  } catch {
    // only a cache
  }
  return opened(path, key, { analyses: analyses.length, formats: formats.length });
}

/** The memo at `path` under `key`, which gave this process `given` answers of each kind. */
function opened(path: string, key: string, given: { analyses: number; formats: number }): OpenShellMemo {
  return {
    ...given,
    save() {
      const analyses = [...knownAnalyses()].filter(([, info]) => !info.error || !isParserFailure(info.error));
      const formats = knownFormats();
      if (analyses.length === given.analyses && formats.length === given.formats) return; // nothing learnt
      const record: MemoRecord = {
        version: 1,
        key,
        analyses: analyses.slice(-MEMO_MAX),
        formats: formats.slice(-MEMO_MAX),
      };
      writeRecord(path, record);
    },
  };
}
