// The command line run in-process: cli() with captured output, as the tests of each command call it.
import { parseArgs } from 'node:util';
import { cli } from '../../compiler/cli.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `serpentc argv…` in-process, reporting version `9.9.9`, without colour. */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await cli(argv, {
    version: '9.9.9',
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    color: false,
    parseArgs,
  });
  return { code, out, err };
}
