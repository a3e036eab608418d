// Where serpentc's own files are at run time: the package root, found from this module, whether it runs
// compiled (dist/compiler/) or from a checkout, so no module counts `../` levels.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    if (dirname(dir) === dir) throw new Error(`serpentc: cannot find its package root above ${start}`);
  }
}

/** The serpentc package directory (holds package.json, templates/, docs/). */
export const PACKAGE_ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

/** templates/: handlebars templates and the shell runtime. */
export const TEMPLATES_DIR: string = join(PACKAGE_ROOT, 'templates');

/** docs/: the generated reference lives here. */
export const DOCS_DIR: string = join(PACKAGE_ROOT, 'docs');
