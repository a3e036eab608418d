// Semantic checks over the resolved model and its planning decisions (plan/index.ts): order and cycles, safety
// of roots and mounts, sources and files, step placement, shell syntax, variables and tools. Check only finds
// problems and returns them; the decisions it checks are plan's.
// Over 400 lines on purpose: four short sections (order, safety, sources, steps) over one model walk, so the
// rules read as one list.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { nameChar } from '../grammar/chars.js';
import type { Loc, StepItem, StringLit } from '../grammar/syntax.js';
import { shellInfo, type ShellFacts } from './bodies.js';
import { NOTES, type MessageData } from './diagnostics/catalogue.js';
import { Sink, type Diagnostic, type Note } from './diagnostics/diagnostic.js';
import { suggestion } from './diagnostics/suggest.js';
import type { Decisions, PackagePlan, ToolIndex } from './plan/index.js';
import type { PlannedStep } from './plan/order.js';
import {
  ARCHIVE_SUFFIXES,
  HOST_ONLY_VARS,
  RUNTIME_VARS,
  SHELL_VARS,
  STEP_ENV_VARS,
  stagesPath,
  type PlannedSource,
  type Unresolved,
} from './plan/values.js';
import type { Model, RChroot, RPackage, RStage } from './resolve/index.js';
import { stageRoot, STEP_MARKER } from './emit/layout.js';
import { SHELL_BUILTINS } from './shell/index.js';
import { isInside } from './util.js';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

export interface CheckOptions {
  /** Where patches and files are looked up. */
  readonly stagesDir: string;
  /** display path → path relative to the stages directory */
  readonly relOf: ReadonlyMap<string, string>;
}

export function check(
  model: Model,
  decisions: Decisions,
  shell: ShellFacts,
  opts: CheckOptions,
): readonly Diagnostic[] {
  const sink = new Sink();
  let real: string | null | undefined;
  const stagesReal = () => (real ??= realOrNull(opts.stagesDir));
  checkOrder(model, decisions, sink);
  for (const stage of model.stages.values()) checkStageSafety(stage, sink);
  checkChrootEnv(model, decisions, sink);
  checkTargets(model, sink);
  for (const s of decisions.stages.values()) {
    for (const e of s.env) reportUnresolved(e.value.unresolved, sink);
    for (const p of s.path) reportUnresolved(p.unresolved, sink);
  }

  /** cache file name → sha256, to catch two different files under one name */
  const cacheNames = new Map<string, { readonly sha: string; readonly loc: Loc }>();
  const names = bodyNames(model, decisions.roots);
  const unavailable: Unavailable = new Map();
  for (const p of decisions.packages.values()) {
    const { pkg, stage, statics } = p;
    reportUnresolved(statics.unresolved, sink, pkg.unbound);
    if (pkg.version && !statics.versionUnresolved && !VERSION.test(statics.version))
      sink.error('bad-value', pkg.version.loc, { kind: 'version', version: statics.version });
    // a value is written into the package script as it is: a line of it that starts with the step marker would
    // cut the script there (emit/render.ts)
    for (const [name, value] of statics.vars) {
      if (
        value
          .split('\n')
          .slice(1)
          .some((line) => line.startsWith(STEP_MARKER))
      )
        sink.error('bad-value', pkg.params.get(name)?.loc ?? pkg.decl.loc, { kind: 'value-step-marker', name });
    }
    for (const s of p.sources) reportUnresolved(s.unresolved, sink, pkg.unbound);
    checkSources(p.sources, cacheNames, sink, !pkg.steps.has('extract'));
    checkFiles(pkg, (file) => opts.relOf.get(file) ?? '', opts.stagesDir, stagesReal, sink);
    // The built-in patch step patches what the built-in extract step unpacked: the sources.
    const firstPatch = pkg.patches.at(0);
    if (firstPatch && pkg.sources.length === 0 && !pkg.steps.has('extract') && !pkg.steps.has('patch'))
      sink.error('missing-field', firstPatch.loc, { kind: 'patch-source', pkg: pkg.name });
    checkProvides(pkg, sink);
    // the stage's env is set after the package's variables (lib/env/<stage>.*.sh): it would replace the parameter
    for (const e of stage.env) {
      const param = pkg.params.get(e.name);
      if (param)
        sink.error('bad-name', param.loc, { kind: 'param-env', param: e.name, stage: stage.name }, [
          NOTES.envHere(e.loc),
        ]);
    }
    checkPlacements(pkg, stage, sink);
    if (pkg.incomplete) continue; // a `use` named no template: what it lacks is that one mistake
    for (const m of p.missingAnchors) {
      if (m.cycle) {
        sink.error('dependency-cycle', m.after.loc, { kind: 'steps', pkg: pkg.name, path: m.cycle });
        continue;
      }
      sink.error(
        'undefined-step',
        m.after.loc,
        { pkg: pkg.name, anchor: m.after.name, step: m.item.name.name },
        suggestion(m.after.name, m.known),
      );
    }
    checkBodies(p, shell, names, decisions.tools, sink, unavailable);
  }
  // one error per place in a body: a template body shared by many packages is one mistake
  for (const u of unavailable.values())
    sink.error(
      'command-unavailable',
      u.loc,
      u.data,
      u.pkgs.length > 1 ? [...u.notes, NOTES.alsoFor(u.pkgs.slice(1))] : u.notes,
    );
  return sink.items;
}

