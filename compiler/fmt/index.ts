// format(text, filepath): the canonical layout of one recipe file, or its syntax errors. The result is checked
// before it is returned: same AST (locations aside) and same comments, so formatting never changes meaning.
import * as prettier from 'prettier';
import { BOM } from '../../grammar/chars.js';
import { comments } from '../../grammar/comments.js';
import { parse } from '../../grammar/index.js';
import type { FileNode, SyntaxDiagnostic } from '../../grammar/syntax.js';
import { plugin, RECIPE } from './plugin.js';

/** The layout's line width; the recipes' own (and the TypeScript sources' .prettierrc.json). */
export const PRINT_WIDTH = 120;

export interface FormatResult {
  /** The formatted text; null when the file has syntax errors (then `diagnostics` holds them). */
  readonly formatted: string | null;
  /** The syntax errors that stopped formatting; warnings (which do not) are not included. */
  readonly diagnostics: readonly SyntaxDiagnostic[];
}

/**
 * Formats one recipe text. `filepath` names the file in diagnostics. A file with syntax errors is returned
 * unformatted with its errors: its AST lacks what the errors broke. Throws only for a formatter bug (a result
 * that would mean something else), so a caller never writes such a result.
 */
export async function format(text: string, filepath: string): Promise<FormatResult> {
  // a byte order mark is kept (prettier keeps it too); the front end reads the text after it, as load.ts does
  const bom = text.startsWith(BOM) ? BOM : '';
  const source = text.slice(bom.length);
  const before = parse(filepath, source);
  const errors = before.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return { formatted: null, diagnostics: errors };
  const formatted = await prettier.format(source, {
    parser: RECIPE,
    plugins: [plugin],
    filepath,
    printWidth: PRINT_WIDTH,
    tabWidth: 2,
    useTabs: false,
    endOfLine: 'lf',
  });
  const after = parse(filepath, formatted);
  const problem = after.diagnostics.some((d) => d.severity === 'error')
    ? 'the result has syntax errors'
    : shape(after.ast) !== shape(before.ast)
      ? 'the result parses to a different AST'
      : commentTexts(formatted) !== commentTexts(source)
        ? 'the result has different comments'
        : null;
  if (problem !== null) throw new Error(`serpentc fmt: formatting ${filepath} would change it: ${problem}`);
  return { formatted: bom + formatted, diagnostics: [] };
}

/** The comments' texts in order, one a line: formatting moves comments only between blanks. */
function commentTexts(text: string): string {
  return comments(text)
    .map((c) => c.text.trimEnd())
    .join('\n');
}

/** Where a node sits, not what it means: every span, and where a shell body's lines are in the file. */
const POSITIONAL = new Set(['loc', 'firstLine', 'indent']);

/**
 * The declarations as JSON without positions: two texts with the same shape mean the same. A shell body's
 * `text` (the dedented body the compiler reads) is part of the shape.
 */
export function shape(ast: FileNode): string {
  return JSON.stringify(ast.decls, (key, value: unknown) => (POSITIONAL.has(key) ? undefined : value));
}
