// The command grammar of the POSIX shell scanner: which words are commands run by PATH lookup, which names a
// body assigns, and where each occurs. Never throws, whatever the text.
import { lineIndex } from '../../grammar/loc.js';
import { SHELL_BUILTINS } from './builtins.js';
import { Lexer, NAME } from './lexer.js';
import type { Heredoc, Sink, Word } from './lexer.js';
import type { ShellInfo } from './types.js';

/** How the arguments of a simple command are read; for most commands they are just data ('plain'). */
type CmdKind =
  'plain' | 'declare' | 'read' | 'unset' | 'getopts' | 'command' | 'exec' | 'env' | 'nice' | 'nohup' | 'time';

/** The simple command being read. `fn`: the name, when `NAME ( )` would make this a function definition. */
interface Cmd {
  kind: CmdKind;
  argc: number;
  skip: number;
  readonly fn: string | null;
}

/** Words that open or continue a compound command; at a command start they are not commands. */
const TRANSPARENT: ReadonlySet<string> = new Set([
  'if',
  'then',
  'elif',
  'else',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '{',
  '}',
  '!',
  'in',
]);

/** The commands whose arguments are not just data. */
const KINDS: ReadonlyMap<string, CmdKind> = new Map([
  ['export', 'declare'],
  ['readonly', 'declare'],
  ['local', 'declare'],
  ['read', 'read'],
  ['unset', 'unset'],
  ['getopts', 'getopts'],
  ['command', 'command'],
  ['exec', 'exec'],
  ['env', 'env'],
  ['nice', 'nice'],
  ['nohup', 'nohup'],
  ['time', 'time'],
]);

// Parser states of the command grammar.
const START = 0; // a command may begin
const ARGS = 1; // inside a simple command, after its name
const FOR_NAME = 2;
const FOR_AFTER_NAME = 3;
const FOR_WORDS = 4;
const CASE_WORD = 5;
const CASE_IN = 6;
const PATTERN = 7; // case patterns, up to `)`

class Scanner extends Lexer {
  protected nested(src: string, origin: (i: number) => number): Scanner {
    return new Scanner(src, this.sink, origin);
  }

  /**
   * A list of commands up to the end of the text, or up to the `)` closing a `$(` when `closer` is ')'.
   * Every iteration consumes a token, and the lexer always advances or reports eof, so this terminates.
   */
  commands(closer: ')' | null): void {
    let state = START;
    const frames: ('paren' | 'case')[] = [];
    let cmd: Cmd | null = null;
    const inCase = (): boolean => frames[frames.length - 1] === 'case';
    for (;;) {
      const tok = this.next();
      if (tok.t === 'eof') return;
      if (tok.t === 'redir') {
        const target = this.next(); // a file, fd or here-document delimiter: never a command
        if (target.t !== 'word') this.peeked = target;
        else if (tok.v === '<<' || tok.v === '<<-') this.heredocs.push(this.heredoc(target, tok.v === '<<-'));
        continue;
      }
      if (tok.t === 'op') {
        const v = tok.v;
        if (v === '(') {
          if (state === ARGS && cmd && cmd.argc === 0 && cmd.fn) {
            // NAME ( ) compound-command: a function definition
            this.sink.functions.add(cmd.fn);
            const close = this.next();
            if (!(close.t === 'op' && close.v === ')')) this.peeked = close;
            state = START;
            cmd = null;
          } else if (state === START) frames.push('paren');
          continue;
        }
        if (v === ')') {
          if (state === PATTERN) state = START;
          else if (frames[frames.length - 1] === 'paren') {
            frames.pop();
            state = START;
          } else if (closer === ')') return;
          cmd = null;
          continue;
        }
        if (v === ';;') {
          state = inCase() ? PATTERN : START;
          cmd = null;
          continue;
        }
        if (v === '|' && state === PATTERN) continue;
        if (
          (v === '\n' || v === ';') &&
          (state === FOR_AFTER_NAME || state === CASE_IN || state === PATTERN || state === CASE_WORD)
        )
          continue;
        state = START;
        cmd = null;
        continue;
      }
      // a word
      const kw = tok.plain ? tok.lit : null;
      switch (state) {
        case START:
          if (kw === 'for') state = FOR_NAME;
          else if (kw === 'case') state = CASE_WORD;
          else if (kw === 'esac') {
            if (inCase()) frames.pop();
          } else if (kw !== null && TRANSPARENT.has(kw)) {
            // stays START
          } else if (tok.assign) this.sink.assigns.add(tok.assign);
          else {
            cmd = this.command(tok, false);
            state = ARGS;
          }
          break;
        case ARGS:
          // ARGS is entered only together with a command; `cmd` is null only after an operator, which resets the state
          if (cmd) cmd = this.argument(cmd, tok);
          break;
        case FOR_NAME:
          if (NAME.test(tok.lit) && !tok.expanded) this.sink.assigns.add(tok.lit);
          state = FOR_AFTER_NAME;
          break;
        case FOR_AFTER_NAME:
          state = kw === 'in' ? FOR_WORDS : START;
          break;
        case FOR_WORDS:
          break; // the loop's values: expansions already scanned, no commands
        case CASE_WORD:
          state = CASE_IN;
          break;
        case CASE_IN:
          frames.push('case');
          state = PATTERN;
          break;
        default: // PATTERN
          if (kw === 'esac') {
            if (inCase()) frames.pop();
            state = START;
          }
      }
    }
  }

