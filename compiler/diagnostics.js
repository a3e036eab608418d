// The diagnostic catalogue (one kebab-case code per kind of mistake) and the one renderer for them.
// Diagnostics are values: passes push them into a Sink and never throw for a user mistake.

/** @typedef {import('./model.js').Diagnostic} Diagnostic */
/** @typedef {import('./model.js').Loc} Loc */
/** @typedef {import('./model.js').Note} Note */

/**
 * Every code serpentc can report, with the one-line summary used by `docs/diagnostics.md`.
 * Keep sorted by area; tests assert that each code has a golden case under spec/cases/diagnostics/<code>/.
 */
export const CODES = Object.freeze({
  // grammar/
  'syntax-error': 'The text does not match the grammar; parsing recovers and reports every error it meets.',
  'unterminated-string': 'A string literal runs to the end of its line without a closing quote.',
  'unterminated-shell': 'A `"""` shell body has no closing `"""`.',
  'bad-interpolation': 'A `${` in a string is not followed by a name and `}`.',
  'bad-escape': 'An unknown backslash escape in a string (kept literally).',
  'placement-preposition': 'Warning: `in host` or `on chroot`; write `on host` and `in chroot`.',
  'internal-error': 'The front end itself failed on an input: a serpentc bug, reported instead of a crash.',
  // schema
  'unknown-field': 'A field, block or step name the declaration does not accept (with did-you-mean).',
  'wrong-type': 'A value of the wrong type for its field or parameter.',
  'missing-field': 'A required field or template parameter is not given.',
  'bad-name': 'A name that cannot be used where it stands (e.g. a stage name that is not a shell identifier).',
  'bad-value': 'A value of the right type that is not acceptable (e.g. an empty list where one entry is required).',
  // resolution
  'duplicate-definition': 'A name defined twice; the note points at the first definition.',
  'undefined-package': 'A dependency or pass base that names no package of the stage.',
  'undefined-stage': 'A reference to a stage that does not exist.',
  'undefined-target': 'A `--target` that names no target.',
  'undefined-template': 'A `use` of a template that does not exist.',
  'undefined-variable': 'A variable read in a step body or string that nothing defines.',
  'undefined-step': 'A custom step placed `after` a step the package does not have.',
  'no-default-target': 'No target, or none marked `default = true`.',
  'multiple-default-targets': 'More than one target marked `default = true`.',
  'dependency-cycle': 'Packages (or stages) that depend on each other; break the cycle with a pass.',
  // steps and tools
  'bad-placement': 'A step placement other than `on host` or `in chroot`, or a chroot step in a stage without a chroot.',
  'shell-syntax': 'A step body that is not valid POSIX shell.',
  'command-unavailable': 'A chroot step runs a command that neither the mounted stage nor a dependency provides.',
  // sources and files
  'bad-checksum': 'A sha256 that is not 64 hex digits, or a git commit that is not 40 hex digits.',
  'insecure-url': 'A source URL that is not https (allow it with `insecure = true`), or not a URL at all.',
  'missing-file': 'A patch or file that does not exist beside the recipe.',
  'path-escape': 'A path that is absolute or leaves its directory with `..`.',
  // safety
  'unsafe-root': 'A stage root that is `/` or a host system directory.',
  'mount-contains-root': 'A bind-mount source that contains the chroot root itself.',
  // input
  'no-recipes': 'The recipe directory holds no `*.recipe` file.',
  'io-error': 'A recipe file or directory could not be read.',
});

/** @typedef {keyof typeof CODES} Code */

/** Collects diagnostics from every pass; the CLI sorts and prints them at the end. */
export class Sink {
  constructor() {
    /** @type {Diagnostic[]} */
    this.items = [];
  }
  /**
   * @param {Code} code
   * @param {Loc | null} loc
   * @param {string} message
   * @param {Note[]} [notes]
   */
  error(code, loc, message, notes = []) {
    this.items.push({ severity: 'error', code, message, loc, notes });
  }
  /** @param {Diagnostic[]} list */
  addAll(list) {
    for (const d of list) this.items.push(d);
  }
  get hasErrors() {
    return this.items.some((d) => d.severity === 'error');
  }
  /** @returns {Diagnostic[]} sorted by file, line, column, code, message; exact duplicates dropped */
  sorted() {
    return sortDiagnostics(this.items);
  }
}

