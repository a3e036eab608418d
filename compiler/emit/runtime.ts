// The runtime library out/lib/serpent.sh: templates/runtime/*.sh concatenated in one declared order, so the
// generated file is byte-identical to the single runtime.sh it was split from; and the signatures lib/sig/*: which
// pieces of it set up a step's execution (a stamp depends on those alone) and which rerun nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../paths.js';
import { bug } from '../util.js';

/** One file of templates/runtime/: a section (or run of sections) of the library, in output order. */
export interface RuntimePart {
  /** File name inside templates/runtime/. */
  readonly file: string;
  /** What the part holds, in one line. */
  readonly purpose: string;
  /**
   * Earlier parts whose functions this part calls. Shell variables come from serpent_init (paths.sh) when run as
   * a command, or from the generated step script's environment when sourced.
   */
  readonly calls: readonly string[];
}

/**
 * The parts in output order. Each starts at a section banner of the original file (main.sh at serpent_main),
 * so the parts need no text of their own: the header comment in base.sh still describes the whole library.
 */
export const RUNTIME_PARTS: readonly RuntimePart[] = Object.freeze([
  {
    file: 'base.sh',
    purpose: 'shebang, library header, messages (die, say), command lookup, tree removal, group kill, clock',
    calls: [],
  },
  {
    file: 'makeflags.sh',
    purpose: 'MAKEFLAGS reading: dry run, jobserver flags for inner makes, default job count',
    calls: [],
  },
  {
    file: 'paths.sh',
    purpose: 'build/source directory resolution and checks, serpent_init, job count',
    calls: ['base.sh', 'makeflags.sh'],
  },
  {
    file: 'sources.sh',
    purpose: 'fetch (mirrors, url, git), sha256 verify, unpack, install file, apply patch, fresh dir',
    calls: ['base.sh'],
  },
  {
    file: 'chroot.sh',
    purpose: 'isolation: mounts, stale unmounts, unshare probe, locks, jobserver fifo, chroot-inner',
    calls: ['base.sh', 'makeflags.sh'],
  },
  {
    file: 'step.sh',
    purpose:
      'the step runner: banner with the last time, log, timing record, clean environment, host or chroot run, stamp',
    calls: ['base.sh', 'makeflags.sh', 'paths.sh', 'chroot.sh'],
  },
  {
    file: 'commands.sh',
    purpose: 'whole-build commands: source, check-host, status, report, clean, distclean',
    calls: ['base.sh', 'makeflags.sh', 'sources.sh', 'chroot.sh'],
  },
  {
    file: 'explain.sh',
    purpose: 'explain: whether make would run a step and why, from lib/prereqs.txt and the stamps',
    calls: ['base.sh'],
  },
  {
    file: 'show.sh',
    purpose: 'the script a step runs (its stage environment, then its own script) and `make show`',
    calls: ['base.sh'],
  },
  {
    file: 'main.sh',
    purpose: 'command dispatch (serpent_main) and the run-as-a-command guard',
    calls: ['base.sh', 'paths.sh', 'chroot.sh', 'step.sh', 'commands.sh', 'explain.sh', 'show.sh'],
  },
]);

/** templates/runtime/ */
export const RUNTIME_DIR: string = join(TEMPLATES_DIR, 'runtime');

/** The text of one part, as stored. */
export function runtimePart(file: string): string {
  return readFileSync(join(RUNTIME_DIR, file), 'utf8');
}

/** The runtime library, written verbatim to lib/serpent.sh: every part, in RUNTIME_PARTS order, nothing between. */
export function runtimeLibrary(): string {
  return RUNTIME_PARTS.map((part) => runtimePart(part.file)).join('');
}

// ------------------------------------------------------------------------------------------------------------
// Which runtime code a step's result depends on. A step's stamp does not depend on lib/serpent.sh as a whole
// (editing `make status` would rerun every step) but on a signature file, lib/sig/<kind>, that lists a sha256
// per piece of the code that sets up the step's execution. serpentc writes a file only when its content changes,
// so the signature's mtime moves exactly when one of those pieces changes, and make's own rule does the rest.
// ------------------------------------------------------------------------------------------------------------

