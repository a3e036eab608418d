// The VS Code extension in compiler/editor/vscode/: its TextMate grammar, tokenized as VS Code does (vscode-textmate
// over the oniguruma wasm), over every real recipe in stages/ and over snippets for what stages/ does not use. The
// project's own lexer (grammar/tokens.ts) is the reference: every token it finds must get the scope of its kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import textmate from 'vscode-textmate';
import type { IGrammar, IOnigLib, IRawGrammar, StateStack } from 'vscode-textmate';
import oniguruma from 'vscode-oniguruma';
import * as T from '../grammar/tokens.js';
import { REPO_ROOT } from './helpers/paths.js';

const EXT = join(REPO_ROOT, 'compiler', 'editor', 'vscode');
const GRAMMAR_FILE = join(EXT, 'syntaxes', 'serpent-recipe.tmLanguage.json');
const EMBEDDED = 'meta.embedded.block.shellscript';

interface Manifest {
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string; embeddedLanguages: Record<string, string> }[];
  };
}
interface LanguageConfiguration {
  comments: { lineComment: string };
  brackets: [string, string][];
  autoClosingPairs: { open: string; close: string }[];
}
/** The parts of a raw grammar rule the checks below read. */
interface Rule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  while?: string;
  contentName?: string;
  patterns?: Rule[];
  repository?: Record<string, Rule>;
}

const readJson = <J>(path: string): J => JSON.parse(readFileSync(path, 'utf8')) as J;
const grammarText = readFileSync(GRAMMAR_FILE, 'utf8');

/** The shell grammar VS Code ships is not here; the default stub has no rules, so bodies are plain embedded text. */
const EMPTY_SHELL = { scopeName: 'source.shell', patterns: [] };
/**
 * A stub that does what VS Code's shell grammar (better-shell-syntax) does with a body: a statement begins at the
 * indentation of a line and runs on over line ends, and a `"` in it opens a string that does too. Handed the
 * line of a closing `"""`, it would read the `"""` as strings and never give it back.
 */
const STATEMENT_SHELL = {
  scopeName: 'source.shell',
  patterns: [
    {
      name: 'meta.statement.shell',
      begin: '[ \\t]*(?=\\S)',
      end: ';',
      patterns: [{ name: 'string.quoted.double.shell', begin: '"', end: '"' }],
    },
  ],
};

let onigLib: Promise<IOnigLib> | undefined;
/** The wasm is loaded once per process (loadWASM refuses a second call). */
function onig(): Promise<IOnigLib> {
  onigLib ??= (async () => {
    const wasm = readFileSync(join(REPO_ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
    await oniguruma.loadWASM(wasm);
    return {
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    };
  })();
  return onigLib;
}

const grammars = new Map<object, Promise<IGrammar>>();
function recipeGrammar(shell: object = EMPTY_SHELL): Promise<IGrammar> {
  let g = grammars.get(shell);
  if (!g) {
    const registry = new textmate.Registry({
      onigLib: onig(),
      loadGrammar: (scopeName: string) =>
        Promise.resolve(
          scopeName === 'source.serpent-recipe'
            ? textmate.parseRawGrammar(grammarText, GRAMMAR_FILE)
            : scopeName === 'source.shell'
              ? (shell as IRawGrammar)
              : null,
        ),
    });
    g = registry.loadGrammar('source.serpent-recipe').then((loaded) => {
      if (!loaded) throw new Error('source.serpent-recipe did not load');
      return loaded;
    });
    grammars.set(shell, g);
  }
  return g;
}

interface TmToken {
  start: number;
  end: number;
  scopes: string[];
}
interface Tokenized {
  text: string;
  lines: { text: string; tokens: TmToken[] }[];
  /** The rule stack after the last line: depth 1 is the top level. */
  end: StateStack;
}

function tokenize(grammar: IGrammar, text: string): Tokenized {
  let state: StateStack = textmate.INITIAL;
  const lines = text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return {
      text: line,
      tokens: r.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes })),
    };
  });
  return { text, lines, end: state };
}

interface Pos {
  line: number; // 0-based
  col: number; // 0-based, UTF-16 units
}

function posOf(text: string, offset: number): Pos {
  const before = text.lastIndexOf('\n', offset - 1);
  return { line: text.slice(0, offset).split('\n').length - 1, col: offset - before - 1 };
}

/** The TextMate token at a position. */
function tokenAt(t: Tokenized, p: Pos): TmToken {
  const line = t.lines[p.line];
  const tok = line.tokens.find((x) => x.start <= p.col && p.col < x.end);
  if (!tok) throw new Error(`no token at ${p.line + 1}:${p.col + 1} of ${JSON.stringify(line.text)}`);
  return tok;
}
const scopesAt = (t: Tokenized, p: Pos): string[] => tokenAt(t, p).scopes;
/** `entity.name.type` is a prefix of `entity.name.type.target.serpent-recipe`, not of `entity.name.typeX`. */
const hasScope = (scopes: string[], prefix: string): boolean =>
  scopes.some((s) => s === prefix || s.startsWith(`${prefix}.`));
