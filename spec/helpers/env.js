// What the machine can do for a test (root, tools), and the one way a test may skip.
// Locally a test that needs a missing tool or root skips with a printed reason; under CI=true it fails.
import { execFileSync } from 'node:child_process';

/** @type {string[]} reasons of every skip in this process, printed by spec/run.js */
export const skipped = [];

/** @param {string} tool @returns {boolean} */
export function have(tool) {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Returns true when the test may proceed. Otherwise records the skip (locally) or throws (in CI).
 * @param {string} what the test's name
 * @param {{ tools?: string[], root?: boolean }} needs
 */
export function requires(what, needs) {
  const missing = (needs.tools ?? []).filter((t) => !have(t));
  const reasons = [];
  if (missing.length) reasons.push(`missing tools: ${missing.join(', ')}`);
  if (needs.root && !isRoot) reasons.push('needs root');
  if (reasons.length === 0) return true;
  const reason = `${what}: ${reasons.join('; ')}`;
  if (process.env.CI) throw new Error(`not allowed to skip in CI: ${reason}`);
  skipped.push(reason);
  return false;
}
