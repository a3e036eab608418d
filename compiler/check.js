// Semantic checks over the resolved model: order and cycles, sources and files, safety of roots and mounts,
// step placement, shell syntax, variables and tools. Produces the facts plan() turns into the graph.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { BUILTIN_STEPS, HOST_DEFAULT_STEPS } from './schema.js';
import { suggestion } from './diagnostics.js';
import { analyzeShell, SHELL_BUILTINS } from './shell.js';

/** @typedef {import('./model.js').Loc} Loc */
/** @typedef {import('./model.js').StepItem} StepItem */
/** @typedef {import('./model.js').StringLit} StringLit */
/** @typedef {import('./resolve.js').Model} Model */
/** @typedef {import('./resolve.js').RPackage} RPackage */
/** @typedef {import('./resolve.js').RStage} RStage */
/** @typedef {import('./diagnostics.js').Sink} Sink */

/**
 * @typedef {{ name: string, placement: 'host' | 'chroot', item: StepItem | null, commands: string[], loc: Loc }} CStep
 * @typedef {{ pkg: RPackage, deps: string[], vars: Array<{ name: string, value: string }>,
 *   sources: Array<import('./model.js').GSource>, steps: CStep[] }} CPackage
 * @typedef {{ stageOrder: RStage[], order: Map<string, string[]>, packages: Map<string, CPackage>,
 *   stageEnv: Map<string, Array<{ name: string, value: import('./model.js').GValue }>>,
 *   stagePath: Map<string, import('./model.js').GValue[]>, hostTools: string[] }} Checked
 */

/** Host directories a chroot root may never be. */
const SYSTEM_DIRS = new Set(['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var']);

/** Variables every shell has. */
const SHELL_VARS = new Set(['HOME', 'IFS', 'LINENO', 'OLDPWD', 'OPTARG', 'OPTIND', 'PATH', 'PPID', 'PS1', 'PS2', 'PS4', 'PWD', 'SHELL', 'TERM']);

/** Variables defined in every step script at run time, as seen where the step runs. */
export const RUNTIME_VARS = Object.freeze(['destdir', 'filesdir', 'jobs', 'root', 'srcdir', 'workdir']);
/** Runtime variables that only host steps see (host paths). */
export const HOST_ONLY_VARS = Object.freeze(['sources']);
/** Static variables of every package; target fields are added from the selected target. */
const TARGET_VARS = Object.freeze(['arch', 'cflags', 'cxxflags', 'ldflags', 'llvm_backend', 'triplet']);

const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;

/**
 * @param {Model} model
 * @param {Sink} sink
 * @param {{ stagesDir: string }} opts
 * @returns {Promise<Checked>}
 */
