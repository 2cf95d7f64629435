// Image Trust language server: wires LSP messages to the core. Glue only.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { CodeActionKind, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SETTINGS, SECTION, TREE_REQUEST, TREE_CHANGED_NOTIFICATION, type ImageTrustSettings, type TreeResult } from '../protocol';
import { toDiagnostic } from './diagnostics';
import { DocumentAnalyses } from './documents';
import { buildTree } from './tree';
import { codeActions, PIN_FILE_COMMAND, PIN_REFERENCE_COMMAND, PIN_WORKSPACE_COMMAND } from './codeActions';
import { PinCommands } from './pinCommands';
import { ResolutionService } from './resolution';
import { resolutionFindings } from '../core/resolve';
import { resolutionKey } from '../core/pinning';

const DEBOUNCE_MS = 60;

interface InitOptions {
  settings?: Partial<ImageTrustSettings>;
  /** Where the registry cache persists (the extension's global storage). */
  cacheDir?: string;
  /** VS Code workspace trust: untrusted → extraction and diagnostics only, no network, no credential helpers. */
  workspaceTrusted?: boolean;
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: ImageTrustSettings = { ...DEFAULT_SETTINGS };
let workspaceRoots: string[] = [];
let hasConfigurationCapability = false;
const rulesDocUri = pathToFileURL(join(__dirname, '..', 'docs', 'rules.md')).toString();
const analyses = new DocumentAnalyses(() => settings, () => workspaceRoots);
const timers = new Map<string, NodeJS.Timeout>();
let resolutions: ResolutionService;
let pins: PinCommands;
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
  const init = params.initializationOptions as InitOptions | undefined;
  if (init?.settings) settings = { ...DEFAULT_SETTINGS, ...init.settings };
  resolutions = new ResolutionService(
    settings,
    { cacheDir: init?.cacheDir, trusted: init?.workspaceTrusted !== false, log: (m) => connection.console.log(m) },
    (keys) => republishFor(keys),
  );
  pins = new PinCommands(connection, documents, analyses, resolutions, () => workspaceRoots);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, `${CodeActionKind.Source}.pinAll.imageTrust`] },
      executeCommandProvider: { commands: [PIN_REFERENCE_COMMAND, PIN_FILE_COMMAND, PIN_WORKSPACE_COMMAND] },
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
  resolutions.updateSettings(settings);
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
  const refs = result.analysis?.refs ?? [];
  const online = refs.flatMap((r) => resolutionFindings(r, resolutions.get(r) ?? null, settings.severity));
  const findings = online.length ? [...result.findings, ...online].sort((a, b) => a.range.start - b.range.start) : result.findings;
  const diagnostics = findings.map((f) => toDiagnostic(f, result.lines, rulesDocUri));
  resolutions.enqueue(refs);
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

/** Re-publish the open documents that hold any of the references just resolved. */
function republishFor(keys: Set<string>): void {
  for (const doc of documents.all()) {
    const a = analyses.get(doc.uri);
    if (a?.analysis?.refs.some((r) => r.parsed && keys.has(resolutionKey(r)))) publish(doc);
  }
}

connection.onCodeAction((params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return [];
  return codeActions(params, doc, analyses.analyze(doc.uri, doc.version, doc.getText()), resolutions);
});

connection.onExecuteCommand(async (params) => {
  const arg = params.arguments?.[0];
  switch (params.command) {
    case PIN_REFERENCE_COMMAND:
      return pins.pinReference(arg);
    case PIN_FILE_COMMAND:
      return pins.pinFile(arg);
    case PIN_WORKSPACE_COMMAND:
      return pins.pinWorkspace();
    default:
      return null;
  }
});

connection.onRequest(TREE_REQUEST, (): TreeResult => buildTree(analyses.all()));

documents.listen(connection);
connection.listen();