  /** `<<WORD`: the delimiter is the word after quote removal; any quoting turns expansion off. */
  private heredoc(w: Word, strip: boolean): Heredoc {
    const delim = w.expanded ? this.src.slice(w.start, w.end).replace(/["'\\]/g, '') : w.lit;
    return { delim, strip, quoted: w.quoted };
  }

  /**
   * The name word of a simple command: records it when it is a PATH lookup.
   * `direct`: run by a wrapper that bypasses shell functions.
   */
  private command(w: Word, direct: boolean): Cmd {
    const name = w.lit;
    const fixed = !w.expanded && name !== '' && !name.includes('/');
    if (!fixed) return { kind: 'plain', argc: 0, skip: 0, fn: null };
    if (!SHELL_BUILTINS.has(name)) this.sink.commands.push({ name, at: this.at(w.start), direct });
    return { kind: KINDS.get(name) ?? 'plain', argc: 0, skip: 0, fn: direct ? null : name };
  }

  /**
   * One argument word of the current simple command; returns the command that continues (a wrapper such as
   * `env` hands over to the command it runs).
   */
  private argument(cmd: Cmd, w: Word): Cmd {
    cmd.argc++;
    if (cmd.skip > 0) {
      cmd.skip--;
      return cmd;
    }
    const lit = w.plain ? w.lit : null;
    const option = lit !== null && lit.startsWith('-') && lit !== '-';
    switch (cmd.kind) {
      case 'declare': // export / readonly / local NAME[=value]
        if (w.assign) this.sink.assigns.add(w.assign);
        else if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'read':
        if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'unset':
        if (lit === '-f')
          cmd.kind = 'plain'; // functions, not variables
        else if (lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        return cmd;
      case 'getopts':
        if (cmd.argc === 2 && lit !== null && NAME.test(lit)) this.sink.assigns.add(lit);
        if (cmd.argc === 2) this.sink.assigns.add('OPTARG');
        return cmd;
      case 'command':
        if (option && /[vV]/.test(lit)) cmd.kind = 'plain'; // command -v x: a lookup, x does not run
        if (option) return cmd;
        return this.command(w, true);
      case 'exec':
      case 'nohup':
        if (lit === '--') return cmd;
        return this.command(w, true);
      case 'time':
        if (lit === '-p') return cmd;
        return this.command(w, false);
      case 'env':
        if (lit === '-u') cmd.skip = 1;
        if (option || w.assign) return cmd; // env's NAME=value is the child's environment, not ours
        return this.command(w, true);
      case 'nice':
        if (lit === '-n') cmd.skip = 1;
        if (option) return cmd;
        return this.command(w, true);
      default:
        return cmd;
    }
  }
}

/** Commands, variable references and assignments of one body that parsed. */
function extract(body: string): ShellInfo {
  const sink: Sink = { commands: [], refs: [], assigns: new Set(), functions: new Set(), depth: 0 };
  const scanner = new Scanner(body, sink, (i) => i);
  try {
    scanner.commands(null);
  } catch {
    // Not expected for any input; what was found so far is still right, and nothing may throw.
  }
  // Names defined as functions anywhere in the body are not PATH lookups (unless run through `command` & co.).
  const pos = lineIndex(body);
  return {
    error: null,
    commands: sink.commands
      .filter((c) => c.direct || !sink.functions.has(c.name))
      .sort((a, b) => a.at - b.at)
      .map((c) => ({ name: c.name, ...pos(c.at) })),
    refs: sink.refs
      .filter((r) => !sink.assigns.has(r.name))
      .sort((a, b) => a.at - b.at)
      .map((r) => ({ name: r.name, ...pos(r.at) })),
    assigns: [...sink.assigns].sort(), // sort for determinism
  };
}

/**
 * Extraction alone, for a body known to parse (what `analyzeShell` reports for it). Never throws, whatever
 * the text.
 */
export function scanShell(body: string): ShellInfo {
  return extract(asText(body));
}

/** Whatever a caller passed, as text: a string as is, null and undefined as '', anything else as String() makes it. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- untyped callers: never throw, whatever the value
  return String(value ?? '');
}
