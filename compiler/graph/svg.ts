// SVG from DOT by Graphviz: runs `dot -Tsvg` (found on PATH) and hands back its output, or a message saying why
// there is none — Graphviz missing (install it), or dot failing (its own message). Layout is Graphviz's alone.
import { spawnSync } from 'node:child_process';
import { isSystemError } from '../util.js';

export function renderSvg(dot: string): { readonly svg: string } | { readonly error: string } {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) {
    if (isSystemError(r.error) && r.error.code === 'ENOENT')
      return {
        error:
          '`--format svg` needs Graphviz: `dot` was not found on PATH; install graphviz (e.g. `apt-get install graphviz`), or use `--format dot`',
      };
    return { error: `could not run Graphviz \`dot\`: ${r.error.message}` };
  }
  if (r.status !== 0)
    return {
      error: `Graphviz \`dot -Tsvg\` failed (${r.status === null ? `signal ${String(r.signal)}` : `exit ${r.status}`}): ${r.stderr.trim()}`,
    };
  return { svg: r.stdout };
}