// ---------------------------------------------------------------------------------------------------------
// Order: stages that come after each other in a circle, dependencies that name no package of the stage, and
// dependency cycles with their full path and a way to break them.
// ---------------------------------------------------------------------------------------------------------

function checkOrder(model: Model, decisions: Decisions, sink: Sink): void {
  for (const { stage, path } of decisions.stageCycles) {
    const at = stage.after?.loc ?? stage.decl.name.loc;
    if (path.length === 2) {
      sink.error('dependency-cycle', at, { kind: 'self-stage', name: stage.name }, [NOTES.dropSelfAfter(stage.name)]);
      continue;
    }
    // the error stands at the first edge; a note shows where each other stage names the next
    const notes: Note[] = [];
    for (let i = 1; i < path.length - 1; i++) {
      const loc = model.stages.get(path[i])?.after?.loc;
      if (loc) notes.push(NOTES.afterHere(path[i], path[i + 1], loc));
    }
    sink.error('dependency-cycle', at, { kind: 'stages', path }, notes);
  }

  // A stage uses another stage's root (a chroot mount, a `${<stage>_root}` on its host `path`) only when that
  // root is built before it: stages are ordered by `after` alone. Skipped under a stage cycle (reported above).
  /** `from` and the stages it comes after, transitively. */
  const chain = (from: string | undefined) => {
    const out = new Set<string>();
    for (let s = from; s !== undefined && !out.has(s); s = model.stages.get(s)?.after?.name) out.add(s);
    return out;
  };
  if (decisions.stageCycles.length === 0)
    for (const stage of model.stages.values()) {
      const before = chain(stage.after?.name);
      const used: { name: string; loc: Loc; what: 'mount' | 'path' }[] = [
        ...(stage.chroot?.mounts ?? []).flatMap((m) =>
          m.from.kind === 'stage' ? [{ name: m.from.name, loc: m.from.loc, what: 'mount' as const }] : [],
        ),
        ...stage.path.flatMap((p) =>
          p.parts.flatMap((part) => {
            if (!('ref' in part)) return [];
            const m = /^(.+)_root$/.exec(part.ref);
            return m ? [{ name: m[1], loc: part.loc, what: 'path' as const }] : [];
          }),
        ),
      ];
      for (const u of used) {
        // its own root (the mount is its own error), or no stage (undefined, reported)
        if (u.name === stage.name || before.has(u.name) || !model.stages.has(u.name)) continue;
        const later = chain(u.name).has(stage.name);
        sink.error('stage-order', u.loc, { what: u.what, stage: stage.name, used: u.name, later }, [
          NOTES.stageOrder(stage.name, u.name, later),
        ]);
      }
    }

  // Dependencies: same stage only.
  const namesByStage = new Map<string, Set<string>>();
  for (const pkg of model.packages.values()) {
    const names = namesByStage.get(pkg.stage) ?? new Set<string>();
    namesByStage.set(pkg.stage, names.add(pkg.name));
  }
  for (const pkg of model.packages.values()) {
    for (const d of pkg.depends) {
      if (model.packages.has(`${pkg.stage}/${d.name}`) || model.unplaced.has(d.name)) continue;
      const elsewhere = [...model.packages.values()].filter((p) => p.name === d.name).map((p) => p.stage);
      const notes = elsewhere.length
        ? [NOTES.otherStage(d.name, elsewhere)]
        : suggestion(d.name, namesByStage.get(pkg.stage) ?? []);
      sink.error('undefined-package', d.loc, { kind: 'dependency', name: d.name, stage: pkg.stage }, notes);
    }
  }

  if (decisions.stuck.length) reportCycles(decisions.stuck, model, decisions.deps, sink);
}

