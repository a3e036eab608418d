// An output tree as data, to compare two generations: every file below a directory with its mode and content.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` (path relative to it, with a leading `/`) → its octal mode and content. */
export function tree(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(
    files.map((e) => {
      const path = join(e.parentPath, e.name);
      return [path.slice(dir.length), `${statSync(path).mode.toString(8)} ${readFileSync(path, 'utf8')}`];
    }),
  );
}