/** @param {Diagnostic[]} list */
export function sortDiagnostics(list) {
  const key = (/** @type {Diagnostic} */ d) =>
    [d.loc?.file ?? '', String(d.loc?.line ?? 0).padStart(9, '0'), String(d.loc?.col ?? 0).padStart(9, '0'), d.code, d.message].join('\u0000');
  const seen = new Set();
  const out = [];
  // sort for determinism: diagnostics are collected per pass, reported per file and line
  for (const d of [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))) {
    const k = key(d) + JSON.stringify(d.notes);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

/**
 * Formats one diagnostic: `path:line:col: error[code]: message`, the source line, a caret, then notes.
 * @param {Diagnostic} d
 * @param {(file: string) => string | undefined} sourceOf returns a file's text for the source excerpt
 * @param {{ color?: boolean }} [opts]
 */
export function formatDiagnostic(d, sourceOf, opts = {}) {
  const c = colors(opts.color ?? false);
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : 'serpentc: ';
  const sev = d.severity === 'error' ? c.red(`${d.severity}[${d.code}]`) : c.yellow(`${d.severity}[${d.code}]`);
  const lines = [`${c.bold(where)}${sev}: ${c.bold(d.message)}`];
  if (d.loc) lines.push(...excerpt(d.loc, sourceOf, c));
  for (const n of d.notes) {
    if (n.loc) {
      lines.push(`  ${c.cyan('note')}: ${n.loc.file}:${n.loc.line}:${n.loc.col}: ${n.message}`);
      lines.push(...excerpt(n.loc, sourceOf, c).map((l) => `  ${l}`));
    } else {
      lines.push(`  ${c.cyan('note')}: ${n.message}`);
    }
  }
  return lines.join('\n');
}

/**
 * @param {Loc} loc
 * @param {(file: string) => string | undefined} sourceOf
 * @param {ReturnType<typeof colors>} c
 */
function excerpt(loc, sourceOf, c) {
  const text = sourceOf(loc.file);
  if (text === undefined) return [];
  const line = text.split('\n')[loc.line - 1];
  if (line === undefined) return [];
  const shown = line.replace(/\t/g, ' ').replace(/\r$/, '');
  const width = loc.endLine === loc.line ? Math.max(1, Math.min(loc.endCol, shown.length) - loc.col + 1) : Math.max(1, shown.length - loc.col + 1);
  const gutter = String(loc.line);
  const pad = ' '.repeat(gutter.length);
  return [`${pad} |`, `${gutter} | ${shown}`, `${pad} | ${' '.repeat(Math.max(0, loc.col - 1))}${c.red('^'.repeat(width))}`];
}

/** @param {boolean} on */
function colors(on) {
  const wrap = (/** @type {string} */ code) => (/** @type {string} */ s) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('1;31'), yellow: wrap('1;33'), cyan: wrap('1;36'), bold: wrap('1') };
}

/**
 * Levenshtein distance, for did-you-mean suggestions.
 * @param {string} a @param {string} b
 */
export function distance(a, b) {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate within a distance that scales with the word, or null.
 * @param {string} word @param {Iterable<string>} candidates
 */
export function didYouMean(word, candidates) {
  let best = null;
  let bestD = Infinity;
  // sort for determinism: ties resolve to the alphabetically first candidate
  for (const c of [...candidates].sort()) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== null && bestD <= limit ? best : null;
}

/** @param {string} word @param {Iterable<string>} candidates @returns {Note[]} */
export function suggestion(word, candidates) {
  const s = didYouMean(word, candidates);
  return s ? [{ message: `did you mean \`${s}\`?` }] : [];
}
