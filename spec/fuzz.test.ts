// Property test: ≥ 10,000 random and mutated inputs go through parse and check; nothing escapes as an
// exception and every input ends in diagnostics or in a graph, and a sample of the graphs renders. FUZZ_N
// overrides the count; FUZZ_SEED the seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSources, type Result } from '../compiler/index.js';
import { inputPaths } from '../compiler/emit/layout.js';
import { render } from '../compiler/emit/render.js';
import type { BuildGraph } from '../compiler/graph.js';
import { prng } from '../bench/synth.js';
import { caseSources, listCases } from './helpers/cases.js';

const N = Number(process.env.FUZZ_N ?? 10000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

/** Valid seed inputs: every construct case, as lists of {rel, text}. */
function seeds() {
  return listCases('constructs').map((c) => ({ input: c.input, files: caseSources(c) }));
}

const ALPHABET = ' \n\t{}[]()=+,:"#$\\abcdefghijklmnopqrstuvwxyz0123456789_-./';
const FRAGMENTS = [
  '"""',
  '"',
  '${',
  '}',
  '{',
  'package',
  'pass',
  'of',
  'in',
  'on',
  'stage',
  'target',
  'template',
  'use',
  'step',
  'after',
  '+=',
  '= [',
  ']',
  'chroot',
  'host',
  '\n',
  'depends = [tools]',
  'version = "1"',
  '$(',
  '`',
  "'",
  'if',
  'fi',
  '<<EOF\n',
  '\u0000',
  '\u00e9',
  '\r\n',
];

/** Every how-many-th clean input is also rendered (render formats every body: the slow part). */
const RENDER_EVERY = 2;

async function renders(graph: BuildGraph, dir: string, what: string, file: { rel: string; text: string }) {
  const inputs = new Map<string, Buffer>();
  for (const rel of inputPaths(graph)) {
    const path = join(dir, rel);
    if (existsSync(path)) inputs.set(rel, readFileSync(path));
  }
  try {
    await render(graph, inputs);
  } catch (e) {
    assert.unreachable(`${what} passed check but render threw: ${e instanceof Error ? e.stack : String(e)}
--- ${file.rel}
${file.text}`);
  }
}

function mutate(rand: () => number, text: string): string {
  const ops = 1 + Math.floor(rand() * 4);
  let t = text;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(rand() * (t.length + 1));
    const len = Math.floor(rand() * 12);
    const r = rand();
    if (r < 0.3)
      t = t.slice(0, at) + t.slice(at + len); // delete
    else if (r < 0.6)
      t = t.slice(0, at) + FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)] + t.slice(at); // insert
    else if (r < 0.8)
      t = t.slice(0, at) + t.slice(at, at + len) + t.slice(at); // duplicate
    else {
      const b = Math.floor(rand() * (t.length + 1)); // swap two chunks
      const [x, y] = at < b ? [at, b] : [b, at];
      t = t.slice(0, x) + t.slice(y, y + len) + t.slice(x + len, y) + t.slice(x, x + len) + t.slice(y + len);
    }
  }
  return t;
}

function random(rand: () => number): string {
  const len = Math.floor(rand() * 200);
  let s = '';
  for (let i = 0; i < len; i++)
    s +=
      rand() < 0.2 ? FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)] : ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

test(`${N} random and mutated inputs end in diagnostics or a graph, never an exception`, async () => {
  const rand = prng(SEED);
  const pool = seeds();
  assert.ok(pool.length > 0, 'seed cases exist');
  let clean = 0;
  let failing = 0;
  for (let i = 0; i < N; i++) {
    const seed = pool[i % pool.length];
    const files = seed.files.map((f) => ({ ...f }));
    const k = Math.floor(rand() * files.length);
    files[k].text = i % 5 === 0 ? random(rand) : mutate(rand, files[k].text);
    let res: Result;
    try {
      res = await compileSources(files, { stagesDir: seed.input });
    } catch (e) {
      assert.unreachable(
        `input #${i} (seed ${SEED}) threw: ${e instanceof Error ? e.stack : String(e)}\n--- ${files[k].rel}\n${files[k].text}`,
      );
      return;
    }
    const errors = res.diagnostics.filter((d) => d.severity === 'error');
    // Either a graph and no errors, or errors and no graph: never neither, never both.
    assert.is(res.graph === null, errors.length > 0, `input #${i}: graph/diagnostics mismatch`);
    for (const d of errors) {
      assert.type(d.code, 'string');
      assert.ok(
        d.loc === null || (d.loc.line >= 1 && d.loc.col >= 1),
        `input #${i}: diagnostic ${d.code} has a bad location`,
      );
    }
    if (res.graph) {
      clean++;
      // What check passes must also generate: a throw in render is a check that is missing (exit 3).
      if (clean % RENDER_EVERY === 0) await renders(res.graph, seed.input, `input #${i} (seed ${SEED})`, files[k]);
    } else failing++;
  }
  // Mutations must exercise both outcomes, or the test proves nothing.
  assert.ok(clean > N * 0.02, `too few clean inputs: ${clean}`);
  assert.ok(failing > N * 0.5, `too few failing inputs: ${failing}`);
});

test.run();