/** Reports each elementary cycle found by DFS among the packages a cycle keeps from being ordered. */
function reportCycles(
  left: readonly string[],
  model: Model,
  deps: ReadonlyMap<string, readonly string[]>,
  sink: Sink,
): void {
  const leftSet = new Set(left);
  const reported = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  const nameOf = (id: string) => model.packages.get(id)?.name ?? id;
  /** Reports the cycle `cycle` (a path of the DFS) that the edge to `d`, its first element, closes. */
  const report = (cycle: readonly string[], d: string) => {
    const key = [...cycle].sort().join(',');
    if (reported.has(key)) return;
    reported.add(key);
    const names = [...cycle, d].map(nameOf);
    const ids = [...cycle, d];
    // Report at the edge that closes the cycle; a note shows each other edge where it is written (in
    // whichever file), in the cycle's order.
    const closing = edgeNote(model, ids[ids.length - 2], d);
    if (!closing) return;
    if (cycle.length === 1) {
      sink.error('dependency-cycle', closing.loc, { kind: 'self-package', name: names[0] }, [NOTES.dropSelf(names[0])]);
      return;
    }
    const edges: Note[] = [];
    for (let i = 0; i < ids.length - 2; i++) {
      const e = edgeNote(model, ids[i], ids[i + 1]);
      if (e) edges.push(e);
    }
    sink.error('dependency-cycle', closing.loc, { kind: 'packages', path: names }, [
      ...edges,
      NOTES.breakCycle(names[0], names[1]),
    ]);
  };
  // An explicit stack, not recursion: a chain of thousands of packages must not overflow the call stack.
  const path: string[] = [];
  const frames: { readonly id: string; readonly deps: readonly string[]; next: number }[] = [];
  const enter = (id: string) => {
    state.set(id, 'active');
    path.push(id);
    frames.push({ id, deps: deps.get(id) ?? [], next: 0 });
  };
  // sort for determinism
  for (const root of [...left].sort()) {
    if (state.has(root)) continue;
    enter(root);
    while (frames.length > 0) {
      const top = frames[frames.length - 1];
      if (top.next === top.deps.length) {
        state.set(top.id, 'done');
        frames.pop();
        path.pop();
        continue;
      }
      const d = top.deps[top.next++];
      if (!leftSet.has(d)) continue;
      if (state.get(d) === 'active') report(path.slice(path.indexOf(d)), d);
      else if (!state.has(d)) enter(d);
    }
  }
}

/** Where package `from` names `to`: its `depends` entry, or the base a pass rebuilds; null for an unknown id. */
function edgeNote(model: Model, from: string, to: string): (Note & { readonly loc: Loc }) | null {
  const pkg = model.packages.get(from);
  const target = model.packages.get(to);
  if (!pkg || !target) return null;
  const entry = pkg.depends.find((x) => `${pkg.stage}/${x.name}` === to);
  if (entry) return { ...NOTES.dependsHere(pkg.name, target.name, entry.loc), loc: entry.loc };
  const at = pkg.decl.kind === 'Pass' ? pkg.decl.of.loc : pkg.decl.name.loc;
  return { ...NOTES.rebuildsHere(pkg.name, target.name, at), loc: at };
}

/**
 * `${name}` references that are neither static nor runtime variables where they stand; `blamed`: names whose
 * absence is already reported elsewhere (a parameter the `use` failed to bind).
 */
function reportUnresolved(list: readonly Unresolved[], sink: Sink, blamed: ReadonlySet<string> = new Set()): void {
  for (const u of list)
    if (!blamed.has(u.ref))
      sink.error(
        'undefined-variable',
        u.loc,
        { kind: 'interpolation', name: u.ref },
        // a package's values are fixed when the scripts are written; runtime paths exist only when a step runs
        RUNTIME_VARS.includes(u.ref) || HOST_ONLY_VARS.includes(u.ref)
          ? [NOTES.runtimeInStatic(u.ref)]
          : suggestion(u.ref, u.known),
      );
}

// ---------------------------------------------------------------------------------------------------------
// Safety: every stage's root is `<build>/<stage>/root` (compiler/emit/layout.ts), so no root can leave the build
// directory or be shared; no bind mount exposes the chroot's own root or leaves the build directory, and every
// mount point (declared mounts, pseudo file systems, the work tree) is an absolute path inside the chroot.
// ---------------------------------------------------------------------------------------------------------

const escapes = (rel: string) => rel === '..' || rel.startsWith('../');

/** A mount point inside the chroot: absolute, without `.` or `..` (the runtime refuses them too). */
const goodMountPoint = (p: string) => p.startsWith('/') && !p.split('/').some((x) => x === '.' || x === '..');
/**
 * What a mount path may hold: the runtime finds its mounts in /proc/self/mountinfo, which escapes anything else
 * (the same set as serpent_check_path in templates/runtime/paths.sh).
 */
const PLAIN_PATH = /^[A-Za-z0-9_@%+=:,./-]*$/;

function checkMountPath(path: string, loc: Loc, sink: Sink): boolean {
  if (PLAIN_PATH.test(path)) return true;
  sink.error('bad-value', loc, { kind: 'mount-path', path });
  return false;
}

/** A mount point as the kernel sees it: `/a/`, `//a` and `/a` are one. */
const mountKey = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');

/**
 * A host `path` entry is one absolute directory: an empty or relative one would run programs from wherever a step
 * is (its work tree), and a `:` would make it several. A runtime path variable (`${stage1_root}`) is absolute.
 */
function checkHostPath(stage: RStage, sink: Sink): void {
  for (const entry of stage.path) {
    const first = entry.parts[0];
    const absolute = first !== undefined && ('ref' in first ? first.ref !== 'jobs' : first.lit.startsWith('/'));
    if (!absolute || entry.parts.some((p) => 'lit' in p && p.lit.includes(':')))
      sink.error('bad-value', entry.loc, { kind: 'path-entry', path: entry.value, where: 'host' });
  }
}

