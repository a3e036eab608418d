// A snapshot's diagnostics as LSP publishes them: the same code and message as `serpentc check`, notes as
// related information, and a list for every file of the set (empty when clean), so a fix anywhere clears it.
import {
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { FILE_START, rangeOf } from './positions.js';
import type { Snapshot } from './workspace.js';

/**
 * One compiler diagnostic in LSP form, shown in the file `uri`; `uriOf` maps a Loc's file (relative to the root)
 * to its URI. The message is exactly `serpentc check`'s; every note is related information, a hint without a
 * place of its own (did you mean …?) at the diagnostic's own range.
 */
export function toLsp(d: Diagnostic, uri: string, uriOf: (file: string) => string | undefined): LspDiagnostic {
  const range = d.loc ? rangeOf(d.loc) : FILE_START;
  const related: DiagnosticRelatedInformation[] = d.notes.map((n) => {
    const at = n.loc ? uriOf(n.loc.file) : undefined;
    return n.loc && at !== undefined
      ? { location: { uri: at, range: rangeOf(n.loc) }, message: n.message }
      : { location: { uri, range }, message: n.message };
  });
  return {
    range,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'serpentc',
    message: d.message,
    ...(related.length ? { relatedInformation: related } : {}),
  };
}

/**
 * The diagnostics of every file of the snapshot, by URI. A diagnostic without a location (an unreadable file,
 * a missing default target) is shown at the start of each open document of the set, or of its first file when
 * none is open, so it is seen wherever the user is.
 */
export function diagnosticsByUri(snap: Snapshot): Map<string, LspDiagnostic[]> {
  const out = new Map<string, LspDiagnostic[]>();
  for (const uri of snap.uris.values()) out.set(uri, []);
  const uriOf = (file: string) => snap.uris.get(file);
  const open = [...snap.versions.keys()].map(uriOf).filter((u) => u !== undefined);
  const first = snap.uris.values().next();
  const homeless = open.length ? open : first.done ? [] : [first.value];
  for (const d of [...snap.listing, ...snap.result.diagnostics]) {
    const at = d.loc ? uriOf(d.loc.file) : undefined;
    for (const uri of at !== undefined ? [at] : homeless) out.get(uri)?.push(toLsp(d, uri, uriOf));
  }
  return out;
}

/**
 * Sends each snapshot's diagnostics: always for the open documents (the editor waits for the list of the text
 * it shows, with its version), and for the other files when their list changed; files that left the set
 * (deleted, renamed) get an empty list once.
 */
export class Publisher {
  /** uri → the list last sent, as JSON */
  private readonly sent = new Map<string, string>();
  /** stages root → the URIs last published for it */
  private readonly bySet = new Map<string, ReadonlySet<string>>();

  constructor(private readonly send: (params: PublishDiagnosticsParams) => void) {}

  publish(snap: Snapshot): void {
    const lists = diagnosticsByUri(snap);
    const versionOf = new Map<string, number>();
    for (const [rel, v] of snap.versions) {
      const uri = snap.uris.get(rel);
      if (uri !== undefined) versionOf.set(uri, v);
    }
    for (const uri of this.bySet.get(snap.root) ?? []) {
      if (lists.has(uri)) continue;
      this.sent.delete(uri);
      this.send({ uri, diagnostics: [] });
    }
    this.bySet.set(snap.root, new Set(lists.keys()));
    for (const [uri, diagnostics] of lists) {
      const json = JSON.stringify(diagnostics);
      const version = versionOf.get(uri);
      if (version === undefined && this.sent.get(uri) === json) continue;
      this.sent.set(uri, json);
      this.send(version === undefined ? { uri, diagnostics } : { uri, version, diagnostics });
    }
  }
}
