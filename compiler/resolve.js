// Resolves names and checks every item against the schema; merges templates and passes into one effective
// description per package. Reports schema and name errors into the sink and never throws.
import { SCHEMA, BUILTIN_STEPS, PARAM_TYPES, describeType, describeValue } from './schema.js';
import { suggestion } from './diagnostics.js';

/** @typedef {import('./model.js').Loc} Loc */
/** @typedef {import('./model.js').Value} Value */
/** @typedef {import('./model.js').Item} Item */
/** @typedef {import('./model.js').Field} Field */
/** @typedef {import('./model.js').Block} Block */
/** @typedef {import('./model.js').StepItem} StepItem */
/** @typedef {import('./model.js').UseItem} UseItem */
/** @typedef {import('./model.js').Ident} Ident */
/** @typedef {import('./model.js').FileNode} FileNode */
/** @typedef {import('./model.js').Decl} Decl */
/** @typedef {import('./schema.js').DeclSpec} DeclSpec */
/** @typedef {import('./schema.js').FieldSpec} FieldSpec */
/** @typedef {import('./diagnostics.js').Sink} Sink */

/**
 * The fields of one body, type-checked. Values keep their AST node for locations.
 * @typedef {{ fields: Map<string, { op: '=' | '+=', value: any, node: Field }>,
 *   blocks: Map<string, Array<{ label: any, body: Body, node: Block }>>,
 *   steps: StepItem[], uses: UseItem[], present?: Set<string> }} Body
 */

/**
 * @typedef {{ name: string, decl: import('./model.js').TargetDecl, values: Record<string, any> }} RTarget
 * @typedef {{ target: string, targetLoc: Loc, from: { kind: 'stage', name: string, loc: Loc } | { kind: 'path', path: string, loc: Loc }, readonly: boolean }} RMount
 * @typedef {{ shell: string, path: string[], workdir: string, pseudo: string[], mounts: RMount[], loc: Loc }} RChroot
 * @typedef {{ name: string, decl: import('./model.js').StageDecl, after: { name: string, loc: Loc } | null,
 *   root: string, rootLoc: Loc, path: any[], env: Array<{ name: string, value: any, loc: Loc }>,
 *   chroot: RChroot | null, description: string }} RStage
 * @typedef {{ name: string, type: string, default: Value | null, loc: Loc }} RParam
 * @typedef {{ name: string, decl: import('./model.js').TemplateDecl, params: Map<string, RParam>, body: Body }} RTemplate
 * @typedef {{ kind: 'url' | 'git', url: any, sha256: any, commit: any, strip: number, insecure: boolean, loc: Loc }} RSource
 * @typedef {{ id: string, name: string, stage: string, decl: import('./model.js').PackageDecl | import('./model.js').PassDecl,
 *   file: string, relFile?: string, versionWritten?: boolean, passOf: string | null, version: any, sources: RSource[],
 *   patches: Array<{ path: string, loc: Loc, rel?: string }>, files: Array<{ path: string, loc: Loc, rel?: string }>, depends: Array<{ name: string, loc: Loc }>,
 *   provides: { commands: Array<{ name: string, loc: Loc }>, libraries: Array<{ name: string, loc: Loc }> },
 *   params: Map<string, { value: any, type: string, loc: Loc }>, steps: Map<string, StepItem> }} RPackage
 * @typedef {{ targets: Map<string, RTarget>, stages: Map<string, RStage>, templates: Map<string, RTemplate>,
 *   packages: Map<string, RPackage>, target: RTarget | null }} Model
 */