export async function check(model, sink, opts) {
  const stageOrder = orderStages(model, sink);
  for (const stage of model.stages.values()) checkStageSafety(stage, model, sink);

  const target = model.target;
  /** @type {Map<string, string>} static target values */
  const targetVals = new Map(TARGET_VARS.map((k) => [k, String(target?.values[k] ?? '')]));
  const stageRoots = [...model.stages.keys()].map((s) => `${s}_root`);

  // Stage env and path: target values are substituted, runtime variables stay references.
  const stageEnv = new Map();
  const stagePath = new Map();
  const stageRuntime = new Set([...RUNTIME_VARS, ...HOST_ONLY_VARS, ...stageRoots]);
  for (const stage of model.stages.values()) {
    stageEnv.set(stage.name, stage.env.map((e) => ({ name: e.name, value: interpolate(e.value, targetVals, stageRuntime, sink) })));
    stagePath.set(stage.name, stage.path.map((p) => interpolate(p, targetVals, stageRuntime, sink)));
  }

  // Dependencies: same stage only.
  /** @type {Map<string, string[]>} */
  const deps = new Map();
  const namesByStage = new Map();
  for (const pkg of model.packages.values()) {
    if (!namesByStage.has(pkg.stage)) namesByStage.set(pkg.stage, new Set());
    namesByStage.get(pkg.stage).add(pkg.name);
  }
  for (const pkg of model.packages.values()) {
    const list = new Set();
    for (const d of pkg.depends) {
      if (model.packages.has(`${pkg.stage}/${d.name}`)) {
        list.add(`${pkg.stage}/${d.name}`);
        continue;
      }
      const elsewhere = [...model.packages.values()].filter((p) => p.name === d.name).map((p) => p.stage);
      const notes = elsewhere.length
        ? [{ message: `\`${d.name}\` is a package of ${elsewhere.map((s) => `\`${s}\``).join(', ')}; dependencies name packages of the same stage (stage order already covers earlier stages)` }]
        : suggestion(d.name, namesByStage.get(pkg.stage) ?? []);
      sink.error('undefined-package', d.loc, `package \`${d.name}\` is not defined in stage \`${pkg.stage}\``, notes);
    }
    if (pkg.passOf) list.add(`${pkg.stage}/${pkg.passOf}`);
    // sort for determinism
    deps.set(pkg.id, [...list].sort());
  }
  const order = orderPackages(model, deps, sink);

  // Per package: sources, files, steps.
  /** @type {Map<string, CPackage>} */
  const packages = new Map();
  /** @type {Map<string, string>} cache file name → sha256, to catch two different files under one name */
  const cacheNames = new Map();
  for (const pkg of model.packages.values()) {
    const stage = /** @type {RStage} */ (model.stages.get(pkg.stage));
    const statics = new Map(targetVals);
    statics.set('name', pkg.name);
    statics.set('stage', pkg.stage);
    const version = pkg.version ? flat(interpolate(pkg.version, new Map([['name', pkg.name]]), new Set(), sink)) : '';
    if (pkg.version && !/^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(version)) {
      sink.error('bad-value', pkg.version.loc, `version \`${version}\` must start with a letter or digit and contain only letters, digits and . _ + ~ -`);
    }
    statics.set('version', version);
    for (const [k, p] of pkg.params) statics.set(k, paramValue(p, statics, sink));
    const sources = checkSources(pkg, statics, cacheNames, sink);
    checkFiles(pkg, opts.stagesDir, sink);
    const steps = planSteps(pkg, stage, sink);
    // sort for determinism
    const vars = [...statics].map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : 1));
    packages.set(pkg.id, { pkg, deps: deps.get(pkg.id) ?? [], vars, sources, steps });
  }

  const tools = toolIndex(model, deps);
  await checkBodies(model, packages, stageEnv, stageRoots, tools, sink);
  const hostTools = collectHostTools(model, packages, tools);
  return { stageOrder, order, packages, stageEnv, stagePath, hostTools };
}

const flat = (/** @type {import('./model.js').GValue} */ v) => v.map((p) => ('lit' in p ? p.lit : `\${${p.ref}}`)).join('');

/**
 * Substitutes static `${name}` references; runtime ones stay references; anything else is an error.
 * @param {StringLit} str @param {Map<string, string>} statics @param {Set<string>} runtime @param {Sink} sink
 * @returns {import('./model.js').GValue}
 */
export function interpolate(str, statics, runtime, sink) {
  /** @type {import('./model.js').GValue} */
  const out = [];
  const push = (/** @type {string} */ lit) => {
    const last = out[out.length - 1];
    if (last && 'lit' in last) last.lit += lit;
    else out.push({ lit });
  };
  for (const part of str.parts) {
    if ('lit' in part) push(part.lit);
    else if (statics.has(part.ref)) push(/** @type {string} */ (statics.get(part.ref)));
    else if (runtime.has(part.ref)) out.push({ ref: part.ref });
    else sink.error('undefined-variable', part.loc, `\`\${${part.ref}}\` is not defined here`, suggestion(part.ref, [...statics.keys(), ...runtime]));
  }
  return out;
}

/** @param {{ value: any, type: string }} p @param {Map<string, string>} statics @param {Sink} sink */
function paramValue(p, statics, sink) {
  const v = p.value;
  if (v.kind === 'String') return flat(interpolate(v, statics, new Set(), sink));
  if (v.kind === 'List') return v.items.map((/** @type {any} */ i) => flat(interpolate(i, statics, new Set(), sink))).join(' ');
  return String(v.value);
}

