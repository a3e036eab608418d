// Writes a synthetic but realistic recipe directory of N packages: three stages (host, host, chroot),
// templates with typed parameters, preferential-attachment dependencies (a few libraries with large fan-in),
// custom step bodies with heredocs and loops, passes. Deterministic for a given N (seeded PRNG).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOOLS = [
  'make',
  'sed',
  'grep',
  'awk',
  'tar',
  'install',
  'cp',
  'mv',
  'rm',
  'mkdir',
  'ln',
  'cat',
  'sort',
  'find',
  'cc',
  'ar',
];

const HEADER = `target x86_64 {
  default = true
  triplet = "x86_64-serpent-linux-musl"
  arch = "x86_64"
  llvm_backend = "X86"
  cflags = "-march=haswell -mtune=skylake -O2 -fPIC -pipe"
  cxxflags = "-march=haswell -mtune=skylake -O2 -fPIC -pipe"
}

stage stage1 {
  description = "cross toolchain on the host"
}

stage stage2 {
  after = stage1
  path = ["\${stage1_root}/usr/bin"]
  env {
    CC = "clang --target=\${triplet} --sysroot=\${root}"
  }
}

stage stage3 {
  after = stage2
  chroot {
    shell = "/serpent/usr/bin/sh"
    path = ["/usr/bin", "/serpent/usr/bin"]
    mount "/serpent" { from = stage2 readonly = true }
  }
}

template autotools(flags: string = "", prefix: string = "/usr") {
  configure """
    ./configure --prefix="\${prefix}" --build="\${triplet}" --host="\${triplet}" \${flags}
  """
  build """
    make
  """
  install """
    make DESTDIR="\${destdir}" install
  """
}

template cmake(flags: list = [], build_type: string = "Release") {
  configure """
    mkdir -p build && cd build
    cc --version >/dev/null
    sed -e "s|@TYPE@|\${build_type}|" ../config.in > config.txt
  """
  build """
    make -C build
  """
  install """
    make -C build DESTDIR="\${destdir}" install
  """
}
`;

/**
 * @param dir destination (replaced)
 * @param n number of packages
 * @returns dir
 */
export function synthesize(dir: string, n: number, seed = 42): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'base.recipe'), HEADER);
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const hex = (len: number): string =>
    Array.from({ length: len }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  const names: Record<string, string[]> = { stage1: [], stage2: [], stage3: [] };
  const weight: Record<string, number[]> = { stage1: [], stage2: [], stage3: [] };
  const passes = new Set<string>();
  for (let i = 0; i < n; i++) {
    const stage = i < n * 0.05 ? 'stage1' : i < n * 0.25 ? 'stage2' : 'stage3';
    const name = `pkg${String(i).padStart(5, '0')}`;
    const prev = names[stage];
    // Preferential attachment: a few early libraries collect most dependents.
    const deps = new Set<string>();
    const k = prev.length ? Math.floor(rand() * 5) : 0;
    for (let j = 0; j < k; j++) {
      const total = weight[stage].reduce((a, b) => a + b, 0);
      let r = rand() * total;
      let idx = 0;
      while (r > weight[stage][idx]) r -= weight[stage][idx++];
      deps.add(prev[Math.min(idx, prev.length - 1)]);
    }
    for (const d of deps) weight[stage][prev.indexOf(d)] += 1;
    const provides = stage === 'stage2' && i < n * 0.05 + TOOLS.length ? [TOOLS[i % TOOLS.length]] : [`${name}-tool`];
    const kind = rand();
    let body: string;
    if (kind < 0.5) body = `  use autotools(flags = "--disable-static --with-${name}")\n`;
    else if (kind < 0.7) body = `  use cmake(flags = ["-DBUILD_${name.toUpperCase()}=ON", "-DTESTS=OFF"])\n`;
    else {
      body = `  configure """
    ./configure --prefix=/usr --enable-${name} CFLAGS="\${cflags} -DPKG_${i}"
    for f in ${name}.pc.in lib${name}.pc.in; do
      [ -f "$f" ] && sed -e "s|@VERSION@|\${version}|" "$f" > "\${f%.in}"
    done
  """
  build """
    make
    cat > ${name}.conf <<EOF
name=\${name}
jobs=\${jobs}
EOF
  """
  install """
    make DESTDIR="\${destdir}" install
    install -m 0644 ${name}.conf "\${destdir}/usr/share/${name}.conf"
  """
`;
    }
    const text = `package ${name} in ${stage} {
  version = "${1 + Math.floor(rand() * 9)}.${Math.floor(rand() * 30)}.${Math.floor(rand() * 10)}"
  source "https://example.org/releases/${name}/${name}-\${version}.tar.xz" {
    sha256 = "${hex(64)}"
  }
  depends = [${[...deps].sort().join(', ')}]
  provides { commands = [${provides.join(', ')}] }
${body}}
`;
    const sub = join(dir, stage, name.slice(0, 6));
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${name}.recipe`), text);
    names[stage].push(name);
    weight[stage].push(1);
    // A pass now and then: the same package again after something that depends on it.
    if (stage === 'stage3' && i % 200 === 0 && prev.length > 2) {
      const base = pick(prev.slice(0, prev.length - 1));
      if (passes.has(base)) continue;
      passes.add(base);
      writeFileSync(join(sub, `${base}-2.recipe`), `pass ${base}-2 of ${base} {\n  depends += [${name}]\n}\n`);
    }
  }
  return dir;
}