const STAGE_NAME = /^[a-z][a-z0-9_]*$/;
/** Names the generated Makefile, out/ or the build directory already use; a stage cannot take them. */
const RESERVED_STAGE_NAMES = new Set(['all', 'check', 'clean', 'distclean', 'help', 'lib', 'logs', 'source', 'sources', 'stamps', 'status']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * @param {FileNode[]} files
 * @param {Sink} sink
 * @param {{ target?: string }} opts
 * @returns {Model}
 */
export function resolve(files, sink, opts = {}) {
  /** @type {Model} */
  const model = { targets: new Map(), stages: new Map(), templates: new Map(), packages: new Map(), target: null };

  // 1. Collect declarations by kind; duplicates point at the first definition.
  /** @type {Map<string, Decl>} */
  const seen = new Map();
  /** @type {{ Target: import('./model.js').TargetDecl[], Stage: import('./model.js').StageDecl[],
   *   Template: import('./model.js').TemplateDecl[], Package: import('./model.js').PackageDecl[], Pass: import('./model.js').PassDecl[] }} */
  const decls = { Target: [], Stage: [], Template: [], Package: [], Pass: [] };
  for (const file of files) {
    for (const decl of file.decls) {
      const key = declKey(decl);
      const first = seen.get(key);
      if (first) {
        sink.error('duplicate-definition', decl.name.loc, `${kindWord(decl)} \`${displayName(decl)}\` is defined twice`, [
          { message: 'first defined here', loc: first.name.loc },
        ]);
        continue;
      }
      seen.set(key, decl);
      /** @type {any[]} */ (decls[decl.kind]).push(decl);
    }
  }

  // 2. Targets.
  for (const decl of decls.Target) {
    const body = readBody(decl.items, SCHEMA.target, sink, `target \`${decl.name.name}\``, decl.name.loc);
    model.targets.set(decl.name.name, { name: decl.name.name, decl, values: plainValues(body, SCHEMA.target) });
  }
  // With no declaration at all, `no-recipes` or syntax errors already say what is wrong.
  const anything = files.some((f) => f.decls.length > 0);
  model.target = pickTarget(model, decls.Target, sink, opts.target, anything);

  // 3. Stages.
  for (const decl of decls.Stage) {
    const stage = readStage(decl, sink);
    model.stages.set(stage.name, stage);
  }
  for (const stage of model.stages.values()) {
    if (stage.after && !model.stages.has(stage.after.name)) {
      sink.error('undefined-stage', stage.after.loc, `stage \`${stage.after.name}\` is not defined`, suggestion(stage.after.name, model.stages.keys()));
      stage.after = null;
    }
    for (const m of stage.chroot?.mounts ?? []) {
      if (m.from.kind === 'stage' && !model.stages.has(m.from.name)) {
        sink.error('undefined-stage', m.from.loc, `stage \`${m.from.name}\` is not defined`, suggestion(m.from.name, model.stages.keys()));
      }
    }
  }

  // 4. Templates.
  for (const decl of decls.Template) {
    /** @type {Map<string, RParam>} */
    const params = new Map();
    for (const p of decl.params) {
      if (params.has(p.name.name)) {
        sink.error('duplicate-definition', p.name.loc, `parameter \`${p.name.name}\` is defined twice`, [
          { message: 'first defined here', loc: /** @type {RParam} */ (params.get(p.name.name)).loc },
        ]);
        continue;
      }
      const type = /** @type {Record<string, string>} */ (PARAM_TYPES)[p.type.name];
      if (!type) {
        sink.error('wrong-type', p.type.loc, `unknown parameter type \`${p.type.name}\`; expected one of ${Object.keys(PARAM_TYPES).join(', ')}`, suggestion(p.type.name, Object.keys(PARAM_TYPES)));
        continue;
      }
      if (p.default && !typeMatches(p.default, type)) {
        sink.error('wrong-type', p.default.loc, `default of parameter \`${p.name.name}\` must be ${describeType(type)}, found ${describeValue(p.default)}`);
        continue;
      }
      params.set(p.name.name, { name: p.name.name, type, default: p.default, loc: p.name.loc });
    }
    const body = readBody(decl.items, SCHEMA.template, sink, `template \`${decl.name.name}\``, decl.name.loc);
    model.templates.set(decl.name.name, { name: decl.name.name, decl, params, body });
  }

  // 5. Packages, then passes (a pass inherits its package's effective description).
  for (const decl of decls.Package) {
    if (!model.stages.has(decl.stage.name)) {
      sink.error('undefined-stage', decl.stage.loc, `stage \`${decl.stage.name}\` is not defined`, suggestion(decl.stage.name, model.stages.keys()));
      continue;
    }
    const body = readBody(decl.items, SCHEMA.package, sink, `package \`${decl.name.name}\``, null);
    const pkg = emptyPackage(decl, decl.stage.name, null);
    applyUses(pkg, body.uses, model, sink);
    applyBody(pkg, body);
    for (const [name, spec] of Object.entries(SCHEMA.package.fields)) {
      if (spec.required && !hasField(pkg, name)) {
        sink.error('missing-field', decl.name.loc, `package \`${decl.name.name}\` needs a \`${name}\` field (${spec.doc})`);
      }
    }
    model.packages.set(pkg.id, pkg);
  }
  /** @type {Map<string, string>} package name → its stage, for pass lookup (names unique per stage) */
  const byName = new Map();
  const ambiguous = new Set();
  for (const pkg of model.packages.values()) {
    if (byName.has(pkg.name)) ambiguous.add(pkg.name);
    byName.set(pkg.name, pkg.stage);
  }
  for (const decl of decls.Pass) {
    let baseStage = byName.get(decl.of.name);
    if (decl.stage) {
      if (!model.stages.has(decl.stage.name)) {
        sink.error('undefined-stage', decl.stage.loc, `stage \`${decl.stage.name}\` is not defined`, suggestion(decl.stage.name, model.stages.keys()));
        continue;
      }
      baseStage = model.packages.has(`${decl.stage.name}/${decl.of.name}`) ? decl.stage.name : undefined;
    }
    if (!baseStage) {
      sink.error('undefined-package', decl.of.loc, `pass \`${decl.name.name}\` rebuilds \`${decl.of.name}\`, which is not a package${decl.stage ? ` of \`${decl.stage.name}\`` : ''}`, suggestion(decl.of.name, byName.keys()));
      continue;
    }
    if (!decl.stage && ambiguous.has(decl.of.name)) {
      const stages = [...model.packages.values()].filter((p) => p.name === decl.of.name).map((p) => p.stage);
      sink.error('undefined-package', decl.of.loc, `\`${decl.of.name}\` names packages in several stages; a pass cannot tell which to rebuild`, [
        { message: `name the stage: \`pass ${decl.name.name} of ${decl.of.name} in ${stages[stages.length - 1]} { … }\`` },
      ]);
      continue;
    }
    const id = `${baseStage}/${decl.name.name}`;
    if (model.packages.has(id)) {
      const other = /** @type {RPackage} */ (model.packages.get(id));
      sink.error('duplicate-definition', decl.name.loc, `\`${decl.name.name}\` is already a package of stage \`${baseStage}\``, [
        { message: 'first defined here', loc: other.decl.name.loc },
      ]);
      continue;
    }
    const base = /** @type {RPackage} */ (model.packages.get(`${baseStage}/${decl.of.name}`));
    const body = readBody(decl.items, SCHEMA.pass, sink, `pass \`${decl.name.name}\``, null);
    const pkg = inherit(base, decl);
    applyUses(pkg, body.uses, model, sink);
    applyBody(pkg, body);
    model.packages.set(id, pkg);
  }
  return model;
}

