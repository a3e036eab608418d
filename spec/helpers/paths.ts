// Where the tests' inputs are: the repository's source tree, not the compiled dist/ the tests run from.
import { PACKAGE_ROOT } from '../../compiler/paths.js';
import { join } from 'node:path';

/** The repository root (package.json, stages/, spec/, docs/). */
export const REPO_ROOT: string = PACKAGE_ROOT;

/** spec/ in the source tree: golden cases, fixtures, e2e recipes. */
export const SPEC_DIR: string = join(REPO_ROOT, 'spec');

/** The compiled command line, which the launcher runs with Node. */
export const CLI_BIN: string = join(REPO_ROOT, 'dist', 'bin', 'serpentc.js');

/** The launcher: package.json's "bin", what `npx serpentc` and an installed `serpentc` run. */
export const LAUNCHER: string = join(REPO_ROOT, 'bin', 'serpentc');