/** Target fields that become words and paths of every build (`--host=${triplet}`, `usr/lib/${triplet}`). */
const TARGET_WORD = /^[A-Za-z0-9_.+-]+$/;

function checkTargets(model: Model, sink: Sink): void {
  // every target, not only the selected one: `--target` picks another without editing a recipe
  for (const item of [...model.targets.values()].flatMap((t) => t.decl.items)) {
    if (item.kind !== 'Field' || item.value.kind !== 'String') continue;
    const field = item.key.name;
    if (field !== 'triplet' && field !== 'arch' && field !== 'llvm_backend') continue;
    const value = item.value.value;
    if (!TARGET_WORD.test(value) || (field === 'triplet' && !value.includes('-')))
      sink.error('bad-value', item.value.loc, { kind: 'target-word', field, value });
  }
}

/** A name `provides` promises: one file name in a bin or lib directory (`[` is a command; `a/b`, `..` are not). */
// eslint-disable-next-line no-control-regex
const PROVIDED_NAME = /^[^\s/\u0000-\u001f\u007f]+$/;

function checkProvides(pkg: RPackage, sink: Sink): void {
  for (const [what, list] of [
    ['command', pkg.provides.commands],
    ['library', pkg.provides.libraries],
  ] as const)
    for (const n of list)
      if (!PROVIDED_NAME.test(n.name) || n.name === '.' || n.name === '..')
        sink.error('bad-value', n.loc, { kind: 'provides-name', what, name: n.name });
}

function checkStageSafety(stage: RStage, sink: Sink): void {
  checkHostPath(stage, sink);
  const chroot = stage.chroot;
  if (!chroot) return;
  const root = stageRoot(stage.name);
  if (!chroot.shell.startsWith('/') || /\s/.test(chroot.shell)) {
    sink.error('bad-value', chroot.shellLoc, { kind: 'chroot-shell', shell: chroot.shell });
  }
  if (chroot.path.length === 0) sink.error('bad-value', chroot.loc, { kind: 'chroot-path' });
  for (const { path, loc } of chroot.pathEntries)
    if (!path.startsWith('/') || path.includes(':'))
      sink.error('bad-value', loc, { kind: 'path-entry', path, where: 'chroot' });
  // Every mount point of a step, written or default: the work tree, the pseudo file systems, the bind mounts.
  // One point mounted twice hides the first mount (or, for `/proc/` against `/proc`, binds the host's instead
  // of mounting anew), and a mount at `/` hides the root being built. Each as written, with its place, else the
  // defaults (`pseudo = []` mounts none).
  const effective = (what: 'workdir' | 'pseudo', defaults: readonly string[]) => {
    const written = chroot.points.filter((p) => p.what === what);
    return written.length || (what === 'pseudo' && chroot.pseudo.length === 0)
      ? written
      : defaults.map((path) => ({ path, loc: null, what }));
  };
  const all: { path: string; loc: Loc | null }[] = [
    ...effective('workdir', [chroot.workdir]),
    ...effective('pseudo', chroot.pseudo),
    ...chroot.mounts.map((m) => ({ path: m.target, loc: m.targetLoc, what: 'mount' })),
  ];
  const points = new Map<string, { loc: Loc | null; path: string }>();
  for (const { path, loc } of all) {
    const at = loc ?? chroot.loc;
    if (!checkMountPath(path, at, sink)) continue;
    if (!goodMountPoint(path)) {
      sink.error('path-escape', at, { kind: 'mount-point', target: path });
      continue;
    }
    const key = mountKey(path);
    if (key === '/') {
      sink.error('mount-contains-root', at, { kind: 'over-root', target: path });
      continue;
    }
    const first = points.get(key);
    if (!first) points.set(key, { loc, path });
    else if (loc)
      sink.error('duplicate-definition', loc, { kind: 'mount', target: path }, [
        first.loc ? NOTES.firstMounted(first.loc) : NOTES.defaultMount(first.path),
      ]);
  }
  for (const m of chroot.mounts) {
    if (m.from.kind === 'stage') {
      if (m.from.name === stage.name)
        sink.error('mount-contains-root', m.from.loc, { kind: 'own-root', stage: stage.name });
      continue;
    }
    const src = m.from.path;
    if (!checkMountPath(src, m.from.loc, sink)) continue;
    if (isAbsolute(src)) {
      if (posix.normalize(src) === '/') sink.error('mount-contains-root', m.from.loc, { kind: 'host-root' });
      else sink.error('path-escape', m.from.loc, { kind: 'mount-source', path: src });
    } else if (escapes(posix.normalize(src))) {
      sink.error('path-escape', m.from.loc, { kind: 'mount-source', path: src });
    } else if (contains(src, root)) {
      sink.error('mount-contains-root', m.from.loc, { kind: 'source', source: src, root });
    }
  }
}

