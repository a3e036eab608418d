// The handlebars templates of templates/ as render functions, each exactly what compiling its current text gives:
// the build's precompilation (precompile.ts) when it was made from that very text, with these options and this
// handlebars, else a compilation here. So generation needs only handlebars' small runtime, while an edited
// template is never rendered from a stale precompilation (a plain `tsc` build does not refresh it).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type HandlebarsApi from 'handlebars';
import { TEMPLATES_DIR } from '../paths.js';
import { bug, byCodeUnit } from '../util.js';

/** A render function: a view-model in, the file's text out. */
export type Template = (view: object) => string;

/** Compile options of every template: no HTML escaping (the view-model quotes every value itself), no logic. */
export const TEMPLATE_OPTIONS = Object.freeze({
  noEscape: true,
  strict: true,
  data: false,
  knownHelpersOnly: true,
});

/** One precompiled template: the key of the text and compiler it was made from, and handlebars' spec. */
export interface Precompiled {
  readonly key: string;
  readonly spec: Parameters<typeof HandlebarsApi.template>[0];
}

/** Where the build writes the precompiled templates: next to this module in dist/, never in the sources. */
export const PRECOMPILED_FILE: string = join(dirname(fileURLToPath(import.meta.url)), 'templates.precompiled.js');

type Runtime = Pick<typeof HandlebarsApi, 'template' | 'VERSION'>;

/**
 * handlebars' runtime alone, without its compiler and parser: the package's single-file build of it when present
 * (the same version and code, loaded in ~10 ms where its tree of CommonJS modules took ~40 ms), else that tree.
 */
function loadRuntime(): Runtime {
  const require = createRequire(import.meta.url);
  try {
    return require('handlebars/dist/handlebars.runtime.min.js') as Runtime;
  } catch {
    return require('handlebars/runtime') as Runtime;
  }
}

const runtime = loadRuntime();

/**
 * What a precompiled spec depends on: the template text, the options and the handlebars version. A precompiled
 * template is used only under the key of the text read now.
 */
export function templateKey(text: string, version: string = runtime.VERSION): string {
  return createHash('sha256')
    .update(`${version}\0${JSON.stringify(TEMPLATE_OPTIONS)}\0${text}`)
    .digest('hex');
}

/** The templates of one directory by file name (e.g. `step.sh.hbs`), and which were served precompiled. */
export interface TemplateLookup {
  (name: string): Template;
  /** the templates whose precompilation was current (the rest were compiled here) */
  readonly precompiled: ReadonlySet<string>;
}

/** The build's precompiled templates by file name; none when the build did not write them. */
export async function loadPrecompiled(file: string = PRECOMPILED_FILE): Promise<ReadonlyMap<string, Precompiled>> {
  if (!existsSync(file)) return new Map();
  const mod: unknown = await import(pathToFileURL(file).href);
  const table = typeof mod === 'object' && mod !== null && 'templates' in mod ? mod.templates : null;
  return typeof table === 'object' && table !== null
    ? new Map(Object.entries(table as Record<string, Precompiled>))
    : new Map();
}

let loaded: Promise<TemplateLookup> | null = null;

/** serpentc's templates (templates/ with the build's precompilation), made once per process. */
export function templates(): Promise<TemplateLookup> {
  loaded ??= loadPrecompiled().then((pre) => lookupTemplates(pre));
  return loaded;
}

/**
 * The templates of `dir`. Every template's text is read now; the full handlebars is loaded only when one of
 * them differs from its precompilation (or has none), and then compiles just those.
 */
export async function lookupTemplates(
  precompiled: ReadonlyMap<string, Precompiled>,
  dir: string = TEMPLATES_DIR,
): Promise<TemplateLookup> {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.hbs'))
    .sort(byCodeUnit); // sort for determinism
  const current = new Map<string, Precompiled>();
  const texts = new Map<string, string>();
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    texts.set(name, text);
    const pre = precompiled.get(name);
    if (pre !== undefined && pre.key === templateKey(text)) current.set(name, pre);
  }
  const compiler = current.size === names.length ? null : (await import('handlebars')).default;
  const made = new Map<string, Template>();
  const lookup = (name: string): Template => {
    let t = made.get(name);
    if (!t) {
      const text = texts.get(name);
      if (text === undefined) throw bug(`no template ${name} in ${dir}`);
      const pre = current.get(name);
      if (pre !== undefined) t = runtime.template<object>(pre.spec);
      else if (compiler !== null)
        t = compiler.compile<object>(text, { ...TEMPLATE_OPTIONS }); // a copy: handlebars writes into its options
      else throw bug(`template ${name} is neither precompiled nor compiled`);
      made.set(name, t);
    }
    return t;
  };
  return Object.assign(lookup, { precompiled: new Set(current.keys()) });
}
