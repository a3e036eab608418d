// The chevrotain API for grammar/, loaded from the package's single-file bundle when it exists.
// Why: `import 'chevrotain'` resolves to an ESM tree of hundreds of modules (chevrotain + lodash-es) that took ~650 ms
// to load; the bundle shipped in the same package (lib/chevrotain.mjs, same version and API) loaded in ~80 ms here.
// The package's `exports` map hides the bundle, so it is located next to the resolved entry point; if it is
// missing (another chevrotain layout), the normal entry point is used.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain'); // …/chevrotain/lib/src/api.js
    const bundle = join(dirname(entry), '..', 'chevrotain.mjs');
    // A computed specifier imports as `any`; the bundle is the same version and API as the typed entry point.
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as typeof Chevrotain;
  } catch {
    // fall through to the regular entry point
  }
  return import('chevrotain');
}

const chevrotain = await load();
export const { createToken, createTokenInstance, Lexer, CstParser, EOF, tokenMatcher } = chevrotain;
