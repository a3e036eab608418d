// A prettier plugin for *.recipe: the project's own front end parses, prettier's doc builders lay out. Comments
// are attached by prettier and printed where they were; shell bodies, strings and integers keep their exact bytes.
import {
  doc,
  util,
  type AstPath,
  type Doc,
  type Parser,
  type ParserOptions,
  type Plugin,
  type Printer,
} from 'prettier';
import { comments } from '../../grammar/comments.js';
import { parse } from '../../grammar/index.js';
import type {
  Block,
  Decl,
  Field,
  FileNode,
  Ident,
  Item,
  ListLit,
  Param,
  ShellLit,
  StepItem,
  UseItem,
  Value,
} from '../../grammar/syntax.js';

const { align, fill, group, hardline, ifBreak, indent, join, line, literalline, softline } = doc.builders;

/** The parser and AST format name: what `prettier.format(text, { parser: RECIPE, plugins: [plugin] })` asks for. */
export const RECIPE = 'serpent-recipe';

/** A `#` comment as prettier handles it: prettier sets the flags when it attaches and prints it. */
export interface CommentNode {
  readonly kind: 'Comment';
  readonly text: string;
  readonly start: number;
  readonly end: number;
  leading?: boolean;
  trailing?: boolean;
  printed?: boolean;
  // set by prettier while attaching: the innermost node around the comment and its neighbours in there
  enclosingNode?: Node;
  precedingNode?: Node;
  followingNode?: Node;
}

/** The root: the parsed file, its span and its comments (prettier takes `comments` off and attaches them). */
export interface RootNode extends FileNode {
  readonly start: number;
  readonly end: number;
  comments?: CommentNode[];
}

export type Node = RootNode | Decl | Item | Value | Param | CommentNode;

/** Comments prettier attached to a node (it adds the property to the nodes it attaches to). */
function attached(node: Node): readonly CommentNode[] {
  return (node as { comments?: CommentNode[] }).comments ?? [];
}

const hasComments = (node: Node): boolean => attached(node).length > 0;

/**
 * Thrown for a file with syntax errors: its AST misses whatever the errors broke, so printing it would drop text.
 * Callers that want the diagnostics parse first (index.ts does); this only keeps prettier from printing.
 */
export class RecipeSyntaxError extends Error {}

const parser: Parser<Node> = {
  astFormat: RECIPE,
  parse(text: string, options: ParserOptions<Node>): RootNode {
    const { ast, diagnostics } = parse(options.filepath, text);
    const error = diagnostics.find((d) => d.severity === 'error');
    if (error) throw new RecipeSyntaxError(error.message);
    const found = comments(text).map((c): CommentNode => ({
      kind: 'Comment',
      text: c.text,
      start: c.offset,
      end: c.end,
    }));
    return { ...ast, start: 0, end: text.length, comments: found };
  },
  locStart,
  locEnd,
};

function locStart(node: Node): number {
  if (node.kind === 'Comment' || node.kind === 'File') return node.start;
  return node.loc.offset;
}

function locEnd(node: Node): number {
  if (node.kind === 'Comment' || node.kind === 'File') return node.end;
  return node.loc.endOffset + 1;
}

/**
 * The nodes comments attach to, in source order. Names (keys, declaration names) are not among them: a comment
 * next to a name attaches to the item or value around it, which is always printed through `print`.
 */
