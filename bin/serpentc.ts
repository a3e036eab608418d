#!/usr/bin/env node
// The serpentc command line. Exit codes: 0 clean, 1 errors in the recipes (or drift with --check),
// 2 usage errors, 3 an internal error (a serpentc bug). No stack trace for any user mistake.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../compiler/paths.js';
import { prepareShell } from '../compiler/shell/index.js';

// The shell parser (WebAssembly) compiles on background threads: start it before the compiler's modules load,
// so the two overlap instead of the first check waiting for the parser.
prepareShell();

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : 'unknown';
}

try {
  const { cli } = await import('../compiler/cli.js');
  process.exitCode = await cli(process.argv.slice(2), {
    version: version(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    color: process.stderr.isTTY && !process.env.NO_COLOR,
    parseArgs,
  });
} catch (e) {
  process.stderr.write(
    `serpentc: internal error — this is a serpentc bug, please report it with the input that caused it:\n${e instanceof Error ? e.stack : String(e)}\n`,
  );
  process.exitCode = 3;
}
