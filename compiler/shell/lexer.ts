// The word level of the POSIX shell scanner: tokens, quotes, expansions and here-document bodies, walked just far
// enough to record variable references and to hand command substitutions to the command grammar (scan.ts).
// mvdan's JSON AST carries no words, hence this small scanner; it never throws and always advances.
// Over 400 lines on purpose: the word grammar is one recursive descent whose parts call each other.

/**
 * A word as the command grammar sees it. `lit` is the text after quote removal with every expansion replaced
 * by \0; `plain` means no quoting and no expansion (only plain words can be reserved words);
 * `assign` is NAME when the word starts with an unquoted `NAME=`.
 */
export interface Word {
  readonly t: 'word';
  readonly lit: string;
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
  readonly expanded: boolean;
  readonly plain: boolean;
  readonly assign: string | null;
}

export type Token =
  Word | { readonly t: 'op'; readonly v: string } | { readonly t: 'redir'; readonly v: string } | { readonly t: 'eof' };

/** A pending here-document: its body follows the next newline. */
export interface Heredoc {
  readonly delim: string;
  readonly strip: boolean;
  readonly quoted: boolean;
}

/**
 * What the scanners of one body found, offsets into the body. `direct`: run through `command`, `exec`, `env`,
 * … which skip shell functions.
 */
export interface Sink {
  readonly commands: { name: string; at: number; direct: boolean }[];
  readonly refs: { name: string; at: number }[];
  readonly assigns: Set<string>;
  readonly functions: Set<string>;
  depth: number;
}