const innermost = (scopes: string[]): string => scopes[scopes.length - 1];

/**
 * Where `needle` first occurs in the text (after `after`, when given), plus `skip` characters into it: positions
 * are found by searching, so an edit to a recipe moves them rather than breaking the test silently.
 */
function find(t: Tokenized, needle: string, skip = 0, after?: string): Pos {
  const from = after === undefined ? 0 : t.text.indexOf(after);
  assert.ok(from >= 0, `'${after ?? ''}' not found`);
  const at = t.text.indexOf(needle, from);
  assert.ok(at >= 0, `'${needle}' not found`);
  return posOf(t.text, at + skip);
}

function expectScope(t: Tokenized, p: Pos, prefix: string, what: string): void {
  const scopes = scopesAt(t, p);
  assert.ok(
    hasScope(scopes, prefix),
    `${what} at ${p.line + 1}:${p.col + 1} (${JSON.stringify(t.lines[p.line].text)}): want ${prefix}, have ${scopes.join(' ')}`,
  );
}
function expectNoScope(t: Tokenized, p: Pos, prefix: string, what: string): void {
  const scopes = scopesAt(t, p);
  assert.not.ok(
    hasScope(scopes, prefix),
    `${what} at ${p.line + 1}:${p.col + 1} (${JSON.stringify(t.lines[p.line].text)}): ${prefix} in ${scopes.join(' ')}`,
  );
}
const NAME_CHAR = /[A-Za-z0-9_.+-]/;
/** The lexer's rule for what continues a name: `+` only when no `=` follows. */
const NAME_GOES_ON = /^(?:[A-Za-z0-9_.-]|\+(?!=))/;
/** Where a word first stands alone in a text: `in` in `util-linux in stage3` is the second one. */
function wordIndex(text: string, word: string): number {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const startsAlone = at === 0 || !/[A-Za-z0-9_]/.test(word[0]) || !NAME_CHAR.test(text[at - 1]);
    const endsAlone = !NAME_CHAR.test(word[word.length - 1]) || !NAME_GOES_ON.test(text.slice(at + word.length));
    if (startsAlone && endsAlone) return at;
  }
  return -1;
}

/** The scope a word of a needle gets, where the needle is found; the word must be one TextMate token. */
function expectWord(t: Tokenized, needle: string, word: string, prefix: string, after?: string): void {
  const at = wordIndex(needle, word);
  assert.ok(at >= 0, `'${word}' is not in '${needle}'`);
  const p = find(t, needle, at, after);
  expectScope(t, p, prefix, `'${word}' in '${needle}'`);
  // a whole word, one token: no part of it is scoped apart
  const tok = tokenAt(t, p);
  assert.is(t.lines[p.line].text.slice(tok.start, tok.end), word, `'${word}' in '${needle}' is one token`);
}

// What each kind of lexer token must be scoped as (a prefix of its innermost scope).
const KEYWORD_SCOPES: Readonly<Record<string, string>> = {
  Target: 'storage.type.target',
  Stage: 'storage.type.stage',
  Template: 'storage.type.template',
  Package: 'storage.type.package',
  Pass: 'storage.type.pass',
  Step: 'storage.type.step',
  Layer: 'storage.type.layer',
  Amend: 'storage.type.amend',
  Replace: 'storage.type.replace',
  In: 'keyword.other.in',
  Of: 'keyword.other.of',
  On: 'keyword.other.on',
  Use: 'keyword.other.use',
  True: 'constant.language.boolean.true',
  False: 'constant.language.boolean.false',
};
const PUNCTUATION_SCOPES: Readonly<Record<string, RegExp>> = {
  LCurly: /^punctuation\.section\.block\.begin\./,
  RCurly: /^punctuation\.section\.block\.end\./,
  LBracket: /^punctuation\.definition\.list\.begin\./,
  RBracket: /^punctuation\.definition\.list\.end\./,
  LParen: /^punctuation\.definition\.(parameters|arguments)\.begin\./,
  RParen: /^punctuation\.definition\.(parameters|arguments)\.end\./,
  PlusEquals: /^keyword\.operator\.assignment\.compound\./,
  Equals: /^keyword\.operator\.assignment\.serpent-recipe$/,
  Comma: /^punctuation\.separator\.comma\./,
  Colon: /^punctuation\.separator\.type\./,
  Integer: /^constant\.numeric\.integer\./,
};
/** A name is a declared name, a key, a parameter, a type, a placement, `after`, or a name used as a value. */
const NAME_SCOPE =
  /^(entity\.name\.(type|function|package)|variable\.other\.(property|constant)|variable\.parameter|support\.type|constant\.language\.placement|keyword\.other\.after)\./;

/**
 * Every token the project's lexer finds, checked against the TextMate scopes at its characters; and every
 * character between tokens (whitespace or a comment). Returns the problems, one line each.
 */