function children(node: Node): Node[] {
  switch (node.kind) {
    case 'File':
      return [...node.decls];
    case 'Template':
      return [...node.params, ...node.items];
    case 'Target':
    case 'Stage':
    case 'Package':
    case 'Pass':
    case 'Layer':
    case 'Amend':
    case 'Replace':
      return [...node.items];
    case 'Block':
      return node.label ? [node.label, ...node.items] : [...node.items];
    case 'Field':
      return [node.value];
    case 'Step':
      return [node.body];
    case 'Use':
      return [...node.args];
    case 'Param':
      return node.default ? [node.default] : [];
    case 'List':
      return [...node.items];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Source-text helpers: the AST keeps spans, not the blank lines and spellings the layout preserves.
// ---------------------------------------------------------------------------------------------------------

/**
 * Whether a blank line stands between two neighbours: right after the line the first ends on (past a comment
 * ending that line). A blank line after comments above the second is the comments' to keep (prettier does).
 */
function blankLineBetween(text: string, end: number, next: number): boolean {
  const between = text.slice(end, next);
  const eol = between.indexOf('\n');
  return eol >= 0 && /^[ \t\r]*\n/.test(between.slice(eol + 1));
}

const newlineBetween = (text: string, from: number, to: number): boolean => text.slice(from, to).includes('\n');

/** The exact source spelling of a node (strings keep their escapes, integers their leading zeros). */
const raw = (text: string, node: Node): string => text.slice(locStart(node), locEnd(node));

/**
 * The preposition written before a placement: `in host` is accepted (with a warning), so it is kept as written;
 * the canonical one when something unusual (a comment) stands between.
 */
function preposition(text: string, where: Ident): string {
  const m = /\b(on|in)\s*$/.exec(text.slice(Math.max(0, where.loc.offset - 16), where.loc.offset));
  return m ? m[1] : where.name === 'host' ? 'on' : 'in';
}

// ---------------------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------------------

type Print = (selector?: string | number | (string | number)[] | AstPath<Node>, args?: unknown) => Doc;

/** Print arguments a parent hands to a list: how far its wrapped items are aligned (its column after `[`). */
interface ListArgs {
  readonly alignTo?: number;
}

type BodyOwner = Decl | Block;

const ownsBody = (node: Node | undefined): node is BodyOwner =>
  node !== undefined &&
  ['Target', 'Stage', 'Template', 'Package', 'Pass', 'Layer', 'Amend', 'Replace', 'Block'].includes(node.kind);

/**
 * A comment between a declaration's or block's head and its first item (`stage s {  # why`), or alone in its
 * body: prettier would attach it to the head's last node (a parameter, the label) or the first item and move it
 * off its line; it is left to the body (dangling), which prints it right after the `{`, where it was.
 */
function afterBrace(comment: CommentNode, text: string, endOfLine: boolean): boolean {
  const owner = comment.enclosingNode;
  // a comment on a line of its own below a template's last parameter, before the `)`: that parameter's (the
  // first item would take it past the `{` and the comments after it)
  if (owner?.kind === 'Template' && !endOfLine && comment.precedingNode?.kind === 'Param') {
    const to = comment.followingNode ? locStart(comment.followingNode) : locEnd(owner);
    if (
      text
        .slice(comment.end, to)
        .replace(/#[^\n]*/g, '')
        .includes(')')
    ) {
      util.addTrailingComment(comment.precedingNode, comment);
      return true;
    }
  }
  if (!ownsBody(owner)) return false;
  // between the head and its `{` (`chroot  # why` / `{`): printed after the `{` too, before any comment there
  const to = comment.followingNode ? locStart(comment.followingNode) : locEnd(owner);
  const beforeBrace = /^\s*\{/.test(text.slice(comment.end, to).replace(/#[^\n]*/g, ''));
  if (beforeBrace) return util.addDanglingComment(owner, comment, undefined);
  if (!endOfLine && comment.followingNode) return false;
  const from = comment.precedingNode ? locEnd(comment.precedingNode) : locStart(owner);
  if (
    !text
      .slice(from, comment.start)
      .replace(/#[^\n]*/g, '')
      .includes('{')
  )
    return false;
  return util.addDanglingComment(owner, comment, undefined);
}

/** Comments attached to no neighbouring node (inside `{}`, `[]`, `()` with nothing else): the node prints them. */
function dangling(node: Node): Doc[] {
  const out: Doc[] = [];
  for (const c of attached(node)) {
    if (c.leading || c.trailing) continue;
    c.printed = true; // prettier checks every comment was printed: a forgotten one is an error, never a loss
    out.push(c.text.trimEnd());
  }
  return out;
}

/** A comment's own text; trailing blanks dropped, as everywhere else in the layout. */
const printComment = (path: AstPath<Node>): Doc => (path.node as CommentNode).text.trimEnd();

/** Items or declarations, one per line, with at most one blank line kept where the source had one. */
function sequence(path: AstPath<Node>, print: Print, text: string, key: 'items' | 'decls', sep: Doc = hardline): Doc[] {
  const parts: Doc[] = [];
  let prevEnd = -1;
  path.each((p) => {
    if (prevEnd >= 0) parts.push(blankLineBetween(text, prevEnd, locStart(p.node)) ? [hardline, hardline] : sep);
    parts.push(print());
    prevEnd = locEnd(p.node);
  }, key as never);
  return parts;
}

/**
 * `{ items }`. Declarations and blocks written with a line break after `{` stay broken, one item a line; a
 * block written on one line (`mount "/x" { from = stage2  readonly = true }`) stays on one line while it fits,
 * items two spaces apart since newlines do not separate them.
 */
function body(
  path: AstPath<Node>,
  options: ParserOptions<Node>,
  print: Print,
  node: { readonly items: readonly Item[] },
  headEnd: number,
  alwaysBreak: boolean,
): Doc {
  const text = options.originalText;
  if (node.items.length === 0) {
    const lone = dangling(path.node);
    return lone.length ? ['{', indent([hardline, join(hardline, lone)]), hardline, '}'] : '{}';
  }
  const first = node.items[0];
  const blank = node.items.some((it, i) => i > 0 && blankLineBetween(text, locEnd(node.items[i - 1]), locStart(it)));
  const [onBrace, ...below] = dangling(path.node);
  if (onBrace !== undefined) {
    const rest = below.map((c) => [hardline, c]);
    return ['{ ', onBrace, indent([...rest, hardline, sequence(path, print, text, 'items')]), hardline, '}'];
  }
  if (alwaysBreak || blank || newlineBetween(text, headEnd, locStart(first))) {
    return ['{', indent([hardline, sequence(path, print, text, 'items')]), hardline, '}'];
  }
  return group(['{', indent([line, sequence(path, print, text, 'items', [ifBreak('', ' '), line])]), line, '}']);
}

/** `[a, b, c]`; when too long, filled to the print width, aligned after `[` when the parent says where that is. */
function list(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, node: ListLit, args: ListArgs): Doc {
  if (node.items.length === 0) {
    const lone = dangling(path.node);
    return lone.length ? ['[', indent([hardline, join(hardline, lone)]), hardline, ']'] : '[]';
  }
  const items = path.map(print, 'items' as never);
  if (node.items.some(hasComments)) {
    // a comment ends its line: one item a line, so each comment stays after the item it was written after
    return ['[', indent([hardline, join([',', hardline], items), ',']), hardline, ']'];
  }
  // each comma goes with its item, so fill counts it when it decides whether the item still fits on the line
  const parts: Doc[] = [];
  items.forEach((d, i) => {
    if (i > 0) parts.push(line);
    parts.push(i + 1 < items.length ? [d, ','] : d);
  });
  if (args.alignTo !== undefined) return group(['[', align(args.alignTo, fill(parts)), ']']);
  return group(['[', indent([softline, fill(parts)]), softline, ']']);
}

/**
 * A shell body exactly as written, closing line's indentation included: its dedented text (what the compiler
 * reads) depends on the body's own lines only, never on where the block around it is indented. The exception is
 * a body with text right after its opening `"""` and further lines: that text counts as indented by the columns
 * before it, so moving the `"""` would change the body; it is printed with `"""` on lines of their own instead,
 * its dedented text indented anew, which dedents to the same text.
 */
function shell(text: string, node: ShellLit): Doc {
  const source = raw(text, node);
  const eol = source.indexOf('\n');
  if (eol < 0 || /^"""[ \t\r\f\v]*$/.test(source.slice(0, eol))) return join(literalline, source.split('\n'));
  // Steps are items of top-level declarations, so the step line is at two spaces: the body goes at four and the
  // closing `"""` at two. Literal lines, since prettier trims the end of ordinary ones (a body's trailing spaces
  // are its own) and would indent blank lines.
  const lines = node.text.replace(/\n$/, '').split('\n');
  return [
    '"""',
    literalline,
    join(
      literalline,
      lines.map((l) => (l === '' ? '' : `    ${l}`)),
    ),
    literalline,
    '  """',
  ];
}

function field(path: AstPath<Node>, print: Print, node: Field): Doc {
  const parent = path.parent;
  // a field's line starts at the enclosing indentation, so its list's items line up after `key = [`; an argument
  // of `use` starts wherever the line has got to, so its list falls back to indenting
  const args: ListArgs =
    node.value.kind === 'List' && parent?.kind !== 'Use' ? { alignTo: node.key.name.length + node.op.length + 3 } : {};
  return [node.key.name, ' ', node.op, ' ', print('value', args)];
}

function placement(text: string, node: StepItem): Doc {
  return node.placement ? [' ', preposition(text, node.placement), ' ', node.placement.name] : '';
}

function step(path: AstPath<Node>, print: Print, text: string, node: StepItem): Doc {
  const head: Doc[] = node.custom ? ['step ', node.name.name] : [node.name.name];
  if (node.after) head.push(' after ', node.after.name);
  return [...head, placement(text, node), ' ', print('body')];
}

function use(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, node: UseItem): Doc {
  const head = ['use ', node.template.name, '('];
  if (node.args.length === 0) {
    const lone = dangling(path.node);
    return lone.length ? [...head, indent([hardline, join(hardline, lone)]), hardline, ')'] : [...head, ')'];
  }
  const args = path.map(print, 'args' as never);
  // one argument (`use autotools(flags = "…")`) hugs its parentheses however long it is: breaking around it
  // would only move the same long line
  if (args.length === 1 && !hasComments(node.args[0]) && node.args[0].value.kind !== 'List')
    return [...head, args[0], ')'];
  return group([...head, indent([softline, join([',', line], args)]), ifBreak(','), softline, ')']);
}

function block(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, node: Block): Doc {
  const label: Doc = node.label ? [' ', print('label')] : '';
  const headEnd = node.label ? locEnd(node.label) : locEnd(node.key);
  return [node.key.name, label, ' ', body(path, options, print, node, headEnd, false)];
}

function declHead(path: AstPath<Node>, print: Print, node: Decl): { head: Doc; end: number } {
  switch (node.kind) {
    case 'Target':
      return { head: ['target ', node.name.name], end: locEnd(node.name) };
    case 'Stage':
      return { head: ['stage ', node.name.name], end: locEnd(node.name) };
    case 'Package':
      return { head: ['package ', node.name.name, ' in ', node.stage.name], end: locEnd(node.stage) };
    case 'Pass': {
      const inStage: Doc = node.stage ? [' in ', node.stage.name] : '';
      return { head: ['pass ', node.name.name, ' of ', node.of.name, inStage], end: locEnd(node.stage ?? node.of) };
    }
    case 'Layer':
      return { head: ['layer ', node.name.name], end: locEnd(node.name) };
    case 'Amend':
    case 'Replace': {
      const word = node.kind === 'Amend' ? 'amend ' : 'replace ';
      if (node.stage === null) return { head: [word, 'stage ', node.name.name], end: locEnd(node.name) };
      return { head: [word, 'package ', node.name.name, ' in ', node.stage.name], end: locEnd(node.stage) };
    }
    case 'Template': {
      const end = node.params.length ? locEnd(node.params[node.params.length - 1]) : locEnd(node.name);
      if (node.params.length === 0) return { head: ['template ', node.name.name, '()'], end };
      const params = path.map(print, 'params' as never);
      const broken = node.params.some(hasComments);
      const inner = [indent([softline, join([',', line], params)]), ifBreak(','), softline];
      return { head: group(['template ', node.name.name, '(', ...inner, ')'], { shouldBreak: broken }), end };
    }
  }
}

function printNode(path: AstPath<Node>, options: ParserOptions<Node>, print: Print, args?: ListArgs): Doc {
  const node = path.node;
  const text = options.originalText;
  switch (node.kind) {
    case 'File': {
      if (node.decls.length === 0) {
        const lone = dangling(path.node);
        return lone.length ? [join(hardline, lone), hardline] : '';
      }
      return [sequence(path, print, text, 'decls'), hardline];
    }
    case 'Target':
    case 'Stage':
    case 'Package':
    case 'Pass':
    case 'Layer':
    case 'Amend':
    case 'Replace':
    case 'Template': {
      const { head, end } = declHead(path, print, node);
      return [head, ' ', body(path, options, print, node, end, true)];
    }
    case 'Param':
      return [node.name.name, ': ', node.type.name, node.default ? [' = ', print('default')] : ''];
    case 'Field':
      return field(path, print, node);
    case 'Block':
      return block(path, options, print, node);
    case 'Step':
      return step(path, print, text, node);
    case 'Use':
      return use(path, options, print, node);
    case 'List':
      return list(path, options, print, node, args ?? {});
    case 'Shell':
      return shell(text, node);
    case 'Ident':
      return node.name;
    case 'String':
    case 'Int':
    case 'Bool':
      return raw(text, node);
    case 'Comment':
      return node.text.trimEnd();
  }
}

const printer: Printer<Node> = {
  print: printNode,
  printComment,
  handleComments: {
    ownLine: (comment: CommentNode, text: string) => afterBrace(comment, text, false),
    endOfLine: (comment: CommentNode, text: string) => afterBrace(comment, text, true),
  },
  canAttachComment: (node) => node.kind !== 'Comment' && node.kind !== 'File',
  getCommentChildNodes: (node) => children(node),
  getVisitorKeys: (node) => {
    switch (node.kind) {
      case 'File':
        return ['decls'];
      case 'Template':
        return ['params', 'items'];
      case 'Block':
        return ['label', 'items'];
      case 'Field':
      case 'Step':
      case 'Param':
        return [node.kind === 'Field' ? 'value' : node.kind === 'Step' ? 'body' : 'default'];
      case 'Use':
        return ['args'];
      case 'List':
      case 'Target':
      case 'Stage':
      case 'Package':
      case 'Pass':
      case 'Layer':
      case 'Amend':
      case 'Replace':
        return ['items'];
      default:
        return [];
    }
  },
};

export const plugin: Plugin<Node> = {
  languages: [{ name: 'Serpent recipe', parsers: [RECIPE], extensions: ['.recipe'] }],
  parsers: { [RECIPE]: parser },
  printers: { [RECIPE]: printer },
};