/** Does directory `a` contain (or equal) `b`? Both relative to the build dir or both absolute. */
function contains(a: string, b: string): boolean {
  if (isAbsolute(a) !== isAbsolute(b)) return false;
  const na = posix.normalize(a).replace(/\/+$/, '');
  const nb = posix.normalize(b).replace(/\/+$/, '');
  return na === '.' || na === '' || nb === na || nb.startsWith(`${na}/`);
}

// ---------------------------------------------------------------------------------------------------------
// Sources and files: URLs are https (or explicitly allowed), checksums and commits are well-formed, no two
// different files share a cache name, and patches and files exist inside the stages directory.
// ---------------------------------------------------------------------------------------------------------

/** The length of each common digest in hex digits, to name the one a wrong-length sha256 probably is. */
const DIGESTS: ReadonlyMap<number, string> = new Map([
  [32, 'an md5'],
  [40, 'a sha1'],
  [56, 'a sha224'],
  [96, 'a sha384'],
  [128, 'a sha512'],
]);

/** What is wrong with a sha256 or commit written as `lit`: the diagnostic's data, where it points, its notes. */
function digestProblem(
  kind: 'sha256' | 'commit',
  lit: StringLit,
  url: string,
): { data: MessageData['bad-checksum']; loc: Loc; notes: Note[] } | null {
  const digits = kind === 'sha256' ? 64 : 40;
  const value = lit.value;
  if (value.length === digits && /^[0-9a-f]*$/.test(value)) return null;
  const chars = Array.from(value);
  const bad = chars.findIndex((c) => !/[0-9a-fA-F]/.test(c));
  if (bad >= 0 && kind === 'commit' && chars.length !== digits) {
    return { data: { kind, problem: 'ref', ref: value }, loc: lit.loc, notes: [NOTES.pinRef(value, url)] };
  }
  if (bad >= 0) {
    const char = nameChar(chars[bad], '`');
    const from = chars.slice(0, bad).join('').length;
    return {
      data: { kind, problem: 'not-hex', char, at: bad + 1 },
      loc: inString(lit, from, from + chars[bad].length - 1),
      notes: chars.length !== digits ? [NOTES.digestLength(chars.length, digits)] : [],
    };
  }
  if (value.length !== digits) {
    const other = kind === 'sha256' ? DIGESTS.get(value.length) : undefined;
    const notes =
      kind === 'commit'
        ? value.length >= 4
          ? [NOTES.shortCommit(value)]
          : []
        : [other !== undefined ? NOTES.otherDigest(other) : NOTES.digestHowTo()];
    // past the expected length the extra digits are the problem; short of it, the whole digest is
    const loc = value.length > digits ? inString(lit, digits, value.length - 1) : lit.loc;
    return { data: { kind, problem: 'length', found: value.length }, loc, notes };
  }
  // from the first uppercase digit to the last
  const upper = [...value.matchAll(/[A-F]/g)].map((m) => m.index);
  return {
    data: { kind, problem: 'uppercase' },
    loc: inString(lit, upper[0], upper[upper.length - 1]),
    notes: [NOTES.writeLowercase(value)],
  };
}

/**
 * The loc of value characters [from, to] (UTF-16 units, inclusive) of a string literal, when the literal is
 * written on one line without escapes (so each character of the value is one in the source); else the literal's.
 */
function inString(lit: StringLit, from: number, to: number): Loc {
  const l = lit.loc;
  const plain = l.line === l.endLine && l.endOffset - l.offset + 1 === lit.value.length + 2;
  if (!plain) return l;
  return {
    ...l,
    col: l.col + 1 + from,
    endCol: l.col + 1 + to,
    offset: l.offset + 1 + from,
    endOffset: l.offset + 1 + to,
  };
}
const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/[^/\s]+(\/\S*)?$/i;

/**
 * @param cacheNames cache file name → sha256 and URL of the first source seen (across packages)
 * @param unpacked the package's extract is the built-in one, which unpacks every source by its file name
 */