function compareWithLexer(name: string, t: Tokenized): string[] {
  const problems: string[] = [];
  const lexed = T.lexer.tokenize(t.text);
  for (const e of lexed.errors) problems.push(`${name}: the lexer itself fails: ${e.message}`);
  const covered = new Uint8Array(t.text.length);
  const say = (offset: number, msg: string): void => {
    const p = posOf(t.text, offset);
    if (problems.length < 40) problems.push(`${name}:${p.line + 1}:${p.col + 1}: ${msg}`);
  };
  for (const tok of lexed.tokens) {
    const kind = tok.tokenType.name;
    const start = tok.startOffset;
    const end = start + tok.image.length;
    covered.fill(1, start, end);
    if (kind === 'Shell' || kind === 'UnterminatedShell') {
      const closed = kind === 'Shell';
      for (let i = start; i < end; i++) {
        if (t.text[i] === '\n') continue;
        const scopes = scopesAt(t, posOf(t.text, i));
        if (i < start + 3) {
          if (!hasScope(scopes, 'punctuation.definition.string.begin')) say(i, `opening """ is ${scopes.join(' ')}`);
        } else if (closed && i >= end - 3) {
          if (!hasScope(scopes, 'punctuation.definition.string.end')) say(i, `closing """ is ${scopes.join(' ')}`);
          if (scopes.includes(EMBEDDED)) say(i, 'closing """ is inside the embedded shell');
        } else if (!scopes.includes(EMBEDDED)) {
          say(i, `body text not in ${EMBEDDED}: ${scopes.join(' ')}`);
        }
      }
      continue;
    }
    for (let i = start; i < end; i++) {
      const scopes = scopesAt(t, posOf(t.text, i));
      if (scopes.includes(EMBEDDED)) say(i, `${kind} ${JSON.stringify(tok.image)} is inside a shell body`);
      if (scopes.some((s) => s.startsWith('invalid.'))) say(i, `${kind} ${JSON.stringify(tok.image)} is invalid`);
      if (kind === 'StringLit' || kind === 'UnterminatedString') {
        if (!hasScope(scopes, 'string.quoted.double')) say(i, `string is ${scopes.join(' ')}`);
        if (hasScope(scopes, 'comment')) say(i, 'string is a comment');
      }
    }
    if (kind === 'StringLit' || kind === 'UnterminatedString') continue;
    // Names, keywords, integers and punctuation: exactly one TextMate token, with the scope of the kind.
    const p = posOf(t.text, start);
    const tm = tokenAt(t, p);
    const image = t.lines[p.line].text.slice(tm.start, tm.end);
    const scope = innermost(tm.scopes);
    if (image !== tok.image)
      say(start, `${kind} ${JSON.stringify(tok.image)} is TextMate token ${JSON.stringify(image)}`);
    const keyword = KEYWORD_SCOPES[kind] as string | undefined;
    const punctuation = PUNCTUATION_SCOPES[kind] as RegExp | undefined;
    const ok =
      kind === 'Identifier'
        ? NAME_SCOPE.test(scope)
        : keyword !== undefined
          ? scope.startsWith(`${keyword}.`)
          : punctuation !== undefined && punctuation.test(scope);
    if (!ok) say(start, `${kind} ${JSON.stringify(tok.image)} is ${scope}`);
  }
  // Between tokens: whitespace, and comments (the lexer skips both).
  for (let i = 0; i < t.text.length; i++) {
    if (covered[i] || t.text[i] === '\n') continue;
    const scopes = scopesAt(t, posOf(t.text, i));
    if (scopes.includes(EMBEDDED)) say(i, 'text outside every body is in the embedded shell');
    if (/\s/.test(t.text[i])) continue;
    if (!hasScope(scopes, 'comment.line.number-sign'))
      say(i, `${JSON.stringify(t.text[i])} is no comment: ${scopes.join(' ')}`);
  }
  return problems;
}

function recipeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...recipeFiles(path));
    else if (name.endsWith('.recipe')) out.push(path);
  }
  return out;
}
const STAGES = join(REPO_ROOT, 'stages');
const stageFiles = recipeFiles(STAGES);

async function real(file: string): Promise<Tokenized> {
  return tokenize(await recipeGrammar(), readFileSync(join(STAGES, file), 'utf8'));
}
async function snippet(text: string, shell?: object): Promise<Tokenized> {
  return tokenize(await recipeGrammar(shell), text);
}

// ---------------------------------------------------------------------------------------------------------------
// The extension's manifest and language configuration.

test('package.json contributes the serpent-recipe language for .recipe and its grammar with embedded shell', () => {
  const manifest = readJson<Manifest>(join(EXT, 'package.json'));
  const [language] = manifest.contributes.languages;
  assert.is(language.id, 'serpent-recipe');
  assert.equal(language.extensions, ['.recipe']);
  const [grammar] = manifest.contributes.grammars;
  assert.is(grammar.language, 'serpent-recipe');
  assert.is(grammar.scopeName, 'source.serpent-recipe');
  assert.is(join(EXT, grammar.path), GRAMMAR_FILE);
  assert.equal(grammar.embeddedLanguages, { [EMBEDDED]: 'shellscript' });
  const raw = readJson<{ scopeName: string }>(GRAMMAR_FILE);
  assert.is(raw.scopeName, grammar.scopeName);

  const config = readJson<LanguageConfiguration>(join(EXT, language.configuration));
  assert.is(config.comments.lineComment, '#');
  assert.equal(config.brackets, [
    ['{', '}'],
    ['[', ']'],
    ['(', ')'],
  ]);
  const pairs = config.autoClosingPairs.map((p) => p.open + p.close);
  for (const pair of ['{}', '[]', '()', '""', '""""""']) assert.ok(pairs.includes(pair), `autoClosingPairs ${pair}`);
});