/** @param {Decl} d */
function declKey(d) {
  if (d.kind === 'Package') return `package:${d.stage.name}/${d.name.name}`;
  if (d.kind === 'Pass') return `pass:${d.name.name}`;
  return `${d.kind}:${d.name.name}`;
}
/** @param {Decl} d */
function kindWord(d) {
  return d.kind.toLowerCase();
}
/** @param {Decl} d */
function displayName(d) {
  return d.kind === 'Package' ? `${d.name.name}` : d.name.name;
}

/**
 * @param {Model} model
 * @param {import('./model.js').TargetDecl[]} decls
 * @param {Sink} sink
 * @param {string | undefined} wanted
 * @param {boolean} anything whether any declaration exists
 */
function pickTarget(model, decls, sink, wanted, anything) {
  const defaults = decls.filter((d) => model.targets.get(d.name.name)?.values.default === true);
  if (defaults.length > 1) {
    sink.error('multiple-default-targets', defaults[1].name.loc, `targets \`${defaults[0].name.name}\` and \`${defaults[1].name.name}\` are both marked default`, [
      { message: 'first default here', loc: defaults[0].name.loc },
    ]);
  }
  if (wanted !== undefined) {
    const t = model.targets.get(wanted);
    if (!t) sink.error('undefined-target', null, `target \`${wanted}\` is not defined (targets: ${[...model.targets.keys()].sort().join(', ') || 'none'})`, suggestion(wanted, model.targets.keys()));
    return t ?? null;
  }
  if (defaults.length === 0) {
    if (decls.length > 0 || anything) {
      sink.error('no-default-target', decls[0]?.name.loc ?? null, decls.length ? 'no target is marked `default = true`' : 'no target is defined; declare one with `target NAME { … default = true }`');
    }
    return null;
  }
  return model.targets.get(defaults[0].name.name) ?? null;
}

