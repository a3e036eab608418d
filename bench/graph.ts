// The synthetic plans the generator benchmarks use (bench/emit.ts, bench/speed.ts): three stages (host, host,
// chroot), sources, some patches, dependencies with fan-in, template-shaped bodies; and the no-op make runs on them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildGraph, GPackage, GStage, GStep, GTarget, Placement } from '../compiler/graph.js';
import { prng } from './synth.js';

const CONFIGURE = [
  './configure --prefix=/usr --build="${triplet}" --host="${triplet}" ${flags}',
  'cmake -S . -B build -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release',
  'meson setup build --prefix=/usr --buildtype=release',
  './configure --prefix=/usr --disable-static\nsed -i "s/-O2/-O3/" Makefile',
  'CC="clang --target=${triplet}" ./configure --prefix=/usr --host="${triplet}"',
];
const BUILD = ['make', 'ninja -C build -j"${jobs}"', 'make -C src\nmake -C doc'];
const INSTALL = [
  'make DESTDIR="${destdir}" install',
  'DESTDIR="${destdir}" ninja -C build install',
  'make DESTDIR="${destdir}" install\nrm -rf "${destdir}/usr/share/doc"',
];

/** A stage while it is being filled: its package list still grows. */
interface StageDraft extends GStage {
  readonly packages: string[];
}

/**
 * A synthetic plan: three stages (host, host, chroot), sources, some patches, dependencies with fan-in,
 * template-shaped bodies (shared text) and one in ten packages with a custom step of its own.
 */
export function syntheticGraph(n: number, stagesDir: string): BuildGraph {
  const rnd = prng(n); // the same plan on every run
  const target: GTarget = {
    name: 'x86_64',
    triplet: 'x86_64-serpent-linux-musl',
    arch: 'x86_64',
    llvmBackend: 'X86',
    cflags: '-O2 -pipe',
    cxxflags: '-O2 -pipe',
    ldflags: '-Wl,-O1',
    qemu: null,
    isDefault: true,
  };
  const stageNames = ['stage1', 'stage2', 'stage3'];
  const counts = [Math.round(n * 0.2), Math.round(n * 0.4)];
  counts.push(n - counts[0] - counts[1]);
  const packages: GPackage[] = [];
  /** package id → its final step id */
  const finalOf = new Map<string, string>();
  let previousFinal: string | null = null;
  const stages = stageNames.map((name, index): StageDraft => ({
    name,
    loc: { file: `${name}/stage.recipe` },
    after: index ? stageNames[index - 1] : null,
    index,
    // what plan() sets for a stage without `root` and `description`; the emitter reads neither
    root: `${name}/root`,
    description: '',
    path: index ? [[{ ref: `${stageNames[index - 1]}_root` }, { lit: '/usr/bin' }]] : [],
    env: [{ name: 'CC', value: [{ lit: 'clang --target=x86_64-serpent-linux-musl --sysroot=' }, { ref: 'root' }] }],
    chroot:
      index === 2
        ? {
            shell: '/serpent/usr/bin/bash',
            path: ['/usr/bin', '/serpent/usr/bin'],
            workdir: '/build',
            pseudo: ['/dev', '/dev/pts', '/proc', '/sys'],
            mounts: [{ target: '/serpent', source: { kind: 'stage', stage: 'stage2' }, readonly: true }],
          }
        : null,
    packages: [],
  }));
  for (const [si, stage] of stages.entries()) {
    const finals: string[] = [];
    for (let i = 0; i < counts[si]; i++) {
      const name = `pkg${si + 1}-${String(i).padStart(5, '0')}`;
      const id = `${stage.name}/${name}`;
      const deps: number[] = [];
      for (let d = 0; d < 3 && i > 0; d++) if (rnd() < 0.6) deps.push(Math.floor(rnd() * rnd() * i)); // fan-in on early packages
      const depends = [...new Set(deps)].map((d) => `pkg${si + 1}-${String(d).padStart(5, '0')}`).sort();
      const patches: string[] = [];
      if (rnd() < 0.1) {
        const rel = `${stage.name}/patches/${name}/0001-fix.patch`;
        mkdirSync(dirname(join(stagesDir, rel)), { recursive: true });
        writeFileSync(join(stagesDir, rel), `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${name}\n+${name} fixed\n`);
        patches.push(rel);
      }
      const chroot = stage.chroot !== null;
      const where: Placement = chroot ? 'chroot' : 'host';
      const steps: { name: string; placement: Placement; body: string | null }[] = [
        { name: 'extract', placement: 'host', body: null },
        { name: 'patch', placement: 'host', body: null },
        { name: 'configure', placement: where, body: CONFIGURE[Math.floor(rnd() * CONFIGURE.length)] },
        { name: 'build', placement: where, body: BUILD[Math.floor(rnd() * BUILD.length)] },
        { name: 'install', placement: where, body: INSTALL[Math.floor(rnd() * INSTALL.length)] },
      ];
      if (rnd() < 0.1)
        steps.push({
          name: 'verify',
          placement: where,
          body: `test -e "\${destdir}/usr/bin/${name}" || echo "${name}: nothing installed in ${i} steps"`,
        });
      let prev = '';
      const gsteps = steps.map((s, k): GStep => {
        const needs =
          k === 0
            ? [
                ...depends.map((d) => finalOf.get(`${stage.name}/${d}`) ?? ''),
                ...(previousFinal ? [previousFinal] : []),
              ].sort()
            : [prev];
        prev = `${id}/${s.name}`;
        return { ...s, loc: { file: `${stage.name}/${name}.recipe` }, needs, commands: [] };
      });
      const version = `${1 + Math.floor(rnd() * 9)}.${Math.floor(rnd() * 20)}`;
      const sha = createHash('sha256').update(name).digest('hex');
      packages.push({
        id,
        name,
        stage: stage.name,
        passOf: null,
        weight: 1,
        version,
        loc: { file: `${stage.name}/${name}.recipe` },
        sources: [
          {
            kind: 'url',
            url: `https://example.org/src/${name}-${version}.tar.xz`,
            sha256: sha,
            filename: `${name}-${version}.tar.xz`,
            strip: 1,
          },
        ],
        patches,
        files: [],
        depends,
        provides: { commands: [], libraries: [] },
        vars: [
          { name: 'arch', value: target.arch },
          { name: 'cflags', value: target.cflags },
          { name: 'cxxflags', value: target.cxxflags },
          { name: 'flags', value: rnd() < 0.5 ? '--disable-nls' : '' },
          { name: 'ldflags', value: target.ldflags },
          { name: 'llvm_backend', value: target.llvmBackend },
          { name: 'name', value: name },
          { name: 'stage', value: stage.name },
          { name: 'triplet', value: target.triplet },
          { name: 'version', value: version },
        ],
        steps: gsteps,
      });
      stage.packages.push(id);
      finals.push(prev);
      finalOf.set(id, prev);
    }
    previousFinal = finals[finals.length - 1] ?? previousFinal;
  }
  return { target, targets: [target], stages, packages, hostTools: ['cmake', 'make', 'meson', 'ninja', 'sed'] };
}

