// Turns the checked model into the build graph: plain, sorted, deep-frozen data that the emitter reads alone.

/** @typedef {import('./model.js').BuildGraph} BuildGraph */
/** @typedef {import('./model.js').GStep} GStep */
/** @typedef {import('./resolve.js').Model} Model */
/** @typedef {import('./check.js').Checked} Checked */

/** Steps that prepare the source tree on the host and wait for nothing but the step before them. */
const PREP_STEPS = new Set(['extract', 'patch']);

/**
 * @param {Model} model
 * @param {Checked} checked
 * @param {Map<string, string>} relOf display path → path relative to the stages directory
 * @returns {BuildGraph}
 */
export function plan(model, checked, relOf) {
  const gloc = (/** @type {import('./model.js').Loc} */ loc) => ({ file: relOf.get(loc.file) ?? loc.file, line: loc.line });
  const targets = [...model.targets.values()]
    .map((t) => ({
      name: t.name,
      triplet: String(t.values.triplet ?? ''),
      arch: String(t.values.arch ?? ''),
      llvmBackend: String(t.values.llvm_backend ?? ''),
      cflags: String(t.values.cflags ?? ''),
      cxxflags: String(t.values.cxxflags ?? ''),
      ldflags: String(t.values.ldflags ?? ''),
      qemu: t.values.qemu ?? null,
      isDefault: t.values.default === true,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1)); // sort for determinism
  const target = targets.find((t) => t.name === model.target?.name) ?? targets[0];

  const stages = checked.stageOrder.map((s, index) => ({
    name: s.name,
    loc: gloc(s.decl.name.loc),
    after: s.after?.name ?? null,
    index,
    root: s.root,
    description: s.description,
    path: checked.stagePath.get(s.name) ?? [],
    env: [...(checked.stageEnv.get(s.name) ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1)), // sort for determinism
    chroot: s.chroot
      ? {
          shell: s.chroot.shell,
          path: s.chroot.path,
          workdir: s.chroot.workdir,
          pseudo: s.chroot.pseudo,
          mounts: s.chroot.mounts.map((m) => ({
            target: m.target,
            source: m.from.kind === 'stage' ? { kind: /** @type {const} */ ('stage'), stage: m.from.name } : { kind: /** @type {const} */ ('path'), path: m.from.path },
            readonly: m.readonly,
          })),
        }
      : null,
    packages: checked.order.get(s.name) ?? [],
  }));

  const packages = [];
  for (const stage of stages) {
    for (const id of stage.packages) {
      const cp = checked.packages.get(id);
      if (!cp) continue;
      const pkg = cp.pkg;
      const finalOf = (/** @type {string} */ dep) => {
        const d = checked.packages.get(dep);
        const last = d?.steps[d.steps.length - 1];
        return last ? `${dep}/${last.name}` : null;
      };
      const external = [...cp.deps.map(finalOf).filter((x) => x !== null), ...(stage.after ? [stage.after] : [])];
      const gate = cp.steps.findIndex((s) => !PREP_STEPS.has(s.name));
      const gateAt = gate < 0 ? cp.steps.length - 1 : gate;
      /** @type {GStep[]} */
      const steps = cp.steps.map((s, i) => ({
        name: s.name,
        placement: s.placement,
        body: s.item ? s.item.body.text : null,
        loc: gloc(s.loc),
        // sort for determinism
        needs: [...new Set([...(i > 0 ? [`${id}/${cp.steps[i - 1].name}`] : []), ...(i === gateAt ? external : [])])].sort(),
        commands: s.commands,
      }));
      packages.push({
        id,
        name: pkg.name,
        stage: pkg.stage,
        passOf: pkg.passOf,
        version: cp.vars.find((v) => v.name === 'version')?.value ?? '',
        loc: gloc(pkg.decl.name.loc),
        sources: cp.sources,
        patches: pkg.patches.map((p) => p.rel ?? p.path),
        files: pkg.files.map((p) => p.rel ?? p.path),
        depends: cp.deps.map((d) => /** @type {string} */ (d.split('/')[1])),
        // sort for determinism
        provides: {
          commands: [...new Set(pkg.provides.commands.map((c) => c.name))].sort(),
          libraries: [...new Set(pkg.provides.libraries.map((c) => c.name))].sort(),
        },
        vars: cp.vars,
        steps,
      });
    }
  }
  return deepFreeze({ target, targets, stages, packages, hostTools: checked.hostTools });
}

/** @template T @param {T} o @returns {T} */
export function deepFreeze(o) {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
