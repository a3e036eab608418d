// What the machine can do for a test (root, tools), and the one way a test may skip.
// Locally a test that needs a missing tool or root skips with a printed reason; under CI=true it fails.
import { execFileSync } from 'node:child_process';

/** What a test needs from the machine. */
export interface Needs {
  readonly tools?: readonly string[];
  readonly root?: boolean;
}

/** Reasons of every skip in this process, printed by spec/run.ts. */
export const skipped: string[] = [];

export function have(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const isRoot: boolean = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Returns true when the test may proceed. Otherwise records the skip (locally) or throws (in CI).
 * @param what the test's name
 */
export function requires(what: string, needs: Needs): boolean {
  const missing = (needs.tools ?? []).filter((t) => !have(t));
  const reasons: string[] = [];
  if (missing.length) reasons.push(`missing tools: ${missing.join(', ')}`);
  if (needs.root && !isRoot) reasons.push('needs root');
  if (reasons.length === 0) return true;
  const reason = `${what}: ${reasons.join('; ')}`;
  if (process.env.CI) throw new Error(`not allowed to skip in CI: ${reason}`);
  skipped.push(reason);
  return false;
}
