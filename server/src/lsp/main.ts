// Image Trust language server: wires LSP messages to the core. Glue only.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SETTINGS, SECTION, TREE_REQUEST, TREE_CHANGED_NOTIFICATION, type ImageTrustSettings, type TreeResult } from '../protocol';
import { toDiagnostic } from './diagnostics';
import { DocumentAnalyses } from './documents';
import { buildTree } from './tree';

const DEBOUNCE_MS = 60;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: ImageTrustSettings = { ...DEFAULT_SETTINGS };
let workspaceRoots: string[] = [];
let hasConfigurationCapability = false;
const rulesDocUri = pathToFileURL(join(__dirname, '..', 'docs', 'rules.md')).toString();
const analyses = new DocumentAnalyses(() => settings, () => workspaceRoots);
const timers = new Map<string, NodeJS.Timeout>();
/** Diagnostics wait for the client's settings once, so the first ones already honour them. */
let markSettingsReady: () => void = () => {};
const settingsReady = new Promise<void>((resolve) => {
  markSettingsReady = resolve;
});

connection.onInitialize((params) => {
  hasConfigurationCapability = !!params.capabilities.workspace?.configuration;
  workspaceRoots = (params.workspaceFolders ?? [])
    .filter((f) => f.uri.startsWith('file:'))
    .map((f) => decodeURIComponent(new URL(f.uri).pathname));
  const init = params.initializationOptions as { settings?: Partial<ImageTrustSettings> } | undefined;
  if (init?.settings) settings = { ...DEFAULT_SETTINGS, ...init.settings };
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    },
    serverInfo: { name: 'Image Trust' },
  };
});

connection.onInitialized(async () => {
  if (hasConfigurationCapability) await refreshSettings();
  markSettingsReady();
});

async function refreshSettings(): Promise<void> {
  try {
    const fetched = (await connection.workspace.getConfiguration(SECTION)) as Partial<ImageTrustSettings> | null;
    settings = { ...DEFAULT_SETTINGS, ...(fetched ?? {}) };
  } catch {
    settings = { ...DEFAULT_SETTINGS };
  }
  analyses.invalidateAll();
  for (const doc of documents.all()) publish(doc);
}

connection.onDidChangeConfiguration(async (change) => {
  if (hasConfigurationCapability) await refreshSettings();
  else {
    const s = (change.settings as Record<string, Partial<ImageTrustSettings>> | undefined)?.[SECTION];
    settings = { ...DEFAULT_SETTINGS, ...(s ?? {}) };
    analyses.invalidateAll();
    for (const doc of documents.all()) publish(doc);
  }
});

function publish(doc: TextDocument): void {
  void settingsReady.then(() => publishNow(doc));
}

function publishNow(doc: TextDocument): void {
  const current = documents.get(doc.uri);
  if (!current || current.version !== doc.version) return; // a newer version is on its way
  const result = analyses.analyze(doc.uri, doc.version, doc.getText());
  const diagnostics = result.findings.map((f) => toDiagnostic(f, result.lines, rulesDocUri));
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  void connection.sendNotification(TREE_CHANGED_NOTIFICATION, { uri: doc.uri });
}

function schedule(doc: TextDocument): void {
  clearTimeout(timers.get(doc.uri));
  timers.set(
    doc.uri,
    setTimeout(() => {
      timers.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current) publish(current);
    }, DEBOUNCE_MS),
  );
}

documents.onDidOpen((e) => publish(e.document));
documents.onDidChangeContent((e) => schedule(e.document));
documents.onDidClose((e) => {
  clearTimeout(timers.get(e.document.uri));
  timers.delete(e.document.uri);
  analyses.forget(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onRequest(TREE_REQUEST, (): TreeResult => buildTree(analyses.all()));

documents.listen(connection);
connection.listen();
