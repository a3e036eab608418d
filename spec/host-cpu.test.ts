// check-host says when the build host's CPU cannot run what the target's -march produces: stage2 and stage3
// programs run on the build host (configure tests, the chroot), and -march=haswell code dies with SIGILL on a
// CPU without AVX2. Run for real against the committed out/ with a stand-in /proc/cpuinfo (SERPENT_CPUINFO).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../compiler/index.js';
import { hostToolsView } from '../compiler/emit/view/lib.js';
import { REPO_ROOT } from './helpers/paths.js';

const out = join(REPO_ROOT, 'out');
const dir = mkdtempSync(join(tmpdir(), 'serpent-cpu-'));

/** make check-host with a cpuinfo whose flags line is `flags`. */
function checkHost(flags: string): { status: number | null; text: string } {
  const file = join(dir, 'cpuinfo');
  writeFileSync(file, `processor\t: 0\nflags\t\t: ${flags}\n`);
  const r = spawnSync('make', ['-C', out, 'check-host'], {
    encoding: 'utf8',
    env: { ...process.env, SERPENT_CPUINFO: file },
  });
  return { status: r.status, text: r.stdout + r.stderr };
}

test('the x86_64 target (-march=haswell) needs AVX2 and the rest of x86-64-v3; aarch64 needs no check', async () => {
  const x86 = await compile(join(REPO_ROOT, 'stages'), { target: 'x86_64' });
  assert.ok(x86.graph);
  assert.equal(hostToolsView(x86.graph).cpu, [
    "serpent_need_cpu 'x86_64' '-march=haswell' 'avx' 'avx2' 'bmi1' 'bmi2' 'fma' 'movbe'",
  ]);
  const arm = await compile(join(REPO_ROOT, 'stages'), { target: 'aarch64' });
  assert.ok(arm.graph);
  assert.equal(hostToolsView(arm.graph).cpu, []);
  assert.match(readFileSync(join(out, 'lib', 'host-tools.sh'), 'utf8'), /^serpent_need_cpu 'x86_64' '-march=haswell'/m);
});

if (process.arch === 'x64') {
  test('check-host fails on a CPU without AVX2 and names what is missing and why', () => {
    const r = checkHost('fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx');
    assert.is.not(r.status, 0, r.text);
    assert.match(r.text, 'this CPU lacks avx2 bmi1 bmi2 fma movbe, which the target flags (-march=haswell) need');
  });

  test('check-host says nothing about a CPU that has every feature', () => {
    const r = checkHost('fpu sse sse2 avx avx2 bmi1 bmi2 fma movbe');
    assert.not.match(r.text, 'this CPU lacks');
  });
}

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