/**
 * Touches every stamp of the plan and make's nodes (each package's and stage's `.checked`) with one time, after
 * the scripts were written: make has nothing to do (it compares only the nodes; the stamps are the runtime's).
 */
export function touchAllStamps(graph: BuildGraph, build: string): void {
  // One time for all, none newer than another, and newer than every generated script: a Date has milliseconds
  // where file times have nanoseconds, so `now` can be older than a script written in the same millisecond.
  const when = new Date(Date.now() + 2000);
  const touch = (f: string): void => {
    closeSync(openSync(f, 'w'));
    utimesSync(f, when, when);
  };
  for (const p of graph.packages) {
    mkdirSync(join(build, 'stamps', p.id), { recursive: true });
    for (const s of p.steps) touch(join(build, 'stamps', p.id, s.name));
    touch(join(build, 'stamps', p.id, '.checked'));
  }
  for (const s of graph.stages) {
    mkdirSync(join(build, 'stamps', s.name), { recursive: true });
    touch(join(build, 'stamps', s.name, '.complete'));
    touch(join(build, 'stamps', s.name, '.checked'));
  }
}

/** Median wall time of `runs` no-op runs of a make, checking that nothing ran. */
export function noop(make: string, out: string, build: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    // MIRROR_ONLY=1 with no mirror: should a step run after all, it fails before any network access.
    const r = spawnSync(make, [`BUILD_DIR=${build}`, 'MIRRORS=', 'MIRROR_ONLY=1'], {
      cwd: out,
      encoding: 'utf8',
      env: { ...process.env, MAKEFLAGS: '' },
    });
    times.push(performance.now() - t);
    if (r.status !== 0 || /\] \S+ \S+ \S+ \((host|chroot)\)/.test(r.stdout))
      throw new Error(`${make} was not a no-op:\n${r.stdout}${r.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