/**
 * @param {import('./model.js').StageDecl} decl
 * @param {Sink} sink
 * @returns {RStage}
 */
function readStage(decl, sink) {
  const name = decl.name.name;
  if (!STAGE_NAME.test(name)) {
    sink.error('bad-name', decl.name.loc, `stage name \`${name}\` must match [a-z][a-z0-9_]* (it becomes the shell variable \`${name.replace(/\W/g, '_')}_root\`)`);
  } else if (RESERVED_STAGE_NAMES.has(name)) {
    sink.error('bad-name', decl.name.loc, `stage name \`${name}\` is reserved: the generated Makefile or build directory already uses it`);
  }
  const body = readBody(decl.items, SCHEMA.stage, sink, `stage \`${name}\``, decl.name.loc);
  const f = (/** @type {string} */ k) => body.fields.get(k)?.value;
  const rootField = body.fields.get('root');
  /** @type {RStage} */
  const stage = {
    name,
    decl,
    after: f('after') ?? null,
    root: rootField ? rootField.value.value : `${name}/root`,
    rootLoc: rootField ? rootField.value.loc : decl.name.loc,
    path: f('path') ?? [],
    env: [],
    chroot: null,
    description: f('description')?.value ?? '',
  };
  const env = body.blocks.get('env')?.[0];
  if (env) {
    for (const [key, { value, node }] of env.body.fields) stage.env.push({ name: key, value, loc: node.key.loc });
  }
  const ch = body.blocks.get('chroot')?.[0];
  if (ch) {
    const g = (/** @type {string} */ k) => ch.body.fields.get(k)?.value;
    const spec = /** @type {DeclSpec} */ (SCHEMA.stage.blocks.chroot.spec);
    stage.chroot = {
      shell: g('shell')?.value ?? '/bin/sh',
      path: (g('path') ?? []).map((/** @type {any} */ s) => s.value),
      workdir: g('workdir')?.value ?? spec.fields.workdir.default,
      pseudo: g('pseudo') ? g('pseudo').map((/** @type {any} */ s) => s.value) : /** @type {string[]} */ (spec.fields.pseudo.default),
      mounts: [],
      loc: ch.node.key.loc,
    };
    for (const m of ch.body.blocks.get('mount') ?? []) {
      const from = m.body.fields.get('from')?.value;
      if (!from) continue;
      stage.chroot.mounts.push({
        target: m.label.value,
        targetLoc: m.label.loc,
        from,
        readonly: m.body.fields.get('readonly')?.value ?? false,
      });
    }
  }
  return stage;
}

/**
 * Type-checks one declaration body against its spec.
 * @param {Item[]} items
 * @param {DeclSpec} spec
 * @param {Sink} sink
 * @param {string} what e.g. "package `musl`" (for messages)
 * @param {Loc | null} requiredAt where to report missing required fields; null: the caller checks
 * @returns {Body}
 */