test('the grammar: every include resolves, every regex compiles, bodies embed source.shell as the content', async () => {
  const raw = readJson<Rule & { repository: Record<string, Rule> }>(GRAMMAR_FILE);
  await onig();
  const problems: string[] = [];
  const embedded: Rule[] = [];
  const visit = (rule: Rule, where: string): void => {
    const inc = rule.include;
    if (inc?.startsWith('#') && !(inc.slice(1) in raw.repository)) problems.push(`${where}: no rule ${inc}`);
    else if (inc !== undefined && !inc.startsWith('#') && inc !== 'source.shell') problems.push(`${where}: ${inc}`);
    for (const key of ['match', 'begin', 'end', 'while'] as const) {
      const re = rule[key];
      if (re === undefined) continue;
      try {
        new oniguruma.OnigScanner([re]).dispose();
      } catch (e) {
        problems.push(`${where}.${key}: ${String(e)}`);
      }
    }
    if (rule.contentName === EMBEDDED) embedded.push(rule);
    rule.patterns?.forEach((r, i) => visit(r, `${where}[${i}]`));
  };
  visit(raw, 'patterns');
  for (const [name, rule] of Object.entries(raw.repository)) visit(rule, name);
  assert.equal(problems, []);
  assert.ok(embedded.length > 0);
  for (const rule of embedded) assert.equal(rule.patterns, [{ include: 'source.shell' }]);
});