/** The kinds of execution a step's stamp depends on: host steps, chroot steps, and built-in extract/patch. */
export type ExecKind = 'host' | 'chroot' | 'unpack';

/**
 * A piece of the runtime: a whole function (`serpent_run_host`), one arm of a function's `case`
 * (`serpent_main run-step)`), or the lines of a function that start with a word (`serpent_step umask`).
 */
export type RuntimePiece = string;

/** What every step runs through, whatever its placement: paths, job count, the run-step command, the umask. */
const SETUP_COMMON: readonly RuntimePiece[] = [
  'serpent_abs', // BUILD_DIR and SOURCES_DIR as the absolute paths the step's variables hold
  'serpent_default_jobs', // `jobs`
  'serpent_compose', // the script that runs: the stage's environment, then the step's own script
  'serpent_have', // which of setsid/unshare/chroot is used
  'serpent_init', // the paths and settings passed to the step
  'serpent_init_jobs',
  'serpent_job_flags', // the MAKEFLAGS an inner make gets
  'serpent_main run-step)', // how the step's script is started
  'serpent_step umask', // the mode of everything a step creates
];

/** The pieces each kind of step's stamp depends on (besides top-level code, which every kind includes). */
export const EXECUTION_PIECES: Readonly<Record<ExecKind, readonly RuntimePiece[]>> = Object.freeze({
  host: [...SETUP_COMMON, 'serpent_run_host', 'serpent_step_tmp'],
  chroot: [
    ...SETUP_COMMON,
    'serpent_bind_jobserver_fifo',
    'serpent_chroot_inner',
    'serpent_main chroot-inner)',
    'serpent_mount_bind',
    'serpent_mount_point',
    'serpent_mount_pseudo',
    'serpent_record_mount',
    'serpent_run_chroot',
    'serpent_unmount_below',
    'serpent_unmount_recorded',
    'serpent_unshare_flags',
  ],
  // Built-in extract and patch steps source the library for these; fetching is not among them: the bytes it
  // fetches are verified against the pinned sha256, which the extract script itself holds.
  unpack: ['serpent_apply_patch', 'serpent_fresh_dir', 'serpent_install_file', 'serpent_rm_tree', 'serpent_unpack'],
});

/**
 * Functions whose changes rerun nothing: they report (messages, status, report, explain, progress, the timing
 * record), check the host or the free space, lock, clean, fetch verified bytes, or decide whether to run at all
 * (the package runner, which decides which steps run, including redoing an unfinished package from a fresh work tree, which gives what an uninterrupted run gives). Every function of
 * the library is either here or a piece of EXECUTION_PIECES (whole, or through one of its arms or lines), which
 * spec/invalidation.test.ts checks, so a new function must be classified before it ships.
 */
