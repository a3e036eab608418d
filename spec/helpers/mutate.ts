// The mutation corpus: single, human-sized edit mistakes applied to the real recipes of stages/, deterministic
// for a seed. Used by spec/mutations.test.ts (the goals of issue 10) and bench/mutations.ts (the figures).
// Each mutation is one slip a recipe author makes: a character dropped, doubled or swapped, a stray or
// missing delimiter, a line deleted or duplicated, a word misspelt.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../bench/synth.js';
import { compileSources } from '../../compiler/index.js';
import { byCodeUnit } from '../../compiler/util.js';

export interface Source {
  readonly rel: string;
  readonly text: string;
}

export interface Mutant {
  readonly files: readonly Source[];
  /** which file was changed, and how (for failure messages) */
  readonly rel: string;
  readonly op: string;
  readonly offset: number;
}

/** Every `*.recipe` below `dir`, in the order the compiler reads them. */
export function readRecipes(dir: string): Source[] {
  const out: Source[] = [];
  const walk = (d: string, prefix: string) => {
    // sort for determinism
    for (const name of readdirSync(d).sort(byCodeUnit)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else if (name.endsWith('.recipe')) out.push({ rel: `${prefix}${name}`, text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir, '');
  return out;
}

const STRAY = ['}', '{', ']', '[', '"', '=', ',', '(', ')', '"""'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

type Op = (rand: () => number, text: string) => { text: string; offset: number };

/** A random position whose character satisfies `ok`, or -1. */
function pick(rand: () => number, text: string, ok: (c: string) => boolean): number {
  for (let tries = 0; tries < 50; tries++) {
    const i = Math.floor(rand() * text.length);
    if (ok(text[i])) return i;
  }
  return -1;
}

const lineStart = (t: string, i: number) => t.lastIndexOf('\n', i - 1) + 1;
const lineEnd = (t: string, i: number) => {
  const e = t.indexOf('\n', i);
  return e < 0 ? t.length : e + 1;
};

/** The mutation operators, by name; each changes one small thing. */
export const OPS: Readonly<Record<string, Op>> = {
  'delete-char': (r, t) => {
    const i = pick(r, t, (c) => c !== '\n');
    return { text: t.slice(0, i) + t.slice(i + 1), offset: i };
  },
  'delete-delimiter': (r, t) => {
    const i = pick(r, t, (c) => '{}[]()"='.includes(c));
    return { text: i < 0 ? t : t.slice(0, i) + t.slice(i + 1), offset: i };
  },
  'double-char': (r, t) => {
    const i = pick(r, t, (c) => c !== '\n');
    return { text: t.slice(0, i) + t[i] + t.slice(i), offset: i };
  },
  'swap-chars': (r, t) => {
    const i = pick(r, t, (c) => /\w/.test(c));
    if (i < 0 || i + 1 >= t.length) return { text: t, offset: i };
    return { text: t.slice(0, i) + t[i + 1] + t[i] + t.slice(i + 2), offset: i };
  },
  'stray-delimiter': (r, t) => {
    const i = Math.floor(r() * t.length);
    return { text: t.slice(0, i) + STRAY[Math.floor(r() * STRAY.length)] + t.slice(i), offset: i };
  },
  'misspell-word': (r, t) => {
    const i = pick(r, t, (c) => /[a-z]/.test(c));
    return { text: t.slice(0, i) + LETTERS[Math.floor(r() * LETTERS.length)] + t.slice(i + 1), offset: i };
  },
  'delete-line': (r, t) => {
    const i = Math.floor(r() * t.length);
    return { text: t.slice(0, lineStart(t, i)) + t.slice(lineEnd(t, i)), offset: lineStart(t, i) };
  },
  'duplicate-line': (r, t) => {
    const i = Math.floor(r() * t.length);
    const [s, e] = [lineStart(t, i), lineEnd(t, i)];
    return { text: t.slice(0, e) + t.slice(s, e) + t.slice(e), offset: s };
  },
};

const OP_NAMES = Object.keys(OPS).sort(byCodeUnit); // sort for determinism

/** One mutant: one operator applied once to one file of `base`. */
export function mutant(rand: () => number, base: readonly Source[]): Mutant {
  const k = Math.floor(rand() * base.length);
  const op = OP_NAMES[Math.floor(rand() * OP_NAMES.length)];
  const { text, offset } = OPS[op](rand, base[k].text);
  const files = base.map((f, i) => (i === k ? { rel: f.rel, text } : f));
  return { files, rel: base[k].rel, op, offset };
}

export interface Tally {
  runs: number;
  /** runs the mutation made fail (any error) */
  failing: number;
  /** failing runs that report exactly one error */
  single: number;
  /** runs where the compiler threw (an exit 3) */
  crashed: number;
}

export interface CorpusResult {
  readonly total: Tally;
  readonly byOp: ReadonlyMap<string, Tally>;
  /** one line per multi-error or crashed run (for a failure message or a verbose bench) */
  readonly report: readonly string[];
  readonly seconds: number;
}

/** Compiles `runs` mutants of the recipes in `stagesDir` in-process and counts the outcomes. */
export async function runCorpus(stagesDir: string, runs: number, seed: number): Promise<CorpusResult> {
  const base = readRecipes(stagesDir);
  const rand = prng(seed);
  const blank = (): Tally => ({ runs: 0, failing: 0, single: 0, crashed: 0 });
  const total = blank();
  const byOp = new Map<string, Tally>();
  const report: string[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    const m = mutant(rand, base);
    const t = byOp.get(m.op) ?? blank();
    byOp.set(m.op, t);
    const count = (k: keyof Tally) => {
      t[k]++;
      total[k]++;
    };
    count('runs');
    try {
      const res = await compileSources(m.files, { stagesDir });
      const errors = res.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length === 0) continue;
      count('failing');
      if (errors.length === 1) count('single');
      else
        report.push(
          `#${i} ${m.op} ${m.rel}@${m.offset}: ${errors.length} errors: ${errors.map((d) => `${d.loc?.file ?? ''}:${d.loc?.line ?? 0} ${d.code}`).join(', ')}`,
        );
    } catch (e) {
      count('crashed');
      report.push(
        `#${i} ${m.op} ${m.rel}@${m.offset} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    }
  }
  return { total, byOp, report, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The figures as a table: per operator and in all, runs, failing runs, the one-error share and crashes. */
export function formatCorpus(r: CorpusResult, seed: number): string {
  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '-').padStart(6);
  const lines = ['operator          runs  failing  one-error-%  crashed'];
  // sort for determinism
  const rows = [...r.byOp].sort(([a], [b]) => byCodeUnit(a, b));
  for (const [op, t] of [...rows, ['all', r.total] as const])
    lines.push(
      `${op.padEnd(16)} ${String(t.runs).padStart(5)}  ${String(t.failing).padStart(7)}  ${pct(t.single, t.failing)}%     ${String(t.crashed).padStart(4)}`,
    );
  lines.push(`seed ${seed}, ${r.total.runs} runs in ${r.seconds.toFixed(1)} s`);
  return lines.join('\n');
}