function checkSources(
  sources: readonly PlannedSource[],
  cacheNames: Map<string, { readonly sha: string; readonly loc: Loc }>,
  sink: Sink,
  unpacked: boolean,
): void {
  for (const { source, url, filename } of sources) {
    // a layer's substitute is checked as the source itself would be
    const sub = source.substitute;
    const s = sub
      ? { ...source, kind: 'url' as const, url: sub.by, sha256: sub.sha256, commit: null, insecure: sub.insecure }
      : source;
    // a local file (the layer's own copy: file:///srv/…) needs no transport security; the sha256 is checked
    const local = sub !== null && /^file:\/\/\/\S+$/.test(url);
    const m = URL_SHAPE.exec(url);
    if (!m && !local) {
      sink.error('insecure-url', s.url.loc, { kind: 'not-a-url', url });
    } else if (m && !local && m[1].toLowerCase() !== 'https' && !s.insecure) {
      sink.error('insecure-url', s.url.loc, { kind: 'not-https', url }, [NOTES.allowInsecure()]);
    }
    // known now rather than when extract fails, hours into a build; a git source is always a .tar
    const named = (m !== null || local) && s.kind === 'url'; // (no name to speak of when it is no URL)
    if (unpacked && named && !ARCHIVE_SUFFIXES.some((suffix) => filename.endsWith(suffix))) {
      sink.error('bad-value', s.url.loc, { kind: 'archive-name', filename, suffixes: ARCHIVE_SUFFIXES }, [
        NOTES.archiveName(),
      ]);
    }
    for (const p of source.paths) {
      const problem = archivePathProblem(p.value);
      if (problem) sink.error('bad-archive-path', p.loc, { path: p.value, problem });
    }
    const sha = s.sha256?.value ?? '';
    for (const [kind, lit] of [
      ['sha256', s.sha256],
      ['commit', s.kind === 'git' ? s.commit : null],
    ] as const) {
      const p = lit ? digestProblem(kind, lit, url) : null;
      if (p) sink.error('bad-checksum', p.loc, p.data, p.notes);
    }
    // a checksum already reported as malformed or missing says nothing about which file is meant
    if (!/^[0-9a-f]{64}$/.test(sha)) continue;
    const prev = cacheNames.get(filename);
    if (prev !== undefined && prev.sha !== sha) {
      sink.error('duplicate-definition', s.url.loc, { kind: 'cache-name', filename }, [NOTES.otherSource(prev.loc)]);
    }
    if (prev === undefined) cacheNames.set(filename, { sha, loc: s.url.loc });
  }
}

/**
 * What keeps a `paths` entry from naming one path of the archive literally for tar (GNU tar and busybox tar
 * both take a member name that holds `*`, `?`, `[` or `\\` as a pattern, and one that starts with `-` as an
 * option), or null. A trailing `/` is allowed.
 */
