// The runtime library out/lib/serpent.sh: templates/runtime/*.sh concatenated in one declared order, so the
// generated file is byte-identical to the single runtime.sh it was split from and each part can be hashed alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../paths.js';

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
  { file: 'base.sh', purpose: 'shebang, library header, messages (die, say), command lookup, clock', calls: [] },
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
    file: 'main.sh',
    purpose: 'command dispatch (serpent_main) and the run-as-a-command guard',
    calls: ['base.sh', 'paths.sh', 'chroot.sh', 'step.sh', 'commands.sh', 'explain.sh'],
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
