// serpentc lsp: the real server as a child process over stdio (Content-Length framed JSON-RPC): diagnostics as
// you type on a copy of stages/ (the same code and message as check, cleared when fixed, debounced), definition,
// hover, completion, a clean shutdown; and completion and the stages root in-process, case by case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from '../compiler/index.js';
import { complete, namesOf } from '../compiler/lsp/completion.js';
import { definition } from '../compiler/lsp/definition.js';
import { diagnosticsByUri } from '../compiler/lsp/diagnostics.js';
import { symbolAt } from '../compiler/lsp/locate.js';
import { compileSet, layerBaseOf, stagesRootOf, Workspace } from '../compiler/lsp/workspace.js';
import { PACKAGE, SCHEMA } from '../compiler/schema.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspClient, type PublishDiagnostics } from './helpers/lsp.js';
import { REPO_ROOT } from './helpers/paths.js';

const STAGES = join(REPO_ROOT, 'stages');

/** A fresh copy of stages/ in a temporary directory (removed by the caller). */
function copyStages(): { tmp: string; stages: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'serpentc-lsp-'));
  const stages = join(tmp, 'stages');
  cpSync(STAGES, stages, { recursive: true });
  return { tmp, stages };
}

/** The 0-based line and character of the first `needle` in `text` (plus `delta` characters). */
function posOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, i + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - (before.lastIndexOf('\n') + 1) };
}

async function started(root: string): Promise<LspClient> {
  const client = LspClient.start(['lsp'], root);
  const uri = pathToFileURL(root).href;
  const init = await client.request<{ capabilities: Record<string, unknown>; serverInfo: { name: string } }>(
    'initialize',
    { processId: process.pid, capabilities: {}, workspaceFolders: [{ uri, name: 'recipes' }] },
  );
  assert.is(init.serverInfo.name, 'serpentc');
  assert.ok(init.capabilities.definitionProvider);
  client.notify('initialized', {});
  return client;
}

test('stages root: the top of the chain of directories that hold recipes, within the workspace folder', () => {
  assert.is(stagesRootOf(join(STAGES, 'stage2', 'zlib.recipe'), [REPO_ROOT]), STAGES);
  assert.is(stagesRootOf(join(STAGES, 'stages.recipe'), []), STAGES);
  // a golden case: the case directory above input/ holds no recipe
  const input = join(REPO_ROOT, 'spec', 'cases', 'constructs', 'minimal', 'input');
  assert.is(stagesRootOf(join(input, 'x.recipe'), [REPO_ROOT]), input);
  // never above the workspace folder
  assert.is(stagesRootOf(join(STAGES, 'stage2', 'zlib.recipe'), [join(STAGES, 'stage2')]), join(STAGES, 'stage2'));
});

test('a layer file belongs to its base with the layer on it, compiled as `serpentc check stages LAYER` does', async () => {
  const layer = join(STAGES, 'layers', 'host-llvm');
  assert.is(stagesRootOf(join(layer, 'llvm.recipe'), [REPO_ROOT]), layer);
  assert.is(layerBaseOf(layer, [REPO_ROOT]), STAGES);
  assert.is(layerBaseOf(STAGES, [REPO_ROOT]), null, 'a base is no layer');
  const ws = new Workspace({ documents: () => [], publish: () => undefined, log: () => undefined });
  ws.folders = [REPO_ROOT];
  const set = ws.setOf(pathToFileURL(join(layer, 'llvm.recipe')).href);
  assert.is(set?.root, STAGES);
  assert.is(set?.layer, 'layers/host-llvm');
  assert.is.not(ws.setOf(pathToFileURL(join(STAGES, 'stages.recipe')).href), set, 'the base alone is a set of its own');
  const snap = await compileSet(STAGES, [], 'layers/host-llvm');
  assert.equal(snap.result.diagnostics, []);
  assert.equal(
    snap.result.graph?.layers?.map((l) => l.name),
    ['host-llvm'],
  );
  assert.ok(snap.result.files.some((f) => f.file === 'layers/host-llvm/llvm.recipe'));
  // the base alone leaves the layer out, and has no error about its declarations either
  const base = await compileSet(STAGES, []);
  assert.equal(base.result.diagnostics, []);
  assert.is(base.result.graph?.layers, undefined);
  // and publishes nothing for the layer's files, not even an empty list: that would wipe the layer set's errors
  // from the editor whenever a base file changes
  assert.equal(
    [...base.uris.keys()].filter((rel) => rel.startsWith('layers/')),
    [],
  );
  assert.ok(snap.uris.has('layers/host-llvm/llvm.recipe'));
  assert.equal(
    [...diagnosticsByUri(base).keys()].filter((uri) => uri.includes('/layers/')),
    [],
  );
});