export function readBody(items, spec, sink, what, requiredAt) {
  /** @type {Body} */
  const body = { fields: new Map(), blocks: new Map(), steps: [], uses: [] };
  /** Fields written at all, even with a wrong value: a wrong value is one error, not also a missing field. */
  const present = new Set();
  const known = [...Object.keys(spec.fields), ...Object.keys(spec.blocks), ...(spec.steps ? BUILTIN_STEPS : [])];
  /** @type {Map<string, Loc>} */
  const stepSeen = new Map();
  for (const item of items) {
    if (item.kind === 'Field') {
      const key = item.key.name;
      const fs = spec.fields[key];
      if (!fs) {
        const isBlock = key in spec.blocks;
        sink.error('unknown-field', item.key.loc, isBlock ? `\`${key}\` is a block in ${what}: write \`${key} { … }\`` : `${what} has no field \`${key}\``, isBlock ? [] : suggestion(key, known));
        continue;
      }
      const prev = body.fields.get(key);
      if (prev && item.op === '=') {
        sink.error('duplicate-definition', item.key.loc, `field \`${key}\` is set twice in ${what}`, [{ message: 'first set here', loc: prev.node.key.loc }]);
        continue;
      }
      if (item.op === '+=' && !fs.type.startsWith('list:')) {
        sink.error('wrong-type', item.key.loc, `\`+=\` appends to lists, but \`${key}\` is ${describeType(fs.type)}`);
        continue;
      }
      present.add(key);
      const value = convert(item.value, fs.type, sink, `field \`${key}\``);
      if (value === undefined) continue;
      if (prev) body.fields.set(key, { op: prev.op, value: [...prev.value, ...value], node: prev.node });
      else body.fields.set(key, { op: item.op, value, node: item });
    } else if (item.kind === 'Block') {
      const key = item.key.name;
      const bs = spec.blocks[key];
      if (!bs) {
        const isField = key in spec.fields;
        sink.error('unknown-field', item.key.loc, isField ? `\`${key}\` is a field in ${what}: write \`${key} = …\`` : `${what} has no block \`${key}\``, isField ? [] : suggestion(key, known));
        continue;
      }
      const list = body.blocks.get(key) ?? [];
      if (!bs.repeat && list.length > 0) {
        sink.error('duplicate-definition', item.key.loc, `block \`${key}\` appears twice in ${what}`, [{ message: 'first here', loc: list[0].node.key.loc }]);
        continue;
      }
      let label = null;
      if (bs.label === 'string') {
        if (!item.label || item.label.kind !== 'String') {
          sink.error('wrong-type', item.label?.loc ?? item.key.loc, `block \`${key}\` needs a string label, e.g. \`${key} "…" { … }\``);
          continue;
        }
        label = item.label;
      } else if (item.label) {
        sink.error('wrong-type', item.label.loc, `block \`${key}\` takes no label`);
        continue;
      }
      const inner = bs.spec === 'env' ? readEnv(item.items, sink) : readBody(item.items, bs.spec, sink, `\`${key}\` block`, item.key.loc);
      list.push({ label, body: inner, node: item });
      body.blocks.set(key, list);
    } else if (item.kind === 'Step') {
      if (!spec.steps) {
        sink.error('unknown-field', item.name.loc, `${what} has no steps; \`${item.name.name}\` is not one of its fields`, suggestion(item.name.name, known));
        continue;
      }
      if (!item.custom && !BUILTIN_STEPS.includes(item.name.name)) {
        sink.error('unknown-field', item.name.loc, `\`${item.name.name}\` is not a built-in step (${BUILTIN_STEPS.join(', ')}); write \`step ${item.name.name} """…"""\` for a custom step`, suggestion(item.name.name, known));
        continue;
      }
      if (item.custom && BUILTIN_STEPS.includes(item.name.name)) {
        sink.error('bad-name', item.name.loc, `\`${item.name.name}\` is a built-in step; write it without \`step\``);
        continue;
      }
      const first = stepSeen.get(item.name.name);
      if (first) {
        sink.error('duplicate-definition', item.name.loc, `step \`${item.name.name}\` is defined twice in ${what}`, [{ message: 'first defined here', loc: first }]);
        continue;
      }
      stepSeen.set(item.name.name, item.name.loc);
      body.steps.push(item);
    } else if (item.kind === 'Use') {
      if (!spec.use) {
        sink.error('unknown-field', item.loc, `${what} cannot \`use\` templates`);
        continue;
      }
      body.uses.push(item);
    }
  }
  body.present = present;
  if (requiredAt) {
    for (const [key, fs] of Object.entries(spec.fields)) {
      if (fs.required && !present.has(key)) {
        sink.error('missing-field', requiredAt, `${what} needs a \`${key}\` field (${fs.doc})`);
      }
    }
  }
  return body;
}