function archivePathProblem(path: string): MessageData['bad-archive-path']['problem'] | null {
  if (path === '') return 'empty';
  if (path.startsWith('/')) return 'absolute';
  // with strip 0 the path reaches tar as it is: `--to-command=…` would be an option
  if (path.startsWith('-')) return 'option';
  if (/[*?[\\]/.test(path)) return 'pattern';
  if (
    path
      .replace(/\/$/, '')
      .split('/')
      .some((c) => c === '.' || c === '..' || c === '')
  )
    return 'dots';
  return null;
}

/** A path with every symbolic link resolved, or null when it does not resolve (missing, dangling, a loop). */
function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Patches and files: relative, inside the stages directory, existing regular files. Inside means after every
 * symbolic link is followed: the file is copied into out/ (which is committed), so a link out of the stages
 * directory would publish whatever it points at. `relOf`: a recipe's path there; `stagesReal`: the stages
 * directory's own real path.
 */
function checkFiles(
  pkg: RPackage,
  relOf: (file: string) => string,
  stagesDir: string,
  stagesReal: () => string | null,
  sink: Sink,
): void {
  /** patch → where first listed; file name in `${filesdir}` → the file and where it was listed */
  const patches = new Map<string, Loc>();
  const names = new Map<string, { path: string; loc: Loc }>();
  const patchSet = new Set(pkg.patches);
  for (const f of [...pkg.patches, ...pkg.files]) {
    // a name is one line of the generated scripts (and of patch(1)'s and install's arguments)
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(f.path)) {
      sink.error('bad-value', f.loc, { kind: 'file-name', path: f.path });
      continue;
    }
    if (isAbsolute(f.path)) {
      sink.error('path-escape', f.loc, { kind: 'absolute-file', path: f.path });
      continue;
    }
    const rel = stagesPath(relOf(f.from ?? pkg.file), f.path);
    if (rel === '..' || rel.startsWith('../')) {
      sink.error('path-escape', f.loc, { kind: 'file', path: f.path });
      continue;
    }
    // a patch applied twice fails the second time; two files of one name are copied over each other
    if (patchSet.has(f)) {
      const first = patches.get(rel);
      if (first) {
        sink.error('duplicate-definition', f.loc, { kind: 'patch', path: f.path }, [NOTES.firstListed(first)]);
        continue;
      }
      patches.set(rel, f.loc);
    } else {
      const name = posix.basename(rel);
      const first = names.get(name);
      if (first) {
        sink.error('duplicate-definition', f.loc, { kind: 'file', path: f.path, name, first: first.path }, [
          NOTES.firstListed(first.loc),
        ]);
        continue;
      }
      names.set(name, { path: f.path, loc: f.loc });
    }
    const real = realOrNull(join(stagesDir, rel));
    const root = stagesReal();
    if (real !== null && root !== null && !isInside(real, root)) {
      sink.error('path-escape', f.loc, { kind: 'link', path: f.path, real });
      continue;
    }
    // a `${…}` in the name is that one mistake (bad-value, resolve/body.ts): no file of that name is expected
    if ((real === null || !isRegularFile(real)) && !f.path.includes('${'))
      sink.error('missing-file', f.loc, { path: f.path, rel });
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Steps: placements are `on host` or `in chroot` (and a chroot exists), every body is POSIX shell, reads only
// variables it can see where it runs, and in a chroot runs only commands something makes available there.
// ---------------------------------------------------------------------------------------------------------

function checkPlacements(pkg: RPackage, stage: RStage, sink: Sink): void {
  for (const item of pkg.steps.values()) {
    if (!item.placement) continue;
    const p = item.placement.name;
    if (p !== 'host' && p !== 'chroot') {
      sink.error(
        'bad-placement',
        item.placement.loc,
        { kind: 'unknown', placement: p },
        suggestion(p, ['host', 'chroot']),
      );
    } else if (p === 'chroot' && !stage.chroot) {
      sink.error('bad-placement', item.placement.loc, {
        kind: 'no-chroot',
        step: item.name.name,
        pkg: pkg.name,
        stage: stage.name,
      });
    }
  }
}

/**
 * A stage's `env` is the environment of its chroot steps too (lib/env/<stage>.chroot.sh): a host path in it (the
 * source cache, another stage's root) would name nothing there. Reported once per reference, naming the first
 * chroot step that would read it; a stage whose steps all run on the host may use them.
 */
function checkChrootEnv(model: Model, decisions: Decisions, sink: Sink): void {
  const firstChrootStep = new Map<string, { pkg: string; step: string }>();
  // the first in declaration order (files sorted by path): deterministic
  for (const p of decisions.packages.values()) {
    const step = p.steps.find((s) => s.placement === 'chroot');
    if (step && !firstChrootStep.has(p.stage.name))
      firstChrootStep.set(p.stage.name, { pkg: p.pkg.name, step: step.name });
  }
  for (const stage of model.stages.values()) {
    const reader = firstChrootStep.get(stage.name);
    if (!reader) continue;
    for (const e of stage.env)
      for (const part of e.value.parts) {
        if (!('ref' in part)) continue;
        if (!HOST_ONLY_VARS.includes(part.ref) && !decisions.roots.includes(part.ref)) continue;
        sink.error(
          'undefined-variable',
          part.loc,
          { kind: 'host-only', name: part.ref, step: `${reader.pkg} ${reader.step}` },
          [NOTES.envInChroot(stage.name, e.name)],
        );
      }
  }
}

/** Per stage, the runtime, shell, env (and on the host: host-path) names a body may read; built once. */
interface BodyNames {
  readonly host: ReadonlyMap<string, ReadonlySet<string>>;
  readonly chroot: ReadonlyMap<string, ReadonlySet<string>>;
  /** `<stage>_root` of every stage: host paths. */
  readonly roots: readonly string[];
}

function bodyNames(model: Model, roots: readonly string[]): BodyNames {
  const host = new Map<string, ReadonlySet<string>>();
  const chroot = new Map<string, ReadonlySet<string>>();
  for (const stage of model.stages.values()) {
    const base = [...RUNTIME_VARS, ...SHELL_VARS, ...stage.env.map((e) => e.name)];
    chroot.set(stage.name, new Set([...base, ...STEP_ENV_VARS.chroot]));
    host.set(stage.name, new Set([...base, ...STEP_ENV_VARS.host, ...HOST_ONLY_VARS, ...roots]));
  }
  return { host, chroot, roots };
}

/** Commands a chroot step runs that nothing provides, by place in the recipes (file, offset, command). */
type Unavailable = Map<
  string,
  { loc: Loc; data: { pkg: string; command: string; step: string }; notes: Note[]; pkgs: string[] }
>;

/** Checks each written body: its shell syntax, the variables it reads and, in a chroot, the commands it runs. */
function checkBodies(
  p: PackagePlan,
  shell: ShellFacts,
  names: BodyNames,
  tools: ToolIndex,
  sink: Sink,
  unavailable: Unavailable,
): void {
  const { pkg, stage } = p;
  for (const step of p.steps) {
    const item = step.item;
    if (!item) continue;
    const info = shellInfo(shell, item);
    if (info.error) {
      sink.error('shell-syntax', bodyLoc(item, info.error.line, info.error.col, 1), {
        step: step.name,
        error: info.error.message,
      });
      continue;
    }
    // the generated package script cuts steps at this line (compiler/emit/layout.ts STEP_MARKER)
    item.body.text.split('\n').forEach((line, i) => {
      const text = line.trimStart();
      if (text === STEP_MARKER.trimEnd() || text.startsWith(STEP_MARKER))
        sink.error('bad-value', bodyLoc(item, i + 1, line.length - text.length + 1, STEP_MARKER.length - 1), {
          kind: 'step-marker',
          step: step.name,
        });
    });
    /** Names every step of the stage may read (the package's own static names are checked separately). */
    const common = (step.placement === 'host' ? names.host : names.chroot).get(stage.name) ?? new Set<string>();
    const own = (n: string) => common.has(n) || p.statics.vars.has(n) || info.assigns.includes(n);
    for (const ref of info.refs) {
      // a parameter the `use` failed to bind is reported there, not at each use in the (correct) template body
      if (own(ref.name) || pkg.unbound.has(ref.name)) continue;
      const known = new Set([...common, ...p.statics.vars.keys(), ...info.assigns]);
      const hostOnly =
        step.placement === 'chroot' && (HOST_ONLY_VARS.includes(ref.name) || names.roots.includes(ref.name));
      sink.error(
        'undefined-variable',
        bodyLoc(item, ref.line, ref.col, ref.name.length),
        hostOnly ? { kind: 'host-only', name: ref.name, step: step.name } : { kind: 'shell', name: ref.name },
        hostOnly
          ? [NOTES.runOnHost()]
          : step.placement === 'chroot' && STEP_ENV_VARS.host.includes(ref.name)
            ? [NOTES.chrootEnv(ref.name, stage.name)]
            : suggestion(ref.name, known),
      );
    }
    if (step.placement !== 'chroot') continue;
    const reported = new Set<string>();
    for (const cmd of info.commands) {
      if (SHELL_BUILTINS.has(cmd.name) || reported.has(cmd.name) || inChroot(cmd.name, p, step, tools)) continue;
      reported.add(cmd.name);
      const from = tools.providers.get(cmd.name) ?? [];
      const notes = [unavailableNote(p, cmd.name, from, tools)];
      const loc = bodyLoc(item, cmd.line, cmd.col, cmd.name.length);
      const key = `${loc.file}\0${loc.offset}\0${cmd.name}`;
      const seen = unavailable.get(key);
      if (seen) seen.pkgs.push(pkg.name);
      else
        unavailable.set(key, {
          loc,
          data: { pkg: pkg.name, command: cmd.name, step: step.name },
          notes,
          pkgs: [pkg.name],
        });
    }
  }
}

/** A position inside a body (1-based line and column of the dedented text) as a location in the recipe. */
function bodyLoc(item: StepItem, line: number, col: number, len: number): Loc {
  const b = item.body;
  const l = b.firstLine + line - 1;
  const c = col + b.indent;
  return {
    file: b.loc.file,
    line: l,
    col: c,
    endLine: l,
    endCol: c + Math.max(0, len - 1),
    offset: b.loc.offset,
    endOffset: b.loc.offset,
  };
}

/** Why a command a chroot step runs is not there, and what to do: the most specific reason first. */
function unavailableNote(p: PackagePlan, cmd: string, from: readonly RPackage[], tools: ToolIndex): Note {
  const { pkg, stage } = p;
  const same = from.filter((q) => q.stage === stage.name && q.id !== pkg.id);
  const ownPath = stage.chroot !== null && binsOnPath(stage.chroot, '/');
  if (!ownPath && (same.length || tools.depProvides(pkg.id, cmd))) return NOTES.ownBinsNotOnPath();
  if (same.length)
    return NOTES.addDependency(
      same.map((q) => q.name),
      stage.name,
      pkg.name,
      pkg.decl.name.loc,
    );
  // the package's own command, run before its install step put it there
  if (from.some((q) => q.id === pkg.id)) return NOTES.ownCommandLater(pkg.name);
  if (from.length) return notOnPath(p, cmd, tools) ?? NOTES.notMounted(from.map((q) => q.id));
  return NOTES.noProvider();
}

/** A note for a command a mounted stage provides, but from bin directories the chroot's `path` leaves out. */
function notOnPath(p: PackagePlan, cmd: string, tools: ToolIndex): Note | null {
  const m = p.stage.chroot?.mounts.find((m) => m.from.kind === 'stage' && tools.byStage.get(m.from.name)?.has(cmd));
  return m && m.from.kind === 'stage' ? NOTES.binsNotOnPath(m.from.name, m.target) : null;
}

/** Where `provides { commands }` promises a command, below a root (check.ts's and the runtime's check alike). */
const BIN_DIRS: readonly string[] = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Is a bin directory of the root mounted at `at` (`/`: the chroot's own) on the chroot's PATH? */
function binsOnPath(chroot: RChroot, at: string): boolean {
  const base = at === '/' ? '' : mountKey(at);
  return chroot.path.some((dir) => {
    const d = mountKey(dir);
    return d.startsWith(base) && BIN_DIRS.includes(d.slice(base.length));
  });
}

/**
 * Is `cmd` available to a chroot step? Yes if a stage mounted into the chroot provides it, a dependency
 * (transitively) provides it, or the package itself does and the step runs after its install step.
 */
function inChroot(cmd: string, p: PackagePlan, step: PlannedStep, tools: ToolIndex): boolean {
  const chroot = p.stage.chroot;
  if (!chroot) return false;
  for (const m of chroot.mounts) {
    if (m.from.kind === 'stage' && tools.byStage.get(m.from.name)?.has(cmd) && binsOnPath(chroot, m.target))
      return true;
  }
  // what this stage builds lands in the chroot's own root
  if (!binsOnPath(chroot, '/')) return false;
  if (tools.depProvides(p.pkg.id, cmd)) return true;
  const install = p.steps.findIndex((s) => s.name === 'install');
  return install >= 0 && p.steps.indexOf(step) > install && p.pkg.provides.commands.some((c) => c.name === cmd);
}
