// The `#` comments of a recipe text, in source order with their spans. Parsing never sees them (their lexer
// group is not the token stream); only the formatter, which must keep them, asks for them here.
import * as T from './tokens.js';

export interface CommentSpan {
  /** From `#` to the end of the line, without the line break. */
  readonly text: string;
  /** Offset of the `#`. */
  readonly offset: number;
  /** Offset just past the comment's last character (exclusive, unlike Loc.endOffset). */
  readonly end: number;
}

/** Every comment of `text`; text inside strings and shell bodies is no comment, as the lexer sees it. */
export function comments(text: string): CommentSpan[] {
  const found = T.lexer.tokenize(text).groups[T.COMMENTS] ?? [];
  return found.map((t) => ({ text: t.image, offset: t.startOffset, end: t.startOffset + t.image.length }));
}
