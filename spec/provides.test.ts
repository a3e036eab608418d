// A package's last step asserts what `provides` promises, for real: the generated scripts run under GNU make,
// bmake, dash and busybox sh; a package that produced every promised command and library (a dangling link
// counts, and so does a link a custom step makes after install) is stamped, one that did not fails the step,
// names each missing entry and leaves no stamp.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from './helpers/env.js';
import { recipeTree, removeTree, serpentc, type Tree } from './helpers/sandbox.js';

// `kit` installs all it promises (its helper as a link whose target is only valid inside the root); `leaky`
// promises a command and a library it never installs, the way zlib's failed shared-library probe or util-linux's
// unknown --enable options silently left out libz.so and findmnt.
const RECIPES = {
  'kit.recipe': `package kit in stage1 {
  version = "1"
  provides {
    commands = [kit, kit-helper]
    libraries = ["libkit.so", "libkit-compat.so"]
  }
  install """
    mkdir -p "\${destdir}/usr/bin" "\${destdir}/usr/lib"
    printf '#!/bin/sh\\n' > "\${destdir}/usr/bin/kit"
    ln -sf /usr/bin/kit "\${destdir}/usr/bin/kit-helper"
    : > "\${destdir}/usr/lib/libkit.so"
  """
  step compat after install """
    ln -sf libkit.so "\${destdir}/usr/lib/libkit-compat.so"
  """
}

package leaky in stage1 {
  version = "1"
  provides {
    commands = [leaky, findmnt]
    libraries = ["libz.so", "libz.a"]
  }
  install """
    mkdir -p "\${destdir}/usr/bin" "\${destdir}/usr/lib"
    : > "\${destdir}/usr/bin/leaky"
    : > "\${destdir}/usr/lib/libz.a"
  """
}
`,
};

const enabled = requires('provides: real make runs', { tools: ['make', 'bmake', 'dash', 'busybox'] });

let tree: Tree | null = null;

function generated(): { out: string; root: string } {
  if (!tree) {
    tree = recipeTree(RECIPES);
    const r = serpentc([tree.stages, '-o', join(tree.root, 'out')]);
    assert.is(r.status, 0, r.stderr);
  }
  return { out: join(tree.root, 'out'), root: tree.root };
}

/** `dash`, or busybox's sh through a link named `sh` (SERPENT_SH is one command, no arguments). */
function shellPath(shell: 'dash' | 'busybox', root: string): string {
  if (shell === 'dash') return 'dash';
  const link = join(root, 'busybox-sh', 'sh');
  if (!existsSync(link)) {
    mkdirSync(join(root, 'busybox-sh'));
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(busybox, link);
  }
  return link;
}

/** One make run of a package's steps in a fresh build directory. */
function install(
  makeCmd: string,
  shell: 'dash' | 'busybox',
  pkg: string,
): { status: number | null; output: string; build: string } {
  const { out, root } = generated();
  const build = join(root, `build-${makeCmd}-${shell}-${pkg}`);
  rmSync(build, { recursive: true, force: true });
  const r = spawnSync(
    makeCmd,
    ['-C', out, `BUILD_DIR=${build}`, `SERPENT_SH=${shellPath(shell, root)}`, `stage1-${pkg}`],
    {
      encoding: 'utf8',
    },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}`, build };
}

if (enabled) {
  for (const [makeCmd, shell] of [
    ['make', 'dash'],
    ['bmake', 'busybox'],
  ] as const) {
    test(`${makeCmd} with ${shell}: a package that produced everything it provides (a link made after install too) is stamped`, () => {
      const r = install(makeCmd, shell, 'kit');
      assert.is(r.status, 0, r.output);
      assert.ok(existsSync(join(r.build, 'stamps/stage1/kit/compat')));
    });

    test(`${makeCmd} with ${shell}: an install missing a provided command and library fails and names them`, () => {
      const r = install(makeCmd, shell, 'leaky');
      assert.is.not(r.status, 0, r.output);
      assert.not.ok(existsSync(join(r.build, 'stamps/stage1/leaky/install')));
      const log = readFileSync(join(r.build, 'logs/stage1/leaky/install.log'), 'utf8');
      const line = log.split('\n').find((l) => l.startsWith('serpent: stage1/leaky: provides'));
      assert.ok(line, log);
      assert.ok(line.endsWith('): findmnt libz.so'), line);
      assert.not.match(line, /leaky libz|libz.a/, 'what was installed is not reported');
    });
  }
  test.after(() => {
    if (tree) removeTree(tree);
  });
} else {
  test('provides: real make runs (skipped)', () => {});
}

test.run();