/** Stage order from `after`; a cycle is reported once with its path. @param {Model} model @param {Sink} sink */
function orderStages(model, sink) {
  /** @type {RStage[]} */
  const out = [];
  const state = new Map();
  // sort for determinism
  const names = [...model.stages.keys()].sort();
  const visit = (/** @type {string} */ name, /** @type {string[]} */ path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const stage = /** @type {RStage} */ (model.stages.get(name));
      sink.error('dependency-cycle', stage.after?.loc ?? stage.decl.name.loc, `stages depend on each other: ${cycle.join(' → ')}`);
      return;
    }
    state.set(name, 'active');
    const after = model.stages.get(name)?.after?.name;
    if (after && model.stages.has(after)) visit(after, [...path, name]);
    state.set(name, 'done');
    out.push(/** @type {RStage} */ (model.stages.get(name)));
  };
  for (const n of names) visit(n, []);
  return out;
}

/**
 * Build order per stage (Kahn; ties broken by name) and dependency cycles with their full path.
 * @param {Model} model @param {Map<string, string[]>} deps @param {Sink} sink
 */
function orderPackages(model, deps, sink) {
  /** @type {Map<string, string[]>} */
  const order = new Map();
  for (const stage of model.stages.keys()) order.set(stage, []);
  // sort for determinism
  const ids = [...model.packages.keys()].sort();
  const indeg = new Map(ids.map((id) => [id, 0]));
  const users = new Map(ids.map((id) => [id, /** @type {string[]} */ ([])]));
  for (const id of ids) {
    for (const d of deps.get(id) ?? []) {
      indeg.set(id, /** @type {number} */ (indeg.get(id)) + 1);
      users.get(d)?.push(id);
    }
  }
  // sort for determinism: among ready packages, the smallest id goes first (a heap keeps this O(n log n))
  const ready = new MinHeap(ids.filter((id) => indeg.get(id) === 0));
  const done = new Set();
  while (ready.size) {
    const id = ready.pop();
    done.add(id);
    order.get(/** @type {RPackage} */ (model.packages.get(id)).stage)?.push(id);
    for (const u of users.get(id) ?? []) {
      indeg.set(u, /** @type {number} */ (indeg.get(u)) - 1);
      if (indeg.get(u) === 0) ready.push(u);
    }
  }
  if (done.size < ids.length) reportCycles(ids.filter((id) => !done.has(id)), model, deps, sink);
  return order;
}

/**
 * Reports each elementary cycle found by DFS among the packages left over by Kahn's algorithm.
 * @param {string[]} left @param {Model} model @param {Map<string, string[]>} deps @param {Sink} sink
 */
function reportCycles(left, model, deps, sink) {
  const leftSet = new Set(left);
  const reported = new Set();
  const state = new Map();
  const visit = (/** @type {string} */ id, /** @type {string[]} */ path) => {
    state.set(id, 'active');
    for (const d of deps.get(id) ?? []) {
      if (!leftSet.has(d)) continue;
      if (state.get(d) === 'active') {
        const cycle = path.slice(path.indexOf(d));
        const key = [...cycle].sort().join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const names = [...cycle, d].map((x) => /** @type {RPackage} */ (model.packages.get(x)).name);
        // Report at the dependency entry that closes the cycle, in the package that starts it.
        const from = /** @type {RPackage} */ (model.packages.get(cycle[cycle.length - 1]));
        const entry = from.depends.find((x) => `${from.stage}/${x.name}` === d);
        const first = names[0];
        sink.error('dependency-cycle', entry?.loc ?? from.decl.name.loc, `dependency cycle: ${names.join(' → ')}`, [
          { message: `break it with a pass: drop \`${names[1]}\` from \`${first}\`'s depends, then \`pass ${first}-2 of ${first} { depends += [${names[1]}] }\` builds it again afterwards` },
        ]);
      } else if (!state.has(d)) {
        visit(d, [...path, d]);
      }
    }
    state.set(id, 'done');
  };
  // sort for determinism
  for (const id of [...left].sort()) if (!state.has(id)) visit(id, [id]);
}