/** @param {Item[]} items @param {Sink} sink @returns {Body} */
function readEnv(items, sink) {
  /** @type {Body} */
  const body = { fields: new Map(), blocks: new Map(), steps: [], uses: [] };
  for (const item of items) {
    if (item.kind !== 'Field') {
      sink.error('unknown-field', item.loc, 'an `env` block holds only `NAME = "value"` assignments');
      continue;
    }
    const key = item.key.name;
    if (!ENV_NAME.test(key)) {
      sink.error('bad-name', item.key.loc, `\`${key}\` is not a valid environment variable name`);
      continue;
    }
    const prev = body.fields.get(key);
    if (prev) {
      sink.error('duplicate-definition', item.key.loc, `\`${key}\` is set twice in the env block`, [{ message: 'first set here', loc: prev.node.key.loc }]);
      continue;
    }
    if (item.op !== '=' || item.value.kind !== 'String') {
      sink.error('wrong-type', item.value.loc, `env value \`${key}\` must be a string assigned with \`=\``);
      continue;
    }
    body.fields.set(key, { op: '=', value: item.value, node: item });
  }
  return body;
}

/**
 * Converts an AST value to the typed value of a field, or reports `wrong-type` and returns undefined.
 * string → StringLit node; int/bool → number/boolean; name → {name, loc}; ref:* → {name, loc};
 * mount-source → {kind, name|path, loc}; list:T → array of T.
 * @param {Value} v @param {string} type @param {Sink} sink @param {string} what
 */
function convert(v, type, sink, what) {
  if (type.startsWith('list:')) {
    if (v.kind !== 'List') {
      sink.error('wrong-type', v.loc, `${what} expects ${describeType(type)}, found ${describeValue(v)}`);
      return undefined;
    }
    const inner = type.slice(5);
    const out = [];
    for (const item of v.items) {
      const c = convert(item, inner, sink, `each item of ${what}`);
      if (c !== undefined) out.push(c);
    }
    return out;
  }
  if (!typeMatches(v, type)) {
    sink.error('wrong-type', v.loc, `${what} expects ${describeType(type)}, found ${describeValue(v)}`);
    return undefined;
  }
  switch (type) {
    case 'string':
      return v;
    case 'int':
    case 'bool':
      return /** @type {any} */ (v).value;
    case 'name':
      return v.kind === 'Ident' ? { name: v.name, loc: v.loc } : { name: /** @type {any} */ (v).value, loc: v.loc };
    case 'mount-source':
      return v.kind === 'Ident' ? { kind: 'stage', name: v.name, loc: v.loc } : { kind: 'path', path: /** @type {any} */ (v).value, loc: v.loc };
    default:
      return { name: /** @type {Ident} */ (v).name, loc: v.loc };
  }
}

/** @param {Value} v @param {string} type */
export function typeMatches(v, type) {
  if (type.startsWith('list:')) return v.kind === 'List' && v.items.every((i) => typeMatches(i, type.slice(5)));
  switch (type) {
    case 'string':
      return v.kind === 'String';
    case 'int':
      return v.kind === 'Int';
    case 'bool':
      return v.kind === 'Bool';
    case 'name':
      return v.kind === 'Ident' || (v.kind === 'String' && v.parts.every((p) => 'lit' in p));
    case 'mount-source':
      return v.kind === 'Ident' || v.kind === 'String';
    default:
      return v.kind === 'Ident';
  }
}

/** @param {Body} body @param {DeclSpec} spec */
function plainValues(body, spec) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const [k, fs] of Object.entries(spec.fields)) {
    const f = body.fields.get(k);
    out[k] = f ? (f.value?.kind === 'String' ? f.value.value : f.value) : fs.default ?? null;
  }
  return out;
}

/**
 * @param {import('./model.js').PackageDecl | import('./model.js').PassDecl} decl
 * @param {string} stage
 * @param {string | null} passOf
 * @returns {RPackage}
 */
function emptyPackage(decl, stage, passOf) {
  return {
    id: `${stage}/${decl.name.name}`,
    name: decl.name.name,
    stage,
    decl,
    file: decl.loc.file,
    passOf,
    version: null,
    sources: [],
    patches: [],
    files: [],
    depends: [],
    provides: { commands: [], libraries: [] },
    params: new Map(),
    steps: new Map(),
  };
}

/** A pass starts as a copy of its package's effective description. @param {RPackage} base @param {import('./model.js').PassDecl} decl */
function inherit(base, decl) {
  const pkg = emptyPackage(decl, base.stage, base.name);
  pkg.version = base.version;
  pkg.sources = [...base.sources];
  pkg.patches = [...base.patches];
  pkg.files = [...base.files];
  pkg.depends = [...base.depends];
  pkg.provides = { commands: [...base.provides.commands], libraries: [...base.provides.libraries] };
  pkg.params = new Map(base.params);
  pkg.steps = new Map(base.steps);
  return pkg;
}

