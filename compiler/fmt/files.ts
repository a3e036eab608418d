// serpentc fmt over files and directories: which files are not in the canonical layout, and (without --check)
// rewriting exactly those, each by a temporary file renamed over it, so a reader never sees half a file.
import { realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BOM } from '../../grammar/chars.js';
import { spans } from '../../grammar/loc.js';
import { Sink, type Diagnostic } from '../diagnostics/diagnostic.js';
import { readRecipe, recipePaths, reportInvalid, type RecipeText } from '../load.js';
import { ioReason } from '../util.js';
import { format } from './index.js';

export interface FmtResult {
  /** Every file looked at, in the order given (directories expanded in sorted path order). */
  readonly files: readonly string[];
  /** Files not in the canonical layout: rewritten, or with `check` only listed. */
  readonly changed: readonly string[];
  /** Syntax errors (those files are left untouched) and I/O failures. */
  readonly diagnostics: readonly Diagnostic[];
  /** path → text, for rendering diagnostics with their source lines */
  readonly texts: ReadonlyMap<string, string>;
}

/**
 * Formats `paths`: a directory stands for every `*.recipe` below it, a file for itself. With `check`, writes
 * nothing. A file is written only when its layout changes, keeping its permissions.
 */
export async function fmtPaths(paths: readonly string[], check: boolean): Promise<FmtResult> {
  const sink = new Sink();
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      sink.error('io-error', null, { kind: 'file', path, reason: ioReason(e) });
      continue;
    }
    for (const f of isDir ? recipePaths(path, sink) : [path]) if (!files.includes(f)) files.push(f);
  }
  const changed: string[] = [];
  const texts = new Map<string, string>();
  for (const file of files) {
    let read: RecipeText;
    try {
      read = readRecipe(file);
    } catch (e) {
      sink.error('io-error', null, { kind: 'file', path: file, reason: ioReason(e) });
      continue;
    }
    const { text, invalid } = read;
    texts.set(file, text.startsWith(BOM) ? text.slice(BOM.length) : text); // as the diagnostics' offsets count
    if (invalid) {
      reportInvalid(sink, file, text, invalid); // left as it is: rewriting it would replace the user's bytes
      continue;
    }
    // prettier reads a lone CR as a line break, which would move code into or out of a comment or body
    const cr = /\r(?!\n)/.exec(text);
    if (cr) {
      const bom = text.startsWith(BOM) ? BOM.length : 0;
      sink.error('bare-cr', spans(file, text.slice(bom))(cr.index - bom, cr.index - bom), {});
      continue;
    }
    const result = await format(text, file);
    if (result.formatted === null) {
      sink.addAll(result.diagnostics);
      continue;
    }
    if (result.formatted === text) continue;
    changed.push(file);
    if (!check) writeAtomically(file, result.formatted, sink);
  }
  return { files, changed, diagnostics: sink.sorted(), texts };
}

/**
 * Replaces `file` by a sibling temporary file renamed over it (same file system, so the rename is atomic). A
 * symbolic link stays one: the file it leads to is the one replaced, beside which the temporary file is made.
 * A file with other hard links is rewritten in place instead, as editors do: a rename would give this name a new
 * file and leave the other names on the old layout.
 */
function writeAtomically(file: string, text: string, sink: Sink): void {
  let temp: string | null = null;
  try {
    const target = realpathSync(file);
    const { mode, nlink } = statSync(target);
    if (nlink > 1) {
      writeFileSync(target, text);
      return;
    }
    temp = join(dirname(target), `.${basename(target)}.serpentc-fmt-${process.pid}`);
    writeFileSync(temp, text, { mode: mode & 0o7777 });
    renameSync(temp, target);
  } catch (e) {
    sink.error('io-error', null, { kind: 'write', path: file, reason: ioReason(e) });
    try {
      if (temp !== null) unlinkSync(temp);
    } catch {
      // the temporary file was never created: nothing to clean up
    }
  }
}