export const NON_EXECUTION_FUNCTIONS: ReadonlySet<string> = new Set([
  'serpent_alive',
  'serpent_always_make',
  'serpent_barrier',
  'serpent_bounded',
  'serpent_check_host',
  'serpent_check_path',
  'serpent_clean',
  'serpent_clock',
  'serpent_die',
  'serpent_dir_lock',
  'serpent_drop_tmp',
  'serpent_distclean',
  'serpent_download',
  'serpent_dry_run',
  'serpent_duration',
  'serpent_explain',
  'serpent_explain_facts',
  'serpent_file_digest',
  'serpent_fetch',
  'serpent_fetch_all',
  'serpent_fetch_limits',
  'serpent_flock_ok',
  'serpent_free_kb',
  'serpent_git_fetch',
  'serpent_holder_text',
  'serpent_kill_group',
  'serpent_last_time',
  'serpent_lock',
  'serpent_mounts_below',
  'serpent_need',
  'serpent_need_cpu',
  'serpent_need_one',
  'serpent_newer',
  'serpent_now',
  'serpent_package',
  'serpent_package_current',
  'serpent_package_lock',
  'serpent_package_stop',
  'serpent_partial_tag',
  'serpent_prereq_state',
  'serpent_record',
  'serpent_record_out',
  'serpent_record_states',
  'serpent_recorded_digest',
  'serpent_refuse_if_mounted',
  'serpent_report',
  'serpent_rm',
  'serpent_rm_plain',
  'serpent_rm_private',
  'serpent_rule_current',
  'serpent_rule_of',
  'serpent_runtime_alive',
  'serpent_say',
  'serpent_sha256',
  'serpent_show',
  'serpent_source',
  'serpent_source_entry',
  'serpent_source_stop',
  'serpent_space_check',
  'serpent_space_dir',
  'serpent_space_note',
  'serpent_stamp_current',
  'serpent_status',
  'serpent_step_lock',
  'serpent_step_only',
  'serpent_step_state',
  'serpent_stop',
  'serpent_sweep_partials',
  'serpent_try_file',
  'serpent_try_git',
  'serpent_unlock',
  'serpent_untouched',
  'serpent_verify',
  'serpent_wait_leftovers',
  'serpent_want',
]);

/** The functions of a library text, by name, each from its `name() {` line to its closing `}` line. */
export function runtimeFunctions(library: string): Map<string, string> {
  const fns = new Map<string, string>();
  for (const m of library.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\(\) \{\n(?:.*\n)*?\}\n/gm)) fns.set(m[1], m[0]);
  return fns;
}

/** The library's code outside functions (comments and blank lines dropped): it runs for every use. */
export function runtimeTopLevel(library: string): string {
  return library
    .replace(/^([A-Za-z_][A-Za-z0-9_]*)\(\) \{\n(?:.*\n)*?\}\n/gm, '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .join('\n');
}

/** The text of one piece; null when the library has no such function, arm or line. */
export function pieceText(fns: ReadonlyMap<string, string>, piece: RuntimePiece): string | null {
  const [name, part] = piece.split(' ', 2);
  const fn = fns.get(name);
  if (fn === undefined) return null;
  if (part === undefined) return fn;
  const lines = fn.split('\n');
  if (part.endsWith(')')) {
    // a case arm: from its label to the `;;` one level deeper than the label
    const start = lines.findIndex((l) => l.trim() === part);
    if (start < 0) return null;
    const indent = lines[start].length - lines[start].trimStart().length;
    const end = lines.findIndex((l, i) => i > start && l === `${' '.repeat(indent + 2)};;`);
    return end < 0 ? null : lines.slice(start, end + 1).join('\n');
  }
  const matching = lines.filter((l) => l.trim() === part || l.trim().startsWith(`${part} `));
  return matching.length ? matching.join('\n') : null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * lib/sig/<kind>: the sha256 of each piece of `library` that sets up that kind of step, one `<sha256> <piece>`
 * line each (the code outside functions as `(top level)`), so a review diff names the piece that changed.
 */
export function signatureFile(kind: ExecKind, library: string): string {
  const fns = runtimeFunctions(library);
  const lines = [
    '# generated by serpentc — do not edit',
    `# The runtime code (lib/serpent.sh) that sets up ${KIND_TEXT[kind]}, one sha256 per piece. Their stamps`,
    '# depend on this file instead of the whole library: it changes, and they rerun, exactly when one of these does.',
    `${sha256(runtimeTopLevel(library))} (top level)`,
  ];
  for (const piece of EXECUTION_PIECES[kind]) {
    const text = pieceText(fns, piece);
    if (text === null) throw bug(`runtime piece ${piece} (lib/sig/${kind}) is not in the runtime library`);
    lines.push(`${sha256(text)} ${piece}`);
  }
  return `${lines.join('\n')}\n`;
}

const KIND_TEXT: Readonly<Record<ExecKind, string>> = {
  host: 'a host step',
  chroot: 'a chroot step',
  unpack: 'built-in extract and patch steps (besides lib/sig/host)',
};
