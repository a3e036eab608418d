// Shell texts that exercise mvdan/sh's printer where formatting is easy to get wrong: spacing, here-documents
// (plain and tab-stripped), comments, functions, case, blank lines, a text that does not parse, the empty text.
// Shared by the formatter's tests (emit) and the shell engine's printer test (shell).
export const PRINTER_TEXTS: readonly string[] = [
  'echo   hi',
  'if true; then echo a; fi',
  'cat <<EOF\n  keep   this\n$x\nEOF\necho after',
  'cat <<-EOF\n\tindented\n\tEOF',
  '# only a comment',
  'f() { echo  "$1"; }\nf x # trailing comment',
  'case $x in a) echo a;; *) echo b;; esac',
  'for i in 1 2; do\necho $i\ndone\n\n\n\necho gap',
  'x=$(printf %s "a  b")',
  'echo unterminated "quote',
  '',
  'make DESTDIR="${destdir}" install',
];