/** @param {RStage} stage @param {Model} model @param {Sink} sink */
function checkStageSafety(stage, model, sink) {
  const root = stage.root;
  const norm = isAbsolute(root) ? posix.normalize(root).replace(/\/+$/, '') || '/' : posix.normalize(root);
  if (isAbsolute(root) ? SYSTEM_DIRS.has(norm) : norm === '.' || norm === '') {
    sink.error('unsafe-root', stage.rootLoc, `stage \`${stage.name}\` would use \`${root}\` as its root: that is ${isAbsolute(root) ? 'a host system directory' : 'the build directory itself'}`);
  } else if (!isAbsolute(root) && (norm.startsWith('../') || norm === '..')) {
    sink.error('path-escape', stage.rootLoc, `stage root \`${root}\` leaves the build directory`);
  }
  if (!stage.chroot) return;
  if (!stage.chroot.shell.startsWith('/')) {
    sink.error('bad-value', stage.chroot.loc, `chroot shell \`${stage.chroot.shell}\` must be an absolute path inside the chroot`);
  }
  if (stage.chroot.path.length === 0 || stage.chroot.path.some((p) => !p.startsWith('/'))) {
    sink.error('bad-value', stage.chroot.loc, 'chroot `path` needs at least one directory, each an absolute path inside the chroot');
  }
  /** @type {Map<string, Loc>} */
  const points = new Map();
  for (const m of stage.chroot.mounts) {
    const first = points.get(m.target);
    if (first) sink.error('duplicate-definition', m.targetLoc, `\`${m.target}\` is mounted twice`, [{ message: 'first mounted here', loc: first }]);
    points.set(m.target, m.targetLoc);
  }
  for (const m of stage.chroot.mounts) {
    if (!m.target.startsWith('/') || m.target.split('/').includes('..')) {
      sink.error('path-escape', m.targetLoc, `mount point \`${m.target}\` must be an absolute path inside the chroot without \`..\``);
    }
    if (m.from.kind === 'stage') {
      if (m.from.name === stage.name) {
        sink.error('mount-contains-root', m.from.loc, `stage \`${stage.name}\` cannot mount its own root inside itself`);
        continue;
      }
      const other = model.stages.get(m.from.name);
      if (other && contains(other.root, root)) {
        sink.error('mount-contains-root', m.from.loc, `the root of \`${other.name}\` (\`${other.root}\`) contains this stage's root \`${root}\``);
      }
    } else {
      const src = m.from.path;
      if (isAbsolute(src) && posix.normalize(src) === '/') {
        sink.error('mount-contains-root', m.from.loc, 'mounting `/` would expose the whole host, including the chroot root itself');
      } else if (!isAbsolute(src) && (posix.normalize(src) === '..' || posix.normalize(src).startsWith('../'))) {
        sink.error('path-escape', m.from.loc, `mount source \`${src}\` leaves the build directory`);
      } else if (contains(src, root)) {
        sink.error('mount-contains-root', m.from.loc, `mount source \`${src}\` contains the chroot root \`${root}\``);
      }
    }
  }
}

/** Does directory `a` contain (or equal) `b`? Both relative to the build dir or both absolute. */
function contains(/** @type {string} */ a, /** @type {string} */ b) {
  if (isAbsolute(a) !== isAbsolute(b)) return false;
  const na = posix.normalize(a).replace(/\/+$/, '');
  const nb = posix.normalize(b).replace(/\/+$/, '');
  return na === '.' || na === '' || nb === na || nb.startsWith(`${na}/`);
}

/**
 * @param {RPackage} pkg @param {Map<string, string>} statics @param {Map<string, string>} cacheNames @param {Sink} sink
 * @returns {Array<import('./model.js').GSource>}
 */