test('the grammar knows exactly the keywords of the lexer', () => {
  const lexerKeywords = T.allTokens
    .filter((t) => t.LONGER_ALT === T.Identifier)
    .map((t) => (t.PATTERN as RegExp).source)
    .sort();
  assert.equal(
    lexerKeywords,
    Object.keys(KEYWORD_SCOPES)
      .map((k) => k.toLowerCase())
      .sort(),
  );
  // Every name pattern excludes the keywords: the alternation spelled the same everywhere.
  const alternations = new Set([...grammarText.matchAll(/\(\?!\(\?:([a-z|]+)\)/g)].map((m) => m[1]));
  assert.equal(
    [...alternations].map((a) => a.split('|').sort()),
    [lexerKeywords],
  );
  // and the keyword rules name every one
  const raw = readJson<{ repository: { keyword: { patterns: { match: string }[] } } }>(GRAMMAR_FILE);
  const named = raw.repository.keyword.patterns.flatMap((p) => /^\(([a-z|]+)\)/.exec(p.match)?.[1].split('|') ?? []);
  assert.equal(named.sort(), lexerKeywords);
});

// ---------------------------------------------------------------------------------------------------------------
// Every real recipe.

test('every recipe in stages/: each lexer token gets the scope of its kind, comments and bodies too', async () => {
  assert.ok(stageFiles.length >= 30, `only ${stageFiles.length} recipes found`);
  const grammar = await recipeGrammar();
  const problems: string[] = [];
  for (const file of stageFiles) {
    const t = tokenize(grammar, readFileSync(file, 'utf8'));
    problems.push(...compareWithLexer(relative(REPO_ROOT, file), t));
  }
  assert.equal(problems, []);
});

test('every recipe in stages/ ends at the top level: each """, string, block, list and ( closed', async () => {
  const grammar = await recipeGrammar();
  const open = stageFiles
    .map((file) => ({ file: relative(REPO_ROOT, file), t: tokenize(grammar, readFileSync(file, 'utf8')) }))
    .filter(({ t }) => t.end.depth !== 1)
    .map(({ file, t }) => `${file}: depth ${t.end.depth}`);
  assert.equal(open, []);
});

test('targets.recipe: target names, keys, strings, booleans, comments', async () => {
  const t = await real('targets.recipe');
  expectWord(t, 'target x86_64 {', 'target', 'storage.type.target');
  expectWord(t, 'target x86_64 {', 'x86_64', 'entity.name.type.target');
  expectWord(t, 'target aarch64 {', 'aarch64', 'entity.name.type.target');
  expectWord(t, 'default = true', 'default', 'variable.other.property');
  expectWord(t, 'default = true', '=', 'keyword.operator.assignment');
  expectWord(t, 'default = true', 'true', 'constant.language.boolean.true');
  expectWord(t, 'llvm_backend = "AArch64"', 'llvm_backend', 'variable.other.property');
  expectWord(t, '"AArch64"', '"', 'punctuation.definition.string.begin');
  expectScope(t, find(t, '"AArch64"', 1), 'string.quoted.double', 'AArch64');
  expectScope(t, find(t, '# copied into the stage3 chroot', 2), 'comment.line.number-sign', 'comment');
  expectScope(t, find(t, '# copied into the stage3 chroot'), 'punctuation.definition.comment', 'comment #');
});

test('stages.recipe: stage names, nested blocks, name values, interpolation, a labelled block', async () => {
  const t = await real('stages.recipe');
  expectWord(t, 'stage stage2 {', 'stage', 'storage.type.stage');
  expectWord(t, 'stage stage2 {', 'stage2', 'entity.name.type.stage');
  expectWord(t, 'after = stage1', 'after', 'variable.other.property');
  expectWord(t, 'after = stage1', 'stage1', 'variable.other.constant');
  expectWord(t, '  env {', 'env', 'variable.other.property');
  expectWord(t, '  env {', '{', 'punctuation.section.block.begin');
  expectWord(t, 'CC = "clang --target=${triplet}', 'CC', 'variable.other.property');
  // "${stage1_root}/usr/bin": the interpolation's parts, inside the string
  const ref = find(t, '${stage1_root}');
  expectScope(t, ref, 'punctuation.definition.template-expression.begin', '${');
  expectScope(t, { line: ref.line, col: ref.col + 2 }, 'variable.other.readwrite', 'stage1_root');
  expectScope(t, { line: ref.line, col: ref.col + 2 }, 'meta.interpolation', 'stage1_root');
  expectScope(t, { line: ref.line, col: ref.col + 2 }, 'string.quoted.double', 'stage1_root');
  expectScope(t, { line: ref.line, col: ref.col + 13 }, 'punctuation.definition.template-expression.end', '}');
  expectNoScope(t, { line: ref.line, col: ref.col + 14 }, 'meta.interpolation', '/usr/bin');
  expectScope(t, { line: ref.line, col: ref.col + 14 }, 'string.quoted.double', '/usr/bin');
  expectWord(t, 'path = ["${stage1_root}/usr/bin"]', '[', 'punctuation.definition.list.begin');
  // mount "/serpent" { from = stage2  readonly = true }
  const mount = 'mount "/serpent" { from = stage2  readonly = true }';
  expectWord(t, mount, 'mount', 'variable.other.property');
  expectWord(t, mount, 'from', 'variable.other.property');
  expectWord(t, mount, 'stage2', 'variable.other.constant');
  expectWord(t, mount, 'readonly', 'variable.other.property');
  expectWord(t, mount, 'true', 'constant.language.boolean.true');
  // three blocks deep: stage3 { chroot { mount … { here } } }
  const from = find(t, mount, mount.indexOf('from'));
  assert.is(scopesAt(t, from).filter((s) => s === 'meta.block.serpent-recipe').length, 3);
});

test('templates.recipe: template names and parameters, steps, bodies embedded as shell and closed', async () => {
  const t = await real('templates.recipe');
  const head = 'template autotools-cross(flags: string = "", prefix: string = "/usr") {';
  expectWord(t, head, 'template', 'storage.type.template');
  expectWord(t, head, 'autotools-cross', 'entity.name.function.template');
  expectWord(t, head, '(', 'punctuation.definition.parameters.begin');
  expectWord(t, head, 'flags', 'variable.parameter');
  expectWord(t, head, ':', 'punctuation.separator.type');
  expectWord(t, head, 'string', 'support.type');
  expectWord(t, head, 'prefix', 'variable.parameter');
  expectScope(t, find(t, head, head.indexOf('/usr')), 'string.quoted.double', '"/usr"');
  expectScope(t, find(t, head, head.indexOf('/usr')), 'meta.parameters', '"/usr"');
  // configure """ … """ then build """ … """
  expectWord(t, '  configure """', 'configure', 'entity.name.function.step');
  expectScope(t, find(t, '  configure """', 12), 'punctuation.definition.string.begin', 'opening """');
  expectNoScope(t, find(t, '  configure """', 12), EMBEDDED, 'opening """');
  const body = find(t, './configure \\', 0, head);
  expectScope(t, body, EMBEDDED, 'body line');
  expectScope(t, body, 'meta.shell-body', 'body line');
  expectScope(t, { line: body.line, col: 0 }, EMBEDDED, 'the indentation of a body line');
  expectScope(t, find(t, '# shellcheck disable=SC2086', 2, head), EMBEDDED, 'a shell comment in a body');
  expectNoScope(
    t,
    find(t, '# shellcheck disable=SC2086', 2, head),
    'comment.line.number-sign.serpent-recipe',
    'shell comment',
  );
  expectScope(t, find(t, '--build="${build_triplet}"', 12, head), EMBEDDED, '${build_triplet} in a body');
  expectNoScope(t, find(t, '--build="${build_triplet}"', 12, head), 'meta.interpolation', '${…} in a body');
  // the closing """, and the next step after it
  const close = find(t, '  """\n  build """', 2, head);
  expectScope(t, close, 'punctuation.definition.string.end', 'closing """');
  expectNoScope(t, close, EMBEDDED, 'closing """');
  expectScope(t, { line: close.line, col: 0 }, EMBEDDED, 'indentation before the closing """');
  const build = find(t, '  build """', 2, head);
  assert.is(build.line, close.line + 1);
  expectScope(t, build, 'entity.name.function.step', 'build');
  expectNoScope(t, build, EMBEDDED, 'the step after a closed body');
  expectNoScope(t, build, 'meta.shell-body', 'the step after a closed body');
});

test('layers/host-llvm: layer, replace package and amend stage heads; substitute and drop blocks', async () => {
  const layer = await real('layers/host-llvm/layer.recipe');
  expectWord(layer, 'layer host-llvm {', 'layer', 'storage.type.layer');
  expectWord(layer, 'layer host-llvm {', 'host-llvm', 'entity.name.type.layer');
  const llvm = await real('layers/host-llvm/llvm.recipe');
  const head = 'replace package llvm in stage1 {';
  expectWord(llvm, head, 'replace', 'storage.type.replace');
  expectWord(llvm, head, 'package', 'storage.type.package');
  expectWord(llvm, head, 'llvm', 'entity.name.package');
  expectWord(llvm, head, 'stage1', 'entity.name.type.stage');
  const t = await snippet(
    'amend stage stage1 {\n  env { CC = "cc" }\n}\namend package zlib in stage2 {\n  substitute "https://x/z.tar.gz" {\n    by = "file:///z.tar.gz"\n  }\n  drop {\n    depends = [a]\n  }\n}\n',
  );
  expectWord(t, 'amend stage stage1 {', 'amend', 'storage.type.amend');
  expectWord(t, 'amend stage stage1 {', 'stage1', 'entity.name.type.stage');
  expectWord(t, 'amend package zlib in stage2 {', 'zlib', 'entity.name.package');
  expectWord(t, 'substitute "https', 'substitute', 'variable.other.property');
  expectWord(t, 'by = "file', 'by', 'variable.other.property');
  expectWord(t, 'depends = [a]', 'a', 'variable.other.constant');
  assert.is(t.end.depth, 1, 'back at the top level');
});

test('stage3/util-linux.recipe: package and pass heads, +=, lists over several lines, use with arguments', async () => {
  const t = await real('stage3/util-linux.recipe');
  const pkg = 'package util-linux in stage3 {';
  expectWord(t, pkg, 'package', 'storage.type.package');
  expectWord(t, pkg, 'util-linux', 'entity.name.package');
  expectWord(t, pkg, 'in', 'keyword.other.in');
  expectWord(t, pkg, 'stage3', 'entity.name.type.stage');
  const pass = 'pass util-linux-2 of util-linux in stage3 {';
  expectWord(t, pass, 'pass', 'storage.type.pass');
  expectWord(t, pass, 'util-linux-2', 'entity.name.package');
  expectWord(t, pass, 'of', 'keyword.other.of');
  expectWord(t, pass, 'util-linux', 'entity.name.package');
  expectWord(t, 'depends += [systemd]', 'depends', 'variable.other.property');
  expectWord(t, 'depends += [systemd]', '+=', 'keyword.operator.assignment.compound');
  expectWord(t, 'depends += [systemd]', 'systemd', 'variable.other.constant');
  expectScope(t, find(t, 'depends += [systemd]', 12), 'meta.list', 'systemd');
  // a list item on a continuation line is a value, not a key
  expectWord(t, 'agetty, kill', 'agetty', 'variable.other.constant'); // a continuation line of the list
  expectWord(t, '"libblkid.so"', 'libblkid.so', 'string.quoted.double');
  expectWord(t, 'source "https://', 'source', 'variable.other.property');
  expectWord(t, 'util-linux-${version}.tar.xz', 'version', 'variable.other.readwrite');
  expectWord(t, 'sha256 = "', 'sha256', 'variable.other.property');
  const use = 'use autotools(flags = "--disable-hardlink';
  expectWord(t, use, 'use', 'keyword.other.use');
  expectWord(t, use, 'autotools', 'entity.name.function.template');
  expectWord(t, use, 'flags', 'variable.parameter');
  expectScope(t, find(t, use, use.indexOf('flags')), 'meta.arguments', 'flags');
  expectScope(t, find(t, use, use.indexOf('--disable')), 'string.quoted.double', 'the argument');
});

test('placements and custom steps in real recipes: on host, step NAME after STEP', async () => {
  const libc = await real('stage3/libc.recipe');
  expectWord(libc, '  build on host """', 'build', 'entity.name.function.step');
  expectWord(libc, '  build on host """', 'on', 'keyword.other.on');
  expectWord(libc, '  build on host """', 'host', 'constant.language.placement');
  const shells = await real('stage2/shells.recipe');
  const step = 'step sh-link after install """';
  expectWord(shells, step, 'step', 'storage.type.step');
  expectWord(shells, step, 'sh-link', 'entity.name.function.step');
  expectWord(shells, step, 'after', 'keyword.other.after');
  expectWord(shells, step, 'install', 'entity.name.function.step');
  expectScope(shells, find(shells, step, step.length - 3), 'punctuation.definition.string.begin', 'opening """');
});

// ---------------------------------------------------------------------------------------------------------------
// What stages/ does not use.

const EVERYTHING = `# every token kind
target t { default = true  jobs = 12  flag = false }
stage s1 { after = s0  path = ["\${s0_root}/bin", "a\\"b\\\\c\\nd\\te\\$f"] }
template tpl(a: string = "x", n: int = 0, l: list = [], b: bool = false,) {
  build in chroot """echo one-line"""
}
package libc++ in s1 {
  depends+=[zlib, file,]
  files = ["config.site"]
  provides { commands = [ldd] }
  use tpl(a = "y", n = 3, b = true,)
  use tpl
  step verify after install on host """
    test -x /usr/bin/ldd
  """
  check """"""
  mount x { from = s0 }
  plug-in "x" { on-host = 1 }
}
pass libc++-2 of libc++ in s1 { depends += [] }
`;

test('a snippet with every token kind agrees with the lexer', async () => {
  const t = await snippet(EVERYTHING);
  assert.equal(compareWithLexer('snippet', t), []);
  assert.is(t.end.depth, 1);
});

test('integers, booleans and names with . - + in them', async () => {
  const t = await snippet(EVERYTHING);
  expectWord(t, 'jobs = 12', '12', 'constant.numeric.integer');
  expectWord(t, 'n: int = 0', '0', 'constant.numeric.integer');
  expectWord(t, 'n = 3', '3', 'constant.numeric.integer');
  expectWord(t, 'flag = false', 'false', 'constant.language.boolean.false');
  expectWord(t, 'b = true,)', 'true', 'constant.language.boolean.true');
  expectWord(t, 'package libc++ in', 'libc++', 'entity.name.package');
  expectWord(t, 'pass libc++-2 of', 'libc++-2', 'entity.name.package');
  // depends+=[…]: the name ends before +=
  expectWord(t, 'depends+=[zlib', 'depends', 'variable.other.property');
  expectWord(t, 'depends+=[zlib', '+=', 'keyword.operator.assignment.compound');
  expectWord(t, 'mount x {', 'x', 'variable.other.constant');
  // a name ending in a keyword after - is one name, not a step placed `in` something
  expectWord(t, 'plug-in "x" {', 'plug-in', 'variable.other.property');
  expectWord(t, 'on-host = 1', 'on-host', 'variable.other.property');
});

test('strings: every escape, an unknown escape, interpolations, a bad interpolation, an unterminated string', async () => {
  const t = await snippet(EVERYTHING);
  const s = '"a\\"b\\\\c\\nd\\te\\$f"';
  for (const esc of ['\\"', '\\\\', '\\n', '\\t', '\\$']) {
    const p = find(t, s, s.indexOf(esc));
    expectScope(t, p, 'constant.character.escape', esc);
    expectScope(t, { line: p.line, col: p.col + 1 }, 'constant.character.escape', esc);
    expectScope(t, p, 'string.quoted.double', esc);
  }
  expectScope(t, find(t, s, s.indexOf('b')), 'string.quoted.double', 'after \\"');
  expectNoScope(t, find(t, s, s.indexOf('b')), 'constant.character.escape', 'after \\"');
  expectScope(t, find(t, s, s.length - 1), 'punctuation.definition.string.end', 'the closing quote after escapes');

  const odd = await snippet('x { a = "\\q \\${b} ${1x} ${c}" b = 1 }\ny { c = "open\nd = 2 }');
  expectScope(odd, find(odd, '\\q'), 'invalid.illegal', '\\q');
  expectScope(odd, find(odd, '\\${b}'), 'constant.character.escape', '\\$');
  expectNoScope(odd, find(odd, '\\${b}', 3), 'meta.interpolation', 'an escaped $ does not interpolate');
  expectScope(odd, find(odd, '${1x}'), 'invalid.illegal', '${1x}');
  expectScope(odd, find(odd, '${c}', 2), 'meta.interpolation', '${c}');
  expectWord(odd, 'b = 1', 'b', 'variable.other.property');
  // an unterminated string ends with its line, as in the lexer
  expectScope(odd, find(odd, 'open'), 'string.quoted.double', 'unterminated');
  expectWord(odd, 'd = 2', 'd', 'variable.other.property');
  expectNoScope(odd, find(odd, 'd = 2'), 'string', 'the line after an unterminated string');
  assert.is(odd.end.depth, 1);
});

test('bodies: one-line, empty, then the rest of the line is recipe again', async () => {
  const t = await snippet(EVERYTHING);
  const one = 'build in chroot """echo one-line"""';
  expectWord(t, one, 'build', 'entity.name.function.step');
  expectWord(t, one, 'in', 'keyword.other.in');
  expectWord(t, one, 'chroot', 'constant.language.placement');
  expectScope(t, find(t, one, one.indexOf('echo')), EMBEDDED, 'one-line body');
  expectScope(t, find(t, one, one.indexOf('one-line')), EMBEDDED, 'one-line body');
  expectScope(t, find(t, one, one.length - 1), 'punctuation.definition.string.end', 'its closing """');
  expectScope(t, find(t, '}\npackage'), 'punctuation.section.block.end', 'the template closes');
  expectScope(t, find(t, 'check """"""', 6), 'punctuation.definition.string.begin', 'empty body');
  expectScope(t, find(t, 'check """"""', 9), 'punctuation.definition.string.end', 'empty body');
  expectWord(t, 'mount x { from = s0 }', 'from', 'variable.other.property');
  expectNoScope(t, find(t, 'mount x {'), EMBEDDED, 'after the empty body');

  const inline = await snippet('p { build """make"""  install on host """make install""" version = "1" }');
  expectScope(inline, find(inline, 'make"""'), EMBEDDED, 'first body');
  expectWord(inline, 'install on host', 'install', 'entity.name.function.step');
  expectNoScope(inline, find(inline, 'install on host'), EMBEDDED, 'between two bodies');
  expectScope(inline, find(inline, 'make install'), EMBEDDED, 'second body');
  expectWord(inline, 'version = "1"', 'version', 'variable.other.property');
  assert.is(inline.end.depth, 1);
});

test('an unterminated body runs to the end of the file, as in the lexer', async () => {
  const t = await snippet('package p in s {\n  build """\n    make\n}\npackage q in s {}\n');
  assert.equal(compareWithLexer('unterminated', t), []);
  expectScope(t, find(t, 'package q'), EMBEDDED, 'after an unterminated body');
  assert.ok(t.end.depth > 1);
});

test('a shell grammar whose statements and quotes run on over line ends cannot carry a body past its """', async () => {
  const text = `package p in s {
  build """
    echo "it's open
    echo still "open
  """
  install """
    echo "x
    printf '%s\\n' "a" """
  check """echo "one-liner" """
  version = "1"
}
package q in s {}
`;
  const t = await snippet(text, STATEMENT_SHELL);
  // the stub is used: shell statements and strings inside the body
  expectScope(t, find(t, '"it\'s'), 'string.quoted.double.shell', 'the stub shell grammar');
  expectScope(t, find(t, '"it\'s'), 'meta.statement.shell', 'the stub shell grammar');
  expectScope(t, find(t, '"it\'s'), EMBEDDED, 'the stub shell grammar');
  // the first body closes at its own line although a statement and a string are still open
  const close = find(t, '  """\n  install', 2);
  expectScope(t, close, 'punctuation.definition.string.end', 'closing """');
  expectNoScope(t, close, 'meta.statement.shell', 'closing """');
  expectScope(t, { line: close.line, col: 0 }, EMBEDDED, 'the indentation before the closing """');
  expectWord(t, '  install """', 'install', 'entity.name.function.step');
  expectNoScope(t, find(t, '  install """', 2), 'meta.statement.shell', 'the step after the body');
  // after shell text on the same line: that text is embedded but not given to the shell grammar
  const before = find(t, `printf '%s\\n' "a" """`);
  expectScope(t, before, EMBEDDED, 'shell text before the closing """');
  expectNoScope(t, before, 'meta.statement.shell', 'shell text before the closing """');
  expectScope(t, find(t, '"a" """', 4), 'punctuation.definition.string.end', 'closing """ after shell text');
  expectScope(t, find(t, '"one-liner" """', 12), 'punctuation.definition.string.end', 'a one-line body closes');
  expectWord(t, 'version = "1"', 'version', 'variable.other.property');
  expectWord(t, 'package q in s', 'q', 'entity.name.package');
  assert.is(t.end.depth, 1);
});

test('every recipe in stages/ with that shell grammar: the same scopes outside bodies, every body closed', async () => {
  const grammar = await recipeGrammar(STATEMENT_SHELL);
  const problems: string[] = [];
  for (const file of stageFiles) {
    const t = tokenize(grammar, readFileSync(file, 'utf8'));
    if (t.end.depth !== 1) problems.push(`${relative(REPO_ROOT, file)}: depth ${t.end.depth}`);
    problems.push(...compareWithLexer(relative(REPO_ROOT, file), t));
  }
  assert.equal(problems, []);
});

test('a keyword inside a longer name is no keyword; a misplaced keyword still is one', async () => {
  const t = await snippet('stage s { after = stage-x  use-x = in.y  stage = 1 }\nin of on use step\n');
  expectWord(t, 'after = stage-x', 'stage-x', 'variable.other.constant');
  expectWord(t, 'use-x = in.y', 'use-x', 'variable.other.property');
  expectWord(t, 'use-x = in.y', 'in.y', 'variable.other.constant');
  expectWord(t, '  stage = 1', 'stage', 'storage.type.stage');
  for (const word of ['in', 'of', 'on', 'use', 'step']) {
    const p = find(t, word, 0, 'in of on use step');
    const scopes = scopesAt(t, p);
    assert.ok(/^(keyword\.other|storage\.type)\./.test(innermost(scopes)), `${word}: ${scopes.join(' ')}`);
  }
});

test('characters the lexer has no token for are invalid; a stray bracket too', async () => {
  const t = await snippet('p { a = @b  c = [x) }\n]');
  expectScope(t, find(t, '@'), 'invalid.illegal', '@');
  expectScope(t, find(t, 'x)', 1), 'invalid.illegal', ') in a list');
  expectScope(t, find(t, '\n]', 1), 'invalid.illegal', 'a ] at the top level');
});

test.run();
