// The golden cases: spec/cases/<area>/<name>/input/ is a recipe directory read together with the one shared
// spec/cases/base.recipe (a default target, stage1, stage2 with a chroot, a tools package), unless the case
// holds a `standalone` file saying why it must not have it (e.g. a case about having no default target). A
// `layers` file lists layer directories inside input/ that are built on it, in order.
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byCodeUnit } from '../../compiler/util.js';
import { SPEC_DIR } from './paths.js';

export const CASES_DIR = join(SPEC_DIR, 'cases');
const BASE = 'base.recipe';

export interface Case {
  readonly area: string;
  readonly name: string;
  /** spec/cases/<area>/<name>/ (expected.txt, graph.json, target, standalone) */
  readonly dir: string;
  /** The case's own recipes: spec/cases/<area>/<name>/input/ */
  readonly input: string;
  readonly standalone: boolean;
}

export function caseOf(area: string, name: string): Case {
  const dir = join(CASES_DIR, area, name);
  return { area, name, dir, input: join(dir, 'input'), standalone: existsSync(join(dir, 'standalone')) };
}

/** Every case with an input directory, sorted by area and name. */
export function listCases(area?: string): Case[] {
  const out: Case[] = [];
  // sort for determinism
  for (const a of readdirSync(CASES_DIR).sort()) {
    if ((area !== undefined && a !== area) || !statSync(join(CASES_DIR, a)).isDirectory()) continue;
    for (const name of readdirSync(join(CASES_DIR, a)).sort()) {
      const c = caseOf(a, name);
      if (existsSync(c.input)) out.push(c);
    }
  }
  return out;
}

/**
 * The recipe directories a case compiles: its input, then the layers its `layers` file lists (one directory
 * relative to the input a line, bottom first), e.g. `layers/host`.
 */
export function caseDirs(c: Case): string[] {
  const input = caseDir(c);
  const f = join(c.dir, 'layers');
  if (!existsSync(f)) return [input];
  const layers = readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return [input, ...layers.map((l) => join(input, l.trim()))];
}

/** The `--target` a case selects (its `target` file), if any. */
export function caseTarget(c: Case): { target?: string } {
  const f = join(c.dir, 'target');
  return existsSync(f) ? { target: readFileSync(f, 'utf8').trim() } : {};
}

/**
 * The case's recipes as the compiler reads a directory: `*.recipe` files in path order (entries of each
 * directory sorted by name), base.recipe among the top-level ones.
 */
export function caseSources(c: Case): Array<{ rel: string; text: string }> {
  const out: Array<{ rel: string; text: string }> = [];
  const walk = (dir: string, prefix: string, extra: readonly string[]) => {
    // sort for determinism
    for (const name of [...readdirSync(dir), ...extra].sort(byCodeUnit)) {
      const path = extra.includes(name) ? join(CASES_DIR, name) : join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`, []);
      else if (name.endsWith('.recipe')) out.push({ rel: `${prefix}${name}`, text: readFileSync(path, 'utf8') });
    }
  };
  walk(c.input, '', c.standalone ? [] : [BASE]);
  return out;
}

let scratch: string | null = null;

/**
 * A recipe directory with the case's input and base.recipe, for what reads a directory (compile, the CLI): the
 * input itself for a standalone case, else a copy under a temporary directory (see removeCaseDirs).
 */
export function caseDir(c: Case): string {
  if (c.standalone) return c.input;
  scratch ??= mkdtempSync(join(tmpdir(), 'serpentc-cases-'));
  const dir = join(scratch, c.area, c.name, 'input');
  if (!existsSync(dir)) {
    cpSync(c.input, dir, { recursive: true, verbatimSymlinks: true });
    copyFileSync(join(CASES_DIR, BASE), join(dir, BASE));
  }
  return dir;
}

/** Removes the copies caseDir made. */
export function removeCaseDirs(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
}