function checkSources(pkg, statics, cacheNames, sink) {
  const out = [];
  for (const s of pkg.sources) {
    const url = flat(interpolate(s.url, statics, new Set(), sink));
    const m = /^([a-z][a-z0-9+.-]*):\/\/[^/\s]+(\/\S*)?$/i.exec(url);
    if (!m) {
      sink.error('insecure-url', s.url.loc, `\`${url}\` is not a URL`);
    } else if (m[1].toLowerCase() !== 'https' && !s.insecure) {
      sink.error('insecure-url', s.url.loc, `\`${url}\` is not https`, [{ message: 'if upstream offers nothing else, allow it with `insecure = true` (the sha256 still protects the content)' }]);
    }
    const sha = s.sha256?.value ?? '';
    if (s.sha256 && !HEX64.test(sha)) {
      sink.error('bad-checksum', s.sha256.loc, `sha256 must be 64 lowercase hex digits, found ${sha.length} characters`);
    }
    if (s.kind === 'git') {
      const commit = s.commit?.value ?? '';
      if (s.commit && !HEX40.test(commit)) {
        sink.error('bad-checksum', s.commit.loc, 'a git source must be pinned to a full 40-hex-digit commit id');
      }
      // .tar, not .tar.gz: `git archive --format=tar` is reproducible, a gzip stream depends on the gzip build
      out.push({ kind: /** @type {const} */ ('git'), url, commit, sha256: sha, filename: `${pkg.passOf ?? pkg.name}-${commit.slice(0, 12)}.tar`, strip: s.strip });
      continue;
    }
    let base = url.replace(/[?#].*$/, '').split('/').pop() || 'source';
    const stem = pkg.passOf ?? pkg.name;
    if (!base.toLowerCase().startsWith(stem.toLowerCase().replace(/[^a-z0-9]+.*$/, ''))) base = `${stem}-${base}`;
    const prev = cacheNames.get(base);
    if (prev !== undefined && prev !== sha) {
      sink.error('duplicate-definition', s.url.loc, `two different sources would be cached as \`${base}\``);
    }
    cacheNames.set(base, sha);
    out.push({ kind: /** @type {const} */ ('url'), url, sha256: sha, filename: base, strip: s.strip });
  }
  return out;
}

/** Patches and files: relative, inside the stages directory, existing. @param {RPackage} pkg @param {string} stagesDir @param {Sink} sink */
function checkFiles(pkg, stagesDir, sink) {
  const recipeDir = posix.dirname(pkg.relFile ?? '');
  for (const f of [...pkg.patches, ...pkg.files]) {
    if (isAbsolute(f.path)) {
      sink.error('path-escape', f.loc, `\`${f.path}\` is absolute; patches and files are paths beside the recipe`);
      continue;
    }
    const rel = posix.normalize(posix.join(recipeDir, f.path));
    if (rel === '..' || rel.startsWith('../')) {
      sink.error('path-escape', f.loc, `\`${f.path}\` leaves the stages directory`);
      continue;
    }
    f.rel = rel;
    const full = join(stagesDir, rel);
    if (!existsSync(full) || !statSync(full).isFile()) {
      sink.error('missing-file', f.loc, `\`${f.path}\` does not exist beside the recipe (\`${rel}\` in the stages directory)`);
    }
  }
}

/**
 * The package's step sequence with placements: built-in steps in their fixed order, custom steps after their anchor.
 * @param {RPackage} pkg @param {RStage} stage @param {Sink} sink @returns {CStep[]}
 */
function planSteps(pkg, stage, sink) {
  /** @type {CStep[]} */
  const seq = [];
  const where = stage.chroot ? 'chroot' : 'host';
  const placementOf = (/** @type {StepItem | null} */ item, /** @type {string} */ name) => {
    if (!item?.placement) return HOST_DEFAULT_STEPS.includes(name) ? 'host' : where;
    const p = item.placement.name;
    if (p !== 'host' && p !== 'chroot') {
      sink.error('bad-placement', item.placement.loc, `placement must be \`on host\` or \`in chroot\`, found \`${p}\``, suggestion(p, ['host', 'chroot']));
      return HOST_DEFAULT_STEPS.includes(name) ? 'host' : where;
    }
    if (p === 'chroot' && !stage.chroot) {
      sink.error('bad-placement', item.placement.loc, `step \`${name}\` of \`${pkg.name}\` runs in a chroot, but stage \`${stage.name}\` has no \`chroot\` block`);
      return 'host';
    }
    return /** @type {'host' | 'chroot'} */ (p);
  };
  for (const name of BUILTIN_STEPS) {
    const item = pkg.steps.get(name) ?? null;
    // extract also places `files` into ${filesdir}, so a package with files but no sources still has one
    const implicit = (name === 'extract' && (pkg.sources.length > 0 || pkg.files.length > 0)) || (name === 'patch' && pkg.patches.length > 0);
    if (!item && !implicit) continue;
    seq.push({ name, placement: placementOf(item, name), item, commands: [], loc: item?.body.loc ?? pkg.decl.name.loc });
  }
  const customs = [...pkg.steps.values()].filter((s) => s.custom);
  for (const item of customs) {
    const anchor = item.after?.name ?? seq[seq.length - 1]?.name ?? null;
    let at = anchor === null ? -1 : seq.findIndex((s) => s.name === anchor);
    if (anchor !== null && at < 0) {
      sink.error('undefined-step', /** @type {any} */ (item.after).loc, `\`${pkg.name}\` has no step \`${anchor}\` to run \`${item.name.name}\` after`, suggestion(anchor, seq.map((s) => s.name)));
      at = seq.length - 1;
    }
    // After the anchor and after customs already placed behind it, in declaration order.
    let pos = at + 1;
    while (pos < seq.length && seq[pos].item?.custom && customs.indexOf(/** @type {StepItem} */ (seq[pos].item)) < customs.indexOf(item)) pos++;
    seq.splice(pos, 0, { name: item.name.name, placement: placementOf(item, item.name.name), item, commands: [], loc: item.body.loc });
  }
  return seq;
}

/**
 * Parses every body as POSIX shell; checks its variables and, for chroot steps, that each command is there.
 * @param {Model} model @param {Map<string, CPackage>} packages @param {Map<string, any[]>} stageEnv
 * @param {string[]} stageRoots @param {ReturnType<typeof toolIndex>} tools @param {Sink} sink
 */
async function checkBodies(model, packages, stageEnv, stageRoots, tools, sink) {
  /** @type {Array<{ cp: CPackage, step: CStep }>} */
  const work = [];
  /** @type {Map<string, number>} */
  const index = new Map();
  /** @type {string[]} */
  const texts = [];
  for (const cp of packages.values()) {
    for (const step of cp.steps) {
      if (!step.item) continue;
      const text = step.item.body.text;
      if (!index.has(text)) {
        index.set(text, texts.length);
        texts.push(text);
      }
      work.push({ cp, step });
    }
  }
  const infos = await analyzeCached(texts);
  // Per stage and placement, the runtime, shell and env names a body may read; built once, not per step.
  /** @type {Map<string, Set<string>>} */
  const chrootNames = new Map();
  /** @type {Map<string, Set<string>>} */
  const hostNames = new Map();
  for (const stage of model.stages.values()) {
    const base = [...RUNTIME_VARS, ...SHELL_VARS, ...(stageEnv.get(stage.name) ?? []).map((e) => e.name)];
    chrootNames.set(stage.name, new Set(base));
    hostNames.set(stage.name, new Set([...base, ...HOST_ONLY_VARS, ...stageRoots]));
  }
  const where = (/** @type {StepItem} */ item, /** @type {number} */ line, /** @type {number} */ col, /** @type {number} */ len) => {
    const b = item.body;
    const l = b.firstLine + line - 1;
    const c = col + b.indent;
    return { file: b.loc.file, line: l, col: c, endLine: l, endCol: c + Math.max(0, len - 1), offset: b.loc.offset, endOffset: b.loc.offset };
  };
  for (const { cp, step } of work) {
    const item = /** @type {StepItem} */ (step.item);
    const info = infos[/** @type {number} */ (index.get(item.body.text))];
    if (info.error) {
      sink.error('shell-syntax', where(item, info.error.line, info.error.col, 1), `step \`${step.name}\` is not valid POSIX shell: ${info.error.message}`);
      continue;
    }
    const stage = /** @type {RStage} */ (model.stages.get(cp.pkg.stage));
    /** Names every step of the stage may read (the package's own static names are checked separately). */
    const common = (step.placement === 'host' ? hostNames : chrootNames).get(stage.name) ?? new Set();
    const own = (/** @type {string} */ n) => common.has(n) || cp.vars.some((v) => v.name === n) || info.assigns.includes(n);
    for (const ref of info.refs) {
      if (own(ref.name)) continue;
      const known = new Set([...common, ...cp.vars.map((v) => v.name), ...info.assigns]);
      const hostOnly = step.placement === 'chroot' && (HOST_ONLY_VARS.includes(ref.name) || stageRoots.includes(ref.name));
      sink.error(
        'undefined-variable',
        where(item, ref.line, ref.col, ref.name.length),
        hostOnly ? `\`${ref.name}\` is a host path, not visible in the chroot step \`${step.name}\`` : `variable \`${ref.name}\` is not defined`,
        hostOnly ? [{ message: 'run the step `on host`, or pass what it needs through the stage `env`' }] : suggestion(ref.name, known),
      );
    }
    step.commands = [...new Set(info.commands.map((c) => c.name))].sort(); // sort for determinism
    if (step.placement !== 'chroot') continue;
    const reported = new Set();
    for (const cmd of info.commands) {
      if (SHELL_BUILTINS.has(cmd.name) || reported.has(cmd.name) || inChroot(cmd.name, cp, step, stage, tools)) continue;
      reported.add(cmd.name);
      const from = tools.providers.get(cmd.name) ?? [];
      const same = from.filter((p) => p.stage === stage.name && p.id !== cp.pkg.id);
      const notes = same.length
        ? [{ message: `provided by ${same.map((p) => `\`${p.name}\``).join(', ')} of ${stage.name}: add it to \`depends\` of \`${cp.pkg.name}\``, loc: cp.pkg.decl.name.loc }]
        : from.length
          ? [{ message: `provided by ${from.map((p) => `\`${p.id}\``).join(', ')}, which ${from.length > 1 ? 'are' : 'is'} not mounted in this chroot` }]
          : [{ message: 'no package declares it in `provides { commands = […] }`' }];
      sink.error('command-unavailable', where(item, cmd.line, cmd.col, cmd.name.length), `\`${cp.pkg.name}\` runs \`${cmd.name}\` in the chroot (step \`${step.name}\`), but nothing makes it available there`, notes);
    }
  }
}

