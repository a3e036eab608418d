#!/usr/bin/env node
// The serpentc command line. Exit codes: 0 clean, 1 errors in the recipes (or drift with --check),
// 2 usage errors, 3 an internal error (a serpentc bug). No stack trace for any user mistake.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { cli } from '../compiler/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

try {
  process.exitCode = await cli(process.argv.slice(2), {
    version: pkg.version,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    parseArgs,
  });
} catch (e) {
  process.stderr.write(`serpentc: internal error — this is a serpentc bug, please report it with the input that caused it:\n${/** @type {Error} */ (e)?.stack ?? e}\n`);
  process.exitCode = 3;
}