export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Runs of characters with no special meaning, skipped in one step (the scanner's hot paths).
const BLANKS = /(?:[ \t\r]|\\\n)*/y;
const WORD_RUN = /[^ \t\r\n;&|()<>\\'"$`]+/y;
const DQ_RUN = /[^"\\$`]+/y;
const HEREDOC_RUN = /[^\\$`]+/y;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=/;
/** Nesting of $( ), ` `, ${ } and $(( )) beyond this is not scanned (keeps the JS stack safe on absurd input). */
const MAX_DEPTH = 150;

const isNameStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (c: string): boolean => isNameStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

export abstract class Lexer {
  protected pos = 0;
  protected readonly heredocs: Heredoc[] = [];
  protected peeked: Token | null = null;

  /**
   * @param src the text to scan
   * @param sink shared by the scanners of one body
   * @param origin maps an index of `src` to an offset in the body
   */
  constructor(
    protected readonly src: string,
    protected readonly sink: Sink,
    private readonly origin: (i: number) => number,
  ) {}

  /** The command grammar: a list of commands up to the end of the text, or up to the `)` closing a `$(`. */
  abstract commands(closer: ')' | null): void;

  /** A scanner of the same grammar over another text (a backquoted command, a here-document), same sink. */
  protected abstract nested(src: string, origin: (i: number) => number): Lexer;

  protected at(i: number): number {
    return this.origin(Math.min(i, this.src.length));
  }

  // ---- lexer ------------------------------------------------------------------------------------------

  protected next(): Token {
    if (this.peeked) {
      const t = this.peeked;
      this.peeked = null;
      return t;
    }
    const s = this.src;
    for (;;) {
      if (this.pos >= s.length) return { t: 'eof' };
      // (a sticky regex that fails resets lastIndex to 0: only run it inside the text, where it always matches)
      BLANKS.lastIndex = this.pos;
      if (BLANKS.test(s)) this.pos = BLANKS.lastIndex;
      if (this.pos >= s.length) return { t: 'eof' };
      if (s[this.pos] !== '#') break;
      const nl = s.indexOf('\n', this.pos);
      this.pos = nl < 0 ? s.length : nl;
    }
    const c = s[this.pos];
    const two = s.slice(this.pos, this.pos + 2);
    if (c === '\n') {
      this.pos++;
      this.readHeredocs();
      return { t: 'op', v: '\n' };
    }
    if (two === ';;' || two === '&&' || two === '||') {
      this.pos += 2;
      return { t: 'op', v: two };
    }
    if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
      this.pos++;
      return { t: 'op', v: c };
    }
    let p = this.pos;
    while (isDigit(s[p] ?? '')) p++;
    if (s[p] === '<' || s[p] === '>') {
      // [n]<, <<, <<-, <&, <>, >, >>, >&, >|
      const three = s.slice(p, p + 3);
      const op =
        three === '<<-'
          ? three
          : ['<<', '<&', '<>', '>>', '>&', '>|'].includes(s.slice(p, p + 2))
            ? s.slice(p, p + 2)
            : s[p];
      this.pos = p + op.length;
      return { t: 'redir', v: op };
    }
    return this.word();
  }

  private word(): Word {
    const s = this.src;
    const start = this.pos;
    let lit = '';
    let quoted = false;
    let expanded = false;
    let plainLen = -1; // length of `lit` before the first quote, escape or expansion
    const mark = (): void => {
      if (plainLen < 0) plainLen = lit.length;
    };
    while (this.pos < s.length) {
      WORD_RUN.lastIndex = this.pos;
      if (WORD_RUN.test(s)) {
        lit += s.slice(this.pos, WORD_RUN.lastIndex);
        this.pos = WORD_RUN.lastIndex;
        continue;
      }
      const c = s[this.pos];
      if (
        c === ' ' ||
        c === '\t' ||
        c === '\r' ||
        c === '\n' ||
        c === ';' ||
        c === '&' ||
        c === '|' ||
        c === '(' ||
        c === ')' ||
        c === '<' ||
        c === '>'
      )
        break;
      if (c === '\\') {
        if (s[this.pos + 1] === '\n') {
          this.pos += 2;
          continue;
        }
        mark();
        quoted = true;
        lit += s[this.pos + 1] ?? '\\';
        this.pos = Math.min(this.pos + 2, s.length);
      } else if (c === "'") {
        mark();
        quoted = true;
        const close = s.indexOf("'", this.pos + 1);
        const end = close < 0 ? s.length : close;
        lit += s.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else if (c === '"') {
        mark();
        quoted = true;
        this.pos++;
        const inner = this.dq('"');
        if (inner.includes('\0')) expanded = true;
        lit += inner;
      } else if (c === '`' || (c === '$' && this.isExpansion())) {
        mark();
        expanded = true;
        lit += '\0';
        if (c === '`') this.backtick(false);
        else this.dollar(false);
      } else {
        lit += c;
        this.pos++;
      }
    }
    if (plainLen < 0) plainLen = lit.length;
    const m = ASSIGN.exec(lit.slice(0, plainLen));
    return {
      t: 'word',
      lit,
      start,
      end: this.pos,
      quoted,
      expanded,
      plain: !quoted && !expanded,
      assign: m ? m[1] : null,
    };
  }

  /**
   * Double-quoted text up to `term` (consumed), or to the end when `term` is '' (here-document bodies, where
   * `"` is an ordinary character). Returns the literal text with \0 for each expansion.
   */
  protected dq(term: string): string {
    const s = this.src;
    let lit = '';
    const run = term ? DQ_RUN : HEREDOC_RUN;
    while (this.pos < s.length) {
      run.lastIndex = this.pos;
      if (run.test(s)) {
        lit += s.slice(this.pos, run.lastIndex);
        this.pos = run.lastIndex;
        continue;
      }
      const c = s[this.pos];
      if (term && c === term) {
        this.pos++;
        return lit;
      }
      if (c === '\\') {
        const n = s[this.pos + 1];
        if (n === '$' || n === '`' || n === '\\' || (term && n === term)) {
          lit += n;
          this.pos += 2;
          continue;
        }
        if (n === '\n') {
          this.pos += 2;
          continue;
        }
        lit += c;
        this.pos++;
      } else if (c === '`' || (c === '$' && this.isExpansion())) {
        lit += '\0';
        if (c === '`') this.backtick(term === '"');
        else this.dollar(true);
      } else {
        lit += c;
        this.pos++;
      }
    }
    return lit;
  }

  /** At `$`: whether an expansion starts here (else the `$` is literal). */
  private isExpansion(): boolean {
    const n = this.src[this.pos + 1] ?? '';
    return n !== '' && (n === '(' || n === '{' || isNameChar(n) || '@*#?-$!'.includes(n));
  }

  /** At `$`: scans an expansion, or consumes a literal `$`. */
  private dollar(inDq: boolean): void {
    const s = this.src;
    const dollarAt = this.pos;
    const n = s[this.pos + 1] ?? '';
    if (n === '(' || n === '{') {
      if (this.sink.depth >= MAX_DEPTH) {
        this.pos = s.length;
        return;
      }
      this.sink.depth++;
      if (n === '(' && s[this.pos + 2] === '(') {
        this.pos += 3;
        this.arith();
      } else if (n === '(') {
        this.pos += 2;
        this.commands(')');
      } else {
        this.pos += 2;
        this.param(inDq);
      }
      this.sink.depth--;
      return;
    }
    if (isNameStart(n)) {
      let p = dollarAt + 2;
      while (p < s.length && isNameChar(s[p])) p++;
      this.ref(s.slice(dollarAt + 1, p), dollarAt + 1);
      this.pos = p;
      return;
    }
    if (n !== '' && (isDigit(n) || '@*#?-$!'.includes(n))) {
      this.pos += 2; // special parameters are always set
      return;
    }
    this.pos++; // a literal `$`
  }

  private ref(name: string, i: number): void {
    this.sink.refs.push({ name, at: this.at(i) });
  }

  /** After `${`: the parameter, its operator and its word, up to the closing `}`. */
  private param(inDq: boolean): void {
    const s = this.src;
    let name = '';
    if (s[this.pos] === '#' && s[this.pos + 1] !== '}' && isNameStart(s[this.pos + 1] ?? '')) this.pos++; // ${#name}
    const nameAt = this.pos;
    const c = s[this.pos] ?? '';
    if (isNameStart(c)) {
      let p = this.pos;
      while (p < s.length && isNameChar(s[p])) p++;
      name = s.slice(this.pos, p);
      this.pos = p;
    } else if (isDigit(c)) {
      while (isDigit(s[this.pos] ?? '')) this.pos++;
    } else if (c !== '' && '@*#?-$!'.includes(c)) {
      this.pos++;
    }
    let op = s[this.pos] ?? '';
    const n2 = s[this.pos + 1] ?? '';
    if (op === ':' && n2 !== '' && '-=+?'.includes(n2)) op += n2;
    else if ((op === '%' || op === '#') && s[this.pos + 1] === op) op += op;
    if (name) {
      const bare = op.replace(':', '');
      if (bare === '=')
        this.sink.assigns.add(name); // ${name=word} assigns when unset
      else if (bare !== '-' && bare !== '+') this.ref(name, nameAt); // `}`, `?`, `%`, `#` … read the value
    }
    if (op !== '}') this.pos += op.length;
    this.paramWord(inDq);
  }

  /** The word of `${name op word}` up to the first unquoted `}` (consumed). */
  private paramWord(inDq: boolean): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c === '\\') this.pos += 2;
      else if (c === "'" && !inDq) {
        const close = s.indexOf("'", this.pos + 1);
        this.pos = close < 0 ? s.length : close + 1;
      } else if (c === '"') {
        this.pos++;
        this.dq('"');
      } else if (c === '$') this.dollar(inDq);
      else if (c === '`') this.backtick(inDq);
      else this.pos++;
    }
  }

  /** After `$((`: names are variables; up to the matching `))`. */
  private arith(): void {
    const s = this.src;
    let depth = 0;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '(') {
        depth++;
        this.pos++;
      } else if (c === ')') {
        if (depth === 0) {
          this.pos += s[this.pos + 1] === ')' ? 2 : 1;
          return;
        }
        depth--;
        this.pos++;
      } else if (c === '$') this.dollar(false);
      else if (c === '`') this.backtick(false);
      else if (c === '"') {
        this.pos++;
        this.dq('"');
      } else if (c === '\\') this.pos += 2;
      else if (isNameStart(c)) {
        const start = this.pos;
        while (this.pos < s.length && isNameChar(s[this.pos])) this.pos++;
        const name = s.slice(start, this.pos);
        let p = this.pos;
        while (s[p] === ' ' || s[p] === '\t') p++;
        const after = s.slice(p, p + 3);
        const before = s.slice(Math.max(0, start - 2), start);
        const plainAssign = after[0] === '=' && after[1] !== '=';
        const compound = /^(?:[-+*/%&|^]=|<<=|>>=|\+\+|--)/.test(after) || before === '++' || before === '--';
        if (plainAssign || compound) this.sink.assigns.add(name);
        if (!plainAssign) this.ref(name, start);
      } else if (isDigit(c)) {
        while (this.pos < s.length && (isNameChar(s[this.pos]) || s[this.pos] === '#')) this.pos++; // 42, 0x1f, 8#17
      } else this.pos++;
    }
  }

  /** At a backquote: the command inside, with its backslash escapes undone, scanned as commands. */
  private backtick(inDq: boolean): void {
    const s = this.src;
    this.pos++;
    let inner = '';
    const map: number[] = [];
    while (this.pos < s.length && s[this.pos] !== '`') {
      const n = s[this.pos + 1];
      if (s[this.pos] === '\\' && (n === '$' || n === '`' || n === '\\' || (inDq && n === '"'))) {
        inner += n;
        map.push(this.at(this.pos + 1));
        this.pos += 2;
        continue;
      }
      inner += s[this.pos];
      map.push(this.at(this.pos));
      this.pos++;
    }
    map.push(this.at(this.pos));
    this.pos++;
    if (this.sink.depth >= MAX_DEPTH) return;
    this.sink.depth++;
    this.nested(inner, (i) => map[Math.min(i, map.length - 1)]).commands(null);
    this.sink.depth--;
  }

  /** After the newline that ends a line with `<<` redirections: their bodies, in order. */
  private readHeredocs(): void {
    const s = this.src;
    for (let h = this.heredocs.shift(); h !== undefined; h = this.heredocs.shift()) {
      const bodyStart = this.pos;
      let bodyEnd = s.length;
      this.pos = s.length;
      for (let p = bodyStart; p < s.length;) {
        const nl = s.indexOf('\n', p);
        const e = nl < 0 ? s.length : nl;
        const line = h.strip ? s.slice(p, e).replace(/^\t+/, '') : s.slice(p, e);
        if (line === h.delim) {
          bodyEnd = p;
          this.pos = nl < 0 ? s.length : nl + 1;
          break;
        }
        p = e + 1;
      }
      if (!h.quoted && bodyEnd > bodyStart) {
        const sub = this.nested(s.slice(bodyStart, bodyEnd), (i) => this.at(bodyStart + i));
        sub.dq('');
      }
    }
  }
}