test('a file on disk that is not UTF-8 is a bad-encoding error in the editor too; its text open in the editor is not', async () => {
  const { tmp, stages } = copyStages();
  try {
    const file = join(stages, 'stage2', 'compression.recipe');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, Buffer.from(text.replace('# ', '# caf\u00e9 '), 'latin1')); // as an editor saving Latin-1 would
    const onDisk = await compileSet(stages, []);
    assert.equal(
      onDisk.result.diagnostics.map((d) => `${d.loc?.file}:${d.loc?.line}:${d.loc?.col} ${d.code}`),
      ['stage2/compression.recipe:1:6 bad-encoding'],
    );
    // the editor decodes the file itself: what it holds is text, whatever the file's bytes
    const open = TextDocument.create(pathToFileURL(file).href, 'recipe', 1, text);
    assert.equal((await compileSet(stages, [open])).result.diagnostics, []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('diagnostics as you type, definition, hover, completion, shutdown — the real server over stdio', async () => {
  const { tmp, stages } = copyStages();
  const client = await started(tmp);
  try {
    const file = join(stages, 'stage2', 'compression.recipe');
    const uri = pathToFileURL(file).href;
    const text = readFileSync(file, 'utf8');
    const other = pathToFileURL(join(stages, 'stages.recipe')).href;
    const first = client.diagnostics(uri, 1);
    const otherFirst = client.diagnostics(other);
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'recipe', version: 1, text } });
    assert.equal((await first).diagnostics, [], 'stages/ is clean');
    // every file of the set is published on the first compile, not only the open one
    assert.equal((await otherFirst).diagnostics, []);

    // an edit that names an undefined package: the error arrives with check's code, message and range
    const broken = text.replace('depends = [musl]', 'depends = [musll]');
    const error = client.diagnostics(uri, 2);
    client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: broken }] });
    const got = (await error).diagnostics;
    assert.is(got.length, 1, JSON.stringify(got));
    assert.is(got[0].code, 'undefined-package');
    assert.is(got[0].source, 'serpentc');
    assert.equal(got[0].range, { start: posOf(broken, 'musll'), end: posOf(broken, 'musll', 5) });
    // the same message as `serpentc check` on the same text saved
    writeFileSync(file, broken);
    const checked = (await compile(stages)).diagnostics;
    writeFileSync(file, text);
    assert.equal(
      checked.map((d) => [d.code, d.message]),
      [['undefined-package', got[0].message]],
    );
    assert.equal(
      got[0].relatedInformation?.map((r) => r.message),
      checked[0].notes.map((n) => n.message),
    );

    // fixed by an incremental edit (a range deleted): an empty list for the file
    const clean = client.diagnostics(uri, 3);
    const l = posOf(broken, 'musll', 4);
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: l, end: { line: l.line, character: l.character + 1 } }, text: '' }],
    });
    assert.equal((await clean).diagnostics, []);

    // fast typing compiles once: five edits in a row, one publish (of the last). The last declares zlib again,
    // which is reported in zlib.recipe (read after compression.recipe), a file not open, with a note back here.
    const before = client.notifications.length;
    const duplicate = `${text}\npackage zlib in stage2 {\n  version = "1"\n}\n`;
    const zlib = pathToFileURL(join(stages, 'stage2', 'zlib.recipe')).href;
    const zlibText = readFileSync(join(stages, 'stage2', 'zlib.recipe'), 'utf8');
    const last = client.diagnostics(uri, 8);
    const inZlib = client.diagnostics(zlib);
    for (let v = 4; v <= 8; v++) {
      const t = v === 8 ? duplicate : `${text}\npackage zlib in stage2 {\n  version = "${'1'.repeat(v)}"`;
      client.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text: t }] });
    }
    assert.equal((await last).diagnostics, []);
    const dup = (await inZlib).diagnostics;
    const published = client.notifications
      .slice(before)
      .map((n) => n.message.params as PublishDiagnostics)
      .filter((p) => p.uri === uri);
    assert.equal(
      published.map((p) => p.version),
      [8],
      'no compile of the intermediate texts',
    );
    assert.equal(
      dup.map((d) => [d.code, d.range.start]),
      [['duplicate-definition', posOf(zlibText, 'zlib in stage2')]],
    );
    assert.equal(dup[0].relatedInformation?.[0].location, {
      uri,
      range: { start: posOf(duplicate, 'zlib in stage2'), end: posOf(duplicate, 'zlib in stage2', 4) },
    });
    const cleared = client.diagnostics(zlib);
    const fixed = client.diagnostics(uri, 9);
    client.notify('textDocument/didChange', { textDocument: { uri, version: 9 }, contentChanges: [{ text }] });
    assert.equal((await fixed).diagnostics, []);
    assert.equal((await cleared).diagnostics, [], 'a file not open that became clean gets an empty list');

    // definition: `musl` in a depends list jumps to `package musl in stage2`
    const at = (position: { line: number; character: number }) => ({ textDocument: { uri }, position });
    const defs = await client.request<Array<{ uri: string; range: unknown }>>(
      'textDocument/definition',
      at(posOf(text, '[musl]', 2)),
    );
    const muslText = readFileSync(join(stages, 'stage2', 'musl.recipe'), 'utf8');
    assert.equal(defs, [
      {
        uri: pathToFileURL(join(stages, 'stage2', 'musl.recipe')).href,
        range: { start: posOf(muslText, 'musl in stage2'), end: posOf(muslText, 'musl in stage2', 4) },
      },
    ]);
    // `in stage2` jumps to the stage, `use autotools-cross` to the template
    const stageDef = await client.request<Array<{ uri: string }>>(
      'textDocument/definition',
      at(posOf(text, 'in stage2', 3)),
    );
    assert.equal(
      stageDef.map((d) => d.uri),
      [other],
    );
    const useDef = await client.request<Array<{ uri: string }>>(
      'textDocument/definition',
      at(posOf(text, 'autotools-cross', 3)),
    );
    assert.equal(
      useDef.map((d) => d.uri),
      [pathToFileURL(join(stages, 'templates.recipe')).href],
    );

    // hover on a field shows its schema entry
    const h = await client.request<{ contents: { kind: string; value: string } }>(
      'textDocument/hover',
      at(posOf(text, 'version =', 2)),
    );
    assert.is(h.contents.kind, 'markdown');
    assert.match(h.contents.value, PACKAGE.fields.version.doc);
    assert.match(h.contents.value, 'required');
    const hp = await client.request<{ contents: { value: string } }>(
      'textDocument/hover',
      at(posOf(text, '[musl]', 1)),
    );
    assert.match(hp.contents.value, 'package `musl` in `stage2`');
    assert.match(hp.contents.value, 'stage2/musl.recipe');

    // completion: at an item of a package, its fields; in `depends = [`, the packages of the stage
    type Items = Array<{ label: string }>;
    const items = await client.request<Items>('textDocument/completion', at(posOf(text, 'version =')));
    const labels = items.map((i) => i.label);
    for (const want of ['version', 'depends', 'patches', 'source', 'provides', 'configure', 'use'])
      assert.ok(labels.includes(want), `${want} in ${labels.join(' ')}`);
    assert.not.ok(labels.includes('triplet'), 'a target field is not offered in a package');
    const deps = await client.request<Items>('textDocument/completion', at(posOf(text, '[musl]', 1)));
    const stage2 = (await compile(STAGES)).graph?.packages.filter((p) => p.stage === 'stage2').map((p) => p.name);
    assert.ok(
      deps.some((i) => i.label === 'musl'),
      'musl offered',
    );
    assert.ok(
      deps.every((i) => stage2?.includes(i.label)),
      `only stage2 packages: ${deps.map((i) => i.label).join(' ')}`,
    );
    assert.not.ok(
      deps.some((i) => i.label === 'gzip'),
      'a package does not depend on itself',
    );

    // formatting: serpentc fmt's layout as one edit of the whole text; none for a formatted file
    type Edits = Array<{ range: { start: unknown; end: unknown }; newText: string }>;
    const formatting = { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } };
    assert.equal(await client.request<Edits>('textDocument/formatting', formatting), [], 'stages/ is formatted');
    const messy = text.replace('package xz in stage2 {', 'package xz in stage2    {\n\n\n');
    client.notify('textDocument/didChange', { textDocument: { uri, version: 20 }, contentChanges: [{ text: messy }] });
    const edits = await client.request<Edits>('textDocument/formatting', formatting);
    assert.is(edits.length, 1);
    assert.is(edits[0].newText, text, 'the edit restores the formatted text');

    assert.is(await client.close(), 0, 'exit 0 after shutdown');
  } finally {
    client.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a document that starts with a byte order mark: ranges sent back count it, as positions received do', async () => {
  const { tmp, stages } = copyStages();
  const client = await started(tmp);
  try {
    const uri = pathToFileURL(join(stages, 'bom.recipe')).href;
    const text = '\uFEFFpackage bompkg in stagez { version = "1" }\n';
    const published = client.diagnostics(uri, 1);
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'recipe', version: 1, text } });
    const d = (await published).diagnostics.find((x) => x.code === 'undefined-stage');
    // `stagez` is units 19..25 of the document's first line, the mark being unit 0
    assert.equal(d?.range, { start: { line: 0, character: 19 }, end: { line: 0, character: 25 } });
    assert.is(text.slice(19, 25), 'stagez');
    assert.is(await client.close(), 0);
  } finally {
    client.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('no input ends the server: garbage edits still get diagnostics, requests anywhere get answers', async () => {
  const { tmp, stages } = copyStages();
  const client = await started(tmp);
  try {
    const uri = pathToFileURL(join(stages, 'stage1', 'musl.recipe')).href;
    const text = readFileSync(join(stages, 'stage1', 'musl.recipe'), 'utf8');
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'recipe', version: 1, text } });
    await client.diagnostics(uri, 1);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const junk = ['{', '}', '[', '"', '"""', '\0', '${', 'package', ' in ', '=', '\n', '\uFEFF', 'é', '😀', '(', '#'];
    let current = text;
    for (let v = 2; v <= 25; v++) {
      const at = rand(current.length);
      current = current.slice(0, at) + junk[rand(junk.length)] + current.slice(at + rand(3));
      const published = client.diagnostics(uri, v);
      client.notify('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ text: current }],
      });
      const lines = current.split('\n');
      const line = rand(lines.length);
      const position = { line, character: rand(lines[line].length + 2) };
      await client.request('textDocument/hover', { textDocument: { uri }, position });
      await client.request('textDocument/definition', { textDocument: { uri }, position });
      await client.request('textDocument/completion', { textDocument: { uri }, position });
      await published;
    }
    // a didOpen without its text leaves that file to the disk; the set still compiles and publishes
    const headers = pathToFileURL(join(stages, 'stage1', 'headers.recipe')).href;
    client.notify('textDocument/didOpen', { textDocument: { uri: headers, languageId: 'recipe', version: 1 } });
    const after = client.diagnostics(uri, 26);
    client.notify('textDocument/didChange', { textDocument: { uri, version: 26 }, contentChanges: [{ text }] });
    await after;
    // a request about a document the server never saw is answered too
    const ghost = pathToFileURL(join(stages, 'nope.recipe')).href;
    assert.equal(
      await client.request('textDocument/definition', {
        textDocument: { uri: ghost },
        position: { line: 0, character: 0 },
      }),
      [],
    );
    assert.is(await client.close(), 0);
    assert.not.match(client.stderr, 'failed', client.stderr);
  } finally {
    client.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('`serpentc lsp` is in --help and takes no argument', async () => {
  const help = LspClient.start(['--help']);
  assert.is(await help.exitCode(), 0);
  const extra = LspClient.start(['lsp', 'stages']);
  assert.is(await extra.exitCode(), 2);
  assert.match(extra.stderr, '`lsp` takes no arguments');
});

// ---------------------------------------------------------------------------------------------------------
// Completion in-process: each context of the cursor (| marks it).
// ---------------------------------------------------------------------------------------------------------

const model = (await compile(STAGES)).model;
const names = namesOf(model);

function labelsAt(marked: string): string[] {
  const offset = marked.indexOf('|');
  return complete(marked.slice(0, offset) + marked.slice(offset + 1), offset, names).map((i) => i.label);
}

test('completion: the fields and blocks of the enclosing declaration or block', () => {
  assert.equal(labelsAt('target t {\n  |\n}'), Object.keys(SCHEMA.target.fields));
  assert.equal(labelsAt('stage s {\n  description = "x"\n  |\n}'), ['after', 'path', 'description', 'env', 'chroot']);
  assert.equal(labelsAt('package p in stage1 {\n  source "u" {\n    |'), ['sha256', 'strip', 'insecure', 'paths']);
  assert.equal(labelsAt('stage s {\n  chroot {\n    mount "/m" { | }\n  }\n}'), ['from', 'readonly']);
  assert.ok(labelsAt('template t(a: string) {\n  |\n}').includes('configure'));
  assert.ok(labelsAt('pass p of musl {\n  |\n}').includes('depends'));
  // not where a value or a name is expected, nor in an env block
  assert.equal(labelsAt('package p in stage1 {\n  version |'), []);
  assert.equal(labelsAt('stage s {\n  env {\n    |\n  }\n}'), []);
  assert.equal(labelsAt('|'), ['target', 'stage', 'template', 'package', 'pass', 'layer', 'amend', 'replace']);
});

test('completion: layer declarations — what follows amend and replace, and the items of each change', () => {
  assert.equal(labelsAt('amend |'), ['package', 'stage']);
  assert.equal(labelsAt('replace |'), ['package']);
  assert.equal(labelsAt('amend stage |'), [...model.stages.keys()]);
  assert.ok(labelsAt('amend package |').includes('llvm'), 'the packages below');
  assert.equal(labelsAt('amend package llvm in |'), [...model.stages.keys()]);
  assert.equal(labelsAt('layer l {\n  |\n}'), ['description']);
  const amend = labelsAt('amend package llvm in stage1 {\n  |\n}');
  for (const k of ['version', 'depends', 'source', 'substitute', 'drop', 'build', 'use'])
    assert.ok(amend.includes(k), k);
  const replace = labelsAt('replace package llvm in stage1 {\n  |\n}');
  assert.ok(replace.includes('drop') && !replace.includes('substitute'), 'a replacement substitutes nothing');
  assert.equal(labelsAt('amend package zlib in stage2 {\n  substitute "u" {\n    |'), [
    'by',
    'sha256',
    'reason',
    'strip',
    'insecure',
  ]);
  assert.equal(labelsAt('amend package zlib in stage2 {\n  drop {\n    |'), ['depends', 'reason']);
  assert.ok(labelsAt('amend package zlib in stage2 {\n  drop {\n    depends = [|').includes('headers'));
  assert.equal(labelsAt('amend stage stage1 {\n  |\n}'), ['after', 'path', 'description', 'env', 'chroot']);
});

test('completion: names where they stand', () => {
  const stages = [...model.stages.keys()];
  assert.equal(labelsAt('stage s {\n  after = |'), stages);
  assert.equal(labelsAt('stage s {\n  after = st|'), stages, 'the word being typed is replaced');
  assert.equal(labelsAt('stage s {\n  chroot {\n    mount "/m" { from = |'), stages);
  assert.equal(labelsAt('package p in |'), stages);
  assert.equal(labelsAt('package p in stage1 {\n  use |'), [...model.templates.keys()]);
  assert.equal(labelsAt('package p in stage1 {\n  use autotools-cross(|'), ['flags', 'prefix']);
  const stage1 = [...model.packages.values()].filter((p) => p.stage === 'stage1').map((p) => p.name);
  assert.equal(labelsAt('package p in stage1 {\n  depends = [|'), [...new Set(stage1)]);
  const listed = labelsAt('package p in stage1 {\n  depends = [musl, |]\n}');
  assert.not.ok(listed.includes('musl'), 'a package already listed is not offered again');
  assert.ok(listed.length > 0);
  // a pass takes its base's stage
  assert.ok(labelsAt('pass p of zlib {\n  depends += [|').every((n) => model.packages.has(`stage2/${n}`)));
});

test('completion: nothing inside strings, shell bodies and comments', () => {
  assert.equal(labelsAt('package p in stage1 {\n  version = "1|"'), []);
  assert.equal(labelsAt('package p in stage1 {\n  version = "1|'), []);
  assert.equal(labelsAt('package p in stage1 {\n  build """\n  mak|\n  """\n}'), []);
  assert.equal(labelsAt('package p in stage1 {\n  # a comment |\n}'), []);
});

test('definition in-process: stage references, and template parameters in bodies and `use` arguments', async () => {
  const r = await compile(STAGES);
  const defAt = (file: string, needle: string, delta: number) => {
    const f = r.files.find((x) => x.file.endsWith(file));
    if (!f) throw new Error(`no ${file}`);
    const sym = symbolAt(f, f.text.indexOf(needle) + delta, r.model);
    return definition(sym, r.model, (x) => x).map((l) => `${l.uri.slice(STAGES.length + 1)}:${l.range.start.line + 1}`);
  };
  const line = (file: string, needle: string) => {
    const text = readFileSync(join(STAGES, file), 'utf8');
    return `${file}:${text.slice(0, text.indexOf(needle)).split('\n').length}`;
  };
  assert.equal(defAt('stages.recipe', 'after = stage1', 9), [line('stages.recipe', 'stage stage1 {')]);
  assert.equal(defAt('stages.recipe', 'from = stage2', 8), [line('stages.recipe', 'stage stage2 {')]);
  // `${prefix}` inside a template's shell body, and the argument `flags =` of a `use`
  assert.equal(defAt('templates.recipe', '--prefix="${prefix}"', 13), [
    line('templates.recipe', 'prefix: string = "/usr"'),
  ]);
  assert.equal(defAt('compression.recipe', 'flags = ', 1), [line('templates.recipe', 'flags: string = ""')]);
  // a comment that mentions a parameter is no reference
  assert.equal(defAt('templates.recipe', '`${flags}`', 3), []);
});

test.run();