/** @param {RPackage} pkg @param {string} name */
function hasField(pkg, name) {
  return name === 'version' ? pkg.version !== null || pkg.versionWritten === true : true;
}

/**
 * Applies `use` items in order: template parameters are bound, then the template body is applied.
 * @param {RPackage} pkg @param {UseItem[]} uses @param {Model} model @param {Sink} sink
 */
function applyUses(pkg, uses, model, sink) {
  for (const use of uses) {
    const t = model.templates.get(use.template.name);
    if (!t) {
      sink.error('undefined-template', use.template.loc, `template \`${use.template.name}\` is not defined`, suggestion(use.template.name, model.templates.keys()));
      continue;
    }
    /** @type {Set<string>} */
    const given = new Set();
    for (const arg of use.args) {
      const p = t.params.get(arg.key.name);
      if (!p) {
        sink.error('unknown-field', arg.key.loc, `template \`${t.name}\` has no parameter \`${arg.key.name}\``, suggestion(arg.key.name, t.params.keys()));
        continue;
      }
      if (given.has(p.name)) {
        sink.error('duplicate-definition', arg.key.loc, `parameter \`${p.name}\` is given twice`);
        continue;
      }
      given.add(p.name);
      if (!typeMatches(arg.value, p.type)) {
        sink.error('wrong-type', arg.value.loc, `parameter \`${p.name}\` of template \`${t.name}\` expects ${describeType(p.type)}, found ${describeValue(arg.value)}`);
        continue;
      }
      pkg.params.set(p.name, { value: arg.value, type: p.type, loc: arg.value.loc });
    }
    for (const p of t.params.values()) {
      if (given.has(p.name)) continue;
      if (p.default) pkg.params.set(p.name, { value: p.default, type: p.type, loc: p.default.loc });
      else sink.error('missing-field', use.template.loc, `template \`${t.name}\` needs parameter \`${p.name}\` (${describeType(p.type)})`, [{ message: 'parameter declared here', loc: p.loc }]);
    }
    applyBody(pkg, t.body);
  }
}

/**
 * Applies one body on top of the package: `=` replaces, `+=` appends, blocks and steps replace.
 * @param {RPackage} pkg @param {Body} body
 */
function applyBody(pkg, body) {
  if (body.present?.has('version')) pkg.versionWritten = true;
  for (const [key, { op, value }] of body.fields) {
    switch (key) {
      case 'version':
        pkg.version = value;
        break;
      case 'patches':
      case 'files': {
        const list = value.map((/** @type {any} */ s) => ({ path: s.value, loc: s.loc }));
        pkg[key] = op === '+=' ? [...pkg[key], ...list] : list;
        break;
      }
      case 'depends':
        pkg.depends = op === '+=' ? [...pkg.depends, ...value] : value;
        break;
    }
  }
  const sources = body.blocks.get('source') ?? [];
  const gits = body.blocks.get('git') ?? [];
  if (sources.length || gits.length) {
    // A body that declares sources replaces the inherited ones; order: declaration order.
    const all = [...sources.map((s) => ({ s, kind: 'url' })), ...gits.map((s) => ({ s, kind: 'git' }))].sort(
      (a, b) => a.s.node.loc.offset - b.s.node.loc.offset,
    );
    pkg.sources = all.map(({ s, kind }) => ({
      kind: /** @type {'url' | 'git'} */ (kind),
      url: s.label,
      sha256: s.body.fields.get('sha256')?.value ?? null,
      commit: s.body.fields.get('commit')?.value ?? null,
      strip: s.body.fields.get('strip')?.value ?? 1,
      insecure: s.body.fields.get('insecure')?.value ?? false,
      loc: s.node.loc,
    }));
  }
  const provides = body.blocks.get('provides')?.[0];
  if (provides) {
    for (const key of /** @type {const} */ (['commands', 'libraries'])) {
      const f = provides.body.fields.get(key);
      if (f) pkg.provides[key] = f.op === '+=' ? [...pkg.provides[key], ...f.value] : f.value;
    }
  }
  for (const step of body.steps) pkg.steps.set(step.name.name, step);
}
