// A source's `paths`, for real: only the named paths of the archive (each with everything below it) are unpacked
// by the generated extract step (GNU make, dash, GNU tar), and by the runtime's serpent_unpack under dash and
// busybox sh with GNU tar and busybox tar; a path the archive lacks fails the extract. The substitute of a layer
// extracts the same paths of its own tree, whatever its top directory is called.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runtimeLibrary } from '../compiler/emit/runtime.js';
import { ARCHIVE_SUFFIXES } from '../compiler/plan/values.js';
import { requires } from './helpers/env.js';
import { recipeTree, removeTree, serpentc, type Tree } from './helpers/sandbox.js';
import { removeTempDirs, tempDir } from './fixtures/make/harness.js';

const enabled = requires('paths: real extractions', { tools: ['make', 'dash', 'busybox', 'tar', 'xz', 'patch'] });

/** Every file below `dir`, relative and sorted. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort(); // sort for determinism
}

/** An archive `<name>.tar.xz` of a tree under the top directory `top`: a/x/f, b/g, c/h. */
function archive(dir: string, name: string, top: string): { path: string; sha256: string } {
  const src = join(dir, `${name}-tree`);
  for (const [rel, text] of [
    ['a/x/f', 'f\n'],
    ['b/g', 'g\n'],
    ['c/h', 'h\n'],
  ]) {
    mkdirSync(join(src, top, rel, '..'), { recursive: true });
    writeFileSync(join(src, top, rel), text);
  }
  const path = join(dir, `${name}.tar.xz`);
  execFileSync('tar', ['-cJf', path, '-C', src, top]);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

if (enabled) {
  // made when this suite starts, not when its module is loaded: the suites before it remove every temporary
  // directory of the shared harness when they end (removeTempDirs)
  let dir = '';
  let mirror = '';
  let part = { path: '', sha256: '' };
  let other = { path: '', sha256: '' };
  let tree: Tree | null = null;

  test.before(() => {
    dir = tempDir('paths');
    mirror = join(dir, 'mirror');
    mkdirSync(mirror);
    part = archive(mirror, 'part-1.0', 'part-1.0');
    other = archive(mirror, 'part-other-debian', 'other_1.0.orig');
  });

  test.after(() => {
    if (tree) removeTree(tree);
    removeTempDirs();
  });

  /** `make stage1-<pkg>` in a fresh build directory, the sources from the mirror only. */
  function build(
    pkg: string,
    layered = false,
  ): { status: number | null; output: string; src: string; log: string; stamped: boolean } {
    if (!tree) {
      tree = recipeTree({
        'part.recipe': `package part in stage1 {
  version = "1.0"
  source "https://example.org/part-\${version}.tar.xz" {
    sha256 = "${part.sha256}"
    paths = ["a", "c/"]
  }
  build """
    test -f a/x/f && test -f c/h && test ! -e b
  """
}

package part-typo in stage1 {
  version = "1.0"
  source "https://example.org/part-\${version}.tar.xz" {
    sha256 = "${part.sha256}"
    paths = ["a", "nope"]
  }
}
`,
        'layers/other/layer.recipe': `layer other {
  description = "another file with the same tree"
}

amend package part in stage1 {
  substitute "https://example.org/part-\${version}.tar.xz" {
    by = "file:///srv/part-other-debian.tar.xz"
    sha256 = "${other.sha256}"
    reason = "a test: its top directory has another name"
  }
}
`,
      });
      for (const [args, out] of [
        [[tree.stages], 'out'],
        [[tree.stages, join(tree.stages, 'layers/other')], 'out-layered'],
      ] as const) {
        const r = serpentc([...args, '-o', join(tree.root, out)]);
        assert.is(r.status, 0, r.stderr);
      }
    }
    const out = join(tree.root, layered ? 'out-layered' : 'out');
    const buildDir = join(tree.root, `build-${pkg}-${layered ? 'layered' : 'base'}`);
    const r = spawnSync(
      'make',
      [
        '-C',
        out,
        `BUILD_DIR=${buildDir}`,
        `SOURCES_DIR=${join(tree.root, 'sources')}`,
        `MIRRORS=file://${mirror}`,
        'MIRROR_ONLY=1',
        'SERPENT_SH=dash',
        `stage1-${pkg}`,
      ],
      { encoding: 'utf8' },
    );
    const logFile = join(buildDir, 'logs/stage1', pkg, 'extract.log');
    return {
      status: r.status,
      output: `${r.stdout}${r.stderr}`,
      src: join(buildDir, 'stage1/work', pkg, 'src'),
      log: existsSync(logFile) ? readFileSync(logFile, 'utf8') : '',
      stamped: existsSync(join(buildDir, 'stamps/stage1', pkg, 'extract')),
    };
  }

  test('the extract step unpacks only the paths the source names, each with everything below it', () => {
    const r = build('part');
    assert.is(r.status, 0, r.output);
    assert.equal(files(r.src), ['a/x/f', 'c/h']);
    assert.ok(r.stamped);
  });

  test("a layer's substitute with another top directory unpacks the same paths of its own tree", () => {
    const r = build('part', true);
    assert.is(r.status, 0, r.output);
    assert.equal(files(r.src), ['a/x/f', 'c/h']);
    assert.match(r.log, 'part-other-debian.tar.xz: substitutes');
  });

  test('a path the archive lacks fails the extract step and leaves no stamp', () => {
    const r = build('part-typo');
    assert.is.not(r.status, 0, r.output);
    assert.match(r.log, /nope: [Nn]ot found in archive/, r.output);
    assert.not.ok(r.stamped);
  });

  test('serpent_unpack: dash and busybox sh, GNU tar and busybox tar, every strip', () => {
    const lib = join(dir, 'serpent-lib.sh');
    writeFileSync(lib, runtimeLibrary());
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
    const bbTar = join(dir, 'busybox-tar');
    mkdirSync(bbTar);
    symlinkSync(busybox, join(bbTar, 'tar'));
    let n = 0;
    for (const shell of [['dash'], [busybox, 'sh']]) {
      for (const path of [process.env.PATH ?? '', `${bbTar}:${process.env.PATH ?? ''}`]) {
        const unpack = (...args: string[]): { status: number | null; files: string[]; err: string } => {
          const into = join(dir, `unpack-${(n += 1)}`);
          const [cmd, ...pre] = shell;
          const r = spawnSync(
            cmd,
            [...pre, '-c', '. "$1"; shift; serpent_unpack "$@"', 'x', lib, part.path, into, ...args],
            {
              encoding: 'utf8',
              env: { ...process.env, PATH: path },
            },
          );
          return { status: r.status, files: files(into), err: r.stderr };
        };
        const what = `${shell.join(' ')} with ${path.startsWith(bbTar) ? 'busybox' : 'GNU'} tar`;
        assert.equal(unpack('1').files, ['a/x/f', 'b/g', 'c/h'], `${what}: no paths, everything`);
        assert.equal(unpack('1', 'a', 'c/').files, ['a/x/f', 'c/h'], `${what}: two paths`);
        assert.equal(unpack('1', 'a/x').files, ['a/x/f'], `${what}: a nested path`);
        assert.equal(unpack('0', 'part-1.0/b').files, ['part-1.0/b/g'], `${what}: strip 0`);
        const deep = unpack('2', 'x');
        assert.is.not(deep.status, 0, `${what}: strip 2 past the first member`);
        assert.match(deep.err, 'has fewer than 2 leading directories to strip', what);
        const missing = unpack('1', 'a', 'nope');
        assert.is.not(missing.status, 0, `${what}: a missing path fails`);
        assert.match(missing.err, /nope/, what);
      }
    }
  });
  test('serpent_apply_patch applies a patch whose reverse also matches the fresh tree (fuzz, offset)', () => {
    const lib = join(dir, 'serpent-lib.sh');
    writeFileSync(lib, runtimeLibrary());
    // `check();` is added under case 1; case 2 already has it three lines below, which a reverse dry run finds
    const before = ['int f(int x) {', '  switch (x) {', '  case 1:', '    setup();', '    break;', '  case 2:'];
    const rest = ['    setup();', '    check();', '    break;', '  }', '  return 0;', '}', ''];
    const fix = [
      '--- a/f.c',
      '+++ b/f.c',
      '@@ -2,6 +2,7 @@',
      '   switch (x) {',
      '   case 1:',
      '     setup();',
      '+    check();',
      '     break;',
      '   case 2:',
      '     setup();',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'fix.patch'), fix);
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
    const bbPatch = join(dir, 'busybox-patch');
    mkdirSync(bbPatch, { recursive: true });
    if (!existsSync(join(bbPatch, 'patch'))) symlinkSync(busybox, join(bbPatch, 'patch'));
    let n = 0;
    for (const shell of [['dash'], [busybox, 'sh']]) {
      for (const path of [process.env.PATH ?? '', `${bbPatch}:${process.env.PATH ?? ''}`]) {
        const tree = join(dir, `patch-${(n += 1)}`);
        mkdirSync(tree);
        writeFileSync(join(tree, 'f.c'), [...before, ...rest].join('\n'));
        const [cmd, ...pre] = shell;
        const r = spawnSync(cmd, [...pre, '-c', '. "$1"; serpent_apply_patch "$2"', 'x', lib, join(dir, 'fix.patch')], {
          cwd: tree,
          encoding: 'utf8',
          env: { ...process.env, PATH: path },
        });
        const what = `${shell.join(' ')} with ${path.startsWith(bbPatch) ? 'busybox' : 'GNU'} patch`;
        assert.is(r.status, 0, `${what}: ${r.stderr}`);
        assert.is(
          readFileSync(join(tree, 'f.c'), 'utf8'),
          [...before.slice(0, 4), '    check();', ...before.slice(4), ...rest].join('\n'),
          what,
        );
      }
    }
  });
} else {
  test('paths: real extractions (skipped)', () => {});
}