/** Shell analysis results by body text: a body shared by many packages or runs (templates, watch, fuzz) is parsed once. */
const shellCache = new Map();
const SHELL_CACHE_MAX = 100000;

/** @param {string[]} texts */
async function analyzeCached(texts) {
  const missing = texts.filter((t) => !shellCache.has(t));
  if (missing.length) {
    if (shellCache.size + missing.length > SHELL_CACHE_MAX) shellCache.clear();
    const infos = await analyzeShell(missing);
    missing.forEach((t, i) => shellCache.set(t, infos[i]));
  }
  return texts.map((t) => shellCache.get(t));
}

/**
 * What tool checks need, computed once: each package's transitive dependencies (memoised) and the commands
 * each stage's packages provide.
 * @param {Model} model @param {Map<string, string[]>} deps
 */
function toolIndex(model, deps) {
  /** @type {Map<string, Set<string>>} stage → commands its packages provide */
  const byStage = new Map();
  for (const p of model.packages.values()) {
    if (!byStage.has(p.stage)) byStage.set(p.stage, new Set());
    for (const c of p.provides.commands) /** @type {Set<string>} */ (byStage.get(p.stage)).add(c.name);
  }
  /** @type {Map<string, RPackage[]>} command → the packages that provide it (for messages) */
  const providers = new Map();
  /** @type {Map<string, Set<string>>} command → ids of the packages that provide it */
  const providerIds = new Map();
  for (const p of model.packages.values()) {
    for (const c of p.provides.commands) {
      if (!providers.has(c.name)) {
        providers.set(c.name, []);
        providerIds.set(c.name, new Set());
      }
      /** @type {RPackage[]} */ (providers.get(c.name)).push(p);
      /** @type {Set<string>} */ (providerIds.get(c.name)).add(p.id);
    }
  }
  /**
   * Does a transitive dependency of `id` provide `cmd`? A depth-first walk that stops at the first provider;
   * most commands are answered before this by the mounted stage, so full closures are never materialised.
   * @param {string} id @param {string} cmd
   */
  const depProvides = (id, cmd) => {
    const want = providerIds.get(cmd);
    if (!want) return false;
    const seen = new Set([id]);
    const stack = [...(deps.get(id) ?? [])];
    while (stack.length) {
      const d = /** @type {string} */ (stack.pop());
      if (seen.has(d)) continue;
      seen.add(d);
      if (want.has(d)) return true;
      for (const x of deps.get(d) ?? []) if (!seen.has(x)) stack.push(x);
    }
    return false;
  };
  return { byStage, providers, depProvides };
}

