// Real recipe trees on disk for the tests of the file-system edges (output directory, symbolic links, I/O
// errors), and the CLI run as a process: as the current user or, through setpriv, as the unprivileged `nobody`.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI_BIN, SPEC_DIR } from './paths.js';

/** uid and gid of `nobody`, which owns nothing the tests make. */
export const NOBODY = 65534;

/** A package of stage1 (a host stage of base.recipe) that ships a patch and a file. */
export const SHIPPING_RECIPE = `package ships in stage1 {
  version = "1"
  patches = ["patches/fix.patch"]
  files = ["files/config.site"]
  source "https://example.org/ships-1.tar.gz" {
    sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }
  build """
    make
  """
}
`;

export interface Tree {
  /** the temporary directory holding everything; world-readable so `nobody` can read the recipes */
  readonly root: string;
  /** root/stages: base.recipe plus the given files */
  readonly stages: string;
}

/** A fresh tree: `files` (path relative to stages/ → content) beside spec/cases/base.recipe. */
export function recipeTree(files: Readonly<Record<string, string>>): Tree {
  const root = mkdtempSync(join(tmpdir(), 'serpentc-sandbox-'));
  chmodSync(root, 0o755);
  const stages = join(root, 'stages');
  mkdirSync(stages);
  copyFileSync(join(SPEC_DIR, 'cases', 'base.recipe'), join(stages, 'base.recipe'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(stages, rel)), { recursive: true });
    writeFileSync(join(stages, rel), text);
  }
  return { root, stages };
}

/** The tree of SHIPPING_RECIPE with its patch and file in place. */
export function shippingTree(): Tree {
  return recipeTree({
    'ships.recipe': SHIPPING_RECIPE,
    'patches/fix.patch': '--- a/x\n+++ b/x\n',
    'files/config.site': 'ac_cv_x=yes\n',
  });
}

export function removeTree(t: Tree): void {
  rmSync(t.root, { recursive: true, force: true });
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The installed binary as a process; with `nobody`, under setpriv as uid/gid 65534 without groups. */
export function serpentc(args: readonly string[], opts: { readonly nobody?: boolean } = {}): Run {
  const argv = [process.execPath, CLI_BIN, ...args];
  const [cmd, ...rest] = opts.nobody
    ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv]
    : argv;
  const r = spawnSync(cmd, rest, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
