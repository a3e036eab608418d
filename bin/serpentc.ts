#!/usr/bin/env node
// The serpentc command line. Exit codes: 0 clean, 1 errors in the recipes or I/O errors (or drift with
// --check), 2 usage errors, 3 an internal error (a serpentc bug). No stack trace for any user mistake, and none
// for a reader that stops early (`serpentc graph stages | head -1`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { messageOf } from '../compiler/diagnostics/catalogue.js';
import { PACKAGE_ROOT } from '../compiler/paths.js';
import { ioReason, isSystemError } from '../compiler/util.js';

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : 'unknown';
}

/**
 * A standard stream whose failures are the user's situation, not serpentc's: a reader that closed the pipe
 * (EPIPE) ends the output quietly, as `head` expects of Unix tools; any other failure (a full disk, EIO) is one
 * io-error and exit 1. Writes after a failure are dropped, so no unhandled 'error' event ever reaches the user.
 */
function guarded(stream: NodeJS.WriteStream, name: string): (s: string) => void {
  let failed = false;
  stream.on('error', (e: unknown) => {
    if (failed) return;
    failed = true;
    if (isSystemError(e) && e.code === 'EPIPE') return;
    const message = messageOf('io-error', { kind: 'write', path: name, reason: ioReason(e) });
    if (stream !== process.stderr) process.stderr.write(`serpentc: error[io-error]: ${message}\n`);
    process.exitCode = 1;
  });
  return (s) => {
    if (!failed) stream.write(s);
  };
}

try {
  const { cli } = await import('../compiler/cli.js');
  const stdout = guarded(process.stdout, 'standard output');
  const stderr = guarded(process.stderr, 'standard error');
  const code = await cli(process.argv.slice(2), {
    version: version(),
    stdout,
    stderr,
    color: process.stderr.isTTY && !process.env.NO_COLOR,
    parseArgs,
  });
  // an output failure already reported keeps its exit 1 (the handler may have run before or will run after)
  process.exitCode = process.exitCode === 1 ? 1 : code;
} catch (e) {
  process.stderr.write(
    `serpentc: internal error — this is a serpentc bug, please report it with the input that caused it:\n${e instanceof Error ? e.stack : String(e)}\n`,
  );
  process.exitCode = 3;
}