/**
 * Is `cmd` available to a chroot step? Yes if a stage mounted into the chroot provides it, a dependency
 * (transitively) provides it, or the package itself does and the step runs after its install step.
 * @param {string} cmd @param {CPackage} cp @param {CStep} step @param {RStage} stage @param {ReturnType<typeof toolIndex>} tools
 */
function inChroot(cmd, cp, step, stage, tools) {
  for (const m of stage.chroot?.mounts ?? []) {
    if (m.from.kind === 'stage' && tools.byStage.get(m.from.name)?.has(cmd)) return true;
  }
  if (tools.depProvides(cp.pkg.id, cmd)) return true;
  const install = cp.steps.findIndex((s) => s.name === 'install');
  return install >= 0 && cp.steps.indexOf(step) > install && cp.pkg.provides.commands.some((c) => c.name === cmd);
}

/**
 * Commands host steps need from the host: all they run, except what a dependency provides or what a stage
 * whose root is on the stage's `path` (`${stage1_root}/usr/bin`) provides — the plan builds those itself.
 * @param {Model} model @param {Map<string, CPackage>} packages @param {ReturnType<typeof toolIndex>} tools
 */
function collectHostTools(model, packages, tools) {
  /** @type {Map<string, Set<string>>} stage → commands reachable through its path */
  const onPath = new Map();
  for (const stage of model.stages.values()) {
    const set = new Set();
    for (const p of stage.path) {
      for (const part of p.parts) {
        const m = 'ref' in part ? /^(.*)_root$/.exec(part.ref) : null;
        if (m) for (const c of tools.byStage.get(m[1]) ?? []) set.add(c);
      }
    }
    onPath.set(stage.name, set);
  }
  const found = new Set();
  for (const cp of packages.values()) {
    const path = onPath.get(cp.pkg.stage) ?? new Set();
    for (const step of cp.steps) {
      if (step.placement !== 'host') continue;
      for (const c of step.commands) {
        if (found.has(c) || path.has(c) || SHELL_BUILTINS.has(c) || tools.depProvides(cp.pkg.id, c)) continue;
        found.add(c);
      }
    }
  }
  return [...found].sort(); // sort for determinism
}

/** A binary min-heap of strings. */
class MinHeap {
  /** @param {string[]} items */
  constructor(items) {
    /** @type {string[]} */
    this.a = [];
    for (const x of items) this.push(x);
  }
  get size() {
    return this.a.length;
  }
  /** @param {string} x */
  push(x) {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  /** @returns {string} */
  pop() {
    const a = this.a;
    const top = a[0];
    const last = /** @type {string} */ (a.pop());
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
