// How lean and reviewable the generated tree is (issue 11, item 2): out/ size and file count for stages/, and the
// `git diff` in out/ (files, lines added + removed) after four everyday edits of stages/: bump a package version,
// change one configure flag, change one stage env variable, change one template body. Each edit starts from the
// same committed out/. Prints one line per figure.
// Usage, after `npm run build`: node dist/bench/lean.js
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../compiler/paths.js';

/** One everyday edit: a file of stages/ and a replacement inside it, after an anchor. */
interface Edit {
  readonly what: string;
  readonly file: string;
  /** The edit applies to the first `from` after the first `anchor`. */
  readonly anchor: string;
  readonly from: string;
  readonly to: string;
}

const EDITS: readonly Edit[] = [
  {
    what: 'bump a package version (stage3/musl)',
    file: 'stage3/libc.recipe',
    anchor: 'package musl',
    from: 'version = "1.2.6"',
    to: 'version = "1.2.7"',
  },
  {
    what: 'change one configure flag (stage3/libffi)',
    file: 'stage3/libs.recipe',
    anchor: '',
    from: '--disable-docs',
    to: '--enable-docs',
  },
  {
    what: 'change one stage env variable (stage3 OBJDUMP)',
    file: 'stages.recipe',
    anchor: 'stage stage3 {',
    from: 'OBJDUMP = "llvm-objdump"',
    to: 'OBJDUMP = "llvm-objdump --demangle"',
  },
  {
    what: 'change one template body (autotools build)',
    file: 'templates.recipe',
    anchor: 'template autotools(',
    from: '  build """\n    cd "${srcdir}"\n    make\n',
    to: '  build """\n    cd "${srcdir}"\n    make V=1\n',
  },
];

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });

function generate(stages: string, out: string): void {
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'dist/bin/serpentc.js'), stages, '-o', out], { stdio: 'ignore' });
}

const root = mkdtempSync(join(tmpdir(), 'serpentc-lean-'));
try {
  const stages = join(root, 'stages');
  const out = join(root, 'out');
  cpSync(join(PACKAGE_ROOT, 'stages'), stages, { recursive: true });
  generate(stages, out);
  git(out, 'init', '-q');
  git(out, 'add', '-A');
  git(out, 'commit', '-qm', 'base');
  const files = git(out, 'ls-files').trim().split('\n');
  const bytes = files.reduce((n, f) => n + readFileSync(join(out, f)).length, 0);
  const stepScripts = files.filter((f) => /^[^/]+\/[^/]+\.sh$/.test(f) && !f.startsWith('lib/'));
  const stepLines = stepScripts.reduce((n, f) => n + readFileSync(join(out, f), 'utf8').split('\n').length - 1, 0);
  console.log(
    `out/ for stages/: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB; ${stepScripts.length} package scripts, ${stepLines} lines`,
  );
  for (const edit of EDITS) {
    const path = join(stages, edit.file);
    const before = readFileSync(path, 'utf8');
    const at = before.indexOf(edit.anchor);
    const hit = at < 0 ? -1 : before.indexOf(edit.from, at);
    if (hit < 0) throw new Error(`edit "${edit.what}": ${JSON.stringify(edit.from)} not found`);
    writeFileSync(path, before.slice(0, hit) + edit.to + before.slice(hit + edit.from.length));
    generate(stages, out);
    git(out, 'add', '-A');
    const numstat = git(out, 'diff', '--cached', '--numstat').trim().split('\n').filter(Boolean);
    const lines = numstat.reduce((n, l) => n + Number(l.split('\t')[0]) + Number(l.split('\t')[1]), 0);
    console.log(`diff in out/ after "${edit.what}": ${numstat.length} files, ${lines} lines (+/-)`);
    git(out, 'reset', '-q', '--hard');
    writeFileSync(path, before);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
