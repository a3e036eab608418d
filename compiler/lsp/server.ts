// `serpentc lsp`: the language server over a pair of streams (stdin/stdout). Wires documents to recipe sets
// (workspace.ts) and requests to the features; every handler catches its own failures, so no input — however
// broken — ends the server. stdout is the protocol channel: nothing else may write to it.
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  TextEdit,
  type CompletionItem,
  type Hover,
  type InitializeResult,
  type Location,
  type TextDocumentPositionParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { format } from '../fmt/index.js';
import { prepareShell } from '../shell/index.js';
import { complete, namesOf } from './completion.js';
import { definition } from './definition.js';
import { Publisher } from './diagnostics.js';
import { hover } from './hover.js';
import { symbolAt, type Sym } from './locate.js';
import { inDocument, offsetAt, withoutBom } from './positions.js';
import { DEBOUNCE_MS, fileOf, pathOfUri, Workspace, type Snapshot } from './workspace.js';

/**
 * Serves until the client ends the session: the connection exits the process on the `exit` notification (0
 * after `shutdown`, 1 without) or when the input closes, as the protocol asks; the returned promise never settles.
 */
export function serve(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, version: string): Promise<never> {
  prepareShell(); // the shell parser compiles while the client initialises, not during the first compile
  // a stray console.log from any dependency would corrupt the protocol: send the console to stderr
  console.log = console.info = console.debug = console.error;
  const connection = createConnection(ProposedFeatures.all, input, output);
  const documents = new TextDocuments(TextDocument);
  /** The text the editor holds for `uri`, when it is open (ranges sent back are counted in it). */
  const textOf = (uri: string): string | undefined => documents.get(uri)?.getText();
  const publisher = new Publisher(
    (p) =>
      void connection.sendDiagnostics({
        ...p,
        diagnostics: p.diagnostics.map((d) => ({
          ...d,
          range: inDocument(d.range, textOf(p.uri)),
          ...(d.relatedInformation
            ? {
                relatedInformation: d.relatedInformation.map((r) => ({
                  ...r,
                  location: { uri: r.location.uri, range: inDocument(r.location.range, textOf(r.location.uri)) },
                })),
              }
            : {}),
        })),
      }),
  );
  const workspace = new Workspace({
    // a document opened without its text (a client's malformed didOpen) is left out: the file on disk stands in,
    // rather than one bad message breaking every later compile of its set
    documents: () => documents.all().filter((d) => typeof (d.getText() as unknown) === 'string'),
    publish: (snap) => publisher.publish(snap),
    log: (m) => connection.console.error(m),
  });
  let watchFiles = false;

  connection.onInitialize((params): InitializeResult => {
    // the folders only bound the walk up to a stages root (workspace.ts), which works without them too
    workspace.folders = (params.workspaceFolders ?? []).map((f) => pathOfUri(f.uri)).filter((f) => f !== null);
    watchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        definitionProvider: true,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['[', ',', '=', '(', ' '] },
        documentFormattingProvider: true,
      },
      serverInfo: { name: 'serpentc', version },
    };
  });
  connection.onInitialized(() => {
    // recipes changed outside the editor (git checkout, another tool) recompile the sets that hold them
    if (watchFiles)
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.recipe' }] })
        .catch((e: unknown) => connection.console.error(`serpentc lsp: cannot watch files: ${String(e)}`));
  });

  const guard = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      connection.console.error(
        `serpentc lsp: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    }
  };
  // a newly opened set compiles at once (first diagnostics as soon as possible); edits wait for a pause
  documents.onDidOpen((e) =>
    guard('open', () => {
      const set = workspace.setOf(e.document.uri);
      set?.schedule(set.latest === null ? 0 : DEBOUNCE_MS);
    }),
  );
  documents.onDidChangeContent((e) => guard('change', () => workspace.setOf(e.document.uri)?.schedule(DEBOUNCE_MS)));
  // the file's text on disk counts again; its diagnostics stay, as they are the set's
  documents.onDidClose((e) => guard('close', () => workspace.setOf(e.document.uri)?.schedule(DEBOUNCE_MS)));
  connection.onDidChangeWatchedFiles((p) =>
    guard('watched files', () => {
      for (const change of p.changes) {
        const path = pathOfUri(change.uri);
        // a new file may start a set of its own only when opened; changes go to the set that holds them
        if (path === null) continue;
        const set = workspace.owning(path);
        if (set && (change.type !== FileChangeType.Changed || documents.get(change.uri) === undefined))
          set.schedule(DEBOUNCE_MS);
      }
    }),
  );

  /** The symbol at a position, from a compile of exactly the text the editor shows. */
  const at = async (p: TextDocumentPositionParams): Promise<{ sym: Sym | null; snap: Snapshot } | null> => {
    const doc = documents.get(p.textDocument.uri);
    const set = workspace.setOf(p.textDocument.uri);
    if (!doc || !set) return null;
    const snap = await set.settled();
    const rel = [...snap.uris].find(([, uri]) => uri === doc.uri)?.[0];
    const file = rel === undefined ? undefined : fileOf(snap, rel);
    if (!file || snap.texts.get(file.file) !== doc.getText()) return null; // changed again meanwhile
    return { sym: symbolAt(file, offsetAt(doc.getText(), p.position), snap.result.model), snap };
  };
  const answer = async <R>(what: string, none: R, f: () => Promise<R>): Promise<R> => {
    try {
      return await f();
    } catch (e) {
      connection.console.error(
        `serpentc lsp: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      return none;
    }
  };

  connection.onDefinition((p) =>
    answer<Location[]>('definition', [], async () => {
      const found = await at(p);
      if (!found) return [];
      const { sym, snap } = found;
      return definition(sym, snap.result.model, (f) => snap.uris.get(f)).map((l) => ({
        uri: l.uri,
        range: inDocument(l.range, textOf(l.uri)),
      }));
    }),
  );
  connection.onHover((p) =>
    answer<Hover | null>('hover', null, async () => {
      const found = await at(p);
      const h = found ? hover(found.sym, found.snap.result.model, found.snap.texts) : null;
      return h?.range ? { ...h, range: inDocument(h.range, textOf(p.textDocument.uri)) } : h;
    }),
  );
  connection.onCompletion((p) =>
    answer<CompletionItem[]>('completion', [], async () => {
      const doc = documents.get(p.textDocument.uri);
      const set = workspace.setOf(p.textDocument.uri);
      if (!doc) return [];
      // names from the last compile, not a new one: completion must not wait for the compiler on every key
      const model = set?.latest?.result.model ?? (set ? (await set.settled()).result.model : null);
      const raw = doc.getText();
      return complete(withoutBom(raw), offsetAt(raw, p.position), namesOf(model));
    }),
  );

  // serpentc fmt's layout: one edit replacing the whole text, none when it is formatted or has syntax errors
  connection.onDocumentFormatting((p) =>
    answer<TextEdit[]>('formatting', [], async () => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return [];
      const text = doc.getText();
      // a carriage return that ends no line: fmt leaves such a file as it is (bare-cr)
      if (/\r(?!\n)/.test(text)) return [];
      const { formatted } = await format(text, pathOfUri(doc.uri) ?? doc.uri);
      if (formatted === null || formatted === text) return [];
      return [TextEdit.replace({ start: doc.positionAt(0), end: doc.positionAt(text.length) }, formatted)];
    }),
  );

  documents.listen(connection);
  connection.listen();
  return new Promise<never>(() => undefined);
}