const compressors = requires('serpent_unpack: every archive name the compiler accepts', {
  tools: ['dash', 'tar', 'gzip', 'xz', 'bzip2', 'zstd'],
});
if (compressors) {
  test('serpent_unpack unpacks an archive under each name check accepts (ARCHIVE_SUFFIXES), and no other', () => {
    const dir = tempDir('unpack-names');
    try {
      const lib = join(dir, 'serpent-lib.sh');
      writeFileSync(lib, runtimeLibrary());
      const tree = join(dir, 'tree');
      mkdirSync(join(tree, 'p-1.0', 'sub'), { recursive: true });
      writeFileSync(join(tree, 'p-1.0', 'sub', 'f'), 'f\n');
      const tar = execFileSync('tar', ['-cf', '-', '-C', tree, 'p-1.0']);
      /** an ending's compressor, by its last letters (`.tgz` and `.tar.gz` alike); none for a plain `.tar` */
      const compressors: readonly (readonly [RegExp, string])[] = [
        [/gz$/, 'gzip'],
        [/xz$/, 'xz'],
        [/bz2?$/, 'bzip2'],
        [/zst$/, 'zstd'],
      ];
      const compress = (suffix: string): Buffer => {
        const tool = compressors.find(([ending]) => ending.test(suffix))?.[1];
        return tool === undefined ? tar : execFileSync(tool, ['-c'], { input: tar });
      };
      const unpack = (name: string, bytes: Buffer) => {
        const file = join(dir, name);
        writeFileSync(file, bytes);
        const into = join(dir, `into-${name}`);
        const r = spawnSync('dash', ['-c', '. "$1"; shift; serpent_unpack "$@"', 'x', lib, file, into, '1'], {
          encoding: 'utf8',
        });
        return { status: r.status, files: files(into), err: r.stderr };
      };
      for (const suffix of ARCHIVE_SUFFIXES) {
        const r = unpack(`p-1.0${suffix}`, compress(suffix));
        assert.is(r.status, 0, `${suffix}: ${r.err}`);
        assert.equal(r.files, ['sub/f'], suffix);
      }
      // a name check refuses is one the runtime cannot unpack either: the error comes at compile time instead
      for (const name of ['p-1.0.zip', 'p-1.0.TAR.GZ', 'p-download', 'p-1.0.tar.lz']) {
        const r = unpack(name, tar);
        assert.is.not(r.status, 0, name);
        assert.match(r.err, 'do not know how to unpack', name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
} else {
  test('serpent_unpack: every archive name the compiler accepts (skipped)', () => {});
}

const unprivileged = requires('serpent_rm_tree run by a user other than root', {
  root: true,
  tools: ['dash', 'busybox', 'setpriv'],
});
if (unprivileged) {
  test('a build not run as root removes and empties trees a failed step left read-only, and nothing outside', () => {
    // the build directory is the user's own
    const dir = tempDir('rm-tree');
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 65534);
    const lib = join(dir, 'serpent-lib.sh');
    writeFileSync(lib, runtimeLibrary());
    const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
    // a file outside the tree, read-only, which the tree links to: chmod -R must not follow the link
    const outside = join(dir, 'outside');
    writeFileSync(outside, 'keep\n');
    chmodSync(outside, 0o444);
    chownSync(outside, 65534, 65534);
    let n = 0;
    for (const shell of [['dash'], [busybox, 'sh']]) {
      for (const fn of ['serpent_fresh_dir', 'serpent_rm_tree']) {
        const tree = join(dir, `tree-${(n += 1)}`);
        mkdirSync(join(tree, 'mod/cache/deep'), { recursive: true });
        writeFileSync(join(tree, 'mod/cache/deep/f'), 'f\n');
        symlinkSync(outside, join(tree, 'mod/cache/link'));
        execFileSync('chown', ['-R', '65534:65534', tree]);
        chmodSync(join(tree, 'mod/cache/deep'), 0o500);
        chmodSync(join(tree, 'mod/cache'), 0o555);
        const [cmd, ...pre] = shell;
        const r = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            cmd,
            ...pre,
            '-c',
            '. "$1"; shift; "$@"',
            'x',
            lib,
            fn,
            tree,
          ],
          { encoding: 'utf8' },
        );
        const what = `${shell.join(' ')}: ${fn}`;
        assert.is(r.status, 0, `${what}: ${r.stderr}`);
        if (fn === 'serpent_rm_tree') assert.not.ok(existsSync(tree), `${what} left the tree`);
        else assert.equal(readdirSync(tree), [], `${what} left something in the tree`);
        assert.is(statSync(outside).mode & 0o777, 0o444, `${what} changed a file outside the tree`);
      }
    }
  });
} else {
  test('serpent_rm_tree run by a user other than root (skipped)', () => {});
}

test.run();
