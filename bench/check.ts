// Prints `serpentc check` wall time and peak memory on synthetic recipe directories of 1,000 and 10,000
// packages (or the sizes given as arguments). Run after `npm run build`: node dist/bench/check.js [sizes…]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '../spec/helpers/paths.js';
import { synthesize } from './synth.js';

const cli = CLI_BIN;
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const work = mkdtempSync(join(tmpdir(), 'serpentc-bench-'));
const useTime = existsSync('/usr/bin/time');

console.log('packages  recipes-dir-MB  wall-s  peak-RSS-MB  result');
try {
  for (const n of sizes.length ? sizes : [1000, 10000]) {
    const dir = synthesize(join(work, `n${n}`), n);
    const du = spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout.split('\t')[0];
    const runs: { wall: number; rss: number; ok: boolean; msg: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const r = useTime
        ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'check', dir], { encoding: 'utf8' })
        : spawnSync(process.execPath, [cli, 'check', dir], { encoding: 'utf8' });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const lines = r.stderr.trim().split('\n');
      const rss = useTime ? Number(lines[lines.length - 1]) / 1024 : NaN;
      runs.push({ wall, rss, ok: r.status === 0, msg: lines[0] });
    }
    runs.sort((a, b) => a.wall - b.wall);
    const best = runs[0];
    console.log(
      `${String(n).padStart(8)}  ${du.padStart(14)}  ${best.wall.toFixed(2).padStart(6)}  ${best.rss.toFixed(0).padStart(11)}  ${best.ok ? 'ok' : `FAILED: ${best.msg}`}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
